//! Renderers: the same [`Report`] as text for people or data for tools.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use crate::engine::Report;
use crate::finding::Finding;
use crate::registry::Registry;

/// The output formats of `goldpath check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for a terminal: `path:line:col`, an excerpt and help.
    Human,
    /// The versioned JSON report (`docs/json-report.md`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations), plus a job summary.
    Github,
    /// A Markdown summary (pull-request comments, job summaries).
    Markdown,
    /// A GitLab Code Quality report.
    Gitlab,
    /// JUnit XML, which most CI systems render as test results.
    Junit,
}

impl Format {
    /// Every format's name, as `--format` takes it.
    pub const NAMES: [&'static str; 7] = [
        "human", "json", "sarif", "github", "markdown", "gitlab", "junit",
    ];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            "markdown" => Ok(Format::Markdown),
            "gitlab" => Ok(Format::Gitlab),
            "junit" => Ok(Format::Junit),
            _ => Err(format!(
                "unknown format `{s}`: expected one of {}",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// What renderers need beside the report.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// Rule metadata (descriptions and help for SARIF).
    pub registry: &'a Registry,
    /// The policy file, repository-relative, where formats that need a file for every result
    /// (SARIF for code scanning, GitLab Code Quality) put repository-wide findings.
    pub policy_path: &'a str,
    /// Use ANSI colours (human format).
    pub color: bool,
}

/// Renders a report in a format.
pub fn render(format: Format, report: &Report, options: &Options<'_>) -> String {
    match format {
        Format::Human => human::render(
            report,
            human::Options {
                color: options.color,
            },
        ),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report, options),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(report),
        Format::Gitlab => gitlab::render(report, options),
        Format::Junit => junit::render(report),
    }
}

/// `path:line:col`, `path`, or `(repository)`.
pub(crate) fn location(finding: &Finding) -> String {
    match (&finding.path, &finding.span) {
        (Some(path), Some(span)) => format!("{path}:{}:{}", span.line, span.column),
        (Some(path), None) => path.clone(),
        (None, _) => "(repository)".to_owned(),
    }
}
