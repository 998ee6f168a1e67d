//! What a rule sees of a snapshot: [`Context`] (the files it judges, their contents read once,
//! values derived from them and shared between rules, the settings and fix options) and
//! [`ReadError`]. It sits below the rules and the engine, so a rule author reads it without
//! the engine that builds it.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use crate::edit::FixOptions;
use crate::policy::Settings;
use crate::snapshot::{FileEntry, Snapshot};

/// Why a file's contents are not available to a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Larger than `settings.max-read-bytes`.
    #[error("{size} bytes, over the {limit}-byte read limit (settings.max-read-bytes)")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not valid UTF-8 where text was expected.
    #[error("not valid UTF-8 text")]
    NotUtf8,
    /// A symlink or submodule: it has no contents of its own.
    #[error("not a regular file")]
    NotRegular,
    /// The source failed.
    #[error("cannot read: {0}")]
    Io(String),
}

pub(crate) type Content = Result<Vec<u8>, ReadError>;

/// The files read up front, by key (a file's index in its snapshot): a rule that reads 83,000
/// files looked each one up in a hash map, and the map was built by hashing each of them too.
#[derive(Debug, Default)]
pub(crate) struct Contents {
    slots: Vec<Option<Content>>,
    count: usize,
}

impl Contents {
    pub(crate) fn new(read: Vec<(usize, Content)>) -> Self {
        let len = read.iter().map(|(key, _)| key + 1).max().unwrap_or(0);
        let mut slots = Vec::with_capacity(len);
        slots.resize_with(len, || None);
        let count = read.len();
        for (key, content) in read {
            slots[key] = Some(content);
        }
        Self { slots, count }
    }

    pub(crate) fn get(&self, key: &usize) -> Option<&Content> {
        self.slots.get(*key)?.as_ref()
    }

    /// How many files were read.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Content> {
        self.slots.iter().flatten()
    }
}

/// What one rule sees of a snapshot.
pub struct Context<'a> {
    pub(crate) snapshot: &'a dyn Snapshot,
    pub(crate) all: &'a [&'a FileEntry],
    pub(crate) files: &'a [&'a FileEntry],
    /// The names of `files`, indexed on first search ([`Context::files_matching`]).
    pub(crate) names: &'a OnceLock<crate::select::Names>,
    /// The names of `all`, the same ([`Context::all_files_matching`]).
    pub(crate) all_names: &'a OnceLock<crate::select::Names>,
    pub(crate) wanted: Vec<&'a FileEntry>,
    pub(crate) contents: &'a Contents,
    pub(crate) settings: &'a Settings,
    pub(crate) memo: &'a Memo,
    pub(crate) fix_options: Option<&'a FixOptions>,
    /// For a repository-wide rule, the keys of the files it wants: a read of any other file
    /// (even one another rule wanted, served from the engine's cache) is recorded in
    /// `read_outside`, to compare with the rule's declared inputs.
    pub(crate) audit: Option<std::collections::HashSet<usize>>,
    pub(crate) read_outside: Mutex<Vec<String>>,
}

/// Values derived from files (parsed documents, workflow models, ownership tables), computed
/// once per check and shared by every rule that asks for them.
#[derive(Default)]
pub(crate) struct Memo {
    #[allow(clippy::type_complexity)]
    slots: Mutex<HashMap<(TypeId, &'static str, usize), Arc<OnceLock<Arc<dyn Any + Send + Sync>>>>>,
}

impl Memo {
    pub(crate) fn get_or_init<T: Any + Send + Sync>(
        &self,
        kind: &'static str,
        key: usize,
        build: impl FnOnce() -> T,
    ) -> Arc<T> {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            slots
                .entry((TypeId::of::<T>(), kind, key))
                .or_default()
                .clone()
        };
        // Built outside the lock: a rule asking for the same value waits on the OnceLock,
        // rules asking for other values do not wait at all.
        let value = slot
            .get_or_init(|| Arc::new(build()) as Arc<dyn Any + Send + Sync>)
            .clone();
        value
            .downcast::<T>()
            .expect("memo slots are keyed by TypeId, so the stored value has type T")
    }
}

