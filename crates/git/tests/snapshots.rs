//! Snapshots of real repositories made with the `git` CLI.

mod common;

use std::collections::BTreeSet;

use common::{commit_all, entry, git, git_command, init, mode, paths, read, write};
use goldpath::snapshot::{FileMode, Snapshot, SourceKind};
use goldpath_git::{changed_between, discover, open, read_at_rev, GitError, Source};

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn worktree_lists_tracked_and_untracked_but_not_ignored() {
    let (_dir, root) = init();
    write(&root, ".gitignore", "*.log\nbuild/\n");
    write(&root, "a.txt", "a");
    write(&root, "dir/b.txt", "b");
    write(&root, "gone.txt", "soon deleted");
    write(&root, "keep.log", "tracked although ignored");
    write(&root, "build/tracked.txt", "tracked in an ignored dir");
    git(
        &root,
        &["add", ".gitignore", "a.txt", "dir/b.txt", "gone.txt"],
    );
    git(&root, &["add", "-f", "keep.log", "build/tracked.txt"]);
    let head = commit_all(&root, "first");

    std::fs::remove_file(root.join("gone.txt")).unwrap();
    write(&root, "a.txt", "edited on disk");
    write(&root, "untracked.txt", "u");
    write(&root, "dir/nested/untracked.md", "u");
    write(&root, "debug.log", "ignored");
    write(&root, "build/out.bin", "ignored");
    write(&root, "secret.env", "excluded");
    write(&root, ".git/info/exclude", "*.env\n");

    // Opened from a subdirectory, the snapshot is rooted at the work tree's top level.
    let snap = open(&root.join("dir"), Source::Worktree).unwrap();
    assert_eq!(
        paths(&snap),
        [
            ".gitignore",
            "a.txt",
            "build/tracked.txt",
            "dir/b.txt",
            "dir/nested/untracked.md",
            "keep.log",
            "untracked.txt",
        ]
    );
    assert_eq!(read(&snap, "a.txt"), b"edited on disk");
    assert_eq!(snap.size(entry(&snap, "a.txt")).unwrap(), 14);
    assert_eq!(snap.source(), SourceKind::Worktree);
    assert_eq!(snap.root(), root.display().to_string());
    assert_eq!(snap.commit(), Some(head));
    assert_eq!(snap.changed(), None);
    let info = snap.repo_info().unwrap();
    assert_eq!(info.work_tree.as_deref(), Some(root.as_path()));
    assert!(!info.is_bare);
    assert!(snap.files().iter().all(|f| !f.path_is_lossy));
}

#[test]
fn plain_directory_without_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(&root, ".gitignore", "target/\n*.tmp\n");
    write(&root, "Cargo.toml", "[package]");
    write(&root, "src/main.rs", "fn main() {}");
    write(&root, "src/.gitignore", "generated.rs\n");
    write(
        &root,
        "src/generated.rs",
        "ignored by the nested .gitignore",
    );
    write(&root, "target/debug/app", "ignored");
    write(&root, "notes.tmp", "ignored");
    write(&root, ".hidden/config", "dotfiles are listed");

    assert_eq!(discover(&root).unwrap(), None);
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(
        paths(&snap),
        [
            ".gitignore",
            ".hidden/config",
            "Cargo.toml",
            "src/.gitignore",
            "src/main.rs"
        ]
    );
    assert_eq!(read(&snap, "src/main.rs"), b"fn main() {}");
    assert_eq!(snap.commit(), None);
    assert!(snap.repo_info().is_none());
    assert_eq!(snap.root(), root.display().to_string());
}

#[test]
fn missing_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = open(&dir.path().join("nope"), Source::Worktree).unwrap_err();
    assert!(matches!(err, GitError::PathNotFound { .. }), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn staged_and_rev_need_a_repository() {
    let dir = tempfile::tempdir().unwrap();
    let err = open(dir.path(), Source::Staged).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("--staged needs a git repository, and"),
        "{text}"
    );
    assert!(text.contains("is not inside one"), "{text}");
    let err = open(dir.path(), Source::Rev("HEAD".into())).unwrap_err();
    assert!(
        err.to_string().contains("--rev needs a git repository"),
        "{err}"
    );
}

