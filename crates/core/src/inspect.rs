//! What a repository is made of, as `goldpath init` reads it: package ecosystems, CI system,
//! hosting platform (the CODEOWNERS dialect), ownership files, and whether it is a service.
//!
//! Everything comes from file names and the files the `obs/*` rules already read for their
//! service detection, so `init` proposes exactly the packs and settings that `check` will then
//! judge the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use goldpath_manifests::FileKind;

use crate::engine::{Context, Engine};
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Platform, Policy};
use crate::registry::Registry;
use crate::rule::{Rule, Scope};
use crate::snapshot::Snapshot;

/// A language ecosystem found in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemFound {
    /// `cargo`, `npm`, `go`, `pypi` or `jvm`.
    pub name: &'static str,
    /// The directories that hold its manifests (`""` is the root), sorted.
    pub dirs: Vec<String>,
    /// The built-in pack for a service of this ecosystem (`rust-service`...).
    pub service_pack: &'static str,
}

impl EcosystemFound {
    /// Whether a manifest sits at the repository root.
    pub fn at_root(&self) -> bool {
        self.dirs.iter().any(String::is_empty)
    }
}

/// What [`inspect`] found.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Ecosystems, ordered by where their manifests sit (root first), then by how many
    /// directories hold one.
    pub ecosystems: Vec<EcosystemFound>,
    /// CI systems with the file that shows each: `("GitHub Actions", ".github/workflows/ci.yml")`.
    pub ci: Vec<(&'static str, String)>,
    /// The hosting platform, which decides the CODEOWNERS dialect and locations.
    pub platform: Platform,
    /// Why that platform.
    pub platform_reason: String,
    /// The CODEOWNERS files, in the order the platform looks for them.
    pub codeowners: Vec<String>,
    /// `catalog-info.yaml` files.
    pub catalog: Vec<String>,
    /// Whether the repository is a service, as the `obs/*` rules judge it.
    pub is_service: bool,
    /// Why (or why not) it is a service.
    pub service_reasons: Vec<String>,
    /// Directories of third-party code (`vendor`, `web/node_modules`...), as
    /// [`crate::vendored::vendored_dir`] finds them: `check` skips their files unless the
    /// policy's `include-vendored` takes them back.
    pub vendored: Vec<String>,
}

impl Inspection {
    /// The built-in packs the repository should extend: `builtin:recommended`, then for a
    /// service the pack of each ecosystem with a manifest at the root (or, when none sits at
    /// the root, of the most common one).
    pub fn packs(&self) -> Vec<String> {
        let mut packs = vec!["builtin:recommended".to_owned()];
        if self.is_service {
            let at_root: Vec<&EcosystemFound> =
                self.ecosystems.iter().filter(|e| e.at_root()).collect();
            let chosen = if at_root.is_empty() {
                self.ecosystems.first().into_iter().collect()
            } else {
                at_root
            };
            for ecosystem in chosen {
                let pack = format!("builtin:{}", ecosystem.service_pack);
                if !packs.contains(&pack) {
                    packs.push(pack);
                }
            }
        }
        packs
    }
}

