//! Vendored and generated files: third-party directories (`vendor/`, `node_modules/`...) and
//! what `.gitattributes` marks `linguist-vendored` or `linguist-generated`.
//!
//! One definition serves `goldpath init` (which reports the vendored directories it finds) and
//! the engine (which skips these files unless `[settings] include-vendored` takes them back),
//! so the two cannot disagree.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::glob::{Glob, GlobList};
use crate::snapshot::{FileEntry, Snapshot};

/// Directory names that hold third-party or installed code wherever they sit.
pub const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "third_party",
    "third-party",
    "node_modules",
    "site-packages",
    ".venv",
];

/// Directory names that hold third-party code at the repository root only: deeper down they
/// are as often the project's own (`src/deps/`, `lib/external/`).
pub const VENDORED_TOP_DIRS: &[&str] = &["external", "deps"];

/// The vendored directory a file lies in (`web/node_modules`, the outermost one), or `None`.
pub fn vendored_dir(path: &str) -> Option<&str> {
    let mut end = 0;
    let mut parts = path.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        // The last part is the file's own name, not a directory.
        parts.peek()?;
        end += part.len();
        if VENDORED_DIRS.contains(&part) || (first && VENDORED_TOP_DIRS.contains(&part)) {
            return Some(&path[..end]);
        }
        end += 1;
        first = false;
    }
    None
}

/// Why a file is skipped.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// It lies in a vendored directory named like this (`vendor`, `node_modules`).
    Directory(&'static str),
    /// `.gitattributes` marks it `linguist-vendored`.
    AttributeVendored,
    /// `.gitattributes` marks it `linguist-generated`.
    AttributeGenerated,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Directory(name) => write!(f, "{name}/"),
            SkipReason::AttributeVendored => f.write_str(".gitattributes linguist-vendored"),
            SkipReason::AttributeGenerated => f.write_str(".gitattributes linguist-generated"),
        }
    }
}

/// One `.gitattributes` line that sets or unsets a linguist attribute.
#[derive(Debug)]
struct AttrLine {
    /// `path:line` of the line.
    at: String,
    /// The pattern as written.
    pattern: String,
    /// `Some(Some(b))`: set to `b`; `Some(None)`: reset to unspecified (`!attr`); `None`: not
    /// mentioned.
    vendored: Option<Option<bool>>,
    generated: Option<Option<bool>>,
}

/// The linguist attributes of a snapshot's `.gitattributes` files (the root one and nested
/// ones), matched with git's rules: a pattern without a slash matches a name at any depth
/// below its file's directory, one with a slash is anchored there; a pattern naming a
/// directory does not reach the files inside it (`dir/**` does); the last matching line wins,
/// and deeper files win over shallower ones.
#[derive(Debug, Default)]
pub struct Attributes {
    lines: Vec<AttrLine>,
    globs: GlobList,
}

/// What the attributes say of one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Marks {
    /// `linguist-vendored`: `Some(false)` un-vendors a file in a vendored directory.
    pub vendored: Option<bool>,
    /// `linguist-generated`.
    pub generated: Option<bool>,
    /// The line that decided `vendored`, then `generated` (indices into the lines).
    vendored_by: Option<usize>,
    generated_by: Option<usize>,
}

