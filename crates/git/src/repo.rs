//! Finding repositories and walking their trees.

use std::path::{Path, PathBuf};

use gix::objs::tree::EntryKind;
use goldpath::snapshot::FileMode;

use crate::error::{describe, GitError};
use crate::RepoInfo;

/// Fails with a helpful error when `path` does not exist.
pub(crate) fn check_exists(path: &Path) -> Result<(), GitError> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|source| GitError::PathNotFound {
            path: path.to_owned(),
            source,
        })
}

/// Discovers the repository containing `path`, honouring `GIT_DIR`, `GIT_WORK_TREE`,
/// `GIT_INDEX_FILE` and `GIT_CEILING_DIRECTORIES`. `Ok(None)` when there is none.
pub(crate) fn discover(path: &Path) -> Result<Option<gix::ThreadSafeRepository>, GitError> {
    let start = if path.is_file() {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    } else {
        path
    };
    match gix::ThreadSafeRepository::discover_with_environment_overrides(start) {
        Ok(repo) => Ok(Some(repo)),
        Err(err) if is_no_repository(&err) => Ok(None),
        Err(err) => Err(GitError::Open {
            path: path.to_owned(),
            message: describe(&err),
        }),
    }
}

/// Like [`discover`], but a missing repository is an error naming `what` needed it.
pub(crate) fn require(
    path: &Path,
    what: &'static str,
) -> Result<gix::ThreadSafeRepository, GitError> {
    discover(path)?.ok_or_else(|| GitError::NotARepository {
        what,
        path: path.to_owned(),
    })
}

fn is_no_repository(err: &gix::Error) -> bool {
    use gix::discover::upwards::Error as Upwards;
    err.downcast_any_ref::<Upwards>().is_some_and(|err| {
        matches!(
            err,
            Upwards::NoGitRepository { .. }
                | Upwards::NoGitRepositoryWithinCeiling { .. }
                | Upwards::NoGitRepositoryWithinFs { .. }
        )
    })
}

/// Describes a repository for [`RepoInfo`].
pub(crate) fn info(repo: &gix::ThreadSafeRepository) -> RepoInfo {
    let local = repo.to_thread_local();
    let is_bare = local.is_bare();
    RepoInfo {
        work_tree: if is_bare {
            None
        } else {
            local.workdir().map(absolute)
        },
        git_dir: absolute(local.git_dir()),
        is_bare,
    }
}

/// An absolute, normalised form of `path` for display and stable joins; `path` itself if that fails.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// The snapshot mode of a tree entry; `None` for trees.
/// The tree entry kind of a snapshot entry's mode (the inverse of [`mode_of_kind`]).
pub(crate) fn kind_of_mode(mode: FileMode) -> EntryKind {
    match mode {
        FileMode::File => EntryKind::Blob,
        FileMode::Executable => EntryKind::BlobExecutable,
        FileMode::Symlink => EntryKind::Link,
        FileMode::Submodule => EntryKind::Commit,
    }
}

pub(crate) fn mode_of_kind(kind: EntryKind) -> Option<FileMode> {
    match kind {
        EntryKind::Blob => Some(FileMode::File),
        EntryKind::BlobExecutable => Some(FileMode::Executable),
        EntryKind::Link => Some(FileMode::Symlink),
        EntryKind::Commit => Some(FileMode::Submodule),
        EntryKind::Tree => None,
    }
}

/// One non-tree entry of a tree, found recursively.
#[derive(Clone)]
pub(crate) struct TreeFile {
    pub(crate) path: Vec<u8>,
    pub(crate) kind: EntryKind,
    pub(crate) id: gix::ObjectId,
}

/// Reads the index at `path` (the repository's, or `GIT_INDEX_FILE`).
///
/// The trailing checksum is not verified, as git itself only verifies it in `git fsck`: hashing
/// a large index costs more than decoding it, and a damaged index still fails to decode.
pub(crate) fn open_index(
    repo: &gix::Repository,
    path: &std::path::Path,
) -> Result<gix::index::File, GitError> {
    gix::index::File::at(
        path,
        repo.object_hash(),
        true,
        gix::index::decode::Options::default(),
    )
    .map_err(|err| GitError::Index {
        path: path.to_owned(),
        message: describe(&err),
    })
}

/// The most entries (files, links, submodules and directories) one tree may hold, counted
/// over all its subtrees: a "tree bomb" of a few objects that name each other many times
/// hits it instead of exhausting memory.
pub const MAX_TREE_ENTRIES: usize = 1_000_000;

/// The deepest nesting of directories in a tree.
pub const MAX_TREE_DEPTH: usize = 256;

/// The longest path, in bytes, of an entry in a tree.
pub const MAX_PATH_BYTES: usize = 4096;

