use std::collections::HashSet;

use goldpath_manifests::FileKind;

use super::{dir_of, join, judged_kind, parsed, project};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/lockfile-missing",
    summary: "Every manifest that declares dependencies has a committed lockfile",
    level: Error,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow-libraries",
        kind: "boolean",
        help: "Let Cargo packages that build only a library (no `src/main.rs`, no `src/bin/`, \
               no `[[bin]]`) go without `Cargo.lock`, as Cargo's documentation used to advise. \
               Default `false`: a lockfile makes a library's CI reproducible too.",
    }],
    what: "Each `Cargo.toml`, `package.json`, `go.mod` and `pyproject.toml` that declares \
           at least one dependency (or a Cargo/npm workspace) needs a lockfile: \
           `Cargo.lock` in its directory or a parent (a workspace's lockfile locks its \
           members); `package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`, \
           `pnpm-lock.yaml` or `bun.lock(b)` in its directory or a parent; `go.sum` beside \
           `go.mod`; `poetry.lock`, `uv.lock`, `pdm.lock`, `Pipfile.lock` or `pylock.toml` \
           in its directory or a parent, or a `requirements*.txt` beside it (pip-tools \
           style). Manifests under `node_modules/`, `site-packages/` and `.venv/` are \
           installed code and are not judged; files that do not parse are left to \
           `deps/invalid-manifest`.",
    why: "Without a lockfile every install resolves versions anew: builds are not \
          reproducible, a compromised or broken release reaches CI and production the \
          moment it is published, and reviews never see which versions changed.",
    example: "`web/package.json` with `\"dependencies\": {\"react\": \"^18\"}` and no \
              lockfile in `web/` or at the root is reported: `package.json declares \
              dependencies but no lockfile locks them (package-lock.json, ...)`; with \
              `web/package-lock.json` committed it is not.",
    fix: "Run the package manager's install (`cargo generate-lockfile`, `npm install`, \
          `go mod tidy`, `uv lock`, `poetry lock`) and commit the lockfile; remove it from \
          `.gitignore` if it is listed there.",
}

struct LockfileMissing {
    allow_libraries: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(LockfileMissing {
        allow_libraries: params.take::<bool>("allow-libraries")?.unwrap_or(false),
    }))
}

const PYTHON_LOCKS: &[&str] = &[
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "Pipfile.lock",
    "pylock.toml",
];

/// Paths of the repository that matter here: lockfiles, and Cargo binary targets.
struct Paths {
    files: HashSet<String>,
    /// Directories `x` with files under `x/src/bin/`.
    bin_dirs: HashSet<String>,
    /// Directories with a `requirements*` file of those above.
    requirements_dirs: HashSet<String>,
}

fn paths(cx: &Context<'_>) -> Paths {
    let mut names: HashSet<&str> = PYTHON_LOCKS.iter().copied().collect();
    for kind in [FileKind::CargoToml, FileKind::PackageJson, FileKind::GoMod] {
        names.extend(kind.lockfiles());
    }
    let mut files = HashSet::new();
    let mut bin_dirs = HashSet::new();
    let mut requirements_dirs = HashSet::new();
    for file in cx.all_files() {
        let path = file.path.as_str();
        let name = path.rsplit('/').next().unwrap_or(path);
        let requirements = name.starts_with("requirements") && name.ends_with(".txt");
        if names.contains(name) || requirements || path.ends_with("src/main.rs") {
            files.insert(path.to_owned());
            if name.starts_with("requirements") {
                requirements_dirs.insert(dir_of(path).to_owned());
            }
        }
        if let Some(at) = path.find("src/bin/") {
            if at == 0 || path.as_bytes()[at - 1] == b'/' {
                bin_dirs.insert(path[..at.saturating_sub(1)].to_owned());
            }
        }
    }
    Paths {
        files,
        bin_dirs,
        requirements_dirs,
    }
}

