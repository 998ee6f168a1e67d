use super::codeowners;
use crate::context::Context;
use crate::edit::{Edit, Fix};
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/codeowners-missing",
    summary: "The repository has a CODEOWNERS file where its platform looks for one",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    fixable: true,
    rule: CodeownersMissing,
    what: "A `CODEOWNERS` file exists at one of the locations the platform (`[settings] \
           platform`) reads: on GitHub `.github/CODEOWNERS`, `CODEOWNERS` or \
           `docs/CODEOWNERS`; on GitLab `CODEOWNERS`, `docs/CODEOWNERS` or \
           `.gitlab/CODEOWNERS`. One repository-wide finding when there is none; it names \
           the `CODEOWNERS` files that exist elsewhere (which the platform never reads) and \
           files at a right location whose name differs only in letter case. A file that \
           still names a placeholder owner (the `@TODO-org/TODO-team` that `goldpath fix` \
           writes, `@org/team`...) is reported at each such owner, like a missing file.",
    why: "Code owners are who reviews a change and who is paged about a file. Without the \
          file no one is asked to review anything, branch protection cannot require an \
          owner's approval, and tools (this one included) cannot say who owns what.",
    example: "A repository whose only ownership file is `src/CODEOWNERS` is reported: GitHub \
              reads `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS` only. One with \
              `.github/CODEOWNERS` is not.",
    fix: "Add `.github/CODEOWNERS` (GitLab: `CODEOWNERS`) starting with a default owner for \
          everything, then more specific lines: `* @acme/platform`, `/docs/ @acme/docs`. \
          `goldpath fix` writes that file with comments explaining it and one line, \
          `* OWNER`, where OWNER is `goldpath fix --owner` or, without it, the placeholder \
          team `@TODO-org/TODO-team`, which this rule keeps reporting (as it does any \
          placeholder owner: one with a `TODO` part, `@org/team`, `@your-org/your-team`, \
          `@username`, an address at `example.com`) until a person names the real owner. \
          It does not when a misnamed or misplaced CODEOWNERS file exists: move that \
          one instead.",
}

impl Rule for CodeownersMissing {
    /// The CODEOWNERS file is read for placeholders.
    fn inputs(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let owners = codeowners(cx);
        if let Some(file) = &owners.file {
            placeholders(file, out);
            return;
        }
        let platform = owners.platform.name();
        let mut message = format!(
            "no CODEOWNERS file: {platform} reads {}",
            owners.locations_text()
        );
        for (path, wanted) in &owners.misnamed {
            message.push_str(&format!(
                "; `{path}` is not read: only a file named exactly `CODEOWNERS` is (rename it to \
                 `{wanted}`)"
            ));
        }
        // A CODEOWNERS file inside vendored or excluded code is not the repository's own.
        let unsupported: Vec<&str> = owners
            .unsupported
            .iter()
            .map(String::as_str)
            .filter(|p| super::judged(cx, p))
            .collect();
        if !unsupported.is_empty() {
            let them = super::or_list(&unsupported).replace(" or ", " and ");
            message.push_str(&format!(
                "; {them} {} not at one of those locations, so {platform} ignores {}",
                if unsupported.len() == 1 { "is" } else { "are" },
                if unsupported.len() == 1 { "it" } else { "them" },
            ));
        }
        let first = goldpath_codeowners::locations(owners.platform.dialect())
            .first()
            .copied()
            .unwrap_or("CODEOWNERS");
        let fix = cx
            .fix_options()
            .filter(|_| owners.misnamed.is_empty() && unsupported.is_empty())
            .map(|options| {
                let owner = options.owner.as_deref().unwrap_or(PLACEHOLDER_OWNER);
                Fix::new(Edit::create(first, skeleton(owner)))
            });
        out.push(
            Violation::repo(message)
                .help(format!(
                    "add `{first}` with a default owner on its first line, such as `* @org/team`"
                ))
                .key("missing")
                .fix(fix),
        );
    }
}

