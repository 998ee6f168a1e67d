//! `ownership/*`: the CODEOWNERS file (GitHub and GitLab dialects, chosen by `[settings]
//! platform`) and Backstage `catalog-info.yaml` files.
//!
//! Every rule of the family shares one [`Codeowners`] per check (through
//! [`Context::memo_repo`]): the effective file is chosen among the platform's locations with
//! [`goldpath_codeowners::choose_location`], read once and parsed once, whatever the number of
//! rules that ask. The rules that judge rules against the tree (shadowed patterns, patterns that
//! match nothing, unowned files) also share one pass over every path (`analysis`). `goldpath owners` loads the
//! same [`Codeowners`] outside the engine.

super::rule_modules! {
    catalog_info,
    codeowners_missing,
    codeowners_multiple_files,
    codeowners_syntax,
    duplicate_pattern,
    owner_format,
    pattern_matches_nothing,
    shadowed_pattern,
    unknown_owner,
    unowned_files,
}

use std::borrow::Cow;
use std::sync::Arc;

use goldpath_codeowners::{
    self as co, CodeOwners, Diagnostic, DiagnosticCode, Dialect, Ownership, RuleStats, Severity,
    MAX_GITHUB_BYTES,
};
use rayon::prelude::*;

use crate::context::{Context, ReadError};
use crate::finding::{Level, Violation};
use crate::policy::Platform;
use crate::snapshot::FileEntry;
use crate::span::{Lines, Span};

/// The memo kind of the shared [`Codeowners`].
const CODEOWNERS_MEMO: &str = "codeowners";
/// The memo kind of the shared [`Analysis`].
const ANALYSIS_MEMO: &str = "codeowners-analysis";
/// Paths per parallel task when matching a whole tree.
const CHUNK: usize = 2048;
/// Findings a rule reports about the CODEOWNERS file before it sums up the rest in one: a
/// generated file with thousands of dead lines gives a readable report.
pub(crate) const MAX_PER_FILE: usize = 200;

/// Why the effective CODEOWNERS file gives no owner to any file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// GitHub does not load a file larger than [`MAX_GITHUB_BYTES`].
    TooLarge {
        /// The file's size in bytes.
        size: u64,
    },
    /// The file cannot be read (over `max-read-bytes`, not a regular file, an I/O error).
    Unreadable(String),
    /// The file holds a NUL byte: no rule is read from it.
    Binary,
}

impl Unusable {
    /// Why, as a clause: "GitHub does not load it (4000000 bytes, over 3 MB)".
    pub fn describe(&self) -> String {
        match self {
            Unusable::TooLarge { size } => format!(
                "GitHub does not load it ({size} bytes, over the {MAX_GITHUB_BYTES}-byte limit)"
            ),
            Unusable::Unreadable(why) => format!("it cannot be read ({why})"),
            Unusable::Binary => "it is binary (it holds a NUL byte), so no rule is read".to_owned(),
        }
    }
}

/// The CODEOWNERS file a repository uses, parsed.
#[derive(Debug)]
pub struct CodeownersFile {
    /// Its path in the repository, such as `.github/CODEOWNERS`.
    pub path: String,
    /// Its rules and diagnostics; empty when [`CodeownersFile::unusable`] is set.
    pub parsed: CodeOwners,
    /// Why none of its rules applies, when that is so.
    pub unusable: Option<Unusable>,
    /// Diagnostics about the file as a whole that goldpath adds (a file too large to parse).
    extra: Vec<Diagnostic>,
    /// The text (invalid UTF-8 replaced), for byte offsets of positions.
    text: String,
    lines: Lines,
    /// The text starts with a byte order mark, which the parser's columns do not count.
    bom: bool,
}

