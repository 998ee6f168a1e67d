use rayon::prelude::*;

use crate::context::Context;
use crate::finding::{Level, Violation};
use crate::glob::GlobList;
use crate::policy::options::{at_string, compile_globs};
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::rules::security::secrets::default_fixtures;
use crate::snapshot::{FileEntry, FileMode};

declare_rule! {
    id: "files/binary-artifact",
    summary: "No committed build outputs: executables, libraries, object files, packages",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "extensions",
            kind: "array of strings",
            help: "File extensions that are build outputs, without the dot; matched ignoring \
                   case, and a version suffix is ignored (`libz.so.1.2` has extension `so`). \
                   Replaces the default list: exe dll so dylib a o obj lib class jar war ear \
                   pyc pyo whl egg wasm apk ipa msi dmg deb rpm.",
        },
        {
            name: "allow",
            kind: "array of globs",
            help: "Files exempt from the rule, such as prebuilt binaries a project commits on \
                   purpose (`vendor/prebuilt/**`). Default: none.",
        },
        {
            name: "allow-wrappers",
            kind: "boolean",
            help: "Whether the build-tool wrappers their ecosystems say to commit are exempt: \
                   `gradle/wrapper/gradle-wrapper.jar` and `.mvn/wrapper/maven-wrapper.jar`, \
                   at any depth. Default: true.",
        },
        {
            name: "fixtures",
            kind: "array of globs",
            help: "Paths of test fixtures, where a build output is reported as a note (it \
                   never blocks a tier). Default: directories named test, tests, testdata, \
                   test-data, test_data, testing, fixtures, fixture, __fixtures__, __tests__, \
                   __mocks__, spec, specs, examples, example or samples at any depth, and \
                   files named `*_test.*`, `*.test.*`, `*.spec.*` or `test_*.py` (the \
                   `fixtures` of `security/secrets`). `fixtures = []` treats them like other \
                   files.",
        },
    ],
    what: "Regular files that are build outputs, by either of two pieces of evidence. By \
           extension: the file's extension is in `extensions`. By magic bytes: a file with \
           no extension (or only a version number after its last dot), or with the \
           executable bit, starts like an ELF, PE (`MZ` with a valid `PE` header), Mach-O \
           (thin or universal) or WebAssembly binary, or a Java class file. Only those \
           files are read, and only when no extension already decided. Each finding says \
           which evidence it rests on. Two kinds of binary are expected in a repository. \
           Build-tool wrappers are exempt (`allow-wrappers`): Gradle and Maven document \
           committing `gradle-wrapper.jar` and `maven-wrapper.jar` so that every clone \
           builds with the pinned tool version (check them with Gradle's wrapper \
           validation action). Binaries under a test-fixture path (`fixtures`: tests/, \
           testdata/, fixtures/ ...), such as the wheels a package manager's tests \
           install, are notes: listed, blocking no tier.",
    why: "Build outputs in git cannot be reviewed, go stale against their sources, bloat \
          every clone forever, and are a favourite way to smuggle code past review: \
          nobody reads the diff of a binary.",
    example: "`dist/app.exe` is reported: `committed build artifact: extension .exe \
              (Windows executable)`; so is an extensionless `bin/server` that starts with \
              `\\x7fELF`: `committed build artifact: magic bytes of an ELF executable or \
              library`. `scripts/release` (a shell script with the executable bit) is not.",
    fix: "Remove the file (`git rm --cached FILE`), ignore the build directory in \
          `.gitignore`, build it in CI, and publish binaries to a registry or as release \
          assets. A binary that must be committed goes in `allow`.",
}

/// The extensions reported by default, with what they are.
const DEFAULT_EXTENSIONS: &[(&str, &str)] = &[
    ("exe", "Windows executable"),
    ("dll", "Windows library"),
    ("so", "shared library"),
    ("dylib", "macOS shared library"),
    ("a", "static library"),
    ("o", "object file"),
    ("obj", "object file"),
    ("lib", "static or import library"),
    ("class", "Java class file"),
    ("jar", "Java archive"),
    ("war", "Java web archive"),
    ("ear", "Java enterprise archive"),
    ("pyc", "compiled Python"),
    ("pyo", "compiled Python"),
    ("whl", "Python wheel"),
    ("egg", "Python egg"),
    ("wasm", "WebAssembly module"),
    ("apk", "Android package"),
    ("ipa", "iOS app package"),
    ("msi", "Windows installer"),
    ("dmg", "macOS disk image"),
    ("deb", "Debian package"),
    ("rpm", "RPM package"),
];

