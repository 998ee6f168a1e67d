//! End to end: layered policies. Lists a pack set are extended (`extend-KEY`) or replaced only
//! with `replace`; an organisation's `[settings] locked` rules cannot be weakened by the
//! repositories that extend it; `goldpath policy show` names the origin of every value.

mod common;

use common::{rules_and_paths, Repo};

/// The policy example of README.md's "A policy" section, as written there.
fn readme_policy() -> String {
    let readme = include_str!("../README.md");
    let section = readme
        .split("## A policy")
        .nth(1)
        .expect("README.md has a section \"A policy\"");
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = section[start..].find("```").expect("the end of the block");
    section[start..start + end].to_owned()
}

fn forbidden(report: &serde_json::Value) -> Vec<String> {
    let mut paths: Vec<String> = rules_and_paths(report)
        .into_iter()
        .filter(|(rule, _)| rule == "files/forbidden")
        .map(|(_, path)| path)
        .collect();
    paths.sort();
    paths
}

/// A repository holding files that builtin:recommended forbids.
fn leaky(policy: &str) -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", policy)
        .write("README.md", "# x\n")
        .write("id_rsa", "key\n")
        .write("cert.p12", "bundle\n")
        .write(".DS_Store", "litter\n");
    repo
}

#[test]
fn the_readme_example_still_reports_the_packs_forbidden_files() {
    let policy = readme_policy();
    assert!(policy.contains("builtin:recommended"), "{policy}");
    let repo = leaky(&policy);
    let (code, report) = repo.check_json(&["--fail-on", "never"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(forbidden(&report), [".DS_Store", "cert.p12", "id_rsa"]);
}

#[test]
fn replacing_a_packs_list_without_replace_is_exit_2_naming_both_positions() {
    let repo = leaky(
        "extends = [\"builtin:recommended\"]\n\n[rules.\"files/forbidden\"]\n\
         paths = [{ glob = \"**/*.env\", reason = \"environment files hold secrets\" }]\n",
    );
    let output = repo.goldpath().args(["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goldpath.toml:4:9"), "{stderr}");
    assert!(stderr.contains("builtin:recommended:"), "{stderr}");
    assert!(stderr.contains("extend-paths"), "{stderr}");

    // With `replace`, the list is replaced, and `-v` says so.
    let repo = leaky(
        "extends = [\"builtin:recommended\"]\n\n[rules.\"files/forbidden\"]\n\
         replace = [\"paths\"]\n\
         paths = [{ glob = \"**/*.env\", reason = \"environment files hold secrets\" }]\n",
    );
    let output = repo
        .goldpath()
        .args(["-v", "check", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(forbidden(&report).is_empty(), "{report:#}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("policy replaces a list an extended file set"),
        "{stderr}"
    );
}

#[test]
fn policy_show_prints_every_value_with_its_origin() {
    let repo = leaky(
        "extends = [\"builtin:recommended\"]\n[rules.\"files/forbidden\"]\n\
         extend-paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n\
         [rules.\"files/required\"]\nreplace = [\"files\"]\n\
         files = [{ name = \"a README\", any-of = [\"README.md\"] }]\n",
    );
    let output = repo.goldpath().args(["policy", "show"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let parsed: toml::Table = toml::from_str(&text).expect(&text);
    assert_eq!(
        parsed["rules"]["files/forbidden"]["level"].as_str(),
        Some("error")
    );
    assert!(text.contains("# builtin:recommended:40"), "{text}");
    assert!(text.contains("goldpath.toml:3"), "{text}");
    assert!(
        text.contains("# `files` replaces the list set at builtin:recommended:"),
        "{text}"
    );

    let output = repo
        .goldpath()
        .args(["policy", "show", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let entries = json["rules"]["files/forbidden"]["options"]["paths"]["entries"]
        .as_array()
        .unwrap();
    let glob = |e: &serde_json::Value| e["value"]["glob"].as_str().unwrap_or_default().to_owned();
    let id_rsa = entries.iter().find(|e| glob(e).contains("id_")).unwrap();
    assert_eq!(id_rsa["origin"]["file"], "builtin:recommended");
    assert_eq!(id_rsa["origin"]["line"], 40);
    let added = entries.last().unwrap();
    assert_eq!(glob(added), "**/*.tfstate");
    assert!(added["origin"]["file"]
        .as_str()
        .unwrap()
        .ends_with("goldpath.toml"));
    assert_eq!(added["origin"]["line"], 3);

    // A bad policy is exit 2 here as in `check`.
    repo.write("goldpath.toml", "[rules.\"files/nope\"]\n");
    let output = repo.goldpath().args(["policy", "show"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

const ORG: &str = "extends = [\"builtin:recommended\"]\n\n[settings]\n\
    locked = [\"ci/*\", \"security/secrets\", \"files/forbidden\"]\n";

/// A repository whose policy extends `org:goldpath.toml`, with the organisation's policy in a
/// directory of its own (as the Action's `org-policy` input checks it out).
fn with_org(policy: &str) -> (Repo, Repo) {
    let org = Repo::plain();
    org.write("goldpath.toml", ORG);
    let repo = leaky(policy);
    (org, repo)
}

fn check_with_org(org: &Repo, repo: &Repo, extra: &[&str]) -> (i32, String, String) {
    let output = repo
        .goldpath()
        .env("GOLDPATH_ORG_POLICY", org.path())
        .args(["check", "--format", "json", "--fail-on", "never"])
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn weakening_a_locked_rule_is_exit_2_naming_the_lock_and_the_value() {
    let org_file = "goldpath.toml:4:";
    let cases = [
        (
            "[rules.\"files/forbidden\"]\nlevel = \"off\"\n",
            "goldpath.toml:4:9",
        ),
        (
            "[rules.\"files/forbidden\"]\nlevel = \"warning\"\n",
            "goldpath.toml:4:9",
        ),
        (
            "[rules.\"files/forbidden\"]\nreplace = true\npaths = []\n",
            "goldpath.toml:4:1",
        ),
        (
            "[rules.\"files/forbidden\"]\nextend-allow = [\"**\"]\n",
            "goldpath.toml:4:1",
        ),
        (
            "[settings]\nexclude = [\"**/id_rsa\"]\n",
            "goldpath.toml:4:11",
        ),
        (
            "[[waivers]]\nrule = \"files/forbidden\"\nreason = \"mine\"\n",
            "goldpath.toml:4:8",
        ),
    ];
    for (text, at) in cases {
        let policy = format!("extends = [\"org:goldpath.toml\"]\n\n{text}");
        let (org, repo) = with_org(&policy);
        let (code, _, stderr) = check_with_org(&org, &repo, &[]);
        assert_eq!(code, 2, "{policy}\n{stderr}");
        assert!(stderr.contains(at), "{policy}\n{stderr}");
        assert!(stderr.contains("locked at"), "{policy}\n{stderr}");
        let org_path = org.path().join(org_file).display().to_string();
        assert!(stderr.contains(&org_path), "{policy}\n{stderr}");
    }
}

#[test]
fn a_repository_extending_a_locking_org_policy_is_checked_with_it() {
    let (org, repo) = with_org(
        "extends = [\"org:goldpath.toml\"]\n\n[rules.\"files/forbidden\"]\n\
         extend-paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n",
    );
    repo.write("prod.tfstate", "{}\n");
    let (code, stdout, stderr) = check_with_org(&org, &repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        forbidden(&report),
        [".DS_Store", "cert.p12", "id_rsa", "prod.tfstate"]
    );

    // Without the organisation's directory, `org:` is an error that says what to set.
    let output = repo.goldpath().args(["check"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("GOLDPATH_ORG_POLICY"), "{stderr}");
}

#[test]
fn policy_from_reads_the_org_policy_and_keeps_its_locks() {
    let (org, repo) = with_org("extends = [\"org:goldpath.toml\"]\n");
    repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "sneaky"]);
    // The branch turns a locked rule off: its own policy is refused ...
    repo.write(
        "goldpath.toml",
        "extends = [\"org:goldpath.toml\"]\n[rules.\"files/forbidden\"]\nlevel = \"off\"\n",
    )
    .write("more/id_rsa", "key\n");
    repo.commit("weaken");
    let (code, _, stderr) = check_with_org(&org, &repo, &["--base", "main"]);
    assert_eq!(code, 2, "{stderr}");
    // ... and the base's policy, with the organisation's, judges the branch.
    let (code, stdout, stderr) =
        check_with_org(&org, &repo, &["--base", "main", "--policy-from", "main"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(forbidden(&report), ["more/id_rsa"]);

    // `policy show --policy-from` shows the same policy, locks included.
    let output = repo
        .goldpath()
        .env("GOLDPATH_ORG_POLICY", org.path())
        .args([
            "policy",
            "show",
            "--policy-from",
            "main",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let locked = json["settings"]["locked"]["entries"].as_array().unwrap();
    assert_eq!(locked.len(), 3);
    assert!(locked[0]["origin"]["file"]
        .as_str()
        .unwrap()
        .ends_with("goldpath.toml"));
}
