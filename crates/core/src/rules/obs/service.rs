//! Whether the repository is a service, and why: the obs rules judge services only.
//!
//! In order, the first that decides wins:
//!
//! 1. `[settings] kind = "service"` or `"library"` in the policy;
//! 2. a `catalog-info.yaml` `Component` with `spec.type` `service` or `website` (a service),
//!    or only components of other types, such as `library` (not a service);
//! 3. the heuristic: a Dockerfile or Containerfile, a long-running Kubernetes workload
//!    (Deployment, StatefulSet, DaemonSet, ReplicaSet, Rollout, Knative Service), a Helm
//!    chart, or a binary target (Cargo `[[bin]]`, `src/main.rs` or `src/bin/` beside a
//!    Cargo.toml; Go `main.go` at the module root or in `cmd/*/`).
//!
//! Files under the directories of [`super::IGNORED_DIRS`] (examples, fixtures, tests,
//! `.devcontainer`, vendored code) are not evidence.

use std::sync::Arc;

use crate::doc::Node;
use crate::engine::Context;
use crate::policy::RepoKind;

use super::{deploy, file_name, ignored};

/// The verdict, with the reasons a person can check.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) is_service: bool,
    /// Why (or why not), for findings and `--verbose`.
    pub(crate) reasons: Vec<String>,
    /// Decided by the policy's `kind`.
    pub(crate) explicit: bool,
}

impl Service {
    /// `help`, followed by why the repository is judged as a service.
    pub(crate) fn note(&self, help: &str) -> String {
        let why = self.reasons.join("; ");
        if self.explicit {
            format!("{help}. Judged as a service: {why}")
        } else {
            format!(
                "{help}. Judged as a service: {why} (set `kind = \"library\"` under [settings] \
                 if it is not one)"
            )
        }
    }
}

/// The verdict when the repository is a service, `None` otherwise (the obs rules then report
/// nothing). Computed once per check and logged at debug level (`-v`).
pub(crate) fn judged(cx: &Context<'_>) -> Option<Arc<Service>> {
    if let Some(changed) = cx.changed() {
        if !changed.iter().any(|p| relevant(p)) {
            tracing::debug!("obs: no changed file is one the obs rules read; not judged");
            return None;
        }
    }
    let service = verdict(cx);
    service.is_service.then_some(service)
}

/// The verdict, service or not, whatever the change set (`goldpath init` shows it). Computed
/// once per check and logged at debug level.
pub(crate) fn verdict(cx: &Context<'_>) -> Arc<Service> {
    cx.memo_repo("obs-service", || {
        let verdict = detect(cx);
        tracing::debug!(
            service = verdict.is_service,
            reasons = %verdict.reasons.join("; "),
            "obs: service detection"
        );
        verdict
    })
}

/// Whether a change to `path` can change what the obs rules find: in change mode (`--staged`,
/// `--base`) they judge the repository only when such a file changed, so a commit of source
/// files alone does not re-report repository-wide gaps (and does not pay for the source scan).
pub(crate) fn relevant(path: &str) -> bool {
    let name = file_name(path);
    let lower = path.to_ascii_lowercase();
    goldpath_manifests::FileKind::from_path(path).is_some()
        || super::jvm::is_build_file(path)
        || deploy::is_dockerfile(name)
        || lower.ends_with(".yaml")
        || lower.ends_with(".yml")
        || file_name(&lower).starts_with("runbook")
        || lower.contains("runbook/")
        || lower.contains("runbooks/")
        || name == "goldpath.toml"
        || name == ".goldpath.toml"
}

/// A catalog entity of `catalog-info.yaml`, as the obs rules read it.
#[derive(Debug, Clone)]
pub(crate) struct CatalogEntity {
    pub(crate) path: String,
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) spec_type: Option<String>,
    /// `metadata.links`: (url, title, type, span of the url).
    pub(crate) links: Vec<(String, String, String, crate::span::Span)>,
    /// `metadata.annotations`: (key, value, span of the key).
    pub(crate) annotations: Vec<(String, String, crate::span::Span)>,
}

