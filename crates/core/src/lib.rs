//! goldpath: hold a repository to an organisation's golden path.
//!
//! The library is what the `goldpath` binary is made of, for tools that want to run it
//! in-process: build a [`Policy`], an [`Engine`] from it and a [`Registry`], and check any
//! [`Snapshot`] (a git work tree, index or commit through `goldpath-git`, or a
//! [`MemorySnapshot`]).
#![warn(missing_docs)]

pub mod baseline;
pub mod ci;
pub mod context;
pub mod custom;
pub mod docs;
pub mod edit;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod glob;
pub mod inspect;
pub mod policy;
mod policy_load;
pub mod policy_show;
pub mod registry;
pub mod render;
pub mod rule;
pub mod rules;
pub mod safe_write;
pub mod schema;
pub mod select;
pub mod snapshot;
/// Positions in text: spans and the line index (of [`goldpath_document`]).
pub mod span {
    pub use goldpath_document::{LineIndex, Lines, Span};
}
pub mod suppression;
#[cfg(test)]
pub(crate) mod testing;
pub mod text;
pub mod vendored;

pub use engine::{Context, Engine, Report, Selection, Summary};
pub use finding::{Finding, Level, Tier, Violation};
/// CODEOWNERS parsing and matching (`goldpath-codeowners`), as the ownership rules use it.
pub use goldpath_codeowners as codeowners;
pub use goldpath_document as doc;
pub use policy::Params;
pub use policy::{Policy, PolicyError};
pub use registry::Registry;
pub use rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};
pub use snapshot::{FileEntry, FileMode, MemorySnapshot, PathChanges, Snapshot, SourceKind};
