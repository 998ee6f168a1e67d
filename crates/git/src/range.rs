//! Pull-request mode: the merge base of two revisions, what changed between them, and the
//! directory where git looks for hooks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::{describe, GitError};
use crate::{paths, repo};

/// The merge base of `base_rev` and `head_rev`, as a full hex id: the commit a pull request
/// forked from. In a shallow clone that lacks the base, the error says how to fetch it.
pub fn merge_base(repo_path: &Path, base_rev: &str, head_rev: &str) -> Result<String, GitError> {
    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "--base")?;
    let local = repository.to_thread_local();
    let shallow = local.is_shallow().unwrap_or(false);
    let commit_of = |rev: &str| {
        local
            .rev_parse_single(rev)
            .and_then(|id| id.object())
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id)
            .map_err(|err| {
                if shallow {
                    GitError::ShallowBase {
                        base: rev.to_owned(),
                        message: describe(&err),
                    }
                } else {
                    GitError::RevisionNotFound {
                        rev: rev.to_owned(),
                        message: describe(&err),
                    }
                }
            })
    };
    let base = commit_of(base_rev)?;
    let head = commit_of(head_rev)?;
    match local.merge_base(base, head) {
        Ok(Some(id)) => Ok(id.detach().to_string()),
        // Walking history into a missing parent fails in a shallow clone, or finds nothing.
        Ok(None) | Err(_) if shallow => Err(GitError::ShallowBase {
            base: base_rev.to_owned(),
            message: "history ends before the two revisions meet".to_owned(),
        }),
        Ok(None) => Err(GitError::NoMergeBase {
            base: base_rev.to_owned(),
        }),
        Err(err) => Err(GitError::Object {
            what: format!("the merge base of '{base_rev}' and '{head_rev}'"),
            message: describe(&err),
        }),
    }
}

/// The paths added or modified from `from_rev` to `to_rev` (deleted paths are left out).
pub fn changed_paths(
    repo_path: &Path,
    from_rev: &str,
    to_rev: &str,
) -> Result<BTreeSet<String>, GitError> {
    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "--base")?;
    let local = repository.to_thread_local();
    let (before, _) = repo::resolve_tree(&local, from_rev)?;
    let (after, _) = repo::resolve_tree(&local, to_rev)?;
    let before = repo::sorted_tree_files(&before)?;
    let after = repo::sorted_tree_files(&after)?;
    Ok(repo::added_or_modified(&before, &after)
        .into_iter()
        .map(|file| paths::lossy(&file.path).0)
        .collect())
}

/// Where git runs hooks from for the repository containing `path`: `core.hooksPath` (relative
/// to the work tree when relative) or `<git dir>/hooks`. Linked work trees share the common
/// directory's hooks, as git does.
pub fn hooks_dir(path: &Path) -> Result<PathBuf, GitError> {
    repo::check_exists(path)?;
    let repository = repo::require(path, "installing a hook")?;
    let local = repository.to_thread_local();
    let configured = local
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .map_err(|err| GitError::Config {
            message: describe(&err),
        })?;
    Ok(match configured {
        Some(configured) => {
            if configured.is_absolute() {
                configured
            } else {
                local
                    .workdir()
                    .map_or_else(|| local.git_dir().to_owned(), Path::to_path_buf)
                    .join(configured)
            }
        }
        None => local.common_dir().join("hooks"),
    })
}
