//! Dependency manifests and lockfiles, parsed without running any package manager.
//!
//! One model for every ecosystem: a [`Manifest`] (what one file says) holds [`Package`]s, each
//! with its ecosystem, name, locked version or declared requirement, [`Source`], whether it is a
//! direct dependency, the [`Position`] of the line that declares it, and its licence when the
//! file knows it.
//!
//! This crate stands alone: it does not depend on the rest of goldpath, and positions are byte
//! ranges plus 1-based lines and columns, which the core turns into its own spans. Parsers never
//! panic on malformed input: they return a [`ParseError`] with a position.
//!
//! ```
//! use goldpath_manifests::{parse, FileKind, Ecosystem};
//!
//! let text = "[package]\nname = \"app\"\n\n[dependencies]\nserde = \"1\"\n";
//! let manifest = parse(FileKind::CargoToml, text).unwrap();
//! let serde = &manifest.packages[0];
//! assert_eq!((serde.ecosystem, serde.name.as_str()), (Ecosystem::Cargo, "serde"));
//! assert_eq!(serde.requirement.as_deref(), Some("1"));
//! assert_eq!(serde.position.line, 5);
//! ```

#![warn(missing_docs)]

mod cargo;
mod go;
mod npm;
mod pnpm;
mod python;
mod text;
mod yarn;

pub use python::normalize as normalize_python_name;

use std::fmt;
use std::ops::Range;

/// A package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// Rust crates (crates.io and other Cargo registries).
    Cargo,
    /// JavaScript packages (npm, pnpm, yarn).
    Npm,
    /// Go modules.
    Go,
    /// Python packages (PyPI and other indexes).
    Pypi,
}

impl Ecosystem {
    /// The name used in policies: `cargo`, `npm`, `go`, `pypi`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::Go => "go",
            Ecosystem::Pypi => "pypi",
        }
    }

    /// Parses a policy name (`cargo`, `npm`, `go`, `pypi`; also `pnpm`, `yarn`, `python`).
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "cargo" | "rust" | "crates" => Ecosystem::Cargo,
            "npm" | "pnpm" | "yarn" | "node" => Ecosystem::Npm,
            "go" | "golang" => Ecosystem::Go,
            "pypi" | "python" | "pip" => Ecosystem::Pypi,
            _ => return None,
        })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a package comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// A package registry or index; the URL or name when the file says which one.
    Registry(Option<String>),
    /// A git repository, with the revision, tag or branch when given.
    Git {
        /// The repository URL.
        url: String,
        /// A commit, tag or branch.
        reference: Option<String>,
    },
    /// A local path.
    Path(String),
    /// A direct URL (a tarball, a wheel).
    Url(String),
}

impl Source {
    /// `registry`, `git`, `path` or `url`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Registry(_) => "registry",
            Source::Git { .. } => "git",
            Source::Path(_) => "path",
            Source::Url(_) => "url",
        }
    }

    /// The URL, path or registry name, when there is one.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Source::Registry(r) => r.as_deref(),
            Source::Git { url, .. } => Some(url),
            Source::Path(p) | Source::Url(p) => Some(p),
        }
    }
}

/// Which table or section declares a dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepKind {
    /// A normal (runtime) dependency.
    Normal,
    /// A development or test dependency (also optional groups of a Python project).
    Dev,
    /// A build dependency (Cargo `build-dependencies`).
    Build,
    /// An optional dependency (npm `optionalDependencies`, Python extras).
    Optional,
    /// A peer dependency (npm).
    Peer,
    /// A shared declaration that members inherit (Cargo `[workspace.dependencies]`).
    Workspace,
}

/// A position in a file: a byte range and the 1-based line and column of its start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// Byte range in the file.
    pub range: Range<usize>,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based column (in characters) of the start.
    pub column: u32,
    /// 1-based line of the end.
    pub end_line: u32,
    /// 1-based column (in characters) just past the end.
    pub end_column: u32,
}

