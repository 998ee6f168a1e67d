//! `goldpath fix`: apply the fixes rules offer, in the work tree.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use goldpath::fix::{self, FilePlan, FixOptions};
use goldpath::{Engine, Finding, Registry, Selection, Snapshot};

/// The long help of `goldpath fix` (`goldpath fix --help`).
pub const LONG_ABOUT: &str =
    "Fix what can be fixed without a person: rules that know how (`goldpath rules \
        --format json` marks them `fixable`; docs/fix.md lists each fix) insert the missing keys \
        into workflows and catalog files, and create SECURITY.md, CODEOWNERS and \
        .github/dependabot.yml from templates. Edits are insertions at the right place with the \
        file's own indentation and line endings: formatting and comments stay as they were.\n\n\
        Only the work tree is changed (never the index or a commit: review with `git diff`, then \
        commit). Nothing is written outside the repository: no path with `..`, nothing under \
        .git, and never through a symbolic link (a linked directory or file is refused). Fixes \
        that would overlap an earlier one wait for the next run.\n\n\
        With --dry-run nothing is written: the changes are printed as a unified diff that `git \
        apply` accepts.\n\n\
        Values goldpath cannot guess (the owner of a new CODEOWNERS, the security contact of a \
        new SECURITY.md) come from --owner and --security-contact, or are written as TODO \
        placeholders that goldpath fix lists afterwards.\n\n\
        Exit status: 0 when the fixes were applied or there was nothing to fix (findings that \
        need a person are listed, not counted as failure); 2 when the run failed or a file \
        could not be written.";

/// Arguments of `goldpath fix`.
#[derive(Args)]
#[command(
    after_help = "Examples:\n  goldpath fix --dry-run                   show what would change\n  \
        goldpath fix                             apply every fix\n  \
        goldpath fix --only 'ci/*'               only the CI rules' fixes\n  \
        goldpath fix --owner @acme/platform      a CODEOWNERS owned by that team"
)]
pub struct FixArgs {
    /// The repository (or plain directory) to fix.
    #[arg(default_value = ".")]
    path: PathBuf,

    /// Print the changes as a unified diff and write nothing.
    #[arg(long, short = 'n')]
    dry_run: bool,

    /// Apply only the fixes of these rules (ids or globs such as `ci/*`; repeat or separate
    /// with commas).
    #[arg(long, value_name = "IDS")]
    only: Vec<String>,

    /// Do not apply the fixes of these rules (ids or globs; repeat or separate with commas).
    #[arg(long, value_name = "IDS")]
    skip: Vec<String>,

    /// Use this policy file instead of discovering one in the repository.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,

    /// The default owner of a new CODEOWNERS file: @user, @org/team or an email address
    /// [default: the placeholder @TODO-org/TODO-team].
    #[arg(long, value_name = "OWNER")]
    owner: Option<String>,

    /// Where a new SECURITY.md asks people to report vulnerabilities: an email address or a
    /// URL [default: a TODO placeholder address].
    #[arg(long, value_name = "CONTACT")]
    security_contact: Option<String>,

    /// Not supported: fix changes only the work tree.
    #[arg(long, hide = true)]
    staged: bool,

    /// Not supported: fix changes only the work tree.
    #[arg(long, hide = true, value_name = "REV")]
    rev: Option<String>,
}

