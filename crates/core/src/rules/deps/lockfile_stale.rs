use std::collections::{HashMap, HashSet};

use goldpath_manifests::{DepKind, Ecosystem, FileKind, Manifest, Package, Source};

use super::spec::{fold, VersionMatch};
use super::{dir_of, repo_files, span, RepoFile};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/lockfile-stale",
    summary: "The lockfile locks every direct dependency at a version its requirement allows",
    level: Error,
    tier: Silver,
    scope: PerFile,
    rule: LockfileStale,
    what: "For each manifest and the lockfile that locks it (`Cargo.toml` and `Cargo.lock`; \
           `package.json` and `package-lock.json`, `npm-shrinkwrap.json`, \
           `pnpm-lock.yaml` or `yarn.lock`; `go.mod` and `go.sum`; `pyproject.toml` and \
           `uv.lock` or `poetry.lock`), every direct dependency from a registry, git or URL \
           must be in the lockfile, and when the requirement is a version range the \
           ecosystem's syntax can express (semver for Cargo and npm, PEP 440 for Python) \
           at least one locked version must satisfy it; for Go, `go.sum` must hold the \
           required version (or its `replace`ment). Findings are at the manifest line. A \
           lockfile locks a manifest when it lists the manifest's package among its own \
           (Cargo.lock's and uv.lock's local packages, the workspace directories of \
           package-lock.json v2/v3, pnpm-lock.yaml and yarn berry), else when it is in the \
           same directory; a Cargo.toml with its own `[workspace]` (a cargo-fuzz crate) \
           is locked only by a Cargo.lock beside it. A package that package.json forces \
           to a version (yarn `resolutions`, npm `overrides`, `pnpm.overrides`) only has \
           to be locked: the package manager installs the forced version whatever the \
           range says. Path dependencies, `workspace = true` entries, npm peer \
           dependencies and dist-tags (`next`), and Poetry-only syntax (`^1.2`) are only \
           checked for presence or not at all; optional dependencies and Cargo \
           `[workspace.dependencies]` only when they are locked. Manifests and lockfiles \
           that do not parse are left to `deps/invalid-manifest`.",
    why: "A lockfile that no longer matches its manifest means the manifest was edited \
          without running the package manager: CI installs something other than what \
          review saw (`npm ci` and `cargo build --locked` fail outright), and the \
          version a reviewer reads in the manifest is not the one that runs.",
    example: "`\"react\": \"^18.2.0\"` in package.json while package-lock.json locks \
              react 17.0.2 is reported at the package.json line: `npm dependency react \
              requires ^18.2.0 but package-lock.json locks 17.0.2`; a `serde = \"1\"` added \
              to Cargo.toml without updating Cargo.lock: `cargo dependency serde is \
              declared but Cargo.lock does not lock it`.",
    fix: "Run the package manager so that it updates the lockfile (`cargo update -p NAME` \
          or `cargo build`, `npm install`, `pnpm install`, `yarn`, `go mod tidy`, `uv \
          lock`, `poetry lock`) and commit the lockfile with the manifest.",
}

/// `path` relative to `dir` (`""` for `dir` itself), when it is inside it.
fn relative<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() {
        return Some(path);
    }
    if path == dir {
        return Some("");
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

/// Whether the lockfile `lock` at `lock_path` locks the manifest at `path`.
fn locks(path: &str, manifest: &Manifest, lock_path: &str, lock: &Manifest) -> bool {
    let (dir, lock_dir) = (dir_of(path), dir_of(lock_path));
    let same_dir = dir == lock_dir;
    match lock.kind {
        // A manifest with its own `[workspace]` (a cargo-fuzz crate, a tool kept out of the
        // main workspace) is a workspace root: only a Cargo.lock beside it locks it, even when
        // its package shares a name with a member of an enclosing workspace.
        FileKind::CargoLock if manifest.workspace => same_dir,
        FileKind::CargoLock => match &manifest.name {
            Some(name) => lock.members.iter().any(|m| m == name),
            None => same_dir,
        },
        FileKind::PackageLock | FileKind::PnpmLock | FileKind::YarnLock => {
            if lock.members.is_empty() {
                same_dir
            } else {
                relative(dir, lock_dir).is_some_and(|rel| lock.members.iter().any(|m| m == rel))
            }
        }
        FileKind::UvLock => {
            same_dir
                || manifest
                    .name
                    .as_ref()
                    .is_some_and(|n| lock.members.contains(&fold(Ecosystem::Pypi, n)))
        }
        _ => same_dir,
    }
}

/// What the lockfiles of one manifest hold: versions by name, and Go's (module, version)s.
struct Locked<'m> {
    names: Vec<&'m str>,
    versions: HashMap<String, Vec<&'m str>>,
    go: HashSet<(&'m str, &'m str)>,
}

