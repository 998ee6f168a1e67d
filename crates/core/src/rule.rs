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

/// Declares a built-in rule: its registry entry `pub const RULE` and its metadata
/// `static META`, written once at the top of the rule's file.
///
/// Fields, in this order:
///
/// - `id`, `summary`: the rule's `family/name` and its one-line summary.
/// - `level`: a [`Level`] variant (`Error`, `Warning`, `Note`), the level when the policy
///   enables the rule without saying one.
/// - `tier`: a [`Tier`] variant (`Bronze`, `Silver`, `Gold`).
/// - `scope`: a [`Scope`] variant, `PerFile` or `Repository { path_list: true }`.
/// - `fixable` (optional, default `false`): whether `goldpath fix` fixes its findings.
/// - Either `rule: Name`, for a rule without options: the macro declares the unit struct
///   `Name` and a constructor that rejects nothing (the file implements [`Rule`] for it); or
///   `build: path`, the rule's own constructor, a `fn(&mut Params) -> Result<Box<dyn Rule>,
///   PolicyError>` that takes every option the rule accepts.
/// - `options` (optional, default none): the options it accepts, each written as the fields of
///   an [`OptionDoc`] in braces, or as the name of an `OptionDoc` constant several rules share.
/// - `what`, `why`, `example`, `fix`: the four [`Docs`] sections.
///
/// A rule with options:
///
/// ```ignore
/// use crate::rule::{declare_rule, Rule};
///
/// declare_rule! {
///     id: "files/example",
///     summary: "Files named `*.example` are not committed",
///     level: Warning,
///     tier: Silver,
///     scope: PerFile,
///     fixable: true,
///     build: build,
///     options: [{
///         name: "allow",
///         kind: "array of globs",
///         help: "Paths that may be committed anyway. Default: none.",
///     }],
///     what: "Every tracked file whose name ends in `.example`.",
///     why: "Example files are templates, not configuration.",
///     example: "`config.example` is reported; `config.toml` is not.",
///     fix: "Delete the file, or list it in `allow`.",
/// }
///
/// struct Example {
///     allow: GlobList,
/// }
///
/// fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
///     let allow = params.take_globs("allow")?.unwrap_or_default();
///     Ok(Box::new(Example { allow }))
/// }
///
/// impl Rule for Example { /* wants, check */ }
/// ```
///
/// A rule without options writes `rule: Example,` in place of `build: build,` (and no
/// `options`), then only `impl Rule for Example`.
///
/// `crate::rules::<family>::<name>::RULE` is what `rules::builtin()` lists; the file can name
/// its metadata as `META` (`META.id` in a message).
macro_rules! declare_rule {
    (
        id: $id:literal,
        summary: $summary:expr,
        level: $level:ident,
        tier: $tier:ident,
        scope: $scope:ident $({ $($scope_fields:tt)* })?,
        $(fixable: $fixable:literal,)?
        $(rule: $unit:ident,)?
        $(build: $build:path,)?
        $(options: [$($option:tt),* $(,)?],)?
        what: $what:expr,
        why: $why:expr,
        example: $example:expr,
        fix: $fix:expr $(,)?
    ) => {
        $crate::rule::declare_rule!(@unit $($unit)?);

        /// Registry entry.
        pub const RULE: $crate::rule::RuleDef = $crate::rule::RuleDef {
            meta: &META,
            build: $crate::rule::declare_rule!(@build ($($unit)?) ($($build)?)),
        };

        static META: $crate::rule::Meta = $crate::rule::Meta {
            id: $id,
            summary: $summary,
            default_level: $crate::finding::Level::$level,
            tier: $crate::finding::Tier::$tier,
            scope: $crate::rule::Scope::$scope $({ $($scope_fields)* })?,
            fixable: $crate::rule::declare_rule!(@or false $(, $fixable)?),
            options: &[$($($crate::rule::declare_rule!(@option $option)),*)?],
            docs: $crate::rule::Docs {
                what: $what,
                why: $why,
                example: $example,
                fix: $fix,
            },
        };
    };
    (@unit) => {};
    (@unit $unit:ident) => {
        struct $unit;
    };
    (@build ($unit:ident) ()) => {{
        fn build(
            _: &mut $crate::policy::Params,
        ) -> Result<Box<dyn $crate::rule::Rule>, $crate::policy::PolicyError> {
            Ok(Box::new($unit))
        }
        build
    }};
    (@build () ($build:path)) => {
        $build
    };
    (@build ($($unit:ident)?) ($($build:path)?)) => {
        compile_error!("declare_rule!: give exactly one of `rule: UnitStruct` or `build: fn`")
    };
    (@option { $($field:tt)* }) => {
        $crate::rule::OptionDoc { $($field)* }
    };
    (@option $shared:ident) => {
        $shared
    };
    (@or $default:literal) => {
        $default
    };
    (@or $default:literal, $value:literal) => {
        $value
    };
}
pub(crate) use declare_rule;