impl Attributes {
    /// Reads every `.gitattributes` of `files` through `read` (unreadable ones are skipped).
    pub fn load(files: &[FileEntry], read: impl Fn(&FileEntry) -> Option<Vec<u8>>) -> Self {
        let mut sources: Vec<&FileEntry> = files
            .iter()
            .filter(|f| f.mode.is_regular())
            .filter(|f| f.path.rsplit('/').next() == Some(".gitattributes"))
            .collect();
        // Shallow files first: a deeper file's lines come later and so win.
        sources.sort_by_key(|f| (f.path.matches('/').count(), f.path.as_str()));
        let mut attributes = Attributes::default();
        let mut globs = Vec::new();
        for file in sources {
            let Some(bytes) = read(file) else {
                tracing::warn!(path = %file.path, "cannot read .gitattributes: its linguist marks are not applied");
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            let text = text.trim_start_matches('\u{feff}');
            let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            for (number, line) in text.lines().enumerate() {
                let Some((pattern, vendored, generated)) = parse_line(line) else {
                    continue;
                };
                let at = format!("{}:{}", file.path, number + 1);
                match Glob::new(&to_glob(dir, &pattern)) {
                    Ok(glob) => {
                        globs.push(glob);
                        attributes.lines.push(AttrLine {
                            at,
                            pattern,
                            vendored,
                            generated,
                        });
                    }
                    Err(e) => tracing::warn!(%at, "a .gitattributes pattern is skipped: {e}"),
                }
            }
        }
        attributes.globs = GlobList::new(globs);
        attributes
    }

    /// Whether no line sets a linguist attribute.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The linguist marks of a path.
    pub fn marks(&self, path: &str) -> Marks {
        let mut marks = Marks::default();
        if self.lines.is_empty() {
            return marks;
        }
        let mut vendored_done = false;
        let mut generated_done = false;
        for index in self.globs.matches(path).into_iter().rev() {
            let line = &self.lines[index];
            if let (false, Some(state)) = (vendored_done, line.vendored) {
                marks.vendored = state;
                marks.vendored_by = Some(index);
                vendored_done = true;
            }
            if let (false, Some(state)) = (generated_done, line.generated) {
                marks.generated = state;
                marks.generated_by = Some(index);
                generated_done = true;
            }
            if vendored_done && generated_done {
                break;
            }
        }
        marks
    }

    fn describe(&self, index: Option<usize>) -> String {
        index
            .and_then(|i| self.lines.get(i))
            .map(|l| format!("{} ({})", l.pattern, l.at))
            .unwrap_or_default()
    }
}

/// A `.gitattributes` line's pattern and its linguist attributes, when it has any.
#[allow(clippy::type_complexity)]
fn parse_line(line: &str) -> Option<(String, Option<Option<bool>>, Option<Option<bool>>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with("[attr]") {
        return None;
    }
    let (pattern, rest) = if let Some(quoted) = line.strip_prefix('"') {
        let end = quoted.find('"')?;
        (quoted[..end].replace("\\\"", "\""), &quoted[end + 1..])
    } else {
        let end = line.find([' ', '\t']).unwrap_or(line.len());
        (line[..end].to_owned(), &line[end..])
    };
    // Negative patterns are forbidden in attributes files: git ignores the line.
    if pattern.starts_with('!') {
        return None;
    }
    let pattern = pattern
        .strip_prefix('\\')
        .filter(|p| p.starts_with(['!', '#']))
        .map(str::to_owned)
        .unwrap_or(pattern);
    let mut vendored = None;
    let mut generated = None;
    for token in rest.split_whitespace() {
        let (name, state) = if let Some(name) = token.strip_prefix('-') {
            (name, Some(false))
        } else if let Some(name) = token.strip_prefix('!') {
            (name, None)
        } else if let Some((name, value)) = token.split_once('=') {
            // Linguist reads `true` and `false`; any other value counts as set, as git's
            // `attr=value` is set to something.
            (name, Some(value != "false"))
        } else {
            (token, Some(true))
        };
        match name {
            "linguist-vendored" => vendored = Some(state),
            "linguist-generated" => generated = Some(state),
            _ => {}
        }
    }
    (vendored.is_some() || generated.is_some()).then_some((pattern, vendored, generated))
}

/// The glob, relative to the repository, of a `.gitattributes` pattern in directory `dir`.
fn to_glob(dir: &str, pattern: &str) -> String {
    // Git's patterns have no `{a,b}` alternation: braces are literal.
    let pattern = pattern.replace('{', "\\{").replace('}', "\\}");
    let anchored = pattern.trim_end_matches('/').contains('/');
    let pattern = pattern.trim_start_matches('/');
    let pattern = if pattern.ends_with('/') {
        // Names a directory, which never matches a file: keep a glob that matches nothing.
        format!("{pattern}\u{0}")
    } else {
        pattern.to_owned()
    };
    let base = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    if anchored {
        format!("{base}{pattern}")
    } else {
        format!("{base}**/{pattern}")
    }
}

/// Files that GitHub or GitLab act on wherever they come from: workflows and actions (they
/// run), CODEOWNERS (it decides reviews), GitLab CI configuration. `.gitattributes` marks never
/// skip them; a vendored directory still does (`.github/vendor/` is code, not a workflow).
fn runs_on_the_platform(path: &str) -> bool {
    path.starts_with(".github/workflows/")
        || path.starts_with(".github/actions/")
        || path.starts_with(".gitlab/")
        || path == ".gitlab-ci.yml"
        || path == "action.yml"
        || path == "action.yaml"
        || matches!(
            path,
            "CODEOWNERS" | ".github/CODEOWNERS" | "docs/CODEOWNERS"
        )
}

/// Decides which files of a snapshot are skipped as vendored or generated.
#[derive(Debug)]
pub struct Skipper {
    attributes: Attributes,
    include: GlobList,
}

impl Skipper {
    /// Reads the snapshot's `.gitattributes` files; `include` are the globs of vendored or
    /// generated files that are checked all the same (`[settings] include-vendored`).
    pub fn new(snapshot: &dyn Snapshot, include: &GlobList, max_read_bytes: u64) -> Self {
        let read = |f: &FileEntry| {
            let size = snapshot.size(f).ok()?;
            (size <= max_read_bytes)
                .then(|| snapshot.read(f).ok())
                .flatten()
        };
        Skipper {
            attributes: Attributes::load(snapshot.files(), read),
            include: include.clone(),
        }
    }

