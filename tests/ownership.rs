//! End to end: the `ownership/*` rules and `goldpath owners`, run by the binary on real git
//! repositories; malformed CODEOWNERS files give findings, never a crash.

mod common;

use common::Repo;
use serde_json::Value;

/// Every ownership rule, `unknown-owner` with an allowed list.
const POLICY: &str = "extends = [\"builtin:recommended\"]\n\
    [rules.\"ownership/unknown-owner\"]\nallowed = [\"@acme/*\", \"*@acme.com\"]\n";

/// `(rule, path, line, column)` of every finding of an `ownership/*` rule.
fn ownership_findings(report: &Value) -> Vec<(String, String, u64, u64)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            f["rule"]
                .as_str()
                .is_some_and(|r| r.starts_with("ownership/"))
        })
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["span"]["line"].as_u64().unwrap_or(0),
                f["span"]["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn row(rule: &str, path: &str, line: u64, column: u64) -> (String, String, u64, u64) {
    (format!("ownership/{rule}"), path.to_owned(), line, column)
}

/// A small repository: CODEOWNERS with one problem of each kind, a catalog file, a few files.
fn sample() -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write(
            ".github/CODEOWNERS",
            "# owners\n\
             *          @acme/platform\n\
             /docs/*.md @acme/docs\n\
             *.md       @acme/writers\n\
             /src/      @acme/dev dev@acme.com @outsider\n\
             /imported/\n\
             /legacy/   @acme/old\n\
             *.rs       team\n\
             /src/      @acme/dev\n",
        )
        .write("CODEOWNERS", "* @acme/ignored\n")
        .write("README.md", "# sample\n")
        .write("docs/guide.md", "guide\n")
        .write("src/main.rs", "fn main() {}\n")
        .write("imported/lib.c", "int x;\n")
        .write(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: sample-\n\
             spec:\n  type: service\n  owner: group:platform\n",
        );
    repo.commit("sample");
    repo
}

#[test]
fn every_rule_reports_at_its_position() {
    let repo = sample();
    let (code, report) = repo.check_json(&["--only", "ownership/*"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        ownership_findings(&report),
        [
            // Line 3 is shadowed by line 4 (`*.md`) for docs/guide.md.
            row("shadowed-pattern", ".github/CODEOWNERS", 3, 1),
            row("unknown-owner", ".github/CODEOWNERS", 5, 35),
            row("pattern-matches-nothing", ".github/CODEOWNERS", 7, 1),
            row("owner-format", ".github/CODEOWNERS", 8, 12),
            row("duplicate-pattern", ".github/CODEOWNERS", 9, 1),
            row("codeowners-multiple-files", "CODEOWNERS", 0, 0),
            row("catalog-info", "catalog-info.yaml", 4, 9),
            row("catalog-info", "catalog-info.yaml", 5, 1),
            row("unowned-files", "imported/lib.c", 0, 0),
        ],
        "{report:#}"
    );
    let message = |rule: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        message("ownership/unowned-files"),
        "the last matching rule (`.github/CODEOWNERS:6`, `/imported/`) has no owners"
    );
    assert!(message("ownership/shadowed-pattern").contains("line 4 (`*.md`)"));
    // Bronze rules pass only when the file parses: owner-format (line 8) blocks bronze.
    assert_eq!(report["summary"]["tier"], Value::Null);
}

#[test]
fn unowned_files_judges_only_staged_changes() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write(".github/CODEOWNERS", "/src/ @acme/dev\n")
        .write("old.txt", "x\n")
        .write("src/a.rs", "x\n");
    repo.commit("base");
    repo.write("new.txt", "x\n").write("src/b.rs", "x\n");
    repo.git_ok(&["add", "new.txt", "src/b.rs"]);
    let (_, report) = repo.check_json(&["--staged", "--only", "ownership/unowned-files"]);
    assert_eq!(
        ownership_findings(&report),
        [row("unowned-files", "new.txt", 0, 0)],
        "{report:#}"
    );
    let (_, report) = repo.check_json(&["--only", "ownership/unowned-files"]);
    let paths: Vec<String> = ownership_findings(&report)
        .into_iter()
        .map(|r| r.1)
        .collect();
    assert_eq!(
        paths,
        [".github/CODEOWNERS", "goldpath.toml", "new.txt", "old.txt"]
    );
}

