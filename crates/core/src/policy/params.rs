use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::{Origin, PolicyError};
use crate::glob::{Glob, GlobList};

/// The options of one rule, as merged from the policy and the packs it extends.
///
/// A rule's constructor takes the options it knows; [`Params::finish`] reports whatever is left
/// as an unknown key, with its position.
#[derive(Debug, Clone, Default)]
pub struct Params {
    rule: String,
    values: BTreeMap<String, (toml::Value, Origin)>,
    /// Where each option came from, beyond the origin kept with its value: the parts of a
    /// list that `extend-KEY` built from several files, and the value a `replace` replaced.
    provenance: BTreeMap<String, Provenance>,
    /// Every key a rule asked for, present or not: a test compares them with the options each
    /// rule documents.
    #[cfg(test)]
    asked: Vec<String>,
}

impl Params {
    /// The options as written, without where they were written (for a policy fingerprint).
    pub fn values(&self) -> impl Iterator<Item = (&str, &toml::Value)> {
        self.values
            .iter()
            .map(|(key, (value, _))| (key.as_str(), value))
    }

    pub(crate) fn new(rule: impl Into<String>) -> Self {
        Self {
            rule: rule.into(),
            values: BTreeMap::new(),
            provenance: BTreeMap::new(),
            #[cfg(test)]
            asked: Vec::new(),
        }
    }

    /// Options for a rule built outside a policy file (embedders, tests).
    pub fn from_toml(rule: &str, text: &str) -> Result<Self, PolicyError> {
        let source = std::sync::Arc::new(super::PolicySource {
            name: format!("<options of {rule}>"),
            text: text.to_owned(),
        });
        let table: BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>> =
            toml::from_str(text).map_err(|e| super::toml_error(&source, &e))?;
        let mut params = Self::new(rule);
        for (key, value) in table {
            let origin = Origin {
                source: source.clone(),
                span: value.span(),
            };
            params
                .values
                .insert(key.into_inner(), (value.into_inner(), origin));
        }
        Ok(params)
    }

    pub(crate) fn set(&mut self, key: String, value: toml::Value, origin: Origin) {
        self.provenance.remove(&key);
        self.values.insert(key, (value, origin));
    }

    /// The option `key` as merged so far: its value and where it was (first) written.
    pub fn get(&self, key: &str) -> Option<(&toml::Value, &Origin)> {
        self.values.get(key).map(|(value, origin)| (value, origin))
    }

