//! The documentation tells the truth: every rule id README.md and docs/*.md quote exists, and
//! every GitHub Actions workflow they offer to copy passes `goldpath check`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::Repo;

const FAMILIES: [&str; 7] = [
    "files",
    "security",
    "ci",
    "ownership",
    "deps",
    "obs",
    "policy",
];

/// README.md and every docs/*.md, with their text.
fn documents() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (p, text)
        })
        .collect()
}

/// The rule ids the binary knows, plus the engine's own (`policy/*`).
fn known_ids() -> BTreeSet<String> {
    let output = Repo::plain()
        .goldpath()
        .args(["rules", "--format", "json"])
        .output()
        .expect("run goldpath");
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let mut ids: BTreeSet<String> = rules
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    ids.extend(
        [
            "policy/unread-file",
            "policy/waiver-expired",
            "policy/baseline-stale",
        ]
        .map(str::to_owned),
    );
    ids
}

/// Every `family/name` (or `family/prefix*`) in a text that is a rule id, not a path: not
/// preceded by a path or word character, not followed by `/` or an extension.
fn quoted_ids(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for family in FAMILIES {
        let needle = format!("{family}/");
        let mut from = 0;
        while let Some(at) = text[from..].find(&needle) {
            let start = from + at;
            from = start + needle.len();
            let before = start.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b"/._-@$".contains(&b)) {
                continue;
            }
            let rest = &text[from..];
            let len = rest
                .find(|c: char| {
                    !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '*')
                })
                .unwrap_or(rest.len());
            let name = &rest[..len];
            let after = &rest[len..];
            let path_like = after.starts_with('/')
                || (after.starts_with('.')
                    && after[1..].starts_with(|c: char| c.is_ascii_alphanumeric()));
            if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) || path_like {
                continue;
            }
            let line = text[..start].matches('\n').count() + 1;
            out.push((line, format!("{family}/{name}")));
        }
    }
    out
}

#[test]
fn every_rule_id_the_docs_quote_exists() {
    let known = known_ids();
    let mut unknown = Vec::new();
    let mut seen = 0;
    for (path, text) in documents() {
        for (line, id) in quoted_ids(&text) {
            seen += 1;
            let exists = match id.strip_suffix('*') {
                Some(prefix) => known.iter().any(|k| k.starts_with(prefix)),
                None => known.contains(&id),
            };
            if !exists {
                unknown.push(format!("{}:{line}: {id}", path.display()));
            }
        }
    }
    assert!(seen > 100, "only {seen} rule ids found: the scan is broken");
    assert!(
        unknown.is_empty(),
        "rule ids that do not exist:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_scan_finds_ids_and_skips_paths() {
    let text = "`ci/unpinned-action`, {\"ci/pinned-actions\":2}, security/dockerfile-*, \
                crates/core/src/rules/obs/service.rs, obs/ecosystems.toml, a `ci/` directory, \
                docs/ci.md";
    let ids: Vec<String> = quoted_ids(text).into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        ids,
        [
            "security/dockerfile-*",
            "ci/unpinned-action",
            "ci/pinned-actions"
        ]
    );
}

/// A marker before a workflow example that shows findings rather than a workflow to copy.
const FINDINGS_EXAMPLE: &str = "<!-- example of findings";

/// Every workflow example the docs offer to copy (a YAML block with top-level `on:` and
/// `jobs:`), with where it is. docs/rules.md is generated from the rules' own examples of
/// findings and is left out.
fn workflow_examples() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, text) in documents() {
        if path.ends_with("docs/rules.md") {
            continue;
        }
        let mut rest = text.as_str();
        let mut offset = 0;
        while let Some(at) = rest.find("```yaml\n").or_else(|| rest.find("```yml\n")) {
            let body_start = at + rest[at..].find('\n').unwrap_or(0) + 1;
            let Some(len) = rest[body_start..].find("```") else {
                break;
            };
            let body = &rest[body_start..body_start + len];
            let preceding = rest[..at].trim_end();
            let marked = preceding
                .lines()
                .last()
                .is_some_and(|l| l.starts_with(FINDINGS_EXAMPLE));
            let workflow = body.lines().any(|l| l.starts_with("on:"))
                && body.lines().any(|l| l.starts_with("jobs:"));
            if workflow && !marked {
                let line = text[..offset + at].matches('\n').count() + 1;
                out.push((format!("{}:{line}", path.display()), body.to_owned()));
            }
            offset += body_start + len + 3;
            rest = &rest[body_start + len + 3..];
        }
    }
    out
}

