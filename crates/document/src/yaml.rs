//! YAML to [`Node`]s, from the events of saphyr's parser.
//!
//! Building the tree from events (rather than through saphyr's own loader) keeps duplicate
//! keys, gives keys their own spans, stops at [`MAX_DEPTH`] before anything deep is built, and
//! charges every node that an anchor or alias copies to one budget of [`MAX_ALIAS_NODES`], and
//! the text of those nodes (scalars and keys) to one of [`alias_byte_budget`] bytes: a node
//! count alone lets a few thousand aliases of one large scalar take gigabytes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use crate::yaml_indent::{is_indentation_error, reindent, Reindented};

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as EventSpan, Tag};

use super::{
    alias_byte_budget, depth_error, Aliases, Entry, LineIndex, Node, ParseError, Value,
    MAX_ALIAS_NODES, MAX_DEPTH,
};

/// How much of a stream to read, and what aliases become.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode {
    /// Stop after the first document (the rest of the text is not read, so an error there
    /// does not count).
    pub(super) first_only: bool,
    pub(super) aliases: Aliases,
}

/// The documents of `text`.
pub(super) fn parse(
    text: &str,
    locator: &LineIndex<'_>,
    mode: Mode,
) -> Result<Vec<Node>, ParseError> {
    let error = match read(text, locator, None, mode) {
        Ok(documents) => return Ok(documents),
        Err(error) => error,
    };
    // saphyr wants lines inside flow collections and quoted scalars indented more than their
    // block parent; GitHub, libyaml and most readers do not. The text is read again with those
    // lines indented further, which cannot change its meaning (see `yaml_indent`).
    if is_indentation_error(&error.message) {
        if let Some(reindented) = reindent(text) {
            let moved = LineIndex::new(reindented.text());
            let mut ranges = Vec::new();
            if let Ok(mut documents) = read(reindented.text(), &moved, Some(&mut ranges), mode) {
                if reindented.covered(&mut ranges) {
                    for document in &mut documents {
                        remap(document, &reindented, locator);
                    }
                    return Ok(documents);
                }
            }
        }
    }
    Err(error)
}

/// Moves the spans of a tree read from a reindented text back to the original text.
fn remap(node: &mut Node, reindented: &Reindented, locator: &LineIndex<'_>) {
    node.span = locator.span(
        reindented.original(node.span.start_byte),
        reindented.original(node.span.end_byte),
    );
    match &mut node.value {
        Value::Seq(items) => {
            for item in items {
                remap(item, reindented, locator);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                remap(&mut entry.key, reindented, locator);
                remap(&mut entry.value, reindented, locator);
            }
        }
        _ => {}
    }
}

/// The documents of `text`. When `ranges` is given, it receives the byte ranges of flow
/// collections and quoted scalars.
fn read(
    text: &str,
    locator: &LineIndex<'_>,
    ranges: Option<&mut Vec<Range<usize>>>,
    mode: Mode,
) -> Result<Vec<Node>, ParseError> {
    let mut builder = Builder {
        text,
        locator,
        documents: Vec::new(),
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        root: None,
        anchors: HashMap::new(),
        copied: 0,
        copied_bytes: 0,
        byte_budget: alias_byte_budget(text.len()),
        ranges,
        aliases: mode.aliases,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|error| scan_error(&error, locator))?;
        builder.event(event, span)?;
        if mode.first_only && !builder.documents.is_empty() {
            break;
        }
    }
    Ok(builder.documents)
}

fn scan_error(error: &ScanError, locator: &LineIndex<'_>) -> ParseError {
    ParseError {
        message: error.info().to_owned(),
        span: locator.char_span(locator.byte_of_char(error.marker().index())),
    }
}

/// A finished node, with what anchors need to know about it.
struct Built {
    node: Node,
    /// Collections on the longest path down from the node (0 for a scalar).
    height: usize,
    /// Nodes in the subtree, keys included.
    size: usize,
    /// Bytes of scalar text in the subtree, keys included.
    bytes: usize,
    /// The text of a scalar as written (unescaped), which is what a scalar key becomes: kept
    /// only where it differs from the node (a key that is not a string, such as `1:`).
    text: Option<String>,
}

struct Anchored {
    node: Node,
    height: usize,
    size: usize,
    bytes: usize,
}

/// What an open collection holds so far. The children of every open collection are kept on
/// one stack ([`Builder::items`] or [`Builder::entries`]), from `first` on, and moved into a
/// vector of their exact length when it closes: no vector grows (and copies itself) child by
/// child, and none keeps spare capacity, which a large file's tree would pay for in memory.
enum Items {
    Seq,
    Map { key: Option<Node> },
}

/// An open collection.
struct Frame {
    items: Items,
    /// Where its children start on the builder's stack of items or entries.
    first: usize,
    anchor: usize,
    start: usize,
    /// Flow collections (`[...]`, `{...}`) end at their closing bracket; block ones at the end of
    /// their last child.
    flow: bool,
    /// End byte of the last child.
    last_end: usize,
    height: usize,
    size: usize,
    bytes: usize,
}

