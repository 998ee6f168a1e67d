//! End to end: the GitHub Action's scripts, run as the runner would run them, against
//! temporary repositories with simulated event payloads and GITHUB_* variables.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Repo;

const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [{ glob = "**/*.secret", reason = "secrets stay out of git" }]
"#;

fn action_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("action")
        .join(name)
}

fn path_with_goldpath() -> String {
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_goldpath"));
    format!(
        "{}:{}",
        dir.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

struct Run {
    output: Output,
    summary: String,
    outputs: String,
}

fn run_check(repo: &Repo, event_name: &str, event: &str, inputs: &[(&str, &str)]) -> Run {
    let runner = tempfile::tempdir().unwrap();
    let event_path = runner.path().join("event.json");
    std::fs::write(&event_path, event).unwrap();
    let summary = runner.path().join("summary.md");
    let outputs = runner.path().join("outputs.txt");
    let mut cmd = Command::new("bash");
    cmd.arg(action_script("check.sh"))
        .current_dir(repo.path())
        .env("PATH", path_with_goldpath())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", &event_path)
        .env("GITHUB_WORKSPACE", repo.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (name, value) in inputs {
        cmd.env(name, value);
    }
    let output = cmd.output().unwrap();
    Run {
        output,
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
    }
}

/// main has a legacy secret; the pull request adds another and tries to switch the rule off.
fn pull_request_repo() -> (Repo, String, String) {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    let base = repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "goldpath.toml",
        "[rules.\"files/forbidden\"]\nlevel = \"off\"\npaths = []\n",
    )
    .write("new, odd:name.secret", "x");
    let head = repo.commit("feature");
    (repo, base, head)
}

fn pull_request_event(base: &str, head: &str) -> String {
    format!(
        r#"{{"action":"opened","number":7,"pull_request":{{"base":{{"sha":"{base}","ref":"main"}},"head":{{"sha":"{head}","ref":"feature"}}}}}}"#
    )
}

#[test]
fn pull_request_judges_the_change_with_the_base_policy() {
    let (repo, base, head) = pull_request_repo();
    let sarif = repo.join("out/goldpath.sarif");
    std::fs::create_dir_all(sarif.parent().unwrap()).unwrap();
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[("INPUT_SARIF", sarif.to_str().unwrap())],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(1), "{stdout}\n{stderr}");
    // The base policy judged it, and only the changed file: property values are escaped.
    assert!(
        stdout.contains("::error file=new%2C odd%3Aname.secret,title=goldpath files/forbidden::"),
        "{stdout}"
    );
    assert!(!stdout.contains("legacy.secret"), "{stdout}");
    assert!(
        stderr.contains(&format!("--base {base} --rev {head}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--policy-from {base}")),
        "{stderr}"
    );

    assert!(run.summary.contains("## goldpath"), "{}", run.summary);
    assert!(run.summary.contains("files/forbidden"), "{}", run.summary);
    assert!(run.outputs.contains("exit-code=1"), "{}", run.outputs);
    assert!(
        run.outputs.contains(&format!("sarif={}", sarif.display())),
        "{}",
        run.outputs
    );
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "new%2C%20odd%3Aname.secret"
    );
}

#[test]
fn inputs_can_turn_pull_request_modes_off() {
    let (repo, base, head) = pull_request_repo();
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[
            ("INPUT_ONLY_CHANGED", "false"),
            ("INPUT_POLICY_FROM_BASE", "false"),
        ],
    );
    // The branch's own policy switched the rule off: nothing fails.
    assert_eq!(
        run.output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.output.stderr)
    );
    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &[("INPUT_ONLY_CHANGED", "sometimes")],
    );
    assert_eq!(run.output.status.code(), Some(2));
}

#[test]
fn a_push_checks_the_whole_work_tree_with_its_own_policy() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[
            ("INPUT_FAIL_ON", "never"),
            ("INPUT_ARGS", "--only files/forbidden"),
        ],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert_eq!(run.output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("::error file=legacy.secret"), "{stdout}");
    assert!(run.outputs.contains("exit-code=0"));
}

/// The host's release target, as `cargo xtask dist` names it and install.sh picks it.
fn host_target() -> Option<&'static str> {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => Some("x86_64-unknown-linux-gnu"),
        ("linux", "aarch64") => Some("aarch64-unknown-linux-gnu"),
        _ => None,
    }
}