    /// Why `path` is skipped, with the root it is skipped under (a directory such as
    /// `vendor/`, or a `.gitattributes` pattern with its line); `None` when it is checked.
    pub fn skip(&self, path: &str) -> Option<(SkipReason, String)> {
        let mut marks = self.attributes.marks(path);
        if runs_on_the_platform(path) {
            // A compiled workflow marked generated (gh-aw's `*.lock.yml`) still runs with the
            // repository's token, and a CODEOWNERS file still decides reviews: the marks say
            // how to show the file in diffs, not whether it matters.
            marks.vendored = marks.vendored.filter(|v| !v);
            marks.generated = None;
        }
        let generated = || {
            (marks.generated == Some(true)).then(|| {
                (
                    SkipReason::AttributeGenerated,
                    self.attributes.describe(marks.generated_by),
                )
            })
        };
        let reason = match (marks.vendored, vendored_dir(path)) {
            (Some(true), _) => (
                SkipReason::AttributeVendored,
                self.attributes.describe(marks.vendored_by),
            ),
            // `-linguist-vendored` un-vendors, even inside a vendored directory.
            (Some(false), _) | (None, None) => generated()?,
            (None, Some(dir)) => {
                let name = dir.rsplit('/').next().unwrap_or(dir);
                let name = VENDORED_DIRS
                    .iter()
                    .chain(VENDORED_TOP_DIRS)
                    .find(|d| **d == name)
                    .copied()
                    .unwrap_or("vendor");
                (SkipReason::Directory(name), format!("{dir}/"))
            }
        };
        if !self.include.is_empty() && self.include.is_match(path) {
            return None;
        }
        Some(reason)
    }
}

/// Files skipped as vendored or generated, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// How many files were skipped.
    pub files: usize,
    /// How many for each reason (`vendor/`, `.gitattributes linguist-generated`), in that
    /// order: directories by name, then attributes.
    pub reasons: Vec<SkipCount>,
    /// Where: each vendored directory (`web/node_modules/`) or `.gitattributes` pattern
    /// (`*.pb.go (.gitattributes:3)`) with its count, sorted.
    pub roots: Vec<SkipCount>,
}

/// A number of skipped files under one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkipCount {
    /// The reason or the root.
    pub name: String,
    /// How many files.
    pub files: usize,
}

/// Counts skipped files as they are found.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    reasons: BTreeMap<SkipReason, usize>,
    roots: BTreeMap<String, usize>,
}

impl Tally {
    pub(crate) fn add(&mut self, reason: SkipReason, root: String) {
        *self.reasons.entry(reason).or_default() += 1;
        *self.roots.entry(root).or_default() += 1;
    }

