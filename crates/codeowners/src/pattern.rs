//! Patterns: how a CODEOWNERS pattern is compiled and matched, per dialect.
//!
//! A pattern is compiled to a list of path-segment matchers ([`Seg`]) plus a flag saying whether it
//! is anchored at the root and a [`Tail`] saying what may follow the matched segments. Matching a
//! path splits it on `/` and runs a wildcard match over the components, where `**` matches any
//! number of components. Both dialects compile to this form; they differ in how the text is read:
//!
//! - GitHub follows gitignore as GitHub documents it (and as the `hmarr/codeowners` conformance
//!   table records it): a pattern without a slash, or with only a trailing one, matches at any
//!   depth; a pattern matches a file or any directory above it, except that a final `*` segment
//!   matches one level only; a trailing `/` or `/**` matches only what is inside; `[` and `]` are
//!   plain characters.
//! - GitLab turns the text into a `File.fnmatch` pattern the way GitLab's code does (`*` becomes
//!   `/**/*`, a relative pattern gets `/**/` in front, a trailing `/` gets `**/*` behind) and
//!   matches it against `/` + the path with `FNM_PATHNAME | FNM_DOTMATCH`: the whole path must
//!   match, `*` and `?` stay in one segment, `**/` matches any number of directories, a `**`
//!   that is not followed by `/` is a `*`, and `[...]` is a character class.

use std::fmt;

use crate::Dialect;

/// Patterns longer than this many bytes are not compiled (no path on a checkout is longer than
/// `PATH_MAX`, 4096 bytes on Linux); this bounds the work a hostile file can cause.
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern is longer than [`MAX_PATTERN_BYTES`].
    #[error("the pattern is longer than {MAX_PATTERN_BYTES} bytes")]
    TooLong,
    /// The pattern is empty.
    #[error("the pattern is empty")]
    Empty,
    /// GitHub: the pattern starts with `!`. GitHub does not support negation.
    #[error("GitHub does not support `!` negation in CODEOWNERS")]
    Negation,
    /// GitHub: the pattern starts with `\#`. GitHub does not support escaping a leading `#`.
    #[error("GitHub does not support escaping a leading `#` with `\\`")]
    EscapedHash,
    /// GitHub: the pattern holds `***`.
    #[error("a pattern cannot contain three consecutive asterisks")]
    TripleStar,
    /// GitLab: the pattern starts with `!`, which marks an exclusion line rather than a pattern
    /// (use [`crate::parse`] for whole lines).
    #[error("`!` marks a GitLab exclusion line; give the pattern without it")]
    Exclusion,
}

/// A compiled CODEOWNERS pattern, matched on its own (without the rest of a file).
///
/// ```
/// use goldpath_codeowners::{Dialect, Pattern};
///
/// let p = Pattern::new("docs/*", Dialect::GitHub).unwrap();
/// assert!(p.matches("docs/a.md"));
/// assert!(!p.matches("docs/sub/b.md"));
/// ```
#[derive(Debug, Clone)]
pub struct Pattern {
    text: String,
    dialect: Dialect,
    compiled: Compiled,
}

