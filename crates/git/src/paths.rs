//! Conversions between git paths (bytes with `/` separators) and the platform's paths.

use std::path::Path;

/// Converts a path relative to the root into git's form: raw bytes on Unix, `/` separators.
pub(crate) fn to_git(rel: &Path) -> Option<Vec<u8>> {
    let bytes = gix::path::into_bstr(rel).ok()?;
    Some(
        gix::path::to_unix_separators_on_windows(bytes)
            .into_owned()
            .into(),
    )
}

/// Converts a git path back into a relative platform path (Windows accepts `/` separators).
pub(crate) fn from_git(bytes: &[u8]) -> Option<&Path> {
    gix::path::from_byte_slice(bytes).ok()
}

/// A display string for a git path, and whether converting it lost information.
pub(crate) fn lossy(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    }
}
