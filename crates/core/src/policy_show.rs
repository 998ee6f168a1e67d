//! `goldpath policy show`: the effective policy, every value with the file and line it came
//! from (like `git config --show-origin`), as TOML with comments or as JSON.
//!
//! It reads the registry (the level and tier a rule has when no file sets them), so it sits above
//! it and not in the policy layer; it was `goldpath::policy::show`.

use serde_json::{json, Map, Value as Json};

use crate::finding::{Level, Tier};
use crate::policy::{LevelSetting, Origin, Policy, Settings};
use crate::registry::Registry;

/// The output formats of `policy show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML, each value followed by a comment naming where it came from.
    Toml,
    /// JSON, each value as `{"value": ..., "origin": {"file", "line", "column"}}`.
    Json,
}

/// One value and where it was written (`None`: a default).
struct Shown {
    value: toml::Value,
    origin: Option<Origin>,
}

/// A list whose entries may come from several files.
struct ShownList {
    entries: Vec<Shown>,
    /// The value a `replace` replaced.
    replaced: Option<Origin>,
}

enum Item {
    One(Shown),
    List(ShownList),
}

struct ShownRule {
    id: String,
    level: Shown,
    tier: Shown,
    options: Vec<(String, Item)>,
}

struct Model {
    sources: Vec<String>,
    settings: Vec<(String, Item)>,
    rules: Vec<ShownRule>,
    off: Vec<(String, Option<Origin>)>,
    custom: Vec<Vec<(String, Shown)>>,
    waivers: Vec<Vec<(String, Shown)>>,
}

/// Renders the effective policy. `registry` gives the level and tier of rules the policy
/// does not set.
pub fn render(policy: &Policy, registry: &Registry, format: Format) -> String {
    let model = model(policy, registry);
    match format {
        Format::Toml => to_toml(&model),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&to_json(&model)).unwrap_or_default();
            text.push('\n');
            text
        }
    }
}

fn model(policy: &Policy, registry: &Registry) -> Model {
    let settings = settings(policy);
    let mut rules = Vec::new();
    let mut off = Vec::new();
    for (id, config) in &policy.rules {
        let custom = policy.custom.iter().find(|c| c.raw.id.get_ref() == id);
        let (default_level, default_tier) = match (registry.get(id), custom) {
            (Some(def), _) => (Some(def.meta.default_level), def.meta.tier),
            (None, Some(c)) => (
                c.raw.level.unwrap_or(LevelSetting::Error).level(),
                c.raw.tier.unwrap_or(Tier::Bronze),
            ),
            (None, None) => (Some(Level::Error), Tier::Bronze),
        };
        let level = match config.level {
            Some(level) => level.level(),
            None => default_level,
        };
        let Some(level) = level else {
            off.push((id.clone(), config.level_origin.clone()));
            continue;
        };
        let options = config
            .params
            .entries()
            .map(|(key, value, origin, provenance)| {
                let item = match value.as_array() {
                    Some(list) => {
                        let parts = if provenance.parts.is_empty() {
                            vec![(list.len(), origin.clone())]
                        } else {
                            provenance.parts.clone()
                        };
                        Item::List(ShownList {
                            entries: list_entries(list, &parts),
                            replaced: provenance.replaced,
                        })
                    }
                    None => Item::One(Shown {
                        value: value.clone(),
                        origin: Some(origin.clone()),
                    }),
                };
                (key.to_owned(), item)
            })
            .collect();
        rules.push(ShownRule {
            id: id.clone(),
            level: Shown {
                value: toml::Value::String(level.as_str().to_owned()),
                origin: config.level_origin.clone(),
            },
            tier: Shown {
                value: toml::Value::String(config.tier.unwrap_or(default_tier).as_str().to_owned()),
                origin: config.tier_origin.clone(),
            },
            options,
        });
    }
    let custom = policy
        .custom
        .iter()
        .map(|c| {
            let at = Some(c.origin.clone());
            let mut fields = vec![(
                "id".to_owned(),
                Shown {
                    value: toml::Value::String(c.raw.id.get_ref().clone()),
                    origin: at.clone(),
                },
            )];
            let level = c.raw.level.unwrap_or(LevelSetting::Error);
            let level = level.level().map_or("off", Level::as_str);
            fields.push(("level".to_owned(), text(level, at.clone())));
            let tier = c.raw.tier.unwrap_or(Tier::Bronze);
            fields.push(("tier".to_owned(), text(tier.as_str(), at.clone())));
            fields.push(("message".to_owned(), text(&c.raw.message, at)));
            fields
        })
        .collect();
    let waivers = policy
        .waivers
        .iter()
        .map(|w| {
            let at = Some(w.origin.clone());
            let mut fields = vec![("rule".to_owned(), text(w.rule.pattern(), at.clone()))];
            if !w.paths.is_empty() {
                let paths = w
                    .paths
                    .patterns()
                    .into_iter()
                    .map(|p| toml::Value::String(p.to_owned()))
                    .collect();
                fields.push((
                    "paths".to_owned(),
                    Shown {
                        value: toml::Value::Array(paths),
                        origin: at.clone(),
                    },
                ));
            }
            fields.push(("reason".to_owned(), text(&w.reason, at.clone())));
            if let Some(owner) = &w.owner {
                fields.push(("owner".to_owned(), text(owner, at.clone())));
            }
            if let Some(expires) = w.expires {
                fields.push(("expires".to_owned(), text(&expires.to_string(), at.clone())));
            }
            fields
        })
        .collect();
    Model {
        sources: policy.sources.clone(),
        settings,
        rules,
        off,
        custom,
        waivers,
    }
}

