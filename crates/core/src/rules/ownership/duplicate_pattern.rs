use goldpath_codeowners::DiagnosticCode;

use super::{report_diagnostics, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/duplicate-pattern",
    summary: "No pattern appears twice in CODEOWNERS (in the same GitLab section)",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    rule: DuplicatePattern,
    what: "A pattern written again further down the CODEOWNERS file (on GitLab: again in \
           the same section, compared after GitLab's normalisation) is reported at the \
           later occurrence, naming the earlier line. \
           At most 200 are reported one by one; one more finding counts the rest.",
    why: "Only one of the two lines ever applies: on GitHub the last matching line wins, so \
          the earlier one is dead; on GitLab the later entry replaces the earlier but keeps \
          its rank. Whoever reads the earlier line believes it assigns owners.",
    example: "```\n/docs/ @acme/docs\n*.md  @acme/writers\n/docs/ @acme/platform\n```\nis \
              reported at line 3: line 1 never applies.",
    fix: "Keep one line per pattern, with all its owners: `/docs/ @acme/docs \
          @acme/platform`.",
}

impl Rule for DuplicatePattern {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        report_diagnostics(cx, out, |code| code == DiagnosticCode::DuplicatePattern);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/duplicate-pattern\"]\n";

    #[test]
    fn reports_the_later_occurrence() {
        let text = "/docs/ @a\n*.md @b\n/docs/  @c\n";
        let findings = check(POLICY, &[(".github/CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, p, l, c, e)| (p, l, c, e))
            .collect();
        assert_eq!(got, [(".github/CODEOWNERS".to_owned(), 3, 1, 7)]);
        assert!(findings[0].message.contains("line 1"), "{findings:#?}");
        assert_eq!(findings[0].level, crate::Level::Warning);
    }

    #[test]
    fn gitlab_compares_within_a_section() {
        let policy = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let text = "*.md @a\n[Docs]\n*.md @b\n[Other]\n*.md @c\n*.md @d\n";
        let findings = check(&policy, &[("CODEOWNERS", text)]);
        let lines: Vec<_> = findings
            .iter()
            .filter_map(|f| f.span.map(|s| s.line))
            .collect();
        assert_eq!(lines, [6], "{findings:#?}");
    }
}