    pub(crate) fn finish(self) -> Skipped {
        let count = |(name, files): (String, usize)| SkipCount { name, files };
        Skipped {
            files: self.reasons.values().sum(),
            reasons: self
                .reasons
                .into_iter()
                .map(|(r, n)| count((r.to_string(), n)))
                .collect(),
            roots: self.roots.into_iter().map(count).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemorySnapshot;

    #[test]
    fn vendored_directories_at_any_depth_and_top_only_names_at_the_top() {
        assert_eq!(vendored_dir("vendor/a/b.go"), Some("vendor"));
        assert_eq!(
            vendored_dir("web/app/node_modules/x/node_modules/y.js"),
            Some("web/app/node_modules")
        );
        assert_eq!(vendored_dir("deps/jemalloc/x.c"), Some("deps"));
        assert_eq!(vendored_dir("src/deps/x.rs"), None);
        assert_eq!(vendored_dir("vendor"), None, "a file named vendor");
        assert_eq!(vendored_dir("src/vendored/x.rs"), None);
        assert_eq!(vendored_dir("lib/third-party/x.c"), Some("lib/third-party"));
    }

    fn skipper(files: &[(&str, &str)], include: &[&str]) -> Skipper {
        let mut snapshot = MemorySnapshot::new();
        for (path, text) in files {
            snapshot = snapshot.with_file(*path, *text);
        }
        Skipper::new(
            &snapshot,
            &GlobList::from_patterns(include).unwrap(),
            1 << 20,
        )
    }

    #[test]
    fn attribute_marks_never_skip_what_the_platform_runs() {
        let skipper = skipper(
            &[
                (
                    ".gitattributes",
                    ".github/workflows/*.lock.yml linguist-generated=true merge=ours\n\
                     CODEOWNERS linguist-vendored\n*.pb.go linguist-generated\n",
                ),
                (".github/workflows/triage.lock.yml", ""),
                ("CODEOWNERS", ""),
                ("api/x.pb.go", ""),
            ],
            &[],
        );
        assert_eq!(skipper.skip(".github/workflows/triage.lock.yml"), None);
        assert_eq!(skipper.skip("CODEOWNERS"), None);
        assert!(skipper.skip("api/x.pb.go").is_some());
    }

    #[test]
    fn gitattributes_follow_git_pattern_rules() {
        let root = "# comment\n\
                    *.pb.go linguist-generated=true\n\
                    /gen/** linguist-generated\n\
                    docs/api/*.md linguist-vendored\n\
                    vendor/ours/** -linguist-vendored\n\
                    vendor/reset/** linguist-vendored=false\n\
                    dirname linguist-vendored\n\
                    build/ linguist-vendored\n\
                    !neg linguist-vendored\n\
                    {a,b}.js linguist-vendored\n";
        let nested = "\u{feff}*.js linguist-vendored\r\nkeep.js !linguist-vendored\r\n";
        let in_vendor = "*.pb.go linguist-generated\n";
        let s = skipper(
            &[
                (".gitattributes", root),
                ("web/.gitattributes", nested),
                ("vendor/x/.gitattributes", in_vendor),
            ],
            &[],
        );
        let why = |p: &str| s.skip(p).map(|(r, _)| r);
        assert_eq!(why("api/x.pb.go"), Some(SkipReason::AttributeGenerated));
        assert_eq!(why("x.pb.go"), Some(SkipReason::AttributeGenerated));
        assert_eq!(why("gen/a/b.rs"), Some(SkipReason::AttributeGenerated));
        assert_eq!(why("src/gen/b.rs"), None, "anchored at the root");
        assert_eq!(why("docs/api/a.md"), Some(SkipReason::AttributeVendored));
        assert_eq!(why("docs/api/sub/a.md"), None, "`*` stays in one segment");
        assert_eq!(
            why("vendor/lib/a.go"),
            Some(SkipReason::Directory("vendor"))
        );
        assert_eq!(
            why("vendor/ours/a.go"),
            None,
            "-linguist-vendored un-vendors"
        );
        assert_eq!(
            why("vendor/x/a.pb.go"),
            Some(SkipReason::Directory("vendor")),
            "vendored first, generated second"
        );
        assert_eq!(why("vendor/reset/a.go"), None, "=false un-vendors");
        assert_eq!(
            why("dirname/a.c"),
            None,
            "a directory's files are not matched"
        );
        assert_eq!(why("build/a.c"), None);
        assert_eq!(why("neg"), None, "negative patterns are ignored");
        assert_eq!(why("{a,b}.js"), Some(SkipReason::AttributeVendored));
        assert_eq!(why("a.js"), None, "braces are literal");
        assert_eq!(why("web/x/app.js"), Some(SkipReason::AttributeVendored));
        assert_eq!(why("web/keep.js"), None, "`!attr` resets to unspecified");
        assert_eq!(why("app.js"), None, "a nested file applies below it only");
        let (_, root) = s.skip("x.pb.go").unwrap();
        assert_eq!(root, "*.pb.go (.gitattributes:2)");
    }

    #[test]
    fn include_takes_files_back() {
        let s = skipper(
            &[(".gitattributes", "*.gen.ts linguist-generated\n")],
            &["vendor/internal/**", "src/**"],
        );
        assert!(s.skip("vendor/internal/a.go").is_none());
        assert!(s.skip("vendor/other/a.go").is_some());
        assert!(s.skip("src/a.gen.ts").is_none());
        assert!(s.skip("lib/a.gen.ts").is_some());
    }
}
