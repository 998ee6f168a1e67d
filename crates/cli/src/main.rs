//! The `goldpath` command.

mod baseline;
mod check;
mod fix;
mod fleet;
mod hook;
mod init;
mod logging;
mod owners;
mod policy;
mod schema;
mod shared;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status when the run itself failed (bad policy, not a repository, unreadable input).
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "goldpath",
    version,
    about = "Hold a repository to your organisation's golden path",
    long_about = "Hold a repository to your organisation's golden path.\n\n\
        goldpath checks a git repository (its work tree, what is staged, or any commit) against a \
        policy: required and forbidden files, ownership, CI, dependencies, observability and rules \
        you write yourself. With no goldpath.toml the built-in `recommended` policy applies.\n\n\
        Exit status: 0 no finding at or above --fail-on in the tiers the repository is held to \
        (--fail-tier, silver by default); 1 findings at or above it; 2 the run \
        itself failed (bad policy, not a repository, unreadable input).",
    after_help = "Examples:\n  goldpath check                      check the current repository\n  \
        goldpath check --staged             check what is staged (pre-commit)\n  \
        goldpath check --rev v1.2.0         check a commit without checking it out\n  \
        goldpath fix --dry-run              what goldpath fix would change, as a diff\n  \
        goldpath baseline                   accept today's findings; check reports only new ones\n  \
        goldpath rules                      list every rule\n  \
        goldpath explain files/required     a rule's documentation\n  \
        goldpath policy show                the effective policy and where each value came from\n  \
        goldpath owners --unowned           files without a code owner"
)]
struct Cli {
    /// Log what was read and how long each rule took, on stderr (-vv for more). GOLDPATH_LOG
    /// takes a tracing filter such as `goldpath=debug`.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a repository against its policy.
    Check(Box<check::CheckArgs>),
    /// Write the current findings to the baseline file, which `check` then leaves out.
    #[command(long_about = baseline::LONG_ABOUT)]
    Baseline(baseline::BaselineArgs),
    /// Write a first goldpath.toml from what the repository contains.
    Init(init::InitArgs),
    /// Apply the fixes rules offer (work tree only; --dry-run prints a diff).
    #[command(long_about = fix::LONG_ABOUT)]
    Fix(fix::FixArgs),
    /// List every rule: id, default level, tier and summary.
    Rules(check::RulesArgs),
    /// Show a rule's documentation.
    Explain(check::ExplainArgs),
    /// Install or remove the native git pre-commit hook.
    Hook(hook::HookArgs),
    /// Show who owns each file (CODEOWNERS), or list the files without an owner.
    Owners(owners::OwnersArgs),
    /// Scorecards for many repositories: scan them (in shards) and report on the results.
    Fleet(fleet::FleetArgs),
    /// Print the JSON Schema of goldpath.toml (for editor completion).
    Schema(schema::SchemaArgs),
    /// Show the effective policy, each value with the file and line it came from.
    Policy(policy::PolicyArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result = match cli.command {
        Command::Check(args) => check::run(*args),
        Command::Baseline(args) => baseline::run(args),
        Command::Init(args) => init::run(args),
        Command::Fix(args) => fix::run(args),
        Command::Rules(args) => check::rules(args),
        Command::Explain(args) => check::explain(args),
        Command::Hook(args) => hook::run(args),
        Command::Owners(args) => owners::run(args),
        Command::Fleet(args) => fleet::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Policy(args) => policy::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("goldpath: error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
