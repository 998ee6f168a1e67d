//! A bounded scan of source files for text markers: health routes (`"/healthz"`) and the
//! `structured-logging-source` markers of `ecosystems.toml` (such as Go's
//! `slog.NewJSONHandler`).
//!
//! It runs only when a rule found no stronger evidence, at most once per check for the
//! data's markers: files with a source extension of any ecosystem, outside
//! [`super::IGNORED_DIRS`], in path order, at most [`MAX_FILES`] files of at most
//! [`MAX_FILE_BYTES`] each, read in parallel. A marker counts when the character after it is
//! not a letter, digit or `_` (so `/health` does not match `/healthcheck`).

use std::collections::BTreeSet;
use std::sync::Arc;

use rayon::prelude::*;

use crate::engine::Context;
use crate::span::{LineIndex, Span};

use super::{data, ignored, Eco};

/// The most source files scanned.
pub(crate) const MAX_FILES: usize = 20_000;
/// Larger source files are skipped (generated code, bundles).
pub(crate) const MAX_FILE_BYTES: u64 = 512 * 1024;

/// A marker found in a source file.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) marker: String,
    pub(crate) path: String,
    pub(crate) span: Span,
    pub(crate) eco: Option<Eco>,
}

fn eco_of(path: &str) -> Option<Eco> {
    let ext = path.rsplit_once('.')?.1;
    Eco::ALL
        .into_iter()
        .find(|e| e.data().source_extensions.iter().any(|x| x == ext))
}

/// The data's markers, found once per check.
pub(crate) fn data_hits(cx: &Context<'_>) -> Arc<Vec<Hit>> {
    cx.memo_repo("obs-source-scan", || {
        let mut markers: BTreeSet<String> = data().health_routes.iter().cloned().collect();
        for eco in Eco::ALL {
            markers.extend(eco.data().structured_logging_source.iter().cloned());
        }
        let markers: Vec<String> = markers.into_iter().collect();
        scan(cx, &markers)
    })
}

/// Scans source files for `markers`: the first occurrence of each marker in each file.
pub(crate) fn scan(cx: &Context<'_>, markers: &[String]) -> Vec<Hit> {
    let files: Vec<_> = cx
        .all_files()
        .iter()
        .filter(|f| f.mode.is_regular() && !ignored(&f.path) && eco_of(&f.path).is_some())
        .take(MAX_FILES)
        .copied()
        .collect();
    let started = std::time::Instant::now();
    // Read from the snapshot directly: these files are not among the rules' wants, and one
    // debug line for the scan says more than one per file.
    let hits: Vec<Hit> = files
        .par_iter()
        .flat_map_iter(|file| {
            let fits = cx.size(file).is_ok_and(|size| size <= MAX_FILE_BYTES);
            let bytes = if fits {
                cx.snapshot().read(file).ok()
            } else {
                None
            };
            let text = bytes.and_then(|b| String::from_utf8(b).ok());
            let mut hits = Vec::new();
            if let Some(text) = text {
                let mut index = None;
                for marker in markers {
                    if let Some(at) = find_marker(&text, marker) {
                        let index = index.get_or_insert_with(|| LineIndex::new(&text));
                        hits.push(Hit {
                            marker: marker.clone(),
                            path: file.path.clone(),
                            span: index.span(at, at + marker.len()),
                            eco: eco_of(&file.path),
                        });
                    }
                }
            }
            hits
        })
        .collect();
    tracing::debug!(
        files = files.len(),
        hits = hits.len(),
        elapsed = ?started.elapsed(),
        "obs: source scan"
    );
    hits
}

/// The first occurrence of `marker` not followed by a word character.
pub(crate) fn find_marker(text: &str, marker: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(marker).map(|i| from + i) {
        let next = text[at + marker.len()..].chars().next();
        if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            return Some(at);
        }
        from = at + marker.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_end_at_a_non_word_character() {
        assert_eq!(
            find_marker("get(\"/healthcheck\") get(\"/health\")", "/health"),
            Some(25)
        );
        assert_eq!(find_marker("\"/healthz\"", "/health"), None);
        assert_eq!(find_marker("x /readyz", "/readyz"), Some(2));
    }
}
