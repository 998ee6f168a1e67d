//! GitHub CODEOWNERS behaviour. Each test names the rule of GitHub's documentation it checks:
//! <https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners>

use goldpath_codeowners::{
    choose_location, locations, parse, Diagnostic, DiagnosticCode as Code, Dialect, OwnerKind,
    Pattern, Severity, MAX_GITHUB_BYTES,
};

const GH: Dialect = Dialect::GitHub;

fn owners(co: &goldpath_codeowners::CodeOwners, path: &str) -> Vec<String> {
    co.owners_of(path)
        .owners()
        .map(|o| o.text.clone())
        .collect()
}

fn line(co: &goldpath_codeowners::CodeOwners, path: &str) -> Option<usize> {
    co.owners_of(path).rule().map(|r| r.line)
}

fn codes(co: &goldpath_codeowners::CodeOwners) -> Vec<(usize, Code)> {
    co.diagnostics().iter().map(|d| (d.line, d.code)).collect()
}

/// The example file of the documentation ("Example of a CODEOWNERS file"), abridged, with the
/// statements its comments make.
#[test]
fn docs_example_file() {
    let co = parse(
        "# This is a comment.\n\
         *       @global-owner1 @global-owner2\n\
         *.js    @js-owner #This is an inline comment.\n\
         *.go docs@example.com\n\
         *.txt @octo-org/octocats\n\
         /build/logs/ @doctocat\n\
         docs/* docs@example.com\n\
         apps/ @octocat\n\
         /docs/ @doctocat\n\
         /scripts/ @doctocat @octocat\n\
         **/logs @octocat\n\
         /apps/ @octocat\n\
         /apps/github\n",
        GH,
    );
    assert!(!co.has_errors(), "{:?}", co.diagnostics());
    // "These owners will be the default owners for everything in the repo."
    assert_eq!(owners(&co, "README"), ["@global-owner1", "@global-owner2"]);
    // "...modifies JS files, only @js-owner and not the global owner(s)"; inline comment.
    assert_eq!(owners(&co, "src/app.js"), ["@js-owner"]);
    // "You can also use email addresses"
    assert_eq!(owners(&co, "main.go"), ["docs@example.com"]);
    assert_eq!(co.rules()[2].owners[0].kind, OwnerKind::Email);
    // "Teams ... in the format @org/team-name"
    assert_eq!(owners(&co, "notes/a.txt"), ["@octo-org/octocats"]);
    assert_eq!(co.rules()[3].owners[0].kind, OwnerKind::Team);
    // "any files in the build/logs directory at the root ... and any of its subdirectories"
    assert_eq!(line(&co, "build/logs/a/b.log"), Some(11)); // `**/logs` comes later and wins
    assert_eq!(line(&co, "build/logs2/x"), Some(2));
    // "@octocat owns any file in an apps directory anywhere in your repository"
    assert_eq!(line(&co, "deep/apps/x.rb"), Some(8));
    // "/docs/ ... any file in the /docs directory in the root ... and any of its subdirectories"
    assert_eq!(line(&co, "docs/build-app/troubleshooting.md"), Some(9));
    // "/scripts/ ... approval from @doctocat or @octocat"
    assert_eq!(owners(&co, "scripts/x.sh"), ["@doctocat", "@octocat"]);
    // "**/logs: any file in a /logs directory such as /build/logs, /scripts/logs, /deeply/nested/logs"
    for p in ["build/logs/a", "scripts/logs/b", "deeply/nested/logs/c"] {
        assert_eq!(owners(&co, p), ["@octocat"], "{p}");
    }
    // "except for the /apps/github subdirectory, as its owners are left empty"
    let github = co.owners_of("apps/github/x.rb");
    assert_eq!(github.rule().map(|r| r.line), Some(13));
    assert!(github.is_matched() && !github.is_owned());
    assert_eq!(owners(&co, "apps/other/x.rb"), ["@octocat"]);
}