/// One dependency as a manifest declares it or a lockfile pins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The package's name in its registry (after any rename: Cargo `package = `, npm `npm:`).
    pub name: String,
    /// The exact version, in lockfiles (and Go's go.mod, whose versions are exact minimums).
    pub version: Option<String>,
    /// The requirement as declared, in manifests (`^1.2`, `>=2,<3`, `*`); `None` when the
    /// manifest gives none (a git or path dependency, an inherited one).
    pub requirement: Option<String>,
    /// Where it comes from.
    pub source: Source,
    /// Whether the project depends on it directly (always, in manifests); in lockfiles, whether
    /// a root package lists it, when the lockfile says.
    pub direct: bool,
    /// Which section declares it.
    pub kind: DepKind,
    /// Cargo `workspace = true`: the requirement and source come from the workspace root.
    pub inherited: bool,
    /// Where the file declares it: the key of a manifest entry, the entry of a lockfile.
    pub position: Position,
    /// The licence expression, when the file records it (npm lockfiles v2/v3).
    pub license: Option<String>,
}

/// The kinds of file this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `Cargo.toml`.
    CargoToml,
    /// `Cargo.lock` (format v1 to v4).
    CargoLock,
    /// `package.json`.
    PackageJson,
    /// `package-lock.json` or `npm-shrinkwrap.json` (lockfileVersion 1, 2, 3).
    PackageLock,
    /// `pnpm-lock.yaml` (lockfileVersion 5.x, 6.x, 9.x).
    PnpmLock,
    /// `yarn.lock`, classic (v1) or berry (v2 and later).
    YarnLock,
    /// `go.mod`.
    GoMod,
    /// `go.sum`.
    GoSum,
    /// `pyproject.toml` (PEP 621, PEP 735 groups, Poetry, uv sources).
    Pyproject,
    /// `requirements*.txt`, `requirements/*.txt`, `*.in` of pip-tools.
    Requirements,
    /// `poetry.lock`.
    PoetryLock,
    /// `uv.lock`.
    UvLock,
}

impl FileKind {
    /// The kind of a path (by its file name), or `None`.
    pub fn from_path(path: &str) -> Option<Self> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let parent_is_requirements = || {
            path.rsplit('/')
                .nth(1)
                .is_some_and(|dir| dir == "requirements")
        };
        Some(match name {
            "Cargo.toml" => FileKind::CargoToml,
            "Cargo.lock" => FileKind::CargoLock,
            "package.json" => FileKind::PackageJson,
            "package-lock.json" | "npm-shrinkwrap.json" => FileKind::PackageLock,
            "pnpm-lock.yaml" => FileKind::PnpmLock,
            "yarn.lock" => FileKind::YarnLock,
            "go.mod" => FileKind::GoMod,
            "go.sum" => FileKind::GoSum,
            "pyproject.toml" => FileKind::Pyproject,
            "poetry.lock" => FileKind::PoetryLock,
            "uv.lock" => FileKind::UvLock,
            _ if name.starts_with("requirements") && name.ends_with(".txt") => {
                FileKind::Requirements
            }
            _ if (name.ends_with(".txt") || name.ends_with(".in")) && parent_is_requirements() => {
                FileKind::Requirements
            }
            _ => return None,
        })
    }

    /// The ecosystem of the file.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            FileKind::CargoToml | FileKind::CargoLock => Ecosystem::Cargo,
            FileKind::PackageJson
            | FileKind::PackageLock
            | FileKind::PnpmLock
            | FileKind::YarnLock => Ecosystem::Npm,
            FileKind::GoMod | FileKind::GoSum => Ecosystem::Go,
            FileKind::Pyproject
            | FileKind::Requirements
            | FileKind::PoetryLock
            | FileKind::UvLock => Ecosystem::Pypi,
        }
    }

    /// Whether the file pins exact versions (a lockfile) rather than declaring requirements.
    /// `go.sum` counts as a lockfile; `go.mod` is a manifest. Requirements files are manifests,
    /// even when fully pinned.
    pub fn is_lockfile(self) -> bool {
        matches!(
            self,
            FileKind::CargoLock
                | FileKind::PackageLock
                | FileKind::PnpmLock
                | FileKind::YarnLock
                | FileKind::GoSum
                | FileKind::PoetryLock
                | FileKind::UvLock
        )
    }

    /// The lockfile names that lock a manifest of this kind, searched in the manifest's
    /// directory (Cargo and npm also search parent directories: a workspace root's lockfile
    /// locks its members). Empty for lockfiles and requirements files.
    pub fn lockfiles(self) -> &'static [&'static str] {
        match self {
            FileKind::CargoToml => &["Cargo.lock"],
            FileKind::PackageJson => &[
                "package-lock.json",
                "npm-shrinkwrap.json",
                "yarn.lock",
                "pnpm-lock.yaml",
                "bun.lockb",
                "bun.lock",
            ],
            FileKind::GoMod => &["go.sum"],
            FileKind::Pyproject => &["poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock"],
            _ => &[],
        }
    }
}

