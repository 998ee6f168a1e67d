//! A timing check on a large work tree. Ignored by default; run it with
//! `cargo test --release -p goldpath-git --test perf -- --ignored --nocapture`.

mod common;

use std::time::{Duration, Instant};

use common::{commit_all, init, write};
use goldpath::snapshot::Snapshot;
use goldpath_git::{open, Source};

fn best_of(runs: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut count = 0;
    for _ in 0..runs {
        let started = Instant::now();
        count = f();
        best = best.min(started.elapsed());
    }
    (best, count)
}

#[test]
#[ignore = "slow: builds a repository of 100,000 files"]
fn hundred_thousand_files() {
    if let Some(path) = std::env::var_os("GOLDPATH_PERF_REPO") {
        let root = std::path::PathBuf::from(path);
        let only = std::env::var("GOLDPATH_PERF_SOURCE").ok();
        for source in [Source::Worktree, Source::Staged, Source::Rev("HEAD".into())] {
            if only
                .as_deref()
                .is_some_and(|only| !format!("{source:?}").starts_with(only))
            {
                continue;
            }
            let (elapsed, count) =
                best_of(10, || open(&root, source.clone()).unwrap().files().len());
            println!("{source:?}: {count} files in {elapsed:?}");
        }
        return;
    }
    let (_dir, root) = init();
    write(&root, ".gitignore", "*.log\n");
    for d in 0..1000 {
        for f in 0..100 {
            write(&root, &format!("d{}/s{d}/f{f}.txt", d % 10), "x");
        }
    }
    commit_all(&root, "many");
    for d in 0..100 {
        write(&root, &format!("untracked/u{d}.txt"), "u");
        write(&root, &format!("untracked/u{d}.log"), "ignored");
    }
    for source in [Source::Worktree, Source::Staged, Source::Rev("HEAD".into())] {
        let (elapsed, count) = best_of(5, || open(&root, source.clone()).unwrap().files().len());
        println!("{source:?}: {count} files in {elapsed:?}");
    }
    let plain = root.join("d1");
    let (elapsed, count) = best_of(5, || {
        std::fs::rename(root.join(".git"), root.join("dotgit")).unwrap();
        let n = open(&plain, Source::Worktree).unwrap().files().len();
        std::fs::rename(root.join("dotgit"), root.join(".git")).unwrap();
        n
    });
    println!("plain directory: {count} files in {elapsed:?} (with two renames)");
}