/// "The `docs/*` pattern will match files like `docs/getting-started.md` but not further nested
/// files like `docs/build-app/troubleshooting.md`."
#[test]
fn star_as_last_segment_matches_one_level() {
    let co = parse("docs/* docs@example.com\n", GH);
    assert!(co.owners_of("docs/getting-started.md").is_owned());
    assert!(!co
        .owners_of("docs/build-app/troubleshooting.md")
        .is_matched());
    // But a final segment that is not exactly `*` matches directories too (gitignore).
    let co = parse("/docs/f* @x\n", GH);
    assert!(co.owners_of("docs/foo/bar.md").is_owned());
}

/// "Order is important; the last matching pattern takes the most precedence."
#[test]
fn last_matching_pattern_wins() {
    let co = parse("*.md @a\n/docs/ @b\n*.md @c\n", GH);
    assert_eq!(owners(&co, "docs/x.md"), ["@c"]);
    assert_eq!(owners(&co, "docs/x.txt"), ["@b"]);
    let co = parse("/docs/ @b\n*.md @c\n/docs/ @d\n", GH);
    assert_eq!(owners(&co, "docs/x.md"), ["@d"]);
    assert_eq!(co.matching_rules("docs/x.md"), [0, 1, 2]);
}

/// "/apps/github ... its owners are left empty. Without an owner, changes to apps/github can be
/// made with the approval of any user": a pattern with no owners makes matched files unowned.
#[test]
fn pattern_without_owners_unowns() {
    let co = parse("* @all\n/generated/\n", GH);
    let o = co.owners_of("generated/api.rs");
    assert!(o.is_matched());
    assert!(!o.is_owned());
    let rule = o.rule().expect("deciding rule");
    assert_eq!(rule.line, 2);
    assert!(rule.owners.is_empty());
    assert!(co.diagnostics().is_empty());
}

/// "CODEOWNERS paths are case sensitive, because GitHub uses a case sensitive file system."
#[test]
fn matching_is_case_sensitive() {
    let co = parse("/Docs/ @a\n*.MD @b\n", GH);
    assert!(co.owners_of("Docs/x").is_owned());
    assert!(!co.owners_of("docs/x").is_matched());
    assert!(co.owners_of("x.MD").is_owned());
    assert!(!co.owners_of("x.md").is_matched());
}

/// gitignore, as CODEOWNERS follows it: "If there is a separator at the beginning or middle (or
/// both) of the pattern, then the pattern is relative to the ... root"; otherwise "the pattern may
/// also match at any level".
#[test]
fn slashes_anchor_patterns() {
    let p = |s: &str| Pattern::new(s, GH).unwrap();
    assert!(p("foo").matches("a/b/foo/c"));
    assert!(p("foo/").matches("a/foo/c"));
    assert!(p("/foo").matches("foo/c"));
    assert!(!p("/foo").matches("a/foo/c"));
    assert!(p("foo/bar").matches("foo/bar/c"));
    assert!(!p("foo/bar").matches("a/foo/bar"));
    assert!(p("*.js").matches("a/b/c.js"));
}

/// gitignore: "If there is a separator at the end of the pattern then the pattern will only match
/// directories" — `foo/` owns what is inside `foo`, not a file named `foo`.
#[test]
fn trailing_slash_matches_only_inside() {
    let co = parse("build/ @a\n", GH);
    assert!(co.owners_of("build/x").is_owned());
    assert!(co.owners_of("src/build/x/y").is_owned());
    assert!(!co.owners_of("build").is_matched());
    assert!(!co.owners_of("src/build").is_matched());
}

/// gitignore's `**`: leading `**/` matches in all directories, trailing `/**` matches everything
/// inside, `a/**/b` matches zero or more directories.
#[test]
fn double_asterisk() {
    let p = |s: &str| Pattern::new(s, GH).unwrap();
    assert!(p("**/logs").matches("logs/x"));
    assert!(p("**/logs").matches("a/b/logs/x"));
    assert!(p("abc/**").matches("abc/x/y"));
    assert!(!p("abc/**").matches("abc"));
    assert!(p("a/**/b").matches("a/b"));
    assert!(p("a/**/b").matches("a/x/y/b"));
    assert!(!p("a/**/b").matches("x/a/b"));
    assert!(p("**").matches("any/thing"));
}

