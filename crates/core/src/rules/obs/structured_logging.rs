use std::collections::BTreeSet;

use super::service::judged;
use super::{
    deps, judged_ecosystems, or_list, pattern_set, source, take_ecosystems, take_packages, Eco,
    Pattern, PatternSet, Presence, SourceMarker, ECOSYSTEMS_OPTION,
};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "obs/structured-logging",
    summary: "A service logs structured (JSON) records",
    level: Error,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: build,
    options: [
        ECOSYSTEMS_OPTION,
        {
            name: "packages",
            kind: "table of arrays of packages",
            help: "More packages that count as structured logging, per ecosystem: \
                   `{ npm = [\"@acme/logger\"] }`. Added to the built-in list.",
        },
    ],
    what: "In a repository judged as a service, the manifests of at least one ecosystem \
           declare a structured logger from `ecosystems.toml`: `tracing-subscriber` with \
           its `json` feature, `tracing-bunyan-formatter` or `slog-json` (Rust); zap, \
           zerolog, logrus, go-kit/log, hclog (Go); pino, winston, bunyan (Node.js); \
           structlog, python-json-logger, ecs-logging (Python); the logstash Logback \
           encoder, Elastic ECS layouts or Log4j's JSON template layout (JVM). Failing \
           that, evidence outside the manifests counts: in non-test source, Go's standard \
           `log/slog` import or a wrapper inside a larger module (promslog, dskit's \
           log), a Python `JsonFormatter`/`JSONFormatter` or loguru's `serialize=True`; \
           for the JVM, Spring Boot's `logging.structured.format.console`/`.file` in \
           `application*.properties`/`.yml`, or a JSON encoder or layout in \
           `logback*.xml`/`log4j2*.xml`. Spring Boot's default Logback console pattern \
           and Django's default logging are plain text. When only plain logging is found \
           (`tracing-subscriber` without `json`, `env_logger`, `logback-classic`, \
           `loguru`), the finding names it; it also names the source and settings it \
           looked for.",
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
}

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

/// Config files of JVM frameworks: Spring Boot, Micronaut and Quarkus settings, Logback and
/// Log4j 2 configurations.
const JVM_CONFIG_GLOBS: &[&str] = &[
    "**/application*.properties",
    "**/logback*.xml",
    "**/log4j2*.xml",
];

fn is_settings_file(name: &str) -> bool {
    name.starts_with("application")
        && [".properties", ".yml", ".yaml"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

fn is_logging_config(name: &str) -> bool {
    (name.starts_with("logback") || name.starts_with("log4j2")) && name.ends_with(".xml")
}

/// Test resources and fixtures configure tests, not the service.
fn test_resource(path: &str) -> bool {
    path.contains("/src/test/") || path.starts_with("src/test/")
}

/// The value of `key` in a `.properties` text (`key=value`, `key: value`, `key value`), with
/// the byte offset of its line.
fn properties_value<'t>(text: &'t str, key: &str) -> Option<(usize, &'t str)> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let start = at;
        at += line.len();
        let Some(rest) = line.trim_start().strip_prefix(key) else {
            continue;
        };
        // A longer key (`key.more`) is another setting.
        if !rest.starts_with(|c: char| c == '=' || c == ':' || c.is_whitespace()) {
            continue;
        }
        let rest = rest.trim_start();
        let value = rest.strip_prefix(['=', ':']).unwrap_or(rest).trim();
        return Some((start, value));
    }
    None
}

/// The value at a dotted key of a YAML document (`logging.structured.format.console`), also
/// when the document writes the key flat or partly flat (`logging.structured: ...`).
fn yaml_value<'n>(node: &'n crate::doc::Node, key: &str) -> Option<&'n crate::doc::Node> {
    if key.is_empty() {
        return Some(node);
    }
    for entry in node.as_map().unwrap_or_default() {
        let Some(name) = entry.key_str() else {
            continue;
        };
        if name == key {
            return Some(&entry.value);
        }
        if let Some(rest) = key.strip_prefix(name).and_then(|r| r.strip_prefix('.')) {
            if let Some(found) = yaml_value(&entry.value, rest) {
                return Some(found);
            }
        }
    }
    None
}

/// Whether a setting's value turns the structured format on (not empty, not `none`/`false`).
fn enabled(value: &str) -> bool {
    let value = value.trim();
    !(value.is_empty() || value.eq_ignore_ascii_case("none") || value.eq_ignore_ascii_case("false"))
}

