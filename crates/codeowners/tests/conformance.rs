//! Opt-in conformance test: GitHub pattern semantics against the 153 cases of the
//! `hmarr/codeowners` table (`{group, pattern, path, matches}`).
//!
//! Set `GOLDPATH_CONFORMANCE` to the folder holding `codeowners-github.json`:
//!
//! ```sh
//! GOLDPATH_CONFORMANCE=/work/shared/conformance cargo test -p goldpath-codeowners
//! ```
//!
//! Each case is checked twice: with [`Pattern`] on its own, and through a whole parsed file
//! (`<pattern> @owner`) whose index must agree.

use std::path::PathBuf;

use goldpath_codeowners::{parse, Dialect, Pattern};

#[test]
fn github_patterns_conformance() {
    let Some(dir) = std::env::var_os("GOLDPATH_CONFORMANCE") else {
        // Written to stderr directly, not through the test harness's captured output, so
        // that `cargo test` shows the skip.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: GOLDPATH_CONFORMANCE not set (the CODEOWNERS conformance test)\n",
        );
        return;
    };
    let file = PathBuf::from(dir).join("codeowners-github.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    let cases: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let cases = cases.as_array().expect("an array of cases");
    assert_eq!(cases.len(), 153, "the table has 153 cases");
    let mut failures = Vec::new();
    for case in cases {
        let group = case["group"].as_str().expect("group");
        let pattern = case["pattern"].as_str().expect("pattern");
        let path = case["path"].as_str().expect("path");
        let expected = case["matches"].as_bool().expect("matches");
        let alone = Pattern::new(pattern, Dialect::GitHub)
            .map(|p| p.matches(path))
            .unwrap_or(false);
        let co = parse(&format!("{pattern} @owner\n"), Dialect::GitHub);
        let in_file = co.owners_of(path).is_owned();
        let naive = !co.matching_rules(path).is_empty();
        if alone != expected || in_file != expected || naive != expected {
            failures.push(format!(
                "[{group}] `{pattern}` vs `{path}`: expected {expected}, pattern {alone}, file \
                 {in_file}, all-matches {naive}"
            ));
        }
    }
    println!(
        "{} of {} conformance cases pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
