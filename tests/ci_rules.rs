//! End to end: the `ci/*` rules run by the `goldpath` binary on git repositories, with the
//! built-in recommended policy, checked through the JSON report.

mod common;

use common::Repo;
use serde_json::Value;

/// `(rule, path, line, column, tier)` of each finding of a `ci/*` rule.
fn ci_rows(report: &Value) -> Vec<(String, String, u64, u64, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("ci/")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or("").to_owned(),
                f["span"]["line"].as_u64().unwrap_or(0),
                f["span"]["column"].as_u64().unwrap_or(0),
                f["tier"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

const WORKFLOW: &str = "\
name: ci
on:
  pull_request_target:
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
          persist-credentials: false
      - uses: someone/lint@main
      - name: Greet
        run: |
          echo hello
          echo \"${{ github.event.pull_request.title }}\"
";

fn row(
    rule: &str,
    path: &str,
    line: u64,
    column: u64,
    tier: &str,
) -> (String, String, u64, u64, String) {
    (
        rule.to_owned(),
        path.to_owned(),
        line,
        column,
        tier.to_owned(),
    )
}

#[test]
fn recommended_policy_reports_ci_findings_at_exact_positions() {
    let repo = Repo::git();
    repo.write(".github/workflows/ci.yml", WORKFLOW);
    repo.write(".github/dependabot.yml", "version: 2\nupdates: []\n");
    repo.commit("ci");
    let (_, report) = repo.check_json(&["--only", "ci/*"]);
    let path = ".github/workflows/ci.yml";
    assert_eq!(
        ci_rows(&report),
        [
            row("ci/permissions-missing", path, 1, 1, "silver"),
            row("ci/unpinned-action", path, 9, 32, "gold"),
            row("ci/dangerous-trigger", path, 11, 16, "bronze"),
            row("ci/unpinned-action", path, 13, 28, "silver"),
            row("ci/template-injection", path, 17, 17, "bronze"),
        ],
        "{report:#}"
    );
}

#[test]
fn staged_mode_judges_only_changed_workflows() {
    let repo = Repo::git();
    repo.write(
        ".github/workflows/old.yml",
        "on: push\njobs:\n  a:\n    steps:\n      - uses: o/r@v1\n",
    );
    repo.write(".github/dependabot.yml", "version: 2\nupdates: []\n");
    repo.commit("old");
    repo.write(".github/workflows/new.yml", "on: push\npermissions: {}\njobs:\n  b:\n    timeout-minutes: 5\n    steps:\n      - uses: o/r@v2\n");
    repo.git_ok(&["add", ".github/workflows/new.yml"]);
    let (_, report) = repo.check_json(&["--staged", "--only", "ci/*"]);
    let paths: Vec<String> = ci_rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(paths, [".github/workflows/new.yml"], "{report:#}");
}

#[test]
fn gitlab_pipelines_with_includes() {
    let repo = Repo::git();
    repo.write(
        ".gitlab-ci.yml",
        "include:\n  - local: ci/build.yml\n  - project: acme/templates\n    ref: main\n    file: /t.yml\n",
    );
    repo.write(
        "ci/build.yml",
        ".base: &base\n  image: golang:1.22\nbuild:\n  <<: *base\n  script: [go build]\n",
    );
    repo.write("renovate.json", "{}");
    repo.commit("gitlab");
    let (_, report) = repo.check_json(&["--only", "ci/*"]);
    assert_eq!(
        ci_rows(&report),
        [
            row(
                "ci/gitlab-include-unpinned",
                ".gitlab-ci.yml",
                4,
                10,
                "silver"
            ),
            row("ci/gitlab-image-unpinned", "ci/build.yml", 2, 10, "gold"),
        ],
        "{report:#}"
    );
}

#[test]
fn a_repository_without_ci_or_update_tool() {
    let repo = Repo::plain();
    repo.write("README.md", "x");
    let (_, report) = repo.check_json(&["--only", "ci/*"]);
    let rules: Vec<String> = ci_rows(&report).into_iter().map(|r| r.0).collect();
    assert_eq!(
        rules,
        ["ci/config-missing", "ci/update-tool-missing"],
        "{report:#}"
    );
}