/// Syntax exceptions: "Using `!` to negate a pattern" does not work. GitHub: "If any line in your
/// CODEOWNERS file contains invalid syntax, that line will be skipped."
#[test]
fn negation_is_unsupported_and_skipped() {
    let co = parse("* @all\n!/secret/ @nobody\n", GH);
    assert_eq!(codes(&co), [(2, Code::NegationUnsupported)]);
    let d = &co.diagnostics()[0];
    assert_eq!(
        (d.column, d.end_column, d.severity),
        (1, 2, Severity::Error)
    );
    assert!(!co.rules()[1].active);
    assert_eq!(owners(&co, "secret/x"), ["@all"]);
    assert_eq!(co.matching_rules("secret/x"), [0]);
}

/// Syntax exceptions: "Using `[ ]` to define a character range" does not work: brackets are
/// literal characters.
#[test]
fn character_ranges_are_unsupported_brackets_literal() {
    let co = parse("x *.[ch] @c\n/apps/[param]/file.ts @next\n", GH);
    let co2 = parse("*.[ch] @c\n/apps/[param]/file.ts @next\n", GH);
    assert_eq!(
        codes(&co2),
        [
            (1, Code::CharacterRangeUnsupported),
            (2, Code::CharacterRangeUnsupported)
        ]
    );
    let d = &co2.diagnostics()[0];
    assert_eq!(
        (d.column, d.end_column, d.severity),
        (3, 4, Severity::Warning)
    );
    assert!(!co2.owners_of("a.c").is_matched());
    assert!(co2.owners_of("a.[ch]").is_owned());
    assert!(co2.owners_of("apps/[param]/file.ts").is_owned());
    assert!(!co2.owners_of("apps/p/file.ts").is_matched());
    // (`x` on the first line of `co` is an invalid owner.)
    assert!(co.has_errors());
}

/// Syntax exceptions: "Escaping a pattern starting with `#` using `\` so it is treated as a
/// pattern and not a comment" does not work.
#[test]
fn escaped_hash_is_unsupported() {
    let co = parse("\\#notes.txt @a\n# a comment @b\n", GH);
    assert_eq!(codes(&co), [(1, Code::EscapedHashUnsupported)]);
    assert_eq!(co.rules().len(), 1);
    assert!(!co.rules()[0].active);
    assert!(!co.owners_of("#notes.txt").is_matched());
}

/// The example's `*.js @js-owner #This is an inline comment.`: a `#` preceded by whitespace
/// starts a comment; elsewhere it is an ordinary character.
#[test]
fn inline_comments() {
    let co = parse(
        "*.js @a #comment @b\nfoo#bar @c # x\n*.rs # only a comment\n",
        GH,
    );
    assert!(co.diagnostics().is_empty(), "{:?}", co.diagnostics());
    assert_eq!(owners(&co, "x.js"), ["@a"]);
    assert_eq!(co.rules()[1].pattern, "foo#bar");
    assert_eq!(owners(&co, "foo#bar"), ["@c"]);
    assert!(co.rules()[2].owners.is_empty());
}

/// gitignore: "Put a backslash in front of the first hash for patterns that begin with a hash" is
/// out, but escaping works for spaces and wildcards: `\ ` keeps a space in the pattern, `\*` is a
/// literal star.
#[test]
fn escapes_in_patterns() {
    let co = parse("path\\ with\\ spaces/ @space\nf\\*o @star\n", GH);
    assert!(co.diagnostics().is_empty());
    assert_eq!(co.rules()[0].pattern, "path\\ with\\ spaces/");
    assert_eq!(owners(&co, "path with spaces/a.md"), ["@space"]);
    assert!(co.owners_of("f*o").is_owned());
    assert!(!co.owners_of("foo").is_matched());
}