struct BinaryArtifact {
    /// Lowercase extensions, each with a description when one is known.
    extensions: Vec<(String, Option<&'static str>)>,
    allow: GlobList,
    allow_wrappers: bool,
    fixtures: GlobList,
}

/// The build-tool wrappers their ecosystems say to commit, as (directory, file name).
const WRAPPERS: &[(&str, &str)] = &[
    ("gradle/wrapper", "gradle-wrapper.jar"),
    (".mvn/wrapper", "maven-wrapper.jar"),
];

/// Whether `path` is one of [`WRAPPERS`], at any depth.
fn is_wrapper(path: &str) -> bool {
    WRAPPERS.iter().any(|(dir, name)| {
        path.strip_suffix(name)
            .and_then(|rest| rest.strip_suffix('/'))
            .is_some_and(|rest| rest == *dir || rest.ends_with(&format!("/{dir}")))
    })
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let extensions = match params.take_with_origin::<Vec<String>>("extensions")? {
        Some((list, origin)) => list
            .iter()
            .map(|raw| {
                let ext = raw.strip_prefix('.').unwrap_or(raw).to_ascii_lowercase();
                if ext.is_empty() || ext.contains(['/', '.', '*']) || ext.trim() != ext {
                    return Err(at_string(&origin, raw).error(format!(
                        "invalid extension `{raw}`: write it without the dot, such as \"exe\""
                    )));
                }
                let description = describe(&ext);
                Ok((ext, description))
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => DEFAULT_EXTENSIONS
            .iter()
            .map(|(ext, what)| ((*ext).to_owned(), Some(*what)))
            .collect(),
    };
    let allow = match params.take_with_origin::<Vec<String>>("allow")? {
        Some((patterns, origin)) => compile_globs(&patterns, &origin)?,
        None => GlobList::default(),
    };
    let allow_wrappers = params.take::<bool>("allow-wrappers")?.unwrap_or(true);
    let fixtures = match params.take_with_origin::<Vec<String>>("fixtures")? {
        Some((patterns, origin)) => compile_globs(&patterns, &origin)?,
        None => default_fixtures(),
    };
    Ok(Box::new(BinaryArtifact {
        extensions,
        allow,
        allow_wrappers,
        fixtures,
    }))
}

fn describe(ext: &str) -> Option<&'static str> {
    DEFAULT_EXTENSIONS
        .iter()
        .find(|(known, _)| *known == ext)
        .map(|(_, what)| *what)
}

/// The lowercase extension of a path's file name, ignoring a leading dot and trailing version
/// numbers (`libz.so.1.2.13` has `so`). `Some("")` never happens; `None` when there is none.
fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name = name.strip_prefix('.').unwrap_or(name);
    // Walk the dot-separated parts from the end, skipping version numbers (`.so.1.2`) as long
    // as at least a stem and one part remain; allocation-free until the answer.
    let mut rest = name;
    loop {
        let (stem, last) = rest.rsplit_once('.')?;
        let is_version = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
        if is_version && stem.contains('.') {
            rest = stem;
            continue;
        }
        return (!last.is_empty()).then(|| last.to_ascii_lowercase());
    }
}

/// What a file's first bytes say it is, when it is a binary a build produces.
fn magic(bytes: &[u8]) -> Option<&'static str> {
    let word =
        |at: usize| -> Option<[u8; 4]> { bytes.get(at..at.checked_add(4)?)?.try_into().ok() };
    match word(0)? {
        [0x7f, b'E', b'L', b'F'] => Some("an ELF executable or library"),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => {
            Some("a Mach-O executable or library")
        }
        [0xca, 0xfe, 0xba, 0xbe] => {
            // Both universal Mach-O and Java class files start so. A universal binary then
            // counts its architectures (a handful); a class file gives its version (45 or more).
            let next = u32::from_be_bytes(word(4)?);
            Some(if next < 45 {
                "a universal Mach-O binary"
            } else {
                "a Java class file"
            })
        }
        [0, b'a', b's', b'm'] => Some("a WebAssembly module"),
        [b'M', b'Z', ..] => {
            let offset = u32::from_le_bytes(word(0x3c)?);
            let offset = usize::try_from(offset).ok()?;
            (word(offset)? == *b"PE\0\0").then_some("a Windows PE executable or library")
        }
        _ => None,
    }
}