/// Inspects a snapshot. Reads only the files the `obs/*` service detection reads (manifests,
/// YAML, Dockerfiles), and only when no file name already answers.
pub fn inspect(snapshot: &dyn Snapshot) -> Inspection {
    let files = snapshot.files();

    let mut ecosystems: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut add = |name: &'static str, dir: &str| {
        ecosystems.entry(name).or_default().insert(dir.to_owned());
    };
    let mut ci = Vec::new();
    let mut gitlab_evidence: Option<String> = None;
    let mut github_evidence: Option<String> = None;
    let mut codeowners = Vec::new();
    let mut catalog = Vec::new();
    let mut vendored = BTreeSet::new();

    for file in files {
        let path = file.path.as_str();
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let vendored_in = crate::vendored::vendored_dir(path);
        if let Some(dir) = vendored_in {
            vendored.insert(dir.to_owned());
        }
        if name == "CODEOWNERS" {
            codeowners.push(path.to_owned());
            if dir == ".gitlab" && gitlab_evidence.is_none() {
                gitlab_evidence = Some(path.to_owned());
            }
        }
        if matches!(name, "catalog-info.yaml" | "catalog-info.yml") {
            catalog.push(path.to_owned());
        }
        if path == ".gitlab-ci.yml" || path == ".gitlab-ci.yaml" {
            ci.push(("GitLab CI", path.to_owned()));
            gitlab_evidence = Some(path.to_owned());
        }
        if crate::ci::github::is_workflow_path(path) {
            if !ci.iter().any(|(system, _)| *system == "GitHub Actions") {
                ci.push(("GitHub Actions", path.to_owned()));
            }
            github_evidence.get_or_insert_with(|| path.to_owned());
        } else if dir == ".github" && github_evidence.is_none() {
            github_evidence = Some(path.to_owned());
        }
        // Not the repository's own: not evidence of an ecosystem.
        if vendored_in.is_some() {
            continue;
        }
        let is_jvm_build = matches!(
            name,
            "pom.xml"
                | "build.gradle"
                | "build.gradle.kts"
                | "settings.gradle"
                | "settings.gradle.kts"
        );
        match (FileKind::from_path(path), name) {
            (Some(_), "Cargo.toml") => add("cargo", dir),
            (Some(_), "package.json") => add("npm", dir),
            (Some(_), "go.mod") => add("go", dir),
            (Some(FileKind::Pyproject | FileKind::Requirements), _) => add("pypi", dir),
            _ if is_jvm_build => add("jvm", dir),
            _ => {}
        }
    }

    let mut ecosystems: Vec<EcosystemFound> = ecosystems
        .into_iter()
        .map(|(name, dirs)| EcosystemFound {
            name,
            dirs: dirs.into_iter().collect(),
            service_pack: match name {
                "cargo" => "rust-service",
                "npm" => "node-service",
                "go" => "go-service",
                "pypi" => "python-service",
                _ => "jvm-service",
            },
        })
        .collect();
    ecosystems.sort_by(|a, b| {
        b.at_root()
            .cmp(&a.at_root())
            .then(b.dirs.len().cmp(&a.dirs.len()))
            .then(a.name.cmp(b.name))
    });

    let (platform, platform_reason) = match (gitlab_evidence, github_evidence) {
        (Some(gitlab), None) => (Platform::GitLab, format!("{gitlab} is GitLab's")),
        (Some(gitlab), Some(github)) => (
            Platform::GitHub,
            format!(
                "{github} is GitHub's (and {gitlab} GitLab's: set `platform` if GitLab hosts it)"
            ),
        ),
        (None, Some(github)) => (Platform::GitHub, format!("{github} is GitHub's")),
        (None, None) => (
            Platform::GitHub,
            "no platform-specific file; GitHub is the default".to_owned(),
        ),
    };
    let dialect_order = goldpath_codeowners::locations(platform.dialect());
    codeowners.sort_by_key(|p| {
        dialect_order
            .iter()
            .position(|l| l == p)
            .unwrap_or(usize::MAX)
    });

    let (is_service, service_reasons) = service_verdict(snapshot);
    Inspection {
        ecosystems,
        ci,
        platform,
        platform_reason,
        codeowners,
        catalog,
        is_service,
        service_reasons,
        vendored: vendored.into_iter().collect(),
    }
}

/// Runs the `obs/*` service detection alone, through the engine (it reads documents through a
/// rule's context), and returns its verdict.
fn service_verdict(snapshot: &dyn Snapshot) -> (bool, Vec<String>) {
    let verdict: Arc<Mutex<Option<Verdict>>> = Arc::default();
    let mut engine = match Engine::new(&Registry::empty(), &Policy::default()) {
        Ok(engine) => engine,
        Err(_) => return (false, vec!["service detection could not run".to_owned()]),
    };
    engine.add_rule(
        "init/service-probe",
        Level::Note,
        Tier::Bronze,
        Scope::Repository { path_list: true },
        Box::new(ServiceProbe {
            verdict: Arc::clone(&verdict),
        }),
    );
    engine.check(snapshot);
    let found = verdict
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    found.unwrap_or_else(|| (false, vec!["service detection did not run".to_owned()]))
}

