//! End to end: repositories in unusual shapes, through the `goldpath` binary. Each test says
//! what is listed, what is read and what is reported: non-UTF-8 paths, spaces and newlines in
//! paths, symlinks (never followed out of the repository), submodules (not descended into),
//! bare repositories, linked worktrees, shallow clones, a repository without HEAD, a detached
//! HEAD, sparse checkouts, files deleted from the work tree but still in the index, and files
//! over the read limit.

mod common;

use common::{rules_and_paths, Repo};
use serde_json::Value;

/// `files/forbidden` lists paths (every `*.secret`), `files/content` reads the test's files (a
/// `TODO` line, and the first line of /etc/passwd should it ever be read).
const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "no secrets" }]

[rules."files/content"]
checks = [
  { files = ["**/*.secret", "**/*.txt", "etc-passwd"], must-not-match = "T[O]DO", message = "a TODO" },
  { files = ["**/*.secret", "**/*.txt", "etc-passwd"], must-not-match = "root:x?:0:0", message = "the password file was read" },
]
"#;

/// The sorted `(rule, path)` of every finding, the policy's own rules only.
fn findings(report: &Value) -> Vec<(String, String)> {
    let mut all = rules_and_paths(report);
    all.sort();
    all
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    v.sort();
    v
}

/// A repository with the policy committed.
fn repo() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY);
    repo.commit("policy");
    repo
}

/// Stages everything and checks `--staged` (which judges the staged changes), then commits and
/// checks the work tree and `--rev HEAD`: each must give `expected`.
fn every_source_gives(repo: &Repo, expected: &[(&str, &str)]) {
    repo.git_ok(&["add", "-A"]);
    let mut runs = vec![("--staged", repo.check_json(&["--staged"]).1)];
    repo.commit("files");
    runs.push(("work tree", repo.check_json(&[]).1));
    runs.push(("--rev HEAD", repo.check_json(&["--rev", "HEAD"]).1));
    for (source, report) in runs {
        assert_eq!(findings(&report), pairs(expected), "{source}: {report}");
    }
}