impl CodeownersFile {
    /// Every diagnostic, file-level ones first.
    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.extra.iter().chain(self.parsed.diagnostics())
    }

    /// The rules, when the file is usable.
    pub fn rules(&self) -> Option<&CodeOwners> {
        self.unusable.is_none().then_some(&self.parsed)
    }

    /// `path:line`, as `goldpath owners` and messages show a rule.
    pub fn at(&self, line: usize) -> String {
        format!("{}:{line}", self.path)
    }

    /// The span of columns `column..end_column` (1-based, in characters, as the parser counts
    /// them) of a 1-based line.
    pub fn span(&self, line: usize, column: usize, end_column: usize) -> Span {
        let end_column = end_column.max(column);
        let start = self.offset(line, column);
        let end = self.offset(line, end_column).max(start);
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            line: to_u32(line),
            column: to_u32(column),
            end_line: to_u32(line),
            end_column: to_u32(end_column),
            start_byte: start,
            end_byte: end,
        }
    }

    fn offset(&self, line: usize, column: usize) -> usize {
        let index = self.lines.index(&self.text);
        let (Ok(line), Ok(column)) = (u32::try_from(line), u32::try_from(column.max(1))) else {
            return self.text.len();
        };
        if line == 0 || line as usize > index.line_count() {
            return self.text.len();
        }
        // The parser's columns do not count a byte order mark.
        let column = column.saturating_add(u32::from(line == 1 && self.bom));
        index.offset(line, column)
    }

    /// The text of a 1-based line, without its line ending (and without a byte order mark).
    pub fn line_text(&self, line: usize) -> &str {
        u32::try_from(line)
            .ok()
            .and_then(|line| self.lines.index(&self.text).line_text(line))
            .unwrap_or_default()
            .trim_start_matches('\u{feff}')
    }
}

/// Which CODEOWNERS file a repository uses, what it says, and the CODEOWNERS files that do not
/// count.
#[derive(Debug)]
pub struct Codeowners {
    /// The platform whose locations and dialect apply.
    pub platform: Platform,
    /// The effective file: the first of the platform's locations that exists.
    pub file: Option<CodeownersFile>,
    /// Files at the platform's other locations, which it ignores because `file` comes first.
    pub ignored: Vec<String>,
    /// Files named `CODEOWNERS` at locations the platform never reads.
    pub unsupported: Vec<String>,
    /// Files at a supported location whose name differs only in letter case (`codeowners`),
    /// with the name the platform looks for.
    pub misnamed: Vec<(String, String)>,
}

impl Codeowners {
    /// Chooses, reads and parses the CODEOWNERS file among `files` (a snapshot's entries, sorted
    /// by path). `size` and `read` give a file's size and bytes; a file GitHub would not load
    /// (over [`MAX_GITHUB_BYTES`]) is not read.
    pub fn load<'b>(
        files: &[FileEntry],
        platform: Platform,
        size: impl Fn(&FileEntry) -> Result<u64, ReadError>,
        read: impl Fn(&FileEntry) -> Result<Cow<'b, [u8]>, ReadError>,
    ) -> Codeowners {
        Self::load_reusing(files, platform, size, read, None)
    }

    /// [`load`](Self::load), reusing a parse made ahead of the listing ([`ParsedAhead`]) when
    /// the file chosen has the very bytes, and the platform the dialect, it was made with;
    /// otherwise the file is parsed as usual.
    pub fn load_reusing<'b>(
        files: &[FileEntry],
        platform: Platform,
        size: impl Fn(&FileEntry) -> Result<u64, ReadError>,
        read: impl Fn(&FileEntry) -> Result<Cow<'b, [u8]>, ReadError>,
        ahead: Option<ParsedAhead>,
    ) -> Codeowners {
        let dialect = platform.dialect();
        let candidates: Vec<&str> = files
            .iter()
            .map(|f| f.path.as_str())
            // The name's length first: one compare of the last ten bytes per path, no search
            // for its last `/` (this runs over every path of the tree).
            .filter(|p| {
                p.len() >= 10
                    && p.as_bytes()[p.len() - 10..].eq_ignore_ascii_case(b"CODEOWNERS")
                    && file_name(p).len() == 10
            })
            .collect();
        let exact: Vec<&str> = candidates
            .iter()
            .copied()
            .filter(|p| file_name(p) == "CODEOWNERS")
            .collect();
        let choice = co::choose_location(dialect, &exact);
        let misnamed = candidates
            .iter()
            .filter(|p| file_name(p) != "CODEOWNERS")
            .filter_map(|p| {
                let dir = &p[..p.len() - file_name(p).len()];
                let wanted = format!("{dir}CODEOWNERS");
                co::locations(dialect)
                    .contains(&wanted.as_str())
                    .then(|| ((*p).to_owned(), wanted))
            })
            .collect();
        let file = choice.effective.map(|path| {
            let entry = files
                .binary_search_by(|f| f.path.as_str().cmp(path))
                .ok()
                .map(|i| &files[i]);
            load_file(path, entry, dialect, &size, &read, ahead)
        });
        Codeowners {
            platform,
            file,
            ignored: choice.ignored.iter().map(|p| (*p).to_owned()).collect(),
            unsupported: choice.unsupported.iter().map(|p| (*p).to_owned()).collect(),
            misnamed,
        }
    }

    /// The usable rules, if there is a usable file.
    pub fn rules(&self) -> Option<&CodeOwners> {
        self.file.as_ref().and_then(CodeownersFile::rules)
    }

    /// The platform's locations, for messages: "`.github/CODEOWNERS`, `CODEOWNERS` or
    /// `docs/CODEOWNERS`".
    pub fn locations_text(&self) -> String {
        or_list(co::locations(self.platform.dialect()))
    }
}