/// The entities of every `catalog-info.yaml`/`.yml`, once per check.
pub(crate) fn catalog(cx: &Context<'_>) -> Arc<Vec<CatalogEntity>> {
    cx.memo_repo("obs-catalog", || {
        let mut out = Vec::new();
        for file in cx.all_files() {
            let name = file_name(&file.path);
            if !matches!(name, "catalog-info.yaml" | "catalog-info.yml") || ignored(&file.path) {
                continue;
            }
            let Some(docs) = cx.documents(file) else {
                continue;
            };
            let Ok(docs) = docs.as_ref() else { continue };
            for root in docs {
                let str_at = |node: Option<&Node>, key: &str| {
                    node.and_then(|n| n.get(key))
                        .and_then(Node::as_str)
                        .map(str::to_owned)
                };
                let Some(kind) = str_at(Some(root), "kind") else {
                    continue;
                };
                let metadata = root.get("metadata");
                let mut links = Vec::new();
                for link in metadata
                    .and_then(|m| m.get("links"))
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    let Some(url) = link.get("url") else { continue };
                    let Some(url_text) = url.as_str() else {
                        continue;
                    };
                    links.push((
                        url_text.to_owned(),
                        str_at(Some(link), "title").unwrap_or_default(),
                        str_at(Some(link), "type").unwrap_or_default(),
                        url.span,
                    ));
                }
                let annotations = metadata
                    .and_then(|m| m.get("annotations"))
                    .and_then(Node::as_map)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|e| {
                        Some((
                            e.key_str()?.to_owned(),
                            e.value.as_str().unwrap_or_default().to_owned(),
                            e.key.span,
                        ))
                    })
                    .collect();
                out.push(CatalogEntity {
                    path: file.path.clone(),
                    kind,
                    name: str_at(metadata, "name").unwrap_or_default(),
                    spec_type: str_at(root.get("spec"), "type"),
                    links,
                    annotations,
                });
            }
        }
        out
    })
}

fn detect(cx: &Context<'_>) -> Service {
    match cx.settings().kind {
        Some(RepoKind::Service) => {
            return Service {
                is_service: true,
                reasons: vec!["`kind = \"service\"` in the policy's [settings]".into()],
                explicit: true,
            }
        }
        Some(RepoKind::Library) => {
            return Service {
                is_service: false,
                reasons: vec!["`kind = \"library\"` in the policy's [settings]".into()],
                explicit: true,
            }
        }
        None => {}
    }

    let components: Vec<CatalogEntity> = catalog(cx)
        .iter()
        .filter(|e| e.kind == "Component")
        .cloned()
        .collect();
    if let Some(c) = components
        .iter()
        .find(|c| matches!(c.spec_type.as_deref(), Some("service" | "website")))
    {
        return Service {
            is_service: true,
            reasons: vec![format!(
                "{} declares Component `{}` of spec.type `{}`",
                c.path,
                c.name,
                c.spec_type.as_deref().unwrap_or_default()
            )],
            explicit: false,
        };
    }
    if let Some(c) = components.iter().find(|c| c.spec_type.is_some()) {
        return Service {
            is_service: false,
            reasons: vec![format!(
                "{} declares Component `{}` of spec.type `{}`, not a service",
                c.path,
                c.name,
                c.spec_type.as_deref().unwrap_or_default()
            )],
            explicit: false,
        };
    }

    let mut reasons = Vec::new();
    let deploy = deploy::deploy(cx);
    if let Some(d) = deploy.dockerfiles.first() {
        reasons.push(format!("a Dockerfile ({})", d.path));
    }
    if let Some((workload, path)) = deploy.workloads.first() {
        reasons.push(format!("a Kubernetes {workload} ({path})"));
    }
    if let Some(chart) = deploy.charts.first() {
        reasons.push(format!("a Helm chart ({chart})"));
    }
    if let Some(bin) = binary_target(cx) {
        reasons.push(format!("a binary target ({bin})"));
    }
    if reasons.is_empty() {
        return Service {
            is_service: false,
            reasons: vec![
                "no service kind in the policy or catalog-info.yaml, and no Dockerfile, \
                 Kubernetes workload, Helm chart or binary target"
                    .into(),
            ],
            explicit: false,
        };
    }
    Service {
        is_service: true,
        reasons,
        explicit: false,
    }
}

