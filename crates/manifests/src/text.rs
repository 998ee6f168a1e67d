//! Byte offsets to lines and columns, and TOML helpers shared by the TOML-based parsers.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::{ParseError, Position};

/// Bytes per checkpoint of the character count (see [`LineIndex`]).
const CHUNK: usize = 4096;

/// Maps byte offsets of one text to 1-based lines and columns.
///
/// Columns count characters. Short lines are counted directly; for text that is not ASCII the
/// character count before every 4096th byte is kept, so a column on a long line costs at most
/// half of 4096 bytes of counting: a lockfile written on one 10 MB line stays linear to locate.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// `chars[i]`: the characters in `text[..i * CHUNK]`; `None` for ASCII text, where a
    /// byte is a character.
    chars: Option<Vec<usize>>,
}

/// The characters in a byte range of UTF-8 (which may cut characters): its bytes that do not
/// continue a character.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
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
        let chars = (!text.is_ascii()).then(|| {
            let mut chars = Vec::with_capacity(text.len() / CHUNK + 1);
            let mut total = 0;
            chars.push(0);
            for chunk in text.as_bytes().chunks(CHUNK) {
                total += count_chars(chunk);
                chars.push(total);
            }
            chars
        });
        LineIndex {
            text,
            starts,
            chars,
        }
    }

    /// The characters before byte `offset` (a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let Some(chars) = &self.chars else {
            return offset;
        };
        // Count from the nearer checkpoint: at most half a chunk.
        let chunk = offset / CHUNK;
        let next = (chunk + 1) * CHUNK;
        match chars.get(chunk + 1) {
            Some(after) if next - offset < offset - chunk * CHUNK && next <= self.text.len() => {
                after - count_chars(&self.text.as_bytes()[offset..next])
            }
            _ => chars[chunk] + count_chars(&self.text.as_bytes()[chunk * CHUNK..offset]),
        }
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
        let start = self.starts[line];
        // Most lines are short: count them directly; a long one through the checkpoints.
        let column = if self.chars.is_none() {
            offset - start
        } else if offset - start <= CHUNK {
            count_chars(&self.text.as_bytes()[start..offset])
        } else {
            self.chars_before(offset) - self.chars_before(start)
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The column by the definition: characters from the line start, plus one.
    fn slow_column(text: &str, offset: usize) -> u32 {
        let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
        u32::try_from(text[start..offset].chars().count() + 1).unwrap()
    }

    #[test]
    fn columns_count_characters_across_chunk_boundaries() {
        // Multi-byte characters straddle the 4096-byte chunk boundaries; some lines are long.
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(["a", "é", "€", "𝄞", "\n"][i % 5]);
            if i % 700 == 0 {
                text.push_str(&"é".repeat(2100));
            }
        }
        let index = LineIndex::new(&text);
        for offset in (0..=text.len()).filter(|&o| o % 3 == 0 && text.is_char_boundary(o)) {
            let position = index.position(offset..offset);
            assert_eq!(position.column, slow_column(&text, offset), "at {offset}");
            assert_eq!(
                position.line as usize,
                text[..offset].matches('\n').count() + 1
            );
        }
    }

    #[test]
    fn positions_on_one_long_line_cost_one_chunk() {
        // 5 MB on one line, 100,000 positions: counting from the line start would take hours.
        let text = "ab€".repeat(1_000_000);
        let index = LineIndex::new(&text);
        let started = std::time::Instant::now();
        let mut last = 0;
        for i in 0..100_000 {
            let offset = (text.len() - 5) / 100_000 * i / 5 * 5;
            last = index.position(offset..offset + 5).column;
        }
        assert_eq!(
            last,
            slow_column(&text, (text.len() - 5) / 100_000 * 99_999 / 5 * 5)
        );
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
