//! Development tasks. `cargo xtask bench [--files N] [--runs R]` generates a synthetic
//! repository of N files and times `goldpath check` with the recommended policy beside
//! `git ls-files` on the same repository, reporting medians. `cargo xtask bench-ci
//! [--workflows N] [--runs R]` does the same for the `ci/*` rules on N generated workflows.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod dist;
mod layers;

const USAGE: &str = "usage: cargo xtask bench [--files N] [--runs R] [--dir DIR]

Generates (once, then reuses) a git repository of N files (default 100000) under
target/bench/ (or DIR), builds goldpath in release mode, and prints the median wall time
of R runs (default 7, after one warm-up) of:
  git ls-files                       the floor: listing the index
  git grep -I -c -E -e 'AKIA[0-9A-Z]{16}' -e 'BEGIN.{0,20}PRIVATE'
                                     the floor of a policy that looks for secrets: git's own
                                     multi-threaded search of the work tree's tracked files
  goldpath check (recommended)       the whole built-in policy on the work tree
  git ls-files -co --exclude-standard  the floor for a work tree: index plus untracked files
  git grep ... HEAD                  the same search of the commit's blobs
  goldpath check --rev HEAD          the same on the commit's tree, read through gix
  goldpath check --staged            10 modified files staged (an alternate index): per-file
                                     rules on them; the ownership and ci rules do not run
  goldpath check --staged --all      the same, with every repository-wide rule run (as before
                                     change mode judged what a change introduced)
  goldpath check --staged (1 added)  10 staged files, one of them new: the path list changed,
                                     so the repository-wide rules run
  git diff --cached --name-status    the floor for a change: what the index changed
The repository also holds a 3,000-rule CODEOWNERS and 40 workflows.

usage: cargo xtask bench-ci [--workflows N] [--runs R] [--dir DIR]

Generates (once, then reuses) a git repository with N realistic GitHub workflows (default
40: CI matrices, releases, lint, docs, scheduled jobs, with block-scalar scripts, services,
pinned and unpinned actions) plus a few composite actions, and prints the median wall time
of R runs (default 15) of `git ls-files`, `zizmor --offline` on the same files when it is
installed (`pip install zizmor`; ZIZMOR names another binary), and `goldpath check --only
'ci/*'`, each goldpath line with its ratio to zizmor. The issue's scale is --workflows 1500.

usage: cargo xtask bench-deps [--crates N] [--npm N] [--runs R] [--dir DIR]
       cargo xtask bench-deps --workspace [--members N] [--fixtures N] [--runs R] [--dir DIR]

Times deps/banned, deps/source-not-allowed, deps/duplicate-versions and deps/wildcard-version
on a generated Cargo.lock of N crates (default 500) and package-lock.json of N npm packages
(default 2000). With --workspace: deps/banned and deps/source-not-allowed on a tree shaped
like rust-lang/cargo (about 3,000 files, 700 Cargo.toml, one 550-package Cargo.lock) beside
`cargo deny check bans sources` on the same tree.

usage: cargo xtask bench-repolinter [--files N] [--workflows N] [--runs R] [--dir DIR]

Generates (once, then reuses) a repository shaped like grafana/loki (default 18,000 files: Go
packages, N workflows (default 300), Dockerfiles, go.mod and package.json manifests, docs,
CODEOWNERS) or uses the repository DIR, and prints the median wall time of `git ls-files`,
`repolinter lint` with its default ruleset (`npm install -g repolinter`; REPOLINTER names
another binary) and `goldpath check --skip security/secrets` with the built-in policy,
with goldpath's ratio to repolinter (repolinter has no secret scanning).

usage: cargo xtask layers [--deny] [--edges]

Lists, for each crate, the circles in the import graph of its top-level modules (from the
`crate::module` paths, grouped `crate::{a, b}` imports and root-reaching `super::` paths its
non-test code names); --deny fails when there is one; --edges prints every edge with the first
file and line that makes it.

usage: cargo xtask ecosystem [--corpus DIR] [--repos DIR] [--bless]

Runs goldpath (release build) with no policy, with the policy `goldpath init` proposes and
with each built-in pack over real repositories, prints findings per rule per repository and
policy, and fails when a count differs from tests/ecosystem.expected. --corpus is a folder of
repositories' configuration files (default ../shared/corpus when it exists); --repos a folder
of real checkouts, one per subfolder. --bless records what it saw instead of comparing.";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
        Some("bench-ci") => bench_ci(&args[1..]),
        Some("bench-owners") => bench_owners(&args[1..]),
        Some("bench-fleet") => bench_fleet(&args[1..]),
        Some("bench-deps") => bench_deps(&args[1..]),
        Some("bench-repolinter") => bench_repolinter(&args[1..]),
        Some("ecosystem") => ecosystem(&args[1..]),
        Some("dist") => dist::dist(&workspace_root(), &args[1..]),
        Some("layers") => layers::layers(&workspace_root(), &args[1..]),
        _ => {
            eprintln!("{USAGE}\n\n{}", dist::USAGE);
            std::process::exit(2);
        }
    }
}

