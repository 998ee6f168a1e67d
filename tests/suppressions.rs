//! End to end: inline suppressions (`# goldpath: ignore[rule] reason`, and zizmor's comments for
//! the audits that map to goldpath rules), allowed only by the policy, counted in the report,
//! marked in SARIF as in-source, and never silencing a locked rule.

mod common;

use common::{rules_and_paths, Repo};

const WORKFLOW: &str = "on: [pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4 # goldpath: ignore[ci/unpinned-action] the org mirror pins it
        with:
          persist-credentials: false
      - uses: actions/setup-node@v4 # zizmor: ignore[unpinned-uses]
      - uses: actions/cache@v4
";

const RULE: &str = "[rules.\"ci/unpinned-action\"]\n";

fn repo(policy: &str) -> Repo {
    let repo = Repo::git();
    repo.write(".github/workflows/ci.yml", WORKFLOW)
        .write("goldpath.toml", policy);
    repo.commit("init");
    repo
}

fn unpinned_lines(report: &serde_json::Value, key: &str) -> Vec<u64> {
    report[key]
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["rule"] == "ci/unpinned-action")
        .filter_map(|f| f["span"]["line"].as_u64())
        .collect()
}

#[test]
fn comments_suppress_only_when_the_policy_allows_them() {
    let repo = repo(RULE);
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        unpinned_lines(&report, "findings"),
        [9, 12, 13],
        "{report:#}"
    );
    assert_eq!(report["summary"]["suppressed"], 0);

    let repo = self::repo(&format!("[settings]\ninline-suppressions = true\n{RULE}"));
    let (_, report) = repo.check_json(&[]);
    assert_eq!(unpinned_lines(&report, "findings"), [13], "{report:#}");
    assert_eq!(unpinned_lines(&report, "waived"), [9, 12], "{report:#}");
    assert_eq!(report["summary"]["suppressed"], 2);
    let waived = report["waived"].as_array().expect("waived");
    assert!(waived.iter().all(|w| w["inline"] == true), "{report:#}");
    assert_eq!(waived[0]["reason"], "the org mirror pins it");

    let output = repo
        .goldpath()
        .args(["check", "--format", "sarif", "--fail-on", "never"])
        .output()
        .expect("run");
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("sarif");
    let kinds: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["suppressions"][0]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["inSource", "inSource"]);
}

#[test]
fn a_locked_rule_is_never_suppressed_inline() {
    let repo = Repo::git();
    repo.write(
        "org/goldpath.toml",
        format!("[settings]\nlocked = [\"ci/*\"]\n{RULE}"),
    )
    .write(
        "goldpath.toml",
        "extends = [\"org/goldpath.toml\"]\n[settings]\ninline-suppressions = true\n",
    )
    .write(".github/workflows/ci.yml", WORKFLOW);
    repo.commit("init");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        unpinned_lines(&report, "findings"),
        [9, 12, 13],
        "{report:#}"
    );
    assert_eq!(report["summary"]["suppressed"], 0);
    assert!(rules_and_paths(&report)
        .iter()
        .all(|(rule, _)| rule.starts_with("ci/")));
}

/// The fleet line counts a repository's inline suppressions, and `fleet report` lists them.
#[test]
fn the_fleet_counts_inline_suppressions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    std::fs::create_dir_all(&fleet).expect("mkdir");
    let repo = repo(&format!("[settings]\ninline-suppressions = true\n{RULE}"));
    let status = std::process::Command::new("git")
        .args(["clone", "-q"])
        .arg(repo.path())
        .arg(fleet.join("svc"))
        .status()
        .expect("git clone");
    assert!(status.success());
    let out = dir.path().join("fleet.jsonl");
    let output = repo
        .goldpath()
        .args(["fleet", "scan", "--repos"])
        .arg(&fleet)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&out).expect("results").trim()).expect("json");
    assert_eq!(line["suppressed"], 2, "{line:#}");
    let output = repo
        .goldpath()
        .args(["fleet", "report", "--format", "markdown"])
        .arg(&out)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("## Inline suppressions"), "{text}");
    assert!(text.contains("| svc |"), "{text}");
}

/// zizmor reads its comment on any line of a finding: a finding that starts at `credentials:`
/// is suppressed by a comment after the `password:` below it, as in zizmor's own fixtures.
#[test]
fn a_comment_on_any_line_of_the_finding_suppresses_it() {
    let workflow = "on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container:
      image: registry.example.com/build:1
      credentials:
        username: ci
        password: hunter2 # zizmor: ignore[hardcoded-container-credentials]
    steps:
      - run: make
";
    let repo = Repo::git();
    repo.write(".github/workflows/ci.yml", workflow).write(
        "goldpath.toml",
        "[settings]\ninline-suppressions = true\n[rules.\"ci/container-credentials\"]\n",
    );
    repo.commit("init");
    let (_, report) = repo.check_json(&[]);
    assert!(
        rules_and_paths(&report).is_empty(),
        "the comment two lines below the finding's first line suppresses it: {report:#}"
    );
    assert_eq!(report["summary"]["suppressed"], 1, "{report:#}");
}