/// Runs `goldpath fix`.
pub fn run(args: FixArgs) -> Result<ExitCode> {
    if args.staged || args.rev.is_some() {
        bail!(
            "goldpath fix changes the work tree only; it does not take --staged or --rev \
             (fix the work tree, then `git add` what you keep)"
        );
    }
    let snapshot = goldpath_git::open(&args.path, goldpath_git::Source::Worktree)?;
    let root = PathBuf::from(snapshot.root());
    let (policy, _) = crate::shared::load_policy(args.config.as_deref(), &root, &snapshot, true)?;
    if let Some(owner) = &args.owner {
        if let Err(e) = goldpath::rules::ownership::codeowners_missing::check_owner(
            owner,
            policy.settings.platform,
        ) {
            bail!("--owner: {e}");
        }
    }
    if let Some(contact) = &args.security_contact {
        if let Err(e) = goldpath::rules::security::security_policy::check_contact(contact) {
            bail!("--security-contact: {e}");
        }
    }
    let options = FixOptions {
        owner: args.owner.clone(),
        security_contact: args.security_contact.clone(),
    };
    let selection = Selection {
        only: args.only.clone(),
        skip: args.skip.clone(),
    };
    let registry = Registry::builtin();
    let engine = Engine::with_selection(&registry, &policy, &selection)?.with_fix_options(options);
    let report = engine.check(&snapshot);
    let plan = fix::plan(&snapshot, &report);
    tracing::debug!(
        files = plan.files.len(),
        applied = plan.applied.len(),
        skipped = plan.skipped.len(),
        "fix plan"
    );

    let mut stderr = std::io::stderr().lock();
    for skipped in &plan.skipped {
        let finding = &report.findings[skipped.finding];
        let _ = writeln!(
            stderr,
            "goldpath fix: {} {} ({}): {}",
            if skipped.retry { "skipped" } else { "refused" },
            finding.rule,
            where_(finding),
            skipped.reason
        );
    }
    // A fix that cannot be applied at all (rather than one that waits for the next run) is an
    // error of the run.
    let cannot = plan.skipped.iter().any(|s| !s.retry);
    let mut refused: BTreeSet<usize> = BTreeSet::new();
    let mut ready: Vec<&FilePlan> = Vec::new();
    for file in &plan.files {
        match fix::preflight(&root, file) {
            Ok(()) => ready.push(file),
            Err(e) => {
                let _ = writeln!(stderr, "goldpath fix: refused: {e}");
                refused.extend(&file.findings);
            }
        }
    }

    if args.dry_run {
        let mut diff = String::new();
        for file in &ready {
            diff.push_str(&fix::unified_diff(
                &file.path,
                file.old.as_deref(),
                &file.new,
            ));
        }
        crate::shared::write_output(None, &diff)?;
        let fixes = applied_fixes(&plan.applied, &refused);
        if ready.is_empty() {
            let _ = writeln!(stderr, "goldpath fix: --dry-run: nothing to fix");
        } else {
            let _ = writeln!(
                stderr,
                "goldpath fix: --dry-run: would apply {fixes} {} in {} {}; nothing was written",
                plural(fixes, "fix", "fixes"),
                ready.len(),
                plural(ready.len(), "file", "files"),
            );
        }
        return Ok(ExitCode::SUCCESS);
    }

    let mut failed = cannot || !refused.is_empty();
    let mut written: Vec<&FilePlan> = Vec::new();
    for file in ready {
        match fix::write(&root, file) {
            Ok(()) => written.push(file),
            Err(e) => {
                let _ = writeln!(stderr, "goldpath fix: cannot write: {e}");
                refused.extend(&file.findings);
                failed = true;
            }
        }
    }
    drop(stderr);

    let mut out = String::new();
    for file in &written {
        let mut rules: Vec<&str> = file
            .findings
            .iter()
            .map(|i| report.findings[*i].rule.as_str())
            .collect();
        rules.dedup();
        out.push_str(&format!(
            "{} {}  ({})\n",
            if file.old.is_none() {
                "created"
            } else {
                "fixed  "
            },
            file.path,
            rules.join(", ")
        ));
    }
    let placeholders: Vec<&str> = written
        .iter()
        .filter(|f| {
            let before = f.old.as_deref().map_or(0, |o| o.matches(fix::TODO).count());
            f.new.matches(fix::TODO).count() > before
        })
        .map(|f| f.path.as_str())
        .collect();
    if !placeholders.is_empty() {
        out.push_str(&format!(
            "\nplaceholders to replace (search for {}): {}\n",
            fix::TODO,
            placeholders.join(", ")
        ));
    }

    // What is left: the same rules on the fixed work tree.
    let after = goldpath_git::open(&root, goldpath_git::Source::Worktree)?;
    let remaining = engine.check(&after);
    let fixes = applied_fixes(&plan.applied, &refused);
    let fixable = remaining
        .findings
        .iter()
        .filter(|f| f.fix.is_some())
        .count();
    let left: Vec<&Finding> = remaining.findings.iter().collect();
    if written.is_empty() {
        out.push_str("goldpath fix: nothing to fix");
    } else {
        out.push_str(&format!(
            "\ngoldpath fix: applied {fixes} {} in {} {}",
            plural(fixes, "fix", "fixes"),
            written.len(),
            plural(written.len(), "file", "files"),
        ));
    }
    out.push_str(&format!(
        "; {} {} left",
        left.len(),
        plural(left.len(), "finding", "findings"),
    ));
    if fixable > 0 {
        out.push_str(&format!(
            " ({fixable} fixable by running goldpath fix again, the rest need a person)"
        ));
    } else if !left.is_empty() {
        out.push_str(" that need a person");
    }
    out.push('\n');
    for finding in &left {
        out.push_str(&format!(
            "  {}  {}  {}\n",
            where_(finding),
            finding.rule,
            finding.message
        ));
    }
    crate::shared::write_output(None, &out)?;
    Ok(if failed {
        ExitCode::from(crate::EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// The line `goldpath check` adds to its human output on the work tree when findings come
/// from rules that `goldpath fix` repairs (empty when none do). It counts by rule, without
/// computing the fixes, so a check costs no more for it.
pub(crate) fn hint(registry: &Registry, report: &goldpath::Report) -> String {
    let count = report
        .findings
        .iter()
        .filter(|f| registry.get(&f.rule).is_some_and(|d| d.meta.fixable))
        .filter(|f| !goldpath::fix::placeholder::reported(f))
        .count();
    if count == 0 {
        return String::new();
    }
    format!(
        "{count} {} from rules that `goldpath fix` repairs: `goldpath fix --dry-run` shows the \
         changes\n",
        plural(count, "finding is", "findings are")
    )
}

/// The number of fixes taken, less those whose file was refused or failed to be written.
fn applied_fixes(applied: &[usize], refused: &BTreeSet<usize>) -> usize {
    applied.iter().filter(|i| !refused.contains(i)).count()
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `path:line:column`, `path`, or `(repository)`.
fn where_(finding: &Finding) -> String {
    match (&finding.path, &finding.span) {
        (Some(path), Some(span)) => format!("{path}:{}:{}", span.line, span.column),
        (Some(path), None) => path.clone(),
        (None, _) => "(repository)".to_owned(),
    }
}
