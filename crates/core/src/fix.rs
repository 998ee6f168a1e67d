//! Fixes: how `goldpath fix` applies the edits rules propose for their findings.
//!
//! A rule that can repair a finding attaches a [`Fix`] to its [`Violation`](crate::Violation)
//! when the engine was built with [`FixOptions`] (`Engine::with_fix_options`): a list of
//! [`Edit`]s, each an insertion or replacement at a byte range of a file the rule read, or a
//! new file. Those types live in [`crate::edit`], below the rules and the engine; this module
//! re-exports them so their `goldpath::fix::` paths still resolve.
//!
//! [`plan`] turns a report's fixes into new file contents. It checks every path (relative,
//! normalised, no `..`, nothing under `.git`), reads the files from the snapshot the rules
//! saw, applies each fix whole or not at all, and skips a fix that overlaps one already taken
//! (fixes are taken in rule order, then report order), so the result is deterministic.
//! [`write()`] puts a plan on disk under a root directory without ever following a symbolic
//! link: a link anywhere on the way to a file, or the file itself being one, refuses that
//! file. [`unified_diff`] shows a plan without writing it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

pub use crate::edit::{check_path, text, Edit, Fix, FixOptions, PathError, TODO};
use crate::engine::Report;
use crate::finding::Finding;
use crate::snapshot::{FileEntry, FileMode, Snapshot};

/// Placeholders ([`crate::edit::placeholder`]), and whether a finding reports one.
pub mod placeholder {
    pub use crate::edit::placeholder::*;

    /// Whether a finding reports a placeholder (and so has no fix, whatever its rule).
    pub fn reported(finding: &crate::Finding) -> bool {
        finding.message.contains(STILL_HOLDS)
    }
}

/// The new contents of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePlan {
    /// Repository-relative path.
    pub path: String,
    /// The contents the rules read, or `None` for a file the plan creates.
    pub old: Option<String>,
    /// The contents after the fixes.
    pub new: String,
    /// Indices (into the report's findings) of the fixes applied to this file.
    pub findings: Vec<usize>,
}

/// A fix that was not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Index of the finding in the report.
    pub finding: usize,
    /// Why.
    pub reason: String,
    /// True when the fix only waits for another run: it overlaps a fix taken before it. False
    /// when it cannot be applied at all (a refused path, a file that is not what the rule
    /// read).
    pub retry: bool,
}

/// The result of [`plan`]: new contents per file, and the fixes left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Changed or created files, sorted by path.
    pub files: Vec<FilePlan>,
    /// Indices of the findings whose fix is in the plan, in the order they were taken.
    pub applied: Vec<usize>,
    /// Fixes left out (overlapping an earlier one, a bad path, a file that changed shape).
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// One edit accepted into a file, with the order it was accepted in.
struct Accepted {
    range: Range<usize>,
    text: String,
    order: usize,
}

#[derive(Default)]
struct FileState {
    old: Option<String>,
    edits: Vec<Accepted>,
    created: Option<String>,
    findings: Vec<usize>,
}

/// Applies the fixes of a report's findings to the files of `snapshot` (the snapshot the
/// report was made from), in memory.
///
/// Fixes are taken in the order of the report's rules (registry order), then of its findings.
/// A fix is taken whole or not at all; it is skipped when one of its edits overlaps an edit
/// already taken (two insertions at the same place do not overlap; an identical edit counts as
/// already taken), names a path [`check_path`] refuses, replaces bytes of a file that is not
/// a readable UTF-8 regular file of the snapshot or outside it, or creates a path that exists.
pub fn plan(snapshot: &dyn Snapshot, report: &Report) -> Plan {
    let rule_order = |rule: &str| {
        report
            .rules
            .iter()
            .position(|r| r.id == rule)
            .unwrap_or(usize::MAX)
    };
    let mut order: Vec<(usize, &Finding)> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.fix.is_some())
        .collect();
    order.sort_by_key(|(index, f)| (rule_order(&f.rule), *index));

    let files = snapshot.files();
    let mut state: BTreeMap<String, FileState> = BTreeMap::new();
    let mut out = Plan::default();
    let mut accepted = 0;
    for (index, finding) in order {
        let Some(fix) = &finding.fix else { continue };
        let mut overlap = false;
        match try_fix(snapshot, files, &mut state, fix, accepted, &mut overlap) {
            Ok(touched) => {
                accepted += fix.edits.len();
                for path in touched {
                    if let Some(file) = state.get_mut(&path) {
                        file.findings.push(index);
                    }
                }
                out.applied.push(index);
            }
            Err(reason) => out.skipped.push(Skipped {
                finding: index,
                reason,
                retry: overlap,
            }),
        }
    }
    for (path, file) in state {
        let new = match (&file.created, &file.old) {
            (Some(contents), _) => contents.clone(),
            (None, Some(old)) => apply_edits(old, &file.edits),
            (None, None) => continue,
        };
        if file.created.is_none() && file.old.as_deref() == Some(new.as_str()) {
            continue;
        }
        out.files.push(FilePlan {
            path,
            old: if file.created.is_some() {
                None
            } else {
                file.old
            },
            new,
            findings: file.findings,
        });
    }
    out
}