impl Pattern {
    /// Compiles `text` as one pattern of `dialect` (the first field of a line, escapes such as
    /// `\ ` included, without a GitLab `!`).
    pub fn new(text: &str, dialect: Dialect) -> Result<Pattern, PatternError> {
        let compiled = match dialect {
            Dialect::GitHub => compile_github(text)?,
            Dialect::GitLab => {
                if text.starts_with('!') {
                    return Err(PatternError::Exclusion);
                }
                compile_gitlab(text)?.0
            }
        };
        Ok(Pattern {
            text: text.to_owned(),
            dialect,
            compiled,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The dialect it was compiled for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Whether the pattern matches the file at `path` (relative to the repository root, `/`
    /// separated; leading and trailing slashes and empty segments are ignored).
    pub fn matches(&self, path: &str) -> bool {
        let mut comps = Vec::new();
        split_path(path, &mut comps);
        self.compiled.matches(&comps)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits a path into its non-empty components.
pub(crate) fn split_path<'p>(path: &'p str, out: &mut Vec<&'p str>) {
    out.clear();
    out.extend(path.split('/').filter(|c| !c.is_empty()));
}

/// What may follow the segments a pattern matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// The segments match the whole path.
    Exact,
    /// The segments match the whole path or a directory above it.
    Prefix,
    /// The segments match a directory above the path (the path is inside it).
    Inside,
}

/// A matcher for one path component, or `**`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A component equal to this text.
    Lit(Box<str>),
    /// A component matching this glob.
    Glob(Box<Glob>),
    /// Any one component.
    Star,
    /// Any number of components, none included.
    AnySeq,
}

impl Seg {
    #[inline]
    pub(crate) fn matches_one(&self, comp: &str) -> bool {
        match self {
            Seg::Lit(l) => **l == *comp,
            Seg::Glob(g) => g.matches(comp),
            Seg::Star => true,
            Seg::AnySeq => false,
        }
    }
}

/// What the directory of a file decides about a pattern (see [`Compiled::by_directory`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByDirectory {
    /// Every file of the directory matches.
    Matches,
    /// No file of the directory matches.
    NoMatch,
    /// A file matches when its name matches the last segment.
    Name,
    /// The whole path must be matched.
    Unknown,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    /// Whether the first segment must match the first component.
    pub(crate) anchored: bool,
    /// No leading, trailing or doubled `AnySeq`.
    pub(crate) segs: Vec<Seg>,
    pub(crate) tail: Tail,
    /// Never matches anything.
    pub(crate) nothing: bool,
}

static ANY_SEQ: Seg = Seg::AnySeq;
static STAR: Seg = Seg::Star;

impl Compiled {
    fn nothing() -> Compiled {
        Compiled {
            anchored: true,
            segs: Vec::new(),
            tail: Tail::Exact,
            nothing: true,
        }
    }

    /// Normalises segments into the canonical form the index relies on.
    fn finish(mut anchored: bool, segs: Vec<Seg>, mut tail: Tail) -> Compiled {
        let mut out: Vec<Seg> = Vec::with_capacity(segs.len());
        for s in segs {
            if s == Seg::AnySeq && out.last() == Some(&Seg::AnySeq) {
                continue;
            }
            out.push(s);
        }
        if out.first() == Some(&Seg::AnySeq) {
            out.remove(0);
            anchored = false;
        }
        loop {
            let n = out.len();
            if n >= 2
                && out[n - 1] == Seg::Star
                && out[n - 2] == Seg::AnySeq
                && matches!(tail, Tail::Exact | Tail::Prefix)
            {
                // `x/**/*` is everything inside `x`.
                out.truncate(n - 2);
                tail = Tail::Inside;
                continue;
            }
            if n >= 1 && out[n - 1] == Seg::AnySeq {
                // `x/**` matching the whole path is `x` matching the path or a directory above.
                out.truncate(n - 1);
                if tail == Tail::Exact {
                    tail = Tail::Prefix;
                }
                continue;
            }
            break;
        }
        let nothing = anchored && out.is_empty();
        out.shrink_to_fit();
        Compiled {
            anchored,
            segs: out,
            tail,
            nothing,
        }
    }

    /// The fewest components a path needs when the pattern has no segment left (only `**`).
    pub(crate) fn min_components(&self) -> usize {
        match self.tail {
            Tail::Exact | Tail::Prefix => 1,
            Tail::Inside => 2,
        }
    }

    /// Whether the pattern matches the path split into `comps` (non-empty components).
    /// What a file's directory alone decides, for a file of directory `dir`; `with_name` is
    /// `dir` followed by any one more component. A pattern ending in `/` matches a directory
    /// above the file, never its name; a pattern without `**` and without a trailing `/` has one
    /// segment per component, so only its last one meets the name, unless (GitHub) it matches
    /// a directory above the file, which settles it too.
    pub(crate) fn by_directory(&self, dir: &[&str], with_name: &[&str]) -> ByDirectory {
        if self.nothing || self.segs.is_empty() {
            return ByDirectory::Unknown;
        }
        match self.tail {
            Tail::Inside => {
                if self.matches(with_name) {
                    ByDirectory::Matches
                } else {
                    ByDirectory::NoMatch
                }
            }
            Tail::Exact | Tail::Prefix if !self.segs.contains(&Seg::AnySeq) => {
                // A prefix pattern (`/src/*.rs`, `docs`) also matches what is inside a directory
                // it matches: the directory alone decides when its segments match components
                // of the directory, wherever an unanchored pattern may start.
                let k = self.segs.len();
                if self.tail == Tail::Prefix && k <= dir.len() {
                    let at = |j: usize| {
                        self.segs
                            .iter()
                            .zip(&dir[j..j + k])
                            .all(|(seg, comp)| seg.matches_one(comp))
                    };
                    let inside = if self.anchored {
                        at(0)
                    } else {
                        (0..=dir.len() - k).any(at)
                    };
                    if inside {
                        return ByDirectory::Matches;
                    }
                }
                // Otherwise it can only end at the file's name, as an exact pattern does.
                let Some((_, before)) = self.segs.split_last() else {
                    return ByDirectory::Unknown;
                };
                let fits = if self.anchored {
                    dir.len() == before.len()
                } else {
                    dir.len() >= before.len()
                };
                let tail = &dir[dir.len().saturating_sub(before.len())..];
                if fits
                    && before
                        .iter()
                        .zip(tail)
                        .all(|(seg, comp)| seg.matches_one(comp))
                {
                    ByDirectory::Name
                } else {
                    ByDirectory::NoMatch
                }
            }
            _ => ByDirectory::Unknown,
        }
    }

    pub(crate) fn matches(&self, comps: &[&str]) -> bool {
        if self.nothing || comps.is_empty() {
            return false;
        }
        if self.segs.is_empty() {
            return comps.len() >= self.min_components();
        }
        let toks = Toks {
            front: !self.anchored,
            segs: &self.segs,
            tail: self.tail,
        };
        match_segs(&toks, comps)
    }
}

/// The virtual token list of a compiled pattern (see [`Compiled::full`]), indexable.
struct Toks<'a> {
    front: bool,
    segs: &'a [Seg],
    tail: Tail,
}

impl Toks<'_> {
    fn len(&self) -> usize {
        usize::from(self.front)
            + self.segs.len()
            + match self.tail {
                Tail::Exact => 0,
                Tail::Prefix => 1,
                Tail::Inside => 2,
            }
    }
    #[inline]
    fn get(&self, mut i: usize) -> &Seg {
        if self.front {
            if i == 0 {
                return &ANY_SEQ;
            }
            i -= 1;
        }
        if let Some(s) = self.segs.get(i) {
            return s;
        }
        match (self.tail, i - self.segs.len()) {
            (Tail::Inside, 0) => &STAR,
            _ => &ANY_SEQ,
        }
    }
}

