//! A second reading of YAML that saphyr rejects only for the indentation of lines inside a
//! flow collection (`[...]`, `{...}`) or a quoted scalar.
//!
//! YAML 1.2 asks those lines to be indented more than the block node around them, and saphyr
//! enforces it: `- [` ... `]` with the `]` under the `-`, or a double-quoted string whose next
//! line starts at column 1, are errors there. libyaml (PyYAML, Ruby), YamlDotNet (GitHub
//! Actions) and most other readers ignore indentation inside flow collections and quoted
//! scalars, and such files are common in real repositories.
//!
//! Inside those constructs the leading white space of a line is only separation (a flow
//! scalar's continuation lines lose it, `s-flow-line-prefix`), so indenting such a line further
//! cannot change what the document means. [`reindent`] does that to every line that starts
//! inside one and is indented less than the construct's opening bracket or quote; the caller
//! re-parses the result and keeps it only if [`Reindented::covered`] confirms, from the real
//! parse, that every moved line lies inside a flow collection or a quoted scalar. A line that
//! the light scan here misreads therefore never changes a tree: the re-parse fails or the check
//! refuses, and the first error stands. [`Reindented::original`] maps offsets back, so spans
//! and errors point into the text as written.

use std::ops::Range;

/// Whether a saphyr error message is one that [`reindent`] may cure.
#[must_use]
pub fn is_indentation_error(message: &str) -> bool {
    matches!(
        message,
        "invalid indentation"
            | "invalid indentation in quoted scalar"
            | "invalid indentation in flow construct"
    )
}

/// One moved line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shift {
    /// Byte offset of the line start in the reindented text.
    start: usize,
    /// Spaces inserted at the line start.
    added: usize,
    /// Spaces inserted on earlier lines.
    before: usize,
    /// Byte offset, in the reindented text, of the line's first character that is not blank.
    content: usize,
}

/// A text with some lines indented further, and how to map its offsets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reindented {
    text: String,
    shifts: Vec<Shift>,
}

impl Reindented {
    /// The reindented text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many lines were moved.
    #[must_use]
    pub fn lines_moved(&self) -> usize {
        self.shifts.len()
    }

    /// The byte offset in the original text of byte `offset` of the reindented text. Offsets
    /// inside inserted spaces map to the start of their line.
    #[must_use]
    pub fn original(&self, offset: usize) -> usize {
        let index = self.shifts.partition_point(|s| s.start <= offset);
        let Some(shift) = index.checked_sub(1).and_then(|i| self.shifts.get(i)) else {
            return offset;
        };
        let line_start = shift.start - shift.before;
        if offset < shift.start + shift.added {
            line_start
        } else {
            offset - shift.before - shift.added
        }
    }

    /// Whether the first character of every moved line lies strictly inside one of `ranges`
    /// (byte ranges of the reindented text: the flow collections, from the opening to past the
    /// closing bracket, and the quoted scalars, quotes included, of a successful parse).
    #[must_use]
    pub fn covered(&self, ranges: &mut [Range<usize>]) -> bool {
        ranges.sort_unstable_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        // Merge into disjoint open intervals; nested ones fall inside their parent.
        let mut merged: Vec<Range<usize>> = Vec::new();
        for range in ranges.iter() {
            match merged.last_mut() {
                Some(last) if range.start < last.end => last.end = last.end.max(range.end),
                _ => merged.push(range.clone()),
            }
        }
        self.shifts.iter().all(|shift| {
            let p = shift.content;
            let index = merged.partition_point(|r| r.start < p);
            index
                .checked_sub(1)
                .and_then(|i| merged.get(i))
                .is_some_and(|r| r.start < p && p < r.end)
        })
    }
}

