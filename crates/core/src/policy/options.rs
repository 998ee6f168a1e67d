//! Helpers for rule options that several rule families share: an array of tables taken entry
//! by entry, globs compiled with the option's origin, and origins narrowed to one string or one
//! element of an inline array, so an error points at what is wrong.

use std::ops::Range;

use serde::de::DeserializeOwned;

use super::{Origin, Params, PolicyError};
use crate::glob::{Glob, GlobList};

/// Takes an option that is an array of tables and deserializes each entry on its own, so an
/// error in one entry points at that entry (and at the unknown key, when that is the error).
/// Each entry comes with its own origin when the array is written inline; otherwise with the
/// origin of the whole option.
pub(crate) fn take_entries<T: DeserializeOwned>(
    params: &mut Params,
    key: &str,
) -> Result<Vec<(T, Origin)>, PolicyError> {
    let rule = params.rule().to_owned();
    let parts = params.parts(key).unwrap_or_default();
    let Some((values, origin)) = params.take_with_origin::<Vec<toml::Value>>(key)? else {
        return Ok(Vec::new());
    };
    // A list built with `extend-KEY` has parts in several files: each entry's origin is
    // found in the part that wrote it.
    let mut origins: Vec<Origin> = parts
        .iter()
        .flat_map(|(count, at)| element_origins(at, *count))
        .collect();
    if origins.len() != values.len() {
        origins = element_origins(&origin, values.len());
    }
    values
        .into_iter()
        .zip(origins)
        .map(|(value, at)| {
            T::deserialize(value)
                .map(|entry| (entry, at.clone()))
                .map_err(|e| {
                    let message = e.message().to_owned();
                    let narrowed = match backticked(&message) {
                        Some(name) if message.starts_with("unknown field") => at_key(&at, name),
                        _ => at,
                    };
                    narrowed.error(format!(
                        "invalid `{key}` entry for rule `{rule}`: {message}"
                    ))
                })
        })
        .collect()
}

/// Compiles globs written inside `origin`; a bad one is an error at its position.
pub(crate) fn compile_globs(patterns: &[String], origin: &Origin) -> Result<GlobList, PolicyError> {
    patterns
        .iter()
        .map(|p| Glob::new(p).map_err(|e| at_string(origin, p).error(e)))
        .collect::<Result<Vec<_>, _>>()
        .map(GlobList::new)
}

/// `origin` narrowed to the string `value` as written in TOML: a quoted occurrence first (so
/// that `*` is not found inside another glob), else any occurrence, else `origin` itself. The
/// result starts at the first character inside the quotes.
pub(crate) fn at_string(origin: &Origin, value: &str) -> Origin {
    let text = origin
        .source
        .text
        .get(origin.span.clone())
        .unwrap_or_default();
    let mut quoted = vec![format!("\"{}\"", basic_escape(value))];
    if !value.contains(['\'', '\n']) {
        quoted.push(format!("'{value}'"));
    }
    for needle in quoted {
        if let Some(at) = text.find(&needle) {
            let start = origin.span.start + at + 1;
            return Origin {
                source: origin.source.clone(),
                span: start..start + needle.len() - 2,
            };
        }
    }
    origin.narrow_to(value)
}

/// `origin` narrowed to the key `name` written inside it (`name =`, bare or quoted), else
/// `origin` itself.
fn at_key(origin: &Origin, name: &str) -> Origin {
    let text = origin
        .source
        .text
        .get(origin.span.clone())
        .unwrap_or_default();
    let mut from = 0;
    while let Some(found) = text[from..].find(name) {
        let at = from + found;
        let before = text[..at].chars().next_back();
        let (quoted, after) = match before {
            Some(q @ ('"' | '\'')) => (text[at + name.len()..].starts_with(q), 1),
            _ => (false, 0),
        };
        let key_start = before.is_none_or(|c| c.is_whitespace() || c == '{' || c == ',');
        if quoted || key_start {
            let rest = text[at + name.len() + after..].trim_start_matches([' ', '\t']);
            if rest.starts_with('=') {
                return Origin {
                    source: origin.source.clone(),
                    span: origin.span.start + at..origin.span.start + at + name.len(),
                };
            }
        }
        from = at + name.len();
    }
    origin.clone()
}