/// Wildcard match of segment matchers against components, where `AnySeq` matches any run of
/// components. Classic single-backtrack algorithm: linear space, O(segments × components) time.
fn match_segs(toks: &Toks<'_>, comps: &[&str]) -> bool {
    let (mut t, mut c) = (0usize, 0usize);
    let n = toks.len();
    let mut back: Option<(usize, usize)> = None;
    loop {
        if t < n {
            let tok = toks.get(t);
            if *tok == Seg::AnySeq {
                back = Some((t + 1, c));
                t += 1;
                continue;
            }
            if c < comps.len() && tok.matches_one(comps[c]) {
                t += 1;
                c += 1;
                continue;
            }
        } else if c == comps.len() {
            return true;
        }
        match back {
            Some((bt, bc)) if bc < comps.len() => {
                back = Some((bt, bc + 1));
                t = bt;
                c = bc + 1;
            }
            _ => return false,
        }
    }
}

/// A character-level token of a [`Glob`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum GTok {
    Lit(Box<str>),
    /// `?`: one character.
    AnyChar,
    /// `*`: any run of characters.
    AnyRun,
    /// `[...]` (GitLab only).
    Class(CharClass),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CharClass {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl CharClass {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

/// A glob over one path component, with at least one wildcard.
#[derive(Debug, Clone)]
pub(crate) struct Glob {
    toks: Vec<GTok>,
    /// For each literal that follows a `*`, a prepared substring searcher (same index as `toks`).
    finders: Vec<Option<memchr::memmem::Finder<'static>>>,
    /// Literal text every match starts with.
    pub(crate) prefix: Box<str>,
    /// Literal text every match ends with.
    pub(crate) suffix: Box<str>,
    /// The glob is `P*S`, `P*` or `*S`: having the prefix and the suffix, without overlap, is
    /// a match.
    ends_only: bool,
}

#[inline]
fn utf8_width(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xff => 4,
        _ => 1,
    }
}

impl PartialEq for Glob {
    fn eq(&self, other: &Glob) -> bool {
        self.toks == other.toks
    }
}

impl Eq for Glob {}

impl Glob {
    fn new(toks: Vec<GTok>) -> Glob {
        let finders = toks
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                GTok::Lit(l) if i > 0 && toks[i - 1] == GTok::AnyRun => {
                    Some(memchr::memmem::Finder::new(l.as_bytes()).into_owned())
                }
                _ => None,
            })
            .collect();
        let prefix = match toks.first() {
            Some(GTok::Lit(l)) => l.clone(),
            _ => Box::from(""),
        };
        let suffix = match toks.last() {
            Some(GTok::Lit(l)) if toks.len() > 1 => l.clone(),
            _ => Box::from(""),
        };
        let ends_only = matches!(
            toks.as_slice(),
            [GTok::Lit(_), GTok::AnyRun, GTok::Lit(_)]
                | [GTok::Lit(_), GTok::AnyRun]
                | [GTok::AnyRun, GTok::Lit(_)]
        );
        Glob {
            toks,
            finders,
            prefix,
            suffix,
            ends_only,
        }
    }

    pub(crate) fn matches(&self, s: &str) -> bool {
        let b = s.as_bytes();
        let (prefix, suffix) = (self.prefix.as_bytes(), self.suffix.as_bytes());
        if b.len() < prefix.len() + suffix.len()
            || !(prefix.is_empty() || b.starts_with(prefix))
            || !(suffix.is_empty() || b.ends_with(suffix))
        {
            return false;
        }
        if self.ends_only {
            return true;
        }
        let (mut t, mut i) = (0usize, 0usize);
        let mut back: Option<(usize, usize)> = None;
        loop {
            if t < self.toks.len() {
                match &self.toks[t] {
                    GTok::AnyRun => {
                        // Jump straight to the next place the following literal occurs.
                        if let Some(Some(f)) = self.finders.get(t + 1) {
                            match f.find(&b[i..]) {
                                Some(off) => i += off,
                                None => return false,
                            }
                        }
                        back = Some((t + 1, i));
                        t += 1;
                        continue;
                    }
                    GTok::Lit(l) => {
                        if b[i..].starts_with(l.as_bytes()) {
                            i += l.len();
                            t += 1;
                            continue;
                        }
                    }
                    GTok::AnyChar => {
                        if i < b.len() {
                            i += utf8_width(b[i]);
                            t += 1;
                            continue;
                        }
                    }
                    GTok::Class(class) => {
                        if let Some(c) = s.get(i..).and_then(|r| r.chars().next()) {
                            if class.matches(c) {
                                i += c.len_utf8();
                                t += 1;
                                continue;
                            }
                        }
                    }
                }
            } else if i == b.len() {
                return true;
            }
            match back {
                Some((bt, bi)) if bi < b.len() => {
                    let mut ni = bi + utf8_width(b[bi]);
                    if let Some(Some(f)) = self.finders.get(bt) {
                        match f.find(&b[ni..]) {
                            Some(off) => ni += off,
                            None => return false,
                        }
                    }
                    back = Some((bt, ni));
                    t = bt;
                    i = ni;
                }
                _ => return false,
            }
        }
    }
}

