//! Baselines end to end: `goldpath baseline` writes the known findings, `check` leaves them out
//! and counts them, reports new findings and stale entries, and the fleet shows the debt.

mod common;

use common::Repo;
use serde_json::Value;

const POLICY: &str = "[rules.\"files/forbidden\"]\n\
    paths = [{ glob = \"**/*.key\", reason = \"private keys\" }]\n";

const FILE: &str = ".goldpath-baseline.json";

/// A repository with two findings (`a.key`, `b.key`), committed.
fn legacy() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("README.md", "# legacy\n")
        .write("a.key", "x\n")
        .write("b.key", "y\n");
    repo.commit("legacy");
    repo
}

/// Runs `goldpath baseline` with extra arguments; returns (exit code, stdout, stderr).
fn baseline(repo: &Repo, extra: &[&str]) -> (i32, String, String) {
    let output = repo
        .goldpath()
        .arg("baseline")
        .args(extra)
        .output()
        .expect("run goldpath");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn entries(repo: &Repo, file: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo.join(file)).expect("baseline written");
    let json: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["version"], 1);
    json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["rule"].as_str().unwrap_or_default().to_owned(),
                e["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn paths(report: &Value) -> Vec<String> {
    common::rules_and_paths(report)
        .into_iter()
        .map(|(rule, path)| format!("{rule} {path}"))
        .collect()
}

#[test]
fn check_leaves_out_known_findings_and_says_how_many_remain() {
    let repo = legacy();
    let (code, _) = repo.check_json(&[]);
    assert_eq!(
        code, 1,
        "two forbidden files fail the run without a baseline"
    );

    let (code, stdout, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("wrote .goldpath-baseline.json: 2 entries (0 removed, 2 added)"),
        "{stdout}"
    );
    assert_eq!(
        entries(&repo, FILE),
        [
            ("files/forbidden".to_owned(), "a.key".to_owned()),
            ("files/forbidden".to_owned(), "b.key".to_owned())
        ]
    );

    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report}");
    assert!(paths(&report).is_empty(), "{report}");
    assert_eq!(report["summary"]["baseline"]["known"], 2);
    assert_eq!(report["summary"]["baseline"]["stale"], 0);
    assert_eq!(report["summary"]["baseline"]["file"], FILE);
    assert_eq!(report["summary"]["tier"], "gold");

    let human = repo.goldpath().arg("check").output().expect("run");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(
            "2 known findings in the baseline remain (.goldpath-baseline.json, 2 entries)"
        ),
        "{text}"
    );
    let markdown = repo
        .goldpath()
        .args(["check", "--format", "markdown"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&markdown.stdout).contains("2 known findings in the baseline"));
    let sarif = repo
        .goldpath()
        .args(["check", "--format", "sarif"])
        .output()
        .expect("run");
    let sarif: Value = serde_json::from_slice(&sarif.stdout).expect("SARIF");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        Some(0)
    );
    assert_eq!(sarif["runs"][0]["properties"]["baseline"]["known"], 2);

    let (code, report) = repo.check_json(&["--no-baseline"]);
    assert_eq!(code, 1);
    assert_eq!(paths(&report).len(), 2);
    assert!(report["summary"].get("baseline").is_none());
}