#[test]
fn every_workflow_the_docs_offer_passes_the_builtin_ci_rules() {
    let examples = workflow_examples();
    assert!(examples.len() >= 2, "{examples:?}");
    for (at, body) in examples {
        // What the reader fills in: a release's commit SHA.
        let body = body.replace("<commit SHA>", &"0123456789abcdef".repeat(3)[..40]);
        let repo = Repo::plain();
        repo.write(".github/workflows/example.yml", &body);
        // The built-in policy's ci rules judge the workflow; ci/update-tool-missing judges the
        // repository (a Dependabot or Renovate file), not the workflow.
        let output = repo
            .goldpath()
            .args([
                "check",
                "--only",
                "ci/*",
                "--skip",
                "ci/update-tool-missing",
            ])
            .args(["--fail-on", "note", "--format", "json"])
            .output()
            .expect("run goldpath");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let findings: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{}:{} {} {}",
                    f["line"], f["column"], f["rule"], f["message"]
                )
            })
            .collect();
        assert!(
            findings.is_empty() && output.status.code() == Some(0),
            "the workflow at {at} does not pass:\n{}",
            findings.join("\n")
        );
    }
}

/// The subcommands `goldpath --help` lists.
fn known_subcommands() -> BTreeSet<String> {
    let output = Repo::plain()
        .goldpath()
        .arg("--help")
        .output()
        .expect("run goldpath");
    let help = String::from_utf8_lossy(&output.stdout).into_owned();
    let commands = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a Commands: section in --help");
    commands
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// The code of a Markdown text: fenced blocks and inline code spans, with the line each
/// starts on.
fn code_regions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            match fence.take() {
                Some(block) => out.push(block),
                None => fence = Some((i + 1, String::new())),
            }
            continue;
        }
        if let Some((_, block)) = fence.as_mut() {
            block.push_str(line);
            block.push('\n');
            continue;
        }
        let mut spans = line.split('`');
        spans.next();
        while let Some(span) = spans.next() {
            out.push((i + 1, span.to_owned()));
            spans.next();
        }
    }
    out
}

