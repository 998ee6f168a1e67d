//! Byte offsets to lines and columns, and TOML helpers shared by the TOML-based parsers.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::{ParseError, Position};

/// Maps byte offsets of one text to 1-based lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// The position of a byte range (clamped to the text).
    pub fn position(&self, range: Range<usize>) -> Position {
        let start = self.boundary(range.start);
        let end = self.boundary(range.end.max(start));
        let (line, column) = self.line_column(start);
        let (end_line, end_column) = self.line_column(end);
        Position {
            range: start..end,
            line,
            column,
            end_line,
            end_column,
        }
    }

    fn boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    fn line_column(&self, offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let column = self.text[self.starts[line]..offset].chars().count();
        (
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(column + 1).unwrap_or(u32::MAX),
        )
    }

    /// The position of the whole line `line` (0-based), without its line break.
    pub(crate) fn line_position(&self, line: usize) -> Position {
        let start = self.starts.get(line).copied().unwrap_or(self.text.len());
        let end = self
            .starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        self.position(start..end.max(start))
    }

    /// An error at `range`.
    pub(crate) fn error(&self, range: Range<usize>, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            position: self.position(range),
        }
    }
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
