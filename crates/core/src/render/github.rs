//! GitHub Actions workflow commands: one annotation per finding, errors first (GitHub shows at
//! most 10 errors and 10 warnings per step, 50 per job), escaped as the Actions toolkit does.

use std::fmt::Write;

use crate::engine::Report;
use crate::finding::Level;

/// Escapes a message (`%`, `\r`, `\n`), as `@actions/core` does for command data.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: the data escapes plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow commands for a report, errors then warnings then notices.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for level in [Level::Error, Level::Warning, Level::Note] {
        for finding in report.findings.iter().filter(|f| f.level == level) {
            let command = match level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "notice",
            };
            let mut properties = Vec::new();
            if let Some(path) = &finding.path {
                properties.push(format!("file={}", escape_property(path)));
            }
            if let Some(span) = &finding.span {
                properties.push(format!("line={}", span.line));
                properties.push(format!("endLine={}", span.end_line.max(span.line)));
                if span.end_line == span.line {
                    properties.push(format!("col={}", span.column));
                    properties.push(format!("endColumn={}", span.end_column.max(span.column)));
                }
            }
            properties.push(format!(
                "title={}",
                escape_property(&format!("goldpath {}", finding.rule))
            ));
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                let _ = write!(message, "\nhelp: {help}");
            }
            let _ = writeln!(
                out,
                "::{command} {}::{}",
                properties.join(","),
                escape_data(&message)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
