//! The fleet report as a document: headings, paragraphs, tables and charts computed once from
//! a [`FleetReport`], then written as Markdown or as a self-contained HTML page by two thin
//! writers that differ only in syntax and escaping.

use std::fmt::Write as _;

use goldpath::Tier;

use crate::{rate, FleetReport};

/// One block of the report, in order.
enum Block {
    /// A heading: level 1 or 2.
    Heading(u8, &'static str),
    /// A line of prose.
    Paragraph(Vec<Span>),
    Table(Table),
    /// A bar chart, drawn in HTML only (the Markdown tables carry the same numbers).
    Chart(Chart),
}

/// A piece of text and how a writer must treat it.
struct Span {
    text: String,
    style: Style,
}

#[derive(Clone, Copy)]
enum Style {
    /// Text the report computed (numbers, tier names, sentences): written as is.
    Plain,
    /// Text from a repository or a result file (names, owners, errors): escaped per medium.
    Text,
    /// A rule id: a code span.
    Code,
    /// A change in percentage points: HTML colours it by its sign.
    Change(Sign),
}

#[derive(Clone, Copy)]
enum Sign {
    Up,
    Down,
    Zero,
}

fn plain(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        style: Style::Plain,
    }
}

fn text(text: impl Into<String>) -> Span {
    Span {
        text: text.into(),
        style: Style::Text,
    }
}

struct Column {
    title: &'static str,
    /// Right-aligned.
    numeric: bool,
    /// Shown in Markdown only (in HTML, the chart above the table shows it).
    markdown_only: bool,
}

fn left(title: &'static str) -> Column {
    Column {
        title,
        numeric: false,
        markdown_only: false,
    }
}

fn right(title: &'static str) -> Column {
    Column {
        title,
        numeric: true,
        markdown_only: false,
    }
}

struct Table {
    columns: Vec<Column>,
    /// One span per column.
    rows: Vec<Vec<Span>>,
}

