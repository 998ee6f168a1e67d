//! The JSON Schema (draft 2020-12) of `goldpath.toml`, for editor completion and validation
//! (`goldpath schema`). The fragments for the top level, `[settings]`, `[[custom]]` and
//! `[[waivers]]` are written here (a test checks that they name every key the parser in
//! [`crate::policy`] accepts); `[rules."id"]` is generated from the registry, which is why the
//! schema sits above it, beside the docs generator, and not in the policy layer.

use serde_json::{json, Map, Value};

use crate::registry::Registry;

fn level() -> Value {
    json!({ "enum": ["error", "warning", "note", "off"] })
}

fn tier() -> Value {
    json!({ "enum": ["bronze", "silver", "gold"] })
}

fn settings() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "fail-on": { "enum": ["error", "warning", "note", "never"], "description": "lowest level that makes `check` exit 1" },
            "fail-tier": { "enum": ["bronze", "silver", "gold"], "description": "highest tier whose findings fail `check`: findings of higher tiers are reported without failing the run" },
            "exclude": { "type": "array", "items": { "type": "string" }, "description": "globs of paths no rule sees" },
            "locked": { "type": "array", "items": { "type": "string" }, "description": "globs of rule ids that files extending this one may make stricter but not weaker" },
            "include-vendored": { "type": "array", "items": { "type": "string" }, "description": "globs of vendored or generated files (vendor/, node_modules/, .gitattributes linguist-vendored or linguist-generated) that are checked all the same; [\"**\"] checks them all" },
            "max-read-bytes": { "type": "integer", "minimum": 0, "description": "files larger than this are not read" },
            "private": { "type": "boolean", "description": "the repository is private: `unless-private` requirements do not apply" },
            "platform": { "enum": ["github", "gitlab"], "description": "the hosting service: CODEOWNERS dialect and CI system" },
            "kind": { "enum": ["service", "library"], "description": "what the repository is: obs/* rules judge services only (detected when unset)" },
            "inline-suppressions": { "type": "boolean", "description": "`# goldpath: ignore[rule] reason` comments (and zizmor's for the audits that map to goldpath rules) suppress findings on their line; never a locked rule's. Default false" },
            "baseline": { "type": "string", "description": "the baseline file of known findings (`goldpath baseline`), relative to the repository root; default .goldpath-baseline.json" }
        }
    })
}

fn condition() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["file"],
        "properties": {
            "file": { "type": "string", "description": "glob of the files concerned" },
            "matches": { "type": "string", "description": "regex over lines (with `key`: over the key's values)" },
            "key": { "type": "string", "description": "key path inside JSON, YAML or TOML files (`a.b[*].c`)" },
            "equals": { "description": "the key's value equals this" },
            "one-of": { "type": "array", "description": "the key's value is one of these" },
            "exists": { "type": "boolean", "description": "the key exists (or, with false, does not)" }
        }
    })
}

fn custom() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "message"],
        "oneOf": [{ "required": ["require"] }, { "required": ["forbid"] }],
        "properties": {
            "id": { "type": "string", "pattern": "^[a-z0-9-]+/[a-z0-9-]+$", "description": "rule id, `family/name` in lowercase letters, digits and dashes" },
            "level": level(),
            "tier": tier(),
            "message": { "type": "string" },
            "help": { "type": "string" },
            "when": condition(),
            "require": condition(),
            "forbid": condition()
        }
    })
}

fn waiver() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["rule", "reason"],
        "properties": {
            "rule": { "type": "string", "description": "a rule id or a glob of ids" },
            "paths": { "type": "array", "items": { "type": "string" }, "description": "globs; omit to waive everywhere" },
            "reason": { "type": "string" },
            "owner": { "type": "string" },
            "expires": { "type": "string", "format": "date", "description": "a TOML date: the last day the waiver holds" }
        }
    })
}

/// The JSON type of a rule option, from the type its docs give (`OptionDoc::kind`, as shown in
/// `docs/rules.md`); `None` for a kind this does not know (a test keeps every kind known).
pub(crate) fn option_type(kind: &str) -> Option<Value> {
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    Some(if kind.starts_with("boolean") {
        json!({ "type": "boolean" })
    } else if kind.starts_with("integer") && kind.contains("or string") {
        json!({ "type": ["integer", "string"] })
    } else if kind.starts_with("integer") {
        json!({ "type": "integer" })
    } else if kind.starts_with("string") {
        json!({ "type": "string" })
    } else if kind.starts_with("array of globs") || kind.starts_with("array of strings") {
        strings
    } else if kind.starts_with("array of tables") {
        json!({ "type": "array", "items": { "type": "object" } })
    } else if kind.starts_with("table") {
        json!({ "type": "object" })
    } else {
        return None;
    })
}

/// The schema of `goldpath.toml`, with one property per rule of `registry`.
pub fn policy_schema(registry: &Registry) -> Value {
    let mut rules = Map::new();
    for def in registry.iter() {
        let meta = def.meta;
        let mut properties = Map::new();
        properties.insert("level".into(), level());
        properties.insert("tier".into(), tier());
        properties.insert(
            "replace".into(),
            json!({
                "anyOf": [{ "type": "boolean" }, { "type": "array", "items": { "type": "string" } }],
                "description": "lists this table replaces rather than extends (an extended file set them): true for all, or their names",
            }),
        );
        for option in meta.options {
            let mut property = option_type(option.kind).unwrap_or_else(|| json!({}));
            property["description"] = format!("{} ({})", option.help, option.kind).into();
            if option.kind.starts_with("array") {
                let mut extend = property.clone();
                extend["description"] = format!(
                    "entries added to `{}` as the extended files set it",
                    option.name
                )
                .into();
                properties.insert(format!("extend-{}", option.name), extend);
            }
            properties.insert(option.name.into(), property);
        }
        rules.insert(
            meta.id.into(),
            json!({
                "type": "object",
                "description": meta.summary,
                "additionalProperties": false,
                "properties": properties,
            }),
        );
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/goldpath/goldpath/goldpath.schema.json",
        "title": "goldpath.toml",
        "description": "The policy of goldpath: docs/policy.md",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "extends": { "type": "array", "items": { "type": "string" }, "description": "`builtin:NAME` packs and files applied before this one" },
            "settings": settings(),
            "rules": { "type": "object", "additionalProperties": false, "properties": rules },
            "custom": { "type": "array", "items": custom() },
            "waivers": { "type": "array", "items": waiver() }
        }
    })
}

#[cfg(test)]
mod tests;
