//! Commits: a revision's tree, one file at a revision, and what a branch changed.

use std::collections::BTreeSet;
use std::path::Path;

use gix::objs::tree::EntryKind;
use goldpath::snapshot::SourceKind;

use crate::error::{describe, GitError};
use crate::{paths, repo, GitSnapshot};

/// Opens the tree of `rev` in the repository containing `path`. Bare repositories are fine.
pub(crate) fn open(path: &Path, rev: &str) -> Result<GitSnapshot, GitError> {
    let repository = repo::require(path, "--rev")?;
    let info = repo::info(&repository);
    let local = repository.to_thread_local();
    let (tree, commit) = repo::resolve_tree(&local, rev)?;
    let tree_files = repo::tree_files(&tree, b"")?;
    drop(tree);
    drop(local);

    Ok(crate::object_snapshot(
        repository,
        info,
        tree_files,
        SourceKind::Rev(rev.to_owned()),
        commit.map(|id| id.to_string()),
        None,
    ))
}

/// Reads `file` (a `/`-separated path from the repository's top level) as of revision `rev` of the
/// repository containing `repo_path`.
///
/// Returns `Ok(None)` when the revision has no such file, or when the path is a directory or a
/// submodule. A symlink reads as its target.
pub fn read_at_rev(repo_path: &Path, rev: &str, file: &str) -> Result<Option<Vec<u8>>, GitError> {
    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "reading a file at a revision")?;
    let local = repository.to_thread_local();
    let (tree, _) = repo::resolve_tree(&local, rev)?;
    let components: Vec<&[u8]> = file
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::as_bytes)
        .collect();
    if components.is_empty() {
        return Ok(None);
    }
    let entry = tree
        .lookup_entry(components)
        .map_err(|err| GitError::Object {
            what: format!("'{file}' at revision '{rev}'"),
            message: describe(&err),
        })?;
    let Some(entry) = entry else {
        return Ok(None);
    };
    match entry.mode().kind() {
        EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link => {}
        EntryKind::Tree | EntryKind::Commit => return Ok(None),
    }
    let id = entry.object_id();
    let mut blob = local.find_blob(id).map_err(|err| GitError::Object {
        what: format!("'{file}' at revision '{rev}' (blob {id})"),
        message: describe(&err),
    })?;
    Ok(Some(blob.take_data()))
}

/// The paths that `HEAD` added or modified since it forked from `base_rev`: the change set of
/// `merge-base(base_rev, HEAD)..HEAD`, as a pull request shows it. Deleted paths are left out.
pub fn changed_between(repo_path: &Path, base_rev: &str) -> Result<BTreeSet<String>, GitError> {
    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "comparing against a base revision")?;
    let local = repository.to_thread_local();
    let not_found = |err: gix::Error| GitError::RevisionNotFound {
        rev: base_rev.to_owned(),
        message: describe(&err),
    };
    let base = local
        .rev_parse_single(base_rev)
        .and_then(|id| id.object())
        .and_then(|object| object.peel_to_commit())
        .map_err(not_found)?;
    let Some(head) = repo::head_commit(&local)? else {
        return Err(GitError::NoHead {
            what: "the change set",
            path: local.git_dir().to_owned(),
        });
    };
    let merge_base = local
        .merge_base(base.id, head.id)
        .map_err(|err| GitError::Object {
            what: format!("the merge base of '{base_rev}' and HEAD"),
            message: describe(&err),
        })?
        .ok_or_else(|| GitError::NoMergeBase {
            base: base_rev.to_owned(),
        })?;
    let tree_of = |id: gix::ObjectId| {
        local
            .find_commit(id)
            .and_then(|commit| commit.tree())
            .map_err(|err| GitError::Object {
                what: format!("the tree of commit {id}"),
                message: describe(&err),
            })
    };
    let before = repo::sorted_tree_files(&tree_of(merge_base.detach())?)?;
    let after = repo::sorted_tree_files(&tree_of(head.id)?)?;
    Ok(repo::added_or_modified(&before, &after)
        .into_iter()
        .map(|file| paths::lossy(&file.path).0)
        .collect())
}