struct Chart {
    title: &'static str,
    /// Label, share in 0..=1, value text, colour.
    bars: Vec<(String, f64, String, &'static str)>,
}

/// The report's blocks, shared by both writers.
fn document(report: &FleetReport) -> Vec<Block> {
    let mut doc = vec![
        Block::Heading(1, "Fleet scorecard"),
        Block::Paragraph(vec![plain(format!(
            "{} repositories checked, {} could not be checked.",
            report.repos,
            report.broken.len()
        ))]),
        Block::Heading(2, "Tiers"),
    ];
    let colors = ["#d4a72c", "#8c959f", "#a0522d", "#cf222e"];
    doc.push(Block::Chart(Chart {
        title: "Repositories per tier",
        bars: report
            .tiers
            .rows()
            .iter()
            .zip(colors)
            .map(|((name, count), color)| {
                (
                    (*name).to_owned(),
                    rate(*count, report.repos),
                    format!("{count} ({})", percent(rate(*count, report.repos))),
                    color,
                )
            })
            .collect(),
    }));
    let trend = report.trend.as_ref();
    let mut columns = vec![
        left("Tier"),
        right("Repositories"),
        Column {
            markdown_only: true,
            ..right("Share")
        },
    ];
    if trend.is_some() {
        columns.push(right("Previous"));
    }
    let previous = trend.map(|t| t.previous_tiers.rows());
    let rows = report
        .tiers
        .rows()
        .into_iter()
        .enumerate()
        .map(|(i, (name, count))| {
            let mut row = vec![
                plain(name),
                plain(count.to_string()),
                plain(percent(rate(count, report.repos))),
            ];
            if let Some(prev) = &previous {
                row.push(plain(prev[i].1.to_string()));
            }
            row
        })
        .collect();
    doc.push(Block::Table(Table { columns, rows }));

    doc.push(Block::Heading(2, "Rule adoption"));
    if report.adoption.is_empty() {
        doc.push(Block::Paragraph(vec![plain(
            "Every repository passes every rule.",
        )]));
    } else {
        doc.push(Block::Chart(Chart {
            title: "Share of repositories passing each rule",
            bars: report
                .adoption
                .iter()
                .map(|a| (a.rule.clone(), a.rate, percent(a.rate), "#1a7f37"))
                .collect(),
        }));
        let mut columns = vec![left("Rule"), right("Passing"), right("Adoption")];
        if trend.is_some() {
            columns.push(right("Change"));
        }
        let rows = report
            .adoption
            .iter()
            .map(|a| {
                let mut row = vec![
                    Span {
                        text: a.rule.clone(),
                        style: Style::Code,
                    },
                    plain(format!("{}/{}", a.passing, a.total)),
                    plain(percent(a.rate)),
                ];
                if let Some(delta) = a.delta {
                    let sign = if delta > 0.0 {
                        Sign::Up
                    } else if delta < 0.0 {
                        Sign::Down
                    } else {
                        Sign::Zero
                    };
                    row.push(Span {
                        text: signed_points(delta),
                        style: Style::Change(sign),
                    });
                }
                row
            })
            .collect();
        doc.push(Block::Table(Table { columns, rows }));
    }

    doc.push(Block::Heading(2, "Worst offenders"));
    if report.worst_offenders.is_empty() {
        doc.push(Block::Paragraph(vec![plain(
            "No repository has an error or a warning.",
        )]));
    } else {
        doc.push(Block::Table(Table {
            columns: vec![
                left("Repository"),
                left("Owner"),
                left("Tier"),
                right("Errors"),
                right("Warnings"),
            ],
            rows: report
                .worst_offenders
                .iter()
                .map(|o| {
                    vec![
                        text(&o.repo),
                        text(o.owner.as_deref().unwrap_or("")),
                        plain(tier_name(o.tier)),
                        plain(o.errors.to_string()),
                        plain(o.warnings.to_string()),
                    ]
                })
                .collect(),
        }));
    }

    doc.push(Block::Heading(2, "Owners"));
    doc.push(Block::Table(Table {
        columns: vec![
            left("Owner"),
            right("Repositories"),
            right("Gold"),
            right("Silver"),
            right("Bronze"),
            right("None"),
            right("Pass rate"),
            right("Errors"),
        ],
        rows: report
            .owners
            .iter()
            .map(|o| {
                vec![
                    text(&o.owner),
                    plain(o.repos.to_string()),
                    plain(o.tiers.gold.to_string()),
                    plain(o.tiers.silver.to_string()),
                    plain(o.tiers.bronze.to_string()),
                    plain(o.tiers.none.to_string()),
                    plain(percent(o.pass_rate)),
                    plain(o.errors.to_string()),
                ]
            })
            .collect(),
    }));

    if let Some(trend) = trend {
        doc.push(Block::Heading(2, "Since the previous scan"));
        if trend.tier_changes.is_empty() {
            doc.push(Block::Paragraph(vec![plain("No tier changed.")]));
        } else {
            doc.push(Block::Table(Table {
                columns: vec![left("Repository"), left("Before"), left("Now")],
                rows: trend
                    .tier_changes
                    .iter()
                    .map(|c| {
                        vec![
                            text(&c.repo),
                            plain(tier_name(c.from)),
                            plain(tier_name(c.to)),
                        ]
                    })
                    .collect(),
            }));
        }
        for (label, repos) in [("New: ", &trend.added), ("Gone: ", &trend.removed)] {
            if !repos.is_empty() {
                doc.push(Block::Paragraph(vec![
                    plain(label),
                    text(repos.join(", ")),
                    plain("."),
                ]));
            }
        }
    }
    if !report.weak_policies.is_empty() {
        doc.push(Block::Heading(2, "Judged by a weaker policy"));
        doc.push(Block::Table(Table {
            columns: vec![
                left("Repository"),
                left("Policy"),
                left("Rules run"),
                left("Organisation's"),
            ],
            rows: report
                .weak_policies
                .iter()
                .map(|w| {
                    vec![
                        text(&w.repo),
                        text(w.policy.as_deref().unwrap_or("?")),
                        plain(w.rules_run.to_string()),
                        plain(w.org_rules.map_or("?".to_owned(), |n| n.to_string())),
                    ]
                })
                .collect(),
        }));
    }
    if !report.baseline_debt.is_empty() {
        let total: usize = report.baseline_debt.iter().map(|d| d.debt).sum();
        doc.push(Block::Heading(2, "Baseline debt"));
        doc.push(Block::Paragraph(vec![plain(format!(
            "{} in the baselines of {} (counted in the tiers above).",
            known_remain(total),
            repositories(report.baseline_debt.len())
        ))]));
        doc.push(Block::Table(Table {
            columns: vec![
                left("Repository"),
                left("Owner"),
                right("Known findings"),
                right("Entries"),
            ],
            rows: report
                .baseline_debt
                .iter()
                .map(|d| {
                    vec![
                        text(&d.repo),
                        text(d.owner.as_deref().unwrap_or("")),
                        plain(d.debt.to_string()),
                        plain(d.entries.to_string()),
                    ]
                })
                .collect(),
        }));
    }
    if !report.suppressions.is_empty() {
        let total: usize = report.suppressions.iter().map(|s| s.suppressed).sum();
        doc.push(Block::Heading(2, "Inline suppressions"));
        doc.push(Block::Paragraph(vec![plain(format!(
            "{total} finding{} accepted by `goldpath: ignore` comments in {} (not counted in \
             the tiers above).",
            if total == 1 { "" } else { "s" },
            repositories(report.suppressions.len())
        ))]));
        doc.push(Block::Table(Table {
            columns: vec![left("Repository"), left("Owner"), right("Suppressed")],
            rows: report
                .suppressions
                .iter()
                .map(|s| {
                    vec![
                        text(&s.repo),
                        text(s.owner.as_deref().unwrap_or("")),
                        plain(s.suppressed.to_string()),
                    ]
                })
                .collect(),
        }));
    }
    if !report.broken.is_empty() {
        doc.push(Block::Heading(2, "Not checked"));
        doc.push(Block::Table(Table {
            columns: vec![left("Repository"), left("Error")],
            rows: report
                .broken
                .iter()
                .map(|b| vec![text(&b.repo), text(&b.error)])
                .collect(),
        }));
    }
    doc
}

/// The report as Markdown: blocks separated by blank lines, charts left out.
pub(crate) fn markdown(report: &FleetReport) -> String {
    let mut out = String::new();
    for block in document(report) {
        if matches!(block, Block::Chart(_)) {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        match block {
            Block::Heading(level, title) => {
                let _ = writeln!(out, "{} {title}", "#".repeat(usize::from(level)));
            }
            Block::Paragraph(spans) => {
                for span in &spans {
                    out.push_str(&md_span(span));
                }
                out.push('\n');
            }
            Block::Table(table) => {
                out.push('|');
                for column in &table.columns {
                    let _ = write!(out, " {} |", column.title);
                }
                out.push_str("\n|");
                for column in &table.columns {
                    out.push_str(if column.numeric { "---:|" } else { "---|" });
                }
                out.push('\n');
                for row in &table.rows {
                    out.push('|');
                    for span in row {
                        let _ = write!(out, " {} |", md_span(span));
                    }
                    out.push('\n');
                }
            }
            Block::Chart(_) => {}
        }
    }
    out
}

fn md_span(span: &Span) -> String {
    match span.style {
        Style::Plain | Style::Change(_) => span.text.clone(),
        Style::Text => md(&span.text),
        Style::Code => goldpath::render::escape::markdown_code(&span.text),
    }
}

/// The report as a self-contained HTML page: inline CSS and SVG, no scripts, no external
/// resources.
pub(crate) fn html_page(report: &FleetReport) -> String {
    let mut out = String::new();
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Fleet scorecard</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1f2328;padding:0 1rem}\n\
         table{border-collapse:collapse;margin:1rem 0;width:100%}\n\
         th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}\n\
         td.n,th.n{text-align:right}\n\
         th{background:#f6f8fa}\n\
         .up{color:#1a7f37}.down{color:#cf222e}\n\
         svg text{font-size:12px;font-family:system-ui,sans-serif}\n\
         </style>\n</head>\n<body>\n",
    );
    for block in document(report) {
        match block {
            Block::Heading(level, title) => {
                let _ = writeln!(out, "<h{level}>{title}</h{level}>");
            }
            Block::Paragraph(spans) => {
                out.push_str("<p>");
                for span in &spans {
                    out.push_str(&html_span(span));
                }
                out.push_str("</p>\n");
            }
            Block::Table(table) => {
                out.push_str("<table>\n<tr>");
                for column in table.columns.iter().filter(|c| !c.markdown_only) {
                    let class = if column.numeric { " class=\"n\"" } else { "" };
                    let _ = write!(out, "<th{class}>{}</th>", column.title);
                }
                out.push_str("</tr>\n");
                for row in &table.rows {
                    out.push_str("<tr>");
                    for (span, column) in row
                        .iter()
                        .zip(&table.columns)
                        .filter(|(_, c)| !c.markdown_only)
                    {
                        let class = match (span.style, column.numeric) {
                            (Style::Change(Sign::Up), _) => " class=\"n up\"",
                            (Style::Change(Sign::Down), _) => " class=\"n down\"",
                            // `n ` as reports have always had it: no sign, no colour.
                            (Style::Change(Sign::Zero), _) => " class=\"n \"",
                            (_, true) => " class=\"n\"",
                            (_, false) => "",
                        };
                        let _ = write!(out, "<td{class}>{}</td>", html_span(span));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Chart(chart) => svg_bars(&mut out, chart.title, &chart.bars),
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn html_span(span: &Span) -> String {
    match span.style {
        Style::Plain | Style::Change(_) => span.text.clone(),
        Style::Text => html(&span.text),
        Style::Code => format!("<code>{}</code>", html(&span.text)),
    }
}

fn known_remain(n: usize) -> String {
    match n {
        1 => "1 known finding remains".to_owned(),
        n => format!("{n} known findings remain"),
    }
}

fn repositories(n: usize) -> String {
    match n {
        1 => "1 repository".to_owned(),
        n => format!("{n} repositories"),
    }
}

/// A horizontal bar chart: (label, share in 0..=1, value text, colour) per bar.
fn svg_bars(out: &mut String, title: &str, bars: &[(String, f64, String, &str)]) {
    const LABEL: usize = 260;
    const WIDTH: usize = 400;
    const ROW: usize = 22;
    let height = bars.len() * ROW + 4;
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"{}\" height=\"{height}\" \
         viewBox=\"0 0 {} {height}\"><title>{}</title>",
        LABEL + WIDTH + 120,
        LABEL + WIDTH + 120,
        html(title)
    );
    for (i, (label, share, value, color)) in bars.iter().enumerate() {
        let y = i * ROW + 2;
        let w = (share.clamp(0.0, 1.0) * WIDTH as f64).round() as usize;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\
             <rect x=\"{}\" y=\"{y}\" width=\"{WIDTH}\" height=\"{}\" fill=\"#eaeef2\"/>\
             <rect x=\"{}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            LABEL - 6,
            y + 14,
            html(label),
            LABEL,
            ROW - 6,
            LABEL,
            ROW - 6,
            LABEL + WIDTH + 6,
            y + 14,
            html(value)
        );
    }
    out.push_str("</svg>\n");
}

fn tier_name(tier: Option<Tier>) -> &'static str {
    tier.map(Tier::as_str).unwrap_or("none")
}

/// `0.5` → `50%`, `1/3` → `33.3%`.
fn percent(share: f64) -> String {
    let p = (share * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// A change of share in percentage points: `+25 pp`, `-10.5 pp`, `0 pp`.
fn signed_points(delta: f64) -> String {
    let p = (delta * 1000.0).round() / 10.0;
    let text = if p.fract() == 0.0 {
        format!("{:.0}", p.abs())
    } else {
        format!("{:.1}", p.abs())
    };
    if p > 0.0 {
        format!("+{text} pp")
    } else if p < 0.0 {
        format!("-{text} pp")
    } else {
        "0 pp".to_owned()
    }
}

/// Escapes text for HTML element content and attribute values. Control characters (ESC, BEL,
/// line breaks), which HTML cannot show and a terminal reading the file would obey, become
/// their Unicode control pictures, as in terminal output.
pub fn html(text: &str) -> String {
    let text = goldpath::render::escape::terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell: links, images, code spans and line breaks from a
/// catalog's owner or a repository's name stay text.
pub(crate) fn md(text: &str) -> String {
    goldpath::render::escape::markdown(text)
}
