//! Layering: `extend-KEY`, `replace`, and locks.

use std::path::{Path, PathBuf};

use super::*;
use crate::engine::Engine;
use crate::policy_show as show;
use crate::registry::Registry;
use crate::snapshot::MemorySnapshot;

/// Policy files in memory under `/p`.
struct Files(Vec<(PathBuf, String)>);

impl PolicyReader for Files {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        Ok(self
            .0
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, text)| text.clone()))
    }
}

/// `repo.toml` extends `org.toml`, which extends builtin:recommended.
const ORG: &str = "extends = [\"builtin:recommended\"]\n\
    [settings]\n\
    locked = [\"ci/*\", \"security/secrets\", \"files/forbidden\"]\n\
    [rules.\"ci/missing-timeout\"]\n\
    level = \"warning\"\n";

fn load(org: &str, repo: &str) -> Result<Policy, PolicyError> {
    let reader = Files(vec![
        (PathBuf::from("/p/org.toml"), org.to_owned()),
        (PathBuf::from("/p/repo.toml"), repo.to_owned()),
    ]);
    Policy::load(Path::new("/p/repo.toml"), &reader)
        .and_then(|p| Engine::new(&Registry::builtin(), &p).map(|_| p))
}

fn load_one(repo: &str) -> Result<Policy, PolicyError> {
    Policy::from_text("goldpath.toml", repo, Path::new("/p"), &FsReader)
        .and_then(|p| Engine::new(&Registry::builtin(), &p).map(|_| p))
}

fn forbidden_paths(policy: &Policy, files: &[&str]) -> Vec<String> {
    let snapshot = files
        .iter()
        .fold(MemorySnapshot::new(), |s, path| s.with_file(*path, "x"));
    let engine = Engine::new(&Registry::builtin(), policy).expect("engine");
    let mut paths: Vec<String> = engine
        .check(&snapshot)
        .findings
        .into_iter()
        .filter(|f| f.rule == "files/forbidden")
        .filter_map(|f| f.path)
        .collect();
    paths.sort();
    paths
}

/// The error names the offending value in `file` and the other position in `other`.
fn assert_two_positions(err: &PolicyError, file: &str, line: u32, other: &str) {
    let at = err.location.as_ref().expect("a position");
    assert_eq!((at.file.as_str(), at.line), (file, line), "{err}");
    let related = err.related.as_ref().expect("a second position");
    assert_eq!(related.file, other, "{err}");
    let shown = format!("{}:{}:{}", related.file, related.line, related.column);
    assert!(err.to_string().contains(&shown), "{err}");
}

const LEAKS: [&str; 4] = ["id_rsa", "cert.p12", ".DS_Store", "state.tfstate"];

#[test]
fn setting_a_list_a_pack_set_is_an_error_naming_both_positions() {
    let err = load_one(
        "extends = [\"builtin:recommended\"]\n[rules.\"files/forbidden\"]\n\
         paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n",
    )
    .unwrap_err();
    assert_two_positions(&err, "goldpath.toml", 3, "builtin:recommended");
    assert!(err.message.contains("extend-paths"), "{err}");
    assert!(err.message.contains("replace = [\"paths\"]"), "{err}");

    let err = load_one(
        "extends = [\"builtin:recommended\"]\n[rules.\"files/required\"]\n\
         files = [{ name = \"a changelog\", any-of = [\"CHANGELOG.md\"] }]\n",
    )
    .unwrap_err();
    assert_two_positions(&err, "goldpath.toml", 3, "builtin:recommended");
}

#[test]
fn extend_adds_to_the_pack_list_and_the_pack_entries_still_report() {
    let policy = load_one(
        "extends = [\"builtin:recommended\"]\n[rules.\"files/forbidden\"]\n\
         extend-paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n\
         extend-allow = [\"config/.env.ci\"]\n",
    )
    .unwrap();
    assert_eq!(
        forbidden_paths(&policy, &LEAKS),
        [".DS_Store", "cert.p12", "id_rsa", "state.tfstate"]
    );
    let parts = policy.rules["files/forbidden"]
        .params
        .parts("paths")
        .unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].1.source.name, "builtin:recommended");
    assert_eq!(
        (parts[1].0, parts[1].1.source.name.as_str()),
        (1, "goldpath.toml")
    );
}

#[test]
fn extend_without_an_earlier_value_starts_the_list() {
    let policy = load_one(
        "[rules.\"files/forbidden\"]\nextend-paths = [{ glob = \"**/*.tfstate\", reason = \"s\" }]\n",
    )
    .unwrap();
    assert_eq!(forbidden_paths(&policy, &LEAKS), ["state.tfstate"]);
}

#[test]
fn replace_replaces_and_remembers_what_it_replaced() {
    for replace in ["replace = [\"paths\"]", "replace = true"] {
        let policy = load_one(&format!(
            "extends = [\"builtin:recommended\"]\n[rules.\"files/forbidden\"]\n{replace}\n\
             paths = [{{ glob = \"**/*.tfstate\", reason = \"state\" }}]\n"
        ))
        .unwrap();
        assert_eq!(
            forbidden_paths(&policy, &LEAKS),
            ["state.tfstate"],
            "{replace}"
        );
        let (_, _, _, provenance) = policy.rules["files/forbidden"]
            .params
            .entries()
            .find(|(key, ..)| *key == "paths")
            .unwrap();
        let replaced = provenance.replaced.expect("the replaced list");
        assert_eq!(replaced.source.name, "builtin:recommended");
    }
}

