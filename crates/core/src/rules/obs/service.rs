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
    let service = cx.memo_repo("obs-service", || {
        let verdict = detect(cx);
        tracing::debug!(
            service = verdict.is_service,
            reasons = %verdict.reasons.join("; "),
            "obs: service detection"
        );
        verdict
    });
    service.is_service.then_some(service)
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