#[test]
fn a_new_finding_is_reported_and_the_baseline_does_not_grow_unless_asked() {
    let repo = legacy();
    baseline(&repo, &[]);
    repo.write("c.key", "z\n");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(paths(&report), ["files/forbidden c.key"]);
    assert_eq!(report["summary"]["baseline"]["known"], 2);

    let before = std::fs::read_to_string(repo.join(FILE)).expect("read");
    let (code, _, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("1 finding is not in .goldpath-baseline.json"),
        "{stderr}"
    );
    assert!(stderr.contains("files/forbidden c.key"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(repo.join(FILE)).expect("read"),
        before
    );

    let (code, stdout, _) = baseline(&repo, &["--allow-growth"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("3 entries (0 removed, 1 added)"),
        "{stdout}"
    );
    assert_eq!(repo.check_json(&[]).0, 0);
}

#[test]
fn a_fixed_finding_makes_its_entry_stale_until_the_baseline_shrinks() {
    let repo = legacy();
    baseline(&repo, &[]);
    repo.remove("a.key");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1, "a stale entry fails the run: {report}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{report}");
    let stale = &findings[0];
    assert_eq!(stale["rule"], "policy/baseline-stale");
    assert_eq!(stale["level"], "error");
    assert_eq!(stale["path"], FILE);
    assert!(
        stale["message"]
            .as_str()
            .unwrap_or_default()
            .contains("in a.key"),
        "{stale}"
    );
    // At the entry's line: the file lists a.key's entry first.
    let line = stale["span"]["line"].as_u64().expect("line");
    let text = std::fs::read_to_string(repo.join(FILE)).expect("read");
    let fingerprint_line = text.lines().nth(line as usize - 1).unwrap_or_default();
    assert!(
        fingerprint_line.contains("\"fingerprint\""),
        "{fingerprint_line}"
    );
    assert_eq!(report["summary"]["baseline"]["stale"], 1);
    assert_eq!(report["summary"]["baseline"]["known"], 1);

    let (code, stdout, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 0, "shrinking needs no flag: {stderr}");
    assert!(stdout.contains("1 entry (1 removed, 0 added)"), "{stdout}");
    assert_eq!(
        entries(&repo, FILE),
        [("files/forbidden".to_owned(), "b.key".to_owned())]
    );
    assert_eq!(repo.check_json(&[]).0, 0);

    // The ratchet can be loosened only explicitly.
    repo.remove("b.key").write(
        "goldpath.toml",
        format!("{POLICY}[rules.\"policy/baseline-stale\"]\nlevel = \"warning\"\n"),
    );
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["findings"][0]["level"], "warning");
}

