//! The schema against the loader: the same keys, the same values, the options each rule asks
//! for, and every built-in pack and every policy example in `docs/` valid under both.

use std::collections::BTreeSet;
use std::io;
use std::path::Path;

use serde_json::{json, Value};

use super::*;
use crate::policy::{FsReader, Params, Policy, PolicyReader, BUILTIN_PACKS};

/// The keys the parser accepts in a table, read from its "unknown field" error.
fn accepted(prefix: &str) -> Vec<String> {
    let text = format!("{prefix}zzz-unknown = 1\n");
    let err =
        Policy::from_text("t.toml", &text, Path::new("."), &FsReader).expect_err("unknown key");
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
            "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\n[custom.require]\nfile = \"x\"\n",
            &schema["properties"]["custom"]["items"]["properties"]["require"],
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
    assert_eq!(
        rules.as_object().map(|m| m.len()),
        Some(registry.iter().count())
    );
    for def in registry.iter() {
        let rule = &rules[def.meta.id];
        assert!(rule.is_object(), "{} is missing", def.meta.id);
        let mut named = keys(rule);
        named.sort();
        // `replace`, and `extend-KEY` for every option that is a list.
        let mut expected: Vec<String> = ["level", "tier", "replace"]
            .into_iter()
            .chain(def.meta.options.iter().map(|o| o.name))
            .map(str::to_owned)
            .chain(
                def.meta
                    .options
                    .iter()
                    .filter(|o| o.kind.starts_with("array"))
                    .map(|o| format!("extend-{}", o.name)),
            )
            .collect();
        expected.sort();
        assert_eq!(named, expected, "{}", def.meta.id);
    }
}

/// A rule's documented options (`Meta::options`: docs/rules.md, `goldpath explain`, the schema)
/// are exactly the keys its constructor asks for, so none is undocumented or documented but
/// ignored. A rule that needs an option is built with its table from a docs example.
#[test]
fn every_rule_asks_for_exactly_the_options_it_documents() {
    let examples = doc_examples();
    let example_table = |id: &str| {
        examples.iter().find_map(|(_, text)| {
            let value: toml::Value = toml::from_str(text).ok()?;
            let table = value.get("rules")?.get(id)?.as_table()?.clone();
            let mut table = table;
            table.remove("level");
            table.remove("tier");
            toml::to_string(&table).ok()
        })
    };
    for def in Registry::builtin().iter() {
        let id = def.meta.id;
        let mut params = Params::new(id);
        if let Err(e) = (def.build)(&mut params) {
            let Some(table) = example_table(id) else {
                panic!(
                    "{id} does not build without options ({e}) and the docs show no table for it"
                );
            };
            params = Params::from_toml(id, &table).expect("an example table");
            if let Err(e) = (def.build)(&mut params) {
                panic!("{id} does not build with its docs example {table:?}: {e}");
            }
        }
        let asked: BTreeSet<&str> = params.asked().iter().map(String::as_str).collect();
        let documented: BTreeSet<&str> = def.meta.options.iter().map(|o| o.name).collect();
        assert_eq!(
            asked, documented,
            "{id}: the options it asks for (left) and documents (right)"
        );
    }
}

#[test]
fn every_option_kind_has_a_json_type() {
    for def in Registry::builtin().iter() {
        for option in def.meta.options {
            assert!(
                option_type(option.kind).is_some(),
                "{} `{}`: kind `{}` has no JSON type in option_type()",
                def.meta.id,
                option.name,
                option.kind
            );
        }
    }
}

/// The values after "expected" in a loader error: `expected one of `a`, `b`` or
/// `expected a, b or c`.
fn expected_values(message: &str) -> BTreeSet<String> {
    let list = message.rsplit("expected").next().unwrap_or_default();
    list.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty() && !["or", "one", "of", "and"].contains(w))
        .map(str::to_owned)
        .collect()
}