impl StructuredLogging {
    /// Structured logging shown by a JVM framework's settings or a logging configuration:
    /// `application.properties:12`.
    fn jvm_config(&self, cx: &Context<'_>) -> Option<String> {
        let data = Eco::Jvm.data();
        for file in cx.wanted() {
            if super::ignored(&file.path) || test_resource(&file.path) {
                continue;
            }
            let name = super::file_name(&file.path);
            if is_settings_file(name) {
                for key in &data.structured_logging_settings {
                    if name.ends_with(".properties") {
                        let Ok(text) = cx.text(file) else { continue };
                        if let Some((at, value)) = properties_value(&text, key) {
                            if enabled(value) {
                                let line = text[..at].matches('\n').count() + 1;
                                return Some(format!("`{key}` in {}:{line}", file.path));
                            }
                        }
                    } else if let Some(docs) = cx.documents(file) {
                        let Ok(docs) = docs.as_ref() else { continue };
                        for doc in docs {
                            let value = yaml_value(doc, key).and_then(|v| v.as_str());
                            if value.is_some_and(enabled) {
                                return Some(format!("`{key}` in {}", file.path));
                            }
                        }
                    }
                }
            } else if is_logging_config(name) {
                let Ok(text) = cx.text(file) else { continue };
                for marker in &data.structured_logging_config {
                    if let Some(at) = text.find(marker.as_str()) {
                        let line = text[..at].matches('\n').count() + 1;
                        return Some(format!("`{marker}` in {}:{line}", file.path));
                    }
                }
            }
        }
        None
    }
}

