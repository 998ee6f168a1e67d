//! Git snapshots for goldpath.
//!
//! This crate is the only one that talks to git (through [gix]). It turns a path and a [`Source`]
//! into a [`GitSnapshot`], which implements [`goldpath::snapshot::Snapshot`]:
//!
//! - [`Source::Worktree`]: the files on disk. Inside a git work tree that is the tracked files that
//!   still exist plus the untracked files that are not ignored, rooted at the work tree's top level.
//!   Outside of a repository the path is walked as a plain directory (still honouring `.gitignore`).
//!   The walk stats nothing: a tracked file's executable bit is the index's (what `git add`
//!   recorded), an untracked file's is looked up, and sizes come when asked or when read.
//! - [`Source::Tracked`]: the tracked files (the index's paths, as `git ls-files` lists them), read
//!   from disk, without walking the directories: the fastest listing, for commands that judge
//!   tracked files only.
//! - [`Source::Staged`]: what the index holds, read from the object database, so edits made after
//!   `git add` are not seen. It honours `GIT_INDEX_FILE`, as hooks run by `git commit -a` need.
//! - [`Source::Rev`]: a commit's tree, read without a checkout.
//!
//! [`read_at_rev`] reads one file of a commit and [`changed_between`] lists what a branch changed
//! since it forked from a base.
#![warn(missing_docs)]

mod cache_tree;
mod error;
mod objects;
mod paths;
mod range;
mod repo;
mod rev;
mod staged;
mod walk;
mod worktree;

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use goldpath::snapshot::{FileEntry, FileMode, Snapshot, SourceKind};

pub use error::GitError;
pub use range::{
    changed_paths, changes, history_snapshots, hooks_dir, merge_base, Changes, History,
    HistoryCommit, MAX_HISTORY_BLOBS, MAX_HISTORY_COMMITS,
};
pub use repo::{MAX_PATH_BYTES, MAX_TREE_DEPTH, MAX_TREE_ENTRIES};
pub use rev::{changed_between, read_at_rev};

/// Reads a file of the work tree as a work-tree snapshot reads it: without following a
/// symbolic link (its target path is read instead), without blocking on a FIFO, and only when
/// it is at most `limit` bytes (otherwise `Ok(Err(size))`).
pub fn read_work_tree_file(path: &Path, limit: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    worktree::read_within(path, limit)
}

use objects::ObjectReader;

/// Which view of a repository to snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The files on disk: tracked plus untracked-but-not-ignored, or a plain directory.
    Worktree,
    /// The tracked files, as `git ls-files` lists them, read from disk. No directory walk, so
    /// untracked files are not listed; a tracked file deleted from the work tree is listed and
    /// fails to read. Outside of a repository this is the same as [`Source::Worktree`].
    Tracked,
    /// The index: what `git commit` would record.
    Staged,
    /// The tree of a revision: a branch, a tag, a commit id or an expression like `HEAD~1`.
    /// A revision that names a tree (`HEAD:docs`) works too; the snapshot then has no commit.
    Rev(String),
}

/// Where a repository lives, as found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// The top level of the work tree, or `None` for a bare repository.
    pub work_tree: Option<PathBuf>,
    /// The git directory (`.git`, or the repository itself when bare).
    pub git_dir: PathBuf,
    /// Whether the repository is bare.
    pub is_bare: bool,
}

/// Finds the repository that contains `path`, honouring `GIT_DIR` and `GIT_WORK_TREE`.
///
/// Returns `Ok(None)` when `path` is not inside a repository.
pub fn discover(path: &Path) -> Result<Option<RepoInfo>, GitError> {
    repo::check_exists(path)?;
    Ok(repo::discover(path)?.map(|repo| repo::info(&repo)))
}

/// Opens a snapshot of `path` as seen through `source`.
///
/// For [`Source::Worktree`] a path outside of any repository is walked as a plain directory; the
/// other sources need a repository and say so in their error.
pub fn open(path: &Path, source: Source) -> Result<GitSnapshot, GitError> {
    repo::check_exists(path)?;
    let started = std::time::Instant::now();
    let snapshot = match source {
        Source::Worktree => worktree::open(path)?,
        Source::Tracked => worktree::open_tracked(path)?,
        Source::Staged => staged::open(path)?,
        Source::Rev(rev) => rev::open(path, &rev)?,
    };
    tracing::debug!(
        source = %snapshot.source,
        files = snapshot.files.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "opened snapshot"
    );
    Ok(snapshot)
}

/// A snapshot of a work tree, an index or a commit. See [`open`].
///
/// It is `Send + Sync`, and [`Snapshot::read`] may be called from many threads at once.
pub struct GitSnapshot {
    files: Vec<FileEntry>,
    changed: Option<BTreeSet<String>>,
    path_changes: Option<goldpath::PathChanges>,
    /// For a staged snapshot: how HEAD differs from it (see [`GitSnapshot::base`]).
    base: Option<BaseDelta>,
    source: SourceKind,
    root: String,
    commit: Option<String>,
    repo: Option<RepoInfo>,
    /// The mode of each entry, indexed by [`FileEntry::key`].
    modes: Vec<FileMode>,
    reader: Reader,
}