/// The text with every line that starts inside a flow collection or a quoted scalar, and is
/// indented less than that construct's opening bracket or quote, indented up to it; `None` when
/// no line needs it, or when such a line is a document marker (`---`, `...` at column 1, which
/// ends a flow scalar for every reader).
#[must_use]
pub fn reindent(text: &str) -> Option<Reindented> {
    let mut scan = Scan::default();
    let mut out = String::with_capacity(text.len() + 64);
    let mut shifts = Vec::new();
    let mut before = 0;
    for line in text.split_inclusive('\n') {
        if let Some(target) = scan.continuation_column() {
            let blank = line
                .bytes()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count();
            let rest = &line[blank..];
            if !rest.trim_end_matches(['\r', '\n']).is_empty() && blank < target {
                if blank == 0 && is_document_marker(rest) {
                    return None;
                }
                let added = target - blank;
                let start = out.len();
                shifts.push(Shift {
                    start,
                    added,
                    before,
                    content: start + added + blank,
                });
                out.extend(std::iter::repeat_n(' ', added));
                before += added;
            }
        }
        out.push_str(line);
        scan.line(line);
    }
    (!shifts.is_empty()).then_some(Reindented { text: out, shifts })
}

fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && line[3..]
            .chars()
            .next()
            .is_none_or(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
}

/// A line-by-line scan that knows enough YAML to tell where flow collections, quoted scalars
/// and block scalars begin and end. It is a heuristic; see the module documentation for why a
/// mistake here is harmless.
#[derive(Debug, Default)]
struct Scan {
    /// Open flow collections.
    depth: usize,
    /// Column (in characters) of the outermost open `[` or `{`.
    flow_column: usize,
    /// An open quoted scalar and the column of its opening quote.
    quote: Option<(Quote, usize)>,
    /// The next character that is not blank starts a node (so a quote or bracket there opens
    /// one; elsewhere they are part of a plain scalar).
    node_start: bool,
    /// Inside a block scalar (`|`, `>`) whose parent is indented by this many spaces: lines
    /// that are blank or indented more are its content.
    block_scalar: Option<usize>,
}

impl Scan {
    /// The column a line starting now must reach, when it starts inside a flow collection or a
    /// quoted scalar.
    fn continuation_column(&self) -> Option<usize> {
        if self.block_scalar.is_some() {
            return None;
        }
        match (self.depth, self.quote) {
            (0, Some((_, column))) => Some(column),
            (0, None) => None,
            _ => Some(self.flow_column),
        }
    }

    fn line(&mut self, line: &str) {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        if let Some(parent) = self.block_scalar {
            let blank = bytes.iter().all(|b| b.is_ascii_whitespace());
            if blank || indent > parent {
                return;
            }
            self.block_scalar = None;
        }
        let mut i = 0;
        // Just past a quoted scalar, where `:` is an indicator even without a space after it.
        let mut after_quote = false;
        if let Some((quote, _)) = self.quote {
            match close_quote(bytes, 0, quote) {
                Some(end) => {
                    self.quote = None;
                    self.node_start = false;
                    after_quote = true;
                    i = end;
                }
                None => return,
            }
        } else if self.depth == 0 {
            self.node_start = true;
            if bytes.first() == Some(&b'%') {
                return;
            }
            if is_document_marker(line) {
                i = 3;
            }
        }
        // (byte offset, characters before it), for columns.
        let mut counted = (0, 0);
        while let Some(&c) = bytes.get(i) {
            let blank_before = i == 0 || matches!(bytes[i - 1], b' ' | b'\t');
            let next_blank = bytes
                .get(i + 1)
                .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
            let mut column = || {
                // Counted on from the last call, so a long line costs linear time.
                counted.1 += line.get(counted.0..i).map_or(0, |s| s.chars().count());
                counted.0 = i;
                counted.1
            };
            match c {
                b' ' | b'\t' => {
                    i += 1;
                    continue;
                }
                b'\r' | b'\n' => break,
                b'#' if blank_before => break,
                b'"' | b'\'' if self.node_start => {
                    let quote = if c == b'"' {
                        Quote::Double
                    } else {
                        Quote::Single
                    };
                    match close_quote(bytes, i + 1, quote) {
                        Some(end) => {
                            i = end;
                            self.node_start = false;
                            after_quote = true;
                            continue;
                        }
                        None => {
                            self.quote = Some((quote, column()));
                            return;
                        }
                    }
                }
                b'[' | b'{' if self.depth > 0 || self.node_start => {
                    if self.depth == 0 {
                        self.flow_column = column();
                    }
                    self.depth += 1;
                    self.node_start = true;
                }
                b']' | b'}' if self.depth > 0 => {
                    self.depth -= 1;
                    self.node_start = false;
                }
                b',' if self.depth > 0 => self.node_start = true,
                b':' if next_blank
                    || after_quote
                    || (self.depth > 0
                        && bytes
                            .get(i + 1)
                            .is_some_and(|b| matches!(b, b',' | b'[' | b']' | b'{' | b'}'))) =>
                {
                    self.node_start = true;
                }
                b'-' | b'?' if self.node_start && next_blank => {}
                b'|' | b'>' if self.node_start && self.depth == 0 => {
                    self.block_scalar = Some(indent);
                    return;
                }
                b'&' | b'!' | b'*' if self.node_start => {
                    while bytes.get(i).is_some_and(|b| {
                        !matches!(
                            b,
                            b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                        )
                    }) {
                        i += 1;
                    }
                    self.node_start = c != b'*';
                    after_quote = false;
                    continue;
                }
                _ if self.node_start => self.node_start = false,
                _ => {}
            }
            after_quote = false;
            i += 1;
        }
    }
}

