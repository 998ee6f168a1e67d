//! `goldpath baseline`, and finding the baseline file for `goldpath check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use goldpath::baseline::{Baseline, DEFAULT_PATH};
use goldpath::policy::Settings;
use goldpath::{Engine, Registry, Snapshot};

pub(crate) const LONG_ABOUT: &str = "Write the current findings to the baseline file, so that \
    `goldpath check` reports only findings that are not in it.\n\n\
    The baseline is how a legacy repository adopts a policy without fixing its past first: \
    commit the file, and `check` leaves out the findings it lists (by fingerprint), says how many \
    known findings remain, and fails on entries whose finding no longer occurs \
    (`policy/baseline-stale`), so every fix shrinks the file in the same change. The file is \
    `.goldpath-baseline.json` at the repository root unless `[settings] baseline` or --baseline \
    names another; it is sorted JSON, so regenerating it gives small diffs.\n\n\
    The check is the same as `goldpath check` on the work tree: same policy, every rule. When the \
    file exists, `goldpath baseline` only shrinks it: findings it does not list yet are printed \
    and nothing is written (exit 1), unless --allow-growth says to add them. Findings of the \
    engine's own `policy/*` rules are never written. docs/baseline.md has the details.";

/// Arguments of `goldpath baseline`.
#[derive(Args)]
#[command(after_help = "Examples:\n  \
    goldpath baseline                   write .goldpath-baseline.json (or shrink it)\n  \
    goldpath baseline --allow-growth    also add findings the baseline does not list yet\n  \
    goldpath check                      reports only findings not in the baseline\n  \
    goldpath check --no-baseline        reports every finding")]
