//! End to end: a change (`--staged`, `--base`) is judged by what it changes. Findings the base
//! already had are not reported (`--all` reports them); repository-wide rules run only when
//! their inputs changed: the list of paths, or the contents of the files they read.

mod common;

use common::{rules_and_paths, Repo};

/// A repository that is not on the path: no README, licence, security policy or CODEOWNERS,
/// a CODEOWNERS-free source tree and a forbidden file already committed.
fn legacy_repo() -> Repo {
    let repo = Repo::git();
    repo.write("crates/core/main.rs", "fn main() {}\n")
        .write("crates/core/lib.rs", "pub fn f() {}\n")
        .write(".DS_Store", "junk");
    repo.commit("legacy");
    repo
}

fn rules(report: &serde_json::Value) -> Vec<String> {
    rules_and_paths(report)
        .into_iter()
        .map(|(rule, _)| rule)
        .collect()
}

#[test]
fn a_staged_edit_in_a_legacy_repository_passes_and_says_what_it_did_not_show() {
    let repo = legacy_repo();
    let (code, all) = repo.check_json(&[]);
    assert_eq!(code, 1, "the legacy repository has findings: {all:#}");

    repo.write("crates/core/main.rs", "fn main() { println!(\"hi\"); }\n");
    repo.git_ok(&["add", "crates/core/main.rs"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rules(&report), Vec::<String>::new());
    // No path was added or removed and no file a repository-wide rule reads changed: those
    // rules did not run.
    let (_, every) = repo.check_json(&["--staged", "--all"]);
    assert!(
        report["summary"]["rules"].as_u64() < every["summary"]["rules"].as_u64(),
        "{} rules ran for an edit, {} with --all",
        report["summary"]["rules"],
        every["summary"]["rules"]
    );
    // With --all, the repository's debt is reported.
    let every_rules = rules(&every);
    for rule in ["files/required", "ownership/codeowners-missing"] {
        assert!(every_rules.iter().any(|r| r == rule), "{every:#}");
    }

    // The human report says findings were left out, and how to see them.
    let output = repo
        .goldpath()
        .args(["check", "--staged", "--all"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_staged_change_reports_what_it_introduced() {
    let repo = legacy_repo();
    // Adding a file changes the list of paths: the repository-wide rules run, and only what
    // the new file introduced is reported (a forbidden key), not the debt the base had.
    repo.write("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    repo.git_ok(&["add", "id_rsa"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1, "{report:#}");
    let found = rules_and_paths(&report);
    assert!(
        found
            .iter()
            .any(|(rule, path)| rule == "files/forbidden" && path == "id_rsa"),
        "{report:#}"
    );
    assert!(
        found.iter().all(|(_, path)| path == "id_rsa"),
        "only the new file's findings: {found:?}"
    );
    assert!(report["summary"]["preexisting"].as_u64().unwrap_or(0) > 0);

    let output = repo
        .goldpath()
        .args(["check", "--staged", "--color", "never"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("not shown") && stdout.contains("--all"),
        "{stdout}"
    );
}

/// A CODEOWNERS pattern that matches nothing is a repository-wide finding: an edit of a file's
/// contents cannot introduce it, removing the files it matched does.
#[test]
fn removing_the_files_a_codeowners_pattern_matched_is_reported() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        "[rules.\"ownership/pattern-matches-nothing\"]\n",
    )
    .write(".github/CODEOWNERS", "/docs/ @org/docs\n/src/ @org/dev\n")
    .write("docs/guide.md", "guide\n")
    .write("src/main.rs", "fn main() {}\n");
    repo.commit("init");

    repo.write("src/main.rs", "fn main() { }\n");
    repo.git_ok(&["add", "-A"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!((code, rules(&report)), (0, vec![]), "{report:#}");
    assert_eq!(
        report["summary"]["rules"], 0,
        "an edit runs no repository-wide rule"
    );

    repo.git_ok(&["rm", "-q", "docs/guide.md"]);
    let (_, report) = repo.check_json(&["--staged"]);
    assert_eq!(report["summary"]["warnings"], 1, "{report:#}");
    assert_eq!(
        rules_and_paths(&report),
        [(
            "ownership/pattern-matches-nothing".to_owned(),
            ".github/CODEOWNERS".to_owned()
        )]
    );
}

/// A repository-wide rule whose judgement depends only on the files it reads runs when one of
/// them is removed, not on other additions.
#[test]
fn removing_a_required_workflow_is_reported() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        "[rules.\"ci/required-workflow\"]\nworkflows = [{ name = \"tests\", on = [\"pull_request\"] }]\n",
    )
    .write(
        ".github/workflows/test.yml",
        "on: [pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
    )
    .write("README.md", "x\n");
    repo.commit("init");

    repo.write("notes.txt", "a new file\n");
    repo.git_ok(&["add", "-A"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!((code, rules(&report)), (0, vec![]), "{report:#}");

    repo.git_ok(&["rm", "-q", ".github/workflows/test.yml"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(rules(&report), ["ci/required-workflow"]);
}

/// Pull-request mode: a rename is a change of the path list; the legacy debt stays hidden.
#[test]
fn a_pull_request_is_judged_by_what_it_introduced() {
    let repo = legacy_repo();
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write("crates/core/main.rs", "fn main() { run() }\n");
    repo.commit("edit");
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!((code, rules(&report)), (0, vec![]), "{report:#}");

    repo.write("cert.p12", "binary");
    repo.commit("add a certificate");
    let (code, report) = repo.check_json(&["--base", "main"]);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        rules_and_paths(&report)
            .iter()
            .all(|(_, path)| path == "cert.p12"),
        "{report:#}"
    );
    let (_, all) = repo.check_json(&["--base", "main", "--all"]);
    assert!(
        rules_and_paths(&all).len() > rules_and_paths(&report).len(),
        "{all:#}"
    );
}

/// In a repository without commits everything staged is new: nothing is left out.
#[test]
fn a_first_commit_reports_everything() {
    let repo = Repo::git();
    repo.write("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    repo.git_ok(&["add", "-A"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["preexisting"], 0);
    assert!(
        rules(&report).iter().any(|r| r == "files/required"),
        "{report:#}"
    );
}