impl BinaryArtifact {
    fn by_extension(&self, ext: &str) -> Option<&(String, Option<&'static str>)> {
        self.extensions.iter().find(|(known, _)| known == ext)
    }

    /// Whether the file's bytes are worth reading: no extension, a version number for one, or
    /// the executable bit.
    fn is_magic_candidate(file: &FileEntry, ext: Option<&str>) -> bool {
        file.mode == FileMode::Executable
            || ext.is_none_or(|e| e.bytes().all(|b| b.is_ascii_digit()))
    }
}

impl Rule for BinaryArtifact {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let found: Vec<Violation> = cx
            .files()
            .par_iter()
            .filter(|file| file.mode.is_regular())
            .filter(|file| !(self.allow_wrappers && is_wrapper(&file.path)))
            .filter_map(|file| self.judge(cx, file))
            .filter(|v| v.path.as_deref().is_none_or(|p| !self.allow.is_match(p)))
            .map(|v| match v.path.as_deref() {
                Some(path) if self.fixtures.is_match(path) => v.level(Level::Note).help(
                    "it is in a test-fixture path, so it is reported as a note; list it under \
                     `allow` to silence this, or set `fixtures = []` to treat fixtures like \
                     other files",
                ),
                _ => v,
            })
            .collect();
        out.extend(found);
    }
}

