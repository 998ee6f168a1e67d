//! `goldpath init`: write a first goldpath.toml from what the repository contains.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::Args;
use goldpath::inspect::{inspect, Inspection};
use goldpath::policy::{FsReader, Platform, Policy, POLICY_FILES};
use goldpath::Snapshot;

/// Arguments of `goldpath init`.
#[derive(Args)]
#[command(
    after_help = "goldpath init looks at the repository's files (package manifests, CI \
    configuration, CODEOWNERS, catalog-info.yaml, Dockerfiles, Kubernetes and Helm files) and \
    writes goldpath.toml at the top level of the work tree: the built-in packs to extend \
    (builtin:recommended, and for a service the pack of its language), the platform that \
    decides the CODEOWNERS dialect, whether the repository is a service, and commented \
    examples of the other keys. It prints what it found on stderr. Nothing of the repository \
    is executed.\n\n\
    Exit status: 0 when the file was written (or printed); 2 when the run failed, or when a \
    policy file exists and --force was not given.\n\n\
    Examples:\n  goldpath init                 write goldpath.toml here\n  \
    goldpath init --stdout        show what would be written, write nothing\n  \
    goldpath init --force         replace an existing goldpath.toml"
)]
pub struct InitArgs {
    /// The repository (or any directory inside it).
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Replace an existing goldpath.toml (or .goldpath.toml).
    #[arg(long)]
    force: bool,

    /// Print the policy to stdout instead of writing it.
    #[arg(long)]
    stdout: bool,
}

