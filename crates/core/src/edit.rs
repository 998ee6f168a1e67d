//! What a rule proposes to repair a finding: a [`Fix`] of [`Edit`]s, the [`FixOptions`] the
//! person running `goldpath fix` supplies, placeholders, path checks and the text helpers rules
//! build edits with. It imports nothing but the standard library, so rules, findings and the
//! context sit above it; planning and writing fixes (`crate::fix`) sits above the engine.
//!
//! Edits are computed from the positioned documents (`crate::doc`, `crate::ci`): text is
//! inserted, never re-serialised, so formatting and comments stay as they were.

use std::ops::Range;

/// The edits that fix one finding. They are applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// The edits, in any order; they must not overlap each other.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix of one edit.
    pub fn new(edit: Edit) -> Fix {
        Fix { edits: vec![edit] }
    }
}

/// One change to the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Replace the bytes `range` of an existing file with `text` (an empty range inserts).
    Replace {
        /// Repository-relative path with `/` separators.
        path: String,
        /// Byte range in the file as the rule read it; both ends on character boundaries.
        range: Range<usize>,
        /// The new text.
        text: String,
    },
    /// Create a file that does not exist.
    Create {
        /// Repository-relative path with `/` separators.
        path: String,
        /// Its contents.
        contents: String,
    },
}

impl Edit {
    /// Inserts `text` at byte `at` of `path`.
    pub fn insert(path: impl Into<String>, at: usize, text: impl Into<String>) -> Edit {
        Edit::Replace {
            path: path.into(),
            range: at..at,
            text: text.into(),
        }
    }

    /// Replaces the bytes `range` of `path` with `text`.
    pub fn replace(path: impl Into<String>, range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit::Replace {
            path: path.into(),
            range,
            text: text.into(),
        }
    }

    /// Creates `path` with `contents`.
    pub fn create(path: impl Into<String>, contents: impl Into<String>) -> Edit {
        Edit::Create {
            path: path.into(),
            contents: contents.into(),
        }
    }

    /// The file the edit changes.
    pub fn path(&self) -> &str {
        match self {
            Edit::Replace { path, .. } | Edit::Create { path, .. } => path,
        }
    }
}

/// What the person running `goldpath fix` supplies to fixes that need a value goldpath cannot
/// guess. Where one is missing, fixes write a `TODO` placeholder that keeps their rule passing
/// and that `goldpath fix` lists afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixOptions {
    /// The default owner a new CODEOWNERS file gives every file (`@org/team`, `@user` or an
    /// email address).
    pub owner: Option<String>,
    /// Where a new SECURITY.md tells people to report a vulnerability (an e-mail address or a
    /// URL).
    pub security_contact: Option<String>,
}

/// The placeholder fixes write where a value is needed and none was given.
pub const TODO: &str = "TODO";

/// Placeholders: values that stand for one a person has to supply. A placeholder never
/// satisfies the rule it was written for, so the rules whose fixes write one (and the rules
/// that check the same files) recognise them: the ones goldpath writes, and a few common ones,
/// defined narrowly so a real value is never mistaken for one.
pub mod placeholder {
    /// The words every finding about a placeholder says (`CODEOWNERS still holds the
    /// placeholder owner ...`): such a finding has no fix, a person has to supply the value.
    pub const STILL_HOLDS: &str = " still holds the placeholder ";

    /// Whether a CODEOWNERS owner is a placeholder: goldpath's `@TODO-org/TODO-team`, any
    /// owner with a `TODO` part (`@TODO`, `@acme/TODO-team`), the documentation examples
    /// `@org/team`, `@your-org/your-team`, `@my-org/my-team`, `@organization/team-name`,
    /// `@username`, `@user`, or an e-mail address that is a placeholder.
    pub fn owner(owner: &str) -> bool {
        let Some(name) = owner.strip_prefix('@') else {
            return contact(owner);
        };
        let lower = name.to_ascii_lowercase();
        let todo_part = lower
            .split('/')
            .any(|part| part == "todo" || part.starts_with("todo-") || part.starts_with("todo_"));
        todo_part
            || matches!(
                lower.as_str(),
                "org/team"
                    | "your-org/your-team"
                    | "my-org/my-team"
                    | "organization/team-name"
                    | "org/team-name"
                    | "username"
                    | "user"
                    | "your-username"
            )
    }

