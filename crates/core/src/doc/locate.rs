//! Fast conversion of byte and character offsets to [`Span`]s.
//!
//! [`LineIndex`](crate::span::LineIndex) counts the characters of a line prefix for every
//! lookup, which is quadratic on a long single-line file (minified JSON). The locator gives the
//! same lines and columns in logarithmic time, using checkpoints of the character count.

use crate::span::Span;

/// Distance in bytes (at least) between two checkpoints.
const STRIDE: usize = 64;

#[derive(Debug)]
pub(crate) struct Locator<'t> {
    text: &'t str,
    /// Byte offset of each line start.
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)` at char boundaries about every [`STRIDE`] bytes,
    /// starting with `(0, 0)`. Empty when the text is ASCII (bytes are characters).
    checkpoints: Vec<(usize, usize)>,
    /// Characters before each line start; empty when the text is ASCII.
    line_chars: Vec<usize>,
}

impl<'t> Locator<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut checkpoints = Vec::new();
        if !text.is_ascii() {
            let mut chars = 0;
            let mut last = 0;
            checkpoints.push((0, 0));
            for (offset, _) in text.char_indices() {
                if offset >= last + STRIDE {
                    chars += text[last..offset].chars().count();
                    checkpoints.push((offset, chars));
                    last = offset;
                }
            }
        }
        let mut locator = Self {
            text,
            line_starts,
            checkpoints,
            line_chars: Vec::new(),
        };
        if !locator.checkpoints.is_empty() {
            locator.line_chars = (locator.line_starts.iter())
                .map(|&start| locator.chars_before(start))
                .collect();
        }
        locator
    }

    /// `offset` clamped to the text and moved back to a character boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The number of characters before byte `offset` (a char boundary).
    fn chars_before(&self, offset: usize) -> usize {
        if self.checkpoints.is_empty() {
            return offset;
        }
        let index = self
            .checkpoints
            .partition_point(|&(byte, _)| byte <= offset)
            .saturating_sub(1);
        let (byte, chars) = self.checkpoints.get(index).copied().unwrap_or((0, 0));
        chars + self.text[byte..offset].chars().count()
    }

    /// The byte offset of the character at index `char_index` (the text length past the end).
    pub(crate) fn byte_of_char(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let index = self
            .checkpoints
            .partition_point(|&(_, chars)| chars <= char_index)
            .saturating_sub(1);
        let (byte, chars) = self.checkpoints.get(index).copied().unwrap_or((0, 0));
        self.text[byte..]
            .char_indices()
            .nth(char_index.saturating_sub(chars))
            .map_or(self.text.len(), |(i, _)| byte + i)
    }

    /// The 1-based line and column of byte `offset`, as
    /// [`LineIndex::position`](crate::span::LineIndex::position) gives them.
    pub(crate) fn position(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = if self.checkpoints.is_empty() {
            offset - line_start
        } else {
            let before_line = self.line_chars.get(line).copied().unwrap_or(0);
            self.chars_before(offset) - before_line
        };
        (to_u32(line + 1), to_u32(column + 1))
    }

    /// The span of the byte range `start..end`, as
    /// [`LineIndex::span`](crate::span::LineIndex::span) gives it.
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        let end = end.max(start);
        let (line, column) = self.position(start);
        let (end_line, end_column) = self.position(end);
        Span {
            line,
            column,
            end_line,
            end_column,
            start_byte: start.min(self.text.len()),
            end_byte: end.min(self.text.len()),
        }
    }

    /// The span of the character at byte `offset`, or an empty span at the end of the text.
    pub(crate) fn char_span(&self, offset: usize) -> Span {
        let start = self.clamp(offset);
        let width = self.text[start..].chars().next().map_or(0, char::len_utf8);
        self.span(start, start + width)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::LineIndex;

    #[test]
    fn spans_match_the_line_index() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!("line {i} é→𝄞 {}\n", "x".repeat(i % 7)));
        }
        text.push_str("no newline at the end ü");
        let locator = Locator::new(&text);
        let index = LineIndex::new(&text);
        for start in 0..=text.len() + 2 {
            assert_eq!(locator.position(start), index.position(start), "at {start}");
        }
        assert_eq!(locator.span(5, 3000), index.span(5, 3000));
        for (char_index, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(locator.byte_of_char(char_index), byte);
        }
        assert_eq!(locator.byte_of_char(text.chars().count()), text.len());
    }

    #[test]
    fn ascii_text_needs_no_checkpoints() {
        let locator = Locator::new("ab\ncd");
        assert!(locator.checkpoints.is_empty());
        assert_eq!(locator.position(4), (2, 2));
        assert_eq!(locator.byte_of_char(4), 4);
        assert_eq!(locator.char_span(5).start_byte, 5);
        assert_eq!(locator.char_span(1).end_byte, 2);
    }
}
