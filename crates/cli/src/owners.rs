//! `goldpath owners`: who owns each path, according to the repository's CODEOWNERS file.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use clap::{Args, ValueEnum};
use goldpath::codeowners::{Ownership, Severity};
use goldpath::engine::ReadError;
use goldpath::policy::Platform;
use goldpath::render::escape::terminal;
use goldpath::rules::ownership::{
    check_work, owners_of_all_where, pattern_text, Codeowners, CodeownersFile, ParsedAhead,
};
use goldpath::Snapshot;
use serde::Serialize;

#[derive(Clone, Copy, ValueEnum)]
enum OwnersFormat {
    /// One line per path: `path<TAB>owners<TAB>CODEOWNERS:line`.
    Tsv,
    /// A JSON document with each section's decision.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlatformArg {
    Github,
    Gitlab,
}

/// Arguments of `goldpath owners`.
#[derive(Args)]
#[command(
    after_help = "Output (tsv): one line per path, `path<TAB>owners<TAB>CODEOWNERS:LINE`, \
    owners separated by spaces; the owners field is empty for an unowned path, and the third \
    field is empty when no rule matches. On GitLab the owners of every section are joined and \
    the line is that of the first section's deciding rule; --format json lists each section. \
    A tab, newline, carriage return or backslash in a path is written as \\t, \\n, \\r or \\\\.\n\n\
    PATHs are relative to the current directory when it is inside the repository (as with \
    git), otherwise to the repository's top level; a directory stands for every file under it.\n\n\
    Exit status: 0; 1 with --unowned when some file is unowned; 2 when the run failed.\n\n\
    Examples:\n  goldpath owners                       every file with its owners\n  \
    goldpath owners --unowned             files without an owner (exit 1 if any)\n  \
    goldpath owners src/main.rs docs/     the owners of a file and of a directory's files\n  \
    goldpath owners --rev main -f json    as of a commit, in JSON"
)]
pub struct OwnersArgs {
    /// Files or directories to show (default: every file of the repository).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Show only files without an owner; exit 1 when there is one.
    #[arg(long)]
    unowned: bool,

    /// Read a commit's tree (a branch, tag, SHA, HEAD~2) instead of the work tree.
    #[arg(long, value_name = "REV")]
    rev: Option<String>,

    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "tsv")]
    format: OwnersFormat,

    /// The repository [default: the current directory].
    #[arg(long, value_name = "DIR", default_value = ".")]
    repo: PathBuf,

    /// The CODEOWNERS dialect [default: `[settings] platform` of the repository's policy, else
    /// github].
    #[arg(long, value_enum)]
    platform: Option<PlatformArg>,
}

/// Runs `goldpath owners`.
/// The first of GitHub's CODEOWNERS locations under `repo` that is a regular file no larger
/// than GitHub reads, parsed as GitHub reads it. A guess made before the snapshot exists: the
/// snapshot's own choice and read decide, and the guess counts only if the bytes agree.
fn parse_ahead(repo: &Path) -> Option<ParsedAhead> {
    let limit = goldpath::codeowners::MAX_GITHUB_BYTES as u64;
    let location = goldpath::codeowners::locations(goldpath::codeowners::Dialect::GitHub)
        .iter()
        .map(|location| repo.join(location))
        .find(|path| std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file()))?;
    let bytes = goldpath_git::read_work_tree_file(&location, limit)
        .ok()?
        .ok()?;
    Some(ParsedAhead::new(bytes, Platform::GitHub))
}

