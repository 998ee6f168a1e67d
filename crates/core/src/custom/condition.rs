//! One condition of a custom rule: compiled from its table, then probed file by file.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use toml::Spanned;

use crate::context::{Context, ReadError};
use crate::doc::{self, Format, KeyPath, Node, Value};
use crate::finding::Violation;
use crate::glob::Glob;
use crate::policy::{compile_regex, Origin, PolicyError, PolicySource, RawCondition};
use crate::snapshot::FileEntry;
use crate::span::{LineIndex, Span};

/// Longest value or match, in characters, quoted in a message.
const SHOWN_CHARS: usize = 80;

/// A compiled condition: a glob and what to look for in the files it matches.
#[derive(Debug)]
pub(super) struct Condition {
    file: Glob,
    content: Content,
}

/// What a condition looks for inside the files.
#[derive(Debug)]
enum Content {
    /// Nothing: the file itself is the subject.
    None,
    /// A regex over the whole text (multi-line mode).
    Lines(LineRegex),
    /// A key path and the test its values must pass.
    Key {
        /// The key path as written, for messages.
        text: String,
        path: KeyPath,
        test: Test,
    },
}

#[derive(Debug)]
struct LineRegex {
    pattern: String,
    text: regex::Regex,
    bytes: regex::bytes::Regex,
}

/// The test of a key condition.
#[derive(Debug)]
enum Test {
    /// No test, or `exists = true`: the key is there.
    Exists,
    /// `exists = false`: the key is not there.
    Absent,
    /// `equals`.
    Equals(Expected),
    /// `one-of`.
    OneOf(Vec<Expected>),
    /// `matches`, on the value's display text.
    Matches {
        pattern: String,
        regex: regex::Regex,
    },
}

/// A scalar written in the policy, to compare values with.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Expected {
    fn from_toml(value: &toml::Value) -> Option<Expected> {
        match value {
            toml::Value::String(s) => Some(Expected::String(s.clone())),
            toml::Value::Integer(i) => Some(Expected::Int(*i)),
            toml::Value::Float(f) => Some(Expected::Float(*f)),
            toml::Value::Boolean(b) => Some(Expected::Bool(*b)),
            toml::Value::Datetime(d) => Some(Expected::String(d.to_string())),
            toml::Value::Array(_) | toml::Value::Table(_) => None,
        }
    }

    /// Whether `node` equals this value: a string equals any scalar whose display text is that
    /// string; a number equals a number of the same value; a boolean equals that boolean.
    fn matches(&self, node: &Node) -> bool {
        match (self, &node.value) {
            (_, Value::Seq(_) | Value::Map(_)) => false,
            (Expected::String(s), _) => node.to_display() == *s,
            (Expected::Int(i), Value::Int(j)) => i == j,
            (Expected::Int(i), Value::Float(f)) => *i as f64 == *f,
            (Expected::Float(f), Value::Int(i)) => *f == *i as f64,
            (Expected::Float(f), Value::Float(g)) => f == g,
            (Expected::Bool(b), Value::Bool(c)) => b == c,
            _ => false,
        }
    }

    fn show(&self) -> String {
        match self {
            Expected::String(s) => quote(s),
            Expected::Int(i) => i.to_string(),
            Expected::Float(f) => format!("{f:?}"),
            Expected::Bool(b) => b.to_string(),
        }
    }
}

/// Where a string of the policy is written, to point errors at it.
struct StringAt {
    origin: Origin,
    /// Whether the text between the quotes is the value itself (no escapes), so that byte
    /// offsets in the value are byte offsets in the file.
    literal: bool,
}