/// Every non-tree entry of `tree`, in breadth-first order, with `prefix` (when not empty) and a
/// `/` before each path.
///
/// The tree is read level by level from a queue, not by recursion, so no depth can overflow
/// the stack; a subtree that appears many times is decoded once. Entries, depth and path length
/// are limited ([`MAX_TREE_ENTRIES`], [`MAX_TREE_DEPTH`], [`MAX_PATH_BYTES`]).
pub(crate) fn tree_files(tree: &gix::Tree<'_>, prefix: &[u8]) -> Result<Vec<TreeFile>, GitError> {
    use std::collections::{HashMap, VecDeque};
    use std::rc::Rc;
    type Listing = Rc<Vec<(Vec<u8>, gix::objs::tree::EntryMode, gix::ObjectId)>>;

    let limit = |what: String| GitError::Limit {
        what: format!("tree {}", tree.id),
        message: what,
    };
    let repo = tree.repo;
    let mut listings: HashMap<gix::ObjectId, Listing> = HashMap::new();
    let mut queue: VecDeque<(gix::ObjectId, Vec<u8>, usize)> = VecDeque::new();
    queue.push_back((tree.id, prefix.to_vec(), 0));
    let mut files = Vec::new();
    let mut entries = 0usize;
    while let Some((id, dir, depth)) = queue.pop_front() {
        let listing = match listings.get(&id) {
            Some(listing) => listing.clone(),
            None => {
                let subtree = repo.find_tree(id).map_err(|err| GitError::Object {
                    what: format!("tree {id}"),
                    message: describe(&err),
                })?;
                let decoded = subtree.decode().map_err(|err| GitError::Object {
                    what: format!("tree {id}"),
                    message: describe(&err),
                })?;
                let listing: Listing = Rc::new(
                    decoded
                        .entries
                        .iter()
                        .map(|e| (e.filename.to_vec(), e.mode, e.oid.to_owned()))
                        .collect(),
                );
                listings.insert(id, listing.clone());
                listing
            }
        };
        entries = entries.saturating_add(listing.len());
        if entries > MAX_TREE_ENTRIES {
            return Err(limit(format!(
                "it has more than {MAX_TREE_ENTRIES} entries, the limit of entries per tree"
            )));
        }
        for (name, mode, oid) in listing.iter() {
            let mut path = Vec::with_capacity(dir.len() + 1 + name.len());
            if !dir.is_empty() {
                path.extend_from_slice(&dir);
                path.push(b'/');
            }
            path.extend_from_slice(name);
            if path.len() > MAX_PATH_BYTES {
                return Err(limit(format!(
                    "the path `{}...` is longer than {MAX_PATH_BYTES} bytes, the limit of path \
                     length",
                    String::from_utf8_lossy(&path[..64.min(path.len())])
                )));
            }
            if mode.is_tree() {
                if depth + 1 > MAX_TREE_DEPTH {
                    return Err(limit(format!(
                        "directories nest deeper than {MAX_TREE_DEPTH} levels, the limit of \
                         tree depth"
                    )));
                }
                queue.push_back((*oid, path, depth + 1));
            } else {
                files.push(TreeFile {
                    path,
                    kind: mode.kind(),
                    id: *oid,
                });
            }
        }
    }
    Ok(files)
}

/// Every non-tree entry of `tree`, sorted by path bytes: what a comparison needs.
pub(crate) fn sorted_tree_files(tree: &gix::Tree<'_>) -> Result<Vec<TreeFile>, GitError> {
    let mut files = tree_files(tree, b"")?;
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The entries of `after` that are missing from `before` or differ in kind or object: what was
/// added or modified. Both lists must be sorted by path bytes.
pub(crate) fn added_or_modified<'a>(
    before: &[TreeFile],
    after: &'a [TreeFile],
) -> Vec<&'a TreeFile> {
    let mut at = 0;
    after
        .iter()
        .filter(|file| {
            while at < before.len() && before[at].path < file.path {
                at += 1;
            }
            !before.get(at).is_some_and(|old| {
                old.path == file.path && old.kind == file.kind && old.id == file.id
            })
        })
        .collect()
}

/// The commit `HEAD` points to, or `None` when the branch is unborn.
pub(crate) fn head_commit(repo: &gix::Repository) -> Result<Option<gix::Commit<'_>>, GitError> {
    let mut head = repo.head().map_err(|err| GitError::Object {
        what: "HEAD".to_owned(),
        message: describe(&err),
    })?;
    if head.is_unborn() {
        return Ok(None);
    }
    head.peel_to_commit()
        .map(Some)
        .map_err(|err| GitError::Object {
            what: "the commit HEAD points to".to_owned(),
            message: describe(&err),
        })
}

/// Resolves `rev` to its tree, and to its commit when it names one (rather than a tree).
pub(crate) fn resolve_tree<'repo>(
    repo: &'repo gix::Repository,
    rev: &str,
) -> Result<(gix::Tree<'repo>, Option<gix::ObjectId>), GitError> {
    let not_found = |err: gix::Error| GitError::RevisionNotFound {
        rev: rev.to_owned(),
        message: describe(&err),
    };
    let id = repo.rev_parse_single(rev).map_err(not_found)?;
    let object = id
        .object()
        .and_then(|object| object.peel_tags_to_end())
        .map_err(not_found)?;
    match object.kind {
        gix::objs::Kind::Commit => {
            let commit_id = object.id;
            let tree = object
                .into_commit()
                .tree()
                .map_err(|err| GitError::Object {
                    what: format!("the tree of commit {commit_id}"),
                    message: describe(&err),
                })?;
            Ok((tree, Some(commit_id)))
        }
        gix::objs::Kind::Tree => Ok((object.into_tree(), None)),
        kind => Err(GitError::NotACommit {
            rev: rev.to_owned(),
            kind: kind.to_string(),
        }),
    }
}
