//! A parallel directory walk that honours `.gitignore` files, built for speed.
//!
//! Directories are listed in parallel on rayon's pool. Each entry's metadata comes from
//! `DirEntry::metadata`, which on Linux asks relative to the open directory instead of resolving
//! the whole path again, and `.gitignore` files are matched with the `ignore` crate's matcher.
//! Each directory's listing is sorted in git's tree order, so concatenating the listings
//! depth-first yields every path in byte order without a global sort.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::fs::{DirEntry, Metadata};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use goldpath::snapshot::FileMode;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

use crate::error::GitError;
use crate::{paths, RawEntry};

/// What to walk and how.
pub(crate) struct WalkOptions {
    /// Inside a repository, nested repositories and gitlinks are one entry each, never entered.
    pub(crate) in_repository: bool,
    /// Paths the index records as submodules (git form).
    pub(crate) gitlinks: HashSet<Vec<u8>>,
    /// `$GIT_COMMON_DIR/info/exclude`, when it exists: the lowest-precedence ignore rules.
    pub(crate) exclude_file: Option<PathBuf>,
}

/// Lists every file, symlink and (inside a repository) submodule under `root` that the ignore
/// rules do not exclude, sorted by path bytes. Directories named `.git` are never entered.
pub(crate) fn walk(root: &Path, options: &WalkOptions) -> Result<Vec<RawEntry>, GitError> {
    let walk_error = |message: String| GitError::Walk {
        path: root.to_owned(),
        message,
    };
    std::fs::read_dir(root).map_err(|err| walk_error(err.to_string()))?;
    let exclude = match &options.exclude_file {
        Some(file) => {
            let mut builder = GitignoreBuilder::new(root);
            if let Some(err) = builder.add(file) {
                tracing::warn!("could not fully read {}: {err}", file.display());
            }
            builder.build().ok()
        }
        None => None,
    };
    let walker = Walker {
        root,
        options,
        exclude,
        listings: Mutex::new(HashMap::new()),
        errors: Mutex::new(Vec::new()),
    };
    rayon::scope(|scope| walker.list_dir(scope, Vec::new(), None));
    let listings = walker
        .listings
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let errors = walker
        .errors
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for err in &errors {
        tracing::warn!("skipped while listing {}: {err}", root.display());
    }
    let mut out = assemble(listings);
    if !out.is_sorted_by(|a, b| a.path <= b.path) {
        out.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(out)
}

/// The `.gitignore` files that apply to a directory, innermost first.
struct IgnoreChain {
    matcher: Gitignore,
    /// Length of the directory's path (git form) that holds the `.gitignore`; 0 at the root.
    dir_len: usize,
    parent: Option<Arc<IgnoreChain>>,
}

/// One listed directory.
enum Listing {
    /// A nested repository: reported as one submodule entry.
    Repository,
    /// The directory's children, sorted in git's tree order.
    Children(Vec<Child>),
}

struct Child {
    entry: RawEntry,
    /// A directory that was walked; its children are in its own listing.
    is_dir: bool,
}

struct Walker<'a> {
    root: &'a Path,
    options: &'a WalkOptions,
    exclude: Option<Gitignore>,
    listings: Mutex<HashMap<Vec<u8>, Listing>>,
    errors: Mutex<Vec<String>>,
}

impl<'a> Walker<'a> {
    fn error(&self, message: String) {
        self.errors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(message);
    }

    fn store(&self, dir: Vec<u8>, listing: Listing) {
        self.listings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(dir, listing);
    }

