//! ci/update-tool-missing

use super::find;
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

/// Dependabot's configuration files.
const DEPENDABOT: &[&str] = &[".github/dependabot.yml", ".github/dependabot.yaml"];

/// Renovate's configuration files (besides `package.json`'s `renovate` key).
const RENOVATE: &[&str] = &[
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
];

static META: Meta = Meta {
    id: "ci/update-tool-missing",
    summary: "A dependency update tool (Dependabot or Renovate) is configured",
    default_level: Level::Warning,
    tier: Tier::Silver,
    scope: Scope::Repository,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "The repository has a Dependabot configuration (`.github/dependabot.yml` or \
               `.yaml`) or a Renovate one: `renovate.json`, `renovate.json5`, `.renovaterc`, \
               `.renovaterc.json`, `.renovaterc.json5`, `.github/renovate.json(5)`, \
               `.gitlab/renovate.json(5)`, or a `renovate` key in the root `package.json`. \
               One repository-wide finding when none is found. Renovate set up centrally for \
               an organisation (a global config) cannot be seen from the repository: waive \
               the rule there.",
        why: "Dependencies, actions and images go stale and collect known vulnerabilities; \
              pinned SHAs and digests (see `ci/unpinned-action`) are only safe when a bot \
              keeps proposing their updates.",
        example: "A repository with workflows and a `Cargo.lock` but no `.github/dependabot.yml` \
                  is reported; adding\n```yaml\nversion: 2\nupdates:\n  - package-ecosystem: \
                  cargo\n    directory: /\n    schedule: {interval: weekly}\n  - \
                  package-ecosystem: github-actions\n    directory: /\n    schedule: \
                  {interval: weekly}\n```\nfixes it.",
        fix: "Add `.github/dependabot.yml` with an entry per ecosystem (including \
              `github-actions`), or a `renovate.json` (`{\"extends\": \
              [\"config:recommended\"]}`).",
    },
};

struct UpdateToolMissing;

fn build(_: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(UpdateToolMissing))
}

impl Rule for UpdateToolMissing {
    fn wants(&self) -> Vec<String> {
        vec!["package.json".to_owned()]
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let files = cx.files();
        if DEPENDABOT
            .iter()
            .chain(RENOVATE)
            .any(|p| find(files, p).is_some())
        {
            return;
        }
        let in_package_json = find(files, "package.json")
            .and_then(|f| cx.documents(f))
            .is_some_and(|docs| {
                docs.as_ref()
                    .as_ref()
                    .ok()
                    .and_then(|d| d.first())
                    .is_some_and(|root| root.get("renovate").is_some())
            });
        if in_package_json {
            return;
        }
        out.push(
            Violation::repo(
                "no dependency update tool: no Dependabot (.github/dependabot.yml) or Renovate \
                 (renovate.json, ...) configuration",
            )
            .help("add .github/dependabot.yml with an entry per ecosystem, github-actions included, or a renovate.json")
            .key("missing"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/update-tool-missing\"]\n";

    #[test]
    fn reports_repositories_without_an_update_tool() {
        let findings = check(
            POLICY,
            &[("package.json", "{\"name\": \"x\"}"), ("README.md", "")],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].path.is_none());
    }

    #[test]
    fn dependabot_renovate_files_and_package_json_count() {
        for path in [
            ".github/dependabot.yaml",
            ".renovaterc",
            ".gitlab/renovate.json",
            "renovate.json5",
        ] {
            assert!(check(POLICY, &[(path, "{}")]).is_empty(), "{path}");
        }
        let package = "{\"name\": \"x\", \"renovate\": {\"extends\": [\"config:recommended\"]}}";
        assert!(check(POLICY, &[("package.json", package)]).is_empty());
        // A package.json elsewhere does not count.
        assert_eq!(check(POLICY, &[("web/package.json", package)]).len(), 1);
    }
}
