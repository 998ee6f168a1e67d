//! `goldpath fleet scan` and `goldpath fleet report` end to end: a directory of repositories
//! (a clone, a bare mirror, a broken one), shards, lists, and the report formats.

mod common;

use std::path::Path;

use common::Repo;
use serde_json::Value;

/// A fleet directory: `mirror.git` (a bare mirror of a compliant repository), `api` (a clone
/// with a violation: no README), `broken` (a corrupt `.git`) and `notes` (a plain directory).
struct Fleet {
    /// The fleet directory.
    dir: Repo,
    /// Keeps the source of the mirror alive.
    _source: Repo,
}

const POLICY: &str = "[rules.\"files/required\"]\nlevel = \"error\"\n\
    files = [{ name = \"a README\", any-of = [\"README.md\"] }]\n";

fn fleet() -> Fleet {
    let source = Repo::git();
    source
        .write("README.md", "# Service\n")
        .write("goldpath.toml", POLICY)
        .write(
            ".github/CODEOWNERS",
            "* @acme/platform\n/docs/ @acme/docs\n",
        );
    source.commit("initial");

    let dir = Repo::plain();
    source.git_ok(&[
        "clone",
        "-q",
        "--bare",
        ".",
        &dir.join("mirror.git").to_string_lossy(),
    ]);

    let api = dir.join("api");
    std::fs::create_dir_all(&api).expect("mkdir");
    git_in(&api, &["init", "-q", "-b", "main"]);
    std::fs::write(api.join("goldpath.toml"), POLICY).expect("write");
    std::fs::write(
        api.join("catalog-info.yaml"),
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: api\nspec:\n  type: service\n  lifecycle: production\n  owner: group:payments\n",
    )
    .expect("write");
    git_in(&api, &["add", "-A"]);
    git_in(&api, &["commit", "-q", "-m", "initial"]);
    // The work tree does not count: the scan reads HEAD.
    std::fs::write(api.join("README.md"), "# not committed\n").expect("write");

    let broken = dir.join("broken/.git");
    std::fs::create_dir_all(&broken).expect("mkdir");
    std::fs::write(broken.join("HEAD"), "garbage\n").expect("write");
    std::fs::create_dir_all(dir.join("notes")).expect("mkdir");
    std::fs::write(dir.join("notes/todo.txt"), "x\n").expect("write");
    Fleet {
        dir,
        _source: source,
    }
}

