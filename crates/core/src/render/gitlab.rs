//! GitLab Code Quality report: a JSON array of issues GitLab shows in merge requests.

use serde::Serialize;

use super::Options;
use crate::engine::Report;
use crate::finding::Level;

#[derive(Serialize)]
struct Issue<'a> {
    description: String,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// The report as a Code Quality JSON array. Every issue needs `location.path`, a file of the
/// repository: repository-wide findings are placed on the anchor (the policy file, else the
/// README), else on `.`, the repository root.
pub fn render(report: &Report, options: &Options<'_>) -> String {
    let issues: Vec<Issue<'_>> = report
        .findings
        .iter()
        .map(|f| Issue {
            description: format!("{} [{}]", f.message, f.rule),
            check_name: &f.rule,
            fingerprint: &f.fingerprint,
            severity: match f.level {
                Level::Error => "major",
                Level::Warning => "minor",
                Level::Note => "info",
            },
            location: Location {
                path: f.path.as_deref().or(options.anchor).unwrap_or("."),
                lines: Lines {
                    begin: f.span.map_or(1, |s| s.line),
                },
            },
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}
