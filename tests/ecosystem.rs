//! The ecosystem check (opt-in), in the spirit of ruff's: goldpath with no policy, with the
//! policy `goldpath init` proposes, and with each built-in pack, over real repositories,
//! compared rule by rule with the counts recorded in `tests/ecosystem.expected`.
//!
//! Which repositories:
//! - `GOLDPATH_CORPUS`: the shared corpus (one folder per repository, `owner__name/`, holding
//!   the repository's configuration files). `.ci/run` sets it when the corpus is there.
//! - `GOLDPATH_ECOSYSTEM_REPOS`: a folder of real checkouts (one subfolder per repository), for
//!   a developer who has cloned some; their lines in the expectation file carry the commit that
//!   was judged, and a checkout at another commit is reported and not compared.
//!
//! With neither set the test prints that it was skipped. `GOLDPATH_BLESS=1` rewrites the lines
//! of the repositories that ran (after the change was reviewed); `cargo xtask ecosystem` runs
//! this test with a release binary (`GOLDPATH_BIN`) and prints the table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The policies each repository is judged with: a name and the policy file's text (`None`:
/// no policy file, so the built-in `recommended` pack; `Some("")`: what `init --stdout` says).
const POLICIES: &[(&str, Option<&str>)] = &[
    ("recommended", None),
    ("init", Some("")),
    ("security", Some("extends = [\"builtin:security\"]\n")),
    (
        "rust-service",
        Some("extends = [\"builtin:recommended\", \"builtin:rust-service\"]\n"),
    ),
    (
        "go-service",
        Some("extends = [\"builtin:recommended\", \"builtin:go-service\"]\n"),
    ),
    (
        "python-service",
        Some("extends = [\"builtin:recommended\", \"builtin:python-service\"]\n"),
    ),
    (
        "node-service",
        Some("extends = [\"builtin:recommended\", \"builtin:node-service\"]\n"),
    ),
    (
        "jvm-service",
        Some("extends = [\"builtin:recommended\", \"builtin:jvm-service\"]\n"),
    ),
];

const EXPECTED: &str = "tests/ecosystem.expected";

/// One repository to judge: its set (`corpus` or `repos`), name, directory and commit.
struct Target {
    set: &'static str,
    name: String,
    dir: PathBuf,
    commit: Option<String>,
}

/// What one run found: findings per rule, the tier reached, the bronze blockers.
#[derive(Default)]
struct Outcome {
    rules: BTreeMap<String, usize>,
    tier: String,
    bronze: Vec<String>,
}

