//! `goldpath policy show`: the effective policy with the origin of every value.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use goldpath::policy_show as show;
use goldpath::{Engine, Registry};

/// Arguments of `goldpath policy`.
#[derive(Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print the effective policy: settings, every enabled rule with level, tier and options,
    /// custom rules and waivers, each value with the file and line it came from (packs
    /// included), like `git config --show-origin`.
    Show(ShowArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    /// TOML, each value followed by a `# FILE:LINE` comment (`default` when no file sets it).
    Toml,
    /// JSON: each value as {"value": ..., "origin": {"file", "line", "column"}}.
    Json,
}

#[derive(Args)]
struct ShowArgs {
    /// The repository whose policy is shown.
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Use this policy file instead of discovering one in the repository.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Read the policy from this commit, as `check --policy-from` does.
    #[arg(long, value_name = "REV")]
    policy_from: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "toml")]
    format: ShowFormat,
}

/// Runs `goldpath policy`.
pub fn run(args: PolicyArgs) -> Result<ExitCode> {
    match args.command {
        PolicyCommand::Show(args) => show_policy(args),
    }
}

fn show_policy(args: ShowArgs) -> Result<ExitCode> {
    let snapshot = goldpath_git::open(&args.path, goldpath_git::Source::Worktree)?;
    let root = PathBuf::from(goldpath::Snapshot::root(&snapshot));
    let (policy, _) = match &args.policy_from {
        Some(rev) => {
            crate::shared::load_policy_from_rev(&args.path, &root, rev, args.config.as_deref())?
        }
        None => crate::shared::load_policy(args.config.as_deref(), &root, &snapshot, true)?,
    };
    let registry = Registry::builtin();
    // The policy is shown only if `check` would accept it: unknown rules and options are
    // errors here too.
    Engine::new(&registry, &policy)?;
    let format = match args.format {
        ShowFormat::Toml => show::Format::Toml,
        ShowFormat::Json => show::Format::Json,
    };
    crate::shared::write_output(None, &show::render(&policy, &registry, format))?;
    Ok(ExitCode::SUCCESS)
}
