//! End to end: the command line's contract (exit codes, options, output, diagnostics).

mod common;

use common::{rules_and_paths, Repo};

const POLICY: &str = r#"
[rules."files/required"]
files = [{ name = "a README", any-of = ["README*"], help = "write one" }]

[rules."files/content"]
level = "warning"
checks = [{ files = ["**/*.txt"], must-not-match = "TODO", message = "no TODOs" }]
"#;

fn repo_with_findings() -> Repo {
    let repo = Repo::plain();
    repo.write("goldpath.toml", POLICY)
        .write("notes/a.txt", "first line\n  a TODO here\n");
    repo
}

#[test]
fn exit_status_follows_fail_on() {
    let repo = repo_with_findings();
    // An error (missing README) fails by default.
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["summary"]["warnings"], 1);

    repo.write("README.md", "x");
    // Only a warning is left: passes at the default fail-on, fails at warning.
    assert_eq!(repo.check_json(&[]).0, 0);
    assert_eq!(repo.check_json(&["--fail-on", "warning"]).0, 1);
    assert_eq!(repo.check_json(&["--fail-on", "never"]).0, 0);

    // The policy's own fail-on applies when the flag is absent.
    repo.write(
        "goldpath.toml",
        format!("[settings]\nfail-on = \"warning\"\n{POLICY}"),
    );
    assert_eq!(repo.check_json(&[]).0, 1);
}

/// A gold-tier error is reported and blocks gold, but fails the run only when the policy (or
/// `--fail-tier`) holds the repository to gold; the default holds it to silver.
#[test]
fn exit_status_follows_fail_tier() {
    let repo = Repo::plain();
    let policy = |settings: &str| {
        format!(
            "{settings}\n[rules.\"files/required\"]\nfiles = [{{ name = \"a README\", any-of = [\"README*\"], tier = \"silver\" }}]\n\
             [rules.\"files/content\"]\ntier = \"gold\"\nchecks = [{{ files = [\"**/*.txt\"], must-not-match = \"TODO\", message = \"no TODOs\" }}]\n"
        )
    };
    repo.write("goldpath.toml", policy(""))
        .write("README.md", "x")
        .write("notes/a.txt", "a TODO here\n");
    let (code, report) = repo.check_json(&[]);
    assert_eq!(report["summary"]["errors"], 1, "{report}");
    assert_eq!(report["findings"][0]["tier"], "gold");
    assert_eq!(code, 0, "a gold-tier error does not fail the default run");
    assert!(report["summary"]["tier"] == "silver", "{report}");
    assert_eq!(repo.check_json(&["--fail-tier", "gold"]).0, 1);

    let output = repo.goldpath().arg("check").output().expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 finding of tier gold does not fail the run"),
        "{stderr}"
    );

    repo.write("goldpath.toml", policy("[settings]\nfail-tier = \"gold\""));
    assert_eq!(repo.check_json(&[]).0, 1, "the policy asks for gold");
    assert_eq!(repo.check_json(&["--fail-tier", "silver"]).0, 0);

    // Held to bronze, a silver-tier error does not fail the run either.
    repo.remove("README.md");
    repo.write(
        "goldpath.toml",
        policy("[settings]\nfail-tier = \"bronze\""),
    );
    assert_eq!(repo.check_json(&[]).0, 0);
    assert_eq!(repo.check_json(&["--fail-tier", "silver"]).0, 1);
}

/// `--all` and `--new-only` apply to a change (`--staged`, `--base`): without one they are an
/// error, never silently ignored; together they are an error too. Beside `--staged` both are
/// accepted.
#[test]
fn change_flags_without_a_change_are_an_error() {
    let repo = Repo::git();
    repo.write("README.md", "x");
    repo.commit("init");
    for args in [
        &["--new-only"][..],
        &["--all"][..],
        &["--rev", "HEAD", "--all"][..],
        &["--staged", "--all", "--new-only"][..],
    ] {
        let output = repo
            .goldpath()
            .arg("check")
            .args(args)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--staged") || stderr.contains("cannot be used with"),
            "{args:?}: {stderr}"
        );
    }
    for args in [&["--staged", "--all"][..], &["--staged", "--new-only"][..]] {
        let output = repo
            .goldpath()
            .arg("check")
            .args(args)
            .output()
            .expect("run");
        assert_ne!(output.status.code(), Some(2), "{args:?}");
    }
}

