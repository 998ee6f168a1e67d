use std::collections::BTreeSet;

use super::service::judged;
use super::{
    data, deploy, deps, examples, judged_ecosystems, matching, or_list, pattern_set, source,
    take_ecosystems, take_packages, Eco, PatternSet, ECOSYSTEMS_OPTION,
};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/health-check",
    summary:
        "A service has health checks: Kubernetes probes, a HEALTHCHECK, a health library or route",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: build,
    options: [
        ECOSYSTEMS_OPTION,
        {
            name: "packages",
            kind: "table of arrays of packages",
            help: "More health-check libraries, per ecosystem: `{ npm = [\"@acme/health\"] }`.",
        },
        {
            name: "routes",
            kind: "array of strings",
            help: "More route paths that count as a health endpoint in source, besides \
                   `/healthz`, `/health`, `/livez`, `/readyz`, `/ready`, `/live`, `/-/healthy` \
                   and `/-/ready` (such as `/ping`).",
        },
        {
            name: "probes",
            kind: "boolean",
            help: "Report each container of a Deployment, StatefulSet, DaemonSet, \
                   ReplicaSet, Rollout or Knative Service without both a `livenessProbe` and \
                   a `readinessProbe`. Default `true`.",
        },
    ],
    what: "In a repository judged as a service: every container of a long-running \
           Kubernetes workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Rollout, \
           Knative Service) declares a `livenessProbe` and a `readinessProbe`, each \
           missing one reported at the container's name. Kustomize patches (files a \
           kustomization lists under `patches`, `patchesStrategicMerge` or \
           `patchesJson6902`, and workloads whose containers have no `image`) are not \
           judged as whole workloads: a probe in the base counts for every overlay, and a \
           probe a patch adds counts for the base container of the same workload and \
           name. Workloads under tooling and test directories (`hack/`, `scripts/`, \
           `tests/`, `examples/` ...: the directories service detection rules out) are \
           development add-ons, not judged. Without Kubernetes workloads, \
           the service needs one health check of any kind: a Dockerfile `HEALTHCHECK` in \
           the final stage (not `HEALTHCHECK NONE`), a Compose `healthcheck`, probes in a \
           Helm chart's templates, a health library from `ecosystems.toml` (Spring Boot \
           Actuator, terminus, django-health-check, tonic-health, ...), a gRPC health \
           service (`google.golang.org/grpc/health`, `grpc.health.v1` in source, \
           `grpc_health_probe` in a Dockerfile), or a health route in non-test source \
           files: `/healthz`, `/health`, `/livez`, `/readyz`, `/ready`, `/live`, and the \
           Prometheus ecosystem's `/-/healthy` and `/-/ready`, also in Django's form \
           (`path('healthz/', ...)`). `/ping` and `/status` count only when the `routes` \
           option adds them.",
    why: "Orchestrators restart what they know is dead and route traffic only to what \
          says it is ready; without health checks a wedged process keeps receiving \
          requests and a deploy goes out before the new version can serve.",
    example: "A Deployment whose container `api` has a `livenessProbe` only is reported \
              at `name: api`: ``container `api` of Deployment `web` has a livenessProbe \
              but no readinessProbe``. A repository with only a Dockerfile and no `HEALTHCHECK`, \
              health library or route is reported once for the repository.",
    fix: "Serve `/livez` (the process is alive) and `/readyz` (it can take traffic), and \
          declare both probes on every container; for plain Docker, add `HEALTHCHECK \
          CMD` to the final stage.",
}

struct HealthCheck {
    only: Option<BTreeSet<Eco>>,
    packages: PatternSet,
    routes: Vec<String>,
    probes: bool,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let only = take_ecosystems(params)?;
    let extra = take_packages(params, "packages")?;
    let routes = params.take::<Vec<String>>("routes")?.unwrap_or_default();
    Ok(Box::new(HealthCheck {
        only,
        packages: pattern_set(|d| &d.health, &extra),
        routes,
        probes: params.take::<bool>("probes")?.unwrap_or(true),
    }))
}