/// Checks every edit of `fix` against the state, and takes them all when none conflicts.
/// Returns the paths the fix touches; sets `overlap` when it is refused only for overlapping
/// a fix taken before.
fn try_fix(
    snapshot: &dyn Snapshot,
    files: &[FileEntry],
    state: &mut BTreeMap<String, FileState>,
    fix: &Fix,
    accepted: usize,
    overlap: &mut bool,
) -> Result<Vec<String>, String> {
    if fix.edits.is_empty() {
        return Err("the fix has no edits".to_owned());
    }
    // Load the files first (reading is not a change), then judge every edit, then commit.
    for edit in &fix.edits {
        let path = check_path(edit.path()).map_err(|e| e.to_string())?;
        if let Edit::Replace { .. } = edit {
            if state.get(path).is_none_or(|s| s.old.is_none()) {
                let entry = find(files, path).ok_or_else(|| {
                    format!("{path}: not a file of the repository, so it cannot be edited")
                })?;
                if !entry.mode.is_regular() {
                    return Err(format!(
                        "{path}: not a regular file (a link or a submodule)"
                    ));
                }
                let bytes = snapshot
                    .read(entry)
                    .map_err(|e| format!("{path}: cannot read: {e}"))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{path}: not UTF-8 text, so it is not edited"))?;
                state.entry(path.to_owned()).or_default().old = Some(text);
            }
        }
    }
    let mut new_edits: Vec<(String, Accepted)> = Vec::new();
    let mut creates: Vec<(String, String)> = Vec::new();
    for edit in &fix.edits {
        match edit {
            Edit::Create { path, contents } => {
                if let Some(existing) = state.get(path).and_then(|s| s.created.as_ref()) {
                    if existing == contents {
                        continue;
                    }
                    return Err(format!(
                        "{path}: another fix creates it with other contents"
                    ));
                }
                if find(files, path).is_some() || state.get(path).is_some_and(|s| s.old.is_some()) {
                    return Err(format!("{path}: already exists"));
                }
                if let Some(clash) = path_clash(files, path) {
                    return Err(format!("{path}: {clash}"));
                }
                if creates.iter().any(|(p, _)| p == path) {
                    return Err(format!("{path}: the fix creates it twice"));
                }
                creates.push((path.clone(), contents.clone()));
            }
            Edit::Replace { path, range, text } => {
                let file = state.get(path);
                let old = file.and_then(|s| s.old.as_deref()).unwrap_or_default();
                if range.start > range.end
                    || range.end > old.len()
                    || !old.is_char_boundary(range.start)
                    || !old.is_char_boundary(range.end)
                {
                    return Err(format!(
                        "{path}: the edit at bytes {}..{} is outside the file",
                        range.start, range.end
                    ));
                }
                let taken = file.map(|s| s.edits.as_slice()).unwrap_or_default();
                let same = |a: &Accepted| a.range == *range && a.text == *text;
                if taken.iter().any(same) || new_edits.iter().any(|(p, a)| p == path && same(a)) {
                    continue;
                }
                let clash = taken
                    .iter()
                    .chain(new_edits.iter().filter(|(p, _)| p == path).map(|(_, a)| a))
                    .find(|a| overlaps(&a.range, range));
                if let Some(a) = clash {
                    *overlap = true;
                    let index = crate::span::LineIndex::new(old);
                    let (line, column) = index.position(a.range.start);
                    return Err(format!(
                        "{path}: overlaps another fix at {line}:{column}; run `goldpath fix` \
                         again to apply it"
                    ));
                }
                new_edits.push((
                    path.clone(),
                    Accepted {
                        range: range.clone(),
                        text: text.clone(),
                        order: accepted + new_edits.len(),
                    },
                ));
            }
        }
    }
    for (path, contents) in creates {
        state.entry(path).or_default().created = Some(contents);
    }
    for (path, edit) in new_edits {
        state.entry(path).or_default().edits.push(edit);
    }
    // Every file the fix is about, edits merged with identical ones included: the fix stands
    // or falls with those files being written.
    let mut touched: Vec<String> = fix.edits.iter().map(|e| e.path().to_owned()).collect();
    touched.sort();
    touched.dedup();
    Ok(touched)
}

