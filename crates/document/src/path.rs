//! Key paths that select values in a document: `metadata.links[*].url`, `jobs.*.steps[0]`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::{Node, Value};

/// A path to values in a document.
///
/// Syntax:
///
/// - keys separated by dots: `spec.owner`, `tool.poetry.name`; a plain key is any run of
///   characters other than `.`, `[`, `]`, `"`, `*` and whitespace (so `@types/node` or
///   `actions/checkout@v4` need no quotes);
/// - `"..."` for any other key, `\"` and `\\` escaping a quote and a backslash:
///   `labels."app.kubernetes.io/name"`, or in brackets: `labels["app.kubernetes.io/name"]`;
/// - `[N]` for the N-th (0-based) element of a sequence: `steps[0]`;
/// - `*` as a whole segment, or `[*]`, for every element of a sequence or every value of a
///   mapping: `jobs.*.runs-on`, `metadata.links[*].url`.
///
/// A path may start with a bracket (`[0].name`, for a document that is a sequence). Empty
/// paths, empty segments (`a..b`), a trailing dot, unclosed brackets and quotes and anything
/// else in brackets are rejected with a [`KeyPathError`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyPath {
    segments: Vec<Segment>,
}

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// The value of a key of a mapping (the last one, if the key is duplicated).
    Key(String),
    /// An element of a sequence, 0-based.
    Index(usize),
    /// Every element of a sequence or every value of a mapping.
    Wildcard,
}

/// Why a key path is malformed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} (at byte {offset} of the key path)")]
pub struct KeyPathError {
    /// What is wrong.
    pub message: String,
    /// Byte offset of the offending character in the path text (its length when the path ends
    /// too early).
    pub offset: usize,
}

impl KeyPath {
    /// Parses a key path (see [`KeyPath`] for the syntax).
    ///
    /// # Errors
    ///
    /// A [`KeyPathError`] at the first offending byte.
    pub fn parse(path: &str) -> Result<KeyPath, KeyPathError> {
        PathParser { path, pos: 0 }.parse()
    }

    /// A key path from its segments.
    pub fn from_segments(segments: Vec<Segment>) -> KeyPath {
        KeyPath { segments }
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the path selects at most one value (it has no wildcard).
    pub fn is_definite(&self) -> bool {
        !self.segments.contains(&Segment::Wildcard)
    }
}

impl FromStr for KeyPath {
    type Err = KeyPathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyPath::parse(s)
    }
}

/// Writes the path in the syntax [`KeyPath::parse`] reads back, quoting keys that need it.
impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(key)?;
                }
                Segment::Key(key) => {
                    f.write_str("[\"")?;
                    for c in key.chars() {
                        if matches!(c, '"' | '\\') {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"]")?;
                }
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Wildcard => f.write_str("[*]")?,
            }
        }
        Ok(())
    }
}

fn is_plain_key_char(c: char) -> bool {
    !matches!(c, '.' | '[' | ']' | '"' | '*') && !c.is_whitespace()
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(is_plain_key_char)
}

struct PathParser<'p> {
    path: &'p str,
    pos: usize,
}

