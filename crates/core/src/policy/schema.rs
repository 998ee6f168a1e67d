//! The JSON Schema (draft 2020-12) of `goldpath.toml`, for editor completion and validation
//! (`goldpath schema`). The fragments for the top level, `[settings]`, `[[custom]]` and
//! `[[waivers]]` sit here beside the structs that parse them (a test checks that they name
//! every key the parser accepts); `[rules."id"]` is generated from the registry.

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
            "exclude": { "type": "array", "items": { "type": "string" }, "description": "globs of paths no rule sees" },
            "max-read-bytes": { "type": "integer", "minimum": 0, "description": "files larger than this are not read" },
            "private": { "type": "boolean", "description": "the repository is private: `unless-private` requirements do not apply" },
            "platform": { "enum": ["github", "gitlab"], "description": "the hosting service: CODEOWNERS dialect and CI system" },
            "kind": { "enum": ["service", "library"], "description": "what the repository is: obs/* rules judge services only (detected when unset)" }
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
        "properties": {
            "id": { "type": "string", "pattern": "^[^/]+/[^/]+$", "description": "rule id, `family/name`" },
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

/// The schema of `goldpath.toml`, with one property per rule of `registry`.
pub fn policy_schema(registry: &Registry) -> Value {
    let mut rules = Map::new();
    for def in registry.iter() {
        let meta = def.meta;
        let mut properties = Map::new();
        properties.insert("level".into(), level());
        properties.insert("tier".into(), tier());
        for option in meta.options {
            properties.insert(
                option.name.into(),
                json!({ "description": format!("{} ({})", option.help, option.kind) }),
            );
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
mod tests {
    use super::*;
    use crate::policy::{FsReader, Policy};

    /// The keys the parser accepts in a table, read from its "unknown field" error.
    fn accepted(prefix: &str) -> Vec<String> {
        let text = format!("{prefix}zzz-unknown = 1\n");
        let err = Policy::from_text("t.toml", &text, std::path::Path::new("."), &FsReader)
            .expect_err("unknown key");
        let message = err.message;
        let list = message.split("expected").nth(1).unwrap_or_default();
        list.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    }

    fn keys(value: &Value) -> Vec<String> {
        value["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_schema_names_every_key_the_parser_accepts_and_every_rule() {
        let registry = Registry::builtin();
        let schema = policy_schema(&registry);
        for (prefix, part) in [
            ("", &schema),
            ("[settings]\n", &schema["properties"]["settings"]),
            (
                "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\n",
                &schema["properties"]["custom"]["items"],
            ),
            (
                "[[waivers]]\nrule = \"a\"\nreason = \"r\"\n",
                &schema["properties"]["waivers"]["items"],
            ),
        ] {
            let accepted = accepted(prefix);
            assert!(!accepted.is_empty(), "{prefix}");
            let mut named = keys(part);
            named.sort();
            let mut accepted = accepted;
            accepted.sort();
            assert_eq!(named, accepted, "{prefix}");
        }
        let rules = &schema["properties"]["rules"]["properties"];
        for def in registry.iter() {
            let rule = &rules[def.meta.id];
            assert!(rule.is_object(), "{} is missing", def.meta.id);
            for option in def.meta.options {
                assert!(
                    rule["properties"][option.name].is_object(),
                    "{}",
                    option.name
                );
            }
        }
    }
}
