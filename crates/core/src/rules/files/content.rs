use serde::Deserialize;

use super::shorten;
use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::options::{at_string, compile_globs, take_entries};
use crate::policy::{compile_regex, Origin, Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::{LineIndex, Span};

declare_rule! {
    id: "files/content",
    summary: "File contents match (or do not match) regular expressions",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [{
        name: "checks",
        kind: "array of tables { files = [globs], must-match?, must-not-match?, message?, help? }",
        help: "Each check applies to the files its `files` globs match, and needs at least one \
               of `must-match` and `must-not-match` (regular expressions in Rust syntax, \
               multi-line mode: `^` and `$` match at the start and end of every line). `message` replaces the \
               generated message; `help` says how to fix. Default: none.",
    }],
    what: "For each entry of `checks` and each file its `files` globs match: with \
           `must-match`, a file in which the expression matches nowhere is reported at the \
           file; with `must-not-match`, every match is reported at its exact line and \
           column. Files that are not valid UTF-8 are scanned too (as bytes). At most 100 \
           findings are reported per file, then one that counts the rest.",
    why: "Some conventions live inside files: a licence header on every source file, no \
          `TODO` without a ticket, no `http://` URL in configuration, no internal host \
          name in public code. A regular expression states them once for every \
          repository.",
    example: "```toml\n[rules.\"files/content\"]\nchecks = [\n  { files = [\"**/*.rs\"], \
              must-match = '^// SPDX-License-Identifier: ', message = \"missing SPDX \
              header\" },\n  { files = [\"**/*.yml\"], must-not-match = 'http://[^\\s\"]+' \
              },\n]\n```\nA `src/main.rs` without the header is reported at the file; a \
              workflow containing `http://example.com` is reported at that URL.",
    fix: "Change the file so it complies, or narrow the check's `files` globs if the \
          file should not be held to it. A single occurrence can be waived.",
}

/// Findings reported per file before the rest are summed up in one.
const MAX_PER_FILE: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    files: Vec<String>,
    must_match: Option<String>,
    must_not_match: Option<String>,
    message: Option<String>,
    help: Option<String>,
}

struct Pattern {
    source: String,
    regex: regex::bytes::Regex,
}

struct Check {
    globs: GlobList,
    must_match: Option<Pattern>,
    must_not_match: Option<Pattern>,
    message: Option<String>,
    help: Option<String>,
}

struct Content {
    checks: Vec<Check>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut checks = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "checks")? {
        if entry.must_match.is_none() && entry.must_not_match.is_none() {
            return Err(origin.error(
                "a `checks` entry needs `must-match`, `must-not-match` or both".to_owned(),
            ));
        }
        if entry.files.is_empty() {
            return Err(origin.error("a `checks` entry has an empty `files`".to_owned()));
        }
        let compile = |pattern: Option<String>| -> Result<Option<Pattern>, PolicyError> {
            pattern
                .map(|source| {
                    compile_bytes(&source, &at_string(&origin, &source))
                        .map(|regex| Pattern { source, regex })
                })
                .transpose()
        };
        checks.push(Check {
            globs: compile_globs(&entry.files, &origin)?,
            must_match: compile(entry.must_match)?,
            must_not_match: compile(entry.must_not_match)?,
            message: entry.message,
            help: entry.help,
        });
    }
    Ok(Box::new(Content { checks }))
}

/// The policy's regex over bytes, so files that are not UTF-8 are scanned too. Compiled as text
/// first, so the errors (and the accepted syntax) are those of every other regex option.
fn compile_bytes(pattern: &str, origin: &Origin) -> Result<regex::bytes::Regex, PolicyError> {
    compile_regex(pattern, origin)?;
    regex::bytes::RegexBuilder::new(pattern)
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| origin.error(format!("invalid regex `{pattern}`: {e}")))
}

impl Rule for Content {
    fn wants(&self) -> Vec<String> {
        let mut globs: Vec<String> = self
            .checks
            .iter()
            .flat_map(|c| c.globs.patterns())
            // Globs match repository-relative paths: `/src/*.rs` is `src/*.rs`.
            .map(|p| p.trim_start_matches('/').to_owned())
            .collect();
        globs.sort();
        globs.dedup();
        globs
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for file in cx.wanted() {
            let checks: Vec<&Check> = self
                .checks
                .iter()
                .filter(|c| c.globs.is_match(&file.path))
                .collect();
            if checks.is_empty() {
                continue;
            }
            // Unreadable files are reported by the engine (policy/unread-file).
            let Ok(bytes) = cx.read(file) else { continue };
            let mut found = FileFindings::new(&file.path, &bytes);
            for check in checks {
                check.apply(&mut found);
            }
            found.finish(out);
        }
    }
}