struct Builder<'t, 'l, 'r> {
    text: &'t str,
    locator: &'l LineIndex<'t>,
    documents: Vec<Node>,
    stack: Vec<Frame>,
    /// The items of the open sequences, innermost last.
    items: Vec<Node>,
    /// The entries of the open mappings, innermost last.
    entries: Vec<Entry>,
    root: Option<Node>,
    anchors: HashMap<usize, Anchored>,
    /// Nodes copied so far by anchors (their snapshot) and aliases (their expansion).
    copied: usize,
    /// Bytes of scalar text copied so far by anchors and aliases, and the most they may copy.
    copied_bytes: usize,
    byte_budget: usize,
    /// Where flow collections and quoted scalars are, when asked for.
    ranges: Option<&'r mut Vec<Range<usize>>>,
    aliases: Aliases,
}

impl Builder<'_, '_, '_> {
    fn bytes(&self, span: EventSpan) -> (usize, usize) {
        (
            self.locator.byte_of_char(span.start.index()),
            self.locator.byte_of_char(span.end.index()),
        )
    }

    fn event(&mut self, event: Event<'_>, span: EventSpan) -> Result<(), ParseError> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {}
            Event::DocumentEnd => {
                if let Some(root) = self.root.take() {
                    self.documents.push(root);
                }
            }
            Event::SequenceStart(anchor, _) => self.open(Items::Seq, anchor, span)?,
            Event::MappingStart(anchor, _) => self.open(Items::Map { key: None }, anchor, span)?,
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::Scalar(text, style, anchor, tag) => {
                let (mut start, mut end) = self.bytes(span);
                if text.is_empty() && style == ScalarStyle::Plain {
                    // An empty node. The parser's span runs over whatever token follows (from
                    // the `:` of `key:`); make it empty, after the colon.
                    if self
                        .text
                        .get(start..)
                        .is_some_and(|rest| rest.starts_with(':'))
                    {
                        start += 1;
                    }
                    end = start;
                }
                if let (ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, Some(ranges)) =
                    (style, self.ranges.as_deref_mut())
                {
                    ranges.push(start..end);
                }
                let node_span = self.locator.span(start, end);
                let resolved =
                    resolve(&text, style, tag.as_ref()).map_err(|message| ParseError {
                        message,
                        span: node_span,
                    })?;
                let bytes = text.len();
                // A string's value is its text: the text (often already an owned copy from
                // the parser) becomes the value, and a key needs no copy of its own. The
                // parser's copy grew as it was read; trimmed in place, it keeps its length
                // only, since the documents stay in memory for the whole check.
                let (value, text) = match resolved {
                    None => {
                        let mut text = text.into_owned();
                        text.shrink_to_fit();
                        (Value::String(text), None)
                    }
                    Some(value) => (value, self.at_key().then(|| text.into_owned())),
                };
                let built = Built {
                    node: Node::new(value, node_span),
                    height: 0,
                    size: 1,
                    bytes,
                    text,
                };
                self.remember(anchor, &built)?;
                self.insert(built);
            }
            Event::Alias(id) => {
                let (start, end) = self.bytes(span);
                let alias_span = self.locator.span(start, end);
                if self.aliases == Aliases::Null {
                    // Nothing is copied, so nothing is charged; as a key, the alias is its text.
                    let text = self.text.get(start..end).unwrap_or_default().to_owned();
                    self.insert(Built {
                        node: Node::new(Value::Null, alias_span),
                        height: 0,
                        size: 1,
                        bytes: 0,
                        text: Some(text),
                    });
                    return Ok(());
                }
                let unknown = || ParseError {
                    message: "alias to an anchor that is not complete yet (a recursive alias)"
                        .to_owned(),
                    span: alias_span,
                };
                let (height, size, bytes) = self
                    .anchors
                    .get(&id)
                    .map(|anchored| (anchored.height, anchored.size, anchored.bytes))
                    .ok_or_else(unknown)?;
                if self.stack.len() + height > MAX_DEPTH {
                    return Err(depth_error(alias_span));
                }
                self.charge(size, bytes, alias_span)?;
                let mut node = self
                    .anchors
                    .get(&id)
                    .map(|anchored| anchored.node.clone())
                    .ok_or_else(unknown)?;
                node.span = alias_span;
                let text = (node.is_scalar() && node.as_str().is_none()).then(|| node.to_display());
                self.insert(Built {
                    node,
                    height,
                    size,
                    bytes,
                    text,
                });
            }
        }
        Ok(())
    }

    /// Whether the next node is a mapping's key.
    fn at_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                items: Items::Map { key: None },
                ..
            })
        )
    }

    fn open(&mut self, items: Items, anchor: usize, span: EventSpan) -> Result<(), ParseError> {
        let (start, end) = self.bytes(span);
        if self.stack.len() >= MAX_DEPTH {
            return Err(depth_error(self.locator.char_span(start)));
        }
        let flow = self
            .text
            .get(start..end)
            .is_some_and(|token| token.ends_with(['[', '{']));
        let first = match items {
            Items::Seq => self.items.len(),
            Items::Map { .. } => self.entries.len(),
        };
        self.stack.push(Frame {
            items,
            first,
            anchor,
            start,
            flow,
            last_end: end,
            height: 1,
            size: 1,
            bytes: 0,
        });
        Ok(())
    }

    fn close(&mut self, span: EventSpan) -> Result<(), ParseError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let end = if frame.flow {
            self.bytes(span).1
        } else {
            frame.last_end
        };
        if let (true, Some(ranges)) = (frame.flow, self.ranges.as_deref_mut()) {
            ranges.push(frame.start..end);
        }
        let node_span = self.locator.span(frame.start, end);
        // Moved out of the shared stacks into vectors of their exact length: the documents stay
        // in memory for the whole check, and capacity left by growing one push at a time was a
        // third of a large repository's parsed workflows.
        let value = match frame.items {
            Items::Seq => Value::Seq(self.items.drain(frame.first..).collect()),
            Items::Map { .. } => Value::Map(self.entries.drain(frame.first..).collect()),
        };
        let built = Built {
            node: Node::new(value, node_span),
            height: frame.height,
            size: frame.size,
            bytes: frame.bytes,
            text: None,
        };
        self.remember(frame.anchor, &built)?;
        self.insert(built);
        Ok(())
    }

    /// Charges `nodes` copies holding `bytes` bytes of text to the alias budgets.
    fn charge(&mut self, nodes: usize, bytes: usize, span: crate::Span) -> Result<(), ParseError> {
        self.copied_bytes = self.copied_bytes.saturating_add(bytes);
        if self.copied_bytes > self.byte_budget {
            return Err(ParseError {
                message: format!(
                    "document expands to too many bytes (alias expansion): anchors and aliases \
                     may copy at most {} bytes of text (the larger of 16 MiB and 10 times the \
                     file's size)",
                    self.byte_budget
                ),
                span,
            });
        }
        self.copied = self.copied.saturating_add(nodes);
        if self.copied > MAX_ALIAS_NODES {
            return Err(ParseError {
                message: format!(
                    "document expands to too many nodes (alias expansion): anchors and aliases \
                     may copy at most {MAX_ALIAS_NODES} nodes"
                ),
                span,
            });
        }
        Ok(())
    }

    /// Keeps a copy of an anchored node for the aliases that refer to it.
    fn remember(&mut self, anchor: usize, built: &Built) -> Result<(), ParseError> {
        if anchor == 0 || self.aliases == Aliases::Null {
            return Ok(());
        }
        self.charge(built.size, built.bytes, built.node.span)?;
        self.anchors.insert(
            anchor,
            Anchored {
                node: built.node.clone(),
                height: built.height,
                size: built.size,
                bytes: built.bytes,
            },
        );
        Ok(())
    }

    fn insert(&mut self, built: Built) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(built.node);
            return;
        };
        frame.height = frame.height.max(built.height + 1);
        frame.size = frame.size.saturating_add(built.size);
        frame.bytes = frame.bytes.saturating_add(built.bytes);
        frame.last_end = frame.last_end.max(built.node.span.end_byte);
        match &mut frame.items {
            Items::Seq => self.items.push(built.node),
            Items::Map { key } => match key.take() {
                None => {
                    let node = match built.text {
                        Some(text) => Node::new(Value::String(text), built.node.span),
                        None => built.node,
                    };
                    *key = Some(node);
                }
                Some(key) => self.entries.push(Entry {
                    key,
                    value: built.node,
                }),
            },
        }
    }
}

/// The value of a scalar under the YAML 1.2 core schema; `None` for a string, whose value is
/// `text` itself (left to the caller, which owns it).
fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Cow<'_, Tag>>,
) -> Result<Option<Value>, String> {
    match Scalar::parse_from_cow_and_metadata(Cow::Borrowed(text), style, tag) {
        Some(Scalar::Null) => Ok(Some(Value::Null)),
        Some(Scalar::Boolean(b)) => Ok(Some(Value::Bool(b))),
        Some(Scalar::Integer(i)) => Ok(Some(Value::Int(i))),
        Some(Scalar::FloatingPoint(f)) => Ok(Some(Value::Float(f.0))),
        // saphyr's strings are the text they were read from (`parse_from_cow` falls back to
        // the text itself), so nothing is copied here.
        Some(Scalar::String(_)) => Ok(None),
        None => match tag {
            Some(tag)
                if tag.is_yaml_core_schema()
                    && matches!(tag.suffix.as_str(), "bool" | "int" | "float" | "null") =>
            {
                Err(format!("`{text}` is not a valid !!{}", tag.suffix))
            }
            // Other core tags (`!!binary`, `!!timestamp`, ...) keep the text.
            _ => Ok(None),
        },
    }
}
