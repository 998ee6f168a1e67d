//! A bounded scan of source files for text markers: health routes (`"/healthz"`), the
//! `structured-logging-source` and `health-source` markers of `ecosystems.toml` (such as Go's
//! `"log/slog"` import or `grpc.health.v1`).
//!
//! It runs only when a rule found no stronger evidence, at most once per check for the
//! data's markers: files with a source extension of any ecosystem, outside
//! [`super::IGNORED_DIRS`] and not test files (`*_test.go`, `test_*.py`, `*.spec.ts`, ...: a
//! route a test calls is served elsewhere, and a test's logger is not the service's), in path
//! order, at most [`MAX_FILES`] files of at most [`MAX_FILE_BYTES`] each, read in parallel.
//! A marker counts when the character after it is not a letter, digit or `_` (so `/health`
//! does not match `/healthcheck`); a route (a marker starting with `/`) also counts in
//! Django's form, without its slash and followed by one, after a quote or `^` (`'health/'`).

use std::collections::BTreeSet;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
use rayon::prelude::*;

use crate::context::Context;
use crate::span::{LineIndex, Span};

use super::{data, file_name, ignored, Eco};

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

/// Test sources by their names' conventions (test directories are already ignored).
fn is_test_file(path: &str) -> bool {
    let name = file_name(path);
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    match ext {
        "go" => stem.ends_with("_test"),
        "py" => stem.starts_with("test_") || stem.ends_with("_test") || stem == "conftest",
        "rs" => stem == "tests",
        "java" | "kt" | "scala" | "groovy" => {
            stem.ends_with("Test") || stem.ends_with("Tests") || stem.ends_with("Spec")
        }
        _ => [".test", ".spec", "-test", "_test"]
            .iter()
            .any(|s| stem.ends_with(s)),
    }
}

/// The data's markers, found once per check.
pub(crate) fn data_hits(cx: &Context<'_>) -> Arc<Vec<Hit>> {
    cx.memo_repo("obs-source-scan", || {
        let mut markers: BTreeSet<String> = data().health_routes.iter().cloned().collect();
        for eco in Eco::ALL {
            let d = eco.data();
            markers.extend(
                d.structured_logging_source
                    .iter()
                    .map(|m| m.text().to_owned()),
            );
            markers.extend(d.health_source.iter().cloned());
        }
        let markers: Vec<String> = markers.into_iter().collect();
        scan(cx, &markers)
    })
}

/// Finds many markers in one pass over a text (Aho-Corasick), so the scan stays linear in
/// the bytes read whatever the number of markers.
pub(crate) struct Matcher {
    automaton: Option<AhoCorasick>,
    /// Per pattern of the automaton: the marker's index, and whether it is a route's Django
    /// form (which must follow a quote or `^`) rather than the marker itself.
    patterns: Vec<(usize, bool)>,
    count: usize,
}

impl Matcher {
    pub(crate) fn new(markers: &[String]) -> Matcher {
        let mut texts = Vec::new();
        let mut patterns = Vec::new();
        for (i, marker) in markers.iter().enumerate() {
            if marker.is_empty() {
                continue;
            }
            texts.push(marker.clone());
            patterns.push((i, false));
            if let Some(bare) = marker.strip_prefix('/') {
                let bare = bare.trim_end_matches('/');
                if !bare.is_empty() {
                    texts.push(format!("{bare}/"));
                    patterns.push((i, true));
                }
            }
        }
        // Building fails only for automata too large for memory; a scan without markers
        // finds nothing then, which the debug line shows.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&texts)
            .map_err(|e| tracing::debug!("obs: source markers: {e}"))
            .ok();
        Matcher {
            automaton,
            patterns,
            count: markers.len(),
        }
    }

