use goldpath_codeowners::DiagnosticCode;

use super::{report_diagnostics, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/owner-format",
    summary: "Every owner in CODEOWNERS is a user, a team or an email address the platform accepts",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    rule: OwnerFormat,
    what: "Each owner of the effective CODEOWNERS file has the platform's syntax, reported \
           at its line and columns. GitHub: `@user`, `@org/team` or an email address \
           (`name@example.com`); anything else, `@@role` included, is an error and GitHub \
           skips the whole line. GitLab: `@user` or `@group`, `@group/subgroup/...`, an \
           email address, or a role `@@developer`, `@@maintainer`, `@@owner`; GitLab \
           ignores a malformed owner (an error), and a section heading whose default owners \
           hold none that is valid is an error too (malformed default owners alone are \
           warnings). \
           At most 200 are reported one by one; one more finding counts the rest.",
    why: "A bare `team` or `@org/` is not an owner. On GitHub the whole line is skipped, so \
          its files fall back to an earlier line's owners, or to none; on GitLab the owner \
          is dropped. Either way reviews stop going where the file says.",
    example: "`*.md docs-team` is reported at `docs-team` (column 6): it needs a leading \
              `@`. `*.md @acme/docs` is not.",
    fix: "Write the owner as `@user`, `@org/team` (GitLab: `@group/subgroup`) or an email \
          address. A team needs the organisation: `@acme/docs`, not `@docs`, on GitHub.",
}

impl Rule for OwnerFormat {
    fn wants(&self) -> Vec<String> {
        wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        report_diagnostics(cx, out, |code| code == DiagnosticCode::InvalidOwner);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::spans;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/owner-format\"]\n";

    #[test]
    fn reports_each_malformed_owner_at_its_columns() {
        let text = "* @a\n*.md docs-team @ok @@dev\n/x @org/ me@example.com\n";
        let findings = check(POLICY, &[(".github/CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, e)| (l, c, e))
            .collect();
        assert_eq!(got, [(2, 6, 15), (2, 20, 25), (3, 4, 9)], "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("`docs-team` is not a valid owner"));
        assert!(findings[1].message.contains("GitLab syntax"));
    }

    #[test]
    fn gitlab_accepts_roles_and_subgroups() {
        let policy = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let text = "* @@maintainer @a/b/c x@y\n*.md @@reporter\n[S] bad\n/x\n";
        let findings = check(&policy, &[("CODEOWNERS", text)]);
        let got: Vec<_> = spans(&findings)
            .into_iter()
            .map(|(_, _, l, c, _)| (l, c))
            .collect();
        // `@@reporter` is not a role; the heading has no valid default owner (an error, at the
        // end of its name) because `bad` is malformed (a warning).
        assert_eq!(got, [(2, 6), (3, 4), (3, 5)], "{findings:#?}");
        assert_eq!(
            findings[1].level.max(findings[2].level),
            crate::Level::Error
        );
    }
}
