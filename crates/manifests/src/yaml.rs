//! YAML (the first document) into the positioned [`Node`] tree of [`crate::json`], from the
//! events of saphyr's parser. Lockfiles use no anchors, aliases or tags: an alias becomes
//! `null`, and tags are ignored. Plain `true`/`false` become booleans, plain `null`/`~`/empty
//! become null, every other scalar stays the text it is written as (so `lockfileVersion: 5.4`
//! reads as `"5.4"`). Depth is limited; errors carry a position.

use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::json::{Node, Value};
use crate::text::LineIndex;
use crate::yaml_indent::{is_indentation_error, reindent, Reindented};
use crate::ParseError;

const MAX_DEPTH: usize = 256;

enum Items {
    Seq(Vec<Node>),
    Map {
        members: Vec<(String, Range<usize>, Node)>,
        key: Option<(String, Range<usize>)>,
    },
}

struct Frame {
    items: Items,
    start: usize,
    flow: bool,
    last_end: usize,
}

/// Character offsets (saphyr's) to byte offsets.
struct Offsets {
    /// Byte offset of every character, when the text is not ASCII.
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        Offsets {
            bytes,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(bytes) => bytes.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

pub(crate) fn parse(text: &str, index: &LineIndex<'_>) -> Result<Node, ParseError> {
    let error = match read(text, None) {
        Ok(root) => return Ok(root),
        Err(error) => error,
    };
    // saphyr wants lines inside flow collections and quoted scalars indented more than their
    // block parent; other readers do not (see `yaml_indent`).
    if is_indentation_error(&error.1) {
        if let Some(reindented) = reindent(text) {
            let mut ranges = Vec::new();
            if let Ok(mut root) = read(reindented.text(), Some(&mut ranges)) {
                if reindented.covered(&mut ranges) {
                    remap(&mut root, &reindented);
                    return Ok(root);
                }
            }
        }
    }
    Err(index.error(error.0, error.1))
}

/// Moves the spans of a tree read from a reindented text back to the original text.
fn remap(node: &mut Node, reindented: &Reindented) {
    let back = |r: &Range<usize>| reindented.original(r.start)..reindented.original(r.end);
    node.span = back(&node.span);
    match &mut node.value {
        Value::Array(items) => items.iter_mut().for_each(|n| remap(n, reindented)),
        Value::Object(members) => {
            for (_, key, value) in members {
                *key = back(key);
                remap(value, reindented);
            }
        }
        _ => {}
    }
}

/// The first document of `text`, or the byte range and message of the first error. When
/// `ranges` is given, it receives the byte ranges of flow collections and quoted scalars.
fn read(
    text: &str,
    mut ranges: Option<&mut Vec<Range<usize>>>,
) -> Result<Node, (Range<usize>, String)> {
    let offsets = Offsets::new(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            (at..at, e.info().to_owned())
        })?;
        if root.is_some() {
            break; // the first document only
        }
        let (start, end) = bytes(&offsets, span);
        let node = match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err((start..end, "YAML nested too deeply".to_owned()));
                }
                let flow = text
                    .get(start..end)
                    .is_some_and(|t| t.ends_with(['[', '{']));
                let items = if matches!(event, Event::SequenceStart(..)) {
                    Items::Seq(Vec::new())
                } else {
                    Items::Map {
                        members: Vec::new(),
                        key: None,
                    }
                };
                stack.push(Frame {
                    items,
                    start,
                    flow,
                    last_end: end,
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else {
                    continue;
                };
                let end = if frame.flow { end } else { frame.last_end };
                if let (true, Some(ranges)) = (frame.flow, ranges.as_deref_mut()) {
                    ranges.push(frame.start..end);
                }
                let value = match frame.items {
                    Items::Seq(items) => Value::Array(items),
                    Items::Map { members, .. } => Value::Object(members),
                };
                Node {
                    span: frame.start..end.max(frame.start),
                    value,
                }
            }
            Event::Scalar(value, style, _, _) => {
                let (mut start, mut end) = (start, end);
                if value.is_empty() && style == ScalarStyle::Plain {
                    if text.get(start..).is_some_and(|r| r.starts_with(':')) {
                        start += 1;
                    }
                    end = start;
                }
                if let (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, Some(ranges)) =
                    (style, ranges.as_deref_mut())
                {
                    ranges.push(start..end);
                }
                let value = if style == ScalarStyle::Plain {
                    match value.as_ref() {
                        "true" | "True" | "TRUE" => Value::Bool(true),
                        "false" | "False" | "FALSE" => Value::Bool(false),
                        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
                        _ => Value::String(value.into_owned()),
                    }
                } else {
                    Value::String(value.into_owned())
                };
                Node {
                    span: start..end,
                    value,
                }
            }
            Event::Alias(_) => Node {
                span: start..end,
                value: Value::Null,
            },
            Event::DocumentEnd => {
                if root.is_none() {
                    root = Some(Node {
                        span: 0..0,
                        value: Value::Null,
                    });
                }
                continue;
            }
            _ => continue,
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(frame) => {
                frame.last_end = frame.last_end.max(node.span.end);
                match &mut frame.items {
                    Items::Seq(items) => items.push(node),
                    Items::Map { members, key } => match key.take() {
                        None => {
                            let name = match node.value {
                                Value::String(s) => s,
                                Value::Bool(b) => b.to_string(),
                                Value::Null => text.get(node.span.clone()).unwrap_or("").to_owned(),
                                _ => text.get(node.span.clone()).unwrap_or("").to_owned(),
                            };
                            *key = Some((name, node.span));
                        }
                        Some((name, key_span)) => members.push((name, key_span, node)),
                    },
                }
            }
        }
    }
    Ok(root.unwrap_or(Node {
        span: 0..0,
        value: Value::Null,
    }))
}

