//! Errors of this crate. Each message says what went wrong and, where there is one, what to do.

use std::path::PathBuf;

/// Everything that can go wrong while opening a snapshot or reading git data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The path to check does not exist.
    #[error("{} does not exist: {source}", path.display())]
    PathNotFound {
        /// The path that was given.
        path: PathBuf,
        /// Why it could not be accessed.
        #[source]
        source: std::io::Error,
    },

    /// A source that needs a repository (`--staged`, `--rev`) was used outside of one.
    #[error(
        "{what} needs a git repository, and {} is not inside one; run it inside a git work tree \
         or check the plain directory without {what}",
        path.display()
    )]
    NotARepository {
        /// The option that needs a repository, like `--staged`.
        what: &'static str,
        /// The path that was given.
        path: PathBuf,
    },

    /// A source that needs a work tree or an index was used on a bare repository.
    #[error(
        "{} is a bare repository, which has no {what}; use --rev REV to check a commit instead",
        git_dir.display()
    )]
    BareRepository {
        /// What is missing: "work tree" or "index".
        what: &'static str,
        /// The repository's git directory.
        git_dir: PathBuf,
    },

    /// The repository was found but could not be opened.
    #[error("could not open the git repository at {}: {message}", path.display())]
    Open {
        /// Where the repository was looked for.
        path: PathBuf,
        /// What gix reported.
        message: String,
    },

    /// A revision did not resolve.
    #[error(
        "revision '{rev}' not found: {message}; give a branch, a tag, a commit id or an \
         expression like HEAD~1"
    )]
    RevisionNotFound {
        /// The revision as given.
        rev: String,
        /// What gix reported.
        message: String,
    },

    /// A revision resolved to an object that has no tree (a blob, for example).
    #[error("revision '{rev}' names a {kind}, not a commit or a tree; give a commit instead")]
    NotACommit {
        /// The revision as given.
        rev: String,
        /// The kind of object it names.
        kind: String,
    },

    /// The repository has no commit yet, so `HEAD` cannot be used.
    #[error("the repository at {} has no commits yet, so {what} cannot be computed; commit first", path.display())]
    NoHead {
        /// What needed `HEAD`.
        what: &'static str,
        /// The repository's git directory.
        path: PathBuf,
    },

    /// Two commits have no common ancestor.
    #[error(
        "'{base}' and HEAD have no common ancestor, so there is no change set to check; \
         fetch more history (a shallow clone cuts it off) or pick another base"
    )]
    NoMergeBase {
        /// The base revision as given.
        base: String,
    },

    /// The base commit of a pull request is not in a shallow clone.
    #[error(
        "the base revision '{base}' is not in this shallow clone ({message}); fetch it first, \
         e.g. `git fetch --no-tags --depth=1 origin <base-branch>` and `git fetch --deepen=100`, \
         or use actions/checkout with `fetch-depth: 0`"
    )]
    ShallowBase {
        /// The base revision as given.
        base: String,
        /// What gix reported.
        message: String,
    },

    /// Git configuration could not be read.
    #[error("could not read git configuration: {message}")]
    Config {
        /// What gix reported.
        message: String,
    },

    /// The index could not be read.
    #[error("could not read the git index at {}: {message}", path.display())]
    Index {
        /// The index file.
        path: PathBuf,
        /// What gix reported.
        message: String,
    },

    /// The object database could not deliver an object.
    #[error("could not read {what} from the git object database: {message}")]
    Object {
        /// What was being read.
        what: String,
        /// What gix reported.
        message: String,
    },

    /// A tree exceeds one of the limits on hostile input (entries, depth, path length).
    #[error("cannot read {what}: {message} (see docs/limits.md)")]
    Limit {
        /// What was being read.
        what: String,
        /// Which limit, and by what.
        message: String,
    },

    /// Listing files on disk failed.
    #[error("could not list the files under {}: {message}", path.display())]
    Walk {
        /// The directory being listed.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Renders an error with its chain of causes, skipping causes that repeat the previous message.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut last = out.clone();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !last.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        last = text;
        source = cause.source();
    }
    out
}
