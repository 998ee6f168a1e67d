//! Helpers shared by the integration tests: real repositories made with the `git` CLI.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use goldpath::snapshot::{FileEntry, FileMode, Snapshot};

/// Runs `git` in `dir` with a clean, predictable configuration and returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir, args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A `git` command in `dir` that ignores the user's and the system's configuration.
pub fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args);
    cmd
}

/// A fresh repository in a temporary directory.
pub fn init() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical tempdir");
    git(&root, &["init", "-q"]);
    (dir, root)
}

/// Writes `contents` to `root/rel`, creating parent directories.
pub fn write(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, contents).expect("write file");
}

/// Stages everything and commits it.
pub fn commit_all(root: &Path, message: &str) -> String {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
    git(root, &["rev-parse", "HEAD"])
}

/// The snapshot's paths in order.
pub fn paths(snapshot: &dyn Snapshot) -> Vec<String> {
    snapshot.files().iter().map(|f| f.path.clone()).collect()
}

/// The entry at `path`; panics when missing.
pub fn entry<'a>(snapshot: &'a dyn Snapshot, path: &str) -> &'a FileEntry {
    snapshot
        .files()
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} is in {:?}", paths(snapshot)))
}

/// The bytes of the entry at `path`.
pub fn read(snapshot: &dyn Snapshot, path: &str) -> Vec<u8> {
    snapshot.read(entry(snapshot, path)).expect("readable")
}

/// The mode of the entry at `path`.
pub fn mode(snapshot: &dyn Snapshot, path: &str) -> FileMode {
    entry(snapshot, path).mode
}