/// Whether two byte ranges conflict: they share a byte, or one is an insertion strictly
/// inside the other. Insertions at the same place, or at an end of a replaced range, do not.
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() && b.is_empty() {
        return false;
    }
    if a.is_empty() {
        return b.start < a.start && a.start < b.end;
    }
    if b.is_empty() {
        return a.start < b.start && b.start < a.end;
    }
    a.start < b.end && b.start < a.end
}

/// A file of the snapshot that stands where `path` needs a directory (or the reverse).
fn path_clash(files: &[FileEntry], path: &str) -> Option<String> {
    let mut prefix = String::new();
    for component in path.split('/') {
        if !prefix.is_empty() {
            // `prefix` is a parent directory of the path: it must not be a file or a link.
            if let Some(entry) = find(files, &prefix) {
                return Some(match entry.mode {
                    FileMode::Symlink => format!(
                        "`{}` is a symbolic link; goldpath fix does not write through it",
                        entry.path
                    ),
                    FileMode::Submodule => format!("`{}` is a submodule", entry.path),
                    FileMode::File | FileMode::Executable => {
                        format!("`{}` is a file, not a directory", entry.path)
                    }
                });
            }
            prefix.push('/');
        }
        prefix.push_str(component);
    }
    let dir = format!("{path}/");
    let start = files.partition_point(|f| f.path.as_str() < dir.as_str());
    files
        .get(start)
        .filter(|f| f.path.starts_with(&dir))
        .map(|_| "a directory of that name exists".to_owned())
}

fn find<'a>(files: &'a [FileEntry], path: &str) -> Option<&'a FileEntry> {
    files
        .binary_search_by(|f| f.path.as_str().cmp(path))
        .ok()
        .map(|i| &files[i])
}

fn apply_edits(old: &str, edits: &[Accepted]) -> String {
    let mut sorted: Vec<&Accepted> = edits.iter().collect();
    sorted.sort_by_key(|a| (a.range.start, a.range.end, a.order));
    let mut out =
        String::with_capacity(old.len() + sorted.iter().map(|a| a.text.len()).sum::<usize>());
    let mut at = 0;
    for edit in sorted {
        out.push_str(&old[at..edit.range.start.max(at)]);
        out.push_str(&edit.text);
        at = at.max(edit.range.end);
    }
    out.push_str(&old[at..]);
    out
}

