//! Custom declarative rules: `[[custom]]` tables in goldpath.toml.

use crate::finding::{Level, Tier};
use crate::policy::{CustomSpec, PolicyError};
use crate::rule::Rule;

/// A compiled custom rule.
pub struct Compiled {
    /// Level, `None` when off.
    pub level: Option<Level>,
    /// Tier.
    pub tier: Tier,
    /// The rule.
    pub rule: Box<dyn Rule>,
}

/// Compiles a `[[custom]]` table, validating globs, regexes and key paths with positions.
pub fn compile(spec: &CustomSpec) -> Result<Compiled, PolicyError> {
    Err(spec.origin.error("custom rules are not supported yet"))
}
