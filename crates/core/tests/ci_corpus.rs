//! Opt-in: the `ci/*` rules over the shared real-world corpus.
//!
//! Runs when `GOLDPATH_CORPUS` points at the corpus (one folder per repository, `owner__name/`,
//! with the repository's CI files and a `FILES.txt` listing every path; `.ci/run` sets it when
//! the corpus sits beside the project). It is never copied into the project.
//!
//! 1. Every workflow, action and GitLab file of the corpus parses (these are real, valid
//!    files: a parse error is a bug in goldpath), and so does every other `*.yml`/`*.yaml`
//!    file of it but Helm chart templates (Go templates, YAML only once rendered): PyYAML
//!    loads all of those, so goldpath must too. `ci/invalid-yaml` reports nothing.
//! 2. The `ci/*` rules run over each repository, built as a `MemorySnapshot` from its files
//!    plus every path of `FILES.txt` as an empty file (so repository-wide rules see them), and
//!    the counts of pinning, permissions, dangerous-trigger and template-injection findings
//!    are printed per repository (`cargo test -p goldpath --test ci_corpus -- --nocapture`).
//! 3. The unpinned `uses:` counts agree with the corpus README's own table, counted by a
//!    different method (a line scan).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use goldpath::ci::github::{is_action_path, is_workflow_path, GithubFile};
use goldpath::ci::gitlab::{self, Pipeline};
use goldpath::doc::{parse, Format};
use goldpath::policy::FsReader;
use goldpath::{Engine, Finding, MemorySnapshot, Policy, Registry};

/// Every `ci/*` rule, with the options of the recommended pack.
const POLICY: &str = r#"
[rules."ci/config-missing"]
[rules."ci/invalid-yaml"]
[rules."ci/unpinned-action"]
trusted = ["actions/*", "github/*"]
[rules."ci/permissions-missing"]
[rules."ci/excessive-permissions"]
[rules."ci/update-tool-missing"]
[rules."ci/gitlab-include-unpinned"]
[rules."ci/dangerous-trigger"]
[rules."ci/template-injection"]
[rules."ci/missing-timeout"]
[rules."ci/unpinned-image"]
[rules."ci/persist-credentials"]
[rules."ci/gitlab-image-unpinned"]
"#;

/// `uses:` pinned by tag or branch, per repository, from the corpus README ("GitHub Actions
/// pinning"), plus its `docker://` column where those are unpinned.
const README_UNPINNED: &[(&str, usize)] = &[
    ("astral-sh__uv", 0),
    ("backstage__charts", 2),
    ("backstage__mkdocs-techdocs-core", 15),
    ("BurntSushi__ripgrep", 15),
    ("esphome__esphome", 60),
    ("gitlabhq__gitlab-shell", 0),
    ("home-assistant__frontend", 0),
    ("microsoft__vscode-chrome-debug", 0),
    ("microsoft__vscode-extension-samples", 3),
    ("OpenSLO__OpenSLO", 2),
    ("prometheus-operator__kube-prometheus", 22),
    ("prometheus__prometheus", 3),
    ("pydantic__pydantic", 0),
    ("python-poetry__poetry", 0),
    ("rust-lang__cargo", 0),
    ("vuejs__vue", 14),
];

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("GOLDPATH_CORPUS")?);
    dir.is_dir().then_some(dir)
}

fn repositories(corpus: &Path) -> Vec<PathBuf> {
    let mut repos: Vec<PathBuf> = std::fs::read_dir(corpus)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("FILES.txt").is_file())
        .collect();
    repos.sort();
    repos
}

/// Every file under `dir` (relative paths with `/`), but `FILES.txt`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .expect("under dir")
                .to_string_lossy()
                .replace('\\', "/");
            if relative != "FILES.txt" {
                out.insert(relative, std::fs::read(&path).expect("read file"));
            }
        }
    }
    out
}

/// The repository as a snapshot: every path of FILES.txt (empty) and the copied files.
fn snapshot(dir: &Path, copied: &BTreeMap<String, Vec<u8>>) -> MemorySnapshot {
    let listing = std::fs::read_to_string(dir.join("FILES.txt")).expect("FILES.txt");
    let mut all: BTreeMap<String, Vec<u8>> = listing
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| (l.to_owned(), Vec::new()))
        .collect();
    for (path, bytes) in copied {
        all.insert(path.clone(), bytes.clone());
    }
    // Sorted insertion keeps MemorySnapshot's inserts at the end of its list.
    all.into_iter()
        .fold(MemorySnapshot::new(), |s, (path, bytes)| {
            s.with_file(path, bytes)
        })
}

/// A file under `templates/` of a Helm chart (a folder with a `values.yaml`).
fn is_helm_template(path: &str, files: &BTreeMap<String, Vec<u8>>) -> bool {
    let mut prefix = String::new();
    for part in path.split('/') {
        if part == "templates" && files.contains_key(&format!("{prefix}values.yaml")) {
            return true;
        }
        prefix.push_str(part);
        prefix.push('/');
    }
    false
}

struct MemoryFiles<'a>(&'a BTreeMap<String, Vec<u8>>);

