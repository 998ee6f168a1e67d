//! Every manifest and lockfile format of goldpath-manifests: the first byte picks the
//! `FileKind` (its index in `KINDS`, modulo their number), the rest is the file.
#![no_main]

use goldpath_fuzz::selector_and_text;
use goldpath_manifests::{parse, FileKind};
use libfuzzer_sys::fuzz_target;

const KINDS: &[FileKind] = &[
    FileKind::CargoToml,
    FileKind::CargoLock,
    FileKind::PackageJson,
    FileKind::PackageLock,
    FileKind::GoMod,
    FileKind::GoSum,
    FileKind::Pyproject,
    FileKind::Requirements,
    FileKind::PoetryLock,
    FileKind::UvLock,
    FileKind::PnpmLock,
    FileKind::YarnLock,
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, text)) = selector_and_text(data) else {
        return;
    };
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    match parse(kind, text) {
        Ok(manifest) => {
            for package in &manifest.packages {
                let end = package.position.range.end;
                assert!(
                    package.position.range.start <= end && end <= text.len(),
                    "{kind:?}: position {:?} outside a text of {} bytes",
                    package.position.range,
                    text.len()
                );
            }
        }
        Err(e) => {
            assert!(
                e.position.range.start <= text.len(),
                "{kind:?}: error position {:?} outside a text of {} bytes",
                e.position.range,
                text.len()
            );
            let _ = e.to_string();
        }
    }
});
