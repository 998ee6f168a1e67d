//! Which manifests and lockfiles belong to the project, and so are judged by `deps/*`.
//!
//! Every manifest counts except those that lie under a test fixture directory (`tests/`,
//! `test/`, `testdata/`, `fixtures/`, `__fixtures__/`) and that no manifest of the project
//! reaches: a Cargo workspace's members (`[workspace] members`, less `exclude`) and path
//! dependencies, npm/yarn `workspaces`, pnpm-workspace.yaml `packages`, uv
//! `[tool.uv.workspace] members`, go.work `use` directives, and path dependencies of any
//! ecosystem. A `go.mod` under `testdata/` is never a module (Go ignores those directories).
//! A lockfile is judged when it lies outside fixture directories or beside a judged manifest
//! of its ecosystem.
//!
//! One pass over the files builds maps by directory; each workspace's member globs are then
//! matched only against the manifest directories under the glob's literal prefix, so the cost
//! stays linear in the number of files.

use crate::snapshot::join_relative;
use std::collections::{HashMap, HashSet};

use goldpath_manifests::{Ecosystem, FileKind, Source};

use super::{dir_of, kind_of, parsed};
use crate::context::Context;
use crate::doc::Node;
use crate::glob::{Glob, GlobList};
use crate::snapshot::FileEntry;

/// Directory names whose manifests are test fixtures unless the project reaches them.
pub(crate) const FIXTURE_DIRS: &[&str] = &["tests", "test", "testdata", "fixtures", "__fixtures__"];

/// Files that declare workspace members without being manifests the family judges.
pub(crate) const WORKSPACE_FILES: &[&str] = &["pnpm-workspace.yaml", "go.work"];

/// The manifests and lockfiles that do not belong to the project.
#[derive(Debug, Default)]
pub(crate) struct Project {
    outside: HashSet<String>,
}

impl Project {
    /// Whether the `deps/*` rules judge the file at `path`.
    pub(crate) fn judges(&self, path: &str) -> bool {
        !self.outside.contains(path)
    }
}

pub(crate) fn under_fixture(dir: &str) -> bool {
    !dir.is_empty() && dir.split('/').any(|part| FIXTURE_DIRS.contains(&part))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The ecosystem a workspace or path reference points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    Cargo,
    Npm,
    Python,
    Go,
}

impl Target {
    fn of(kind: FileKind) -> Option<Target> {
        match kind {
            FileKind::CargoToml => Some(Target::Cargo),
            FileKind::PackageJson => Some(Target::Npm),
            FileKind::Pyproject => Some(Target::Python),
            FileKind::GoMod => Some(Target::Go),
            _ => None,
        }
    }
}

