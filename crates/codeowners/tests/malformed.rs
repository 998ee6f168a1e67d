//! Malformed input never panics and is reported: binary content, invalid UTF-8, huge files,
//! odd patterns, odd owners, odd line endings and whitespace.

use std::time::Instant;

use goldpath_codeowners::{
    parse, parse_bytes, DiagnosticCode as Code, Dialect, Severity, MAX_PATTERN_BYTES,
};

const BOTH: [Dialect; 2] = [Dialect::GitHub, Dialect::GitLab];

#[test]
fn binary_content_yields_no_rules() {
    for d in BOTH {
        let co = parse("* @a\n*.rs @b\0@c\n", d);
        assert!(co.rules().is_empty());
        let diag = &co.diagnostics()[0];
        assert_eq!(
            (diag.code, diag.line, diag.column, diag.severity),
            (Code::BinaryContent, 2, 8, Severity::Error)
        );
        assert!(!co.owners_of("x.rs").is_matched());
        let co = parse_bytes(b"\xff\xfe*\x00 \x00@\x00a\x00", d);
        assert!(co
            .diagnostics()
            .iter()
            .any(|x| x.code == Code::BinaryContent));
    }
}

#[test]
fn invalid_utf8_lines_are_reported_and_converted() {
    for d in BOTH {
        let co = parse_bytes(b"* @all\n/caf\xe9/ @fr\n\xc3\x28 @x\n*.rs @r\n", d);
        let bad: Vec<(usize, usize, Code)> = co
            .diagnostics()
            .iter()
            .map(|x| (x.line, x.column, x.code))
            .collect();
        assert_eq!(bad, [(2, 5, Code::InvalidUtf8), (3, 1, Code::InvalidUtf8)]);
        assert_eq!(co.rules().len(), 4);
        assert_eq!(co.rules()[1].pattern, "/caf\u{fffd}/");
        assert_eq!(co.owners_of("src/a.rs").owners().last().unwrap().text, "@r");
        // Valid UTF-8 goes through unchanged.
        assert!(parse_bytes("/café/ @fr\n".as_bytes(), d)
            .diagnostics()
            .is_empty());
    }
}

#[test]
fn ten_megabyte_file() {
    // Long lines: a pattern, forty owners and a comment, repeated past 10 MB.
    let owners: Vec<String> = (0..40).map(|j| format!("@org/team-name-{j}")).collect();
    let line = format!(
        "/services/some-service/src/main/java/com/example/ {} # comment\n",
        owners.join(" ")
    );
    let text = line.repeat(10 * 1024 * 1024 / line.len() + 1);
    assert!(text.len() > 10 * 1024 * 1024);
    let t = Instant::now();
    let gh = parse(&text, Dialect::GitHub);
    assert_eq!(gh.diagnostics()[0].code, Code::FileTooLarge);
    assert!(gh
        .owners_of("services/some-service/src/main/java/com/example/A.java")
        .is_owned());
    let gl = parse(&text, Dialect::GitLab);
    assert!(gl
        .diagnostics()
        .iter()
        .all(|d| d.code != Code::FileTooLarge));
    // GitLab has no inline comments: every line reports one (and a duplicate pattern).
    assert!(gl.diagnostics().len() > 20_000);
    assert_eq!(
        gl.owners_of("services/some-service/src/main/java/com/example/A.java")
            .owners()
            .count(),
        40
    );
    // Generous even for a debug build.
    assert!(t.elapsed().as_secs() < 60);
    // One single 10 MB line: the pattern is too long to compile, which is reported.
    let long = format!("{} @x\n", "a/".repeat(5 * 1024 * 1024));
    for d in BOTH {
        let co = parse(&long, d);
        assert_eq!(co.rules().len(), 1);
        assert!(!co.rules()[0].active);
        let x = co.diagnostics().last().unwrap();
        assert_eq!(
            (x.code, x.severity),
            (Code::InvalidPattern, Severity::Error)
        );
        assert!(!co.owners_of("a/b").is_matched());
    }
    // Just under the limit still works.
    let deep = "a/".repeat(MAX_PATTERN_BYTES / 2 - 1);
    let co = parse(&format!("/{deep} @x\n"), Dialect::GitHub);
    assert!(co.owners_of(&format!("{deep}b")).is_owned());
}

#[test]
fn hundred_thousand_lines() {
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("/d{}/f{i}.txt @u{}\n", i % 1000, i % 77));
    }
    for d in BOTH {
        let co = parse(&text, d);
        assert_eq!(co.rules().len(), 100_000);
        assert!(co.diagnostics().is_empty(), "{:?}", &co.diagnostics()[..1]);
        let o = co.owners_of("d5/f99005.txt");
        assert_eq!(o.decisions()[0].rule.line, 99_006);
        let all = co.owners_of_all(&["d1/f1.txt", "d1/nope"]);
        assert!(all[0].is_owned() && !all[1].is_matched());
    }
}