/// `cargo xtask dist` packaging the goldpath under test, into `dir`: the archive, its
/// `.sha256` and the SBOM, exactly as the release workflow writes them.
fn xtask_dist(dir: &Path) -> Output {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--",
            "dist",
            "--binary",
        ])
        .arg(env!("CARGO_BIN_EXE_goldpath"))
        .arg("--out")
        .arg(dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn run_install(root: &Path, env: &[(&str, &str)], args: &[&str]) -> (Output, String, String) {
    let github_path = root.join("github_path");
    let github_output = root.join("github_output");
    let mut cmd = Command::new("bash");
    cmd.arg(action_script("install.sh"))
        .args(args)
        .env("GOLDPATH_INSTALL_ROOT", root)
        .env("GITHUB_PATH", &github_path)
        .env("GITHUB_OUTPUT", &github_output)
        .env_remove("INPUT_VERSION")
        .env_remove("ACTION_REF")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let output = cmd.output().unwrap();
    (
        output,
        std::fs::read_to_string(github_path).unwrap_or_default(),
        std::fs::read_to_string(github_output).unwrap_or_default(),
    )
}

#[test]
fn install_takes_the_archive_xtask_dist_builds_and_refuses_a_wrong_checksum() {
    let Some(target) = host_target() else {
        eprintln!("note: no release target for this platform; skipping");
        return;
    };
    let version = env!("CARGO_PKG_VERSION");
    // A release, served from the file system: <base>/v<version>/<files>.
    let releases = tempfile::tempdir().unwrap();
    let dir = releases.path().join(format!("v{version}"));
    xtask_dist(&dir);
    let archive = format!("goldpath-{version}-{target}.tar.gz");
    let listing = Command::new("tar")
        .args(["-tzf", &archive])
        .current_dir(&dir)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    for file in [
        "goldpath",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "CHANGELOG.md",
    ] {
        assert!(
            listing.contains(&format!("goldpath-{version}-{target}/{file}\n")),
            "{file} is not in the archive:\n{listing}"
        );
    }
    // `cargo binstall goldpath-cli` asks for this very file and finds the binary in it.
    let manifest: toml::Value = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap(),
    )
    .unwrap();
    let binstall = &manifest["package"]["metadata"]["binstall"];
    let render = |template: &str| {
        template
            .replace("{ repo }", "https://github.com/goldpath/goldpath")
            .replace("{ version }", version)
            .replace("{ target }", target)
            .replace("{ bin }", "goldpath")
            .replace("{ binary-ext }", "")
    };
    assert_eq!(
        render(binstall["pkg-url"].as_str().unwrap()),
        format!("https://github.com/goldpath/goldpath/releases/download/v{version}/{archive}")
    );
    let bin_dir = render(binstall["bin-dir"].as_str().unwrap());
    assert!(
        listing.contains(&format!("{bin_dir}\n")),
        "{bin_dir} not in {listing}"
    );
    let sbom: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(format!("goldpath-{version}-{target}.cdx.json")))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let url = format!("file://{}", releases.path().display());

    let root = tempfile::tempdir().unwrap();
    let (output, github_path, _) = run_install(
        root.path(),
        &[
            ("INPUT_VERSION", &format!("v{version}")),
            ("GOLDPATH_RELEASE_URL", &url),
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&format!("goldpath {version}")), "{stdout}");
    assert_eq!(
        github_path.trim(),
        root.path().join("bin").display().to_string()
    );
    // The installed binary works: a repository with a forbidden file fails the check.
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("prod.secret", "x");
    let check = Command::new(root.path().join("bin/goldpath"))
        .args(["check", "--only", "files/forbidden"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));

    // A tampered archive is refused, and nothing is installed.
    std::fs::write(
        dir.join(format!("{archive}.sha256")),
        format!("{}  {archive}\n", "0".repeat(64)),
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let (output, github_path, _) = run_install(
        root.path(),
        &[("INPUT_VERSION", version), ("GOLDPATH_RELEASE_URL", &url)],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("checksum mismatch"));
    assert!(!root.path().join("bin/goldpath").exists());
    assert!(github_path.is_empty());

    // So is a release that does not exist.
    let (output, _, _) = run_install(
        root.path(),
        &[("INPUT_VERSION", "9.9.9"), ("GOLDPATH_RELEASE_URL", &url)],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("could not download"));
}

