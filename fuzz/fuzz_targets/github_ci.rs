//! GitHub Actions: the workflow and action models, the expressions in them, and the `ci/*`
//! rules of builtin:recommended over the file. The first byte picks the path: a workflow, a
//! root action or a nested action.
#![no_main]

use std::sync::OnceLock;

use goldpath::ci::expr::{context_refs, expressions};
use goldpath::ci::github::GithubFile;
use goldpath::Engine;
use goldpath_fuzz::{check, engine, selector_and_text};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    ".github/workflows/ci.yml",
    "action.yml",
    ".github/actions/setup/action.yaml",
];

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let path = PATHS[usize::from(selector) % PATHS.len()];
    if let Ok(file) = GithubFile::parse(path, text) {
        for step in file.steps() {
            let _ = step.action();
            let _ = step.with_value("ref");
        }
        if let Some(workflow) = file.as_workflow() {
            for job in &workflow.jobs {
                let _ = workflow.job_node(job);
            }
            if let Some(permissions) = &workflow.permissions {
                let _ = permissions.writes();
            }
        }
    }
    for expression in expressions(text) {
        let _ = context_refs(&text[expression.inner]);
    }
    let engine = engine(&ENGINE, "extends = [\"builtin:recommended\"]\n");
    let _ = check(engine, &[(path, text.as_bytes())]);
});