#[test]
fn staged_reads_staged_bytes_not_the_disk() {
    let (_dir, root) = init();
    write(&root, "a.txt", "v1");
    write(&root, "same.txt", "unchanged");
    write(&root, "deleted.txt", "to be removed");
    let head = commit_all(&root, "first");

    write(&root, "a.txt", "v2 staged");
    write(&root, "new.txt", "new");
    git(&root, &["add", "a.txt", "new.txt"]);
    git(&root, &["rm", "-q", "deleted.txt"]);
    write(&root, "a.txt", "v3 only on disk");
    write(&root, "untracked.txt", "not staged");

    let snap = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&snap), ["a.txt", "new.txt", "same.txt"]);
    assert_eq!(read(&snap, "a.txt"), b"v2 staged");
    assert_eq!(snap.size(entry(&snap, "a.txt")).unwrap(), 9);
    assert_eq!(read(&snap, "same.txt"), b"unchanged");
    assert_eq!(snap.changed(), Some(&set(&["a.txt", "new.txt"])));
    assert_eq!(snap.source(), SourceKind::Staged);
    assert_eq!(snap.commit(), Some(head));
}

#[test]
fn staged_in_a_fresh_repository_marks_everything_changed() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    write(&root, "b/c.txt", "c");
    git(&root, &["add", "."]);
    let snap = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&snap), ["a.txt", "b/c.txt"]);
    assert_eq!(snap.changed(), Some(&set(&["a.txt", "b/c.txt"])));
    assert_eq!(snap.commit(), None);

    // No index at all yet: an empty snapshot, not an error.
    let (_dir, empty) = init();
    let snap = open(&empty, Source::Staged).unwrap();
    assert!(snap.files().is_empty());
    let snap = open(&empty, Source::Worktree).unwrap();
    assert!(snap.files().is_empty());
    assert_eq!(snap.commit(), None);
}

#[test]
fn staged_skips_intent_to_add_and_reports_conflicts_once() {
    let (_dir, root) = init();
    write(&root, "c.txt", "base\n");
    commit_all(&root, "base");
    git(&root, &["checkout", "-q", "-b", "other"]);
    write(&root, "c.txt", "theirs\n");
    commit_all(&root, "theirs");
    git(&root, &["checkout", "-q", "main"]);
    write(&root, "c.txt", "ours\n");
    commit_all(&root, "ours");
    let merge = git_command(&root, &["merge", "-q", "other"])
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge conflicts");
    write(&root, "later.txt", "intent only");
    git(&root, &["add", "-N", "later.txt"]);

    let snap = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&snap), ["c.txt"]);
    assert_eq!(read(&snap, "c.txt"), b"ours\n");
    // The tracked listing has the conflicted path once too (its three stages are one file),
    // and the intent-to-add path, as `git ls-files` does.
    let tracked = open(&root, Source::Tracked).unwrap();
    assert_eq!(paths(&tracked), ["c.txt", "later.txt"]);
}

#[test]
fn rev_reads_an_older_commit() {
    let (_dir, root) = init();
    write(&root, "a.txt", "one");
    let first = commit_all(&root, "first");
    git(&root, &["tag", "v1"]);
    git(&root, &["tag", "-a", "v1-annotated", "-m", "annotated"]);
    write(&root, "a.txt", "two");
    write(&root, "dir/b.txt", "b");
    let second = commit_all(&root, "second");

    for rev in ["HEAD~1", "v1", "v1-annotated", first.as_str(), &first[..10]] {
        let snap = open(&root, Source::Rev(rev.to_owned())).unwrap();
        assert_eq!(paths(&snap), ["a.txt"], "{rev}");
        assert_eq!(read(&snap, "a.txt"), b"one", "{rev}");
        assert_eq!(snap.size(entry(&snap, "a.txt")).unwrap(), 3);
        assert_eq!(snap.commit(), Some(first.clone()), "{rev}");
        assert_eq!(snap.source(), SourceKind::Rev(rev.to_owned()));
        assert_eq!(snap.changed(), None);
    }
    let snap = open(&root, Source::Rev("main".into())).unwrap();
    assert_eq!(paths(&snap), ["a.txt", "dir/b.txt"]);
    assert_eq!(read(&snap, "dir/b.txt"), b"b");
    assert_eq!(snap.commit(), Some(second));

    let err = open(&root, Source::Rev("nope".into())).unwrap_err();
    assert!(matches!(err, GitError::RevisionNotFound { .. }), "{err}");
    assert!(
        err.to_string().starts_with("revision 'nope' not found: "),
        "{err}"
    );
}

