//! End to end: the GitHub Action's scripts, run as the runner would run them, against
//! temporary repositories with simulated event payloads and GITHUB_* variables.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Repo;

const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]
"#;

fn action_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("action")
        .join(name)
}

fn path_with_goldpath() -> String {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_goldpath"));
    format!(
        "{}:{}",
        dir.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

struct Run {
    output: Output,
    summary: String,
    outputs: String,
}

fn run_check(repo: &Repo, event_name: &str, event: &str, inputs: &[(&str, &str)]) -> Run {
    let runner = tempfile::tempdir().unwrap();
    let event_path = runner.path().join("event.json");
    std::fs::write(&event_path, event).unwrap();
    let summary = runner.path().join("summary.md");
    let outputs = runner.path().join("outputs.txt");
    let mut cmd = Command::new("bash");
    cmd.arg(action_script("check.sh"))
        .current_dir(repo.path())
        .env("PATH", path_with_goldpath())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_WORKSPACE", repo.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (name, value) in inputs {
        cmd.env(name, value);
    }
    let output = cmd.output().unwrap();
    Run {
        output,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
    }
}

/// main has a legacy secret; the pull request adds another and tries to switch the rule off.
fn pull_request_repo() -> (Repo, String, String) {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    let base = repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "goldpath.toml",
        "[rules.\"files/forbidden\"]\nlevel = \"off\"\npaths = []\n",
    )
    .write("new, odd:name.secret", "x");
    let head = repo.commit("feature");
    (repo, base, head)
}

fn pull_request_event(base: &str, head: &str) -> String {
    format!(
        r#"{{"action":"opened","number":7,"pull_request":{{"base":{{"sha":"{base}","ref":"main"}},"head":{{"sha":"{head}","ref":"feature"}}}}}}"#
    )
}

#[test]
fn pull_request_judges_the_change_with_the_base_policy() {
    let (repo, base, head) = pull_request_repo();
    let sarif = repo.join("out/goldpath.sarif");
    std::fs::create_dir_all(sarif.parent().unwrap()).unwrap();
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[("INPUT_SARIF", sarif.to_str().unwrap())],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(1), "{stdout}\n{stderr}");
    // The base policy judged it, and only the changed file: property values are escaped.
    assert!(
        stdout.contains("::error file=new%2C odd%3Aname.secret,title=goldpath files/forbidden::"),
        "{stdout}"
    );
    assert!(!stdout.contains("legacy.secret"), "{stdout}");
    assert!(
        stderr.contains(&format!("--base {base} --rev {head}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--policy-from {base}")),
        "{stderr}"
    );

    assert!(run.summary.contains("## goldpath"), "{}", run.summary);
    assert!(run.summary.contains("files/forbidden"), "{}", run.summary);
    assert!(run.outputs.contains("exit-code=1"), "{}", run.outputs);
    assert!(
        run.outputs.contains(&format!("sarif={}", sarif.display())),
        "{}",
        run.outputs
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "new%2C%20odd%3Aname.secret"
    );
}

#[test]
fn inputs_can_turn_pull_request_modes_off() {
    let (repo, base, head) = pull_request_repo();
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[
            ("INPUT_ONLY_CHANGED", "false"),
            ("INPUT_POLICY_FROM_BASE", "false"),
        ],
    );
    // The branch's own policy switched the rule off: nothing fails.
    assert_eq!(
        run.output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.output.stderr)
    );
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[("INPUT_ONLY_CHANGED", "sometimes")],
    );
    assert_eq!(run.output.status.code(), Some(2));
}

#[test]
fn a_push_checks_the_whole_work_tree_with_its_own_policy() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[
            ("INPUT_FAIL_ON", "never"),
            ("INPUT_ARGS", "--only files/forbidden"),
        ],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert_eq!(run.output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("::error file=legacy.secret"), "{stdout}");
    assert!(run.outputs.contains("exit-code=0"));
}

