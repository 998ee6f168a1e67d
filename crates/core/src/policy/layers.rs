//! Layering: how a file's rule table merges over the files it extends (`extend-KEY`,
//! `replace`), and the locks (`[settings] locked`) that keep a later file from weakening a
//! rule an earlier one set.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{LevelSetting, Origin, PolicyError, RuleConfig};
use crate::finding::{Level, Tier};
use crate::glob::Glob;

/// Options of a locked rule that exempt paths or findings from it: a later file may not set
/// them, nor add to them with `extend-KEY`.
const EXEMPTING: &[&str] = &[
    "allow",
    "allow-wrappers",
    "exclude",
    "fixtures",
    "ignore",
    "trusted",
];

fn exempting(key: &str) -> bool {
    EXEMPTING.contains(&key) || key.starts_with("allow-") || key.starts_with("ignore-")
}

/// One glob of rule ids in a `[settings] locked` list.
#[derive(Debug, Clone)]
pub(crate) struct Lock {
    pub pattern: Glob,
    /// The glob as written.
    pub origin: Origin,
}

impl Lock {
    /// The file that wrote the lock: it alone may change or waive what it locks.
    fn file(&self) -> &str {
        &self.origin.source.name
    }
}

/// Every lock of the files merged so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct Locks {
    locks: Vec<Lock>,
}

impl Locks {
    /// Adds the globs of a `locked` list written at `at`.
    pub fn add(&mut self, patterns: Vec<String>, at: &Origin) -> Result<(), PolicyError> {
        for pattern in patterns {
            let origin = super::narrow_quoted(at, &pattern);
            let glob = Glob::new(&pattern).map_err(|e| origin.error(e))?;
            self.locks.push(Lock {
                pattern: glob,
                origin,
            });
        }
        Ok(())
    }

    /// A lock on rule `id` that binds `file` (a lock binds every file merged after the one
    /// that wrote it).
    pub fn binding(&self, id: &str, file: &str) -> Option<&Lock> {
        self.locks
            .iter()
            .find(|l| l.file() != file && l.pattern.is_match(id))
    }

    /// Any lock that binds `file`.
    pub fn any_binding(&self, file: &str) -> Option<&Lock> {
        self.locks.iter().find(|l| l.file() != file)
    }

    /// A lock binding `file` that a waiver of the rule glob `rule` would weaken: the waiver
    /// matches a locked id among `ids`, or one glob matches the other as written (`*` waives
    /// everything).
    pub fn waived<'a>(
        &self,
        rule: &Glob,
        file: &str,
        ids: impl Iterator<Item = &'a str> + Clone,
    ) -> Option<&Lock> {
        self.locks.iter().filter(|l| l.file() != file).find(|l| {
            l.pattern.is_match(rule.pattern())
                || rule.is_match(l.pattern.pattern())
                || ids
                    .clone()
                    .any(|id| l.pattern.is_match(id) && rule.is_match(id))
        })
    }

    /// The locked globs, in the order written.
    pub fn iter(&self) -> impl Iterator<Item = &Lock> {
        self.locks.iter()
    }
}

/// `replace` in a rule table: which lists this file replaces rather than extends.
enum Replace {
    None,
    All(Origin),
    Keys(BTreeMap<String, Origin>),
}

impl Replace {
    fn parse(value: toml::Value, at: &Origin, rule: &str) -> Result<Replace, PolicyError> {
        let bad = || {
            at.error(format!(
                "invalid `replace` for rule `{rule}`: expected true, false or an array of option \
                 names such as [\"paths\"]"
            ))
        };
        match value {
            toml::Value::Boolean(true) => Ok(Replace::All(at.clone())),
            toml::Value::Boolean(false) => Ok(Replace::None),
            toml::Value::Array(keys) => {
                let mut out = BTreeMap::new();
                for key in keys {
                    let toml::Value::String(key) = key else {
                        return Err(bad());
                    };
                    out.insert(key.clone(), super::narrow_quoted(at, &key));
                }
                Ok(Replace::Keys(out))
            }
            _ => Err(bad()),
        }
    }

    fn allows(&self, key: &str) -> Option<&Origin> {
        match self {
            Replace::None => None,
            Replace::All(at) => Some(at),
            Replace::Keys(keys) => keys.get(key),
        }
    }
}