/// What one manifest or workspace file says belongs with it: member globs (with exclusions)
/// and exact directories (path dependencies, go.work `use`).
#[derive(Default)]
struct References {
    members: Vec<(Target, String)>,
    excluded: Vec<String>,
    dirs: Vec<(Target, String)>,
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(Node::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn references(cx: &Context<'_>, file: &FileEntry) -> References {
    let mut out = References::default();
    let dir = dir_of(&file.path);
    let name = file_name(&file.path);
    // Only a file that may declare a workspace is parsed as a document (a second parse beside
    // the manifest model): most manifests of a large repository declare none, though a Cargo
    // workspace's members mention it in every `version.workspace = true`.
    let declares_members = match name {
        "pnpm-workspace.yaml" => true,
        "Cargo.toml" => cx.text(file).is_ok_and(|text| has_workspace_key(&text)),
        "package.json" | "pyproject.toml" => {
            cx.text(file).is_ok_and(|text| text.contains("workspace"))
        }
        _ => false,
    };
    let docs = declares_members.then(|| cx.documents(file)).flatten();
    let document = || -> Option<&Node> { docs.as_deref()?.as_ref().ok()?.first() };
    let mut add_members = |target: Target, globs: Vec<String>, excluded: Vec<String>| {
        for glob in globs {
            match glob.strip_prefix('!') {
                Some(negated) => out.excluded.extend(join_relative(dir, negated)),
                None => out
                    .members
                    .extend(join_relative(dir, &glob).map(|g| (target, g))),
            }
        }
        out.excluded
            .extend(excluded.iter().filter_map(|g| join_relative(dir, g)));
    };
    match name {
        "Cargo.toml" => {
            if let Some(root) = document() {
                let workspace = root.get("workspace");
                add_members(
                    Target::Cargo,
                    strings(workspace.and_then(|w| w.get("members"))),
                    strings(workspace.and_then(|w| w.get("exclude"))),
                );
            }
        }
        "package.json" => {
            if let Some(root) = document() {
                let workspaces = root.get("workspaces");
                let globs = match workspaces.and_then(|w| w.get("packages")) {
                    Some(packages) => strings(Some(packages)),
                    None => strings(workspaces),
                };
                add_members(Target::Npm, globs, Vec::new());
            }
        }
        "pnpm-workspace.yaml" => {
            if let Some(root) = document() {
                add_members(Target::Npm, strings(root.get("packages")), Vec::new());
            }
        }
        "pyproject.toml" => {
            if let Some(root) = document() {
                let workspace = root
                    .get("tool")
                    .and_then(|t| t.get("uv"))
                    .and_then(|u| u.get("workspace"));
                add_members(
                    Target::Python,
                    strings(workspace.and_then(|w| w.get("members"))),
                    strings(workspace.and_then(|w| w.get("exclude"))),
                );
            }
        }
        "go.work" => {
            if let Ok(text) = cx.text(file) {
                for used in go_work_uses(&text) {
                    out.dirs
                        .extend(join_relative(dir, used).map(|d| (Target::Go, d)));
                }
            }
        }
        _ => {}
    }
    // Path dependencies of every ecosystem point at a directory with a manifest of the same
    // ecosystem (a Cargo crate, an npm package, a Python project, a replaced Go module).
    if let Some(kind) = kind_of(file).filter(|k| !k.is_lockfile()) {
        let target = Target::of(kind);
        if let (Some(target), Some(parsed)) = (target, parsed(cx, file)) {
            if let Ok(manifest) = parsed.as_ref() {
                for package in &manifest.packages {
                    if let Source::Path(path) = &package.source {
                        out.dirs
                            .extend(join_relative(dir, path).map(|d| (target, d)));
                    }
                }
            }
        }
    }
    out
}

/// Whether a Cargo.toml may have a top-level `workspace` key: a table header that names it
/// (`[workspace]`, `[workspace.dependencies]`, `[ "workspace" ]`) or a key that starts a
/// line before the first header (`workspace = { members = [...] }`). Keys inside a table
/// (`[lints]` `workspace = true`, `serde.workspace = true`) do not count, so the members of
/// a workspace, which mention it in nearly every table, are not parsed a second time.
fn has_workspace_key(text: &str) -> bool {
    let names_workspace = |line: &str| {
        let line = line.trim_start_matches(['[', ' ', '\t', '"', '\'']);
        line.starts_with("workspace")
    };
    let mut at_root = true;
    for line in text.lines() {
        let line = line.trim();
        let code = line.split('#').next().unwrap_or("").trim_end();
        if code.starts_with('[') && code.ends_with(']') {
            if names_workspace(code) {
                return true;
            }
            at_root = false;
        } else if at_root && names_workspace(line) {
            return true;
        }
    }
    false
}

/// The directories of a go.work's `use` directives, single or in a block.
fn go_work_uses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if in_block {
            if line.starts_with(')') {
                in_block = false;
            } else if !line.is_empty() {
                out.push(line.trim_matches('"'));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("use") else {
            continue;
        };
        let rest = rest.trim();
        if rest == "(" {
            in_block = true;
        } else if !rest.is_empty() && !rest.starts_with('(') {
            out.push(rest.trim_matches('"'));
        }
    }
    out
}

/// The directory part of a glob before its first wildcard (`crates/` for `crates/*`).
fn literal_prefix(glob: &str) -> &str {
    match glob.find(['*', '?', '[', '{', '\\']) {
        None => glob,
        Some(wild) => glob[..wild].rfind('/').map_or("", |slash| &glob[..=slash]),
    }
}

/// Which manifests and lockfiles of the repository belong to the project.
pub(crate) fn build(cx: &Context<'_>) -> Project {
    let files = super::family_files(cx);
    // (target, directory) -> manifest path; sorted directories per target for globs.
    let mut manifest_at: HashMap<(Target, &str), &FileEntry> = HashMap::new();
    let mut dirs: HashMap<Target, Vec<&str>> = HashMap::new();
    let mut judged: HashSet<&str> = HashSet::new();
    let mut queue: Vec<&FileEntry> = Vec::new();
    let mut lockfiles: Vec<(&FileEntry, FileKind)> = Vec::new();
    let mut others: Vec<&FileEntry> = Vec::new();
    for file in files.iter().copied() {
        let dir = dir_of(&file.path);
        let kind = kind_of(file);
        if kind.is_none() {
            if file.mode.is_regular()
                && WORKSPACE_FILES.contains(&file_name(&file.path))
                && !under_fixture(dir)
            {
                queue.push(file);
            }
            continue;
        }
        let Some(kind) = kind else { continue };
        if kind.is_lockfile() {
            lockfiles.push((file, kind));
            continue;
        }
        if let Some(target) = Target::of(kind) {
            manifest_at.insert((target, dir), file);
            dirs.entry(target).or_default().push(dir);
        }
        let go_ignored = kind == FileKind::GoMod && dir.split('/').any(|p| p == "testdata");
        if go_ignored {
            others.push(file);
            continue;
        }
        if under_fixture(dir) {
            others.push(file);
        } else {
            judged.insert(&file.path);
            queue.push(file);
        }
    }
    for list in dirs.values_mut() {
        list.sort_unstable();
    }

    while let Some(file) = queue.pop() {
        let refs = references(cx, file);
        let mut reached: Vec<&FileEntry> = Vec::new();
        for (target, dir) in &refs.dirs {
            reached.extend(manifest_at.get(&(*target, dir.as_str())).copied());
        }
        if !refs.members.is_empty() {
            let excluded = GlobList::new(
                refs.excluded
                    .iter()
                    .filter_map(|g| Glob::new(g).ok())
                    .collect(),
            );
            for (target, member) in &refs.members {
                let Some(list) = dirs.get(target) else {
                    continue;
                };
                let Ok(glob) = Glob::new(member) else {
                    tracing::debug!(path = %file.path, %member, "workspace member glob skipped");
                    continue;
                };
                let prefix = literal_prefix(member);
                let start = list.partition_point(|d| *d < prefix);
                for dir in &list[start..] {
                    if !dir.starts_with(prefix) {
                        break;
                    }
                    let dir: &str = dir;
                    // An excluded directory is not reached from here; outside fixtures it is
                    // judged all the same, as a project of its own.
                    if glob.is_match(dir) && !excluded.is_match(dir) {
                        reached.extend(manifest_at.get(&(*target, dir)).copied());
                    }
                }
            }
        }
        for manifest in reached {
            let go_ignored = kind_of(manifest) == Some(FileKind::GoMod)
                && dir_of(&manifest.path).split('/').any(|p| p == "testdata");
            if !go_ignored && judged.insert(&manifest.path) {
                queue.push(manifest);
            }
        }
    }

    // A lockfile belongs with the judged manifests of its ecosystem beside it.
    let judged_dirs: HashSet<(Ecosystem, &str)> = files
        .iter()
        .filter(|f| judged.contains(f.path.as_str()))
        .filter_map(|f| Some((kind_of(f)?.ecosystem(), dir_of(&f.path))))
        .collect();
    let mut outside: HashSet<String> = others
        .iter()
        .filter(|f| !judged.contains(f.path.as_str()))
        .map(|f| f.path.clone())
        .collect();
    for (file, kind) in lockfiles {
        let dir = dir_of(&file.path);
        if under_fixture(dir) && !judged_dirs.contains(&(kind.ecosystem(), dir)) {
            outside.insert(file.path.clone());
        }
    }
    if !outside.is_empty() {
        tracing::debug!(
            files = outside.len(),
            "manifests and lockfiles in test fixtures that no workspace reaches: not judged"
        );
    }
    Project { outside }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_lexically_within_the_repository() {
        assert_eq!(
            join_relative("crates/a", "../b").as_deref(),
            Some("crates/b")
        );
        assert_eq!(join_relative("", "./x/").as_deref(), Some("x"));
        assert_eq!(join_relative("", "."), Some(String::new()));
        assert_eq!(join_relative("", "../out"), None);
        assert_eq!(join_relative("a", "/abs"), None);
    }

    #[test]
    fn a_workspace_key_starts_its_line() {
        for root in [
            "[workspace]\nmembers = [\"a\"]",
            "[package]\nname = \"x\"\n\n  [ workspace.dependencies ]\n",
            "[\"workspace\"]\n",
            "workspace = { members = [\"a\"] }\n",
            "workspace.members = [\"a\"]\n",
        ] {
            assert!(has_workspace_key(root), "{root}");
        }
        for member in [
            "[package]\nversion.workspace = true\n",
            "[dependencies]\nserde = { workspace = true }\nanyhow.workspace = true\n",
            "[package]\nname = \"x\"\n\n[lints]\nworkspace = true\n",
            "[package]\nworkspace = \"../..\"\n",
            "# uses the workspace's lints\n[lints]\n",
        ] {
            assert!(!has_workspace_key(member), "{member}");
        }
    }

    #[test]
    fn go_work_lists_single_and_block_uses() {
        let text = "go 1.22\n\nuse ./tools // the tools\nuse (\n\t./a\n\t\"./b\"\n)\n";
        assert_eq!(go_work_uses(text), ["./tools", "./a", "./b"]);
    }

    #[test]
    fn literal_prefixes_of_member_globs() {
        assert_eq!(literal_prefix("crates/*"), "crates/");
        assert_eq!(literal_prefix("crates/a"), "crates/a");
        assert_eq!(literal_prefix("*"), "");
        assert_eq!(literal_prefix("x/pkg-*/y"), "x/");
    }
}
