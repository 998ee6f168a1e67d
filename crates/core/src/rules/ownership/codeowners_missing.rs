//! ownership/codeowners-missing

use super::codeowners;
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "ownership/codeowners-missing",
    summary: "The repository has a CODEOWNERS file where its platform looks for one",
    default_level: Level::Error,
    tier: Tier::Bronze,
    scope: Scope::Repository,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "A `CODEOWNERS` file exists at one of the locations the platform (`[settings] \
               platform`) reads: on GitHub `.github/CODEOWNERS`, `CODEOWNERS` or \
               `docs/CODEOWNERS`; on GitLab `CODEOWNERS`, `docs/CODEOWNERS` or \
               `.gitlab/CODEOWNERS`. One repository-wide finding when there is none; it names \
               the `CODEOWNERS` files that exist elsewhere (which the platform never reads) and \
               files at a right location whose name differs only in letter case.",
        why: "Code owners are who reviews a change and who is paged about a file. Without the \
              file no one is asked to review anything, branch protection cannot require an \
              owner's approval, and tools (this one included) cannot say who owns what.",
        example: "A repository whose only ownership file is `src/CODEOWNERS` is reported: GitHub \
                  reads `.github/CODEOWNERS`, `CODEOWNERS` or `docs/CODEOWNERS` only. One with \
                  `.github/CODEOWNERS` is not.",
        fix: "Add `.github/CODEOWNERS` (GitLab: `CODEOWNERS`) starting with a default owner for \
              everything, then more specific lines: `* @acme/platform`, `/docs/ @acme/docs`.",
    },
};

struct CodeownersMissing;

fn build(_: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(CodeownersMissing))
}

impl Rule for CodeownersMissing {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let owners = codeowners(cx);
        if owners.file.is_some() {
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
        if !owners.unsupported.is_empty() {
            let them = super::or_list(&owners.unsupported).replace(" or ", " and ");
            message.push_str(&format!(
                "; {them} {} not at one of those locations, so {platform} ignores {}",
                if owners.unsupported.len() == 1 {
                    "is"
                } else {
                    "are"
                },
                if owners.unsupported.len() == 1 {
                    "it"
                } else {
                    "them"
                },
            ));
        }
        let first = goldpath_codeowners::locations(owners.platform.dialect())
            .first()
            .copied()
            .unwrap_or("CODEOWNERS");
        out.push(
            Violation::repo(message)
                .help(format!(
                    "add `{first}` with a default owner on its first line, such as `* @org/team`"
                ))
                .key("missing"),
        );
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
    fn an_unusable_file_still_counts_as_present() {
        // Its problems are codeowners-syntax's to report.
        assert!(check(POLICY, &[("CODEOWNERS", "\0binary")]).is_empty());
    }
}
