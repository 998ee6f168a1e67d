//! Positions in text: byte ranges with 1-based lines and columns, and the one line index that
//! computes them.

use std::borrow::Cow;

use serde::Serialize;

/// A region of a file. Lines and columns are 1-based; columns count Unicode scalar values
/// (SARIF `unicodeCodePoints`), so a column is the same whatever the editor's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First line, 1-based.
    pub line: u32,
    /// First column, 1-based.
    pub column: u32,
    /// Last line, 1-based.
    pub end_line: u32,
    /// Column just past the end, 1-based.
    pub end_column: u32,
    /// Byte offset of the start.
    pub start_byte: usize,
    /// Byte offset just past the end.
    pub end_byte: usize,
}

/// Bytes per checkpoint of the character count (see [`Lines`]).
const CHUNK: usize = 1024;

/// The line starts and character checkpoints of a text, without the text: what an owner of the
/// text keeps beside it, to look positions up with [`Lines::index`].
///
/// Columns count characters. Short lines are counted directly; for text that is not ASCII the
/// character count before every 1024th byte is kept, so a column on a long line costs at most
/// half of 1024 bytes of counting: a file written on one 10 MB line stays linear to locate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines {
    /// Byte offset of each line start.
    starts: Vec<usize>,
    /// `chars[i]`: the characters in `text[..i * CHUNK]` (and, last, in the whole text);
    /// `None` for ASCII text, where a byte is a character.
    chars: Option<Vec<usize>>,
    /// The length of the text, to check that it is the one indexed.
    len: usize,
}

/// The characters in a byte range of UTF-8 (which may cut characters): its bytes that do not
/// continue a character.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl Lines {
    /// Indexes `text`. Lines end at `\n`; a `\r` before it belongs to the line.
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let chars = (!text.is_ascii()).then(|| {
            let mut chars = Vec::with_capacity(text.len() / CHUNK + 2);
            let mut total = 0;
            chars.push(0);
            for chunk in text.as_bytes().chunks(CHUNK) {
                total += count_chars(chunk);
                chars.push(total);
            }
            chars
        });
        Lines {
            starts,
            chars,
            len: text.len(),
        }
    }

    /// The index of `text`, which must be the text these lines were made from.
    pub fn index<'a>(&'a self, text: &'a str) -> LineIndex<'a> {
        debug_assert_eq!(text.len(), self.len, "the lines of another text");
        LineIndex {
            text,
            lines: Cow::Borrowed(self),
        }
    }
}