/// What one manifest or lockfile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The kind of file.
    pub kind: FileKind,
    /// The project's own name (`[package] name`, package.json `name`, go.mod `module`).
    pub name: Option<String>,
    /// The project's own declared licence.
    pub license: Option<String>,
    /// The lockfile format version (`version` of Cargo.lock, `lockfileVersion`, ...).
    pub format_version: Option<String>,
    /// Cargo: the manifest builds only a library (no `[[bin]]`, no `src/main.rs` hint, a
    /// `[lib]` table or no `[package]` binary), so a lockfile is optional by Cargo's own advice.
    /// Set when `[lib]` is present and no `[[bin]]` is.
    pub library: bool,
    /// Cargo: the manifest declares `[[bin]]` targets.
    pub binaries: bool,
    /// Cargo and npm: the manifest declares a workspace (its lockfile locks the members).
    pub workspace: bool,
    /// Whether the manifest declares no package at all (a virtual Cargo workspace root).
    pub virtual_root: bool,
    /// Requirements files: `-r`/`-c` includes, with where they are written.
    pub includes: Vec<(String, Position)>,
    /// Requirements files: `--index-url`/`--extra-index-url` values.
    pub index_urls: Vec<(String, Position)>,
    /// Lockfiles: the project's own packages it locks, which tell which manifests it serves:
    /// the names of Cargo.lock's packages without a source and of uv.lock's local packages;
    /// for package-lock.json v2/v3, pnpm-lock.yaml and yarn berry the workspace directories,
    /// relative to the lockfile (`""` for its own directory). Empty when the format does not
    /// say (npm v1, yarn classic, poetry.lock, go.sum: they lock the manifest beside them).
    pub members: Vec<String>,
    /// `go.sum`: module versions recorded by their `go.mod` hash only (they took part in
    /// version selection, but no code of theirs is built), as (module, version).
    pub selection_only: Vec<(String, String)>,
    /// The dependencies, in file order.
    pub packages: Vec<Package>,
    /// `package.json`: the packages whose version the package manager is told to force,
    /// whatever the ranges say (yarn `resolutions`, npm `overrides`, `pnpm.overrides`), by
    /// package name (`**/markdown-it` and `markdown-it@^14` name `markdown-it`).
    pub overridden: Vec<String>,
    /// What the package manager accepts but silently drops, with where: in `package.json`, a
    /// key written twice in one object (npm keeps the last value and ignores the first).
    pub warnings: Vec<(String, Position)>,
}

impl Manifest {
    fn new(kind: FileKind) -> Self {
        Manifest {
            kind,
            name: None,
            license: None,
            format_version: None,
            library: false,
            binaries: false,
            workspace: false,
            virtual_root: false,
            includes: Vec::new(),
            index_urls: Vec::new(),
            members: Vec::new(),
            selection_only: Vec::new(),
            packages: Vec::new(),
            overridden: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// A file that cannot be parsed, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub position: Position,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.position.line, self.position.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// Parses `text` as a file of `kind`.
pub fn parse(kind: FileKind, text: &str) -> Result<Manifest, ParseError> {
    let index = text::LineIndex::new(text);
    match kind {
        FileKind::CargoToml => cargo::manifest(text, &index),
        FileKind::CargoLock => cargo::lockfile(text, &index),
        FileKind::PackageJson => npm::manifest(text),
        FileKind::PackageLock => npm::lockfile(text),
        FileKind::PnpmLock => pnpm::lockfile(text),
        FileKind::YarnLock => yarn::lockfile(text, &index),
        FileKind::GoMod => go::go_mod(text, &index),
        FileKind::GoSum => go::go_sum(text, &index),
        FileKind::Pyproject => python::pyproject(text, &index),
        FileKind::Requirements => python::requirements(text, &index),
        FileKind::PoetryLock => python::poetry_lock(text, &index),
        FileKind::UvLock => python::uv_lock(text, &index),
    }
}

/// Parses the file at `path` (its kind from its name); `None` when the name is not one this
/// crate knows.
pub fn parse_path(path: &str, text: &str) -> Option<Result<Manifest, ParseError>> {
    FileKind::from_path(path).map(|kind| parse(kind, text))
}
