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
        self.values.insert(key, (value, origin));
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

    /// Takes an array of globs, compiled; a bad glob is an error at its position.
    pub fn take_globs(&mut self, key: &str) -> Result<Option<GlobList>, PolicyError> {
        let Some((patterns, origin)) = self.take_with_origin::<Vec<String>>(key)? else {
            return Ok(None);
        };
        let mut globs = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let glob = Glob::new(&pattern).map_err(|e| origin.narrow_to(&pattern).error(e))?;
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
