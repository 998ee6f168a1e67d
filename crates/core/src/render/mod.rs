//! Renderers: the same [`Report`] as text for people or data for tools.

pub mod escape;
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
    /// A file of the repository (repository-relative) where formats that place every result
    /// in a file (SARIF for code scanning, GitLab Code Quality) put repository-wide findings:
    /// the policy file when the repository has it, else its README; see [`anchor`]. `None`
    /// when there is neither: SARIF then gives those results no location (which SARIF allows)
    /// and GitLab the path `.`, the repository root.
    pub anchor: Option<&'a str>,
    /// Use ANSI colours (human format).
    pub color: bool,
}

/// The file repository-wide findings are placed on in SARIF and GitLab reports: `policy` (the
/// policy file, repository-relative) when `files` has it, else the first root README. A
/// policy outside the repository (`--config`) or the built-in one used when there is none is
/// not a file of the repository, and a finding must never point at a file that does not exist.
pub fn anchor<'f>(policy: Option<&str>, files: &'f [crate::FileEntry]) -> Option<&'f str> {
    let has = |path: &str| {
        files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.path.as_str())
    };
    if let Some(found) = policy.and_then(has) {
        return Some(found);
    }
    files
        .iter()
        .filter(|f| !f.path.contains('/'))
        .filter(|f| {
            let lower = f.path.to_ascii_lowercase();
            lower == "readme" || lower.starts_with("readme.")
        })
        .map(|f| f.path.as_str())
        .min_by_key(|p| (!p.eq_ignore_ascii_case("README.md"), *p))
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

/// The summary's baseline sentence, the same in every format that has a summary.
pub(crate) fn baseline_line(b: &crate::engine::BaselineSummary) -> String {
    let known = match b.known {
        1 => "1 known finding in the baseline remains".to_owned(),
        n => format!("{n} known findings in the baseline remain"),
    };
    let stale = match b.stale {
        0 => String::new(),
        1 => "; 1 entry no longer occurs (`goldpath baseline` removes it)".to_owned(),
        n => format!("; {n} entries no longer occur (`goldpath baseline` removes them)"),
    };
    let entries = match b.entries {
        1 => "1 entry".to_owned(),
        n => format!("{n} entries"),
    };
    format!("{known} ({}, {entries}){stale}", b.file)
}
