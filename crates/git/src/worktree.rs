//! The work tree: tracked files that exist plus untracked files that are not ignored.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use goldpath::snapshot::{FileEntry, FileMode, SourceKind};

use crate::error::GitError;
use crate::walk::{mode_of_metadata, walk, WalkOptions};
use crate::{paths, repo, GitSnapshot, RawEntry, Reader};

/// Opens the work tree containing `path`, or `path` as a plain directory outside of a repository.
pub(crate) fn open(path: &Path) -> Result<GitSnapshot, GitError> {
    match repo::discover(path)? {
        Some(repository) => open_repository(repository),
        None => open_plain(path),
    }
}

fn open_plain(path: &Path) -> Result<GitSnapshot, GitError> {
    if !path.is_dir() {
        return Err(GitError::Walk {
            path: path.to_owned(),
            message: "not a directory; give the directory to check".to_owned(),
        });
    }
    let root = repo::absolute(path);
    let walked = walk(
        &root,
        &WalkOptions {
            in_repository: false,
            gitlinks: HashSet::new(),
            exclude_file: None,
        },
    )?;
    let walked = settle_exec_bits(&root, walked);
    Ok(finish(root, walked, None, None, false))
}

/// Opens the tracked files of the work tree containing `path`: the index's paths, read from
/// disk, without a directory walk (what `git ls-files` lists). A plain directory is walked.
pub(crate) fn open_tracked(path: &Path) -> Result<GitSnapshot, GitError> {
    let Some(repository) = repo::discover(path)? else {
        return open_plain(path);
    };
    let info = repo::info(&repository);
    let local = repository.to_thread_local();
    let Some(root) = info.work_tree.clone() else {
        return Err(GitError::BareRepository {
            what: "work tree",
            git_dir: info.git_dir.clone(),
        });
    };
    let commit = repo::head_commit(&local)?.map(|c| c.id.to_string());
    let started = std::time::Instant::now();
    let index = load_index(&local)?;
    tracing::debug!(entries = index.entries().len(), elapsed = ?started.elapsed(), "read the index");
    // The entries are built straight from the index, one allocation per path: no list of
    // borrowed paths, no list of raw entries in between.
    let mut files: Vec<FileEntry> = Vec::with_capacity(index.entries().len());
    let mut modes: Vec<FileMode> = Vec::with_capacity(index.entries().len());
    let mut lossy = HashMap::new();
    let mut sorted = true;
    let mut previous: &[u8] = &[];
    for entry in index.entries() {
        let Some(mode) = tracked_mode(entry) else {
            continue;
        };
        let path: &[u8] = entry.path(&index);
        if !files.is_empty() {
            match previous.cmp(path) {
                // Conflict stages collapse to one path.
                std::cmp::Ordering::Equal => continue,
                std::cmp::Ordering::Greater => sorted = false,
                std::cmp::Ordering::Less => {}
            }
        }
        previous = path;
        let key = files.len();
        let (path, path_is_lossy) = match std::str::from_utf8(path) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => {
                lossy.insert(key, path.to_vec());
                (String::from_utf8_lossy(path).into_owned(), true)
            }
        };
        files.push(FileEntry {
            path,
            mode,
            // Sizes are asked for lazily: a listing is all most callers need.
            size: (mode == FileMode::Submodule).then_some(0),
            key,
            path_is_lossy,
        });
        modes.push(mode);
    }
    // The index is sorted by path bytes, which is the order of the names when all are UTF-8;
    // a lossy name or an index out of order is sorted as `finish` does.
    if (!sorted || !lossy.is_empty()) && !files.is_sorted_by(|a, b| a.path <= b.path) {
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(snapshot(
        root,
        files,
        modes,
        lossy,
        commit,
        Some(info),
        true,
    ))
}

/// Fails when a directory on the way from `root` to `rel` is a symlink (or `rel` is not a plain
/// relative path): git never looks through such directories, and neither do reads.
pub(crate) fn refuse_symlinked_parents(root: &Path, rel: &Path) -> io::Result<()> {
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: {why}", rel.display()),
        ))
    };
    let mut dir = root.to_path_buf();
    let mut components = rel.components().peekable();
    while let Some(component) = components.next() {
        let std::path::Component::Normal(name) = component else {
            return refuse("not a plain relative path");
        };
        if components.peek().is_none() {
            break;
        }
        dir.push(name);
        if !std::fs::symlink_metadata(&dir)?.is_dir() {
            return refuse("a directory on the way is a symlink or not a directory");
        }
    }
    Ok(())
}