/// Runs `goldpath check` with `args`; returns (exit code, stderr).
fn check_err(repo: &Repo, dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let output = repo
        .goldpath()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("run goldpath");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `goldpath check --format json` in `dir`.
fn check_in(repo: &Repo, dir: &std::path::Path, args: &[&str]) -> (i32, Value) {
    let output = repo
        .goldpath()
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .expect("run goldpath");
    let code = output.status.code().unwrap_or(-1);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (code, report)
}

#[cfg(unix)]
#[test]
fn non_utf8_paths_are_listed_lossily_and_read() {
    use std::os::unix::ffi::OsStrExt;
    let repo = repo();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.secret");
    std::fs::write(repo.path().join(name), "a TODO\n").unwrap();
    every_source_gives(
        &repo,
        &[
            ("files/content", "caf\u{fffd}.secret"),
            ("files/forbidden", "caf\u{fffd}.secret"),
        ],
    );
}

#[test]
fn paths_with_spaces_and_newlines_are_listed_and_read() {
    let repo = repo();
    repo.write("dir with spaces/a b.secret", "TODO\n");
    #[cfg(unix)]
    repo.write("new\nline.secret", "TODO\n");
    let mut expected = vec![
        ("files/content", "dir with spaces/a b.secret"),
        ("files/forbidden", "dir with spaces/a b.secret"),
    ];
    if cfg!(unix) {
        expected.extend([
            ("files/content", "new\nline.secret"),
            ("files/forbidden", "new\nline.secret"),
        ]);
    }
    every_source_gives(&repo, &expected);
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_repository_are_never_followed() {
    let passwd = std::path::Path::new("/etc/passwd");
    let repo = repo();
    // A password file of our own, so the test does not depend on the machine's.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("passwd"),
        "root:x:0:0:root:/root:/bin/sh\n",
    )
    .unwrap();
    std::fs::create_dir(outside.path().join("dir")).unwrap();
    std::fs::write(outside.path().join("dir/x.secret"), "TODO\n").unwrap();
    std::os::unix::fs::symlink(outside.path().join("passwd"), repo.join("passwd.secret")).unwrap();
    if passwd.exists() {
        std::os::unix::fs::symlink(passwd, repo.join("etc-passwd")).unwrap();
    }
    std::os::unix::fs::symlink(outside.path().join("dir"), repo.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink("../../outside", repo.join("relative")).unwrap();
    repo.git_ok(&["add", "-A"]);
    let staged = repo.check_json(&["--staged"]).1;
    repo.commit("links");
    let runs = [
        ("--staged", staged),
        ("work tree", repo.check_json(&[]).1),
        ("--rev HEAD", repo.check_json(&["--rev", "HEAD"]).1),
    ];
    for (args, report) in runs {
        // The link is listed (forbidden by its name) but its target is never read, and the
        // linked directory is one entry, not walked: `linked-dir/x.secret` does not appear.
        assert_eq!(
            findings(&report),
            pairs(&[("files/forbidden", "passwd.secret")]),
            "{args:?}"
        );
        let text = report.to_string();
        assert!(!text.contains("root:"), "{args:?}: {text}");
        assert!(!text.contains("password file"), "{args:?}: {text}");
    }
}

#[test]
fn submodules_are_one_entry_and_never_descended_into() {
    let sub = Repo::git();
    sub.write("inside.secret", "TODO\n");
    sub.commit("sub");
    let repo = repo();
    repo.write("README.md", "readme\n");
    repo.git_ok(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.path().to_str().unwrap(),
        "libs/sub",
    ]);
    repo.commit("add submodule");
    // An untracked file inside the checked-out submodule is the submodule's, not ours.
    repo.write("libs/sub/untracked.secret", "TODO\n");
    for args in [&[][..], &["--staged"], &["--rev", "HEAD"]] {
        let (code, report) = repo.check_json(args);
        assert_eq!(code, 0, "{args:?}: {report}");
        assert_eq!(findings(&report), pairs(&[]), "{args:?}");
    }
    // Listing: the submodule is one path, nothing under it.
    let output = repo
        .goldpath()
        .args(["owners", "--format", "json"])
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&output.stdout);
    assert!(!listing.contains("libs/sub/"), "{listing}");
}

#[test]
fn bare_repositories_are_checked_at_a_revision() {
    let repo = repo();
    repo.write("a.secret", "TODO\n");
    repo.commit("init");
    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("bare.git");
    repo.git_ok(&["clone", "-q", "--bare", ".", bare_path.to_str().unwrap()]);
    let (code, report) = check_in(&repo, &bare_path, &["--rev", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "a.secret"),
            ("files/forbidden", "a.secret")
        ])
    );
    // No work tree and no index: those sources are an error that says why.
    let (code, stderr) = check_err(&repo, &bare_path, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bare"), "{stderr}");
    let (code, stderr) = check_err(&repo, &bare_path, &["--staged"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bare"), "{stderr}");
}

#[test]
fn linked_worktrees_are_checked_as_their_own_tree() {
    let repo = repo();
    repo.write("main.secret", "x\n");
    repo.commit("main");
    repo.git_ok(&["branch", "other"]);
    let linked = tempfile::tempdir().unwrap();
    let wt = linked.path().join("wt");
    repo.git_ok(&["worktree", "add", "-q", wt.to_str().unwrap(), "other"]);
    std::fs::write(wt.join("linked.secret"), "TODO\n").unwrap();
    let git_wt = |args: &[&str]| {
        let status = repo
            .git_cmd(args)
            .current_dir(&wt)
            .status()
            .expect("git in the linked worktree");
        assert!(status.success(), "{args:?}");
    };
    git_wt(&["add", "linked.secret"]);
    // The linked work tree sees its own files; the main one does not see them.
    let (_, report) = check_in(&repo, &wt, &[]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "linked.secret"),
            ("files/forbidden", "linked.secret"),
            ("files/forbidden", "main.secret"),
        ])
    );
    assert_eq!(report["target"]["source"], "worktree");
    // --staged reads the linked work tree's own index and judges what is staged there.
    let (_, report) = check_in(&repo, &wt, &["--staged"]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "linked.secret"),
            ("files/forbidden", "linked.secret"),
        ])
    );
    assert_eq!(report["target"]["source"], "staged");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        findings(&report),
        pairs(&[("files/forbidden", "main.secret")])
    );
}

