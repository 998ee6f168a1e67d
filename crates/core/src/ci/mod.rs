//! CI configuration models: GitHub Actions workflows and actions ([`github`]) and GitLab CI
//! pipelines ([`gitlab`]), built from the positioned YAML trees of [`crate::doc`], so every
//! key and value keeps its span.
//!
//! The models are lenient: a value of an unexpected type is left out rather than failing the
//! whole file, so rules judge what they can of a file GitHub or GitLab would reject. Syntax
//! errors, values of a type GitHub or GitLab rejects, and (for GitHub) `<<` merge keys and
//! duplicate keys are kept for `ci/invalid-yaml` to report.
//!
//! Positions inside scalars (an expression on the third line of a `run: |` script) come from
//! [`SourceMap`], through [`Text::locate`].

pub mod artifacts;
pub mod ast;
pub mod dependabot;
pub mod expr;
pub mod flow;
pub mod github;
pub mod gitlab;
pub mod scalar;
pub mod version;

use std::ops::Range;

pub use scalar::SourceMap;

use crate::doc::{Node, Value};
use crate::span::{LineIndex, Lines, Span};

/// A scalar value (string, number or boolean, as text) and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// The value as text: strings are themselves, numbers and booleans as written in JSON.
    pub value: String,
    /// Where the value is written (quotes included).
    pub span: Span,
}

impl Scalar {
    /// The scalar of a node that is a string, number or boolean; `None` for null, sequences
    /// and mappings.
    pub fn from_node(node: &Node) -> Option<Scalar> {
        match node.value {
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
            _ => Some(Scalar {
                value: node.to_display(),
                span: node.span,
            }),
        }
    }

    /// The scalar of an optional node (see [`Scalar::from_node`]).
    pub fn from_opt(node: Option<&Node>) -> Option<Scalar> {
        node.and_then(Scalar::from_node)
    }

    /// Whether the value contains a `${{ }}` expression (GitHub) or is computed otherwise.
    pub fn has_expression(&self) -> bool {
        self.value.contains("${{")
    }
}

/// The text of a CI file, to turn byte offsets into positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The file's text.
    pub text: String,
    lines: Lines,
}

impl Text {
    /// Wraps a file's text.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let lines = Lines::new(&text);
        Self { text, lines }
    }

    /// The line index of the text.
    pub fn index(&self) -> LineIndex<'_> {
        self.lines.index(&self.text)
    }

    /// The span of the byte range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
        self.index().span(start, end)
    }

    /// The span in the file of the bytes `range` of `scalar`'s value: exact for block,
    /// plain and quoted scalars (see [`scalar`]); the whole scalar when its text cannot be
    /// aligned with its value (an alias).
    pub fn locate(&self, scalar: &Scalar, range: Range<usize>) -> Span {
        self.locate_all(scalar, std::slice::from_ref(&range))
            .pop()
            .unwrap_or(scalar.span)
    }

    /// The spans of several ranges of one scalar's value (the alignment is done once).
    pub fn locate_all(&self, scalar: &Scalar, ranges: &[Range<usize>]) -> Vec<Span> {
        let index = self.index();
        match SourceMap::new(&self.text, &scalar.span, &scalar.value) {
            Some(map) => ranges
                .iter()
                .map(|r| {
                    let range = map.source_range(r.clone());
                    index.span(range.start, range.end)
                })
                .collect(),
            None => vec![scalar.span; ranges.len()],
        }
    }
}

/// Every `<<` merge key in a tree, outermost first.
pub fn merge_keys(node: &Node) -> Vec<Span> {
    let mut found = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries.iter().rev() {
                    if entry.key_str() == Some("<<") {
                        found.push(entry.key.span);
                    }
                    stack.push(&entry.value);
                }
            }
            Value::Seq(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    found.sort_by_key(|s| s.start_byte);
    found.dedup();
    found
}

/// A key written twice in one mapping: the later occurrence, and the line of the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key.
    pub key: String,
    /// Where the later occurrence is written.
    pub span: Span,
    /// The line of the first occurrence.
    pub first_line: u32,
}

impl DuplicateKey {
    /// `duplicate key `x` (first at line N)`.
    pub fn message(&self) -> String {
        format!(
            "duplicate key `{}` (first at line {})",
            self.key, self.first_line
        )
    }
}

/// Mappings up to this many entries are searched for duplicate keys without a hash table.
const SMALL_MAP: usize = 16;

