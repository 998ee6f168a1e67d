//! Renderers: the same [`Report`](crate::Report) as text for people or data for tools.

pub mod human;
pub mod json;

/// The output formats of `goldpath check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Text for a terminal: `path:line:col`, an excerpt and help.
    Human,
    /// The versioned JSON report (`docs/json-report.md`).
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format `{s}`: expected human or json")),
        }
    }
}