fn basic_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Origins of the `count` elements of an inline array written at `origin`; the whole origin for
/// each when the text is not an inline array of that many elements (an array of tables written
/// with `[[...]]` headers, or an option merged from several files).
pub(crate) fn element_origins(origin: &Origin, count: usize) -> Vec<Origin> {
    let text = origin
        .source
        .text
        .get(origin.span.clone())
        .unwrap_or_default();
    match split_inline_array(text) {
        Some(ranges) if ranges.len() == count => ranges
            .into_iter()
            .map(|r| Origin {
                source: origin.source.clone(),
                span: origin.span.start + r.start..origin.span.start + r.end,
            })
            .collect(),
        // `[[rules."id".key]]` tables: the value's span is the first header; the entries
        // follow it, so errors are searched for from there on.
        _ if text.trim_start().starts_with("[[") => {
            let rest = Origin {
                source: origin.source.clone(),
                span: origin.span.start..origin.source.text.len(),
            };
            vec![rest; count]
        }
        _ => vec![origin.clone(); count],
    }
}

/// The byte ranges of the top-level elements of an inline TOML array, or `None` when `text` is
/// not one (or an element is itself an array, which the callers never expect).
fn split_inline_array(text: &str) -> Option<Vec<Range<usize>>> {
    let bytes = text.as_bytes();
    let mut i = text.len() - text.trim_start().len();
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut depth = 0usize;
    let mut elements = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            match b {
                b',' => {
                    elements.push(start.take()?..end);
                    i += 1;
                    continue;
                }
                b']' => {
                    if let Some(s) = start.take() {
                        elements.push(s..end);
                    }
                    return Some(elements);
                }
                b'[' if start.is_none() => return None,
                _ => {}
            }
            start.get_or_insert(i);
        }
        match b {
            b'"' | b'\'' => i = skip_string(bytes, i)?,
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
        end = i;
    }
    None
}

/// The index just past the TOML string starting at `i` (basic, literal, or multi-line).
fn skip_string(bytes: &[u8], i: usize) -> Option<usize> {
    let quote = bytes[i];
    let triple = bytes.get(i..i + 3) == Some(&[quote, quote, quote][..]);
    let mut j = if triple { i + 3 } else { i + 1 };
    while j < bytes.len() {
        let b = bytes[j];
        if b == b'\\' && quote == b'"' {
            j += 2;
            continue;
        }
        if b == quote {
            if !triple {
                return Some(j + 1);
            }
            if bytes.get(j..j + 3) == Some(&[quote, quote, quote][..]) {
                // Up to two more quotes may close a multi-line string: `""""` ends with one.
                let mut k = j + 3;
                while k < bytes.len() && bytes[k] == quote && k < j + 5 {
                    k += 1;
                }
                return Some(k);
            }
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_inline_arrays_into_elements() {
        let text = "[ { a = \"x, ]\" }, 'y' , # c, ]\n x.y , { b = \"\"\"q\"\"\"\"\" } ]";
        let ranges = split_inline_array(text).unwrap();
        let parts: Vec<&str> = ranges.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            parts,
            [
                "{ a = \"x, ]\" }",
                "'y'",
                "x.y",
                "{ b = \"\"\"q\"\"\"\"\" }"
            ]
        );
        assert_eq!(
            split_inline_array("[]").unwrap(),
            Vec::<Range<usize>>::new()
        );
        assert_eq!(split_inline_array(" [ 1, ]").unwrap().len(), 1);
        assert!(split_inline_array("[[a]]").is_none());
        assert!(split_inline_array("{ a = 1 }").is_none());
        assert!(split_inline_array("[ \"open ").is_none());
    }
}