#[test]
fn scalars_still_override_without_replace() {
    let policy = load_one(
        "extends = [\"builtin:recommended\"]\n[rules.\"files/max-size\"]\nmax = \"20 MiB\"\n",
    )
    .unwrap();
    let (value, origin) = policy.rules["files/max-size"].params.get("max").unwrap();
    assert_eq!(value.as_str(), Some("20 MiB"));
    assert_eq!(origin.source.name, "goldpath.toml");
}

#[test]
fn misuses_of_extend_and_replace_are_errors_at_their_position() {
    let cases = [
        // Both forms in one table.
        (
            "[rules.\"files/forbidden\"]\npaths = []\nextend-paths = []\n",
            3,
            "sets both",
        ),
        // Not an array.
        (
            "[rules.\"files/forbidden\"]\nextend-paths = 1\n",
            2,
            "must be an array",
        ),
        // The earlier value is not a list.
        (
            "extends = [\"builtin:recommended\"]\n[rules.\"files/max-size\"]\nextend-max = [1]\n",
            3,
            "is not one",
        ),
        // `replace` names a key the table does not set.
        (
            "[rules.\"files/forbidden\"]\nreplace = [\"allow\"]\npaths = []\n",
            2,
            "does not set",
        ),
        (
            "[rules.\"files/forbidden\"]\nreplace = 3\n",
            2,
            "invalid `replace`",
        ),
    ];
    for (policy, line, needle) in cases {
        let err = load_one(policy).unwrap_err();
        assert_eq!(
            err.location.as_ref().map(|l| l.line),
            Some(line),
            "{policy}\n{err}"
        );
        assert!(err.message.contains(needle), "{policy}\n{err}");
    }
}

#[test]
fn a_bad_glob_in_an_extension_points_at_its_own_file() {
    let err = load_one(
        "extends = [\"builtin:recommended\"]\n[rules.\"ci/unpinned-image\"]\n\
         extend-allow = [\"ok/*\", \"bad[\"]\n",
    )
    .unwrap_err();
    let at = err.location.as_ref().unwrap();
    assert_eq!(
        (at.file.as_str(), at.line, at.column),
        ("goldpath.toml", 3, 26),
        "{err}"
    );
}

#[test]
fn a_policy_extending_a_lock_may_make_locked_rules_stricter() {
    let policy = load(
        ORG,
        "extends = [\"org.toml\"]\n\
         [rules.\"ci/missing-timeout\"]\nlevel = \"error\"\n\
         [rules.\"files/forbidden\"]\n\
         extend-paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n\
         [rules.\"ci/unpinned-image\"]\ntier = \"bronze\"\n\
         [rules.\"files/naming\"]\nlevel = \"off\"\n\
         [[waivers]]\nrule = \"files/required\"\nreason = \"not locked\"\n",
    )
    .unwrap();
    assert_eq!(forbidden_paths(&policy, &LEAKS).len(), 4);
    assert_eq!(policy.locked.len(), 3);
    assert_eq!(
        policy.rules["ci/missing-timeout"].level,
        Some(LevelSetting::Error)
    );
}

#[test]
fn every_way_of_weakening_a_locked_rule_is_an_error_naming_the_lock() {
    let cases = [
        (
            "[rules.\"ci/missing-timeout\"]\nlevel = \"note\"\n",
            3,
            "lowers it from warning",
        ),
        (
            "[rules.\"security/secrets\"]\nlevel = \"off\"\n",
            3,
            "lowers it from error",
        ),
        (
            "[rules.\"files/forbidden\"]\nlevel = \"warning\"\n",
            3,
            "lowers",
        ),
        (
            "[rules.\"files/forbidden\"]\ntier = \"gold\"\n",
            3,
            "moves it above",
        ),
        (
            "[rules.\"files/forbidden\"]\nreplace = true\npaths = []\n",
            3,
            "cannot be replaced",
        ),
        (
            "[rules.\"files/forbidden\"]\npaths = []\n",
            3,
            "cannot change the value",
        ),
        (
            "[rules.\"files/forbidden\"]\nextend-allow = [\"**\"]\n",
            3,
            "would exempt",
        ),
        (
            "[rules.\"security/secrets\"]\nfixtures = []\n",
            3,
            "would exempt",
        ),
        (
            "[rules.\"ci/unpinned-action\"]\nextend-trusted = [\"*\"]\n",
            3,
            "would exempt",
        ),
        (
            "[settings]\nexclude = [\"secrets/**\"]\n",
            3,
            "`exclude` would hide",
        ),
        (
            "[[waivers]]\nrule = \"files/forbidden\"\nreason = \"r\"\n",
            3,
            "waives a locked rule",
        ),
        (
            "[[waivers]]\nrule = \"ci/unpinned-*\"\nreason = \"r\"\n",
            3,
            "waives a locked rule",
        ),
        (
            "[[waivers]]\nrule = \"*/*\"\nreason = \"r\"\n",
            3,
            "waives a locked rule",
        ),
    ];
    for (text, line, needle) in cases {
        let repo = format!("extends = [\"org.toml\"]\n{text}");
        let err = load(ORG, &repo).unwrap_err();
        assert_two_positions(&err, "/p/repo.toml", line, "/p/org.toml");
        assert_eq!(
            err.related.as_ref().map(|l| l.line),
            Some(3),
            "{repo}\n{err}"
        );
        assert!(err.message.contains(needle), "{repo}\n{err}");
    }
}

