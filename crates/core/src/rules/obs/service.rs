//! Whether the repository is a service, and why: the obs rules judge services only.
//!
//! In order, the first that decides wins:
//!
//! 1. `[settings] kind = "service"` or `"library"` in the policy;
//! 2. a `catalog-info.yaml` `Component` with `spec.type` `service` or `website` (a service),
//!    or only components of other types, such as `library` (not a service);
//! 3. the heuristic, which asks for evidence of a deployed, listening service: a server
//!    library among the runtime dependencies (the `server` lists of `ecosystems.toml`), a
//!    long-running Kubernetes workload, a Helm chart, or a Dockerfile that `EXPOSE`s a port.
//!    A binary target, a command-line framework (the `cli` lists) and anything in a test or
//!    tooling directory are ruled out, and a Dockerfile without `EXPOSE` is weak: tools ship
//!    as binaries and containers too. Those are named in the reasons, never decisive.
//!
//! Files under the directories of [`super::IGNORED_DIRS`] (examples, fixtures, tests,
//! `.devcontainer`, vendored code) are not evidence.

use std::sync::Arc;

use crate::context::Context;
use crate::doc::Node;
use crate::policy::RepoKind;

use super::{deploy, describe, file_name, ignored, matching, Dep, Eco};

/// The verdict, with the reasons a person can check.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) is_service: bool,
    /// Why (or why not), for findings and `--verbose`.
    pub(crate) reasons: Vec<String>,
    /// What else was seen and did not decide: weak evidence and evidence ruled out (a binary
    /// target, a command-line framework, a test container), for `init` and `--verbose`.
    pub(crate) also: Vec<String>,
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

impl Service {
    /// The reasons, then what else was seen (weak or ruled out).
    pub(crate) fn all_reasons(&self) -> Vec<String> {
        self.reasons.iter().chain(&self.also).cloned().collect()
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
            reasons = %verdict.all_reasons().join("; "),
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
                also: Vec::new(),
                explicit: true,
            }
        }
        Some(RepoKind::Library) => {
            return Service {
                is_service: false,
                reasons: vec!["`kind = \"library\"` in the policy's [settings]".into()],
                also: Vec::new(),
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
            also: Vec::new(),
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
            also: Vec::new(),
            explicit: false,
        };
    }

    heuristic(cx)
}

/// Where a path lies in a test or tooling location, the directory that says so: a container
/// built there runs tests or CI, it is not deployed. Exact names (`tests`, `ci`, `.github`,
/// `examples`...) and directories whose name has such a word (`cargo-test-support`,
/// `e2e-tests`).
pub(crate) fn tooling_dir(path: &str) -> Option<&str> {
    const EXACT: &[&str] = &[
        ".github",
        ".gitlab",
        ".circleci",
        ".buildkite",
        ".devcontainer",
        "hack",
        "scripts",
        "docs",
    ];
    const WORDS: &[&str] = &[
        "test",
        "tests",
        "testing",
        "testdata",
        "e2e",
        "ci",
        "example",
        "examples",
        "fixture",
        "fixtures",
        "bench",
        "benches",
        "benchmark",
        "benchmarks",
        "mock",
        "mocks",
    ];
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.into_iter().find(|dir| {
        let lower = dir.to_ascii_lowercase();
        EXACT.contains(&lower.as_str())
            || lower
                .split(['-', '_', '.'])
                .any(|word| WORDS.contains(&word))
    })
}

/// The evidence of the heuristic, in three kinds: what shows a deployed, listening service
/// (decides), what is seen but too weak to decide, and what was ruled out.
#[derive(Debug, Default)]
struct Evidence {
    service: Vec<String>,
    weak: Vec<String>,
    ruled_out: Vec<String>,
}

