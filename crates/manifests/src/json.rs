//! A small JSON parser that keeps the byte range of every key and value, so that a dependency
//! points at its line. Depth is limited; errors carry the offset.

use std::ops::Range;

use crate::text::LineIndex;
use crate::ParseError;

const MAX_DEPTH: usize = 256;

/// A JSON value with its byte range.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Range<usize>,
    pub(crate) value: Value,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number,
    String(String),
    #[allow(dead_code)] // items are parsed for validation; no parser reads them yet
    Array(Vec<Node>),
    /// Members in file order: key, key span, value.
    Object(Vec<(String, Range<usize>, Node)>),
}

impl Node {
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|(_, node)| node)
    }

    pub(crate) fn member(&self, key: &str) -> Option<(&Range<usize>, &Node)> {
        match &self.value {
            Value::Object(members) => members
                .iter()
                .rev()
                .find(|(k, _, _)| k == key)
                .map(|(_, span, node)| (span, node)),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn members(&self) -> &[(String, Range<usize>, Node)] {
        match &self.value {
            Value::Object(members) => members,
            _ => &[],
        }
    }

    pub(crate) fn is_true(&self) -> bool {
        matches!(self.value, Value::Bool(true))
    }
}

pub(crate) fn parse(text: &str, index: &LineIndex<'_>) -> Result<Node, ParseError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
        index,
    };
    if text.starts_with('\u{feff}') {
        p.at = 3;
    }
    let node = p.value(0)?;
    p.ws();
    if p.at < p.bytes.len() {
        return Err(p.err("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'t, 'i> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
    index: &'i LineIndex<'i>,
}

impl Parser<'_, '_> {
    fn err(&self, message: &str) -> ParseError {
        self.index.error(self.at..self.at + 1, message)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("JSON nested too deeply"));
        }
        self.ws();
        let start = self.at;
        let value = match self.bytes.get(self.at) {
            None => return Err(self.err("unexpected end of JSON")),
            Some(b'{') => {
                self.at += 1;
                let mut members = Vec::new();
                self.ws();
                if self.bytes.get(self.at) == Some(&b'}') {
                    self.at += 1;
                } else {
                    loop {
                        self.ws();
                        let key_start = self.at;
                        if self.bytes.get(self.at) != Some(&b'"') {
                            return Err(self.err("expected a string key"));
                        }
                        let key = self.string()?;
                        let key_span = key_start..self.at;
                        self.ws();
                        if self.bytes.get(self.at) != Some(&b':') {
                            return Err(self.err("expected `:`"));
                        }
                        self.at += 1;
                        let node = self.value(depth + 1)?;
                        members.push((key, key_span, node));
                        self.ws();
                        match self.bytes.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b'}') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.err("expected `,` or `}`")),
                        }
                    }
                }
                Value::Object(members)
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.ws();
                if self.bytes.get(self.at) == Some(&b']') {
                    self.at += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.bytes.get(self.at) {
                            Some(b',') => self.at += 1,
                            Some(b']') => {
                                self.at += 1;
                                break;
                            }
                            _ => return Err(self.err("expected `,` or `]`")),
                        }
                    }
                }
                Value::Array(items)
            }
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => {
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') =
                    self.bytes.get(self.at)
                {
                    self.at += 1;
                }
                Value::Number
            }
            Some(_) => return Err(self.err("expected a JSON value")),
        };
        Ok(Node {
            span: start..self.at,
            value,
        })
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, ParseError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    /// A string starting at the opening quote; leaves `at` after the closing one.
    fn string(&mut self) -> Result<String, ParseError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let run = self.at;
            while let Some(&b) = self.bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // `at` stops only at ASCII bytes, so these are character boundaries.
            out.push_str(self.text.get(run..self.at).unwrap_or_default());
            match self.bytes.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.bytes.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let high = self.hex4()?;
                            if (0xD800..0xDC00).contains(&high)
                                && self.bytes.get(self.at + 1..self.at + 3) == Some(b"\\u")
                            {
                                self.at += 2;
                                let low = self.hex4()?;
                                let code = 0x10000
                                    + ((high - 0xD800) << 10)
                                    + (low.wrapping_sub(0xDC00) & 0x3FF);
                                char::from_u32(code).unwrap_or('\u{fffd}')
                            } else {
                                char::from_u32(high).unwrap_or('\u{fffd}')
                            }
                        }
                        _ => return Err(self.err("invalid escape in string")),
                    };
                    self.at += 1;
                    out.push(c);
                }
                _ => return Err(self.err("unterminated string")),
            }
        }
    }

    /// Reads `XXXX` after a `u` at `at`; leaves `at` on the last hex digit.
    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self
            .text
            .get(self.at + 1..self.at + 5)
            .ok_or_else(|| self.err("invalid \\u escape"))?;
        let code = u32::from_str_radix(digits, 16).map_err(|_| self.err("invalid \\u escape"))?;
        self.at += 4;
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_spans_and_rejects_garbage() {
        let text = "{\n  \"a\": [1, true, null],\n  \"b\\u00e9\": \"x\\ud83d\\ude00\"\n}";
        let index = LineIndex::new(text);
        let node = parse(text, &index).unwrap();
        let (span, value) = node.member("bé").unwrap();
        assert_eq!(index.position(span.clone()).line, 3);
        assert_eq!(value.as_str(), Some("x😀"));
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "[1,",
            "\"abc",
            "{\"a\":1} x",
            "[\"\\q\"]",
            "\"\\u12\"",
        ] {
            let index = LineIndex::new(bad);
            assert!(parse(bad, &index).is_err(), "{bad}");
        }
        let deep = "[".repeat(1000);
        assert!(parse(&deep, &LineIndex::new(&deep)).is_err());
    }
}