#[test]
fn rev_reads_from_many_threads() {
    let (_dir, root) = init();
    for i in 0..200 {
        write(
            &root,
            &format!("d{}/f{i}.txt", i % 7),
            format!("content {i}"),
        );
    }
    commit_all(&root, "many");
    let snap = open(&root, Source::Rev("HEAD".into())).unwrap();
    assert_eq!(snap.files().len(), 200);
    let snap = &snap;
    std::thread::scope(|scope| {
        for part in snap.files().chunks(25) {
            scope.spawn(move || {
                for file in part {
                    let bytes = snap.read(file).unwrap();
                    let i = file
                        .path
                        .rsplit('f')
                        .next()
                        .unwrap()
                        .trim_end_matches(".txt");
                    assert_eq!(bytes, format!("content {i}").as_bytes());
                }
            });
        }
    });
}

#[cfg(unix)]
#[test]
fn rev_lists_exactly_what_git_ls_tree_lists() {
    let (_dir, root) = init();
    // Enough directories, at several depths, for the listing to be shared between threads.
    for a in 0..12 {
        write(&root, &format!("top{a}.txt"), "t");
        for b in 0..5 {
            write(&root, &format!("d{a}/e{b}/f.rs"), format!("{a}{b}"));
            write(&root, &format!("d{a}/e{b}/g/h/deep.md"), "deep");
        }
    }
    write(&root, "only/one/chain/of/dirs.txt", "x");
    #[cfg(unix)]
    std::os::unix::fs::symlink("../top0.txt", root.join("d3/link")).unwrap();
    commit_all(&root, "tree");
    let ls_tree: Vec<String> = git(&root, &["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .map(str::to_owned)
        .collect();
    let snap = open(&root, Source::Rev("HEAD".into())).unwrap();
    assert_eq!(paths(&snap), ls_tree);
    assert_eq!(read(&snap, "d11/e4/f.rs"), b"114");
    assert_eq!(read(&snap, "only/one/chain/of/dirs.txt"), b"x");
}

#[test]
fn tracked_lists_the_index_and_reads_the_disk() {
    let (_dir, root) = init();
    write(&root, ".gitignore", "*.log\n");
    write(&root, "a.txt", "a");
    write(&root, "dir/b.txt", "b");
    write(&root, "gone.txt", "soon deleted");
    git(
        &root,
        &["add", ".gitignore", "a.txt", "dir/b.txt", "gone.txt"],
    );
    let head = commit_all(&root, "first");
    write(&root, "staged-only.txt", "new");
    git(&root, &["add", "staged-only.txt"]);
    std::fs::remove_file(root.join("gone.txt")).unwrap();
    write(&root, "a.txt", "edited on disk");
    write(&root, "untracked.txt", "u");

    let snap = open(&root.join("dir"), Source::Tracked).unwrap();
    // Exactly what `git ls-files` lists: untracked files are not, deleted ones still are.
    let ls_files: Vec<String> = git(&root, &["ls-files"])
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(paths(&snap), ls_files);
    assert_eq!(
        paths(&snap),
        [
            ".gitignore",
            "a.txt",
            "dir/b.txt",
            "gone.txt",
            "staged-only.txt"
        ]
    );
    assert_eq!(read(&snap, "a.txt"), b"edited on disk");
    assert_eq!(snap.size(entry(&snap, "a.txt")).unwrap(), 14);
    assert!(snap.read(entry(&snap, "gone.txt")).is_err());
    assert_eq!(snap.source(), SourceKind::Worktree);
    assert_eq!(snap.commit(), Some(head));
    assert_eq!(snap.root(), root.display().to_string());
}

#[cfg(unix)]
#[test]
fn tracked_never_reads_through_a_symlinked_directory() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("CODEOWNERS"), "* @outsider\n").unwrap();
    let (_dir, root) = init();
    write(&root, ".github/CODEOWNERS", "* @insider\n");
    commit_all(&root, "first");
    // The directory is replaced on disk by a link out of the repository; the index still lists
    // `.github/CODEOWNERS`.
    std::fs::remove_dir_all(root.join(".github")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join(".github")).unwrap();

    let snap = open(&root, Source::Tracked).unwrap();
    assert_eq!(paths(&snap), [".github/CODEOWNERS"]);
    let file = entry(&snap, ".github/CODEOWNERS");
    let err = snap.read(file).unwrap_err();
    assert!(err.to_string().contains("symlink"), "{err}");
    assert!(snap.size(file).is_err());
}

