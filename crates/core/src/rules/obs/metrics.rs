use std::collections::BTreeSet;

use super::service::judged;
use super::{
    deps, judged_ecosystems, pattern_set, take_ecosystems, take_packages, Eco, PatternSet,
    Presence, ECOSYSTEMS_OPTION,
};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/metrics",
    summary: "A service depends on a metrics library or exporter",
    level: Error,
    tier: Silver,
    scope: Repository { path_list: true },
    build: build,
    options: [
        ECOSYSTEMS_OPTION,
        {
            name: "packages",
            kind: "table of arrays of packages",
            help: "More packages that count as a metrics library, per ecosystem: \
                   `{ go = [\"github.com/acme/metrics\"] }`. Added to the built-in list.",
        },
    ],
    what: "In a repository judged as a service, the manifests of at least one ecosystem \
           declare a metrics library or exporter from `ecosystems.toml`: Prometheus \
           clients (`prometheus`, `prometheus-client`, `prom-client`, \
           `github.com/prometheus/client_golang`, `io.prometheus:*`), the OpenTelemetry \
           metrics SDKs and exporters (for Cargo, `opentelemetry_sdk` or \
           `opentelemetry-otlp` with their `metrics` feature), `metrics` and its \
           exporters, Micrometer, StatsD and DogStatsD clients, Spring Boot Actuator. \
           Development dependencies do not count.",
    why: "Rates, errors and durations are what SLOs, dashboards and alerts are computed \
          from; a service that exposes no metrics can only be watched from the outside.",
    example: "A Go service whose go.mod requires only `github.com/go-chi/chi/v5` is \
              reported at go.mod: ``no metrics library found in go.mod: expected \
              `github.com/prometheus/client_golang`, ...``; requiring \
              `github.com/prometheus/client_golang` fixes it.",
    fix: "Add a metrics library, expose request counts and latencies (RED metrics), and \
          have them scraped or pushed over OTLP. An internal metrics package can be \
          listed under `packages` in this rule's options.",
}

struct Metrics {
    only: Option<BTreeSet<Eco>>,
    packages: PatternSet,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let only = take_ecosystems(params)?;
    let extra = take_packages(params, "packages")?;
    Ok(Box::new(Metrics {
        only,
        packages: pattern_set(|d| &d.metrics, &extra),
    }))
}

impl Rule for Metrics {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deps = deps(cx);
        let ecos = judged_ecosystems(&deps, self.only.as_ref());
        let tracing = pattern_set(|d| &d.tracing_sdk, &[]);
        let presence = Presence {
            what: "metrics library",
            wanted: &self.packages,
            partial: Some((&tracing, "tracing is not metrics")),
            help: "add a metrics library and expose request rates, errors and durations",
            key: "metrics",
        };
        out.extend(presence.check(&deps, &ecos, &service));
    }
}

#[cfg(test)]
mod tests {

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/metrics\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        crate::testing::messages_of("obs/metrics", policy, files)
    }

    #[test]
    fn metrics_libraries_pass() {
        let cases = [
            ("Cargo.toml", "[package]\nname = \"a\"\n[dependencies]\nopentelemetry_sdk = { version = \"0.26\", features = [\"metrics\"] }\n"),
            ("go.mod", "module m\nrequire github.com/prometheus/client_golang v1.20.0\n"),
            ("package.json", "{\"dependencies\": {\"prom-client\": \"^15\"}}"),
            ("pyproject.toml", "[project]\nname = \"a\"\ndependencies = [\"Prometheus_Client>=0.20\"]\n"),
            ("build.gradle.kts", "dependencies {\n  implementation(\"io.micrometer:micrometer-registry-prometheus:1.13.0\")\n}\n"),
        ];
        for (path, text) in cases {
            assert!(messages(SERVICE, &[(path, text)]).is_empty(), "{path}");
        }
    }

    #[test]
    fn reports_what_is_missing() {
        let go = "module m\nrequire github.com/go-chi/chi/v5 v5.1.0\n";
        let found = messages(SERVICE, &[("go.mod", go)]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "go.mod");
        assert!(
            found[0].2.starts_with("no metrics library found in go.mod: expected `github.com/prometheus/client_golang`"),
            "{}",
            found[0].2
        );
        // Without the feature, the SDK is tracing only.
        let cargo = "[package]\nname = \"a\"\n[dependencies]\nopentelemetry_sdk = \"0.26\"\n";
        let found = messages(SERVICE, &[("Cargo.toml", cargo)]);
        assert_eq!(found[0].1, 4);
        assert!(
            found[0].2.starts_with("opentelemetry_sdk found in Cargo.toml, but tracing is not metrics: no metrics library"),
            "{}",
            found[0].2
        );
        let policy = format!("{SERVICE}packages = {{ go = [\"github.com/go-chi/*\"] }}\n");
        assert!(messages(&policy, &[("go.mod", go)]).is_empty());
    }
}
