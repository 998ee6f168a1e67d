//! End to end: the `files/*` rules (forbidden, content, max-size, binary-artifact, naming) run
//! by the `goldpath` binary over plain directories, checked through the JSON report.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// A finding as the tests compare it: rule, path, line and column (when there is a span),
/// level, message.
type Row = (String, String, Option<(u64, u64)>, String, String);

fn dir(policy: &str, files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "goldpath.toml", policy.as_bytes());
    for (path, contents) in files {
        write(dir.path(), path, contents);
    }
    dir
}

fn write(root: &Path, path: &str, contents: &[u8]) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(full, contents).expect("write");
}

#[cfg(unix)]
fn make_executable(root: &Path, path: &str) {
    use std::os::unix::fs::PermissionsExt;
    let full = root.join(path);
    let mut permissions = std::fs::metadata(&full).expect("stat").permissions();
    permissions.set_mode(0o755);
    std::fs::set_permissions(full, permissions).expect("chmod");
}

/// Runs `goldpath check DIR --format json [extra]`: the exit status and the report.
fn check(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let output = Command::cargo_bin("goldpath")
        .expect("binary")
        .arg("check")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra)
        .env_remove("GOLDPATH_LOG")
        .output()
        .expect("run goldpath");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON report ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().expect("exit status"), report)
}