#[test]
fn install_checks_the_release_checksum() {
    // A fake release, served from the file system.
    let releases = tempfile::tempdir().unwrap();
    let (os, arch) = (std::env::consts::OS, std::env::consts::ARCH);
    let target = match (os, arch) {
        ("linux", "x86_64") => "x86_64-unknown-linux-gnu",
        ("linux", "aarch64") => "aarch64-unknown-linux-gnu",
        _ => return,
    };
    let dir = releases.path().join("v9.9.9");
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/goldpath"), "#!/bin/sh\necho goldpath 9.9.9\n").unwrap();
    let archive = format!("goldpath-9.9.9-{target}.tar.gz");
    let status = Command::new("tar")
        .args(["-czf", &archive, "-C", "pkg", "goldpath"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(&dir)
        .output()
        .unwrap();
    std::fs::write(dir.join(format!("{archive}.sha256")), &sum.stdout).unwrap();

    let install = |root: &Path| {
        let github_path = root.join("github_path");
        let output = Command::new("bash")
            .arg(action_script("install.sh"))
            .env("INPUT_VERSION", "v9.9.9")
            .env(
                "GOLDPATH_RELEASE_URL",
                format!("file://{}", releases.path().display()),
            )
            .env("GOLDPATH_INSTALL_ROOT", root)
            .env("GITHUB_PATH", &github_path)
            .output()
            .unwrap();
        (
            output,
            std::fs::read_to_string(github_path).unwrap_or_default(),
        )
    };

    let root = tempfile::tempdir().unwrap();
    let (output, github_path) = install(root.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("goldpath 9.9.9"));
    assert_eq!(
        github_path.trim(),
        root.path().join("bin").display().to_string()
    );

    // A tampered archive is refused.
    std::fs::write(
        dir.join(format!("{archive}.sha256")),
        format!("{} {archive}\n", "0".repeat(64)),
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let (output, _) = install(root.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("checksum mismatch"));
    assert!(!root.path().join("bin/goldpath").exists());
}

#[test]
fn action_inputs_reach_scripts_only_through_env() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    // No `${{ }}` expression inside any `run:` line of the composite steps.
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(run) = trimmed.strip_prefix("run:") {
            assert!(!run.contains("${{"), "expression in run: {line}");
        }
    }
}

#[test]
fn every_line_of_a_multi_line_args_input_counts() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[(
            "INPUT_ARGS",
            "--only files/forbidden\n  --fail-on never\n\n",
        )],
    );
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    // Only the first line reached goldpath before: the error failed the step.
    assert_eq!(run.output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--only files/forbidden --fail-on never"),
        "{stderr}"
    );
}

#[test]
fn a_line_break_in_the_sarif_input_is_refused() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY);
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[("INPUT_SARIF", "goldpath.sarif\nexit-code=0")],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert_eq!(run.output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("without line breaks")
            || String::from_utf8_lossy(&run.output.stderr).contains("without line breaks")
    );
    assert!(!run.outputs.contains("exit-code=0"), "{}", run.outputs);
}

#[test]
fn org_policy_is_fetched_at_its_ref_and_its_locks_hold_the_pull_request() {
    let server = tempfile::tempdir().unwrap();
    let org = Repo::git();
    org.write(
        "goldpath.toml",
        "[settings]\nlocked = [\"files/forbidden\"]\n\n[rules.\"files/forbidden\"]\n\
         paths = [{ glob = \"**/*.secret\", reason = \"secrets stay out of git\" }]\n",
    );
    let pinned = org.commit("org policy");
    // A later commit of the organisation's policy is not used: the ref is pinned.
    org.write("goldpath.toml", "[settings]\n");
    org.commit("unpinned change");
    std::fs::create_dir_all(server.path().join("acme")).unwrap();
    std::fs::rename(org.path(), server.path().join("acme/policy")).unwrap();

    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"org:goldpath.toml\"]\n")
        .write("README.md", "x");
    let base = repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "goldpath.toml",
        "extends = [\"org:goldpath.toml\"]\n[rules.\"files/forbidden\"]\nlevel = \"off\"\n",
    )
    .write("new.secret", "x");
    let head = repo.commit("feature");
    let runner = tempfile::tempdir().unwrap();
    let server_url = format!("file://{}", server.path().display());
    let org_policy = format!("acme/policy@{pinned}");
    let env = [
        ("INPUT_ORG_POLICY", org_policy.as_str()),
        ("INPUT_ORG_POLICY_TOKEN", ""),
        ("GITHUB_SERVER_URL", server_url.as_str()),
        ("RUNNER_TEMP", runner.path().to_str().unwrap()),
    ];

    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &env,
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("file=new.secret"), "{stdout}");
    assert!(
        stderr.contains(&format!("organisation policy acme/policy at {pinned}")),
        "{stderr}"
    );

    // Judged by its own policy (a push), the branch's weakening is a policy error.
    let run = run_check(&repo, "push", "{}", &env);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is locked"), "{stderr}");

    // An org-policy without a ref is refused.
    let run = run_check(&repo, "push", "{}", &[("INPUT_ORG_POLICY", "acme/policy")]);
    assert_eq!(run.output.status.code(), Some(2));
}