/// The gRPC health probe's binary, as Dockerfiles name it.
const GRPC_PROBES: &[&str] = &["grpc_health_probe", "grpc-health-probe"];

impl HealthCheck {
    /// Other evidence than Kubernetes probes, described; `Err` lists what argues against.
    fn evidence(&self, cx: &Context<'_>) -> Result<String, Vec<String>> {
        let deploy = deploy::deploy(cx);
        let mut against = Vec::new();
        for dockerfile in &deploy.dockerfiles {
            match dockerfile.healthcheck {
                Some((span, false)) => {
                    return Ok(format!("HEALTHCHECK in {}:{}", dockerfile.path, span.line))
                }
                Some((span, true)) => against.push(format!(
                    "`HEALTHCHECK NONE` in {}:{}",
                    dockerfile.path, span.line
                )),
                None => {}
            }
        }
        for service in &deploy.compose {
            match service.healthcheck {
                Some((_, false)) => {
                    return Ok(format!(
                        "healthcheck of Compose service `{}` in {}",
                        service.name, service.path
                    ))
                }
                Some((span, true)) => against.push(format!(
                    "disabled healthcheck of Compose service `{}` in {}:{}",
                    service.name, service.path, span.line
                )),
                None => {}
            }
        }
        if let Some(hit) = deploy
            .helm_text
            .iter()
            .find(|h| h.marker.ends_with("Probe:"))
        {
            return Ok(format!(
                "{} in {}",
                hit.marker.trim_end_matches(':'),
                hit.path
            ));
        }
        let deps = deps(cx);
        for eco in judged_ecosystems(&deps, self.only.as_ref()) {
            if let Some(dep) = matching(&deps, eco, &self.packages).first() {
                return Ok(format!("{} in {}", dep.name, dep.path));
            }
        }
        let hits = source::data_hits(cx);
        let routes = &data().health_routes;
        if let Some(hit) = hits.iter().find(|h| routes.contains(&h.marker)) {
            return Ok(format!(
                "route {} in {}:{}",
                hit.marker, hit.path, hit.span.line
            ));
        }
        let grpc = hits.iter().find(|h| {
            h.eco
                .is_some_and(|e| e.data().health_source.contains(&h.marker))
        });
        if let Some(hit) = grpc {
            return Ok(format!(
                "gRPC health service `{}` in {}:{}",
                hit.marker, hit.path, hit.span.line
            ));
        }
        // The probe binary copied into the image is there for an exec probe declared where
        // the service is deployed.
        for file in cx.wanted() {
            if !crate::rules::security::is_dockerfile(&file.path) || super::ignored(&file.path) {
                continue;
            }
            let Ok(text) = cx.text(file) else { continue };
            if let Some(at) = GRPC_PROBES.iter().find_map(|p| text.find(p)) {
                let line = text[..at].matches('\n').count() + 1;
                return Ok(format!("grpc_health_probe in {}:{line}", file.path));
            }
        }
        if !self.routes.is_empty() {
            if let Some(hit) = source::scan(cx, &self.routes).first() {
                return Ok(format!(
                    "route {} in {}:{}",
                    hit.marker, hit.path, hit.span.line
                ));
            }
        }
        Err(against)
    }
}