#[test]
fn ecosystem_counts_match_the_expectation_file() {
    let mut targets = Vec::new();
    for (var, set) in [
        ("GOLDPATH_CORPUS", "corpus"),
        ("GOLDPATH_ECOSYSTEM_REPOS", "repos"),
    ] {
        match std::env::var_os(var) {
            Some(dir) => targets.extend(targets_in(Path::new(&dir), set)),
            None => skipped(&format!("ecosystem: {set} skipped: {var} not set")),
        }
    }
    if targets.is_empty() {
        skipped("skipped: neither GOLDPATH_CORPUS nor GOLDPATH_ECOSYSTEM_REPOS is set");
        return;
    }
    let binary = std::env::var_os("GOLDPATH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_goldpath")));

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let expected_text = std::fs::read_to_string(root.join(EXPECTED)).unwrap_or_default();
    let expected = Expectation::parse(&expected_text);

    // Two workers: the machines this runs on have two cores, and each run is one process.
    let mut outcomes: Vec<(usize, &str, Outcome)> = std::thread::scope(|scope| {
        let jobs: Vec<(usize, &str, Option<&str>)> = (0..targets.len())
            .flat_map(|t| POLICIES.iter().map(move |(name, text)| (t, *name, *text)))
            .collect();
        let chunks: Vec<Vec<(usize, &str, Option<&str>)>> = (0..2)
            .map(|w| jobs.iter().skip(w).step_by(2).copied().collect())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let targets = &targets;
                let binary = &binary;
                scope.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|(t, policy, text)| (t, policy, run(binary, &targets[t], text)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });

    let policy_order = |name: &str| POLICIES.iter().position(|(p, _)| *p == name);
    outcomes.sort_by_key(|(t, policy, _)| (*t, policy_order(policy)));

    let mut actual = Expectation::default();
    let mut table = String::new();
    for (t, policy, outcome) in &outcomes {
        let target = &targets[*t];
        let key = (
            target.set.to_owned(),
            target.name.clone(),
            (*policy).to_owned(),
        );
        actual.counts.insert(key, outcome.rules.clone());
        if let Some(commit) = &target.commit {
            actual
                .commits
                .insert((target.set.to_owned(), target.name.clone()), commit.clone());
        }
        let total: usize = outcome.rules.values().sum();
        let _ = writeln!(
            table,
            "{:<45} {:<15} {:>5} findings  tier {:<7} bronze blockers: {}",
            target.name,
            policy,
            total,
            outcome.tier,
            if outcome.bronze.is_empty() {
                "none".to_owned()
            } else {
                outcome.bronze.join(", ")
            }
        );
        for (rule, count) in &outcome.rules {
            let _ = writeln!(table, "    {count:>5} {rule}");
        }
    }
    println!("{table}");

    if std::env::var_os("GOLDPATH_BLESS").is_some() {
        let merged = expected.merged_with(&actual);
        std::fs::write(root.join(EXPECTED), merged.render()).expect("write the expectation file");
        println!("ecosystem: {EXPECTED} rewritten for the repositories that ran");
        return;
    }

    let mut differences = Vec::new();
    for ((set, name, policy), counts) in &actual.counts {
        let repo = (set.clone(), name.clone());
        if let (Some(want), Some(have)) = (expected.commits.get(&repo), actual.commits.get(&repo)) {
            if want != have {
                println!(
                    "ecosystem: {name} is at {have}, the expectation was recorded at {want}: \
                     not compared"
                );
                continue;
            }
        }
        let Some(want) = expected
            .counts
            .get(&(set.clone(), name.clone(), policy.clone()))
        else {
            differences.push(format!("{set} {name} {policy}: no expectation recorded"));
            continue;
        };
        let rules: std::collections::BTreeSet<&String> = want.keys().chain(counts.keys()).collect();
        for rule in rules {
            let (w, h) = (
                want.get(rule).copied().unwrap_or(0),
                counts.get(rule).copied().unwrap_or(0),
            );
            if w != h {
                differences.push(format!(
                    "{set} {name} {policy} {rule}: expected {w}, got {h}"
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "the findings changed on real repositories; review them, then record them with \
         `cargo xtask ecosystem --bless` (or `GOLDPATH_BLESS=1` on this test):\n{}",
        differences.join("\n")
    );
}

/// Every subfolder of `dir`, sorted.
fn targets_in(dir: &Path, set: &'static str) -> Vec<Target> {
    let mut targets: Vec<Target> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let dir = e.path();
            let commit = git_head(&dir);
            Target {
                set,
                name: e.file_name().to_string_lossy().into_owned(),
                dir,
                commit,
            }
        })
        .collect();
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    targets
}

fn git_head(dir: &Path) -> Option<String> {
    if !dir.join(".git").exists() {
        return None;
    }
    let out = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs goldpath on one repository with one policy.
fn run(binary: &Path, target: &Target, policy: Option<&str>) -> Outcome {
    let scratch = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(binary);
    command
        .args(["check", "--format", "json", "--fail-on", "never"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GOLDPATH_LOG");
    if let Some(text) = policy {
        let text = if text.is_empty() {
            init_policy(binary, &target.dir)
        } else {
            text.to_owned()
        };
        let file = scratch.path().join("goldpath.toml");
        std::fs::write(&file, text).expect("write policy");
        command.arg("--config").arg(file);
    }
    command.arg(&target.dir);
    let output = command.output().expect("run goldpath");
    assert!(
        output.status.code() == Some(0),
        "goldpath failed on {} ({:?}): {}",
        target.name,
        policy,
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let mut outcome = Outcome::default();
    for finding in report["findings"].as_array().into_iter().flatten() {
        let rule = finding["rule"].as_str().unwrap_or_default().to_owned();
        if finding["tier"] == "bronze" && !outcome.bronze.contains(&rule) {
            outcome.bronze.push(rule.clone());
        }
        *outcome.rules.entry(rule).or_default() += 1;
    }
    outcome.tier = report["summary"]["tier"]
        .as_str()
        .unwrap_or("none")
        .to_owned();
    outcome
}

/// The policy `goldpath init` proposes for the repository.
fn init_policy(binary: &Path, dir: &Path) -> String {
    let output = Command::new(binary)
        .args(["init", "--stdout"])
        .arg(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run goldpath init");
    assert!(
        output.status.success(),
        "goldpath init failed on {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 policy")
}

/// The expectation file: `SET REPO POLICY RULE COUNT` lines and `SET REPO commit SHA` lines,
/// sorted, with `#` comments.
#[derive(Default)]
struct Expectation {
    counts: BTreeMap<(String, String, String), BTreeMap<String, usize>>,
    commits: BTreeMap<(String, String), String>,
}

impl Expectation {
    fn parse(text: &str) -> Self {
        let mut expectation = Self::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [set, name, "commit", sha] => {
                    expectation
                        .commits
                        .insert(((*set).to_owned(), (*name).to_owned()), (*sha).to_owned());
                }
                [set, name, policy, "-"] => {
                    expectation.counts.entry((
                        (*set).to_owned(),
                        (*name).to_owned(),
                        (*policy).to_owned(),
                    ));
                }
                [set, name, policy, rule, count] => {
                    let count = count.parse().unwrap_or_else(|_| {
                        panic!("{EXPECTED}:{}: `{count}` is not a count", number + 1)
                    });
                    expectation
                        .counts
                        .entry(((*set).to_owned(), (*name).to_owned(), (*policy).to_owned()))
                        .or_default()
                        .insert((*rule).to_owned(), count);
                }
                _ => panic!("{EXPECTED}:{}: cannot read `{line}`", number + 1),
            }
        }
        expectation
    }

    /// This expectation with every repository that `actual` ran replaced by what it saw.
    fn merged_with(&self, actual: &Expectation) -> Expectation {
        let ran: std::collections::BTreeSet<(String, String)> = actual
            .counts
            .keys()
            .map(|(set, name, _)| (set.clone(), name.clone()))
            .collect();
        let mut merged = Expectation::default();
        for (key, counts) in &self.counts {
            if !ran.contains(&(key.0.clone(), key.1.clone())) {
                merged.counts.insert(key.clone(), counts.clone());
            }
        }
        for (key, commit) in &self.commits {
            if !ran.contains(key) {
                merged.commits.insert(key.clone(), commit.clone());
            }
        }
        merged.counts.extend(actual.counts.clone());
        merged.commits.extend(actual.commits.clone());
        merged
    }

    fn render(&self) -> String {
        let mut out = String::from(
            "# Findings per rule, per repository and policy: what `cargo xtask ecosystem` saw.\n\
             # SET REPO POLICY RULE COUNT (a policy with no finding: SET REPO POLICY -), and\n\
             # SET REPO commit SHA for checkouts. Review a change, then record it with\n\
             # `cargo xtask ecosystem --bless` (docs/benchmarks.md, \"Ecosystem check\").\n",
        );
        for ((set, name), sha) in &self.commits {
            let _ = writeln!(out, "{set} {name} commit {sha}");
        }
        for ((set, name, policy), counts) in &self.counts {
            if counts.is_empty() {
                let _ = writeln!(out, "{set} {name} {policy} -");
            }
            for (rule, count) in counts {
                let _ = writeln!(out, "{set} {name} {policy} {rule} {count}");
            }
        }
        out
    }
}

/// Says a part of the test was skipped on stderr directly, past the test harness's capture, so
/// that `cargo test` shows it.
fn skipped(message: &str) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
}
