use std::collections::BTreeSet;

use super::find;
use crate::context::Context;
use crate::edit::{Edit, Fix};
use crate::finding::Violation;
use crate::policy::Platform;
use crate::rule::{declare_rule, Rule};
use crate::snapshot::FileEntry;

declare_rule! {
    id: "ci/update-tool-missing",
    summary: "A dependency update tool (Dependabot or Renovate) is configured",
    level: Warning,
    tier: Silver,
    scope: Repository { path_list: true },
    fixable: true,
    rule: UpdateToolMissing,
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
          [\"config:recommended\"]}`). On GitHub (`[settings] platform`), `goldpath fix` \
          writes `.github/dependabot.yml` with one weekly `updates` entry per ecosystem it \
          finds: `cargo` (`Cargo.toml`; workspace members are left to their workspace), \
          `npm` (`package.json`), `gomod` (`go.mod`), `pip` (`requirements*.txt`, \
          `pyproject.toml`, `setup.py`, `Pipfile`), `github-actions` (workflows or \
          actions) and `docker` (`Dockerfile`s), with the directories they are in \
          (`node_modules` and `vendor` are skipped).",
}

/// Dependabot's configuration files.
const DEPENDABOT: &[&str] = crate::ci::dependabot::PATHS;

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
            .key("missing")
            .fix(
                cx.fix_options()
                    .filter(|_| cx.settings().platform == Platform::GitHub)
                    .and_then(|_| dependabot(cx.all_files()))
                    .map(|text| Fix::new(Edit::create(DEPENDABOT[0], text))),
            ),
        );
    }
}

/// Whether a file name marks a directory of an ecosystem.
type IsManifest = fn(&str) -> bool;

/// Dependabot's ecosystems, in the order `.github/dependabot.yml` lists them, with whether a
/// file name marks a directory of that ecosystem.
const ECOSYSTEMS: &[(&str, IsManifest)] = &[
    ("cargo", |name| name == "Cargo.toml"),
    ("npm", |name| name == "package.json"),
    ("gomod", |name| name == "go.mod"),
    ("pip", |name| {
        (name.starts_with("requirements") && name.ends_with(".txt"))
            || matches!(name, "pyproject.toml" | "setup.py" | "Pipfile")
    }),
    ("github-actions", |_| false),
    ("docker", |name| {
        let lower = name.to_ascii_lowercase();
        lower == "dockerfile" || lower.starts_with("dockerfile.") || lower.ends_with(".dockerfile")
    }),
];

/// `.github/dependabot.yml` for the ecosystems found in `files`; `None` when there is none.
fn dependabot(files: &[&FileEntry]) -> Option<String> {
    let mut found: Vec<BTreeSet<String>> = vec![BTreeSet::new(); ECOSYSTEMS.len()];
    for file in files {
        let path = file.path.as_str();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        if dir
            .split('/')
            .any(|c| matches!(c, "node_modules" | "vendor"))
        {
            continue;
        }
        let is_actions =
            crate::ci::github::is_workflow_path(path) || crate::ci::github::is_action_path(path);
        for (slot, (ecosystem, marks)) in found.iter_mut().zip(ECOSYSTEMS) {
            if marks(name) || (is_actions && *ecosystem == "github-actions") {
                slot.insert(if *ecosystem == "github-actions" || dir.is_empty() {
                    "/".to_owned()
                } else {
                    format!("/{dir}")
                });
            }
        }
    }
    // A Cargo workspace's members update with the workspace: keep the outermost directories.
    let cargo = &mut found[0];
    let outer: BTreeSet<String> = cargo
        .iter()
        .filter(|dir| {
            !cargo.iter().any(|other| {
                other != *dir && (other == "/" || dir.starts_with(&format!("{other}/")))
            })
        })
        .cloned()
        .collect();
    *cargo = outer;
    if found.iter().all(BTreeSet::is_empty) {
        return None;
    }
    let mut out = String::from(
        "# Dependabot version updates, written by `goldpath fix` from the files of this \
         repository.\n# Review the directories and schedules: \
         https://docs.github.com/code-security/dependabot/working-with-dependabot/dependabot-options-reference\n\
         version: 2\nupdates:\n",
    );
    for ((ecosystem, _), dirs) in ECOSYSTEMS.iter().zip(&found) {
        if dirs.is_empty() {
            continue;
        }
        out.push_str(&format!("  - package-ecosystem: {ecosystem}\n"));
        if dirs.len() == 1 {
            let dir = dirs.iter().next().map_or("/", String::as_str);
            out.push_str(&format!("    directory: {}\n", yaml_string(dir)));
        } else {
            out.push_str("    directories:\n");
            for dir in dirs {
                out.push_str(&format!("      - {}\n", yaml_string(dir)));
            }
        }
        out.push_str("    schedule:\n      interval: weekly\n");
    }
    Some(out)
}

/// A directory as a YAML scalar: plain when it is safe, double-quoted otherwise.
fn yaml_string(dir: &str) -> String {
    let plain = dir
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    if plain {
        dir.to_owned()
    } else {
        serde_json::to_string(dir).unwrap_or_else(|_| format!("\"{dir}\""))
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

    #[test]
    fn fix_writes_dependabot_for_the_ecosystems_found() {
        use crate::fix::testing::{assert_fix, files, fix_once};
        let expected = "# Dependabot version updates, written by `goldpath fix` from the files of \
                        this repository.\n# Review the directories and schedules: \
                        https://docs.github.com/code-security/dependabot/working-with-dependabot/dependabot-options-reference\n\
                        version: 2\nupdates:\n  - package-ecosystem: cargo\n    directory: /\n    \
                        schedule:\n      interval: weekly\n  - package-ecosystem: npm\n    \
                        directories:\n      - /\n      - /web\n    schedule:\n      interval: weekly\n  \
                        - package-ecosystem: gomod\n    directory: /tools\n    schedule:\n      \
                        interval: weekly\n  - package-ecosystem: pip\n    directory: \"/ml lab\"\n    \
                        schedule:\n      interval: weekly\n  - package-ecosystem: github-actions\n    \
                        directory: /\n    schedule:\n      interval: weekly\n  \
                        - package-ecosystem: docker\n    directory: /deploy\n    schedule:\n      \
                        interval: weekly\n";
        assert_fix(
            POLICY,
            &[
                ("Cargo.toml", "[workspace]"),
                ("crates/a/Cargo.toml", "[package]"),
                ("package.json", "{}"),
                ("web/package.json", "{}"),
                ("web/node_modules/x/package.json", "{}"),
                ("tools/go.mod", "module x"),
                ("ml lab/requirements-dev.txt", ""),
                (".github/workflows/ci.yml", "on: push\n"),
                ("deploy/Dockerfile", "FROM x\n"),
            ],
            &[(".github/dependabot.yml", expected)],
        );
        // Nothing to update, or GitLab: no fix.
        let nothing = files(&[("README.md", "x")]);
        assert_eq!(fix_once(POLICY, &nothing, &Default::default()).1, 0);
        let gitlab = format!("[settings]\nplatform = \"gitlab\"\n{POLICY}");
        let cargo = files(&[("Cargo.toml", "")]);
        assert_eq!(fix_once(&gitlab, &cargo, &Default::default()).1, 0);
    }
}