impl StringAt {
    fn new(source: &Arc<PolicySource>, spanned: &Spanned<String>) -> StringAt {
        let span = spanned.span();
        let written = source.text.get(span.clone()).unwrap_or_default();
        let (open, close) = if written.starts_with("\"\"\"") || written.starts_with("'''") {
            // A newline right after the opening delimiter is not part of the string.
            let newline = match &written[3..] {
                rest if rest.starts_with("\r\n") => 2,
                rest if rest.starts_with('\n') => 1,
                _ => 0,
            };
            (3 + newline, 3)
        } else if written.starts_with('"') || written.starts_with('\'') {
            (1, 1)
        } else {
            (0, 0)
        };
        let inner = if written.len() >= open + close {
            span.start + open..span.end - close
        } else {
            span.clone()
        };
        let literal = source.text.get(inner.clone()) == Some(spanned.get_ref().as_str());
        StringAt {
            origin: Origin {
                source: source.clone(),
                span: inner,
            },
            literal,
        }
    }

    /// The origin of the byte at `offset` in the value (the start of the string when the
    /// written text has escapes).
    fn at(&self, offset: usize) -> Origin {
        let mut origin = self.origin.clone();
        if self.literal {
            let start = (origin.span.start + offset).min(origin.span.end);
            origin.span = start..start;
        }
        origin
    }
}

fn spanned_origin(source: &Arc<PolicySource>, span: Range<usize>) -> Origin {
    Origin {
        source: source.clone(),
        span,
    }
}

impl Condition {
    /// Compiles and validates a condition; `name` is its key in the rule (`require`, `forbid`
    /// or `when`).
    pub(super) fn compile(
        raw: &RawCondition,
        source: &Arc<PolicySource>,
        name: &str,
    ) -> Result<Condition, PolicyError> {
        let file_at = StringAt::new(source, &raw.file);
        let file = Glob::new(raw.file.get_ref()).map_err(|e| file_at.at(0).error(e))?;

        let mut tests: Vec<(&str, Range<usize>)> = Vec::new();
        if let Some(m) = &raw.matches {
            tests.push(("matches", m.span()));
        }
        if let Some(e) = &raw.equals {
            tests.push(("equals", e.span()));
        }
        if let Some(o) = &raw.one_of {
            tests.push(("one-of", o.span()));
        }
        if let Some(e) = &raw.exists {
            tests.push(("exists", e.span()));
        }
        tests.sort_by_key(|(_, span)| span.start);

        let Some(key) = &raw.key else {
            if let Some((test, span)) = tests.iter().find(|(test, _)| *test != "matches") {
                return Err(spanned_origin(source, span.clone()).error(format!(
                    "`{test}` in `{name}` needs a `key`: it tests a value inside JSON, YAML or \
                     TOML files"
                )));
            }
            let content = match &raw.matches {
                Some(pattern) => Content::Lines(line_regex(source, pattern)?),
                None => Content::None,
            };
            return Ok(Condition { file, content });
        };

        let key_at = StringAt::new(source, key);
        let path = KeyPath::parse(key.get_ref()).map_err(|e| {
            key_at.at(e.offset).error(format!(
                "invalid key path `{}`: {}",
                key.get_ref(),
                e.message
            ))
        })?;
        if let [(first, _), (second, span), ..] = tests.as_slice() {
            return Err(spanned_origin(source, span.clone()).error(format!(
                "`{second}` cannot be combined with `{first}` in `{name}`: a condition has at most \
                 one test (`matches`, `equals`, `one-of` or `exists`)"
            )));
        }
        let test = if let Some(pattern) = &raw.matches {
            let at = StringAt::new(source, pattern);
            Test::Matches {
                pattern: pattern.get_ref().clone(),
                regex: compile_regex(pattern.get_ref(), &at.origin)?,
            }
        } else if let Some(value) = &raw.equals {
            Test::Equals(Expected::from_toml(value.get_ref()).ok_or_else(|| {
                spanned_origin(source, value.span()).error(format!(
                    "`equals` takes a string, number or boolean, not {}",
                    toml_kind(value.get_ref())
                ))
            })?)
        } else if let Some(values) = &raw.one_of {
            let at = spanned_origin(source, values.span());
            if values.get_ref().is_empty() {
                return Err(at.error("`one-of` is empty: list the values allowed"));
            }
            let mut expected = Vec::new();
            for (index, value) in values.get_ref().iter().enumerate() {
                expected.push(Expected::from_toml(value).ok_or_else(|| {
                    at.error(format!(
                        "`one-of` takes strings, numbers or booleans; element {} is {}",
                        index + 1,
                        toml_kind(value)
                    ))
                })?);
            }
            Test::OneOf(expected)
        } else if raw.exists.as_ref().is_some_and(|e| !*e.get_ref()) {
            Test::Absent
        } else {
            Test::Exists
        };
        Ok(Condition {
            file,
            content: Content::Key {
                text: key.get_ref().clone(),
                path,
                test,
            },
        })
    }