impl<'m> Locked<'m> {
    fn new(locks: &[(&'m str, &'m Manifest)]) -> Self {
        let mut versions: HashMap<String, Vec<&str>> = HashMap::new();
        let mut go = HashSet::new();
        for (_, lock) in locks {
            for package in &lock.packages {
                let entry = versions
                    .entry(fold(package.ecosystem, &package.name))
                    .or_default();
                if let Some(v) = package.version.as_deref() {
                    entry.push(v);
                    go.insert((package.name.as_str(), v));
                }
            }
            for (module, version) in &lock.selection_only {
                go.insert((module.as_str(), version.as_str()));
            }
        }
        Locked {
            names: locks
                .iter()
                .map(|(p, _)| p.rsplit('/').next().unwrap_or(p))
                .collect(),
            versions,
            go,
        }
    }
}

/// A range to compare locked versions with, when the requirement is one the ecosystem's
/// syntax expresses (not a dist-tag, not a bare `*`).
fn range(package: &Package) -> Option<VersionMatch> {
    let requirement = package.requirement.as_deref()?.trim();
    if matches!(requirement, "" | "*" | "x" | "X" | "latest") {
        return None;
    }
    VersionMatch::parse(package.ecosystem, requirement).ok()
}

impl Rule for LockfileStale {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let wanted: HashSet<&str> = cx.wanted().iter().map(|f| f.path.as_str()).collect();
        if wanted.is_empty() {
            return;
        }
        let repo = repo_files(cx);
        for file in &repo.files {
            if !matches!(
                file.kind,
                FileKind::CargoToml | FileKind::PackageJson | FileKind::GoMod | FileKind::Pyproject
            ) {
                continue;
            }
            let Ok(manifest) = file.parsed.as_ref() else {
                continue;
            };
            let candidates = repo.lockfiles_of(&file.path, file.kind);
            let judged = wanted.contains(file.path.as_str())
                || candidates.iter().any(|l| wanted.contains(l.path.as_str()));
            if !judged || manifest.packages.is_empty() {
                continue;
            }
            let locks: Vec<(&str, &Manifest)> = candidates
                .iter()
                .filter_map(|l: &&RepoFile| match l.parsed.as_ref() {
                    Ok(lock) if locks(&file.path, manifest, &l.path, lock) => {
                        Some((l.path.as_str(), lock))
                    }
                    _ => None,
                })
                .collect();
            // None of them locks it (or none parses: `deps/invalid-manifest` reports that).
            if locks.is_empty() {
                continue;
            }
            let locked = Locked::new(&locks);
            for package in &manifest.packages {
                if manifest.overridden.contains(&package.name)
                    && locked
                        .versions
                        .contains_key(&fold(package.ecosystem, &package.name))
                {
                    // yarn `resolutions`, npm `overrides` and `pnpm.overrides` pin a version
                    // the package manager installs whatever the range says: locked is enough.
                    continue;
                }
                if let Some(violation) = judge(&file.path, package, &locked) {
                    out.push(violation);
                }
            }
        }
    }
}

