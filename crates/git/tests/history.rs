//! `history_snapshots`: the blobs a pull request's commits added that its head no longer has.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{commit_all, git, git_command, init, paths, read, write};
use goldpath::snapshot::Snapshot;
use goldpath_git::{history_snapshots, MAX_HISTORY_BLOBS, MAX_HISTORY_COMMITS};

#[test]
fn lists_each_commits_new_blobs_that_the_head_lost_once_oldest_first() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    write(&root, "dir/keep.txt", "k");
    let base = commit_all(&root, "base");
    write(&root, "dir/secret.txt", "s1");
    write(&root, "a.txt", "a2");
    std::os::unix::fs::symlink("a.txt", root.join("link")).unwrap();
    let first = commit_all(&root, "first");
    write(&root, "dir/secret.txt", "s2");
    // The same bytes as first's dir/secret.txt: one blob, already listed.
    write(&root, "other/dup.txt", "s1");
    let second = commit_all(&root, "second");
    git(&root, &["rm", "-q", "dir/secret.txt", "other/dup.txt"]);
    commit_all(&root, "third");

    let history = history_snapshots(&root, &base, "HEAD").unwrap();
    assert!(history.cut.is_none());
    let listed: Vec<(String, Vec<String>)> = history
        .commits
        .iter()
        .map(|c| (c.commit.clone(), paths(&c.snapshot)))
        .collect();
    // a.txt (a2) is in the head and the link is no file to scan: neither is listed.
    assert_eq!(
        listed,
        [
            (first.clone(), vec!["dir/secret.txt".to_owned()]),
            (second.clone(), vec!["dir/secret.txt".to_owned()]),
        ]
    );
    assert_eq!(read(&history.commits[0].snapshot, "dir/secret.txt"), b"s1");
    assert_eq!(read(&history.commits[1].snapshot, "dir/secret.txt"), b"s2");
    assert_eq!(history.commits[0].snapshot.commit(), Some(first));
}

#[test]
fn the_merge_base_itself_has_no_history() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    let base = commit_all(&root, "base");
    let history = history_snapshots(&root, &base, "HEAD").unwrap();
    assert!(history.commits.is_empty() && history.cut.is_none());
}

/// Runs `git fast-import` on `stream` in `root`.
fn fast_import(root: &std::path::Path, stream: &str) {
    let mut child = git_command(root, &["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stream.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn commit_header(stream: &mut String, mark: usize, parent: Option<usize>) {
    stream.push_str(&format!(
        "commit refs/heads/main\nmark :{mark}\ncommitter t <t@e> 0 +0000\ndata 1\nc\n"
    ));
    if let Some(parent) = parent {
        stream.push_str(&format!("from :{parent}\n"));
    }
}

#[test]
fn commits_beyond_the_limit_are_cut_with_a_note() {
    let (_dir, root) = init();
    let mut stream = String::new();
    // Commit 1 is the base; each later one rewrites f.txt.
    for i in 1..=MAX_HISTORY_COMMITS + 2 {
        commit_header(&mut stream, i, (i > 1).then(|| i - 1));
        let body = format!("{i}\n");
        stream.push_str(&format!(
            "M 100644 inline f.txt\ndata {}\n{body}\n",
            body.len()
        ));
    }
    fast_import(&root, &stream);
    git(&root, &["reset", "-q", "--hard", "main"]);
    let base = git(
        &root,
        &["rev-parse", &format!("main~{}", MAX_HISTORY_COMMITS + 1)],
    );
    let history = history_snapshots(&root, base.trim(), "HEAD").unwrap();
    let cut = history.cut.expect("cut");
    assert!(cut.contains(&MAX_HISTORY_COMMITS.to_string()), "{cut}");
    // The newest commits are kept; the head's own f.txt is not history.
    assert_eq!(history.commits.len(), MAX_HISTORY_COMMITS - 1);
}

#[test]
fn blobs_beyond_the_limit_are_cut_with_a_note() {
    let (_dir, root) = init();
    let mut stream = String::new();
    commit_header(&mut stream, 1, None);
    stream.push_str("M 100644 inline base.txt\ndata 2\nb\n\n");
    commit_header(&mut stream, 2, Some(1));
    for i in 0..=MAX_HISTORY_BLOBS {
        let body = format!("{i}\n");
        stream.push_str(&format!(
            "M 100644 inline d/{i}.txt\ndata {}\n{body}\n",
            body.len()
        ));
    }
    commit_header(&mut stream, 3, Some(2));
    stream.push_str("D d\n");
    fast_import(&root, &stream);
    git(&root, &["reset", "-q", "--hard", "main"]);
    let base = git(&root, &["rev-parse", "main~2"]);
    let history = history_snapshots(&root, base.trim(), "HEAD").unwrap();
    let cut = history.cut.expect("cut");
    assert!(cut.contains(&MAX_HISTORY_BLOBS.to_string()), "{cut}");
    let listed: usize = history
        .commits
        .iter()
        .map(|c| c.snapshot.files().len())
        .sum();
    assert_eq!(listed, MAX_HISTORY_BLOBS);
}
