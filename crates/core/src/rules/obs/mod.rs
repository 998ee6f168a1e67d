//! `obs/*`: the observability golden path of a service: tracing with an exporter, metrics,
//! structured logs, health checks, OpenTelemetry configuration, SLOs, alert rules, a runbook,
//! and no deprecated instrumentation.
//!
//! What counts as which package is data (`ecosystems.toml`, embedded and parsed once), not
//! code. The rules share, through the check's memo, one reading of the repository:
//!
//! - `deps`: the dependencies of every manifest (parsed by `goldpath-manifests` through the
//!   `deps/*` family's memo, plus a light text reading of Maven and Gradle files in `jvm`);
//! - `deploy`: Dockerfiles, Kubernetes workloads and ConfigMaps, Compose services and Helm
//!   charts;
//! - `service`: whether the repository is a service at all (explicit `[settings] kind`,
//!   catalog-info.yaml, then a heuristic); every rule judges only services;
//! - `source`: a bounded scan of source files for health routes and a few markers.
//!
//! See docs/observability.md.

super::rule_modules! {
    alert_rules,
    deprecated_instrumentation,
    health_check,
    metrics,
    otel_config,
    runbook,
    slo,
    structured_logging,
    tracing_sdk,
}

pub(crate) mod deploy;
pub(crate) mod jvm;
pub(crate) mod service;
pub(crate) mod source;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use goldpath_manifests::{DepKind, FileKind};
use serde::Deserialize;

use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::span::Span;

/// The ecosystems the obs rules know: the four of `goldpath-manifests` and the JVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Eco {
    Cargo,
    Npm,
    Go,
    Pypi,
    Jvm,
}

impl Eco {
    pub(crate) const ALL: [Eco; 5] = [Eco::Cargo, Eco::Npm, Eco::Go, Eco::Pypi, Eco::Jvm];

    /// The key in `ecosystems.toml` and in policies.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Eco::Cargo => "cargo",
            Eco::Npm => "npm",
            Eco::Go => "go",
            Eco::Pypi => "pypi",
            Eco::Jvm => "jvm",
        }
    }

    /// A policy name: the keys, the aliases `goldpath-manifests` accepts, and `maven`,
    /// `gradle`, `java`, `kotlin` for the JVM.
    pub(crate) fn from_name(name: &str) -> Option<Eco> {
        if let Some(eco) = goldpath_manifests::Ecosystem::from_name(name) {
            return Some(Eco::of(eco));
        }
        matches!(name, "jvm" | "maven" | "gradle" | "java" | "kotlin").then_some(Eco::Jvm)
    }

    fn of(eco: goldpath_manifests::Ecosystem) -> Eco {
        match eco {
            goldpath_manifests::Ecosystem::Cargo => Eco::Cargo,
            goldpath_manifests::Ecosystem::Npm => Eco::Npm,
            goldpath_manifests::Ecosystem::Go => Eco::Go,
            goldpath_manifests::Ecosystem::Pypi => Eco::Pypi,
        }
    }

    /// The ecosystem's data.
    pub(crate) fn data(self) -> &'static EcoData {
        static EMPTY: OnceLock<EcoData> = OnceLock::new();
        data()
            .ecosystems
            .get(self.key())
            .unwrap_or_else(|| EMPTY.get_or_init(EcoData::default))
    }
}

/// `ecosystems.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct Data {
    pub(crate) health_routes: Vec<String>,
    pub(crate) ecosystems: BTreeMap<String, EcoData>,
}