fn heuristic(cx: &Context<'_>) -> Service {
    let mut found = Evidence::default();
    let deps = super::deps(cx);
    let servers = super::pattern_set(|d| &d.server, &[]);
    let (server, tooling_server): (Vec<&Dep>, Vec<&Dep>) = Eco::ALL
        .into_iter()
        .flat_map(|eco| matching(&deps, eco, &servers))
        .partition(|d| tooling_dir(&d.path).is_none());
    if !server.is_empty() {
        found.service.push(format!(
            "a server library among the dependencies ({})",
            describe(&server)
        ));
    }
    if !tooling_server.is_empty() {
        found.ruled_out.push(format!(
            "a server library in a test or tooling manifest ({})",
            describe(&tooling_server)
        ));
    }
    let deploy = deploy::deploy(cx);
    let (placed, tooling): (Vec<_>, Vec<_>) = deploy
        .workloads
        .iter()
        .partition(|(_, path)| tooling_dir(path).is_none());
    if let Some((workload, path)) = placed.first() {
        found
            .service
            .push(format!("a Kubernetes {workload} ({path})"));
    }
    if let Some((workload, path)) = tooling.first() {
        found.ruled_out.push(format!(
            "a Kubernetes {workload} in a test or tooling directory ({path})"
        ));
    }
    let (placed, tooling): (Vec<_>, Vec<_>) = deploy
        .charts
        .iter()
        .partition(|path| tooling_dir(path).is_none());
    if let Some(chart) = placed.first() {
        found.service.push(format!("a Helm chart ({chart})"));
    }
    if let Some(chart) = tooling.first() {
        found.ruled_out.push(format!(
            "a Helm chart in a test or tooling directory ({chart})"
        ));
    }
    let (placed, tooling): (Vec<_>, Vec<_>) = deploy
        .dockerfiles
        .iter()
        .partition(|d| tooling_dir(&d.path).is_none());
    if let Some(d) = placed.iter().find(|d| !d.expose.is_empty()) {
        found.service.push(format!(
            "a Dockerfile that EXPOSEs {} ({})",
            d.expose.join(" "),
            d.path
        ));
    } else if let Some(d) = placed.first() {
        found.weak.push(format!(
            "a Dockerfile that EXPOSEs no port ({}), not enough on its own: a container \
             image is also how tools ship",
            d.path
        ));
    }
    // Dockerfiles in ignored directories (tests, examples, vendored code) are not read at
    // all; they are named here so the verdict can be checked.
    let ignored_dockerfile = cx.all_files().iter().find_map(|f| {
        let dir = f
            .path
            .split('/')
            .rev()
            .skip(1)
            .find(|d| super::IGNORED_DIRS.contains(d))?;
        deploy::is_dockerfile(file_name(&f.path)).then_some((f.path.as_str(), dir))
    });
    let tooling_dockerfile = tooling
        .first()
        .map(|d| (d.path.as_str(), tooling_dir(&d.path).unwrap_or_default()));
    if let Some((path, dir)) = tooling_dockerfile.or(ignored_dockerfile) {
        found
            .ruled_out
            .push(format!("a test or tooling container ({path}, in `{dir}/`)"));
    }
    if let Some(bin) = binary_target(cx) {
        found.ruled_out.push(format!(
            "a binary target ({bin}): not evidence on its own, command-line tools have one too"
        ));
    }
    let clis = super::pattern_set(|d| &d.cli, &[]);
    let cli: Vec<&Dep> = Eco::ALL
        .into_iter()
        .flat_map(|eco| matching(&deps, eco, &clis))
        .collect();
    if !cli.is_empty() {
        found.ruled_out.push(format!(
            "a command-line framework ({}): it makes a tool, not a service",
            describe(&cli)
        ));
    }
    let is_service = !found.service.is_empty();
    let reasons = if is_service {
        found.service
    } else {
        vec![
            "no evidence of a deployed, listening service (no server library among the \
             dependencies, Kubernetes workload, Helm chart, Dockerfile that EXPOSEs a port, or \
             catalog-info.yaml Component of spec.type service)"
                .to_owned(),
        ]
    };
    let also = found
        .weak
        .into_iter()
        .map(|w| format!("weak: {w}"))
        .chain(
            found
                .ruled_out
                .into_iter()
                .map(|r| format!("ruled out: {r}")),
        )
        .collect();
    Service {
        is_service,
        reasons,
        also,
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

    /// The verdict and every reason (found, weak, ruled out), as `goldpath init` prints them.
    fn verdict(files: &[(&str, &str)]) -> (bool, String) {
        let mut snap = MemorySnapshot::new();
        for (path, text) in files {
            snap = snap.with_file(*path, *text);
        }
        let found = crate::inspect::inspect(&snap);
        (found.is_service, found.service_reasons.join("; "))
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {template: {spec: {containers: []}}}\n";

    #[test]
    fn evidence_of_a_listening_service() {
        let cases: [(&[(&str, &str)], &str); 12] = [
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\naxum = \"0.8\"\n")],
                "a server library among the dependencies (axum found in Cargo.toml)",
            ),
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nhyper = { version = \"1\", features = [\"http1\", \"server\"] }\n")],
                "(hyper found in Cargo.toml)",
            ),
            (
                &[("web/package.json", "{\"dependencies\": {\"fastify\": \"4\"}}")],
                "(fastify found in web/package.json)",
            ),
            (
                &[("go.mod", "module m\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.9.0\n")],
                "(github.com/gin-gonic/gin found in go.mod)",
            ),
            (
                &[("requirements.txt", "Django==5.0\ngunicorn\n")],
                "(django, gunicorn found in requirements.txt)",
            ),
            (
                &[("pom.xml", "<project><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>\n")],
                "(org.springframework.boot:spring-boot-starter-web found in pom.xml)",
            ),
            // Spring Boot 4 renamed the starter to spring-boot-starter-webmvc.
            (
                &[("pom.xml", "<project><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-webmvc</artifactId></dependency></dependencies></project>\n")],
                "(org.springframework.boot:spring-boot-starter-webmvc found in pom.xml)",
            ),
            (&[("charts/api/Chart.yaml", "name: api\n")], "a Helm chart (charts/api/Chart.yaml)"),
            (
                &[("deploy/app.yaml", DEPLOYMENT)],
                "a Kubernetes StatefulSet `db` (deploy/app.yaml)",
            ),
            // A Go main package served by net/http shows itself by its deployment.
            (
                &[("go.mod", "module m\n"), ("main.go", "package main\n"), ("k8s/app.yaml", DEPLOYMENT)],
                "a Kubernetes StatefulSet `db` (k8s/app.yaml)",
            ),
            (
                &[("Dockerfile", "FROM alpine AS run\nEXPOSE 8080/tcp\nFROM alpine AS lint\n")],
                "a Dockerfile that EXPOSEs 8080/tcp (Dockerfile)",
            ),
            (
                &[("catalog-info.yaml", &CATALOG.replace("TYPE", "service"))],
                "catalog-info.yaml declares Component `ledger` of spec.type `service`",
            ),
        ];
        for (files, reason) in cases {
            let (service, why) = verdict(files);
            assert!(service, "{files:?}: {why}");
            assert!(why.contains(reason), "{why}");
            // The obs rules agree, and name the evidence in their help.
            let help = judged(files).unwrap_or_else(|| panic!("{files:?}"));
            assert!(help.contains(reason), "{help}");
        }
    }

    #[test]
    fn tools_libraries_and_test_containers_are_not_services() {
        let cases: [(&[(&str, &str)], &str); 12] = [
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[[bin]]\nname = \"a\"\npath = \"a.rs\"\n")],
                "ruled out: a binary target ([[bin]] in Cargo.toml)",
            ),
            (
                &[("tool/Cargo.toml", "[package]\nname = \"t\"\n"), ("tool/src/bin/t.rs", "")],
                "ruled out: a binary target (tool/src/bin/t.rs)",
            ),
            (
                &[("go.mod", "module m\n\nrequire github.com/spf13/cobra v1.8.0\n"), ("cmd/t/main.go", "package main\n")],
                "ruled out: a binary target (cmd/t/main.go)",
            ),
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nclap = \"4\"\n"), ("src/main.rs", "")],
                "ruled out: a command-line framework (clap found in Cargo.toml)",
            ),
            (
                &[("pyproject.toml", "[project]\nname = \"t\"\ndependencies = [\"click\", \"typer\"]\n")],
                "ruled out: a command-line framework (click, typer found in pyproject.toml)",
            ),
            (
                &[("package.json", "{\"dependencies\": {\"commander\": \"12\"}}")],
                "(commander found in package.json)",
            ),
            (
                &[("tests/docker/Dockerfile", "FROM nginx\nEXPOSE 443\n")],
                "ruled out: a test or tooling container (tests/docker/Dockerfile, in `tests/`)",
            ),
            (
                &[("crates/x-test-support/containers/sshd/Dockerfile", "FROM alpine\nEXPOSE 22\n")],
                "in `x-test-support/`",
            ),
            (
                &[(".github/actions/build/Dockerfile", "FROM alpine\nEXPOSE 80\n"), ("ci/Dockerfile", "FROM alpine\nEXPOSE 80\n")],
                "in `.github/`",
            ),
            (
                &[("Dockerfile", "FROM python:3.12\nRUN pip install tool\nENTRYPOINT [\"tool\"]\n")],
                "weak: a Dockerfile that EXPOSEs no port (Dockerfile)",
            ),
            (
                &[("crates/test-server/Cargo.toml", "[package]\nname = \"t\"\n[dependencies]\naxum = \"0.8\"\n")],
                "ruled out: a server library in a test or tooling manifest (axum found in crates/test-server/Cargo.toml)",
            ),
            // Hyper without its server feature is an HTTP client; a server only under
            // dev-dependencies serves tests.
            (
                &[("Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nhyper = { version = \"1\", features = [\"client\"] }\n[dev-dependencies]\naxum = \"0.8\"\n")],
                "no evidence of a deployed, listening service",
            ),
        ];
        for (files, reason) in cases {
            let (service, why) = verdict(files);
            assert!(!service, "{files:?}: {why}");
            assert!(why.contains(reason), "{why}");
            assert!(
                why.starts_with("no evidence of a deployed, listening service"),
                "{why}"
            );
            assert_eq!(judged(files), None);
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
        // Evidence decides whatever was ruled out beside it, and both are named.
        let (service, why) = verdict(&[
            (
                "Cargo.toml",
                "[package]\nname = \"a\"\n[dependencies]\nclap = \"4\"\nactix-web = \"4\"\n",
            ),
            ("src/main.rs", ""),
        ]);
        assert!(service, "{why}");
        assert!(why.contains("(actix-web found in Cargo.toml)"), "{why}");
        assert!(
            why.contains("ruled out: a binary target (src/main.rs)"),
            "{why}"
        );
        assert!(
            why.contains("ruled out: a command-line framework (clap found in Cargo.toml)"),
            "{why}"
        );
    }

    #[test]
    fn tooling_directories() {
        for path in [
            "tests/Dockerfile",
            "a/testdata/x/Dockerfile",
            "ci/Dockerfile",
            ".github/Dockerfile",
            "examples/a/Dockerfile",
            "e2e-tests/Dockerfile",
            "crates/cargo-test-support/c/Dockerfile",
            "docs/Dockerfile",
        ] {
            assert!(super::tooling_dir(path).is_some(), "{path}");
        }
        for path in [
            "Dockerfile",
            "deploy/Dockerfile",
            "cmd/api/Dockerfile",
            "services/oci-registry/Dockerfile",
            "contest/Dockerfile",
            "tests",
        ] {
            assert_eq!(super::tooling_dir(path), None, "{path}");
        }
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
