//! Snapshots: immutable views of a repository's files.
//!
//! Rules never touch the file system or git directly; they see a [`Snapshot`]. The same engine
//! therefore checks a work tree, the index, a commit in the past, or an in-memory snapshot that an
//! embedder or a unit test builds with [`MemorySnapshot`].

use std::collections::BTreeSet;
use std::io;

/// What kind of entry a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileMode {
    /// A regular file.
    File,
    /// A regular file with the executable bit.
    Executable,
    /// A symbolic link. Its bytes are the link target; it is never followed.
    Symlink,
    /// A submodule (gitlink). It has no bytes and is never descended into.
    Submodule,
}

impl FileMode {
    /// Whether the entry has readable contents of its own (files and executables).
    pub fn is_regular(self) -> bool {
        matches!(self, FileMode::File | FileMode::Executable)
    }
}

/// One path of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Repository-relative path with `/` separators. Paths that are not valid UTF-8 are
    /// converted lossily here; [`FileEntry::path_is_lossy`] says so, and reads still use the
    /// original bytes through [`FileEntry::key`].
    pub path: String,
    /// The entry's mode.
    pub mode: FileMode,
    /// Size in bytes when the source knows it without reading the contents.
    pub size: Option<u64>,
    /// An index private to the snapshot that produced this entry, used to read it.
    pub key: usize,
    /// True when the original path was not valid UTF-8.
    pub path_is_lossy: bool,
}

/// Where a snapshot came from, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// Files on disk: tracked plus untracked-but-not-ignored, or a plain directory.
    Worktree,
    /// The git index (what is staged).
    Staged,
    /// A commit's tree.
    Rev(String),
    /// Built in memory by an embedder or a test.
    Memory,
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceKind::Worktree => f.write_str("worktree"),
            SourceKind::Staged => f.write_str("staged"),
            SourceKind::Rev(rev) => write!(f, "rev {rev}"),
            SourceKind::Memory => f.write_str("memory"),
        }
    }
}

/// An immutable view of a repository's files.
///
/// Implementations must be cheap to share between threads: the engine reads files in parallel.
pub trait Snapshot: Send + Sync {
    /// Every entry, sorted by path, without duplicates.
    fn files(&self) -> &[FileEntry];

    /// The bytes of a regular file or the target of a symlink. Never follows a symlink.
    fn read(&self, file: &FileEntry) -> io::Result<Vec<u8>>;

    /// The size of a file in bytes, without reading it when the source allows.
    fn size(&self, file: &FileEntry) -> io::Result<u64> {
        match file.size {
            Some(size) => Ok(size),
            None => self.read(file).map(|bytes| bytes.len() as u64),
        }
    }

    /// The bytes of a file of at most `limit` bytes, or `Ok(Err(size))` for a larger one, which
    /// is not read. Sources that learn the size while opening the file (a work tree: one
    /// `fstat` of the open handle) override this to spare a separate look-up per file.
    fn read_within(&self, file: &FileEntry, limit: u64) -> io::Result<Result<Vec<u8>, u64>> {
        let size = self.size(file)?;
        if size > limit {
            return Ok(Err(size));
        }
        self.read(file).map(Ok)
    }

    /// The paths changed against a base (staged vs HEAD, or a pull request's range), when the
    /// snapshot is judged in change mode. `None` means every file is judged.
    fn changed(&self) -> Option<&BTreeSet<String>> {
        None
    }

    /// What the change did to the list of paths, in change mode: the paths it added and those
    /// it removed. `None` when unknown, which the engine reads as "the list may have changed".
    fn path_changes(&self) -> Option<&PathChanges> {
        None
    }

    /// Where this snapshot came from.
    fn source(&self) -> SourceKind;

    /// A display name for the root (a directory, or a description).
    fn root(&self) -> String;

    /// The commit the snapshot was taken from, when there is one.
    fn commit(&self) -> Option<String> {
        None
    }
}