/// A CODEOWNERS file parsed before the snapshot is listed, so that a caller can parse it on
/// one thread while another reads a large index (`goldpath owners`): the parse of 3,000 rules
/// cost as much as a third of the listing.
pub struct ParsedAhead {
    bytes: Vec<u8>,
    dialect: Dialect,
    parsed: CodeOwners,
}

impl ParsedAhead {
    /// Parses `bytes` as `platform` reads a CODEOWNERS file.
    pub fn new(bytes: Vec<u8>, platform: Platform) -> Self {
        let dialect = platform.dialect();
        let parsed = co::parse_bytes(&bytes, dialect);
        Self {
            bytes,
            dialect,
            parsed,
        }
    }
}

fn load_file<'b>(
    path: &str,
    entry: Option<&FileEntry>,
    dialect: Dialect,
    size: &impl Fn(&FileEntry) -> Result<u64, ReadError>,
    read: &impl Fn(&FileEntry) -> Result<Cow<'b, [u8]>, ReadError>,
    ahead: Option<ParsedAhead>,
) -> CodeownersFile {
    let unusable = |why: Unusable, extra: Vec<Diagnostic>| CodeownersFile {
        path: path.to_owned(),
        parsed: co::parse("", dialect),
        unusable: Some(why),
        extra,
        text: String::new(),
        lines: Lines::new(""),
        bom: false,
    };
    let Some(entry) = entry else {
        return unusable(
            Unusable::Unreadable("not in the snapshot".to_owned()),
            Vec::new(),
        );
    };
    if !entry.mode.is_regular() {
        return unusable(
            Unusable::Unreadable(
                "it is a symbolic link or a submodule, not a regular file".to_owned(),
            ),
            Vec::new(),
        );
    }
    let bytes_size = match size(entry) {
        Ok(s) => s,
        Err(e) => return unusable(Unusable::Unreadable(e.to_string()), Vec::new()),
    };
    if dialect == Dialect::GitHub && bytes_size > MAX_GITHUB_BYTES as u64 {
        return unusable(
            Unusable::TooLarge { size: bytes_size },
            vec![Diagnostic::file_too_large(bytes_size)],
        );
    }
    let bytes = match read(entry) {
        Ok(b) => b,
        Err(e) => return unusable(Unusable::Unreadable(e.to_string()), Vec::new()),
    };
    let parsed = match ahead {
        Some(ahead) if ahead.dialect == dialect && ahead.bytes[..] == bytes[..] => ahead.parsed,
        _ => co::parse_bytes(&bytes, dialect),
    };
    let binary = parsed
        .diagnostics()
        .iter()
        .any(|d| d.code == DiagnosticCode::BinaryContent);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lines = Lines::new(&text);
    CodeownersFile {
        path: path.to_owned(),
        bom: text.starts_with('\u{feff}'),
        parsed,
        unusable: binary.then_some(Unusable::Binary),
        extra: Vec::new(),
        text,
        lines,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// "`a`", "`a` or `b`", "`a`, `b` or `c`".
pub(crate) fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{}`", i.as_ref())).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The globs every ownership rule wants read: each location either platform looks at.
pub(crate) fn wants() -> Vec<String> {
    let mut all: Vec<&str> = co::locations(Dialect::GitHub).to_vec();
    for loc in co::locations(Dialect::GitLab) {
        if !all.contains(loc) {
            all.push(loc);
        }
    }
    vec![format!("{{{}}}", all.join(","))]
}

/// The repository's CODEOWNERS, loaded once per check.
pub(crate) fn codeowners(cx: &Context<'_>) -> Arc<Codeowners> {
    cx.memo_repo(CODEOWNERS_MEMO, || {
        Codeowners::load(
            cx.snapshot().files(),
            cx.settings().platform,
            |f| cx.size(f),
            |f| cx.read(f),
        )
    })
}

/// How a path is owned, as the pass over the whole tree records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// Some section gives it an owner.
    Yes,
    /// No rule matches it.
    NoRule,
    /// Rules match it, but the deciding ones give it no owner.
    NoOwners,
}

impl Owned {
    /// The status of one path's ownership.
    pub fn of(who: &Ownership<'_>) -> Owned {
        if who.is_owned() {
            Owned::Yes
        } else if who.is_matched() {
            Owned::NoOwners
        } else {
            Owned::NoRule
        }
    }
}

/// The most work one match of a CODEOWNERS file against a tree may take, counted in pattern
/// checks ([`CodeOwners::matching_work`], see docs/limits.md). Real repositories stay below a few
/// million.
pub const MAX_CODEOWNERS_WORK: u64 = 100_000_000;

/// A CODEOWNERS file and a tree too large to match against each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "CODEOWNERS not matched against the tree: its {patterns} distinct patterns need {work} \
     pattern checks for these {paths} paths, over the limit of CODEOWNERS work \
     ({MAX_CODEOWNERS_WORK} pattern checks)"
)]
pub struct WorkLimit {
    /// Distinct patterns of the file (lines repeating a pattern count once).
    pub patterns: usize,
    /// The paths to match.
    pub paths: usize,
    /// The pattern checks matching them takes.
    pub work: u64,
}

/// Refuses to match `paths` against `rules` when that is more than [`MAX_CODEOWNERS_WORK`]
/// pattern checks. Counting them costs lookups, not matching: an upper bound from lookups per
/// directory first, then, only when that bound is over the limit, the exact count.
pub fn check_work<S: AsRef<str>>(rules: &CodeOwners, paths: &[S]) -> Result<(), WorkLimit> {
    let patterns = rules.distinct_patterns();
    if patterns == 0 {
        return Ok(());
    }
    // The bound costs a few lookups per directory; the exact count, a few per path, is only
    // needed when the bound is over the limit.
    if rules.matching_work_bound(paths) <= MAX_CODEOWNERS_WORK {
        return Ok(());
    }
    let work = rules.matching_work(paths);
    if work > MAX_CODEOWNERS_WORK {
        Err(WorkLimit {
            patterns,
            paths: paths.len(),
            work,
        })
    } else {
        Ok(())
    }
}

/// The result of matching every path of the snapshot against the usable CODEOWNERS once.
#[derive(Debug, Default)]
pub(crate) struct Analysis {
    /// How each rule fares, indexed like [`CodeOwners::rules`].
    pub(crate) stats: Vec<RuleStats>,
    /// How each path is owned, indexed like the snapshot's files.
    pub(crate) owned: Vec<Owned>,
    /// Set when the match was not done: `stats` and `owned` are then empty.
    pub(crate) over_limit: Option<WorkLimit>,
}

impl Analysis {
    /// The finding a rule that needs the analysis reports instead of its own when the match was
    /// over the work limit.
    pub(crate) fn limit_violation(&self, file: &CodeownersFile) -> Option<Violation> {
        self.over_limit
            .as_ref()
            .map(|e| Violation::file(&file.path, e.to_string()))
    }
}

/// Every path of the snapshot (excluded paths too: they exist, so a pattern that names them
/// does match) matched once against the usable CODEOWNERS, once per check, in parallel.
pub(crate) fn analysis(cx: &Context<'_>) -> Option<(Arc<Codeowners>, Arc<Analysis>)> {
    let owners = codeowners(cx);
    owners.rules()?;
    let analysis = cx.memo_repo(ANALYSIS_MEMO, || {
        let paths: Vec<&str> = cx
            .snapshot()
            .files()
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        owners
            .rules()
            .map(|r| match check_work(r, &paths) {
                Err(e) => Analysis {
                    over_limit: Some(e),
                    ..Analysis::default()
                },
                Ok(()) => {
                    let (stats, owned) = rule_usage_and_owned(r, &paths);
                    Analysis {
                        stats,
                        owned,
                        over_limit: None,
                    }
                }
            })
            .unwrap_or_default()
    });
    Some((owners, analysis))
}

/// [`CodeOwners::rule_usage_and_owners`] over `paths`, in parallel chunks merged in order: the
/// rules' statistics and each path's [`Owned`].
pub fn rule_usage_and_owned(rules: &CodeOwners, paths: &[&str]) -> (Vec<RuleStats>, Vec<Owned>) {
    let blank = || -> Vec<RuleStats> {
        rules
            .rules()
            .iter()
            .map(|r| RuleStats {
                active: r.active,
                ..RuleStats::default()
            })
            .collect()
    };
    // Statistics are folded per worker as chunks finish, not kept per chunk: with many rules,
    // one vector of statistics per chunk of a large tree is what exhausted memory.
    let (stats, mut parts) = paths
        .par_chunks(CHUNK)
        .enumerate()
        .fold(
            || (blank(), Vec::new()),
            |(mut stats, mut parts), (i, chunk)| {
                let (usage, owners) = rules.rule_usage_and_owners(chunk);
                merge_stats(&mut stats, usage.stats(), i * CHUNK);
                parts.push((i, owners.iter().map(Owned::of).collect::<Vec<_>>()));
                (stats, parts)
            },
        )
        .reduce(
            || (blank(), Vec::new()),
            |(mut stats, mut parts), (other, other_parts)| {
                merge_stats(&mut stats, &other, 0);
                parts.extend(other_parts);
                (stats, parts)
            },
        );
    parts.sort_unstable_by_key(|(i, _)| *i);
    let mut owned = Vec::with_capacity(paths.len());
    for (_, part) in parts {
        owned.extend(part);
    }
    (stats, owned)
}

/// Adds `part` (whose path indexes start at `offset`) to `total`; `overridden_by` stays sorted
/// and deduplicated.
fn merge_stats(total: &mut [RuleStats], part: &[RuleStats], offset: usize) {
    for (total, s) in total.iter_mut().zip(part) {
        total.matched += s.matched;
        total.decided += s.decided;
        total.first_match = match (total.first_match, s.first_match.map(|m| m + offset)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if !s.overridden_by.is_empty() {
            total.overridden_by.extend_from_slice(&s.overridden_by);
            total.overridden_by.sort_unstable();
            total.overridden_by.dedup();
        }
    }
}

/// [`CodeOwners::owners_of_all`] in parallel chunks, in order.
pub fn owners_of_all<'c, S: AsRef<str> + Sync>(
    rules: &'c CodeOwners,
    paths: &[S],
) -> Vec<Ownership<'c>> {
    let parts: Vec<Vec<Ownership<'c>>> = paths
        .par_chunks(CHUNK)
        .map(|chunk| rules.owners_of_all(chunk))
        .collect();
    let mut out = Vec::with_capacity(paths.len());
    for part in parts {
        out.extend(part);
    }
    out
}

/// [`CodeOwners::owners_of_all`] in parallel chunks, keeping only the paths whose ownership
/// `keep` accepts, with their index in `paths`, in order: listing the unowned paths of a large
/// tree holds no ownership for the others.
pub fn owners_of_all_where<'c, S: AsRef<str> + Sync>(
    rules: &'c CodeOwners,
    paths: &[S],
    keep: impl Fn(&Ownership<'c>) -> bool + Sync,
) -> Vec<(usize, Ownership<'c>)> {
    let parts: Vec<Vec<(usize, Ownership<'c>)>> = paths
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(i, chunk)| {
            rules
                .owners_of_all(chunk)
                .into_iter()
                .enumerate()
                .filter(|(_, who)| keep(who))
                .map(|(j, who)| (i * CHUNK + j, who))
                .collect()
        })
        .collect();
    parts.into_iter().flatten().collect()
}

/// Whether `path` is among the files this rule judges (in change mode: changed, and not
/// excluded).
pub(crate) fn judged(cx: &Context<'_>, path: &str) -> bool {
    cx.files()
        .binary_search_by(|f| f.path.as_str().cmp(path))
        .is_ok()
}

/// The violation for a parser diagnostic, at its exact line and columns. Errors keep the
/// rule's level; warnings are reported at most as warnings.
pub(crate) fn diagnostic_violation(file: &CodeownersFile, d: &Diagnostic) -> Violation {
    let v = Violation::file(&file.path, d.message.clone())
        .span(file.span(d.line, d.column, d.end_column))
        .key(format!("{}:{}", d.code, file.line_text(d.line).trim()));
    match d.severity {
        Severity::Error => v,
        Severity::Warning => v.level(Level::Warning),
    }
}

/// The diagnostics of the judged, effective CODEOWNERS file for which `select` is true.
pub(crate) fn report_diagnostics(
    cx: &Context<'_>,
    out: &mut Vec<Violation>,
    select: impl Fn(DiagnosticCode) -> bool,
) {
    let owners = codeowners(cx);
    let Some(file) = &owners.file else { return };
    if !judged(cx, &file.path) {
        return;
    }
    let found = file
        .diagnostics()
        .filter(|d| select(d.code))
        .map(|d| diagnostic_violation(file, d))
        .collect();
    push_capped(&file.path, found, out);
}

/// Pushes the first [`MAX_PER_FILE`] of `found` (in file order) and one finding that counts
/// the rest.
pub(crate) fn push_capped(path: &str, found: Vec<Violation>, out: &mut Vec<Violation>) {
    push_capped_with(path, found, |v| v, out);
}

/// [`push_capped`], making violations only for the items that are reported.
pub(crate) fn push_capped_with<T>(
    path: &str,
    items: impl IntoIterator<Item = T>,
    mut make: impl FnMut(T) -> Violation,
    out: &mut Vec<Violation>,
) {
    let (mut made, mut more) = (0, 0);
    // The summary sits where the first finding it counts would be, so that sorting (by path,
    // then position) puts it after the findings reported one by one, not before them.
    let mut first_unreported = None;
    for item in items {
        if made < MAX_PER_FILE {
            out.push(make(item));
            made += 1;
        } else {
            if more == 0 {
                first_unreported = make(item).span;
            }
            more += 1;
        }
    }
    if more > 0 {
        let mut summary = Violation::file(
            path,
            format!(
                "…and {more} more findings of this rule in this file, from here on (only the \
                 first {MAX_PER_FILE} are reported)"
            ),
        )
        .key("more findings");
        summary.span = first_unreported;
        out.push(summary);
    }
}

/// A rule's pattern as written, for messages (`!` restored on GitLab exclusions).
pub fn pattern_text(rule: &co::Rule) -> String {
    if rule.exclusion {
        format!("!{}", rule.pattern)
    } else {
        rule.pattern.clone()
    }
}

/// "line 12 (`*.md`)", with the GitLab section when there is one.
pub(crate) fn describe_rule(rules: &CodeOwners, index: usize) -> String {
    let Some(rule) = rules.rules().get(index) else {
        return String::new();
    };
    let section = rules
        .section_of(rule)
        .map(|s| format!(" in [{}]", s.name))
        .unwrap_or_default();
    let what = if rule.exclusion { "exclusion " } else { "" };
    format!(
        "line {} ({what}`{}`{section})",
        rule.line,
        pattern_text(rule)
    )
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::finding::Finding;

    /// `(rule, path, line, column, end column)` of each finding.
    pub(crate) fn spans(findings: &[Finding]) -> Vec<(String, String, u32, u32, u32)> {
        findings
            .iter()
            .map(|f| {
                let (line, column, end) = f
                    .span
                    .map_or((0, 0, 0), |s| (s.line, s.column, s.end_column));
                (
                    f.rule.clone(),
                    f.path.clone().unwrap_or_default(),
                    line,
                    column,
                    end,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{MemorySnapshot, Snapshot};

    fn load(snapshot: &MemorySnapshot, platform: Platform) -> Codeowners {
        load_reusing(snapshot, platform, None)
    }

    fn load_reusing(
        snapshot: &MemorySnapshot,
        platform: Platform,
        ahead: Option<ParsedAhead>,
    ) -> Codeowners {
        Codeowners::load_reusing(
            snapshot.files(),
            platform,
            |f| snapshot.size(f).map_err(|e| ReadError::Io(e.to_string())),
            |f| {
                snapshot
                    .read(f)
                    .map(Cow::Owned)
                    .map_err(|e| ReadError::Io(e.to_string()))
            },
            ahead,
        )
    }

    #[test]
    fn work_counts_the_pattern_checks_not_the_literal_patterns() {
        let paths: Vec<String> = (0..5_000)
            .map(|i| format!("d{}/f{i}.rs", i % 1_000))
            .collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        // 3,000 copies of one line are one pattern.
        let same = co::parse(&"/d1/ @o\n".repeat(3_000), Dialect::GitHub);
        assert_eq!(same.distinct_patterns(), 1);
        assert_eq!(check_work(&same, &paths), Ok(()));
        // 200,000 literal patterns are looked up by path: they cost nothing.
        let text: String = (0..200_000).map(|i| format!("/x{i}/ @o\n")).collect();
        let literal = co::parse(&text, Dialect::GitHub);
        assert!(literal.matching_work(&paths) < 10_000);
        assert_eq!(check_work(&literal, &paths), Ok(()));
        // 20,001 globs that share the key `rs` are each checked on every `.rs` file.
        let text: String = (0..20_001).map(|i| format!("*a{i}*.rs @o\n")).collect();
        let globs = co::parse(&text, Dialect::GitHub);
        let err = check_work(&globs, &paths).unwrap_err();
        assert_eq!((err.patterns, err.paths), (20_001, 5_000));
        assert!(err.work >= 20_001 * 5_000, "{err}");
        assert!(err
            .to_string()
            .contains("over the limit of CODEOWNERS work (100000000 pattern checks)"));
        assert_eq!(check_work(&globs, &paths[..1]), Ok(()));
    }

    #[test]
    fn parallel_statistics_equal_one_pass() {
        let text = "* @a\n*.rs @b\n/d1/ @c\n/d1/ @c\n/nothing/ @d\n*.rs @b\n";
        let rules = co::parse(text, Dialect::GitHub);
        let paths: Vec<String> = (0..CHUNK * 3 + 7)
            .map(|i| format!("d{}/f{i}.{}", i % 7, if i % 3 == 0 { "rs" } else { "md" }))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let (stats, owned) = rule_usage_and_owned(&rules, &refs);
        let (usage, owners) = rules.rule_usage_and_owners(&refs);
        assert_eq!(stats, usage.stats());
        let one: Vec<Owned> = owners.iter().map(Owned::of).collect();
        assert_eq!(owned, one);
    }

    #[test]
    fn chooses_the_first_location_of_the_platform() {
        let snapshot = MemorySnapshot::new()
            .with_file("CODEOWNERS", "* @a\n")
            .with_file(".github/CODEOWNERS", "* @b\n")
            .with_file(".gitlab/CODEOWNERS", "* @c\n")
            .with_file("src/CODEOWNERS", "* @d\n")
            .with_file("docs/codeowners", "* @e\n");
        let github = load(&snapshot, Platform::GitHub);
        assert_eq!(github.file.as_ref().unwrap().path, ".github/CODEOWNERS");
        assert_eq!(github.ignored, ["CODEOWNERS"]);
        assert_eq!(github.unsupported, [".gitlab/CODEOWNERS", "src/CODEOWNERS"]);
        assert_eq!(
            github.misnamed,
            [("docs/codeowners".to_owned(), "docs/CODEOWNERS".to_owned())]
        );
        let gitlab = load(&snapshot, Platform::GitLab);
        assert_eq!(gitlab.file.as_ref().unwrap().path, "CODEOWNERS");
        assert_eq!(gitlab.ignored, [".gitlab/CODEOWNERS"]);
    }

    #[test]
    fn a_parse_made_ahead_counts_only_for_the_same_bytes_and_dialect() {
        let snapshot = MemorySnapshot::new().with_file("CODEOWNERS", "* @now\n");
        let load_with =
            |ahead: ParsedAhead, platform: Platform| load_reusing(&snapshot, platform, Some(ahead));
        let owner = |owners: &Codeowners| -> String {
            owners.rules().unwrap().rules()[0].owners[0].to_string()
        };
        // The file changed after the guess: the guess is not used.
        let stale = ParsedAhead::new(b"* @then\n".to_vec(), Platform::GitHub);
        assert_eq!(owner(&load_with(stale, Platform::GitHub)), "@now");
        // Same bytes, other dialect: parsed again as GitLab reads it.
        let github = ParsedAhead::new(b"* @now\n".to_vec(), Platform::GitHub);
        let gitlab = load_with(github, Platform::GitLab);
        assert_eq!(gitlab.rules().unwrap().dialect(), Dialect::GitLab);
        // Same bytes, same dialect: the same rules as a parse of its own.
        let same = ParsedAhead::new(b"* @now\n".to_vec(), Platform::GitHub);
        let reused = load_with(same, Platform::GitHub);
        assert_eq!(owner(&reused), owner(&load(&snapshot, Platform::GitHub)));
    }

    #[test]
    fn spans_count_characters_and_skip_a_byte_order_mark() {
        let snapshot = MemorySnapshot::new().with_file("CODEOWNERS", "\u{feff}é @a\r\n/x  @b\n");
        let owners = load(&snapshot, Platform::GitHub);
        let file = owners.file.unwrap();
        // `@a` is at column 3 of line 1 (the BOM is not counted), bytes 6..8.
        let span = file.span(1, 3, 5);
        assert_eq!((span.start_byte, span.end_byte), (6, 8));
        let span = file.span(2, 5, 7);
        assert_eq!(
            &"\u{feff}é @a\r\n/x  @b\n"[span.start_byte..span.end_byte],
            "@b"
        );
        assert_eq!(file.line_text(1), "é @a");
        assert_eq!(file.line_text(9), "");
        // Out of range positions clamp to the end.
        assert_eq!(file.span(40, 1, 2).start_byte, file.text.len());
    }

    #[test]
    fn a_file_github_will_not_load_is_not_read() {
        let big = "* @a\n".repeat(MAX_GITHUB_BYTES / 5 + 1);
        let snapshot = MemorySnapshot::new().with_file(".github/CODEOWNERS", big.clone());
        let owners = load(&snapshot, Platform::GitHub);
        let file = owners.file.as_ref().unwrap();
        assert!(matches!(file.unusable, Some(Unusable::TooLarge { .. })));
        assert!(owners.rules().is_none());
        assert_eq!(
            file.diagnostics().next().map(|d| d.code),
            Some(DiagnosticCode::FileTooLarge)
        );
        // GitLab has no such limit.
        let snapshot = MemorySnapshot::new().with_file("CODEOWNERS", big);
        assert!(load(&snapshot, Platform::GitLab).rules().is_some());
    }

    #[test]
    fn usage_in_chunks_equals_usage_in_one_pass() {
        let rules = co::parse(
            "* @a\n/d1/ @b\n*.rs @c\n/d1/x.rs @d\n/nothing/ @e\n",
            Dialect::GitHub,
        );
        let paths: Vec<String> = (0..5000)
            .map(|i| format!("d{}/f{i}.{}", i % 3, if i % 2 == 0 { "rs" } else { "md" }))
            .collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let (merged, owned) = rule_usage_and_owned(&rules, &refs);
        assert_eq!(merged, rules.rule_usage(&refs).stats());
        let owners = owners_of_all(&rules, &refs);
        assert_eq!(owners, rules.owners_of_all(&refs));
        let expected: Vec<Owned> = owners.iter().map(Owned::of).collect();
        assert_eq!(owned, expected);
    }

    #[test]
    fn or_lists_read_naturally() {
        assert_eq!(or_list::<&str>(&[]), "");
        assert_eq!(or_list(&["a"]), "`a`");
        assert_eq!(or_list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