    /// The glob to read files for, when the condition looks inside them.
    pub(super) fn wants(&self) -> Option<String> {
        match self.content {
            Content::None => None,
            _ => Some(self.file.pattern().trim_start_matches('/').to_owned()),
        }
    }

    fn matching<'a>(&self, cx: &Context<'a>) -> Vec<&'a FileEntry> {
        cx.files()
            .iter()
            .copied()
            .filter(|f| self.file.is_match(&f.path))
            .collect()
    }

    /// `require`: pushes a violation for each way the condition does not hold.
    pub(super) fn require(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let files = self.matching(cx);
        if files.is_empty() {
            out.push(
                Violation::repo(format!("no file matches `{}`", self.file.pattern()))
                    .key(format!("missing:{}", self.file.pattern())),
            );
            return;
        }
        for file in files {
            match self.probe(cx, file) {
                Probe::Present | Probe::Skipped => {}
                Probe::Broken(v) => out.push(*v),
                Probe::Lines { hits, regex } => {
                    if hits.is_empty() {
                        out.push(
                            Violation::file(
                                &file.path,
                                format!("no line of {} matches `{}`", file.path, regex.pattern),
                            )
                            .key(format!("no-match:{}", regex.pattern)),
                        );
                    }
                }
                Probe::Keys { found, key, test } => {
                    if let Test::Absent = test {
                        for value in &found {
                            out.push(value.violation(file, format!("{} is present", value.path)));
                        }
                    } else if found.is_empty() {
                        out.push(missing(file, key));
                    } else {
                        for value in found.iter().filter(|v| !v.passes) {
                            let message = format!(
                                "{} is {}, expected {}",
                                value.path,
                                value.shown,
                                test.describe()
                            );
                            out.push(value.violation(file, message));
                        }
                    }
                }
            }
        }
    }

    /// `forbid`: pushes a violation for each way the condition holds.
    pub(super) fn forbid(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for file in self.matching(cx) {
            match self.probe(cx, file) {
                Probe::Skipped => {}
                Probe::Present => out.push(
                    Violation::file(
                        &file.path,
                        format!("{} matches `{}`", file.path, self.file.pattern()),
                    )
                    .key("file"),
                ),
                Probe::Broken(v) => out.push(*v),
                Probe::Lines { hits, .. } => {
                    let mut seen: Vec<&str> = Vec::new();
                    for hit in &hits {
                        let occurrence = seen.iter().filter(|t| **t == hit.text).count();
                        seen.push(&hit.text);
                        out.push(
                            Violation::file(
                                &file.path,
                                format!("found `{}`", show_text(&hit.text)),
                            )
                            .span(hit.span)
                            .key(format!("match:{}#{occurrence}", hit.text)),
                        );
                    }
                }
                Probe::Keys { found, key, test } => match test {
                    Test::Absent => {
                        if found.is_empty() {
                            out.push(missing(file, key));
                        }
                    }
                    Test::Exists => {
                        for value in &found {
                            out.push(value.violation(file, format!("{} is present", value.path)));
                        }
                    }
                    _ => {
                        for value in found.iter().filter(|v| v.passes) {
                            let message = format!("{} is {}", value.path, value.shown);
                            out.push(value.violation(file, message));
                        }
                    }
                },
            }
        }
    }

    /// `when`: whether the condition holds in the sense of `require`, without findings. Files
    /// that cannot be parsed leave the answer open, unless another file already decides it.
    pub(super) fn holds(&self, cx: &Context<'_>) -> Verdict {
        let files = self.matching(cx);
        let mut broken = Vec::new();
        let mut decided = false;
        for file in &files {
            let passes = match self.probe(cx, file) {
                Probe::Present => true,
                Probe::Skipped => continue,
                Probe::Broken(v) => {
                    broken.push(*v);
                    continue;
                }
                Probe::Lines { hits, .. } => !hits.is_empty(),
                Probe::Keys { found, test, .. } => match test {
                    Test::Absent => found.is_empty(),
                    _ => !found.is_empty() && found.iter().all(|v| v.passes),
                },
            };
            if !passes {
                return Verdict::Fails;
            }
            decided = true;
        }
        if !broken.is_empty() {
            Verdict::Unknown(broken)
        } else if decided {
            Verdict::Holds
        } else {
            Verdict::Fails
        }
    }

    /// What the condition finds in one file.
    fn probe(&self, cx: &Context<'_>, file: &FileEntry) -> Probe<'_> {
        match &self.content {
            Content::None => Probe::Present,
            _ if !file.mode.is_regular() => Probe::Skipped,
            Content::Lines(regex) => match read(cx, file) {
                Ok(bytes) => Probe::Lines {
                    hits: line_hits(regex, &bytes),
                    regex,
                },
                Err(probe) => probe,
            },
            Content::Key { text, path, test } => probe_keys(cx, file, text, path, test),
        }
    }
}

