//! Pull-request mode: the merge base of two revisions, what changed between them, and the
//! directory where git looks for hooks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use goldpath::snapshot::SourceKind;

use crate::error::{describe, GitError};
use crate::{paths, repo, GitSnapshot};

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
    Ok(changes(repo_path, from_rev, to_rev)?.changed)
}

/// What a range of commits changed: see [`Changes`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// The paths added or modified: what per-file rules judge.
    pub changed: BTreeSet<String>,
    /// The paths added and removed: what changes the list of paths.
    pub paths: goldpath::PathChanges,
}

/// The paths added, modified and removed from `from_rev` to `to_rev`.
pub fn changes(repo_path: &Path, from_rev: &str, to_rev: &str) -> Result<Changes, GitError> {
    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "--base")?;
    let local = repository.to_thread_local();
    let (before, _) = repo::resolve_tree(&local, from_rev)?;
    let (after, _) = repo::resolve_tree(&local, to_rev)?;
    let before = repo::sorted_tree_files(&before)?;
    let after = repo::sorted_tree_files(&after)?;
    let found = crate::cache_tree::compare_sorted(&before, &after);
    let lossy = |at: &usize| paths::lossy(&after[*at].path).0;
    Ok(Changes {
        changed: found.changed.iter().map(lossy).collect(),
        paths: goldpath::PathChanges {
            added: found.added.iter().map(lossy).collect(),
            removed: found
                .removed
                .iter()
                .map(|e| paths::lossy(&e.path).0)
                .collect(),
        },
    })
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

/// The most commits of a pull request whose blobs [`history_snapshots`] lists.
pub const MAX_HISTORY_COMMITS: usize = 1_000;

/// The most historical blobs [`history_snapshots`] lists over all commits.
pub const MAX_HISTORY_BLOBS: usize = 20_000;

/// The files one commit of a pull request added or modified that the head no longer has.
#[derive(Debug)]
pub struct HistoryCommit {
    /// The commit's full hex id.
    pub commit: String,
    /// Those files, as they were in the commit, named by their paths in it.
    pub snapshot: GitSnapshot,
}

/// What [`history_snapshots`] found.
#[derive(Debug, Default)]
pub struct History {
    /// The commits with files to judge, oldest first.
    pub commits: Vec<HistoryCommit>,
    /// Set when a limit cut the listing short: says which limit.
    pub cut: Option<String>,
}

/// The blobs each commit from `merge_base` (excluded) to `head_rev` added or modified, following
/// first parents only (a merge is compared with its first parent), that are not in the head's
/// tree: what a check of the head cannot see, such as a secret committed and then deleted.
///
/// Each blob is listed once, in the oldest commit that introduced it; links and submodules are
/// left out. At most [`MAX_HISTORY_COMMITS`] commits (the newest) and [`MAX_HISTORY_BLOBS`]
/// blobs are listed; [`History::cut`] says when the listing stopped early.
pub fn history_snapshots(
    repo_path: &Path,
    merge_base: &str,
    head_rev: &str,
) -> Result<History, GitError> {
    use std::collections::HashSet;

    repo::check_exists(repo_path)?;
    let repository = repo::require(repo_path, "--base")?;
    let info = repo::info(&repository);
    let local = repository.to_thread_local();
    let object_error = |what: String, err: &(dyn std::error::Error + 'static)| GitError::Object {
        what,
        message: describe(err),
    };
    let base = local
        .rev_parse_single(merge_base)
        .map_err(|err| GitError::RevisionNotFound {
            rev: merge_base.to_owned(),
            message: describe(&err),
        })?
        .detach();
    let (head_tree, head_commit) = repo::resolve_tree(&local, head_rev)?;
    let Some(head_commit) = head_commit else {
        return Ok(History::default());
    };
    let in_head: HashSet<gix::ObjectId> = repo::tree_files(&head_tree, b"")?
        .into_iter()
        .map(|file| file.id)
        .collect();
    drop(head_tree);

    // Newest first, then reversed, so that a blob is credited to the commit that introduced it.
    let mut chain = Vec::new();
    let mut cut = None;
    let mut next = Some(head_commit);
    while let Some(id) = next.take() {
        if id == base {
            break;
        }
        if chain.len() == MAX_HISTORY_COMMITS {
            cut = Some(format!(
                "the pull request has more than {MAX_HISTORY_COMMITS} commits; only the newest \
                 {MAX_HISTORY_COMMITS} were scanned"
            ));
            break;
        }
        let commit = local
            .find_commit(id)
            .map_err(|err| object_error(format!("commit {id}"), &err))?;
        let tree = commit
            .tree_id()
            .map_err(|err| object_error(format!("the tree of commit {id}"), &err))?
            .detach();
        let parent = commit.parent_ids().next().map(|p| p.detach());
        chain.push((id, tree, parent));
        next = parent;
    }
    chain.reverse();

    let mut seen: HashSet<gix::ObjectId> = HashSet::new();
    let mut total = 0usize;
    let mut commits = Vec::new();
    'commits: for (id, tree, parent) in chain {
        let parent_tree = match parent {
            Some(parent) => Some(
                local
                    .find_commit(parent)
                    .and_then(|c| c.tree_id())
                    .map_err(|err| object_error(format!("the tree of commit {parent}"), &err))?
                    .detach(),
            ),
            None => None,
        };
        let mut files = Vec::new();
        for file in changed_blobs(&local, parent_tree, tree)? {
            if in_head.contains(&file.id) || !seen.insert(file.id) {
                continue;
            }
            if total == MAX_HISTORY_BLOBS {
                cut = Some(format!(
                    "the pull request's commits hold more than {MAX_HISTORY_BLOBS} files that \
                     the head no longer has; only the first {MAX_HISTORY_BLOBS} were scanned"
                ));
                if !files.is_empty() {
                    commits.push((id, files));
                }
                break 'commits;
            }
            total += 1;
            files.push(file);
        }
        if !files.is_empty() {
            commits.push((id, files));
        }
    }
    drop(local);
    let commits = commits
        .into_iter()
        .map(|(id, files)| HistoryCommit {
            commit: id.to_string(),
            snapshot: crate::object_snapshot(
                repository.clone(),
                info.clone(),
                files,
                SourceKind::Rev(id.to_string()),
                Some(id.to_string()),
                None,
            ),
        })
        .collect();
    Ok(History { commits, cut })
}