impl gitlab::Files for MemoryFiles<'_> {
    fn text(&self, path: &str) -> Option<Result<String, String>> {
        let bytes = self.0.get(path)?;
        Some(String::from_utf8(bytes.clone()).map_err(|e| e.to_string()))
    }
    fn paths(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

fn count(findings: &[Finding], rules: &[&str]) -> usize {
    findings
        .iter()
        .filter(|f| rules.contains(&f.rule.as_str()))
        .count()
}

#[test]
fn ci_rules_over_the_corpus() {
    let Some(corpus) = corpus() else {
        // Written to stderr directly, not through the test harness's captured output, so
        // that `cargo test` shows the skip.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: GOLDPATH_CORPUS not set (the ci/* rules over the corpus)\n",
        );
        return;
    };
    let policy =
        Policy::from_text("goldpath.toml", POLICY, Path::new("."), &FsReader).expect("policy");
    let engine = Engine::new(&Registry::builtin(), &policy).expect("engine");

    let mut parse_failures = Vec::new();
    let mut mismatches = Vec::new();
    let mut parsed_files = 0;
    let mut yaml_files = 0;
    let mut skipped_templates = 0;
    println!(
        "{:40} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "repository", "files", "pinning", "(gold)", "perms", "danger", "inject", "other"
    );
    for dir in repositories(&corpus) {
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let copied = files(&dir);

        // 1. Every CI file parses.
        for (path, bytes) in &copied {
            if !(is_workflow_path(path) || is_action_path(path)) {
                continue;
            }
            parsed_files += 1;
            let text = String::from_utf8_lossy(bytes);
            match GithubFile::parse(path, &text) {
                Ok(file) => {
                    let problems = match &file {
                        GithubFile::Workflow(w) => &w.problems,
                        GithubFile::Action(a) => &a.problems,
                    };
                    for p in problems {
                        parse_failures
                            .push(format!("{name}/{path}:{}: {}", p.span.line, p.message));
                    }
                }
                Err(e) => parse_failures.push(format!("{name}/{path}: {e}")),
            }
        }
        for (path, bytes) in &copied {
            if !(path.ends_with(".yml") || path.ends_with(".yaml")) {
                continue;
            }
            if is_helm_template(path, &copied) {
                skipped_templates += 1;
                continue;
            }
            yaml_files += 1;
            let text = String::from_utf8_lossy(bytes);
            if let Err(e) = parse(Format::Yaml, &text) {
                parse_failures.push(format!("{name}/{path}: {e}"));
            }
        }
        if copied.contains_key(".gitlab-ci.yml") {
            let pipeline = Pipeline::load(".gitlab-ci.yml", &MemoryFiles(&copied));
            parsed_files += pipeline.files.len();
            for p in &pipeline.problems {
                parse_failures.push(format!("{name}/{}:{}: {}", p.path, p.span.line, p.message));
            }
        }

        // 2. The rules over the repository.
        let report = engine.check(&snapshot(&dir, &copied));
        let findings = &report.findings;
        for f in findings.iter().filter(|f| f.rule == "ci/invalid-yaml") {
            let line = f.span.map_or(0, |s| s.line);
            parse_failures.push(format!(
                "{name}/{}:{line}: ci/invalid-yaml: {}",
                f.path.as_deref().unwrap_or("(repository)"),
                f.message
            ));
        }
        let pinning = [
            "ci/unpinned-action",
            "ci/unpinned-image",
            "ci/gitlab-include-unpinned",
            "ci/gitlab-image-unpinned",
        ];
        let permissions = ["ci/permissions-missing", "ci/excessive-permissions"];
        let gold_pinning = findings
            .iter()
            .filter(|f| pinning.contains(&f.rule.as_str()) && f.tier == goldpath::Tier::Gold)
            .count();
        let counted = count(findings, &pinning)
            + count(findings, &permissions)
            + count(findings, &["ci/dangerous-trigger", "ci/template-injection"]);
        println!(
            "{name:40} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
            copied.len(),
            count(findings, &pinning),
            gold_pinning,
            count(findings, &permissions),
            count(findings, &["ci/dangerous-trigger"]),
            count(findings, &["ci/template-injection"]),
            findings.len() - counted,
        );
        if std::env::var_os("GOLDPATH_CORPUS_VERBOSE").is_some() {
            for f in findings {
                let at = f
                    .span
                    .map_or(String::new(), |s| format!(":{}:{}", s.line, s.column));
                println!(
                    "    {} {}{at} {}",
                    f.rule,
                    f.path.as_deref().unwrap_or("(repository)"),
                    f.message
                );
            }
        }

        // 3. Unpinned `uses:` agree with the README's table.
        if let Some((_, expected)) = README_UNPINNED.iter().find(|(r, _)| *r == name) {
            let unpinned = count(findings, &["ci/unpinned-action"]);
            if unpinned != *expected {
                mismatches.push(format!(
                    "{name}: {unpinned} unpinned uses, README says {expected}"
                ));
            }
        }
    }
    println!(
        "{parsed_files} CI files parsed; {yaml_files} YAML files parsed, {skipped_templates} \
         Helm templates skipped"
    );
    assert!(
        parse_failures.is_empty(),
        "valid corpus files failed to parse:\n{}",
        parse_failures.join("\n")
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
