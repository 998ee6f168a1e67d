//! SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it: rule metadata (short
//! and full descriptions, help), one result per finding with its location and
//! `partialFingerprints`, waived findings as suppressed results.

use serde_json::{json, Value};

use super::Options;
use crate::engine::Report;
use crate::finding::{Finding, Level};

/// GitHub code scanning accepts at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const DOCS: &str = "https://github.com/goldpath/goldpath/blob/main/docs/rules.md";

fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

/// Percent-encodes a repository path into a relative URI reference.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn result(finding: &Finding, rule_index: Option<usize>, options: &Options<'_>) -> Value {
    let mut region = serde_json::Map::new();
    if let Some(span) = &finding.span {
        region.insert("startLine".into(), json!(span.line));
        region.insert("startColumn".into(), json!(span.column));
        region.insert("endLine".into(), json!(span.end_line.max(span.line)));
        let end_column = if span.end_line > span.line || span.end_column > span.column {
            span.end_column
        } else {
            span.column + 1
        };
        region.insert("endColumn".into(), json!(end_column));
    }
    if region.is_empty() {
        // A finding about a whole file (or the repository): its first line, which viewers
        // need to anchor an annotation.
        region.insert("startLine".into(), json!(1));
    }
    // A repository-wide finding goes on the anchor file (code scanning shows only results in
    // files); without one it has no location, which SARIF allows (§3.27.12).
    let locations = match finding.path.as_deref().or(options.anchor) {
        Some(path) => json!([{ "physicalLocation": {
            "artifactLocation": { "uri": uri(path), "uriBaseId": "SRCROOT" },
            "region": Value::Object(region)
        }}]),
        None => json!([]),
    };
    let mut message = finding.message.clone();
    if finding.path.is_none() {
        message.push_str(" (repository-wide)");
    }
    if let Some(help) = &finding.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut result = json!({
        "ruleId": finding.rule,
        "level": level(finding.level),
        "message": { "text": message },
        "locations": locations,
        "partialFingerprints": { "goldpath/v1": finding.fingerprint },
        "properties": { "tier": finding.tier.as_str() }
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    result
}

/// A rule's readable name, distinct from its id as SARIF asks: `ci/unpinned-action` is
/// `CiUnpinnedAction`.
pub fn pascal_case(id: &str) -> String {
    id.split(['/', '-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The report as a SARIF 2.1.0 log with one run.
pub fn render(report: &Report, options: &Options<'_>) -> String {
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|run| {
            let meta = options.registry.get(&run.id).map(|d| d.meta);
            let anchor = run.id.replace('/', "");
            let (short, full, help_text, help_markdown) = match meta {
                Some(meta) => (
                    meta.summary.to_owned(),
                    meta.docs.what.to_owned(),
                    format!("{}\n\nHow to fix: {}", meta.docs.why, meta.docs.fix),
                    crate::docs::rule_markdown(meta, 2),
                ),
                None => {
                    let text = format!("{} (a custom rule of the policy)", run.id);
                    (text.clone(), text.clone(), text.clone(), text)
                }
            };
            json!({
                "id": run.id,
                "name": pascal_case(&run.id),
                "shortDescription": { "text": short },
                "fullDescription": { "text": full },
                "help": { "text": help_text, "markdown": help_markdown },
                "helpUri": format!("{DOCS}#{anchor}"),
                "defaultConfiguration": { "level": level(run.level) },
                "properties": {
                    "tags": [run.id.split('/').next().unwrap_or_default(), run.tier.as_str()],
                    "tier": run.tier.as_str()
                }
            })
        })
        .collect();
    let index_of = |id: &str| report.rules.iter().position(|r| r.id == id);

    let mut results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, index_of(&f.rule), options))
        .collect();
    for waived in &report.waived {
        let mut r = result(&waived.finding, index_of(&waived.finding.rule), options);
        let mut justification = waived.reason.clone();
        if let Some(owner) = &waived.owner {
            justification.push_str(&format!(" (owner {owner})"));
        }
        if let Some(expires) = &waived.expires {
            justification.push_str(&format!(" (expires {expires})"));
        }
        let kind = if waived.inline {
            "inSource"
        } else {
            "external"
        };
        r["suppressions"] = json!([{ "kind": kind, "justification": justification }]);
        results.push(r);
    }
    let mut notifications = Vec::new();
    if results.len() > MAX_RESULTS {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!(
                "{} results were truncated to {MAX_RESULTS}, the most code scanning accepts",
                results.len()
            ) }
        }));
        results.truncate(MAX_RESULTS);
    }

    let mut run = json!({
        "tool": {
            "driver": {
                "name": "goldpath",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/goldpath/goldpath",
                "rules": rules
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
        "invocations": [{
            "executionSuccessful": true,
            "toolExecutionNotifications": notifications
        }],
        "properties": {
            "tier": report.summary.tier.map(|t| t.as_str()),
            "changedOnly": report.target.changed_only,
            "commit": report.target.commit
        }
    });
    // Known findings are left out, not emitted as `baselineState: "unchanged"`: code scanning
    // would show them as open alerts, which is what the baseline exists to avoid.
    if let Some(baseline) = &report.summary.baseline {
        run["properties"]["baseline"] = json!(baseline);
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run]
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::{pascal_case, uri};

    #[test]
    fn rule_names_differ_from_ids() {
        assert_eq!(pascal_case("ci/unpinned-action"), "CiUnpinnedAction");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("src/a b/ü.rs"), "src/a%20b/%C3%BC.rs");
        assert_eq!(uri("a%b#c"), "a%25b%23c");
    }
}