pub fn run(args: OwnersArgs) -> Result<ExitCode> {
    let source = match &args.rev {
        Some(rev) => goldpath_git::Source::Rev(rev.clone()),
        // Ownership is about tracked files (what a pull request can change), and the index
        // lists them without walking the work tree, as fast as `git ls-files`.
        None => goldpath_git::Source::Tracked,
    };
    let is_worktree = args.rev.is_none();
    // The CODEOWNERS file of the work tree is parsed on a thread of its own while the index is
    // read; the parse is used only if the file the snapshot chooses has the same bytes.
    let (snapshot, ahead) = std::thread::scope(|scope| {
        let ahead = is_worktree.then(|| scope.spawn(|| parse_ahead(&args.repo)));
        let snapshot = goldpath_git::open(&args.repo, source);
        (
            snapshot,
            ahead.and_then(|handle| handle.join().ok().flatten()),
        )
    });
    let snapshot = snapshot?;
    let root = PathBuf::from(snapshot.root());
    let (policy, _) = crate::shared::load_policy(None, &root, &snapshot, is_worktree)
        .context("cannot load the policy (for `[settings] platform`)")?;
    let platform = match args.platform {
        Some(PlatformArg::Github) => Platform::GitHub,
        Some(PlatformArg::Gitlab) => Platform::GitLab,
        None => policy.settings.platform,
    };
    let limit = policy.settings.max_read_bytes;
    let owners = Codeowners::load_reusing(
        snapshot.files(),
        platform,
        |f| snapshot.size(f).map_err(|e| ReadError::Io(e.to_string())),
        |f| {
            let size = snapshot.size(f).map_err(|e| ReadError::Io(e.to_string()))?;
            if size > limit {
                return Err(ReadError::TooLarge { size, limit });
            }
            snapshot
                .read(f)
                .map(Cow::Owned)
                .map_err(|e| ReadError::Io(e.to_string()))
        },
        ahead.filter(|_| platform == Platform::GitHub),
    );
    tracing::debug!(
        codeowners = ?owners.file.as_ref().map(|f| f.path.as_str()),
        rules = owners.rules().map_or(0, |r| r.rules().len()),
        "CODEOWNERS loaded"
    );
    warn_about(&owners);

    let work_tree = snapshot
        .repo_info()
        .map(|info| info.work_tree.clone())
        .unwrap_or_else(|| Some(root.clone()));
    let paths = targets(&args.paths, &snapshot, work_tree.as_deref())?;
    // With --unowned only the unowned paths keep their ownership.
    let ownership: Vec<(usize, Ownership<'_>)> = match owners.rules() {
        Some(rules) => {
            check_work(rules, &paths)?;
            owners_of_all_where(rules, &paths, |who| !args.unowned || !who.is_owned())
        }
        None => (0..paths.len())
            .map(|i| (i, Ownership::default()))
            .collect(),
    };
    tracing::debug!(paths = paths.len(), "owners matched");
    let shown: Vec<(&str, &Ownership<'_>)> = ownership
        .iter()
        .map(|(i, who)| (paths[*i].as_ref(), who))
        .collect();
    let file = owners.file.as_ref();
    let text = match args.format {
        OwnersFormat::Tsv => tsv(&shown, file),
        OwnersFormat::Json => json_report(&shown, &owners),
    };
    write_stdout(&text)?;
    let code = if args.unowned && !shown.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // Freeing a large tree's listing, index and answers one allocation at a time is a tenth of
    // the run, and the process ends next: leave them to the exit.
    std::mem::forget(shown);
    std::mem::forget(ownership);
    std::mem::forget(paths);
    std::mem::forget(owners);
    std::mem::forget(snapshot);
    Ok(code)
}

/// Says on stderr when the answer is not what the CODEOWNERS file seems to say.
fn warn_about(owners: &Codeowners) {
    let platform = owners.platform.name();
    let Some(file) = &owners.file else {
        eprintln!(
            "goldpath: warning: no CODEOWNERS file ({platform} reads {}): no file has an owner",
            terminal(&owners.locations_text())
        );
        return;
    };
    if let Some(why) = &file.unusable {
        eprintln!(
            "goldpath: warning: `{}` gives no owner to any file: {}",
            terminal(&file.path),
            terminal(&why.describe())
        );
        return;
    }
    let errors = file
        .diagnostics()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "goldpath: warning: `{}` has {errors} error{} ({platform} skips or misreads those \
             lines); `goldpath check --only 'ownership/*'` shows where",
            terminal(&file.path),
            if errors == 1 { "" } else { "s" }
        );
    }
}

/// The repository paths the arguments name, in order; every file when there is none.
fn targets<'s>(
    args: &[PathBuf],
    snapshot: &'s dyn Snapshot,
    work_tree: Option<&Path>,
) -> Result<Vec<Cow<'s, str>>> {
    let files = snapshot.files();
    let all = || {
        files
            .iter()
            .map(|f| Cow::Borrowed(f.path.as_str()))
            .collect::<Vec<_>>()
    };
    if args.is_empty() {
        return Ok(all());
    }
    let base = current_dir_in(work_tree);
    let mut out = Vec::new();
    for arg in args {
        let path = repo_relative(arg, base.as_deref(), work_tree)?;
        if path.is_empty() {
            out.extend(all());
            continue;
        }
        if let Ok(i) = files.binary_search_by(|f| f.path.as_str().cmp(&path)) {
            out.push(Cow::Borrowed(files[i].path.as_str()));
            continue;
        }
        let prefix = format!("{path}/");
        let start = files.partition_point(|f| f.path.as_str() < prefix.as_str());
        let under: Vec<Cow<'s, str>> = files[start..]
            .iter()
            .take_while(|f| f.path.starts_with(&prefix))
            .map(|f| Cow::Borrowed(f.path.as_str()))
            .collect();
        if under.is_empty() {
            eprintln!(
                "goldpath: warning: `{}` is not a tracked file of the repository; showing the \
                 owners it would have",
                terminal(&path)
            );
            out.push(Cow::Owned(path));
        } else {
            out.extend(under);
        }
    }
    Ok(out)
}

/// The current directory relative to the work tree's top level, when it is inside it.
fn current_dir_in(work_tree: Option<&Path>) -> Option<PathBuf> {
    let top = std::fs::canonicalize(work_tree?).ok()?;
    let cwd = std::env::current_dir().ok()?;
    let cwd = std::fs::canonicalize(cwd).ok()?;
    cwd.strip_prefix(&top).ok().map(Path::to_path_buf)
}