fn broken(v: Violation) -> Probe<'static> {
    Probe::Broken(Box::new(v))
}

/// A file's bytes, or what to report instead.
fn read<'a>(cx: &Context<'a>, file: &FileEntry) -> Result<Cow<'a, [u8]>, Probe<'static>> {
    match cx.read(file) {
        Ok(bytes) => Ok(bytes),
        Err(ReadError::NotRegular) => Err(Probe::Skipped),
        // The engine reports the files it wanted and could not read (policy/unread-file).
        Err(_) if cx.wanted().iter().any(|w| w.key == file.key) => Err(Probe::Skipped),
        Err(e) => Err(broken(
            Violation::file(&file.path, format!("cannot read {}: {e}", file.path))
                .key("unreadable"),
        )),
    }
}

/// The values `path` selects in a JSON, YAML or TOML file, each judged by `test`.
fn probe_keys<'c>(
    cx: &Context<'_>,
    file: &FileEntry,
    key: &'c str,
    path: &KeyPath,
    test: &'c Test,
) -> Probe<'c> {
    let Some(format) = Format::from_path(&file.path) else {
        return broken(
            Violation::file(
                &file.path,
                format!(
                    "cannot read keys from {}: unsupported format (key conditions read .json, \
                     .yaml, .yml and .toml files)",
                    file.path
                ),
            )
            .key("unsupported-format"),
        );
    };
    let bytes = match read(cx, file) {
        Ok(bytes) => bytes,
        Err(probe) => return probe,
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return broken(
            Violation::file(
                &file.path,
                format!("{} is not valid {format}: not UTF-8 text", file.path),
            )
            .key("parse-error"),
        );
    };
    let documents = match doc::parse(format, text) {
        Ok(documents) => documents,
        Err(e) => {
            return broken(
                Violation::file(
                    &file.path,
                    format!("{} is not valid {format}: {}", file.path, e.message),
                )
                .span(e.span)
                .key("parse-error"),
            )
        }
    };
    let several = documents.len() > 1;
    let mut found = Vec::new();
    for (index, document) in documents.iter().enumerate() {
        for (definite, node) in doc::select_with_paths(document, path) {
            let definite = definite.to_string();
            let fingerprint = if several {
                format!("document {}:{definite}={}", index + 1, node.to_display())
            } else {
                format!("{definite}={}", node.to_display())
            };
            // A Cargo member's `edition.workspace = true` takes the workspace root's
            // `[workspace.package]` value: that value is judged, not the `{workspace = true}`.
            let (passes, shown) = match inherited(cx, file, &definite, node) {
                Some(Inherited::Value { root, value }) => (
                    test.passes(&value),
                    format!(
                        "{} (inherited from workspace.{definite} in {root})",
                        show_node(&value)
                    ),
                ),
                Some(Inherited::Missing) => (
                    matches!(test, Test::Exists | Test::Absent),
                    format!(
                        "inherited from the workspace (`workspace = true`), but no parent \
                         Cargo.toml has workspace.{definite}"
                    ),
                ),
                None => (test.passes(node), show_node(node)),
            };
            found.push(Found {
                passes,
                shown,
                path: definite,
                span: node.span,
                fingerprint,
            });
        }
    }
    Probe::Keys { found, key, test }
}