fn judge(path: &str, package: &Package, locked: &Locked<'_>) -> Option<Violation> {
    if package.inherited || package.kind == DepKind::Peer {
        return None;
    }
    if matches!(package.source, Source::Path(_)) {
        return None;
    }
    let lockname = locked.names.join(" and ");
    if package.ecosystem == Ecosystem::Go {
        let (module, version) = match &package.source {
            Source::Registry(Some(replacement)) => replacement.split_once('@')?,
            _ => (package.name.as_str(), package.version.as_deref()?),
        };
        if locked.go.contains(&(module, version)) {
            return None;
        }
        return Some(
            Violation::file(
                path,
                format!(
                    "go module {module} {version} is required but {lockname} has no hash for it"
                ),
            )
            .span(span(&package.position))
            .help("run `go mod tidy` and commit go.sum")
            .key(format!("go:{module}@{version}")),
        );
    }
    let optional = matches!(package.kind, DepKind::Optional | DepKind::Workspace);
    let name = fold(package.ecosystem, &package.name);
    let help = match package.ecosystem {
        Ecosystem::Cargo => "run `cargo update` (or any cargo build) and commit Cargo.lock",
        Ecosystem::Npm => "run your package manager's install (`npm install`, `pnpm install`, `yarn`) and commit the lockfile",
        _ => "run `uv lock` or `poetry lock` and commit the lockfile",
    };
    let Some(versions) = locked.versions.get(&name) else {
        if optional {
            return None;
        }
        return Some(
            Violation::file(
                path,
                format!(
                    "{} dependency {} is declared but {lockname} does not lock it",
                    package.ecosystem, package.name
                ),
            )
            .span(span(&package.position))
            .help(help)
            .key(format!("missing:{}:{}", package.ecosystem, name)),
        );
    };
    if !matches!(package.source, Source::Registry(_)) {
        return None;
    }
    let range = range(package)?;
    if versions.is_empty() || versions.iter().any(|v| range.matches(v)) {
        return None;
    }
    let requirement = package.requirement.as_deref().unwrap_or_default();
    Some(
        Violation::file(
            path,
            format!(
                "{} dependency {} requires {requirement} but {lockname} locks {}",
                package.ecosystem,
                package.name,
                versions.join(", ")
            ),
        )
        .span(span(&package.position))
        .help(help)
        .key(format!("stale:{}:{}", package.ecosystem, name)),
    )
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    #[test]
    fn resolutions_and_own_workspaces_are_not_stale() {
        const POLICY: &str = "[rules.\"deps/lockfile-stale\"]\n";
        // netbox's shape: a resolution pins 14.2.0 under a ^14.3.0 range; yarn installs it.
        let package =
            "{\"dependencies\": {\"markdown-it\": \"^14.3.0\", \"left-pad\": \"^2.0.0\"},\n\
                       \"resolutions\": {\"**/markdown-it\": \"^14.2.0\"}}\n";
        let yarn = "markdown-it@^14.2.0, markdown-it@^14.3.0:\n  version \"14.2.0\"\n\n\
                    left-pad@^2.0.0:\n  version \"1.3.0\"\n";
        // meilisearch's shape: a cargo-fuzz crate is its own workspace, named like a member
        // of the main workspace, with no Cargo.lock of its own.
        let root = "[workspace]\nmembers = [\"crates/checker\"]\n";
        let member = "[package]\nname = \"checker\"\nversion = \"0.1.0\"\n";
        let fuzz = "[package]\nname = \"checker\"\nversion = \"0.0.0\"\n[dependencies]\nlibfuzzer-sys = \"0.4\"\n[workspace]\nmembers = [\".\"]\n";
        let lock = "version = 4\n[[package]]\nname = \"checker\"\nversion = \"0.1.0\"\n";
        let findings = check(
            POLICY,
            &[
                ("web/package.json", package),
                ("web/yarn.lock", yarn),
                ("Cargo.toml", root),
                ("Cargo.lock", lock),
                ("crates/checker/Cargo.toml", member),
                ("crates/checker/fuzz/Cargo.toml", fuzz),
            ],
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            ["npm dependency left-pad requires ^2.0.0 but yarn.lock locks 1.3.0"],
            "{findings:#?}"
        );
    }

    const POLICY: &str = "[rules.\"deps/lockfile-stale\"]\n";

    fn got(files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        check(POLICY, files)
            .iter()
            .filter(|f| f.rule == "deps/lockfile-stale")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.message.clone(),
                )
            })
            .collect()
    }

    const CARGO_LOCK: &str = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\", \"log\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"log\"\nversion = \"0.4.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

    #[test]
    fn cargo_missing_and_stale() {
        let manifest = "[package]\nname = \"app\"\n[dependencies]\nserde = \"1.0.100\"\nlog = \"0.5\"\nanyhow = \"1\"\nlocal = { path = \"../local\" }\nfeat = { version = \"1\", optional = true }\n";
        assert_eq!(
            got(&[("Cargo.toml", manifest), ("Cargo.lock", CARGO_LOCK)]),
            [
                (
                    "Cargo.toml".into(),
                    5,
                    "cargo dependency log requires 0.5 but Cargo.lock locks 0.4.20".into()
                ),
                (
                    "Cargo.toml".into(),
                    6,
                    "cargo dependency anyhow is declared but Cargo.lock does not lock it".into()
                ),
                // Cargo locks optional dependencies whatever the features.
                (
                    "Cargo.toml".into(),
                    8,
                    "cargo dependency feat is declared but Cargo.lock does not lock it".into()
                ),
            ]
        );
        // A package the lockfile does not list as its own is not judged against it.
        let other = "[package]\nname = \"fixture\"\n[dependencies]\nanyhow = \"1\"\n";
        assert!(got(&[
            ("tests/fixture/Cargo.toml", other),
            ("Cargo.lock", CARGO_LOCK)
        ])
        .is_empty());
    }

    #[test]
    fn npm_pnpm_yarn() {
        let package = "{\n  \"dependencies\": {\n    \"react\": \"^18.2.0\",\n    \"left-pad\": \"1.3.0\",\n    \"ws\": \"workspace:*\"\n  },\n  \"peerDependencies\": { \"vue\": \"^3\" }\n}";
        let npm = "{\"lockfileVersion\": 3, \"packages\": {\"\": {}, \"node_modules/react\": {\"version\": \"17.0.2\"}, \"node_modules/left-pad\": {\"version\": \"1.3.0\"}}}";
        assert_eq!(
            got(&[
                ("web/package.json", package),
                ("web/package-lock.json", npm)
            ]),
            [(
                "web/package.json".into(),
                3,
                "npm dependency react requires ^18.2.0 but package-lock.json locks 17.0.2".into()
            )]
        );
        let pnpm = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      react:\n        specifier: ^18.2.0\n        version: 18.2.0\n  web:\n    dependencies:\n      left-pad:\n        specifier: 1.3.0\n        version: 1.3.0\npackages:\n  react@18.2.0:\n    resolution: {integrity: x}\n  left-pad@1.3.0:\n    resolution: {integrity: y}\n";
        // The pnpm workspace's member `web` is locked by the root pnpm-lock.yaml.
        assert!(got(&[("web/package.json", package), ("pnpm-lock.yaml", pnpm)]).is_empty());
        let yarn = "left-pad@1.3.0:\n  version \"1.3.0\"\n";
        assert_eq!(
            got(&[("package.json", package), ("yarn.lock", yarn)]),
            [(
                "package.json".into(),
                3,
                "npm dependency react is declared but yarn.lock does not lock it".into()
            )]
        );
    }

    #[test]
    fn go_and_python() {
        let go_mod = "module m\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.2.0 // indirect\n\tgithub.com/e/f v1.1.0\n)\n\nreplace github.com/e/f => github.com/e/g v1.2.0\n";
        let go_sum = "github.com/a/b v1.0.0 h1:x=\ngithub.com/a/b v1.0.0/go.mod h1:y=\ngithub.com/c/d v0.1.0/go.mod h1:z=\ngithub.com/e/g v1.2.0 h1:w=\n";
        assert_eq!(
            got(&[("go.mod", go_mod), ("go.sum", go_sum)]),
            [(
                "go.mod".into(),
                5,
                "go module github.com/c/d v0.2.0 is required but go.sum has no hash for it".into()
            )]
        );
        let pyproject = "[project]\nname = \"app\"\ndependencies = [\n  \"httpx>=0.28\",\n  \"Requests>=2,<3\",\n  \"missing-one\",\n]\n";
        let uv = "version = 1\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"httpx\"\nversion = \"0.27.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(
            got(&[("pyproject.toml", pyproject), ("uv.lock", uv)]),
            [
                (
                    "pyproject.toml".into(),
                    4,
                    "pypi dependency httpx requires >=0.28 but uv.lock locks 0.27.0".into()
                ),
                (
                    "pyproject.toml".into(),
                    6,
                    "pypi dependency missing-one is declared but uv.lock does not lock it".into()
                ),
            ]
        );
    }

    /// PEP 440 as packaging reads it: a post-release is not `==2.0`, epochs count, and a locked
    /// pre-release inside the range satisfies it.
    #[test]
    fn python_requirements_follow_pep_440() {
        let pyproject = "[project]\nname = \"app\"\ndependencies = [\n  \"a==2.0\",\n  \"b>=1!1.0\",\n  \"c>=2.0\",\n  \"d<=1.0\",\n]\n";
        let lock = |name: &str, version: &str| {
            format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n\n")
        };
        let uv = format!(
            "version = 1\n{}{}{}{}",
            lock("a", "2.0.post1"),
            lock("b", "2.0"),
            lock("c", "2.1rc1"),
            lock("d", "1.0.post1")
        );
        let lines: Vec<(u32, String)> = got(&[("pyproject.toml", pyproject), ("uv.lock", &uv)])
            .into_iter()
            .map(|(_, line, message)| (line, message))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    4,
                    "pypi dependency a requires ==2.0 but uv.lock locks 2.0.post1".to_owned()
                ),
                (
                    5,
                    "pypi dependency b requires >=1!1.0 but uv.lock locks 2.0".to_owned()
                ),
                (
                    7,
                    "pypi dependency d requires <=1.0 but uv.lock locks 1.0.post1".to_owned()
                ),
            ]
        );
    }
}
