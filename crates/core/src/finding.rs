//! Findings: what the engine reports, and the violations rules produce.

use serde::{Deserialize, Serialize};

use crate::edit::Fix;
use crate::span::Span;

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Information; never blocks a tier.
    Note,
    /// Should be fixed; blocks the rule's tier.
    Warning,
    /// Must be fixed; blocks the rule's tier.
    Error,
}

impl Level {
    /// The lowercase name used in policy files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rung of the maturity ladder. Ordered: `Bronze < Silver < Gold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// The floor every repository meets.
    Bronze,
    /// The paved road.
    Silver,
    /// Fully on the golden path.
    Gold,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 3] = [Tier::Bronze, Tier::Silver, Tier::Gold];

    /// The lowercase name used in policy files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Bronze => "bronze",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
        }
    }
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule reports: a problem at a path (or the repository as a whole), before the engine
/// attaches the rule id, level, tier and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file, or `None` for the repository as a whole.
    pub path: Option<String>,
    /// Where in the file.
    pub span: Option<Span>,
    /// How to fix this instance, when the rule's general advice is not enough.
    pub help: Option<String>,
    /// What identifies this violation apart from its line: the fingerprint is computed from the
    /// rule id, the path and this key. Defaults to the message.
    pub key: Option<String>,
    /// Lowers the rule's configured level for this violation: the finding gets the lower of
    /// the two (a rule reporting errors and warnings at `level = "note"` reports notes).
    pub level: Option<Level>,
    /// Overrides the rule's tier for this violation.
    pub tier: Option<Tier>,
    /// The text at `span` is a secret: outputs show its line with the span masked, never the
    /// text itself.
    pub redact: bool,
    /// Edits that fix it, offered only when the engine was asked for fixes
    /// ([`Context::fix_options`](crate::context::Context::fix_options)).
    pub fix: Option<Fix>,
}

impl Violation {
    /// A violation of the repository as a whole.
    pub fn repo(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            path: None,
            span: None,
            help: None,
            key: None,
            level: None,
            tier: None,
            redact: false,
            fix: None,
        }
    }

    /// A violation at a file.
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: Some(path.into()),
            ..Self::repo(message)
        }
    }

    /// Sets the position in the file.
    pub fn span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// Sets instance-specific help.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the fingerprint key (what stays the same when lines move).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Lowers the level (see [`Violation::level`](#structfield.level)).
    pub fn level(mut self, level: Level) -> Self {
        self.level = Some(level);
        self
    }

    /// Overrides the tier.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = Some(tier);
        self
    }

    /// Marks the text at the span as a secret: the snippet outputs show masks it.
    pub fn redacted(mut self) -> Self {
        self.redact = true;
        self
    }

    /// Attaches the edits that fix it (`None` leaves it without).
    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
}

/// One reported problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id, `family/name`.
    pub rule: String,
    /// Level after policy.
    pub level: Level,
    /// Tier of the rule (or of this violation).
    pub tier: Tier,
    /// What is wrong.
    pub message: String,
    /// The file, or `None` for the repository as a whole.
    pub path: Option<String>,
    /// Where in the file.
    pub span: Option<Span>,
    /// How to fix it.
    pub help: Option<String>,
    /// Stable identity: rule, path and a normalised key, never the line number.
    pub fingerprint: String,
    /// The source line(s) the span points at, for human output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The edits that fix it, when the engine was asked for fixes (`goldpath fix`). Not part
    /// of the JSON report.
    #[serde(skip)]
    pub fix: Option<Fix>,
}

/// A stable 64-bit FNV-1a fingerprint of rule, path and key, as 16 hex digits.
///
/// FNV is fixed by its definition, so fingerprints stay comparable across goldpath versions
/// and platforms (std's hasher makes no such promise).
pub fn fingerprint(rule: &str, path: Option<&str>, key: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in [rule, path.unwrap_or(""), key] {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_separates_fields() {
        assert_eq!(
            fingerprint("a/b", Some("x"), "k"),
            fingerprint("a/b", Some("x"), "k")
        );
        assert_ne!(
            fingerprint("a/b", Some("x"), "k"),
            fingerprint("a/b", Some("xk"), "")
        );
        // A pinned value: changing the algorithm would break comparisons between commits.
        assert_eq!(fingerprint("", None, ""), "d94d12186c0f2fb7");
    }

    #[test]
    fn levels_and_tiers_are_ordered() {
        assert!(Level::Note < Level::Warning && Level::Warning < Level::Error);
        assert!(Tier::Bronze < Tier::Silver && Tier::Silver < Tier::Gold);
    }
}
