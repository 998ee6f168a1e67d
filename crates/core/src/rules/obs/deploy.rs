//! How a service is built and deployed, read once per check for the obs rules: Dockerfiles
//! (final stage's `ENV` and `HEALTHCHECK`, a `-javaagent`), Kubernetes workloads (containers
//! with their probes and env) and ConfigMaps, Compose services (environment, healthcheck) and
//! Helm charts (templates are Go templates, not YAML: they are searched as text).

use std::sync::Arc;

use rayon::prelude::*;

use crate::context::Context;
use crate::doc::Node;
use crate::rules::security::dockerfile::{self, Dockerfile, Instruction};
use crate::span::{LineIndex, Span};

use super::{file_name, ignored};

/// An environment variable set somewhere a deployment reads it.
#[derive(Debug, Clone)]
pub(crate) struct EnvVar {
    pub(crate) name: String,
    /// Has a non-empty value (or, in Kubernetes, a `valueFrom`).
    pub(crate) set: bool,
    pub(crate) path: String,
    pub(crate) span: Span,
    /// `Dockerfile ENV`, `Kubernetes container env`, ...
    pub(crate) place: &'static str,
    /// `OTEL_RESOURCE_ATTRIBUTES` with a non-empty `service.name=`.
    pub(crate) service_name: bool,
}

impl EnvVar {
    fn new(name: &str, value: &str, path: &str, span: Span, place: &'static str) -> Self {
        let service_name = name == "OTEL_RESOURCE_ATTRIBUTES"
            && value.split(',').any(|kv| {
                kv.trim()
                    .strip_prefix("service.name=")
                    .is_some_and(|v| !v.trim().is_empty())
            });
        EnvVar {
            name: name.to_owned(),
            set: !value.trim().is_empty(),
            path: path.to_owned(),
            span,
            place,
            service_name,
        }
    }
}

/// What the obs rules read from one Dockerfile.
#[derive(Debug, Clone)]
pub(crate) struct DockerfileInfo {
    pub(crate) path: String,
    /// `ENV` of the final stage and the stages it is built `FROM`.
    pub(crate) env: Vec<EnvVar>,
    /// The effective `HEALTHCHECK` of the final stage, and whether it is `NONE`.
    pub(crate) healthcheck: Option<(Span, bool)>,
    /// Where the OpenTelemetry Java agent is attached.
    pub(crate) javaagent: Option<Span>,
    /// The ports any stage `EXPOSE`s, in file order: a container that listens, which service
    /// detection counts as evidence. Any stage, since a multi-target file is built with
    /// `--target` (its last stage may be a lint or test image).
    pub(crate) expose: Vec<String>,
}

/// One container of a Kubernetes workload.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub(crate) path: String,
    /// `Deployment `api``.
    pub(crate) workload: String,
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) liveness: bool,
    pub(crate) readiness: bool,
    /// A long-running workload (not a Job, CronJob or bare Pod): probes are expected.
    pub(crate) long_running: bool,
    pub(crate) env: Vec<EnvVar>,
    /// Part of a kustomize patch, not a whole workload: a file a kustomization lists under
    /// `patches`, `patchesStrategicMerge` or `patchesJson6902`, or an object whose containers
    /// lack an `image` (no API server accepts that, only a patch merges it). Its probes and env
    /// add to the base's; it is not judged on its own.
    pub(crate) patch: bool,
}

/// One Compose service.
#[derive(Debug, Clone)]
pub(crate) struct ComposeService {
    pub(crate) path: String,
    pub(crate) name: String,
    pub(crate) env: Vec<EnvVar>,
    /// The `healthcheck`, and whether it is disabled (`disable: true`, `test: NONE`).
    pub(crate) healthcheck: Option<(Span, bool)>,
}

/// A marker found in the text of a Helm chart's file.
#[derive(Debug, Clone)]
pub(crate) struct TextHit {
    pub(crate) path: String,
    pub(crate) marker: &'static str,
    pub(crate) span: Span,
}

/// Everything deployment-related.
#[derive(Debug, Default)]
pub(crate) struct Deploy {
    pub(crate) dockerfiles: Vec<DockerfileInfo>,
    pub(crate) containers: Vec<Container>,
    /// Long-running Kubernetes workloads, whole objects only (not kustomize patches):
    /// (`Deployment `api``, path).
    pub(crate) workloads: Vec<(String, String)>,
    pub(crate) configmap_env: Vec<EnvVar>,
    pub(crate) compose: Vec<ComposeService>,
    /// Paths of `Chart.yaml` files.
    pub(crate) charts: Vec<String>,
    pub(crate) helm_text: Vec<TextHit>,
}

