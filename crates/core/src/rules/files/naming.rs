use std::collections::HashSet;

use serde::Deserialize;

use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::options::{at_string, compile_globs, take_entries};
use crate::policy::{compile_regex, Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "files/naming",
    summary: "File and directory names follow naming conventions (kebab-case, snake_case, ...)",
    level: Warning,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [{
        name: "conventions",
        kind: "array of tables { files = [globs], style, pattern?, part?, message? }",
        help: "Each convention applies to the files its `files` globs match; the first \
               convention that matches a file is the one it is held to. `style` is one of \
               `kebab-case`, `snake_case`, `camelCase`, `PascalCase`, `SCREAMING_SNAKE_CASE`, \
               `lowercase` (no uppercase letter) or `regex`, which needs `pattern` (a regular \
               expression that must match the whole part). `part` is what is judged: `stem` \
               (default: the name before its first dot, a leading dot ignored, so \
               `.eslintrc.js` has stem `eslintrc`), `name` (the whole file name) or `dirs` \
               (every directory of the path, a leading dot ignored). `message` replaces the \
               generated message; the offending name is appended. Default: none.",
    }],
    what: "For each file, the first entry of `conventions` whose globs match it: the part \
           of its path the entry names must follow the entry's style. Digits count as \
           lowercase in kebab-case, snake_case and lowercase, and as part of a word \
           elsewhere (`v2-api` is kebab-case, `Base64Codec` PascalCase). A directory is \
           reported once, at the first file under it. A path that is not valid UTF-8 is \
           reported whenever any convention is configured.",
    why: "Consistent names make files predictable to find and to import, and avoid \
          case-only differences that break checkouts on case-insensitive file systems \
          (macOS, Windows).",
    example: "```toml\n[rules.\"files/naming\"]\nconventions = [\n  { files = \
              [\"src/components/**/*.tsx\"], style = \"PascalCase\" },\n  { files = \
              [\"src/**\"], style = \"kebab-case\" },\n]\n```\n`src/components/Button.tsx` \
              and `src/api/v2-client.ts` pass; `src/api/httpClient.ts` is reported: file \
              name stem `httpClient` is not kebab-case.",
    fix: "Rename the file or directory (`git mv`), and update what refers to it. If a \
          group of files follows another convention on purpose, add an entry for it \
          before the general one.",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    files: Vec<String>,
    style: String,
    pattern: Option<String>,
    part: Option<String>,
    message: Option<String>,
}

enum Style {
    Kebab,
    Snake,
    Camel,
    Pascal,
    ScreamingSnake,
    Lower,
    Regex { source: String, regex: regex::Regex },
}

const STYLES: [(&str, Style); 6] = [
    ("kebab-case", Style::Kebab),
    ("snake_case", Style::Snake),
    ("camelCase", Style::Camel),
    ("PascalCase", Style::Pascal),
    ("SCREAMING_SNAKE_CASE", Style::ScreamingSnake),
    ("lowercase", Style::Lower),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Stem,
    Name,
    Dirs,
}

struct Convention {
    globs: GlobList,
    style: Style,
    part: Part,
    message: Option<String>,
}

struct Naming {
    conventions: Vec<Convention>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut conventions = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "conventions")? {
        if entry.files.is_empty() {
            return Err(origin.error("a `conventions` entry has an empty `files`".to_owned()));
        }
        let globs = compile_globs(&entry.files, &origin)?;
        let style = match (entry.style.as_str(), entry.pattern) {
            ("regex", Some(pattern)) => {
                let at = at_string(&origin, &pattern);
                compile_regex(&pattern, &at)?;
                let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| at.error(format!("invalid regex `{pattern}`: {e}")))?;
                Style::Regex {
                    source: pattern,
                    regex,
                }
            }
            ("regex", None) => {
                return Err(at_string(&origin, "regex")
                    .error("style \"regex\" needs a `pattern`".to_owned()));
            }
            (name, pattern) => {
                let Some((_, style)) = STYLES.into_iter().find(|(known, _)| *known == name) else {
                    return Err(at_string(&origin, name).error(format!(
                        "unknown style `{name}`: expected kebab-case, snake_case, camelCase, \
                         PascalCase, SCREAMING_SNAKE_CASE, lowercase or regex"
                    )));
                };
                if let Some(pattern) = pattern {
                    return Err(at_string(&origin, &pattern).error(format!(
                        "`pattern` is only used with style = \"regex\", not `{name}`"
                    )));
                }
                style
            }
        };
        let part = match entry.part.as_deref() {
            None | Some("stem") => Part::Stem,
            Some("name") => Part::Name,
            Some("dirs") => Part::Dirs,
            Some(other) => {
                return Err(at_string(&origin, other).error(format!(
                    "unknown part `{other}`: expected stem, name or dirs"
                )));
            }
        };
        conventions.push(Convention {
            globs,
            style,
            part,
            message: entry.message,
        });
    }
    Ok(Box::new(Naming { conventions }))
}

