use goldpath_codeowners::DiagnosticCode;

use super::{codeowners, judged, report_diagnostics, wants, Unusable};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/codeowners-syntax",
    summary: "The CODEOWNERS file parses in the platform's dialect",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    rule: CodeownersSyntax,
    what: "The effective CODEOWNERS file is read in the platform's dialect (`[settings] \
           platform`) and every problem the parser finds is reported at its exact line and \
           columns: errors (lines the platform skips or misreads) at the rule's level, \
           warnings as warnings. On GitHub: `!` negation, a leading `\\#`, `***`, `[ ]` \
           ranges (which match themselves), a file over 3 MB (GitHub does not load it at \
           all). On GitLab: unclosed or empty section headings, bad approval counts, \
           optional sections with approvals, entries with no owners and no section \
           default, inline `#` comments (read as owners), text GitLab ignores. On both: a \
           binary file, invalid UTF-8, a byte order mark, and a file that cannot be read. \
           Owners with a bad format, duplicate patterns and patterns that match nothing \
           have rules of their own (`ownership/owner-format`, \
           `ownership/duplicate-pattern`, `ownership/pattern-matches-nothing`). \
           At most 200 are reported one by one; one more finding counts the rest.",
    why: "GitHub skips a line it cannot parse and GitLab reads some mistakes as owners: \
          either way the ownership you wrote is not the one that applies, and nothing \
          tells you until a review request goes to the wrong people or to no one.",
    example: "On GitHub, `!/docs/generated/ @acme/docs` is reported at column 1 \
              (negation is not supported, the line is skipped); on GitLab, `*.md @docs # \
              docs team` is reported at the `#` (GitLab has no inline comments).",
    fix: "Fix the line at the reported position, in the platform's syntax: GitHub supports \
          gitignore-like patterns without `!` and `[ ]`, and `#` comments; GitLab supports \
          sections, `!` exclusions and `@@role` owners, and comments on lines of their \
          own only. If the repository is on the other platform, set `[settings] \
          platform`.",
}

/// Whether a diagnostic is this rule's (the others have dedicated rules).
pub(crate) fn is_syntax(code: DiagnosticCode) -> bool {
    !matches!(
        code,
        DiagnosticCode::InvalidOwner
            | DiagnosticCode::DuplicatePattern
            | DiagnosticCode::PatternMatchesNothing
    )
}

impl Rule for CodeownersSyntax {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let owners = codeowners(cx);
        if let Some(file) = &owners.file {
            if let (Some(Unusable::Unreadable(why)), true) =
                (&file.unusable, judged(cx, &file.path))
            {
                out.push(
                    Violation::file(
                        &file.path,
                        format!("cannot read the CODEOWNERS file ({why}): no owner is known"),
                    )
                    .key("unreadable"),
                );
            }
        }
        report_diagnostics(cx, out, is_syntax);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/codeowners-syntax\"]\n";
    const GITLAB: &str =
        "[settings]\nplatform = \"gitlab\"\n[rules.\"ownership/codeowners-syntax\"]\n";

    #[test]
    fn reports_github_problems_at_their_columns_with_their_severity() {
        let text = "* @a\n!/x @b\n  docs/[ab].md @c\n\\#x @d\n/*** @e\n";
        let findings = check(POLICY, &[(".github/CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, e)| (l, c, e))
            .collect();
        assert_eq!(
            got,
            [(2, 1, 2), (3, 8, 9), (4, 1, 3), (5, 2, 5)],
            "{findings:#?}"
        );
        let levels: Vec<_> = findings.iter().map(|f| f.level).collect();
        use crate::Level::{Error, Warning};
        assert_eq!(levels, [Error, Warning, Error, Error]);
        assert!(findings[0].message.contains("GitHub skips this line"));
    }

    #[test]
    fn a_warning_never_rises_above_the_configured_level() {
        let policy = "[rules.\"ownership/codeowners-syntax\"]\nlevel = \"note\"\n";
        let findings = check(policy, &[("CODEOWNERS", "!x @a\n[ab] @b\n")]);
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.level == crate::Level::Note));
    }

    #[test]
    fn reports_gitlab_problems() {
        let text = "[Docs\n*.md @docs # team\n^[Opt][2] @x\n[] @y\n";
        let findings = check(GITLAB, &[("CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, _)| (l, c))
            .collect();
        // `[Docs` is no heading, so GitLab reads it as an entry without owners: two findings.
        assert_eq!(
            got,
            [(1, 1), (1, 1), (2, 12), (3, 1), (4, 1)],
            "{findings:#?}"
        );
        assert!(findings[2].message.contains("inline comments"));
    }

    #[test]
    fn binary_non_utf8_and_bom_files_are_findings() {
        let findings = check(POLICY, &[("CODEOWNERS", "* @a\n\0\n")]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("NUL byte"), "{findings:#?}");
        assert_eq!(findings[0].span.map(|s| (s.line, s.column)), Some((2, 1)));

        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file("CODEOWNERS", b"* @a\n/caf\xe9 @b\n".to_vec());
        let findings = crate::testing::check_snapshot(POLICY, &snapshot);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("UTF-8"));
        assert_eq!(findings[0].span.map(|s| (s.line, s.column)), Some((2, 5)));

        let findings = check(POLICY, &[("CODEOWNERS", "\u{feff}* @a\n")]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].message.contains("byte order mark"));
    }

    #[test]
    fn a_file_over_3_mb_is_an_error_on_github() {
        let big = "* @a\n".repeat(700_000);
        let findings = check(POLICY, &[(".github/CODEOWNERS", big.as_str())]);
        assert_eq!(findings.len(), 1, "{}", findings.len());
        assert!(findings[0].message.contains("GitHub does not load"));
        assert_eq!(findings[0].level, crate::Level::Error);
    }

    #[test]
    fn an_unreadable_file_is_reported() {
        let policy = "[settings]\nmax-read-bytes = 3\n[rules.\"ownership/codeowners-syntax\"]\n";
        let mut findings = check(policy, &[("CODEOWNERS", "* @a\n")]);
        // The engine also notes the file it could not read for the rule.
        findings.retain(|f| f.rule == "ownership/codeowners-syntax");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0]
            .message
            .starts_with("cannot read the CODEOWNERS file"));
    }

    #[test]
    fn only_a_judged_file_is_reported_in_change_mode() {
        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file("CODEOWNERS", "!x @a\n")
            .with_file("a.txt", "a");
        let unchanged = snapshot.clone().with_changed(["a.txt"]);
        assert!(crate::testing::check_snapshot(POLICY, &unchanged).is_empty());
        let changed = snapshot.with_changed(["CODEOWNERS"]);
        assert_eq!(crate::testing::check_snapshot(POLICY, &changed).len(), 1);
    }

    #[test]
    fn owners_duplicates_and_dead_patterns_are_left_to_their_rules() {
        let text = "* @a\n* @b\n/ @c\n*.md team\n";
        assert!(check(POLICY, &[("CODEOWNERS", text)]).is_empty());
    }
}