/// The offset just past the quote that closes a scalar whose text continues at `from`, if it
/// closes on this line.
fn close_quote(bytes: &[u8], from: usize, quote: Quote) -> Option<usize> {
    let mut i = from;
    while let Some(&c) = bytes.get(i) {
        match (quote, c) {
            (Quote::Double, b'\\') => i += 2,
            (Quote::Double, b'"') => return Some(i + 1),
            (Quote::Single, b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            (Quote::Single, b'\'') => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{is_indentation_error, reindent};

    #[test]
    fn closing_bracket_under_its_dash_is_moved_to_the_bracket() {
        let text = "m:\n  - [\n    a,\n  ]\n";
        let r = reindent(text).expect("moved");
        assert_eq!(r.text(), "m:\n  - [\n    a,\n    ]\n");
        assert_eq!(r.lines_moved(), 1);
        let bracket = r.text().rfind(']').unwrap_or(0);
        assert_eq!(r.original(bracket), text.rfind(']').unwrap_or(0));
        assert_eq!(r.original(bracket - 1), text.rfind(']').unwrap_or(0) - 1);
        // Inside the inserted spaces (the first two of the line): the line start.
        assert_eq!(r.original(bracket - 3), text.rfind("  ]").unwrap_or(0));
        assert_eq!(r.original(3), 3);
        // Nested ranges merge into their parent.
        assert!(r.covered(&mut [9..12, 4..r.text().len() - 1]));
        assert!(!r.covered(&mut [4..bracket, 0..2]));
        assert!(!r.covered(&mut [bracket..bracket + 1, 0..2]));
    }

    #[test]
    fn quoted_continuations_move_to_the_quote() {
        let r = reindent("a:\n  b: \"x\ny\"\nc: 'p\n  q''\nr'\n").expect("moved");
        assert_eq!(r.text(), "a:\n  b: \"x\n     y\"\nc: 'p\n   q''\n   r'\n");
    }

    #[test]
    fn columns_count_characters() {
        let r = reindent("é: [x,\ny]\n").expect("moved");
        assert_eq!(r.text(), "é: [x,\n   y]\n");
    }

    #[test]
    fn block_scalars_comments_and_plain_text_are_left_alone() {
        for text in [
            "a: |\n  [x\nb\n",
            "a: >-\n  \"x\nb: 1\n",
            "a: b [c # [\nd: 1\n",
            "a: don't\nb: 'x'\n",
            "k: v\n",
        ] {
            assert_eq!(reindent(text), None, "{text}");
        }
    }

    #[test]
    fn document_markers_inside_a_quote_are_not_moved() {
        assert_eq!(reindent("a: \"x\n---\ny\"\n"), None);
    }

    #[test]
    fn only_indentation_errors_are_retried() {
        assert!(is_indentation_error("invalid indentation"));
        assert!(is_indentation_error("invalid indentation in quoted scalar"));
        assert!(!is_indentation_error("invalid indentation for anchor"));
        assert!(!is_indentation_error("did not find expected ','"));
    }
}