#[test]
fn shallow_clones_check_what_they_have() {
    let repo = repo();
    repo.write("old.secret", "x\n");
    repo.commit("first");
    repo.write("new.secret", "TODO\n");
    repo.commit("second");
    let clone_dir = tempfile::tempdir().unwrap();
    let clone = clone_dir.path().join("shallow");
    let url = format!("file://{}", repo.path().display());
    repo.git_ok(&["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(clone.join(".git/shallow"))
            .map(|s| s.lines().count())
            .unwrap_or(0),
        1
    );
    let expected = pairs(&[
        ("files/content", "new.secret"),
        ("files/forbidden", "new.secret"),
        ("files/forbidden", "old.secret"),
    ]);
    for args in [&[][..], &["--rev", "HEAD"]] {
        let (code, report) = check_in(&repo, &clone, args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(findings(&report), expected, "{args:?}");
    }
    // The parent commit is not in the clone: a clear error, not a crash.
    let (code, stderr) = check_err(&repo, &clone, &["--rev", "HEAD~1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HEAD~1"), "{stderr}");
}

#[test]
fn an_empty_repository_without_head_is_checked_from_disk() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("a.secret", "TODO\n");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "a.secret"),
            ("files/forbidden", "a.secret")
        ])
    );
    // Only the policy is staged: it is judged, `a.secret` is not in the index.
    repo.git_ok(&["add", "goldpath.toml"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(findings(&report), pairs(&[]));
    assert_eq!(report["target"]["files"], 1, "{report}");
    // HEAD names no commit: an error that says so.
    let (code, stderr) = check_err(&repo, repo.path(), &["--rev", "HEAD"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HEAD"), "{stderr}");
}

#[test]
fn a_detached_head_is_checked_like_a_branch() {
    let repo = repo();
    repo.write("first.secret", "x\n");
    let first = repo.commit("first");
    repo.write("second.secret", "TODO\n");
    repo.commit("second");
    repo.git_ok(&["checkout", "-q", "--detach", &first]);
    let expected = pairs(&[("files/forbidden", "first.secret")]);
    for args in [&[][..], &["--rev", "HEAD"]] {
        let (code, report) = repo.check_json(args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(findings(&report), expected, "{args:?}");
        assert_eq!(report["target"]["commit"], first.as_str(), "{args:?}");
    }
    // A change staged on the detached HEAD is judged against it.
    repo.write("third.secret", "TODO\n");
    repo.git_ok(&["add", "third.secret"]);
    let (_, report) = repo.check_json(&["--staged"]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "third.secret"),
            ("files/forbidden", "third.secret")
        ])
    );
    let (_, report) = repo.check_json(&["--rev", "main"]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "second.secret"),
            ("files/forbidden", "first.secret"),
            ("files/forbidden", "second.secret"),
        ])
    );
}

