//! Text for people: each finding as `level[rule]: message`, its `path:line:col`, the source
//! lines it points at with a caret underline, and help; then a summary with the tier.

use std::fmt::Write;

use super::escape::{terminal, terminal_lines};
use crate::engine::Report;
use crate::finding::{Finding, Level};

/// Options of the human renderer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Use ANSI colours.
    pub color: bool,
}

struct Paint {
    color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn level(&self, level: Level) -> String {
        let code = match level {
            Level::Error => "1;31",
            Level::Warning => "1;33",
            Level::Note => "1;36",
        };
        self.wrap(code, level.as_str())
    }
    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
    fn dim(&self, text: &str) -> String {
        self.wrap("2", text)
    }
}

/// Renders a report for a terminal.
pub fn render(report: &Report, options: Options) -> String {
    let paint = Paint {
        color: options.color,
    };
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(&mut out, finding, &paint);
    }
    render_summary(&mut out, report, &paint);
    out
}

fn render_finding(out: &mut String, finding: &Finding, paint: &Paint) {
    let _ = writeln!(
        out,
        "{}{}: {}",
        paint.level(finding.level),
        paint.bold(&format!("[{}]", terminal(&finding.rule))),
        paint.bold(&terminal(&finding.message))
    );
    let location = terminal(&super::location(finding)).into_owned();
    let _ = writeln!(out, "  {} {location}", paint.dim("-->"));
    if let (Some(span), Some(snippet)) = (&finding.span, &finding.snippet) {
        let snippet = terminal_lines(snippet);
        let width = (span.line as usize + snippet.lines().count())
            .to_string()
            .len();
        let gutter = " ".repeat(width);
        let _ = writeln!(out, "  {gutter} {}", paint.dim("|"));
        for (offset, line) in snippet.lines().enumerate() {
            let number = span.line as usize + offset;
            let _ = writeln!(
                out,
                "  {} {} {line}",
                paint.dim(&format!("{number:>width$}")),
                paint.dim("|")
            );
            if offset == 0 {
                let start = span.column.max(1) as usize - 1;
                let line_chars = line.chars().count();
                let end = if span.end_line == span.line && span.end_column > span.column {
                    span.end_column as usize - 1
                } else {
                    line_chars.max(start + 1)
                };
                let indent: String = line
                    .chars()
                    .take(start)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let carets = "^".repeat(end.saturating_sub(start).max(1));
                let _ = writeln!(
                    out,
                    "  {gutter} {} {indent}{}",
                    paint.dim("|"),
                    paint.level_color(finding.level, &carets)
                );
            }
        }
    }
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "   = {}: {}", paint.bold("help"), terminal(help));
    }
    out.push('\n');
}

impl Paint {
    fn level_color(&self, level: Level, text: &str) -> String {
        let code = match level {
            Level::Error => "31",
            Level::Warning => "33",
            Level::Note => "36",
        };
        self.wrap(code, text)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// `4210` as `4,210`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn render_summary(out: &mut String, report: &Report, paint: &Paint) {
    let s = &report.summary;
    let mut line = format!(
        "{}, {}, {}",
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note")
    );
    if s.waived > 0 {
        if s.suppressed > 0 {
            let _ = write!(
                line,
                " ({} waived, {} of them by inline comments)",
                s.waived, s.suppressed
            );
        } else {
            let _ = write!(line, " ({} waived)", s.waived);
        }
    }
    let _ = write!(
        line,
        " in {} checked by {}",
        plural(s.files, "file"),
        plural(s.rules, "rule")
    );
    if report.target.changed_only {
        line.push_str(" (changed files only)");
    }
    let _ = writeln!(out, "{}", paint.bold(&line));
    if s.preexisting > 0 {
        let _ = writeln!(
            out,
            "{} not shown: the base has {} too, so this change did not introduce {}; `--all` \
             shows {}",
            plural(s.preexisting, "finding"),
            if s.preexisting == 1 { "it" } else { "them" },
            if s.preexisting == 1 { "it" } else { "them" },
            if s.preexisting == 1 { "it" } else { "them" },
        );
    }
    if s.skipped.files > 0 {
        let reasons: Vec<&str> = s.skipped.reasons.iter().map(|r| r.name.as_str()).collect();
        let _ = writeln!(
            out,
            "skipped {} vendored or generated {} ({}); `-v` lists them, `[settings] \
             include-vendored` checks them",
            thousands(s.skipped.files),
            if s.skipped.files == 1 {
                "file"
            } else {
                "files"
            },
            reasons.join(", ")
        );
    }
    if let Some(baseline) = &s.baseline {
        let _ = writeln!(out, "{}", terminal(&super::baseline_line(baseline)));
    }
    let tier = match s.tier {
        Some(tier) => format!("tier reached: {tier}"),
        None => "tier reached: none (bronze is the floor)".to_owned(),
    };
    let _ = write!(out, "{}", paint.bold(&tier));
    if s.partial {
        out.push_str(" (judging changed files only)");
    }
    match &s.next {
        Some(next) => {
            let _ = writeln!(
                out,
                "; {} blocked by {} ({})",
                next.tier,
                plural(next.blocking_findings, "finding"),
                terminal(&next.blocking_rules.join(", "))
            );
        }
        None => out.push('\n'),
    }
}
