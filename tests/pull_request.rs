//! End to end: pull-request mode (--base, --new-only, --policy-from) and shallow clones.

mod common;

use common::{rules_and_paths, Repo};

const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]

[rules."files/content"]
checks = [{ files = ["**/*.txt"], must-not-match = "TODO" }]
"#;

/// main: a legacy secret and a TODO; feature branch: one new secret, one new TODO, one edit.
fn repo_with_branch() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x")
        .write("old.txt", "TODO old\n")
        .write("untouched.txt", "TODO untouched\n");
    repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write("new.secret", "x")
        .write("old.txt", "TODO old\nTODO new\n");
    repo.commit("feature");
    repo
}

fn paths(report: &serde_json::Value) -> Vec<String> {
    rules_and_paths(report)
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn base_judges_only_files_changed_since_the_merge_base() {
    let repo = repo_with_branch();
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1);
    // untouched.txt and legacy.secret did not change: not judged.
    assert_eq!(paths(&report), ["new.secret", "old.txt", "old.txt"]);
    assert_eq!(report["target"]["changed_only"], true);

    // Without --base, everything is judged.
    let (_, report) = repo.check_json(&[]);
    assert_eq!(paths(&report).len(), 5, "{report:#}");
}

#[test]
fn new_only_drops_findings_the_merge_base_already_had() {
    let repo = repo_with_branch();
    let (code, report) = repo.check_json(&["--base", "main", "--new-only"]);
    assert_eq!(code, 1);
    // The old TODO in old.txt was there before (same fingerprint: rule, path, matched text
    // and occurrence, not the line); only the new secret and the second TODO are new.
    let found: Vec<(String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["span"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("new.secret".to_owned(), 0), ("old.txt".to_owned(), 2)]
    );
    assert_eq!(report["summary"]["errors"], 2);
}

#[test]
fn base_from_a_detached_checkout_of_the_merge_commit_side() {
    let repo = repo_with_branch();
    // The base branch moved on after the fork: its new files are not the PR's.
    repo.git_ok(&["checkout", "-q", "main"]);
    repo.write("main-only.secret", "x");
    repo.commit("main moves on");
    repo.git_ok(&["checkout", "-q", "feature"]);
    let (_, report) = repo.check_json(&["--base", "main"]);
    assert!(!paths(&report).contains(&"main-only.secret".to_owned()));
}

#[test]
fn policy_from_keeps_a_pull_request_from_weakening_its_own_rules() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write("README.md", "x");
    repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "sneaky"]);
    repo.write("goldpath.toml", "[settings]\nfail-on = \"never\"\n")
        .write("prod.secret", "x");
    repo.commit("weaken the policy and add a secret");

    let (code, _) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 0, "the branch's own policy lets it through");
    let (code, report) = repo.check_json(&["--base", "main", "--policy-from", "main"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(paths(&report), ["prod.secret"]);
}

#[test]
fn a_shallow_clone_without_the_base_fails_with_advice() {
    let origin = repo_with_branch();
    let clone = Repo::plain();
    let status = origin
        .git_cmd(&[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &format!("file://{}", origin.path().display()),
            &clone.path().display().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let output = clone
        .goldpath()
        .args(["check", "--base", "origin/main"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("shallow"), "{stderr}");
    assert!(stderr.contains("fetch"), "{stderr}");

    // With the base fetched but history cut off before the fork: main moved on after the
    // feature branch forked, and only main's tip is fetched.
    origin.git_ok(&["checkout", "-q", "main"]);
    origin.write("later.md", "x");
    origin.commit("main moves on");
    let fetch = clone
        .git_cmd(&[
            "fetch",
            "-q",
            "--depth=1",
            "origin",
            "main:refs/remotes/origin/main",
        ])
        .status()
        .unwrap();
    assert!(fetch.success());
    let output = clone
        .goldpath()
        .args(["check", "--base", "origin/main"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("fetch"));
}

#[test]
fn new_only_needs_base() {
    let repo = Repo::git();
    let output = repo
        .goldpath()
        .args(["check", "--new-only"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