    /// Lists the directory `dir` (git form, empty for the root), spawning a task per
    /// subdirectory.
    fn list_dir<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        dir: Vec<u8>,
        chain: Option<Arc<IgnoreChain>>,
    ) {
        let Some(rel) = paths::from_git(&dir) else {
            self.error(format!(
                "{}: path cannot be named here",
                String::from_utf8_lossy(&dir)
            ));
            return;
        };
        let abs = self.root.join(rel);
        let read = match std::fs::read_dir(&abs) {
            Ok(read) => read,
            Err(err) => {
                self.error(format!("{}: {err}", abs.display()));
                self.store(dir, Listing::Children(Vec::new()));
                return;
            }
        };
        let mut entries: Vec<(OsString, DirEntry)> = Vec::new();
        for entry in read {
            match entry {
                Ok(entry) => entries.push((entry.file_name(), entry)),
                Err(err) => self.error(format!("{}: {err}", abs.display())),
            }
        }
        if self.options.in_repository
            && !dir.is_empty()
            && entries.iter().any(|(name, _)| name == ".git")
        {
            self.store(dir, Listing::Repository);
            return;
        }

        let chain = match entries.iter().find(|(name, _)| name == ".gitignore") {
            Some((_, entry)) if entry.file_type().is_ok_and(|t| t.is_file()) => {
                let mut builder = GitignoreBuilder::new(&abs);
                if let Some(err) = builder.add(entry.path()) {
                    self.error(format!("{}: {err}", entry.path().display()));
                }
                match builder.build() {
                    Ok(matcher) if !matcher.is_empty() => Some(Arc::new(IgnoreChain {
                        matcher,
                        dir_len: dir.len(),
                        parent: chain,
                    })),
                    _ => chain,
                }
            }
            _ => chain,
        };

        let mut children = Vec::with_capacity(entries.len());
        for (name, entry) in entries {
            if name == ".git" {
                continue;
            }
            let Some(name_bytes) = name_to_git(name) else {
                self.error(format!(
                    "{}: path is not valid Unicode",
                    entry.path().display()
                ));
                continue;
            };
            let mut path = Vec::with_capacity(dir.len() + 1 + name_bytes.len());
            if !dir.is_empty() {
                path.extend_from_slice(&dir);
                path.push(b'/');
            }
            path.extend_from_slice(&name_bytes);

            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                Err(err) => {
                    self.error(format!("{}: {err}", entry.path().display()));
                    continue;
                }
            };
            let is_dir = file_type.is_dir();
            if self.is_ignored(&path, is_dir, chain.as_deref()) {
                continue;
            }
            if is_dir {
                if self.options.in_repository && self.options.gitlinks.contains(&path) {
                    children.push(Child {
                        entry: submodule(path),
                        is_dir: false,
                    });
                    continue;
                }
                let sub = path.clone();
                let sub_chain = chain.clone();
                scope.spawn(move |scope| self.list_dir(scope, sub, sub_chain));
                children.push(Child {
                    entry: RawEntry {
                        path,
                        mode: FileMode::Submodule,
                        size: None,
                        exec_unknown: false,
                    },
                    is_dir: true,
                });
                continue;
            }
            // The directory listing's type says file or symlink without a `stat`; whether a
            // file is executable is settled after the walk, from the index for tracked files.
            // Sizes are asked for when a rule needs them.
            let mode = if file_type.is_symlink() {
                FileMode::Symlink
            } else if file_type.is_file() {
                FileMode::File
            } else {
                // FIFOs, sockets and devices are not files git records.
                continue;
            };
            children.push(Child {
                entry: RawEntry {
                    path,
                    mode,
                    size: None,
                    exec_unknown: mode == FileMode::File,
                },
                is_dir: false,
            });
        }
        children.sort_unstable_by(|a, b| {
            gix::objs::tree::name_order(&a.entry.path, a.is_dir, &b.entry.path, b.is_dir)
        });
        self.store(dir, Listing::Children(children));
    }

    /// Whether `path` is excluded: the innermost `.gitignore` with a matching pattern decides,
    /// then `info/exclude`.
    fn is_ignored(&self, path: &[u8], is_dir: bool, chain: Option<&IgnoreChain>) -> bool {
        let mut node = chain;
        while let Some(current) = node {
            let start = if current.dir_len == 0 {
                0
            } else {
                current.dir_len + 1
            };
            if let Some(rel) = path.get(start..).and_then(paths::from_git) {
                match current.matcher.matched(rel, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
            node = current.parent.as_deref();
        }
        match (&self.exclude, paths::from_git(path)) {
            (Some(exclude), Some(rel)) => exclude.matched(rel, is_dir).is_ignore(),
            _ => false,
        }
    }
}

/// A file name's bytes in git's form (no conversion needed on Unix).
fn name_to_git(name: OsString) -> Option<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(name.into_vec())
    }
    #[cfg(not(unix))]
    {
        paths::to_git(Path::new(&name))
    }
}

fn submodule(path: Vec<u8>) -> RawEntry {
    RawEntry {
        path,
        mode: FileMode::Submodule,
        size: Some(0),
        exec_unknown: false,
    }
}

/// Concatenates the listings depth-first from the root.
fn assemble(mut listings: HashMap<Vec<u8>, Listing>) -> Vec<RawEntry> {
    let mut out = Vec::new();
    let Some(Listing::Children(root)) = listings.remove(&Vec::new()) else {
        return out;
    };
    let mut stack = vec![root.into_iter()];
    while let Some(children) = stack.last_mut() {
        let Some(child) = children.next() else {
            stack.pop();
            continue;
        };
        if !child.is_dir {
            out.push(child.entry);
            continue;
        }
        match listings.remove(&child.entry.path) {
            Some(Listing::Children(grandchildren)) => stack.push(grandchildren.into_iter()),
            Some(Listing::Repository) => out.push(submodule(child.entry.path)),
            None => {}
        }
    }
    out
}

/// The mode of a non-directory: `None` for things that are neither files nor symlinks (fifos,
/// sockets, devices).
pub(crate) fn mode_of_metadata(meta: &Metadata) -> Option<FileMode> {
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        Some(FileMode::Symlink)
    } else if file_type.is_file() {
        Some(if is_executable(meta) {
            FileMode::Executable
        } else {
            FileMode::File
        })
    } else {
        None
    }
}

#[cfg(unix)]
fn is_executable(meta: &Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    // Git looks at the owner's executable bit only.
    meta.permissions().mode() & 0o100 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &Metadata) -> bool {
    false
}
