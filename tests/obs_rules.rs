//! End to end: the built-in service packs (`builtin:rust-service`, `go-service`,
//! `python-service`, `node-service`, `jvm-service`) run by the `goldpath` binary over real git
//! repositories: a service on the golden path passes, one off it gets a finding from every
//! `obs/*` rule, a library is not judged, and `explain` prints each pack.

mod common;

use common::Repo;
use serde_json::Value;

const OBS_RULES: [&str; 9] = [
    "obs/alert-rules",
    "obs/deprecated-instrumentation",
    "obs/health-check",
    "obs/metrics",
    "obs/otel-config",
    "obs/runbook",
    "obs/slo",
    "obs/structured-logging",
    "obs/tracing-sdk",
];

const PACKS: [&str; 5] = [
    "rust-service",
    "go-service",
    "python-service",
    "node-service",
    "jvm-service",
];

const DOCKERFILE_OK: &str = "FROM gcr.io/distroless/base\nCOPY app /app\nENV OTEL_SERVICE_NAME=checkout \\\n    OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4317\nHEALTHCHECK CMD [\"/app\", \"healthcheck\"]\nUSER 65532\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n";
const DOCKERFILE_BARE: &str =
    "FROM gcr.io/distroless/base\nCOPY app /app\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n";

const SLO: &str = "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: checkout-availability\nspec:\n  service: checkout\n  indicator:\n    metadata:\n      name: good-requests\n    spec:\n      ratioMetric:\n        counter: true\n        good: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total{code!~\"5..\"}[1m]))'}}}\n        total: {metricSource: {type: Prometheus, spec: {query: 'sum(rate(http_requests_total[1m]))'}}}\n  budgetingMethod: Occurrences\n  objectives:\n    - target: 0.995\n  timeWindow:\n    - duration: 28d\n      isRolling: true\n";

const ALERTS: &str = "groups:\n  - name: checkout\n    rules:\n      - alert: CheckoutErrorBudgetBurn\n        expr: slo:sli_error:ratio_rate1h{service=\"checkout\"} > 14.4 * 0.005\n        labels:\n          severity: page\n        annotations:\n          summary: Checkout burns its error budget fast\n          runbook_url: https://runbooks.example.com/checkout#error-budget-burn\n";

