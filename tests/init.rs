//! End to end: `goldpath init` writes a policy that fits the repository, and `check` loads it.

mod common;

use common::Repo;

fn init(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    let output = repo
        .goldpath()
        .arg("init")
        .args(args)
        .output()
        .expect("run goldpath");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn rust_service() -> Repo {
    let repo = Repo::git();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.8\"\n",
    )
    .write("src/main.rs", "fn main() {}\n")
    .write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo test\n",
    )
    .write(".github/CODEOWNERS", "* @acme/api\n")
    .write("Dockerfile", "FROM scratch\n")
    .write("vendor/dep/lib.rs", "\n");
    repo.commit("service");
    repo
}

#[test]
fn writes_a_policy_for_a_rust_service_that_check_loads() {
    let repo = rust_service();
    let (code, stdout, stderr) = init(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    // What it found, on stderr.
    for expected in [
        "ecosystems: cargo (.)",
        "CI: GitHub Actions (.github/workflows/ci.yml)",
        "platform: GitHub",
        "CODEOWNERS: .github/CODEOWNERS",
        "a service: a server library among the dependencies (axum found in Cargo.toml)",
        "weak: a Dockerfile that EXPOSEs no port (Dockerfile)",
        "ruled out: a binary target (src/main.rs)",
        "packs: builtin:recommended, builtin:rust-service",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in\n{stderr}");
    }
    let text = std::fs::read_to_string(repo.join("goldpath.toml")).expect("goldpath.toml");
    assert!(
        text.contains("\nextends = [\"builtin:recommended\", \"builtin:rust-service\"]\n"),
        "{text}"
    );
    assert!(text.contains("\nplatform = \"github\"\n"), "{text}");
    assert!(text.contains("\nkind = \"service\"\n"), "{text}");
    // Vendored code is skipped without an `exclude`; the policy says so.
    assert!(!text.contains("\nexclude ="), "{text}");
    assert!(
        text.contains("\n# Third-party code found (vendor/): check skips it"),
        "{text}"
    );
    assert!(
        text.contains("\n# include-vendored = [\"vendor/**\"]\n"),
        "{text}"
    );
    // Every line is a comment, blank, or a key the policy loader accepts: `check` loads it and
    // the obs rules of the service pack run.
    let (code, report) = repo.check_json(&[]);
    assert!(code == 0 || code == 1, "exit {code}: {report}");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    // The service pack's rules judge it (no tracing at all), and the vendored file is skipped.
    assert!(rules.contains(&"obs/tracing-sdk"), "{rules:?}");
    let paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(!paths.iter().any(|p| p.starts_with("vendor/")), "{paths:?}");
}

#[test]
fn refuses_to_overwrite_without_force() {
    let repo = rust_service();
    repo.write("goldpath.toml", "# mine\n");
    let (code, _, stderr) = init(&repo, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(repo.join("goldpath.toml")).unwrap(),
        "# mine\n"
    );

    let (code, _, stderr) = init(&repo, &["--force"]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(repo.join("goldpath.toml")).unwrap();
    assert!(text.contains("builtin:rust-service"), "{text}");
}

#[test]
fn refuses_when_the_policy_lives_elsewhere() {
    let repo = rust_service();
    repo.write(".github/goldpath.toml", "# mine\n");
    let (code, _, stderr) = init(&repo, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(".github/goldpath.toml"), "{stderr}");
    assert!(!repo.join("goldpath.toml").exists());
}

#[test]
fn stdout_prints_and_writes_nothing() {
    let repo = rust_service();
    let (code, stdout, stderr) = init(&repo, &["--stdout"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("# goldpath.toml"), "{stdout}");
    assert!(stdout.contains("kind = \"service\""), "{stdout}");
    assert!(!repo.join("goldpath.toml").exists());
}

/// A command-line tool shipped as a container is not a service: init says which evidence it
/// ruled out, writes `kind = "library"` and proposes no service pack.
#[test]
fn a_command_line_tool_is_not_a_service() {
    let repo = Repo::git();
    repo.write(
        "Cargo.toml",
        "[package]\nname = \"tool\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"tool\"\npath = \"src/tool.rs\"\n\n[dependencies]\nclap = \"4\"\n",
    )
    .write("src/tool.rs", "fn main() {}\n")
    .write("Dockerfile", "FROM scratch\nCOPY tool /tool\nENTRYPOINT [\"/tool\"]\n")
    .write("tests/server/Dockerfile", "FROM nginx\nEXPOSE 443\n");
    repo.commit("tool");
    let (code, stdout, stderr) = init(&repo, &["--stdout"]);
    assert_eq!(code, 0, "{stderr}");
    for expected in [
        "not a service: no evidence of a deployed, listening service",
        "weak: a Dockerfile that EXPOSEs no port (Dockerfile)",
        "ruled out: a test or tooling container (tests/server/Dockerfile, in `tests/`)",
        "ruled out: a binary target ([[bin]] in Cargo.toml)",
        "ruled out: a command-line framework (clap found in Cargo.toml)",
        "packs: builtin:recommended\n",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in\n{stderr}");
    }
    assert!(stdout.contains("\nkind = \"library\"\n"), "{stdout}");
    assert!(
        stdout.contains("extends = [\"builtin:recommended\"]\n"),
        "{stdout}"
    );
}

#[test]
fn a_python_library_on_gitlab() {
    let repo = Repo::git();
    repo.write(
        "pyproject.toml",
        "[project]\nname = \"lib\"\nversion = \"1.0\"\ndependencies = [\"requests>=2\"]\n",
    )
    .write("lib/__init__.py", "\n")
    .write(".gitlab-ci.yml", "test:\n  script:\n    - pytest\n")
    .write(".gitlab/CODEOWNERS", "[Library]\n* @acme/lib\n");
    repo.commit("library");
    let (code, _, stderr) = init(&repo, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("platform: GitLab"), "{stderr}");
    assert!(stderr.contains("not a service"), "{stderr}");
    let text = std::fs::read_to_string(repo.join("goldpath.toml")).unwrap();
    assert!(
        text.contains("\nextends = [\"builtin:recommended\"]\n"),
        "{text}"
    );
    assert!(text.contains("\nplatform = \"gitlab\"\n"), "{text}");
    assert!(text.contains("\nkind = \"library\"\n"), "{text}");
    assert!(
        text.contains("\n# exclude = [\"generated/**\"]\n"),
        "{text}"
    );
    assert!(!text.contains("Third-party code"), "{text}");
    // The GitLab dialect is in force: the section line is not a syntax error.
    let (code, report) = repo.check_json(&["--only", "ownership/*"]);
    assert!(code == 0 || code == 1, "{report}");
    let syntax: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ownership/codeowners-syntax")
        .collect();
    assert!(syntax.is_empty(), "{syntax:?}");
}

#[cfg(unix)]
#[test]
fn never_writes_through_a_symlink() {
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.toml");
    std::fs::write(&target, "# outside\n").unwrap();
    let repo = rust_service();
    std::os::unix::fs::symlink(&target, repo.join("goldpath.toml")).unwrap();
    let (code, _, stderr) = init(&repo, &["--force"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "# outside\n");
}

/// `goldpath init sub/link` with a committed `sub/link -> /elsewhere` wrote
/// /elsewhere/goldpath.toml.
#[cfg(unix)]
#[test]
fn never_writes_through_a_linked_directory() {
    let outside = tempfile::tempdir().unwrap();
    let repo = rust_service();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.join("sub/link")).unwrap();
    let (code, _, stderr) = init(&repo, &["sub/link"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("sub/link is a symbolic link"), "{stderr}");
    assert!(!outside.path().join("goldpath.toml").exists());
    // Named by its absolute path from elsewhere, too.
    let output = repo
        .goldpath()
        .current_dir(outside.path())
        .arg("init")
        .arg(repo.join("sub/link"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!outside.path().join("goldpath.toml").exists());
}