impl Check {
    fn apply(&self, found: &mut FileFindings<'_>) {
        if let Some(pattern) = &self.must_match {
            if !pattern.regex.is_match(found.bytes) {
                let message = self.message.clone().unwrap_or_else(|| {
                    format!("no line matches the required pattern `{}`", pattern.source)
                });
                let v = Violation::file(found.path, message)
                    .key(format!("must-match {}", pattern.source));
                found.push(
                    self.with_help(v, || format!("add content matching `{}`", pattern.source)),
                );
            }
        }
        if let Some(pattern) = &self.must_not_match {
            for m in pattern.regex.find_iter(found.bytes) {
                if found.full() {
                    found.more += 1;
                    continue;
                }
                let text = String::from_utf8_lossy(m.as_bytes());
                let first_line = text.lines().next().unwrap_or_default();
                let message = self.message.clone().unwrap_or_else(|| {
                    format!(
                        "`{}` matches the forbidden pattern `{}`",
                        shorten(first_line, 60),
                        pattern.source
                    )
                });
                let span = found.span(m.start(), m.end());
                let v = Violation::file(found.path, message)
                    .span(span)
                    .key(format!("must-not-match {}: {text}", pattern.source));
                found.push(self.with_help(v, || {
                    format!("remove or rewrite the text matching `{}`", pattern.source)
                }));
            }
        }
    }

    fn with_help(&self, v: Violation, default: impl FnOnce() -> String) -> Violation {
        let help = self.help.clone().unwrap_or_else(default);
        v.help(help)
    }
}

/// The findings of one file, capped.
struct FileFindings<'a> {
    path: &'a str,
    bytes: &'a [u8],
    /// The text, when the file is UTF-8.
    index: Option<LineIndex<'a>>,
    found: Vec<Violation>,
    more: usize,
}

impl<'a> FileFindings<'a> {
    fn new(path: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            path,
            bytes,
            index: std::str::from_utf8(bytes).ok().map(LineIndex::new),
            found: Vec::new(),
            more: 0,
        }
    }

    fn full(&self) -> bool {
        self.found.len() >= MAX_PER_FILE
    }

    fn push(&mut self, v: Violation) {
        if self.full() {
            self.more += 1;
        } else {
            self.found.push(v);
        }
    }

    /// The span of a byte range. In a file that is not UTF-8, lines and columns are those of
    /// its lossy decoding (each invalid sequence is one character); byte offsets are the file's.
    fn span(&self, start: usize, end: usize) -> Span {
        if let Some(index) = &self.index {
            return index.span(start, end);
        }
        let (line, column) = byte_position(self.bytes, start);
        let (end_line, end_column) = byte_position(self.bytes, end);
        Span {
            line,
            column,
            end_line,
            end_column,
            start_byte: start,
            end_byte: end,
        }
    }

    fn finish(self, out: &mut Vec<Violation>) {
        out.extend(self.found);
        if self.more > 0 {
            out.push(
                Violation::file(
                    self.path,
                    format!(
                        "…and {} more findings in this file (only the first {MAX_PER_FILE} are \
                         reported)",
                        self.more
                    ),
                )
                .key("more findings"),
            );
        }
    }
}

/// The 1-based line and column of a byte offset in bytes that may not be UTF-8.
fn byte_position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    (to_u32(line), to_u32(column))
}

#[cfg(test)]
mod tests {
    use crate::snapshot::MemorySnapshot;
    use crate::testing::{check, check_snapshot, policy_error};

    const POLICY: &str = r#"
[rules."files/content"]
checks = [
  { files = ["**/*.rs"], must-match = '^// SPDX-License-Identifier: ', message = "missing SPDX header", help = "add the header" },
  { files = ["**/*.yml", "**/*.txt"], must-not-match = 'http://[^\s"]+' },
]
"#;

