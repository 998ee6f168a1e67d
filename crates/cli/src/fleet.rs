//! `goldpath fleet scan` and `goldpath fleet report`: scorecards for many repositories.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use goldpath::fleet::{self, FleetReport, Line, RepoError, RepoResult};
use goldpath::policy::{FsReader, Policy, SnapshotReader};
use goldpath::{Engine, Registry};
use rayon::prelude::*;

/// Arguments of `goldpath fleet`.
#[derive(Args)]
pub struct FleetArgs {
    #[command(subcommand)]
    command: FleetCommand,
}

#[derive(Subcommand)]
enum FleetCommand {
    /// Check many repositories at their default branch (HEAD, no checkout); one JSON line each.
    Scan(ScanArgs),
    /// Aggregate scan results: rule adoption, tiers, worst offenders, owners and the trend.
    Report(ReportArgs),
}

/// Arguments of `goldpath fleet scan`.
#[derive(Args)]
#[command(
    after_help = "Each repository is checked at HEAD with the policy found in that commit (or \
    --config, or builtin:recommended). A repository that cannot be checked becomes a line with \
    an `error` and the scan goes on. Lines are sorted by repository name. docs/fleet.md \
    describes the format."
)]
pub struct ScanArgs {
    /// A file listing one repository path per line (`#` comments and blank lines ignored;
    /// relative paths are relative to the file's directory), or a directory whose immediate
    /// subdirectories are clones or bare mirrors.
    #[arg(long, value_name = "LIST|DIR")]
    repos: PathBuf,

    /// Check only shard I of N (1-based): the repositories at positions k (sorted by name)
    /// with k % N == I-1.
    #[arg(long, value_name = "I/N", value_parser = fleet::parse_shard)]
    shard: Option<(usize, usize)>,

    /// Where to write the JSON lines (`-` for stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,

    /// Use this policy file for every repository instead of each one's own.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Repositories checked at once, and worker threads [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    /// A self-contained page (inline CSS and SVG, no scripts).
    Html,
    /// Markdown.
    Markdown,
    /// JSON.
    Json,
}

/// Arguments of `goldpath fleet report`.
#[derive(Args)]
pub struct ReportArgs {
    /// Result files of `fleet scan` (the shards of one scan).
    #[arg(required = true, value_name = "RESULTS")]
    results: Vec<PathBuf>,

    /// Result files of an earlier scan, for the trend.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    previous: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "markdown")]
    format: ReportFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs `goldpath fleet`.
pub fn run(args: FleetArgs) -> Result<ExitCode> {
    match args.command {
        FleetCommand::Scan(args) => scan(args),
        FleetCommand::Report(args) => report(args),
    }
}

/// A repository to check.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    path: PathBuf,
}

/// The repositories named by `--repos`, sorted by name (then path). Names are directory names
/// without a `.git` suffix; when two repositories of a list share one, their paths as listed
/// name them instead.
fn targets(repos: &Path) -> Result<Vec<Target>> {
    let metadata = std::fs::metadata(repos)
        .with_context(|| format!("--repos {}: cannot read it", repos.display()))?;
    let paths: Vec<(PathBuf, String)> = if metadata.is_dir() {
        let mut paths = Vec::new();
        for entry in
            std::fs::read_dir(repos).with_context(|| format!("cannot list {}", repos.display()))?
        {
            let entry = entry.with_context(|| format!("cannot list {}", repos.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            // Symbolic links to directories count as directories.
            if entry.path().is_dir() {
                paths.push((entry.path(), name));
            }
        }
        paths
    } else {
        let text = std::fs::read_to_string(repos)
            .with_context(|| format!("cannot read the list {}", repos.display()))?;
        let base = repos.parent().unwrap_or(Path::new(""));
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| (base.join(l), l.to_owned()))
            .collect()
    };
    let short = |path: &Path, shown: &str| -> String {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.to_owned());
        name.strip_suffix(".git")
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or(name)
    };
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for (path, shown) in &paths {
        *counts.entry(short(path, shown)).or_default() += 1;
    }
    let mut targets: Vec<Target> = paths
        .iter()
        .map(|(path, shown)| {
            let name = short(path, shown);
            let name = if counts.get(&name).copied().unwrap_or(0) > 1 {
                shown.trim_end_matches('/').to_owned()
            } else {
                name
            };
            Target {
                name,
                path: path.clone(),
            }
        })
        .collect();
    targets.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.path.cmp(&b.path)));
    targets.dedup_by(|a, b| a.path == b.path);
    Ok(targets)
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let mut targets = targets(&args.repos)?;
    if let Some((i, n)) = args.shard {
        targets = fleet::shard(targets, i, n);
    }
    let shared_policy = match &args.config {
        Some(config) => {
            if !config.exists() {
                bail!("--config {}: no such file", config.display());
            }
            Some(Policy::load(config, &FsReader)?)
        }
        None => None,
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        pool = pool.num_threads(jobs);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    // Open the output first: a scan that cannot write its results should fail at once.
    let mut out: Box<dyn Write> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(&args.out)
                .with_context(|| format!("cannot create {}", args.out.display()))?,
        ))
    };

    let registry = Registry::builtin();
    let progress = Progress::new(targets.len());
    let lines: Vec<Line> = pool.install(|| {
        targets
            .par_iter()
            .map(|target| {
                let line = check_one(
                    target,
                    &registry,
                    shared_policy.as_ref(),
                    args.config.as_deref(),
                );
                progress.tick();
                line
            })
            .collect()
    });
    progress.finish();

    for line in &lines {
        let text = serde_json::to_string(line).context("cannot encode a result")?;
        writeln!(out, "{text}").with_context(|| format!("cannot write {}", args.out.display()))?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let broken = lines
        .iter()
        .filter(|l| matches!(l, Line::Broken(_)))
        .count();
    tracing::debug!(repos = lines.len(), broken, "fleet scan done");
    Ok(ExitCode::SUCCESS)
}