/// One ecosystem of `ecosystems.toml` (the keys are described at the top of the file).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub(crate) struct EcoData {
    pub(crate) name: String,
    pub(crate) manifests: String,
    pub(crate) source_extensions: Vec<String>,
    pub(crate) tracing_sdk: Vec<String>,
    pub(crate) tracing_exporter: Vec<String>,
    pub(crate) tracing_distro: Vec<String>,
    pub(crate) tracing_requires: Vec<String>,
    pub(crate) tracing_api: Vec<String>,
    pub(crate) metrics: Vec<String>,
    pub(crate) logging: Vec<String>,
    pub(crate) structured_logging: Vec<String>,
    pub(crate) structured_logging_source: Vec<SourceMarker>,
    pub(crate) structured_logging_settings: Vec<String>,
    pub(crate) structured_logging_config: Vec<String>,
    pub(crate) health: Vec<String>,
    pub(crate) health_source: Vec<String>,
    pub(crate) deprecated: Vec<DeprecatedData>,
    pub(crate) server: Vec<String>,
    pub(crate) cli: Vec<String>,
}

/// A text in source files that shows something; with `with`, it counts only when a package
/// matching that pattern is also declared (`serialize=True` says JSON only beside loguru).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum SourceMarker {
    Text(String),
    With { marker: String, with: String },
}

impl SourceMarker {
    pub(crate) fn text(&self) -> &str {
        match self {
            SourceMarker::Text(text) | SourceMarker::With { marker: text, .. } => text,
        }
    }
}

/// A deprecated package and its replacement.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct DeprecatedData {
    pub(crate) package: String,
    pub(crate) use_instead: String,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

const DATA_TEXT: &str = include_str!("ecosystems.toml");

fn parse_data() -> Result<Data, String> {
    let data: Data = toml::from_str(DATA_TEXT).map_err(|e| e.to_string())?;
    for (key, eco) in &data.ecosystems {
        let Some(known) = Eco::ALL.into_iter().find(|e| e.key() == key) else {
            return Err(format!("unknown ecosystem `{key}`"));
        };
        let lists = [
            &eco.tracing_sdk,
            &eco.tracing_exporter,
            &eco.tracing_distro,
            &eco.tracing_requires,
            &eco.tracing_api,
            &eco.metrics,
            &eco.logging,
            &eco.structured_logging,
            &eco.health,
            &eco.server,
            &eco.cli,
        ];
        for pattern in lists.into_iter().flatten() {
            Pattern::parse(known, pattern).map_err(|e| format!("{key}: {e}"))?;
        }
        for entry in &eco.deprecated {
            Pattern::parse(known, &entry.package).map_err(|e| format!("{key}: {e}"))?;
        }
        for marker in &eco.structured_logging_source {
            if let SourceMarker::With { with, .. } = marker {
                Pattern::parse(known, with).map_err(|e| format!("{key}: {e}"))?;
            }
        }
    }
    Ok(data)
}

/// The embedded data, parsed once per process. The text is part of the binary and a unit test
/// parses it, so the empty fallback only keeps a broken build from panicking.
pub(crate) fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        parse_data().unwrap_or_else(|e| {
            tracing::error!("obs/ecosystems.toml: {e}");
            Data::default()
        })
    })
}

/// A package pattern: `name`, `prefix*`, or (Cargo) `name[feature]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    eco: Eco,
    name: String,
    prefix: bool,
    feature: Option<String>,
}

