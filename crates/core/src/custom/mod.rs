//! Custom declarative rules: `[[custom]]` tables in goldpath.toml.
//!
//! A custom rule is an id, a message and one condition that must hold (`require`) or must not
//! (`forbid`), optionally guarded by a `when` condition. `docs/custom-rules.md` is the user's
//! guide; this is the reference.
//!
//! ```toml
//! [[custom]]
//! id = "catalog/runbook"
//! message = "production services link a runbook"
//! help = "add a link titled Runbook under metadata.links"
//! level = "error"          # error (default), warning, note or off
//! tier = "silver"          # bronze (default), silver or gold
//! when = { file = "catalog-info.yaml", key = "spec.lifecycle", equals = "production" }
//! require = { file = "catalog-info.yaml", key = "metadata.links[*].url" }
//! ```
//!
//! # Conditions
//!
//! One form: `{ file = "glob", matches = "regex"?, key = "key.path"?, equals = value?,
//! one-of = [values]?, exists = bool? }`.
//!
//! - `file` is a glob of repository paths (see [`crate::glob`]); it is the only required key.
//! - Without `key`, `matches` is a regex searched in the whole text of each file, in multi-line
//!   mode (`^` and `$` match at line ends); each match is one hit. A file that is not UTF-8 is
//!   searched as bytes, and its columns count each invalid byte sequence as one character.
//! - `key` is a [`KeyPath`](crate::doc::KeyPath) (`a.b[*].c`) into `.json`, `.yaml`/`.yml`
//!   and `.toml` files (by extension, any case). A YAML file with several documents is searched
//!   in every document. With a key, at most one test: `equals`, `one-of`, `matches` (an
//!   unanchored search in the value's display text) or `exists`. Without a test, the key must
//!   exist (as `exists = true`); a key whose value is null exists.
//! - `equals` and `one-of` take strings, numbers and booleans (a TOML datetime counts as its
//!   text). A string equals any scalar whose display text is that string, so `"1"` equals a
//!   YAML `1` and `"true"` a YAML `true`; a number equals a number of the same value (`1`
//!   equals `1.0`) and never a string; a boolean equals only that boolean. Sequences and
//!   mappings never pass `equals`, `one-of` or `matches`.
//!
//! Every error in a condition is a [`PolicyError`] at its exact position: a bad glob, regex or
//! key path (at the offending character), `equals`/`one-of`/`exists` without `key`, two tests
//! in one condition (at the second), an empty `one-of`, an array or table where a scalar is
//! expected.
//!
//! # `require`
//!
//! - At least one file matches `file`; otherwise one repository-wide finding.
//! - With `matches`: every matching file has at least one match (a finding at each file
//!   without one).
//! - With `key`: every matching file parses, and in each the key path selects at least one
//!   value (in some document) and every selected value passes the test (a finding at each
//!   value that does not). With `exists = false`, the key selects nothing (a finding at each
//!   value found).
//!
//! # `forbid`
//!
//! - Every file matching `file` is a finding at that file.
//! - With `matches`: every match is a finding with the match's exact span.
//! - With `key`: every selected value that passes the test is a finding at that value (with
//!   no test or `exists = true`: every value found); with `exists = false`, every file where
//!   the key selects nothing is a finding at that file.
//!
//! # `when`
//!
//! The rule applies only when the `when` condition holds in the sense of `require`, decided
//! without findings. When a file `when` needs cannot be parsed (and no other file already
//! decides it), the rule cannot tell whether it applies: the parse errors are its findings.
//!
//! # Files that cannot be judged
//!
//! Never a silent pass. For a key condition, a matching file of another extension is a finding
//! ("cannot read keys from x: unsupported format"), as is a file that is not UTF-8 or does not
//! parse (at the parse error's position: "catalog-info.yaml is not valid YAML: ..."). Symlinks
//! and submodules have no contents and are skipped by `matches` and `key` conditions (they
//! still count as files for "some file matches"). Files over `settings.max-read-bytes` or that
//! fail to read are reported by `policy/unread-file` and skipped here.
//!
//! # Findings
//!
//! The message is the rule's `message`, a colon, and the detail: `production services link a
//! runbook: metadata.links[*].url is missing in catalog-info.yaml`. `help` is passed through.
//! Fingerprint keys never hold line numbers: they are made of the key path, the value or the
//! matched text (with its occurrence number), and the engine adds the rule id and the path.
//! Custom rules judge the whole repository ([`Scope::Repository`](crate::rule::Scope)), in
//! change mode too.