/// The action installs the release of the version the workflow pinned it to, and builds from
/// source otherwise.
#[test]
fn the_action_uses_the_release_of_its_own_pinned_version() {
    let version = env!("CARGO_PKG_VERSION");
    // The action's repository, as `git ls-remote` sees it: a release tag on one commit.
    let upstream = Repo::git();
    upstream.write("README.md", "x");
    let released = upstream.commit("release");
    upstream.git_ok(&["tag", "-a", "-m", "release", &format!("v{version}")]);
    upstream.write("README.md", "y");
    let later = upstream.commit("after the release");
    let source = upstream.path().display().to_string();

    let resolve = |env: &[(&str, &str)]| {
        let root = tempfile::tempdir().unwrap();
        let mut all = vec![("GOLDPATH_SOURCE_REPO", source.as_str())];
        all.extend_from_slice(env);
        let (output, _, outputs) = run_install(root.path(), &all, &["resolve"]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        outputs
    };
    // Pinned to the tag, or to the commit SHA the tag points to: that release.
    for pinned in [format!("v{version}"), released.clone()] {
        let outputs = resolve(&[("ACTION_REF", &pinned)]);
        assert!(outputs.contains("mode=release\n"), "{pinned}: {outputs}");
        assert!(
            outputs.contains(&format!("version={version}\n")),
            "{outputs}"
        );
    }
    // An explicit version wins.
    let outputs = resolve(&[("ACTION_REF", &released), ("INPUT_VERSION", "v0.0.7")]);
    assert!(outputs.contains("version=0.0.7\n"), "{outputs}");
    // An untagged commit, a branch, or the action in the repository itself (`uses: ./`):
    // built from source, cached by toolchain and Cargo.lock.
    for pinned in [later.as_str(), "main", ""] {
        let outputs = resolve(&[("ACTION_REF", pinned), ("GITHUB_SHA", &later)]);
        assert!(outputs.contains("mode=source\n"), "{pinned}: {outputs}");
        assert!(!outputs.contains("version="), "{outputs}");
        let key = outputs
            .lines()
            .find_map(|l| l.strip_prefix("cache-key="))
            .expect("a cache key");
        let rustc = Command::new("rustc").arg("-V").output().unwrap();
        let rustc = String::from_utf8_lossy(&rustc.stdout);
        let toolchain: String = rustc
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        assert!(key.contains(&toolchain), "{key} lacks {toolchain}");
        let lock = Command::new("sha256sum")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
            .output()
            .unwrap();
        let lock = String::from_utf8_lossy(&lock.stdout);
        assert!(
            key.ends_with(&lock[..16]),
            "{key} lacks the Cargo.lock hash"
        );
    }
}

#[test]
fn action_yml_caches_only_source_builds_under_the_resolved_key() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let step = |name: &str| {
        let start = text
            .find(&format!("- name: {name}"))
            .unwrap_or_else(|| panic!("no step {name}"));
        let rest = &text[start + 2..];
        rest[..rest.find("\n    - name:").unwrap_or(rest.len())].to_owned()
    };
    let resolve = step("Where goldpath comes from");
    assert!(
        resolve.contains("ACTION_REF: ${{ github.action_ref }}"),
        "{resolve}"
    );
    assert!(resolve.contains("install.sh\" resolve"), "{resolve}");
    let cache = step("Cache the goldpath build");
    assert!(
        cache.contains("if: steps.resolve.outputs.mode == 'source'"),
        "{cache}"
    );
    assert!(
        cache.contains("key: ${{ steps.resolve.outputs.cache-key }}"),
        "{cache}"
    );
    let install = step("Install goldpath");
    assert!(
        install.contains("INPUT_VERSION: ${{ steps.resolve.outputs.version }}"),
        "{install}"
    );
}

#[test]
fn action_inputs_reach_scripts_only_through_env() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    // No `${{ }}` expression inside any `run:` line of the composite steps.
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(run) = trimmed.strip_prefix("run:") {
            assert!(!run.contains("${{"), "expression in run: {line}");
        }
    }
}