/// A command-line path as a `/`-separated path from the repository's top level (empty for the
/// top level itself).
fn repo_relative(arg: &Path, base: Option<&Path>, work_tree: Option<&Path>) -> Result<String> {
    let joined = if arg.is_absolute() {
        let top = work_tree
            .and_then(|t| std::fs::canonicalize(t).ok())
            .with_context(|| format!("{}: an absolute path needs a work tree", arg.display()))?;
        let absolute = std::fs::canonicalize(arg).unwrap_or_else(|_| arg.to_path_buf());
        match absolute.strip_prefix(&top) {
            Ok(rest) => rest.to_path_buf(),
            Err(_) => bail!("{} is outside the repository", arg.display()),
        }
    } else {
        base.map_or_else(|| arg.to_path_buf(), |b| b.join(arg))
    };
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                if parts.pop().is_none() {
                    bail!("{} is outside the repository", arg.display());
                }
            }
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
        }
    }
    Ok(parts.join("/"))
}

/// The owners of all sections, each once, in order.
fn all_owners<'a>(who: &'a Ownership<'_>) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for owner in who.owners() {
        if !names.contains(&owner.text.as_str()) {
            names.push(&owner.text);
        }
    }
    names
}

/// A TSV field: tabs, line breaks and backslashes escaped so each path stays one field of one
/// line, and every other control character (ESC, BEL, DEL, C1: terminal escape sequences in a
/// committed file name or CODEOWNERS owner) as `\xNN` or `\u{NNNN}`, so none reaches the
/// terminal.
fn tsv_escape(text: &str) -> Cow<'_, str> {
    if !text.contains(|c: char| c == '\\' || c.is_control()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn tsv(shown: &[(&str, &Ownership<'_>)], file: Option<&CodeownersFile>) -> String {
    let mut out = String::with_capacity(shown.len() * 48);
    for (path, who) in shown {
        out.push_str(&tsv_escape(path));
        out.push('\t');
        out.push_str(&tsv_escape(&all_owners(who).join(" ")));
        out.push('\t');
        if let (Some(file), Some(first)) = (file, who.decisions().first()) {
            out.push_str(&tsv_escape(&file.at(first.rule.line)));
        }
        out.push('\n');
    }
    out
}

/// `--format json`: fields in this order, documented in docs/ownership.md.
#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    platform: &'static str,
    codeowners: Option<&'a str>,
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    owners: Vec<&'a str>,
    line: Option<usize>,
    sections: Vec<JsonSection<'a>>,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    section: Option<&'a str>,
    owners: Vec<&'a str>,
    line: usize,
    pattern: String,
    excluded: bool,
}

fn json_report(shown: &[(&str, &Ownership<'_>)], owners: &Codeowners) -> String {
    let files = shown
        .iter()
        .map(|&(path, who)| JsonFile {
            path,
            owners: all_owners(who),
            line: who.decisions().first().map(|d| d.rule.line),
            sections: who
                .decisions()
                .iter()
                .map(|d| JsonSection {
                    section: d.section.map(|s| s.name.as_str()),
                    owners: d.owners().iter().map(|o| o.text.as_str()).collect(),
                    line: d.rule.line,
                    pattern: pattern_text(d.rule),
                    excluded: d.excluded,
                })
                .collect(),
        })
        .collect();
    let report = JsonReport {
        version: 1,
        platform: owners.platform.as_str(),
        codeowners: owners.file.as_ref().map(|f| f.path.as_str()),
        files,
    };
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`goldpath owners | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write the output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_current_directory_inside_the_repository() {
        let rel = |arg: &str, base: Option<&str>| {
            repo_relative(Path::new(arg), base.map(Path::new), None).map_err(|e| e.to_string())
        };
        assert_eq!(rel("src/main.rs", None).unwrap(), "src/main.rs");
        assert_eq!(rel("./a/../b/", None).unwrap(), "b");
        assert_eq!(rel("main.rs", Some("src")).unwrap(), "src/main.rs");
        assert_eq!(rel("..", Some("src")).unwrap(), "");
        assert!(rel("../x", None).unwrap_err().contains("outside"));
    }

    #[test]
    fn tsv_escapes_separators() {
        assert_eq!(tsv_escape("a\tb\\c\n"), "a\\tb\\\\c\\n");
        assert!(matches!(tsv_escape("plain"), Cow::Borrowed(_)));
        let hostile =
            "a\r\n## Tier reached: gold\u{1b}]8;;x\u{7}`|[x](javascript:alert(1))\u{9b}.txt";
        let field = tsv_escape(hostile);
        assert!(!field.contains(|c: char| c.is_control()), "{field:?}");
        assert_eq!(
            field,
            "a\\r\\n## Tier reached: gold\\x1b]8;;x\\x07`|[x](javascript:alert(1))\\x9b.txt"
        );
    }
}
