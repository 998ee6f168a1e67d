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

/// What the index changed against a tree.
#[derive(Default)]
pub(crate) struct IndexChanges {
    /// Indices into the staged list of the entries added or modified.
    pub(crate) changed: Vec<usize>,
    /// Indices into the staged list of the entries added (a subset of `changed`).
    pub(crate) added: Vec<usize>,
    /// The tree's version of each modified entry, by index into the staged list.
    pub(crate) before: Vec<(usize, EntryKind, gix::ObjectId)>,
    /// The tree's entries the index no longer has.
    pub(crate) removed: Vec<TreeFile>,
}

/// What `staged` (sorted by path bytes) adds, modifies and removes relative to the tree
/// `head`. `cache` is the index's root cache-tree node.
pub(crate) fn changed_entries(
    repo: &gix::Repository,
    staged: &[TreeFile],
    cache: &gix::index::extension::Tree,
    head: gix::ObjectId,
) -> Result<IndexChanges, GitError> {
    let mut out = IndexChanges::default();
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

/// The same comparison from two complete sorted lists (no cache tree, or two commits).
pub(crate) fn compare_sorted(before: &[TreeFile], after: &[TreeFile]) -> IndexChanges {
    let mut out = IndexChanges::default();
    let (mut b, mut a) = (0, 0);
    while b < before.len() || a < after.len() {
        match (before.get(b), after.get(a)) {
            (Some(old), Some(new)) if old.path == new.path => {
                if old.kind != new.kind || old.id != new.id {
                    out.changed.push(a);
                    out.before.push((a, old.kind, old.id));
                }
                b += 1;
                a += 1;
            }
            (Some(old), Some(new)) if old.path < new.path => {
                out.removed.push(old.clone());
                b += 1;
            }
            (Some(old), None) => {
                out.removed.push(old.clone());
                b += 1;
            }
            (_, Some(_)) => {
                out.changed.push(a);
                out.added.push(a);
                a += 1;
            }
            (None, None) => break,
        }
    }
    out
}

fn visit(
    repo: &gix::Repository,
    staged: &[TreeFile],
    prefix: &[u8],
    range: std::ops::Range<usize>,
    cache: Option<&gix::index::extension::Tree>,
    head: Option<gix::ObjectId>,
    out: &mut IndexChanges,
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
    let mut seen_files = vec![false; files.len()];
    let mut seen_trees = vec![false; trees.len()];
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
                    .position(|(tree_name, _)| tree_name.as_slice() == name)
                    .map(|i| {
                        seen_trees[i] = true;
                        trees[i].1
                    });
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
                match files
                    .iter()
                    .position(|(name, _, _)| name.as_slice() == relative)
                {
                    Some(i) => {
                        seen_files[i] = true;
                        let (_, kind, id) = &files[i];
                        if *kind != staged[at].kind || *id != staged[at].id {
                            out.changed.push(at);
                            out.before.push((at, *kind, *id));
                        }
                    }
                    None => {
                        out.changed.push(at);
                        out.added.push(at);
                    }
                }
                at += 1;
            }
        }
    }
    // What the tree has here and the index does not: removed files and whole directories.
    for (i, (name, kind, id)) in files.iter().enumerate() {
        if !seen_files[i] {
            let mut path = prefix.to_vec();
            path.extend_from_slice(name);
            out.removed.push(TreeFile {
                path,
                kind: *kind,
                id: *id,
            });
        }
    }
    for (i, (name, id)) in trees.iter().enumerate() {
        if !seen_trees[i] {
            let tree = repo.find_tree(*id).map_err(|err| GitError::Object {
                what: format!("tree {id}"),
                message: describe(&err),
            })?;
            let mut path = prefix.to_vec();
            path.extend_from_slice(name);
            out.removed.extend(crate::repo::tree_files(&tree, &path)?);
        }
    }
    Ok(())
}
