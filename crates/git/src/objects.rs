//! Reading blobs from the object database from many threads at once.

use std::io;
use std::sync::Mutex;

/// At most this many thread-local repository handles are kept for reuse.
const POOL_LIMIT: usize = 64;

/// Shares one repository between threads.
///
/// `gix::Repository` is not `Sync`, so each read borrows a thread-local handle from a small pool
/// (creating one from the [`gix::ThreadSafeRepository`] when the pool is empty) and returns it
/// afterwards. Handles keep their object caches and open pack files between reads.
pub(crate) struct ObjectReader {
    repo: gix::ThreadSafeRepository,
    pool: Mutex<Vec<gix::Repository>>,
}

impl ObjectReader {
    pub(crate) fn new(repo: gix::ThreadSafeRepository) -> Self {
        Self {
            repo,
            pool: Mutex::new(Vec::new()),
        }
    }

    /// The repository, for another snapshot of it.
    pub(crate) fn repository(&self) -> gix::ThreadSafeRepository {
        self.repo.clone()
    }

    fn with<T>(&self, f: impl FnOnce(&gix::Repository) -> T) -> T {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let repo = pooled.unwrap_or_else(|| self.repo.to_thread_local());
        let out = f(&repo);
        let mut pool = self
            .pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pool.len() < POOL_LIMIT {
            pool.push(repo);
        }
        out
    }

    /// The bytes of blob `id`; `path` names it in errors.
    pub(crate) fn read_blob(&self, id: gix::ObjectId, path: &str) -> io::Result<Vec<u8>> {
        self.with(|repo| {
            let mut blob = repo
                .find_blob(id)
                .map_err(|err| object_error(id, path, &err))?;
            Ok(blob.take_data())
        })
    }

    /// The size of blob `id` from its header, without inflating it whole.
    pub(crate) fn blob_size(&self, id: gix::ObjectId, path: &str) -> io::Result<u64> {
        self.with(|repo| {
            repo.find_header(id)
                .map(|header| header.size())
                .map_err(|err| object_error(id, path, &err))
        })
    }
}

fn object_error(id: gix::ObjectId, path: &str, err: &gix::Error) -> io::Error {
    let kind = if err.classify().is_not_found() {
        io::ErrorKind::NotFound
    } else {
        io::ErrorKind::Other
    };
    io::Error::new(
        kind,
        format!(
            "could not read object {id} for {path} from the git object database: {}",
            crate::error::describe(err)
        ),
    )
}
