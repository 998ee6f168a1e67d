//! The index: what `git commit` would record, read from the object database.

use std::collections::BTreeSet;
use std::path::Path;

use gix::index::entry::Flags;
use goldpath::snapshot::SourceKind;

use crate::error::{describe, GitError};
use crate::repo::TreeFile;
use crate::{paths, repo, GitSnapshot};

/// Opens the index of the repository containing `path` (or `GIT_INDEX_FILE`).
pub(crate) fn open(path: &Path) -> Result<GitSnapshot, GitError> {
    let repository = repo::require(path, "--staged")?;
    let info = repo::info(&repository);
    if info.is_bare {
        return Err(GitError::BareRepository {
            what: "index",
            git_dir: info.git_dir,
        });
    }
    let local = repository.to_thread_local();
    let started = std::time::Instant::now();
    let (staged, cache_tree) = staged_entries(&local)?;
    tracing::debug!(entries = staged.len(), elapsed = ?started.elapsed(), "read the index");

    let head = repo::head_commit(&local)?;
    let commit = head.as_ref().map(|c| c.id.to_string());
    let changes = match &head {
        Some(commit) => {
            let tree_id = commit.tree_id().map_err(|err| GitError::Object {
                what: format!("the tree of HEAD ({})", commit.id),
                message: describe(&err),
            })?;
            match &cache_tree {
                // Fast path: descend only into directories the index changed.
                Some(cache) => {
                    crate::cache_tree::changed_entries(&local, &staged, cache, tree_id.detach())?
                }
                None => {
                    let tree = commit.tree().map_err(|err| GitError::Object {
                        what: format!("the tree of HEAD ({})", commit.id),
                        message: describe(&err),
                    })?;
                    let head_files = repo::sorted_tree_files(&tree)?;
                    crate::cache_tree::compare_sorted(&head_files, &staged)
                }
            }
        }
        // A fresh repository: everything staged is new.
        None => crate::cache_tree::IndexChanges {
            changed: (0..staged.len()).collect(),
            added: (0..staged.len()).collect(),
            ..Default::default()
        },
    };
    drop(head);
    let lossy = |at: &usize| paths::lossy(&staged[*at].path).0;
    let changed: BTreeSet<String> = changes.changed.iter().map(lossy).collect();
    let path_changes = goldpath::PathChanges {
        added: changes.added.iter().map(lossy).collect(),
        removed: changes
            .removed
            .iter()
            .map(|e| paths::lossy(&e.path).0)
            .collect(),
    };
    tracing::debug!(
        changed = changed.len(),
        added = path_changes.added.len(),
        removed = path_changes.removed.len(),
        cache_tree = cache_tree.is_some(),
        elapsed = ?started.elapsed(),
        "compared the index with HEAD"
    );
    // HEAD as this listing and the changes describe it, for judging what the change introduced
    // without listing HEAD's tree again.
    let base = commit.as_ref().map(|commit| crate::BaseDelta {
        commit: commit.clone(),
        added: path_changes.added.clone(),
        before: changes
            .before
            .iter()
            .map(|(at, kind, id)| (lossy(at), (*kind, *id)))
            .collect(),
        removed: changes.removed,
    });

    drop(local);
    let mut snapshot = crate::object_snapshot(
        repository,
        info,
        staged,
        SourceKind::Staged,
        commit,
        Some(changed),
    );
    snapshot.path_changes = Some(path_changes);
    snapshot.base = base;
    Ok(snapshot)
}

/// The staged paths, once each.
///
/// Entries marked intent-to-add (`git add -N`) are skipped: a commit does not record them. During
/// a merge conflict a path has stages 1–3 and no stage 0; it is reported once, with "ours"
/// (stage 2) preferred, then "theirs" (3), then the base (1). Sparse directory entries are
/// expanded from their trees.
fn staged_entries(
    repo: &gix::Repository,
) -> Result<(Vec<TreeFile>, Option<gix::index::extension::Tree>), GitError> {
    let index_path = repo.index_path();
    if !index_path.exists() {
        return Ok((Vec::new(), None));
    }
    let index = repo::open_index(repo, &index_path)?;

    let mut out: Vec<TreeFile> = Vec::with_capacity(index.entries().len());
    let mut last_rank = u32::MAX;
    for entry in index.entries() {
        if entry.flags.contains(Flags::INTENT_TO_ADD) {
            continue;
        }
        let path = entry.path(&index);
        if entry.mode.is_sparse() {
            // A sparse-index directory: its files live in the tree it points to.
            let tree = repo.find_tree(entry.id).map_err(|err| GitError::Object {
                what: format!("the sparse directory {path}"),
                message: describe(&err),
            })?;
            let prefix = path.strip_suffix(b"/").unwrap_or(path);
            out.extend(repo::tree_files(&tree, prefix)?);
            last_rank = u32::MAX;
            continue;
        }
        let Some(kind) = entry.mode.to_tree_entry_mode().map(|m| m.kind()) else {
            continue;
        };
        let rank = match entry.stage_raw() {
            0 => 0,
            2 => 1,
            3 => 2,
            _ => 3,
        };
        let staged = TreeFile {
            path: path.to_vec(),
            kind,
            id: entry.id,
        };
        match out.last_mut() {
            Some(last) if last.path == staged.path => {
                if rank < last_rank {
                    *last = staged;
                    last_rank = rank;
                }
            }
            _ => {
                out.push(staged);
                last_rank = rank;
            }
        }
    }
    // Expanded sparse directories can interleave with later entries; keep the list sorted.
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    // A sparse index's cache tree describes directories, not the expanded files: not used.
    let cache_tree = if index.is_sparse() {
        None
    } else {
        index.tree().cloned()
    };
    Ok((out, cache_tree))
}
