//! `goldpath fleet scan` and `goldpath fleet report`: scorecards for many repositories.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use goldpath::policy::{FsReader, Policy, SnapshotReader};
use goldpath::{Engine, Registry};
use goldpath_fleet::{self as fleet, FleetReport, Line, RepoError, RepoResult};
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
    /// Check one repository and print its result line (the worker process of `fleet scan`).
    #[command(hide = true)]
    ScanOne(ScanOneArgs),
}

/// Arguments of the hidden `goldpath fleet scan-one`.
#[derive(Args)]
pub struct ScanOneArgs {
    /// The repository's name in the results.
    #[arg(long)]
    name: String,
    /// Its path.
    #[arg(long)]
    path: PathBuf,
    /// The shared policy file, as `fleet scan --config`.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// Arguments of `goldpath fleet scan`.
#[derive(Args)]
#[command(
    after_help = "Each repository is checked at HEAD with the policy found in that commit (or \
    --config, or builtin:recommended), in a worker process of its own with a time and a memory \
    limit. A repository that cannot be checked (an error, a crash, a limit) becomes a line with \
    an `error` and the scan goes on. Each line is written as soon as its repository is done, so \
    lines come in the order repositories finish. docs/fleet.md describes the format."
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

    /// Repositories checked at once (worker processes) [default: the number of CPUs].
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// Time limit per repository (`120s`, `5m`, `500ms`); a worker still running then is
    /// killed and its repository gets an error line.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    timeout: Duration,

    /// Memory limit per repository (address space of its worker: `2GiB`, `512MiB`, bytes).
    /// Enforced on Unix only.
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = parse_size)]
    memory: u64,
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

    /// The organisation's policy file: repositories judged by a policy that enables fewer
    /// rules than it are listed under "Judged by a weaker policy" (those where no rule ran are
    /// listed either way).
    #[arg(long, value_name = "FILE")]
    org_policy: Option<PathBuf>,
}