fn text(value: &str, origin: Option<Origin>) -> Shown {
    Shown {
        value: toml::Value::String(value.to_owned()),
        origin,
    }
}

/// Each entry of `list` with the origin of its own text where the file writes the list
/// inline, else of the part it belongs to.
fn list_entries(list: &[toml::Value], parts: &[(usize, Origin)]) -> Vec<Shown> {
    let mut origins = Vec::with_capacity(list.len());
    for (count, origin) in parts {
        origins.extend(crate::policy::options::element_origins(origin, *count));
    }
    list.iter()
        .enumerate()
        .map(|(i, value)| Shown {
            value: value.clone(),
            origin: origins.get(i).cloned(),
        })
        .collect()
}

/// The settings in force: the last value each file wrote (or the default), and every entry
/// of the lists, which add up.
fn settings(policy: &Policy) -> Vec<(String, Item)> {
    const LISTS: [&str; 3] = ["exclude", "include-vendored", "locked"];
    let defaults = Settings::default();
    let mut out: Vec<(String, Item)> = Vec::new();
    let scalar = |key: &str, default: toml::Value| {
        let last = policy
            .settings_origins
            .iter()
            .rev()
            .find(|(k, ..)| k == key);
        match last {
            Some((_, value, origin)) => Shown {
                value: value.clone(),
                origin: Some(origin.clone()),
            },
            None => Shown {
                value: default,
                origin: None,
            },
        }
    };
    let string = |s: &str| toml::Value::String(s.to_owned());
    out.push((
        "fail-on".to_owned(),
        Item::One(scalar("fail-on", string("error"))),
    ));
    out.push((
        "fail-tier".to_owned(),
        Item::One(scalar("fail-tier", string(defaults.fail_tier.as_str()))),
    ));
    out.push((
        "max-read-bytes".to_owned(),
        Item::One(scalar(
            "max-read-bytes",
            toml::Value::Integer(i64::try_from(defaults.max_read_bytes).unwrap_or(i64::MAX)),
        )),
    ));
    out.push((
        "private".to_owned(),
        Item::One(scalar("private", toml::Value::Boolean(defaults.private))),
    ));
    out.push((
        "platform".to_owned(),
        Item::One(scalar("platform", string(defaults.platform.as_str()))),
    ));
    let mut others: Vec<&str> = Vec::new();
    for (key, ..) in &policy.settings_origins {
        let known = [
            "fail-on",
            "fail-tier",
            "max-read-bytes",
            "private",
            "platform",
        ];
        if !known.contains(&key.as_str()) && !others.contains(&key.as_str()) {
            others.push(key);
        }
    }
    others.sort_unstable();
    for key in others {
        if LISTS.contains(&key) {
            let mut entries = Vec::new();
            for (k, value, origin) in &policy.settings_origins {
                if k == key {
                    let list = value.as_array().map(Vec::as_slice).unwrap_or_default();
                    entries.extend(list_entries(list, &[(list.len(), origin.clone())]));
                }
            }
            out.push((
                key.to_owned(),
                Item::List(ShownList {
                    entries,
                    replaced: None,
                }),
            ));
        } else {
            out.push((
                key.to_owned(),
                Item::One(scalar(key, toml::Value::Boolean(false))),
            ));
        }
    }
    out
}

fn where_from(origin: &Option<Origin>) -> String {
    match origin {
        Some(origin) => format!("{}:{}", origin.source.name, origin.line()),
        None => "default".to_owned(),
    }
}

fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_owned()
    } else {
        toml::Value::String(key.to_owned()).to_string()
    }
}