fn bytes(offsets: &Offsets, span: Span) -> (usize, usize) {
    (
        offsets.byte(span.start.index()),
        offsets.byte(span.end.index()),
    )
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::json::Value;
    use crate::text::LineIndex;

    #[test]
    fn block_and_flow_with_positions() {
        let text = "lockfileVersion: 5.4\npackages:\n  /a/1.0.0:\n    resolution: {integrity: sha512-x}\n    dev: true\n  'ü@1':\n    resolution: {tarball: 'https://x'}\n";
        let index = LineIndex::new(text);
        let root = parse(text, &index).unwrap();
        assert_eq!(
            root.get("lockfileVersion").and_then(|n| n.as_str()),
            Some("5.4")
        );
        let packages = root.get("packages").unwrap();
        let members = packages.members();
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].0, "/a/1.0.0");
        assert_eq!(index.position(members[0].1.clone()).line, 3);
        assert!(members[0].2.get("dev").unwrap().is_true());
        assert_eq!(
            members[0]
                .2
                .get("resolution")
                .and_then(|r| r.get("integrity"))
                .and_then(|n| n.as_str()),
            Some("sha512-x")
        );
        assert_eq!(members[1].0, "ü@1");
        let at = index.position(members[1].1.clone());
        assert_eq!((at.line, at.column), (6, 3));
        assert!(matches!(packages.value, Value::Object(_)));
    }

    #[test]
    fn flow_sequence_closed_at_the_column_of_its_dash() {
        let text = "a:\n  - [\n    \"x\",\n    \"y\"\n  ]\n  - [z]\nb: [\"k\",\n1]\n";
        let index = LineIndex::new(text);
        let root = parse(text, &index).unwrap();
        let a = root.get("a").unwrap();
        let Value::Array(items) = &a.value else {
            panic!("{a:?}")
        };
        assert_eq!(items.len(), 2);
        let Value::Array(first) = &items[0].value else {
            panic!("{items:?}")
        };
        assert_eq!(first[1].as_str(), Some("y"));
        // Spans are those of the text as written.
        assert_eq!(
            &text[items[0].span.clone()],
            "[\n    \"x\",\n    \"y\"\n  ]"
        );
        let b = root.members()[1].clone();
        assert_eq!((b.0.as_str(), index.position(b.1).line), ("b", 7));
        assert_eq!(&text[b.2.span], "[\"k\",\n1]");
    }

    #[test]
    fn double_quoted_string_continued_at_column_1() {
        let text = "a:\n  b: \"x\ny \u{e9}\"\n  c: 'p\nq'\n";
        let index = LineIndex::new(text);
        let root = parse(text, &index).unwrap();
        let a = root.get("a").unwrap();
        assert_eq!(a.get("b").and_then(|n| n.as_str()), Some("x y \u{e9}"));
        assert_eq!(a.get("c").and_then(|n| n.as_str()), Some("p q"));
        let c = &a.members()[1];
        let at = index.position(c.1.clone());
        assert_eq!((at.line, at.column), (4, 3));
        assert_eq!(&text[c.2.span.clone()], "'p\nq'");
    }

    #[test]
    fn block_indentation_errors_stay_errors() {
        for text in [
            "a:\n  b: 1\n c: 2\n",
            "a: |\n  x\n [y\n",
            "a: \"x\n---\ny\"\n",
        ] {
            assert!(parse(text, &LineIndex::new(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn errors_are_positioned() {
        let text = "a:\n  b: [1, 2\n";
        let e = parse(text, &LineIndex::new(text)).unwrap_err();
        assert!(e.position.line >= 2, "{e}");
    }
}