#[test]
fn the_platform_setting_chooses_the_gitlab_dialect() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        "extends = [\"builtin:recommended\"]\n[settings]\nplatform = \"gitlab\"\n",
    )
    .write(
        "CODEOWNERS",
        "* @acme/all\n[Docs][2] @acme/docs\n*.md\n!/README.md\n[Ruby\n",
    )
    .write(".github/CODEOWNERS", "* @acme/other\n")
    .write("README.md", "x\n")
    .write("guide.md", "x\n");
    repo.commit("gitlab");
    let (_, report) = repo.check_json(&["--only", "ownership/*"]);
    let findings = ownership_findings(&report);
    // `[Ruby` is not a heading (syntax) and GitLab then reads it as an entry without owners;
    // `.github/CODEOWNERS` is never read by GitLab.
    assert!(
        findings.contains(&row("codeowners-syntax", "CODEOWNERS", 5, 1)),
        "{report:#}"
    );
    assert!(
        findings.contains(&row(
            "codeowners-multiple-files",
            ".github/CODEOWNERS",
            0,
            0
        )),
        "{report:#}"
    );
    let output = repo
        .goldpath()
        .args(["owners", "guide.md"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "guide.md\t@acme/all @acme/docs\tCODEOWNERS:1\n"
    );
}