impl Pattern {
    pub(crate) fn parse(eco: Eco, text: &str) -> Result<Pattern, String> {
        let text = text.trim();
        let (base, feature) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
            Some((base, feature)) => (base, Some(feature.trim().to_owned())),
            None => (text, None),
        };
        if feature.is_some() && eco != Eco::Cargo {
            return Err(format!(
                "`{text}`: a `[feature]` is only understood for cargo packages"
            ));
        }
        if feature.as_deref() == Some("") {
            return Err(format!("`{text}`: empty feature"));
        }
        let (base, prefix) = match base.strip_suffix('*') {
            Some(base) => (base, true),
            None => (base, false),
        };
        if base.is_empty() || base.contains(char::is_whitespace) || base.contains('*') {
            return Err(format!(
                "`{text}` is not a package name (`name`, `prefix*` or `name[feature]`)"
            ));
        }
        let name = match eco {
            Eco::Pypi => goldpath_manifests::normalize_python_name(base),
            _ => base.to_owned(),
        };
        Ok(Pattern {
            eco,
            name,
            prefix,
            feature,
        })
    }

    pub(crate) fn matches(&self, dep: &Dep) -> bool {
        if dep.eco != self.eco {
            return false;
        }
        let name_ok = if self.prefix {
            dep.name.starts_with(&self.name)
        } else {
            dep.name == self.name
        };
        name_ok
            && self
                .feature
                .as_ref()
                .is_none_or(|f| dep.features.iter().any(|have| have == f))
    }

    /// For messages, in backticks: `` `tracing-subscriber` with its `json` feature ``.
    pub(crate) fn display(&self) -> String {
        let star = if self.prefix { "*" } else { "" };
        match &self.feature {
            Some(f) => format!("`{}{star}` with its `{f}` feature", self.name),
            None => format!("`{}{star}`", self.name),
        }
    }
}

/// Patterns of one data list of an ecosystem (already validated by [`parse_data`]).
pub(crate) fn patterns(eco: Eco, list: &[String]) -> Vec<Pattern> {
    list.iter()
        .filter_map(|p| Pattern::parse(eco, p).ok())
        .collect()
}

/// A list of patterns per ecosystem: the data's, plus the policy's.
pub(crate) type PatternSet = BTreeMap<Eco, Vec<Pattern>>;

/// Builds a pattern set from the data (`pick` chooses the list) and the policy's additions.
pub(crate) fn pattern_set(
    pick: fn(&EcoData) -> &Vec<String>,
    extra: &[(Eco, Pattern)],
) -> PatternSet {
    let mut set: PatternSet = Eco::ALL
        .into_iter()
        .map(|eco| (eco, patterns(eco, pick(eco.data()))))
        .collect();
    for (eco, pattern) in extra {
        set.entry(*eco).or_default().push(pattern.clone());
    }
    set
}

/// The deps of `eco` matching any of `patterns`, in manifest order.
pub(crate) fn matching<'d>(deps: &'d Deps, eco: Eco, patterns: &PatternSet) -> Vec<&'d Dep> {
    let Some(list) = patterns.get(&eco) else {
        return Vec::new();
    };
    deps.deps
        .iter()
        .filter(|d| d.eco == eco && list.iter().any(|p| p.matches(d)))
        .collect()
}

