//! `deps/*`: dependency manifests and lockfiles (Cargo, npm, Go, Python), parsed by
//! `goldpath-manifests` once per check and shared by every rule of the family.

pub mod banned;
pub mod lockfile_missing;
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
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// Only manifests globs (what declares dependencies), for rules that judge declarations.
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

/// The wanted files the family understands, parsed; files that do not parse are skipped
/// (`deps/invalid-manifest` is not written yet: see docs/deps.md).
pub(crate) fn parsed_files<'a>(
    cx: &Context<'a>,
) -> Vec<(&'a FileEntry, Arc<Result<Manifest, ParseError>>)> {
    cx.wanted()
        .iter()
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
