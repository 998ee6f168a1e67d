//! End to end: the three snapshot sources on real git repositories.

mod common;

use common::{rules_and_paths, Repo};

/// Forbids `*.secret` files and requires a README: enough to see which files a source shows.
const POLICY: &str = r#"
[rules."files/required"]
files = [{ name = "a README", any-of = ["README*"] }]

[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]
"#;

fn forbidden_paths(report: &serde_json::Value) -> Vec<String> {
    rules_and_paths(report)
        .into_iter()
        .filter(|(rule, _)| rule == "files/forbidden")
        .map(|(_, path)| path)
        .collect()
}

#[test]
fn worktree_sees_tracked_and_untracked_files_but_not_ignored_ones() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("README.md", "hi")
        .write(".gitignore", "ignored.secret\n")
        .write("tracked.secret", "x");
    repo.commit("init");
    repo.write("untracked.secret", "x")
        .write("ignored.secret", "x");

    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        forbidden_paths(&report),
        ["tracked.secret", "untracked.secret"]
    );
    assert_eq!(report["target"]["source"], "worktree");
}

#[test]
fn a_plain_directory_is_checked_without_git() {
    let repo = Repo::plain();
    repo.write("goldpath.toml", POLICY).write("a/b.secret", "x");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_and_paths(&report),
        [
            ("files/required".to_owned(), String::new()),
            ("files/forbidden".to_owned(), "a/b.secret".to_owned()),
        ]
    );
}

#[test]
fn staged_judges_the_index_not_the_disk() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write("README.md", "hi");
    repo.commit("init");
    // Staged: a forbidden file. Then deleted on disk: the index still has it.
    repo.write("new.secret", "x");
    repo.git_ok(&["add", "new.secret"]);
    repo.remove("new.secret");
    // On disk only, not staged: invisible to --staged.
    repo.write("unstaged.secret", "x");

    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(forbidden_paths(&report), ["new.secret"]);
    assert_eq!(report["target"]["source"], "staged");
    assert_eq!(report["target"]["changed_only"], true);
}

#[test]
fn staged_reads_staged_bytes_after_the_file_changed_on_disk() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        r#"
[rules."files/content"]
checks = [{ files = ["*.txt"], must-not-match = "SECRET" }]
"#,
    );
    repo.commit("init");
    repo.write("notes.txt", "a SECRET here\n");
    repo.git_ok(&["add", "notes.txt"]);
    repo.write("notes.txt", "clean now\n");

    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["findings"][0]["path"], "notes.txt");
    assert_eq!(report["findings"][0]["span"]["line"], 1);
    assert_eq!(report["findings"][0]["span"]["column"], 3);

    // The work tree has the clean bytes.
    let (code, _) = repo.check_json(&[]);
    assert_eq!(code, 0);
}

#[test]
fn staged_honours_git_index_file() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write("README.md", "hi");
    repo.commit("init");
    repo.write("other.secret", "x");
    let index = repo.join(".git/alternate-index");
    std::fs::copy(repo.join(".git/index"), &index).unwrap();
    let status = repo
        .git_cmd(&["add", "other.secret"])
        .env("GIT_INDEX_FILE", &index)
        .status()
        .unwrap();
    assert!(status.success());

    // The default index does not have the file...
    let (code, _) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0);
    // ...the alternate one does, as during `git commit -a`.
    let output = repo
        .goldpath()
        .args(["check", "--staged", "--format", "json"])
        .env("GIT_INDEX_FILE", &index)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(forbidden_paths(&report), ["other.secret"]);
}

#[test]
fn rev_checks_an_old_commit_without_checking_it_out() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("README.md", "hi")
        .write("old.secret", "x");
    let first = repo.commit("first");
    repo.remove("old.secret");
    repo.commit("second");

    let (code, report) = repo.check_json(&["--rev", "HEAD~1"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(forbidden_paths(&report), ["old.secret"]);
    assert_eq!(report["target"]["commit"], first.as_str());

    let (code, _) = repo.check_json(&["--rev", "HEAD"]);
    assert_eq!(code, 0);
    // The work tree was not touched.
    assert!(!repo.join("old.secret").exists());
}

#[test]
fn rev_reads_the_policy_of_that_commit() {
    let repo = Repo::git();
    repo.write("README.md", "hi").write("a.secret", "x");
    repo.write("goldpath.toml", POLICY);
    repo.commit("strict policy");
    repo.write("goldpath.toml", "[rules.\"files/required\"]\nfiles = []\n");
    repo.commit("lenient policy");
    let (code, _) = repo.check_json(&["--rev", "HEAD"]);
    assert_eq!(code, 0);
    let (code, _) = repo.check_json(&["--rev", "HEAD~1"]);
    assert_eq!(code, 1);
}

#[test]
fn an_unknown_revision_is_exit_2_with_a_message() {
    let repo = Repo::git();
    repo.write("README.md", "hi");
    repo.commit("init");
    let output = repo
        .goldpath()
        .args(["check", "--rev", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-branch"), "{stderr}");
}

#[test]
fn staged_outside_a_repository_is_exit_2() {
    let repo = Repo::plain();
    let output = repo
        .goldpath()
        .args(["check", "--staged"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!output.stderr.is_empty());
}