    /// Whether an e-mail address or URL is a placeholder: goldpath's
    /// `TODO-security-contact@example.com`, any address whose local part is `todo` or starts with
    /// `todo-` or `todo_`, and
    /// addresses and URLs at the domains reserved for documentation (RFC 2606: `example.com`,
    /// `example.org`, `example.net`, `*.example`), which never reach anyone.
    pub fn contact(contact: &str) -> bool {
        let lower = contact.trim().to_ascii_lowercase();
        let host = match lower.split_once('@') {
            Some((local, domain)) => {
                if local == "todo" || local.starts_with("todo-") || local.starts_with("todo_") {
                    return true;
                }
                domain
            }
            None => {
                let rest = lower
                    .strip_prefix("https://")
                    .or_else(|| lower.strip_prefix("http://"))
                    .unwrap_or(&lower);
                rest.split(['/', '?', '#', ':']).next().unwrap_or(rest)
            }
        };
        let host = host.trim_end_matches('.');
        ["example.com", "example.org", "example.net"]
            .iter()
            .any(|d| host == *d || host.ends_with(&format!(".{d}")))
            || host == "example"
            || host.ends_with(".example")
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn placeholders_are_defined_narrowly() {
            for owner in [
                "@TODO-org/TODO-team",
                "@todo",
                "@acme/TODO-team",
                "@org/team",
                "@Your-Org/Your-Team",
                "todo@acme.io",
                "owner@example.com",
                "TODO_owner@acme.io",
            ] {
                assert!(super::owner(owner), "{owner}");
            }
            for owner in [
                "@acme/platform",
                "@todomvc/core",
                "@org/team-a",
                "@octocat",
                "dev@acme.io",
                "todoist@acme.io",
            ] {
                assert!(!super::owner(owner), "{owner}");
            }
            for contact in [
                "TODO-security-contact@example.com",
                "security@example.org",
                "https://example.com/report",
                "http://www.example.net",
                "a@b.example",
            ] {
                assert!(super::contact(contact), "{contact}");
            }
            for contact in [
                "security@acme.io",
                "https://github.com/acme/app/security/advisories/new",
                "security@example-corp.com",
                "https://myexample.com",
            ] {
                assert!(!super::contact(contact), "{contact}");
            }
        }
    }
}

/// Why a path cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct PathError {
    /// The path as given.
    pub path: String,
    /// Why it is refused.
    pub reason: String,
}

/// Checks that `path` is a plain repository-relative path: not empty, not absolute, `/`
/// separators, no `.` or `..` component, no empty component, nothing under `.git`. Returns it
/// unchanged when it is.
pub fn check_path(path: &str) -> Result<&str, PathError> {
    let refuse = |reason: &str| {
        Err(PathError {
            path: path.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if path.is_empty() {
        return refuse("empty path");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return refuse("not a relative path with `/` separators");
    }
    if path.as_bytes().get(1) == Some(&b':') {
        return refuse("not a relative path (a drive letter)");
    }
    for component in path.split('/') {
        match component {
            "" | "." => return refuse("not a normalised path (empty or `.` component)"),
            ".." => return refuse("`..` leaves the repository"),
            c if c.eq_ignore_ascii_case(".git") => {
                return refuse("goldpath never writes inside `.git`")
            }
            _ => {}
        }
    }
    Ok(path)
}

/// Helpers for rules that insert lines into a file.
pub mod text {
    /// The line ending the file uses: `\r\n` when its first line ends with one, else `\n`.
    pub fn eol(text: &str) -> &'static str {
        match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        }
    }

    /// The byte offset of the start of the line holding `offset`.
    pub fn line_start(text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        text.as_bytes()[..offset]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
    }

    /// The byte offset just past the end of the line holding `offset` (after its `\n`, or the
    /// end of the text).
    pub fn line_end(text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        text.as_bytes()[offset..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(text.len(), |i| offset + i + 1)
    }

    /// The number of spaces before `offset` on its line when only spaces are there, optionally
    /// after one YAML sequence dash (`- `): the column (from 0) of a key that starts its line.
    /// `None` when anything else comes first.
    pub fn key_indent(text: &str, offset: usize) -> Option<usize> {
        let start = line_start(text, offset);
        let before = text.get(start..offset)?;
        let rest = before.trim_start_matches(' ');
        let rest = match rest.strip_prefix('-') {
            Some(after_dash) => after_dash.trim_start_matches(' '),
            None => rest,
        };
        (rest.is_empty()).then_some(before.chars().count())
    }

    /// Text to insert at `at` so that `lines` (each already indented and ended with `eol`)
    /// become whole lines: prefixed with a line ending when `at` is the end of a last line
    /// without one.
    pub fn lines_at(text: &str, at: usize, lines: String, eol: &str) -> String {
        if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
            format!("{eol}{lines}")
        } else {
            lines
        }
    }

    /// Moves a line start `at` up over the comment lines (`#` first) just above it, so that
    /// lines inserted there do not come between a key and the comments that lead into it.
    pub fn above_comments(text: &str, at: usize) -> usize {
        let mut at = line_start(text, at);
        while at > 0 {
            let previous = line_start(text, at - 1);
            if text[previous..at].trim_start().starts_with('#') {
                at = previous;
            } else {
                break;
            }
        }
        at
    }

    /// Whether the line holding `offset` is blank (only whitespace).
    pub fn is_blank_line(text: &str, offset: usize) -> bool {
        let start = line_start(text, offset);
        let end = line_end(text, offset);
        text[start..end].trim().is_empty()
    }
}