/// Every `goldpath <word>` in code that runs the command: `goldpath` at the start of a
/// command (not inside a path such as `goldpath/goldpath`), followed by a lowercase word.
fn quoted_subcommands(code: &str) -> Vec<String> {
    // Comments (`# ...`) are prose.
    let code: String = code
        .lines()
        .map(|l| match l.find('#') {
            Some(at) if at == 0 || l[..at].ends_with(char::is_whitespace) => &l[..at],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let code = code.as_str();
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find("goldpath ") {
        let start = from + at;
        from = start + "goldpath ".len();
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if !before.is_none_or(|b| b.is_ascii_whitespace() || b"$(\"'|&;".contains(&b)) {
            continue;
        }
        let word: String = code[from..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        let end = code[from + word.len()..].chars().next();
        if word.starts_with(|c: char| c.is_ascii_lowercase())
            && end.is_none_or(|c| c.is_whitespace() || "`'\");".contains(c))
        {
            out.push(word);
        }
    }
    out
}

#[test]
fn every_subcommand_the_docs_quote_exists() {
    let known = known_subcommands();
    assert!(
        known.contains("check") && known.contains("fleet"),
        "{known:?}"
    );
    let mut unknown = Vec::new();
    let mut seen = 0;
    for (path, text) in documents() {
        for (line, code) in code_regions(&text) {
            for word in quoted_subcommands(&code) {
                seen += 1;
                if !known.contains(&word) {
                    unknown.push(format!("{}:{line}: goldpath {word}", path.display()));
                }
            }
        }
    }
    assert!(seen > 50, "only {seen} commands found: the scan is broken");
    assert!(
        unknown.is_empty(),
        "subcommands that do not exist:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_subcommand_scan_finds_commands_and_skips_paths() {
    let code = "goldpath check --staged\n$ goldpath fleet scan\nuses: goldpath/goldpath@v1\n\
                cargo install --git https://github.com/goldpath/goldpath goldpath-cli\n\
                (goldpath owners) && goldpath frobnicate x\ngoldpath.toml # goldpath and more\n";
    assert_eq!(
        quoted_subcommands(code),
        ["check", "fleet", "owners", "frobnicate"]
    );
    let regions = code_regions("a `goldpath check` b `x`\n```sh\ngoldpath fix\n```\n");
    assert_eq!(
        regions,
        [
            (1, "goldpath check".to_owned()),
            (1, "x".to_owned()),
            (2, "goldpath fix\n".to_owned())
        ]
    );
}

/// The versions CHANGELOG.md lists as released (`## [X.Y.Z]`).
fn released_versions() -> BTreeSet<String> {
    let changelog =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("CHANGELOG.md"))
            .expect("CHANGELOG.md");
    changelog
        .lines()
        .filter_map(|l| l.strip_prefix("## ["))
        .filter_map(|l| l.split(']').next())
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

/// Every goldpath release a piece of code pins: `rev: vX.Y.Z` in a pre-commit configuration
/// of goldpath's repositories, `--tag vX.Y.Z`, `goldpath/goldpath@… # vX.Y.Z`,
/// `goldpath@vX.Y.Z`, images `goldpath:X.Y.Z` and wheels `goldpath==X.Y.Z`.
fn pinned_versions(code: &str) -> Vec<String> {
    let about_goldpath = code.contains("goldpath/goldpath");
    let mut out = Vec::new();
    for line in code.lines() {
        let mut markers = vec!["--tag v", "goldpath@v", "goldpath:", "goldpath=="];
        if about_goldpath {
            markers.push("rev: v");
        }
        if line.contains("goldpath/goldpath@") {
            markers.push("# v");
        }
        for marker in markers {
            for (at, _) in line.match_indices(marker) {
                let version: String = line[at + marker.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                if version.starts_with(|c: char| c.is_ascii_digit()) {
                    out.push(version);
                }
            }
        }
    }
    out
}

#[test]
fn every_goldpath_release_the_docs_pin_exists() {
    let released = released_versions();
    let mut unreleased = Vec::new();
    for (path, text) in documents() {
        for (line, code) in code_regions(&text) {
            for version in pinned_versions(&code) {
                if !released.contains(&version) {
                    unreleased.push(format!("{}:{line}: {version}", path.display()));
                }
            }
        }
    }
    assert!(
        unreleased.is_empty(),
        "the docs pin goldpath releases CHANGELOG.md does not list (write a placeholder such \
         as <version> until the release exists):\n{}",
        unreleased.join("\n")
    );
}

#[test]
fn the_pin_scan_finds_goldpath_versions_only() {
    let pre_commit = "repos:\n  - repo: https://github.com/goldpath/goldpath\n    rev: v0.1.0\n";
    assert_eq!(pinned_versions(pre_commit), ["0.1.0"]);
    let other = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.6.9\n";
    assert!(pinned_versions(other).is_empty());
    let code =
        "cargo install --git https://github.com/goldpath/goldpath --tag v0.1.0 goldpath-cli\n\
                - uses: goldpath/goldpath@0123456789abcdef0123456789abcdef01234567 # v0.2.0\n\
                - uses: actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2\n\
                image: ghcr.io/goldpath/goldpath:0.3.1-ci\npip install goldpath==1.0.0\n\
                image: ghcr.io/goldpath/goldpath:<version>-ci\n";
    assert_eq!(
        pinned_versions(code),
        ["0.1.0", "0.2.0", "0.3.1-ci", "1.0.0"]
    );
}
