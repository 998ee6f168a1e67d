//! Positions inside YAML scalars: from a byte offset in a scalar's decoded value back to the
//! byte of the source text it came from.
//!
//! A `run: |` script is one YAML scalar: the parser gives its value (indentation removed, lines
//! folded, escapes decoded) and the span of its text, but a finding about an expression on the
//! fifth line of the script must point at that line. [`SourceMap`] aligns the decoded value
//! with the source text:
//!
//! - literal (`|`) and folded (`>`) block scalars, with any chomping (`|-`, `>+`) or
//!   indentation indicator (`|2`), plain multi-line scalars and single-quoted scalars (`''` is
//!   one quote) map exactly: every character of the value that is not whitespace is written
//!   verbatim in the source, in order, and only whitespace is added or removed (indentation,
//!   folded line breaks);
//! - double-quoted scalars map exactly too, escapes included: a character that an escape
//!   produced (`\n`, `\"`, `\x41`, `\u00e9`) maps to the backslash of its escape, and escaped
//!   line breaks produce nothing;
//! - when the alignment fails anyway (an alias `*name`, whose value is written elsewhere; a
//!   scalar the parser decoded differently), [`SourceMap::new`] gives `None` and callers point
//!   at the scalar's start.
//!
//! Whitespace of the value may map to a neighbouring whitespace byte rather than the exact one
//! (a folded line break has no single source byte); characters that are not whitespace always
//! map exactly.

use crate::span::Span;

/// The source byte of each character of a scalar's decoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMap {
    /// For each character of the value, in order: its byte offset in the value, the byte
    /// offset in the source it maps to, and the number of source bytes it was written with (0
    /// for whitespace the parser added).
    points: Vec<(usize, usize, usize)>,
    /// The length of the value.
    value_len: usize,
    /// The source offset just past the last mapped character.
    end: usize,
}

impl SourceMap {
    /// Aligns `value`, the decoded value of the scalar written at `span` in `source`, with its
    /// text. `None` when the two cannot be aligned (see the module docs).
    pub fn new(source: &str, span: &Span, value: &str) -> Option<SourceMap> {
        let start = span.start_byte.min(source.len());
        let end = span.end_byte.clamp(start, source.len());
        let region = source.get(start..end)?;
        [Attempt::Structured, Attempt::Raw]
            .into_iter()
            .find_map(|attempt| align(region, value, attempt))
            .map(|map| SourceMap {
                points: (map.points.iter())
                    .map(|&(v, s, len)| (v, s + start, len))
                    .collect(),
                value_len: value.len(),
                end: map.end + start,
            })
    }

    /// The source byte of the value's byte `offset`: that of the character containing it, or
    /// just past the last character for the end of the value.
    pub fn source_offset(&self, offset: usize) -> usize {
        if offset >= self.value_len {
            return self.points.last().map_or(self.end, |&(_, s, len)| s + len);
        }
        let index = self.points.partition_point(|&(v, _, _)| v <= offset);
        match index.checked_sub(1).and_then(|i| self.points.get(i)) {
            Some(&(_, s, _)) => s,
            None => self.end,
        }
    }

