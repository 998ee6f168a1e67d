//! What several subcommands share: loading the policy (from the work tree, the snapshot, a file
//! or another commit) and writing to standard output. It sits below the subcommands, so `check`,
//! `fix`, `baseline` and the rest import it and not each other.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use goldpath::policy::{FsReader, NamedFileReader, Policy, SnapshotReader};
use goldpath::Snapshot;

/// Loads the policy of another commit (`--policy-from`): discovery and `extends` read that
/// commit's files, never the work tree or the snapshot being judged.
pub(crate) fn load_policy_from_rev(
    repo: &Path,
    root: &Path,
    rev: &str,
    config: Option<&Path>,
) -> Result<(Policy, String)> {
    let reader = RevReader {
        repo: repo.to_path_buf(),
        root: root.to_path_buf(),
        rev: rev.to_owned(),
    };
    if let Some(config) = config {
        // Relative to the repository root, as it is in the commit.
        let path = if config.is_absolute() {
            config.to_path_buf()
        } else {
            root.join(config)
        };
        let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        return Ok((
            Policy::load(&path, &reader)?,
            shown.to_string_lossy().into_owned(),
        ));
    }
    match Policy::discover(root, &reader)? {
        Some(path) => {
            let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            tracing::debug!(policy = %shown.display(), rev, "policy from another commit");
            Ok((
                Policy::load(&path, &reader)?,
                shown.to_string_lossy().into_owned(),
            ))
        }
        None => {
            tracing::debug!(rev, "no policy file at --policy-from: builtin:recommended");
            // No policy file: nothing of the repository to name (see `render::anchor`).
            Ok((Policy::recommended()?, String::new()))
        }
    }
}

/// Reads policy files from a commit.
struct RevReader {
    repo: PathBuf,
    root: PathBuf,
    rev: String,
}

impl goldpath::policy::PolicyReader for RevReader {
    fn read(&self, path: &Path) -> std::io::Result<Option<String>> {
        let normalized = goldpath::policy::normalize(path);
        let Ok(relative) = normalized.strip_prefix(&self.root) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} is outside the repository; a policy read from a commit can only extend \
                     files inside it (or builtin: packs)",
                    path.display()
                ),
            ));
        };
        let file = relative.to_string_lossy().replace('\\', "/");
        let bytes = goldpath_git::read_at_rev(&self.repo, &self.rev, &file)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        bytes
            .map(|b| {
                String::from_utf8(b).map_err(|_| {
                    std::io::Error::new(std::io::ErrorKind::InvalidData, "not valid UTF-8")
                })
            })
            .transpose()
    }
}

/// Loads the policy; also returns its path relative to the root (or as given), which formats
/// that need a file for repository-wide findings use.
pub(crate) fn load_policy(
    config: Option<&Path>,
    root: &Path,
    snapshot: &dyn Snapshot,
    is_worktree: bool,
) -> Result<(Policy, String)> {
    if let Some(config) = config {
        if !config.exists() {
            bail!("--config {}: no such file", config.display());
        }
        let shown = config.strip_prefix(root).unwrap_or(config);
        return Ok((
            Policy::load(config, &NamedFileReader { path: config })?,
            shown.to_string_lossy().into_owned(),
        ));
    }
    let in_snapshot = SnapshotReader::new(root, snapshot);
    let reader: &dyn goldpath::policy::PolicyReader =
        if is_worktree { &FsReader } else { &in_snapshot };
    match Policy::discover(root, reader)? {
        Some(path) => {
            let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            tracing::debug!(policy = %shown.display(), "discovered policy");
            Ok((
                Policy::load(&path, reader)?,
                shown.to_string_lossy().into_owned(),
            ))
        }
        None => {
            tracing::debug!("no policy file: using builtin:recommended");
            // No policy file: nothing of the repository to name (see `render::anchor`).
            Ok((Policy::recommended()?, String::new()))
        }
    }
}

pub(crate) fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write the report to {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`goldpath check | head`) is not an error of the check.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write the report"),
            }
        }
    }
}