/// What Helm files are searched for.
pub(crate) const HELM_MARKERS: &[&str] = &[
    "livenessProbe:",
    "readinessProbe:",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
];

const LONG_RUNNING: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Rollout",
    "DeploymentConfig",
];

/// Whether a file name is a Dockerfile or Containerfile.
pub(crate) fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || lower.ends_with(".dockerfile")
}

/// Whether a file name is a Compose file.
pub(crate) fn is_compose(name: &str) -> bool {
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yml") || path.ends_with(".yaml")
}

/// The repository's deployment files, read once per check.
pub(crate) fn deploy(cx: &Context<'_>) -> Arc<Deploy> {
    cx.memo_repo("obs-deploy", || build(cx))
}

fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

fn under(path: &str, dir: &str) -> bool {
    dir.is_empty() || path.starts_with(&format!("{dir}/"))
}

fn build(cx: &Context<'_>) -> Deploy {
    let mut out = Deploy::default();
    let files: Vec<_> = cx
        .all_files()
        .iter()
        .filter(|f| f.mode.is_regular() && !ignored(&f.path))
        .copied()
        .collect();
    let chart_dirs: Vec<&str> = files
        .iter()
        .filter(|f| file_name(&f.path) == "Chart.yaml")
        .map(|f| dir_of(&f.path))
        .collect();
    out.charts = files
        .iter()
        .filter(|f| file_name(&f.path) == "Chart.yaml")
        .map(|f| f.path.clone())
        .collect();
    let patches = kustomize_patches(cx, &files);
    // Files are read and parsed in parallel, then merged in path order.
    let pieces: Vec<Deploy> = files
        .par_iter()
        .filter(|f| is_dockerfile(file_name(&f.path)) || is_yaml(&f.path))
        .map(|file| {
            let mut out = Deploy::default();
            let path = file.path.as_str();
            let name = file_name(path);
            if is_dockerfile(name) {
                if let Ok(text) = cx.text(file) {
                    out.dockerfiles.push(read_dockerfile(path, &text));
                }
                return out;
            }
            let chart = chart_dirs.iter().find(|d| under(path, d));
            if let Some(dir) = chart {
                if let Ok(text) = cx.text(file) {
                    let index = LineIndex::new(&text);
                    for marker in HELM_MARKERS {
                        if let Some(at) = text.find(marker) {
                            out.helm_text.push(TextHit {
                                path: path.to_owned(),
                                marker,
                                span: index.span(at, at + marker.len()),
                            });
                        }
                    }
                }
                let rest = path[dir.len()..].trim_start_matches('/');
                if rest.starts_with("templates/") {
                    return out;
                }
            }
            let Some(docs) = cx.documents(file) else {
                return out;
            };
            let Ok(docs) = docs.as_ref() else {
                return out;
            };
            for root in docs {
                if is_compose(name) {
                    compose(&mut out, path, root);
                } else {
                    kubernetes(&mut out, path, root, patches.contains(path));
                }
            }
            out
        })
        .collect();
    for piece in pieces {
        out.dockerfiles.extend(piece.dockerfiles);
        out.containers.extend(piece.containers);
        out.workloads.extend(piece.workloads);
        out.configmap_env.extend(piece.configmap_env);
        out.compose.extend(piece.compose);
        out.helm_text.extend(piece.helm_text);
    }
    out
}

/// Splits `args` on whitespace outside quotes; ranges are in `args`.
fn tokens(args: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in args.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, quote) {
            ('\\', _) => escaped = true,
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (w, None) if w.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(s..args.len());
    }
    out
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// The `(name, value, name range in args)` pairs of an `ENV` instruction: `K=V K2="v w"` or
/// the legacy `K V`.
pub(crate) fn env_pairs(args: &str) -> Vec<(String, String, std::ops::Range<usize>)> {
    let words = tokens(args);
    let Some(first) = words.first() else {
        return Vec::new();
    };
    if !args[first.clone()].contains('=') {
        let value = args[first.end..].trim();
        return vec![(
            args[first.clone()].to_owned(),
            unquote(value).to_owned(),
            first.clone(),
        )];
    }
    words
        .into_iter()
        .filter_map(|r| {
            let word = &args[r.clone()];
            let (name, value) = word.split_once('=')?;
            Some((
                name.to_owned(),
                unquote(value).to_owned(),
                r.start..r.start + name.len(),
            ))
        })
        .collect()
}