/// A value a Cargo.toml inherits from its workspace root.
enum Inherited {
    /// The root's `[workspace.package]` value, and the root's path.
    Value { root: String, value: Node },
    /// `workspace = true`, but no workspace root declares the value.
    Missing,
}

/// When `node` (at `definite`, such as `package.edition`, in a Cargo.toml) is `{ workspace =
/// true }`, the value it inherits from the nearest Cargo.toml at or above it with a
/// `[workspace]` table (as Cargo finds the root): its `workspace.package.<field>`.
fn inherited(cx: &Context<'_>, file: &FileEntry, definite: &str, node: &Node) -> Option<Inherited> {
    let name = file.path.rsplit('/').next().unwrap_or(&file.path);
    if name != "Cargo.toml"
        || !definite.starts_with("package.")
        || node.get("workspace").and_then(Node::as_bool) != Some(true)
    {
        return None;
    }
    let wanted = KeyPath::parse(&format!("workspace.{definite}")).ok()?;
    let mut dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        let candidate = if dir.is_empty() {
            "Cargo.toml".to_owned()
        } else {
            format!("{dir}/Cargo.toml")
        };
        let root = cx
            .all_files()
            .iter()
            .find(|f| f.path == candidate && f.mode.is_regular());
        let parsed = root.and_then(|root| {
            let bytes = cx.read(root).ok()?;
            let text = std::str::from_utf8(&bytes).ok()?;
            doc::parse_single(Format::Toml, text).ok()
        });
        if let Some(document) = parsed.filter(|d| d.get("workspace").is_some()) {
            return Some(match doc::select(&document, &wanted).first() {
                Some(value) => Inherited::Value {
                    root: candidate,
                    value: (*value).clone(),
                },
                None => Inherited::Missing,
            });
        }
        if dir.is_empty() {
            return Some(Inherited::Missing);
        }
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
}

/// The answer of a `when` condition.
pub(super) enum Verdict {
    /// The rule applies.
    Holds,
    /// The rule does not apply.
    Fails,
    /// Files needed to decide could not be parsed: these violations say which.
    Unknown(Vec<Violation>),
}

/// What a condition finds in one file.
enum Probe<'c> {
    /// The file matches and the condition does not look inside it.
    Present,
    /// The file has no contents to judge (a symlink, a submodule) or the engine already
    /// reported that it could not read it.
    Skipped,
    /// The file cannot be judged: unsupported format, not UTF-8, malformed.
    Broken(Box<Violation>),
    /// Matches of a line regex.
    Lines {
        hits: Vec<Hit>,
        regex: &'c LineRegex,
    },
    /// Values selected by a key path, with the test's verdict on each.
    Keys {
        found: Vec<Found>,
        key: &'c str,
        test: &'c Test,
    },
}

/// A match of a line regex.
struct Hit {
    span: Span,
    text: String,
}

/// A value selected by a key path.
struct Found {
    /// Its definite path (`metadata.links[1].url`).
    path: String,
    /// The value as shown in messages.
    shown: String,
    span: Span,
    /// Whether it passes the condition's test.
    passes: bool,
    /// What identifies it apart from its line.
    fingerprint: String,
}

impl Found {
    fn violation(&self, file: &FileEntry, message: String) -> Violation {
        Violation::file(&file.path, message)
            .span(self.span)
            .key(self.fingerprint.clone())
    }
}

