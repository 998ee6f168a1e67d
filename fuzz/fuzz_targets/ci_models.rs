//! The CI models alone, without the engine (many more inputs per second than `github_ci` and
//! `gitlab_ci`, which also run the rules): the first byte modulo 4 picks a workflow, a root
//! action, a nested action, or a GitLab pipeline (the rest split at NUL bytes into
//! `.gitlab-ci.yml` and the files it may include).
#![no_main]

use goldpath::ci::expr::{context_refs, expressions};
use goldpath::ci::github::GithubFile;
use goldpath::ci::gitlab::{Files, Pipeline};
use goldpath_fuzz::selector_and_text;
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    ".github/workflows/ci.yml",
    "action.yml",
    ".github/actions/setup/action.yaml",
];

const NAMES: &[&str] = &[
    ".gitlab-ci.yml",
    "ci/0.yml",
    "ci/1.yml",
    "ci/sub/2.yml",
    "3.yml",
];

struct Split<'a>(Vec<(&'static str, &'a str)>);

impl Files for Split<'_> {
    fn text(&self, path: &str) -> Option<Result<String, String>> {
        self.0
            .iter()
            .find(|(name, _)| *name == path)
            .map(|(_, text)| Ok((*text).to_owned()))
    }

    fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.0.iter().map(|(name, _)| *name).collect();
        paths.sort_unstable();
        paths
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let which = usize::from(selector) % 4;
    if let Some(path) = PATHS.get(which) {
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
    } else {
        let files = Split(NAMES.iter().copied().zip(text.split('\0')).collect());
        let pipeline = Pipeline::load(".gitlab-ci.yml", &files);
        for job in &pipeline.jobs {
            let _ = pipeline.stage(job);
            let _ = pipeline.script(job);
        }
        let _ = pipeline.stage_names();
    }
});
