//! The registry: every rule goldpath knows, in one ordered list.

use crate::rule::RuleDef;

/// An ordered set of rule definitions with unique ids.
#[derive(Debug, Clone)]
pub struct Registry {
    defs: Vec<RuleDef>,
}

impl Registry {
    /// The built-in rules.
    pub fn builtin() -> Self {
        Self {
            defs: crate::rules::builtin(),
        }
    }

    /// An empty registry (for embedders that want only their own rules).
    pub fn empty() -> Self {
        Self { defs: Vec::new() }
    }

    /// Adds a rule; fails if its id is taken or malformed.
    pub fn register(&mut self, def: RuleDef) -> Result<(), String> {
        let id = def.meta.id;
        if !is_valid_id(id) {
            return Err(format!(
                "rule id `{id}` must be `family/name` in lowercase letters, digits and dashes"
            ));
        }
        if self.get(id).is_some() {
            return Err(format!("rule id `{id}` is already registered"));
        }
        self.defs.push(def);
        Ok(())
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&RuleDef> {
        self.defs.iter().find(|d| d.meta.id == id)
    }

    /// Every rule, in order.
    pub fn iter(&self) -> impl Iterator<Item = &RuleDef> {
        self.defs.iter()
    }

    /// The known id closest to a misspelt one, if any is close.
    pub fn closest(&self, id: &str) -> Option<&'static str> {
        self.defs
            .iter()
            .map(|d| (edit_distance(id, d.meta.id), d.meta.id))
            .filter(|(distance, _)| *distance <= 3)
            .min()
            .map(|(_, id)| id)
    }
}

/// Rule ids are checked where rules are defined ([`crate::rule`]); kept here at its old path.
pub use crate::rule::is_valid_id;

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ids_are_unique_valid_and_documented() {
        let registry = Registry::builtin();
        let mut seen = std::collections::BTreeSet::new();
        for def in registry.iter() {
            let meta = def.meta;
            assert!(is_valid_id(meta.id), "{}", meta.id);
            assert!(seen.insert(meta.id), "duplicate id {}", meta.id);
            assert!(!meta.summary.is_empty(), "{} has no summary", meta.id);
            for (section, text) in [
                ("What it checks", meta.docs.what),
                ("Why", meta.docs.why),
                ("Example", meta.docs.example),
                ("How to fix", meta.docs.fix),
            ] {
                assert!(!text.trim().is_empty(), "{}: `{section}` is empty", meta.id);
            }
            for option in meta.options {
                assert!(
                    !option.help.is_empty(),
                    "{}: option {} undocumented",
                    meta.id,
                    option.name
                );
            }
        }
    }

    #[test]
    fn closest_suggests_near_ids() {
        let registry = Registry::builtin();
        assert_eq!(registry.closest("files/requird"), Some("files/required"));
        assert_eq!(registry.closest("zzz/zzzzzzzzzzzz"), None);
    }
}