/// The blobs (regular or executable files) of tree `new` that tree `old` does not have at the
/// same path. Subtrees with the same id are skipped unread, so a commit costs what it changed.
fn changed_blobs(
    repo: &gix::Repository,
    old: Option<gix::ObjectId>,
    new: gix::ObjectId,
) -> Result<Vec<repo::TreeFile>, GitError> {
    use gix::objs::tree::EntryKind;
    use std::collections::{HashMap, VecDeque};

    type Listing = Vec<(Vec<u8>, gix::objs::tree::EntryMode, gix::ObjectId)>;
    let read = |id: gix::ObjectId| -> Result<Listing, GitError> {
        let tree = repo.find_tree(id).map_err(|err| GitError::Object {
            what: format!("tree {id}"),
            message: describe(&err),
        })?;
        let decoded = tree.decode().map_err(|err| GitError::Object {
            what: format!("tree {id}"),
            message: describe(&err),
        })?;
        Ok(decoded
            .entries
            .iter()
            .map(|e| (e.filename.to_vec(), e.mode, e.oid.to_owned()))
            .collect())
    };
    let limit = |message: String| GitError::Limit {
        what: format!("tree {new}"),
        message,
    };
    let mut files = Vec::new();
    let mut entries = 0usize;
    let mut queue: VecDeque<(Option<gix::ObjectId>, gix::ObjectId, Vec<u8>, usize)> =
        VecDeque::new();
    queue.push_back((old, new, Vec::new(), 0));
    while let Some((old, new, dir, depth)) = queue.pop_front() {
        if old == Some(new) {
            continue;
        }
        let before: HashMap<Vec<u8>, (gix::objs::tree::EntryMode, gix::ObjectId)> = match old {
            Some(old) => read(old)?
                .into_iter()
                .map(|(name, mode, id)| (name, (mode, id)))
                .collect(),
            None => HashMap::new(),
        };
        let after = read(new)?;
        entries = entries.saturating_add(after.len());
        if entries > repo::MAX_TREE_ENTRIES {
            return Err(limit(format!(
                "it has more than {} entries, the limit of entries per tree",
                repo::MAX_TREE_ENTRIES
            )));
        }
        for (name, mode, id) in after {
            let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
            if !dir.is_empty() {
                path.extend_from_slice(&dir);
                path.push(b'/');
            }
            path.extend_from_slice(&name);
            if path.len() > repo::MAX_PATH_BYTES {
                return Err(limit(format!(
                    "a path is longer than {} bytes, the limit of path length",
                    repo::MAX_PATH_BYTES
                )));
            }
            let previous = before.get(&name);
            if previous.is_some_and(|(_, old_id)| *old_id == id) {
                continue;
            }
            match mode.kind() {
                EntryKind::Tree => {
                    if depth + 1 > repo::MAX_TREE_DEPTH {
                        return Err(limit(format!(
                            "directories nest deeper than {} levels, the limit of tree depth",
                            repo::MAX_TREE_DEPTH
                        )));
                    }
                    let old_subtree = previous
                        .filter(|(old_mode, _)| old_mode.is_tree())
                        .map(|(_, old_id)| *old_id);
                    queue.push_back((old_subtree, id, path, depth + 1));
                }
                kind @ (EntryKind::Blob | EntryKind::BlobExecutable) => {
                    files.push(repo::TreeFile { path, kind, id });
                }
                EntryKind::Link | EntryKind::Commit => {}
            }
        }
    }
    Ok(files)
}
