//! The rule interface: static metadata, documentation and the check itself.

use crate::context::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};

/// Which files a rule judges when the snapshot carries a changed set (staged and pull-request
/// modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each file on its own: only changed files are judged in change mode.
    PerFile,
    /// The repository as a whole (a required file, an ownership table): always every file.
    ///
    /// In change mode the rule runs only when what its judgement depends on changed: the
    /// contents of a file matching its [`inputs`](Rule::inputs) (added, modified or removed),
    /// or, when `path_list` is true, the list of paths (a path added, removed or renamed).
    /// Otherwise the change cannot have introduced one of its findings.
    Repository {
        /// Whether the rule's judgement depends on which paths exist (a required file, a
        /// CODEOWNERS pattern that matches nothing), beyond the contents of its inputs.
        path_list: bool,
    },
}

/// A rule's documentation, in the four sections `docs/rules.md` and `goldpath explain` show.
#[derive(Debug, Clone, Copy)]
pub struct Docs {
    /// What the rule checks.
    pub what: &'static str,
    /// Why it matters.
    pub why: &'static str,
    /// An example that is reported, and one that is not.
    pub example: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
}

/// One option a rule accepts in `[rules."id"]`.
#[derive(Debug, Clone, Copy)]
pub struct OptionDoc {
    /// The key.
    pub name: &'static str,
    /// Its type, as a user writes it (e.g. `array of globs`).
    pub kind: &'static str,
    /// What it does, including the default.
    pub help: &'static str,
}

/// Static metadata of a rule.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    /// `family/name`.
    pub id: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Level when the policy enables the rule without saying one.
    pub default_level: Level,
    /// Rung of the maturity ladder the rule belongs to.
    pub tier: Tier,
    /// Which files it judges in change mode.
    pub scope: Scope,
    /// Whether `goldpath fix` can fix its findings.
    pub fixable: bool,
    /// Options accepted in the policy.
    pub options: &'static [OptionDoc],
    /// The four documentation sections.
    pub docs: Docs,
}

/// A configured rule, ready to check snapshots.
pub trait Rule: Send + Sync {
    /// Globs of the files whose contents the rule reads. The engine reads each such file once,
    /// in parallel, before rules run; [`Context::wanted`] lists them.
    fn wants(&self) -> Vec<String> {
        Vec::new()
    }

    /// Globs of the files whose contents a repository-wide rule's judgement depends on: in
    /// change mode it runs only when one of them changed (see [`Scope::Repository`]). The
    /// default is [`wants`](Rule::wants); a rule that also reads files through
    /// [`Context::read`] (an included pipeline file, a placeholder in a required file) lists
    /// them here too.
    fn inputs(&self) -> Vec<String> {
        self.wants()
    }

    /// Checks the snapshot seen through `cx` and pushes what it finds.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>);
}

/// A rule as the registry knows it: metadata and a constructor from policy options.
#[derive(Clone, Copy)]
pub struct RuleDef {
    /// Metadata and docs.
    pub meta: &'static Meta,
    /// Builds the rule from its options. Take every option you accept from `params`; the
    /// engine reports the rest as unknown keys.
    pub build: fn(&mut Params) -> Result<Box<dyn Rule>, PolicyError>,
}

impl std::fmt::Debug for RuleDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleDef")
            .field("id", &self.meta.id)
            .finish()
    }
}

/// Whether `id` is `family/name`, lowercase ASCII letters, digits and dashes.
pub fn is_valid_id(id: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    matches!(id.split_once('/'), Some((family, name)) if ok(family) && ok(name))
}
