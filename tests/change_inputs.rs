//! In change mode (`--staged`, `--base`) a repository-wide rule runs only when one of its
//! declared inputs changed (`Rule::inputs`, and the list of paths for `Scope::Repository {
//! path_list: true }`). A rule that reads a file its inputs do not cover could miss a change,
//! so these tests run every built-in pack with the engine's read audit and assert that no
//! repository-wide rule read outside its inputs: on a scratch repository holding the files
//! that rules read beyond their wants (a GitLab include, placeholders in SECURITY.md and
//! CODEOWNERS, licences, Dockerfiles, logging configuration), and, opt-in, on the shared corpus
//! (`GOLDPATH_CORPUS`) and on real checkouts (`GOLDPATH_ECOSYSTEM_REPOS`).

mod common;

use std::path::{Path, PathBuf};

use common::Repo;
use goldpath::{Engine, Policy, Registry};

const PACKS: &[&str] = &[
    "recommended",
    "security",
    "rust-service",
    "go-service",
    "python-service",
    "node-service",
    "jvm-service",
    // Repository-wide rules no pack enables.
    r#"text:
[rules."ci/gitlab-required-job"]
jobs = [{ name = "build", stage = "build" }]
[rules."ci/required-workflow"]
workflows = [{ name = "tests", on = ["pull_request"] }]
"#,
];

/// Every read outside a repository-wide rule's inputs, over every pack, as `pack: rule path`.
/// Each rule runs alone, so that values rules share (the CODEOWNERS table, the GitLab pipeline)
/// are built, and their files read, by the rule being audited.
fn undeclared_reads(dir: &Path) -> Vec<String> {
    let registry = Registry::builtin();
    let snapshot = match goldpath_git::open(dir, goldpath_git::Source::Worktree) {
        Ok(snapshot) => snapshot,
        Err(e) => panic!("cannot open {}: {e}", dir.display()),
    };
    let mut found = std::collections::BTreeSet::new();
    for pack in PACKS {
        let policy = match pack.strip_prefix("text:") {
            Some(text) => Policy::from_text("test.toml", text, dir, &goldpath::policy::FsReader)
                .expect("the test policy loads"),
            None => Policy::load_builtin(pack).expect("built-in pack loads"),
        };
        let engine = Engine::new(&registry, &policy).expect("built-in pack builds");
        let repository_wide = engine.rule_ids().into_iter().filter(|id| {
            registry
                .get(id)
                .is_none_or(|def| matches!(def.meta.scope, goldpath::Scope::Repository { .. }))
        });
        for rule in repository_wide {
            let only = std::collections::BTreeSet::from([rule.to_owned()]);
            let (_, undeclared) = engine.check_audited(&snapshot, Some(&only));
            found.extend(undeclared.into_iter().map(|(rule, path)| {
                format!(
                    "{}: {rule} read {path}",
                    pack.lines().next().unwrap_or(pack)
                )
            }));
        }
    }
    found.into_iter().collect()
}

#[test]
fn repository_rules_read_only_their_declared_inputs() {
    let repo = Repo::git();
    repo.write(
        ".gitlab-ci.yml",
        "include:\n  - local: ci/build.yml\nstages: [build]\n",
    )
    .write("ci/build.yml", "build:\n  stage: build\n  script: [make]\n")
    .write(
        "SECURITY.md",
        "Report to TODO-security-contact@example.com\n",
    )
    .write("CODEOWNERS", "* @TODO-org/TODO-team\n")
    .write("LICENSE", "MIT License\n\nPermission is hereby granted\n")
    .write("README.md", "# service\n")
    .write(
        "Dockerfile",
        "FROM alpine:3.20\nHEALTHCHECK CMD wget -q localhost:8080/healthz\nUSER app\n",
    )
    .write("src/main/resources/logback.xml", "<configuration/>\n")
    .write(
        "src/main/resources/application.yml",
        "server:\n  port: 8080\n",
    )
    .write(
        "pom.xml",
        "<project><artifactId>svc</artifactId></project>\n",
    )
    .write(
        "package.json",
        "{\"name\": \"svc\", \"dependencies\": {\"pino\": \"9\"}}\n",
    )
    .write("go.mod", "module example.com/svc\n\ngo 1.22\n")
    .write("main.go", "package main\n\nfunc main() {}\n")
    .write(
        "deploy/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc\n",
    );
    repo.commit("init");
    let found = undeclared_reads(repo.path());
    assert!(
        found.is_empty(),
        "repository-wide rules read files their inputs do not declare:\n{}",
        found.join("\n")
    );
}

/// The folders under `GOLDPATH_CORPUS` and `GOLDPATH_ECOSYSTEM_REPOS`.
fn opt_in_repositories() -> Option<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let mut any = false;
    for var in ["GOLDPATH_CORPUS", "GOLDPATH_ECOSYSTEM_REPOS"] {
        let Some(root) = std::env::var_os(var) else {
            continue;
        };
        any = true;
        let entries = std::fs::read_dir(&root)
            .unwrap_or_else(|e| panic!("{var}={}: {e}", Path::new(&root).display()));
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
    }
    dirs.sort();
    any.then_some(dirs)
}

#[test]
fn repository_rules_read_only_their_declared_inputs_on_real_repositories() {
    let Some(dirs) = opt_in_repositories() else {
        // Past the test harness's capture, so that `cargo test` shows the skip.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: set GOLDPATH_CORPUS (the shared corpus) or GOLDPATH_ECOSYSTEM_REPOS \
              (a folder of checkouts) to audit the declared inputs on real repositories\n",
        );
        return;
    };
    let mut found = Vec::new();
    for dir in &dirs {
        found.extend(
            undeclared_reads(dir)
                .into_iter()
                .map(|line| format!("{}: {line}", dir.display())),
        );
    }
    assert!(
        found.is_empty(),
        "repository-wide rules read files their inputs do not declare:\n{}",
        found.join("\n")
    );
}
