//! Helpers for end-to-end tests: real git repositories in temporary directories, and the
//! `goldpath` binary run against them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as BinCommand;
use serde_json::Value;

/// A temporary directory, optionally a git repository, with helpers to fill it.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// An empty plain directory (no git).
    pub fn plain() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A new git repository with a deterministic identity.
    pub fn git() -> Self {
        let repo = Self::plain();
        repo.git_ok(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories).
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> &Self {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(full, contents).expect("write");
        self
    }

    /// Removes a file.
    pub fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.dir.path().join(path)).expect("remove");
        self
    }

    /// Runs git in the repository, isolated from the user's configuration.
    pub fn git_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE");
        cmd
    }

    /// Runs git and asserts it succeeded; returns stdout.
    pub fn git_ok(&self, args: &[&str]) -> String {
        let output = self.git_cmd(args).output().expect("run git");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Stages everything and commits.
    pub fn commit(&self, message: &str) -> String {
        self.git_ok(&["add", "-A"]);
        self.git_ok(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git_ok(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The `goldpath` binary with its working directory in the repository.
    pub fn goldpath(&self) -> BinCommand {
        BinCommand::from_std(self.goldpath_std())
    }

    /// The same as a plain `std::process::Command`, for tests that spawn and measure it.
    pub fn goldpath_std(&self) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("goldpath"));
        cmd.current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GOLDPATH_LOG")
            .env_remove("GOLDPATH_ORG_POLICY")
            .env("NO_COLOR", "1");
        cmd
    }

    /// Runs `goldpath check --format json` with extra arguments; returns (exit code, report).
    pub fn check_json(&self, extra: &[&str]) -> (i32, Value) {
        let output = self
            .goldpath()
            .args(["check", "--format", "json"])
            .args(extra)
            .output()
            .expect("run goldpath");
        let code = output.status.code().unwrap_or(-1);
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}); exit {code}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (code, report)
    }

    /// Absolute path of a file in the repository.
    pub fn join(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }
}

/// `(rule, path)` of every finding.
pub fn rules_and_paths(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