/// Up to `n` examples of a pattern list, for messages: `a, b, c or d`.
pub(crate) fn examples(patterns: &PatternSet, eco: Eco, n: usize) -> String {
    let list: Vec<String> = patterns
        .get(&eco)
        .map(|l| l.iter().take(n).map(Pattern::display).collect())
        .unwrap_or_default();
    or_list(&list)
}

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// `a, b found in path; c found in other`: found dependencies with where, deduplicated.
pub(crate) fn describe(found: &[&Dep]) -> String {
    let mut seen = BTreeSet::new();
    let mut by_path: Vec<(String, Vec<&str>)> = Vec::new();
    for dep in found {
        if !seen.insert((&dep.name, &dep.path)) {
            continue;
        }
        match by_path.iter_mut().find(|(p, _)| *p == dep.path) {
            Some((_, names)) => names.push(&dep.name),
            None => by_path.push((dep.path.clone(), vec![&dep.name])),
        }
    }
    let mut text = by_path
        .iter()
        .take(2)
        .map(|(path, names)| format!("{} found in {path}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let more = by_path.len().saturating_sub(2);
    if more > 0 {
        let plural = if more == 1 { "" } else { "s" };
        text.push_str(&format!(" (and in {more} more manifest{plural})"));
    }
    text
}

/// One dependency declaration, as evidence.
#[derive(Debug, Clone)]
pub(crate) struct Dep {
    pub(crate) eco: Eco,
    pub(crate) name: String,
    /// Cargo: the features enabled for this package in any Cargo.toml of the repository.
    pub(crate) features: Vec<String>,
    pub(crate) path: String,
    pub(crate) span: Option<Span>,
}

/// Every non-development dependency of the repository, and its manifests.
#[derive(Debug, Default)]
pub(crate) struct Deps {
    pub(crate) deps: Vec<Dep>,
    /// Manifests per ecosystem, in path order.
    pub(crate) manifests: Vec<(Eco, String)>,
}

impl Deps {
    /// The ecosystems with a manifest or a dependency.
    pub(crate) fn ecosystems(&self) -> BTreeSet<Eco> {
        self.manifests
            .iter()
            .map(|(e, _)| *e)
            .chain(self.deps.iter().map(|d| d.eco))
            .collect()
    }

    /// The first manifest of an ecosystem (shortest path: the root one when there is one).
    pub(crate) fn first_manifest(&self, eco: Eco) -> Option<&str> {
        self.manifests
            .iter()
            .filter(|(e, _)| *e == eco)
            .map(|(_, p)| p.as_str())
            .min_by_key(|p| (p.matches('/').count(), *p))
    }

    /// `Cargo.toml, web/package.json`: the manifests of some ecosystems.
    pub(crate) fn manifest_list(&self, ecos: &BTreeSet<Eco>) -> String {
        let list: Vec<&str> = self
            .manifests
            .iter()
            .filter(|(e, _)| ecos.contains(e))
            .map(|(_, p)| p.as_str())
            .take(4)
            .collect();
        let more = self
            .manifests
            .iter()
            .filter(|(e, _)| ecos.contains(e))
            .count()
            .saturating_sub(list.len());
        if more > 0 {
            format!("{} and {more} more", list.join(", "))
        } else {
            list.join(", ")
        }
    }
}

/// Directories whose files are never evidence (vendored or installed code, fixtures, examples,
/// dev containers): a Dockerfile in `examples/` does not make a service, a probe in
/// `testdata/` does not make one healthy.
pub(crate) const IGNORED_DIRS: &[&str] = &[
    "node_modules",
    "vendor",
    "third_party",
    ".venv",
    "venv",
    "site-packages",
    "testdata",
    "fixtures",
    "test",
    "tests",
    "examples",
    "example",
    ".devcontainer",
    "target",
];

/// Whether a path lies under one of [`IGNORED_DIRS`].
pub(crate) fn ignored(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.iter().any(|p| IGNORED_DIRS.contains(p))
}

/// The file name of a path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The globs every obs rule wants: manifests, JVM build files, Dockerfiles, YAML (Kubernetes,
/// Helm, Compose, catalog-info, Prometheus rules, SLOs) and Gradle version catalogs. They are
/// the same for every rule, so whichever rule builds a shared memo reads from the engine's
/// cache.
pub(crate) fn wants() -> Vec<String> {
    let mut globs = super::deps::manifest_wants();
    globs.extend(
        [
            "**/pom.xml",
            "**/build.gradle",
            "**/build.gradle.kts",
            "**/libs.versions.toml",
            "**/*.{yaml,yml}",
        ]
        .map(str::to_owned),
    );
    globs.extend(super::security::dockerfile_wants());
    globs
}

fn dev_requirements(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = file_name(&lower);
    let dir_name = lower.rsplit('/').nth(1).unwrap_or("");
    let judged = if dir_name == "requirements" {
        name
    } else {
        name.strip_prefix("requirements").unwrap_or(name)
    };
    ["dev", "test", "lint", "doc", "typing", "ci"]
        .iter()
        .any(|w| judged.contains(w))
        || name.starts_with("dev-")
        || name.starts_with("test-")
}

/// The dependencies of the repository, once per check.
pub(crate) fn deps(cx: &Context<'_>) -> Arc<Deps> {
    cx.memo_repo("obs-deps", || build_deps(cx))
}

fn build_deps(cx: &Context<'_>) -> Deps {
    let mut out = Deps::default();
    let mut cargo_files = Vec::new();
    for file in cx.all_files() {
        let path = file.path.as_str();
        if ignored(path) {
            continue;
        }
        if let Some(kind) = super::deps::kind_of(file) {
            if kind.is_lockfile() {
                continue;
            }
            if kind == FileKind::Requirements && dev_requirements(path) {
                continue;
            }
            let Some(parsed) = super::deps::parsed(cx, file) else {
                continue;
            };
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            let eco = Eco::of(kind.ecosystem());
            out.manifests.push((eco, path.to_owned()));
            if kind == FileKind::CargoToml {
                cargo_files.push(*file);
            }
            for package in &manifest.packages {
                let runtime = matches!(
                    package.kind,
                    DepKind::Normal | DepKind::Optional | DepKind::Peer
                );
                if !runtime || !package.direct {
                    continue;
                }
                out.deps.push(Dep {
                    eco,
                    name: package.name.clone(),
                    features: Vec::new(),
                    path: path.to_owned(),
                    span: Some(super::deps::span(&package.position)),
                });
            }
        } else if jvm::is_build_file(path) && file.mode.is_regular() {
            let Ok(text) = cx.text(file) else {
                continue;
            };
            out.manifests.push((Eco::Jvm, path.to_owned()));
            let index = crate::span::LineIndex::new(&text);
            for dep in jvm::dependencies(path, &text) {
                if dep.test {
                    continue;
                }
                out.deps.push(Dep {
                    eco: Eco::Jvm,
                    name: dep.coordinate,
                    features: Vec::new(),
                    path: path.to_owned(),
                    span: Some(index.span(dep.range.start, dep.range.end)),
                });
            }
        }
    }
    // The Java agent attached in a Dockerfile is a JVM tracing distribution.
    for dockerfile in &deploy::deploy(cx).dockerfiles {
        if let Some(span) = dockerfile.javaagent {
            out.deps.push(Dep {
                eco: Eco::Jvm,
                name: jvm::JAVAAGENT.to_owned(),
                features: Vec::new(),
                path: dockerfile.path.clone(),
                span: Some(span),
            });
        }
    }
    if !cargo_files.is_empty() {
        let features = cargo_features(cx, &cargo_files);
        for dep in out.deps.iter_mut().filter(|d| d.eco == Eco::Cargo) {
            if let Some(list) = features.get(&dep.name) {
                dep.features = list.iter().cloned().collect();
            }
        }
    }
    out.manifests.sort();
    out
}

/// Features enabled per crate name in any dependency table of any Cargo.toml (a member's
/// `workspace = true` inherits the root's features, so the union is what the build enables).
fn cargo_features(
    cx: &Context<'_>,
    files: &[&crate::snapshot::FileEntry],
) -> HashMap<String, BTreeSet<String>> {
    use crate::doc::Node;
    fn table(out: &mut HashMap<String, BTreeSet<String>>, deps: Option<&Node>) {
        for entry in deps.and_then(Node::as_map).unwrap_or_default() {
            let Some(key) = entry.key_str() else { continue };
            let name = entry
                .value
                .get("package")
                .and_then(Node::as_str)
                .unwrap_or(key);
            let features = entry
                .value
                .get("features")
                .and_then(Node::as_seq)
                .unwrap_or_default();
            let set = out.entry(name.to_owned()).or_default();
            set.extend(features.iter().filter_map(Node::as_str).map(str::to_owned));
        }
    }
    let mut out = HashMap::new();
    for file in files {
        let Some(docs) = cx.documents(file) else {
            continue;
        };
        let Ok(docs) = docs.as_ref() else { continue };
        for root in docs {
            table(&mut out, root.get("dependencies"));
            table(
                &mut out,
                root.get("workspace").and_then(|w| w.get("dependencies")),
            );
            for target in root
                .get("target")
                .and_then(Node::as_map)
                .unwrap_or_default()
            {
                table(&mut out, target.value.get("dependencies"));
            }
        }
    }
    out
}

/// Takes an option `{ cargo = ["name", "prefix*"], npm = [...] }`: packages per ecosystem,
/// validated with positions.
pub(crate) fn take_packages(
    params: &mut Params,
    key: &str,
) -> Result<Vec<(Eco, Pattern)>, PolicyError> {
    let Some((table, origin)) = params.take_with_origin::<BTreeMap<String, Vec<String>>>(key)?
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, list) in table {
        let Some(eco) = Eco::from_name(&name) else {
            return Err(origin.narrow_to(&name).error(format!(
                "unknown ecosystem `{name}` in `{key}` (expected cargo, npm, go, pypi or jvm)"
            )));
        };
        for text in list {
            let pattern = Pattern::parse(eco, &text).map_err(|e| {
                origin
                    .narrow_to(&text)
                    .error(format!("invalid `{key}`: {e}"))
            })?;
            out.push((eco, pattern));
        }
    }
    Ok(out)
}

/// Takes `ecosystems = ["cargo", ...]`: which ecosystems' manifests a rule judges.
pub(crate) fn take_ecosystems(params: &mut Params) -> Result<Option<BTreeSet<Eco>>, PolicyError> {
    let parts = params.parts("ecosystems").unwrap_or_default();
    let Some((names, origin)) = params.take_with_origin::<Vec<String>>("ecosystems")? else {
        return Ok(None);
    };
    // Each name's origin is the file that wrote it (`extend-ecosystems` adds to a pack's list).
    let mut origins = parts
        .into_iter()
        .flat_map(|(count, at)| std::iter::repeat_n(at, count));
    let mut out = BTreeSet::new();
    for name in names {
        let at = origins.next().unwrap_or_else(|| origin.clone());
        let Some(eco) = Eco::from_name(&name) else {
            return Err(at.narrow_to(&name).error(format!(
                "unknown ecosystem `{name}` in `ecosystems` (expected cargo, npm, go, pypi or jvm)"
            )));
        };
        out.insert(eco);
    }
    Ok(Some(out))
}

/// The ecosystems a dependency rule judges: those present in the repository, restricted to
/// the rule's `ecosystems` option when it has one (then a listed ecosystem without any
/// manifest is judged too, and reported as missing).
pub(crate) fn judged_ecosystems(deps: &Deps, only: Option<&BTreeSet<Eco>>) -> BTreeSet<Eco> {
    match only {
        Some(only) => only.clone(),
        None => deps.ecosystems(),
    }
}

/// A violation at a found dependency, else at a manifest, else at the repository.
pub(crate) fn violation_at(
    found: Option<&Dep>,
    fallback: Option<&str>,
    message: String,
) -> Violation {
    match (found, fallback) {
        (Some(dep), _) => {
            let v = Violation::file(&dep.path, message);
            match dep.span {
                Some(span) => v.span(span),
                None => v,
            }
        }
        (None, Some(path)) => Violation::file(path, message),
        (None, None) => Violation::repo(message),
    }
}

/// One finding when none of the judged ecosystems declares a package of `wanted`: at the first
/// `partial` package found (plain logging where structured logging is expected), else at the
/// first manifest. `None` when some ecosystem has one.
pub(crate) struct Presence<'a> {
    /// What is looked for: `metrics library`.
    pub(crate) what: &'a str,
    pub(crate) wanted: &'a PatternSet,
    /// Related packages that are not enough, named in the message.
    pub(crate) partial: Option<(&'a PatternSet, &'a str)>,
    pub(crate) help: &'a str,
    pub(crate) key: &'a str,
}