/// Every key written more than once in the same mapping of a tree, in document order. A
/// mapping copied by an alias is reported once, where the anchor writes it.
pub fn duplicate_keys(node: &Node) -> Vec<DuplicateKey> {
    let mut found = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(entries) if entries.len() <= SMALL_MAP => {
                // Most mappings of a workflow have a few keys: comparing each key with those
                // before it is quicker than hashing them.
                for (at, entry) in entries.iter().enumerate() {
                    let Some(key) = entry.key_str() else { continue };
                    if let Some(earlier) = entries[..at].iter().find(|e| e.key_str() == Some(key)) {
                        found.push(DuplicateKey {
                            key: key.to_owned(),
                            span: entry.key.span,
                            first_line: earlier.key.span.line,
                        });
                    }
                }
                stack.extend(entries.iter().rev().map(|e| &e.value));
            }
            Value::Map(entries) => {
                let mut first: std::collections::HashMap<&str, u32> =
                    std::collections::HashMap::new();
                for entry in entries {
                    if let Some(key) = entry.key_str() {
                        if let Some(line) = first.get(key) {
                            found.push(DuplicateKey {
                                key: key.to_owned(),
                                span: entry.key.span,
                                first_line: *line,
                            });
                        } else {
                            first.insert(key, entry.key.span.line);
                        }
                    }
                }
                stack.extend(entries.iter().rev().map(|e| &e.value));
            }
            Value::Seq(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    found.sort_by_key(|d| d.span.start_byte);
    found.dedup_by_key(|d| d.span.start_byte);
    found
}

/// A value's kind with its article, for messages: `an integer`, `a string`, `null`.
pub fn a_kind(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a number",
        Value::String(_) => "a string",
        Value::Seq(_) => "a list",
        Value::Map(_) => "a mapping",
    }
}

/// Whether `value` is 40 hexadecimal digits: a full git commit SHA.
pub fn is_full_sha(value: &str) -> bool {
    value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `@sha256:<64 hex>` digest of an image reference, if it has one.
pub fn image_digest(image: &str) -> Option<&str> {
    let at = image.find("@sha256:")?;
    let digest = &image[at + 8..];
    let hex = digest
        .get(..64)
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
    Some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shas_and_digests() {
        assert!(is_full_sha("b4ffde65f46336ab88eb53be808477a3936bae11"));
        assert!(!is_full_sha("b4ffde6"));
        assert!(!is_full_sha("v4.1.1"));
        let digest = format!("alpine@sha256:{}", "a".repeat(64));
        assert_eq!(image_digest(&digest).map(str::len), Some(64));
        assert_eq!(image_digest("alpine:3.19"), None);
        assert_eq!(image_digest("alpine@sha256:abc"), None);
    }

    #[test]
    fn text_positions_match_the_line_index() {
        let source = "ab\ncé d\n\nlast";
        let text = Text::new(source);
        let index = crate::span::LineIndex::new(source);
        for offset in 0..=source.len() + 1 {
            assert_eq!(
                text.span(offset, offset + 1),
                index.span(offset, offset + 1)
            );
        }
    }

    #[test]
    fn finds_duplicate_keys_once_per_mapping() {
        let text = "a: &x {b: 1, b: 2}\nc: *x\na: 3\nd:\n  - {e: 1, e: 2, e: 3}\n";
        let root = crate::doc::parse(crate::doc::Format::Yaml, text).unwrap();
        let found: Vec<(String, u32, u32, u32)> = duplicate_keys(&root[0])
            .into_iter()
            .map(|d| (d.key, d.span.line, d.span.column, d.first_line))
            .collect();
        assert_eq!(
            found,
            [
                ("b".to_owned(), 1, 14, 1),
                ("a".to_owned(), 3, 1, 1),
                ("e".to_owned(), 5, 12, 5),
                ("e".to_owned(), 5, 18, 5),
            ]
        );
        assert!(duplicate_keys(
            &crate::doc::parse(crate::doc::Format::Yaml, "a: 1\nb: {a: 2}\n").unwrap()[0]
        )
        .is_empty());
    }

    #[test]
    fn small_and_large_mappings_report_the_same_duplicates() {
        // The same duplicates (`k1` twice more, `k2` once more) in a mapping searched without
        // a hash table and in one searched with it.
        for size in [4, super::SMALL_MAP + 4] {
            let mut text: String = (0..size).map(|i| format!("k{i}: {i}\n")).collect();
            text.push_str("k1: x\nk2: y\nk1: z\n");
            let root = crate::doc::parse(crate::doc::Format::Yaml, &text).unwrap();
            let found: Vec<(String, u32, u32)> = duplicate_keys(&root[0])
                .into_iter()
                .map(|d| (d.key, d.span.line, d.first_line))
                .collect();
            let n = u32::try_from(size).unwrap();
            assert_eq!(
                found,
                [
                    ("k1".to_owned(), n + 1, 2),
                    ("k2".to_owned(), n + 2, 3),
                    ("k1".to_owned(), n + 3, 2),
                ],
                "{size} keys"
            );
        }
    }

    #[test]
    fn finds_merge_keys_anywhere() {
        let text = "a: &x {b: 1}\nc:\n  <<: *x\n  d: [{<<: *x}]\n";
        let root = crate::doc::parse(crate::doc::Format::Yaml, text).unwrap();
        let keys = merge_keys(&root[0]);
        assert_eq!(
            keys.iter().map(|s| (s.line, s.column)).collect::<Vec<_>>(),
            [(3, 3), (4, 8)]
        );
    }
}
