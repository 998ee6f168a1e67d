//! CODEOWNERS in both dialects: the first byte picks GitHub (even) or GitLab (odd); the rest
//! is the file. Parsing never fails, so the target also matches paths against the rules.
#![no_main]

use goldpath_codeowners::{parse_bytes, Dialect};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "README.md",
    "src/main.rs",
    "docs/a b/c.md",
    ".github/workflows/ci.yml",
    "deep/a/b/c/d/e/f/g.txt",
    "UPPER/Case.TXT",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let dialect = if selector & 1 == 0 {
        Dialect::GitHub
    } else {
        Dialect::GitLab
    };
    let owners = parse_bytes(rest, dialect);
    for d in owners.diagnostics() {
        let _ = d.to_string();
    }
    for path in PATHS {
        let ownership = owners.owners_of(path);
        let _ = ownership.owners().count();
        let _ = owners.matching_rules(path);
    }
    let usage = owners.rule_usage(PATHS);
    let _ = usage.unmatched();
});