impl Presence<'_> {
    pub(crate) fn check(
        &self,
        deps: &Deps,
        ecos: &BTreeSet<Eco>,
        service: &service::Service,
    ) -> Option<Violation> {
        if ecos.is_empty() {
            return Some(no_manifest(self.what, ecos, service));
        }
        if ecos
            .iter()
            .any(|&e| !matching(deps, e, self.wanted).is_empty())
        {
            return None;
        }
        let with_manifest: BTreeSet<Eco> = ecos
            .iter()
            .copied()
            .filter(|&e| deps.first_manifest(e).is_some())
            .collect();
        if with_manifest.is_empty() {
            return Some(no_manifest(self.what, ecos, service));
        }
        let expected: Vec<String> = with_manifest
            .iter()
            .map(|&e| {
                if with_manifest.len() == 1 {
                    examples(self.wanted, e, 4)
                } else {
                    format!("{} ({})", examples(self.wanted, e, 2), e.data().name)
                }
            })
            .collect();
        let expected = or_list(&expected);
        let partial: Vec<&Dep> = match self.partial {
            Some((set, _)) => with_manifest
                .iter()
                .flat_map(|&e| matching(deps, e, set))
                .collect(),
            None => Vec::new(),
        };
        let message = match (partial.first(), self.partial) {
            (Some(_), Some((_, note))) => format!(
                "{}, but {note}: no {} (expected {expected})",
                describe(&partial),
                self.what
            ),
            _ => format!(
                "no {} found in {}: expected {expected}",
                self.what,
                deps.manifest_list(&with_manifest)
            ),
        };
        let fallback = with_manifest.iter().find_map(|&e| deps.first_manifest(e));
        Some(
            violation_at(partial.first().copied(), fallback, message)
                .help(service.note(self.help))
                .key(self.key.to_owned()),
        )
    }
}

