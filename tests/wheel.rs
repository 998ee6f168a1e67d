//! The Python wheel (`pip install goldpath`) and the pre-commit hook that installs it without a
//! Rust toolchain (`language: python`, from pre-commit/).
//!
//! Opt-in: GOLDPATH_WHEEL_TEST=1 (`.ci/run` sets it and installs maturin and pre-commit). The
//! wheel is built once per run with `maturin build --profile dev --compatibility linux`, which
//! reuses target/debug: the release workflow builds the same wheel with `--profile dist` and
//! manylinux2014/musllinux tags, which need a manylinux container or zig and a release build
//! (minutes), too slow for CI. GOLDPATH_WHEEL_DIR names a directory of wheels built beforehand
//! instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::Repo;

const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]
"#;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory holding the goldpath wheel, built on first use; None (with a note) when the
/// test is not opted in.
fn wheels() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if std::env::var_os("GOLDPATH_WHEEL_TEST").is_none() {
            eprintln!("note: GOLDPATH_WHEEL_TEST is not set; skipping the wheel tests");
            return None;
        }
        if let Some(dir) = std::env::var_os("GOLDPATH_WHEEL_DIR") {
            return Some(PathBuf::from(dir));
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wheels");
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let output = Command::new("maturin")
            .args(["build", "--profile", "dev", "--compatibility", "linux"])
            .arg("--out")
            .arg(&dir)
            .current_dir(root())
            .output()
            .expect("GOLDPATH_WHEEL_TEST is set but maturin is not on PATH");
        assert!(
            output.status.success(),
            "maturin build failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        eprintln!("wheel built in {:.1?}", started.elapsed());
        Some(dir)
    })
    .as_deref()
}

fn wheel_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("wheel directory")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("goldpath-") && n.ends_with(".whl"))
        })
        .expect("a goldpath wheel")
}

/// PATH without any directory that holds a `goldpath` (so only an installed wheel can answer)
/// or a Rust toolchain (so nothing can be compiled).
fn path_without_goldpath_or_rust() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| {
            ["goldpath", "cargo", "rustc"]
                .iter()
                .all(|b| !d.join(b).exists())
        })
        .collect();
    std::env::join_paths(dirs)
        .expect("PATH")
        .to_string_lossy()
        .into_owned()
}

fn repo_with(secret: bool) -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write("README.md", "x");
    if secret {
        repo.write("prod.secret", "x");
    }
    repo.commit("init");
    repo
}

fn run(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("run");
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn pip_install_goldpath_gives_a_working_goldpath() {
    let Some(wheels) = wheels() else { return };
    let wheel = wheel_file(wheels);
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("goldpath-{}-py3-none-", env!("CARGO_PKG_VERSION"))),
        "{name}: the wheel carries the crate's version and one binary for any Python"
    );

    let venv = tempfile::tempdir().unwrap();
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv.path())
        .status()
        .unwrap();
    assert!(status.success());
    let bin = venv.path().join("bin");
    // Offline, from the wheel directory only: nothing is compiled.
    let output = run(Command::new(bin.join("python"))
        .args(["-m", "pip", "install", "--no-index", "--find-links"])
        .arg(wheels)
        .arg("goldpath")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"));
    assert!(output.status.success());

    let goldpath = bin.join("goldpath");
    let version = run(Command::new(&goldpath).arg("--version"));
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));

    let dirty = repo_with(true);
    let output = run(Command::new(&goldpath)
        .arg("check")
        .current_dir(dirty.path()));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("files/forbidden"));

    let clean = repo_with(false);
    let output = run(Command::new(&goldpath)
        .arg("check")
        .current_dir(clean.path()));
    assert_eq!(output.status.code(), Some(0));
}

/// The real pre-commit framework installs the `language: python` hook from a local wheel
/// directory, offline, with neither goldpath nor cargo on PATH; the first install is timed.
#[test]
fn pre_commit_python_hook_installs_the_wheel_offline_in_seconds() {
    let Some(wheels) = wheels() else { return };
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "GOLDPATH_WHEEL_TEST is set but `pre-commit` is not on PATH"
    );

    // The hook repository as the release publishes it: pre-commit/ at its root.
    let hooks_repo = Repo::git();
    for file in [
        "pyproject.toml",
        "_build/backend.py",
        ".pre-commit-hooks.yaml",
    ] {
        hooks_repo.write(
            file,
            std::fs::read(root().join("pre-commit").join(file)).unwrap(),
        );
    }
    let rev = hooks_repo.commit("hooks");

    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY).write(
        ".pre-commit-config.yaml",
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: goldpath\n",
            hooks_repo.path().display()
        ),
    );
    repo.commit("init");
    let home = tempfile::tempdir().unwrap();
    let path = path_without_goldpath_or_rust();
    let pre_commit = |args: &[&str]| {
        let mut c = Command::new("pre-commit");
        c.args(args)
            .current_dir(repo.path())
            .env("PRE_COMMIT_HOME", home.path())
            .env("PATH", &path)
            .env("PIP_FIND_LINKS", wheels)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1");
        run(&mut c)
    };
    let started = Instant::now();
    let output = pre_commit(&["install-hooks"]);
    let first_install = started.elapsed();
    assert!(output.status.success(), "pre-commit install-hooks failed");
    eprintln!("first install of the python hook: {first_install:.1?}");
    assert!(
        first_install < Duration::from_secs(30),
        "first install took {first_install:?}"
    );

    repo.write("prod.secret", "x");
    repo.git_ok(&["add", "prod.secret"]);
    let output = pre_commit(&["run"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("files/forbidden"));

    repo.git_ok(&["rm", "-q", "--cached", "prod.secret"]);
    repo.write("ok.md", "fine");
    repo.git_ok(&["add", "ok.md"]);
    let output = pre_commit(&["run"]);
    assert!(output.status.success());
}