/// What a base commit has that a snapshot of a change does not: enough to list the base from
/// the snapshot's own listing.
pub(crate) struct BaseDelta {
    /// The base commit.
    pub(crate) commit: String,
    /// Paths the change added: not in the base.
    pub(crate) added: BTreeSet<String>,
    /// The base's version of each modified path.
    pub(crate) before: HashMap<String, (gix::objs::tree::EntryKind, gix::ObjectId)>,
    /// The base's entries the change removed.
    pub(crate) removed: Vec<repo::TreeFile>,
}

enum Reader {
    /// Files on disk under `root`, named by their entries' paths; `lossy[key]` holds the
    /// original bytes of names that are not UTF-8.
    /// When the listing did not come from a walk that refuses symlinked directories,
    /// `check_parents` makes each read refuse a path with a symlink among its directories.
    Disk {
        root: PathBuf,
        lossy: HashMap<usize, Vec<u8>>,
        check_parents: bool,
    },
    /// Objects in the object database; `ids[key]` is the blob (or gitlink commit) id.
    Objects {
        odb: Box<ObjectReader>,
        ids: Vec<gix::ObjectId>,
    },
}

impl std::fmt::Debug for GitSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSnapshot")
            .field("source", &self.source)
            .field("root", &self.root)
            .field("commit", &self.commit)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

impl GitSnapshot {
    /// Judges the snapshot in change mode: per-file rules see only these paths (pull-request
    /// mode sets the paths changed since the merge base).
    pub fn with_changed(mut self, changed: BTreeSet<String>) -> Self {
        self.changed = Some(changed);
        self
    }

    /// Judges the snapshot in change mode with what a [`Changes`] says: per-file rules see the
    /// added and modified paths, and repository-wide rules run when their inputs changed.
    pub fn with_changes(mut self, changes: Changes) -> Self {
        self.changed = Some(changes.changed);
        self.path_changes = Some(changes.paths);
        self
    }

    /// Forgets which paths were added and removed: in change mode every repository-wide rule
    /// then runs, whatever its inputs (`check --all`).
    pub fn without_path_changes(mut self) -> Self {
        self.path_changes = None;
        self
    }

    /// For a staged snapshot: HEAD's tree, judged in the same change mode (the same changed
    /// paths), so that findings the change did not introduce can be told apart. Built from the
    /// index's listing and what the comparison with HEAD found, without listing HEAD's tree.
    /// `None` for other sources and for a repository without commits.
    pub fn base(&self) -> Option<GitSnapshot> {
        let delta = self.base.as_ref()?;
        let Reader::Objects { odb, ids } = &self.reader else {
            return None;
        };
        let mut entries = Vec::with_capacity(self.files.len() + delta.removed.len());
        for file in &self.files {
            if delta.added.contains(&file.path) {
                continue;
            }
            let (kind, id) = match delta.before.get(&file.path) {
                Some(before) => *before,
                None => (
                    repo::kind_of_mode(*self.modes.get(file.key)?),
                    *ids.get(file.key)?,
                ),
            };
            entries.push(repo::TreeFile {
                path: file.path.as_bytes().to_vec(),
                kind,
                id,
            });
        }
        entries.extend(delta.removed.iter().cloned());
        let mut base = object_snapshot(
            odb.repository(),
            self.repo.clone()?,
            entries,
            SourceKind::Rev("HEAD".to_owned()),
            Some(delta.commit.clone()),
            self.changed.clone(),
        );
        base.path_changes = self.path_changes.clone();
        Some(base)
    }

    /// The repository the snapshot came from, or `None` for a plain directory.
    pub fn repo_info(&self) -> Option<&RepoInfo> {
        self.repo.as_ref()
    }

    fn mode_of(&self, file: &FileEntry) -> io::Result<FileMode> {
        self.modes.get(file.key).copied().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not part of this snapshot", file.path),
            )
        })
    }
}

impl Snapshot for GitSnapshot {
    fn files(&self) -> &[FileEntry] {
        &self.files
    }

    fn read(&self, file: &FileEntry) -> io::Result<Vec<u8>> {
        let mode = self.mode_of(file)?;
        if mode == FileMode::Submodule {
            return Ok(Vec::new());
        }
        match &self.reader {
            Reader::Disk {
                root,
                lossy,
                check_parents,
            } => {
                let rel = disk_path(lossy, file)?;
                if *check_parents {
                    worktree::refuse_symlinked_parents(root, rel)?;
                }
                worktree::read(&root.join(rel))
            }
            Reader::Objects { odb, ids } => {
                let id = ids.get(file.key).ok_or_else(|| not_in_snapshot(file))?;
                odb.read_blob(*id, &file.path)
            }
        }
    }

