use std::collections::HashSet;
use std::sync::LazyLock;

use super::supply_chain::{each_remote_use, repositories};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/archived-action",
    summary: "Actions and reusable workflows do not come from archived repositories",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "extend",
        kind: "array of strings",
        help: "More archived repositories, as `owner/repo`, added to the built-in list. \
               Default: none.",
    }],
    what: "No `uses:` of a step (in workflows and composite actions) or of a job names an \
           action or reusable workflow whose repository is archived, at any ref and path. \
           Reported at `owner/repo`. The list is shipped with goldpath (`crates/core/rules/\
           ci/archived-actions.toml`, taken from zizmor's list, MIT licence) and read \
           offline: an action archived after the release is not known until the list is \
           refreshed, or added with `extend`.",
    why: "An archived repository gets no fixes and no security updates: a vulnerability \
          found in the action, or in the dependencies it bundles, stays. Most archived \
          actions name a maintained successor (`actions-rs/toolchain` → \
          `dtolnay/rust-toolchain`, `actions/create-release` → `gh release create`).",
    example: "```yaml\nsteps:\n  - uses: actions-rs/toolchain@v1   # reported: archived\n  \
              - uses: dtolnay/rust-toolchain@stable\n```",
    fix: "Replace the action with its maintained successor (the archived repository's \
          README usually names one) or with a few lines of `run:`. Waive the finding \
          where an archived action is a deliberate choice.",
}

/// The built-in list, as written in `crates/core/rules/ci/archived-actions.toml`.
const DATA_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/ci/archived-actions.toml"
));

static ARCHIVED: LazyLock<HashSet<String>> = LazyLock::new(|| {
    repositories(DATA_TOML, "repositories", "rules/ci/archived-actions.toml")
        .into_iter()
        .collect()
});

struct ArchivedAction {
    extend: HashSet<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let extend: Vec<String> = params.take("extend")?.unwrap_or_default();
    let mut set = HashSet::new();
    for name in extend {
        let parts: Vec<&str> = name.trim().split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(PolicyError::new(format!(
                "`extend`: `{name}` must be a repository, `owner/repo`"
            )));
        }
        set.insert(name.trim().to_ascii_lowercase());
    }
    Ok(Box::new(ArchivedAction { extend: set }))
}

impl Rule for ArchivedAction {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_remote_use(cx, |u| {
            let repository = u.remote.repository().to_ascii_lowercase();
            if !ARCHIVED.contains(&repository) && !self.extend.contains(&repository) {
                return;
            }
            let what = if u.remote.is_workflow() {
                "reusable workflow"
            } else {
                "action"
            };
            out.push(
                Violation::file(
                    u.path,
                    format!(
                        "{what} `{}` comes from an archived repository, which gets no fixes or security updates",
                        u.remote.name()
                    ),
                )
                .span(u.repository_span())
                .help("replace it with a maintained action (the repository's README usually names one)")
                .key(u.key.clone()),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, positions};
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/archived-action\"]\n";

    #[test]
    fn the_data_file_parses() {
        assert!(super::ARCHIVED.len() > 100);
        assert!(super::ARCHIVED.contains("actions-rs/toolchain"));
    }

    #[test]
    fn reports_archived_repositories_at_any_ref_and_path() {
        let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
                        - uses: Actions-RS/toolchain@v1\n      - uses: actions/checkout@v4\n      \
                        - uses: actions/create-release@0cb9c9b65d5d1901c1f53e5e66eaf4afd303e70e # v1\n      \
                        - uses: ./actions-rs/toolchain\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(lines(&findings), [(6, 15), (8, 15)], "{findings:#?}");
        assert!(findings[0].message.contains("`Actions-RS/toolchain`"));
        let span = findings[0].span.unwrap();
        assert_eq!(span.end_column - span.column, 20);
    }

    #[test]
    fn extend_adds_repositories_and_actions_are_read() {
        let policy = "[rules.\"ci/archived-action\"]\nextend = [\"my-org/old\"]\n";
        let action = "runs:\n  using: composite\n  steps:\n    - uses: my-org/old/sub@v1\n";
        let findings = check(policy, &[("action.yml", action)]);
        assert_eq!(positions(&findings), [("action.yml".to_owned(), 4, 13)]);
        assert!(check(POLICY, &[("action.yml", action)]).is_empty());
        let bad = "[rules.\"ci/archived-action\"]\nextend = [\"nope\"]\n";
        assert!(crate::testing::policy_error(bad)
            .to_string()
            .contains("`nope` must be a repository"));
    }
}