/// The first binary target: a Cargo binary or a Go main package.
fn binary_target(cx: &Context<'_>) -> Option<String> {
    let files: Vec<&str> = cx
        .all_files()
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| !ignored(p))
        .collect();
    let set: std::collections::HashSet<&str> = files.iter().copied().collect();
    let has = |p: &str| set.contains(p);
    let join = |dir: &str, name: &str| {
        if dir.is_empty() {
            name.to_owned()
        } else {
            format!("{dir}/{name}")
        }
    };
    for path in &files {
        let dir = path.rfind('/').map_or("", |i| &path[..i]);
        match file_name(path) {
            "Cargo.toml" => {
                let main = join(dir, "src/main.rs");
                if has(&main) {
                    return Some(main);
                }
                let bin_dir = join(dir, "src/bin/");
                if let Some(bin) = files.iter().find(|p| p.starts_with(&bin_dir)) {
                    return Some((*bin).to_owned());
                }
                let declared = cx
                    .all_files()
                    .iter()
                    .find(|f| f.path == *path)
                    .and_then(|f| crate::rules::deps::parsed(cx, f))
                    .is_some_and(|m| m.as_ref().as_ref().is_ok_and(|m| m.binaries));
                if declared {
                    return Some(format!("[[bin]] in {path}"));
                }
            }
            "go.mod" => {
                let main = join(dir, "main.go");
                if has(&main) {
                    return Some(main);
                }
                let cmd = join(dir, "cmd/");
                if let Some(found) = files.iter().find(|p| {
                    p.strip_prefix(&cmd)
                        .and_then(|rest| rest.split_once('/'))
                        .is_some_and(|(_, file)| file == "main.go")
                }) {
                    return Some((*found).to_owned());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::snapshot::MemorySnapshot;
    use crate::testing::{check, check_snapshot};

    const POLICY: &str = "[rules.\"obs/slo\"]\n";

    fn judged(files: &[(&str, &str)]) -> Option<String> {
        let found = check(POLICY, files);
        found
            .iter()
            .find(|f| f.rule == "obs/slo")
            .map(|f| f.help.clone().unwrap_or_default())
    }

    const CATALOG: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\nspec:\n  type: TYPE\n  owner: team-a\n";

    #[test]
    fn the_catalog_decides_before_the_heuristic() {
        let library = CATALOG.replace("TYPE", "library");
        assert_eq!(
            judged(&[("catalog-info.yaml", &library), ("Dockerfile", "FROM x\n")]),
            None
        );
        let website = CATALOG.replace("TYPE", "website");
        let help = judged(&[("catalog-info.yaml", &website)]).expect("a service");
        assert!(
            help.contains("catalog-info.yaml declares Component `ledger` of spec.type `website`"),
            "{help}"
        );
        // A catalog without a spec.type leaves it to the heuristic.
        let untyped = CATALOG.replace("  type: TYPE\n", "");
        assert_eq!(judged(&[("catalog-info.yaml", &untyped)]), None);
    }

    #[test]
    fn heuristic_evidence() {
        let cases: [(&[(&str, &str)], &str); 5] = [
            (
                &[("go.mod", "module m\n"), ("cmd/api/main.go", "package main\n")],
                "a binary target (cmd/api/main.go)",
            ),
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[[bin]]\nname = \"a\"\npath = \"a.rs\"\n")],
                "a binary target ([[bin]] in Cargo.toml)",
            ),
            (
                &[("tool/Cargo.toml", "[package]\nname = \"t\"\n"), ("tool/src/bin/t.rs", "")],
                "a binary target (tool/src/bin/t.rs)",
            ),
            (&[("charts/api/Chart.yaml", "name: api\n")], "a Helm chart (charts/api/Chart.yaml)"),
            (
                &[("deploy/app.yaml", "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {template: {spec: {containers: []}}}\n")],
                "a Kubernetes StatefulSet `db` (deploy/app.yaml)",
            ),
        ];
        for (files, reason) in cases {
            let help = judged(files).unwrap_or_else(|| panic!("{files:?}"));
            assert!(help.contains(reason), "{help}");
        }
        // A CronJob alone is a batch job, not a service; nor is a library crate.
        let cron = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n";
        assert_eq!(judged(&[("cron.yaml", cron)]), None);
        assert_eq!(
            judged(&[
                ("Cargo.toml", "[package]\nname = \"l\"\n"),
                ("src/lib.rs", "")
            ]),
            None
        );
    }

    #[test]
    fn change_mode_judges_only_when_a_file_the_rules_read_changed() {
        let policy = "[settings]\nkind = \"service\"\n[rules.\"obs/slo\"]\n";
        let base = MemorySnapshot::new()
            .with_file("Dockerfile", "FROM x\n")
            .with_file("src/main.rs", "fn main() {}\n");
        let source_only = base.clone().with_changed(["src/main.rs"]);
        assert!(check_snapshot(policy, &source_only).is_empty());
        let dockerfile = base.clone().with_changed(["Dockerfile"]);
        assert_eq!(check_snapshot(policy, &dockerfile).len(), 1);
        assert_eq!(check_snapshot(policy, &base).len(), 1);
        for path in [
            "k8s/a.yml",
            "go.mod",
            "build.gradle.kts",
            "docs/runbooks/x.md",
            "goldpath.toml",
        ] {
            assert!(super::relevant(path), "{path}");
        }
        assert!(!super::relevant("src/lib.rs"));
    }
}