/// The violation for "nothing found" when the judged ecosystems have no manifest at all.
pub(crate) fn no_manifest(
    what: &str,
    ecos: &BTreeSet<Eco>,
    service: &service::Service,
) -> Violation {
    let names: Vec<String> = ecos
        .iter()
        .map(|e| format!("{} ({})", e.data().name, e.data().manifests))
        .collect();
    let message = if names.is_empty() {
        format!("no dependency manifest found, so no {what} could be found")
    } else {
        format!(
            "no {} manifest found, so no {what} could be found",
            or_list(&names)
        )
    };
    Violation::repo(message)
        .help(service.note("declare the service's dependencies in its manifest"))
        .key(format!("no-manifest:{what}"))
}

/// The common options of the obs rules' documentation.
pub(crate) const ECOSYSTEMS_OPTION: crate::rule::OptionDoc = crate::rule::OptionDoc {
    name: "ecosystems",
    kind: "array of strings",
    help: "Judge only these ecosystems' manifests (`cargo`, `npm`, `go`, `pypi`, `jvm`); a \
           listed ecosystem with no manifest is reported. Default: every ecosystem the \
           repository has. The service packs set it.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_parses_and_names_known_ecosystems() {
        let data = parse_data().unwrap_or_else(|e| panic!("{e}"));
        for eco in Eco::ALL {
            let d = data
                .ecosystems
                .get(eco.key())
                .unwrap_or_else(|| panic!("{} missing", eco.key()));
            assert!(!d.name.is_empty() && !d.source_extensions.is_empty());
            assert!(!d.tracing_sdk.is_empty() || !d.tracing_distro.is_empty());
            assert!(!d.tracing_exporter.is_empty() || !d.tracing_distro.is_empty());
            assert!(!d.metrics.is_empty() && !d.structured_logging.is_empty());
            assert!(!d.deprecated.is_empty(), "{}", eco.key());
            assert!(!d.server.is_empty() && !d.cli.is_empty(), "{}", eco.key());
        }
        assert!(data.health_routes.contains(&"/healthz".to_owned()));
    }

    fn dep(eco: Eco, name: &str, features: &[&str]) -> Dep {
        Dep {
            eco,
            name: name.into(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            path: "x".into(),
            span: None,
        }
    }

    #[test]
    fn patterns_match_names_prefixes_and_features() {
        let p = Pattern::parse(Eco::Cargo, "tracing-subscriber[json]").unwrap();
        assert!(p.matches(&dep(
            Eco::Cargo,
            "tracing-subscriber",
            &["env-filter", "json"]
        )));
        assert!(!p.matches(&dep(Eco::Cargo, "tracing-subscriber", &["env-filter"])));
        assert!(!p.matches(&dep(Eco::Npm, "tracing-subscriber", &["json"])));
        let p = Pattern::parse(Eco::Npm, "@opentelemetry/exporter-trace-otlp-*").unwrap();
        assert!(p.matches(&dep(
            Eco::Npm,
            "@opentelemetry/exporter-trace-otlp-grpc",
            &[]
        )));
        assert!(!p.matches(&dep(Eco::Npm, "@opentelemetry/exporter-zipkin", &[])));
        let p = Pattern::parse(Eco::Pypi, "Python_JSON.Logger").unwrap();
        assert!(p.matches(&dep(Eco::Pypi, "python-json-logger", &[])));
        assert!(Pattern::parse(Eco::Npm, "pino[json]").is_err());
        assert!(Pattern::parse(Eco::Npm, "a*b").is_err());
        assert!(Pattern::parse(Eco::Npm, "").is_err());
    }

    #[test]
    fn descriptions_group_by_manifest_and_stay_short() {
        let at = |name: &str, path: &str| Dep {
            path: path.into(),
            ..dep(Eco::Cargo, name, &[])
        };
        let deps = [
            at("tracing", "Cargo.toml"),
            at("opentelemetry", "Cargo.toml"),
            at("tracing", "Cargo.toml"),
            at("tracing", "a/Cargo.toml"),
            at("tracing", "b/Cargo.toml"),
        ];
        let refs: Vec<&Dep> = deps.iter().collect();
        assert_eq!(
            describe(&refs),
            "tracing, opentelemetry found in Cargo.toml; tracing found in a/Cargo.toml (and in 1 \
             more manifest)"
        );
        assert_eq!(describe(&refs[..1]), "tracing found in Cargo.toml");
    }

    #[test]
    fn ignored_directories_and_dev_requirements() {
        assert!(ignored("examples/Dockerfile"));
        assert!(ignored("a/node_modules/x/package.json"));
        assert!(!ignored("Dockerfile"));
        assert!(!ignored("deploy/k8s/deployment.yaml"));
        assert!(dev_requirements("requirements-dev.txt"));
        assert!(dev_requirements("requirements/test.txt"));
        assert!(!dev_requirements("requirements.txt"));
        assert!(!dev_requirements("requirements/base.txt"));
    }

    #[test]
    fn the_kind_setting_is_validated_with_its_position() {
        let e = crate::testing::policy_error("[settings]\nkind = \"daemon\"\n");
        let text = e.to_string();
        assert!(
            text.contains("invalid `kind`: unknown kind `daemon`"),
            "{text}"
        );
        assert!(text.contains(":2:8"), "{text}");
    }

    #[test]
    fn unknown_ecosystems_in_options_are_positioned_errors() {
        let e = crate::testing::policy_error(
            "[rules.\"obs/metrics\"]\npackages = { cobol = [\"x\"] }\n",
        );
        assert!(e.to_string().contains("unknown ecosystem `cobol`"), "{e}");
        assert!(e.to_string().contains(":2:"), "{e}");
        let e = crate::testing::policy_error(
            "[rules.\"obs/metrics\"]\necosystems = [\"cargo\", \"perl\"]\n",
        );
        assert!(e.to_string().contains("unknown ecosystem `perl`"), "{e}");
    }
}
