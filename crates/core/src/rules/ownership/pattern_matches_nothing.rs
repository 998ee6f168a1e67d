use std::collections::HashMap;

use goldpath_codeowners::DiagnosticCode;

use super::{analysis, pattern_text, push_capped_with, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/pattern-matches-nothing",
    summary: "Every CODEOWNERS pattern matches at least one file of the repository",
    level: Warning,
    tier: Gold,
    scope: Repository { path_list: true },
    rule: PatternMatchesNothing,
    what: "Each active line of the effective CODEOWNERS file (GitLab exclusions included) \
           matches at least one file of the snapshot (paths under `[settings] exclude` \
           and the vendored and generated files goldpath skips count: they exist, and \
           `/vendor/ @acme/deps` is not dead). A line that matches none is reported at its pattern; when \
           the pattern can never match any file (`/` on GitHub, an unclosed `[` on \
           GitLab) the message says so. Lines the platform skips are \
           `ownership/codeowners-syntax`'s. \
           At most 200 are reported one by one; one more finding counts the rest. When matching the file against the tree takes more pattern checks than the limit of \
           CODEOWNERS work (100,000,000, see docs/limits.md) the tree is not matched and one \
           finding on the CODEOWNERS file names the limit instead.",
    why: "A pattern that matches nothing is usually a directory that moved or a typo \
          (`/scr/`, `*.tsx` in a repository of `.ts` files): the files it was meant for \
          have other owners, or none, and the line misleads whoever reads it.",
    example: "`/legacy/ @acme/old-team` in a repository without a `legacy` directory is \
              reported at `/legacy/`.",
    fix: "Fix the pattern so it names the files it is meant for, or delete the line.",
}

impl Rule for PatternMatchesNothing {
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
        let never: HashMap<usize, &str> = file
            .diagnostics()
            .filter(|d| d.code == DiagnosticCode::PatternMatchesNothing)
            .map(|d| (d.line, d.message.as_str()))
            .collect();
        let dead = rules
            .rules()
            .iter()
            .zip(stats.iter())
            .filter(|(_, s)| s.active && s.matched == 0)
            .map(|(rule, _)| rule);
        push_capped_with(
            &file.path,
            dead,
            |rule| {
                let text = pattern_text(rule);
                let message = match never.get(&rule.line) {
                    Some(why) => format!("{why}, whatever the repository holds"),
                    None if rule.exclusion => {
                        format!("the exclusion `{text}` matches no file of the repository")
                    }
                    None => format!("`{text}` matches no file of the repository"),
                };
                let section = rules
                    .section_of(rule)
                    .map(|s| format!("[{}] ", s.name))
                    .unwrap_or_default();
                Violation::file(&file.path, message)
                    .span(file.span(rule.line, rule.column, rule.end_column))
                    .key(format!("{section}{text}"))
            },
            sink,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/pattern-matches-nothing\"]\n";

    #[test]
    fn reports_patterns_that_match_no_file() {
        let text = "* @all\n/legacy/ @old\n*.tsx @web\n/ @root\n!x @a\n";
        let files = [(".github/CODEOWNERS", text), ("src/a.ts", "")];
        let findings = check(POLICY, &files);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, e)| (l, c, e))
            .collect();
        // Line 5 is skipped by GitHub (negation): codeowners-syntax reports it.
        assert_eq!(got, [(2, 1, 9), (3, 1, 6), (4, 1, 2)], "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "`/legacy/` matches no file of the repository"
        );
        assert!(
            findings[2]
                .message
                .ends_with("whatever the repository holds"),
            "{}",
            findings[2].message
        );
    }

    #[test]
    fn a_pattern_for_skipped_vendored_files_matches() {
        let text = "/vendor/ @deps\n/web/node_modules/ @web\n*.pb.go @gen\n/gone/ @x\n";
        let files = [
            ("CODEOWNERS", text),
            (".gitattributes", "*.pb.go linguist-generated\n"),
            ("vendor/a.c", ""),
            ("web/node_modules/p/i.js", ""),
            ("api/a.pb.go", ""),
        ];
        let findings = check(POLICY, &files);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "`/gone/` matches no file of the repository"
        );
    }

    #[test]
    fn the_summary_of_findings_past_the_cap_sorts_after_them() {
        let mut text = String::from("* @all\n");
        for i in 0..242 {
            text.push_str(&format!("/gone{i}/ @old\n"));
        }
        let findings = check(POLICY, &[(".github/CODEOWNERS", text.as_str()), ("a", "")]);
        assert_eq!(findings.len(), 201, "{}", findings.len());
        let last = &findings[200];
        assert_eq!(
            last.message,
            "…and 42 more findings of this rule in this file, from here on (only the first 200 \
             are reported)"
        );
        // At the first pattern it counts (line 202), after the 200 reported (lines 2..=201).
        assert_eq!(last.span.map(|s| s.line), Some(202));
        assert!(findings[..200]
            .iter()
            .all(|f| f.message.ends_with("matches no file of the repository")));
        assert_eq!(findings[199].span.map(|s| s.line), Some(201));
    }

    #[test]
    fn excluded_paths_still_count_and_gitlab_exclusions_are_judged() {
        let policy =
            format!("[settings]\nplatform = \"gitlab\"\nexclude = [\"vendor/**\"]\n{POLICY}");
        let text = "/vendor/ @v\n[S] @s\n!/gone/\n";
        let findings = check(&policy, &[("CODEOWNERS", text), ("vendor/a.c", "")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "the exclusion `!/gone/` matches no file of the repository"
        );
    }
}
