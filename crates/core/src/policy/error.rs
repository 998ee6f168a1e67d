use std::ops::Range;
use std::sync::Arc;

use crate::span::LineIndex;

/// A policy file's name and text, kept so errors can point into it.
#[derive(Debug)]
pub struct PolicySource {
    /// How the file is shown: a path, or `builtin:NAME`.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// Where a policy value came from: a file and a byte range in it.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file.
    pub source: Arc<PolicySource>,
    /// The byte range of the value.
    pub span: Range<usize>,
}

impl Origin {
    /// An error at this origin.
    pub fn error(&self, message: impl Into<String>) -> PolicyError {
        let (line, column) = LineIndex::new(&self.source.text).position(self.span.start);
        PolicyError {
            location: Some(Location {
                file: self.source.name.clone(),
                line,
                column,
            }),
            message: message.into(),
            related: None,
        }
    }

    /// The same origin narrowed to the first occurrence of `needle` inside it, so an error about
    /// one glob in an array points at that glob rather than at the array.
    pub fn narrow_to(&self, needle: &str) -> Origin {
        let text = self.source.text.get(self.span.clone()).unwrap_or_default();
        match (!needle.is_empty()).then(|| text.find(needle)).flatten() {
            Some(at) => Origin {
                source: self.source.clone(),
                span: self.span.start + at..self.span.start + at + needle.len(),
            },
            None => self.clone(),
        }
    }

    /// An error at this origin that also names `other` (the earlier value it conflicts with, or
    /// the lock it breaks): `message (label FILE:LINE:COLUMN)`.
    pub fn error_with(
        &self,
        message: impl Into<String>,
        label: &str,
        other: &Origin,
    ) -> PolicyError {
        let mut error = self.error(format!("{} ({label} {})", message.into(), other.position()));
        error.related = other.location();
        error
    }

    /// `FILE:LINE:COLUMN`.
    pub fn position(&self) -> String {
        let (line, column) = LineIndex::new(&self.source.text).position(self.span.start);
        format!("{}:{line}:{column}", self.source.name)
    }

    fn location(&self) -> Option<Location> {
        let (line, column) = LineIndex::new(&self.source.text).position(self.span.start);
        Some(Location {
            file: self.source.name.clone(),
            line,
            column,
        })
    }

    /// The 1-based line of the origin.
    pub fn line(&self) -> u32 {
        LineIndex::new(&self.source.text)
            .position(self.span.start)
            .0
    }
}

/// A file position in a policy error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The policy file.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// A policy that cannot be used: unreadable, malformed, or naming something that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", location.as_ref().map(|l| format!("{}:{}:{}: ", l.file, l.line, l.column)).unwrap_or_default())]
pub struct PolicyError {
    /// Where, when known.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
    /// The other position the error concerns, when there is one: the earlier value a later
    /// file conflicts with, or the lock it breaks. The message names it too.
    pub related: Option<Location>,
}

impl PolicyError {
    /// An error without a position.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            location: None,
            message: message.into(),
            related: None,
        }
    }
}