/// Service or not, and why.
type Verdict = (bool, Vec<String>);

struct ServiceProbe {
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl Rule for ServiceProbe {
    fn wants(&self) -> Vec<String> {
        crate::rules::obs::wants()
    }

    fn check(&self, cx: &Context<'_>, _out: &mut Vec<Violation>) {
        let service = crate::rules::obs::service::verdict(cx);
        *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((service.is_service, service.all_reasons()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::MemorySnapshot;

    fn snapshot(files: &[(&str, &str)]) -> MemorySnapshot {
        let mut snap = MemorySnapshot::new();
        for (path, text) in files {
            snap = snap.with_file(*path, *text);
        }
        snap
    }

    #[test]
    fn a_rust_service_on_github() {
        let found = inspect(&snapshot(&[
            (".github/workflows/ci.yml", "on: push\njobs: {}\n"),
            (".github/CODEOWNERS", "* @acme/team\n"),
            ("Cargo.toml", "[package]\nname = \"api\"\n"),
            ("src/main.rs", "fn main() {}\n"),
            ("Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
            ("web/package.json", "{}\n"),
            ("vendor/lib/Cargo.toml", "[package]\nname = \"x\"\n"),
        ]));
        let names: Vec<&str> = found.ecosystems.iter().map(|e| e.name).collect();
        assert_eq!(names, ["cargo", "npm"]);
        assert_eq!(found.ecosystems[0].dirs, [""]);
        assert_eq!(found.ecosystems[1].dirs, ["web"]);
        assert_eq!(found.platform, Platform::GitHub);
        assert_eq!(
            found.ci,
            [("GitHub Actions", ".github/workflows/ci.yml".to_owned())]
        );
        assert_eq!(found.codeowners, [".github/CODEOWNERS"]);
        assert!(found.is_service, "{:?}", found.service_reasons);
        assert!(
            found
                .service_reasons
                .iter()
                .any(|r| r.contains("Dockerfile")),
            "{:?}",
            found.service_reasons
        );
        assert_eq!(found.vendored, ["vendor"]);
        assert_eq!(
            found.packs(),
            ["builtin:recommended", "builtin:rust-service"]
        );
    }

    #[test]
    fn a_python_library_on_gitlab() {
        let found = inspect(&snapshot(&[
            (".gitlab-ci.yml", "test:\n  script: [pytest]\n"),
            ("CODEOWNERS", "[Docs]\n*.md @docs\n"),
            ("pyproject.toml", "[project]\nname = \"lib\"\n"),
        ]));
        assert_eq!(found.platform, Platform::GitLab);
        assert!(found.platform_reason.contains(".gitlab-ci.yml"));
        assert_eq!(found.ci[0].0, "GitLab CI");
        assert!(!found.is_service, "{:?}", found.service_reasons);
        assert_eq!(found.packs(), ["builtin:recommended"]);
    }

    #[test]
    fn a_service_without_root_manifest_takes_the_most_common_ecosystem() {
        let found = inspect(&snapshot(&[
            ("services/a/go.mod", "module a\n"),
            ("services/b/go.mod", "module b\n"),
            ("tools/pom.xml", "<project/>\n"),
            (
                "deploy/app.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\nspec:\n  template:\n    \
                 spec:\n      containers:\n        - name: a\n          image: a\n",
            ),
        ]));
        assert!(found.is_service, "{:?}", found.service_reasons);
        assert_eq!(found.ecosystems[0].name, "go");
        assert_eq!(found.packs(), ["builtin:recommended", "builtin:go-service"]);
    }
}
