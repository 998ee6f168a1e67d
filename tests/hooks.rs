//! End to end: the native hook (install, chain, uninstall, core.hooksPath, husky), a real
//! `git commit` refused by it, and the pre-commit framework with `.pre-commit-hooks.yaml`.

mod common;

use std::path::{Path, PathBuf};

use common::Repo;

const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]
"#;

fn goldpath_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_goldpath"))
        .parent()
        .expect("bin dir")
        .to_path_buf()
}

/// PATH with the freshly built goldpath first, as a developer who installed it would have.
fn path_with_goldpath() -> String {
    format!(
        "{}:{}",
        goldpath_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn commit_status(repo: &Repo, message: &str) -> (bool, String) {
    let output = repo
        .git_cmd(&["commit", "-q", "-m", message])
        .env("PATH", path_with_goldpath())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

fn install(repo: &Repo) -> String {
    let output = repo.goldpath().args(["hook", "install"]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn native_hook_refuses_a_violation_and_lets_a_clean_commit_through() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write("README.md", "x");
    repo.commit("init");
    let said = install(&repo);
    assert!(said.contains("installed"), "{said}");
    let hook = repo.join(".git/hooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("goldpath check --staged"));

    repo.write("prod.secret", "x");
    repo.git_ok(&["add", "prod.secret"]);
    let (ok, output) = commit_status(&repo, "add a secret");
    assert!(!ok, "the commit went through:\n{output}");
    assert!(output.contains("files/forbidden"), "{output}");

    repo.git_ok(&["rm", "-q", "--cached", "prod.secret"]);
    repo.write("notes.md", "fine");
    repo.git_ok(&["add", "notes.md"]);
    let (ok, output) = commit_status(&repo, "clean");
    assert!(ok, "{output}");
}

#[test]
fn an_existing_hook_is_chained_and_restored() {
    let repo = Repo::git();
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\necho mine >> chained-ran.txt\n").unwrap();
    make_executable(&hook);

    let said = install(&repo);
    assert!(said.contains("previous hook moved"), "{said}");
    let chained = repo.join(".git/hooks/pre-commit.goldpath-chained");
    assert!(std::fs::read_to_string(&chained)
        .unwrap()
        .contains("echo mine"));

    // Both run on commit: the chained one first.
    repo.write("goldpath.toml", POLICY).write("README.md", "x");
    repo.git_ok(&["add", "README.md", "goldpath.toml"]);
    let (ok, output) = commit_status(&repo, "first");
    assert!(ok, "{output}");
    assert!(repo.join("chained-ran.txt").exists());

    // Installing again does not chain goldpath's own hook.
    install(&repo);
    assert!(std::fs::read_to_string(&chained)
        .unwrap()
        .contains("echo mine"));

    let output = repo
        .goldpath()
        .args(["hook", "uninstall"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("echo mine"));
    assert!(!chained.exists());
}

#[test]
fn a_foreign_hook_is_never_removed() {
    let repo = Repo::git();
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let output = repo
        .goldpath()
        .args(["hook", "uninstall"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(hook.exists());
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = Repo::git();
    repo.git_ok(&["config", "core.hooksPath", "ci/hooks"]);
    install(&repo);
    assert!(repo.join("ci/hooks/pre-commit").exists());
    assert!(!repo.join(".git/hooks/pre-commit").exists());
}

#[test]
fn husky_gets_a_line_in_its_own_pre_commit_file() {
    let repo = Repo::git();
    repo.write(".husky/pre-commit", "npm test\n");
    repo.write(
        ".husky/_/pre-commit",
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
    );
    repo.git_ok(&["config", "core.hooksPath", ".husky/_"]);
    let said = install(&repo);
    assert!(said.contains("husky"), "{said}");
    let text = std::fs::read_to_string(repo.join(".husky/pre-commit")).unwrap();
    assert_eq!(text.matches("goldpath check --staged").count(), 1, "{text}");
    assert!(text.starts_with("npm test\n"));
    // Husky's generated directory is left alone.
    let generated = std::fs::read_to_string(repo.join(".husky/_/pre-commit")).unwrap();
    assert!(!generated.contains("goldpath"));
    install(&repo);
    let text = std::fs::read_to_string(repo.join(".husky/pre-commit")).unwrap();
    assert_eq!(
        text.matches("goldpath check --staged").count(),
        1,
        "installed twice"
    );
    repo.goldpath()
        .args(["hook", "uninstall"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(repo.join(".husky/pre-commit")).unwrap(),
        "npm test\n"
    );
}

/// The real pre-commit framework with the project's `.pre-commit-hooks.yaml`. Runs when
/// `pre-commit` is on PATH (`.ci/run` installs it with pip and sets GOLDPATH_REQUIRE_PRECOMMIT
/// so that a missing framework fails instead of skipping).
#[test]
fn pre_commit_framework_refuses_a_violation() {
    let found = std::process::Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("GOLDPATH_REQUIRE_PRECOMMIT").is_none(),
            "GOLDPATH_REQUIRE_PRECOMMIT is set but `pre-commit` is not on PATH"
        );
        eprintln!("note: pre-commit is not installed; skipping the framework test");
        return;
    }

    // A hook repository holding the project's hook definitions, as pre-commit clones it.
    let hooks_repo = Repo::git();
    let definitions = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    hooks_repo.write(
        ".pre-commit-hooks.yaml",
        std::fs::read_to_string(definitions).unwrap(),
    );
    let rev = hooks_repo.commit("hooks");

    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: goldpath-system\n",
            hooks_repo.path().display()
        ),
    );
    repo.commit("init");
    let home = tempfile::tempdir().unwrap();
    let pre_commit = |args: &[&str]| {
        let mut c = std::process::Command::new("pre-commit");
        c.args(args)
            .current_dir(repo.path())
            .env("PRE_COMMIT_HOME", home.path())
            .env("PATH", path_with_goldpath())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c.output().unwrap()
    };
    let output = pre_commit(&["install"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    repo.write("prod.secret", "x");
    repo.git_ok(&["add", "prod.secret"]);
    let (ok, output) = commit_status(&repo, "secret");
    assert!(!ok, "pre-commit let a violation through:\n{output}");
    assert!(output.contains("files/forbidden"), "{output}");

    repo.git_ok(&["rm", "-q", "--cached", "prod.secret"]);
    repo.write("ok.md", "fine");
    repo.git_ok(&["add", "ok.md"]);
    let (ok, output) = commit_status(&repo, "clean");
    assert!(ok, "{output}");
}

/// The python hook's package (pre-commit/) installs the goldpath wheel of this very version,
/// and its hook runs the same command as the other hooks.
#[test]
fn python_hook_package_pins_the_workspace_version() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("pre-commit");
    let backend = std::fs::read_to_string(root.join("_build/backend.py")).unwrap();
    let pinned = format!("VERSION = \"{}\"\n", env!("CARGO_PKG_VERSION"));
    assert!(
        backend.contains(&pinned),
        "pre-commit/_build/backend.py lacks {pinned:?}"
    );
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("language: python"), "{hooks}");
    assert!(hooks.contains("entry: goldpath check --staged"), "{hooks}");
    // The rust hook stays in this repository's own definitions.
    let own = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    assert!(own.contains("language: rust"), "{own}");
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `hook install` (and `uninstall`) with a link where the hook goes: exit 2, the file outside
/// is neither written nor made executable.
#[cfg(unix)]
fn assert_refused(repo: &Repo, action: &str, victim: &Path, before: &str) {
    use std::os::unix::fs::PermissionsExt;
    let output = repo.goldpath().args(["hook", action]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{action}: {stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    if victim.exists() {
        assert_eq!(std::fs::read_to_string(victim).unwrap(), before);
        let mode = std::fs::metadata(victim).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0, "made executable");
    }
}

#[cfg(unix)]
#[test]
fn husky_hook_linked_outside_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("bashrc");
    std::fs::write(&victim, "# mine\n").unwrap();
    let repo = Repo::git();
    repo.write(".husky/_/pre-commit", "#!/usr/bin/env sh\n");
    std::os::unix::fs::symlink(&victim, repo.join(".husky/pre-commit")).unwrap();
    repo.git_ok(&["config", "core.hooksPath", ".husky/_"]);
    assert_refused(&repo, "install", &victim, "# mine\n");
    assert_refused(&repo, "uninstall", &victim, "# mine\n");
}

#[cfg(unix)]
#[test]
fn native_hook_linked_or_dangling_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("target");
    std::fs::write(&victim, "#!/bin/sh\n").unwrap();
    let repo = Repo::git();
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&victim, &hook).unwrap();
    assert_refused(&repo, "install", &victim, "#!/bin/sh\n");
    // A dangling link is not written through either.
    std::fs::remove_file(&hook).unwrap();
    let nowhere = outside.path().join("nowhere");
    std::os::unix::fs::symlink(&nowhere, &hook).unwrap();
    assert_refused(&repo, "install", &nowhere, "");
    assert!(!nowhere.exists());
    // A committed hooks directory that is a link (core.hooksPath = ci/hooks -> outside).
    std::fs::remove_file(&hook).unwrap();
    std::fs::create_dir(repo.join("ci")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("ci/hooks")).unwrap();
    repo.git_ok(&["config", "core.hooksPath", "ci/hooks"]);
    assert_refused(&repo, "install", &victim, "#!/bin/sh\n");
    assert!(!outside.path().join("pre-commit").exists());
}

#[test]
fn reinstall_keeps_the_users_lines_and_backs_up() {
    let repo = Repo::git();
    install(&repo);
    let hook = repo.join(".git/hooks/pre-commit");
    let original = std::fs::read_to_string(&hook).unwrap();
    let customised = original.replace(
        "hook_dir=$(dirname \"$0\")",
        "export MY_SETTING=1\nhook_dir=$(dirname \"$0\")",
    );
    std::fs::write(&hook, &customised).unwrap();
    let said = install(&repo);
    assert!(said.contains("kept"), "{said}");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.contains("export MY_SETTING=1\n"), "{text}");
    // The kept lines run: they come before the final exec.
    assert!(
        text.find("MY_SETTING").unwrap() < text.rfind("exec goldpath").unwrap(),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/hooks/pre-commit.goldpath-backup")).unwrap(),
        customised
    );
    // Installing again changes nothing and keeps the line once.
    assert!(install(&repo).contains("up to date"));
    let again = std::fs::read_to_string(&hook).unwrap();
    assert_eq!(again.matches("MY_SETTING").count(), 1, "{again}");
    // An unmodified hook is left as it is.
    std::fs::write(&hook, &original).unwrap();
    assert!(install(&repo).contains("up to date"));
}