fn read_dockerfile(path: &str, text: &str) -> DockerfileInfo {
    let index = LineIndex::new(text);
    let instructions = dockerfile::parse(text);
    let file = Dockerfile::new(&instructions);
    let mut info = DockerfileInfo {
        path: path.to_owned(),
        env: Vec::new(),
        healthcheck: None,
        javaagent: None,
        expose: Vec::new(),
    };
    // The final stage, then the stages it is built from (by alias), nearest first.
    let mut chain: Vec<&[&Instruction]> = Vec::new();
    let mut current = file.stages.len().checked_sub(1);
    while let Some(i) = current {
        let Some(stage) = file.stages.get(i) else {
            break;
        };
        chain.push(&stage.body);
        let base = stage
            .image
            .as_ref()
            .map(|(image, _)| image.to_ascii_lowercase());
        current = file.stages[..i]
            .iter()
            .rposition(|s| s.alias.is_some() && s.alias == base);
        if chain.len() > file.stages.len() {
            break;
        }
    }
    let span_of = |inst: &Instruction, range: std::ops::Range<usize>| {
        let r = inst.file_range(range);
        index.span(r.start, r.end)
    };
    info.expose = instructions
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| i.words().into_iter().map(|(w, _)| w.to_owned()))
        .collect();
    let agent_in_file = text.contains("opentelemetry-javaagent");
    for body in &chain {
        for inst in body.iter() {
            match inst.keyword.as_str() {
                "ENV" => {
                    for (name, value, range) in env_pairs(&inst.args) {
                        info.env.push(EnvVar::new(
                            &name,
                            &value,
                            path,
                            span_of(inst, range),
                            "Dockerfile ENV",
                        ));
                    }
                }
                "HEALTHCHECK" if info.healthcheck.is_none() => {
                    // The last HEALTHCHECK of the nearest stage wins.
                    let last = body.iter().rev().find(|i| i.keyword == "HEALTHCHECK");
                    if let Some(last) = last {
                        let none = last
                            .words()
                            .first()
                            .is_some_and(|(w, _)| w.eq_ignore_ascii_case("none"));
                        let span = index.span(last.start, last.start + "HEALTHCHECK".len());
                        info.healthcheck = Some((span, none));
                    }
                }
                _ => {}
            }
            if info.javaagent.is_none() && agent_in_file {
                if let Some(at) = inst.args.find("-javaagent:") {
                    info.javaagent = Some(span_of(inst, at..at + "-javaagent".len()));
                }
            }
        }
    }
    if info.healthcheck.is_none() {
        // A multi-target file is built with `--target`: its last stage may be a lint or dev
        // image (esphome's is). A stage that EXPOSEs a port and declares a HEALTHCHECK is a
        // deployable target with a health check.
        let deployable = file.stages.iter().find_map(|stage| {
            let exposes = stage.body.iter().any(|i| i.keyword == "EXPOSE");
            let last = stage
                .body
                .iter()
                .rev()
                .find(|i| i.keyword == "HEALTHCHECK")?;
            let none = last
                .words()
                .first()
                .is_some_and(|(w, _)| w.eq_ignore_ascii_case("none"));
            (exposes && !none).then_some(last)
        });
        if let Some(last) = deployable {
            let span = index.span(last.start, last.start + "HEALTHCHECK".len());
            info.healthcheck = Some((span, false));
        }
    }
    info
}

fn string_of(node: &Node) -> Option<String> {
    match &node.value {
        crate::doc::Value::String(s) => Some(s.clone()),
        crate::doc::Value::Int(i) => Some(i.to_string()),
        crate::doc::Value::Float(f) => Some(f.to_string()),
        crate::doc::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The pod spec of a Kubernetes object, and whether it is long-running.
fn pod_spec<'n>(api: &str, kind: &str, root: &'n Node) -> Option<(&'n Node, bool)> {
    let spec = root.get("spec")?;
    let template = |s: &'n Node| s.get("template").and_then(|t| t.get("spec"));
    if api.starts_with("serving.knative.dev") && kind == "Service" {
        return template(spec).map(|p| (p, true));
    }
    match kind {
        "Pod" => Some((spec, false)),
        "Job" => template(spec).map(|p| (p, false)),
        "CronJob" => spec
            .get("jobTemplate")
            .and_then(|j| j.get("spec"))
            .and_then(template)
            .map(|p| (p, false)),
        k if LONG_RUNNING.contains(&k) => template(spec).map(|p| (p, true)),
        _ => None,
    }
}

fn k8s_env(path: &str, container: &Node) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for item in container
        .get("env")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let Some(name_node) = item.get("name") else {
            continue;
        };
        let Some(name) = name_node.as_str() else {
            continue;
        };
        let value = item.get("value").and_then(string_of).unwrap_or_default();
        let mut var = EnvVar::new(
            name,
            &value,
            path,
            name_node.span,
            "Kubernetes container env",
        );
        var.set |= item.get("valueFrom").is_some_and(|v| !v.is_null());
        out.push(var);
    }
    out
}