/// Builds glob tokens, merging literal characters and repeated `*`.
#[derive(Default)]
struct GlobBuilder {
    toks: Vec<GTok>,
    lit: String,
    wild: bool,
}

impl GlobBuilder {
    fn lit(&mut self, c: char) {
        self.lit.push(c);
    }
    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.toks
                .push(GTok::Lit(std::mem::take(&mut self.lit).into_boxed_str()));
        }
    }
    fn tok(&mut self, t: GTok) {
        self.flush();
        if t == GTok::AnyRun && self.toks.last() == Some(&GTok::AnyRun) {
            return;
        }
        self.wild = true;
        self.toks.push(t);
    }
    fn finish(mut self) -> Seg {
        if !self.wild {
            return Seg::Lit(self.lit.into_boxed_str());
        }
        self.flush();
        if self.toks == [GTok::AnyRun] {
            return Seg::Star;
        }
        Seg::Glob(Box::new(Glob::new(self.toks)))
    }
}

/// One GitHub segment: `*`, `?`, `\x`; everything else (brackets included) is literal.
fn github_segment(text: &str) -> Seg {
    let mut b = GlobBuilder::default();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => b.lit(n),
                None => b.lit('\\'),
            },
            '*' => b.tok(GTok::AnyRun),
            '?' => b.tok(GTok::AnyChar),
            _ => b.lit(c),
        }
    }
    b.finish()
}