fn owners(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    let output = repo.goldpath().arg("owners").args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn owners_tsv_lists_every_file_with_the_deciding_line() {
    let repo = sample();
    let (code, stdout, _) = owners(&repo, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        ".github/CODEOWNERS\t@acme/platform\t.github/CODEOWNERS:2\n\
         CODEOWNERS\t@acme/platform\t.github/CODEOWNERS:2\n\
         README.md\t@acme/writers\t.github/CODEOWNERS:4\n\
         catalog-info.yaml\t@acme/platform\t.github/CODEOWNERS:2\n\
         docs/guide.md\t@acme/writers\t.github/CODEOWNERS:4\n\
         goldpath.toml\t@acme/platform\t.github/CODEOWNERS:2\n\
         imported/lib.c\t\t.github/CODEOWNERS:6\n\
         src/main.rs\t@acme/dev\t.github/CODEOWNERS:9\n"
    );
}

#[test]
fn owners_unowned_exits_1_and_lists_unowned_files_only() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "/src/ @acme/dev\n/src/gen/\n")
        .write("src/a.rs", "")
        .write("src/gen/b.rs", "")
        .write("top.txt", "");
    repo.commit("x");
    let (code, stdout, _) = owners(&repo, &["--unowned"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        ".github/CODEOWNERS\t\t\n\
         src/gen/b.rs\t\t.github/CODEOWNERS:2\n\
         top.txt\t\t\n"
    );
    let (code, stdout, _) = owners(&repo, &["--unowned", "src/a.rs"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn owners_judges_tracked_files_with_codeowners_as_on_disk() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "* @acme/old\n")
        .write("src/a.rs", "")
        .write("src/gone.rs", "");
    repo.commit("x");
    // Edited but not staged, deleted, untracked: the index lists the paths, the disk has the
    // CODEOWNERS text, as `git ls-files` and the next commit would see them.
    repo.write(".github/CODEOWNERS", "* @acme/new\n")
        .write("src/untracked.rs", "");
    std::fs::remove_file(repo.join("src/gone.rs")).unwrap();
    let (code, stdout, stderr) = owners(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        ".github/CODEOWNERS\t@acme/new\t.github/CODEOWNERS:1\n\
         src/a.rs\t@acme/new\t.github/CODEOWNERS:1\n\
         src/gone.rs\t@acme/new\t.github/CODEOWNERS:1\n"
    );
    // Named on the command line, an untracked file still gets an answer, with a warning.
    let (code, stdout, stderr) = owners(&repo, &["src/untracked.rs"]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "src/untracked.rs\t@acme/new\t.github/CODEOWNERS:1\n"
    );
    assert!(stderr.contains("not a tracked file"), "{stderr}");
}

#[test]
fn owners_json_has_each_section_decision() {
    let repo = Repo::git();
    repo.write("goldpath.toml", "[settings]\nplatform = \"gitlab\"\n")
        .write(
            "CODEOWNERS",
            "* @acme/all\n[Docs] @acme/docs\n*.md\n!/CHANGELOG.md\n",
        )
        .write("CHANGELOG.md", "")
        .write("guide.md", "");
    repo.commit("x");
    let (code, stdout, _) = owners(
        &repo,
        &["-f", "json", "CHANGELOG.md", "guide.md", "x/new.md"],
    );
    assert_eq!(code, 0);
    let expected = r#"{
  "version": 1,
  "platform": "gitlab",
  "codeowners": "CODEOWNERS",
  "files": [
    {
      "path": "CHANGELOG.md",
      "owners": [
        "@acme/all"
      ],
      "line": 1,
      "sections": [
        {
          "section": null,
          "owners": [
            "@acme/all"
          ],
          "line": 1,
          "pattern": "*",
          "excluded": false
        },
        {
          "section": "Docs",
          "owners": [],
          "line": 4,
          "pattern": "!/CHANGELOG.md",
          "excluded": true
        }
      ]
    },
    {
      "path": "guide.md",
      "owners": [
        "@acme/all",
        "@acme/docs"
      ],
      "line": 1,
      "sections": [
        {
          "section": null,
          "owners": [
            "@acme/all"
          ],
          "line": 1,
          "pattern": "*",
          "excluded": false
        },
        {
          "section": "Docs",
          "owners": [
            "@acme/docs"
          ],
          "line": 3,
          "pattern": "*.md",
          "excluded": false
        }
      ]
    },
    {
      "path": "x/new.md",
      "owners": [
        "@acme/all",
        "@acme/docs"
      ],
      "line": 1,
      "sections": [
        {
          "section": null,
          "owners": [
            "@acme/all"
          ],
          "line": 1,
          "pattern": "*",
          "excluded": false
        },
        {
          "section": "Docs",
          "owners": [
            "@acme/docs"
          ],
          "line": 3,
          "pattern": "*.md",
          "excluded": false
        }
      ]
    }
  ]
}
"#;
    assert_eq!(stdout, expected);
}

#[test]
fn owners_reads_a_commit_with_rev_and_paths_relative_to_the_current_directory() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "* @acme/old\n")
        .write("src/a.rs", "");
    repo.commit("one");
    repo.write(".github/CODEOWNERS", "* @acme/new\n");
    repo.commit("two");
    repo.write(".github/CODEOWNERS", "* @acme/worktree\n");

    let (code, stdout, _) = owners(&repo, &["--rev", "HEAD~1", "src/a.rs"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "src/a.rs\t@acme/old\t.github/CODEOWNERS:1\n")
    );
    let (_, stdout, _) = owners(&repo, &["--rev", "HEAD", "src"]);
    assert_eq!(stdout, "src/a.rs\t@acme/new\t.github/CODEOWNERS:1\n");
    let output = repo
        .goldpath()
        .current_dir(repo.join("src"))
        .args(["owners", "a.rs", "../src/"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "src/a.rs\t@acme/worktree\t.github/CODEOWNERS:1\nsrc/a.rs\t@acme/worktree\t.github/CODEOWNERS:1\n"
    );
    // From outside the repository, paths are repository-relative.
    let outside = tempfile::tempdir().unwrap();
    let output = repo
        .goldpath()
        .current_dir(outside.path())
        .arg("owners")
        .arg("--repo")
        .arg(repo.path())
        .arg("src/a.rs")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "src/a.rs\t@acme/worktree\t.github/CODEOWNERS:1\n"
    );
}

