//! `deps/*`: dependency manifests and lockfiles (Cargo, npm, Go, Python), parsed by
//! `goldpath-manifests` once per check and shared by every rule of the family. The family
//! judges the files that belong to the project (`project.rs`): test fixtures that no
//! workspace reaches are left out.

pub mod banned;
pub mod duplicate_versions;
pub mod invalid_manifest;
pub mod license;
pub mod lockfile_missing;
pub mod lockfile_stale;
pub(crate) mod project;
pub mod source_not_allowed;
pub(crate) mod spec;
pub mod wildcard_version;

use std::sync::Arc;

use goldpath_manifests::{FileKind, Manifest, ParseError, Position};

use crate::engine::Context;
use crate::snapshot::FileEntry;
use crate::span::Span;

/// Globs of every manifest and lockfile the family understands.
pub(crate) fn wants() -> Vec<String> {
    [
        "**/Cargo.toml",
        "**/Cargo.lock",
        "**/package.json",
        "**/package-lock.json",
        "**/npm-shrinkwrap.json",
        "**/pnpm-lock.yaml",
        "**/yarn.lock",
        "**/go.mod",
        "**/go.sum",
        "**/pyproject.toml",
        "**/requirements*.txt",
        "**/requirements/*.txt",
        "**/requirements/*.in",
        "**/poetry.lock",
        "**/uv.lock",
        // Not judged, read for workspace membership (`project`).
        "**/pnpm-workspace.yaml",
        "**/go.work",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Only manifests globs (what declares dependencies), for rules outside the family that read
/// declarations.
pub(crate) fn manifest_wants() -> Vec<String> {
    [
        "**/Cargo.toml",
        "**/package.json",
        "**/go.mod",
        "**/pyproject.toml",
        "**/requirements*.txt",
        "**/requirements/*.txt",
        "**/requirements/*.in",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// The kind of a file, unless it is installed code (`node_modules/`, a virtualenv's
/// `site-packages/`) rather than the project's own.
pub(crate) fn kind_of(file: &FileEntry) -> Option<FileKind> {
    let path = file.path.as_str();
    let installed = ["node_modules", "site-packages", ".venv"]
        .iter()
        .any(|dir| path.starts_with(&format!("{dir}/")) || path.contains(&format!("/{dir}/")));
    if installed || !file.mode.is_regular() {
        return None;
    }
    FileKind::from_path(path)
}

/// Which manifests and lockfiles belong to the project ([`project`]), once per check.
pub(crate) fn project(cx: &Context<'_>) -> Arc<project::Project> {
    cx.memo_repo("deps-project", || project::build(cx))
}

/// The kind of a file the family judges: one [`kind_of`] knows that belongs to the project
/// (not a test fixture that no workspace reaches).
pub(crate) fn judged_kind(cx: &Context<'_>, file: &FileEntry) -> Option<FileKind> {
    let kind = kind_of(file)?;
    project(cx).judges(&file.path).then_some(kind)
}

/// The parsed file, once per check whatever the number of rules asking. `None` for files
/// the family does not understand or cannot read as text (the engine's `policy/unread-file`
/// reports those).
pub(crate) fn parsed(
    cx: &Context<'_>,
    file: &FileEntry,
) -> Option<Arc<Result<Manifest, ParseError>>> {
    let kind = kind_of(file)?;
    let text = cx.text(file).ok()?;
    Some(cx.memo("deps-manifest", file, || {
        goldpath_manifests::parse(kind, &text)
    }))
}

/// The wanted files the family understands, parsed. Rules skip the files that do not parse:
/// `deps/invalid-manifest` reports them, so none passes silently.
pub(crate) fn parsed_files<'a>(
    cx: &Context<'a>,
) -> Vec<(&'a FileEntry, Arc<Result<Manifest, ParseError>>)> {
    parsed_files_of(cx, |_| true)
}

/// The wanted files of the kinds `keep` accepts, parsed (the others are not parsed at all).
/// Every rule of the family wants the same files ([`wants`]), so the engine compiles one glob
/// set for all of them; a rule that judges only some kinds picks them here.
pub(crate) fn parsed_files_of<'a>(
    cx: &Context<'a>,
    keep: impl Fn(FileKind) -> bool,
) -> Vec<(&'a FileEntry, Arc<Result<Manifest, ParseError>>)> {
    cx.wanted()
        .iter()
        .filter(|file| judged_kind(cx, file).is_some_and(&keep))
        .filter_map(|file| parsed(cx, file).map(|m| (*file, m)))
        .collect()
}

/// A core span from a manifest position.
pub(crate) fn span(position: &Position) -> Span {
    Span {
        line: position.line,
        column: position.column,
        end_line: position.end_line,
        end_column: position.end_column,
        start_byte: position.range.start,
        end_byte: position.range.end,
    }
}

/// The directory of a repository path (`""` at the root).
pub(crate) fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// `dir/name`, or `name` at the root.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// One manifest or lockfile of the repository, parsed.
pub(crate) struct RepoFile {
    pub(crate) path: String,
    pub(crate) kind: FileKind,
    pub(crate) parsed: Arc<Result<Manifest, ParseError>>,
}

/// Every manifest and lockfile of the project (not only the judged ones in change mode),
/// parsed once per check: rules that relate a manifest to its lockfile look the other one up
/// here.
pub(crate) fn repo_files(cx: &Context<'_>) -> Arc<Vec<RepoFile>> {
    cx.memo_repo("deps-repo-files", || {
        cx.all_files()
            .iter()
            .filter_map(|file| {
                let kind = judged_kind(cx, file)?;
                Some(RepoFile {
                    path: file.path.clone(),
                    kind,
                    parsed: parsed(cx, file)?,
                })
            })
            .collect()
    })
}

/// The lockfiles that lock the manifest at `path`: those of its ecosystem in the nearest
/// directory that has any, from the manifest's own up to the root (Go: `go.sum` beside
/// `go.mod` only). Python requirements files are locked by nothing.
pub(crate) fn lockfiles_of<'r>(
    files: &'r [RepoFile],
    path: &str,
    kind: FileKind,
) -> Vec<&'r RepoFile> {
    let names: &[&str] = match kind {
        FileKind::Pyproject => &["poetry.lock", "uv.lock"],
        other => other.lockfiles(),
    };
    let mut dir = dir_of(path);
    loop {
        let found: Vec<&RepoFile> = files
            .iter()
            .filter(|f| f.kind.is_lockfile() && dir_of(&f.path) == dir)
            .filter(|f| names.iter().any(|n| f.path.rsplit('/').next() == Some(*n)))
            .collect();
        if !found.is_empty() || kind == FileKind::GoMod || dir.is_empty() {
            return found;
        }
        dir = dir_of(dir);
    }
}

/// Where the manifests locked by the lockfile at `lock_path` declare each package (by name,
/// Python names normalised): the first declaration in path order. A direct dependency found
/// in a lockfile is reported there rather than at its lockfile entry.
pub(crate) fn declarations<'r>(
    files: &'r [RepoFile],
    lock_path: &str,
) -> std::collections::HashMap<String, (&'r str, &'r Position)> {
    let mut out = std::collections::HashMap::new();
    for file in files {
        if file.kind.is_lockfile() || file.kind == FileKind::Requirements {
            continue;
        }
        let Ok(manifest) = file.parsed.as_ref() else {
            continue;
        };
        if !lockfiles_of(files, &file.path, file.kind)
            .iter()
            .any(|l| l.path == lock_path)
        {
            continue;
        }
        for package in &manifest.packages {
            out.entry(spec::fold(package.ecosystem, &package.name))
                .or_insert((file.path.as_str(), &package.position));
        }
    }
    out
}
