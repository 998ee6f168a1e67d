//! Positions (through `goldpath-document`'s line index), the positioned JSON and YAML tree,
//! and TOML helpers shared by the TOML-based parsers.

use std::ops::Range;

use goldpath_document::{Entry, Format, Node, Span, Value};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

pub(crate) use goldpath_document::LineIndex;

use crate::{ParseError, Position};

impl From<Span> for Position {
    fn from(span: Span) -> Self {
        Position {
            range: span.start_byte..span.end_byte,
            line: span.line,
            column: span.column,
            end_line: span.end_line,
            end_column: span.end_column,
        }
    }
}

/// Positions and errors of this crate's types, from the document crate's line index.
pub(crate) trait Locate {
    /// The position of a byte range (clamped to the text, ends moved back to character
    /// boundaries).
    fn at(&self, range: Range<usize>) -> Position;
    /// An error at `range`.
    fn error(&self, range: Range<usize>, message: impl Into<String>) -> ParseError;
    /// The position of the whole 0-based line `line`, without its `\n`.
    fn line_position(&self, line: usize) -> Position;
}

impl Locate for LineIndex<'_> {
    fn at(&self, range: Range<usize>) -> Position {
        let text = self.text();
        let boundary = |offset: usize| {
            let mut offset = offset.min(text.len());
            while !text.is_char_boundary(offset) {
                offset -= 1;
            }
            offset
        };
        let start = boundary(range.start);
        let end = boundary(range.end.max(start));
        self.span(start, end).into()
    }

    fn error(&self, range: Range<usize>, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            position: self.at(range),
        }
    }

    fn line_position(&self, line: usize) -> Position {
        let line = u32::try_from(line.saturating_add(1)).unwrap_or(u32::MAX);
        self.line_span(line).into()
    }
}

/// An error at a node.
pub(crate) fn error_at(span: Span, message: impl Into<String>) -> ParseError {
    ParseError {
        message: message.into(),
        position: span.into(),
    }
}

/// The first document of a JSON or YAML text, as a positioned tree. Lockfiles use no anchors:
/// an alias reads as null (nothing is copied, so no alias budget can be exhausted).
pub(crate) fn parse_tree(format: Format, text: &str) -> Result<Node, ParseError> {
    goldpath_document::parse_first(format, text, goldpath_document::Aliases::Null)
        .map_err(|e| error_at(e.span, e.message))
}

/// The entries of a mapping; none for anything else.
pub(crate) fn members(node: &Node) -> &[Entry] {
    node.as_map().unwrap_or_default()
}

/// A key as text: a YAML complex key (`? [a, b]`) as it is written.
pub(crate) fn key<'a>(entry: &'a Entry, text: &'a str) -> &'a str {
    entry.key_str().unwrap_or_else(|| {
        text.get(entry.key.span.start_byte..entry.key.span.end_byte)
            .unwrap_or_default()
    })
}

/// A string, or a number as it is written: lockfiles mean `lockfileVersion: 5.10` and
/// `version: 2` as text.
pub(crate) fn scalar<'a>(node: &'a Node, text: &'a str) -> Option<&'a str> {
    match &node.value {
        Value::String(s) => Some(s),
        Value::Int(_) | Value::Float(_) => text.get(node.span.start_byte..node.span.end_byte),
        _ => None,
    }
}

/// Whether a node is the boolean `true`.
pub(crate) fn is_true(node: &Node) -> bool {
    node.as_bool() == Some(true)
}

/// Parses TOML into a positioned table, or a positioned error.
pub(crate) fn parse_toml<'i>(
    text: &'i str,
    index: &LineIndex<'_>,
) -> Result<DeTable<'i>, ParseError> {
    DeTable::parse(text).map(Spanned::into_inner).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        index.error(span, e.message().trim().to_owned())
    })
}

/// The value under `key` of a table, with its key's span.
pub(crate) fn get<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// The table under `key`.
pub(crate) fn get_table<'t, 'i>(table: &'t DeTable<'i>, key: &str) -> Option<&'t DeTable<'i>> {
    get(table, key).and_then(|v| v.get_ref().as_table())
}

/// The string under `key`.
pub(crate) fn get_str<'t>(table: &'t DeTable<'_>, key: &str) -> Option<&'t str> {
    get(table, key).and_then(|v| v.get_ref().as_str())
}

/// Requires the value to be a table, else a positioned error.
pub(crate) fn expect_table<'t, 'i>(
    value: &'t Spanned<DeValue<'i>>,
    what: &str,
    index: &LineIndex<'_>,
) -> Result<&'t DeTable<'i>, ParseError> {
    value.get_ref().as_table().ok_or_else(|| {
        index.error(
            value.span(),
            format!("{what} must be a table, not {}", value.get_ref().type_str()),
        )
    })
}
