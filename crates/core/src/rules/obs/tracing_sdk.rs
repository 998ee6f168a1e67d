use std::collections::BTreeSet;

use super::service::judged;
use super::{
    deps, describe, examples, judged_ecosystems, matching, no_manifest, pattern_set,
    take_ecosystems, take_packages, violation_at, Dep, Eco, PatternSet, ECOSYSTEMS_OPTION,
};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/tracing-sdk",
    summary: "A service depends on an OpenTelemetry tracing SDK and an exporter",
    level: Error,
    tier: Silver,
    scope: Repository { path_list: true },
    build: build,
    options: [
        ECOSYSTEMS_OPTION,
        {
            name: "sdk",
            kind: "table of arrays of packages",
            help: "More packages that count as a tracing SDK, per ecosystem: \
                   `{ cargo = [\"acme-telemetry\"], npm = [\"@acme/otel-*\"] }` (`prefix*` and, \
                   for Cargo, `name[feature]` accepted). Added to the built-in list.",
        },
        {
            name: "exporter",
            kind: "table of arrays of packages",
            help: "More packages that count as a span exporter, per ecosystem, as for `sdk`.",
        },
    ],
    what: "In a repository judged as a service (see docs/observability.md), the \
           dependency manifests of at least one ecosystem declare a tracing SDK and an \
           exporter for it, or a distribution that brings both. What counts is data \
           (`ecosystems.toml`): for Rust, `tracing` plus `opentelemetry`, \
           `opentelemetry_sdk` or `tracing-opentelemetry`, with an exporter such as \
           `opentelemetry-otlp`; for Go, `go.opentelemetry.io/otel/sdk` with an \
           `otlptrace` exporter; for Node.js, `@opentelemetry/sdk-node` (which brings the \
           OTLP exporters) or `sdk-trace-*` with `exporter-trace-otlp-*`; for Python, \
           `opentelemetry-sdk` with `opentelemetry-exporter-otlp*`; for the JVM, \
           `io.opentelemetry:opentelemetry-sdk` with `opentelemetry-exporter-otlp`, the \
           Spring Boot starter, or the Java agent (in the build or attached with \
           `-javaagent` in a Dockerfile). Development dependencies do not count. The \
           finding says what was found and what is missing.",
    why: "Traces are how a request is followed across services; without an SDK and an \
          exporter, instrumentation records nothing, and an incident is debugged from \
          logs alone. An OpenTelemetry SDK with an OTLP exporter keeps the service \
          vendor-neutral: the collector decides where spans go.",
    example: "A Rust service whose Cargo.toml has `tracing` and `tracing-subscriber` only \
              is reported at `tracing`: `tracing found in Cargo.toml, but no \
              OpenTelemetry SDK or exporter (...)`. With `tracing-opentelemetry`, \
              `opentelemetry_sdk` and `opentelemetry-otlp` added it is not.",
    fix: "Add the ecosystem's OpenTelemetry SDK and its OTLP exporter, initialise them at \
          start-up, and point the exporter at the collector with \
          `OTEL_EXPORTER_OTLP_ENDPOINT` (see `obs/otel-config`). If the organisation \
          wraps OpenTelemetry in an internal package, list it under `sdk` and `exporter` \
          in this rule's options.",
}

struct TracingSdk {
    only: Option<BTreeSet<Eco>>,
    sdk: PatternSet,
    exporter: PatternSet,
    distro: PatternSet,
    requires: PatternSet,
    api: PatternSet,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let only = take_ecosystems(params)?;
    let sdk = take_packages(params, "sdk")?;
    let exporter = take_packages(params, "exporter")?;
    Ok(Box::new(TracingSdk {
        only,
        sdk: pattern_set(|d| &d.tracing_sdk, &sdk),
        exporter: pattern_set(|d| &d.tracing_exporter, &exporter),
        distro: pattern_set(|d| &d.tracing_distro, &[]),
        requires: pattern_set(|d| &d.tracing_requires, &[]),
        api: pattern_set(|d| &d.tracing_api, &[]),
    }))
}