/// A policy the user names with `--config` may be a pipe (`<(...)`, `/dev/stdin`), read within
/// the size limit; only files a repository supplies must be regular files.
#[cfg(unix)]
#[test]
fn config_may_be_a_pipe_the_user_names() {
    let repo = repo_with_findings();
    let output = repo
        .goldpath()
        .args(["check", "--format", "json", "--config", "/dev/stdin"])
        .write_stdin(POLICY)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = repo
        .goldpath()
        .args(["check", "--config", "/dev/zero"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("size limit"));
    // A repository's own policy still cannot extend a device.
    repo.write("goldpath.toml", "extends = [\"/dev/zero\"]\n");
    let output = repo.goldpath().arg("check").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("not a regular file"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn only_and_skip_select_rules() {
    let repo = repo_with_findings();
    let (_, report) = repo.check_json(&["--only", "files/content"]);
    assert_eq!(
        rules_and_paths(&report),
        [("files/content".to_owned(), "notes/a.txt".to_owned())]
    );
    let (_, report) = repo.check_json(&["--skip", "files/content,files/required"]);
    assert!(rules_and_paths(&report).is_empty());
    let (_, report) = repo.check_json(&["--only", "files/*"]);
    assert_eq!(rules_and_paths(&report).len(), 2);

    let output = repo
        .goldpath()
        .args(["check", "--only", "files/nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("names no rule"));
}

#[test]
fn human_output_shows_location_excerpt_and_help() {
    let repo = repo_with_findings();
    let output = repo.goldpath().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("error[files/required]: missing a README"),
        "{text}"
    );
    assert!(text.contains("= help: write one"), "{text}");
    assert!(text.contains("warning[files/content]: no TODOs"), "{text}");
    assert!(text.contains("--> notes/a.txt:2:5"), "{text}");
    assert!(text.contains("2 |   a TODO here"), "{text}");
    assert!(text.contains("  |     ^^^^"), "{text}");
    assert!(text.contains("1 error, 1 warning, 0 notes"), "{text}");
    assert!(text.contains("tier reached: none"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let repo = repo_with_findings();
    let out = repo.join("report.json");
    let output = repo
        .goldpath()
        .args(["check", "--format", "json", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["tool"]["name"], "goldpath");
}

#[test]
fn json_is_identical_for_any_number_of_threads() {
    let repo = Repo::plain();
    repo.write("goldpath.toml", POLICY);
    for i in 0..200 {
        repo.write(&format!("d{}/f{i}.txt", i % 7), "x TODO y\nTODO\n");
    }
    let run = |jobs: &str| {
        repo.goldpath()
            .args(["check", "--format", "json", "--jobs", jobs])
            .output()
            .unwrap()
            .stdout
    };
    let one = run("1");
    assert!(one.len() > 10_000);
    for jobs in ["2", "8"] {
        assert!(one == run(jobs), "--jobs {jobs} differs from --jobs 1");
    }
}

#[test]
fn a_bad_policy_is_exit_2_with_file_line_and_column() {
    let repo = Repo::plain();
    repo.write(
        "goldpath.toml",
        "[rules.\"files/content\"]\nchecks = [{ files = [\"*\"], must-match = \"(\" }]\n",
    );
    let output = repo.goldpath().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("goldpath.toml:2:"), "{stderr}");
    assert!(stderr.contains("invalid regex"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn config_flag_and_discovery_locations() {
    let repo = Repo::plain();
    repo.write(
        ".github/goldpath.toml",
        "[rules.\"files/required\"]\nfiles = [{ name = \"X\", any-of = [\"X\"] }]\n",
    );
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1, "{report:#}");
    repo.write("elsewhere.toml", "[settings]\nfail-on = \"never\"\n");
    assert_eq!(repo.check_json(&["--config", "elsewhere.toml"]).0, 0);
    let output = repo
        .goldpath()
        .args(["check", "--config", "missing.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn no_policy_means_builtin_recommended() {
    let repo = Repo::plain();
    repo.write("README.md", "x");
    let (_, report) = repo.check_json(&[]);
    let rules: Vec<_> = rules_and_paths(&report)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert!(rules.contains(&"files/required".to_owned()), "{report:#}");
    assert!(report["summary"]["rules"].as_u64().unwrap() >= 1);
}

#[test]
fn verbose_logs_go_to_stderr_not_into_the_report() {
    let repo = repo_with_findings();
    let output = repo
        .goldpath()
        .args(["-v", "check", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rule done"), "{stderr}");
    assert!(stderr.contains("files/content"), "{stderr}");
    assert!(stderr.contains("read wanted files"), "{stderr}");
    serde_json::from_slice::<serde_json::Value>(&output.stdout).expect("stdout is only the report");

    let quiet = repo
        .goldpath()
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    assert!(quiet.stderr.is_empty());
    let env = repo
        .goldpath()
        .args(["check", "--format", "json"])
        .env("GOLDPATH_LOG", "goldpath=debug")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&env.stderr).contains("rule done"));
}

#[test]
fn rules_and_explain() {
    let repo = Repo::plain();
    let output = repo.goldpath().arg("rules").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("files/required"), "{text}");

    let output = repo
        .goldpath()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(rules
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == "files/required" && r["tier"] == "bronze"));

    let output = repo
        .goldpath()
        .args(["explain", "files/required"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    for section in [
        "## What it checks",
        "## Why",
        "## Example",
        "## How to fix",
        "## Options",
    ] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    let output = repo
        .goldpath()
        .args(["explain", "files/requird"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean `files/required`"));
}

#[test]
fn waivers_from_the_command_line_view() {
    let repo = repo_with_findings();
    repo.write(
        "goldpath.toml",
        format!("{POLICY}\n[[waivers]]\nrule = \"files/required\"\nreason = \"new repo\"\nexpires = 2999-01-01\n"),
    );
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["waived"][0]["rule"], "files/required");
    assert_eq!(report["waived"][0]["reason"], "new repo");
    assert_eq!(report["summary"]["waived"], 1);

    repo.write(
        "goldpath.toml",
        format!("{POLICY}\n[[waivers]]\nrule = \"files/required\"\nreason = \"new repo\"\nexpires = 2001-01-01\n"),
    );
    let (code, report) = repo.check_json(&[]);
    assert_eq!(code, 1);
    let rules: Vec<_> = rules_and_paths(&report)
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert!(
        rules.contains(&"policy/waiver-expired".to_owned()),
        "{rules:?}"
    );
}

/// A pull request can commit `goldpath.sarif -> /some/file`; `--output` and `--report` (and so
/// the Action's `sarif` input) must not write through it.
#[cfg(unix)]
#[test]
fn reports_are_not_written_through_a_committed_link() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("victim");
    std::fs::write(&target, "keep\n").unwrap();
    let repo = repo_with_findings();
    repo.write("README.md", "x");
    std::os::unix::fs::symlink(&target, repo.join("goldpath.sarif")).unwrap();
    std::fs::create_dir(repo.join("reports-dir")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("out")).unwrap();
    for args in [
        vec!["--report", "sarif:goldpath.sarif"],
        vec!["--output", "goldpath.sarif"],
        vec!["--format", "json", "--output", "out/new.json"],
        vec!["--report", "json:reports-dir/../out/x.json"],
    ] {
        let output = repo
            .goldpath()
            .current_dir(repo.path())
            .arg("check")
            .arg(".")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("symbolic link"), "{args:?}: {stderr}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep\n");
        assert!(!outside.path().join("new.json").exists());
        assert!(!outside.path().join("x.json").exists());
    }
    // A plain file in the repository, and a path outside it, are written.
    let elsewhere = outside.path().join("report.sarif");
    let output = repo
        .goldpath()
        .current_dir(repo.path())
        .args(["check", ".", "--report", "sarif:plain.sarif", "--report"])
        .arg(format!("sarif:{}", elsewhere.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(std::fs::read_to_string(repo.join("plain.sarif"))
        .unwrap()
        .contains("2.1.0"));
    assert!(elsewhere.exists());
}
