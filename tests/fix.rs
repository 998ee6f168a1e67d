//! `goldpath fix` end to end: dry runs, applying fixes, idempotence, and never writing outside
//! the repository.

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

use common::{rules_and_paths, Repo};

const WORKFLOW: &str = "name: ci\non: push\n\n# What runs\njobs:\n  test:\n    runs-on: ubuntu-latest # pinned image later\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test\n      - uses: actions/upload-artifact@v4\n        with:\n          path: .\n";

/// The rules whose fixes these tests exercise.
const FIXED: &[&str] = &[
    "ci/permissions-missing",
    "ci/missing-timeout",
    "ci/persist-credentials",
    "ci/update-tool-missing",
    "ownership/codeowners-missing",
    "files/required",
];

fn repo() -> Repo {
    let repo = Repo::git();
    repo.write(".github/workflows/ci.yml", WORKFLOW)
        .write("Cargo.toml", "[package]\nname = \"x\"\n")
        .write("web/package.json", "{\"name\": \"web\"}\n")
        .write("README.md", "# x\n")
        .write("LICENSE", "MIT License\n");
    repo.commit("initial");
    repo
}

/// Every file and symbolic link under `dir` (not `.git`), with its bytes or link target.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read_dir") {
            let entry = entry.expect("entry");
            let path = entry.path();
            let name = path
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if name == ".git" {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).expect("read_link");
                out.insert(name, target.to_string_lossy().as_bytes().to_vec());
            } else if meta.is_dir() {
                stack.push(path);
            } else {
                out.insert(name, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

fn run(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    let output = repo.goldpath().args(args).output().expect("run goldpath");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn dry_run_prints_a_diff_git_applies_and_writes_nothing() {
    let repo = repo();
    let before = tree(repo.path());
    let (code, diff, stderr) = run(&repo, &["fix", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        diff.contains(
            "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n@@ -1,12 +1,18 @@\n \
             name: ci\n on: push\n \n+permissions:\n+  contents: read\n+\n # What runs\n"
        ),
        "{diff}"
    );
    assert!(diff.contains("+    timeout-minutes: 30\n"), "{diff}");
    assert!(
        diff.contains("       - uses: actions/checkout@v4\n+        with:\n+          persist-credentials: false\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- /dev/null\n+++ b/.github/dependabot.yml\n"),
        "{diff}"
    );
    assert!(diff.contains("+    directory: /web\n"), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/SECURITY.md\n"),
        "{diff}"
    );
    assert!(diff.contains("+* @TODO-org/TODO-team\n"), "{diff}");
    assert!(
        stderr.contains("would apply 6 fixes in 4 files"),
        "{stderr}"
    );
    assert_eq!(tree(repo.path()), before, "--dry-run changed files");

    // The diff is one `git apply` accepts.
    let mut apply = repo
        .git_cmd(&["apply", "--check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("git apply");
    apply
        .stdin
        .take()
        .expect("stdin")
        .write_all(diff.as_bytes())
        .expect("write diff");
    let applied = apply.wait_with_output().expect("git apply");
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
}

#[test]
fn fix_leaves_its_rules_passing_and_a_second_run_changes_nothing() {
    let repo = repo();
    let (_, before) = repo.check_json(&[]);
    let reported: Vec<String> = rules_and_paths(&before)
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    for rule in FIXED {
        assert!(
            reported.iter().any(|r| r == rule),
            "{rule} not reported before"
        );
    }

    let (_, human, _) = run(&repo, &["check"]);
    assert!(
        human.ends_with(
            "6 findings are from rules that `goldpath fix` repairs: `goldpath fix --dry-run` \
             shows the changes\n"
        ),
        "{human}"
    );

    let (code, stdout, stderr) = run(&repo, &["fix"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("fixed   .github/workflows/ci.yml  (ci/permissions-missing, ci/missing-timeout, ci/persist-credentials)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("created SECURITY.md  (files/required)"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("placeholders to replace (search for TODO): .github/CODEOWNERS, SECURITY.md"),
        "{stdout}"
    );
    assert!(
        stdout.contains("goldpath fix: applied 6 fixes in 4 files;"),
        "{stdout}"
    );
    // The work tree only: nothing was staged.
    assert_eq!(repo.git_ok(&["diff", "--cached", "--name-only"]), "");
    let workflow = std::fs::read_to_string(repo.join(".github/workflows/ci.yml")).unwrap();
    assert!(
        workflow
            .contains("    runs-on: ubuntu-latest # pinned image later\n    timeout-minutes: 30\n"),
        "{workflow}"
    );

    let (code, after) = repo.check_json(&[]);
    let left: Vec<(String, String)> = rules_and_paths(&after);
    // The placeholders fix wrote satisfy nothing: CODEOWNERS and SECURITY.md are still reported,
    // at the placeholder, at the tier of the missing file.
    let placeholders = [
        (
            "ownership/codeowners-missing",
            ".github/CODEOWNERS",
            "bronze",
        ),
        ("files/required", "SECURITY.md", "silver"),
    ];
    for rule in FIXED {
        let expected = placeholders.iter().find(|(r, _, _)| r == rule);
        match expected {
            Some((_, path, tier)) => {
                let finding = after["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|f| f["rule"] == *rule)
                    .unwrap_or_else(|| panic!("{rule} passes on a placeholder: {left:?}"));
                assert_eq!(finding["path"], *path, "{finding:#}");
                assert_eq!(finding["tier"], *tier, "{finding:#}");
                assert_eq!(finding["level"], "error", "{finding:#}");
                assert!(
                    finding["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("placeholder"),
                    "{finding:#}"
                );
            }
            None => assert!(
                !left.iter().any(|(r, _)| r == rule),
                "{rule} still reported: {left:?}"
            ),
        }
    }
    assert_eq!(code, 1, "check still fails on the placeholders");
    // Unpinned actions need a person: still there, and listed.
    assert!(left.iter().any(|(r, _)| r == "ci/unpinned-action"));
    assert!(stdout.contains("ci/unpinned-action"), "{stdout}");
    let (_, human, _) = run(&repo, &["check"]);
    assert!(!human.contains("goldpath fix --dry-run"), "{human}");

    let fixed = tree(repo.path());
    let (code, stdout, _) = run(&repo, &["fix"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("goldpath fix: nothing to fix;"), "{stdout}");
    assert_eq!(tree(repo.path()), fixed, "a second run changed files");
    let (code, diff, stderr) = run(&repo, &["fix", "--dry-run"]);
    assert_eq!((code, diff.as_str()), (0, ""));
    assert!(stderr.contains("--dry-run: nothing to fix"), "{stderr}");
}

#[test]
fn only_and_options_choose_what_is_fixed() {
    let repo = repo();
    let (code, stdout, stderr) = run(
        &repo,
        &[
            "fix",
            "--only",
            "ownership/*,ci/missing-timeout",
            "--owner",
            "@acme/platform",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let codeowners = std::fs::read_to_string(repo.join(".github/CODEOWNERS")).unwrap();
    assert!(codeowners.ends_with("\n* @acme/platform\n"), "{codeowners}");
    assert!(!codeowners.contains("TODO"));
    // A real owner satisfies the rule.
    let (_, report) = repo.check_json(&[]);
    assert!(
        !rules_and_paths(&report)
            .iter()
            .any(|(r, _)| r == "ownership/codeowners-missing"),
        "{report:#}"
    );
    let workflow = std::fs::read_to_string(repo.join(".github/workflows/ci.yml")).unwrap();
    assert!(workflow.contains("timeout-minutes: 30"));
    assert!(
        !workflow.contains("permissions"),
        "not selected: {workflow}"
    );
    assert!(!repo.join("SECURITY.md").exists());
    assert!(!repo.join(".github/dependabot.yml").exists());

    let (code, _, stderr) = run(&repo, &["fix", "--owner", "platform-team"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--owner: `platform-team` is not a valid owner"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&repo, &["fix", "--security-contact", "ask around"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--security-contact"), "{stderr}");
    let (code, _, stderr) = run(&repo, &["fix", "--staged"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("work tree only"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_linked_directory_is_never_written_through() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("keep.txt"), "outside\n").unwrap();
    // A workflow that needs every CI fix, reachable only through the link.
    std::fs::create_dir(outside.path().join("workflows")).unwrap();
    std::fs::write(outside.path().join("workflows/ci.yml"), WORKFLOW).unwrap();
    let repo = Repo::git();
    repo.write("Cargo.toml", "[package]\nname = \"x\"\n")
        .write("README.md", "# x\n");
    std::os::unix::fs::symlink(outside.path(), repo.join(".github")).unwrap();
    let outside_before = tree(outside.path());

    let (code, stdout, stderr) = run(&repo, &["fix", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(!stdout.contains(".github/"), "{stdout}");
    assert!(
        stderr.contains(".github/CODEOWNERS: `.github` is a symbolic link; goldpath fix does not write through it"),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&repo, &["fix"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(".github/dependabot.yml: `.github` is a symbolic link; goldpath fix does not write through it"),
        "{stderr}"
    );
    assert_eq!(
        tree(outside.path()),
        outside_before,
        "wrote outside the repository"
    );
    // What did not go through the link was still fixed.
    assert!(repo.join("SECURITY.md").is_file());
    assert!(stdout.contains("created SECURITY.md"), "{stdout}");
}

/// A pull request can commit links where fixes write: a dangling `SECURITY.md` that would create
/// a file outside, a workflow that points at one outside. Neither is written through.
#[cfg(unix)]
#[test]
fn a_committed_file_link_is_never_written_through() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("ci.yml"), WORKFLOW).unwrap();
    let repo = Repo::git();
    repo.write("Cargo.toml", "[package]\nname = \"x\"\n")
        .write("README.md", "# x\n");
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("ci.yml"),
        repo.join(".github/workflows/ci.yml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("SECURITY.md"), repo.join("SECURITY.md"))
        .unwrap();
    repo.commit("links");
    assert!(repo
        .git_ok(&["ls-files", "-s", "SECURITY.md"])
        .starts_with("120000"));
    let outside_before = tree(outside.path());

    let (code, stdout, stderr) = run(&repo, &["fix"]);
    assert!(code == 0 || code == 2, "{code}\n{stdout}\n{stderr}");
    assert_eq!(
        tree(outside.path()),
        outside_before,
        "wrote outside the repository\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("SECURITY.md"), "{stdout}");
    assert!(!stdout.contains("ci.yml"), "{stdout}");
    assert!(
        std::fs::symlink_metadata(repo.join("SECURITY.md"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link itself was replaced"
    );
}

#[test]
fn help_says_what_fix_touches() {
    let repo = Repo::plain();
    let (code, help, _) = run(&repo, &["fix", "--help"]);
    assert_eq!(code, 0);
    // Compare words, not the terminal's line breaks.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Only the work tree is changed",
        "never through a symbolic link",
        "With --dry-run nothing is written",
        "--owner <OWNER>",
        "Exit status: 0",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

#[test]
fn an_ignored_file_in_the_way_is_not_overwritten() {
    let repo = Repo::git();
    repo.write(".gitignore", "SECURITY.md\n")
        .write("README.md", "# x\n")
        .write("SECURITY.md", "mine, ignored\n");
    let (code, _, stderr) = run(&repo, &["fix", "--only", "files/required"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("SECURITY.md: already exists on disk (ignored by git?)"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("SECURITY.md")).unwrap(),
        "mine, ignored\n"
    );
}