/// Compiles a GitHub pattern.
pub(crate) fn compile_github(text: &str) -> Result<Compiled, PatternError> {
    if text.is_empty() {
        return Err(PatternError::Empty);
    }
    if text.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::TooLong);
    }
    if text.starts_with('!') {
        return Err(PatternError::Negation);
    }
    if text.starts_with("\\#") {
        return Err(PatternError::EscapedHash);
    }
    if text.contains("***") {
        return Err(PatternError::TripleStar);
    }
    let mut parts: Vec<&str> = text.split('/').collect();
    let anchored = if parts[0].is_empty() {
        parts.remove(0);
        true
    } else {
        // No slash, or only a trailing one: the pattern matches at any depth.
        !(parts.len() == 1 || (parts.len() == 2 && parts[1].is_empty()))
    };
    if parts.iter().all(|p| p.is_empty()) {
        // `/`, `//`: nothing.
        return Ok(Compiled::nothing());
    }
    let trailing_slash = parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty());
    if trailing_slash {
        parts.pop();
    }
    if parts.len() == 1 && parts[0] == "**" {
        // `**`, `/**`: everything; `**/`: everything inside a directory.
        let tail = if trailing_slash {
            Tail::Inside
        } else {
            Tail::Prefix
        };
        return Ok(Compiled::finish(false, Vec::new(), tail));
    }
    let last = parts.len() - 1;
    let mut segs = Vec::with_capacity(parts.len() + 1);
    let mut tail = Tail::Prefix;
    for (i, part) in parts.iter().enumerate() {
        match *part {
            "" => {} // a doubled slash
            "**" => {
                if i == last {
                    tail = Tail::Inside;
                } else {
                    segs.push(Seg::AnySeq);
                }
            }
            "*" => {
                segs.push(Seg::Star);
                if i == last {
                    tail = Tail::Exact;
                }
            }
            _ => {
                segs.push(github_segment(part));
                if i == last {
                    tail = Tail::Prefix;
                }
            }
        }
    }
    if trailing_slash {
        // A trailing slash is `/**`: only what is inside.
        tail = Tail::Inside;
    }
    Ok(Compiled::finish(anchored, segs, tail))
}

/// One GitLab segment under `File.fnmatch`: `*`, `?`, `[...]`, `\x`. `None` when the segment can
/// never match (an unclosed `[`).
fn gitlab_segment(text: &str) -> Option<Seg> {
    let mut b = GlobBuilder::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => match chars.get(i) {
                Some(&n) => {
                    b.lit(n);
                    i += 1;
                }
                None => b.lit('\\'),
            },
            '*' => b.tok(GTok::AnyRun),
            '?' => b.tok(GTok::AnyChar),
            '[' => {
                let (class, next) = gitlab_class(&chars, i)?;
                b.tok(GTok::Class(class));
                i = next;
            }
            _ => b.lit(c),
        }
    }
    Some(b.finish())
}

/// Reads a bracket expression starting just after `[`, the way Ruby's `fnmatch` does. Returns the
/// class and the index after `]`, or `None` when there is no closing `]`.
fn gitlab_class(chars: &[char], mut i: usize) -> Option<(CharClass, usize)> {
    let mut negated = false;
    if matches!(chars.get(i), Some('!') | Some('^')) {
        negated = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let c = *chars.get(i)?;
        if c == ']' {
            return Some((CharClass { negated, ranges }, i + 1));
        }
        let lo = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            i += 1;
            let mut hi = *chars.get(i)?;
            if hi == '\\' {
                i += 1;
                hi = *chars.get(i)?;
            }
            i += 1;
            ranges.push((lo, hi));
        } else {
            ranges.push((lo, lo));
        }
    }
}

