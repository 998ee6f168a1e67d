//! A strict JSON (RFC 8259) parser that records the span of every key and value.

use super::{depth_error, Entry, LineIndex, Node, ParseError, Value, MAX_DEPTH};

const BOM: &str = "\u{feff}";

pub(super) fn parse(text: &str, locator: &LineIndex<'_>) -> Result<Node, ParseError> {
    let start = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: start,
        locator,
    };
    parser.skip_whitespace();
    let node = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(parser.error_here("trailing characters after the JSON value"));
    }
    Ok(node)
}

struct Parser<'t, 'l> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    locator: &'l LineIndex<'t>,
}

impl Parser<'_, '_> {
    fn error_at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            span: self.locator.char_span(offset),
        }
    }

    fn error_here(&self, message: &str) -> ParseError {
        if self.pos >= self.bytes.len() {
            self.error_at(self.pos, format!("unexpected end of input: {message}"))
        } else {
            let found = (self.text.get(self.pos..))
                .and_then(|rest| rest.chars().next())
                .unwrap_or(' ');
            self.error_at(self.pos, format!("{message}, found {}", describe(found)))
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn node(&self, value: Value, start: usize) -> Node {
        Node::new(value, self.locator.span(start, self.pos))
    }

    /// A value; `depth` is the number of collections around it.
    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let s = self.string()?;
                Ok(self.node(Value::String(s), start))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.error_here("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Node, ParseError> {
        let start = self.pos;
        if self.bytes[start..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(self.node(value, start))
        } else {
            Err(self.error_here("expected a value"))
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(depth_error(self.locator.char_span(start)));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(self.node(Value::Seq(items), start));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value(depth)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(self.node(Value::Seq(items), start));
                }
                _ => return Err(self.error_here("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(depth_error(self.locator.char_span(start)));
        }
        self.pos += 1;
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(self.node(Value::Map(entries), start));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error_here("expected a string key"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key = self.node(Value::String(key), key_start);
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error_here("expected `:`"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            entries.push(Entry { key, value });
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(self.node(Value::Map(entries), start));
                }
                _ => return Err(self.error_here("expected `,` or `}`")),
            }
        }
    }

    /// A string; `self.pos` is at its opening quote, and is left past the closing one.
    fn string(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run_start = self.pos;
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error_at(open, "unterminated string"));
            };
            match byte {
                b'"' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.text[run_start..self.pos]);
                    self.escape(&mut out)?;
                    run_start = self.pos;
                }
                0..=0x1f => {
                    return Err(self.error_at(
                        self.pos,
                        "control character in string (escape it, e.g. `\\n`)",
                    ))
                }
                _ => self.pos += 1,
            }
        }
    }

    /// An escape sequence; `self.pos` is at its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let backslash = self.pos;
        self.pos += 1;
        let Some(kind) = self.peek() else {
            return Err(self.error_at(backslash, "unterminated string"));
        };
        self.pos += 1;
        let c = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = self.hex4(backslash)?;
                match high {
                    0xD800..=0xDBFF => {
                        let low_start = self.pos;
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(
                                self.error_at(backslash, "unpaired surrogate in `\\u` escape")
                            );
                        }
                        self.pos += 2;
                        let low = self.hex4(low_start)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(
                                self.error_at(backslash, "unpaired surrogate in `\\u` escape")
                            );
                        }
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(code)
                            .ok_or_else(|| self.error_at(backslash, "invalid `\\u` escape"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err(self.error_at(backslash, "unpaired surrogate in `\\u` escape"))
                    }
                    code => char::from_u32(code)
                        .ok_or_else(|| self.error_at(backslash, "invalid `\\u` escape"))?,
                }
            }
            _ => return Err(self.error_at(backslash, "invalid escape sequence")),
        };
        out.push(c);
        Ok(())
    }

    /// Four hex digits after `\u`; `escape_start` is the backslash, for errors.
    fn hex4(&mut self, escape_start: usize) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| {
                    self.error_at(escape_start, "`\\u` must be followed by four hex digits")
                })?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error_at(start, "invalid number: leading zero"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error_here("invalid number: expected a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error_here("invalid number: expected a digit after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            integer = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_here("invalid number: expected a digit in the exponent"));
            }
        }
        let literal = &self.text[start..self.pos];
        let value = match literal.parse::<i64>() {
            Ok(i) if integer => Value::Int(i),
            _ => match literal.parse::<f64>() {
                Ok(f) => Value::Float(f),
                Err(_) => return Err(self.error_at(start, "invalid number")),
            },
        };
        Ok(self.node(value, start))
    }
}

/// A character for an error message.
fn describe(c: char) -> String {
    match c {
        '\n' => "a line break".to_owned(),
        '\r' => "a carriage return".to_owned(),
        '\t' => "a tab".to_owned(),
        c if c.is_control() => format!("U+{:04X}", u32::from(c)),
        c => format!("`{c}`"),
    }
}