    fn size(&self, file: &FileEntry) -> io::Result<u64> {
        if let Some(size) = file.size {
            return Ok(size);
        }
        if self.mode_of(file)? == FileMode::Submodule {
            return Ok(0);
        }
        match &self.reader {
            Reader::Disk {
                root,
                lossy,
                check_parents,
            } => {
                let rel = disk_path(lossy, file)?;
                if *check_parents {
                    worktree::refuse_symlinked_parents(root, rel)?;
                }
                // A symlink's size is its target's length, as git records it.
                std::fs::symlink_metadata(root.join(rel)).map(|meta| meta.len())
            }
            Reader::Objects { odb, ids } => {
                let id = ids.get(file.key).ok_or_else(|| not_in_snapshot(file))?;
                odb.blob_size(*id, &file.path)
            }
        }
    }

    fn read_within(&self, file: &FileEntry, limit: u64) -> io::Result<Result<Vec<u8>, u64>> {
        match &self.reader {
            Reader::Disk {
                root,
                lossy,
                check_parents,
            } if self.mode_of(file)? != FileMode::Submodule => {
                let rel = disk_path(lossy, file)?;
                if *check_parents {
                    worktree::refuse_symlinked_parents(root, rel)?;
                }
                worktree::read_within(&root.join(rel), limit)
            }
            _ => {
                let size = self.size(file)?;
                if size > limit {
                    return Ok(Err(size));
                }
                self.read(file).map(Ok)
            }
        }
    }

    fn changed(&self) -> Option<&BTreeSet<String>> {
        self.changed.as_ref()
    }

    fn path_changes(&self) -> Option<&goldpath::PathChanges> {
        self.path_changes.as_ref()
    }

    fn source(&self) -> SourceKind {
        self.source.clone()
    }

    fn root(&self) -> String {
        self.root.clone()
    }

    fn commit(&self) -> Option<String> {
        self.commit.clone()
    }
}

/// The path on disk, relative to the root, of a work-tree entry.
fn disk_path<'p>(lossy: &'p HashMap<usize, Vec<u8>>, file: &'p FileEntry) -> io::Result<&'p Path> {
    let rel = if file.path_is_lossy {
        lossy.get(&file.key).ok_or_else(|| not_in_snapshot(file))?
    } else {
        file.path.as_bytes()
    };
    paths::from_git(rel).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} cannot be named on this platform", file.path),
        )
    })
}

fn not_in_snapshot(file: &FileEntry) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{} is not part of this snapshot", file.path),
    )
}

/// One entry before sorting: its git-style path bytes (`/`-separated), mode and known size.
pub(crate) struct RawEntry {
    pub(crate) path: Vec<u8>,
    pub(crate) mode: FileMode,
    pub(crate) size: Option<u64>,
    /// A regular file listed by a walk without a `stat`: whether it is executable is not known
    /// yet (the index says so for a tracked file; an untracked one is looked up).
    pub(crate) exec_unknown: bool,
}

/// Builds the sorted [`FileEntry`] list; each entry's key is its position in `raw`.
/// A snapshot whose bytes come from the object database: a commit's tree or the index.
/// Entries git cannot check out (such as trees) are left out.
pub(crate) fn object_snapshot(
    repository: gix::ThreadSafeRepository,
    info: RepoInfo,
    entries: Vec<repo::TreeFile>,
    source: SourceKind,
    commit: Option<String>,
    changed: Option<BTreeSet<String>>,
) -> GitSnapshot {
    let mut raw = Vec::with_capacity(entries.len());
    let mut modes = Vec::with_capacity(entries.len());
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some(mode) = repo::mode_of_kind(entry.kind) else {
            continue;
        };
        modes.push(mode);
        ids.push(entry.id);
        raw.push(RawEntry {
            path: entry.path,
            mode,
            size: (mode == FileMode::Submodule).then_some(0),
            exec_unknown: false,
        });
    }
    let root = info
        .work_tree
        .as_deref()
        .unwrap_or(&info.git_dir)
        .display()
        .to_string();
    GitSnapshot {
        files: sorted_entries(&raw),
        changed,
        path_changes: None,
        base: None,
        source,
        root,
        commit,
        repo: Some(info),
        modes,
        reader: Reader::Objects {
            odb: Box::new(ObjectReader::new(repository)),
            ids,
        },
    }
}

pub(crate) fn sorted_entries(raw: &[RawEntry]) -> Vec<FileEntry> {
    let mut files: Vec<FileEntry> = raw
        .iter()
        .enumerate()
        .map(|(key, entry)| {
            let (path, path_is_lossy) = paths::lossy(&entry.path);
            FileEntry {
                path,
                mode: entry.mode,
                size: entry.size,
                key,
                path_is_lossy,
            }
        })
        .collect();
    // Sources mostly hand over sorted lists already, which a stable sort detects cheaply.
    files.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| raw[a.key].path.cmp(&raw[b.key].path))
    });
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn snapshot_is_send_and_sync() {
        assert_send_sync::<GitSnapshot>();
    }
}
