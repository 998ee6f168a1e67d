//! Opt-in: parses every manifest and lockfile of the shared corpus (set `GOLDPATH_CORPUS` to
//! its directory) and prints the number of packages per file.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_corpus_manifest_parses() {
    let Some(root) = std::env::var_os("GOLDPATH_CORPUS") else {
        // Written to stderr directly, not through the test harness's captured output, so
        // that `cargo test` shows the skip.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: GOLDPATH_CORPUS not set (every corpus manifest parses)\n",
        );
        return;
    };
    let mut files = Vec::new();
    walk(Path::new(&root), &mut files);
    files.sort();
    let (mut parsed, mut packages, mut failures) = (0, 0, Vec::new());
    for path in files {
        let name = path.to_string_lossy().replace('\\', "/");
        let Some(kind) = goldpath_manifests::FileKind::from_path(&name) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match goldpath_manifests::parse(kind, &text) {
            Ok(manifest) => {
                parsed += 1;
                packages += manifest.packages.len();
                if kind.is_lockfile() {
                    let direct = manifest.packages.iter().filter(|p| p.direct).count();
                    println!(
                        "{name}: {} packages ({direct} direct), format {}",
                        manifest.packages.len(),
                        manifest.format_version.as_deref().unwrap_or("-")
                    );
                }
            }
            // The corpus keeps some deliberately broken test fixtures (`invalid_lock`,
            // `invalid_manifest`): they must fail, with a position.
            Err(e) if name.contains("invalid") => {
                println!("{name}:{e} (expected: a deliberately invalid fixture)");
                assert!(e.position.line > 0);
            }
            Err(e) => failures.push(format!("{name}:{e}")),
        }
    }
    println!("{parsed} files parsed, {packages} packages");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
