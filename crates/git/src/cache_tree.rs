//! What the index changed against HEAD, guided by the index's cache-tree extension.
//!
//! `git commit` and `git checkout` record, for every directory, the tree id the index's entries
//! there would write; `git add` invalidates only the directories above the paths it touches.
//! A directory whose recorded id is valid and equal to HEAD's tree for it has no staged change,
//! so the comparison descends only into the few directories a commit touches, instead of
//! walking all of HEAD's tree: that is what keeps `--staged` fast on a large repository.

use gix::objs::tree::EntryKind;

use crate::error::{describe, GitError};
use crate::repo::TreeFile;

/// Indices into `staged` (sorted by path bytes) of the entries that are added or modified
/// relative to the tree `head`. `cache` is the index's root cache-tree node.
pub(crate) fn changed_entries(
    repo: &gix::Repository,
    staged: &[TreeFile],
    cache: &gix::index::extension::Tree,
    head: gix::ObjectId,
) -> Result<Vec<usize>, GitError> {
    let mut out = Vec::new();
    visit(
        repo,
        staged,
        b"",
        0..staged.len(),
        Some(cache),
        Some(head),
        &mut out,
    )?;
    Ok(out)
}

fn visit(
    repo: &gix::Repository,
    staged: &[TreeFile],
    prefix: &[u8],
    range: std::ops::Range<usize>,
    cache: Option<&gix::index::extension::Tree>,
    head: Option<gix::ObjectId>,
    out: &mut Vec<usize>,
) -> Result<(), GitError> {
    if let (Some(cache), Some(head)) = (cache, head) {
        if cache.num_entries.is_some() && cache.id == head {
            return Ok(());
        }
    }
    // HEAD's entries of this directory: files by name, and sub-trees by name.
    let mut files: Vec<(Vec<u8>, EntryKind, gix::ObjectId)> = Vec::new();
    let mut trees: Vec<(Vec<u8>, gix::ObjectId)> = Vec::new();
    if let Some(head) = head {
        let tree = repo.find_tree(head).map_err(|err| GitError::Object {
            what: format!("tree {head}"),
            message: describe(&err),
        })?;
        let decoded = tree.decode().map_err(|err| GitError::Object {
            what: format!("tree {head}"),
            message: describe(&err),
        })?;
        for entry in &decoded.entries {
            let name = entry.filename.to_vec();
            match entry.mode.kind() {
                EntryKind::Tree => trees.push((name, entry.oid.to_owned())),
                kind => files.push((name, kind, entry.oid.to_owned())),
            }
        }
    }
    let mut at = range.start;
    while at < range.end {
        let relative = &staged[at].path[prefix.len()..];
        match relative.iter().position(|&b| b == b'/') {
            Some(slash) => {
                let name = &relative[..slash];
                let mut child_prefix = prefix.to_vec();
                child_prefix.extend_from_slice(name);
                child_prefix.push(b'/');
                let len = staged[at..range.end]
                    .partition_point(|entry| entry.path.starts_with(&child_prefix));
                let child_cache = cache.and_then(|c| {
                    c.children
                        .iter()
                        .find(|child| child.name.as_slice() == name)
                });
                let child_head = trees
                    .iter()
                    .find(|(tree_name, _)| tree_name.as_slice() == name)
                    .map(|(_, id)| *id);
                visit(
                    repo,
                    staged,
                    &child_prefix,
                    at..at + len,
                    child_cache,
                    child_head,
                    out,
                )?;
                at += len.max(1);
            }
            None => {
                let unchanged = files.iter().any(|(name, kind, id)| {
                    name.as_slice() == relative && *kind == staged[at].kind && *id == staged[at].id
                });
                if !unchanged {
                    out.push(at);
                }
                at += 1;
            }
        }
    }
    Ok(())
}