fn missing(file: &FileEntry, key: &str) -> Violation {
    Violation::file(&file.path, format!("{key} is missing in {}", file.path))
        .key(format!("missing:{key}"))
}

impl Test {
    fn passes(&self, node: &Node) -> bool {
        match self {
            Test::Exists | Test::Absent => true,
            Test::Equals(expected) => expected.matches(node),
            Test::OneOf(expected) => expected.iter().any(|e| e.matches(node)),
            Test::Matches { regex, .. } => node.is_scalar() && regex.is_match(&node.to_display()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Test::Exists | Test::Absent => "a value".to_owned(),
            Test::Equals(expected) => expected.show(),
            Test::OneOf(expected) => format!(
                "one of {}",
                expected
                    .iter()
                    .map(Expected::show)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Test::Matches { pattern, .. } => format!("a value matching `{pattern}`"),
        }
    }
}

fn line_regex(
    source: &Arc<PolicySource>,
    pattern: &Spanned<String>,
) -> Result<LineRegex, PolicyError> {
    let at = StringAt::new(source, pattern);
    let text = compile_regex(pattern.get_ref(), &at.origin)?;
    let bytes = regex::bytes::RegexBuilder::new(pattern.get_ref())
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            at.origin
                .error(format!("invalid regex `{}`: {e}", pattern.get_ref()))
        })?;
    Ok(LineRegex {
        pattern: pattern.get_ref().clone(),
        text,
        bytes,
    })
}

/// The matches of `regex` in a file: on its text when it is UTF-8, else on its bytes (columns
/// then count each invalid sequence as one character, as a lossy decoding shows it).
fn line_hits(regex: &LineRegex, bytes: &[u8]) -> Vec<Hit> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let index = LineIndex::new(text);
        return regex
            .text
            .find_iter(text)
            .map(|m| Hit {
                span: index.span(m.start(), m.end()),
                text: m.as_str().to_owned(),
            })
            .collect();
    }
    // Lines and columns count the text as decoded lossily (each invalid sequence one U+FFFD),
    // as snippets are cut from it; the byte offsets stay the file's. One decoding and one line
    // index for every match, so a long line with many matches stays linear.
    let decoded = String::from_utf8_lossy(bytes);
    let index = LineIndex::new(&decoded);
    // Where each valid run and each invalid sequence starts, in the file and in the text.
    let mut marks: Vec<(usize, usize, bool)> = Vec::new();
    let (mut file_at, mut text_at) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        marks.push((file_at, text_at, false));
        file_at += chunk.valid().len();
        text_at += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            marks.push((file_at, text_at, true));
            file_at += chunk.invalid().len();
            text_at += '\u{FFFD}'.len_utf8();
        }
    }
    let in_text = |offset: usize| {
        let at = marks.partition_point(|m| m.0 <= offset).saturating_sub(1);
        match marks.get(at) {
            Some(&(file, text, false)) => text + (offset - file),
            Some(&(_, text, true)) => text,
            None => 0,
        }
    };
    regex
        .bytes
        .find_iter(bytes)
        .map(|m| {
            let mut span = index.span(in_text(m.start()), in_text(m.end()));
            span.start_byte = m.start();
            span.end_byte = m.end();
            Hit {
                span,
                text: String::from_utf8_lossy(m.as_bytes()).into_owned(),
            }
        })
        .collect()
}

fn toml_kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
        _ => "a scalar",
    }
}

/// A string as a JSON literal, shortened.
fn quote(s: &str) -> String {
    serde_json::to_string(&shorten(s)).unwrap_or_else(|_| format!("\"{s}\""))
}

/// A node as shown in messages: strings quoted, other values as JSON, shortened.
fn show_node(node: &Node) -> String {
    match &node.value {
        Value::String(s) => quote(s),
        _ => shorten(&node.to_display()),
    }
}

/// Matched text as shown in messages: control characters escaped, shortened.
fn show_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    shorten(&escaped)
}

fn shorten(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
}