fn git_in(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run git");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `goldpath fleet scan` in the fleet directory; returns the exit code, the result file's
/// lines and stderr.
fn scan(fleet: &Fleet, extra: &[&str]) -> (i32, Vec<Value>, String) {
    let out = fleet.dir.join("results.out");
    let output = fleet
        .dir
        .goldpath()
        .args(["fleet", "scan", "--repos", "."])
        .arg("--out")
        .arg(&out)
        .args(extra)
        .env("CI", "true")
        .output()
        .expect("run goldpath");
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    // Lines come in the order repositories finish.
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    lines.sort_by(|a, b| a["repo"].as_str().cmp(&b["repo"].as_str()));
    (
        output.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The lines without the fields that vary between runs (duration, commit, temporary paths).
fn stable(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            let mut l = l.clone();
            if let Some(o) = l.as_object_mut() {
                assert!(o.remove("path").is_some_and(|p| p.is_string()));
                if let Some(d) = o.remove("duration_ms") {
                    assert!(d.is_u64());
                }
                if let Some(c) = o.remove("commit") {
                    assert_eq!(c.as_str().map(str::len), Some(40));
                }
            }
            l
        })
        .collect()
}

#[test]
fn scan_checks_every_repository_at_head_and_keeps_going() {
    let fleet = fleet();
    let (code, lines, stderr) = scan(&fleet, &[]);
    assert_eq!(code, 0, "{stderr}");
    // Piped and in CI: no progress line.
    assert_eq!(stderr, "");
    // One policy file, one hash, wherever it is.
    let hash = lines[0]["policy_hash"].clone();
    assert!(hash.as_str().is_some_and(|h| h.starts_with("fnv1a64:")));
    let expected = serde_json::json!([
        {"repo": "api", "tier": null, "next_tier": "bronze",
         "findings": {"files/required": 1}, "errors": 1, "warnings": 0, "notes": 0,
         "owner": "group:payments", "policy_source": "goldpath.toml", "policy_hash": hash,
         "rules_run": 1},
        {"repo": "broken", "error": "not a git repository"},
        {"repo": "mirror", "tier": "gold", "next_tier": null, "findings": {},
         "errors": 0, "warnings": 0, "notes": 0, "owner": "@acme/platform",
         "policy_source": "goldpath.toml", "policy_hash": hash, "rules_run": 1},
        {"repo": "notes", "error": "not a git repository"},
    ]);
    assert_eq!(Value::Array(stable(&lines)), expected);
    assert!(lines[2]["path"]
        .as_str()
        .is_some_and(|p| p.ends_with("mirror.git")));
}

#[test]
fn shards_together_equal_the_full_scan() {
    let fleet = fleet();
    let (_, full, _) = scan(&fleet, &[]);
    let (c1, one, _) = scan(&fleet, &["--shard", "1/2", "--jobs", "1"]);
    let (c2, two, _) = scan(&fleet, &["--shard", "2/2"]);
    assert_eq!((c1, c2), (0, 0));
    assert_eq!(one.len(), 2);
    assert_eq!(two.len(), 2);
    let mut merged = stable(&one);
    merged.extend(stable(&two));
    merged.sort_by(|a, b| a["repo"].as_str().cmp(&b["repo"].as_str()));
    assert_eq!(merged, stable(&full));
    let names = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .map(|l| l["repo"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(names(&one), ["api", "mirror"]);
    assert_eq!(names(&two), ["broken", "notes"]);
}

#[test]
fn a_list_file_and_a_shared_config() {
    let fleet = fleet();
    fleet
        .dir
        .write(
            "fleet.txt",
            "# the services\n\nmirror.git\n\napi   \n# broken\n",
        )
        .write(
            "strict.toml",
            "[rules.\"files/required\"]\nlevel = \"error\"\n\
             files = [{ name = \"a README\", any-of = [\"README.md\"] }, \
             { name = \"a licence\", any-of = [\"LICENSE\"] }]\n",
        );
    let out = fleet.dir.join("list.jsonl");
    let output = fleet
        .dir
        .goldpath()
        .args([
            "fleet",
            "scan",
            "--repos",
            "fleet.txt",
            "--config",
            "strict.toml",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let text = std::fs::read_to_string(&out).expect("results");
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    lines.sort_by(|a, b| a["repo"].as_str().cmp(&b["repo"].as_str()));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["repo"], "api");
    assert_eq!(lines[0]["policy_source"], "--config strict.toml");
    assert_eq!(
        lines[0]["findings"],
        serde_json::json!({"files/required": 2})
    );
    assert_eq!(lines[1]["repo"], "mirror");
    assert_eq!(
        lines[1]["findings"],
        serde_json::json!({"files/required": 1})
    );
}

#[test]
fn scan_failures_exit_2() {
    let fleet = fleet();
    let run = |args: &[&str]| {
        let output = fleet
            .dir
            .goldpath()
            .args(["fleet", "scan"])
            .args(args)
            .output()
            .expect("run");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&["--repos", "missing.txt", "--out", "r.jsonl"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("missing.txt"), "{stderr}");
    let (code, stderr) = run(&["--repos", ".", "--out", "r.jsonl", "--shard", "3/2"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("1 <= I <= N"), "{stderr}");
    let (code, _) = run(&["--repos", ".", "--out", "no/such/dir/r.jsonl"]);
    assert_eq!(code, Some(2));
    let (code, _) = run(&["--repos", ".", "--out", "r.jsonl", "--config", "nope.toml"]);
    assert_eq!(code, Some(2));
}

#[test]
fn report_from_shards_with_a_trend() {
    let fleet = fleet();
    let shard = |i: &str, file: &str| {
        fleet
            .dir
            .goldpath()
            .args(["fleet", "scan", "--repos", ".", "--shard", i, "--out", file])
            .assert()
            .success();
    };
    shard("1/2", "r1.jsonl");
    shard("2/2", "r2.jsonl");
    let previous = r#"{"repo":"api","path":"x","commit":null,"tier":"gold","next_tier":null,"findings":{},"errors":0,"warnings":0,"notes":0,"owner":"group:payments","duration_ms":1}
"#;
    std::fs::write(fleet.dir.path().join("old.jsonl"), previous).expect("write");
    let output = fleet
        .dir
        .goldpath()
        .args([
            "fleet",
            "report",
            "r1.jsonl",
            "r2.jsonl",
            "--previous",
            "old.jsonl",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(report["repos"], 2);
    assert_eq!(
        report["tiers"],
        serde_json::json!({"gold": 1, "silver": 0, "bronze": 0, "none": 1})
    );
    assert_eq!(
        report["adoption"],
        serde_json::json!([{"rule": "files/required", "passing": 1, "total": 2, "rate": 0.5,
                            "delta": -0.5}])
    );
    assert_eq!(
        report["trend"]["tier_changes"],
        serde_json::json!([{"repo": "api", "from": "gold", "to": null}])
    );
    assert_eq!(report["trend"]["added"], serde_json::json!(["mirror"]));
    assert_eq!(report["broken"].as_array().map(Vec::len), Some(2));

    let html = fleet.dir.join("fleet.html");
    fleet
        .dir
        .goldpath()
        .args([
            "fleet", "report", "r1.jsonl", "r2.jsonl", "-f", "html", "-o",
        ])
        .arg(&html)
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"));
    assert!(page.contains("<td>group:payments</td>"));

    let bad = fleet
        .dir
        .goldpath()
        .args(["fleet", "report", "notes/todo.txt"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("line 1"));
}

/// Opt-in: renders the HTML report in headless Chromium when one is installed (skips
/// otherwise) and checks that it draws a page.
#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        eprintln!("skipped: no chromium installed");
        return;
    };
    let dir = Repo::plain();
    dir.write(
        "r.jsonl",
        r#"{"repo":"a<b>","path":"x","commit":null,"tier":"silver","next_tier":"gold","findings":{"ci/x":1},"errors":0,"warnings":1,"notes":0,"owner":"@o","duration_ms":1}
"#,
    );
    dir.goldpath()
        .args(["fleet", "report", "r.jsonl", "-f", "html", "-o", "r.html"])
        .assert()
        .success();
    let chromium = |extra: &[&str], page: &std::path::Path| {
        let profile = tempfile::tempdir().unwrap();
        std::process::Command::new(browser)
            .args([
                "--headless",
                "--disable-gpu",
                "--no-sandbox",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("run chromium")
    };
    let output = chromium(&["--dump-dom"], &dir.join("r.html"));
    assert!(output.status.success());
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("Fleet scorecard"), "{dom}");
    assert!(dom.contains("a&lt;b&gt;"), "{dom}");
    assert!(dom.contains("<svg"), "{dom}");

    // The screenshot is not blank: an empty page of the same size compresses to far fewer
    // bytes than the report with its text and charts.
    dir.write("blank.html", "<!doctype html><html><body></body></html>");
    let shot = |page: &str, png: &str| {
        let target = dir.join(png);
        let output = chromium(
            &[&format!("--screenshot={}", target.display())],
            &dir.join(page),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bytes = std::fs::read(&target).expect("a screenshot");
        assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
        bytes.len()
    };
    let blank = shot("blank.html", "blank.png");
    let report = shot("r.html", "report.png");
    assert!(
        report > blank * 3,
        "report screenshot {report} bytes vs blank {blank}"
    );
}

/// A repository with `policy` committed as goldpath.toml (and a README), in `dir/name`.
fn small_repo(dir: &Path, name: &str, policy: &str) {
    let repo = dir.join(name);
    std::fs::create_dir_all(&repo).expect("mkdir");
    git_in(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("goldpath.toml"), policy).expect("write");
    std::fs::write(repo.join("README.md"), "# x\n").expect("write");
    git_in(&repo, &["add", "-A"]);
    git_in(&repo, &["commit", "-q", "-m", "initial"]);
}

/// 200 repositories, 3 of them hostile (their worker crashes, hangs, or allocates without end):
/// 197 results and 3 error lines, the results written before the hanging one is given up.
#[test]
fn hostile_repositories_cost_only_their_own_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    for i in 0..200 {
        small_repo(&fleet, &format!("r{i:03}"), POLICY);
    }
    let out = dir.path().join("results.jsonl");
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"))
        .args(["fleet", "scan", "--repos"])
        .arg(&fleet)
        .arg("--out")
        .arg(&out)
        .args(["--timeout", "10s", "--memory", "512MiB", "--jobs", "3"])
        .env(
            "GOLDPATH_FLEET_TEST_FAULT",
            "r003:abort,r099:sleep,r150:memory",
        )
        .env("CI", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    // Results are on disk while the hanging repository still holds the scan.
    let mut seen_early = false;
    while child.try_wait().expect("wait").is_none() {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        if text.contains("\"r000\"") && text.ends_with('\n') {
            seen_early = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(seen_early, "no line was written before the scan ended");
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    let text = std::fs::read_to_string(&out).expect("results");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 200, "{text}");
    let errors: std::collections::BTreeMap<&str, &str> = lines
        .iter()
        .filter_map(|l| Some((l["repo"].as_str()?, l["error"].as_str()?)))
        .collect();
    assert_eq!(
        errors.keys().copied().collect::<Vec<_>>(),
        ["r003", "r099", "r150"],
        "{errors:?}"
    );
    assert!(errors["r003"].contains("SIGABRT"), "{}", errors["r003"]);
    assert!(errors["r099"].contains("timed out"), "{}", errors["r099"]);
    assert!(errors["r099"].contains("10s"), "{}", errors["r099"]);
    assert!(
        errors["r150"].contains("memory limit"),
        "{}",
        errors["r150"]
    );
    let gold = lines.iter().filter(|l| l["tier"] == "gold").count();
    assert_eq!(gold, 197, "{text}");
}

/// An empty goldpath.toml runs no rule: no tier, and `fleet report` lists it, and with
/// --org-policy also a policy that enables fewer rules than the organisation's.
#[test]
fn weaker_policies_are_flagged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    small_repo(&fleet, "empty", "");
    small_repo(&fleet, "weak", POLICY);
    small_repo(
        &fleet,
        "strong",
        &format!("{POLICY}\n[rules.\"files/forbidden\"]\npaths = [{{ glob = \"*.pem\", reason = \"keys\" }}]\n"),
    );
    let org = dir.path().join("org.toml");
    std::fs::write(
        &org,
        format!("{POLICY}\n[rules.\"files/forbidden\"]\npaths = [{{ glob = \"*.key\", reason = \"keys\" }}]\n"),
    )
    .expect("write");
    let out = dir.path().join("r.jsonl");
    let goldpath = || std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"));
    let status = goldpath()
        .args(["fleet", "scan", "--repos"])
        .arg(&fleet)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("run");
    assert!(status.success());
    let text = std::fs::read_to_string(&out).expect("results");
    let line = |repo: &str| -> Value {
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("json"))
            .find(|l| l["repo"] == repo)
            .expect("a line")
    };
    assert_eq!(line("empty")["rules_run"], 0);
    assert_eq!(line("empty")["tier"], Value::Null, "{text}");
    assert_eq!(line("weak")["rules_run"], 1);
    assert_eq!(line("strong")["rules_run"], 2);
    assert_eq!(line("weak")["tier"], "gold");
    assert_ne!(line("weak")["policy_hash"], line("strong")["policy_hash"]);

    let report = |extra: &[&std::ffi::OsStr]| -> Value {
        let output = goldpath()
            .args(["fleet", "report", "-f", "json"])
            .arg(&out)
            .args(extra)
            .output()
            .expect("run");
        assert!(output.status.success());
        serde_json::from_slice(&output.stdout).expect("json")
    };
    let flagged = |report: &Value| -> Vec<String> {
        report["weak_policies"]
            .as_array()
            .map(|a| a.iter().map(|w| w["repo"].to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(flagged(&report(&[])), ["\"empty\""]);
    let with_org = report(&["--org-policy".as_ref(), org.as_os_str()]);
    assert_eq!(flagged(&with_org), ["\"empty\"", "\"weak\""]);
    assert_eq!(with_org["weak_policies"][1]["org_rules"], 2);
    assert_eq!(with_org["weak_policies"][1]["policy"], "goldpath.toml");
}

/// A repository in `dir/name` whose files are `files` (path, contents), committed.
fn repo_with(dir: &Path, name: &str, files: &[(String, String)]) {
    let repo = dir.join(name);
    for (path, text) in files {
        let full = repo.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    git_in(&repo, &["init", "-q", "-b", "main"]);
    git_in(&repo, &["add", "-A"]);
    git_in(&repo, &["commit", "-q", "-m", "initial"]);
}

/// Runs `fleet scan` over `fleet` with `limits` and returns each repository's error line.
fn scan_errors(
    fleet: &Path,
    out: &Path,
    limits: &[&str],
) -> (usize, std::collections::BTreeMap<String, String>) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_goldpath"))
        .args(["fleet", "scan", "--repos"])
        .arg(fleet)
        .arg("--out")
        .arg(out)
        .args(limits)
        .env("CI", "true")
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(out).expect("results");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let errors = lines
        .iter()
        .filter_map(|l| {
            Some((
                l["repo"].as_str()?.to_owned(),
                l["error"].as_str()?.to_owned(),
            ))
        })
        .collect();
    (lines.len(), errors)
}

/// Hostile repositories made of real inputs, not injected faults: a policy whose `extends`
/// chain is deeper than the limit, and a CODEOWNERS of 600,000 patterns (its policy lifts the
/// read limit) that takes longer than `--timeout` and, given the time, more than `--memory`.
/// Each costs its own line; the 20 good repositories all have results.
#[test]
fn real_hostile_repositories_cost_only_their_own_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    for i in 0..20 {
        small_repo(&fleet, &format!("good{i:02}"), POLICY);
    }
    let mut chain: Vec<(String, String)> = (0..70)
        .map(|i| {
            (
                format!("p{i}.toml"),
                format!("extends = [\"p{}.toml\"]\n", i + 1),
            )
        })
        .collect();
    chain.push(("p70.toml".to_owned(), String::new()));
    chain.push((
        "goldpath.toml".to_owned(),
        "extends = [\"p0.toml\"]\n".to_owned(),
    ));
    repo_with(&fleet, "deep-extends", &chain);
    let owners: String = (0..600_000).map(|i| format!("/d{i}/f @o\n")).collect();
    repo_with(
        &fleet,
        "huge-codeowners",
        &[
            (".github/CODEOWNERS".to_owned(), owners),
            (
                "goldpath.toml".to_owned(),
                "[settings]\nmax-read-bytes = 100000000\n[rules.\"ownership/pattern-matches-nothing\"]\n"
                    .to_owned(),
            ),
            ("README.md".to_owned(), "# x\n".to_owned()),
        ],
    );

    let (count, errors) = scan_errors(
        &fleet,
        &dir.path().join("a.jsonl"),
        &["--timeout", "3s", "--memory", "4GiB", "--jobs", "2"],
    );
    assert_eq!(count, 22);
    assert_eq!(
        errors.keys().map(String::as_str).collect::<Vec<_>>(),
        ["deep-extends", "huge-codeowners"],
        "{errors:?}"
    );
    assert!(
        errors["deep-extends"].contains("limit"),
        "{}",
        errors["deep-extends"]
    );
    assert!(
        errors["huge-codeowners"].contains("timed out"),
        "{}",
        errors["huge-codeowners"]
    );

    let (count, errors) = scan_errors(
        &fleet,
        &dir.path().join("b.jsonl"),
        &["--timeout", "300s", "--memory", "512MiB", "--jobs", "2"],
    );
    assert_eq!(count, 22);
    assert_eq!(
        errors.keys().map(String::as_str).collect::<Vec<_>>(),
        ["deep-extends", "huge-codeowners"],
        "{errors:?}"
    );
    assert!(
        errors["huge-codeowners"].contains("memory limit"),
        "{}",
        errors["huge-codeowners"]
    );
}
