use super::{codeowners, judged, wants};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ownership/codeowners-multiple-files",
    summary: "Only one CODEOWNERS file: the platform reads the first it finds and ignores the rest",
    level: Warning,
    tier: Bronze,
    scope: Repository { path_list: false },
    rule: MultipleFiles,
    what: "When CODEOWNERS files exist at several of the platform's locations, each one \
           after the first is reported at its path: GitHub looks at `.github/CODEOWNERS`, \
           then `CODEOWNERS`, then `docs/CODEOWNERS`; GitLab at `CODEOWNERS`, \
           `docs/CODEOWNERS`, then `.gitlab/CODEOWNERS`. Files named `CODEOWNERS` anywhere \
           else (`src/CODEOWNERS`, or `.gitlab/CODEOWNERS` on GitHub) are reported too, \
           since the platform never reads them, unless they lie in vendored or generated \
           code or in `exclude`d paths (`vendor/github.com/x/y/CODEOWNERS` is the vendored \
           project's own). (When there is no effective file at all, \
           `ownership/codeowners-missing` names those instead.)",
    why: "Only the first file counts. People edit the other one, see their change merged, \
          and are never asked to review anything: the ownership they wrote silently does \
          not exist.",
    example: "A repository with `.github/CODEOWNERS` and `CODEOWNERS` gets one finding at \
              `CODEOWNERS`: GitHub uses `.github/CODEOWNERS`.",
    fix: "Merge the ignored file's lines into the effective one and delete it.",
}

impl Rule for MultipleFiles {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let owners = codeowners(cx);
        let Some(file) = &owners.file else { return };
        let platform = owners.platform.name();
        // A CODEOWNERS file inside vendored or excluded code is not the repository's own.
        for path in owners.ignored.iter().filter(|p| judged(cx, p)) {
            out.push(
                Violation::file(
                    path,
                    format!(
                        "`{path}` is ignored: {platform} uses `{}`, which comes first",
                        file.path
                    ),
                )
                .help(format!(
                    "merge its lines into `{}` and delete it",
                    file.path
                ))
                .key("ignored"),
            );
        }
        for path in owners.unsupported.iter().filter(|p| judged(cx, p)) {
            out.push(
                Violation::file(
                    path,
                    format!(
                        "`{path}` is never read: {platform} reads only {} (and uses `{}`)",
                        owners.locations_text(),
                        file.path
                    ),
                )
                .help(format!(
                    "merge its lines into `{}` and delete it",
                    file.path
                ))
                .key("unsupported"),
            );
        }
    }

    fn wants(&self) -> Vec<String> {
        wants()
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ownership/codeowners-multiple-files\"]\n";

    #[test]
    fn reports_each_ignored_and_unsupported_file() {
        let files = [
            (".github/CODEOWNERS", "* @a\n"),
            ("CODEOWNERS", "* @b\n"),
            ("docs/CODEOWNERS", "* @c\n"),
            ("lib/CODEOWNERS", "* @d\n"),
        ];
        let findings = check(POLICY, &files);
        let paths: Vec<_> = findings.iter().filter_map(|f| f.path.as_deref()).collect();
        assert_eq!(paths, ["CODEOWNERS", "docs/CODEOWNERS", "lib/CODEOWNERS"]);
        assert_eq!(
            findings[0].message,
            "`CODEOWNERS` is ignored: GitHub uses `.github/CODEOWNERS`, which comes first"
        );
        assert!(findings[2]
            .message
            .starts_with("`lib/CODEOWNERS` is never read"));
        assert!(findings.iter().all(|f| f.level == crate::Level::Warning));
    }

    #[test]
    fn one_file_is_fine_and_gitlab_has_its_own_order() {
        assert!(check(POLICY, &[("CODEOWNERS", "* @a\n")]).is_empty());
        let gitlab = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let findings = check(
            &gitlab,
            &[
                (".gitlab/CODEOWNERS", "* @a\n"),
                ("docs/CODEOWNERS", "* @b\n"),
            ],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].path.as_deref(), Some(".gitlab/CODEOWNERS"));
        assert!(findings[0]
            .message
            .contains("GitLab uses `docs/CODEOWNERS`"));
    }

    #[test]
    fn a_codeowners_file_in_vendored_or_excluded_code_is_not_reported() {
        let files = [
            (".github/CODEOWNERS", "* @a\n"),
            ("vendor/github.com/x/dns/CODEOWNERS", "* @x\n"),
            ("third_party/y/CODEOWNERS", "* @y\n"),
            ("lib/CODEOWNERS", "* @d\n"),
        ];
        let paths = |policy: &str| -> Vec<String> {
            check(policy, &files)
                .into_iter()
                .filter_map(|f| f.path)
                .collect()
        };
        assert_eq!(paths(POLICY), ["lib/CODEOWNERS"]);
        let excluded = format!("[settings]\nexclude = [\"lib/**\"]\n{POLICY}");
        assert!(paths(&excluded).is_empty());
        let included = format!("[settings]\ninclude-vendored = [\"vendor/**\"]\n{POLICY}");
        assert_eq!(
            paths(&included),
            ["lib/CODEOWNERS", "vendor/github.com/x/dns/CODEOWNERS"]
        );
    }

    #[test]
    fn without_an_effective_file_nothing_is_reported_here() {
        assert!(check(POLICY, &[("src/CODEOWNERS", "* @a\n")]).is_empty());
    }
}