fn open_repository(repository: gix::ThreadSafeRepository) -> Result<GitSnapshot, GitError> {
    let info = repo::info(&repository);
    let local = repository.to_thread_local();
    let Some(root) = info.work_tree.clone() else {
        return Err(GitError::BareRepository {
            what: "work tree",
            git_dir: info.git_dir.clone(),
        });
    };
    let commit = repo::head_commit(&local)?.map(|c| c.id.to_string());
    let index = load_index(&local)?;
    // With core.fileMode=false the file system's executable bits are meaningless: trust the index.
    let trust_fs_mode = local
        .config_snapshot()
        .boolean("core.fileMode")
        .unwrap_or(true);

    let tracked = tracked_entries(&index);
    let gitlinks: HashSet<Vec<u8>> = tracked
        .iter()
        .filter(|t| t.mode == FileMode::Submodule)
        .map(|t| t.path.to_vec())
        .collect();
    let exclude = local.common_dir().join("info").join("exclude");
    let walked = walk(
        &root,
        &WalkOptions {
            in_repository: true,
            gitlinks,
            exclude_file: exclude.is_file().then_some(exclude),
        },
    )?;

    // Both lists are sorted by path bytes (the index by git's rules, the walk below), so one
    // merge pass finds the tracked paths that the walk did not list.
    let mut raw = walked;
    let listed = raw.len();
    let mut at = 0;
    for entry in tracked {
        while at < listed && raw[at].path.as_slice() < entry.path {
            at += 1;
        }
        if at < listed && raw[at].path.as_slice() == entry.path {
            let on_disk = &mut raw[at];
            // A tracked regular file takes its executable bit from the index, as `git ls-files
            // -s` shows it, so the walk needs no `stat` per file; `git add` records a `chmod`.
            if (on_disk.exec_unknown || !trust_fs_mode)
                && on_disk.mode.is_regular()
                && entry.mode.is_regular()
            {
                on_disk.mode = entry.mode;
                on_disk.exec_unknown = false;
            }
            continue;
        }
        // Tracked but not listed by the walk: ignored, or inside an ignored directory. Include it
        // when it still exists, without following symlinks on the way.
        if let Some(mut found) = stat_tracked(&root, &entry) {
            if !trust_fs_mode && found.mode.is_regular() && entry.mode.is_regular() {
                found.mode = entry.mode;
            }
            raw.push(found);
        }
    }
    let raw = settle_exec_bits(&root, raw);
    Ok(finish(root, raw, commit, Some(info), false))
}

/// Looks up, in parallel, whether each walked regular file whose executable bit is still unknown
/// (untracked, or a file where the index has a symlink) is executable; a file gone meanwhile is
/// left out, as the walk would have.
fn settle_exec_bits(root: &Path, raw: Vec<RawEntry>) -> Vec<RawEntry> {
    use rayon::prelude::*;
    if !raw.iter().any(|e| e.exec_unknown) {
        return raw;
    }
    raw.into_par_iter()
        .with_min_len(256)
        .filter_map(|mut entry| {
            if !entry.exec_unknown {
                return Some(entry);
            }
            let meta = std::fs::symlink_metadata(root.join(paths::from_git(&entry.path)?)).ok()?;
            entry.mode = mode_of_metadata(&meta)?;
            entry.size = Some(meta.len());
            entry.exec_unknown = false;
            Some(entry)
        })
        .collect()
}

fn finish(
    root: PathBuf,
    raw: Vec<RawEntry>,
    commit: Option<String>,
    info: Option<crate::RepoInfo>,
    check_parents: bool,
) -> GitSnapshot {
    let modes = raw.iter().map(|e| e.mode).collect();
    // Each path's bytes move into its entry's name; only names that are not UTF-8 keep their
    // original bytes beside, for reading.
    let mut lossy = HashMap::new();
    let mut files: Vec<FileEntry> = raw
        .into_iter()
        .enumerate()
        .map(|(key, entry)| {
            let (path, path_is_lossy) = match String::from_utf8(entry.path) {
                Ok(path) => (path, false),
                Err(err) => {
                    let bytes = err.into_bytes();
                    let path = String::from_utf8_lossy(&bytes).into_owned();
                    lossy.insert(key, bytes);
                    (path, true)
                }
            };
            FileEntry {
                path,
                mode: entry.mode,
                size: entry.size,
                key,
                path_is_lossy,
            }
        })
        .collect();
    // Sources hand over lists sorted by bytes, which a stable sort detects in one pass; two
    // lossy names that read the same keep their byte order.
    if !files.is_sorted_by(|a, b| a.path <= b.path) {
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    snapshot(root, files, modes, lossy, commit, info, check_parents)
}

/// A snapshot of files on disk from its sorted entries.
fn snapshot(
    root: PathBuf,
    files: Vec<FileEntry>,
    modes: Vec<FileMode>,
    lossy: HashMap<usize, Vec<u8>>,
    commit: Option<String>,
    info: Option<crate::RepoInfo>,
    check_parents: bool,
) -> GitSnapshot {
    GitSnapshot {
        files,
        changed: None,
        path_changes: None,
        base: None,
        source: SourceKind::Worktree,
        root: root.display().to_string(),
        commit,
        repo: info,
        modes,
        reader: Reader::Disk {
            root,
            lossy,
            check_parents,
        },
    }
}

/// Reads a file or a symlink's target from disk, never following a symlink.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path)?;
        return Ok(paths::to_git(&target)
            .unwrap_or_else(|| target.to_string_lossy().into_owned().into_bytes()));
    }
    read_regular(path)
}

