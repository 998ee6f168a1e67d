//! Development tasks. `cargo xtask bench [--files N] [--runs R]` generates a synthetic
//! repository of N files and times `goldpath check` with the recommended policy beside
//! `git ls-files` on the same repository, reporting medians.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask bench [--files N] [--runs R] [--dir DIR]

Generates (once, then reuses) a git repository of N files (default 100000) under
target/bench/ (or DIR), builds goldpath in release mode, and prints the median wall time
of R runs (default 7, after one warm-up) of:
  git ls-files                       the floor: listing the index
  goldpath check (recommended)       the whole built-in policy on the work tree
  goldpath check --rev HEAD          the same on the commit's tree, read through gix";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
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

    eprintln!("building goldpath (release)...");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "goldpath"])
        .current_dir(&root)
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let goldpath = root.join("target/release/goldpath");

    let cases: Vec<(&str, Command)> = vec![
        ("git ls-files", {
            let mut c = git(&repo);
            c.arg("ls-files");
            c
        }),
        ("goldpath check (recommended, work tree)", {
            let mut c = Command::new(&goldpath);
            c.args(["check", "--format", "json", "--fail-on", "never"]).arg(&repo);
            c
        }),
        ("goldpath check --rev HEAD", {
            let mut c = Command::new(&goldpath);
            c.args(["check", "--rev", "HEAD", "--format", "json", "--fail-on", "never"])
                .arg(&repo);
            c
        }),
    ];

    println!(
        "repository: {} ({} files), {} runs each, median wall time",
        repo.display(),
        options.files,
        options.runs
    );
    let mut floor = None;
    for (name, mut command) in cases {
        let median = time(&mut command, options.runs)?;
        let floor = *floor.get_or_insert(median);
        println!(
            "{name:42} {:>9.1} ms   {:>5.1}x git ls-files",
            median.as_secs_f64() * 1000.0,
            median.as_secs_f64() / floor.as_secs_f64()
        );
    }
    Ok(())
}

fn time(command: &mut Command, runs: usize) -> Result<Duration> {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    // One warm-up run so every case starts with the same page cache.
    let status = command.status()?;
    if !status.success() && status.code() != Some(1) {
        bail!("{command:?} failed: {status}");
    }
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        command.status()?;
        samples.push(start.elapsed());
    }
    samples.sort();
    Ok(samples[samples.len() / 2])
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
    let marker = repo.join(".git/goldpath-bench-complete");
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
    let per_dir = 50;
    for i in 0..files.saturating_sub(top.len()) {
        let service = i / 2_000;
        let (dir, ext, text) = kinds[i % kinds.len()];
        let folder = repo.join(format!("services/svc-{service:03}/{dir}/m{:03}", (i / per_dir) % 40));
        if i % per_dir == 0 || !folder.exists() {
            std::fs::create_dir_all(&folder)?;
        }
        std::fs::write(folder.join(format!("file_{i:06}.{ext}")), text)?;
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