#[cfg(test)]
mod tests {
    use crate::finding::{Level, Tier};
    use crate::policy::{Params, PolicyError};
    use crate::rule::{Rule, Scope};

    mod unit {
        use crate::context::Context;
        use crate::finding::Violation;
        use crate::rule::Rule;

        declare_rule! {
            id: "test/unit",
            summary: "A rule without options",
            level: Note,
            tier: Gold,
            scope: Repository { path_list: false },
            rule: Unit,
            what: "what",
            why: "why",
            example: "example",
            fix: "fix",
        }

        impl Rule for Unit {
            fn check(&self, _: &Context<'_>, _: &mut Vec<Violation>) {}
        }
    }

    mod built {
        use super::{Params, PolicyError, Rule};
        use crate::context::Context;
        use crate::finding::Violation;

        declare_rule! {
            id: "test/built",
            summary: "A rule with options",
            level: Warning,
            tier: Silver,
            scope: PerFile,
            fixable: true,
            build: build,
            options: [
                {
                    name: "a",
                    kind: "boolean",
                    help: "first",
                },
                { name: "b", kind: "string", help: "second" },
                SHARED,
            ],
            what: "what",
            why: "why",
            example: "example",
            fix: "fix",
        }

        const SHARED: crate::rule::OptionDoc = crate::rule::OptionDoc {
            name: "c",
            kind: "integer",
            help: "shared",
        };

        struct Built;

        fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
            params.take::<bool>("a")?;
            Ok(Box::new(Built))
        }

        impl Rule for Built {
            fn check(&self, _: &Context<'_>, _: &mut Vec<Violation>) {}
        }

        pub(super) fn meta_id() -> &'static str {
            META.id
        }
    }

    #[test]
    fn a_unit_rule_gets_the_defaults_and_a_constructor_that_takes_nothing() {
        let meta = unit::RULE.meta;
        assert_eq!(meta.id, "test/unit");
        assert_eq!(meta.summary, "A rule without options");
        assert_eq!(meta.default_level, Level::Note);
        assert_eq!(meta.tier, Tier::Gold);
        assert_eq!(meta.scope, Scope::Repository { path_list: false });
        assert!(!meta.fixable);
        assert!(meta.options.is_empty());
        let docs = meta.docs;
        assert_eq!(
            [docs.what, docs.why, docs.example, docs.fix],
            ["what", "why", "example", "fix"]
        );
        assert!((unit::RULE.build)(&mut Params::new("test/unit")).is_ok());
    }

    #[test]
    fn a_rule_with_its_own_build_keeps_its_options_and_fixable() {
        let meta = built::RULE.meta;
        assert_eq!(built::meta_id(), "test/built");
        assert_eq!(meta.default_level, Level::Warning);
        assert_eq!(meta.tier, Tier::Silver);
        assert_eq!(meta.scope, Scope::PerFile);
        assert!(meta.fixable);
        let options: Vec<_> = meta
            .options
            .iter()
            .map(|o| (o.name, o.kind, o.help))
            .collect();
        assert_eq!(
            options,
            [
                ("a", "boolean", "first"),
                ("b", "string", "second"),
                ("c", "integer", "shared")
            ]
        );
        let mut params = Params::from_toml("test/built", "a = 1").unwrap();
        assert!((built::RULE.build)(&mut params).is_err());
    }
}
