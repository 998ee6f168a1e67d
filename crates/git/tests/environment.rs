//! Environment overrides that git sets for hooks. They change process-wide state, so this file
//! holds a single test and runs as its own process.

mod common;

use common::{commit_all, git_command, init, paths, read, write};
use goldpath::snapshot::Snapshot;
use goldpath_git::{open, Source};

#[test]
fn git_index_file_git_dir_and_git_work_tree_are_honoured() {
    let (_dir, root) = init();
    write(&root, "a.txt", "committed");
    commit_all(&root, "first");

    // An alternate index, as `git commit -a` hands to its hooks.
    let alt_dir = tempfile::tempdir().unwrap();
    let alt_index = alt_dir.path().join("index.alt");
    let with_alt = |args: &[&str]| {
        let status = git_command(&root, args)
            .env("GIT_INDEX_FILE", &alt_index)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    with_alt(&["read-tree", "HEAD"]);
    write(&root, "a.txt", "in the alternate index");
    write(&root, "b.txt", "only in the alternate index");
    with_alt(&["add", "a.txt", "b.txt"]);
    write(&root, "a.txt", "on disk only");

    std::env::set_var("GIT_INDEX_FILE", &alt_index);
    let snap = open(&root, Source::Staged).unwrap();
    std::env::remove_var("GIT_INDEX_FILE");
    assert_eq!(paths(&snap), ["a.txt", "b.txt"]);
    assert_eq!(read(&snap, "a.txt"), b"in the alternate index");
    let changed: Vec<_> = snap.changed().unwrap().iter().cloned().collect();
    assert_eq!(changed, ["a.txt", "b.txt"]);

    // Without the override the real index is used again, and it never saw those changes.
    let snap = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&snap), ["a.txt"]);
    assert_eq!(read(&snap, "a.txt"), b"committed");
    assert!(snap.changed().unwrap().is_empty());

    // GIT_DIR and GIT_WORK_TREE point at a repository from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    std::env::set_var("GIT_DIR", root.join(".git"));
    std::env::set_var("GIT_WORK_TREE", &root);
    let snap = open(elsewhere.path(), Source::Worktree);
    std::env::remove_var("GIT_DIR");
    std::env::remove_var("GIT_WORK_TREE");
    let snap = snap.unwrap();
    assert_eq!(paths(&snap), ["a.txt", "b.txt"]);
    assert_eq!(snap.root(), root.display().to_string());
    assert_eq!(read(&snap, "a.txt"), b"on disk only");
}