/// The `fnmatch` pattern GitLab builds from an entry's pattern text.
pub(crate) fn gitlab_normalize(text: &str) -> String {
    if text == "*" {
        return "/**/*".to_owned();
    }
    let mut p = match text.strip_prefix("\\#") {
        Some(rest) => format!("#{rest}"),
        None => text.to_owned(),
    };
    // `\` followed by whitespace is that whitespace (GitLab collapses the run to one space).
    if p.contains('\\') {
        let mut out = String::with_capacity(p.len());
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek().is_some_and(|n| is_ruby_space(*n)) {
                while chars.peek().is_some_and(|n| is_ruby_space(*n)) {
                    chars.next();
                }
                out.push(' ');
            } else {
                out.push(c);
            }
        }
        p = out;
    }
    if !p.starts_with('/') {
        p.insert_str(0, "/**/");
    }
    if p.ends_with('/') {
        p.push_str("**/*");
    }
    p
}

/// Ruby's `\s`.
pub(crate) fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Compiles a GitLab pattern (without `!`). Also returns the normalised `fnmatch` text, which is
/// what GitLab uses to tell duplicate entries apart.
pub(crate) fn compile_gitlab(text: &str) -> Result<(Compiled, String), PatternError> {
    if text.is_empty() {
        return Err(PatternError::Empty);
    }
    if text.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::TooLong);
    }
    let normalized = gitlab_normalize(text);
    let parts: Vec<&str> = normalized.split('/').skip(1).collect();
    let last = parts.len().saturating_sub(1);
    let mut segs = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            // An empty segment only matches an empty path segment, and paths have none.
            return Ok((Compiled::nothing(), normalized));
        }
        if *part == "**" {
            // `**/` matches directories recursively; a final `**` is a plain `*`.
            segs.push(if i == last { Seg::Star } else { Seg::AnySeq });
            continue;
        }
        match gitlab_segment(part) {
            Some(seg) => segs.push(seg),
            None => return Ok((Compiled::nothing(), normalized)),
        }
    }
    Ok((Compiled::finish(true, segs, Tail::Exact), normalized))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(p: &str, path: &str) -> bool {
        Pattern::new(p, Dialect::GitHub).unwrap().matches(path)
    }
    fn gl(p: &str, path: &str) -> bool {
        Pattern::new(p, Dialect::GitLab).unwrap().matches(path)
    }

    #[test]
    fn glob_matching() {
        let Seg::Glob(g) = github_segment("f*o?.rs") else {
            panic!()
        };
        assert!(g.matches("foox.rs"));
        assert!(g.matches("fo\u{e9}.rs"));
        assert!(g.matches("f\u{e9}\u{e9}o\u{e9}.rs"));
        assert!(!g.matches("fo.rs"));
        assert!(!g.matches("xoo.rs"));
        assert_eq!(github_segment("*"), Seg::Star);
        assert_eq!(github_segment("a\\*"), Seg::Lit("a*".into()));
    }

    #[test]
    fn github_shapes() {
        assert!(gh("*", "a/b/c"));
        assert!(gh("/**", "a"));
        assert!(gh("**/", "a/b"));
        assert!(!gh("**/", "a"));
        assert!(!gh("/", "a"));
        assert!(gh("foo//bar", "foo/bar"));
        assert!(gh("/apps/[param]/x", "apps/[param]/x"));
    }

    #[test]
    fn gitlab_shapes() {
        assert_eq!(gitlab_normalize("*"), "/**/*");
        assert_eq!(gitlab_normalize("docs/"), "/**/docs/**/*");
        assert_eq!(gitlab_normalize("/docs/"), "/docs/**/*");
        assert_eq!(gitlab_normalize("\\#x"), "/**/#x");
        assert_eq!(gitlab_normalize("a\\ b"), "/**/a b");
        assert!(gl("/docs/**", "docs/a"));
        assert!(!gl("/docs/**", "docs/a/b"));
        assert!(gl("*.[ch]", "x/y.c"));
        assert!(!gl("*.[ch]", "x/y.o"));
        assert!(gl("*.[!ch]", "x/y.o"));
        assert!(!gl("*.[ch", "x/y.c"));
        assert!(gl("/", "anything/at/all"));
        assert!(gl("[a-c]x", "bx"));
        assert!(!gl("[]x", "x"));
    }
}
