//! Structured documents (JSON, YAML, TOML) with a position for every key and value: the
//! bottom layer of goldpath, which the core and `goldpath-manifests` read every structured
//! file through.
//!
//! [`parse`] turns the text of a file into one [`Node`] tree per document. Every node, and every
//! mapping key, carries the [`Span`] of the text it came from, so a rule can point a finding at
//! the exact key or value it is about. [`KeyPath`] and [`select`] pick values out of a tree with
//! paths such as `metadata.links[*].url`, `engines.node` or `jobs.*.steps[*].uses`.
//!
//! The three formats map onto one model ([`Value`]):
//!
//! - mappings keep their entries in document order, duplicate keys included ([`Node::get`]
//!   returns the last one, as most loaders do);
//! - YAML scalars resolve with the core schema (null, booleans, integers, floats; quoted
//!   scalars are always strings), scalar keys become their text, aliases are expanded;
//! - TOML datetimes become strings; a TOML table's span is its `[header]` (or the key that
//!   created it implicitly), and the document's span is the whole text.
//!
//! Untrusted input cannot exhaust the stack or memory: nesting is limited to [`MAX_DEPTH`]
//! collections and YAML alias expansion to [`MAX_ALIAS_NODES`] copied nodes; both give a
//! [`ParseError`]. Those limits are enforced here and nowhere else.
//!
//! [`LineIndex`] turns byte offsets into lines and columns (and back) for any text, in time
//! that does not grow with the length of a line: a minified file on one 10 MB line is as cheap
//! to locate in as a short one. [`Lines`] is the same index without the text, for a type that
//! owns its text.

use std::fmt;

use thiserror::Error;

mod json;
mod path;
mod span;
mod toml_format;
mod yaml;
pub mod yaml_indent;

#[cfg(test)]
mod tests;

pub use path::{select, select_with_paths, KeyPath, KeyPathError, Segment};
pub use span::{LineIndex, Lines, Span};

/// The deepest nesting of collections (sequences and mappings) a document may have.
pub const MAX_DEPTH: usize = 256;

/// The most nodes that YAML anchors and aliases may copy while one text is converted. A YAML
/// "billion laughs" document hits this limit instead of exhausting memory.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// The fewest bytes of text that YAML anchors and aliases may copy while one text is converted:
/// the budget is this or [`ALIAS_BYTES_PER_TEXT_BYTE`] times the text's size, whichever is
/// larger. A few aliases of one large anchored scalar hit it instead of exhausting memory.
pub const MIN_ALIAS_BYTES: usize = 16 * 1024 * 1024;

/// Bytes that anchors and aliases may copy per byte of the text, above [`MIN_ALIAS_BYTES`].
pub const ALIAS_BYTES_PER_TEXT_BYTE: usize = 10;

/// The budget of bytes that anchors and aliases may copy in a text of `text_len` bytes.
pub fn alias_byte_budget(text_len: usize) -> usize {
    MIN_ALIAS_BYTES.max(text_len.saturating_mul(ALIAS_BYTES_PER_TEXT_BYTE))
}

/// A structured-document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// JSON (RFC 8259). A byte-order mark at the start is tolerated.
    Json,
    /// YAML 1.2, possibly with several documents.
    Yaml,
    /// TOML 1.0.
    Toml,
}

impl Format {
    /// The format of a file, from its extension: `.json`, `.yaml`, `.yml` or `.toml`, in any
    /// letter case. Other extensions (and names without one) give `None`.
    pub fn from_path(path: &str) -> Option<Format> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let (stem, extension) = name.rsplit_once('.')?;
        if stem.is_empty() {
            // A dotfile such as `.json` has no extension.
            return None;
        }
        match extension.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// The format's usual name: `JSON`, `YAML` or `TOML`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value in a document, with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value is written. For quoted strings the quotes are included.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An explicit or implicit null (`null`, `~`, an empty YAML value).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A floating-point number (also JSON integers too large for `i64`).
    Float(f64),
    /// A string (also TOML datetimes, as written).
    String(String),
    /// A sequence (JSON and TOML arrays).
    Seq(Vec<Node>),
    /// A mapping (JSON objects, TOML tables), in document order, duplicate keys included.
    Map(Vec<Entry>),
}

/// One key and value of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key. It is a [`Value::String`] except for YAML complex keys (`? [a, b]`), which keep
    /// their structure. Its span points at the key itself.
    pub key: Node,
    /// The value.
    pub value: Node,
}

impl Entry {
    /// The key as text, if it is a string (it always is, except for YAML complex keys).
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

impl Value {
    /// A short name of the kind of value, for messages: `null`, `boolean`, `integer`, `float`,
    /// `string`, `sequence` or `mapping`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
}

impl Node {
    /// A node from its parts.
    pub fn new(value: Value, span: Span) -> Self {
        Self { value, span }
    }

    /// The value of `key` if this is a mapping that has it. With duplicate keys, the last one
    /// wins.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .rev()
            .find(|entry| entry.key_str() == Some(key))
            .map(|entry| &entry.value)
    }

