//! Writing files without following links that a repository planted.
//!
//! A repository is untrusted input: a pull request can commit `goldpath.sarif -> /etc/passwd` or
//! `.husky/pre-commit -> ~/.bashrc`. Every file goldpath writes goes through [`write()`] or
//! [`create`], which resolve the path one component at a time and refuse any symbolic link that
//! lies inside one of the protected roots (the repository, its hooks directory), whether the link
//! is a parent directory or the file itself, dangling or not. Links outside the protected roots
//! (`/tmp -> /private/tmp`, a home directory on another disk) are the user's own and are
//! followed. A file inside a root is written to a new temporary file in the same directory and
//! renamed over the target, so even a link that appears after the check is replaced rather than
//! followed; a file outside every root is written where the user asked (`/dev/stdout` works).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

/// Links followed while resolving one path before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum SafeWriteError {
    /// The path is, or goes through, a symbolic link inside a protected root.
    #[error(
        "refusing to write {path}: {link} is a symbolic link inside {root}; goldpath does not \
         write through links in a repository (remove the link or choose another path)"
    )]
    Link {
        /// The path asked for.
        path: PathBuf,
        /// The link found on the way.
        link: PathBuf,
        /// The protected root it lies in.
        root: PathBuf,
    },
    /// Too many links outside the roots (a loop).
    #[error("refusing to write {path}: more than {MAX_LINKS} symbolic links on the way (a loop?)")]
    Loop {
        /// The path asked for.
        path: PathBuf,
    },
    /// The directory the file would go in is a file, or the path names a directory.
    #[error("cannot write {path}: {what} is not a directory")]
    NotDirectory {
        /// The path asked for.
        path: PathBuf,
        /// The component that is not a directory.
        what: PathBuf,
    },
    /// Reading the file system or writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path asked for.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Where a path leads, with links outside the protected roots followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path with every link followed and `.`/`..` applied.
    pub path: PathBuf,
    /// The protected root it lies in, if any.
    pub root: Option<PathBuf>,
}

/// Protected roots as the file system names them (links in the root's own path are the user's).
fn canonical_roots(roots: &[&Path]) -> Vec<PathBuf> {
    roots
        .iter()
        .filter_map(|root| std::fs::canonicalize(root).ok())
        .collect()
}

fn root_of<'a>(path: &Path, roots: &'a [PathBuf]) -> Option<&'a PathBuf> {
    roots.iter().find(|root| path.starts_with(root))
}

/// Resolves `path` (relative to the current directory) component by component, refusing a
/// symbolic link that lies inside any of `roots`.
pub fn resolve(path: &Path, roots: &[&Path]) -> Result<Resolved, SafeWriteError> {
    let roots = canonical_roots(roots);
    let io = |source| SafeWriteError::Io {
        path: path.to_owned(),
        source,
    };
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir().map_err(io)?.join(path)
    };
    let mut queue: VecDeque<OsString> = components(&absolute);
    let mut physical = PathBuf::new();
    let mut links = 0;
    while let Some(part) = queue.pop_front() {
        match part.to_str() {
            Some("/") => physical = PathBuf::from("/"),
            Some(".") => {}
            Some("..") => {
                physical.pop();
            }
            _ if Path::new(&part).is_absolute() || Path::new(&part).has_root() => {
                // A Windows prefix or root.
                physical = PathBuf::from(&part);
            }
            _ => {
                let candidate = physical.join(&part);
                match std::fs::symlink_metadata(&candidate) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        if let Some(root) = root_of(&candidate, &roots) {
                            return Err(SafeWriteError::Link {
                                path: path.to_owned(),
                                link: candidate,
                                root: root.clone(),
                            });
                        }
                        links += 1;
                        if links > MAX_LINKS {
                            return Err(SafeWriteError::Loop {
                                path: path.to_owned(),
                            });
                        }
                        let target = std::fs::read_link(&candidate).map_err(io)?;
                        for (i, part) in components(&target).into_iter().enumerate() {
                            queue.insert(i, part);
                        }
                    }
                    Ok(meta) if !meta.is_dir() && !queue.is_empty() => {
                        return Err(SafeWriteError::NotDirectory {
                            path: path.to_owned(),
                            what: candidate,
                        });
                    }
                    Ok(_) => physical = candidate,
                    // What does not exist yet cannot be a link; creating it fails later if a
                    // parent is missing.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => physical = candidate,
                    Err(e) => return Err(io(e)),
                }
            }
        }
    }
    let root = root_of(&physical, &roots).cloned();
    Ok(Resolved {
        path: physical,
        root,
    })
}

fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .map(|c| match c {
            Component::RootDir => OsString::from("/"),
            Component::CurDir => OsString::from("."),
            Component::ParentDir => OsString::from(".."),
            Component::Prefix(p) => p.as_os_str().to_owned(),
            Component::Normal(name) => name.to_owned(),
        })
        .collect()
}

/// Writes `contents` to `path` without following a link inside `roots` (see the module docs).
/// `mode` sets the Unix permission bits of the new file; without it an existing file's
/// permissions are kept and a new file gets the default.
pub fn write(
    path: &Path,
    contents: &[u8],
    roots: &[&Path],
    mode: Option<u32>,
) -> Result<(), SafeWriteError> {
    let resolved = resolve(path, roots)?;
    let io = |source| SafeWriteError::Io {
        path: path.to_owned(),
        source,
    };
    if resolved.root.is_none() {
        std::fs::write(&resolved.path, contents).map_err(io)?;
        return set_mode(&resolved.path, mode).map_err(io);
    }
    let target = &resolved.path;
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(SafeWriteError::NotDirectory {
            path: path.to_owned(),
            what: target.clone(),
        });
    };
    let existing = match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.is_dir() => {
            return Err(SafeWriteError::NotDirectory {
                path: path.to_owned(),
                what: target.clone(),
            })
        }
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let mut temp_name = OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".goldpath-tmp.{}", std::process::id()));
    let temp = dir.join(temp_name);
    let result = (|| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        out.write_all(contents)?;
        out.flush()?;
        drop(out);
        match (mode, existing) {
            (Some(_), _) => set_mode(&temp, mode)?,
            (None, Some(permissions)) => std::fs::set_permissions(&temp, permissions)?,
            (None, None) => {}
        }
        std::fs::rename(&temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io)
}

/// Creates `path` with `contents`, failing if anything (a file, a link, dangling or not) is
/// already there: `create_new` is `O_CREAT | O_EXCL`, which never follows a link. For a file
/// that must not replace one written since it was checked.
pub fn write_new(path: &Path, contents: &[u8], roots: &[&Path]) -> Result<(), SafeWriteError> {
    let resolved = resolve(path, roots)?;
    let io = |source| SafeWriteError::Io {
        path: path.to_owned(),
        source,
    };
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&resolved.path)
        .map_err(io)?;
    out.write_all(contents).map_err(io)
}