/// Runs `goldpath fleet`.
pub fn run(args: FleetArgs) -> Result<ExitCode> {
    match args.command {
        FleetCommand::Scan(args) => scan(args),
        FleetCommand::Report(args) => report(args),
        FleetCommand::ScanOne(args) => scan_one(args),
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
    if let Some(config) = &args.config {
        if !config.exists() {
            bail!("--config {}: no such file", config.display());
        }
        // A broken shared policy is the scan's error, not every repository's.
        Policy::load(config, &FsReader)?;
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        pool = pool.num_threads(jobs);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let exe = std::env::current_exe().context("cannot find the goldpath executable")?;
    // Open the output first: a scan that cannot write its results should fail at once.
    let roots: Vec<&Path> = targets.iter().map(|t| t.path.as_path()).collect();
    let out: Box<dyn Write + Send> = if args.out.as_os_str() == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(goldpath::safe_write::create(&args.out, &roots)?)
    };
    let out = Mutex::new(out);
    let limits = Limits {
        timeout: args.timeout,
        memory: args.memory,
    };

    let progress = Progress::new(targets.len());
    let written: Vec<Result<bool>> = pool.install(|| {
        targets
            .par_iter()
            .map(|target| {
                let line = run_worker(&exe, target, args.config.as_deref(), &limits);
                progress.tick();
                let text = serde_json::to_string(&line).context("cannot encode a result")?;
                // One line at a time, flushed: what is done survives whatever comes next.
                let mut out = out
                    .lock()
                    .map_err(|_| anyhow::anyhow!("the output lock is poisoned"))?;
                writeln!(out, "{text}")
                    .and_then(|()| out.flush())
                    .with_context(|| format!("cannot write {}", args.out.display()))?;
                Ok(matches!(line, Line::Broken(_)))
            })
            .collect()
    });
    progress.finish();
    let mut broken = 0;
    for result in written {
        broken += usize::from(result?);
    }
    tracing::debug!(repos = targets.len(), broken, "fleet scan done");
    Ok(ExitCode::SUCCESS)
}

/// Per-repository limits of `fleet scan`.
struct Limits {
    timeout: Duration,
    memory: u64,
}

/// Checks one repository in a worker process (`goldpath fleet scan-one`) under `limits`; a
/// crash, a timeout or a limit becomes an error line.
fn run_worker(exe: &Path, target: &Target, config: Option<&Path>, limits: &Limits) -> Line {
    let path = target.path.to_string_lossy().into_owned();
    let broken = |error: String| {
        Line::Broken(RepoError {
            repo: target.name.clone(),
            path: path.clone(),
            error,
        })
    };
    let mut command = std::process::Command::new(exe);
    command
        .args(["fleet", "scan-one", "--name"])
        .arg(&target.name)
        .arg("--path")
        .arg(&target.path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Few malloc arenas: each reserves address space that counts against the limit.
        .env("MALLOC_ARENA_MAX", "2");
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    limit_memory(&mut command, limits.memory);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return broken(format!("cannot start a worker: {e}")),
    };
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = read(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() >= limits.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "timed out: not done after {} (--timeout)",
                    show_duration(limits.timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => break Err(format!("cannot wait for the worker: {e}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let status = match status {
        Ok(status) => status,
        Err(error) => return broken(error),
    };
    let parsed = std::str::from_utf8(&stdout)
        .ok()
        .and_then(|text| text.lines().rev().find(|l| !l.trim().is_empty()))
        .and_then(|line| serde_json::from_str::<Line>(line).ok());
    match parsed {
        Some(line) if status.success() => line,
        _ => broken(describe_failure(status, &stderr, limits.memory)),
    }
}

/// Why a worker gave no result, from its exit status and the end of its stderr.
fn describe_failure(status: std::process::ExitStatus, stderr: &str, memory: u64) -> String {
    let tail: String = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
        return format!(
            "memory limit exceeded: more than {} (--memory)",
            show_size(memory)
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            let name = match signal {
                libc::SIGABRT => " (SIGABRT)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGBUS => " (SIGBUS)",
                _ => "",
            };
            let tail = if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            };
            return format!("the worker crashed: killed by signal {signal}{name}{tail}");
        }
    }
    if tail.is_empty() {
        format!("the worker failed ({status}) without a result")
    } else {
        format!("the worker failed ({status}): {tail}")
    }
}

#[cfg(unix)]
fn limit_memory(command: &mut std::process::Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit is async-signal-safe; the closure allocates nothing and touches no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

#[cfg(not(unix))]
fn limit_memory(_command: &mut std::process::Command, _bytes: u64) {
    // No portable address-space limit: the time limit and the worker's isolation still apply.
    tracing::debug!("--memory is not enforced on this system");
}

/// `goldpath fleet scan-one`: one repository, one line on stdout.
fn scan_one(args: ScanOneArgs) -> Result<ExitCode> {
    test_fault(&args.name);
    let target = Target {
        name: args.name,
        path: args.path,
    };
    let shared_policy = match &args.config {
        Some(config) => Some(Policy::load(config, &FsReader)?),
        None => None,
    };
    // One thread: repositories run in parallel as processes, and each thread's stack and malloc
    // arena would count against the memory limit.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("cannot start a worker thread")?;
    let registry = Registry::builtin();
    let line = pool.install(|| {
        check_one(
            &target,
            &registry,
            shared_policy.as_ref(),
            args.config.as_deref(),
        )
    });
    let text = serde_json::to_string(&line).context("cannot encode a result")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .context("cannot write the result")?;
    Ok(ExitCode::SUCCESS)
}

/// For the fleet tests: `GOLDPATH_FLEET_TEST_FAULT=name:abort,name:sleep,name:memory` makes the
/// worker of repository `name` crash, hang or allocate without end, as a hostile repository
/// can make it do. Debug builds only (the tests run one): a release binary has no fault hook.
fn test_fault(name: &str) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(spec) = std::env::var_os("GOLDPATH_FLEET_TEST_FAULT") else {
        return;
    };
    let spec = spec.to_string_lossy().into_owned();
    for item in spec.split(',') {
        match item.split_once(':') {
            Some((repo, "abort")) if repo == name => std::process::abort(),
            Some((repo, "sleep")) if repo == name => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            Some((repo, "memory")) if repo == name => {
                let mut hog: Vec<Vec<u8>> = Vec::new();
                loop {
                    hog.push(vec![1; 64 << 20]);
                }
            }
            _ => {}
        }
    }
}

/// The leading digits of `text` as a number, and the unit after them; `example` names the
/// expected form in the error.
fn number_and_unit<'t>(text: &'t str, example: &str) -> Result<(u64, &'t str), String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = number
        .parse()
        .map_err(|_| format!("`{text}`: expected {example}"))?;
    Ok((number, unit))
}

/// `120s`, `5m`, `500ms`, `1h`, or seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = number_and_unit(text, "a duration such as 120s, 5m or 500ms")?;
    let duration = match unit.trim() {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        other => return Err(format!("`{other}`: expected s, ms, m or h")),
    };
    if duration.is_zero() {
        return Err("the time limit must be more than 0".to_owned());
    }
    Ok(duration)
}