/// Why a planned file was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A symbolic link, or something that is not a directory, on the way to the file.
    #[error("{path}: {reason}; goldpath fix does not write through it")]
    Unsafe {
        /// The repository-relative path of the file.
        path: String,
        /// What is in the way.
        reason: String,
    },
    /// The file on disk is not what the rules read.
    #[error("{0}: changed on disk since it was checked; run `goldpath fix` again")]
    Changed(String),
    /// A file to create is already on disk, though the rules did not see it (an ignored
    /// file, or one created since).
    #[error("{0}: already exists on disk (ignored by git?); goldpath fix does not overwrite it")]
    Exists(String),
    /// The path is refused.
    #[error(transparent)]
    Path(#[from] PathError),
    /// The file system failed.
    #[error("{path}: {source}")]
    Io {
        /// The repository-relative path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Checks, without changing anything, that `file` can be written under `root`: its path is
/// plain, no directory on the way is a symbolic link (or a file), an edited file is a regular
/// file whose contents are still what the rules read, and a created file does not exist.
pub fn preflight(root: &Path, file: &FilePlan) -> Result<(), WriteError> {
    let path = check_path(&file.path)?;
    let target = crate::safe_write::resolve(&root.join(path), &[root])
        .map_err(|e| from_safe_write(root, path, e))?
        .path;
    let io = |source| WriteError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if !meta.is_file() => Err(WriteError::Unsafe {
            path: path.to_owned(),
            reason: "not a regular file".to_owned(),
        }),
        Ok(_) => match &file.old {
            None => Err(WriteError::Exists(path.to_owned())),
            Some(old) => {
                let current = std::fs::read(&target).map_err(io)?;
                if current == old.as_bytes() {
                    Ok(())
                } else {
                    Err(WriteError::Changed(path.to_owned()))
                }
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match file.old {
            None => Ok(()),
            Some(_) => Err(WriteError::Changed(path.to_owned())),
        },
        Err(e) => Err(io(e)),
    }
}

/// A refusal of [`crate::safe_write`] in the words of `goldpath fix`, naming what is in the
/// way by its path in the repository.
fn from_safe_write(root: &Path, path: &str, err: crate::safe_write::SafeWriteError) -> WriteError {
    use crate::safe_write::SafeWriteError;
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    let shown = |at: &Path| {
        at.strip_prefix(&root)
            .unwrap_or(at)
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/")
    };
    let reason = match err {
        SafeWriteError::Link { link, .. } if shown(&link) == path => {
            "the file is a symbolic link".to_owned()
        }
        SafeWriteError::Link { link, .. } => format!("`{}` is a symbolic link", shown(&link)),
        SafeWriteError::NotDirectory { what, .. } => {
            format!("`{}` is not a directory", shown(&what))
        }
        SafeWriteError::Loop { .. } => "too many symbolic links on the way".to_owned(),
        SafeWriteError::Io { source, .. } => {
            return WriteError::Io {
                path: path.to_owned(),
                source,
            }
        }
    };
    WriteError::Unsafe {
        path: path.to_owned(),
        reason,
    }
}

/// Writes one planned file under `root` after [`preflight`], through [`crate::safe_write`]:
/// missing directories are created one at a time (each checked again), an edited file is
/// replaced by renaming a new file over it (keeping its permissions), so a link that appeared
/// since is replaced rather than followed; a new file is created exclusively, which fails on
/// anything already there.
pub fn write(root: &Path, file: &FilePlan) -> Result<(), WriteError> {
    preflight(root, file)?;
    let path = check_path(&file.path)?;
    let target = root.join(path);
    let refused = |e| from_safe_write(root, path, e);
    if let Some(dir) = target.parent() {
        crate::safe_write::create_dir_all(dir, &[root]).map_err(refused)?;
    }
    match &file.old {
        None => crate::safe_write::write_new(&target, file.new.as_bytes(), &[root]),
        Some(_) => crate::safe_write::write(&target, file.new.as_bytes(), &[root], None),
    }
    .map_err(refused)
}

/// `prefix` and `path` as a diff header names them: as is, or, when the path holds a double
/// quote, a backslash or a control character (a line break in a file name would start a header
/// of its own), C-quoted as git quotes it (`"b/a\nb"`, other bytes as octal escapes), which
/// `git apply` reads back.
fn quote_diff_path(prefix: &str, path: &str) -> String {
    if !path.contains(|c: char| c == '"' || c == '\\' || c.is_control()) {
        return format!("{prefix}{path}");
    }
    let mut out = String::from("\"");
    for c in prefix.chars().chain(path.chars()) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => {
                let mut bytes = [0; 4];
                for byte in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A unified diff (`diff -u`, paths as `a/PATH` and `b/PATH`, three lines of context) from
/// `old` (`None`: the file is created) to `new`. Empty when they are equal. A last line without
/// a line break is followed by `\ No newline at end of file`, as git prints it.
///
/// The lines are matched by `similar`'s Myers diff, which runs in linear space and bounds its
/// search as git's does, so a fix that rewrites much of a large file stays cheap to show.
pub fn unified_diff(path: &str, old: Option<&str>, new: &str) -> String {
    if old == Some(new) {
        return String::new();
    }
    let from = match old {
        Some(_) => quote_diff_path("a/", path),
        None => "/dev/null".to_owned(),
    };
    let to = quote_diff_path("b/", path);
    let diff = similar::TextDiff::from_lines(old.unwrap_or_default(), new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string();
    if text.is_empty() {
        // A created empty file has no hunk; the header still says it is created.
        return format!("--- {from}\n+++ {to}\n");
    }
    text
}

/// Test helpers: run a policy with fixes on in-memory files, apply the plan, and check the
/// result.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::{plan, FixOptions};
    use crate::engine::Engine;
    use crate::policy::{FsReader, Policy};
    use crate::registry::Registry;
    use crate::snapshot::MemorySnapshot;

    /// Files by path.
    pub(crate) type Files = BTreeMap<String, String>;

    pub(crate) fn files(list: &[(&str, &str)]) -> Files {
        list.iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect()
    }

    fn snapshot(files: &Files) -> MemorySnapshot {
        files.iter().fold(MemorySnapshot::new(), |s, (p, t)| {
            s.with_file(p, t.as_str())
        })
    }

    /// Checks `files` with `policy` and fixes on; applies the plan; returns the files after
    /// and the number of findings whose fix was applied.
    pub(crate) fn fix_once(policy: &str, files: &Files, options: &FixOptions) -> (Files, usize) {
        let policy = Policy::from_text("goldpath.toml", policy, Path::new("."), &FsReader)
            .unwrap_or_else(|e| panic!("policy: {e}"));
        let engine = Engine::new(&Registry::builtin(), &policy)
            .unwrap_or_else(|e| panic!("{e}"))
            .with_fix_options(options.clone());
        let snapshot = snapshot(files);
        let report = engine.check(&snapshot);
        let plan = plan(&snapshot, &report);
        let mut after = files.clone();
        for file in &plan.files {
            after.insert(file.path.clone(), file.new.clone());
        }
        (after, plan.applied.len())
    }

    /// Fixes `input` with `policy` (default options), asserts that the changed and created
    /// files are exactly `expected`, that the policy then reports nothing, and that a second
    /// run changes nothing.
    pub(crate) fn assert_fix(policy: &str, input: &[(&str, &str)], expected: &[(&str, &str)]) {
        assert_fix_with(policy, input, expected, &FixOptions::default());
    }

    /// [`assert_fix`] with options.
    pub(crate) fn assert_fix_with(
        policy: &str,
        input: &[(&str, &str)],
        expected: &[(&str, &str)],
        options: &FixOptions,
    ) {
        assert_fix_leaving(policy, input, expected, options, &[]);
    }

    /// [`assert_fix_with`], where the fix writes placeholders: after it, exactly the rules of
    /// `placeholders` report (each once, about a placeholder), since a placeholder never
    /// satisfies the rule it was written for.
    pub(crate) fn assert_fix_leaving(
        policy: &str,
        input: &[(&str, &str)],
        expected: &[(&str, &str)],
        options: &FixOptions,
        placeholders: &[&str],
    ) {
        let before = files(input);
        let (after, applied) = fix_once(policy, &before, options);
        assert!(applied > 0, "no fix was applied");
        let changed: Files = after
            .iter()
            .filter(|(p, t)| before.get(*p) != Some(*t))
            .map(|(p, t)| (p.clone(), t.clone()))
            .collect();
        let expected = files(expected);
        for (path, text) in &expected {
            assert_eq!(
                changed.get(path).map(String::as_str),
                Some(text.as_str()),
                "{path} after the fix"
            );
        }
        assert_eq!(
            changed.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "changed files"
        );
        let findings = crate::testing::check_snapshot(policy, &snapshot(&after));
        let left: Vec<&str> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(left, placeholders, "left after the fix: {findings:#?}");
        for finding in &findings {
            assert!(
                finding.message.contains("placeholder"),
                "left after the fix: {finding:#?}"
            );
        }
        let (again, applied) = fix_once(policy, &after, options);
        assert_eq!(applied, 0, "a second run had fixes to apply");
        assert_eq!(again, after, "a second run changed files");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn paths_must_stay_inside_the_repository() {
        for ok in [
            "SECURITY.md",
            ".github/dependabot.yml",
            "a/b/c.txt",
            ".gitignore",
        ] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "C:/x",
            ".git/config",
            "sub/.GIT/hooks/pre-commit",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlapping_ranges() {
        assert!(overlaps(&(0..4), &(3..6)));
        assert!(!overlaps(&(0..3), &(3..6)));
        assert!(!overlaps(&(3..3), &(3..3)));
        assert!(overlaps(&(4..4), &(3..6)));
        assert!(!overlaps(&(3..3), &(3..6)));
        assert!(!overlaps(&(6..6), &(3..6)));
    }

    #[test]
    fn edits_apply_in_position_then_acceptance_order() {
        let edits = [
            Accepted {
                range: 4..4,
                text: "B".into(),
                order: 1,
            },
            Accepted {
                range: 4..4,
                text: "A".into(),
                order: 0,
            },
            Accepted {
                range: 0..1,
                text: "X".into(),
                order: 2,
            },
        ];
        assert_eq!(apply_edits("abcdef", &edits), "XbcdABef");
    }

    fn report_with(fixes: &[(&str, Fix)]) -> Report {
        let snapshot = crate::MemorySnapshot::new();
        let policy = Policy::from_text(
            "goldpath.toml",
            "",
            Path::new("."),
            &crate::policy::FsReader,
        )
        .unwrap();
        let mut report = crate::Engine::new(&crate::Registry::builtin(), &policy)
            .unwrap()
            .check(&snapshot);
        for (rule, fix) in fixes {
            report.findings.push(Finding {
                rule: (*rule).to_owned(),
                level: crate::Level::Error,
                tier: crate::Tier::Bronze,
                message: String::new(),
                path: None,
                span: None,
                help: None,
                fingerprint: String::new(),
                snippet: None,
                fix: Some(fix.clone()),
            });
        }
        report
    }
    use crate::policy::Policy;

    #[test]
    fn overlapping_fixes_are_skipped_and_identical_ones_merged() {
        let snapshot = crate::MemorySnapshot::new().with_file("a.txt", "one\ntwo\n");
        let report = report_with(&[
            ("x/a", Fix::new(Edit::replace("a.txt", 0..3, "ONE"))),
            ("x/b", Fix::new(Edit::replace("a.txt", 1..5, "zzz"))),
            ("x/c", Fix::new(Edit::insert("a.txt", 8, "three\n"))),
            ("x/d", Fix::new(Edit::insert("a.txt", 8, "three\n"))),
            ("x/e", Fix::new(Edit::create("new/file.md", "hi\n"))),
            ("x/f", Fix::new(Edit::create("a.txt", "clobber"))),
            ("x/g", Fix::new(Edit::create("../outside", "x"))),
            ("x/h", Fix::new(Edit::replace("a.txt", 2..100, "x"))),
            ("x/i", Fix::new(Edit::create("a.txt/inside", "x"))),
        ]);
        let plan = plan(&snapshot, &report);
        assert_eq!(plan.files.len(), 2, "{plan:#?}");
        assert_eq!(plan.files[0].path, "a.txt");
        assert_eq!(plan.files[0].new, "ONE\ntwo\nthree\n");
        // The merged duplicate stands with the file.
        assert_eq!(plan.files[0].findings, [0, 2, 3]);
        assert_eq!(plan.files[1].path, "new/file.md");
        assert_eq!(plan.files[1].old, None);
        assert_eq!(plan.applied, [0, 2, 3, 4]);
        let reasons: Vec<&str> = plan.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(plan.skipped.len(), 5, "{reasons:#?}");
        assert!(
            reasons[0].contains("overlaps another fix at 1:1"),
            "{}",
            reasons[0]
        );
        assert!(reasons[1].contains("already exists"));
        assert!(reasons[2].contains("`..`"));
        assert!(reasons[3].contains("outside the file"));
        assert!(
            reasons[4].contains("`a.txt` is a file, not a directory"),
            "{}",
            reasons[4]
        );
    }

    #[test]
    fn a_fix_is_taken_whole_or_not_at_all() {
        let snapshot = crate::MemorySnapshot::new().with_file("a.txt", "abc");
        let report = report_with(&[
            ("x/a", Fix::new(Edit::replace("a.txt", 0..1, "A"))),
            (
                "x/b",
                Fix {
                    edits: vec![
                        Edit::create("b.txt", "b"),
                        Edit::replace("a.txt", 0..2, "zz"),
                    ],
                },
            ),
        ]);
        let plan = plan(&snapshot, &report);
        assert_eq!(plan.files.len(), 1);
        assert_eq!(plan.files[0].new, "Abc");
        assert_eq!(plan.skipped.len(), 1);
    }

    #[test]
    fn unified_diffs() {
        let diff = unified_diff("f.yml", Some("a\nb\nc\n"), "a\nb\nX\nc\n");
        assert_eq!(
            diff,
            "--- a/f.yml\n+++ b/f.yml\n@@ -1,3 +1,4 @@\n a\n b\n+X\n c\n"
        );
        let diff = unified_diff("n.md", None, "x\ny");
        assert_eq!(
            diff,
            "--- /dev/null\n+++ b/n.md\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n"
        );
        assert_eq!(unified_diff("f", Some("same"), "same"), "");
        // A line break in a name cannot start a header of its own: C-quoted as git does.
        let diff = unified_diff("a\n+++ b/x\u{1b}\"q", Some("a\n"), "b\n");
        assert!(
            diff.starts_with(
                "--- \"a/a\\n+++ b/x\\033\\\"q\"\n+++ \"b/a\\n+++ b/x\\033\\\"q\"\n@@"
            ),
            "{diff}"
        );
        // Two changes far apart make two hunks.
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_owned(),
                19 => "nineteen\n".to_owned(),
                _ => format!("{i}\n"),
            })
            .collect();
        let diff = unified_diff("f", Some(&old), &new);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(
            diff.contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n"),
            "{diff}"
        );
        assert!(
            diff.contains("@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n"),
            "{diff}"
        );
        // A change at the very start and a deletion.
        let diff = unified_diff("f", Some("a\nb\n"), "b\n");
        assert_eq!(diff, "--- a/f\n+++ b/f\n@@ -1,2 +1 @@\n-a\n b\n");
    }

    /// Applies a unified diff of [`unified_diff`] to `old`, checking every context and deleted
    /// line against it.
    fn apply_diff(old: &str, diff: &str) -> String {
        let old: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut next = 0;
        let mut deleted = false;
        for line in diff.split_inclusive('\n').skip(2) {
            if let Some(header) = line.strip_prefix("@@ -") {
                let start: usize = header
                    .split([',', ' '])
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("hunk start");
                let len_zero = header.split(' ').next().is_some_and(|r| r.ends_with(",0"));
                let start = if len_zero { start } else { start - 1 };
                out.extend(old[next..start].iter().copied());
                next = start;
            } else if line == "\\ No newline at end of file\n" {
                // The marker follows the line it speaks of; a deleted line is not in `out`.
                if !deleted {
                    assert_eq!(out.pop(), Some('\n'), "{diff}");
                }
            } else if let Some(text) = line.strip_prefix('+') {
                deleted = false;
                out.push_str(text);
            } else {
                deleted = line.starts_with('-');
                let (sign, text) = line.split_at(1);
                let want = old[next];
                assert_eq!(
                    text.strip_suffix('\n'),
                    Some(want.strip_suffix('\n').unwrap_or(want))
                );
                next += 1;
                if sign == " " {
                    out.push_str(text);
                } else {
                    assert_eq!(sign, "-", "{diff}");
                }
            }
        }
        out.extend(old[next..].iter().copied());
        out
    }

    #[test]
    fn unified_diffs_rebuild_the_new_text() {
        // Myers' example: five lines change, no fewer.
        let (old, new) = ("a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n");
        let diff = unified_diff("f", Some(old), new);
        assert_eq!(apply_diff(old, &diff), new);
        let changed = diff
            .lines()
            .skip(2)
            .filter(|l| l.starts_with(['+', '-']))
            .count();
        assert_eq!(changed, 5, "{diff}");
        // Pairs over a small alphabet, with and without a final line break.
        let mut seed = 7u64;
        let mut text = |len: usize| -> String {
            (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ["a\n", "b\n", "c\n", "d\n", "e"][(seed >> 33) as usize % 5]
                })
                .collect::<String>()
        };
        for round in 0..300 {
            let (old, new) = (text(round % 23), text(round % 17 + 1));
            let diff = unified_diff("f", Some(&old), &new);
            if old != new {
                assert_eq!(apply_diff(&old, &diff), new, "{old:?} -> {new:?}\n{diff}");
            }
        }
    }

    /// A fix that rewrites every other line of a 20,000-line file: the diff names exactly the
    /// changed lines (the hand-written Myers before gave up past 4,096 differences and replaced
    /// the whole file, after keeping 2.5 GB of search trace).
    #[test]
    fn large_rewrites_stay_minimal() {
        let old: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let new: String = (0..20_000)
            .map(|i| match i % 2 {
                0 => format!("changed {i}\n"),
                _ => format!("line {i}\n"),
            })
            .collect();
        let diff = unified_diff("big", Some(&old), &new);
        let count = |sign: char| diff.lines().skip(2).filter(|l| l.starts_with(sign)).count();
        assert_eq!((count('-'), count('+')), (10_000, 10_000));
        assert_eq!(apply_diff(&old, &diff), new);
    }

    #[test]
    fn created_empty_file_shows_its_header() {
        assert_eq!(
            unified_diff("empty", None, ""),
            "--- /dev/null\n+++ b/empty\n"
        );
    }

    #[test]
    fn text_helpers() {
        assert_eq!(text::eol("a\r\nb"), "\r\n");
        assert_eq!(text::eol("a\nb"), "\n");
        assert_eq!(text::line_start("ab\ncd", 4), 3);
        assert_eq!(text::line_end("ab\ncd", 1), 3);
        assert_eq!(text::line_end("ab\ncd", 4), 5);
        assert_eq!(text::key_indent("x:\n  - uses: a", 7), Some(4));
        assert_eq!(text::key_indent("x:\n    key: a", 7), Some(4));
        assert_eq!(text::key_indent("x: {a: 1}", 4), None);
        assert_eq!(text::lines_at("a", 1, "b\n".into(), "\n"), "\nb\n");
        assert_eq!(text::above_comments("a:\n  # x\n  #y\n  b: 1\n", 15), 3);
    }

    /// Every fixable rule on every prefix of files full of edge cases: never a panic, and a
    /// file that parsed as YAML before its fixes still parses after them.
    #[test]
    fn fixes_keep_truncated_files_parsing() {
        let policy: String = crate::rules::builtin()
            .iter()
            .filter(|d| d.meta.fixable)
            .map(|d| format!("[rules.\"{}\"]\n", d.meta.id))
            .collect();
        let workflow = "name: x # c\r\non: push\r\n\r\n# lead\r\njobs:\r\n  a: &a\r\n    # first\r\n    \
                        runs-on: [x, y]\r\n    steps:\r\n      - uses: actions/checkout@v4\r\n        \
                        with: {ref: é}\r\n      - {uses: actions/checkout@v4, with: }\r\n      \
                        - uses: actions/checkout@v4\r\n        with:\r\n      \
                        - uses: actions/upload-artifact@v4\r\n        with: {path: .}\r\n  b: *a\r\n  \
                        c: {steps: [{uses: actions/checkout@v4}, {uses: actions/upload-artifact@v4, with: {path: .}}]}\r\n";
        let catalog = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: é-x\n\
                       spec:\n  # t\n  type: |\n    a\n\n---\nkind: API\nspec: {}\n---\nkind: Group\n\
                       metadata: {name: g}\n";
        let parses = |path: &str, text: &str| {
            crate::doc::parse(crate::doc::Format::from_path(path).unwrap(), text).is_ok()
        };
        let mut cut = 0;
        while cut <= workflow.len().max(catalog.len()) {
            let prefix = |text: &'static str| {
                let mut at = cut.min(text.len());
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                &text[..at]
            };
            let input = testing::files(&[
                (".github/workflows/w.yml", prefix(workflow)),
                ("catalog-info.yaml", prefix(catalog)),
            ]);
            let (after, _) = testing::fix_once(&policy, &input, &FixOptions::default());
            for (path, before) in &input {
                if parses(path, before) {
                    assert!(
                        parses(path, &after[path]),
                        "{path} no longer parses after its fixes:\n{before}\n---\n{}",
                        after[path]
                    );
                }
            }
            cut += 3;
        }
    }

    #[test]
    fn writes_refuse_links_and_changed_files() {
        let root = tempdir();
        let outside = tempdir();
        std::fs::write(root.join("a.txt"), "old").unwrap();
        let edit = FilePlan {
            path: "a.txt".into(),
            old: Some("old".into()),
            new: "new".into(),
            findings: vec![],
        };
        write(&root, &edit).unwrap();
        assert_eq!(std::fs::read_to_string(root.join("a.txt")).unwrap(), "new");
        // The file changed since: refused.
        assert!(matches!(write(&root, &edit), Err(WriteError::Changed(_))));
        let create = FilePlan {
            path: "d/e/f.txt".into(),
            old: None,
            new: "x".into(),
            findings: vec![],
        };
        write(&root, &create).unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("d/e/f.txt")).unwrap(),
            "x"
        );
        assert!(
            write(&root, &create).is_err(),
            "create_new over an existing file"
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
            let through = FilePlan {
                path: "link/x.txt".into(),
                old: None,
                new: "x".into(),
                findings: vec![],
            };
            let err = write(&root, &through).unwrap_err();
            assert!(
                err.to_string().contains("`link` is a symbolic link"),
                "{err}"
            );
            std::fs::write(outside.join("t.txt"), "old").unwrap();
            std::os::unix::fs::symlink(outside.join("t.txt"), root.join("t.txt")).unwrap();
            let onto = FilePlan {
                path: "t.txt".into(),
                old: Some("old".into()),
                new: "new".into(),
                findings: vec![],
            };
            assert!(write(&root, &onto).is_err());
            assert_eq!(
                std::fs::read_to_string(outside.join("t.txt")).unwrap(),
                "old"
            );
            assert!(!outside.join("x.txt").exists());
        }
        let _ = std::fs::remove_dir_all(&root);
        let _ = std::fs::remove_dir_all(&outside);
    }

    fn tempdir() -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "goldpath-fix-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