/// Checks one repository at HEAD; any failure becomes a line with an error.
fn check_one(
    target: &Target,
    registry: &Registry,
    shared_policy: Option<&Policy>,
    config: Option<&Path>,
) -> Line {
    let started = Instant::now();
    let path = target.path.to_string_lossy().into_owned();
    let result = (|| -> Result<RepoResult> {
        ensure_repository(&target.path)?;
        let snapshot = goldpath_git::open(&target.path, goldpath_git::Source::Rev("HEAD".into()))?;
        let loaded;
        let policy = match shared_policy {
            Some(policy) => policy,
            None => {
                let root = PathBuf::from(goldpath::Snapshot::root(&snapshot));
                loaded = load_policy(config, &root, &snapshot)?;
                &loaded
            }
        };
        let engine = Engine::new(registry, policy)?;
        let report = engine.check(&snapshot);
        let owner = fleet::default_owner(&snapshot);
        Ok(RepoResult::from_report(
            target.name.clone(),
            path.clone(),
            &report,
            owner,
            started.elapsed().as_millis() as u64,
        ))
    })();
    match result {
        Ok(result) => Line::Checked(result),
        Err(error) => Line::Broken(RepoError {
            repo: target.name.clone(),
            path,
            error: format!("{error:#}"),
        }),
    }
}

/// The policy of one repository: `--config` when given (a file outside the repositories, read
/// from disk), else the first policy file of the commit, else builtin:recommended.
fn load_policy(
    config: Option<&Path>,
    root: &Path,
    snapshot: &dyn goldpath::Snapshot,
) -> Result<Policy> {
    if let Some(config) = config {
        return Ok(Policy::load(config, &FsReader)?);
    }
    let reader = SnapshotReader::new(root, snapshot);
    Ok(match Policy::discover(root, &reader)? {
        Some(path) => Policy::load(&path, &reader)?,
        None => Policy::recommended()?,
    })
}

/// Fails unless `path` itself is a repository (its work tree or, bare, its git directory):
/// a plain directory inside another repository must not be checked as that repository.
fn ensure_repository(path: &Path) -> Result<()> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let Some(info) = goldpath_git::discover(path)? else {
        bail!("not a git repository");
    };
    let here = canonical(path);
    let is_root = info.work_tree.as_deref().map(canonical).as_ref() == Some(&here)
        || canonical(&info.git_dir) == here;
    if !is_root {
        bail!(
            "not a git repository (it is inside {})",
            info.work_tree.as_deref().unwrap_or(&info.git_dir).display()
        );
    }
    Ok(())
}

/// The progress line on stderr: only on a terminal and outside CI.
struct Progress {
    total: usize,
    done: AtomicUsize,
    started: Instant,
    last: Mutex<Option<Instant>>,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            done: AtomicUsize::new(0),
            started: Instant::now(),
            last: Mutex::new(None),
            enabled: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        }
    }

    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = Instant::now();
        if done < self.total && last.is_some_and(|t| now - t < Duration::from_millis(100)) {
            return;
        }
        *last = Some(now);
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = done as f64 / elapsed;
        let left = (self.total - done.min(self.total)) as f64 / rate.max(1e-9);
        eprint!("\r\x1b[2K{}", progress_line(done, self.total, rate, left));
    }

    fn finish(&self) {
        if self.enabled && self.total > 0 {
            eprintln!();
        }
    }
}

/// `12/200 repositories, 8.5/s, 22 s left`.
fn progress_line(done: usize, total: usize, rate: f64, left_secs: f64) -> String {
    let left = left_secs.round() as u64;
    let left = if left >= 60 {
        format!("{}m{:02}s", left / 60, left % 60)
    } else {
        format!("{left} s")
    };
    format!("{done}/{total} repositories, {rate:.1}/s, {left} left")
}

fn read_results(paths: &[PathBuf]) -> Result<Vec<Line>> {
    let mut lines = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let parsed =
            fleet::parse_lines(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        lines.extend(parsed);
    }
    Ok(lines)
}

fn report(args: ReportArgs) -> Result<ExitCode> {
    let current = read_results(&args.results)?;
    let previous = if args.previous.is_empty() {
        None
    } else {
        Some(read_results(&args.previous)?)
    };
    let report = FleetReport::new(&current, previous.as_deref());
    let text = match args.format {
        ReportFormat::Html => report.to_html(),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Json => report.to_json(),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("cannot write the report")?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_counts_rate_and_time_left() {
        assert_eq!(
            progress_line(12, 200, 8.46, 22.2),
            "12/200 repositories, 8.5/s, 22 s left"
        );
        assert_eq!(
            progress_line(1, 1000, 2.0, 499.5),
            "1/1000 repositories, 2.0/s, 8m20s left"
        );
    }

    #[test]
    fn lists_resolve_relative_to_their_file_and_name_collisions_keep_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let list = dir.path().join("repos.txt");
        std::fs::write(
            &list,
            "# fleet\n\nb/api.git\n  a/api  \nweb\n# web2\n/abs/tool.git\n",
        )
        .expect("write");
        let targets = targets(&list).expect("targets");
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["a/api", "b/api.git", "tool", "web"]);
        assert_eq!(targets[3].path, dir.path().join("web"));
        assert_eq!(targets[2].path, Path::new("/abs/tool.git"));
        assert!(super::targets(&dir.path().join("missing")).is_err());
    }
}