#[test]
fn change_modes_judge_only_entries_of_changed_files() {
    let repo = legacy();
    baseline(&repo, &[]);
    // The policy now allows b.key, and the baseline was not updated: its entry is stale, but
    // only a check that judges b.key (unchanged) can tell.
    repo.write(
        "goldpath.toml",
        POLICY.replace("reason = ", "allow = [\"b.key\"], reason = "),
    );
    repo.commit("baseline; allow b.key");
    repo.write("README.md", "# legacy, edited\n");
    repo.git_ok(&["add", "README.md"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 0, "b.key was not judged: {report}");
    assert_eq!(report["summary"]["baseline"]["stale"], 0);

    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        paths(&report),
        ["policy/baseline-stale .goldpath-baseline.json"]
    );

    // Staging the deletion of a.key judges a.key (a path the snapshot no longer has): its
    // entry is stale too.
    repo.git_ok(&["rm", "-q", "a.key"]);
    let (code, report) = repo.check_json(&["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["baseline"]["stale"], 1, "{report}");
    assert!(report["findings"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("in a.key"));

    // --only narrows the rules: entries of rules that did not run are not judged.
    let (code, report) = repo.check_json(&["--only", "files/required"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["baseline"]["stale"], 0);
}

#[test]
fn policy_from_another_commit_keeps_a_change_from_growing_the_baseline() {
    let repo = legacy();
    baseline(&repo, &[]);
    repo.commit("baseline");
    repo.write("c.key", "z\n");
    baseline(&repo, &["--allow-growth"]);
    repo.commit("c.key, baselined");
    let (code, report) = repo.check_json(&["--rev", "HEAD"]);
    assert_eq!(code, 0, "the commit's own baseline lists c.key: {report}");
    let (code, report) = repo.check_json(&["--rev", "HEAD", "--policy-from", "HEAD~1"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(paths(&report), ["files/forbidden c.key"]);
    assert_eq!(report["summary"]["baseline"]["known"], 2);
}

#[test]
fn a_corrupt_baseline_is_exit_2_with_its_position() {
    let repo = legacy();
    repo.write(
        FILE,
        "{\n  \"version\": 1,\n  \"entries\": [\n<<<<<<< HEAD\n  ]\n}\n",
    );
    let output = repo.goldpath().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".goldpath-baseline.json:4:1: not a goldpath baseline"),
        "{stderr}"
    );
    // `goldpath baseline` does not overwrite it silently either.
    let (code, _, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("delete .goldpath-baseline.json"),
        "{stderr}"
    );

    repo.write(FILE, "{\"version\": 9, \"entries\": []}");
    let output = repo.goldpath().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("format version 9"));

    let explicit = repo
        .goldpath()
        .args(["check", "--baseline", "missing.json"])
        .output();
    assert_eq!(explicit.expect("run").status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_symlinked_baseline_is_neither_written_nor_read() {
    let repo = legacy();
    let outside = Repo::plain();
    outside.write("target.json", "keep\n");
    std::os::unix::fs::symlink(outside.join("target.json"), repo.join(FILE)).expect("symlink");
    let (code, _, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(outside.join("target.json")).expect("read"),
        "keep\n"
    );
    let output = repo.goldpath().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
}

#[test]
fn the_policy_can_name_the_baseline_file() {
    let repo = legacy();
    repo.write(
        "goldpath.toml",
        format!("[settings]\nbaseline = \"ci/known-findings.json\"\n\n{POLICY}"),
    );
    let (code, stdout, stderr) = baseline(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("wrote ci/known-findings.json"), "{stdout}");
    assert!(!repo.join(FILE).exists());
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        report["summary"]["baseline"]["file"],
        "ci/known-findings.json"
    );

    repo.write(
        "goldpath.toml",
        format!("[settings]\nbaseline = \"../elsewhere.json\"\n\n{POLICY}"),
    );
    let output = repo.goldpath().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goldpath.toml:2:"), "{stderr}");
    assert!(stderr.contains("inside the repository"), "{stderr}");
}

#[test]
fn the_fleet_shows_each_repositorys_baseline_debt() {
    let fleet = Repo::plain();
    let legacy = legacy();
    baseline(&legacy, &[]);
    legacy.remove("a.key");
    legacy.commit("baseline, a.key fixed");
    legacy.git_ok(&["clone", "-q", ".", &fleet.join("legacy").to_string_lossy()]);
    let clean = Repo::git();
    clean
        .write("goldpath.toml", POLICY)
        .write("README.md", "# ok\n");
    clean.commit("clean");
    clean.git_ok(&["clone", "-q", ".", &fleet.join("clean").to_string_lossy()]);

    let scan = fleet
        .goldpath()
        .args([
            "fleet",
            "scan",
            "--repos",
            ".",
            "--out",
            "results.jsonl",
            "-j",
            "1",
        ])
        .output()
        .expect("run");
    assert!(
        scan.status.success(),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let text = std::fs::read_to_string(fleet.join("results.jsonl")).expect("results");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let line = |name: &str| {
        lines
            .iter()
            .find(|l| l["repo"] == name)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(line("legacy")["baseline_debt"], 1, "{text}");
    assert_eq!(line("legacy")["baseline_entries"], 2, "{text}");
    assert_eq!(
        line("legacy")["errors"],
        1,
        "the fleet counts every finding, known or not"
    );
    assert!(line("clean").get("baseline_debt").is_none(), "{text}");

    for (format, needle) in [
        ("markdown", "| legacy |  | 1 | 2 |"),
        ("html", "<h2>Baseline debt</h2>"),
        ("json", "\"baseline_debt\""),
    ] {
        let report = fleet
            .goldpath()
            .args(["fleet", "report", "results.jsonl", "--format", format])
            .output()
            .expect("run");
        let out = String::from_utf8_lossy(&report.stdout);
        assert!(out.contains(needle), "{format}: {out}");
    }
}
