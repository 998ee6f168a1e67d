//! `goldpath hook install|uninstall`: a native git pre-commit hook that runs
//! `goldpath check --staged`, honouring core.hooksPath (husky's `.husky/_` included) and never
//! clobbering a hook that is already there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

/// The hook script (`hooks/pre-commit` in the repository).
const HOOK: &str = include_str!("../../../hooks/pre-commit");
/// Marks a hook file as goldpath's.
const MARKER: &str = "# goldpath-hook: v1";
/// The name an existing hook is moved to; goldpath's hook runs it first.
const CHAINED: &str = "pre-commit.goldpath-chained";
/// Where re-installing puts a customised goldpath hook before updating it.
const BACKUP: &str = "pre-commit.goldpath-backup";
/// Heads the lines of a customised hook that re-installing kept.
const KEPT_HEADER: &str = "# Your own lines, kept by `goldpath hook install`:";
/// The lines added to husky's `.husky/pre-commit`.
const HUSKY_BLOCK: &str = "# goldpath: check what is staged (goldpath hook uninstall removes this)\ngoldpath check --staged\n";

/// Arguments of `goldpath hook`.
#[derive(Args)]
pub struct HookArgs {
    #[command(subcommand)]
    action: HookAction,
}

#[derive(Subcommand)]
enum HookAction {
    /// Install a pre-commit hook that runs `goldpath check --staged`. An existing hook is kept
    /// and run first; with husky (core.hooksPath = .husky/_) the check is added to
    /// .husky/pre-commit.
    Install {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Remove goldpath's hook and restore a hook it chained.
    Uninstall {
        /// The repository.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
}

/// Runs `goldpath hook`.
pub fn run(args: HookArgs) -> Result<ExitCode> {
    match args.action {
        HookAction::Install { path } => install(&path),
        HookAction::Uninstall { path } => uninstall(&path),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn husky_file(hooks: &Path) -> Option<PathBuf> {
    (hooks.file_name()? == "_" && hooks.parent()?.file_name()? == ".husky")
        .then(|| hooks.parent().map(|husky| husky.join("pre-commit")))
        .flatten()
}

/// The directories a hook write must not follow a link in: the work tree, the git directory
/// and the hooks directory (a committed `.husky/pre-commit -> ~/.bashrc` is refused).
fn protected(path: &Path, hooks: &Path) -> Result<Vec<PathBuf>> {
    let mut roots = vec![hooks.to_path_buf()];
    if let Some(info) = goldpath_git::discover(path)? {
        roots.extend(info.work_tree);
        roots.push(info.git_dir);
    }
    Ok(roots)
}

/// Resolves `path`, refusing a link inside the repository, so nothing is read through one.
fn check_path(path: &Path, roots: &[PathBuf]) -> Result<()> {
    let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
    goldpath::safe_write::resolve(path, &roots)?;
    Ok(())
}

/// Writes a hook file executable, without following links.
fn write_hook(path: &Path, text: &str, roots: &[PathBuf]) -> Result<()> {
    let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
    goldpath::safe_write::write(path, text.as_bytes(), &roots, Some(executable_mode(path)))?;
    Ok(())
}

/// The hook `HOOK` with the lines a user added to an earlier goldpath hook, before its final
/// `exec` so that they still run.
fn merge_user_lines(previous: &str) -> String {
    let ours: std::collections::HashSet<&str> = HOOK.lines().chain([KEPT_HEADER]).collect();
    let mut theirs: Vec<&str> = previous.lines().filter(|l| !ours.contains(l)).collect();
    while theirs.last().is_some_and(|l| l.trim().is_empty()) {
        theirs.pop();
    }
    while theirs.first().is_some_and(|l| l.trim().is_empty()) {
        theirs.remove(0);
    }
    if theirs.is_empty() {
        return HOOK.to_owned();
    }
    let exec = HOOK.rfind("\nexec ").map_or(HOOK.len(), |i| i + 1);
    let mut out = String::from(&HOOK[..exec]);
    out.push_str(KEPT_HEADER);
    out.push('\n');
    for line in theirs {
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&HOOK[exec..]);
    out
}

fn install(path: &Path) -> Result<()> {
    let hooks = goldpath_git::hooks_dir(path)?;
    let roots = protected(path, &hooks)?;
    if let Some(file) = husky_file(&hooks) {
        check_path(&file, &roots)?;
        let text = read_optional(&file)?.unwrap_or_default();
        if text.contains("goldpath check --staged") {
            println!("goldpath: {} already runs goldpath", file.display());
            return Ok(());
        }
        let mut updated = text;
        if !updated.is_empty() && !updated.ends_with('\n') {
            updated.push('\n');
        }
        updated.push_str(HUSKY_BLOCK);
        write_hook(&file, &updated, &roots)?;
        println!(
            "goldpath: added `goldpath check --staged` to {} (husky)",
            file.display()
        );
        return Ok(());
    }

    check_path(&hooks, &roots)?;
    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create the hooks directory {}", hooks.display()))?;
    let hook = hooks.join("pre-commit");
    let chained = hooks.join(CHAINED);
    let backup = hooks.join(BACKUP);
    check_path(&hook, &roots)?;
    match read_optional(&hook)? {
        Some(text) if text.contains(MARKER) => {
            let merged = merge_user_lines(&text);
            if merged == text {
                println!("goldpath: the hook at {} is up to date", hook.display());
                return Ok(());
            }
            // The user edited goldpath's hook: keep their lines, and the file as it was.
            write_hook(&backup, &text, &roots)?;
            write_hook(&hook, &merged, &roots)?;
            println!(
                "goldpath: updated the hook at {} (your own lines are kept; the previous file \
                 is in {})",
                hook.display(),
                backup.display()
            );
        }
        Some(_) => {
            check_path(&chained, &roots)?;
            if std::fs::symlink_metadata(&chained).is_ok() {
                bail!(
                    "{} exists and is not goldpath's, and {} is taken too; merge them by hand \
                     (or add `goldpath check --staged` to your hook)",
                    hook.display(),
                    chained.display()
                );
            }
            std::fs::rename(&hook, &chained).with_context(|| {
                format!("cannot move {} to {}", hook.display(), chained.display())
            })?;
            write_hook(&hook, HOOK, &roots)?;
            println!(
                "goldpath: installed {}; your previous hook moved to {} and runs first",
                hook.display(),
                chained.display()
            );
        }
        None => {
            write_hook(&hook, HOOK, &roots)?;
            println!("goldpath: installed {}", hook.display());
        }
    }
    Ok(())
}

fn uninstall(path: &Path) -> Result<()> {
    let hooks = goldpath_git::hooks_dir(path)?;
    let roots = protected(path, &hooks)?;
    if let Some(file) = husky_file(&hooks) {
        check_path(&file, &roots)?;
        let Some(text) = read_optional(&file)? else {
            println!("goldpath: no husky pre-commit file; nothing to remove");
            return Ok(());
        };
        let updated = text.replace(HUSKY_BLOCK, "");
        if updated == text {
            println!(
                "goldpath: {} does not have goldpath's lines",
                file.display()
            );
            return Ok(());
        }
        write_hook(&file, &updated, &roots)?;
        println!("goldpath: removed goldpath from {}", file.display());
        return Ok(());
    }
    let hook = hooks.join("pre-commit");
    let chained = hooks.join(CHAINED);
    check_path(&hook, &roots)?;
    check_path(&chained, &roots)?;
    match read_optional(&hook)? {
        Some(text) if text.contains(MARKER) => {
            std::fs::remove_file(&hook)
                .with_context(|| format!("cannot remove {}", hook.display()))?;
            if std::fs::symlink_metadata(&chained).is_ok() {
                std::fs::rename(&chained, &hook).with_context(|| {
                    format!("cannot restore {} to {}", chained.display(), hook.display())
                })?;
                println!(
                    "goldpath: removed the hook and restored your previous one at {}",
                    hook.display()
                );
            } else {
                println!("goldpath: removed {}", hook.display());
            }
            Ok(())
        }
        Some(_) => bail!(
            "{} is not goldpath's hook; leaving it alone",
            hook.display()
        ),
        None => {
            println!("goldpath: no pre-commit hook installed");
            Ok(())
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The file's permissions with execute bits added (0o755 for a new file).
#[cfg(unix)]
fn executable_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path).map_or(0o755, |m| (m.permissions().mode() & 0o7777) | 0o755)
}

#[cfg(not(unix))]
fn executable_mode(_path: &Path) -> u32 {
    0o755
}