#[test]
fn the_locking_file_may_waive_and_change_what_it_locks() {
    let org = format!(
        "{ORG}[rules.\"files/forbidden\"]\nreplace = [\"allow\"]\nallow = []\n\
         [[waivers]]\nrule = \"files/forbidden\"\npaths = [\"legacy/**\"]\nreason = \"r\"\n"
    );
    load(&org, "extends = [\"org.toml\"]\n").unwrap();
}

#[test]
fn a_locked_custom_rule_cannot_be_redefined() {
    let org = "[settings]\nlocked = [\"acme/*\"]\n[[custom]]\nid = \"acme/readme\"\n\
               message = \"m\"\nrequire = { file = \"README.md\" }\n";
    let err = load(
        org,
        "extends = [\"org.toml\"]\n[[custom]]\nid = \"acme/readme\"\nmessage = \"m\"\n\
         require = { file = \"*\" }\n",
    )
    .unwrap_err();
    assert_two_positions(&err, "/p/repo.toml", 3, "/p/org.toml");
    // A new rule under a locked glob adds to the policy.
    load(
        org,
        "extends = [\"org.toml\"]\n[[custom]]\nid = \"acme/other\"\nmessage = \"m\"\n\
         require = { file = \"*\" }\n",
    )
    .unwrap();
}

#[test]
fn a_file_merged_after_the_lock_is_bound_even_when_it_does_not_extend_it() {
    // `repo.toml` extends `org.toml` then `team.toml`: the team file comes later in the chain.
    let reader = Files(vec![
        (PathBuf::from("/p/org.toml"), ORG.to_owned()),
        (
            PathBuf::from("/p/team.toml"),
            "[rules.\"security/secrets\"]\nlevel = \"note\"\n".to_owned(),
        ),
        (
            PathBuf::from("/p/repo.toml"),
            "extends = [\"org.toml\", \"team.toml\"]\n".to_owned(),
        ),
    ]);
    let err = Policy::load(Path::new("/p/repo.toml"), &reader).unwrap_err();
    assert_two_positions(&err, "/p/team.toml", 2, "/p/org.toml");
}

#[test]
fn policy_show_names_the_origin_of_every_value() {
    let policy = load(
        ORG,
        "extends = [\"org.toml\"]\n[rules.\"files/forbidden\"]\n\
         extend-paths = [{ glob = \"**/*.tfstate\", reason = \"state\" }]\n\
         [rules.\"files/required\"]\nreplace = [\"files\"]\n\
         files = [{ name = \"a README\", any-of = [\"README.md\"] }]\n",
    )
    .unwrap();
    let registry = Registry::builtin();
    let text = show::render(&policy, &registry, show::Format::Toml);
    // The TOML output is a valid document.
    let parsed: toml::Table = toml::from_str(&text).expect(&text);
    assert!(
        parsed["rules"]["files/forbidden"]["paths"]
            .as_array()
            .unwrap()
            .len()
            > 1
    );
    assert!(
        text.contains("\"ci/*\",                               # /p/org.toml:3"),
        "{text}"
    );
    assert!(
        text.contains("reason = \"state\" }, # /p/repo.toml:3"),
        "{text}"
    );
    assert!(
        text.contains("`files` replaces the list set at builtin:recommended:"),
        "{text}"
    );
    assert!(
        text.contains("level = \"warning\"                       # /p/org.toml:5"),
        "{text}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&show::render(&policy, &registry, show::Format::Json)).unwrap();
    let paths = &json["rules"]["files/forbidden"]["options"]["paths"]["entries"];
    let last = paths.as_array().unwrap().last().unwrap();
    assert_eq!(last["value"]["glob"], "**/*.tfstate");
    assert_eq!(last["origin"]["file"], "/p/repo.toml");
    assert_eq!(last["origin"]["line"], 3);
    assert_eq!(paths[0]["origin"]["file"], "builtin:recommended");
    let replaced = &json["rules"]["files/required"]["options"]["files"]["replaced"];
    assert_eq!(replaced["file"], "builtin:recommended");
    assert_eq!(
        json["settings"]["locked"]["entries"][2]["value"],
        "files/forbidden"
    );
    assert_eq!(
        json["settings"]["fail-on"]["origin"],
        serde_json::Value::Null
    );
    assert_eq!(
        json["rules"]["ci/missing-timeout"]["level"]["origin"]["line"],
        5
    );
}