fn push_item(out: &mut String, key: &str, item: &Item) {
    match item {
        Item::One(shown) => {
            let line = format!("{} = {}", toml_key(key), shown.value);
            out.push_str(&format!("{line:<39} # {}\n", where_from(&shown.origin)));
        }
        Item::List(list) => {
            if let Some(replaced) = &list.replaced {
                out.push_str(&format!(
                    "# `{key}` replaces the list set at {}:{} (`replace`)\n",
                    replaced.source.name,
                    replaced.line()
                ));
            }
            if list.entries.is_empty() {
                out.push_str(&format!("{} = []\n", toml_key(key)));
                return;
            }
            out.push_str(&format!("{} = [\n", toml_key(key)));
            for entry in &list.entries {
                let line = format!("  {},", entry.value);
                out.push_str(&format!("{line:<39} # {}\n", where_from(&entry.origin)));
            }
            out.push_str("]\n");
        }
    }
}

fn to_toml(model: &Model) -> String {
    let mut out = String::new();
    out.push_str("# The effective policy: each value with the file and line it came from\n");
    out.push_str("# (`default`: no file sets it). Files, in merge order:\n");
    for source in &model.sources {
        out.push_str(&format!("#   {source}\n"));
    }
    out.push_str("\n[settings]\n");
    for (key, item) in &model.settings {
        push_item(&mut out, key, item);
    }
    for rule in &model.rules {
        out.push_str(&format!("\n[rules.{}]\n", toml_key(&rule.id)));
        push_item(&mut out, "level", &Item::One(clone_shown(&rule.level)));
        push_item(&mut out, "tier", &Item::One(clone_shown(&rule.tier)));
        for (key, item) in &rule.options {
            push_item(&mut out, key, item);
        }
    }
    if !model.off.is_empty() {
        out.push_str("\n# Turned off:\n");
        for (id, origin) in &model.off {
            out.push_str(&format!("#   {id} ({})\n", where_from(origin)));
        }
    }
    for fields in &model.custom {
        out.push_str("\n[[custom]]\n");
        for (key, shown) in fields {
            push_item(&mut out, key, &Item::One(clone_shown(shown)));
        }
    }
    for fields in &model.waivers {
        out.push_str("\n[[waivers]]\n");
        for (key, shown) in fields {
            push_item(&mut out, key, &Item::One(clone_shown(shown)));
        }
    }
    out
}

fn clone_shown(shown: &Shown) -> Shown {
    Shown {
        value: shown.value.clone(),
        origin: shown.origin.clone(),
    }
}

fn origin_json(origin: &Option<Origin>) -> Json {
    match origin {
        Some(origin) => {
            let (line, column) =
                crate::span::LineIndex::new(&origin.source.text).position(origin.span.start);
            json!({ "file": origin.source.name, "line": line, "column": column })
        }
        None => Json::Null,
    }
}

fn shown_json(shown: &Shown) -> Json {
    json!({
        "value": serde_json::to_value(&shown.value).unwrap_or(Json::Null),
        "origin": origin_json(&shown.origin),
    })
}

fn item_json(item: &Item) -> Json {
    match item {
        Item::One(shown) => shown_json(shown),
        Item::List(list) => {
            let value: Vec<toml::Value> = list.entries.iter().map(|e| e.value.clone()).collect();
            let mut object = Map::new();
            object.insert(
                "value".to_owned(),
                serde_json::to_value(&value).unwrap_or(Json::Null),
            );
            object.insert(
                "entries".to_owned(),
                Json::Array(list.entries.iter().map(shown_json).collect()),
            );
            if let Some(replaced) = &list.replaced {
                object.insert("replaced".to_owned(), origin_json(&Some(replaced.clone())));
            }
            Json::Object(object)
        }
    }
}

fn to_json(model: &Model) -> Json {
    let items = |items: &[(String, Item)]| {
        Json::Object(
            items
                .iter()
                .map(|(key, item)| (key.clone(), item_json(item)))
                .collect(),
        )
    };
    let fields = |fields: &[(String, Shown)]| {
        Json::Object(
            fields
                .iter()
                .map(|(key, shown)| (key.clone(), shown_json(shown)))
                .collect(),
        )
    };
    let rules: Map<String, Json> = model
        .rules
        .iter()
        .map(|rule| {
            (
                rule.id.clone(),
                json!({
                    "level": shown_json(&rule.level),
                    "tier": shown_json(&rule.tier),
                    "options": items(&rule.options),
                }),
            )
        })
        .collect();
    let off: Map<String, Json> = model
        .off
        .iter()
        .map(|(id, origin)| (id.clone(), json!({ "origin": origin_json(origin) })))
        .collect();
    json!({
        "sources": model.sources,
        "settings": items(&model.settings),
        "rules": rules,
        "off": off,
        "custom": model.custom.iter().map(|f| fields(f)).collect::<Vec<_>>(),
        "waivers": model.waivers.iter().map(|f| fields(f)).collect::<Vec<_>>(),
    })
}