/// Creates the directory `path` and any missing parents, one at a time, refusing a link inside
/// `roots` on the way; each directory created is checked again, so one swapped for a link
/// meanwhile stops the walk.
pub fn create_dir_all(path: &Path, roots: &[&Path]) -> Result<(), SafeWriteError> {
    let resolved = resolve(path, roots)?;
    let io = |source| SafeWriteError::Io {
        path: path.to_owned(),
        source,
    };
    let mut missing = Vec::new();
    let mut at = resolved.path.as_path();
    while std::fs::symlink_metadata(at).is_err() {
        missing.push(at.to_owned());
        match at.parent() {
            Some(parent) => at = parent,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
        let meta = std::fs::symlink_metadata(&dir).map_err(io)?;
        if meta.file_type().is_symlink() {
            let roots = canonical_roots(roots);
            if let Some(root) = root_of(&dir, &roots) {
                return Err(SafeWriteError::Link {
                    path: path.to_owned(),
                    link: dir,
                    root: root.clone(),
                });
            }
        }
        if !dir.is_dir() {
            return Err(SafeWriteError::NotDirectory {
                path: path.to_owned(),
                what: dir,
            });
        }
    }
    Ok(())
}

/// Opens `path` for writing (created or truncated) for output that is written as it is
/// produced. Inside `roots` the final component is opened with `O_NOFOLLOW`, so a link placed
/// there after the check is refused by the kernel.
pub fn create(path: &Path, roots: &[&Path]) -> Result<std::fs::File, SafeWriteError> {
    let resolved = resolve(path, roots)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if resolved.root.is_some() {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
        .open(&resolved.path)
        .map_err(|source| SafeWriteError::Io {
            path: path.to_owned(),
            source,
        })
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match mode {
        Some(mode) => std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)),
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: Option<u32>) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let outside = dir.path().join("outside.txt");
        std::fs::create_dir(&repo).unwrap();
        std::fs::write(&outside, "keep").unwrap();
        (dir, repo, outside)
    }

    #[test]
    fn refuses_a_link_as_the_file() {
        let (_dir, repo, outside) = setup();
        symlink(&outside, repo.join("out.sarif")).unwrap();
        let err = write(&repo.join("out.sarif"), b"x", &[&repo], None).unwrap_err();
        assert!(matches!(err, SafeWriteError::Link { .. }), "{err}");
        assert!(err.to_string().contains("out.sarif"), "{err}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    }

    #[test]
    fn refuses_a_dangling_link_and_a_linked_directory() {
        let (dir, repo, _outside) = setup();
        symlink(dir.path().join("nowhere"), repo.join("hook")).unwrap();
        assert!(write(&repo.join("hook"), b"x", &[&repo], None).is_err());
        assert!(!dir.path().join("nowhere").exists());
        symlink(dir.path(), repo.join("sub")).unwrap();
        let err = write(&repo.join("sub/new.txt"), b"x", &[&repo], None).unwrap_err();
        assert!(matches!(err, SafeWriteError::Link { .. }), "{err}");
        assert!(!dir.path().join("new.txt").exists());
        // `..` does not hide a link either.
        std::fs::create_dir(repo.join("real")).unwrap();
        let err = write(&repo.join("sub/../real/x.txt"), b"x", &[&repo], None).unwrap_err();
        assert!(matches!(err, SafeWriteError::Link { .. }), "{err}");
    }

    #[test]
    fn a_link_outside_leading_in_is_still_checked() {
        let (dir, repo, outside) = setup();
        symlink(&outside, repo.join("planted")).unwrap();
        symlink(&repo, dir.path().join("alias")).unwrap();
        let err = write(&dir.path().join("alias/planted"), b"x", &[&repo], None).unwrap_err();
        assert!(matches!(err, SafeWriteError::Link { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        // Through the user's own link, a plain file in the repository is written.
        write(&dir.path().join("alias/ok.txt"), b"ok", &[&repo], None).unwrap();
        assert_eq!(std::fs::read_to_string(repo.join("ok.txt")).unwrap(), "ok");
    }

    #[test]
    fn writes_replace_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, repo, _outside) = setup();
        let file = repo.join("f.sh");
        write(&file, b"one", &[&repo], Some(0o755)).unwrap();
        write(&file, b"two", &[&repo], None).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "two");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(std::fs::read_dir(&repo).unwrap().count(), 1, "no temp left");
    }

    #[test]
    fn outside_every_root_writes_where_asked() {
        let (dir, repo, outside) = setup();
        let link = dir.path().join("user-link");
        symlink(&outside, &link).unwrap();
        write(&link, b"new", &[&repo], None).unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "new");
        let mut file = create(&repo.join("stream.jsonl"), &[&repo]).unwrap();
        file.write_all(b"{}\n").unwrap();
        symlink(&outside, repo.join("l.jsonl")).unwrap();
        assert!(create(&repo.join("l.jsonl"), &[&repo]).is_err());
    }

    #[test]
    fn write_new_and_create_dir_all_refuse_links() {
        let (dir, repo, outside) = setup();
        create_dir_all(&repo.join("a/b"), &[&repo]).unwrap();
        write_new(&repo.join("a/b/new.txt"), b"x", &[&repo]).unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join("a/b/new.txt")).unwrap(),
            "x"
        );
        assert!(write_new(&repo.join("a/b/new.txt"), b"y", &[&repo]).is_err());
        symlink(&outside, repo.join("dangling-or-not")).unwrap();
        assert!(write_new(&repo.join("dangling-or-not"), b"y", &[&repo]).is_err());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
        symlink(dir.path(), repo.join("up")).unwrap();
        let err = create_dir_all(&repo.join("up/made"), &[&repo]).unwrap_err();
        assert!(matches!(err, SafeWriteError::Link { .. }), "{err}");
        assert!(!dir.path().join("made").exists());
    }
}
