//! End to end: the `deps/*` rules run by the `goldpath` binary over real git repositories,
//! checked through the JSON output: lockfile-stale and source-not-allowed at the manifest
//! line, duplicate-versions at the pnpm lockfile entry, invalid-manifest with line and
//! column, licences from a package-lock.json, a malformed spec as a policy error, and
//! pull-request mode judging a manifest through its changed lockfile.

mod common;

use common::Repo;
use serde_json::Value;

const POLICY: &str = r#"
[rules."deps/lockfile-stale"]
[rules."deps/invalid-manifest"]
[rules."deps/duplicate-versions"]
[rules."deps/source-not-allowed"]
git = ["https://github.com/my-org/"]
[rules."deps/license"]
allow = ["MIT", "ISC"]
unknown-level = "off"
cargo-registry-cache = false
"#;

const CARGO_TOML: &str =
    "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nserde = \"1.0.100\"\n";
const CARGO_LOCK: &str = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"serde\"]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
const PACKAGE_JSON: &str =
    "{\n  \"name\": \"web\",\n  \"dependencies\": {\n    \"left-pad\": \"^1.3.0\"\n  }\n}\n";
const PACKAGE_LOCK: &str = "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": { \"dependencies\": { \"left-pad\": \"^1.3.0\" } },\n    \"node_modules/left-pad\": { \"version\": \"1.3.0\", \"resolved\": \"https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz\", \"license\": \"WTFPL\" }\n  }\n}\n";

/// (rule, path, line, column, level, message) of every finding.
fn findings(report: &Value) -> Vec<(String, String, u64, u64, String, String)> {
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
                f["level"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn repo() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("Cargo.toml", CARGO_TOML)
        .write("Cargo.lock", CARGO_LOCK)
        .write("web/package.json", PACKAGE_JSON)
        .write("web/package-lock.json", PACKAGE_LOCK);
    repo.commit("init");
    repo
}

#[test]
fn deps_rules_through_the_cli() {
    let repo = repo();
    let (code, report) = repo.check_json(&["--only", "deps/*"]);
    // Only the licence: WTFPL is not allowed, and left-pad is direct, so at its manifest line.
    assert_eq!(
        findings(&report),
        [(
            "deps/license".to_owned(),
            "web/package.json".to_owned(),
            4,
            5,
            "error".to_owned(),
            "npm package left-pad 1.3.0 is licensed WTFPL, which the policy does not allow"
                .to_owned()
        )]
    );
    // deps/license is a gold-tier rule: its error fails the run only when the repository is
    // held to gold.
    assert_eq!(code, 0);
    assert_eq!(
        repo.check_json(&["--only", "deps/*", "--fail-tier", "gold"])
            .0,
        1
    );

    // The manifest moves on without the lockfile, a git dependency comes in, a pnpm lockfile
    // holds two versions of one package, and a go.mod is broken.
    repo.write("Cargo.toml", CARGO_TOML.replace("1.0.100", "2") + "forked = { git = \"https://github.com/someone/forked\" }\n")
    .write(
        "ui/pnpm-lock.yaml",
        "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: ^2.0.0\n        version: 2.0.0\n\npackages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-x}\n\n  a@2.0.0:\n    resolution: {integrity: sha512-y}\n",
    )
    .write("svc/go.mod", "module example.com/svc\n\nrequire (\n\tgithub.com/a/b v1.0.0\n");
    let (code, report) = repo.check_json(&["--only", "deps/*"]);
    let got: Vec<_> = findings(&report)
        .into_iter()
        .map(|(rule, path, line, column, _, message)| (rule, path, line, column, message))
        .collect();
    let expected: Vec<(String, String, u64, u64, String)> = vec![
        ("deps/lockfile-stale".into(), "Cargo.toml".into(), 6, 1, "cargo dependency serde requires 2 but Cargo.lock locks 1.0.200".into()),
        ("deps/lockfile-stale".into(), "Cargo.toml".into(), 7, 1, "cargo dependency forked is declared but Cargo.lock does not lock it".into()),
        ("deps/source-not-allowed".into(), "Cargo.toml".into(), 7, 1, "cargo dependency forked comes from git https://github.com/someone/forked, which the policy does not allow".into()),
        ("deps/invalid-manifest".into(), "svc/go.mod".into(), 5, 1, "go.mod does not parse: unclosed `(` block".into()),
        ("deps/duplicate-versions".into(), "ui/pnpm-lock.yaml".into(), 16, 3, "npm package a is locked at 2 versions: 1.0.0, 2.0.0".into()),
        ("deps/license".into(), "web/package.json".into(), 4, 5, "npm package left-pad 1.3.0 is licensed WTFPL, which the policy does not allow".into()),
    ];
    assert_eq!(got, expected, "{report:#}");
    assert_eq!(code, 1);
}

#[test]
fn pull_request_mode_judges_a_manifest_through_its_lockfile() {
    let repo = repo();
    repo.git_ok(&["checkout", "-q", "-b", "topic"]);
    // Only the lockfile changes: serde goes back to a version the manifest does not allow.
    repo.write("Cargo.lock", CARGO_LOCK.replace("1.0.200", "1.0.50"));
    repo.commit("downgrade serde");
    let (_, report) = repo.check_json(&["--only", "deps/lockfile-stale", "--base", "main"]);
    let got = findings(&report);
    assert_eq!(got.len(), 1, "{report:#}");
    assert_eq!((got[0].1.as_str(), got[0].2), ("Cargo.toml", 6));
    assert_eq!(
        got[0].5,
        "cargo dependency serde requires 1.0.100 but Cargo.lock locks 1.0.50"
    );
}

#[test]
fn a_spec_that_can_never_match_is_a_policy_error() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        "[rules.\"deps/banned\"]\npackages = [\n  { ecosystem = \"npm\", name = \"lodash\", version = \">=5 <4\" },\n]\n",
    )
    .write("package.json", PACKAGE_JSON);
    repo.commit("init");
    let output = repo
        .goldpath()
        .args(["check", "--format", "json"])
        .output()
        .expect("run goldpath");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goldpath.toml:3:52"), "{stderr}");
    assert!(stderr.contains("can never match"), "{stderr}");
}