    /// The first occurrence of each marker in `text`: `(marker index, byte range)`. A marker
    /// counts when no word character follows it; a route's Django form (`'ready/'`) when a
    /// quote or `^` precedes it.
    pub(crate) fn find(&self, text: &str) -> Vec<(usize, std::ops::Range<usize>)> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let mut first: Vec<Option<std::ops::Range<usize>>> = vec![None; self.count];
        let mut left = self.count;
        for m in automaton.find_overlapping_iter(text) {
            let (index, django) = self.patterns[m.pattern().as_usize()];
            if first[index].is_some() {
                continue;
            }
            let ok = if django {
                text[..m.start()].ends_with(['\'', '"', '^'])
            } else {
                !text[m.end()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            };
            if ok {
                first[index] = Some(m.start()..m.end());
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        first
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| (i, r)))
            .collect()
    }
}

/// Scans source files for `markers`: the first occurrence of each marker in each file.
pub(crate) fn scan(cx: &Context<'_>, markers: &[String]) -> Vec<Hit> {
    let files: Vec<_> = cx
        .all_files()
        .iter()
        .filter(|f| {
            f.mode.is_regular()
                && !ignored(&f.path)
                && eco_of(&f.path).is_some()
                && !is_test_file(&f.path)
        })
        .take(MAX_FILES)
        .copied()
        .collect();
    let started = std::time::Instant::now();
    let matcher = Matcher::new(markers);
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
                let found = matcher.find(&text);
                if !found.is_empty() {
                    let index = LineIndex::new(&text);
                    for (i, range) in found {
                        hits.push(Hit {
                            marker: markers[i].clone(),
                            path: file.path.clone(),
                            span: index.span(range.start, range.end),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn first(marker: &str, text: &str) -> Option<std::ops::Range<usize>> {
        let found = Matcher::new(&[marker.to_owned()]).find(text);
        found.into_iter().next().map(|(_, r)| r)
    }

    #[test]
    fn markers_end_at_a_non_word_character() {
        assert_eq!(
            first("/health", "get(\"/healthcheck\") get(\"/health\")"),
            Some(25..32)
        );
        assert_eq!(first("/health", "\"/healthz\""), None);
        assert_eq!(first("/readyz", "x /readyz"), Some(2..9));
        assert_eq!(
            first("\"log/slog\"", "import (\n\t\"log/slog\"\n)"),
            Some(10..20)
        );
        assert_eq!(first("\"log/slog\"", "import \"log/slogx\""), None);
    }

    #[test]
    fn routes_count_in_django_form_but_plain_words_do_not() {
        assert_eq!(first("/-/ready", "r.Get(\"/-/ready\", h)"), Some(7..15));
        assert_eq!(first("/health", "path('health/', v)"), Some(6..13));
        assert_eq!(first("/ready", "re_path(r'^ready/?$', v)"), Some(11..17));
        // A state named "ready" is not a route, nor is a longer path segment.
        assert_eq!(first("/ready", "if state == \"ready\":"), None);
        assert_eq!(first("/ready", "path('notready/', v)"), None);
        assert_eq!(first("/ready", "\"/already\""), None);
    }

    #[test]
    fn every_marker_is_found_once_in_one_pass() {
        let markers = [
            "/health".to_owned(),
            "/healthz".to_owned(),
            "grpc.health.v1".to_owned(),
        ];
        let text = "\"/healthz\" \"/health\" grpc.health.v1.Health \"/healthz\"";
        let found = Matcher::new(&markers).find(text);
        assert_eq!(found, vec![(0, 12..19), (1, 1..9), (2, 21..35)]);
    }

    #[test]
    fn test_files_are_recognised_by_name() {
        for path in [
            "a/x_test.go",
            "test_app.py",
            "web/app.spec.ts",
            "src/AppTest.java",
            "conftest.py",
        ] {
            assert!(is_test_file(path), "{path}");
        }
        for path in [
            "main.go",
            "app.py",
            "testing.py",
            "server.ts",
            "src/Tester.java",
        ] {
            assert!(!is_test_file(path), "{path}");
        }
    }
}
