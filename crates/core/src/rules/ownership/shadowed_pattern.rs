use std::collections::HashMap;

use super::{analysis, describe_rule, pattern_text, push_capped, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/shadowed-pattern",
    summary: "No CODEOWNERS line is overridden by later lines for every file it matches",
    level: Warning,
    tier: Gold,
    scope: Repository { path_list: true },
    rule: ShadowedPattern,
    what: "A CODEOWNERS line that matches files of the repository but decides the owners \
           of none of them, because for each such file a later line (of its section, on \
           GitLab, or a GitLab exclusion) wins, is reported at its pattern; the message \
           names the overriding lines. Every file of the snapshot counts, including paths \
           under `[settings] exclude` and the vendored and generated files goldpath \
           skips. Lines that match no file are \
           `ownership/pattern-matches-nothing`'s, and a line whose pattern is repeated \
           further down is `ownership/duplicate-pattern`'s. \
           At most 200 are reported one by one; one more finding counts the rest. When matching the file against the tree takes more pattern checks than the limit of \
           CODEOWNERS work (100,000,000, see docs/limits.md) the tree is not matched and one \
           finding on the CODEOWNERS file names the limit instead.",
    why: "The last matching line wins. A specific line placed above a broader one (`/docs/ \
          @acme/docs` above `*.md @acme/writers`) looks like it assigns owners but never \
          does: the people it names are never asked to review.",
    example: "```\n/docs/*.md @acme/docs\n*.md       @acme/writers\n```\nLine 1 is \
              reported when every file it matches is a `.md` file: line 2 decides them \
              all.",
    fix: "Move the specific line below the broader ones (CODEOWNERS is read top to bottom, \
          the last match wins), or delete it if the later owners are right.",
}

/// How many overriding lines a message names.
const NAMED: usize = 3;

impl Rule for ShadowedPattern {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, sink: &mut Vec<Violation>) {
        let Some((owners, analysis)) = analysis(cx) else {
            return;
        };
        let stats = &analysis.stats;
        let (Some(file), Some(rules)) = (&owners.file, owners.rules()) else {
            return;
        };
        if let Some(v) = analysis.limit_violation(file) {
            sink.push(v.key("codeowners-work-limit"));
            return;
        }
        // An earlier line repeated further down is `ownership/duplicate-pattern`'s.
        let mut last: HashMap<(Option<usize>, &str), usize> = HashMap::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            if rule.active {
                last.insert((rule.section, rule.pattern.as_str()), index);
            }
        }
        let mut out = Vec::new();
        for (index, (rule, s)) in rules.rules().iter().zip(stats.iter()).enumerate() {
            if !s.active || rule.exclusion || s.matched == 0 || s.decided > 0 {
                continue;
            }
            if last.get(&(rule.section, rule.pattern.as_str())) != Some(&index) {
                continue;
            }
            let mut by: Vec<String> = s
                .overridden_by
                .iter()
                .take(NAMED)
                .map(|&i| describe_rule(rules, i))
                .collect();
            if s.overridden_by.len() > NAMED {
                by.push(format!("{} more", s.overridden_by.len() - NAMED));
            }
            let files = if s.matched == 1 {
                "the 1 file it matches".to_owned()
            } else {
                format!("all {} files it matches", s.matched)
            };
            let section = rules
                .section_of(rule)
                .map(|s| format!("[{}] ", s.name))
                .unwrap_or_default();
            out.push(
                Violation::file(
                    &file.path,
                    format!(
                        "`{}` (line {}) never decides an owner: for {files}, a later line wins: {}",
                        pattern_text(rule),
                        rule.line,
                        join(&by)
                    ),
                )
                .span(file.span(rule.line, rule.column, rule.end_column))
                .help(
                    "move it below the lines that override it (the last matching line wins), or \
                     delete it",
                )
                .key(format!("{section}{}", rule.pattern)),
            );
        }
        push_capped(&file.path, out, sink);
    }
}

fn join(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/shadowed-pattern\"]\n";

    #[test]
    fn reports_a_line_every_match_of_which_a_later_line_decides() {
        let text = "/docs/*.md @docs\n*.md @writers\n/src/ @dev\n/src/a.rs @a\n";
        let files = [
            (".github/CODEOWNERS", text),
            ("docs/a.md", ""),
            ("docs/b.md", ""),
            ("src/a.rs", ""),
            ("src/b.rs", ""),
        ];
        let findings = check(POLICY, &files);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, p, l, c, e)| (p, l, c, e))
            .collect();
        assert_eq!(
            got,
            [(".github/CODEOWNERS".to_owned(), 1, 1, 11)],
            "{findings:#?}"
        );
        assert_eq!(
            findings[0].message,
            "`/docs/*.md` (line 1) never decides an owner: for all 2 files it matches, a later \
             line wins: line 2 (`*.md`)"
        );
    }

    #[test]
    fn leaves_repeated_patterns_to_duplicate_pattern() {
        let text = "/src/ @a\n*.rs @b\n/src/ @c\n";
        let findings = check(POLICY, &[("CODEOWNERS", text), ("src/x.rs", "")]);
        // Line 1 never decides (line 3 repeats it); line 2 is overridden by line 3.
        let lines: Vec<_> = findings
            .iter()
            .filter_map(|f| f.span.map(|s| s.line))
            .collect();
        assert_eq!(lines, [2], "{findings:#?}");
    }

    #[test]
    fn names_a_few_overriding_lines() {
        let text = "x.* @all\n*.a @a\n*.b @b\n*.c @c\n*.d @d\n";
        let files = [
            ("CODEOWNERS", text),
            ("x.a", ""),
            ("x.b", ""),
            ("x.c", ""),
            ("x.d", ""),
        ];
        let findings = check(POLICY, &files);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(
            findings[0].message.ends_with(
                "a later line wins: line 2 (`*.a`), line 3 (`*.b`), line 4 (`*.c`) and 1 more"
            ),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn gitlab_sections_decide_separately_and_exclusions_override() {
        let policy = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let text = "*.md @a\n[Docs]\n/docs/ @docs\n!/docs/x.md\n[Other]\n*.md @b\n";
        let files = [("CODEOWNERS", text), ("docs/x.md", "")];
        let findings = check(&policy, &files);
        let lines: Vec<_> = findings
            .iter()
            .filter_map(|f| f.span.map(|s| s.line))
            .collect();
        // `*.md` (line 1) decides the unnamed section, `*.md` (line 6) [Other]; in [Docs] the
        // exclusion wins over `/docs/`.
        assert_eq!(lines, [3], "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("exclusion `!/docs/x.md` in [Docs]"));
    }
}
