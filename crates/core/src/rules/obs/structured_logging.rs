//! obs/structured-logging

use std::collections::BTreeSet;

use super::service::judged;
use super::{
    deps, judged_ecosystems, pattern_set, source, take_ecosystems, take_packages, Eco, PatternSet,
    Presence, ECOSYSTEMS_OPTION,
};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "obs/structured-logging",
    summary: "A service logs structured (JSON) records",
    default_level: Level::Error,
    tier: Tier::Bronze,
    scope: Scope::Repository,
    fixable: false,
    options: &[
        ECOSYSTEMS_OPTION,
        OptionDoc {
            name: "packages",
            kind: "table of arrays of packages",
            help: "More packages that count as structured logging, per ecosystem: \
                   `{ npm = [\"@acme/logger\"] }`. Added to the built-in list.",
        },
    ],
    docs: Docs {
        what: "In a repository judged as a service, the manifests of at least one ecosystem \
               declare a structured logger from `ecosystems.toml`: `tracing-subscriber` with \
               its `json` feature, `tracing-bunyan-formatter` or `slog-json` (Rust); zap, \
               zerolog, logrus, go-kit/log, hclog (Go), or `slog.NewJSONHandler` in Go \
               source (the standard library's slog does not show in go.mod); pino, winston, \
               bunyan (Node.js); structlog, python-json-logger, ecs-logging (Python); the \
               logstash Logback encoder, Elastic ECS layouts or Log4j's JSON template layout \
               (JVM). When only plain logging is found (`tracing-subscriber` without `json`, \
               `env_logger`, `logback-classic`, `loguru`), the finding names it.",
        why: "Log pipelines index fields, not prose: a JSON record with a level, a message, \
              a trace id and the request's attributes can be searched, correlated with its \
              trace and counted; a formatted line needs a regex per team.",
        example: "Cargo.toml with `tracing-subscriber = { version = \"0.3\", features = \
                  [\"env-filter\"] }` is reported at that line: ``tracing-subscriber found in \
                  Cargo.toml, but it is not structured on its own: no structured logging \
                  library (expected `tracing-subscriber` with its `json` feature, ...)``; \
                  adding `\"json\"` to its features fixes it.",
        fix: "Emit logs as JSON to stdout: enable `tracing-subscriber`'s `json` feature and \
              use `fmt().json()`, or adopt the ecosystem's structured logger; include the \
              trace and span ids in each record.",
    },
};

struct StructuredLogging {
    only: Option<BTreeSet<Eco>>,
    packages: PatternSet,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let only = take_ecosystems(params)?;
    let extra = take_packages(params, "packages")?;
    Ok(Box::new(StructuredLogging {
        only,
        packages: pattern_set(|d| &d.structured_logging, &extra),
    }))
}

impl Rule for StructuredLogging {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(service) = judged(cx) else {
            return;
        };
        let deps = deps(cx);
        let ecos = judged_ecosystems(&deps, self.only.as_ref());
        let plain = pattern_set(|d| &d.logging, &[]);
        let presence = Presence {
            what: "structured logging library",
            wanted: &self.packages,
            partial: Some((&plain, "it is not structured on its own")),
            help: "log JSON records (level, message, trace id, attributes) to stdout",
            key: "structured-logging",
        };
        let Some(violation) = presence.check(&deps, &ecos, &service) else {
            return;
        };
        // Standard-library structured logging shows only in source.
        let markers = ecos
            .iter()
            .any(|e| !e.data().structured_logging_source.is_empty());
        if markers {
            let hits = source::data_hits(cx);
            let found = hits.iter().any(|h| {
                h.eco.is_some_and(|e| ecos.contains(&e))
                    && h.eco
                        .is_some_and(|e| e.data().structured_logging_source.contains(&h.marker))
            });
            if found {
                return;
            }
        }
        out.push(violation);
    }
}

#[cfg(test)]
mod tests {

    const SERVICE: &str = "[settings]\nkind = \"service\"\n[rules.\"obs/structured-logging\"]\n";

    fn messages(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
        crate::testing::messages_of("obs/structured-logging", policy, files)
    }

    #[test]
    fn tracing_subscriber_needs_its_json_feature() {
        let plain = "[package]\nname = \"a\"\n[dependencies]\ntracing-subscriber = { version = \"0.3\", features = [\"env-filter\"] }\n";
        let found = messages(SERVICE, &[("Cargo.toml", plain)]);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].0.as_str(), found[0].1), ("Cargo.toml", 4));
        assert!(
            found[0].2.starts_with("tracing-subscriber found in Cargo.toml, but it is not structured on its own: no structured logging library (expected `tracing-subscriber` with its `json` feature"),
            "{}",
            found[0].2
        );
        let json = plain.replace("\"env-filter\"]", "\"env-filter\", \"json\"]");
        assert!(messages(SERVICE, &[("Cargo.toml", &json)]).is_empty());
        // A workspace member inherits the root's features.
        let root = "[workspace]\nmembers = [\"api\"]\n[workspace.dependencies]\ntracing-subscriber = { version = \"0.3\", features = [\"json\"] }\n";
        let member =
            "[package]\nname = \"api\"\n[dependencies]\ntracing-subscriber.workspace = true\n";
        assert!(messages(SERVICE, &[("Cargo.toml", root), ("api/Cargo.toml", member)]).is_empty());
    }

    #[test]
    fn other_ecosystems_and_go_slog_in_source() {
        for (path, text) in [
            ("package.json", "{\"dependencies\": {\"pino\": \"^9\"}}"),
            ("requirements.txt", "structlog==24.1\n"),
            ("go.mod", "module m\nrequire go.uber.org/zap v1.27.0\n"),
            ("pom.xml", "<project><dependencies><dependency><groupId>net.logstash.logback</groupId><artifactId>logstash-logback-encoder</artifactId></dependency></dependencies></project>"),
        ] {
            assert!(messages(SERVICE, &[(path, text)]).is_empty(), "{path}");
        }
        let go = "module m\ngo 1.22\n";
        let found = messages(SERVICE, &[("go.mod", go)]);
        assert!(
            found[0]
                .2
                .starts_with("no structured logging library found in go.mod"),
            "{found:?}"
        );
        let main = "package main\nimport \"log/slog\"\nfunc main() { slog.New(slog.NewJSONHandler(os.Stdout, nil)) }\n";
        assert!(messages(SERVICE, &[("go.mod", go), ("main.go", main)]).is_empty());
        // A marker in a vendored file is not evidence.
        assert_eq!(
            messages(SERVICE, &[("go.mod", go), ("vendor/x/main.go", main)]).len(),
            1
        );
    }
}