impl<'a> Context<'a> {
    /// Runs `work` on every item, on all of the check's threads: for a rule that prepares
    /// many independent files (each parsed into a [`memo`](Self::memo)) before it walks them
    /// in order, so that the first rule to ask does not parse them all on one thread while
    /// the other threads wait for it.
    ///
    /// Never call it from inside a memo's `build`: a thread waiting for its items may pick
    /// up another rule, and if that rule asks for the memo being built on this very thread,
    /// the check deadlocks. Per-file memos built by `work` itself are fine.
    pub fn each_parallel<T: Sync>(&self, items: &[T], work: impl Fn(&T) + Sync + Send) {
        use rayon::prelude::*;
        items.par_iter().for_each(work);
    }

    /// The files this rule judges: every file, or in change mode only the changed ones when
    /// the rule's scope is per-file. Excluded paths are never here.
    pub fn files(&self) -> &[&'a FileEntry] {
        self.files
    }

    /// The files this rule judges ([`files`](Self::files)) that one of `globs` matches, found
    /// without matching every path: globs with a literal directory look only inside it, globs
    /// that match anywhere only at names holding their literal part ([`crate::select`]).
    pub fn files_matching(&self, globs: &crate::glob::GlobList) -> Vec<&'a FileEntry> {
        crate::select::matching(globs, self.files, self.names)
    }

    /// The files of [`all_files`](Self::all_files) that one of `globs` matches, found as
    /// [`files_matching`](Self::files_matching) finds them.
    pub fn all_files_matching(&self, globs: &crate::glob::GlobList) -> Vec<&'a FileEntry> {
        crate::select::matching(globs, self.all, self.all_names)
    }

    /// Every file of the snapshot except excluded and skipped (vendored, generated) ones,
    /// whatever the scope. `snapshot().files()` has them all.
    pub fn all_files(&self) -> &[&'a FileEntry] {
        self.all
    }

    /// The judged regular files that match the rule's [`Rule::wants`](crate::rule::Rule::wants) globs, already read.
    pub fn wanted(&self) -> &[&'a FileEntry] {
        &self.wanted
    }

    /// The paths changed against the base, in change mode.
    pub fn changed(&self) -> Option<&BTreeSet<String>> {
        self.snapshot.changed()
    }

    /// A value derived from a file, computed once per check whatever the number of rules that
    /// ask for it: `kind` names the derivation (such as `"workflow"`), and the value's type is
    /// part of the key. Use it for parsing that several rules share.
    pub fn memo<T: Any + Send + Sync>(
        &self,
        kind: &'static str,
        file: &FileEntry,
        build: impl FnOnce() -> T,
    ) -> Arc<T> {
        self.memo.get_or_init(kind, file.key, build)
    }

    /// A repository-wide derived value (one per check), such as an ownership table built from
    /// several files.
    pub fn memo_repo<T: Any + Send + Sync>(
        &self,
        kind: &'static str,
        build: impl FnOnce() -> T,
    ) -> Arc<T> {
        self.memo.get_or_init(kind, usize::MAX, build)
    }

    /// The documents of a JSON, YAML or TOML file (by extension), parsed once per check.
    /// `None` when the extension is not one of those; an unreadable file is a parse error
    /// at 1:1 with the read error's text.
    pub fn documents(
        &self,
        file: &FileEntry,
    ) -> Option<Arc<Result<Vec<crate::doc::Node>, crate::doc::ParseError>>> {
        let format = crate::doc::Format::from_path(&file.path)?;
        Some(self.memo("documents", file, || match self.text(file) {
            Ok(text) => crate::doc::parse(format, &text),
            Err(e) => Err(crate::doc::ParseError {
                message: e.to_string(),
                span: crate::span::LineIndex::new("").span(0, 0),
            }),
        }))
    }

    /// Whether the engine was asked for fixes (`goldpath fix`), and with which options. Rules
    /// that can fix a violation attach a [`Fix`](crate::edit::Fix) to it only then, so a plain
    /// check never pays for computing them.
    pub fn fix_options(&self) -> Option<&'a FixOptions> {
        self.fix_options
    }

    /// The policy's `[settings]`.
    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// The underlying snapshot.
    pub fn snapshot(&self) -> &'a dyn Snapshot {
        self.snapshot
    }

    /// A file's size, without reading it when the source knows it.
    pub fn size(&self, file: &FileEntry) -> Result<u64, ReadError> {
        // A file read up front (or found too large to read) needs no second look-up.
        match self.contents.get(&file.key) {
            Some(Ok(bytes)) => return Ok(bytes.len() as u64),
            Some(Err(ReadError::TooLarge { size, .. })) => return Ok(*size),
            _ => {}
        }
        self.snapshot
            .size(file)
            .map_err(|e| ReadError::Io(e.to_string()))
    }

    /// A file's bytes: from the engine's cache when the rule wanted the file, otherwise read now.
    pub fn read(&self, file: &FileEntry) -> Result<Cow<'a, [u8]>, ReadError> {
        if let Some(wanted) = &self.audit {
            if !wanted.contains(&file.key) {
                self.read_outside
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner())
                    .push(file.path.clone());
            }
        }
        if let Some(content) = self.contents.get(&file.key) {
            return content.as_deref().map(Cow::Borrowed).map_err(Clone::clone);
        }
        tracing::debug!(path = %file.path, "read outside the rule's declared wants");
        read_file(self.snapshot, file, self.settings.max_read_bytes).map(Cow::Owned)
    }

    /// A file's text. A leading byte-order mark is kept; non-UTF-8 is [`ReadError::NotUtf8`].
    pub fn text(&self, file: &FileEntry) -> Result<Cow<'a, str>, ReadError> {
        match self.read(file)? {
            Cow::Borrowed(bytes) => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|_| ReadError::NotUtf8),
            Cow::Owned(bytes) => String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|_| ReadError::NotUtf8),
        }
    }
}