/// A CODEOWNERS file still naming a placeholder owner has no owner there: reported once per
/// owner and line, as a missing file is (same level and tier), since `goldpath fix` writes one.
fn placeholders(file: &super::CodeownersFile, out: &mut Vec<Violation>) {
    let Some(parsed) = file.rules() else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    for rule in parsed.rules() {
        for owner in &rule.owners {
            if !crate::edit::placeholder::owner(&owner.text)
                || !seen.insert((owner.line, &owner.text))
            {
                continue;
            }
            let by = if owner.text == PLACEHOLDER_OWNER {
                " written by `goldpath fix`"
            } else {
                ""
            };
            out.push(
                Violation::file(
                    &file.path,
                    format!(
                        "{} still holds the placeholder owner {}{by}: replace it with the real \
                         team or user",
                        file.path, owner.text
                    ),
                )
                .span(file.span(owner.line, owner.column, owner.end_column))
                .help(
                    "name who reviews these files: a GitHub `@org/team` or `@user`, or an \
                     e-mail address (`goldpath fix --owner @org/team` writes it for a new file)",
                )
                .key(format!("placeholder:{}", owner.text)),
            );
        }
    }
}

/// The owner a new CODEOWNERS file names when `goldpath fix --owner` does not say: a team in
/// valid syntax on GitHub and GitLab, so the ownership rules pass until a person replaces it.
pub const PLACEHOLDER_OWNER: &str = "@TODO-org/TODO-team";

/// A CODEOWNERS file giving `owner` every file, with comments saying how to go on.
pub(crate) fn skeleton(owner: &str) -> String {
    let mut out = String::from(
        "# Code owners: who reviews changes to which files, and whom to ask about them.\n\
         # Written by `goldpath fix`. Each line is a pattern and its owners (@user, @org/team or an\n\
         # email address); the last line that matches a file decides, so keep the default owner\n\
         # first and add more specific paths below it, such as:\n\
         #   /docs/  @org/docs-team\n",
    );
    if owner == PLACEHOLDER_OWNER {
        out.push_str("# TODO: replace the placeholder owner below with a real user or team.\n");
    }
    out.push_str(&format!("* {owner}\n"));
    out
}

