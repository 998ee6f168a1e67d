//! JUnit XML: one test case per finding (failed; a note, which blocks nothing, passes with the
//! finding as its output) and one per rule without findings (passed), so CI systems that
//! render test results show goldpath's.

use std::fmt::Write;

use crate::engine::Report;
use crate::finding::Level;

/// Escapes text for XML attributes and content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // As references, so that parsers do not normalise them (a `\r` in a file name
            // would become a line feed, a line break in an attribute a space).
            '\r' => out.push_str("&#13;"),
            '\n' => out.push_str("&#10;"),
            // Characters XML 1.0 cannot hold at all.
            c if ((c as u32) < 0x20 && c != '\t') || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML.
pub fn render(report: &Report) -> String {
    let passing: Vec<&str> = report
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !report.findings.iter().any(|f| f.rule == *id))
        .collect();
    let failures = report
        .findings
        .iter()
        .filter(|f| f.level != Level::Note)
        .count();
    let tests = report.findings.len() + passing.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"goldpath\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"goldpath\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    for finding in &report.findings {
        let family = finding.rule.split('/').next().unwrap_or_default();
        // A finding about the repository as a whole has no file: the attribute is left out.
        let file = finding
            .path
            .as_deref()
            .map(|p| format!(" file=\"{}\"", escape(p)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    <testcase classname=\"goldpath.{}\" name=\"{} {}\"{file}>",
            escape(family),
            escape(&finding.rule),
            escape(&super::location(finding)),
        );
        let mut body = format!("{}\n{}", super::location(finding), finding.message);
        if let Some(help) = &finding.help {
            let _ = write!(body, "\nhelp: {help}");
        }
        if finding.level == Level::Note {
            let _ = writeln!(out, "      <system-out>{}</system-out>", escape(&body));
        } else {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                finding.level,
                escape(&finding.message),
                escape(&body)
            );
        }
        out.push_str("    </testcase>\n");
    }
    for id in passing {
        let family = id.split('/').next().unwrap_or_default();
        let _ = writeln!(
            out,
            "    <testcase classname=\"goldpath.{}\" name=\"{}\"/>",
            escape(family),
            escape(id)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