/// The ecosystem check: the opt-in `tests/ecosystem.rs` run with a release binary, so that
/// `cargo test` (CI) and this command compare with one expectation file by one piece of code.
fn ecosystem(args: &[String]) -> Result<()> {
    let root = workspace_root();
    let mut corpus = Some(root.join("../shared/corpus")).filter(|dir| dir.is_dir());
    let mut repos = None;
    let mut bless = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--corpus" => corpus = Some(PathBuf::from(value()?)),
            "--repos" => repos = Some(PathBuf::from(value()?)),
            "--bless" => bless = true,
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if corpus.is_none() && repos.is_none() {
        bail!(
            "no repositories: ../shared/corpus is not there; give --corpus or --repos\n\n{USAGE}"
        );
    }
    let binary = build_release(&root)?;
    let mut command = Command::new(env!("CARGO"));
    command
        .args([
            "test",
            "--quiet",
            "-p",
            "goldpath-cli",
            "--test",
            "ecosystem",
            "--",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .current_dir(&root)
        .env("GOLDPATH_BIN", std::path::absolute(&binary)?)
        .env_remove("GOLDPATH_CORPUS")
        .env_remove("GOLDPATH_ECOSYSTEM_REPOS")
        .env_remove("GOLDPATH_BLESS");
    if let Some(dir) = corpus {
        command.env("GOLDPATH_CORPUS", std::path::absolute(dir)?);
    }
    if let Some(dir) = repos {
        command.env("GOLDPATH_ECOSYSTEM_REPOS", std::path::absolute(dir)?);
    }
    if bless {
        command.env("GOLDPATH_BLESS", "1");
    }
    if !command.status()?.success() {
        bail!("the ecosystem check failed (see above)");
    }
    Ok(())
}

struct Options {
    files: usize,
    runs: usize,
    dir: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut options = Options {
        files: 100_000,
        runs: 7,
        dir: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--files" => options.files = value()?.parse().context("--files")?,
            "--runs" => options.runs = value()?.parse().context("--runs")?,
            "--dir" => options.dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    Ok(options)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn bench(args: &[String]) -> Result<()> {
    let options = parse(args)?;
    let root = workspace_root();
    let repo = options
        .dir
        .clone()
        .unwrap_or_else(|| root.join(format!("target/bench/repo-{}", options.files)));
    generate(&repo, options.files)?;

    let goldpath = build_release(&root)?;

    let staged_index = prepare_staged_index(&repo, 10, false)?;
    let added_index = prepare_staged_index(&repo, 10, true)?;
    let staged = |index: &Path, extra: &[&str]| {
        let mut c = Command::new(&goldpath);
        c.args([
            "check",
            "--staged",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(extra)
        .arg(&repo)
        .env("GIT_INDEX_FILE", index);
        c
    };
    let cases: Vec<(&str, Command)> = vec![
        ("git ls-files", {
            let mut c = git(&repo);
            c.arg("ls-files");
            c
        }),
        ("git ls-files -co --exclude-standard", {
            // Lists the index and walks the work tree for untracked files: the floor for a
            // work-tree snapshot, which must find untracked files too.
            let mut c = git(&repo);
            c.args(["ls-files", "-co", "--exclude-standard"]);
            c
        }),
        ("git grep (2 secret patterns, work tree)", {
            // A policy that looks for secrets must read every file: git's own multi-threaded
            // search of the same tracked files is the honest floor of a work-tree check.
            let mut c = git(&repo);
            c.args(GIT_GREP);
            c
        }),
        ("goldpath check (recommended, work tree)", {
            let mut c = Command::new(&goldpath);
            c.args(["check", "--format", "json", "--fail-on", "never"])
                .arg(&repo);
            c
        }),
        ("git grep (2 secret patterns) HEAD", {
            // The floor of --rev HEAD: the same search of the commit's blobs.
            let mut c = git(&repo);
            c.args(GIT_GREP).arg("HEAD");
            c
        }),
        ("goldpath check --rev HEAD", {
            let mut c = Command::new(&goldpath);
            c.args([
                "check",
                "--rev",
                "HEAD",
                "--format",
                "json",
                "--fail-on",
                "never",
            ])
            .arg(&repo);
            c
        }),
        ("git diff --cached --name-status (10 files)", {
            let mut c = git(&repo);
            c.args(["diff", "--cached", "--name-status"])
                .env("GIT_INDEX_FILE", &staged_index);
            c
        }),
        (
            "goldpath check --staged (10 modified)",
            staged(&staged_index, &[]),
        ),
        (
            "goldpath check --staged --all (10 modified)",
            staged(&staged_index, &["--all"]),
        ),
        (
            "goldpath check --staged (9 modified, 1 added)",
            staged(&added_index, &[]),
        ),
    ];

    println!(
        "repository: {} ({} files), {} runs each, median wall time",
        repo.display(),
        options.files,
        options.runs
    );
    print_medians_against(cases, options.runs, 46, &[("git grep", "goldpath check")])?;
    Ok(())
}

/// `git grep` of the two secret shapes the floor compares with: binary files skipped, one count
/// per file.
const GIT_GREP: [&str; 8] = [
    "grep",
    "-I",
    "-c",
    "-E",
    "-e",
    "AKIA[0-9A-Z]{16}",
    "-e",
    "BEGIN.{0,20}PRIVATE",
];

/// Builds the release binary of goldpath and returns its path.
fn build_release(root: &Path) -> Result<PathBuf> {
    eprintln!("building goldpath (release)...");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "goldpath"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release/goldpath"))
}

/// Times each case and prints its median and its ratio to the first case (`git ls-files`),
/// names padded to `width`.
fn print_medians(cases: Vec<(&str, Command)>, runs: usize, width: usize) -> Result<()> {
    let mut floor = None;
    for (name, mut command) in cases {
        let median = time(&mut command, runs)?;
        let floor = *floor.get_or_insert(median);
        println!(
            "{name:width$} {:>9.1} ms   {:>5.1}x git ls-files",
            median.as_secs_f64() * 1000.0,
            median.as_secs_f64() / floor.as_secs_f64()
        );
    }
    Ok(())
}

/// Like [`print_medians`], and each case whose name starts with the second of a pair is also
/// compared with the latest case before it whose name starts with the first (each goldpath
/// check with the `git grep` of the same snapshot) unless another `git` case came between.
fn print_medians_against(
    cases: Vec<(&str, Command)>,
    runs: usize,
    width: usize,
    pairs: &[(&str, &str)],
) -> Result<()> {
    let mut floor = None;
    let mut references: Vec<(&str, String, Duration)> = Vec::new();
    for (name, mut command) in cases {
        let (median, cpu) = time_cpu(&mut command, runs)?;
        let floor = *floor.get_or_insert(median);
        let cpu = cpu.map_or_else(
            || "-".to_owned(),
            |cpu| format!("{:.0} ms", cpu.as_secs_f64() * 1000.0),
        );
        let mut line = format!(
            "{name:width$} {:>9.1} ms  cpu {cpu:>8}   {:>5.1}x git ls-files",
            median.as_secs_f64() * 1000.0,
            median.as_secs_f64() / floor.as_secs_f64()
        );
        // Another floor (such as `git diff --cached` before the staged cases) ends the
        // comparison: the staged checks read 10 files, not the tree.
        if name.starts_with("git ") && !pairs.iter().any(|(r, _)| name.starts_with(r)) {
            references.clear();
        }
        for (reference, compared) in pairs {
            if name.starts_with(reference) {
                references.retain(|(r, _, _)| r != reference);
                references.push((reference, name.to_owned(), median));
            } else if name.starts_with(compared) {
                if let Some((_, _, base)) = references.iter().find(|(r, _, _)| r == reference) {
                    line.push_str(&format!(
                        "   {:>5.2}x {reference}",
                        median.as_secs_f64() / base.as_secs_f64()
                    ));
                }
            }
        }
        println!("{line}");
    }
    Ok(())
}

fn time(command: &mut Command, runs: usize) -> Result<Duration> {
    Ok(time_cpu(command, runs)?.0)
}

/// The CPU time (user and system) of the waited-for children so far, from /proc/self/stat
/// (Linux; clock ticks of 10 ms). `None` elsewhere.
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split(' ').collect();
    // cutime and cstime are fields 16 and 17 of the whole line (14 and 15 here, 0-based).
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The median wall time of `runs` runs after a warm-up, and the mean CPU time of a run (user
/// and system, all threads): on a loaded machine wall time waits for the CPU, CPU time less so.
fn time_cpu(command: &mut Command, runs: usize) -> Result<(Duration, Option<Duration>)> {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    // One warm-up run so every case starts with the same page cache.
    let status = command.status()?;
    if !status.success() && status.code() != Some(1) {
        bail!("{command:?} failed: {status}");
    }
    let mut samples = Vec::with_capacity(runs);
    let cpu_before = children_cpu();
    for _ in 0..runs {
        let start = Instant::now();
        command.status()?;
        samples.push(start.elapsed());
    }
    let cpu = match (cpu_before, children_cpu()) {
        (Some(before), Some(after)) => Some((after.saturating_sub(before)) / runs as u32),
        _ => None,
    };
    samples.sort();
    Ok((samples[samples.len() / 2], cpu))
}

/// An alternate index (so the repository itself is untouched) in which `count` files spread
/// over the tree have new staged contents, as before a commit; with `add`, the last of them is
/// a new file beside the others.
fn prepare_staged_index(repo: &Path, count: usize, add: bool) -> Result<PathBuf> {
    let index = repo.join(if add {
        ".git/goldpath-bench-added-index"
    } else {
        ".git/goldpath-bench-staged-index"
    });
    std::fs::copy(repo.join(".git/index"), &index)?;
    let listed = git(repo).arg("ls-files").output()?;
    // Source files only: a change of CODEOWNERS or a workflow is another case.
    let paths: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|p| p.starts_with("services/"))
        .map(str::to_owned)
        .collect();
    let step = (paths.len() / count.max(1)).max(1);
    let mut info = String::new();
    for (i, path) in paths.iter().step_by(step).take(count).enumerate() {
        let mut hash = git(repo)
            .args(["hash-object", "-w", "--stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        if let Some(stdin) = hash.stdin.as_mut() {
            use std::io::Write;
            writeln!(stdin, "staged change {i}")?;
        }
        let out = hash.wait_with_output()?;
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let path = if add && i + 1 == count {
            format!("{path}.new")
        } else {
            path.clone()
        };
        info.push_str(&format!("100644 {id}\t{path}\n"));
    }
    let mut update = git(repo)
        .args(["update-index", "--index-info"])
        .env("GIT_INDEX_FILE", &index)
        .stdin(Stdio::piped())
        .spawn()?;
    if let Some(stdin) = update.stdin.as_mut() {
        use std::io::Write;
        stdin.write_all(info.as_bytes())?;
    }
    if !update.wait()?.success() {
        bail!("git update-index failed");
    }
    Ok(index)
}

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com");
    c
}

/// Writes `files` files in a tree shaped like a monorepo (services with src, tests, docs and
/// config), then commits them. Reused when the marker file says it is complete.
fn generate(repo: &Path, files: usize) -> Result<()> {
    let marker = repo.join(".git/goldpath-bench-complete-v2");
    if marker.exists() {
        return Ok(());
    }
    if repo.exists() {
        std::fs::remove_dir_all(repo)?;
    }
    eprintln!("generating {files} files in {}...", repo.display());
    std::fs::create_dir_all(repo)?;
    let kinds = [
        ("src", "rs", "pub fn f() -> u32 { 42 }\n"),
        ("src", "ts", "export const x = 1;\n"),
        ("tests", "py", "def test_x():\n    assert True\n"),
        ("docs", "md", "# Notes\n\nSome text.\n"),
        ("config", "yaml", "key: value\nlist:\n  - a\n  - b\n"),
        ("config", "json", "{\"a\": 1}\n"),
    ];
    let top = [
        ("README.md", "# bench\n"),
        ("LICENSE", "MIT License\n"),
        ("SECURITY.md", "Report to security@example.com\n"),
        (".gitignore", "target/\n"),
    ];
    for (path, text) in top {
        std::fs::write(repo.join(path), text)?;
    }
    // A CODEOWNERS of 3,000 rules (one per folder of the tree below) and 40 workflows, so that
    // the ownership and ci rules have real work.
    std::fs::create_dir_all(repo.join(".github/workflows"))?;
    let mut owners = String::from("* @bench/platform\n");
    for service in 0..50 {
        for dir in ["src", "tests", "docs", "config"] {
            for m in 0..15 {
                owners.push_str(&format!(
                    "/services/svc-{service:03}/{dir}/m{m:03}/ @bench/team-{}\n",
                    (service + m) % 20
                ));
            }
        }
    }
    std::fs::write(repo.join(".github/CODEOWNERS"), owners)?;
    for i in 0..40 {
        std::fs::write(
            repo.join(format!(".github/workflows/workflow-{i:02}.yml")),
            workflow(i),
        )?;
    }
    let per_dir = 50;
    for i in 0..files.saturating_sub(top.len()) {
        let service = i / 2_000;
        let (dir, ext, text) = kinds[i % kinds.len()];
        let folder = repo.join(format!(
            "services/svc-{service:03}/{dir}/m{:03}",
            (i / per_dir) % 40
        ));
        if i % per_dir == 0 || !folder.exists() {
            std::fs::create_dir_all(&folder)?;
        }
        std::fs::write(folder.join(format!("file_{i:06}.{ext}")), text)?;
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "synthetic"],
        // Clones are packed; so is the benchmark repository.
        &["gc", "-q"],
    ] {
        let status = git(repo).args(args).status()?;
        if !status.success() {
            bail!("git {args:?} failed");
        }
    }
    std::fs::write(marker, "")?;
    Ok(())
}

/// What a peer tool prints for `--version`; `None` when it is not installed.
fn peer_version(program: &std::ffi::OsStr) -> Option<String> {
    Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// `cargo xtask bench-ci`: the `ci/*` rules on generated workflows.
fn bench_ci(args: &[String]) -> Result<()> {
    let mut workflows = 40;
    let mut runs = 15;
    let mut dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--workflows" => workflows = value()?.parse().context("--workflows")?,
            "--runs" => runs = value()?.parse().context("--runs")?,
            "--dir" => dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let root = workspace_root();
    let repo = dir.unwrap_or_else(|| root.join(format!("target/bench/ci-{workflows}")));
    generate_ci(&repo, workflows)?;

    let goldpath = build_release(&root)?;
    let check = |extra: &[&str]| {
        let mut c = Command::new(&goldpath);
        c.args([
            "check",
            "--only",
            "ci/*",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(extra)
        .arg(&repo);
        c
    };
    let mut cases: Vec<(&str, Command)> = vec![("git ls-files", {
        let mut c = git(&repo);
        c.arg("ls-files");
        c
    })];
    // The peer on the same files: zizmor (`pip install zizmor`), offline so that no audit
    // waits on the network, with its exit codes for findings turned off.
    let zizmor = std::env::var_os("ZIZMOR").unwrap_or_else(|| "zizmor".into());
    let zizmor_version = peer_version(&zizmor);
    if zizmor_version.is_some() {
        let mut c = Command::new(&zizmor);
        c.args([
            "--offline",
            "--no-progress",
            "--no-exit-codes",
            "--format",
            "json",
        ])
        .arg(&repo);
        cases.push(("zizmor --offline", c));
    }
    cases.push(("goldpath check --only 'ci/*'", check(&[])));
    cases.push((
        "goldpath check --only 'ci/*' --rev HEAD",
        check(&["--rev", "HEAD"]),
    ));
    let output = check(&[]).output()?;
    let findings = String::from_utf8_lossy(&output.stdout)
        .matches("\"rule\":")
        .count();
    println!(
        "repository: {} ({workflows} workflows, {findings} ci findings), {runs} runs each, median wall time",
        repo.display()
    );
    match &zizmor_version {
        Some(version) => println!("peer: {version} (--offline)"),
        None => println!(
            "peer: zizmor not found (`pip install zizmor`, or ZIZMOR=/path/to/zizmor): not compared"
        ),
    }
    // Each goldpath case is also given as a ratio of zizmor's time on the same files.
    print_medians_against(cases, runs, 42, &[("zizmor", "goldpath")])?;
    Ok(())
}

const SHA: &str = "b4ffde65f46336ab88eb53be808477a3936bae11";

/// One realistic workflow; `i` varies its shape (CI matrix, release, lint, docs, scheduled).
fn workflow(i: usize) -> String {
    let checkout = if i.is_multiple_of(3) {
        format!("actions/checkout@{SHA} # v4.1.1")
    } else {
        "actions/checkout@v4".to_owned()
    };
    let trigger = match i % 5 {
        0 => "on:\n  push:\n    branches: [main]\n  pull_request:\n    paths: ['src/**', 'Cargo.*']\n",
        1 => "on:\n  push:\n    tags: ['v*']\n",
        2 => "on: [pull_request]\n",
        3 => "on:\n  schedule:\n    - cron: '0 3 * * 1'\n  workflow_dispatch:\n    inputs:\n      level:\n        type: string\n",
        _ => "on:\n  pull_request_target:\n    types: [opened, labeled]\n",
    };
    let permissions = if i.is_multiple_of(4) {
        ""
    } else {
        "permissions:\n  contents: read\n"
    };
    let mut text = format!(
        "name: workflow {i}\n{trigger}{permissions}env:\n  CARGO_TERM_COLOR: always\n\
         concurrency:\n  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}\n  cancel-in-progress: true\n\njobs:\n"
    );
    for j in 0..4 {
        let timeout = if (i + j).is_multiple_of(3) {
            ""
        } else {
            "    timeout-minutes: 30\n"
        };
        text.push_str(&format!(
            "  job-{j}:\n    name: Job {j} (${{{{ matrix.os }}}})\n    runs-on: ${{{{ matrix.os }}}}\n{timeout}\
             \x20   strategy:\n      fail-fast: false\n      matrix:\n        os: [ubuntu-latest, macos-latest, windows-latest]\n        \
             toolchain: [stable, beta]\n"
        ));
        if j == 1 {
            text.push_str(
                "    services:\n      postgres:\n        image: postgres:16\n        env:\n          \
                 POSTGRES_PASSWORD: postgres\n        ports: ['5432:5432']\n        options: >-\n          \
                 --health-cmd pg_isready\n          --health-interval 10s\n",
            );
        }
        if j == 2 {
            text.push_str("    container:\n      image: rust:1.85\n");
        }
        text.push_str(&format!(
            "    steps:\n      - uses: {checkout}\n        with:\n          fetch-depth: 0\n      \
             - uses: dtolnay/rust-toolchain@master\n        with:\n          toolchain: ${{{{ matrix.toolchain }}}}\n      \
             - uses: Swatinem/rust-cache@{SHA} # v2\n      - name: Build\n        run: |\n          \
             cargo build --workspace --all-targets\n          echo \"built ${{{{ github.sha }}}} on ${{{{ runner.os }}}}\"\n      \
             - name: Test\n        shell: bash\n        run: >\n          cargo test --workspace\n          -- --nocapture\n      \
             - name: Report\n        if: always()\n        run: |\n          echo \"## Results\" >> \"$GITHUB_STEP_SUMMARY\"\n          \
             echo \"ref ${{{{ github.ref_name }}}}\" >> \"$GITHUB_STEP_SUMMARY\"\n"
        ));
        if i.is_multiple_of(7) && j == 0 {
            text.push_str("      - run: echo \"${{ github.event.pull_request.title }}\"\n");
        }
        if j == 3 {
            text.push_str(
                "      - uses: actions/upload-artifact@v4\n        with:\n          name: out-${{ matrix.os }}\n          \
                 path: target/release/\n          retention-days: 7\n",
            );
        }
    }
    text.push_str(
        "  call:\n    uses: my-org/shared/.github/workflows/notify.yml@v2\n    secrets: inherit\n    \
         with:\n      channel: builds\n",
    );
    text
}

/// A repository with `workflows` workflows, three composite actions and a few other files.
fn generate_ci(repo: &Path, workflows: usize) -> Result<()> {
    let marker = repo.join(".git/goldpath-bench-complete");
    if marker.exists() {
        return Ok(());
    }
    if repo.exists() {
        std::fs::remove_dir_all(repo)?;
    }
    eprintln!("generating {workflows} workflows in {}...", repo.display());
    std::fs::create_dir_all(repo.join(".github/workflows"))?;
    for i in 0..workflows {
        std::fs::write(
            repo.join(format!(".github/workflows/wf-{i:03}.yml")),
            workflow(i),
        )?;
    }
    for name in ["setup", "lint", "publish"] {
        let dir = repo.join(format!(".github/actions/{name}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("action.yml"),
            format!(
                "name: {name}\ndescription: shared {name} steps\ninputs:\n  version:\n    required: false\n\
                 runs:\n  using: composite\n  steps:\n    - uses: actions/setup-node@v4\n      with:\n        \
                 node-version: ${{{{ inputs.version }}}}\n    - shell: bash\n      run: |\n        npm ci\n        \
                 npm run {name}\n"
            ),
        )?;
    }
    for (path, text) in [
        ("README.md", "# bench-ci\n"),
        ("LICENSE", "MIT License\n"),
        (".github/dependabot.yml", "version: 2\nupdates: []\n"),
        (
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
        ),
        ("src/main.rs", "fn main() {}\n"),
    ] {
        let full = repo.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(full, text)?;
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "synthetic"],
    ] {
        let status = git(repo).args(args).status()?;
        if !status.success() {
            bail!("git {args:?} failed");
        }
    }
    std::fs::write(marker, "")?;
    Ok(())
}

/// `cargo xtask bench-repolinter`: the built-in policy beside repolinter's default ruleset on
/// a repository of loki's size.
fn bench_repolinter(args: &[String]) -> Result<()> {
    let mut files = 18_000;
    let mut workflows = 300;
    let mut runs = 7;
    let mut dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--files" => files = value()?.parse().context("--files")?,
            "--workflows" => workflows = value()?.parse().context("--workflows")?,
            "--runs" => runs = value()?.parse().context("--runs")?,
            "--dir" => dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let root = workspace_root();
    let repo = match dir {
        Some(dir) => dir,
        None => {
            let repo = root.join(format!("target/bench/loki-{files}-{workflows}"));
            generate_service_repo(&repo, files, workflows)?;
            repo
        }
    };
    let goldpath = build_release(&root)?;
    let repolinter = std::env::var_os("REPOLINTER").unwrap_or_else(|| "repolinter".into());
    let version = peer_version(&repolinter);
    let mut cases: Vec<(&str, Command)> = vec![("git ls-files", {
        let mut c = git(&repo);
        c.arg("ls-files");
        c
    })];
    if version.is_some() {
        let mut c = Command::new(&repolinter);
        // repolinter exits 1 when a rule fails, which the timer accepts.
        c.arg("lint").arg(&repo);
        cases.push(("repolinter lint (default ruleset)", c));
    }
    let mut check = Command::new(&goldpath);
    check
        .args([
            "check",
            "--skip",
            "security/secrets",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg(&repo);
    cases.push(("goldpath check --skip security/secrets", check));
    let listed = git(&repo).arg("ls-files").output()?;
    let count = String::from_utf8_lossy(&listed.stdout).lines().count();
    println!(
        "repository: {} ({count} tracked files), {runs} runs each, median wall time",
        repo.display()
    );
    match &version {
        Some(v) => println!("peer: repolinter {v}"),
        None => println!(
            "peer: repolinter not found (`npm install -g repolinter`, or REPOLINTER=/path): not compared"
        ),
    }
    print_medians_against(cases, runs, 42, &[("repolinter", "goldpath")])?;
    Ok(())
}

/// A repository shaped like grafana/loki: Go packages with tests, workflows, Dockerfiles,
/// go.mod and package.json manifests, docs and a CODEOWNERS.
fn generate_service_repo(repo: &Path, files: usize, workflows: usize) -> Result<()> {
    let marker = repo.join(".git/goldpath-bench-complete");
    if marker.exists() {
        return Ok(());
    }
    if repo.exists() {
        std::fs::remove_dir_all(repo)?;
    }
    eprintln!(
        "generating {files} files ({workflows} workflows) in {}...",
        repo.display()
    );
    let write = |path: &str, text: &str| -> Result<()> {
        let full = repo.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(full, text)?;
        Ok(())
    };
    let mut written = 0;
    for (path, text) in [
        ("README.md", "# loki-like\n\nA log aggregation system.\n"),
        ("LICENSE", "GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007\n"),
        ("CONTRIBUTING.md", "# Contributing\n"),
        ("CODE_OF_CONDUCT.md", "# Code of conduct\n"),
        ("CHANGELOG.md", "# Changelog\n"),
        ("SECURITY.md", "Report to security@example.com\n"),
        (".gitignore", "/dist\n"),
        ("go.mod", "module example.com/loki\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n"),
        ("go.sum", "github.com/pkg/errors v0.9.1 h1:FEBLx1zS214owpjy7qsBeixbURkuhQAwrK5UwLGTwt4=\n"),
        ("Makefile", "all:\n\tgo build ./...\n"),
        (".github/dependabot.yml", "version: 2\nupdates:\n  - package-ecosystem: gomod\n    directory: /\n    schedule: {interval: weekly}\n"),
    ] {
        write(path, text)?;
        written += 1;
    }
    let mut owners = String::from("* @loki/maintainers\n");
    for i in 0..workflows {
        write(&format!(".github/workflows/wf-{i:03}.yml"), &workflow(i))?;
        written += 1;
    }
    let packages = files.saturating_sub(written) / 60;
    for p in 0..packages.max(1) {
        let pkg = format!("pkg/area{:02}/pkg{p:04}", p % 40);
        owners.push_str(&format!("/{pkg}/ @loki/team-{}\n", p % 25));
        for f in 0..50 {
            write(
                &format!("{pkg}/file{f:02}.go"),
                &format!("package pkg{p}\n\n// F{f} returns a value.\nfunc F{f}() int {{ return {f} }}\n"),
            )?;
        }
        for f in 0..6 {
            write(
                &format!("{pkg}/file{f:02}_test.go"),
                &format!(
                    "package pkg{p}\n\nimport \"testing\"\n\nfunc TestF{f}(t *testing.T) {{}}\n"
                ),
            )?;
        }
        write(&format!("{pkg}/README.md"), "# package\n")?;
        write(&format!("{pkg}/config.yaml"), "key: value\n")?;
        match p % 50 {
            0 => write(
                &format!("{pkg}/Dockerfile"),
                "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /app\nFROM gcr.io/distroless/static\nCOPY --from=build /app /app\n",
            )?,
            1 => write(
                &format!("{pkg}/go.mod"),
                &format!("module example.com/loki/{pkg}\n\ngo 1.22\n"),
            )?,
            2 => write(
                &format!("{pkg}/package.json"),
                "{\"name\": \"ui\", \"version\": \"1.0.0\", \"dependencies\": {\"react\": \"^18.2.0\"}}\n",
            )?,
            _ => write(&format!("{pkg}/doc.go"), &format!("// Package pkg{p} does work.\npackage pkg{p}\n"))?,
        }
    }
    write(".github/CODEOWNERS", &owners)?;
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "synthetic"],
        &["gc", "-q"],
    ] {
        let status = git(repo).args(args).status()?;
        if !status.success() {
            bail!("git {args:?} failed");
        }
    }
    std::fs::write(marker, "")?;
    Ok(())
}

/// `cargo xtask bench-fleet`: `goldpath fleet scan` over many bare repositories.
fn bench_fleet(args: &[String]) -> Result<()> {
    const USAGE: &str =
        "usage: cargo xtask bench-fleet [--repos N] [--files F] [--runs R] [--jobs J] [--dir DIR]

Generates (once, then reuses) N bare repositories (default 200) of F files each (default 2000)
under target/bench/ (or DIR), builds goldpath in release mode, and prints the median wall time
of R runs (default 3, after one warm-up) of `goldpath fleet scan --jobs J` (default 2, pinned to
J CPUs with taskset when available).";
    let mut repos = 200;
    let mut files = 2_000;
    let mut runs = 3;
    let mut jobs = 2;
    let mut dir = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().context(format!("{arg} needs a value\n\n{USAGE}"));
        match arg.as_str() {
            "--repos" => repos = value()?.parse().context("--repos")?,
            "--files" => files = value()?.parse().context("--files")?,
            "--runs" => runs = value()?.parse().context("--runs")?,
            "--jobs" => jobs = value()?.parse().context("--jobs")?,
            "--dir" => dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    if runs == 0 || jobs == 0 {
        bail!("--runs and --jobs must be at least 1");
    }
    let root = workspace_root();
    let base = dir.unwrap_or_else(|| root.join(format!("target/bench/fleet-{repos}x{files}")));
    let fleet = base.join("repos");
    generate_fleet(&base, &fleet, repos, files)?;

    let goldpath = build_release(&root)?;
    let out = base.join("results.jsonl");
    let jobs_arg = jobs.to_string();
    // Pinned to `jobs` CPUs when taskset is there, so the figure means "on N cores".
    let pinned = Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut command = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", &format!("0-{}", jobs - 1)]).arg(&goldpath);
        c
    } else {
        Command::new(&goldpath)
    };
    command
        .args(["fleet", "scan", "--repos"])
        .arg(&fleet)
        .args(["--jobs", &jobs_arg, "--out"])
        .arg(&out)
        .env("CI", "1");
    let median = time(&mut command, runs)?;
    let text = std::fs::read_to_string(&out)?;
    let lines = text.lines().count();
    let broken = text.lines().filter(|l| l.contains("\"error\":")).count();
    println!(
        "goldpath fleet scan: {repos} repositories x {files} files, --jobs {jobs}{}: median {:.2} s \
         of {runs} ({:.1} repositories/s); {lines} lines, {broken} broken",
        if pinned { " (taskset)" } else { "" },
        median.as_secs_f64(),
        repos as f64 / median.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// `repos` bare repositories under `fleet`, each a clone of one generated repository of
/// `files` files plus a commit of its own (a distinct `SERVICE` file; every third without
/// README.md, every fifth with a CODEOWNERS), so tiers and owners vary. Reused when complete.
fn generate_fleet(base: &Path, fleet: &Path, repos: usize, files: usize) -> Result<()> {
    let marker = base.join("complete");
    if marker.exists() {
        return Ok(());
    }
    let template = base.join("template");
    generate(&template, files)?;
    if fleet.exists() {
        std::fs::remove_dir_all(fleet)?;
    }
    std::fs::create_dir_all(fleet)?;
    eprintln!(
        "cloning {repos} bare repositories into {}...",
        fleet.display()
    );
    let run = |repo: &Path, args: &[&str], input: Option<&str>| -> Result<String> {
        let mut c = git(repo);
        c.args(args).stdout(Stdio::piped());
        if input.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c.spawn()?;
        if let (Some(input), Some(stdin)) = (input, child.stdin.as_mut()) {
            use std::io::Write;
            stdin.write_all(input.as_bytes())?;
        }
        drop(child.stdin.take());
        let output = child.wait_with_output()?;
        if !output.status.success() {
            bail!("git {args:?} failed in {}", repo.display());
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    for i in 0..repos {
        let name = format!("svc-{i:04}.git");
        run(
            fleet,
            &["clone", "-q", "--bare", &template.to_string_lossy(), &name],
            None,
        )?;
        let repo = fleet.join(&name);
        let mut tree = String::new();
        for entry in run(&repo, &["ls-tree", "HEAD"], None)?.lines() {
            if i % 3 == 0 && entry.ends_with("\tREADME.md") {
                continue;
            }
            tree.push_str(entry);
            tree.push('\n');
        }
        let id = run(
            &repo,
            &["hash-object", "-w", "--stdin"],
            Some(&format!("service {i}\n")),
        )?;
        tree.push_str(&format!("100644 blob {id}\tSERVICE\n"));
        if i % 5 == 0 {
            let owners = format!("* @acme/team-{}\n", i % 7);
            let id = run(&repo, &["hash-object", "-w", "--stdin"], Some(&owners))?;
            tree.push_str(&format!("100644 blob {id}\tCODEOWNERS\n"));
        }
        let tree = run(&repo, &["mktree"], Some(&tree))?;
        let commit = run(
            &repo,
            &["commit-tree", &tree, "-p", "HEAD", "-m", "service"],
            None,
        )?;
        run(&repo, &["update-ref", "HEAD", &commit], None)?;
    }
    std::fs::write(marker, "")?;
    Ok(())
}
/// `cargo xtask bench-owners [--files N] [--rules R] [--runs R] [--dir DIR]`: `goldpath owners`
/// and the `ownership/*` rules on a generated monorepo of N files (default 100,000) with a
/// CODEOWNERS of R rules (default 3,000), beside `git ls-files`; medians of the runs.
fn bench_owners(args: &[String]) -> Result<()> {
    const OWNERS_USAGE: &str = "usage: cargo xtask bench-owners [--files N] [--rules R] \
        [--runs R] [--dir DIR]

Generates (once, then reuses) a git repository of N files (default 100000) shaped like a
monorepo, with a .github/CODEOWNERS of R rules (default 3000: per service, per directory, per
module, extensions, generated directories without owners, stale paths; module rules mix
anchored and unanchored, literal, wildcard, `**/` and directory patterns) and a goldpath.toml that
extends builtin:recommended, builds goldpath in release mode, and prints the median wall time
of R runs (default 7, after one warm-up) of git ls-files, git ls-files -co, git ls-tree -r
HEAD (the floors of a work tree and of a commit), goldpath owners --unowned and
goldpath check --only 'ownership/*', on the work tree and on HEAD.";
    let (mut files, mut rules, mut runs, mut dir) = (100_000usize, 3_000usize, 7usize, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .context(format!("{arg} needs a value\n\n{OWNERS_USAGE}"))
        };
        match arg.as_str() {
            "--files" => files = value()?.parse().context("--files")?,
            "--rules" => rules = value()?.parse().context("--rules")?,
            "--runs" => runs = value()?.parse().context("--runs")?,
            "--dir" => dir = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument `{other}`\n\n{OWNERS_USAGE}"),
        }
    }
    if runs == 0 || files < 1_000 || rules < 500 {
        bail!("--runs must be at least 1, --files 1000 and --rules 500\n\n{OWNERS_USAGE}");
    }
    let root = workspace_root();
    let repo = dir.unwrap_or_else(|| root.join(format!("target/bench/owners-{files}-{rules}")));

    // The tree: services of 2,000 files, each with src, tests, docs and config directories of
    // 40 modules.
    const SERVICE: usize = 2_000;
    const DIRS: [(&str, &str); 6] = [
        ("src", "rs"),
        ("src", "ts"),
        ("tests", "py"),
        ("docs", "md"),
        ("config", "yaml"),
        ("config", "json"),
    ];
    let services = files.div_ceil(SERVICE);
    let marker = repo.join(".git/goldpath-bench-owners-complete-v2");
    if !marker.exists() {
        if repo.exists() {
            std::fs::remove_dir_all(&repo)?;
        }
        eprintln!(
            "generating {files} files and {rules} CODEOWNERS rules in {}...",
            repo.display()
        );
        std::fs::create_dir_all(repo.join(".github"))?;
        // CODEOWNERS, broad to specific (the last matching line wins). The last services have
        // no service line, so some of their files are owned by extension only, others by no one.
        let owned_services = services.saturating_sub(services / 10).max(1);
        let mut lines = vec!["# generated by cargo xtask bench-owners".to_owned()];
        lines.push("*.md @acme/docs".to_owned());
        lines.push("*.json @acme/config".to_owned());
        lines.push("**/tests/**/*.py @acme/qa".to_owned());
        lines.push("/README.md @acme/platform".to_owned());
        lines.push("/.github/ @acme/platform".to_owned());
        lines.push("/goldpath.toml @acme/platform".to_owned());
        lines.push("/catalog-info.yaml @acme/platform".to_owned());
        for s in 0..owned_services {
            lines.push(format!("/services/svc-{s:03}/ @acme/team-{}", s % 20));
            for d in ["src", "tests", "docs", "config"] {
                lines.push(format!("/services/svc-{s:03}/{d}/ @acme/{d}-{}", s % 7));
            }
        }
        let stale = rules / 30;
        let generated = rules / 30;
        let fixed = lines.len() - 1 + stale + generated;
        // The module rules mix the shapes real CODEOWNERS files use: anchored directories,
        // anchored wildcards, unanchored names and directories, `**/` and `*` components, so
        // that every part of the matcher has work (not only its trie of literal prefixes).
        for k in 0..rules.saturating_sub(fixed) {
            let s = (k * 7) % services;
            let (d, ext) = DIRS[k % DIRS.len()];
            let m = (k * 13 + k / services) % 40;
            let owners = if k % 5 == 0 {
                format!("@acme/mod-{} dev{k}@acme.com", k % 300)
            } else {
                format!("@acme/mod-{}", k % 300)
            };
            let pattern = match k % 8 {
                // Anchored directory.
                0 | 1 => format!("/services/svc-{s:03}/{d}/m{m:03}/"),
                // Anchored, with a wildcard file name.
                2 => format!("/services/svc-{s:03}/{d}/m{m:03}/*.{ext}"),
                // A wildcard directory component.
                3 => format!("/services/*/{d}/m{m:03}/*.{ext}"),
                // `**/` then literal segments: matches at any depth.
                4 => format!("**/svc-{s:03}/{d}/m{m:03}/"),
                // Unanchored directory name: any directory of that name, at any depth.
                5 => format!("m{m:03}/"),
                // Unanchored file-name glob.
                6 => format!("file_{:04}*.{ext}", (k * 37) % (files / 10).max(1)),
                // Unanchored literal file name.
                _ => format!("file_{:06}.{ext}", (k * 131) % files),
            };
            lines.push(format!("{pattern} {owners}"));
        }
        for k in 0..generated {
            lines.push(format!(
                "/services/svc-{:03}/config/m{:03}/",
                k % services,
                39 - k % 3
            ));
        }
        for k in 0..stale {
            lines.push(format!("/legacy/component-{k}/ @acme/legacy"));
        }
        let top = [
            (".github/CODEOWNERS", lines.join("\n") + "\n"),
            ("README.md", "# bench\n".to_owned()),
            ("LICENSE", "MIT License\n".to_owned()),
            ("SECURITY.md", "Report to security@example.com\n".to_owned()),
            (".gitignore", "target/\n".to_owned()),
            (
                "goldpath.toml",
                "extends = [\"builtin:recommended\"]\n\n[rules.\"ownership/unknown-owner\"]\n\
                 allowed = [\"@acme/*\", \"*@acme.com\"]\n"
                    .to_owned(),
            ),
            (
                "catalog-info.yaml",
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bench\n\
                 spec:\n  type: service\n  lifecycle: production\n  owner: group:platform\n"
                    .to_owned(),
            ),
        ];
        for (path, text) in &top {
            std::fs::write(repo.join(path), text)?;
        }
        for i in 0..files.saturating_sub(top.len()) {
            let (d, ext) = DIRS[i % DIRS.len()];
            let folder = repo.join(format!(
                "services/svc-{:03}/{d}/m{:03}",
                i / SERVICE,
                (i / 50) % 40
            ));
            if i % 50 == 0 || !folder.exists() {
                std::fs::create_dir_all(&folder)?;
            }
            std::fs::write(folder.join(format!("file_{i:06}.{ext}")), "x\n")?;
        }
        for args in [
            &["init", "-q", "-b", "main"][..],
            &["add", "-A"],
            &["commit", "-q", "-m", "synthetic"],
        ] {
            if !git(&repo).args(args).status()?.success() {
                bail!("git {args:?} failed");
            }
        }
        std::fs::write(&marker, "")?;
    }

    let goldpath = build_release(&root)?;
    let run = |args: &[&str]| {
        let mut c = Command::new(&goldpath);
        c.current_dir(&repo).args(args);
        c
    };
    let cases: Vec<(&str, Command)> = vec![
        ("git ls-files", {
            let mut c = git(&repo);
            c.arg("ls-files");
            c
        }),
        ("git ls-files -co --exclude-standard", {
            let mut c = git(&repo);
            c.args(["ls-files", "-co", "--exclude-standard"]);
            c
        }),
        ("git ls-tree -r HEAD", {
            // The floor for a commit: every tree object inflated, as --rev must.
            let mut c = git(&repo);
            c.args(["ls-tree", "-r", "HEAD"]);
            c
        }),
        ("goldpath owners --unowned", run(&["owners", "--unowned"])),
        (
            "goldpath owners --unowned --rev HEAD",
            run(&["owners", "--unowned", "--rev", "HEAD"]),
        ),
        (
            "goldpath check --only 'ownership/*'",
            run(&["check", "--only", "ownership/*", "--format", "json"]),
        ),
        (
            "goldpath check --only 'ownership/*' --rev HEAD",
            run(&[
                "check",
                "--only",
                "ownership/*",
                "--rev",
                "HEAD",
                "--format",
                "json",
            ]),
        ),
    ];
    let unowned = run(&["owners", "--unowned"]).output()?;
    println!(
        "repository: {} ({files} files, {rules} CODEOWNERS rules, {} unowned), {runs} runs \
         each, median wall time",
        repo.display(),
        String::from_utf8_lossy(&unowned.stdout).lines().count()
    );
    print_medians_against(cases, runs, 48, &[])?;
    Ok(())
}

/// `cargo xtask bench-deps`: the package-level `deps/*` rules on a generated repository with
/// a Cargo.lock of `crates` packages and a package-lock.json of `npm` packages.
fn bench_deps(args: &[String]) -> Result<()> {
    const DEPS_USAGE: &str = "usage: cargo xtask bench-deps [--crates N] [--npm N] [--runs R] \
        [--dir DIR]

Generates (once, then reuses) a git repository with a Cargo.toml and a Cargo.lock of N crates
(default 500; some at two versions, some from git) and a package.json and a package-lock.json
v3 of N npm packages (default 2000; nested copies, licences, resolved URLs), and a goldpath.toml
configuring deps/banned (20 specs with version ranges), deps/source-not-allowed,
deps/duplicate-versions and deps/wildcard-version. Builds goldpath in release mode and prints
the median wall time of R runs (default 15, after one warm-up) of git ls-files and goldpath
check --only on those four rules (target: under 30 ms), on the work tree and on HEAD.

       cargo xtask bench-deps --workspace [--members N] [--fixtures N] [--runs R] [--dir DIR]

Generates (once, then reuses) a tree shaped like rust-lang/cargo: a virtual workspace of N
crates (default 500) with path dependencies on each other and on registry crates (the leaves
of this repository's Cargo.lock), N test-fixture manifests under tests/testsuite/ (default
200), about 3,000 files and one Cargo.lock (about 560 packages), with a goldpath.toml and a
deny.toml banning the same crates. Prints the median wall time of git ls-files, goldpath check
--only deps/banned,deps/source-not-allowed and `cargo deny --offline --locked check bans
sources`, and their ratio. cargo-deny: `cargo install cargo-deny --locked` once, then
`cargo fetch --locked` once in the generated tree (it needs every crate's manifest; online),
after which it runs offline.";
    let (mut crates, mut npm, mut runs, mut dir) = (500usize, 2_000usize, 15usize, None);
    let (mut workspace, mut members, mut fixtures) = (false, 500usize, 200usize);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .context(format!("{arg} needs a value\n\n{DEPS_USAGE}"))
        };
        match arg.as_str() {
            "--crates" => crates = value()?.parse().context("--crates")?,
            "--npm" => npm = value()?.parse().context("--npm")?,
            "--runs" => runs = value()?.parse().context("--runs")?,
            "--dir" => dir = Some(PathBuf::from(value()?)),
            "--workspace" => workspace = true,
            "--members" => members = value()?.parse().context("--members")?,
            "--fixtures" => fixtures = value()?.parse().context("--fixtures")?,
            other => bail!("unknown argument `{other}`\n\n{DEPS_USAGE}"),
        }
    }
    if workspace {
        if runs == 0 || members < 10 {
            bail!("--runs must be at least 1, --members at least 10\n\n{DEPS_USAGE}");
        }
        return bench_deps_workspace(dir, members, fixtures, runs);
    }
    if runs == 0 || crates < 50 || npm < 50 {
        bail!("--runs must be at least 1, --crates and --npm at least 50\n\n{DEPS_USAGE}");
    }
    let root = workspace_root();
    let repo = dir.unwrap_or_else(|| root.join(format!("target/bench/deps-{crates}-{npm}")));
    generate_deps(&repo, crates, npm)?;

    let goldpath = build_release(&root)?;
    const RULES: &str =
        "deps/banned,deps/source-not-allowed,deps/duplicate-versions,deps/wildcard-version";
    let check = |extra: &[&str]| {
        let mut c = Command::new(&goldpath);
        c.current_dir(&repo)
            .args([
                "check",
                "--only",
                RULES,
                "--format",
                "json",
                "--fail-on",
                "never",
            ])
            .args(extra);
        c
    };
    let output = check(&[]).output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    let count = |rule: &str| {
        report.matches(&format!("\"rule\": \"{rule}\"")).count()
            + report.matches(&format!("\"rule\":\"{rule}\"")).count()
    };
    println!(
        "repository: {} (Cargo.lock {crates} packages, package-lock.json {npm} packages; \
         findings: banned {}, source-not-allowed {}, duplicate-versions {}, \
         wildcard-version {}), {runs} runs each, median wall time",
        repo.display(),
        count("deps/banned"),
        count("deps/source-not-allowed"),
        count("deps/duplicate-versions"),
        count("deps/wildcard-version"),
    );
    let cases: Vec<(&str, Command)> = vec![
        ("git ls-files", {
            let mut c = git(&repo);
            c.arg("ls-files");
            c
        }),
        ("goldpath check (4 deps rules)", check(&[])),
        (
            "goldpath check (4 deps rules) --rev HEAD",
            check(&["--rev", "HEAD"]),
        ),
    ];
    print_medians(cases, runs, 44)?;
    // The engine's own time (reading the four files, parsing them, the rules, findings),
    // without process start-up and policy loading: its `check done` log line.
    let mut engine = Vec::new();
    for _ in 0..runs {
        let output = check(&["-v"]).output()?;
        let log = String::from_utf8_lossy(&output.stderr);
        let elapsed = log
            .lines()
            .find(|l| l.contains("check done"))
            .and_then(|l| l.split("elapsed=").nth(1))
            .and_then(|e| e.split_whitespace().next())
            .context("no `check done` line in goldpath -v output")?;
        engine.push(parse_duration(elapsed)?);
    }
    engine.sort();
    println!(
        "{:44} {:>9.1} ms   (in-process: read, parse, rules, findings)",
        "engine check (4 deps rules)",
        engine[engine.len() / 2].as_secs_f64() * 1000.0
    );
    Ok(())
}

/// `cargo xtask bench-deps --workspace`: deps/banned and deps/source-not-allowed on a tree
/// shaped like rust-lang/cargo, beside cargo-deny's `check bans sources` on the same tree.
fn bench_deps_workspace(
    dir: Option<PathBuf>,
    members: usize,
    fixtures: usize,
    runs: usize,
) -> Result<()> {
    let root = workspace_root();
    let repo = dir
        .unwrap_or_else(|| root.join(format!("target/bench/deps-workspace-{members}-{fixtures}")));
    let leaves = generate_deps_workspace(&repo, &root, members, fixtures)?;
    let goldpath = build_release(&root)?;
    const RULES: &str = "deps/banned,deps/source-not-allowed";
    let check = |extra: &[&str]| {
        let mut c = Command::new(&goldpath);
        c.current_dir(&repo)
            .args(["check", "--only", RULES, "--format", "json"])
            .args(["--fail-on", "never"])
            .args(extra);
        c
    };
    let output = check(&[]).output()?;
    let report = String::from_utf8_lossy(&output.stdout);
    let findings = report.matches("\"rule\": \"deps/").count();
    let files = git(&repo).arg("ls-files").output()?.stdout;
    let files = String::from_utf8_lossy(&files);
    println!(
        "repository: {} ({} files, {} Cargo.toml: {members} workspace members, {fixtures} test \
         fixtures; Cargo.lock {} packages; {findings} findings), {runs} runs each, median wall \
         time",
        repo.display(),
        files.lines().count(),
        files.lines().filter(|l| l.ends_with("Cargo.toml")).count(),
        members + leaves,
    );
    let mut cases: Vec<(&str, Command)> = vec![
        ("git ls-files", {
            let mut c = git(&repo);
            c.arg("ls-files");
            c
        }),
        ("goldpath check (banned, source-not-allowed)", check(&[])),
        ("goldpath check --rev HEAD", check(&["--rev", "HEAD"])),
    ];
    // cargo-deny reads the packages through `cargo metadata`, which needs every crate's
    // manifest: `cargo fetch --locked` once (online), then it runs offline.
    let deny = || {
        let mut c = Command::new(env!("CARGO"));
        c.current_dir(&repo)
            .args(["deny", "--offline", "--locked", "check", "bans", "sources"]);
        c
    };
    // It exits 2 when a check fails (the banned crates do): it ran when it printed a verdict.
    let deny_runs = match deny().output() {
        Ok(output) if String::from_utf8_lossy(&output.stderr).contains("[banned]") => true,
        Ok(output) => {
            println!(
                "cargo deny did not run (install it with `cargo install cargo-deny --locked`, \
                 then `cargo fetch --locked` in {}): {}",
                repo.display(),
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or_default()
            );
            false
        }
        Err(error) => {
            println!("cargo deny did not start: {error}");
            false
        }
    };
    if deny_runs {
        cases.push(("cargo deny check bans sources", deny()));
    }
    let mut medians = Vec::new();
    let mut floor = None;
    for (name, mut command) in cases {
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command.status()?; // warm-up
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            command.status()?;
            samples.push(start.elapsed());
        }
        samples.sort();
        let median = samples[samples.len() / 2];
        let floor = *floor.get_or_insert(median);
        println!(
            "{name:48} {:>9.1} ms   {:>5.1}x git ls-files",
            median.as_secs_f64() * 1000.0,
            median.as_secs_f64() / floor.as_secs_f64()
        );
        medians.push(median);
    }
    if let [_, worktree, rev, deny] = medians[..] {
        println!(
            "cargo deny / goldpath: {:.1}x (work tree), {:.1}x (--rev HEAD)",
            deny.as_secs_f64() / worktree.as_secs_f64(),
            deny.as_secs_f64() / rev.as_secs_f64()
        );
    }
    Ok(())
}

/// A rust-lang/cargo-shaped tree: a virtual workspace of `members` crates (`crates/*`, each
/// with sources, a test and a README, path dependencies on later members and one registry
/// crate), `fixtures` test-fixture manifests under `tests/testsuite/` that no workspace
/// reaches, and one Cargo.lock. The registry crates are the leaves (no dependencies) of this
/// repository's own Cargo.lock, so that the lockfile is the one Cargo resolves (with
/// `default-features = false` nothing optional is pulled in) and `cargo fetch --locked`
/// downloads them. Returns the number of registry crates.
fn generate_deps_workspace(
    repo: &Path,
    root: &Path,
    members: usize,
    fixtures: usize,
) -> Result<usize> {
    // Leaves of our own lockfile: (name, version, the whole [[package]] entry).
    let ours = std::fs::read_to_string(root.join("Cargo.lock")).context("Cargo.lock")?;
    let field = |entry: &str, key: &str| -> Option<String> {
        entry.lines().find_map(|l| {
            Some(
                l.strip_prefix(key)?
                    .strip_prefix(" = \"")?
                    .strip_suffix('"')?
                    .to_owned(),
            )
        })
    };
    let mut leaves: Vec<(String, String, String)> = Vec::new();
    let entries: Vec<&str> = ours.split("[[package]]").skip(1).collect();
    for entry in &entries {
        let (Some(name), Some(version)) = (field(entry, "name"), field(entry, "version")) else {
            continue;
        };
        let registry = field(entry, "source").is_some_and(|s| s.starts_with("registry+"));
        let unique = entries
            .iter()
            .filter(|e| field(e, "name").as_deref() == Some(&name))
            .count()
            == 1;
        if registry && unique && !entry.contains("dependencies") {
            leaves.push((name, version, format!("[[package]]{}", entry.trim_end())));
        }
    }
    if leaves.is_empty() {
        bail!("no registry crate without dependencies in Cargo.lock");
    }
    let marker = repo.join(".git/goldpath-bench-deps-workspace-complete-2");
    if marker.exists() {
        return Ok(leaves.len());
    }
    if repo.exists() {
        std::fs::remove_dir_all(repo)?;
    }
    eprintln!(
        "generating a workspace of {members} crates and {fixtures} fixtures in {}...",
        repo.display()
    );
    let write = |path: &str, text: &str| -> Result<()> {
        let path = repo.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
        Ok(())
    };
    let member = |i: usize| format!("bench-m{i:04}");
    // (name, full lockfile entry), sorted by name as Cargo writes them.
    let mut locked: Vec<(String, String)> = leaves
        .iter()
        .map(|(name, _, entry)| (name.clone(), entry.clone()))
        .collect();
    for i in 0..members {
        let name = member(i);
        let (leaf, version, _) = &leaves[i % leaves.len()];
        // Build metadata (`1.2.0+spec-1.1.0`) means nothing in a requirement.
        let version = version.split('+').next().unwrap_or(version);
        let internal: Vec<usize> = [i + 1, i * 3 + 7, i * 7 + 11]
            .into_iter()
            .filter(|&d| d < members)
            .collect();
        let mut manifest = format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
             license = \"MIT OR Apache-2.0\"\npublish = false\n\n[dependencies]\n\
             {leaf} = {{ version = \"={version}\", default-features = false }}\n"
        );
        for d in &internal {
            manifest.push_str(&format!(
                "{} = {{ path = \"../{}\" }}\n",
                member(*d),
                member(*d)
            ));
        }
        let mut deps: Vec<String> = internal.iter().map(|d| member(*d)).collect();
        deps.push(leaf.clone());
        deps.sort();
        deps.dedup();
        let list: String = deps.iter().map(|d| format!(" \"{d}\",\n")).collect();
        locked.push((
            name.clone(),
            format!(
                "[[package]]\nname = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [\n{list}]"
            ),
        ));
        // As rust-lang/cargo's members do: the workspace's lints, named in a table of their own.
        manifest.push_str("\n[lints]\nworkspace = true\n");
        let dir = format!("crates/{name}");
        write(&format!("{dir}/Cargo.toml"), &manifest)?;
        write(
            &format!("{dir}/src/lib.rs"),
            &format!("//! {name}\n\npub fn id() -> usize {{\n    {i}\n}}\n"),
        )?;
        write(
            &format!("{dir}/tests/smoke.rs"),
            &format!(
                "#[test]\nfn id() {{\n    assert_eq!({}::id(), {i});\n}}\n",
                name.replace('-', "_")
            ),
        )?;
        write(&format!("{dir}/README.md"), &format!("# {name}\n"))?;
    }
    locked.sort();
    let lock: Vec<&str> = locked.iter().map(|(_, entry)| entry.as_str()).collect();
    write(
        "Cargo.lock",
        &format!(
            "# This file is automatically @generated by Cargo.\n\
             # It is not intended for manual editing.\nversion = 4\n\n{}\n",
            lock.join("\n\n")
        ),
    )?;
    // Test fixtures, as under rust-lang/cargo's tests/testsuite: manifests (some with a
    // workspace of their own) and the files beside them, reached by no workspace.
    for k in 0..fixtures {
        let dir = format!("tests/testsuite/case_{:03}/t{k:04}/in", k % 40);
        let workspace = if k % 5 == 0 { "[workspace]\n\n" } else { "" };
        write(
            &format!("{dir}/Cargo.toml"),
            &format!(
                "{workspace}[package]\nname = \"fixture-{k}\"\nversion = \"0.0.1\"\n\n\
                 [dependencies]\nfoo = \"1\"\nbar = {{ git = \"https://example.com/bar\" }}\n"
            ),
        )?;
        write(&format!("{dir}/src/main.rs"), "fn main() {}\n")?;
        write(&format!("{dir}/expected.stderr"), "[ERROR] nothing\n")?;
    }
    for k in 0..40 {
        write(
            &format!("tests/testsuite/case_{k:03}/mod.rs"),
            "//! test cases\n",
        )?;
    }
    let bans = &leaves[..leaves.len().min(4)];
    let policy_bans: Vec<String> = bans
        .iter()
        .enumerate()
        .map(|(k, (name, _, _))| match k % 2 {
            0 => format!("  {{ ecosystem = \"cargo\", name = \"{name}\", reason = \"bench\" }},"),
            _ => {
                format!("  {{ ecosystem = \"cargo\", name = \"{name}\", version = \">=0.0.1\" }},")
            }
        })
        .collect();
    let deny_bans: Vec<String> = bans
        .iter()
        .map(|(name, _, _)| format!("  {{ name = \"{name}\" }},"))
        .collect();
    write(
        "goldpath.toml",
        &format!(
            "# generated by cargo xtask bench-deps --workspace\n[rules.\"deps/banned\"]\n\
             packages = [\n{}\n]\n\n[rules.\"deps/source-not-allowed\"]\n\
             git = [\"https://github.com/example/\"]\n",
            policy_bans.join("\n")
        ),
    )?;
    write(
        "deny.toml",
        &format!(
            "# generated by cargo xtask bench-deps --workspace\n[bans]\n\
             multiple-versions = \"allow\"\nwildcards = \"allow\"\ndeny = [\n{}\n]\n\n\
             [sources]\nunknown-registry = \"deny\"\nunknown-git = \"deny\"\n\
             allow-git = [\"https://github.com/example/\"]\n",
            deny_bans.join("\n")
        ),
    )?;
    write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n\
         [workspace.lints.rust]\nunsafe_code = \"forbid\"\n",
    )?;
    write("README.md", "# deps workspace bench\n")?;
    write(".gitignore", "target/\n")?;
    for k in 0..350 {
        write(&format!("src/doc/src/page_{k:03}.md"), "# page\n\ntext\n")?;
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "synthetic"],
        // Clones are packed; so is the benchmark repository (`--rev HEAD` reads the pack).
        &["gc", "-q"],
    ] {
        if !git(repo).args(args).status()?.success() {
            bail!("git {args:?} failed");
        }
    }
    std::fs::write(&marker, "")?;
    Ok(leaves.len())
}

/// A `Debug`-printed duration (`12.3ms`, `850.2µs`, `1.2s`).
fn parse_duration(text: &str) -> Result<Duration> {
    let (number, unit) = text
        .find(|c: char| c.is_alphabetic() || c == 'µ')
        .map(|i| text.split_at(i))
        .context("duration without a unit")?;
    let value: f64 = number.parse().context("duration")?;
    let seconds = match unit {
        "s" => value,
        "ms" => value / 1e3,
        "µs" | "us" => value / 1e6,
        "ns" => value / 1e9,
        other => bail!("unknown duration unit `{other}`"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn generate_deps(repo: &Path, crates: usize, npm: usize) -> Result<()> {
    let marker = repo.join(".git/goldpath-bench-deps-complete");
    if marker.exists() {
        return Ok(());
    }
    if repo.exists() {
        std::fs::remove_dir_all(repo)?;
    }
    eprintln!(
        "generating a Cargo.lock of {crates} and a package-lock.json of {npm} packages in {}...",
        repo.display()
    );
    std::fs::create_dir_all(repo)?;
    // Cargo: the app depends on the first 40 crates; every 25th crate is also locked at an
    // older major version, every 60th comes from git.
    let mut manifest = String::from(
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    for i in 0..40 {
        let requirement = if i % 13 == 0 { "*" } else { "1" };
        manifest.push_str(&format!("crate-{i:04} = \"{requirement}\"\n"));
    }
    let mut lock = String::from("# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for i in 0..40 {
        lock.push_str(&format!(" \"crate-{i:04}\",\n"));
    }
    lock.push_str("]\n");
    let mut written = 0;
    let mut i = 0;
    while written < crates {
        let deps: Vec<String> = (1..4)
            .map(|k| (i * 7 + k * 31) % crates)
            .filter(|&d| d > i)
            .map(|d| format!(" \"crate-{d:04}\",\n"))
            .collect();
        let source = if i % 60 == 59 {
            format!("git+https://github.com/example/crate-{i}?branch=main#0123456789abcdef0123456789abcdef01234567")
        } else {
            "registry+https://github.com/rust-lang/crates.io-index".to_owned()
        };
        let checksum = if source.starts_with("registry") {
            format!("checksum = \"{:064x}\"\n", i * 7919)
        } else {
            String::new()
        };
        lock.push_str(&format!(
            "\n[[package]]\nname = \"crate-{i:04}\"\nversion = \"1.{}.{}\"\nsource = \"{source}\"\n{checksum}dependencies = [\n{}]\n",
            i % 17,
            i % 5,
            deps.concat()
        ));
        written += 1;
        if i % 25 == 24 && written < crates {
            lock.push_str(&format!(
                "\n[[package]]\nname = \"crate-{i:04}\"\nversion = \"0.{}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
                i % 9,
                i * 104_729
            ));
            written += 1;
        }
        i += 1;
    }
    // npm: 60 direct dependencies; every 20th package also nested at another version under
    // a parent, every 100th resolved from another registry.
    let mut package =
        String::from("{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n");
    let direct: Vec<String> = (0..60)
        .map(|i| {
            let requirement = if i % 17 == 0 { "latest" } else { "^2.0.0" };
            format!("    \"pkg-{i:04}\": \"{requirement}\"")
        })
        .collect();
    package.push_str(&direct.join(",\n"));
    package.push_str("\n  }\n}\n");
    let mut entries = vec![format!(
        "    \"\": {{\n      \"name\": \"web\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {{\n{}\n      }}\n    }}",
        direct.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join(",\n")
    )];
    let licenses = [
        "MIT",
        "ISC",
        "Apache-2.0",
        "BSD-3-Clause",
        "(MIT OR Apache-2.0)",
    ];
    let mut written = 0;
    let mut i = 0;
    while written < npm {
        let name = format!("pkg-{i:04}");
        let registry = if i % 100 == 99 {
            "https://npm.mirror.example"
        } else {
            "https://registry.npmjs.org"
        };
        let entry = |path: &str, version: &str| {
            format!(
                "    \"{path}\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"{registry}/{name}/-/{name}-{version}.tgz\",\n      \"integrity\": \"sha512-{:064x}\",\n      \"license\": \"{}\",\n      \"dependencies\": {{\n        \"pkg-{:04}\": \"^2.0.0\"\n      }}\n    }}",
                i * 31,
                licenses[i % licenses.len()],
                (i * 13 + 1) % npm.max(1)
            )
        };
        entries.push(entry(
            &format!("node_modules/{name}"),
            &format!("2.{}.{}", i % 11, i % 3),
        ));
        written += 1;
        if i % 20 == 19 && written < npm {
            let parent = format!("pkg-{:04}", (i + 1) % npm);
            entries.push(entry(
                &format!("node_modules/{parent}/node_modules/{name}"),
                &format!("1.{}.0", i % 7),
            ));
            written += 1;
        }
        i += 1;
    }
    let lockfile = format!(
        "{{\n  \"name\": \"web\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n{}\n  }}\n}}\n",
        entries.join(",\n")
    );
    let mut bans = Vec::new();
    for k in 0..10 {
        bans.push(format!(
            "  {{ ecosystem = \"cargo\", name = \"crate-{:04}\", version = \">=1.3, <1.9\", reason = \"bench\" }},",
            k * 37
        ));
        bans.push(format!(
            "  {{ ecosystem = \"npm\", name = \"pkg-{:04}\", version = \"<2.5.0 || 1.x\", use-instead = \"pkg-0000\" }},",
            k * 149
        ));
    }
    let policy = format!(
        "# generated by cargo xtask bench-deps\n[rules.\"deps/banned\"]\npackages = [\n{}\n]\n\n\
         [rules.\"deps/source-not-allowed\"]\ngit = [\"https://github.com/example/crate-59\"]\n\n\
         [rules.\"deps/duplicate-versions\"]\nallow = [\"crate-0024\"]\n\n\
         [rules.\"deps/wildcard-version\"]\nunbounded = true\n",
        bans.join("\n")
    );
    for (path, text) in [
        ("Cargo.toml", manifest),
        ("Cargo.lock", lock),
        ("web/package.json", package),
        ("web/package-lock.json", lockfile),
        ("goldpath.toml", policy),
        ("README.md", "# deps bench\n".to_owned()),
    ] {
        let path = repo.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &["commit", "-q", "-m", "synthetic"],
        // Clones are packed; so is the benchmark repository (`--rev HEAD` reads the pack).
        &["gc", "-q"],
    ] {
        if !git(repo).args(args).status()?.success() {
            bail!("git {args:?} failed");
        }
    }
    std::fs::write(&marker, "")?;
    Ok(())
}