#[test]
fn every_line_of_a_multi_line_args_input_counts() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY)
        .write("legacy.secret", "x");
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[(
            "INPUT_ARGS",
            "--only files/forbidden\n  --fail-on never\n\n",
        )],
    );
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    // Only the first line reached goldpath before: the error failed the step.
    assert_eq!(run.output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--only files/forbidden --fail-on never"),
        "{stderr}"
    );
}

#[test]
fn a_line_break_in_the_sarif_input_is_refused() {
    let repo = Repo::git();
    repo.write("goldpath.toml", POLICY);
    repo.commit("main");
    let run = run_check(
        &repo,
        "push",
        "{}",
        &[("INPUT_SARIF", "goldpath.sarif\nexit-code=0")],
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    assert_eq!(run.output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("without line breaks")
            || String::from_utf8_lossy(&run.output.stderr).contains("without line breaks")
    );
    assert!(!run.outputs.contains("exit-code=0"), "{}", run.outputs);
}

#[test]
fn org_policy_is_fetched_at_its_ref_and_its_locks_hold_the_pull_request() {
    let server = tempfile::tempdir().unwrap();
    let org = Repo::git();
    org.write(
        "goldpath.toml",
        "[settings]\nlocked = [\"files/forbidden\"]\n\n[rules.\"files/forbidden\"]\n\
         paths = [{ glob = \"**/*.secret\", reason = \"secrets stay out of git\" }]\n",
    );
    let pinned = org.commit("org policy");
    // A later commit of the organisation's policy is not used: the ref is pinned.
    org.write("goldpath.toml", "[settings]\n");
    org.commit("unpinned change");
    std::fs::create_dir_all(server.path().join("acme")).unwrap();
    std::fs::rename(org.path(), server.path().join("acme/policy")).unwrap();

    let repo = Repo::git();
    repo.write("goldpath.toml", "extends = [\"org:goldpath.toml\"]\n")
        .write("README.md", "x");
    let base = repo.commit("main");
    repo.git_ok(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "goldpath.toml",
        "extends = [\"org:goldpath.toml\"]\n[rules.\"files/forbidden\"]\nlevel = \"off\"\n",
    )
    .write("new.secret", "x");
    let head = repo.commit("feature");
    let runner = tempfile::tempdir().unwrap();
    let server_url = format!("file://{}", server.path().display());
    let org_policy = format!("acme/policy@{pinned}");
    let env = [
        ("INPUT_ORG_POLICY", org_policy.as_str()),
        ("INPUT_ORG_POLICY_TOKEN", ""),
        ("GITHUB_SERVER_URL", server_url.as_str()),
        ("RUNNER_TEMP", runner.path().to_str().unwrap()),
    ];

    let run = run_check(
        &repo,
        "pull_request",
        &pull_request_event(&base, &head),
        &env,
    );
    let stdout = String::from_utf8_lossy(&run.output.stdout);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("file=new.secret"), "{stdout}");
    assert!(
        stderr.contains(&format!("organisation policy acme/policy at {pinned}")),
        "{stderr}"
    );

    // Judged by its own policy (a push), the branch's weakening is a policy error.
    let run = run_check(&repo, "push", "{}", &env);
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    assert_eq!(run.output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is locked"), "{stderr}");

    // An org-policy without a ref is refused.
    let run = run_check(&repo, "push", "{}", &[("INPUT_ORG_POLICY", "acme/policy")]);
    assert_eq!(run.output.status.code(), Some(2));
}

/// The profile the archives, wheels and image are built with: small (strip, LTO, one codegen
/// unit), and a panic still unwinds (Drop runs, rayon hands it back) instead of aborting.
#[test]
fn the_dist_profile_is_size_optimised_and_unwinds() {
    let manifest: toml::Value = toml::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap(),
    )
    .unwrap();
    let dist = &manifest["profile"]["dist"];
    assert_eq!(dist["inherits"].as_str(), Some("release"));
    assert_eq!(dist["strip"].as_bool(), Some(true));
    assert_eq!(dist["lto"].as_str(), Some("fat"));
    assert_eq!(dist["codegen-units"].as_integer(), Some(1));
    assert_ne!(dist.get("panic").and_then(|p| p.as_str()), Some("abort"));
    let pyproject =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pyproject.toml"))
            .unwrap();
    assert!(pyproject.contains("bindings = \"bin\""), "{pyproject}");
}
