//! The binary the Dockerfile copies into a distroless `static` image (and the musl release
//! archives ship) must be statically linked: that image has no libc and no dynamic loader.
//!
//! Opt-in: GOLDPATH_MUSL_BINARY names a goldpath built for `x86_64-unknown-linux-musl`
//! (`.ci/run` adds the target with rustup and builds it with the dev profile; the Dockerfile
//! builds the same target with the `dist` profile, which links the same way). No container
//! engine runs in CI, so the image itself is not built there.

mod common;

use std::path::Path;
use std::process::Command;

use common::Repo;

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NEEDED: u64 = 1;

/// How an ELF file is linked: the dynamic loader it asks for (PT_INTERP) and the shared
/// libraries it needs (DT_NEEDED). A static(-pie) binary has neither.
#[derive(Debug, PartialEq)]
struct Linking {
    interpreter: bool,
    needed: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn linking(path: &Path) -> Linking {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(bytes[4], 2, "64-bit ELF expected");
    assert_eq!(bytes[5], 1, "little-endian ELF expected");
    let phoff = u64_at(&bytes, 0x20) as usize;
    let phentsize = u16_at(&bytes, 0x36) as usize;
    let phnum = u16_at(&bytes, 0x38) as usize;
    let mut linking = Linking {
        interpreter: false,
        needed: 0,
    };
    for i in 0..phnum {
        let header = phoff + i * phentsize;
        match u32_at(&bytes, header) {
            PT_INTERP => linking.interpreter = true,
            PT_DYNAMIC => {
                let offset = u64_at(&bytes, header + 0x08) as usize;
                let size = u64_at(&bytes, header + 0x20) as usize;
                for entry in (offset..offset + size).step_by(16) {
                    match u64_at(&bytes, entry) {
                        0 => break,
                        DT_NEEDED => linking.needed += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    linking
}

#[test]
fn the_container_binary_is_static_and_runs_without_a_libc() {
    // The check itself: the binary under test here is linked against glibc.
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let gnu = linking(Path::new(env!("CARGO_BIN_EXE_goldpath")));
        assert!(gnu.interpreter && gnu.needed > 0, "{gnu:?}");
    }
    let Some(binary) = std::env::var_os("GOLDPATH_MUSL_BINARY") else {
        eprintln!("note: GOLDPATH_MUSL_BINARY is not set; skipping the static binary test");
        return;
    };
    let binary = std::fs::canonicalize(&binary).expect("GOLDPATH_MUSL_BINARY");
    let binary = binary.as_path();
    assert_eq!(
        linking(binary),
        Linking {
            interpreter: false,
            needed: 0
        },
        "{} is not statically linked",
        binary.display()
    );
    // It runs in an empty environment and judges a repository.
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        "[rules.\"files/forbidden\"]\npaths = [{ glob = \"**/*.secret\", reason = \"no\" }]\n",
    )
    .write("prod.secret", "x");
    repo.commit("init");
    let output = Command::new(binary)
        .arg("check")
        .env_clear()
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("files/forbidden"));
}