#[test]
fn sparse_checkouts_judge_the_checked_out_files_and_the_whole_index() {
    let repo = repo();
    // Requires a file outside the sparse cone: satisfied only where the listing has it.
    repo.write(
        "goldpath.toml",
        format!(
            "{POLICY}\n[rules.\"files/required\"]\nfiles = [{{ name = \"b\", any-of = [\"out/b.secret\"] }}]\n"
        ),
    );
    repo.write("in/a.secret", "TODO\n");
    repo.write("out/b.secret", "TODO\n");
    repo.commit("two dirs");
    repo.git_ok(&["sparse-checkout", "set", "in"]);
    assert!(!repo.join("out/b.secret").exists());
    // The work tree: what is on disk. The skipped directory is not reported as unreadable.
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "in/a.secret"),
            ("files/forbidden", "in/a.secret"),
            ("files/required", ""),
        ])
    );
    // The index and the commit hold both directories, read from the object database.
    let both = pairs(&[
        ("files/content", "in/a.secret"),
        ("files/content", "out/b.secret"),
        ("files/forbidden", "in/a.secret"),
        ("files/forbidden", "out/b.secret"),
    ]);
    let (_, report) = repo.check_json(&["--rev", "HEAD"]);
    assert_eq!(findings(&report), both);
    // --staged judges nothing unchanged, but lists the whole index: `out/b.secret` is there.
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!((code, findings(&report)), (0, pairs(&[])), "{report}");
}

#[test]
fn files_deleted_from_the_work_tree_but_still_staged() {
    let repo = repo();
    // Requires the deleted file: satisfied only where the listing has it.
    repo.write(
        "goldpath.toml",
        format!(
            "{POLICY}\n[rules.\"files/required\"]\nfiles = [{{ name = \"gone\", any-of = [\"gone.secret\"] }}]\n"
        ),
    );
    repo.write("gone.secret", "TODO\n")
        .write("kept.secret", "x\n");
    repo.commit("init");
    repo.remove("gone.secret");
    // The work tree: the file is not there, so it is neither listed nor unreadable.
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        findings(&report),
        pairs(&[("files/forbidden", "kept.secret"), ("files/required", "")])
    );
    // The index still holds it: listed (the requirement is met) and, once a change to it is
    // staged, read from the object database although the disk has no such file.
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!((code, findings(&report)), (0, pairs(&[])), "{report}");
    repo.write("gone.secret", "TODO again\n");
    repo.git_ok(&["add", "gone.secret"]);
    repo.remove("gone.secret");
    // Both findings were on HEAD already: `--all` shows them.
    let (_, report) = repo.check_json(&["--staged"]);
    assert_eq!(findings(&report), pairs(&[]), "{report}");
    assert_eq!(report["summary"]["preexisting"], 2);
    let (_, report) = repo.check_json(&["--staged", "--all"]);
    assert_eq!(
        findings(&report),
        pairs(&[
            ("files/content", "gone.secret"),
            ("files/forbidden", "gone.secret"),
        ])
    );
    // `git ls-files` lists it too; the work tree check still does not.
    assert!(repo.git_ok(&["ls-files"]).contains("gone.secret"));
}

#[test]
fn files_over_max_read_bytes_are_listed_with_a_note_and_not_read() {
    let repo = repo();
    repo.write(
        "goldpath.toml",
        format!("{POLICY}\n[settings]\nmax-read-bytes = 100\n"),
    );
    repo.write("small.txt", "TODO\n");
    let mut big = "TODO\n".repeat(40);
    big.push_str("root:x:0:0\n");
    repo.write("big.secret", &big);
    repo.git_ok(&["add", "-A"]);
    let staged = repo.check_json(&["--staged"]).1;
    repo.commit("sizes");
    let runs = [
        ("--staged", staged),
        ("work tree", repo.check_json(&[]).1),
        ("--rev HEAD", repo.check_json(&["--rev", "HEAD"]).1),
    ];
    for (args, report) in runs {
        assert_eq!(
            findings(&report),
            pairs(&[
                ("files/content", "small.txt"),
                ("files/forbidden", "big.secret"),
                ("policy/unread-file", "big.secret"),
            ]),
            "{args:?}"
        );
        let note = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "policy/unread-file")
            .unwrap();
        assert_eq!(
            note["message"],
            format!(
                "not checked: {} bytes, over the 100-byte read limit (settings.max-read-bytes)",
                big.len()
            ),
            "{args:?}"
        );
        assert_eq!(note["level"], "note");
    }
}