#[test]
fn owners_errors_exit_2() {
    let repo = Repo::git();
    repo.write(".github/CODEOWNERS", "* @a\n");
    repo.commit("x");
    let (code, _, stderr) = owners(&repo, &["--rev", "no-such-rev"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = owners(&repo, &["../elsewhere"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("outside the repository"), "{stderr}");
    repo.write("goldpath.toml", "[settings]\nplatform = \"bitbucket\"\n");
    let (code, _, stderr) = owners(&repo, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("goldpath.toml:2:12"), "{stderr}");
}

/// A CODEOWNERS file that is `contents`, checked by every ownership rule and listed by
/// `goldpath owners`: findings (or none), never a crash.
fn malformed(contents: &[u8]) -> (Vec<(String, String, u64, u64)>, String) {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write(".github/CODEOWNERS", contents)
        .write("src/a.rs", "");
    repo.commit("x");
    let (code, report) = repo.check_json(&["--only", "ownership/*"]);
    assert!(code == 0 || code == 1, "exit {code}: {report:#}");
    let (code, stdout, stderr) = owners(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (ownership_findings(&report), stdout)
}

#[test]
fn malformed_codeowners_files_give_findings_not_crashes() {
    let rules = |found: &[(String, String, u64, u64)]| -> Vec<String> {
        let mut r: Vec<String> = found.iter().map(|f| f.0.clone()).collect();
        r.dedup();
        r
    };
    // Binary: one syntax error at the NUL byte, and one unowned-files finding for the repo.
    let (found, stdout) = malformed(b"* @acme/a\n\x00\x01\x02");
    assert_eq!(
        found,
        [
            row("unowned-files", ".github/CODEOWNERS", 0, 0),
            row("codeowners-syntax", ".github/CODEOWNERS", 2, 1),
        ]
    );
    assert!(stdout.ends_with("src/a.rs\t\t\n"), "{stdout}");

    // Over 3 MB: GitHub does not load it.
    let big = "* @acme/a\n".repeat(1_000_000);
    let (found, _) = malformed(big.as_bytes());
    assert_eq!(
        rules(&found),
        ["ownership/unowned-files", "ownership/codeowners-syntax"]
    );

    // Invalid UTF-8: a warning at the first bad byte, the rest still applies.
    let (found, stdout) = malformed(b"* @acme/a\n/caf\xe9/ @acme/b\n");
    assert!(found.contains(&row("codeowners-syntax", ".github/CODEOWNERS", 2, 5)));
    assert!(
        stdout.contains("src/a.rs\t@acme/a\t.github/CODEOWNERS:1"),
        "{stdout}"
    );

    // 100,000 lines that match nothing: the first 200 are reported, one more finding counts
    // the rest.
    let mut many = String::from("* @acme/a\n");
    for i in 0..100_000 {
        many.push_str(&format!("/dir{i}/ @acme/t{}\n", i % 50));
    }
    let (found, _) = malformed(many.as_bytes());
    assert_eq!(rules(&found), ["ownership/pattern-matches-nothing"]);
    assert_eq!(found.len(), 201);

    // `***`: skipped by GitHub (syntax error at the stars).
    let (found, _) = malformed(b"* @acme/a\n***\n/***/x @acme/b\n");
    assert!(found.contains(&row("codeowners-syntax", ".github/CODEOWNERS", 3, 2)));

    // `/` can never match; `**` matches everything and decides every file after `*`.
    let (found, stdout) = malformed(b"* @acme/a\n/ @acme/b\n** @acme/c\n");
    assert_eq!(
        found,
        [
            row("shadowed-pattern", ".github/CODEOWNERS", 1, 1),
            row("pattern-matches-nothing", ".github/CODEOWNERS", 2, 1),
        ]
    );
    assert!(
        stdout.contains("src/a.rs\t@acme/c\t.github/CODEOWNERS:3"),
        "{stdout}"
    );

    // A lone `@` is not an owner: GitHub skips the line.
    let (found, _) = malformed(b"* @acme/a\n*.rs @\n");
    assert_eq!(found, [row("owner-format", ".github/CODEOWNERS", 2, 6)]);
}
