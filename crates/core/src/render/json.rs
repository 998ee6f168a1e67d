//! The JSON report, schema version 1 (documented in `docs/json-report.md`).

use serde::Serialize;

use crate::engine::{Report, Summary, Target, WaivedFinding};
use crate::finding::Finding;

/// The version of the JSON report's schema. Adding fields keeps it; changing or removing one
/// bumps it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    target: &'a Target,
    findings: &'a [Finding],
    waived: &'a [WaivedFinding],
    summary: &'a Summary,
}

/// The report as pretty-printed JSON, with a trailing newline.
pub fn render(report: &Report) -> String {
    let document = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "goldpath",
            version: env!("CARGO_PKG_VERSION"),
        },
        target: &report.target,
        findings: &report.findings,
        waived: &report.waived,
        summary: &report.summary,
    };
    // Serializing plain data structures to a String cannot fail.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