/// Checks an owner given to `goldpath fix --owner` with the platform's CODEOWNERS syntax.
pub fn check_owner(owner: &str, platform: crate::policy::Platform) -> Result<(), String> {
    if owner.split_whitespace().count() != 1 {
        return Err(format!("`{owner}` is not one owner"));
    }
    let parsed = goldpath_codeowners::parse(&format!("* {owner}\n"), platform.dialect());
    match parsed.diagnostics().first() {
        Some(d) => Err(d.message.clone()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/codeowners-missing\"]\n";

    #[test]
    fn reports_a_repository_without_codeowners() {
        let findings = check(POLICY, &[("README.md", "x")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path, None);
        assert_eq!(
            findings[0].message,
            "no CODEOWNERS file: GitHub reads `.github/CODEOWNERS`, `CODEOWNERS` or \
             `docs/CODEOWNERS`"
        );
        assert!(findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("`.github/CODEOWNERS`"));
    }

    #[test]
    fn names_files_at_unsupported_locations_and_misnamed_files() {
        let findings = check(
            POLICY,
            &[
                ("src/CODEOWNERS", "* @a\n"),
                (".github/codeowners", "* @a\n"),
            ],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let message = &findings[0].message;
        assert!(
            message.contains("`src/CODEOWNERS` is not at one of those locations"),
            "{message}"
        );
        assert!(
            message.contains("rename it to `.github/CODEOWNERS`"),
            "{message}"
        );
    }

    #[test]
    fn a_placeholder_owner_is_reported_like_a_missing_file() {
        let written = super::skeleton(super::PLACEHOLDER_OWNER);
        let findings = check(POLICY, &[(".github/CODEOWNERS", written.as_str())]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(
            findings[0].message,
            ".github/CODEOWNERS still holds the placeholder owner @TODO-org/TODO-team written by \
             `goldpath fix`: replace it with the real team or user"
        );
        assert_eq!(findings[0].path.as_deref(), Some(".github/CODEOWNERS"));
        let line = written.lines().count() as u32;
        assert_eq!(
            findings[0].span.map(|s| (s.line, s.column)),
            Some((line, 3))
        );
        assert_eq!(findings[0].tier, crate::Tier::Bronze);
        assert_eq!(findings[0].level, crate::Level::Error);
        // Common placeholders too, each once; real owners beside them do not hide them.
        let findings = check(
            POLICY,
            &[(
                "CODEOWNERS",
                "* @org/team @acme/web\n/docs/ @acme/TODO-team owner@example.com\n",
            )],
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:#?}");
        assert!(
            messages[0].contains("placeholder owner @org/team: replace"),
            "{messages:?}"
        );
        assert!(check(POLICY, &[("CODEOWNERS", "* @acme/web\n")]).is_empty());
    }

    #[test]
    fn the_platform_decides_the_locations() {
        let gitlab =
            "[settings]\nplatform = \"gitlab\"\n[rules.\"ownership/codeowners-missing\"]\n";
        assert!(check(gitlab, &[(".gitlab/CODEOWNERS", "* @a\n")]).is_empty());
        let findings = check(POLICY, &[(".gitlab/CODEOWNERS", "* @a\n")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.contains("`.gitlab/CODEOWNERS` is not"));
        assert!(check(POLICY, &[("docs/CODEOWNERS", "* @a\n")]).is_empty());
    }

    #[test]
    fn fix_writes_a_skeleton_that_every_ownership_rule_accepts() {
        use crate::edit::FixOptions;
        use crate::fix::testing::{assert_fix_leaving, assert_fix_with, files, fix_once};
        let policy = "[rules.\"ownership/codeowners-missing\"]\n[rules.\"ownership/owner-format\"]\n\
                      [rules.\"ownership/codeowners-syntax\"]\n[rules.\"ownership/unowned-files\"]\n\
                      [rules.\"ownership/pattern-matches-nothing\"]\n";
        let placeholder = super::skeleton(super::PLACEHOLDER_OWNER);
        assert!(placeholder.ends_with("# TODO: replace the placeholder owner below with a real user or team.\n* @TODO-org/TODO-team\n"));
        // Every ownership rule accepts its syntax; codeowners-missing reports the placeholder.
        assert_fix_leaving(
            policy,
            &[("README.md", "x"), ("src/main.rs", "")],
            &[(".github/CODEOWNERS", &placeholder)],
            &FixOptions::default(),
            &["ownership/codeowners-missing"],
        );
        let gitlab = format!("[settings]\nplatform = \"gitlab\"\n{policy}");
        let options = FixOptions {
            owner: Some("@acme/platform".into()),
            ..FixOptions::default()
        };
        let named = super::skeleton("@acme/platform");
        assert!(!named.contains("TODO"));
        assert_fix_with(
            &gitlab,
            &[("README.md", "x")],
            &[("CODEOWNERS", &named)],
            &options,
        );
        // A misplaced file is for a person to move.
        let misplaced = files(&[("src/CODEOWNERS", "* @a\n")]);
        assert_eq!(fix_once(POLICY, &misplaced, &Default::default()).1, 0);
    }

    #[test]
    fn owners_given_to_fix_are_checked() {
        use crate::policy::Platform;
        assert!(super::check_owner("@acme/team", Platform::GitHub).is_ok());
        assert!(super::check_owner("dev@acme.com", Platform::GitHub).is_ok());
        assert!(super::check_owner("@@maintainer", Platform::GitLab).is_ok());
        assert!(super::check_owner("@@maintainer", Platform::GitHub).is_err());
        assert!(super::check_owner("team", Platform::GitHub).is_err());
        assert!(super::check_owner("@a @b", Platform::GitHub).is_err());
    }

    #[test]
    fn an_unusable_file_still_counts_as_present() {
        // Its problems are codeowners-syntax's to report.
        assert!(check(POLICY, &[("CODEOWNERS", "\0binary")]).is_empty());
    }
}