/// A service's manifest files on the golden path, and off it, per pack.
fn manifests(pack: &str, good: bool) -> Vec<(&'static str, &'static str)> {
    match (pack, good) {
        ("rust-service", true) => vec![
            ("Cargo.toml", "[package]\nname = \"checkout\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntracing = \"0.1\"\ntracing-subscriber = { version = \"0.3\", features = [\"env-filter\", \"json\"] }\ntracing-opentelemetry = \"0.27\"\nopentelemetry_sdk = { version = \"0.26\", features = [\"rt-tokio\"] }\nopentelemetry-otlp = \"0.26\"\nprometheus = \"0.13\"\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
        ("rust-service", false) => vec![
            ("Cargo.toml", "[package]\nname = \"checkout\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntracing = \"0.1\"\ntracing-subscriber = \"0.3\"\nrustracing_jaeger = \"0.9\"\n"),
            ("src/main.rs", "fn main() {}\n"),
        ],
        ("go-service", true) => vec![
            ("go.mod", "module example.com/checkout\n\ngo 1.22\n\nrequire (\n\tgo.opentelemetry.io/otel v1.28.0\n\tgo.opentelemetry.io/otel/sdk v1.28.0\n\tgo.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc v1.28.0\n\tgithub.com/prometheus/client_golang v1.20.0\n\tgo.uber.org/zap v1.27.0\n)\n"),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
        ("go-service", false) => vec![
            ("go.mod", "module example.com/checkout\n\ngo 1.22\n\nrequire (\n\tgithub.com/opentracing/opentracing-go v1.2.0\n\tgithub.com/uber/jaeger-client-go v2.30.0+incompatible\n)\n"),
            ("main.go", "package main\n\nimport \"log\"\n\nfunc main() { log.Println(\"up\") }\n"),
        ],
        ("python-service", true) => vec![(
            "pyproject.toml",
            "[project]\nname = \"checkout\"\nversion = \"0.1.0\"\ndependencies = [\n  \"fastapi>=0.110\",\n  \"opentelemetry-sdk>=1.26\",\n  \"opentelemetry-exporter-otlp>=1.26\",\n  \"prometheus-client>=0.20\",\n  \"structlog>=24.1\",\n]\n",
        )],
        ("python-service", false) => vec![(
            "requirements.txt",
            "flask==3.0.3\nopentracing==2.4.0\nloguru==0.7.2\n",
        )],
        ("node-service", true) => vec![(
            "package.json",
            "{\n  \"name\": \"checkout\",\n  \"dependencies\": {\n    \"express\": \"^4.19.2\",\n    \"@opentelemetry/sdk-node\": \"^0.52.1\",\n    \"prom-client\": \"^15.1.3\",\n    \"pino\": \"^9.3.2\"\n  }\n}\n",
        )],
        ("node-service", false) => vec![(
            "package.json",
            "{\n  \"name\": \"checkout\",\n  \"dependencies\": {\n    \"express\": \"^4.19.2\",\n    \"jaeger-client\": \"^3.19.0\",\n    \"morgan\": \"^1.10.0\"\n  }\n}\n",
        )],
        ("jvm-service", true) => vec![(
            "build.gradle.kts",
            "plugins { java }\n\ndependencies {\n    implementation(\"org.springframework.boot:spring-boot-starter-web:3.3.2\")\n    implementation(\"org.springframework.boot:spring-boot-starter-actuator:3.3.2\")\n    implementation(\"io.opentelemetry.instrumentation:opentelemetry-spring-boot-starter:2.6.0\")\n    runtimeOnly(\"net.logstash.logback:logstash-logback-encoder:7.4\")\n    testImplementation(\"org.springframework.boot:spring-boot-starter-test:3.3.2\")\n}\n",
        )],
        ("jvm-service", false) => vec![(
            "pom.xml",
            "<project>\n  <dependencies>\n    <dependency>\n      <groupId>io.opentracing</groupId>\n      <artifactId>opentracing-api</artifactId>\n      <version>0.33.0</version>\n    </dependency>\n    <dependency>\n      <groupId>ch.qos.logback</groupId>\n      <artifactId>logback-classic</artifactId>\n    </dependency>\n  </dependencies>\n</project>\n",
        )],
        _ => unreachable!("unknown pack {pack}"),
    }
}

fn service(pack: &str, good: bool) -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", format!("extends = [\"builtin:{pack}\"]\n"));
    for (path, text) in manifests(pack, good) {
        repo.write(path, text);
    }
    if good {
        repo.write("Dockerfile", DOCKERFILE_OK)
            .write("slo/availability.yaml", SLO)
            .write("alerts/checkout.rules.yml", ALERTS)
            .write("docs/runbook.md", "# Checkout runbook\n");
    } else {
        let no_runbook = ALERTS.replace(
            "          runbook_url: https://runbooks.example.com/checkout#error-budget-burn\n",
            "",
        );
        repo.write("Dockerfile", DOCKERFILE_BARE)
            .write("alerts/checkout.rules.yml", no_runbook);
    }
    repo.commit("service");
    repo
}

fn findings(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .collect()
}

fn rules(report: &Value) -> Vec<String> {
    let mut rules: Vec<String> = findings(report)
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

fn finding<'r>(report: &'r Value, rule: &str) -> &'r Value {
    findings(report)
        .into_iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {report:#}"))
}

#[test]
fn each_pack_passes_a_service_on_the_golden_path() {
    for pack in PACKS {
        let repo = service(pack, true);
        let (code, report) = repo.check_json(&[]);
        assert_eq!(code, 0, "builtin:{pack}: {report:#}");
        assert!(findings(&report).is_empty(), "builtin:{pack}: {report:#}");
        // Every obs rule ran.
        assert_eq!(report["summary"]["rules"], 9, "builtin:{pack}: {report:#}");
        assert_eq!(
            report["summary"]["tier"], "gold",
            "builtin:{pack}: {report:#}"
        );
    }
}

#[test]
fn each_pack_reports_every_gap_of_a_service_off_the_path() {
    for pack in PACKS {
        let repo = service(pack, false);
        let (code, report) = repo.check_json(&[]);
        assert_eq!(code, 1, "builtin:{pack}: {report:#}");
        assert_eq!(rules(&report), OBS_RULES, "builtin:{pack}: {report:#}");
        let manifest = manifests(pack, false)[0].0;
        let tracing = finding(&report, "obs/tracing-sdk");
        assert_eq!(tracing["path"], manifest, "builtin:{pack}: {tracing:#}");
        assert_eq!(tracing["level"], "error", "{tracing:#}");
        let deprecated = finding(&report, "obs/deprecated-instrumentation");
        assert_eq!(deprecated["path"], manifest, "{deprecated:#}");
        assert!(
            deprecated["span"]["line"].as_u64().unwrap_or(0) > 1,
            "{deprecated:#}"
        );
        assert!(
            deprecated["message"]
                .as_str()
                .unwrap_or_default()
                .contains("is deprecated instrumentation: use `"),
            "{deprecated:#}"
        );
        let alert = finding(&report, "obs/alert-rules");
        assert_eq!(
            alert["message"],
            "alert `CheckoutErrorBudgetBurn` has no runbook_url annotation"
        );
        assert_eq!(alert["path"], "alerts/checkout.rules.yml");
        // Why the repository counts as a service is in the help.
        let help = tracing["help"].as_str().unwrap_or_default();
        assert!(
            help.contains("a Dockerfile that EXPOSEs 8080 (Dockerfile)"),
            "builtin:{pack}: {help}"
        );
    }
}

#[test]
fn findings_say_what_was_found_and_what_is_missing() {
    let repo = service("rust-service", false);
    let (_, report) = repo.check_json(&[]);
    let tracing = finding(&report, "obs/tracing-sdk");
    assert_eq!(
        (
            tracing["span"]["line"].as_u64(),
            tracing["span"]["column"].as_u64()
        ),
        (Some(7), Some(1)),
        "{tracing:#}"
    );
    assert!(
        tracing["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("tracing found in Cargo.toml, but no OpenTelemetry SDK or exporter"),
        "{tracing:#}"
    );
    let logging = finding(&report, "obs/structured-logging");
    assert!(
        logging["message"].as_str().unwrap_or_default().starts_with(
            "tracing-subscriber found in Cargo.toml, but it is not structured on its own"
        ),
        "{logging:#}"
    );
    let otel = finding(&report, "obs/otel-config");
    assert_eq!(otel["path"], "Dockerfile");
    assert!(
        otel["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no OpenTelemetry configuration found"),
        "{otel:#}"
    );
}

#[test]
fn libraries_are_not_judged_and_kind_decides() {
    // A Rust library: no Dockerfile, no manifests for deployment, no binary target.
    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"builtin:rust-service\"]\n")
        .write(
            "Cargo.toml",
            "[package]\nname = \"lib\"\nversion = \"0.1.0\"\n[dependencies]\nserde = \"1\"\n",
        )
        .write("src/lib.rs", "")
        .write(".devcontainer/Dockerfile", "FROM rust:1\n");
    repo.commit("lib");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(findings(&report).is_empty(), "{report:#}");

    // The policy says it is a service: judged.
    repo.write(
        "goldpath.toml",
        "extends = [\"builtin:rust-service\"]\n[settings]\nkind = \"service\"\n",
    );
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1, "{report:#}");
    let help = finding(&report, "obs/metrics")["help"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        help.contains("`kind = \"service\"` in the policy's [settings]"),
        "{help}"
    );

    // A service the policy calls a library is not.
    let service = service("go-service", false);
    service.write(
        "goldpath.toml",
        "extends = [\"builtin:go-service\"]\n[settings]\nkind = \"library\"\n",
    );
    let (code, report) = service.check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(findings(&report).is_empty(), "{report:#}");

    // A catalog-info.yaml Component of type service decides, and -v logs why.
    repo.write("goldpath.toml", "extends = [\"builtin:rust-service\"]\n")
        .write(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ledger\nspec:\n  type: service\n  owner: team-a\n  lifecycle: production\n",
        );
    let output = repo
        .goldpath()
        .args(["check", "--format", "json", "-v"])
        .output()
        .expect("run goldpath");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("catalog-info.yaml declares Component `ledger` of spec.type `service`"),
        "{stderr}"
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert!(
        rules(&report).contains(&"obs/tracing-sdk".to_owned()),
        "{report:#}"
    );
}

