//! Opt-in conformance test: the `ci/*` rules that have a counterpart in zizmor, run on the
//! workflows and actions of zizmor's own test suite and compared, line by line, with the
//! findings zizmor 1.33.1 recorded for each of them.
//!
//! Set `GOLDPATH_CONFORMANCE` to the folder holding `zizmor/test-data/` and
//! `zizmor/zizmor-1.33.1-regular.jsonl`:
//!
//! ```sh
//! GOLDPATH_CONFORMANCE=/work/shared/conformance cargo test -p goldpath --test zizmor_conformance -- --nocapture
//! ```
//!
//! Each fixture is copied alone into an empty directory, as `.github/workflows/x.yml` (or
//! `action.yml` for an action), and checked with a policy that enables the mapped rules only.
//! A finding is the same when the fixture and the line agree. The test prints, per audit, how
//! many lines both tools report, zizmor only and goldpath only, and fails when the lines both
//! report fall below what goldpath reached (a regression), or goldpath-only lines grow.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::Repo;
use serde_json::Value;

/// An audit compared: its name in the table, zizmor's audits and goldpath's rules it maps,
/// and the floor of lines both report and the ceiling of lines only goldpath reports.
struct Audit {
    name: &'static str,
    zizmor: &'static [&'static str],
    goldpath: &'static [&'static str],
    min_both: usize,
    max_goldpath_only: usize,
}

const AUDITS: &[Audit] = &[
    Audit {
        name: "template-injection",
        zizmor: &["template-injection"],
        goldpath: &["ci/template-injection"],
        min_both: 22,
        max_goldpath_only: 5,
    },
    Audit {
        name: "dangerous-trigger",
        zizmor: &["dangerous-triggers", "unsafe-checkout"],
        goldpath: &["ci/dangerous-trigger"],
        min_both: 0,
        max_goldpath_only: 100,
    },
    Audit {
        name: "github-env",
        zizmor: &["github-env"],
        goldpath: &["ci/github-env"],
        min_both: 6,
        max_goldpath_only: 0,
    },
    Audit {
        name: "bot-conditions",
        zizmor: &["bot-conditions"],
        goldpath: &["ci/bot-condition"],
        min_both: 11,
        max_goldpath_only: 0,
    },
    Audit {
        name: "overprovisioned-secrets",
        zizmor: &["overprovisioned-secrets"],
        goldpath: &["ci/secrets-overexposed"],
        min_both: 2,
        max_goldpath_only: 0,
    },
    Audit {
        name: "unredacted-secrets",
        zizmor: &["unredacted-secrets"],
        goldpath: &["ci/secrets-unredacted"],
        min_both: 2,
        max_goldpath_only: 0,
    },
    Audit {
        name: "insecure-commands",
        zizmor: &["insecure-commands"],
        goldpath: &["ci/insecure-commands"],
        min_both: 4,
        max_goldpath_only: 2,
    },
    Audit {
        name: "container-credentials",
        zizmor: &["hardcoded-container-credentials"],
        goldpath: &["ci/container-credentials"],
        min_both: 1,
        max_goldpath_only: 0,
    },
    Audit {
        name: "unsound-contains",
        zizmor: &["unsound-contains"],
        goldpath: &["ci/unsound-contains"],
        min_both: 3,
        max_goldpath_only: 0,
    },
    Audit {
        name: "unsound-condition",
        zizmor: &["unsound-condition"],
        goldpath: &["ci/unsound-condition"],
        min_both: 9,
        max_goldpath_only: 0,
    },
    Audit {
        name: "cache-poisoning",
        zizmor: &["cache-poisoning"],
        goldpath: &["ci/cache-poisoning"],
        min_both: 26,
        max_goldpath_only: 0,
    },
    Audit {
        name: "archived-uses",
        zizmor: &["archived-uses"],
        goldpath: &["ci/archived-action"],
        min_both: 4,
        max_goldpath_only: 0,
    },
    Audit {
        name: "typosquat-uses",
        zizmor: &["typosquat-uses"],
        goldpath: &["ci/typosquat-action"],
        min_both: 5,
        max_goldpath_only: 0,
    },
];

const POLICY: &str = "[settings]\ninline-suppressions = true\n\
                      [rules.\"ci/template-injection\"]\n[rules.\"ci/dangerous-trigger\"]\n\
                      [rules.\"ci/github-env\"]\n[rules.\"ci/bot-condition\"]\n[rules.\"ci/secrets-overexposed\"]\n[rules.\"ci/secrets-unredacted\"]\n[rules.\"ci/insecure-commands\"]\n[rules.\"ci/container-credentials\"]\n[rules.\"ci/unsound-contains\"]\n[rules.\"ci/unsound-condition\"]\n\
                      [rules.\"ci/cache-poisoning\"]\n[rules.\"ci/archived-action\"]\n\
                      [rules.\"ci/typosquat-action\"]\n";