fn enum_values(part: &Value) -> BTreeSet<String> {
    part["enum"]
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Every value the schema lists for a key loads, and the loader's error for any other value
/// lists exactly the schema's values.
#[test]
fn enum_values_are_the_values_the_loader_accepts() {
    let schema = policy_schema(&Registry::builtin());
    let settings = &schema["properties"]["settings"]["properties"];
    let rule = &schema["properties"]["rules"]["properties"]["files/required"]["properties"];
    let custom = &schema["properties"]["custom"]["items"]["properties"];
    const CUSTOM: &str = "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\n";
    for (table, key, part) in [
        ("[settings]\n", "fail-on", &settings["fail-on"]),
        ("[settings]\n", "fail-tier", &settings["fail-tier"]),
        ("[settings]\n", "platform", &settings["platform"]),
        ("[settings]\n", "kind", &settings["kind"]),
        ("[rules.\"files/required\"]\n", "level", &rule["level"]),
        ("[rules.\"files/required\"]\n", "tier", &rule["tier"]),
        (CUSTOM, "level", &custom["level"]),
        (CUSTOM, "tier", &custom["tier"]),
    ] {
        let values = enum_values(part);
        assert!(values.len() >= 2, "{table}{key}");
        let load = |value: &str| {
            let text = format!("{table}{key} = \"{value}\"\n");
            Policy::from_text("t.toml", &text, Path::new("."), &FsReader)
        };
        for value in &values {
            if let Err(e) = load(value) {
                panic!("{table}{key} = {value:?}: {e}");
            }
        }
        let err = load("zzz-unknown").expect_err("an unknown value");
        assert_eq!(
            expected_values(&err.message),
            values,
            "{table}{key}: {}",
            err.message
        );
    }
}

/// The schema compiled by the `jsonschema` crate as draft 2020-12 (after checking it against
/// the draft's meta-schema), with formats asserted, so a waiver's `expires` must be a date.
fn validator(schema: &Value) -> jsonschema::Validator {
    if let Err(e) = jsonschema::draft202012::meta::validate(schema) {
        panic!("the schema is not a draft 2020-12 schema: {e}");
    }
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// The schema's complaints about a policy text, each with the JSON pointer it concerns.
fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let value: toml::Value = match toml::from_str(text) {
        Ok(value) => value,
        Err(e) => return vec![format!("not TOML: {e}")],
    };
    let value = to_json(&value);
    validator
        .iter_errors(&value)
        .map(|e| format!("goldpath.toml{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn the_schema_rejects_what_the_loader_rejects() {
    let schema = validator(&policy_schema(&Registry::builtin()));
    for bad in [
        "extend = []\n",
        "[settings]\nfail-on = \"sometimes\"\n",
        "[settings]\nmax-read-bytes = \"10\"\n",
        "[settings]\nexclude = \"target/**\"\n",
        "[rules.\"files/requird\"]\n",
        "[rules.\"files/required\"]\nlevel = \"fatal\"\n",
        "[rules.\"files/required\"]\ntier = \"platinum\"\n",
        "[rules.\"files/required\"]\nunknown-option = [\"README.md\"]\n",
        "[rules.\"files/max-size\"]\nmax = true\n",
        "[rules.\"ci/unpinned-action\"]\ntrusted = \"actions/*\"\n",
        "[rules.\"ownership/catalog-info\"]\nrequired = \"yes\"\n",
        "[rules.\"files/forbidden\"]\npaths = [\"a\"]\n",
        "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\n",
        "[[custom]]\nid = \"A/b\"\nmessage = \"m\"\nrequire = { file = \"x\" }\n",
        "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\nrequire = { file = \"x\" }\nforbid = { file = \"y\" }\n",
        "[[custom]]\nid = \"a/b\"\nmessage = \"m\"\nrequire = { glob = \"x\" }\n",
        "[[waivers]]\nrule = \"files/required\"\n",
        "[[waivers]]\nrule = \"files/required\"\nreason = \"r\"\nexpires = \"soon\"\n",
    ] {
        assert!(!schema_errors(&schema, bad).is_empty(), "accepted: {bad}");
        let loaded = Policy::from_text("t.toml", bad, Path::new("."), &FsReader).and_then(|p| {
            crate::Engine::new(&Registry::builtin(), &p).map(|_| ())
        });
        assert!(loaded.is_err(), "the loader accepts: {bad}");
    }
    let good = "extends = [\"builtin:recommended\"]\n[settings]\nfail-on = \"warning\"\n\
                [rules.\"files/max-size\"]\nmax = \"1 MiB\"\n[[waivers]]\nrule = \"files/*\"\n\
                reason = \"r\"\nexpires = 2027-03-31\n";
    assert_eq!(schema_errors(&schema, good), Vec::<String>::new());
}

/// Answers every path of `extends` with an empty policy: the examples' own files are not there.
struct AnyFile;

impl PolicyReader for AnyFile {
    fn read(&self, _: &Path) -> io::Result<Option<String>> {
        Ok(Some(String::new()))
    }
}

/// Whether a ```toml block of the docs is (part of) a goldpath.toml.
fn is_policy(block: &str) -> bool {
    block.lines().any(|line| {
        line.starts_with("[rules.")
            || line == "[settings]"
            || line == "[[custom]]"
            || line == "[[waivers]]"
            || line.starts_with("extends =")
    })
}

/// `(where, text)` of every policy example in `docs/*.md` and the README.
fn doc_examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("docs/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files.push(dir.join("../README.md"));
    let mut examples = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a doc");
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        // An embedder registers its own rules: its policy names rules this registry lacks.
        if name == "embedding.md" {
            continue;
        }
        let mut block: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            match &mut block {
                None if line.trim_start() == "```toml" => block = Some((n + 1, String::new())),
                None => {}
                Some((start, body)) => {
                    if line.trim_start() == "```" {
                        if is_policy(body) {
                            let at = match name.as_ref() {
                                "README.md" => format!("README.md:{start}"),
                                _ => format!("docs/{name}:{start}"),
                            };
                            examples.push((at, std::mem::take(body)));
                        }
                        block = None;
                    } else {
                        body.push_str(line);
                        body.push('\n');
                    }
                }
            }
        }
    }
    examples
}

#[test]
fn every_builtin_pack_and_every_policy_example_in_the_docs_loads_and_fits_the_schema() {
    let registry = Registry::builtin();
    let schema = validator(&policy_schema(&registry));
    let examples = doc_examples();
    assert!(examples.len() >= 20, "{} examples found", examples.len());
    let packs_on_disk = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
        .expect("crates/core/rules/")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|e| e == "toml"))
        .count();
    assert_eq!(
        packs_on_disk,
        BUILTIN_PACKS.len(),
        "a pack in rules/ is not built in"
    );
    let packs = BUILTIN_PACKS
        .iter()
        .map(|(name, text)| (format!("builtin:{name}"), (*text).to_owned()));
    let mut failures = Vec::new();
    for (at, text) in packs.chain(examples) {
        for error in schema_errors(&schema, &text) {
            failures.push(format!("{at}: schema: {error}"));
        }
        let loaded = Policy::from_text("goldpath.toml", &text, Path::new("."), &AnyFile)
            .and_then(|policy| crate::Engine::new(&registry, &policy).map(|_| ()));
        if let Err(e) = loaded {
            failures.push(format!("{at}: loader: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