/// What a change did to a snapshot's list of paths (see [`Snapshot::path_changes`]). A rename
/// is a removal and an addition; an edit of a file's contents is neither.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathChanges {
    /// Paths the change added; [`Snapshot::changed`] has them too.
    pub added: BTreeSet<String>,
    /// Paths the change removed: on the base, not in the snapshot.
    pub removed: BTreeSet<String>,
}

impl PathChanges {
    /// Whether a path was added or removed.
    pub fn list_changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// A snapshot held in memory: for embedders, tests and tools that generate repositories.
#[derive(Debug, Default, Clone)]
pub struct MemorySnapshot {
    entries: Vec<FileEntry>,
    contents: Vec<Vec<u8>>,
    changed: Option<BTreeSet<String>>,
    path_changes: Option<PathChanges>,
}

impl MemorySnapshot {
    /// An empty snapshot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a regular file.
    pub fn with_file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        self.insert(path.into(), FileMode::File, contents.into());
        self
    }

    /// Adds (or replaces) an entry with an explicit mode.
    pub fn with_entry(
        mut self,
        path: impl Into<String>,
        mode: FileMode,
        contents: impl Into<Vec<u8>>,
    ) -> Self {
        self.insert(path.into(), mode, contents.into());
        self
    }

    /// Marks the snapshot as judged in change mode with these changed paths.
    pub fn with_changed<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.changed = Some(paths.into_iter().map(Into::into).collect());
        self
    }

    /// Says which of the changed paths the change added and which paths it removed, so that
    /// repository-wide rules whose inputs did not change are not run (see
    /// [`Scope::Repository`](crate::rule::Scope::Repository)).
    pub fn with_path_changes(mut self, changes: PathChanges) -> Self {
        self.path_changes = Some(changes);
        self
    }

    fn insert(&mut self, path: String, mode: FileMode, contents: Vec<u8>) {
        let size = Some(contents.len() as u64);
        match self
            .entries
            .binary_search_by(|e| e.path.as_str().cmp(&path))
        {
            Ok(pos) => {
                let key = self.entries[pos].key;
                self.entries[pos].mode = mode;
                self.entries[pos].size = size;
                self.contents[key] = contents;
            }
            Err(pos) => {
                let key = self.contents.len();
                self.contents.push(contents);
                self.entries.insert(
                    pos,
                    FileEntry {
                        path,
                        mode,
                        size,
                        key,
                        path_is_lossy: false,
                    },
                );
            }
        }
    }
}

impl Snapshot for MemorySnapshot {
    fn files(&self) -> &[FileEntry] {
        &self.entries
    }

    fn read(&self, file: &FileEntry) -> io::Result<Vec<u8>> {
        self.contents
            .get(file.key)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, file.path.clone()))
    }

    fn changed(&self) -> Option<&BTreeSet<String>> {
        self.changed.as_ref()
    }

    fn path_changes(&self) -> Option<&PathChanges> {
        self.path_changes.as_ref()
    }

    fn source(&self) -> SourceKind {
        SourceKind::Memory
    }

    fn root(&self) -> String {
        "<memory>".to_owned()
    }
}

/// `dir/rel` as a repository path, with `.` and `..` resolved: what a manifest or a
/// kustomization means by a relative path written in a file under `dir`. `None` for an
/// absolute path (`/x`, `~/x`, `C:\x`) or one that climbs out of the repository.
pub fn join_relative(dir: &str, rel: &str) -> Option<String> {
    if rel.starts_with(['/', '~']) || rel.contains('\\') && rel.contains(':') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_snapshot_keeps_paths_sorted_and_replaces() {
        let snap = MemorySnapshot::new()
            .with_file("b.txt", "b")
            .with_file("a.txt", "a")
            .with_file("b.txt", "B");
        let paths: Vec<_> = snap.files().iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a.txt", "b.txt"]);
        let b = &snap.files()[1];
        assert_eq!(snap.read(b).unwrap(), b"B");
        assert_eq!(snap.size(b).unwrap(), 1);
    }
}
