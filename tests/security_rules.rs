//! End to end: the `security/*` rules run by the `goldpath` binary over real git repositories,
//! checked through the JSON, human and SARIF outputs.

mod common;

use common::Repo;
use serde_json::Value;

const POLICY: &str = r#"
[rules."security/security-policy"]
[rules."security/license"]
[rules."security/secrets"]
allow = ["testdata/**"]
[rules."security/dockerfile-pinned"]
[rules."security/dockerfile-user"]
"#;

/// A whole licence text: security/license matches the text, not a signature sentence.
const MIT: &str = include_str!("../crates/core/tests/fixtures/licenses/cargo-LICENSE-MIT");
const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A token built from pieces, so this file does not itself hold one; random-looking, because
/// `ghp_` and 36 `Z` reads as a placeholder.
fn token() -> String {
    format!("{}{}{}", "ghp_", "q8Zr2LmX9vTbK3wN7pHs", "4JdF6gYc1VaE5uTo")
}

/// A PEM private key block built from pieces, with a body of real length.
fn pem() -> String {
    let body = "PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kjp1vRt+1f\njORS/6ilI8ihN5KXSc7Tvo/hBKqFYY/kv5ZJr3J1TWDtkwtDDb+xHKas1VOqg6YY\n";
    format!(
        "-----BEGIN {}PRIVATE KEY-----\n{body}-----END {}PRIVATE KEY-----\n",
        "RSA ", "RSA "
    )
}

/// (rule, path, line, column) of every finding.
fn positions(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["span"]["line"].as_u64().unwrap_or(0),
                f["span"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn clean_repo() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("SECURITY.md", "Report to security@acme.io\n")
        .write("LICENSE", MIT)
        .write("Cargo.toml", "[package]\nname = \"x\"\nlicense = \"MIT\"\n")
        .write(
            "Dockerfile",
            format!("FROM rust@sha256:{DIGEST} AS build\nFROM scratch\nUSER 65532\n"),
        );
    repo.commit("init");
    repo
}

#[test]
fn a_clean_repository_passes() {
    let repo = clean_repo();
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert!(positions(&report).is_empty(), "{report:#}");
}

#[test]
fn each_rule_reports_at_its_position() {
    let repo = clean_repo();
    repo.write("SECURITY.md", "Please be responsible.\n")
        .write(
            "Cargo.toml",
            "[package]\nname = \"x\"\nlicense = \"Apache-2.0\"\n",
        )
        .write(
            "svc/Dockerfile",
            "FROM --platform=linux/amd64 node:20 AS app\nUSER root\n",
        )
        .write("src/config.py", format!("TOKEN = \"{}\"\n", token()))
        .write("testdata/fixture.txt", token());
    repo.commit("regress");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        positions(&report),
        [
            ("security/license".into(), "Cargo.toml".into(), 3, 11),
            (
                "security/security-policy".into(),
                "SECURITY.md".into(),
                1,
                1
            ),
            ("security/secrets".into(), "src/config.py".into(), 1, 10),
            (
                "security/dockerfile-pinned".into(),
                "svc/Dockerfile".into(),
                1,
                29
            ),
            (
                "security/dockerfile-user".into(),
                "svc/Dockerfile".into(),
                2,
                6
            ),
        ]
    );
    // The secret is in no output.
    let json = report.to_string();
    assert!(!json.contains(&token()), "{json}");
    for format in ["human", "sarif", "github", "markdown", "gitlab", "junit"] {
        let output = repo
            .goldpath()
            .args(["check", "--format", format])
            .output()
            .expect("run goldpath");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(!text.contains(&token()), "{format}: {text}");
        assert!(text.contains("GitHub token"), "{format}: {text}");
    }
}