impl PathParser<'_> {
    fn error<T>(&self, offset: usize, message: impl Into<String>) -> Result<T, KeyPathError> {
        Err(KeyPathError {
            message: message.into(),
            offset,
        })
    }

    fn peek(&self) -> Option<char> {
        self.path[self.pos..].chars().next()
    }

    fn parse(mut self) -> Result<KeyPath, KeyPathError> {
        if self.path.is_empty() {
            return self.error(0, "empty key path");
        }
        let mut segments = Vec::new();
        // The first segment may be a bracket; after a dot it must be a key or `*`.
        let mut after_dot = false;
        loop {
            match self.peek() {
                Some('[') if !after_dot => {}
                Some('[') => {
                    return self.error(self.pos, "expected a key after `.`, found `[`");
                }
                Some('.') => {
                    let message = if after_dot {
                        "empty segment between dots"
                    } else {
                        "the key path starts with `.`"
                    };
                    return self.error(self.pos, message);
                }
                None => return self.error(self.pos, "expected a key"),
                Some('"') => {
                    let key = self.quoted()?;
                    segments.push(Segment::Key(key));
                }
                Some('*') => {
                    self.pos += 1;
                    match self.peek() {
                        None | Some('.' | '[') => segments.push(Segment::Wildcard),
                        Some(_) => return self.wildcard_inside_key(self.pos - 1),
                    }
                }
                Some(_) => segments.push(Segment::Key(self.plain_key()?)),
            }
            while self.peek() == Some('[') {
                segments.push(self.bracket()?);
            }
            match self.peek() {
                None => break,
                Some('.') => {
                    if self.pos + 1 == self.path.len() {
                        return self.error(self.pos, "trailing `.`");
                    }
                    self.pos += 1;
                    after_dot = true;
                }
                Some('*') => return self.wildcard_inside_key(self.pos),
                Some(c) if c.is_whitespace() => {
                    return self.error(
                        self.pos,
                        "unexpected whitespace; quote keys that contain spaces",
                    )
                }
                Some(c) => {
                    return self.error(self.pos, format!("expected `.` or `[`, found {}", show(c)))
                }
            }
        }
        Ok(KeyPath { segments })
    }

    fn wildcard_inside_key<T>(&self, offset: usize) -> Result<T, KeyPathError> {
        self.error(
            offset,
            "`*` must be a whole segment; quote the key for a literal `*`",
        )
    }

    fn plain_key(&mut self) -> Result<String, KeyPathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !is_plain_key_char(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.pos == start {
            let message = match self.peek() {
                Some(c) if c.is_whitespace() => {
                    "unexpected whitespace; quote keys that contain spaces".to_owned()
                }
                Some(c) => format!("expected a key, found {}", show(c)),
                None => "expected a key".to_owned(),
            };
            return self.error(self.pos, message);
        }
        Ok(self.path[start..self.pos].to_owned())
    }

    /// A quoted key; `self.pos` is at the opening quote.
    fn quoted(&mut self) -> Result<String, KeyPathError> {
        let open = self.pos;
        self.pos += 1;
        let mut key = String::new();
        loop {
            match self.peek() {
                None => return self.error(open, "unclosed `\"`"),
                Some('"') => {
                    self.pos += 1;
                    return Ok(key);
                }
                Some('\\') => {
                    let backslash = self.pos;
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ ('"' | '\\')) => {
                            key.push(c);
                            self.pos += 1;
                        }
                        None => return self.error(open, "unclosed `\"`"),
                        Some(_) => {
                            return self.error(
                                backslash,
                                "unknown escape; only `\\\"` and `\\\\` are allowed",
                            )
                        }
                    }
                }
                Some(c) => {
                    key.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// `[*]`, `[N]` or `["key"]`; `self.pos` is at the `[`.
    fn bracket(&mut self) -> Result<Segment, KeyPathError> {
        let open = self.pos;
        self.pos += 1;
        let segment = match self.peek() {
            None => return self.error(open, "unclosed `[`"),
            Some('*') => {
                self.pos += 1;
                Segment::Wildcard
            }
            Some('"') => Segment::Key(self.quoted()?),
            Some('0'..='9') => {
                let start = self.pos;
                while let Some('0'..='9') = self.peek() {
                    self.pos += 1;
                }
                match self.path[start..self.pos].parse::<usize>() {
                    Ok(index) => Segment::Index(index),
                    Err(_) => return self.error(start, "index too large"),
                }
            }
            Some(']') => {
                return self.error(
                    self.pos,
                    "empty `[]`; expected a number, `*` or a quoted key",
                )
            }
            Some(c) => {
                return self.error(
                    self.pos,
                    format!(
                        "expected a number, `*` or a quoted key in `[ ]`, found {}",
                        show(c)
                    ),
                )
            }
        };
        match self.peek() {
            Some(']') => {
                self.pos += 1;
                Ok(segment)
            }
            None => self.error(open, "unclosed `[`"),
            Some(c) => self.error(self.pos, format!("expected `]`, found {}", show(c))),
        }
    }
}

fn show(c: char) -> String {
    if c.is_whitespace() {
        "whitespace".to_owned()
    } else if c.is_control() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("`{c}`")
    }
}

/// The nodes that `path` selects under `root`, in document order. A key selects the value of
/// the last entry with that key (as [`Node::get`]); a wildcard selects every element or every
/// entry's value, duplicated keys included. Keys and indexes that do not exist, and steps into
/// scalars, select nothing.
pub fn select<'a>(root: &'a Node, path: &KeyPath) -> Vec<&'a Node> {
    let mut current = vec![root];
    for segment in &path.segments {
        let mut next = Vec::new();
        for node in current {
            match (segment, &node.value) {
                (Segment::Key(key), _) => next.extend(node.get(key)),
                (Segment::Index(index), _) => next.extend(node.get_index(*index)),
                (Segment::Wildcard, Value::Seq(items)) => next.extend(items),
                (Segment::Wildcard, Value::Map(entries)) => {
                    next.extend(entries.iter().map(|entry| &entry.value));
                }
                (Segment::Wildcard, _) => {}
            }
        }
        if next.is_empty() {
            return next;
        }
        current = next;
    }
    current
}

/// Like [`select`], with the definite path of each selected node (wildcards replaced by the
/// index or key they matched), for messages such as `metadata.links[1].url is not https`.
/// Values of complex YAML keys are reached by wildcards but have no definite path; they are
/// left out.
pub fn select_with_paths<'a>(root: &'a Node, path: &KeyPath) -> Vec<(KeyPath, &'a Node)> {
    let mut current = vec![(Vec::new(), root)];
    for segment in &path.segments {
        let mut next = Vec::new();
        for (prefix, node) in current {
            let extend = |segment: Segment| {
                let mut path = prefix.clone();
                path.push(segment);
                path
            };
            match (segment, &node.value) {
                (Segment::Key(key), _) => {
                    if let Some(value) = node.get(key) {
                        next.push((extend(Segment::Key(key.clone())), value));
                    }
                }
                (Segment::Index(index), _) => {
                    if let Some(value) = node.get_index(*index) {
                        next.push((extend(Segment::Index(*index)), value));
                    }
                }
                (Segment::Wildcard, Value::Seq(items)) => {
                    for (index, item) in items.iter().enumerate() {
                        next.push((extend(Segment::Index(index)), item));
                    }
                }
                (Segment::Wildcard, Value::Map(entries)) => {
                    for entry in entries {
                        if let Some(key) = entry.key_str() {
                            next.push((extend(Segment::Key(key.to_owned())), &entry.value));
                        }
                    }
                }
                (Segment::Wildcard, _) => {}
            }
        }
        current = next;
    }
    current
        .into_iter()
        .map(|(segments, node)| (KeyPath { segments }, node))
        .collect()
}