fn rows(report: &Value) -> Vec<Row> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let span = match &f["span"] {
                Value::Null => None,
                span => Some((
                    span["line"].as_u64().expect("line"),
                    span["column"].as_u64().expect("column"),
                )),
            };
            (
                f["rule"].as_str().expect("rule").to_owned(),
                f["path"].as_str().unwrap_or_default().to_owned(),
                span,
                f["level"].as_str().expect("level").to_owned(),
                f["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect()
}

fn row(rule: &str, path: &str, span: Option<(u64, u64)>, level: &str, message: &str) -> Row {
    (
        rule.to_owned(),
        path.to_owned(),
        span,
        level.to_owned(),
        message.to_owned(),
    )
}

// files/forbidden

const FORBIDDEN: &str = r#"
[rules."files/forbidden"]
paths = [
  { glob = "**/.env", reason = "environment files hold secrets" },
  { glob = "**/id_rsa", reason = "SSH private keys are secrets", tier = "silver" },
]
allow = ["**/.env.example"]
"#;

#[test]
fn forbidden_reports_each_forbidden_file() {
    let dir = dir(
        FORBIDDEN,
        &[
            (".env", b"TOKEN=1\n"),
            (".env.example", b"TOKEN=\n"),
            ("deploy/id_rsa", b"-----BEGIN OPENSSH PRIVATE KEY-----\n"),
            ("deploy/id_rsa.pub", b"ssh-rsa AAAA\n"),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rows(&report),
        [
            row(
                "files/forbidden",
                ".env",
                None,
                "error",
                "forbidden file (matches **/.env): environment files hold secrets"
            ),
            row(
                "files/forbidden",
                "deploy/id_rsa",
                None,
                "error",
                "forbidden file (matches **/id_rsa): SSH private keys are secrets"
            ),
        ]
    );
    assert_eq!(report["findings"][0]["tier"], "bronze");
    assert_eq!(report["findings"][1]["tier"], "silver");
}

#[cfg(unix)]
#[test]
fn forbidden_counts_symlinks() {
    let dir = dir(FORBIDDEN, &[("secrets/real", b"TOKEN=1\n")]);
    std::fs::create_dir_all(dir.path().join("app")).expect("mkdir");
    std::os::unix::fs::symlink("../secrets/real", dir.path().join("app/.env")).expect("symlink");
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let paths: Vec<String> = rows(&report).into_iter().map(|r| r.1).collect();
    assert_eq!(paths, ["app/.env"]);
}

#[test]
fn forbidden_passes_a_clean_directory() {
    let dir = dir(
        FORBIDDEN,
        &[(".env.example", b"TOKEN=\n"), ("deploy/id_rsa.pub", b"x")],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rows(&report), []);
}

/// The environment files of builtin:recommended: forbidden for a credential in them, not for
/// their name (docker compose's `.env` of image versions, a tool's generated `*.env`).
#[test]
fn recommended_forbids_environment_files_that_hold_a_credential() {
    let policy =
        "extends = [\"builtin:recommended\"]\n[rules.\"files/required\"]\nlevel = \"off\"\n";
    let dir = dir(
        policy,
        &[
            (
                ".env",
                b"IMAGE_VERSION=3.0.0\nPOSTGRES_PASSWORD=changeit\nAPI_KEY=\n",
            ),
            (".env.override", b"#OPENAI_API_KEY=<replace with API key>\n"),
            (
                "operator/.bingo/variables.env",
                b"GOBIN=${GOBIN:=$(go env GOBIN)}\n",
            ),
            (
                "deploy/prod.env",
                b"APP_PORT=8080\nDB_PASSWORD=hunter2hunter2\n",
            ),
            ("web/.env.local", b"SESSION_SECRET=${SESSION_SECRET}\n"),
        ],
    );
    let (code, report) = check(dir.path(), &["--only", "files/forbidden"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rows(&report),
        [row(
            "files/forbidden",
            "deploy/prod.env",
            Some((2, 13)),
            "error",
            "forbidden file (matches **/*.env): environment files hold secrets (`DB_PASSWORD` has a literal value)"
        )]
    );
    assert!(!report.to_string().contains("hunter2"), "{report:#}");
}

// files/content

const CONTENT: &str = r#"
[rules."files/content"]
checks = [
  { files = ["src/**/*.rs"], must-match = '^// SPDX-License-Identifier: ', message = "missing SPDX header" },
  { files = ["**/*.txt"], must-not-match = 'http://[^\s]+' },
]
"#;

#[test]
fn content_reports_missing_and_forbidden_text_with_spans() {
    let dir = dir(
        CONTENT,
        &[
            ("src/lib.rs", b"// SPDX-License-Identifier: MIT\n"),
            ("src/main.rs", b"fn main() {}\n"),
            ("notes/a.txt", b"intro\n  see http://a.example/x and\n"),
            // Not UTF-8: scanned all the same; the invalid byte counts as one column.
            ("notes/b.txt", b"\xff http://b.example\n"),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rows(&report),
        [
            row(
                "files/content",
                "notes/a.txt",
                Some((2, 7)),
                "error",
                "`http://a.example/x` matches the forbidden pattern `http://[^\\s]+`"
            ),
            row(
                "files/content",
                "notes/b.txt",
                Some((1, 3)),
                "error",
                "`http://b.example` matches the forbidden pattern `http://[^\\s]+`"
            ),
            row(
                "files/content",
                "src/main.rs",
                None,
                "error",
                "missing SPDX header"
            ),
        ]
    );
    let span = &report["findings"][0]["span"];
    assert_eq!(
        (span["end_line"].as_u64(), span["end_column"].as_u64()),
        (Some(2), Some(25))
    );
    assert_eq!(
        (span["start_byte"].as_u64(), span["end_byte"].as_u64()),
        (Some(12), Some(30))
    );
}

#[test]
fn content_passes_a_clean_directory() {
    let dir = dir(
        CONTENT,
        &[
            ("src/lib.rs", b"// SPDX-License-Identifier: MIT\n"),
            ("notes/a.txt", b"see https://a.example\n"),
            ("notes/c.md", b"http://not.checked\n"),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rows(&report), []);
}

// files/max-size

const MAX_SIZE: &str = r#"
[rules."files/max-size"]
max = "1 KB"
overrides = [{ files = ["fixtures/**"], max = "4 KiB" }]
"#;

#[test]
fn max_size_reports_files_over_their_limit() {
    let dir = dir(
        MAX_SIZE,
        &[
            ("big.bin", &[b'x'; 1500]),
            ("edge.bin", &[b'x'; 1000]),
            ("fixtures/ok.bin", &[b'x'; 4096]),
            ("fixtures/huge.bin", &[b'x'; 5000]),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rows(&report),
        [
            row(
                "files/max-size",
                "big.bin",
                None,
                "error",
                "1.5 KB (1500 bytes) is over the 1 KB limit"
            ),
            row(
                "files/max-size",
                "fixtures/huge.bin",
                None,
                "error",
                "4.9 KiB (5000 bytes) is over the 4 KiB limit"
            ),
        ]
    );
}

#[test]
fn max_size_passes_a_clean_directory() {
    let dir = dir(
        MAX_SIZE,
        &[
            ("edge.bin", &[b'x'; 1000]),
            ("fixtures/ok.bin", &[b'x'; 4096]),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rows(&report), []);
}

// files/binary-artifact

const BINARY: &str = r#"
[rules."files/binary-artifact"]
allow = ["testdata/**"]
"#;

fn pe() -> Vec<u8> {
    let mut bytes = vec![0u8; 0x48];
    bytes[..2].copy_from_slice(b"MZ");
    bytes[0x3c] = 0x40;
    bytes[0x40..0x44].copy_from_slice(b"PE\0\0");
    bytes
}

#[test]
fn binary_artifact_reports_by_extension_and_magic_bytes() {
    let pe = pe();
    let dir = dir(
        BINARY,
        &[
            ("dist/app.exe", b"anything"),
            ("lib/libz.so.1.2", b"anything"),
            ("bin/server", b"\x7fELF\x02\x01\x01\0"),
            ("tools/fmt", &pe),
            ("scripts/release", b"#!/bin/sh\necho hi\n"),
            ("testdata/fixture.so", b"\x7fELF"),
            ("data/blob.dat", b"\x7fELF"),
        ],
    );
    #[cfg(unix)]
    {
        make_executable(dir.path(), "tools/fmt");
        make_executable(dir.path(), "scripts/release");
    }
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let rule = "files/binary-artifact";
    assert_eq!(
        rows(&report),
        [
            row(
                rule,
                "bin/server",
                None,
                "error",
                "committed build artifact: magic bytes of an ELF executable or library"
            ),
            row(
                rule,
                "dist/app.exe",
                None,
                "error",
                "committed build artifact: extension .exe (Windows executable)"
            ),
            row(
                rule,
                "lib/libz.so.1.2",
                None,
                "error",
                "committed build artifact: extension .so (shared library)"
            ),
            row(
                rule,
                "tools/fmt",
                None,
                "error",
                "committed build artifact: magic bytes of a Windows PE executable or library"
            ),
        ]
    );
}

#[test]
fn binary_artifact_passes_a_clean_directory() {
    let dir = dir(
        BINARY,
        &[
            ("Makefile", b"all:\n\tcargo build\n"),
            ("scripts/release", b"#!/bin/sh\n"),
            ("testdata/fixture.so", b"\x7fELF"),
            ("logo.png", b"\x89PNG"),
        ],
    );
    #[cfg(unix)]
    make_executable(dir.path(), "scripts/release");
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rows(&report), []);
}

/// builtin:recommended's defaults: build-tool wrappers are not reported, binaries under test
/// fixtures are notes that block nothing, other build outputs are errors.
#[test]
fn recommended_binary_artifact_spares_wrappers_and_notes_fixtures() {
    let policy = "extends = [\"builtin:recommended\"]\n";
    let pe = pe();
    let dir = dir(
        policy,
        &[
            ("gradle/wrapper/gradle-wrapper.jar", b"PK\x03\x04"),
            ("src/ad/gradle/wrapper/gradle-wrapper.jar", b"PK\x03\x04"),
            (".mvn/wrapper/maven-wrapper.jar", b"PK\x03\x04"),
            ("test/links/ok-1.0.0-py3-none-any.whl", b"PK\x03\x04"),
            ("test/packages/fake-uv/scripts/uv.exe", &pe),
        ],
    );
    let (code, report) = check(dir.path(), &["--only", "files/binary-artifact"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        rows(&report),
        [
            row(
                "files/binary-artifact",
                "test/links/ok-1.0.0-py3-none-any.whl",
                None,
                "note",
                "committed build artifact: extension .whl (Python wheel)"
            ),
            row(
                "files/binary-artifact",
                "test/packages/fake-uv/scripts/uv.exe",
                None,
                "note",
                "committed build artifact: extension .exe (Windows executable)"
            ),
        ]
    );
    write(dir.path(), "dist/app.exe", &pe);
    let (code, report) = check(dir.path(), &["--only", "files/binary-artifact"]);
    assert_eq!(code, 1, "{report:#}");
}

// files/naming

const NAMING: &str = r#"
[rules."files/naming"]
conventions = [
  { files = ["src/components/**/*.tsx"], style = "PascalCase" },
  { files = ["src/**"], style = "kebab-case" },
  { files = ["pkg/**"], style = "snake_case", part = "dirs" },
]
"#;

#[test]
fn naming_reports_warnings_that_fail_only_at_fail_on_warning() {
    let dir = dir(
        NAMING,
        &[
            ("src/components/Button.tsx", b""),
            ("src/components/card.tsx", b""),
            ("src/api/v2-client.ts", b""),
            ("src/api/httpClient.ts", b""),
            ("src/.eslintrc.js", b""),
            ("pkg/Core/a.go", b""),
            ("pkg/Core/b.go", b""),
        ],
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, 0, "warnings do not fail by default: {report:#}");
    let rule = "files/naming";
    assert_eq!(
        rows(&report),
        [
            row(
                rule,
                "pkg/Core/a.go",
                None,
                "warning",
                "directory `pkg/Core` is not snake_case"
            ),
            row(
                rule,
                "src/api/httpClient.ts",
                None,
                "warning",
                "file name stem `httpClient` is not kebab-case"
            ),
            row(
                rule,
                "src/components/card.tsx",
                None,
                "warning",
                "file name stem `card` is not PascalCase"
            ),
        ]
    );
    assert_eq!(report["summary"]["warnings"], 3);
    assert_eq!(check(dir.path(), &["--fail-on", "warning"]).0, 1);
}

#[cfg(target_os = "linux")]
#[test]
fn naming_reports_paths_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let dir = dir(NAMING, &[("src/ok.ts", b"")]);
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(dir.path().join(name), b"x").expect("write");
    let (code, report) = check(dir.path(), &["--fail-on", "warning"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        rows(&report),
        [row(
            "files/naming",
            "caf\u{FFFD}.txt",
            None,
            "warning",
            "path is not valid UTF-8"
        )]
    );
}

#[test]
fn naming_passes_a_clean_directory() {
    let dir = dir(
        NAMING,
        &[
            ("src/components/Button.tsx", b""),
            ("src/api/v2-client.ts", b""),
            ("pkg/net_http/Server.go", b""),
            ("README.md", b""),
        ],
    );
    let (code, report) = check(dir.path(), &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(rows(&report), []);
}