impl Rule for HealthCheck {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deploy = deploy::deploy(cx);
        // Kustomize patches are judged through the workloads they patch: a probe in the base
        // counts for every overlay, and a probe a patch adds counts for the base.
        let (patches, containers): (Vec<_>, Vec<_>) = deploy
            .containers
            .iter()
            .filter(|c| c.long_running)
            // Workloads under hack/, tests/, examples/ ... deploy development add-ons and test
            // fixtures, not the service: the same directories service detection rules out.
            .filter(|c| super::service::tooling_dir(&c.path).is_none())
            .partition(|c| c.patch);
        let patched = |c: &deploy::Container, probe: fn(&deploy::Container) -> bool| {
            probe(c)
                || patches
                    .iter()
                    .any(|p| p.workload == c.workload && p.name == c.name && probe(p))
        };
        if !containers.is_empty() {
            if !self.probes {
                return;
            }
            for c in containers {
                let liveness = patched(c, |c| c.liveness);
                let readiness = patched(c, |c| c.readiness);
                let missing: Vec<&str> = [
                    (!liveness).then_some("livenessProbe"),
                    (!readiness).then_some("readinessProbe"),
                ]
                .into_iter()
                .flatten()
                .collect();
                if missing.is_empty() {
                    continue;
                }
                let has = match (liveness, readiness) {
                    (true, false) => "has a livenessProbe but ",
                    (false, true) => "has a readinessProbe but ",
                    _ => "has ",
                };
                out.push(
                    Violation::file(
                        &c.path,
                        format!(
                            "container `{}` of {} {has}no {}",
                            c.name,
                            c.workload,
                            missing.join(" or ")
                        ),
                    )
                    .span(c.span)
                    .help(service.note(&format!(
                        "declare {} on the container (an HTTP GET of /livez and /readyz, a \
                         gRPC health check or a command)",
                        missing.join(" and ")
                    )))
                    .key(format!("probe:{}:{}", c.workload, c.name)),
                );
            }
            return;
        }
        // Patches of a base kept elsewhere: a probe they declare is a health check.
        if patches.iter().any(|p| p.liveness || p.readiness) {
            return;
        }
        let Err(against) = self.evidence(cx) else {
            return;
        };
        let mut routes: Vec<String> = data().health_routes.clone();
        routes.extend(self.routes.iter().cloned());
        let routes: Vec<String> = routes.iter().map(|r| format!("`{r}`")).collect();
        let deps = deps(cx);
        let libraries: Vec<String> = judged_ecosystems(&deps, self.only.as_ref())
            .into_iter()
            .filter_map(|e| {
                let list = examples(&self.packages, e, 3);
                (!list.is_empty()).then_some(list)
            })
            .collect();
        let libraries = if libraries.is_empty() {
            String::new()
        } else {
            format!(" ({})", libraries.join("; "))
        };
        let mut message = format!(
            "no health check found: no Kubernetes probes, Dockerfile HEALTHCHECK, Compose \
             healthcheck, health library{libraries}, gRPC health service (`grpc.health.v1`, \
             grpc_health_probe) or health route ({}) in source",
            or_list(&routes)
        );
        if !against.is_empty() {
            message.push_str(&format!(" ({})", against.join("; ")));
        }
        let at = deploy.dockerfiles.first().map(|d| d.path.clone());
        let v = match at {
            Some(path) => Violation::file(path, message),
            None => Violation::repo(message),
        };
        out.push(
            v.help(service.note(
                "serve a health endpoint such as /healthz and declare it: Kubernetes probes, or \
                 `HEALTHCHECK CMD` in the Dockerfile",
            ))
            .key("health-check"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/health-check\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, u32, String)> {
        check(policy, files)
            .into_iter()
            .filter(|f| f.rule == "obs/health-check")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.span.map_or(0, |s| s.column),
                    f.message,
                )
            })
            .collect()
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api\n          livenessProbe:\n            httpGet: {path: /livez, port: 8080}\n        - name: sidecar\n          image: proxy\n          livenessProbe: {tcpSocket: {port: 9}}\n          readinessProbe: {tcpSocket: {port: 9}}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: job, image: job}]\n";

    #[test]
    fn kubernetes_containers_need_both_probes() {
        let found = messages(SERVICE, &[("deploy/web.yaml", DEPLOY)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1, found[0].2),
            ("deploy/web.yaml", 9, 17)
        );
        assert_eq!(
            found[0].3,
            "container `api` of Deployment `web` has a livenessProbe but no readinessProbe"
        );
        let policy = format!("{SERVICE}probes = false\n");
        assert!(messages(&policy, &[("deploy/web.yaml", DEPLOY)]).is_empty());
    }

    #[test]
    fn without_kubernetes_any_evidence_counts() {
        let bare = "FROM scratch\nCOPY app /app\n";
        let found = messages(SERVICE, &[("Dockerfile", bare)]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "Dockerfile");
        assert!(
            found[0].3.starts_with("no health check found"),
            "{}",
            found[0].3
        );
        let none = "FROM alpine\nHEALTHCHECK NONE\n";
        let found = messages(SERVICE, &[("Dockerfile", none)]);
        assert!(
            found[0].3.contains("`HEALTHCHECK NONE` in Dockerfile:2"),
            "{}",
            found[0].3
        );
        for files in [
            vec![("Dockerfile", "FROM alpine\nHEALTHCHECK CMD wget -q localhost/healthz\n")],
            vec![("compose.yaml", "services:\n  api:\n    image: api\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n")],
            vec![("chart/Chart.yaml", "name: api\n"), ("chart/templates/deploy.yaml", "{{ if .Values.x }}\nlivenessProbe:\n{{ end }}\n")],
            vec![("package.json", "{\"dependencies\": {\"@godaddy/terminus\": \"^4\"}}")],
            vec![("src/main.rs", "Router::new().route(\"/healthz\", get(ok))\n")],
        ] {
            assert!(messages(SERVICE, &files).is_empty(), "{files:?}");
        }
        let ping = [("app.py", "@app.get('/ping')\n")];
        assert_eq!(messages(SERVICE, &ping).len(), 1);
        let policy = format!("{SERVICE}routes = [\"/ping\"]\n");
        assert!(messages(&policy, &ping).is_empty());
    }

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: manager}\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          image: operator:latest\n          livenessProbe: {httpGet: {path: /healthz, port: 8081}}\n          readinessProbe: {httpGet: {path: /readyz, port: 8081}}\n";
    /// A strategic-merge patch: the same Deployment, only the fields it changes.
    const PATCH: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: manager}\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          args: [--debug]\n";

    #[test]
    fn workloads_in_tooling_directories_are_not_judged() {
        let policy = "[settings]\nkind = \"service\"\n[rules.\"obs/health-check\"]\n";
        let bare = BASE
            .replace("livenessProbe", "notAProbe")
            .replace("readinessProbe", "alsoNotAProbe");
        let findings = check(
            policy,
            &[
                ("deploy/manager.yaml", BASE),
                ("operator/hack/addons_dev.yaml", bare.as_str()),
                ("test/e2e/manager.yaml", bare.as_str()),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
        let findings = check(policy, &[("deploy/manager.yaml", bare.as_str())]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
    }

    #[test]
    fn kustomize_patches_are_not_whole_workloads() {
        let base_kustomization = "resources:\n  - manager.yaml\n";
        let overlay = "resources:\n  - ../../base\npatches:\n  - path: manager_args_patch.yaml\n  - path: ./image.yaml\n    target: {kind: Deployment}\npatchesStrategicMerge:\n  - ../shared/resources.yaml\n";
        // Listed patches are patches even when they carry an image.
        let image_patch = PATCH.replace("args: [--debug]", "image: operator:v2");
        let files = [
            ("config/base/kustomization.yaml", base_kustomization),
            ("config/base/manager.yaml", BASE),
            ("config/overlays/dev/kustomization.yaml", overlay),
            ("config/overlays/dev/manager_args_patch.yaml", PATCH),
            ("config/overlays/dev/image.yaml", image_patch.as_str()),
            (
                "config/overlays/shared/resources.yaml",
                image_patch.as_str(),
            ),
        ];
        assert!(
            messages(SERVICE, &files).is_empty(),
            "{:?}",
            messages(SERVICE, &files)
        );
        // A partial object is a patch without any kustomization naming it.
        assert!(messages(
            SERVICE,
            &[("base/manager.yaml", BASE), ("patch.yaml", PATCH)]
        )
        .is_empty());
        // The base without probes is still reported, once, at the base.
        let bare = BASE
            .replace(
                "          livenessProbe: {httpGet: {path: /healthz, port: 8081}}\n",
                "",
            )
            .replace(
                "          readinessProbe: {httpGet: {path: /readyz, port: 8081}}\n",
                "",
            );
        let found = messages(
            SERVICE,
            &[("base/manager.yaml", bare.as_str()), ("patch.yaml", PATCH)],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "base/manager.yaml");
        // A probe the patch adds counts for the base.
        let probe_patch =
            format!("{PATCH}          readinessProbe: {{tcpSocket: {{port: 8081}}}}\n");
        let found = messages(
            SERVICE,
            &[
                ("base/manager.yaml", bare.as_str()),
                ("patch.yaml", probe_patch.as_str()),
            ],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].3,
            "container `manager` of Deployment `manager` has a readinessProbe but no livenessProbe"
        );
        // Patches alone (the base is elsewhere) are not judged as workloads.
        assert!(messages(SERVICE, &[("patch.yaml", PATCH)])[0]
            .3
            .starts_with("no health check found"));
    }

    #[test]
    fn knative_services_are_long_running_and_jobs_are_not() {
        let knative = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: fn}\nspec:\n  template:\n    spec:\n      containers:\n        - name: handler\n          image: x\n";
        let found = messages(SERVICE, &[("kn.yaml", knative)]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].3,
            "container `handler` of Service `fn` has no livenessProbe or readinessProbe"
        );
        // A plain Kubernetes Service has no pod template.
        let svc =
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n";
        let found = messages(SERVICE, &[("svc.yaml", svc)]);
        assert!(found[0].3.starts_with("no health check found"), "{found:?}");
    }

    #[test]
    fn framework_health_conventions_count() {
        let go = ("go.mod", "module m\ngo 1.22\n");
        for files in [
            // Prometheus' /-/healthy and /-/ready, Loki's /ready.
            vec![go, ("httpserver/server.go", "r.Get(\"/-/healthy\", ok)\n")],
            vec![go, ("api/ready.go", "mux.Handle(\"/-/ready\", h)\n")],
            vec![go, ("pkg/loki.go", "t.Server.HTTP.Path(\"/ready\").Handler(h)\n")],
            // Django's routes have no leading slash.
            vec![("requirements.txt", "Django==5.0\n"), ("app/urls.py", "urlpatterns = [path('healthz/', views.ok)]\n")],
            // gRPC health: the Go package, the protocol in any language, the probe binary.
            vec![go, ("main.go", "import \"google.golang.org/grpc/health\"\n")],
            vec![("package.json", "{}"), ("server.js", "const pkg = 'grpc.health.v1';\n")],
            vec![go, ("Dockerfile", "FROM golang AS b\nFROM ghcr.io/grpc-ecosystem/grpc-health-probe:v0.4 AS probe\nFROM scratch\nCOPY --from=probe /ko-app/grpc-health-probe /bin/\n")],
            // Spring Boot Actuator serves /actuator/health.
            vec![("pom.xml", "<project><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-actuator</artifactId></dependency></dependencies></project>")],
            vec![("requirements.txt", "django-health-check==3.18\n")],
        ] {
            let found = messages(SERVICE, &files);
            assert!(found.is_empty(), "{files:?}: {found:?}");
        }
    }

    #[test]
    fn plain_words_tests_and_unlisted_routes_are_not_health_checks() {
        let go = ("go.mod", "module m\ngo 1.22\n");
        for files in [
            vec![go, ("main.go", "func main() { log.Printf(\"up\") }\n")],
            vec![go, ("main.go", "if state == \"ready\" { return }\n")],
            vec![go, ("server_test.go", "get(\"/-/healthy\")\n")],
            vec![go, ("main.go", "mux.Handle(\"/status\", h)\n")],
        ] {
            let found = messages(SERVICE, &files);
            assert_eq!(found.len(), 1, "{files:?}");
            assert!(
                found[0]
                    .3
                    .contains("gRPC health service (`grpc.health.v1`, grpc_health_probe)")
                    && found[0].3.contains("`/-/healthy` or `/-/ready`) in source")
                    && found[0]
                        .3
                        .contains("health library (`github.com/heptiolabs/healthcheck`"),
                "{}",
                found[0].3
            );
        }
    }
}