/// Segments separated by `sep`, none empty, every character accepted by `ok`.
fn separated(s: &str, sep: char, ok: fn(char) -> bool) -> bool {
    s.split(sep).all(|w| !w.is_empty() && w.chars().all(ok))
}

fn is_lower_or_digit(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn is_upper_or_digit(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

impl Style {
    fn accepts(&self, s: &str) -> bool {
        let mut chars = s.chars();
        let first = chars.next();
        let rest_alnum = || s.chars().skip(1).all(|c| c.is_ascii_alphanumeric());
        match self {
            Style::Kebab => separated(s, '-', is_lower_or_digit),
            Style::Snake => separated(s, '_', is_lower_or_digit),
            Style::ScreamingSnake => separated(s, '_', is_upper_or_digit),
            Style::Camel => first.is_some_and(|c| c.is_ascii_lowercase()) && rest_alnum(),
            Style::Pascal => first.is_some_and(|c| c.is_ascii_uppercase()) && rest_alnum(),
            Style::Lower => !s.chars().any(char::is_uppercase),
            Style::Regex { regex, .. } => regex.is_match(s),
        }
    }

    /// "is not kebab-case", "does not match `^x$`".
    fn complaint(&self) -> String {
        let name = match self {
            Style::Kebab => "kebab-case",
            Style::Snake => "snake_case",
            Style::Camel => "camelCase",
            Style::Pascal => "PascalCase",
            Style::ScreamingSnake => "SCREAMING_SNAKE_CASE",
            Style::Lower => "lowercase",
            Style::Regex { source, .. } => return format!("does not match `{source}`"),
        };
        format!("is not {name}")
    }
}

/// The name before its first dot, a leading dot ignored: `.eslintrc.js` → `eslintrc`.
fn stem(name: &str) -> &str {
    let name = name.strip_prefix('.').unwrap_or(name);
    name.split('.').next().unwrap_or(name)
}

impl Convention {
    fn violation(&self, path: &str, subject: &str, value: &str) -> Violation {
        let message = match &self.message {
            Some(message) => format!("{message} (`{value}`)"),
            None => format!("{subject} `{value}` {}", self.style.complaint()),
        };
        Violation::file(path, message).help("rename it with `git mv`")
    }
}

impl Rule for Naming {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if self.conventions.is_empty() {
            return;
        }
        let mut reported_dirs = HashSet::new();
        for file in cx.files() {
            let path = file.path.as_str();
            if file.path_is_lossy {
                out.push(
                    Violation::file(path, "path is not valid UTF-8")
                        .help("rename it with a UTF-8 name: other tools and platforms cannot show or check it")
                        .key("not utf-8"),
                );
                continue;
            }
            let Some(convention) = self.conventions.iter().find(|c| c.globs.is_match(path)) else {
                continue;
            };
            let (dirs, name) = match path.rsplit_once('/') {
                Some((dirs, name)) => (Some(dirs), name),
                None => (None, path),
            };
            match convention.part {
                Part::Stem => {
                    let stem = stem(name);
                    if !stem.is_empty() && !convention.style.accepts(stem) {
                        let v = convention.violation(path, "file name stem", stem);
                        out.push(v.key(format!("stem {stem}")));
                    }
                }
                Part::Name => {
                    if !convention.style.accepts(name) {
                        let v = convention.violation(path, "file name", name);
                        out.push(v.key(format!("name {name}")));
                    }
                }
                Part::Dirs => {
                    let Some(dirs) = dirs else { continue };
                    let mut end = 0;
                    for segment in dirs.split('/') {
                        end += segment.len();
                        let dir = &dirs[..end];
                        end += 1;
                        let judged = segment.strip_prefix('.').unwrap_or(segment);
                        if judged.is_empty() || convention.style.accepts(judged) {
                            continue;
                        }
                        if reported_dirs.insert(dir.to_owned()) {
                            let v = convention.violation(path, "directory", dir);
                            out.push(v.key(dir));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io;
    use std::path::Path;

    use super::{stem, Style};
    use crate::engine::Engine;
    use crate::policy::{FsReader, Policy};
    use crate::registry::Registry;
    use crate::snapshot::{FileEntry, FileMode, Snapshot, SourceKind};
    use crate::testing::{check, policy_error};

    fn got(findings: &[crate::Finding]) -> Vec<(&str, &str)> {
        findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap(), f.message.as_str()))
            .collect()
    }

    #[test]
    fn styles_accept_what_their_names_say() {
        let cases: [(Style, &[&str], &[&str]); 6] = [
            (
                Style::Kebab,
                &["a", "v2-api", "x-1"],
                &["A", "a--b", "-a", "a_b", "aB"],
            ),
            (
                Style::Snake,
                &["a_b", "v2_api"],
                &["a-b", "a__b", "A_b", "_a"],
            ),
            (
                Style::Camel,
                &["fooBar", "base64Codec", "x"],
                &["FooBar", "foo_bar", "2fa"],
            ),
            (
                Style::Pascal,
                &["FooBar", "Base64Codec", "X"],
                &["fooBar", "Foo-Bar"],
            ),
            (
                Style::ScreamingSnake,
                &["README", "CODE_OF_CONDUCT", "V2"],
                &["Readme", "A-B"],
            ),
            (Style::Lower, &["foo-bar_baz", "v2"], &["Foo"]),
        ];
        for (style, good, bad) in cases {
            for name in good {
                assert!(
                    style.accepts(name),
                    "{} should accept {name}",
                    style.complaint()
                );
            }
            for name in bad {
                assert!(
                    !style.accepts(name),
                    "{} should reject {name}",
                    style.complaint()
                );
            }
        }
    }

    #[test]
    fn stems_ignore_a_leading_dot() {
        assert_eq!(stem(".eslintrc.js"), "eslintrc");
        assert_eq!(stem("foo.test.ts"), "foo");
        assert_eq!(stem("Makefile"), "Makefile");
        assert_eq!(stem(".env"), "env");
    }

    const POLICY: &str = r#"
[rules."files/naming"]
conventions = [
  { files = ["src/components/**/*.tsx"], style = "PascalCase" },
  { files = ["src/**"], style = "kebab-case" },
  { files = ["docs/**"], style = "regex", pattern = '[a-z0-9-]+\.md', part = "name", message = "docs are lowercase Markdown" },
  { files = ["pkg/**"], style = "snake_case", part = "dirs" },
]
"#;

    #[test]
    fn reports_the_first_matching_convention() {
        let findings = check(
            POLICY,
            &[
                ("src/components/Button.tsx", ""),
                ("src/components/button.tsx", ""),
                ("src/api/v2-client.ts", ""),
                ("src/api/httpClient.ts", ""),
                ("src/.eslintrc.js", ""),
                ("docs/intro.md", ""),
                ("docs/Guide.MD", ""),
                ("README.md", ""),
            ],
        );
        assert_eq!(
            got(&findings),
            [
                ("docs/Guide.MD", "docs are lowercase Markdown (`Guide.MD`)"),
                (
                    "src/api/httpClient.ts",
                    "file name stem `httpClient` is not kebab-case"
                ),
                (
                    "src/components/button.tsx",
                    "file name stem `button` is not PascalCase"
                ),
            ]
        );
        assert!(findings.iter().all(|f| f.level == crate::Level::Warning));
        assert!(findings.iter().all(|f| f.tier == crate::Tier::Bronze));
    }

    #[test]
    fn directories_are_reported_once_at_the_first_file() {
        let findings = check(
            POLICY,
            &[
                ("pkg/Core/a.go", ""),
                ("pkg/Core/b.go", ""),
                ("pkg/Core/Sub-Dir/c.go", ""),
                ("pkg/net_http/.hidden_dir/d.go", ""),
                ("pkg/File-Name.go", ""),
            ],
        );
        // Paths sort `Sub-Dir/` before `a.go`: that file is the first found under both.
        assert_eq!(
            got(&findings),
            [
                (
                    "pkg/Core/Sub-Dir/c.go",
                    "directory `pkg/Core/Sub-Dir` is not snake_case"
                ),
                (
                    "pkg/Core/Sub-Dir/c.go",
                    "directory `pkg/Core` is not snake_case"
                ),
            ]
        );
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
    }

    #[test]
    fn clean_repository_has_no_findings() {
        let findings = check(POLICY, &[("src/a-b/c-d.ts", ""), ("pkg/ok_dir/X.go", "")]);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    struct Lossy(Vec<FileEntry>);

    impl Snapshot for Lossy {
        fn files(&self) -> &[FileEntry] {
            &self.0
        }
        fn read(&self, _: &FileEntry) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn changed(&self) -> Option<&BTreeSet<String>> {
            None
        }
        fn source(&self) -> SourceKind {
            SourceKind::Memory
        }
        fn root(&self) -> String {
            "<memory>".to_owned()
        }
    }

    #[test]
    fn paths_that_are_not_utf8_are_reported() {
        let entry = |path: &str, lossy| FileEntry {
            path: path.to_owned(),
            mode: FileMode::File,
            size: Some(0),
            key: 0,
            path_is_lossy: lossy,
        };
        let snapshot = Lossy(vec![
            entry("other/caf\u{FFFD}.txt", true),
            entry("other/ok.txt", false),
        ]);
        let policy = Policy::from_text("goldpath.toml", POLICY, Path::new("."), &FsReader).unwrap();
        let report = Engine::new(&Registry::builtin(), &policy)
            .unwrap()
            .check(&snapshot);
        assert_eq!(
            got(&report.findings),
            [("other/caf\u{FFFD}.txt", "path is not valid UTF-8")]
        );
    }

    #[test]
    fn bad_styles_parts_and_patterns_are_policy_errors_at_their_position() {
        let at = |policy: &str| {
            let err = policy_error(policy);
            (err.location.map(|l| (l.line, l.column)), err.message)
        };
        let head = "[rules.\"files/naming\"]\nconventions = [\n";
        let (pos, message) = at(&format!(
            "{head}  {{ files = [\"a\"], style = \"kebab\" }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 29)));
        assert!(message.starts_with("unknown style `kebab`"), "{message}");
        let (pos, message) = at(&format!(
            "{head}  {{ files = [\"a\"], style = \"regex\" }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 29)));
        assert_eq!(message, "style \"regex\" needs a `pattern`");
        let (pos, message) = at(&format!(
            "{head}  {{ files = [\"a\"], style = \"regex\", pattern = '(' }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 48)));
        assert!(message.starts_with("invalid regex `(`"), "{message}");
        let (pos, message) = at(&format!(
            "{head}  {{ files = [\"a\"], style = \"lowercase\", pattern = 'x' }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 52)));
        assert!(message.starts_with("`pattern` is only used"), "{message}");
        let (pos, message) = at(&format!(
            "{head}  {{ files = [\"a\"], style = \"lowercase\", part = \"dir\" }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 49)));
        assert_eq!(message, "unknown part `dir`: expected stem, name or dirs");
        let (pos, _) = at(&format!(
            "{head}  {{ files = [\"a/**\", \"[\"], style = \"lowercase\" }},\n]\n"
        ));
        assert_eq!(pos, Some((3, 23)));
    }
}