pub struct BaselineArgs {
    /// The repository (or plain directory) whose work tree is checked.
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Use this policy file instead of discovering one in the repository.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Write this file [default: `[settings] baseline`, else .goldpath-baseline.json at the
    /// repository root].
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Add findings the existing baseline does not list (by default the baseline only shrinks:
    /// new findings are printed and nothing is written).
    #[arg(long)]
    allow_growth: bool,

    /// Worker threads [default: the number of CPUs]. Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

/// How many new findings `goldpath baseline` lists when it refuses to add them.
const LISTED: usize = 20;

/// Runs `goldpath baseline`.
pub fn run(args: BaselineArgs) -> Result<ExitCode> {
    let snapshot = goldpath_git::open(&args.path, goldpath_git::Source::Worktree)?;
    let root = PathBuf::from(snapshot.root());
    let (policy, _) = crate::shared::load_policy(args.config.as_deref(), &root, &snapshot, true)?;
    let registry = Registry::builtin();
    let engine = Engine::new(&registry, &policy)?;
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        pool = pool.num_threads(jobs);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let report = pool.install(|| engine.check(&snapshot));
    let fresh = Baseline::from_report(&report);

    let target = match &args.baseline {
        Some(path) => path.clone(),
        None => root.join(settings_path(&policy.settings)),
    };
    let shown = shown_path(&target, &root);
    // A link planted in the repository is refused before anything is read through it.
    goldpath::safe_write::resolve(&target, &[&root])?;
    let existing = match std::fs::read_to_string(&target) {
        Ok(text) => Some(Baseline::parse(&text, &shown).with_context(|| {
            format!("delete {shown} and run `goldpath baseline` again to write a new one")
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {shown}")),
    };
    let (added, removed) = match &existing {
        Some(old) => {
            let added = old.added_by(&fresh);
            let kept = fresh.len() - added.len();
            if !added.is_empty() && !args.allow_growth {
                eprintln!(
                    "goldpath: {} not in {shown}; fix {}, or add {} with --allow-growth \
                     (nothing was written):",
                    count(added.len(), "finding is", "findings are"),
                    if added.len() == 1 { "it" } else { "them" },
                    if added.len() == 1 { "it" } else { "them" },
                );
                for entry in added.iter().take(LISTED) {
                    eprintln!(
                        "  {} {}: {}",
                        entry.rule,
                        entry.path.as_deref().unwrap_or("(repository)"),
                        goldpath::render::escape::terminal(&entry.message)
                    );
                }
                if added.len() > LISTED {
                    eprintln!("  ... and {} more", added.len() - LISTED);
                }
                return Ok(ExitCode::from(1));
            }
            (added.len(), old.len() - kept)
        }
        None => (fresh.len(), 0),
    };
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        goldpath::safe_write::create_dir_all(parent, &[&root])
            .context("cannot write the baseline")?;
    }
    goldpath::safe_write::write(&target, fresh.to_json().as_bytes(), &[&root], None)
        .context("cannot write the baseline")?;
    println!(
        "wrote {shown}: {} ({removed} removed, {added} added)",
        count(fresh.len(), "entry", "entries")
    );
    Ok(ExitCode::SUCCESS)
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The baseline's path relative to the repository root, from the policy or the default.
fn settings_path(settings: &Settings) -> &str {
    settings.baseline.as_deref().unwrap_or(DEFAULT_PATH)
}

/// A path as findings and messages show it: relative to the root when inside.
fn shown_path(path: &Path, root: &Path) -> String {
    let canonical_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let parent = absolute
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .zip(absolute.file_name())
        .map(|(dir, name)| dir.join(name))
        .unwrap_or(absolute);
    for base in [&canonical_root, &root.to_path_buf()] {
        if let Ok(relative) = parent.strip_prefix(base) {
            return relative.to_string_lossy().replace('\\', "/");
        }
    }
    path.to_string_lossy().into_owned()
}

/// The baseline `check` applies, with its path as findings show it: `--baseline FILE` (read from
/// disk, and it must exist), else `[settings] baseline` or the default read from the snapshot
/// (the commit or the index in those modes), when it exists. `None` with `--no-baseline` or
/// when there is no file.
pub(crate) fn for_check(
    explicit: Option<&Path>,
    disabled: bool,
    root: &Path,
    snapshot: &dyn Snapshot,
    is_worktree: bool,
    settings: &Settings,
) -> Result<Option<(Baseline, String)>> {
    if disabled {
        return Ok(None);
    }
    let limit = settings.max_read_bytes;
    if let Some(path) = explicit {
        let shown = shown_path(path, root);
        let meta = std::fs::metadata(path)
            .with_context(|| format!("--baseline {}: cannot read it", path.display()))?;
        if meta.len() > limit {
            bail!("--baseline {shown}: {} bytes, over the {limit}-byte read limit (settings.max-read-bytes)", meta.len());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--baseline {}: cannot read it", path.display()))?;
        return Ok(Some((Baseline::parse(&text, &shown)?, shown)));
    }
    let relative = settings_path(settings);
    let listed = snapshot
        .files()
        .binary_search_by(|f| f.path.as_str().cmp(relative))
        .ok()
        .map(|at| &snapshot.files()[at]);
    let bytes = match listed {
        Some(entry) => {
            if !entry.mode.is_regular() {
                bail!(
                    "{relative}: the baseline is not a regular file (a symbolic link?); goldpath \
                     does not follow links in a repository"
                );
            }
            let size = snapshot.size(entry).unwrap_or(0);
            if size > limit {
                bail!("{relative}: {size} bytes, over the {limit}-byte read limit (settings.max-read-bytes)");
            }
            snapshot
                .read(entry)
                .with_context(|| format!("cannot read {relative}"))?
        }
        // A git-ignored baseline in the work tree is not listed, but it is the user's file.
        None if is_worktree => {
            let path = root.join(relative);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_file() && meta.len() <= limit => std::fs::read(&path)
                    .with_context(|| format!("cannot read {relative}"))?,
                Ok(meta) if meta.is_file() => bail!(
                    "{relative}: {} bytes, over the {limit}-byte read limit (settings.max-read-bytes)",
                    meta.len()
                ),
                Ok(_) => bail!(
                    "{relative}: the baseline is not a regular file (a symbolic link?); goldpath \
                     does not follow links in a repository"
                ),
                Err(_) => return Ok(None),
            }
        }
        None => return Ok(None),
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{relative}: the baseline is not valid UTF-8"))?;
    Ok(Some((
        Baseline::parse(&text, relative)?,
        relative.to_owned(),
    )))
}

/// The baseline at `rev` (same path), for `--policy-from REV`: `None` when that commit has none.
pub(crate) fn at_rev(repo: &Path, rev: &str, relative: &str) -> Result<Option<Baseline>> {
    let Some(bytes) = goldpath_git::read_at_rev(repo, rev, relative)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{relative} at {rev}: the baseline is not valid UTF-8"))?;
    let shown = format!("{relative} at {rev}");
    Ok(Some(Baseline::parse(&text, &shown)?))
}
