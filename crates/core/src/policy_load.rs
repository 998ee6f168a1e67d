//! Loading a policy: [`Policy::recommended`], [`Policy::load_builtin`], [`Policy::load`] and
//! [`Policy::from_text`]. A lock (`[settings] locked`) compares a rule against its own level and
//! tier when no file sets them, and those of a built-in rule are in its `Meta`, so these entry
//! points sit above the rules and hand the policy layer's loader the table of them.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::finding::{Level, Tier};
use crate::policy::{normalize, FsReader, Loader, Policy, PolicyError, PolicyReader, PolicySource};

/// Each built-in rule's own level and tier, by id.
fn builtin_defaults() -> BTreeMap<&'static str, (Level, Tier)> {
    crate::rules::builtin()
        .iter()
        .map(|def| (def.meta.id, (def.meta.default_level, def.meta.tier)))
        .collect()
}

impl Policy {
    /// The policy that applies with no policy file: `builtin:recommended`.
    pub fn recommended() -> Result<Policy, PolicyError> {
        Policy::load_builtin("recommended")
    }

    /// Loads `builtin:NAME`.
    pub fn load_builtin(name: &str) -> Result<Policy, PolicyError> {
        let mut loader = Loader::new(&FsReader, builtin_defaults);
        loader.load_builtin(name, None)?;
        Ok(loader.finish())
    }

    /// Loads a policy file and everything it extends.
    pub fn load(path: &Path, reader: &dyn PolicyReader) -> Result<Policy, PolicyError> {
        let mut loader = Loader::new(reader, builtin_defaults);
        loader.load_path(&normalize(path), None)?;
        Ok(loader.finish())
    }

    /// Parses policy text given directly (for embedders and tests); relative `extends` resolve
    /// against `base_dir`.
    pub fn from_text(
        name: &str,
        text: &str,
        base_dir: &Path,
        reader: &dyn PolicyReader,
    ) -> Result<Policy, PolicyError> {
        let mut loader = Loader::new(reader, builtin_defaults);
        let source = Arc::new(PolicySource {
            name: name.to_owned(),
            text: text.to_owned(),
        });
        loader.load_source(source, Some(base_dir))?;
        Ok(loader.finish())
    }
}