/// Reads a file or a symlink's target from disk, never following a symlink, unless it is larger
/// than `limit`: then its size. The size comes from the open handle (regular files) or the
/// symlink itself, so a file costs no look-up beyond its read.
pub(crate) fn read_within(path: &Path, limit: u64) -> io::Result<Result<Vec<u8>, u64>> {
    match open_regular(path) {
        Ok((file, size)) => {
            if size > limit {
                return Ok(Err(size));
            }
            read_open(file, size).map(Ok)
        }
        // O_NOFOLLOW refuses a symlink: read its target instead.
        Err(err) if is_symlink_error(&err) => {
            let target = read(path)?;
            let size = target.len() as u64;
            Ok(if size > limit { Err(size) } else { Ok(target) })
        }
        Err(err) => Err(err),
    }
}

#[cfg(unix)]
fn is_symlink_error(err: &io::Error) -> bool {
    err.raw_os_error() == Some(libc::ELOOP)
}

#[cfg(not(unix))]
fn is_symlink_error(_err: &io::Error) -> bool {
    false
}

/// Opens a regular file without following a symlink or blocking, and returns it with its size.
fn open_regular(path: &Path) -> io::Result<(std::fs::File, u64)> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a symlink"));
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device on disk): not read",
        ));
    }
    Ok((file, meta.len()))
}

/// Reads the `size` bytes the open handle reported, as git does: one `read` for a small file,
/// no second one to find the end. A file that shrank meanwhile ends early; one that grew is cut
/// at the size it had when opened.
fn read_open(file: std::fs::File, size: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(size).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a regular file, refusing anything else: a tracked path replaced on disk by a FIFO
/// would block the read forever, a device could never end. The file is opened without
/// blocking and checked through its handle, so it cannot be swapped in between.
fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let mut file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device on disk): not read",
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn load_index(repo: &gix::Repository) -> Result<gix::index::File, GitError> {
    let path = repo.index_path();
    if !path.exists() {
        return Ok(gix::index::File::from_state(
            gix::index::State::new(repo.object_hash()),
            path,
        ));
    }
    repo::open_index(repo, &path)
}

/// A tracked path, borrowed from the index, and the mode the index records for it.
struct Tracked<'index> {
    path: &'index [u8],
    mode: FileMode,
}

/// The index's paths, once each (conflict stages collapse to one path). Sparse directory entries
/// are skipped: their files are not checked out, so the walk is what counts there.
fn tracked_entries(index: &gix::index::File) -> Vec<Tracked<'_>> {
    let mut out: Vec<Tracked> = Vec::with_capacity(index.entries().len());
    for entry in index.entries() {
        let Some(mode) = tracked_mode(entry) else {
            continue;
        };
        let path: &[u8] = entry.path(index);
        if out.last().is_some_and(|last| last.path == path) {
            continue;
        }
        out.push(Tracked { path, mode });
    }
    out
}

/// The mode of a file the index tracks; `None` for a sparse directory entry.
fn tracked_mode(entry: &gix::index::Entry) -> Option<FileMode> {
    let kind = entry.mode.to_tree_entry_mode()?.kind();
    repo::mode_of_kind(kind)
}

/// Looks up a tracked path on disk that the walk did not list.
fn stat_tracked(root: &Path, entry: &Tracked<'_>) -> Option<RawEntry> {
    let rel = paths::from_git(entry.path)?;
    refuse_symlinked_parents(root, rel).ok()?;
    let full = root.join(rel);
    let meta = std::fs::symlink_metadata(&full).ok()?;
    let mode = if meta.is_dir() {
        if entry.mode != FileMode::Submodule {
            return None;
        }
        FileMode::Submodule
    } else {
        mode_of_metadata(&meta)?
    };
    Some(RawEntry {
        path: entry.path.to_vec(),
        mode,
        size: Some(if mode == FileMode::Submodule {
            0
        } else {
            meta.len()
        }),
        exec_unknown: false,
    })
}
