//! Dependabot's configuration (`.github/dependabot.yml`): its `updates` entries, read from the
//! positioned YAML tree of [`crate::doc`].

use crate::doc::Node;

/// Dependabot's configuration files.
pub const PATHS: &[&str] = &[".github/dependabot.yml", ".github/dependabot.yaml"];

/// One entry of `updates`.
#[derive(Debug, Clone, Copy)]
pub struct Update<'a> {
    /// Position in the list, from 0.
    pub index: usize,
    /// The entry's mapping.
    pub node: &'a Node,
}

impl Update<'_> {
    /// `package-ecosystem`, when it is a string.
    pub fn ecosystem(&self) -> Option<&str> {
        self.node.get("package-ecosystem")?.as_str()
    }

    /// `directory`, or the first of `directories`, when it is a string.
    pub fn directory(&self) -> Option<&str> {
        self.node
            .get("directory")
            .and_then(Node::as_str)
            .or_else(|| self.node.get("directories")?.as_seq()?.first()?.as_str())
    }

    /// A short name for messages and fingerprints: `cargo in /`.
    pub fn label(&self) -> String {
        format!(
            "{} in {}",
            self.ecosystem().unwrap_or("?"),
            self.directory().unwrap_or("?")
        )
    }
}

/// The mappings of `updates` in a parsed configuration (others are left out).
pub fn updates(root: &Node) -> Vec<Update<'_>> {
    root.get("updates")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, n)| n.as_map().is_some())
        .map(|(index, node)| Update { index, node })
        .collect()
}

/// Whether `path` is Dependabot's configuration file.
pub fn is_config_path(path: &str) -> bool {
    PATHS.contains(&path)
}
