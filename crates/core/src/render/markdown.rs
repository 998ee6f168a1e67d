//! A Markdown summary: the tier, the counts, and a table of findings. Used for GitHub job
//! summaries and pull-request comments.

use std::fmt::Write;

use crate::engine::Report;

use super::escape::{markdown as cell, markdown_code as code};

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let s = &report.summary;
    let mut out = String::from("## goldpath\n\n");
    let tier = s.tier.map_or("none".to_owned(), |t| t.to_string());
    let count = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let waived = if s.waived > 0 {
        if s.suppressed > 0 {
            format!(" · {} waived ({} inline)", s.waived, s.suppressed)
        } else {
            format!(" · {} waived", s.waived)
        }
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "**Tier reached: {tier}**{} · {} · {} · {}{waived} · {} · {}\n",
        if s.partial {
            " (changed files only)"
        } else {
            ""
        },
        count(s.errors, "error"),
        count(s.warnings, "warning"),
        count(s.notes, "note"),
        count(s.files, "file"),
        count(s.rules, "rule"),
    );
    if s.preexisting > 0 {
        let _ = writeln!(
            out,
            "{} the base already had {} not shown: this change did not introduce them.\n",
            count(s.preexisting, "finding"),
            if s.preexisting == 1 { "is" } else { "are" },
        );
    }
    if let Some(baseline) = &s.baseline {
        let _ = writeln!(out, "{}\n", cell(&super::baseline_line(baseline)));
    }
    if let Some(next) = &s.next {
        let _ = writeln!(
            out,
            "{} is blocked by {} finding(s) of: {}\n",
            next.tier,
            next.blocking_findings,
            next.blocking_rules
                .iter()
                .map(|r| code(r))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    out.push_str("| level | rule | location | message |\n| --- | --- | --- | --- |\n");
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            finding.level,
            code(&finding.rule),
            code(&super::location(finding)),
            cell(&finding.message)
        );
    }
    out
}
