//! The embedding example builds and runs: another tool using goldpath in-process.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn example_binary(name: &str) -> PathBuf {
    // Tests run from target/<profile>/deps; `cargo test` builds examples into
    // target/<profile>/examples.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn embed_example_checks_a_git_and_a_memory_snapshot_with_its_own_rule() {
    let repo = common::Repo::git();
    repo.write("README.md", "# x\n").write("LICENSE", "MIT\n");
    repo.commit("init");

    let output = Command::new(example_binary("embed"))
        .arg(repo.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run the embed example (built by `cargo test`)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The repository's README has no owner line: the example's own rule reports it...
    assert!(stdout.contains("repository "), "{stdout}");
    // ...and in memory, only the runbook lacks one, beside the built-in rules' findings.
    assert!(
        stdout.contains(
            "memory: warning acme/markdown-owner docs/runbook.md: no `Owner:` line names an owner"
        ),
        "{stdout}"
    );
    assert!(
        !stdout.contains("memory: warning acme/markdown-owner README.md"),
        "{stdout}"
    );
    assert!(
        stdout.contains("memory: error files/required (repository): missing a security policy"),
        "{stdout}"
    );
}
