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
    let (code, report) = repo.check_json(&["--base", "main", "--all"]);
    assert_eq!(code, 1);
    // untouched.txt and legacy.secret did not change: not judged. `--all` keeps the old TODO
    // of the changed file.
    assert_eq!(paths(&report), ["new.secret", "old.txt", "old.txt"]);
    assert_eq!(report["target"]["changed_only"], true);
    assert_eq!(report["summary"]["preexisting"], 0);

    // Without --base, everything is judged.
    let (_, report) = repo.check_json(&[]);
    assert_eq!(paths(&report).len(), 5, "{report:#}");
}

#[test]
fn base_drops_findings_the_merge_base_already_had() {
    let repo = repo_with_branch();
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["preexisting"], 1);
    // `--new-only`, the default, is accepted for scripts that pass it.
    let (_, again) = repo.check_json(&["--base", "main", "--new-only"]);
    assert_eq!(again["findings"], report["findings"]);
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

/// An AWS-like access key id made up for the run (`AKIA` and 16 random uppercase letters and
/// digits), so that it is neither a documented example nor low in entropy.
fn made_up_aws_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut state = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
        ^ u64::from(std::process::id()).rotate_left(32)
        | 1;
    let mut key = String::from("AKIA");
    for _ in 0..16 {
        // xorshift64: enough randomness for a made-up key.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        key.push(char::from(
            ALPHABET[(state % ALPHABET.len() as u64) as usize],
        ));
    }
    key
}

const SECRETS_POLICY: &str = "[rules.\"security/secrets\"]\n";

/// main: a policy that enables security/secrets; branch `leak`: a key committed in config.yml.
fn repo_with_leaked_key(key: &str) -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", SECRETS_POLICY)
        .write("README.md", "x\n");
    repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "leak"]);
    repo.write(
        "config.yml",
        format!("region: eu-west-1\naws_access_key_id: {key}\n"),
    );
    repo.commit("add the config");
    repo
}

fn secret_findings(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "security/secrets")
        .cloned()
        .collect()
}

#[test]
fn a_secret_added_and_removed_within_the_pull_request_is_reported() {
    let key = made_up_aws_key();
    let repo = repo_with_leaked_key(&key);
    let leaked = repo.git_ok(&["rev-parse", "--short=7", "HEAD"]);
    repo.remove("config.yml");
    repo.commit("remove the key again");

    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1, "{report:#}");
    let found = secret_findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["path"], "config.yml");
    assert_eq!(found[0]["span"]["line"], 2);
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("in commit {}", leaked.trim())) && message.contains("rotate"),
        "{message}"
    );
    assert!(!report.to_string().contains(&key), "the key is masked");

    // The head tree alone has nothing: without --base the secret is not seen.
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_secret_still_in_the_head_is_reported_once() {
    let key = made_up_aws_key();
    let repo = repo_with_leaked_key(&key);
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1, "{report:#}");
    let found = secret_findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert!(!found[0]["message"].as_str().unwrap().contains("in commit"));

    // A later commit edits another line: the older blob differs from the head's but holds the
    // same secret, which the head's check already reports.
    repo.write(
        "config.yml",
        format!("region: us-east-1\naws_access_key_id: {key}\n"),
    );
    repo.commit("move region");
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(secret_findings(&report).len(), 1, "{report:#}");
}

#[test]
fn history_is_not_scanned_when_the_policy_does_not_enable_secrets() {
    let key = made_up_aws_key();
    let repo = repo_with_leaked_key(&key);
    repo.write("goldpath.toml", POLICY);
    repo.remove("config.yml");
    repo.commit("remove the key, drop the rule");
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(secret_findings(&report).is_empty());
}
