//! `goldpath check`, `goldpath rules` and `goldpath explain`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use goldpath::policy::{FailOn, Policy};
use goldpath::render;

use crate::shared::{load_policy, load_policy_from_rev, write_output};
use goldpath::{Engine, Registry, Selection, Snapshot, Tier};

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// Text for a terminal.
    Human,
    /// The versioned JSON report (docs/json-report.md).
    Json,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub workflow commands (annotations); appends a Markdown summary to
    /// $GITHUB_STEP_SUMMARY when it is set.
    Github,
    /// A Markdown summary.
    Markdown,
    /// A GitLab Code Quality report.
    Gitlab,
    /// JUnit XML.
    Junit,
}

impl From<OutputFormat> for render::Format {
    fn from(value: OutputFormat) -> Self {
        match value {
            OutputFormat::Human => render::Format::Human,
            OutputFormat::Json => render::Format::Json,
            OutputFormat::Sarif => render::Format::Sarif,
            OutputFormat::Github => render::Format::Github,
            OutputFormat::Markdown => render::Format::Markdown,
            OutputFormat::Gitlab => render::Format::Gitlab,
            OutputFormat::Junit => render::Format::Junit,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Error,
    Warning,
    Note,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(value: FailOnArg) -> Self {
        match value {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Note => FailOn::Note,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TierArg {
    Bronze,
    Silver,
    Gold,
}

impl From<TierArg> for Tier {
    fn from(value: TierArg) -> Self {
        match value {
            TierArg::Bronze => Tier::Bronze,
            TierArg::Silver => Tier::Silver,
            TierArg::Gold => Tier::Gold,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Arguments of `goldpath check`.
#[derive(Args)]
#[command(
    after_help = "The policy is the first of goldpath.toml, .goldpath.toml and \
    .github/goldpath.toml found at the repository root (read from the index with --staged and \
    from the commit with --rev), or builtin:recommended when there is none.\n\n\
    A baseline file (.goldpath-baseline.json, written by `goldpath baseline`) is read the same \
    way: the known findings it lists are not reported, the summary says how many remain, and \
    entries whose finding no longer occurs fail the run as `policy/baseline-stale` until \
    `goldpath baseline` removes them (docs/baseline.md)."
)]
pub struct CheckArgs {
    /// The repository (or plain directory) to check.
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Check what is staged: the index, with blobs from the object database. Reports only the
    /// findings the staged change introduced (not also on HEAD; --all reports them all):
    /// per-file rules judge the files that differ from HEAD, repository-wide rules run when
    /// their inputs changed. Honours GIT_INDEX_FILE.
    #[arg(long, conflicts_with = "rev")]
    staged: bool,

    /// Check a commit's tree (any revision: a branch, tag, SHA, HEAD~2) without checking it out.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,

    /// Pull-request mode: judge what changed between merge-base(REV, HEAD) and HEAD (or --rev),
    /// reading the commits' trees, not the work tree. Reports only the findings the pull
    /// request introduced (not also on the merge base; --all reports them all): per-file
    /// rules judge the changed files, repository-wide rules run when their inputs changed.
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    base: Option<String>,

    /// With --staged or --base: report every finding of the judged files and run every
    /// repository-wide rule, including what the base already had (the default reports only
    /// what the change introduced).
    #[arg(long, conflicts_with = "new_only")]
    all: bool,

    /// With --staged or --base: report only what the change introduced. This is the default;
    /// the flag is kept for scripts written before it was.
    #[arg(long)]
    new_only: bool,

    /// Read the policy from this commit instead of the snapshot, so a pull request cannot
    /// weaken the rules that judge it (the GitHub Action passes the base branch). With
    /// --config, that path is read from the commit.
    #[arg(long, value_name = "REV")]
    policy_from: Option<String>,

    /// Use this policy file instead of discovering one in the repository.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// Leave out the known findings this baseline lists (`goldpath baseline` writes it)
    /// [default: `[settings] baseline`, else .goldpath-baseline.json at the root, when it
    /// exists; read from the snapshot like the policy]. Entries whose finding no longer occurs
    /// are reported as `policy/baseline-stale`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Report every finding, ignoring the baseline file.
    #[arg(long, conflicts_with = "baseline")]
    no_baseline: bool,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "human")]
    format: OutputFormat,

    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Also write the report as FORMAT to FILE, from the same run (repeatable), e.g.
    /// `--format github --report sarif:goldpath.sarif`.
    #[arg(long, value_name = "FORMAT:FILE", value_parser = parse_report_arg)]
    report: Vec<(OutputFormat, PathBuf)>,

    /// Lowest level that makes the exit status 1 [default: the policy's `fail-on`, else error].
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOnArg>,

    /// Highest tier whose findings make the exit status 1; findings of higher tiers are
    /// reported without failing the run [default: the policy's `fail-tier`, else silver].
    #[arg(long, value_enum, value_name = "TIER")]
    fail_tier: Option<TierArg>,

    /// Run only these rules (ids or globs such as `files/*`; repeat or separate with commas).
    #[arg(long, value_name = "IDS")]
    only: Vec<String>,

    /// Do not run these rules (ids or globs; repeat or separate with commas).
    #[arg(long, value_name = "IDS")]
    skip: Vec<String>,

    /// Worker threads [default: the number of CPUs]. Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

/// Runs `goldpath check`.
pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let change_mode = args.staged || args.base.is_some();
    for (flag, given) in [("--all", args.all), ("--new-only", args.new_only)] {
        if given && !change_mode {
            bail!(
                "{flag} applies to a change: with --staged (against HEAD) or --base REV (against \
                 the merge base); without one every finding is reported already"
            );
        }
    }
    // Pull-request mode reads commits: HEAD (or --rev) against the merge base with --base.
    let range = match &args.base {
        Some(base) => {
            let head = args.rev.clone().unwrap_or_else(|| "HEAD".to_owned());
            let merge_base = goldpath_git::merge_base(&args.path, base, &head)?;
            let changes = goldpath_git::changes(&args.path, &merge_base, &head)?;
            tracing::debug!(
                %merge_base,
                changed = changes.changed.len(),
                added = changes.paths.added.len(),
                removed = changes.paths.removed.len(),
                "pull-request range"
            );
            Some((head, merge_base, changes))
        }
        None => None,
    };
    let source = match (&range, &args.rev, args.staged) {
        (Some((head, _, _)), _, _) => goldpath_git::Source::Rev(head.clone()),
        (None, Some(rev), _) => goldpath_git::Source::Rev(rev.clone()),
        (None, None, true) => goldpath_git::Source::Staged,
        (None, None, false) => goldpath_git::Source::Worktree,
    };
    let is_worktree = matches!(source, goldpath_git::Source::Worktree);
    let mut snapshot = goldpath_git::open(&args.path, source)?;
    if let Some((_, _, changes)) = &range {
        snapshot = snapshot.with_changes(changes.clone());
    }
    if args.all {
        snapshot = snapshot.without_path_changes();
    }
    let root = PathBuf::from(snapshot.root());

    let (policy, policy_path) = match &args.policy_from {
        Some(rev) => load_policy_from_rev(&args.path, &root, rev, args.config.as_deref())?,
        None => load_policy(args.config.as_deref(), &root, &snapshot, is_worktree)?,
    };
    tracing::debug!(sources = ?policy.sources, "policy loaded");
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
    };
    let registry = Registry::builtin();
    let engine = Engine::with_selection(&registry, &policy, &selection)?;
    let fail_on = args
        .fail_on
        .map(FailOn::from)
        .unwrap_or(policy.settings.fail_on);
    let fail_tier = args
        .fail_tier
        .map(Tier::from)
        .unwrap_or(policy.settings.fail_tier);

    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = args.jobs {
        if jobs == 0 {
            bail!("--jobs must be at least 1");
        }
        pool = pool.num_threads(jobs);
    }
    let pool = pool.build().context("cannot start worker threads")?;
    let mut report = pool.install(|| engine.check(&snapshot));
    // Applied first, to the full report: an entry is stale only when its finding is absent from
    // what the rules found, not from what change mode later leaves out.
    let baseline = match crate::baseline::for_check(
        args.baseline.as_deref(),
        args.no_baseline,
        &root,
        &snapshot,
        is_worktree,
        &policy.settings,
    )? {
        // The policy of another commit judges the change: the change may shrink that commit's
        // baseline, never grow it.
        Some((mut baseline, shown)) => {
            if let (Some(rev), None) = (&args.policy_from, &args.baseline) {
                if let Some(theirs) = crate::baseline::at_rev(&args.path, rev, &shown)? {
                    baseline = baseline.intersect(&theirs);
                }
            }
            goldpath::baseline::apply(
                &mut report,
                &baseline,
                &shown,
                goldpath::baseline::Judged {
                    narrowed: !args.only.is_empty() || !args.skip.is_empty(),
                    changed: goldpath::Snapshot::changed(&snapshot),
                    files: goldpath::Snapshot::files(&snapshot),
                },
                engine.engine_level(goldpath::baseline::STALE_RULE),
            );
            Some(baseline)
        }
        None => None,
    };
    if change_mode && !args.all && !report.findings.is_empty() {
        // The base is judged by the rules that found something, in the same change mode: what
        // it reports too, the change did not introduce.
        let base = match &range {
            Some((_, merge_base, changes)) => Some(
                goldpath_git::open(&args.path, goldpath_git::Source::Rev(merge_base.clone()))?
                    .with_changes(changes.clone()),
            ),
            None => snapshot.base(),
        };
        if let Some(base) = base {
            let rules: std::collections::BTreeSet<String> =
                report.findings.iter().map(|f| f.rule.clone()).collect();
            let on_base = pool.install(|| engine.check_rules(&base, &rules));
            let dropped = report.retain_new(&on_base);
            tracing::debug!(
                dropped,
                "findings the base has too, not introduced by the change"
            );
        }
    }

    if let Some((head, merge_base, _)) = &range {
        if engine.rule_ids().contains(&SECRETS) {
            let found = pool.install(|| {
                history_secrets(&args.path, head, merge_base, &registry, &policy, &report)
            })?;
            let found = found
                .into_iter()
                .filter(|f| {
                    !baseline
                        .as_ref()
                        .is_some_and(|b| b.contains(&f.fingerprint))
                })
                .collect();
            report.add_findings(found);
        }
    }

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let options = render::Options {
        registry: &registry,
        anchor: render::anchor(Some(policy_path.as_str()), snapshot.files()),
        color,
    };
    let mut text = render::render(args.format.into(), &report, &options);
    if is_worktree && matches!(args.format, OutputFormat::Human) {
        text.push_str(&crate::fix::hint(&registry, &report));
    }
    if matches!(args.format, OutputFormat::Github) {
        append_step_summary(&render::markdown::render(&report))?;
    }
    for (format, path) in &args.report {
        let text = render::render(
            (*format).into(),
            &report,
            &render::Options {
                color: false,
                ..options
            },
        );
        write_report(path, &text, &root)?;
    }
    match &args.output {
        Some(path) => write_report(path, &text, &root)?,
        None => write_output(None, &text)?,
    }
    let above = report.above_fail_tier(fail_on, fail_tier);
    if above > 0 && matches!(args.format, OutputFormat::Human) {
        let higher = if fail_tier == Tier::Bronze {
            "silver or gold"
        } else {
            "gold"
        };
        eprintln!(
            "note: {above} finding{s} of tier {higher} {verb} not fail the run: the policy holds \
             this repository to {fail_tier} (`[settings] fail-tier`, or `--fail-tier`)",
            s = if above == 1 { "" } else { "s" },
            verb = if above == 1 { "does" } else { "do" },
        );
    }
    Ok(if report.fails_within(fail_on, fail_tier) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

const SECRETS: &str = "security/secrets";

/// Pull-request mode: runs `security/secrets` (with the policy's options) over the files the
/// pull request's commits added or modified and the head no longer has, so that a secret
/// committed and then deleted still fails the run: it stays in the history. Findings the head's
/// own check already has (same rule, path and secret) are not repeated.
fn history_secrets(
    repo: &Path,
    head: &str,
    merge_base: &str,
    registry: &Registry,
    policy: &Policy,
    report: &goldpath::engine::Report,
) -> Result<Vec<goldpath::finding::Finding>> {
    let history = goldpath_git::history_snapshots(repo, merge_base, head)?;
    tracing::debug!(
        commits = history.commits.len(),
        blobs = history
            .commits
            .iter()
            .map(|c| c.snapshot.files().len())
            .sum::<usize>(),
        "pull-request history listed"
    );
    if let Some(cut) = &history.cut {
        eprintln!("note: scanning the pull request's commits for secrets: {cut}");
    }
    let selection = Selection {
        only: vec![SECRETS.to_owned()],
        skip: Vec::new(),
    };
    let engine = Engine::with_selection(registry, policy, &selection)?;
    let mut known: std::collections::HashSet<String> = report
        .findings
        .iter()
        .chain(report.waived.iter().map(|w| &w.finding))
        .map(|f| f.fingerprint.clone())
        .collect();
    let mut found = Vec::new();
    for commit in &history.commits {
        let short = &commit.commit[..commit.commit.len().min(7)];
        for mut finding in engine.check(&commit.snapshot).findings {
            if finding.rule != SECRETS || !known.insert(finding.fingerprint.clone()) {
                continue;
            }
            finding.message = format!(
                "{} (in commit {short}; removed or changed later, but it stays in the history: \
                 rotate it)",
                finding.message
            );
            found.push(finding);
        }
    }
    tracing::debug!(
        commits = history.commits.len(),
        found = found.len(),
        "pull-request history scanned for secrets"
    );
    Ok(found)
}

/// Writes a report file the user named, refusing a symbolic link inside the repository (a pull
/// request can commit `goldpath.sarif -> /anywhere`).
pub(crate) fn write_report(path: &Path, text: &str, repository: &Path) -> Result<()> {
    goldpath::safe_write::write(path, text.as_bytes(), &[repository], None)
        .context("cannot write the report")
}

fn parse_report_arg(value: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, path) = value
        .split_once(':')
        .ok_or_else(|| format!("`{value}`: expected FORMAT:FILE, e.g. sarif:goldpath.sarif"))?;
    let format = OutputFormat::from_str(format, true).map_err(|_| {
        format!("`{format}` is not a format: human, json, sarif, github, markdown, gitlab, junit")
    })?;
    if path.is_empty() {
        return Err(format!("`{value}`: the file is missing"));
    }
    Ok((format, PathBuf::from(path)))
}

/// Appends to the job summary file GitHub Actions names in $GITHUB_STEP_SUMMARY, when set.
fn append_step_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot open $GITHUB_STEP_SUMMARY ({})",
                path.to_string_lossy()
            )
        })?;
    file.write_all(markdown.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .context("cannot write the job summary")
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    /// A table.
    Human,
    /// A JSON array of rules with their metadata.
    Json,
    /// The rules reference (docs/rules.md).
    Markdown,
}

/// Arguments of `goldpath rules`.
#[derive(Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "human")]
    format: ListFormat,
}

