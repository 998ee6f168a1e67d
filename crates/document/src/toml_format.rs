//! TOML to [`Node`]s, from the spanned tables of the `toml` crate.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{depth_error, Entry, LineIndex, Node, ParseError, Value, MAX_DEPTH};

pub(super) fn parse(text: &str, locator: &LineIndex<'_>) -> Result<Node, ParseError> {
    let table = DeTable::parse(text).map_err(|error| {
        let span = match error.span() {
            Some(range) if range.is_empty() => locator.char_span(range.start),
            Some(range) => locator.span(range.start, range.end),
            None => locator.char_span(0),
        };
        ParseError {
            message: error.message().trim().to_owned(),
            span,
        }
    })?;
    let converter = Converter { locator };
    // The parser gives the root table an empty span; the document is the whole text.
    let root_span = locator.span(0, text.len());
    converter.table(table.into_inner(), root_span, 1)
}

struct Converter<'t, 'l> {
    locator: &'l LineIndex<'t>,
}

impl Converter<'_, '_> {
    fn span<T>(&self, spanned: &Spanned<T>) -> crate::Span {
        let range = spanned.span();
        self.locator.span(range.start, range.end)
    }

    /// Converts a table at nesting `depth` (the root table is at depth 1).
    fn table(
        &self,
        table: DeTable<'_>,
        span: crate::Span,
        depth: usize,
    ) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return Err(depth_error(span));
        }
        let mut entries = Vec::with_capacity(table.len());
        for (key, value) in table {
            let key_span = self.span(&key);
            let key = Node::new(Value::String(key.into_inner().into_owned()), key_span);
            let value = self.value(value, depth)?;
            entries.push(Entry { key, value });
        }
        // The tables are sorted by key; put the entries back in document order.
        entries.sort_by_key(|entry| entry.key.span.start_byte);
        Ok(Node::new(Value::Map(entries), span))
    }

    /// Converts a value inside a collection at nesting `depth`.
    fn value(&self, value: Spanned<DeValue<'_>>, depth: usize) -> Result<Node, ParseError> {
        let span = self.span(&value);
        let value = match value.into_inner() {
            DeValue::String(s) => Value::String(s.into_owned()),
            DeValue::Integer(integer) => {
                match i64::from_str_radix(integer.as_str(), integer.radix()) {
                    Ok(i) => Value::Int(i),
                    Err(_) => {
                        return Err(ParseError {
                            message: "integer out of range for a 64-bit integer".to_owned(),
                            span,
                        })
                    }
                }
            }
            DeValue::Float(float) => match float.as_str().parse::<f64>() {
                Ok(f) => Value::Float(f),
                Err(_) => {
                    return Err(ParseError {
                        message: "invalid float".to_owned(),
                        span,
                    })
                }
            },
            DeValue::Boolean(b) => Value::Bool(b),
            DeValue::Datetime(datetime) => Value::String(datetime.to_string()),
            DeValue::Array(array) => {
                if depth + 1 > MAX_DEPTH {
                    return Err(depth_error(span));
                }
                let mut items = Vec::with_capacity(array.len());
                for item in array {
                    items.push(self.value(item, depth + 1)?);
                }
                Value::Seq(items)
            }
            DeValue::Table(table) => return self.table(table, span, depth + 1),
        };
        Ok(Node::new(value, span))
    }
}
