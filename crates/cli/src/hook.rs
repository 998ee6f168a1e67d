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

fn install(path: &Path) -> Result<()> {
    let hooks = goldpath_git::hooks_dir(path)?;
    if let Some(file) = husky_file(&hooks) {
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
        std::fs::write(&file, updated)
            .with_context(|| format!("cannot write {}", file.display()))?;
        make_executable(&file)?;
        println!(
            "goldpath: added `goldpath check --staged` to {} (husky)",
            file.display()
        );
        return Ok(());
    }

    std::fs::create_dir_all(&hooks)
        .with_context(|| format!("cannot create the hooks directory {}", hooks.display()))?;
    let hook = hooks.join("pre-commit");
    let chained = hooks.join(CHAINED);
    match read_optional(&hook)? {
        Some(text) if text.contains(MARKER) => {
            std::fs::write(&hook, HOOK)
                .with_context(|| format!("cannot write {}", hook.display()))?;
            println!("goldpath: updated the hook at {}", hook.display());
        }
        Some(_) => {
            if chained.exists() {
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
            std::fs::write(&hook, HOOK)
                .with_context(|| format!("cannot write {}", hook.display()))?;
            println!(
                "goldpath: installed {}; your previous hook moved to {} and runs first",
                hook.display(),
                chained.display()
            );
        }
        None => {
            std::fs::write(&hook, HOOK)
                .with_context(|| format!("cannot write {}", hook.display()))?;
            println!("goldpath: installed {}", hook.display());
        }
    }
    make_executable(&hook)
}

fn uninstall(path: &Path) -> Result<()> {
    let hooks = goldpath_git::hooks_dir(path)?;
    if let Some(file) = husky_file(&hooks) {
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
        std::fs::write(&file, updated)
            .with_context(|| format!("cannot write {}", file.display()))?;
        println!("goldpath: removed goldpath from {}", file.display());
        return Ok(());
    }
    let hook = hooks.join("pre-commit");
    let chained = hooks.join(CHAINED);
    match read_optional(&hook)? {
        Some(text) if text.contains(MARKER) => {
            std::fs::remove_file(&hook)
                .with_context(|| format!("cannot remove {}", hook.display()))?;
            if chained.exists() {
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

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    permissions.set_mode(permissions.mode() | 0o755);
    std::fs::set_permissions(path, permissions)
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}