#[test]
fn tracked_outside_a_repository_walks_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", "a");
    write(dir.path(), "sub/b.txt", "b");
    let snap = open(dir.path(), Source::Tracked).unwrap();
    assert_eq!(paths(&snap), ["a.txt", "sub/b.txt"]);
    assert_eq!(read(&snap, "sub/b.txt"), b"b");
}

#[test]
fn symlinks_are_reported_and_never_followed() {
    let (_dir, root) = init();
    write(&root, "target.txt", "the target");
    write(&root, "realdir/inside.txt", "inside");
    std::os::unix::fs::symlink("target.txt", root.join("link")).unwrap();
    std::os::unix::fs::symlink("realdir", root.join("dirlink")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/elsewhere", root.join("dangling")).unwrap();
    commit_all(&root, "links");

    for source in [
        Source::Worktree,
        Source::Tracked,
        Source::Staged,
        Source::Rev("HEAD".into()),
    ] {
        let snap = open(&root, source.clone()).unwrap();
        assert_eq!(
            paths(&snap),
            [
                "dangling",
                "dirlink",
                "link",
                "realdir/inside.txt",
                "target.txt"
            ],
            "{source:?}"
        );
        for link in ["link", "dirlink", "dangling"] {
            assert_eq!(mode(&snap, link), FileMode::Symlink, "{source:?} {link}");
        }
        assert_eq!(read(&snap, "link"), b"target.txt", "{source:?}");
        assert_eq!(read(&snap, "dirlink"), b"realdir", "{source:?}");
        assert_eq!(read(&snap, "dangling"), b"/nonexistent/elsewhere");
        assert_eq!(snap.size(entry(&snap, "link")).unwrap(), 10, "{source:?}");
    }
}

#[cfg(unix)]
#[test]
fn executable_bit() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = init();
    write(&root, "run.sh", "#!/bin/sh\n");
    write(&root, "plain.txt", "text");
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    commit_all(&root, "exec");
    write(&root, "untracked.sh", "#!/bin/sh\n");
    std::fs::set_permissions(
        root.join("untracked.sh"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();

    for source in [Source::Worktree, Source::Staged, Source::Rev("HEAD".into())] {
        let snap = open(&root, source.clone()).unwrap();
        assert_eq!(mode(&snap, "run.sh"), FileMode::Executable, "{source:?}");
        assert_eq!(mode(&snap, "plain.txt"), FileMode::File, "{source:?}");
    }
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(mode(&snap, "untracked.sh"), FileMode::Executable);

    // With core.fileMode=false the disk's bits mean nothing and the index decides.
    git(&root, &["config", "core.fileMode", "false"]);
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(
        root.join("plain.txt"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(mode(&snap, "run.sh"), FileMode::Executable);
    assert_eq!(mode(&snap, "plain.txt"), FileMode::File);
}

/// A tracked file's executable bit comes from the index (what `git add` recorded), so the walk
/// needs no `stat` per file; an untracked file's comes from the disk.
#[cfg(unix)]
#[test]
fn worktree_takes_a_tracked_files_executable_bit_from_the_index() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = init();
    write(&root, "tool.sh", "#!/bin/sh\n");
    write(&root, "run.sh", "#!/bin/sh\n");
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    commit_all(&root, "scripts");
    // Changed on disk, not staged: the index still says what git would commit.
    std::fs::set_permissions(root.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(root.join("run.sh"), std::fs::Permissions::from_mode(0o644)).unwrap();
    write(&root, "new.sh", "#!/bin/sh\n");
    std::fs::set_permissions(root.join("new.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(mode(&snap, "tool.sh"), FileMode::File);
    assert_eq!(mode(&snap, "run.sh"), FileMode::Executable);
    assert_eq!(mode(&snap, "new.sh"), FileMode::Executable);
    // Staged, the change is seen.
    git(&root, &["add", "tool.sh"]);
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(mode(&snap, "tool.sh"), FileMode::Executable);
}

/// Reading within a limit takes the size from the open file: a larger file is not read, a
/// symlink gives its target, and a file edited after `git add` is read with its new size.
#[cfg(unix)]
#[test]
fn worktree_reads_within_a_limit() {
    let (_dir, root) = init();
    write(&root, "small.txt", "12345");
    write(&root, "big.txt", "0123456789");
    std::os::unix::fs::symlink("small.txt", root.join("link")).unwrap();
    commit_all(&root, "files");
    write(&root, "small.txt", "123456");
    let snap = open(&root, Source::Worktree).unwrap();
    let file = |path: &str| entry(&snap, path).clone();
    assert_eq!(
        snap.read_within(&file("small.txt"), 6).unwrap(),
        Ok(b"123456".to_vec())
    );
    assert_eq!(snap.read_within(&file("small.txt"), 5).unwrap(), Err(6));
    assert_eq!(snap.read_within(&file("big.txt"), 5).unwrap(), Err(10));
    assert_eq!(
        snap.read_within(&file("link"), 100).unwrap(),
        Ok(b"small.txt".to_vec())
    );
    assert_eq!(snap.read_within(&file("link"), 3).unwrap(), Err(9));
    assert_eq!(snap.size(&file("small.txt")).unwrap(), 6);
}

#[test]
fn gitlinks_and_nested_repositories_are_single_submodule_entries() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    let sha = commit_all(&root, "first");
    let cacheinfo = format!("160000,{sha},sub");
    git(&root, &["update-index", "--add", "--cacheinfo", &cacheinfo]);
    // The gitlink's directory exists but is empty, as for a submodule that is not initialised.
    std::fs::create_dir(root.join("sub")).unwrap();
    // An untracked nested repository is one entry as well; its files are not listed.
    let nested = root.join("nested");
    std::fs::create_dir(&nested).unwrap();
    git(&nested, &["init", "-q"]);
    write(&nested, "inner.txt", "inner");

    let staged = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&staged), ["a.txt", "sub"]);
    assert_eq!(mode(&staged, "sub"), FileMode::Submodule);
    assert_eq!(read(&staged, "sub"), b"");
    assert_eq!(staged.size(entry(&staged, "sub")).unwrap(), 0);
    assert_eq!(staged.changed(), Some(&set(&["sub"])));

    let worktree = open(&root, Source::Worktree).unwrap();
    assert_eq!(paths(&worktree), ["a.txt", "nested", "sub"]);
    assert_eq!(mode(&worktree, "sub"), FileMode::Submodule);
    assert_eq!(mode(&worktree, "nested"), FileMode::Submodule);
    assert_eq!(read(&worktree, "nested"), b"");

    git(&root, &["commit", "-q", "-m", "add gitlink"]);
    let rev = open(&root, Source::Rev("HEAD".into())).unwrap();
    assert_eq!(paths(&rev), ["a.txt", "sub"]);
    assert_eq!(mode(&rev, "sub"), FileMode::Submodule);
    assert_eq!(read(&rev, "sub"), b"");
}

#[test]
fn checked_out_submodules_are_single_entries() {
    let (_sub_dir, sub) = init();
    write(&sub, "inside.txt", "inside the submodule");
    commit_all(&sub, "sub");
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    git(
        &root,
        &["submodule", "add", "-q", sub.to_str().unwrap(), "libs/sub"],
    );
    git(&root, &["add", "a.txt"]);
    git(&root, &["commit", "-q", "-m", "add submodule"]);
    write(&root, "libs/sub/untracked-inside.txt", "not ours");

    for source in [Source::Worktree, Source::Staged, Source::Rev("HEAD".into())] {
        let snap = open(&root, source.clone()).unwrap();
        assert_eq!(
            paths(&snap),
            [".gitmodules", "a.txt", "libs/sub"],
            "{source:?}"
        );
        assert_eq!(mode(&snap, "libs/sub"), FileMode::Submodule, "{source:?}");
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_lossy_and_readable() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let (_dir, root) = init();
    let name = OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(root.join(name), "latin-1 name").unwrap();
    write(&root, "ok.txt", "ok");
    commit_all(&root, "bytes");

    for source in [
        Source::Worktree,
        Source::Tracked,
        Source::Staged,
        Source::Rev("HEAD".into()),
    ] {
        let snap = open(&root, source.clone()).unwrap();
        let lossy = snap
            .files()
            .iter()
            .find(|f| f.path_is_lossy)
            .unwrap_or_else(|| panic!("{source:?}: {:?}", paths(&snap)));
        assert_eq!(lossy.path, "caf\u{fffd}.txt", "{source:?}");
        assert_eq!(snap.read(lossy).unwrap(), b"latin-1 name", "{source:?}");
        assert!(!entry(&snap, "ok.txt").path_is_lossy);
    }
}

#[test]
fn read_at_rev_reads_one_file() {
    let (_dir, root) = init();
    write(&root, "policy/goldpath.toml", "version = 1");
    commit_all(&root, "first");
    write(&root, "policy/goldpath.toml", "version = 2");
    commit_all(&root, "second");

    let at = |rev: &str, file: &str| read_at_rev(&root, rev, file).unwrap();
    assert_eq!(at("HEAD", "policy/goldpath.toml").unwrap(), b"version = 2");
    assert_eq!(
        at("HEAD~1", "policy/goldpath.toml").unwrap(),
        b"version = 1"
    );
    assert_eq!(
        at("HEAD~1", "./policy/goldpath.toml").unwrap(),
        b"version = 1"
    );
    assert_eq!(at("HEAD", "policy/missing.toml"), None);
    assert_eq!(at("HEAD", "policy"), None);
    assert_eq!(at("HEAD", ""), None);
    let err = read_at_rev(&root, "no-such-branch", "policy/goldpath.toml").unwrap_err();
    assert!(
        err.to_string()
            .contains("revision 'no-such-branch' not found"),
        "{err}"
    );
}

#[test]
fn changed_between_uses_the_merge_base() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    write(&root, "b.txt", "b");
    write(&root, "same.txt", "same");
    commit_all(&root, "base");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    write(&root, "a.txt", "a changed");
    write(&root, "dir/c.txt", "added");
    std::fs::remove_file(root.join("b.txt")).unwrap();
    commit_all(&root, "feature work");
    // main moves on after the fork; its changes are not the feature's.
    git(&root, &["checkout", "-q", "main"]);
    write(&root, "main-only.txt", "m");
    commit_all(&root, "main work");
    git(&root, &["checkout", "-q", "feature"]);

    assert_eq!(
        changed_between(&root, "main").unwrap(),
        set(&["a.txt", "dir/c.txt"])
    );
    assert_eq!(changed_between(&root, "feature").unwrap(), set(&[]));
    let err = changed_between(&root, "nope").unwrap_err();
    assert!(
        err.to_string().contains("revision 'nope' not found"),
        "{err}"
    );
}

#[test]
fn bare_repositories_only_allow_rev() {
    let (_dir, root) = init();
    write(&root, "a.txt", "a");
    commit_all(&root, "first");
    let bare_dir = tempfile::tempdir().unwrap();
    let bare = bare_dir.path().join("repo.git");
    git(
        bare_dir.path(),
        &["clone", "-q", "--bare", root.to_str().unwrap(), "repo.git"],
    );

    let info = discover(&bare).unwrap().unwrap();
    assert!(info.is_bare);
    assert_eq!(info.work_tree, None);

    for source in [Source::Worktree, Source::Staged] {
        let err = open(&bare, source).unwrap_err();
        assert!(matches!(err, GitError::BareRepository { .. }), "{err}");
        assert!(err.to_string().contains("use --rev"), "{err}");
    }
    let snap = open(&bare, Source::Rev("HEAD".into())).unwrap();
    assert_eq!(paths(&snap), ["a.txt"]);
    assert_eq!(read(&snap, "a.txt"), b"a");
    assert_eq!(read_at_rev(&bare, "HEAD", "a.txt").unwrap().unwrap(), b"a");
}

#[test]
fn discover_reports_the_work_tree() {
    let (_dir, root) = init();
    write(&root, "sub/file.txt", "x");
    let info = discover(&root.join("sub")).unwrap().unwrap();
    assert_eq!(info.work_tree.as_deref(), Some(root.as_path()));
    assert_eq!(info.git_dir, root.join(".git"));
    assert!(!info.is_bare);
    // A file inside the work tree works as a starting point too.
    let info = discover(&root.join("sub/file.txt")).unwrap().unwrap();
    assert_eq!(info.work_tree.as_deref(), Some(root.as_path()));
}

#[test]
fn staged_expands_a_sparse_index() {
    let (_dir, root) = init();
    write(&root, "top.txt", "top");
    write(&root, "kept/a.txt", "a");
    write(&root, "hidden/deep/b.txt", "b");
    commit_all(&root, "first");
    git(
        &root,
        &["sparse-checkout", "set", "--cone", "--sparse-index", "kept"],
    );
    assert!(!root.join("hidden").exists(), "sparse checkout removed it");

    let snap = open(&root, Source::Staged).unwrap();
    assert_eq!(paths(&snap), ["hidden/deep/b.txt", "kept/a.txt", "top.txt"]);
    assert_eq!(read(&snap, "hidden/deep/b.txt"), b"b");
    assert_eq!(snap.changed(), Some(&set(&[])));
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(paths(&snap), ["kept/a.txt", "top.txt"]);
}

#[test]
fn worktree_ignore_rules_agree_with_git() {
    let (_dir, root) = init();
    write(
        &root,
        ".gitignore",
        "*.log\n!keep.log\n/anchored.txt\nout/\n**/gen/**\ndocs/*.tmp\n[Tt]emp*\n# comment\n",
    );
    for file in [
        "a.log",
        "keep.log",
        "anchored.txt",
        "deep/anchored.txt",
        "out/x.txt",
        "sub/out",
        "sub/.gitignore",
        "sub/b.log",
        "sub/c.txt",
        "sub/d.md",
        "sub/inner/e.txt",
        "a/gen/f.rs",
        "gen.rs",
        "docs/x.tmp",
        "docs/y/x.tmp",
        "Temp.md",
        "temporary/z.md",
        "plain.md",
        "name with spaces.txt",
    ] {
        write(&root, file, file);
    }
    write(&root, "sub/.gitignore", "!b.log\n*.txt\n");
    write(&root, "tracked/ignored.log", "tracked");
    git(&root, &["add", "-f", "tracked/ignored.log"]);

    let listed = git(
        &root,
        &[
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "-z",
        ],
    );
    let mut expected: Vec<String> = listed
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    expected.sort();
    expected.dedup();
    let snap = open(&root, Source::Worktree).unwrap();
    assert_eq!(paths(&snap), expected);
}

/// The staged change set, computed through the index's cache tree, agrees with
/// `git diff --cached` (added, modified, type-changed) across edits in many directories, with
/// and without a valid cache tree.
#[test]
fn staged_changed_set_agrees_with_git_diff_cached() {
    let (_dir, root) = init();
    for dir in ["a", "a/b", "a/b/c", "d", "e/f"] {
        for i in 0..4 {
            write(&root, &format!("{dir}/file{i}.txt"), format!("{dir} {i}"));
        }
    }
    write(&root, "top.txt", "top");
    commit_all(&root, "first");

    let expected = |root: &std::path::Path| -> BTreeSet<String> {
        let out = git_command(
            root,
            &[
                "diff",
                "--cached",
                "--name-only",
                "--diff-filter=AMT",
                "--no-renames",
            ],
        )
        .output()
        .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let actual = |root: &std::path::Path| {
        open(root, Source::Staged)
            .unwrap()
            .changed()
            .cloned()
            .unwrap()
    };
    assert!(actual(&root).is_empty());

    // Edits deep and shallow, a new directory, a deletion, a file replaced by a directory.
    write(&root, "a/b/c/file1.txt", "edited");
    write(&root, "d/file0.txt", "edited");
    write(&root, "g/h/new.txt", "new");
    write(&root, "a/new.txt", "new");
    std::fs::remove_file(root.join("e/f/file2.txt")).unwrap();
    std::fs::remove_file(root.join("top.txt")).unwrap();
    write(&root, "top.txt/inside.txt", "now a directory");
    git(&root, &["add", "-A"]);
    let want = expected(&root);
    assert!(want.len() >= 5, "{want:?}");
    assert_eq!(actual(&root), want);

    // Re-staging identical content leaves directories valid or invalid; either way the same.
    git(&root, &["write-tree"]);
    assert_eq!(actual(&root), want);
    write(&root, "a/b/file3.txt", "edited after write-tree");
    git(&root, &["add", "a/b/file3.txt"]);
    assert_eq!(actual(&root), expected(&root));
}

/// Every path of a snapshot with its bytes, to compare two snapshots.
fn contents(snapshot: &dyn Snapshot) -> Vec<(String, Vec<u8>)> {
    snapshot
        .files()
        .iter()
        .map(|f| (f.path.clone(), snapshot.read(f).unwrap()))
        .collect()
}

/// The staged change says which paths it added and removed (a whole directory, a file turned
/// into a directory, a rename), and HEAD as derived from the index listing is exactly HEAD's
/// tree: with the index's cache tree (after `git add`) and without it (`git read-tree`).
#[test]
fn staged_path_changes_and_base_match_head() {
    for cache_tree in [true, false] {
        let (_dir, root) = init();
        write(&root, "keep.txt", "keep");
        write(&root, "edit.txt", "v1");
        write(&root, "gone/a.txt", "a");
        write(&root, "gone/deep/b.txt", "b");
        write(&root, "old-name.txt", "renamed");
        write(&root, "dir-to-be", "a file first");
        write(&root, "src/x/y.txt", "y");
        commit_all(&root, "first");

        write(&root, "edit.txt", "v2");
        git(&root, &["rm", "-rq", "gone", "dir-to-be"]);
        git(&root, &["mv", "old-name.txt", "new-name.txt"]);
        write(&root, "dir-to-be/now.txt", "now a directory");
        write(&root, "src/x/z.txt", "z");
        git(&root, &["add", "-A"]);
        if !cache_tree {
            // The same entries in an index written without a cache-tree extension.
            let listing = git(&root, &["ls-files", "-s"]);
            std::fs::remove_file(root.join(".git/index")).unwrap();
            let mut child = git_command(&root, &["update-index", "--add", "--index-info"])
                .stdin(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(listing.as_bytes())
                .unwrap();
            assert!(child.wait().unwrap().success());
            assert!(
                !std::fs::read(root.join(".git/index"))
                    .unwrap()
                    .windows(4)
                    .any(|w| w == b"TREE"),
                "the index still has a cache tree"
            );
        }

        let snap = open(&root, Source::Staged).unwrap();
        assert_eq!(
            snap.changed(),
            Some(&set(&[
                "dir-to-be/now.txt",
                "edit.txt",
                "new-name.txt",
                "src/x/z.txt"
            ])),
            "cache tree: {cache_tree}"
        );
        let changes = snap
            .path_changes()
            .expect("staged snapshots know their path changes");
        assert_eq!(
            changes.added,
            set(&["dir-to-be/now.txt", "new-name.txt", "src/x/z.txt"]),
            "cache tree: {cache_tree}"
        );
        assert_eq!(
            changes.removed,
            set(&["dir-to-be", "gone/a.txt", "gone/deep/b.txt", "old-name.txt"]),
            "cache tree: {cache_tree}"
        );

        let base = snap.base().expect("a repository with commits has a base");
        let head = open(&root, Source::Rev("HEAD".to_owned())).unwrap();
        assert_eq!(contents(&base), contents(&head), "cache tree: {cache_tree}");
        assert_eq!(base.changed(), snap.changed());
        assert_eq!(base.path_changes(), snap.path_changes());
    }
}

/// A pull request's range lists added, modified and removed paths the same way.
#[test]
fn range_changes_list_added_modified_and_removed_paths() {
    let (_dir, root) = init();
    write(&root, "a.txt", "1");
    write(&root, "b.txt", "b");
    write(&root, "d/c.txt", "c");
    let first = commit_all(&root, "first");
    write(&root, "a.txt", "2");
    git(&root, &["rm", "-rq", "d"]);
    git(&root, &["mv", "b.txt", "e.txt"]);
    let second = commit_all(&root, "second");
    let changes = goldpath_git::changes(&root, &first, &second).unwrap();
    assert_eq!(changes.changed, set(&["a.txt", "e.txt"]));
    assert_eq!(changes.paths.added, set(&["e.txt"]));
    assert_eq!(changes.paths.removed, set(&["b.txt", "d/c.txt"]));
}