impl Rule for StructuredLogging {
    fn wants(&self) -> Vec<String> {
        let mut globs = super::wants();
        globs.extend(JVM_CONFIG_GLOBS.iter().map(|g| (*g).to_owned()));
        globs
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
        let Some(mut violation) = presence.check(&deps, &ecos, &service) else {
            return;
        };
        // Standard-library structured logging, and wrappers inside larger modules, show only
        // in source.
        let mut looked_for = Vec::new();
        let with_markers: Vec<Eco> = ecos
            .iter()
            .copied()
            .filter(|e| !e.data().structured_logging_source.is_empty())
            .collect();
        if !with_markers.is_empty() {
            let hits = source::data_hits(cx);
            for eco in with_markers {
                let markers = &eco.data().structured_logging_source;
                let counts = |marker: &SourceMarker| match marker {
                    SourceMarker::Text(_) => true,
                    SourceMarker::With { with, .. } => Pattern::parse(eco, with)
                        .is_ok_and(|p| deps.deps.iter().any(|d| p.matches(d))),
                };
                let found = hits.iter().any(|h| {
                    h.eco == Some(eco) && markers.iter().any(|m| m.text() == h.marker && counts(m))
                });
                if found {
                    return;
                }
                let shown: Vec<String> = markers
                    .iter()
                    .filter(|m| counts(m))
                    .map(|m| format!("`{}`", m.text()))
                    .collect();
                if !shown.is_empty() {
                    let exts = eco.data().source_extensions.join("/.");
                    looked_for.push(format!("{} in .{exts} source", or_list(&shown)));
                }
            }
        }
        if ecos.contains(&Eco::Jvm) {
            if self.jvm_config(cx).is_some() {
                return;
            }
            let settings: Vec<String> = Eco::Jvm
                .data()
                .structured_logging_settings
                .iter()
                .map(|k| format!("`{k}`"))
                .collect();
            let spring = deps
                .deps
                .iter()
                .any(|d| d.eco == Eco::Jvm && d.name.starts_with("org.springframework.boot:"));
            let note = if spring {
                " (Spring Boot's default Logback console pattern is plain text; Spring Boot \
                 3.4+ writes JSON when `logging.structured.format.console` is `ecs`, \
                 `logstash` or `gelf`)"
            } else {
                ""
            };
            looked_for.push(format!(
                "{} in application*.properties/.yml, nor a JSON encoder or layout in \
                 logback*.xml or log4j2*.xml{note}",
                or_list(&settings)
            ));
        }
        let no_manifest = violation
            .key
            .as_deref()
            .is_some_and(|k| k.starts_with("no-manifest"));
        if !looked_for.is_empty() && !no_manifest {
            violation.message = format!("{}; nor {}", violation.message, looked_for.join(", nor "));
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

    #[test]
    fn go_standard_slog_and_its_wrappers_count_by_import() {
        let go = "module m\ngo 1.22\nrequire github.com/prometheus/common v0.60.0\n";
        for source in [
            "package main\n\nimport (\n\t\"log/slog\"\n\t\"os\"\n)\n\nfunc main() { slog.Info(\"up\", \"port\", 80) }\n",
            "package main\nimport \"github.com/prometheus/common/promslog\"\nvar l = promslog.New(&promslog.Config{})\n",
            "package main\nimport dslog \"github.com/grafana/dskit/log\"\n",
        ] {
            let found = messages(SERVICE, &[("go.mod", go), ("cmd/app/main.go", source)]);
            assert!(found.is_empty(), "{source}: {found:?}");
        }
        // The standard `log` package is plain text, and an import in a test file is not the
        // service's logger: both are reported, naming what was looked for.
        let printf = "package main\nimport \"log\"\nfunc main() { log.Printf(\"up on %d\", 80) }\n";
        let test = "package main\nimport \"log/slog\"\n";
        let found = messages(
            SERVICE,
            &[("go.mod", go), ("main.go", printf), ("main_test.go", test)],
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "go.mod");
        assert!(
            found[0]
                .2
                .contains("nor `\"log/slog\"`, `slog.NewJSONHandler`")
                && found[0].2.ends_with("in .go source"),
            "{}",
            found[0].2
        );
    }

    const SPRING_POM: &str = "<project><dependencies><dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency></dependencies></project>";

    #[test]
    fn spring_boot_structured_logging_settings_count_and_its_default_does_not() {
        let found = messages(SERVICE, &[("pom.xml", SPRING_POM)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0]
                .2
                .contains("Spring Boot's default Logback console pattern is plain text"),
            "{}",
            found[0].2
        );
        let props = "src/main/resources/application.properties";
        let yml = "src/main/resources/application.yml";
        for (path, text) in [
            (props, "spring.application.name=petclinic\nlogging.structured.format.console=ecs\n"),
            (props, "logging.structured.format.file: logstash\n"),
            (yml, "logging:\n  structured:\n    format:\n      console: ecs\n"),
            (yml, "logging.structured.format.console: gelf\n"),
            ("src/main/resources/logback-spring.xml", "<configuration><appender name=\"c\" class=\"ch.qos.logback.core.ConsoleAppender\"><encoder class=\"ch.qos.logback.classic.encoder.JsonEncoder\"/></appender></configuration>"),
            ("src/main/resources/log4j2.xml", "<Configuration><Appenders><Console name=\"c\"><JsonTemplateLayout eventTemplateUri=\"classpath:EcsLayout.json\"/></Console></Appenders></Configuration>"),
        ] {
            let found = messages(SERVICE, &[("pom.xml", SPRING_POM), (path, text)]);
            assert!(found.is_empty(), "{path}: {text}: {found:?}");
        }
        // Not set, set to nothing, a longer key, or only in the tests' resources.
        for (path, text) in [
            (props, "logging.level.root=INFO\n"),
            (props, "logging.structured.format.console=\n"),
            (props, "logging.structured.format.console.json-members=x\n"),
            (
                "src/test/resources/application.properties",
                "logging.structured.format.console=ecs\n",
            ),
        ] {
            let found = messages(SERVICE, &[("pom.xml", SPRING_POM), (path, text)]);
            assert_eq!(found.len(), 1, "{path}: {text}");
        }
    }

    #[test]
    fn python_json_formatters_and_serialized_loguru() {
        let django = "Django==5.0\n";
        let settings =
            "LOGGING = {\n    'formatters': {'json': {'()': 'app.logs.JSONFormatter'}},\n}\n";
        assert!(messages(
            SERVICE,
            &[("requirements.txt", django), ("app/settings.py", settings)]
        )
        .is_empty());
        let found = messages(
            SERVICE,
            &[
                ("requirements.txt", django),
                ("app/settings.py", "LOGGING = {}\n"),
            ],
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .2
                .contains("nor `JsonFormatter` or `JSONFormatter` in .py source"),
            "{}",
            found[0].2
        );
        let sink = "from loguru import logger\nlogger.add(sys.stderr, serialize=True)\n";
        let loguru = "loguru==0.7\n";
        assert!(messages(SERVICE, &[("requirements.txt", loguru), ("main.py", sink)]).is_empty());
        // loguru without serialize is plain text; serialize=True without loguru is something else.
        let found = messages(
            SERVICE,
            &[
                ("requirements.txt", loguru),
                ("main.py", "logger.add(sys.stderr)\n"),
            ],
        );
        assert!(
            found[0]
                .2
                .starts_with("loguru found in requirements.txt, but it is not structured"),
            "{found:?}"
        );
        assert_eq!(
            messages(SERVICE, &[("requirements.txt", django), ("main.py", sink)]).len(),
            1
        );
    }
}