    /// Every option with its origin and provenance, in key order (for `policy show`).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &toml::Value, &Origin, Provenance)> {
        self.values.iter().map(|(key, (value, origin))| {
            let provenance = self.provenance.get(key).cloned().unwrap_or_default();
            (key.as_str(), value, origin, provenance)
        })
    }

    /// The parts of the list `key`, one per file that wrote entries of it, in order: how many
    /// entries each holds and where they are written. `None` when the option is not set.
    pub fn parts(&self, key: &str) -> Option<Vec<(usize, Origin)>> {
        let (value, origin) = self.values.get(key)?;
        match self.provenance.get(key) {
            Some(p) if !p.parts.is_empty() => Some(p.parts.clone()),
            _ => Some(vec![(value.as_array().map_or(1, Vec::len), origin.clone())]),
        }
    }

    /// Sets `key` to `value` written at `origin`, replacing an earlier value; `replaced` is
    /// where that earlier value was written, when a `replace` allowed it.
    pub(crate) fn replace(
        &mut self,
        key: String,
        value: toml::Value,
        origin: Origin,
        replaced: Option<Origin>,
    ) {
        self.provenance.remove(&key);
        if let Some(replaced) = replaced {
            self.provenance.insert(
                key.clone(),
                Provenance {
                    parts: Vec::new(),
                    replaced: Some(replaced),
                },
            );
        }
        self.values.insert(key, (value, origin));
    }

    /// Appends the entries of `value` (an array written at `origin`) to the list `key`: what
    /// `extend-KEY` does. Without an earlier value, the entries become the list.
    pub(crate) fn extend(
        &mut self,
        key: &str,
        value: toml::Value,
        origin: Origin,
        extend_key: &str,
    ) -> Result<(), PolicyError> {
        let toml::Value::Array(added) = value else {
            return Err(origin.error(format!(
                "`{extend_key}` of rule `{}` must be an array: it adds entries to the list `{key}`",
                self.rule
            )));
        };
        let Some((current, first)) = self.values.get_mut(key) else {
            let count = added.len();
            self.values
                .insert(key.to_owned(), (toml::Value::Array(added), origin.clone()));
            self.provenance.insert(
                key.to_owned(),
                Provenance {
                    parts: vec![(count, origin)],
                    replaced: None,
                },
            );
            return Ok(());
        };
        let toml::Value::Array(list) = current else {
            return Err(origin.error(format!(
                "`{extend_key}` of rule `{}` adds to a list, but `{key}` is not one (set at {})",
                self.rule,
                first.position()
            )));
        };
        let earlier = list.len();
        let first = first.clone();
        list.extend(added);
        let count = list.len() - earlier;
        let provenance = self.provenance.entry(key.to_owned()).or_default();
        if provenance.parts.is_empty() {
            provenance.parts.push((earlier, first));
        }
        provenance.parts.push((count, origin));
        Ok(())
    }

    /// The rule these options belong to.
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// Takes an option and deserializes it. Type errors name the option and its position.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, PolicyError> {
        #[cfg(test)]
        self.asked.push(key.to_owned());
        let Some((value, origin)) = self.values.remove(key) else {
            return Ok(None);
        };
        T::deserialize(value).map(Some).map_err(|e| {
            origin.error(format!(
                "invalid `{key}` for rule `{}`: {}",
                self.rule,
                e.message()
            ))
        })
    }

    /// Takes an option with its origin, for validation with positions.
    pub fn take_with_origin<T: DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<(T, Origin)>, PolicyError> {
        #[cfg(test)]
        self.asked.push(key.to_owned());
        let origin = match self.values.get(key) {
            Some((_, origin)) => origin.clone(),
            None => return Ok(None),
        };
        Ok(self.take(key)?.map(|value| (value, origin)))
    }

    /// Takes an array of globs, compiled; a bad glob is an error at its position (in the file
    /// that wrote it, when `extend-KEY` built the list from several).
    pub fn take_globs(&mut self, key: &str) -> Result<Option<GlobList>, PolicyError> {
        let parts = self.parts(key).unwrap_or_default();
        let Some((patterns, origin)) = self.take_with_origin::<Vec<String>>(key)? else {
            return Ok(None);
        };
        let mut origins = parts
            .into_iter()
            .flat_map(|(count, origin)| std::iter::repeat_n(origin, count));
        let mut globs = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let at = origins.next().unwrap_or_else(|| origin.clone());
            let glob = Glob::new(&pattern).map_err(|e| at.narrow_to(&pattern).error(e))?;
            globs.push(glob);
        }
        Ok(Some(GlobList::new(globs)))
    }

    /// Takes a regex; a bad one is an error at its position.
    pub fn take_regex(&mut self, key: &str) -> Result<Option<regex::Regex>, PolicyError> {
        let Some((pattern, origin)) = self.take_with_origin::<String>(key)? else {
            return Ok(None);
        };
        compile_regex(&pattern, &origin).map(Some)
    }

    /// The keys asked for so far, in order (with repeats).
    #[cfg(test)]
    pub(crate) fn asked(&self) -> &[String] {
        &self.asked
    }

    /// Fails on any option the rule did not take.
    pub fn finish(self) -> Result<(), PolicyError> {
        match self.values.into_iter().next() {
            None => Ok(()),
            Some((key, (_, origin))) => Err(origin.error(format!(
                "unknown option `{key}` for rule `{}` (`goldpath explain {}` lists its options)",
                self.rule, self.rule
            ))),
        }
    }
}

/// How an option came to its merged value.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// For a list that `extend-KEY` added to: each file's entries, in order (how many, and
    /// where they are written). Empty when one file wrote the whole value.
    pub parts: Vec<(usize, Origin)>,
    /// The earlier value that a `replace` replaced, when one did.
    pub replaced: Option<Origin>,
}

/// Compiles a regex from the policy, with an error at its position.
pub fn compile_regex(pattern: &str, origin: &Origin) -> Result<regex::Regex, PolicyError> {
    regex::RegexBuilder::new(pattern)
        .multi_line(true)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or_default().trim().to_owned();
            origin
                .narrow_to(pattern)
                .error(format!("invalid regex `{pattern}`: {last}"))
        })
}