/// The files kustomizations list as patches (`patches[].path`, `patchesStrategicMerge[]`,
/// `patchesJson6902[].path`), as repository paths.
fn kustomize_patches(
    cx: &Context<'_>,
    files: &[&crate::snapshot::FileEntry],
) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for file in files {
        if !matches!(
            file_name(&file.path),
            "kustomization.yaml" | "kustomization.yml"
        ) {
            continue;
        }
        let Some(docs) = cx.documents(file) else {
            continue;
        };
        let Ok(docs) = docs.as_ref() else { continue };
        let dir = dir_of(&file.path);
        for root in docs {
            for key in ["patches", "patchesStrategicMerge", "patchesJson6902"] {
                for item in root.get(key).and_then(Node::as_seq).unwrap_or_default() {
                    // An entry is a path, or a table with a `path` (inline `patch:` text has
                    // no file).
                    let rel = item
                        .as_str()
                        .or_else(|| item.get("path").and_then(Node::as_str));
                    let Some(rel) = rel.filter(|r| !r.contains('\n')) else {
                        continue;
                    };
                    if let Some(path) = crate::snapshot::join_relative(dir, rel.trim()) {
                        out.insert(path);
                    }
                }
            }
        }
    }
    out
}

fn kubernetes(out: &mut Deploy, path: &str, root: &Node, listed_patch: bool) {
    let (Some(api), Some(kind)) = (
        root.get("apiVersion").and_then(Node::as_str),
        root.get("kind").and_then(Node::as_str),
    ) else {
        return;
    };
    let object_name = root
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .unwrap_or("?");
    if kind == "ConfigMap" {
        for entry in root.get("data").and_then(Node::as_map).unwrap_or_default() {
            let Some(key) = entry.key_str() else { continue };
            let value = string_of(&entry.value).unwrap_or_default();
            out.configmap_env.push(EnvVar::new(
                key,
                &value,
                path,
                entry.key.span,
                "Kubernetes ConfigMap",
            ));
        }
        return;
    }
    let Some((spec, long_running)) = pod_spec(api, kind, root) else {
        return;
    };
    let workload = format!("{kind} `{object_name}`");
    let containers = spec
        .get("containers")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let partial = containers.iter().any(|c| c.get("image").is_none());
    let patch = listed_patch || partial;
    if long_running && !patch {
        out.workloads.push((workload.clone(), path.to_owned()));
    }
    for container in containers {
        let name_node = container.get("name");
        let present = |key: &str| container.get(key).is_some_and(|p| !p.is_null());
        out.containers.push(Container {
            path: path.to_owned(),
            workload: workload.clone(),
            name: name_node.and_then(Node::as_str).unwrap_or("?").to_owned(),
            span: name_node.map_or(container.span, |n| n.span),
            liveness: present("livenessProbe"),
            readiness: present("readinessProbe"),
            long_running,
            env: k8s_env(path, container),
            patch,
        });
    }
}

