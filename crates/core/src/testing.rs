//! Helpers for rule unit tests: a policy text and in-memory files in, findings out.

use std::path::Path;

use crate::engine::Engine;
use crate::finding::Finding;
use crate::policy::{FsReader, Policy, PolicyError};
use crate::registry::Registry;
use crate::snapshot::MemorySnapshot;

/// Runs `policy` over `files` and returns the findings (waived ones left out).
pub fn check(policy: &str, files: &[(&str, &str)]) -> Vec<Finding> {
    let snapshot = files.iter().fold(MemorySnapshot::new(), |s, (path, text)| {
        s.with_file(*path, *text)
    });
    check_snapshot(policy, &snapshot)
}

/// `(path, line, message)` of each finding of `rule` when `policy` checks `files`.
pub fn messages_of(rule: &str, policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, String)> {
    check(policy, files)
        .into_iter()
        .filter(|f| f.rule == rule)
        .map(|f| {
            (
                f.path.clone().unwrap_or_default(),
                f.span.map_or(0, |s| s.line),
                f.message,
            )
        })
        .collect()
}

/// Runs `policy` over a snapshot.
pub fn check_snapshot(policy: &str, snapshot: &MemorySnapshot) -> Vec<Finding> {
    let policy = Policy::from_text("goldpath.toml", policy, Path::new("."), &FsReader)
        .unwrap_or_else(|e| panic!("policy: {e}"));
    let engine = Engine::new(&Registry::builtin(), &policy).unwrap_or_else(|e| panic!("{e}"));
    engine.check(snapshot).findings
}

/// The error a policy gives, from parsing or from building its rules.
pub fn policy_error(policy: &str) -> PolicyError {
    let result = Policy::from_text("goldpath.toml", policy, Path::new("."), &FsReader)
        .and_then(|p| Engine::new(&Registry::builtin(), &p).map(|_| ()));
    match result {
        Err(e) => e,
        Ok(()) => panic!("policy was accepted:\n{policy}"),
    }
}
