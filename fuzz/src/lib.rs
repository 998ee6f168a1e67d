//! Shared helpers of the fuzz targets: the selector byte and an engine run on one thread.

use std::sync::OnceLock;

use goldpath::{Engine, MemorySnapshot, Report};

/// Splits the input into a selector byte and the rest as text. `None` when the input is empty
/// or the rest is not UTF-8 (the parsers take `&str`; reading a file's bytes as text, and
/// reporting when they are not UTF-8, is the engine's job and is covered by the
/// malformed-input tests).
pub fn selector_and_text(data: &[u8]) -> Option<(u8, &str)> {
    let (&selector, rest) = data.split_first()?;
    Some((selector, std::str::from_utf8(rest).ok()?))
}

/// A rayon pool of one thread, so runs are reproducible and libFuzzer's process stays small.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap_or_else(|e| panic!("rayon pool: {e}"))
    })
}

/// Runs `engine` over in-memory files.
pub fn check(engine: &Engine, files: &[(&str, &[u8])]) -> Report {
    let snapshot = files
        .iter()
        .fold(MemorySnapshot::new(), |s, (path, bytes)| {
            s.with_file(*path, bytes.to_vec())
        });
    pool().install(|| engine.check(&snapshot))
}

/// An engine for `policy` (goldpath.toml text), built once per process.
pub fn engine(cell: &'static OnceLock<Engine>, policy: &str) -> &'static Engine {
    cell.get_or_init(|| {
        let policy = goldpath::Policy::from_text(
            "goldpath.toml",
            policy,
            std::path::Path::new("."),
            &goldpath::policy::FsReader,
        )
        .unwrap_or_else(|e| panic!("fuzz policy: {e}"));
        Engine::new(&goldpath::Registry::builtin(), &policy)
            .unwrap_or_else(|e| panic!("fuzz engine: {e}"))
    })
}
