//! CODEOWNERS files for GitHub and GitLab: read them into rules with precise diagnostics, and
//! answer who owns a path, quickly, for a whole repository at once.
//!
//! This crate stands alone (it does not depend on the rest of goldpath).
//!
//! ```
//! use goldpath_codeowners::{parse, Dialect, Severity};
//!
//! let file = "\
//! *        @acme/everyone
//! /docs/   @acme/docs  # inline comments are fine on GitHub
//! *.rs     @rustacean
//! /vendor/
//! ";
//! let co = parse(file, Dialect::GitHub);
//! assert!(co.diagnostics().is_empty());
//!
//! let who = co.owners_of("docs/guide/intro.md");
//! assert_eq!(who.rule().unwrap().line, 2);
//! let names: Vec<&str> = who.owners().map(|o| o.text.as_str()).collect();
//! assert_eq!(names, ["@acme/docs"]);
//!
//! // Last matching line wins; a pattern without owners makes files unowned.
//! assert_eq!(co.owners_of("src/main.rs").rule().unwrap().line, 3);
//! let vendored = co.owners_of("vendor/lib.c");
//! assert!(vendored.is_matched() && !vendored.is_owned());
//!
//! // Many paths at once: the rules are compiled into hash maps and a trie.
//! let all = co.owners_of_all(&["README.md", "docs/a.md", "x/y.rs"]);
//! assert_eq!(all[2].owners().next().unwrap().text, "@rustacean");
//!
//! // Problems come back as diagnostics, with line and columns.
//! let bad = parse("!secret @x\n*.md team\n", Dialect::GitHub);
//! let d = &bad.diagnostics()[1];
//! assert_eq!((d.line, d.column, d.end_column), (2, 6, 10));
//! assert_eq!(d.severity, Severity::Error);
//! ```
//!
//! GitLab files have sections; a path gets owners from every section that matches it:
//!
//! ```
//! use goldpath_codeowners::{parse, Dialect};
//!
//! let co = parse("\
//! * @admin
//! [Docs] @docs-team
//! *.md
//! !/CHANGELOG.md
//! [Ruby][2]
//! *.rb @ruby @@maintainer
//! ", Dialect::GitLab);
//! let who = co.owners_of("guide/intro.md");
//! let owners: Vec<&str> = who.owners().map(|o| o.text.as_str()).collect();
//! assert_eq!(owners, ["@admin", "@docs-team"]);
//! // The exclusion takes CHANGELOG.md out of the Docs section only.
//! let changelog = co.owners_of("CHANGELOG.md");
//! assert_eq!(changelog.owners().count(), 1);
//! assert!(changelog.decisions()[1].excluded);
//! assert_eq!(co.sections()[1].approvals, 2);
//! ```
//!
//! # Semantics
//!
//! **GitHub** ([About code owners](https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners)):
//! gitignore-style patterns; the last matching line wins; case-sensitive; a pattern with no
//! owners leaves its files unowned; `#` after whitespace starts a comment; `\ ` escapes a space.
//! A pattern without a slash (or with only a trailing one) matches at any depth, a leading or
//! inner slash anchors it at the root; a pattern matches a file and everything inside a directory
//! it names, except that a final `*` segment matches one level (`docs/*` owns `docs/a.md`, not
//! `docs/sub/b.md`); a trailing `/` matches only what is inside a directory. `!` negation, `[ ]`
//! ranges and a leading `\#` are not supported: negation and `\#` lines are errors and skipped
//! (GitHub skips lines with invalid syntax), brackets are warned about and match themselves.
//! Files over [`MAX_GITHUB_BYTES`] are not loaded by GitHub. The pattern semantics pass the
//! 153-case `hmarr/codeowners` conformance table (see `tests/conformance.rs`).
//!
//! **GitLab** ([Syntax](https://docs.gitlab.com/user/project/codeowners/reference/),
//! [Advanced](https://docs.gitlab.com/user/project/codeowners/advanced/)): patterns are
//! `File.fnmatch` globs with `FNM_PATHNAME | FNM_DOTMATCH`, rewritten the way GitLab does: a
//! pattern without a leading `/` matches at any depth (`internal/README.md` matches
//! `docs/internal/README.md`), a trailing `/` matches everything below, `*` and `**` at the end
//! match one level only (`/docs/*` matches `docs/a.md` but not `docs/api/b.md`; `foo/*` matches
//! `baz/foo/bar`), a pattern without a trailing slash never matches files inside a directory of
//! that name, and `[...]` is a character class. Sections `[Name]`, `^[Name]` (optional),
//! `[Name][n]` (approvals) and default owners after the heading; section names compare without
//! case and repeated sections merge; each section is decided by its own last matching entry, so
//! a path can have owners from several sections; `!pattern` excludes paths from the owners of
//! its section (whatever the order of lines); `@@developer`, `@@maintainer`, `@@owner` roles;
//! `\#` escapes a leading `#`; there are no inline comments (words after the pattern are owners).
//! An entry repeated with the same pattern in a section replaces the earlier one but keeps its
//! rank, as GitLab's parser does.
//!
//! # Speed
//!
//! Rules are compiled into an index keyed by the literal text patterns need (see the `index`
//! module notes): `cargo run --release -p goldpath-codeowners --example bench` times 100,000 paths
//! against 3,000 rules.
#![warn(missing_docs)]

mod codeowners;
mod diagnostic;
mod hash;
mod index;
mod location;
mod owner;
mod parse;
mod pattern;

pub use codeowners::{
    CodeOwners, Decision, Ownership, Rule, RuleStats, RuleUsage, Section, SectionHeader,
};
pub use diagnostic::{Diagnostic, DiagnosticCode, Severity};
pub use location::{choose_location, locations, LocationChoice};
pub use owner::{Owner, OwnerKind, Role};
pub use pattern::{Pattern, PatternError, MAX_PATTERN_BYTES};

/// GitHub does not load a CODEOWNERS file larger than this (3 MB).
pub const MAX_GITHUB_BYTES: usize = 3 * 1024 * 1024;

/// Which hosting service's rules a CODEOWNERS file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// GitHub (and GitHub Enterprise).
    GitHub,
    /// GitLab (sections, roles, exclusions, `File.fnmatch` patterns).
    GitLab,
}

impl Dialect {
    /// `"github"` or `"gitlab"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::GitHub => "github",
            Dialect::GitLab => "gitlab",
        }
    }
}

/// Parses CODEOWNERS text. Never fails: problems are reported by [`CodeOwners::diagnostics`].
/// Lines may end with `\n` or `\r\n`; a leading byte order mark is reported and skipped; text
/// holding a NUL byte is reported as binary and yields no rules.
pub fn parse(text: &str, dialect: Dialect) -> CodeOwners {
    parse::parse_text(text, dialect, Vec::new(), text.len())
}

/// Parses CODEOWNERS bytes: like [`parse`], but lines that are not valid UTF-8 are converted
/// lossily (invalid bytes become U+FFFD) and each gets an
/// [`InvalidUtf8`](DiagnosticCode::InvalidUtf8) diagnostic at its first invalid byte.
pub fn parse_bytes(bytes: &[u8], dialect: Dialect) -> CodeOwners {
    parse::parse_bytes(bytes, dialect)
}