/// `2GiB`, `512MiB`, `64KiB`, `1G`/`1GB` (powers of 1024 too), or bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = number_and_unit(text, "a size such as 2GiB or 512MiB")?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("`{other}`: expected B, KiB, MiB, GiB or TiB")),
    };
    let bytes = number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes < 16 << 20 {
        return Err(format!("`{text}`: a worker needs at least 16MiB to start"));
    }
    Ok(bytes)
}

fn show_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

fn show_size(bytes: u64) -> String {
    match bytes {
        b if b % (1 << 30) == 0 => format!("{}GiB", b >> 30),
        b if b % (1 << 20) == 0 => format!("{}MiB", b >> 20),
        b => format!("{b} bytes"),
    }
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
        let (policy, source) = match (shared_policy, config) {
            (Some(policy), Some(config)) => (policy, format!("--config {}", config.display())),
            _ => {
                let root = PathBuf::from(goldpath::Snapshot::root(&snapshot));
                let (policy, source) = load_policy(config, &root, &snapshot)?;
                loaded = policy;
                (&loaded, source)
            }
        };
        let engine = Engine::new(registry, policy)?;
        let info = fleet::PolicyInfo {
            source,
            hash: fleet::policy_hash(policy),
            rules_run: engine.rule_ids().len(),
        };
        let report = engine.check(&snapshot);
        let owner = fleet::default_owner(&snapshot);
        // The baseline is not applied: the fleet counts every finding, so a repository cannot
        // raise its tier here by listing its findings; the debt is shown beside.
        let root = PathBuf::from(goldpath::Snapshot::root(&snapshot));
        let baseline =
            crate::baseline::for_check(None, false, &root, &snapshot, false, &policy.settings)?;
        let mut result = RepoResult::from_report(
            target.name.clone(),
            path.clone(),
            &report,
            owner,
            started.elapsed().as_millis() as u64,
            Some(info),
        );
        if let Some((baseline, _)) = &baseline {
            result.set_baseline(baseline, &report);
        }
        Ok(result)
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
) -> Result<(Policy, String)> {
    if let Some(config) = config {
        return Ok((
            Policy::load(config, &FsReader)?,
            format!("--config {}", config.display()),
        ));
    }
    let reader = SnapshotReader::new(root, snapshot);
    Ok(match Policy::discover(root, &reader)? {
        Some(path) => {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            (Policy::load(&path, &reader)?, shown)
        }
        None => (Policy::recommended()?, "builtin:recommended".to_owned()),
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
    let org_rules = match &args.org_policy {
        Some(path) => {
            let policy = Policy::load(path, &FsReader)
                .with_context(|| format!("--org-policy {}", path.display()))?;
            let registry = Registry::builtin();
            Some(Engine::new(&registry, &policy)?.rule_ids().len())
        }
        None => None,
    };
    let report = FleetReport::with_org_rules(&current, previous.as_deref(), org_rules);
    let text = match args.format {
        ReportFormat::Html => report.to_html(),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Json => report.to_json(),
    };
    match &args.output {
        Some(path) => goldpath::safe_write::write(path, text.as_bytes(), &[], None)?,
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
    fn limits_parse_with_units_and_refuse_nonsense() {
        assert_eq!(parse_duration("120s"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("1KiB").is_err(), "too small to start");
        assert!(parse_size("99999999999TiB").is_err());
        assert!(parse_size("lots").is_err());
        assert_eq!(show_size(2 << 30), "2GiB");
        assert_eq!(show_duration(Duration::from_millis(1500)), "1500ms");
    }

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
