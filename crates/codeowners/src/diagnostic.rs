//! Problems found while reading a CODEOWNERS file.

use std::fmt;

use crate::MAX_GITHUB_BYTES;

/// How serious a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something the hosting service reports as an error, or that makes a line (or the file)
    /// ineffective.
    Error,
    /// Something that works, but probably not the way the author meant.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of problem a [`Diagnostic`] reports. [`DiagnosticCode::as_str`] gives a stable,
/// kebab-case name for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DiagnosticCode {
    /// The file is larger than [`MAX_GITHUB_BYTES`]: GitHub does not load it at all.
    FileTooLarge,
    /// The file holds a NUL byte: it is binary and no rule is read from it.
    BinaryContent,
    /// A line is not valid UTF-8 (reported by [`crate::parse_bytes`], which replaced the bytes).
    InvalidUtf8,
    /// The file starts with a UTF-8 byte order mark.
    ByteOrderMark,
    /// GitHub: a pattern starts with `!`; negation is not supported and the line is skipped.
    NegationUnsupported,
    /// GitHub: a pattern holds `[` or `]`; character ranges are not supported and brackets match
    /// themselves.
    CharacterRangeUnsupported,
    /// GitHub: a pattern starts with `\#`; escaping a leading `#` is not supported and the line is
    /// skipped.
    EscapedHashUnsupported,
    /// The pattern cannot be used (for example it holds `***`, or an exclusion has no pattern).
    InvalidPattern,
    /// The pattern is valid but can never match a file (for example `/` on GitHub, or an unclosed
    /// `[` on GitLab).
    PatternMatchesNothing,
    /// An owner is not `@user`, `@org/team` (GitLab: `@group/subgroup`), an email address or, on
    /// GitLab, `@@developer`, `@@maintainer` or `@@owner`.
    InvalidOwner,
    /// GitLab: an entry has no owners and its section has no default owners; GitLab treats the
    /// entry as approved.
    MissingOwners,
    /// GitLab: a `#` after the pattern. GitLab has no inline comments: the words are read as
    /// owners (any `@mention` or email in them becomes an owner).
    InlineComment,
    /// GitLab: a line starts like a section heading but has no closing `]`; GitLab reads it as an
    /// entry.
    InvalidSectionHeader,
    /// GitLab: a section heading with an empty name, `[]`.
    EmptySectionName,
    /// GitLab: the number of approvals of a section is not a number of at least 1.
    InvalidApprovals,
    /// GitLab: an optional section (`^[Name]`) asks for a number of approvals.
    OptionalSectionApprovals,
    /// The same pattern appears earlier (in the same section, on GitLab).
    DuplicatePattern,
    /// Text that the hosting service ignores (owners of a GitLab exclusion, text after a section
    /// heading).
    IgnoredText,
}

impl DiagnosticCode {
    /// A stable kebab-case name, such as `"invalid-owner"`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::FileTooLarge => "file-too-large",
            DiagnosticCode::BinaryContent => "binary-content",
            DiagnosticCode::InvalidUtf8 => "invalid-utf8",
            DiagnosticCode::ByteOrderMark => "byte-order-mark",
            DiagnosticCode::NegationUnsupported => "negation-unsupported",
            DiagnosticCode::CharacterRangeUnsupported => "character-range-unsupported",
            DiagnosticCode::EscapedHashUnsupported => "escaped-hash-unsupported",
            DiagnosticCode::InvalidPattern => "invalid-pattern",
            DiagnosticCode::PatternMatchesNothing => "pattern-matches-nothing",
            DiagnosticCode::InvalidOwner => "invalid-owner",
            DiagnosticCode::MissingOwners => "missing-owners",
            DiagnosticCode::InlineComment => "inline-comment",
            DiagnosticCode::InvalidSectionHeader => "invalid-section-header",
            DiagnosticCode::EmptySectionName => "empty-section-name",
            DiagnosticCode::InvalidApprovals => "invalid-approvals",
            DiagnosticCode::OptionalSectionApprovals => "optional-section-approvals",
            DiagnosticCode::DuplicatePattern => "duplicate-pattern",
            DiagnosticCode::IgnoredText => "ignored-text",
        }
    }
}

impl fmt::Display for DiagnosticCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem in a CODEOWNERS file, with its position.
///
/// Lines and columns are 1-based; columns count characters (not bytes), a tab counts as one.
/// `end_column` is the column just past the last character of the offending text, so
/// `end_column - column` is its length in characters. A problem about the whole file is reported
/// at line 1, column 1, with `end_column` 1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// The line, from 1.
    pub line: usize,
    /// The first column of the offending text, from 1.
    pub column: usize,
    /// The column just past the offending text.
    pub end_column: usize,
    /// What kind of problem this is.
    pub code: DiagnosticCode,
    /// A sentence for people.
    pub message: String,
    /// How serious it is.
    pub severity: Severity,
}

impl Diagnostic {
    pub(crate) fn new(
        line: usize,
        column: usize,
        end_column: usize,
        code: DiagnosticCode,
        severity: Severity,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            line,
            column,
            end_column: end_column.max(column),
            code,
            message: message.into(),
            severity,
        }
    }

    /// The diagnostic for a CODEOWNERS file of `size` bytes that GitHub will not load because it is
    /// larger than [`MAX_GITHUB_BYTES`]. [`crate::parse`] adds it by itself for the GitHub dialect;
    /// callers that only know the size of a file (and do not read it) can use this.
    pub fn file_too_large(size: u64) -> Diagnostic {
        Diagnostic::new(
            1,
            1,
            1,
            DiagnosticCode::FileTooLarge,
            Severity::Error,
            format!(
                "the file is {size} bytes; GitHub does not load CODEOWNERS files over {MAX_GITHUB_BYTES} \
                 bytes (3 MB), so no code owner applies"
            ),
        )
    }

    /// The diagnostic for a CODEOWNERS file at `path` that exists but is not used, because the
    /// file at `effective` comes first (see [`crate::choose_location`]).
    pub fn ignored_file(path: &str, effective: &str) -> Diagnostic {
        Diagnostic::new(
            1,
            1,
            1,
            DiagnosticCode::IgnoredText,
            Severity::Warning,
            format!("`{path}` is ignored: `{effective}` comes first and is the one used"),
        )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}[{}]: {}",
            self.line, self.column, self.severity, self.code, self.message
        )
    }
}