impl BinaryArtifact {
    fn judge(&self, cx: &Context<'_>, file: &FileEntry) -> Option<Violation> {
        const HELP: &str = "remove it with `git rm --cached`, ignore the build output in \
                            .gitignore, build it in CI and publish it as a release asset; if it \
                            must be committed, add it to `allow`";
        let ext = extension(&file.path);
        if let Some((ext, what)) = ext.as_deref().and_then(|e| self.by_extension(e)) {
            let what = what.map(|w| format!(" ({w})")).unwrap_or_default();
            return Some(
                Violation::file(
                    file.path.clone(),
                    format!("committed build artifact: extension .{ext}{what}"),
                )
                .help(HELP)
                .key(format!("extension .{ext}")),
            );
        }
        if !Self::is_magic_candidate(file, ext.as_deref()) || self.allow.is_match(&file.path) {
            return None;
        }
        let bytes = match cx.read(file) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::debug!(path = %file.path, "files/binary-artifact: not read: {e}");
                return None;
            }
        };
        let what = magic(&bytes)?;
        Some(
            Violation::file(
                file.path.clone(),
                format!("committed build artifact: magic bytes of {what}"),
            )
            .help(HELP)
            .key(format!("magic {what}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{extension, is_wrapper, magic};
    use crate::snapshot::{FileMode, MemorySnapshot};
    use crate::testing::{check_snapshot, policy_error};

    const POLICY: &str = "[rules.\"files/binary-artifact\"]\nallow = [\"testdata/**\"]\n";

    fn pe() -> Vec<u8> {
        let mut bytes = vec![0u8; 0x48];
        bytes[..2].copy_from_slice(b"MZ");
        bytes[0x3c] = 0x40;
        bytes[0x40..0x44].copy_from_slice(b"PE\0\0");
        bytes
    }

    fn messages(snapshot: &MemorySnapshot, policy: &str) -> Vec<(String, String)> {
        check_snapshot(policy, snapshot)
            .into_iter()
            .map(|f| (f.path.unwrap_or_default(), f.message))
            .collect()
    }

    #[test]
    fn extensions_ignore_case_dots_and_versions() {
        assert_eq!(extension("lib/libz.so.1.2.13").as_deref(), Some("so"));
        assert_eq!(extension("dist/APP.EXE").as_deref(), Some("exe"));
        assert_eq!(extension("bin/server"), None);
        assert_eq!(extension(".gitignore"), None);
        assert_eq!(extension("a/.cache.o").as_deref(), Some("o"));
        assert_eq!(extension("tool-1.2").as_deref(), Some("2"));
        assert_eq!(extension("trailing."), None);
    }

    #[test]
    fn recognises_magic_bytes() {
        assert_eq!(
            magic(b"\x7fELF\x02\x01"),
            Some("an ELF executable or library")
        );
        assert_eq!(magic(&pe()), Some("a Windows PE executable or library"));
        assert_eq!(
            magic(b"MZ is a text file that is long enough to hold a header offset...!"),
            None
        );
        assert_eq!(
            magic(b"\xcf\xfa\xed\xfe\x07"),
            Some("a Mach-O executable or library")
        );
        assert_eq!(
            magic(b"\xfe\xed\xfa\xce"),
            Some("a Mach-O executable or library")
        );
        assert_eq!(
            magic(b"\xca\xfe\xba\xbe\0\0\0\x02"),
            Some("a universal Mach-O binary")
        );
        assert_eq!(
            magic(b"\xca\xfe\xba\xbe\0\0\0\x41"),
            Some("a Java class file")
        );
        assert_eq!(magic(b"\xca\xfe\xba\xbe"), None);
        assert_eq!(magic(b"\0asm\x01\0\0\0"), Some("a WebAssembly module"));
        assert_eq!(magic(b"#!/bin/sh\n"), None);
        assert_eq!(magic(b"\x7fEL"), None);
    }

    #[test]
    fn reports_by_extension_and_by_magic_bytes() {
        let snapshot = MemorySnapshot::new()
            .with_file("dist/App.EXE", "not even a real exe")
            .with_file("lib/libz.so.1.2", "x")
            .with_file("bin/server", b"\x7fELF\x02\x01\x01".to_vec())
            .with_entry("tools/fmt", FileMode::Executable, pe())
            .with_entry("tools/run.sh", FileMode::Executable, "#!/bin/sh\n")
            .with_entry(
                "tools/wasm-thing.v2",
                FileMode::Executable,
                b"\0asm\x01".to_vec(),
            )
            .with_file("data/blob.bin", b"\x7fELF".to_vec())
            .with_file("testdata/fixture.so", "x")
            .with_entry("link.so", FileMode::Symlink, "lib/libz.so.1.2");
        let expected = [
            (
                "bin/server",
                "committed build artifact: magic bytes of an ELF executable or library",
            ),
            (
                "dist/App.EXE",
                "committed build artifact: extension .exe (Windows executable)",
            ),
            (
                "lib/libz.so.1.2",
                "committed build artifact: extension .so (shared library)",
            ),
            (
                "tools/fmt",
                "committed build artifact: magic bytes of a Windows PE executable or library",
            ),
            (
                "tools/wasm-thing.v2",
                "committed build artifact: magic bytes of a WebAssembly module",
            ),
        ];
        let got = messages(&snapshot, POLICY);
        assert_eq!(got, expected.map(|(p, m)| (p.to_owned(), m.to_owned())),);
        let findings = check_snapshot(POLICY, &snapshot);
        assert!(findings
            .iter()
            .all(|f| f.level == crate::Level::Error && f.span.is_none()));
    }

    #[test]
    fn extensions_replace_the_default_list() {
        let snapshot = MemorySnapshot::new()
            .with_file("a.exe", "x")
            .with_file("b.nupkg", "x")
            .with_file("c.png", "x");
        let policy = "[rules.\"files/binary-artifact\"]\nextensions = [\".NUPKG\"]\n";
        assert_eq!(
            messages(&snapshot, policy),
            [(
                "b.nupkg".to_owned(),
                "committed build artifact: extension .nupkg".to_owned()
            )]
        );
    }

    #[test]
    fn build_tool_wrappers_are_exempt_unless_disabled() {
        assert!(is_wrapper("gradle/wrapper/gradle-wrapper.jar"));
        assert!(is_wrapper("src/ad/gradle/wrapper/gradle-wrapper.jar"));
        assert!(is_wrapper(".mvn/wrapper/maven-wrapper.jar"));
        assert!(!is_wrapper("libs/gradle-wrapper.jar"));
        assert!(!is_wrapper("gradle/wrapper/other.jar"));
        assert!(!is_wrapper("mygradle/wrapper/gradle-wrapper.jar"));
        let snapshot = MemorySnapshot::new()
            .with_file("gradle/wrapper/gradle-wrapper.jar", "PK")
            .with_file("src/ad/gradle/wrapper/gradle-wrapper.jar", "PK")
            .with_file("svc/.mvn/wrapper/maven-wrapper.jar", "PK")
            .with_file("libs/gradle-wrapper.jar", "PK");
        let policy = "[rules.\"files/binary-artifact\"]\n";
        let paths = |policy: &str| -> Vec<String> {
            messages(&snapshot, policy)
                .into_iter()
                .map(|(p, _)| p)
                .collect()
        };
        assert_eq!(paths(policy), ["libs/gradle-wrapper.jar"]);
        assert_eq!(
            paths(&format!("{policy}allow-wrappers = false\n")),
            [
                "gradle/wrapper/gradle-wrapper.jar",
                "libs/gradle-wrapper.jar",
                "src/ad/gradle/wrapper/gradle-wrapper.jar",
                "svc/.mvn/wrapper/maven-wrapper.jar"
            ]
        );
    }

    #[test]
    fn binaries_in_test_fixture_paths_are_notes() {
        let snapshot = MemorySnapshot::new()
            .with_file("test/links/ok-1.0.0-py3-none-any.whl", "PK")
            .with_file("test/packages/fake-uv/scripts/uv.exe", pe())
            .with_file("crates/x/tests/data/lib.so", "x")
            .with_file("dist/app.exe", pe());
        let policy = "[rules.\"files/binary-artifact\"]\n";
        let levels = |policy: &str| -> Vec<(String, crate::Level)> {
            check_snapshot(policy, &snapshot)
                .into_iter()
                .map(|f| (f.path.unwrap_or_default(), f.level))
                .collect()
        };
        use crate::Level::{Error, Note};
        assert_eq!(
            levels(policy),
            [
                ("crates/x/tests/data/lib.so".to_owned(), Note),
                ("dist/app.exe".to_owned(), Error),
                ("test/links/ok-1.0.0-py3-none-any.whl".to_owned(), Note),
                ("test/packages/fake-uv/scripts/uv.exe".to_owned(), Note),
            ]
        );
        let strict = levels(&format!("{policy}fixtures = []\n"));
        assert!(strict.iter().all(|(_, l)| *l == Error), "{strict:?}");
        let custom = levels(&format!("{policy}fixtures = [\"dist/**\"]\n"));
        assert_eq!(custom[1], ("dist/app.exe".to_owned(), Note));
        assert_eq!(custom[0].1, Error);
    }

    #[test]
    fn clean_repository_has_no_findings() {
        let snapshot = MemorySnapshot::new()
            .with_file("README.md", "x")
            .with_file("Makefile", "all:\n")
            .with_entry("scripts/release", FileMode::Executable, "#!/bin/sh\n");
        assert_eq!(messages(&snapshot, POLICY), []);
    }

    #[test]
    fn bad_options_are_policy_errors_at_their_position() {
        let err = policy_error("[rules.\"files/binary-artifact\"]\nallow = [\"ok\", \"a/[\"]\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 17)),
            "{err}"
        );
        let err =
            policy_error("[rules.\"files/binary-artifact\"]\nextensions = [\"exe\", \"*.dll\"]\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 23)),
            "{err}"
        );
        assert!(
            err.message.starts_with("invalid extension `*.dll`"),
            "{err}"
        );
    }
}