    /// The source byte range of the value's byte range `range`: from its first character to
    /// just past its last.
    pub fn source_range(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = self.source_offset(range.start);
        if range.end <= range.start {
            return start..start;
        }
        let last = self.points.partition_point(|&(v, _, _)| v < range.end);
        let end = match last.checked_sub(1).and_then(|i| self.points.get(i)) {
            Some(&(_, s, len)) => s + len,
            None => start,
        };
        start..end.max(start)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Attempt {
    /// Skip node properties (`&anchor`, `!tag`) and a block header, then align by the style
    /// of the first character.
    Structured,
    /// Align from the first byte, as content (block scalars whose span starts at their first
    /// content character, plain scalars).
    Raw,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Raw,
    Single,
    Double,
}

struct Aligned {
    points: Vec<(usize, usize, usize)>,
    end: usize,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn align(region: &str, value: &str, attempt: Attempt) -> Option<Aligned> {
    let mut at = 0;
    let mut style = Style::Raw;
    if attempt == Attempt::Structured {
        at = skip_properties(region);
        let rest = &region[at..];
        match rest.chars().next() {
            Some('|' | '>') => {
                let header_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
                let header = rest[1..header_end].trim_end();
                let indicators = header.split('#').next().unwrap_or("").trim();
                if !indicators
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                {
                    return None;
                }
                at += header_end;
            }
            Some('\'') => {
                style = Style::Single;
                at += 1;
            }
            Some('"') => {
                style = Style::Double;
                at += 1;
            }
            _ => {}
        }
    }
    let src = region.as_bytes();
    let mut points = Vec::with_capacity(value.len());
    let mut s = at;
    let mut chars = value.char_indices().peekable();
    while let Some(&(v, d)) = chars.peek() {
        let Some(c) = region[s.min(region.len())..].chars().next() else {
            // The source is used up: only whitespace of the value may remain (a clipped final
            // line break).
            if is_space(d) {
                points.push((v, s, 0));
                chars.next();
                continue;
            }
            return None;
        };
        if style == Style::Double && c == '\\' {
            match escape(&region[s..]) {
                Escape::Break(len) => {
                    s += len;
                    continue;
                }
                Escape::Char(produced, len) if produced == d => {
                    points.push((v, s, len));
                    chars.next();
                    s += len;
                    continue;
                }
                Escape::Char(..) | Escape::Invalid => return None,
            }
        }
        if style != Style::Raw && c == if style == Style::Single { '\'' } else { '"' } {
            if style == Style::Single && d == '\'' && src.get(s + 1) == Some(&b'\'') {
                points.push((v, s, 2));
                chars.next();
                s += 2;
                continue;
            }
            // The closing quote: only whitespace of the value may remain.
            if is_space(d) {
                points.push((v, s, 0));
                chars.next();
                continue;
            }
            return None;
        }
        if c == d {
            points.push((v, s, c.len_utf8()));
            chars.next();
            s += c.len_utf8();
        } else if is_space(c) {
            if is_space(d) {
                // A folded line break, or indentation against a kept break.
                points.push((v, s, c.len_utf8()));
                chars.next();
            }
            s += c.len_utf8();
        } else if is_space(d) {
            // Whitespace the parser added (a folded line break) before this source character.
            points.push((v, s, 0));
            chars.next();
        } else {
            return None;
        }
    }
    Some(Aligned { points, end: s })
}

/// The length of the anchors, tags and whitespace at the start of `region`.
fn skip_properties(region: &str) -> usize {
    let mut at = 0;
    loop {
        let rest = &region[at..];
        match rest.chars().next() {
            Some('&' | '!') => {
                let len = rest.find(is_space).unwrap_or(rest.len());
                at += len;
                at += region[at..].len() - region[at..].trim_start_matches(is_space).len();
            }
            _ => return at,
        }
    }
}

enum Escape {
    /// An escaped line break and the indentation after it: produces nothing.
    Break(usize),
    /// One character, and the escape's length in bytes.
    Char(char, usize),
    Invalid,
}

/// The escape sequence at the start of `text` (which starts with a backslash).
fn escape(text: &str) -> Escape {
    let mut chars = text.chars();
    chars.next();
    let Some(kind) = chars.next() else {
        return Escape::Invalid;
    };
    let simple = match kind {
        '0' => Some('\0'),
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\u{b}'),
        'f' => Some('\u{c}'),
        'r' => Some('\r'),
        'e' => Some('\u{1b}'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(c) = simple {
        return Escape::Char(c, 1 + kind.len_utf8());
    }
    let digits = match kind {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        '\n' | '\r' => {
            let after = &text[1..];
            let line = after.find('\n').map_or(after.len(), |i| i + 1);
            let rest = &after[line..];
            let indent = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            return Escape::Break(1 + line + indent);
        }
        _ => return Escape::Invalid,
    };
    let hex = text.get(2..2 + digits).unwrap_or("");
    match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
        Some(c) if hex.len() == digits => Escape::Char(c, 2 + digits),
        _ => Escape::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{parse, Format, Node};

    /// Parses `text` (a one-entry mapping) and returns its value node.
    fn value(text: &str) -> Node {
        let docs = parse(Format::Yaml, text).unwrap();
        docs[0].as_map().unwrap()[0].value.clone()
    }

    /// The source text at the position `needle` has in the decoded value.
    fn mapped<'t>(text: &'t str, needle: &str) -> (&'t str, (u32, u32)) {
        let node = value(text);
        let decoded = node.as_str().unwrap();
        let at = decoded.find(needle).unwrap();
        let map = SourceMap::new(text, &node.span, decoded).expect("aligns");
        let range = map.source_range(at..at + needle.len());
        let index = crate::span::LineIndex::new(text);
        (&text[range.clone()], index.position(range.start))
    }

    #[test]
    fn literal_blocks_map_every_line() {
        let text = "run: |\n  echo one\n  echo ${{ x }} two\n";
        assert_eq!(mapped(text, "${{ x }}"), ("${{ x }}", (3, 8)));
        let text = "run: |-\n    a\n\n    b ${{ y }}\nnext: 1\n";
        assert_eq!(mapped(text, "${{ y }}"), ("${{ y }}", (4, 7)));
        // An indentation indicator keeps spaces of the first line.
        let text = "run: |2\n     x\n    z ${{ q }}\n";
        assert_eq!(mapped(text, "${{ q }}"), ("${{ q }}", (3, 7)));
        // Properties before the header, and a comment after it.
        let text = "run: &a !!str | # note\n  echo ${{ p }}\n";
        assert_eq!(mapped(text, "${{ p }}"), ("${{ p }}", (2, 8)));
    }

    #[test]
    fn folded_and_plain_scalars_map_across_folds() {
        let text = "run: >\n  one\n  two ${{ a }}\n\n  three\n";
        assert_eq!(mapped(text, "${{ a }}"), ("${{ a }}", (3, 7)));
        assert_eq!(mapped(text, "three"), ("three", (5, 3)));
        let text = "run: echo\n  more ${{ b }}\n   end\n";
        assert_eq!(mapped(text, "${{ b }}"), ("${{ b }}", (2, 8)));
        assert_eq!(mapped(text, "end"), ("end", (3, 4)));
    }

    #[test]
    fn quoted_scalars_map_through_escapes() {
        let text = "run: 'it''s ${{ c }}'\n";
        assert_eq!(mapped(text, "${{ c }}"), ("${{ c }}", (1, 13)));
        let text = "run: \"a\\tb\\\"q\\\" ${{ d }}\"\n";
        assert_eq!(mapped(text, "${{ d }}"), ("${{ d }}", (1, 17)));
        // An escaped line break produces nothing; \u00e9 is one character.
        let text = "run: \"x \\u00e9\\\n    ${{ e }}\"\n";
        assert_eq!(mapped(text, "${{ e }}"), ("${{ e }}", (2, 5)));
        assert_eq!(mapped(text, "é").1, (1, 9));
    }

    #[test]
    fn block_content_that_starts_like_a_quote_still_maps() {
        let text = "run: |\n  \"quoted\" ${{ f }}\n";
        assert_eq!(mapped(text, "${{ f }}"), ("${{ f }}", (2, 12)));
    }

    #[test]
    fn aliases_do_not_map() {
        let text = "a: &x \"${{ g }}\"\nrun: *x\n";
        let docs = parse(Format::Yaml, text).unwrap();
        let node = &docs[0].as_map().unwrap()[1].value;
        assert!(SourceMap::new(text, &node.span, node.as_str().unwrap()).is_none());
    }
}