    /// The entry (key and value) of `key` if this is a mapping that has it; the last one with
    /// duplicate keys.
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .rev()
            .find(|entry| entry.key_str() == Some(key))
    }

    /// The element at `index` if this is a sequence that long.
    pub fn get_index(&self, index: usize) -> Option<&Node> {
        self.as_seq()?.get(index)
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The number as a float, if this is an integer or a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The elements, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entries in document order, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Whether this is a scalar (neither a sequence nor a mapping).
    pub fn is_scalar(&self) -> bool {
        !matches!(self.value, Value::Seq(_) | Value::Map(_))
    }

    /// The kind of value, for messages (see [`Value::kind_name`]).
    pub fn kind_name(&self) -> &'static str {
        self.value.kind_name()
    }

    /// The nodes that `path` selects under this node (see [`select`]).
    pub fn select(&self, path: &KeyPath) -> Vec<&Node> {
        select(self, path)
    }

    /// The value as text, to compare it with expected text or show it in a message. Strings are
    /// themselves (unquoted); `null`, `true`, `false` and numbers are written as in JSON (floats
    /// keep a fractional part, `1.0`; non-finite floats are `NaN`, `inf`, `-inf`); sequences
    /// and mappings are written as compact JSON.
    pub fn to_display(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            _ => {
                let mut out = String::new();
                write_compact(&self.value, &mut out);
                out
            }
        }
    }
}

fn write_compact(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::String(s) => write_json_string(s, out),
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(&item.value, out);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, entry) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match &entry.key.value {
                    Value::String(s) => write_json_string(s, out),
                    other => {
                        let mut key = String::new();
                        write_compact(other, &mut key);
                        write_json_string(&key, out);
                    }
                }
                out.push(':');
                write_compact(&entry.value.value, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Why a text could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {}, column {}: {message}", span.line, span.column)]
pub struct ParseError {
    /// What is wrong, without the position.
    pub message: String,
    /// Where it is wrong: the offending character (empty at the end of the text).
    pub span: Span,
}

/// Parses `text` as `format`. YAML gives one node per document (none for an empty stream or one
/// of only comments); JSON and TOML give exactly one.
///
/// # Errors
///
/// A [`ParseError`] with the position of the first syntax error, of a collection nested deeper
/// than [`MAX_DEPTH`], or of the alias that pushes YAML alias expansion past
/// [`MAX_ALIAS_NODES`].
pub fn parse(format: Format, text: &str) -> Result<Vec<Node>, ParseError> {
    let locator = LineIndex::new(text);
    match format {
        Format::Json => json::parse(text, &locator).map(|node| vec![node]),
        Format::Yaml => yaml::parse(
            text,
            &locator,
            yaml::Mode {
                first_only: false,
                aliases: Aliases::Expand,
            },
        ),
        Format::Toml => toml_format::parse(text, &locator).map(|node| vec![node]),
    }
}

/// Parses a text that must hold exactly one document: JSON, TOML, or YAML with a single
/// document. An empty YAML stream gives a null node.
///
/// # Errors
///
/// As [`parse`], and a [`ParseError`] at the second document of a YAML stream that has more
/// than one.
pub fn parse_single(format: Format, text: &str) -> Result<Node, ParseError> {
    let mut documents = parse(format, text)?.into_iter();
    let first = documents.next();
    if let Some(second) = documents.next() {
        return Err(ParseError {
            message: "expected a single document, found several".to_owned(),
            span: second.span,
        });
    }
    Ok(first.unwrap_or_else(|| {
        let locator = LineIndex::new(text);
        Node::new(Value::Null, locator.span(0, 0))
    }))
}

/// What YAML aliases (`*name`) become.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aliases {
    /// A copy of the anchored node, within the alias budgets ([`MAX_ALIAS_NODES`],
    /// [`alias_byte_budget`]).
    Expand,
    /// Null (and, as a mapping key, the alias's text): for formats that never use anchors,
    /// such as lockfiles, where nothing is copied and no budget is spent.
    Null,
}

/// Parses the first document of `text`: for YAML, the text after the first document is not
/// read (a lockfile's later documents, even malformed ones, do not matter); an empty YAML
/// stream gives a null node. JSON and TOML hold one document. `aliases` says what YAML
/// aliases become ([`parse`] expands them).
///
/// # Errors
///
/// As [`parse`], for the part of the text that is read.
pub fn parse_first(format: Format, text: &str, aliases: Aliases) -> Result<Node, ParseError> {
    let locator = LineIndex::new(text);
    let first = match format {
        Format::Json => Some(json::parse(text, &locator)?),
        Format::Yaml => {
            let mode = yaml::Mode {
                first_only: true,
                aliases,
            };
            yaml::parse(text, &locator, mode)?.into_iter().next()
        }
        Format::Toml => Some(toml_format::parse(text, &locator)?),
    };
    Ok(first.unwrap_or_else(|| Node::new(Value::Null, locator.span(0, 0))))
}

fn depth_error(span: Span) -> ParseError {
    ParseError {
        message: format!("nesting deeper than {MAX_DEPTH} levels"),
        span,
    }
}