/// "The pattern is followed by one or more GitHub usernames or team names using the standard
/// `@username` or `@org/team-name` format ... You can also refer to a user by an email address":
/// anything else is invalid syntax, reported with its columns, and the line is skipped.
#[test]
fn owner_syntax_diagnostics() {
    let co = parse(
        "*.md @ok team @ @org/ @@dev\n*.rs\t@a\t@org/team x@y.io\n",
        GH,
    );
    let bad: Vec<(usize, usize, usize)> = co
        .diagnostics()
        .iter()
        .map(|d| (d.line, d.column, d.end_column))
        .collect();
    assert_eq!(bad, [(1, 10, 14), (1, 15, 16), (1, 17, 22), (1, 23, 28)]);
    assert!(co
        .diagnostics()
        .iter()
        .all(|d| d.code == Code::InvalidOwner && d.severity == Severity::Error));
    assert!(!co.rules()[0].active);
    assert_eq!(co.rules()[0].owners.len(), 1);
    let kinds: Vec<(OwnerKind, usize)> = co.rules()[1]
        .owners
        .iter()
        .map(|o| (o.kind, o.column))
        .collect();
    assert_eq!(
        kinds,
        [
            (OwnerKind::User, 6),
            (OwnerKind::Team, 9),
            (OwnerKind::Email, 19)
        ]
    );
}

/// "CODEOWNERS files must be under 3 MB in size. A CODEOWNERS file over this limit will not be
/// loaded."
#[test]
fn file_size_limit() {
    assert_eq!(MAX_GITHUB_BYTES, 3 * 1024 * 1024);
    let d = Diagnostic::file_too_large(4_000_000);
    assert_eq!(d.code, Code::FileTooLarge);
    assert_eq!(d.severity, Severity::Error);
    let line = "/some/long/path/to/a/directory/ @org/team-with-a-name\n";
    let text = line.repeat(MAX_GITHUB_BYTES / line.len() + 1);
    let co = parse(&text, GH);
    assert_eq!(co.diagnostics()[0].code, Code::FileTooLarge);
    let small = parse(&line.repeat(10), GH);
    assert!(small
        .diagnostics()
        .iter()
        .all(|d| d.code != Code::FileTooLarge));
}

/// "To use a CODEOWNERS file, create a new file called CODEOWNERS in the .github/, root, or docs/
/// directory ... GitHub will search for them in that order and use the first one it finds."
#[test]
fn locations_in_order() {
    assert_eq!(
        locations(GH),
        [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]
    );
    let tree = [
        "docs/CODEOWNERS",
        "src/CODEOWNERS",
        "CODEOWNERS",
        "README.md",
    ];
    let c = choose_location(GH, &tree);
    assert_eq!(c.effective, Some("CODEOWNERS"));
    assert_eq!(c.ignored, ["docs/CODEOWNERS"]);
    assert_eq!(c.unsupported, ["src/CODEOWNERS"]);
    let c = choose_location(GH, &[".github/CODEOWNERS", ".gitlab/CODEOWNERS"]);
    assert_eq!(c.effective, Some(".github/CODEOWNERS"));
    assert_eq!(c.unsupported, [".gitlab/CODEOWNERS"]);
    assert_eq!(choose_location(GH, &["codeowners"]).effective, None);
}

/// "the last matching pattern takes the most precedence": an identical earlier pattern never
/// applies, which is reported, and `rule_usage` shows it overridden.
#[test]
fn duplicate_patterns_are_reported() {
    let co = parse("/apps/ @octocat\n/apps/github\n/apps/ @octocat\n", GH);
    assert_eq!(codes(&co), [(3, Code::DuplicatePattern)]);
    let usage = co.rule_usage(&["apps/x", "apps/github/y", "lib/z"]);
    // Line 1 never decides; line 2 is overridden by line 3 too, for the one path it matches.
    assert_eq!(usage.overridden(), [0, 1]);
    assert_eq!(usage.stats()[0].overridden_by, [2]);
    assert_eq!(usage.stats()[2].decided, 2);
    assert_eq!(usage.stats()[1].matched, 1);
    assert_eq!(usage.stats()[1].decided, 0);
    assert_eq!(usage.unmatched(), Vec::<usize>::new());
}
