use std::sync::LazyLock;

use super::supply_chain::{each_remote_use, repositories};
use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/typosquat-action",
    summary: "Action names are not near-misses of well-known actions",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "extend",
            kind: "array of strings",
            help: "More well-known actions, as `owner/repo`, added to the built-in list. \
                   Default: none.",
        },
        {
            name: "allow",
            kind: "array of globs",
            help: "Actions (`owner/repo`) that are not reported even when they are near a \
                   well-known name: `[\"my-org/*\"]`. Default: none.",
        },
    ],
    what: "No `uses:` of a step (in workflows and composite actions) or of a job names an \
           `owner/repo` that is one edit away from a well-known action under another \
           owner: a character left out (`action/checkout`), added (`actiions/checkout`), \
           replaced (`acti0ns/checkout`) or two neighbours swapped (`dokcer/login-action`). \
           Names are compared without letter case; names shorter than 8 characters, an \
           owner's own actions (`actions/setup-go` beside `actions/setup-node`) and the \
           well-known names themselves are not reported. The list is shipped with goldpath \
           (`crates/core/rules/ci/popular-actions.toml`, zizmor's list and a few \
           additions) and read offline. Reported at `owner/repo`.",
    why: "A typo in `uses:` runs whatever the owner of the misspelled name publishes, with \
          the job's token and secrets. Typosquatters register such names on purpose.",
    example: "```yaml\nsteps:\n  - uses: actions/checkout@v4    # the real one\n  - uses: \
              actoins/checkout@v4    # reported: swaps two characters of \
              actions/checkout\n```",
    fix: "Correct the name. If the action really is another one with a close name, add \
          it to `allow`.",
}

/// The built-in list, as written in `crates/core/rules/ci/popular-actions.toml`.
const DATA_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/ci/popular-actions.toml"
));

static POPULAR: LazyLock<Vec<String>> =
    LazyLock::new(|| repositories(DATA_TOML, "repositories", "rules/ci/popular-actions.toml"));

/// Names shorter than this are not compared: one edit away from a short name is too many
/// unrelated names.
const MIN_LEN: usize = 8;

struct TyposquatAction {
    popular: Vec<String>,
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let extend: Vec<String> = params.take("extend")?.unwrap_or_default();
    let mut popular = POPULAR.clone();
    for name in extend {
        let parts: Vec<&str> = name.trim().split('/').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(PolicyError::new(format!(
                "`extend`: `{name}` must be an action, `owner/repo`"
            )));
        }
        popular.push(name.trim().to_ascii_lowercase());
    }
    Ok(Box::new(TyposquatAction {
        popular,
        allow: params.take_globs("allow")?.unwrap_or_default(),
    }))
}

/// How `candidate` differs from `target` when it is one edit away, as words for a message.
pub(crate) fn one_edit(candidate: &str, target: &str) -> Option<&'static str> {
    let a: Vec<char> = candidate.chars().collect();
    let b: Vec<char> = target.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (da, db) = (a.len() - prefix - suffix, b.len() - prefix - suffix);
    match (da, db) {
        (0, 1) => Some("omits a character of"),
        (1, 0) => {
            // The added character repeats a neighbour (`actiions`) or is new.
            let added = a[prefix];
            let repeats = (prefix > 0 && a[prefix - 1] == added)
                || a.get(prefix + 1).is_some_and(|c| *c == added);
            Some(if repeats {
                "repeats a character of"
            } else {
                "adds a character to"
            })
        }
        (1, 1) => Some("replaces a character of"),
        (2, 2) if a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix] => {
            Some("swaps two characters of")
        }
        _ => None,
    }
}

impl TyposquatAction {
    /// The well-known action `name` (`owner/repo`, lowercase) imitates, and how.
    fn imitated(&self, name: &str) -> Option<(&str, &'static str)> {
        if name.len() < MIN_LEN || self.popular.iter().any(|p| p == name) {
            return None;
        }
        let owner = name.split('/').next().unwrap_or(name);
        self.popular.iter().find_map(|p| {
            let p_owner = p.split('/').next().unwrap_or(p);
            if p_owner == owner || p.len() < MIN_LEN {
                return None;
            }
            one_edit(name, p).map(|how| (p.as_str(), how))
        })
    }
}

impl Rule for TyposquatAction {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_remote_use(cx, |u| {
            let repository = u.remote.repository();
            if self.allow.is_match(&repository) {
                return;
            }
            let Some((target, how)) = self.imitated(&repository.to_ascii_lowercase()) else {
                return;
            };
            out.push(
                Violation::file(
                    u.path,
                    format!(
                        "`{repository}` {how} `{target}`, a well-known action: a typo runs whoever owns this name"
                    ),
                )
                .span(u.repository_span())
                .help(format!("did you mean `{target}`?"))
                .key(u.key.clone()),
            );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use super::one_edit;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/typosquat-action\"]\n";

    #[test]
    fn classifies_single_edits() {
        assert_eq!(
            one_edit("action/checkout", "actions/checkout"),
            Some("omits a character of")
        );
        assert_eq!(
            one_edit("actiions/checkout", "actions/checkout"),
            Some("repeats a character of")
        );
        assert_eq!(
            one_edit("actionsx/checkout", "actions/checkout"),
            Some("adds a character to")
        );
        assert_eq!(
            one_edit("acti0ns/checkout", "actions/checkout"),
            Some("replaces a character of")
        );
        assert_eq!(
            one_edit("cations/checkout", "actions/checkout"),
            Some("swaps two characters of")
        );
        assert_eq!(one_edit("snoitca/checkout", "actions/checkout"), None);
        assert_eq!(one_edit("actions/checkout", "actions/checkout"), None);
    }

    #[test]
    fn reports_near_misses_of_well_known_actions() {
        let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
                        - uses: actions/checkout@v4\n      - uses: action/checkout@v4\n      \
                        - uses: Dokcer/login-action@v3\n      - uses: actions/setup-nod@v4\n      \
                        - uses: actions/setup-go@v5\n      - uses: my-org/checkout@v1\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(lines(&findings), [(7, 15), (8, 15)], "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("`action/checkout` omits a character of `actions/checkout`"));
        assert!(findings[1]
            .message
            .contains("swaps two characters of `docker/login-action`"));
    }

    #[test]
    fn allow_and_extend() {
        let workflow = "jobs:\n  a:\n    steps:\n      - uses: action/checkout@v4\n      \
                        - uses: my-orgs/deploy-tool@v1\n";
        let policy = "[rules.\"ci/typosquat-action\"]\nallow = [\"action/*\"]\n\
                      extend = [\"my-org/deploy-tool\"]\n";
        let findings = check(policy, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(lines(&findings), [(5, 15)], "{findings:#?}");
    }
}