#[test]
fn staged_mode_scans_only_changed_files_for_secrets() {
    let repo = clean_repo();
    repo.write("old.txt", token());
    repo.commit("an old leak");
    repo.write(
        "new.txt",
        format!("k = \"{}{}\"\n", "AKIA", "Q7ZR2LMX4VTBK3WN"),
    );
    repo.git_ok(&["add", "new.txt"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1);
    let secrets: Vec<_> = positions(&report)
        .into_iter()
        .filter(|p| p.0 == "security/secrets")
        .collect();
    assert_eq!(
        secrets,
        [("security/secrets".into(), "new.txt".into(), 1, 6)]
    );
}

/// With builtin:recommended: a private key under a test-fixture path is a note (exit 0), a
/// placeholder token is nothing, a literal registry password in a workflow and a key outside
/// fixtures are errors at their lines.
#[test]
fn recommended_notes_fixture_keys_and_reports_real_leaks() {
    let repo = Repo::git();
    repo.write("README.md", "# x\n")
        .write("LICENSE", MIT)
        .write("cluster/testdata/certs/ca-key.pem", pem())
        .write("examples/ha/tls/node1-key.pem", pem())
        .write(
            "config/testdata/conf.slack.yml",
            "slack_app_token: 'xoxb-1234-abcdefgh'\naws: AKIAIOSFODNN7EXAMPLE\n",
        )
        .write(
            "docs/keys.txt",
            format!("Keys start with -----BEGIN {}PRIVATE KEY-----\n", "RSA "),
        );
    repo.commit("init");
    let (code, report) = repo.check_json(&["--only", "security/secrets"]);
    assert_eq!(code, 0, "{report:#}");
    let levels: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["level"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            (
                "cluster/testdata/certs/ca-key.pem".to_owned(),
                "note".to_owned()
            ),
            (
                "examples/ha/tls/node1-key.pem".to_owned(),
                "note".to_owned()
            ),
        ]
    );

    repo.write("deploy/server-key.pem", pem()).write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container:\n      image: ghcr.io/acme/build:1\n      credentials:\n        username: bot\n        password: Tr0ub4dor-and-3\n    steps:\n      - run: make\n",
    );
    repo.commit("leak");
    let (code, report) = repo.check_json(&["--only", "security/secrets"]);
    assert_eq!(code, 1, "{report:#}");
    let errors: Vec<_> = positions(&report)
        .into_iter()
        .filter(|p| !p.1.contains("testdata") && !p.1.starts_with("examples"))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "security/secrets".into(),
                ".github/workflows/ci.yml".into(),
                9,
                19
            ),
            (
                "security/secrets".into(),
                "deploy/server-key.pem".into(),
                1,
                1
            ),
        ]
    );
    assert!(!report.to_string().contains("Tr0ub4dor"), "{report:#}");
}

#[test]
fn missing_files_are_repository_wide_and_recommended_reports_them_once() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("README.md", "# x\n");
    repo.commit("init");
    let (_, report) = repo.check_json(&[]);
    let rules: Vec<_> = positions(&report)
        .into_iter()
        .map(|(rule, path, _, _)| (rule, path))
        .collect();
    assert_eq!(
        rules,
        [
            ("security/license".into(), String::new()),
            ("security/security-policy".into(), String::new()),
        ]
    );

    // With no policy, builtin:recommended: files/required names the missing files, and the
    // security rules do not repeat it.
    repo.remove("goldpath.toml");
    repo.commit("no policy");
    let (_, report) = repo.check_json(&[]);
    let missing: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["path"].is_null())
        .filter(|f| {
            let message = f["message"].as_str().unwrap_or_default();
            message.contains("licen") || message.contains("security")
        })
        .map(|f| f["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(missing, ["files/required", "files/required"], "{report:#}");
}

#[test]
fn the_dual_licensed_project_itself_passes_the_security_rules() {
    let root = env!("CARGO_MANIFEST_DIR");
    let output = assert_cmd::Command::cargo_bin("goldpath")
        .expect("binary")
        .args(["check", root, "--format", "json", "--only", "security/*"])
        .env_remove("GOLDPATH_LOG")
        .output()
        .expect("run goldpath");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
}

#[test]
fn explain_prints_a_builtin_pack() {
    let repo = Repo::plain();
    let output = repo
        .goldpath()
        .args(["explain", "builtin:security"])
        .output()
        .expect("run goldpath");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("# builtin:security\n"), "{text}");
    assert!(
        text.contains("[rules.\"security/dockerfile-pinned\"]"),
        "{text}"
    );
    let output = repo
        .goldpath()
        .args(["explain", "builtin:nope"])
        .output()
        .expect("run goldpath");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("known: recommended, security"));
}

#[test]
fn schema_prints_json_schema_with_every_rule() {
    let output = Repo::plain()
        .goldpath()
        .arg("schema")
        .output()
        .expect("run goldpath");
    assert!(output.status.success());
    let schema: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let rules = &schema["properties"]["rules"]["properties"];
    assert!(rules["security/secrets"]["properties"]["allow"].is_object());
}