#[test]
fn explain_prints_each_service_pack() {
    let repo = Repo::plain();
    for pack in PACKS {
        let output = repo
            .goldpath()
            .args(["explain", &format!("builtin:{pack}")])
            .output()
            .expect("run goldpath");
        assert!(output.status.success(), "builtin:{pack}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.starts_with(&format!("# builtin:{pack}\n")), "{text}");
        for rule in OBS_RULES {
            assert!(
                text.contains(&format!("[rules.\"{rule}\"]")),
                "builtin:{pack}: {rule}"
            );
        }
    }
    let output = repo
        .goldpath()
        .args(["explain", "obs/tracing-sdk"])
        .output()
        .expect("run goldpath");
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("OpenTelemetry"));
}

#[test]
fn bad_kind_and_unknown_ecosystems_are_policy_errors() {
    let repo = Repo::git();
    repo.write("goldpath.toml", "[settings]\nkind = \"daemon\"\n");
    repo.commit("bad");
    let output = repo
        .goldpath()
        .args(["check"])
        .output()
        .expect("run goldpath");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goldpath.toml:2:8"), "{stderr}");
    assert!(stderr.contains("unknown kind `daemon`"), "{stderr}");
    repo.write(
        "goldpath.toml",
        "extends = [\"builtin:rust-service\"]\n[rules.\"obs/metrics\"]\nextend-ecosystems = [\"cobol\"]\n",
    );
    let output = repo
        .goldpath()
        .args(["check"])
        .output()
        .expect("run goldpath");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown ecosystem `cobol`"), "{stderr}");
    // The added name is found in the file that added it, not in the pack's list.
    assert!(stderr.contains("goldpath.toml:3:23"), "{stderr}");
}

#[test]
fn staged_commits_of_source_files_alone_are_not_judged() {
    let repo = service("node-service", false);
    repo.write("src/index.js", "console.log('hi')\n");
    repo.git_ok(&["add", "src/index.js"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(findings(&report).is_empty(), "{report:#}");
    // A change to a file the obs rules read judges the repository: the rules run, and what
    // HEAD already lacked is not the change's doing (`--all` shows it).
    repo.write("Dockerfile", format!("{DOCKERFILE_BARE}USER 65532\n"));
    repo.git_ok(&["add", "Dockerfile"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["summary"]["preexisting"].as_u64(),
        Some(OBS_RULES.len() as u64),
        "{report:#}"
    );
    let (code, report) = repo.check_json(&["--staged", "--all"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules(&report), OBS_RULES, "{report:#}");
}
