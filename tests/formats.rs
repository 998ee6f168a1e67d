//! End to end: every output format from one repository with findings of each shape
//! (repository-wide, whole file, exact span), and several formats from one run.

mod common;

use common::Repo;

const POLICY: &str = r#"
[rules."files/required"]
files = [{ name = "a README", any-of = ["README*"] }]

[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets: stay out, 100%" }]

[rules."files/content"]
level = "warning"
checks = [{ files = ["**/*.txt"], must-not-match = "TODO", message = "no TODOs" }]
"#;

fn repo() -> Repo {
    let repo = Repo::plain();
    repo.write("goldpath.toml", POLICY)
        .write("a, b.secret", "x")
        .write("notes/a.txt", "ok\n  TODO <here> & \"there\"\n");
    repo
}

fn run(repo: &Repo, args: &[&str]) -> (i32, String) {
    let output = repo.goldpath().arg("check").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn github_commands_are_escaped_errors_first_and_the_summary_is_appended() {
    let repo = repo();
    let summary = repo.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let output = repo
        .goldpath()
        .args(["check", "--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("::error title=goldpath files/required::missing a README"));
    assert!(lines[1].starts_with("::error file=a%2C b.secret,title=goldpath files/forbidden::"));
    assert!(
        lines[1].contains("secrets: stay out, 100%25"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("%0Ahelp: "), "{}", lines[1]);
    assert!(
        lines[2].starts_with(
            "::warning file=notes/a.txt,line=2,endLine=2,col=3,endColumn=7,title=goldpath files/content::no TODOs"
        ),
        "{}",
        lines[2]
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("earlier step\n## goldpath"),
        "{summary}"
    );
    assert!(
        summary.contains("| error | `files/forbidden` | `a, b.secret` |"),
        "{summary}"
    );
}

#[test]
fn markdown_has_tier_counts_and_a_table() {
    let (_, text) = run(&repo(), &["--format", "markdown"]);
    assert!(text.contains("**Tier reached: none**"), "{text}");
    assert!(text.contains("2 errors · 1 warning · 0 notes"), "{text}");
    assert!(
        text.contains("| warning | `files/content` | `notes/a.txt:2:3` | no TODOs |"),
        "{text}"
    );
}

#[test]
fn gitlab_code_quality_issues() {
    let (code, text) = run(&repo(), &["--format", "gitlab"]);
    assert_eq!(code, 1);
    let issues: serde_json::Value = serde_json::from_str(&text).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 3);
    // Repository-wide findings land on the policy file; every issue has a path and a line.
    assert_eq!(issues[0]["location"]["path"], "goldpath.toml");
    assert_eq!(issues[0]["severity"], "major");
    assert_eq!(issues[2]["location"]["path"], "notes/a.txt");
    assert_eq!(issues[2]["location"]["lines"]["begin"], 2);
    assert_eq!(issues[2]["severity"], "minor");
    assert_eq!(issues[2]["check_name"], "files/content");
    assert_eq!(issues[2]["fingerprint"].as_str().unwrap().len(), 16);
}

#[test]
fn junit_is_well_formed_with_a_failure_per_finding() {
    let (_, text) = run(&repo(), &["--format", "junit"]);
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        text.contains("<testsuites name=\"goldpath\" tests=\"3\" failures=\"3\">"),
        "{text}"
    );
    assert_eq!(text.matches("<failure ").count(), 3);
    // Markup in messages is escaped.
    assert!(text.contains("TODO"), "{text}");
    assert!(!text.contains("<here>"), "{text}");
    assert_eq!(
        text.matches("<testcase").count(),
        text.matches("</testcase>").count()
    );
}

#[test]
fn sarif_has_rules_results_and_fingerprints() {
    let (_, text) = run(&repo(), &["--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert!(rules
        .iter()
        .all(|r| r["shortDescription"]["text"].is_string()
            && r["fullDescription"]["text"].is_string()
            && r["help"]["markdown"].is_string()));
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        assert!(result["partialFingerprints"]["goldpath/v1"].is_string());
        assert!(result["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "a%2C%20b.secret"
    );
    assert_eq!(
        results[2]["locations"][0]["physicalLocation"]["region"]["startColumn"],
        3
    );
}

#[test]
fn several_formats_from_one_run() {
    let repo = repo();
    let sarif = repo.join("out.sarif");
    let junit = repo.join("out.xml");
    let (code, text) = run(
        &repo,
        &[
            "--format",
            "json",
            "--report",
            &format!("sarif:{}", sarif.display()),
            "--report",
            &format!("junit:{}", junit.display()),
        ],
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sarif).unwrap()).unwrap();
    // The same findings, in the same order, with the same fingerprints.
    let fingerprints: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let sarif_fingerprints: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["goldpath/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints, sarif_fingerprints);
    assert!(std::fs::read_to_string(junit)
        .unwrap()
        .contains("<testsuites"));

    let output = repo
        .goldpath()
        .args(["check", "--report", "yaml:x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Repository-wide findings point at a file that exists: the policy file when there is one,
/// else the README, else (no file to name) no location in SARIF and `.` in GitLab.
#[test]
fn repository_wide_findings_point_at_a_file_that_exists() {
    let repo = Repo::plain();
    repo.write("README.md", "# x\n").write("src/a.txt", "a\n");
    let (_, text) = run(&repo, &["--format", "gitlab"]);
    let issues: serde_json::Value = serde_json::from_str(&text).unwrap();
    let paths: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["location"]["path"].as_str().unwrap())
        .collect();
    assert!(!paths.is_empty(), "{text}");
    assert!(!paths.contains(&"goldpath.toml"), "{paths:?}");
    for path in &paths {
        assert!(repo.join(path).exists(), "{path} does not exist");
    }
    assert!(paths.contains(&"README.md"), "{paths:?}");
    let (_, text) = run(&repo, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{result:#}"));
        assert!(repo.join(uri).exists(), "{uri} does not exist");
    }

    let bare = Repo::plain();
    bare.write("src/a.txt", "a\n");
    let (_, text) = run(&bare, &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let readme = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap_or_default()
                .starts_with("missing a README")
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(readme["locations"], serde_json::json!([]), "{readme:#}");
    let (_, text) = run(&bare, &["--format", "gitlab"]);
    let issues: serde_json::Value = serde_json::from_str(&text).unwrap();
    let readme = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check_name"] == "files/required")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(readme["location"]["path"], ".");
}