fn merged<'d>(a: &[&'d Dep], b: &[&'d Dep]) -> Vec<&'d Dep> {
    let mut out: Vec<&Dep> = a.to_vec();
    for dep in b {
        if !out.iter().any(|d| d.name == dep.name && d.path == dep.path) {
            out.push(dep);
        }
    }
    out
}

impl Rule for TracingSdk {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deps = deps(cx);
        let ecos = judged_ecosystems(&deps, self.only.as_ref());
        if ecos.is_empty() {
            out.push(no_manifest("tracing SDK", &ecos, &service));
            return;
        }
        let mut best: Option<(usize, Violation)> = None;
        for &eco in &ecos {
            let sdk = matching(&deps, eco, &self.sdk);
            let exporter = matching(&deps, eco, &self.exporter);
            let distro = matching(&deps, eco, &self.distro);
            let requires = matching(&deps, eco, &self.requires);
            let needs = self.requires.get(&eco).is_some_and(|l| !l.is_empty());
            if !distro.is_empty()
                || (!sdk.is_empty() && !exporter.is_empty() && (!needs || !requires.is_empty()))
            {
                return;
            }
            let data = eco.data();
            let manifest = deps.first_manifest(eco);
            let Some(manifest) = manifest else {
                let one: BTreeSet<Eco> = [eco].into();
                let v = no_manifest("tracing SDK", &one, &service);
                if best.is_none() {
                    best = Some((0, v));
                }
                continue;
            };
            let api = merged(&matching(&deps, eco, &self.api), &requires);
            let sdk_ex = examples(&self.sdk, eco, 3);
            let exp_ex = examples(&self.exporter, eco, 2);
            let (score, message, anchor) = match (sdk.is_empty(), exporter.is_empty()) {
                (false, true) => (
                    2,
                    format!(
                        "{}, but no OpenTelemetry exporter (expected {exp_ex})",
                        describe(&sdk)
                    ),
                    sdk.first().copied(),
                ),
                (true, false) => (
                    2,
                    format!(
                        "{}, but no OpenTelemetry SDK (expected {sdk_ex})",
                        describe(&exporter)
                    ),
                    exporter.first().copied(),
                ),
                (false, false) => (
                    3,
                    format!(
                        "{}, but not {} (the {} golden path traces through it)",
                        describe(&merged(&sdk, &exporter)),
                        examples(&self.requires, eco, 3),
                        data.name
                    ),
                    sdk.first().copied(),
                ),
                (true, true) if !api.is_empty() => (
                    1,
                    format!(
                        "{}, but no OpenTelemetry SDK or exporter (expected {sdk_ex} with \
                         {exp_ex})",
                        describe(&api)
                    ),
                    api.first().copied(),
                ),
                (true, true) => (
                    0,
                    format!(
                        "no tracing SDK found in {}: expected an OpenTelemetry SDK ({sdk_ex}) \
                         with an exporter ({exp_ex})",
                        deps.manifest_list(&[eco].into())
                    ),
                    None,
                ),
            };
            let help = service.note(&format!(
                "add an OpenTelemetry SDK and exporter for {} ({sdk_ex} with {exp_ex}) and \
                 initialise them at start-up",
                data.name
            ));
            let v = violation_at(anchor, Some(manifest), message)
                .help(help)
                .key("tracing-sdk");
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, v));
            }
        }
        if let Some((_, v)) = best {
            out.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/tracing-sdk\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        crate::testing::messages_of("obs/tracing-sdk", policy, files)
    }

    #[test]
    fn rust_with_sdk_and_exporter_passes() {
        let cargo = "[package]\nname = \"api\"\n[dependencies]\ntracing = \"0.1\"\ntracing-opentelemetry = \"0.27\"\nopentelemetry-otlp = \"0.26\"\n";
        assert!(messages(SERVICE, &[("Cargo.toml", cargo)]).is_empty());
    }

    #[test]
    fn says_what_was_found_and_what_is_missing() {
        let only_tracing = "[package]\nname = \"api\"\n[dependencies]\nserde = \"1\"\ntracing = \"0.1\"\n[dev-dependencies]\nopentelemetry-otlp = \"0.26\"\n";
        let found = messages(SERVICE, &[("Cargo.toml", only_tracing)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0.as_str(), found[0].1), ("Cargo.toml", 5));
        assert!(
            found[0]
                .2
                .starts_with("tracing found in Cargo.toml, but no OpenTelemetry SDK or exporter"),
            "{}",
            found[0].2
        );

        let no_exporter = "[package]\nname = \"api\"\n[dependencies]\ntracing = \"0.1\"\nopentelemetry_sdk = \"0.26\"\n";
        let found = messages(SERVICE, &[("Cargo.toml", no_exporter)]);
        assert!(
            found[0]
                .2
                .contains("but no OpenTelemetry exporter (expected `opentelemetry-otlp`"),
            "{}",
            found[0].2
        );
        assert_eq!(found[0].1, 5);

        let no_tracing = "[package]\nname = \"api\"\n[dependencies]\nopentelemetry_sdk = \"0.26\"\nopentelemetry-otlp = \"0.26\"\n";
        let found = messages(SERVICE, &[("Cargo.toml", no_tracing)]);
        assert!(found[0].2.contains("but not `tracing`"), "{}", found[0].2);

        let nothing = "[package]\nname = \"api\"\n[dependencies]\nserde = \"1\"\n";
        let found = messages(SERVICE, &[("Cargo.toml", nothing)]);
        assert!(
            found[0].2.starts_with("no tracing SDK found in Cargo.toml"),
            "{}",
            found[0].2
        );
        assert_eq!(found[0].1, 0);
    }

    #[test]
    fn other_ecosystems() {
        let npm = "{\"dependencies\": {\"@opentelemetry/sdk-node\": \"^0.52\"}}";
        let go = "module m\n\nrequire (\n\tgo.opentelemetry.io/otel/sdk v1.28.0\n\tgo.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc v1.28.0\n)\n";
        let py = "opentelemetry-sdk==1.26\nopentelemetry-exporter-otlp-proto-grpc==1.26\n";
        let pom = "<project><dependencies><dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-sdk</artifactId></dependency><dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-exporter-otlp</artifactId></dependency></dependencies></project>";
        for (path, text) in [
            ("package.json", npm),
            ("go.mod", go),
            ("requirements.txt", py),
            ("pom.xml", pom),
        ] {
            assert!(messages(SERVICE, &[(path, text)]).is_empty(), "{path}");
        }
        let agent = "FROM eclipse-temurin:21\nADD https://example.com/opentelemetry-javaagent.jar /otel.jar\nENV JAVA_TOOL_OPTIONS=-javaagent:/otel.jar\n";
        assert!(messages(SERVICE, &[("Dockerfile", agent), ("pom.xml", "<project/>")]).is_empty());
        let py_api = "opentelemetry-api==1.26\n";
        let found = messages(SERVICE, &[("requirements.txt", py_api)]);
        assert!(
            found[0]
                .2
                .contains("opentelemetry-api found in requirements.txt"),
            "{found:?}"
        );
    }

    #[test]
    fn libraries_are_not_judged() {
        let nothing = "[package]\nname = \"lib\"\n[dependencies]\nserde = \"1\"\n";
        let policy = "[rules.\"obs/tracing-sdk\"]\n";
        assert!(messages(policy, &[("Cargo.toml", nothing), ("src/lib.rs", "")]).is_empty());
        // A Dockerfile that EXPOSEs a port makes a service, unless the policy says otherwise.
        let files = [
            ("Cargo.toml", nothing),
            ("Dockerfile", "FROM scratch\nEXPOSE 80\n"),
        ];
        let found = check(policy, &files);
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .help
                .as_deref()
                .unwrap_or_default()
                .contains("Judged as a service: a Dockerfile that EXPOSEs 80 (Dockerfile)"),
            "{:?}",
            found[0].help
        );
        let library = "[settings]\nkind = \"library\"\n[rules.\"obs/tracing-sdk\"]\n";
        assert!(messages(library, &files).is_empty());
        // Examples and dev containers are not evidence.
        let files = [
            ("Cargo.toml", nothing),
            (".devcontainer/Dockerfile", "FROM rust\n"),
            ("examples/k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: x}]}}}\n"),
        ];
        assert!(messages(policy, &files).is_empty());
    }

    #[test]
    fn policy_packages_and_ecosystems() {
        let cargo = "[package]\nname = \"api\"\n[dependencies]\ntracing = \"0.1\"\nacme-telemetry = \"1\"\n";
        let policy = format!("{SERVICE}sdk = {{ cargo = [\"acme-telemetry\"] }}\nexporter = {{ rust = [\"acme-*\"] }}\n");
        assert!(messages(&policy, &[("Cargo.toml", cargo)]).is_empty());
        let policy = format!("{SERVICE}ecosystems = [\"go\"]\n");
        let found = messages(&policy, &[("Cargo.toml", cargo)]);
        assert!(
            found[0].2.starts_with("no Go (go.mod) manifest found"),
            "{found:?}"
        );
    }
}