/// Merges one file's `[rules."id"]` table over the rule's configuration so far. `lock` is the
/// lock that binds this file for the rule, if any (it binds only a rule an earlier file
/// enabled: a later file that enables a rule makes the policy stricter); `defaults` are the
/// rule's own level and tier, which apply when no file sets them.
pub(crate) fn merge_rule(
    id: &str,
    config: &mut RuleConfig,
    table: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    origin: &dyn Fn(std::ops::Range<usize>) -> Origin,
    lock: Option<&Lock>,
    defaults: &dyn Fn() -> (Level, Tier),
) -> Result<(), PolicyError> {
    let mut replace = Replace::None;
    let mut options = Vec::new();
    for (key, value) in table {
        let key_at = origin(key.span());
        let at = origin(value.span());
        let key = key.into_inner();
        let value = value.into_inner();
        match key.as_str() {
            "level" => {
                let level = LevelSetting::deserialize(value).map_err(|_| {
                    at.error("invalid `level`: expected error, warning, note or off")
                })?;
                if let Some(lock) = lock {
                    let current = config.level.map_or(Some(defaults().0), |l| l.level());
                    if level.level() < current {
                        return Err(at.error_with(
                            format!(
                                "rule `{id}` is locked: `level = \"{}\"` lowers it from {}",
                                level_name(level),
                                current.map_or("off", Level::as_str)
                            ),
                            "locked at",
                            &lock.origin,
                        ));
                    }
                }
                config.level = Some(level);
                config.level_origin = Some(at);
            }
            "tier" => {
                let tier = Tier::deserialize(value)
                    .map_err(|_| at.error("invalid `tier`: expected bronze, silver or gold"))?;
                if let Some(lock) = lock {
                    let current = config.tier.unwrap_or_else(|| defaults().1);
                    if tier > current {
                        return Err(at.error_with(
                            format!(
                                "rule `{id}` is locked: `tier = \"{tier}\"` moves it above {current}, \
                                 where its findings no longer block the lower tier"
                            ),
                            "locked at",
                            &lock.origin,
                        ));
                    }
                }
                config.tier = Some(tier);
                config.tier_origin = Some(at);
            }
            "replace" => {
                if let Some(lock) = lock {
                    return Err(key_at.error_with(
                        format!("rule `{id}` is locked: its lists cannot be replaced"),
                        "locked at",
                        &lock.origin,
                    ));
                }
                replace = Replace::parse(value, &at, id)?;
            }
            _ => options.push((key, key_at, value, at)),
        }
    }
    let written: Vec<String> = options.iter().map(|(key, ..)| key.clone()).collect();
    if let Replace::Keys(keys) = &replace {
        for (key, at) in keys {
            if !written.contains(key) {
                return Err(at.error(format!(
                    "`replace` names `{key}`, which this table of rule `{id}` does not set"
                )));
            }
        }
    }
    for (key, key_at, value, at) in options {
        if let Some(base) = key.strip_prefix("extend-") {
            if written.iter().any(|k| k == base) {
                return Err(key_at.error(format!(
                    "rule `{id}` sets both `{base}` and `{key}` in one table: write the whole \
                     list in `{base}` or add to the extended one with `{key}`"
                )));
            }
            if let Some(lock) = lock.filter(|_| exempting(base)) {
                return Err(key_at.error_with(
                    format!("rule `{id}` is locked: `{key}` would exempt more from it"),
                    "locked at",
                    &lock.origin,
                ));
            }
            config.params.extend(base, value, at, &key)?;
            continue;
        }
        if let Some(lock) = lock {
            let message = match config.params.get(&key) {
                Some((_, earlier)) => format!(
                    "rule `{id}` is locked: `{key}` cannot change the value set at {}{}",
                    earlier.position(),
                    if value.is_array() {
                        format!("; `extend-{key}` adds entries")
                    } else {
                        String::new()
                    }
                ),
                None if exempting(&key) => {
                    format!("rule `{id}` is locked: `{key}` would exempt paths or findings from it")
                }
                None => format!("rule `{id}` is locked: a later file cannot set `{key}`"),
            };
            // A locked rule's option may be added to (`extend-KEY`), not written.
            return Err(at.error_with(message, "locked at", &lock.origin));
        }
        let earlier = config
            .params
            .get(&key)
            .map(|(v, o)| (v.is_array(), o.clone()));
        match earlier {
            Some((was_list, earlier)) if (was_list || value.is_array()) => {
                if replace.allows(&key).is_none() {
                    return Err(at.error_with(
                        format!(
                            "`{key}` of rule `{id}` would replace the list an extended file set: \
                             write `extend-{key}` to add to it, or `replace = [\"{key}\"]` in this \
                             table to replace it"
                        ),
                        "set at",
                        &earlier,
                    ));
                }
                tracing::info!(
                    rule = id,
                    option = key.as_str(),
                    at = %at.position(),
                    replaced = %earlier.position(),
                    "policy replaces a list an extended file set"
                );
                config.params.replace(key, value, at, Some(earlier));
            }
            _ => config.params.set(key, value, at),
        }
    }
    Ok(())
}

fn level_name(level: LevelSetting) -> &'static str {
    match level {
        LevelSetting::Error => "error",
        LevelSetting::Warning => "warning",
        LevelSetting::Note => "note",
        LevelSetting::Off => "off",
    }
}
