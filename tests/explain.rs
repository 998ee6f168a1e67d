//! End to end: `goldpath explain` documents every rule `goldpath rules` lists and every built-in
//! pack, each with its own text.

mod common;

use std::collections::BTreeSet;

use common::Repo;
use serde_json::Value;

fn explain(repo: &Repo, what: &str) -> String {
    let output = repo
        .goldpath()
        .args(["explain", what])
        .output()
        .expect("run goldpath");
    assert!(
        output.status.success(),
        "goldpath explain {what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn explain_documents_every_rule_it_lists() {
    let repo = Repo::plain();
    let output = repo
        .goldpath()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run goldpath");
    assert!(output.status.success());
    let rules: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rules = rules.as_array().expect("an array of rules");
    assert!(rules.len() >= 50, "{} rules", rules.len());
    let mut texts = BTreeSet::new();
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        let text = explain(&repo, id);
        assert!(text.starts_with(&format!("# {id}\n")), "{id}:\n{text}");
        let summary = rule["summary"].as_str().expect("summary");
        assert!(text.contains(summary), "{id}: summary missing:\n{text}");
        assert!(
            text.contains(&format!(
                "tier: **{}**",
                rule["tier"].as_str().expect("tier")
            )),
            "{id}: tier missing:\n{text}"
        );
        for section in ["## What it checks", "## Why", "## Example", "## How to fix"] {
            let body = text
                .split(section)
                .nth(1)
                .and_then(|rest| rest.split("\n## ").next())
                .unwrap_or_default();
            assert!(
                body.trim().len() > 20,
                "{id}: section `{section}` is missing or empty:\n{text}"
            );
        }
        let options = rule["options"].as_array().expect("options");
        assert_eq!(text.contains("## Options"), !options.is_empty(), "{id}");
        for option in options {
            let option = option.as_str().expect("an option name");
            assert!(
                text.contains(&format!("| `{option}` |")),
                "{id}: option `{option}` missing:\n{text}"
            );
        }
        assert!(texts.insert(text), "{id}: same text as another rule");
    }
}

#[test]
fn explain_prints_every_builtin_pack() {
    let repo = Repo::plain();
    let mut texts = BTreeSet::new();
    for (name, pack) in goldpath::policy::BUILTIN_PACKS {
        let text = explain(&repo, &format!("builtin:{name}"));
        assert!(
            text.starts_with(&format!("# builtin:{name}\n")),
            "builtin:{name}:\n{text}"
        );
        assert!(
            text.contains(&format!("extends = [\"builtin:{name}\"]")),
            "builtin:{name}:\n{text}"
        );
        // The pack's own text, every table of it, follows the header.
        assert!(text.ends_with(pack), "builtin:{name}: not the pack's text");
        let tables = pack.lines().filter(|l| l.starts_with("[rules.")).count();
        assert!(tables >= 5, "builtin:{name}: {tables} rule tables");
        assert!(
            texts.insert(text),
            "builtin:{name}: same text as another pack"
        );
    }
    assert_eq!(texts.len(), goldpath::policy::BUILTIN_PACKS.len());

    let output = repo
        .goldpath()
        .args(["explain", "builtin:nope"])
        .output()
        .expect("run goldpath");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (name, _) in goldpath::policy::BUILTIN_PACKS {
        assert!(
            stderr.contains(name),
            "{name} not among the known packs: {stderr}"
        );
    }
}