impl Rule for LockfileMissing {
    fn wants(&self) -> Vec<String> {
        // The family's one list (one glob set for every deps rule); manifests picked below.
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let mut repo: Option<std::sync::Arc<Paths>> = None;
        let project = project(cx);
        for file in cx.wanted() {
            let manifest_kind = judged_kind(&project, file).is_some_and(|kind| {
                matches!(
                    kind,
                    FileKind::CargoToml
                        | FileKind::PackageJson
                        | FileKind::GoMod
                        | FileKind::Pyproject
                )
            });
            if !manifest_kind {
                continue;
            }
            let Some(parsed) = parsed(cx, file) else {
                continue;
            };
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            let kind = manifest.kind;
            if !matches!(
                kind,
                FileKind::CargoToml | FileKind::PackageJson | FileKind::GoMod | FileKind::Pyproject
            ) {
                continue;
            }
            if manifest.packages.is_empty() && !manifest.workspace {
                continue;
            }
            let repo = repo.get_or_insert_with(|| cx.memo_repo("deps-lock-paths", || paths(cx)));
            let dir = dir_of(&file.path);
            if kind == FileKind::CargoToml && self.allow_libraries && !manifest.virtual_root {
                let binary = manifest.binaries
                    || repo.files.contains(&join(dir, "src/main.rs"))
                    || repo.bin_dirs.contains(dir);
                if !binary {
                    continue;
                }
            }
            let names: Vec<&str> = match kind {
                FileKind::Pyproject => PYTHON_LOCKS.to_vec(),
                other => other.lockfiles().to_vec(),
            };
            let ancestors = kind != FileKind::GoMod;
            if locked(&repo.files, dir, &names, ancestors) {
                continue;
            }
            if kind == FileKind::Pyproject && repo.requirements_dirs.contains(dir) {
                continue;
            }
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            let expected = if ancestors {
                format!("{} here or in a parent directory", names.join(", "))
            } else {
                format!("{} beside it", names.join(", "))
            };
            out.push(
                Violation::file(
                    &file.path,
                    format!("{name} declares dependencies but no lockfile locks them ({expected})"),
                )
                .help(match kind {
                    FileKind::CargoToml => "run `cargo generate-lockfile` and commit Cargo.lock",
                    FileKind::PackageJson => {
                        "run your package manager's install (`npm install`, `pnpm install`, \
                         `yarn`) and commit the lockfile"
                    }
                    FileKind::GoMod => "run `go mod tidy` and commit go.sum",
                    _ => "run `uv lock` or `poetry lock` and commit the lockfile",
                })
                .key("lockfile-missing"),
            );
        }
    }
}

fn locked(files: &HashSet<String>, dir: &str, names: &[&str], ancestors: bool) -> bool {
    let mut dir = dir;
    loop {
        if names.iter().any(|n| files.contains(&join(dir, n))) {
            return true;
        }
        if !ancestors || dir.is_empty() {
            return false;
        }
        dir = dir_of(dir);
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"deps/lockfile-missing\"]\n";
    const CARGO: &str = "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\n";
    const NPM: &str = "{\"dependencies\": {\"react\": \"^18\"}}";
    const GO: &str = "module m\nrequire a.b/c v1.0.0\n";
    const PY: &str = "[project]\nname = \"p\"\ndependencies = [\"httpx\"]\n";

    fn paths(findings: &[crate::Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.rule == "deps/lockfile-missing")
            .map(|f| f.path.as_deref().unwrap_or(""))
            .collect()
    }

    #[test]
    fn reports_manifests_without_lockfiles() {
        let findings = check(
            POLICY,
            &[
                ("Cargo.toml", CARGO),
                ("web/package.json", NPM),
                ("svc/go.mod", GO),
                ("py/pyproject.toml", PY),
                ("empty/package.json", "{\"name\": \"e\"}"),
                ("node_modules/x/package.json", NPM),
            ],
        );
        assert_eq!(
            paths(&findings),
            [
                "Cargo.toml",
                "py/pyproject.toml",
                "svc/go.mod",
                "web/package.json"
            ]
        );
        assert!(
            findings[0].message.contains("Cargo.lock"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn lockfiles_here_or_in_parents_count() {
        let findings = check(
            POLICY,
            &[
                ("Cargo.toml", "[workspace]\nmembers = [\"crates/a\"]\n"),
                ("Cargo.lock", ""),
                ("crates/a/Cargo.toml", CARGO),
                ("package.json", NPM),
                ("pnpm-lock.yaml", ""),
                ("apps/web/package.json", NPM),
                ("svc/go.mod", GO),
                ("go.sum", ""),
                ("py/pyproject.toml", PY),
                ("py/requirements.txt", "httpx==0.27"),
                ("uvws/pyproject.toml", PY),
                ("uvws/uv.lock", ""),
            ],
        );
        // go.sum must be beside go.mod.
        assert_eq!(paths(&findings), ["svc/go.mod"]);
    }

    #[test]
    fn libraries_may_go_without_when_allowed() {
        let policy = "[rules.\"deps/lockfile-missing\"]\nallow-libraries = true\n";
        let files = [
            ("lib/Cargo.toml", CARGO),
            ("lib/src/lib.rs", ""),
            ("bin/Cargo.toml", CARGO),
            ("bin/src/main.rs", ""),
            ("tool/Cargo.toml", CARGO),
            ("tool/src/bin/t.rs", ""),
        ];
        assert_eq!(
            paths(&check(policy, &files)),
            ["bin/Cargo.toml", "tool/Cargo.toml"]
        );
        assert_eq!(paths(&check(POLICY, &files)).len(), 3);
    }

    #[test]
    fn unparsable_manifests_are_left_to_invalid_manifest() {
        assert!(paths(&check(POLICY, &[("package.json", "{")])).is_empty());
    }
}