/// Maps byte offsets of one text to lines and columns (and back), in time independent of the
/// length of the line (see [`Lines`]).
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    lines: Cow<'a, Lines>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`. Lines end at `\n`; a `\r` before it belongs to the line.
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            lines: Cow::Owned(Lines::new(text)),
        }
    }

    /// The indexed text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// `offset` clamped to the text and moved back to a character boundary.
    fn boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The characters before byte `offset` (a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let Some(chars) = &self.lines.chars else {
            return offset;
        };
        let bytes = self.text.as_bytes();
        // Count from the nearer checkpoint: at most half a chunk.
        let chunk = offset / CHUNK;
        let next = (chunk + 1) * CHUNK;
        match chars.get(chunk + 1) {
            Some(after) if next - offset < offset - chunk * CHUNK && next <= self.text.len() => {
                after - count_chars(&bytes[offset..next])
            }
            _ => {
                chars.get(chunk).copied().unwrap_or(0)
                    + count_chars(&bytes[(chunk * CHUNK).min(offset)..offset])
            }
        }
    }

    /// The byte offset of the character at index `char_index` (the text's length past the
    /// end): saphyr's positions count characters.
    pub fn byte_of_char(&self, char_index: usize) -> usize {
        let Some(chars) = &self.lines.chars else {
            return char_index.min(self.text.len());
        };
        let chunk = chars
            .partition_point(|&before| before <= char_index)
            .saturating_sub(1);
        let mut count = chars.get(chunk).copied().unwrap_or(0);
        let from = (chunk * CHUNK).min(self.text.len());
        for (i, &b) in self.text.as_bytes()[from..].iter().enumerate() {
            if b & 0xC0 != 0x80 {
                if count == char_index {
                    return from + i;
                }
                count += 1;
            }
        }
        self.text.len()
    }

    /// The 1-based line and column of a byte offset (clamped to the text, and moved back to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = self.boundary(offset);
        let starts = &self.lines.starts;
        let line = starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = starts.get(line).copied().unwrap_or(0);
        // Most lines are short: count them directly; a long one through the checkpoints.
        let column = if self.lines.chars.is_none() {
            offset - start
        } else if offset - start <= CHUNK {
            count_chars(&self.text.as_bytes()[start..offset])
        } else {
            self.chars_before(offset) - self.chars_before(start)
        };
        (to_u32(line + 1), to_u32(column + 1))
    }

    /// A span for the byte range `start..end`.
    pub fn span(&self, start: usize, end: usize) -> Span {
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
    pub fn char_span(&self, offset: usize) -> Span {
        let start = self.boundary(offset);
        let width = self.text[start..].chars().next().map_or(0, char::len_utf8);
        self.span(start, start + width)
    }

    /// The byte offset of a 1-based line and column (clamped: a column past the end of the
    /// line gives the start of the next line).
    pub fn offset(&self, line: u32, column: u32) -> usize {
        let starts = &self.lines.starts;
        let line = (line.max(1) as usize - 1).min(starts.len() - 1);
        let start = starts[line];
        let end = starts.get(line + 1).copied().unwrap_or(self.text.len());
        let wanted = column.max(1) as usize - 1;
        if end - start <= CHUNK || self.lines.chars.is_none() {
            return self.text[start..end]
                .char_indices()
                .nth(wanted)
                .map_or(end, |(i, _)| start + i);
        }
        let first = self.chars_before(start);
        if first + wanted >= self.chars_before(end) {
            return end;
        }
        self.byte_of_char(first + wanted)
    }

    /// A span from 1-based line and column pairs.
    pub fn span_from_positions(&self, start: (u32, u32), end: (u32, u32)) -> Span {
        self.span(self.offset(start.0, start.1), self.offset(end.0, end.1))
    }

    /// The byte range of a 1-based line, without its `\n` (a `\r` before it stays).
    fn line_range(&self, line: u32) -> Option<(usize, usize)> {
        let index = (line as usize).checked_sub(1)?;
        let starts = &self.lines.starts;
        let start = *starts.get(index)?;
        let end = starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        Some((start, end.max(start)))
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: u32) -> Option<&'a str> {
        let (start, end) = self.line_range(line)?;
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// The span of a 1-based line without its `\n` (a `\r` before it stays in), or an empty
    /// span at the end of the text for a line past the last.
    pub fn line_span(&self, line: u32) -> Span {
        let (start, end) = self
            .line_range(line)
            .unwrap_or((self.text.len(), self.text.len()));
        self.span(start, end)
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.lines.starts.len()
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
    fn positions_are_one_based_and_count_characters() {
        let index = LineIndex::new("ab\ncé d\n");
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        // "é" is two bytes: 'd' is at byte 7, the 4th character of line 2.
        assert_eq!(index.position(7), (2, 4));
        assert_eq!(index.line_text(2), Some("cé d"));
        assert_eq!(index.offset(2, 4), 7);
        assert_eq!(index.line_count(), 3);
    }

    #[test]
    fn offsets_inside_a_character_move_back() {
        let index = LineIndex::new("é");
        assert_eq!(index.position(1), (1, 1));
    }

    #[test]
    fn ascii_text_needs_no_checkpoints() {
        let index = LineIndex::new("ab\ncd");
        assert!(index.lines.chars.is_none());
        assert_eq!(index.position(4), (2, 2));
        assert_eq!(index.byte_of_char(4), 4);
        assert_eq!(index.char_span(5).start_byte, 5);
        assert_eq!(index.char_span(1).end_byte, 2);
    }

    #[test]
    fn columns_and_offsets_across_chunk_boundaries() {
        // Multi-byte characters straddle the chunk boundaries; some lines are long.
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(["a", "é", "€", "𝄞", "\n"][i % 5]);
            if i % 700 == 0 {
                text.push_str(&"é".repeat(2100));
            }
        }
        let index = LineIndex::new(&text);
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let (line, column) = index.position(offset);
            assert_eq!(column, slow_column(&text, offset), "at {offset}");
            assert_eq!(line as usize, text[..offset].matches('\n').count() + 1);
            assert_eq!(index.offset(line, column), offset, "at {offset}");
        }
        for (char_index, (byte, _)) in text.char_indices().enumerate() {
            assert_eq!(index.byte_of_char(char_index), byte);
        }
        assert_eq!(index.byte_of_char(text.chars().count()), text.len());
        assert_eq!(index.byte_of_char(usize::MAX), text.len());
    }

    #[test]
    fn columns_past_the_end_of_a_line_clamp_to_the_next_line() {
        let long = format!("{}\nx", "é".repeat(3000));
        for text in ["ab\ncd", long.as_str()] {
            let index = LineIndex::new(text);
            let next = text.find('\n').unwrap() + 1;
            assert_eq!(index.offset(1, 100_000), next);
            assert_eq!(index.offset(9, 1), next);
        }
    }

    #[test]
    fn lines_keep_a_carriage_return_in_spans_not_in_text() {
        let index = LineIndex::new("a\r\nb");
        assert_eq!(index.line_text(1), Some("a"));
        assert_eq!(index.line_span(1).end_byte, 2);
        assert_eq!(index.line_span(2).start_byte, 3);
        assert_eq!(index.line_span(3).start_byte, 4);
        let lines = Lines::new("a\r\nb");
        assert_eq!(lines.index("a\r\nb").position(3), (2, 1));
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
            last = index.span(offset, offset + 5).column;
        }
        assert_eq!(
            last,
            slow_column(&text, (text.len() - 5) / 100_000 * 99_999 / 5 * 5)
        );
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
