//! `deps/*`: dependency manifests and lockfiles (Cargo, npm, Go, Python), parsed by
//! `goldpath-manifests` once per check and shared by every rule of the family. The family
//! judges the files that belong to the project (`project.rs`): test fixtures that no
//! workspace reaches are left out.

super::rule_modules! {
    banned,
    duplicate_versions,
    invalid_manifest,
    license,
    lockfile_missing,
    lockfile_stale,
    source_not_allowed,
    wildcard_version,
}

pub(crate) mod project;
pub(crate) mod spec;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use goldpath_manifests::{FileKind, Manifest, ParseError, Position};

use crate::context::Context;
use crate::glob::GlobList;
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

/// Every file of the repository that [`wants`] matches (manifests, lockfiles and workspace
/// files of every ecosystem), found through the names of all files rather than by asking each
/// path what it is: most paths of a large repository are none of them.
pub(crate) fn family_files<'a>(cx: &Context<'a>) -> Vec<&'a FileEntry> {
    static GLOBS: std::sync::OnceLock<GlobList> = std::sync::OnceLock::new();
    let globs = GLOBS.get_or_init(|| {
        GlobList::from_patterns(&wants()).expect("the family's globs are valid (tested)")
    });
    cx.all_files_matching(globs)
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
    // The name first: most files of a repository are no manifest, and that ends it.
    let kind = FileKind::from_path(path)?;
    let installed = path
        .split('/')
        .rev()
        .skip(1)
        .any(|dir| matches!(dir, "node_modules" | "site-packages" | ".venv"));
    if installed || !file.mode.is_regular() {
        return None;
    }
    Some(kind)
}

/// Which manifests and lockfiles belong to the project ([`project`]), once per check.
pub(crate) fn project(cx: &Context<'_>) -> Arc<project::Project> {
    parse_ahead(cx);
    cx.memo_repo("deps-project", || project::build(cx))
}

/// Parses the project's manifests and lockfiles on every thread, once per check, before the
/// first rule walks them in order (building the [`project`] parses each judged manifest for
/// its path dependencies; on one thread that was most of a check of a large workspace).
/// Files under fixture directories are left to whoever reaches them.
fn parse_ahead(cx: &Context<'_>) {
    let started = cx.memo_repo("deps-parse-ahead", || AtomicBool::new(false));
    if started.swap(true, Ordering::AcqRel) {
        return;
    }
    let files: Vec<&FileEntry> = family_files(cx)
        .into_iter()
        .filter(|file| kind_of(file).is_some() && !project::under_fixture(dir_of(&file.path)))
        .collect();
    cx.each_parallel(&files, |file| {
        parsed(cx, file);
    });
}