/// Runs `goldpath rules`.
pub fn rules(args: RulesArgs) -> Result<ExitCode> {
    let registry = Registry::builtin();
    let text = match args.format {
        ListFormat::Human => goldpath::docs::rules_table(&registry),
        ListFormat::Json => goldpath::docs::rules_json(&registry),
        ListFormat::Markdown => goldpath::docs::rules_markdown(&registry),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `goldpath explain`.
#[derive(Args)]
pub struct ExplainArgs {
    /// A rule id, such as `files/required`, or a built-in pack, such as `builtin:security`.
    rule: String,
}

/// Runs `goldpath explain`.
pub fn explain(args: ExplainArgs) -> Result<ExitCode> {
    if let Some(name) = args.rule.strip_prefix("builtin:") {
        let Some(text) = goldpath::policy::builtin_pack(name) else {
            let known: Vec<&str> = goldpath::policy::BUILTIN_PACKS
                .iter()
                .map(|(n, _)| *n)
                .collect();
            bail!(
                "unknown built-in pack `builtin:{name}` (known: {})",
                known.join(", ")
            );
        };
        let header = format!(
            "# builtin:{name}\n# A built-in policy pack: `extends = [\"builtin:{name}\"]` in goldpath.toml.\n\n"
        );
        write_output(None, &format!("{header}{text}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let registry = Registry::builtin();
    let Some(def) = registry.get(&args.rule) else {
        let hint = registry
            .closest(&args.rule)
            .map(|id| format!(" (did you mean `{id}`?)"))
            .unwrap_or_default();
        bail!(
            "unknown rule `{}`{hint}; `goldpath rules` lists them",
            args.rule
        );
    };
    write_output(None, &goldpath::docs::rule_markdown(def.meta, 1))?;
    Ok(ExitCode::SUCCESS)
}