/// Runs `goldpath init`.
pub fn run(args: InitArgs) -> Result<ExitCode> {
    // `goldpath init sub/link` with a committed `sub/link -> /elsewhere` would otherwise judge
    // and write /elsewhere: refuse a path through a link inside the repository it names.
    let mut roots = enclosing_repositories(&args.path);
    {
        let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
        goldpath::safe_write::resolve(&args.path, &roots)?;
    }
    let snapshot = goldpath_git::open(&args.path, goldpath_git::Source::Worktree)?;
    let root = PathBuf::from(snapshot.root());
    let found = inspect(&snapshot);
    report(&found);
    let text = policy_text(&found);
    // What init writes must load: a mistake here would be every new user's first error.
    Policy::from_text("goldpath.toml", &text, &root, &FsReader)
        .context("the generated policy does not load (a bug in goldpath init)")?;

    if args.stdout {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let existing: Vec<&str> = POLICY_FILES
        .iter()
        .copied()
        .filter(|name| std::fs::symlink_metadata(root.join(name)).is_ok_and(|m| !m.is_dir()))
        .collect();
    if !existing.is_empty() && !args.force {
        bail!(
            "{} already exists; `goldpath init --force` replaces it, `goldpath init --stdout` \
             shows what would be written",
            root.join(existing[0]).display()
        );
    }
    let target = root.join("goldpath.toml");
    roots.push(root.clone());
    let roots: Vec<&Path> = roots.iter().map(PathBuf::as_path).collect();
    goldpath::safe_write::write(&target, text.as_bytes(), &roots, None)?;
    for other in existing.iter().filter(|name| **name != "goldpath.toml") {
        eprintln!(
            "goldpath: note: {other} is still there and is read before goldpath.toml; remove it"
        );
    }
    eprintln!(
        "wrote {}; next: `goldpath check` shows where the repository stands, `goldpath fix` \
         repairs what it can",
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The repositories `path` lies in as written (before any link in it is followed): the first
/// real directory among its ancestors that holds `.git`, and the current directory's.
fn enclosing_repositories(path: &Path) -> Vec<PathBuf> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let absolute = cwd.join(path);
    let mut found = Vec::new();
    for start in [absolute.as_path(), cwd.as_path()] {
        let repo = start.ancestors().find(|dir| {
            std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
                && std::fs::symlink_metadata(dir.join(".git")).is_ok()
        });
        found.extend(repo.map(Path::to_path_buf));
    }
    found
}

/// What was found, on stderr.
fn report(found: &Inspection) {
    let mut out = String::from("goldpath init found:\n");
    for line in findings(found) {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!("  packs: {}\n", found.packs().join(", ")));
    eprint!("{out}");
}

/// One line per thing found, shared by the report and the file's header.
fn findings(found: &Inspection) -> Vec<String> {
    let ecosystems = if found.ecosystems.is_empty() {
        "none".to_owned()
    } else {
        found
            .ecosystems
            .iter()
            .map(|e| {
                let dirs: Vec<&str> = e
                    .dirs
                    .iter()
                    .map(|d| if d.is_empty() { "." } else { d.as_str() })
                    .take(3)
                    .collect();
                let more = e.dirs.len().saturating_sub(3);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("{} ({}{more})", e.name, dirs.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ci = if found.ci.is_empty() {
        "none".to_owned()
    } else {
        found
            .ci
            .iter()
            .map(|(system, file)| format!("{system} ({file})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let codeowners = match found.codeowners.as_slice() {
        [] => "none".to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (also {}: only the first counts)", rest.join(", ")),
    };
    vec![
        format!("ecosystems: {ecosystems}"),
        format!("CI: {ci}"),
        format!(
            "platform: {} ({})",
            found.platform.name(),
            found.platform_reason
        ),
        format!("CODEOWNERS: {codeowners}"),
        format!(
            "catalog-info: {}",
            if found.catalog.is_empty() {
                "none".to_owned()
            } else {
                found.catalog.join(", ")
            }
        ),
        format!(
            "{}: {}",
            if found.is_service {
                "a service"
            } else {
                "not a service"
            },
            found.service_reasons.join("; ")
        ),
    ]
}

/// The commented goldpath.toml for what was found.
pub(crate) fn policy_text(found: &Inspection) -> String {
    let mut out = String::new();
    out.push_str(
        "# goldpath.toml: this repository's golden path, first written by `goldpath init`.\n#\n\
         # What goldpath found:\n",
    );
    for line in findings(found) {
        out.push_str(&format!("#   {line}\n"));
    }
    out.push_str(
        "#\n# `goldpath check` shows where the repository stands, `goldpath fix` repairs what it \
         can,\n# `goldpath explain RULE` documents a rule, `goldpath schema` gives editors \
         completion.\n# Every key is described in docs/policy.md.\n\n",
    );

    let packs = found.packs();
    out.push_str(
        "# Built-in packs: recommended is the floor for every repository (bronze, silver and \
         gold\n# tiers); a service pack adds the observability golden path of its language.\n",
    );
    out.push_str(&format!(
        "extends = [{}]\n",
        packs
            .iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out.push_str(
        "# Add \"builtin:security\" for OpenSSF Scorecard's file-level checks (stricter).\n\n",
    );

    out.push_str("[settings]\n");
    out.push_str(
        "# The lowest level that makes `goldpath check` fail: \"error\", \"warning\", \"note\" or \
         \"never\".\nfail-on = \"error\"\n\
         # The highest tier whose findings fail it: gold-tier findings are reported without \
         failing\n# the run until the repository is held to gold.\n# fail-tier = \"gold\"\n",
    );
    let platform = match found.platform {
        Platform::GitHub => "github",
        Platform::GitLab => "gitlab",
    };
    out.push_str(&format!(
        "# Where the repository is hosted: decides the CODEOWNERS dialect and locations.\n\
         platform = \"{platform}\"\n"
    ));
    let kind = if found.is_service {
        "service"
    } else {
        "library"
    };
    out.push_str(&format!(
        "# \"service\" holds the repository to the observability rules (obs/*), \"library\" does \
         not.\n# Found: {}.\nkind = \"{kind}\"\n",
        found.service_reasons.join("; ").replace('\n', " ")
    ));
    if !found.vendored.is_empty() {
        // `check` skips vendored code by itself (the same definition found it): no `exclude`.
        let dirs: Vec<String> = found.vendored.iter().map(|d| format!("{d}/")).collect();
        out.push_str(&format!(
            "# Third-party code found ({}): check skips it, as it skips every vendored or\n\
             # generated file. To check some of it all the same:\n# include-vendored = [\"{}**\"]\n",
            dirs.join(", "),
            dirs[0]
        ));
    }
    out.push_str("# Other paths no rule looks at:\n# exclude = [\"generated/**\"]\n");
    out.push_str(
        "# A private repository needs no licence file:\n# private = true\n\n\
         # Rules take options under their id (`goldpath explain ID` lists them), and `level`\n\
         # (\"error\", \"warning\", \"note\" or \"off\") and `tier` change how a finding counts:\n\
         # [rules.\"ci/missing-timeout\"]\n# max = 60\n\n\
         # A finding accepted for now is waived, with a reason and an end date:\n\
         # [[waivers]]\n# rule = \"files/forbidden\"\n# paths = [\"fixtures/.env\"]\n\
         # reason = \"test fixture with fake values\"\n# expires = 2027-06-30\n",
    );
    out
}