/// The kind of a file the family judges: one [`kind_of`] knows that belongs to the project
/// (not a test fixture that no workspace reaches).
/// Takes the [`project`] from the caller, fetched once per loop: asking the memo for it per
/// file made two rules contend for the memo's lock on every path of a large repository.
pub(crate) fn judged_kind(project: &project::Project, file: &FileEntry) -> Option<FileKind> {
    let kind = kind_of(file)?;
    project.judges(&file.path).then_some(kind)
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
    let project = project(cx);
    cx.wanted()
        .iter()
        .filter(|file| judged_kind(&project, file).is_some_and(&keep))
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
/// parsed once per check, indexed by directory: rules that relate a manifest to its lockfile
/// look the other one up here by walking the manifest's ancestors, so the cost is linear in
/// the number of files (not files times manifests).
pub(crate) struct Repo {
    /// In snapshot (path) order.
    pub(crate) files: Vec<RepoFile>,
    /// Lockfiles (indices into `files`) by directory, in path order: a handful at most in
    /// each, whatever else the directory holds.
    locks_in: HashMap<String, Vec<usize>>,
    /// The other files by directory, in path order.
    manifests_in: HashMap<String, Vec<usize>>,
    /// For each lockfile path, the manifests it locks ([`Repo::lockfiles_of`]), in path
    /// order.
    locked_by: HashMap<String, Vec<usize>>,
    /// Files looked at by the lookups, for the tests that hold them to linear work.
    visits: AtomicUsize,
}

impl Repo {
    pub(crate) fn new(files: Vec<RepoFile>) -> Self {
        let (mut locks_in, mut manifests_in) = (HashMap::new(), HashMap::new());
        for (at, file) in files.iter().enumerate() {
            let index: &mut HashMap<String, Vec<usize>> = if file.kind.is_lockfile() {
                &mut locks_in
            } else {
                &mut manifests_in
            };
            index
                .entry(dir_of(&file.path).to_owned())
                .or_default()
                .push(at);
        }
        let mut repo = Repo {
            files,
            locks_in,
            manifests_in,
            locked_by: HashMap::new(),
            visits: AtomicUsize::new(0),
        };
        let mut locked_by: HashMap<String, Vec<usize>> = HashMap::new();
        for (at, file) in repo.files.iter().enumerate() {
            if file.kind.is_lockfile() || file.kind == FileKind::Requirements {
                continue;
            }
            for lock in repo.lockfile_indices(&file.path, file.kind) {
                locked_by
                    .entry(repo.files[lock].path.clone())
                    .or_default()
                    .push(at);
            }
        }
        repo.locked_by = locked_by;
        repo
    }

    /// The manifests (every file but lockfiles) directly in `dir`, in path order.
    pub(crate) fn manifests_in<'r>(&'r self, dir: &str) -> impl Iterator<Item = &'r RepoFile> + 'r {
        let found = self.manifests_in.get(dir).map_or(&[][..], Vec::as_slice);
        self.visits.fetch_add(found.len(), Ordering::Relaxed);
        found.iter().map(|&at| &self.files[at])
    }

    /// How many files the lookups have looked at so far.
    #[cfg(test)]
    pub(crate) fn visits(&self) -> usize {
        self.visits.load(Ordering::Relaxed)
    }

    fn lockfile_indices(&self, path: &str, kind: FileKind) -> Vec<usize> {
        let names: &[&str] = match kind {
            FileKind::Pyproject => &["poetry.lock", "uv.lock"],
            other => other.lockfiles(),
        };
        let mut dir = dir_of(path);
        loop {
            let listed = self.locks_in.get(dir).map_or(&[][..], Vec::as_slice);
            self.visits.fetch_add(listed.len() + 1, Ordering::Relaxed);
            let found: Vec<usize> = listed
                .iter()
                .copied()
                .filter(|&at| names.contains(&file_name(&self.files[at].path)))
                .collect();
            if !found.is_empty() || kind == FileKind::GoMod || dir.is_empty() {
                return found;
            }
            dir = dir_of(dir);
        }
    }

    /// The lockfiles that lock the manifest at `path`: those of its ecosystem in the nearest
    /// directory that has any, from the manifest's own up to the root (Go: `go.sum` beside
    /// `go.mod` only). Python requirements files are locked by nothing.
    pub(crate) fn lockfiles_of(&self, path: &str, kind: FileKind) -> Vec<&RepoFile> {
        self.lockfile_indices(path, kind)
            .into_iter()
            .map(|at| &self.files[at])
            .collect()
    }

    /// Where the manifests locked by the lockfile at `lock_path` declare each package (by
    /// name, Python names normalised): the first declaration in path order. A direct
    /// dependency found in a lockfile is reported there rather than at its lockfile entry.
    pub(crate) fn declarations(&self, lock_path: &str) -> HashMap<String, (&str, &Position)> {
        let mut out = HashMap::new();
        let Some(manifests) = self.locked_by.get(lock_path) else {
            return out;
        };
        self.visits.fetch_add(manifests.len(), Ordering::Relaxed);
        for file in manifests.iter().map(|&at| &self.files[at]) {
            let Ok(manifest) = file.parsed.as_ref() else {
                continue;
            };
            for package in &manifest.packages {
                out.entry(spec::fold(package.ecosystem, &package.name))
                    .or_insert((file.path.as_str(), &package.position));
            }
        }
        out
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Every manifest and lockfile of the project, parsed and indexed ([`Repo`]), once per check.
pub(crate) fn repo_files(cx: &Context<'_>) -> Arc<Repo> {
    // Fetched before the memo's build: `project` may parse on every thread, which must not
    // happen inside another memo's build (see `Context::each_parallel`).
    let project = project(cx);
    cx.memo_repo("deps-repo-files", || {
        Repo::new(
            family_files(cx)
                .into_iter()
                .filter_map(|file| {
                    let kind = judged_kind(&project, file)?;
                    Some(RepoFile {
                        path: file.path.clone(),
                        kind,
                        parsed: parsed(cx, file)?,
                    })
                })
                .collect(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RepoFile {
        let kind = FileKind::from_path(path).expect("a manifest or lockfile");
        RepoFile {
            path: path.to_owned(),
            kind,
            parsed: Arc::new(goldpath_manifests::parse(kind, text)),
        }
    }

    /// A workspace of `members` crates under one Cargo.lock, with a `requirements*.txt` pile
    /// at the root, in path order.
    fn workspace(members: usize, requirements: usize) -> Repo {
        let mut files = vec![
            file("Cargo.lock", "version = 4\n"),
            file("Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n"),
        ];
        for i in 0..members {
            files.push(file(
                &format!("crates/m{i:05}/Cargo.toml"),
                &format!(
                    "[package]\nname = \"m{i}\"\n\n[dependencies]\ndep-{} = \"1\"\n",
                    i % 7
                ),
            ));
        }
        for i in 0..requirements {
            files.push(file(&format!("requirements-{i:05}.txt"), "httpx\n"));
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Repo::new(files)
    }

    #[test]
    fn a_manifest_finds_its_lockfile_by_its_ancestors_not_by_every_file() {
        const MEMBERS: usize = 20_000;
        let repo = workspace(MEMBERS, 5_000);
        let lookups = repo
            .files
            .iter()
            .filter(|f| f.kind == FileKind::CargoToml)
            .filter(|f| {
                let locks = repo.lockfiles_of(&f.path, f.kind);
                locks.len() == 1 && locks[0].path == "Cargo.lock"
            })
            .count();
        assert_eq!(lookups, MEMBERS + 1);
        let declared = repo.declarations("Cargo.lock");
        assert_eq!(declared.len(), 7);
        assert_eq!(declared["dep-0"].0, "crates/m00000/Cargo.toml");
        assert_eq!(declared["dep-6"].0, "crates/m00006/Cargo.toml");
        // Indexing, one lookup per manifest and the declarations: a few directories per
        // manifest. A scan of every file per manifest would be MEMBERS * 25,000.
        let visits = repo.visits();
        assert!(
            visits < 20 * MEMBERS,
            "{visits} files and directories looked at for {MEMBERS} manifests"
        );
    }

    #[test]
    fn lockfiles_in_the_nearest_directory_that_has_any() {
        let repo = Repo::new(vec![
            file("Cargo.lock", "version = 4\n"),
            file("Cargo.toml", "[package]\nname = \"root\"\n"),
            file("go.mod", "module m\n"),
            file("tools/Cargo.lock", "version = 4\n"),
            file("tools/gen/Cargo.toml", "[package]\nname = \"gen\"\n"),
            file("tools/gen/go.mod", "module g\n"),
            file("web/package.json", "{}\n"),
        ]);
        let paths = |path: &str, kind: FileKind| -> Vec<String> {
            repo.lockfiles_of(path, kind)
                .iter()
                .map(|f| f.path.clone())
                .collect()
        };
        assert_eq!(
            paths("tools/gen/Cargo.toml", FileKind::CargoToml),
            ["tools/Cargo.lock"]
        );
        assert_eq!(paths("Cargo.toml", FileKind::CargoToml), ["Cargo.lock"]);
        // Go: go.sum beside go.mod only; npm: no package-lock.json anywhere.
        assert!(paths("tools/gen/go.mod", FileKind::GoMod).is_empty());
        assert!(paths("web/package.json", FileKind::PackageJson).is_empty());
        assert!(repo.declarations("tools/Cargo.lock").is_empty());
        assert_eq!(repo.manifests_in("tools/gen").count(), 2);
    }
}