    fn positions(findings: &[crate::Finding]) -> Vec<(&str, u32, u32, u32, u32, &str)> {
        findings
            .iter()
            .map(|f| {
                let s = f.span.expect("span");
                (
                    f.path.as_deref().unwrap(),
                    s.line,
                    s.column,
                    s.end_line,
                    s.end_column,
                    f.message.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn must_match_reports_the_file() {
        let findings = check(
            POLICY,
            &[
                ("src/lib.rs", "// SPDX-License-Identifier: MIT\nfn x() {}\n"),
                (
                    "src/main.rs",
                    "fn main() {}\n// SPDX-License-Identifier is below\n",
                ),
            ],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some("src/main.rs"));
        assert_eq!(findings[0].message, "missing SPDX header");
        assert_eq!(findings[0].help.as_deref(), Some("add the header"));
        assert_eq!(findings[0].span, None);
        assert_eq!(findings[0].level, crate::Level::Error);
    }

    #[test]
    fn must_not_match_reports_every_match_with_its_span() {
        let findings = check(
            POLICY,
            &[(
                ".github/ci.yml",
                "on: push\nurl: http://a.example\n# é http://b.example/x \n",
            )],
        );
        assert_eq!(
            positions(&findings),
            [
                (
                    ".github/ci.yml",
                    2,
                    6,
                    2,
                    22,
                    "`http://a.example` matches the forbidden pattern `http://[^\\s\"]+`"
                ),
                (
                    ".github/ci.yml",
                    3,
                    5,
                    3,
                    23,
                    "`http://b.example/x` matches the forbidden pattern `http://[^\\s\"]+`"
                ),
            ]
        );
        // Byte offsets are the file's: "é" is two bytes.
        assert_eq!(findings[1].span.map(|s| s.start_byte), Some(36));
    }

    #[test]
    fn fingerprints_do_not_depend_on_lines() {
        let a = check(POLICY, &[("a.txt", "http://x\n")]);
        let b = check(POLICY, &[("a.txt", "\n\nhttp://x\n")]);
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[0].span, b[0].span);
    }

    #[test]
    fn files_that_are_not_utf8_are_scanned() {
        let snapshot = MemorySnapshot::new()
            .with_file("bin.txt", b"\xff\xfe ok\n\xc3 http://x.example\n".to_vec())
            .with_file(
                "src/blob.rs",
                b"\xff// SPDX-License-Identifier: MIT\n".to_vec(),
            );
        let findings = check_snapshot(POLICY, &snapshot);
        let s = findings[0].span.unwrap();
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some("bin.txt"));
        // Line 2 is `\xc3 http...`: the invalid byte is one character, so the URL is column 3.
        assert_eq!((s.line, s.column, s.end_line, s.end_column), (2, 3, 2, 19));
        assert_eq!((s.start_byte, s.end_byte), (8, 24));
        assert_eq!(
            findings[0].message,
            "`http://x.example` matches the forbidden pattern `http://[^\\s\"]+`"
        );
        // `^` matches after the newline only: the header is not at a line start.
        assert_eq!(findings[1].path.as_deref(), Some("src/blob.rs"));
        assert_eq!(findings[1].message, "missing SPDX header");
    }

    #[test]
    fn findings_are_capped_per_file() {
        let text = "http://x\n".repeat(130);
        let findings = check(POLICY, &[("many.txt", text.as_str())]);
        assert_eq!(findings.len(), 101);
        let last = findings.iter().find(|f| f.span.is_none()).unwrap();
        assert_eq!(
            last.message,
            "…and 30 more findings in this file (only the first 100 are reported)"
        );
    }

    #[test]
    fn rooted_globs_are_read_too() {
        let policy = "[rules.\"files/content\"]\nchecks = [{ files = [\"/src/*.txt\"], must-not-match = \"x\" }]\n";
        let findings = check(policy, &[("src/a.txt", "x")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
    }

    #[test]
    fn clean_files_have_no_findings() {
        let findings = check(
            POLICY,
            &[
                ("src/lib.rs", "// SPDX-License-Identifier: MIT\n"),
                ("ci.yml", "url: https://a.example\n"),
                ("other.md", "http://ignored.example\n"),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn a_check_without_a_regex_is_a_policy_error_at_the_check() {
        let err = policy_error(
            "[rules.\"files/content\"]\nchecks = [\n  { files = [\"a\"], must-match = \"x\" },\n  { files = [\"b\"], message = \"m\" },\n]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((4, 3)),
            "{err}"
        );
        assert!(
            err.message.contains("needs `must-match`, `must-not-match`"),
            "{err}"
        );
    }

    #[test]
    fn bad_regexes_and_globs_are_policy_errors_at_their_position() {
        let err = policy_error(
            "[rules.\"files/content\"]\nchecks = [{ files = [\"a\"], must-not-match = 'a(b' }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 46)),
            "{err}"
        );
        assert!(err.message.starts_with("invalid regex `a(b`"), "{err}");
        let err = policy_error(
            "[rules.\"files/content\"]\nchecks = [{ files = [\"a\", \"b[\"], must-match = \"x\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 28)),
            "{err}"
        );
    }
}