pub(crate) fn read_file(snapshot: &dyn Snapshot, file: &FileEntry, limit: u64) -> Content {
    if !file.mode.is_regular() {
        return Err(ReadError::NotRegular);
    }
    match snapshot.read_within(file, limit) {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(size)) => Err(ReadError::TooLarge { size, limit }),
        Err(e) => Err(ReadError::Io(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn contents_are_found_by_key_and_absent_keys_are_not_read() {
        let contents = Contents::new(vec![
            (3, Ok(b"three".to_vec())),
            (0, Err(ReadError::NotUtf8)),
        ]);
        assert_eq!(contents.len(), 2);
        assert_eq!(contents.values().count(), 2);
        assert_eq!(
            contents.get(&3).map(|c| c.as_deref().ok()),
            Some(Some(&b"three"[..]))
        );
        assert!(matches!(contents.get(&0), Some(Err(ReadError::NotUtf8))));
        assert!(contents.get(&1).is_none());
        assert!(contents.get(&99).is_none());
        assert!(Contents::default().get(&0).is_none());
    }

    #[test]
    fn memo_builds_each_value_once_and_keys_by_type() {
        let memo = Memo::default();
        let builds = AtomicUsize::new(0);
        let build = || {
            builds.fetch_add(1, Ordering::SeqCst);
            41_u32
        };
        let a = memo.get_or_init("answer", 7, build);
        let b = memo.get_or_init("answer", 7, build);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        // Another file, another type: separate slots.
        memo.get_or_init("answer", 8, build);
        let text = memo.get_or_init("answer", 7, || "text".to_owned());
        assert_eq!(*text, "text");
        assert_eq!(builds.load(Ordering::SeqCst), 2);
    }
}