type Line = (String, u64);

#[test]
fn zizmor_mapped_audits_conformance() {
    let Some(dir) = std::env::var_os("GOLDPATH_CONFORMANCE") else {
        // Written to stderr directly, not through the test harness's captured output, so
        // that `cargo test` shows the skip.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: GOLDPATH_CONFORMANCE not set (the zizmor conformance test)\n",
        );
        return;
    };
    let root = PathBuf::from(dir).join("zizmor");
    let recorded = root.join("zizmor-1.33.1-regular.jsonl");
    let text = std::fs::read_to_string(&recorded)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", recorded.display()));
    let mut zizmor: Vec<BTreeSet<Line>> = AUDITS.iter().map(|_| BTreeSet::new()).collect();
    let mut ours: Vec<BTreeSet<Line>> = AUDITS.iter().map(|_| BTreeSet::new()).collect();
    let mut fixtures = 0;
    let mut missing = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let record: Value = serde_json::from_str(line).expect("a JSON line");
        let fixture = record["fixture"].as_str().expect("fixture").to_owned();
        let kind = record["kind"].as_str().expect("kind");
        let source_exists = root.join("test-data").join(&fixture).is_file();
        for finding in record["findings"].as_array().expect("findings") {
            if !source_exists {
                break;
            }
            let audit = finding["audit"].as_str().unwrap_or_default();
            let at = finding["line"].as_u64().unwrap_or(0);
            for (i, a) in AUDITS.iter().enumerate() {
                if a.zizmor.contains(&audit) {
                    zizmor[i].insert((fixture.clone(), at));
                }
            }
        }
        let source = root.join("test-data").join(&fixture);
        // A few recorded fixtures live under dot-folders the data set leaves out: neither
        // tool's findings on them are counted.
        let Ok(contents) = std::fs::read(&source) else {
            missing.push(fixture);
            continue;
        };
        let target = if kind == "action" {
            "action.yml"
        } else {
            ".github/workflows/x.yml"
        };
        let repo = Repo::plain();
        repo.write(target, contents).write("goldpath.toml", POLICY);
        let (_, report) = repo.check_json(&["--fail-on", "never"]);
        fixtures += 1;
        for finding in report["findings"].as_array().expect("findings") {
            let rule = finding["rule"].as_str().unwrap_or_default();
            if finding["path"].as_str() != Some(target) {
                continue;
            }
            let at = finding["span"]["line"].as_u64().unwrap_or(0);
            for (i, a) in AUDITS.iter().enumerate() {
                if a.goldpath.contains(&rule) {
                    ours[i].insert((fixture.clone(), at));
                }
            }
        }
    }
    assert!(
        fixtures >= 200,
        "expected the 210 fixtures, read {fixtures}"
    );
    println!(
        "{fixtures} fixtures checked, {} recorded but absent: {missing:?}",
        missing.len()
    );
    println!(
        "{:<20} {:>5} {:>12} {:>14}",
        "audit", "both", "zizmor-only", "goldpath-only"
    );
    let mut failures = Vec::new();
    for (i, audit) in AUDITS.iter().enumerate() {
        let both = zizmor[i].intersection(&ours[i]).count();
        let zizmor_only: Vec<&Line> = zizmor[i].difference(&ours[i]).collect();
        let goldpath_only: Vec<&Line> = ours[i].difference(&zizmor[i]).collect();
        println!(
            "{:<20} {both:>5} {:>12} {:>14}",
            audit.name,
            zizmor_only.len(),
            goldpath_only.len()
        );
        for (fixture, line) in &zizmor_only {
            println!("  zizmor only:   {fixture}:{line}");
        }
        for (fixture, line) in &goldpath_only {
            println!("  goldpath only: {fixture}:{line}");
        }
        if both < audit.min_both {
            failures.push(format!(
                "{}: {both} lines found by both, expected at least {}",
                audit.name, audit.min_both
            ));
        }
        if goldpath_only.len() > audit.max_goldpath_only {
            failures.push(format!(
                "{}: {} lines found by goldpath only, expected at most {}",
                audit.name,
                goldpath_only.len(),
                audit.max_goldpath_only
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