#[test]
fn odd_patterns() {
    // `***`: GitHub rejects it (line skipped); GitLab's fnmatch reads it as `*`.
    let co = parse("x/***/y @a\n", Dialect::GitHub);
    let d = &co.diagnostics()[0];
    assert_eq!(
        (d.code, d.column, d.end_column),
        (Code::InvalidPattern, 3, 6)
    );
    assert!(!co.rules()[0].active);
    let co = parse("x/***/y @a\n", Dialect::GitLab);
    assert!(co.diagnostics().is_empty());
    assert!(co.owners_of("x/z/y").is_owned());
    // `/`: nothing on GitHub (warned); GitLab turns it into `/**/*`, everything.
    let co = parse("/ @a\n", Dialect::GitHub);
    assert_eq!(co.diagnostics()[0].code, Code::PatternMatchesNothing);
    assert!(!co.owners_of("a").is_matched());
    assert!(parse("/ @a\n", Dialect::GitLab).owners_of("a/b").is_owned());
    // `**`: everything, both dialects.
    for d in BOTH {
        let co = parse("** @a\n", d);
        assert!(co.diagnostics().is_empty());
        assert!(co.owners_of("a").is_owned() && co.owners_of("a/b/c").is_owned());
        assert!(!co.owners_of("").is_matched());
    }
    // More shapes that must not panic.
    for d in BOTH {
        for p in [
            "*",
            "**/",
            "/**",
            "//",
            "\\",
            "a\\",
            "[",
            "]",
            "[!]",
            "[a-",
            "?",
            "**/**/**",
            "!",
            "!/",
            "^",
            "^[",
            "[]",
            "[x][",
            "[x][1",
            "@",
            "#",
            "\\#",
            "é/ü*?",
            "*\u{1F600}*",
        ] {
            let co = parse(&format!("{p} @o\n{p}\n"), d);
            for path in ["", "a", "a/b", "é/ü", "[", "\u{1F600}.rs", "a//b/"] {
                let _ = co.owners_of(path);
                let _ = co.matching_rules(path);
            }
        }
    }
    // GitLab: `!` alone has no pattern.
    let co = parse("!\n", Dialect::GitLab);
    assert_eq!(co.diagnostics()[0].code, Code::InvalidPattern);
}

#[test]
fn lone_at_is_an_invalid_owner() {
    for d in BOTH {
        let co = parse("*.md  @\n", d);
        let x = &co.diagnostics()[0];
        assert_eq!(
            (x.code, x.line, x.column, x.end_column),
            (Code::InvalidOwner, 1, 7, 8)
        );
    }
}

#[test]
fn empty_and_blank_lines() {
    for d in BOTH {
        let co = parse("\n\n   \n\t\n* @a\n\n", d);
        assert_eq!(co.rules().len(), 1);
        assert_eq!(co.rules()[0].line, 5);
        assert!(co.diagnostics().is_empty());
        assert!(parse("", d).rules().is_empty());
    }
}

#[test]
fn crlf_line_endings() {
    for d in BOTH {
        let co = parse("# c\r\n*.rs @a @b\r\n/docs/ @c\r\n", d);
        assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
        let owners: Vec<&str> = co.rules()[0]
            .owners
            .iter()
            .map(|o| o.text.as_str())
            .collect();
        assert_eq!(owners, ["@a", "@b"]);
        assert_eq!(co.rules()[1].pattern, "/docs/");
        assert!(co.owners_of("docs/x").is_owned());
    }
}

#[test]
fn byte_order_mark() {
    for d in BOTH {
        let co = parse("\u{feff}* @a\n", d);
        assert_eq!(co.diagnostics()[0].code, Code::ByteOrderMark);
        assert_eq!(co.diagnostics()[0].severity, Severity::Warning);
        assert_eq!(co.rules()[0].pattern, "*");
        assert_eq!(co.rules()[0].column, 1);
        assert!(co.owners_of("x").is_owned());
        let co = parse_bytes(b"\xef\xbb\xbf# comment\n*.md @b\n", d);
        assert_eq!(co.rules().len(), 1);
    }
}

#[test]
fn tabs_between_pattern_and_owners() {
    for d in BOTH {
        let co = parse("*.rs\t@a\t\t@b team\n", d);
        let cols: Vec<usize> = co.rules()[0].owners.iter().map(|o| o.column).collect();
        assert_eq!(cols, [6, 10]);
        let x = &co.diagnostics()[0];
        assert_eq!((x.column, x.end_column), (13, 17));
    }
}

/// A deterministic fuzz: random lines from characters that matter to the parsers. Nothing
/// panics, every diagnostic is in range, and queries work.
#[test]
fn random_lines_never_panic() {
    let alphabet: Vec<char> = "ab/*?[]!\\#@ \t\r.^-_é\u{1F600}0123".chars().collect();
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut text = String::new();
        for _ in 0..(next() % 20) {
            for _ in 0..(next() % 25) {
                text.push(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            text.push('\n');
        }
        for d in BOTH {
            let co = parse(&text, d);
            let lines = text.split('\n').count();
            for x in co.diagnostics() {
                assert!(
                    x.line >= 1 && x.line <= lines && x.column >= 1 && x.end_column >= x.column
                );
            }
            for p in ["a", "a/b", "a/b/c.d", "#", "[a]/!x"] {
                let _ = co.owners_of(p);
            }
            let _ = co.rule_usage(&["a", "b/a"]);
        }
    }
}