fn compose(out: &mut Deploy, path: &str, root: &Node) {
    for service in root
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(name) = service.key_str() else {
            continue;
        };
        let mut env = Vec::new();
        match service.value.get("environment") {
            Some(node) if node.as_map().is_some() => {
                for entry in node.as_map().unwrap_or_default() {
                    let Some(key) = entry.key_str() else { continue };
                    let value = string_of(&entry.value).unwrap_or_default();
                    env.push(EnvVar::new(
                        key,
                        &value,
                        path,
                        entry.key.span,
                        "Compose environment",
                    ));
                }
            }
            Some(node) => {
                for item in node.as_seq().unwrap_or_default() {
                    let Some(text) = item.as_str() else { continue };
                    let (key, value) = text.split_once('=').unwrap_or((text, ""));
                    env.push(EnvVar::new(
                        key.trim(),
                        value,
                        path,
                        item.span,
                        "Compose environment",
                    ));
                }
            }
            None => {}
        }
        let healthcheck = service.value.get_entry("healthcheck").map(|entry| {
            let hc = &entry.value;
            let disabled = hc.get("disable").and_then(Node::as_bool) == Some(true)
                || hc.get("test").is_some_and(|t| {
                    t.as_str() == Some("NONE")
                        || t.as_seq().and_then(|s| s.first()).and_then(Node::as_str) == Some("NONE")
                });
            (entry.key.span, disabled)
        });
        out.compose.push(ComposeService {
            path: path.to_owned(),
            name: name.to_owned(),
            env,
            healthcheck,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployable_target_stage_with_a_healthcheck_counts() {
        // esphome's shape: the `docker` target serves and checks itself; the last stage lints.
        let text = "FROM python AS base\nFROM base AS docker\nEXPOSE 6052\nHEALTHCHECK CMD curl -f http://localhost:6052/version\nFROM docker AS lint\nRUN pip install pylint\nFROM base AS hassio\nCMD [\"run\"]\n";
        let info = read_dockerfile("docker/Dockerfile", text);
        let (span, none) = info.healthcheck.expect("healthcheck of the docker target");
        assert_eq!((span.line, none), (4, false));
        // A stage that exposes nothing is a build stage: its HEALTHCHECK does not count.
        let text = "FROM golang AS build\nHEALTHCHECK CMD true\nFROM alpine\nEXPOSE 80\n";
        assert!(read_dockerfile("Dockerfile", text).healthcheck.is_none());
    }

    #[test]
    fn env_instructions_in_both_forms() {
        let pairs = env_pairs("OTEL_SERVICE_NAME=api OTEL_X=\"a b\" EMPTY=");
        let names: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(n, v, _)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("OTEL_SERVICE_NAME", "api"),
                ("OTEL_X", "a b"),
                ("EMPTY", "")
            ]
        );
        let legacy = env_pairs("OTEL_SERVICE_NAME my service");
        assert_eq!(legacy[0].0, "OTEL_SERVICE_NAME");
        assert_eq!(legacy[0].1, "my service");
        assert!(env_pairs("").is_empty());
    }

    #[test]
    fn dockerfile_final_stage_and_its_bases() {
        let text = "FROM golang AS build\nENV BUILD_ONLY=1\nHEALTHCHECK CMD true\nFROM alpine AS base\nENV OTEL_SERVICE_NAME=api\nHEALTHCHECK NONE\nFROM base\nCOPY --from=build /app /app\n";
        let info = read_dockerfile("Dockerfile", text);
        let names: Vec<&str> = info.env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["OTEL_SERVICE_NAME"]);
        let (span, none) = info.healthcheck.expect("healthcheck");
        assert!(none);
        assert_eq!(span.line, 6);
        let agent = read_dockerfile(
            "Dockerfile",
            "FROM eclipse-temurin:21\nADD opentelemetry-javaagent.jar /otel.jar\nENTRYPOINT [\"java\", \"-javaagent:/otel.jar\", \"-jar\", \"app.jar\"]\n",
        );
        assert_eq!(agent.javaagent.map(|s| s.line), Some(3));
        assert!(agent.expose.is_empty());
        let exposed = read_dockerfile(
            "Dockerfile",
            "FROM alpine AS base\nEXPOSE 7700/tcp\nFROM base\nEXPOSE 9090 9091\n",
        );
        assert_eq!(exposed.expose, ["7700/tcp", "9090", "9091"]);
        // A multi-target file whose last stage is a lint image still exposes its server's port.
        let targets = read_dockerfile(
            "Dockerfile",
            "FROM a AS docker\nEXPOSE 6052\nFROM a AS lint\n",
        );
        assert_eq!(targets.expose, ["6052"]);
    }

    #[test]
    fn names() {
        assert!(is_dockerfile("Dockerfile") && is_dockerfile("api.Dockerfile"));
        assert!(is_dockerfile("Dockerfile.prod") && !is_dockerfile("Dockerfile.dockerignore"));
        assert!(is_compose("docker-compose.yml") && is_compose("compose.yaml"));
        assert!(!is_compose("composer.json") && !is_compose("deployment.yaml"));
    }
}