mod condition;
#[cfg(test)]
mod tests;

use crate::context::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{CustomSpec, LevelSetting, Origin, PolicyError};
use crate::rule::is_valid_id;
use crate::rule::Rule;

use condition::{Condition, Verdict};

/// A compiled custom rule.
pub struct Compiled {
    /// Level, `None` when off.
    pub level: Option<Level>,
    /// Tier.
    pub tier: Tier,
    /// The rule.
    pub rule: Box<dyn Rule>,
}

/// Whether the rule's condition must hold or must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Require,
    Forbid,
}

/// A custom rule, ready to check snapshots.
#[derive(Debug)]
struct CustomRule {
    message: String,
    help: Option<String>,
    when: Option<Condition>,
    mode: Mode,
    condition: Condition,
}

/// Compiles a `[[custom]]` table, validating globs, regexes and key paths with positions.
pub fn compile(spec: &CustomSpec) -> Result<Compiled, PolicyError> {
    let raw = &spec.raw;
    let source = &spec.origin.source;
    let id = raw.id.get_ref();
    if !is_valid_id(id) {
        let at = Origin {
            source: source.clone(),
            span: raw.id.span(),
        };
        return Err(at.error(format!(
            "custom rule id `{id}` must be `family/name` in lowercase letters, digits and dashes"
        )));
    }
    let (mode, condition) = match (&raw.require, &raw.forbid) {
        (Some(condition), None) => (Mode::Require, condition),
        (None, Some(condition)) => (Mode::Forbid, condition),
        (None, None) => {
            return Err(spec.origin.error(format!(
                "custom rule `{id}` needs `require` or `forbid`: what must hold, or must not"
            )))
        }
        (Some(_), Some(_)) => {
            return Err(spec.origin.error(format!(
                "custom rule `{id}` has both `require` and `forbid`; write one rule for each"
            )))
        }
    };
    if raw.message.trim().is_empty() {
        return Err(spec
            .origin
            .error(format!("custom rule `{id}` has an empty `message`")));
    }
    let when = raw
        .when
        .as_ref()
        .map(|when| Condition::compile(when, source, "when"))
        .transpose()?;
    let name = match mode {
        Mode::Require => "require",
        Mode::Forbid => "forbid",
    };
    let condition = Condition::compile(condition, source, name)?;
    Ok(Compiled {
        level: raw.level.unwrap_or(LevelSetting::Error).level(),
        tier: raw.tier.unwrap_or(Tier::Bronze),
        rule: Box::new(CustomRule {
            message: raw.message.trim().to_owned(),
            help: raw.help.clone(),
            when,
            mode,
            condition,
        }),
    })
}

impl CustomRule {
    /// The rule's message with the detail appended, and its help.
    fn finish(&self, mut v: Violation) -> Violation {
        v.message = format!("{}: {}", self.message, v.message);
        if let Some(help) = &self.help {
            v = v.help(help);
        }
        v
    }
}

impl Rule for CustomRule {
    fn wants(&self) -> Vec<String> {
        self.when
            .iter()
            .chain(std::iter::once(&self.condition))
            .filter_map(Condition::wants)
            .collect()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let mut found = Vec::new();
        if let Some(when) = &self.when {
            match when.holds(cx) {
                Verdict::Holds => {}
                Verdict::Fails => return,
                Verdict::Unknown(broken) => {
                    for mut v in broken {
                        v.message = format!("cannot tell whether the rule applies: {}", v.message);
                        v.key = v.key.map(|key| format!("when:{key}"));
                        out.push(self.finish(v));
                    }
                    return;
                }
            }
        }
        match self.mode {
            Mode::Require => self.condition.require(cx, &mut found),
            Mode::Forbid => self.condition.forbid(cx, &mut found),
        }
        out.extend(found.into_iter().map(|v| self.finish(v)));
    }
}
