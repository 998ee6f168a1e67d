//! GitLab CI: the pipeline model (merge keys, local includes, wildcards, cycles, `extends`)
//! and the `ci/*` rules of builtin:recommended. The input is split at NUL bytes into
//! `.gitlab-ci.yml` and up to seven further files (`ci/0.yml` ...) it may include.
#![no_main]

use std::sync::OnceLock;

use goldpath::ci::gitlab::{Files, Pipeline};
use goldpath::Engine;
use goldpath_fuzz::{check, engine};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    ".gitlab-ci.yml",
    "ci/0.yml",
    "ci/1.yml",
    "ci/2.yaml",
    "ci/sub/3.yml",
    "templates/4.yml",
    "templates/5.yml",
    "6.yml",
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

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = Split(NAMES.iter().copied().zip(text.split('\0')).collect());
    let pipeline = Pipeline::load(".gitlab-ci.yml", &files);
    for job in &pipeline.jobs {
        let _ = pipeline.stage(job);
        let _ = pipeline.script(job);
    }
    let _ = pipeline.stage_names();
    let engine = engine(&ENGINE, "extends = [\"builtin:recommended\"]\n");
    let snapshot: Vec<(&str, &[u8])> = files
        .0
        .iter()
        .map(|(name, text)| (*name, text.as_bytes()))
        .collect();
    let _ = check(engine, &snapshot);
});
