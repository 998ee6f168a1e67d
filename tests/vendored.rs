//! End to end: vendored and generated files (`vendor/`, `node_modules/` at any depth,
//! `.gitattributes` linguist marks) are skipped by default, counted in the summary, and taken
//! back by `[settings] include-vendored`.

mod common;

use common::{rules_and_paths, Repo};
use serde_json::Value;

/// A probe that reports every file it sees.
const SEE_ALL: &str =
    "[[custom]]\nid = \"probe/seen\"\nmessage = \"seen\"\nforbid = { file = \"**\" }\n";

/// The paths the probe saw, sorted.
fn seen(report: &Value) -> Vec<String> {
    let mut paths: Vec<String> = rules_and_paths(report)
        .into_iter()
        .filter(|(rule, _)| rule == "probe/seen")
        .map(|(_, path)| path)
        .collect();
    paths.sort();
    paths
}

fn counts(list: &Value) -> Vec<(String, u64)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["files"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn pair(name: &str, files: u64) -> (String, u64) {
    (name.to_owned(), files)
}

/// Vendored directories of every kind, a CODEOWNERS file inside one, and the repository's own
/// files.
fn tree(policy: &str) -> Repo {
    let repo = Repo::git();
    repo.write("goldpath.toml", policy)
        .write(
            ".github/CODEOWNERS",
            "/src/ @acme/dev\n/vendor/ @acme/deps\n/gone/ @acme/old\n",
        )
        .write("src/a.rs", "fn a() {}\n")
        .write("vendor/github.com/x/dns/CODEOWNERS", "* @miekg\n")
        .write("vendor/github.com/x/dns/dns.go", "package dns\n")
        .write(
            "web/app/node_modules/left-pad/index.js",
            "module.exports = 1\n",
        )
        .write("web/app/index.js", "require('left-pad')\n")
        .write("third_party/zlib/zlib.c", "int z;\n")
        .write("lib/third-party/t.c", "int t;\n")
        .write("src/vendored.rs", "// a name, not a vendored directory\n");
    repo.commit("tree");
    repo
}

#[test]
fn vendored_directories_are_skipped_and_counted() {
    let repo = tree(&format!("extends = [\"builtin:recommended\"]\n{SEE_ALL}"));
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        seen(&report),
        [
            ".github/CODEOWNERS",
            "goldpath.toml",
            "src/a.rs",
            "src/vendored.rs",
            "web/app/index.js"
        ],
        "{report:#}"
    );
    let summary = &report["summary"];
    assert_eq!(summary["files"], 5, "{summary:#}");
    assert_eq!(report["target"]["files"], 5);
    assert_eq!(summary["skipped"]["files"], 5, "{summary:#}");
    assert_eq!(
        counts(&summary["skipped"]["reasons"]),
        [
            pair("node_modules/", 1),
            pair("third-party/", 1),
            pair("third_party/", 1),
            pair("vendor/", 2)
        ]
    );
    assert_eq!(
        counts(&summary["skipped"]["roots"]),
        [
            pair("lib/third-party/", 1),
            pair("third_party/", 1),
            pair("vendor/", 2),
            pair("web/app/node_modules/", 1)
        ]
    );

    // Ownership agrees: no unowned vendored file, no finding for the vendored CODEOWNERS, and
    // `/vendor/` matches files (only `/gone/` is dead).
    let ownership: Vec<(String, String)> = rules_and_paths(&report)
        .into_iter()
        .filter(|(rule, _)| rule.starts_with("ownership/"))
        .collect();
    let row = |rule: &str, path: &str| (format!("ownership/{rule}"), path.to_owned());
    assert_eq!(
        ownership,
        [
            row("unowned-files", ".github/CODEOWNERS"),
            row("pattern-matches-nothing", ".github/CODEOWNERS"),
            row("unowned-files", "goldpath.toml"),
            row("unowned-files", "web/app/index.js"),
        ],
        "{report:#}"
    );
    let dead = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "ownership/pattern-matches-nothing")
        .unwrap();
    assert_eq!(dead["span"]["line"], 3, "{dead:#}");
}

#[test]
fn zero_config_skips_vendored_code_and_says_so() {
    let repo = tree("");
    repo.remove("goldpath.toml");
    repo.commit("no policy");
    let output = repo
        .goldpath()
        .args(["-v", "check", "--fail-on", "never"])
        .output()
        .expect("run goldpath");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(
            "\nskipped 5 vendored or generated files (node_modules/, third-party/, third_party/, \
             vendor/); `-v` lists them, `[settings] include-vendored` checks them\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("vendor/github.com"), "{stdout}");
    // `-v` lists each skipped root with its count.
    for root in [
        "root=web/app/node_modules/ files=1",
        "root=vendor/ files=2",
        "root=lib/third-party/ files=1",
    ] {
        assert!(stderr.contains(root), "{root:?} in\n{stderr}");
    }
}

#[test]
fn gitattributes_marks_vendored_and_generated_files_and_negation_unvendors() {
    let repo = Repo::git();
    repo.write(
        "goldpath.toml",
        format!("extends = [\"builtin:recommended\"]\n{SEE_ALL}"),
    )
    .write(
        ".gitattributes",
        "*.pb.go linguist-generated=true\n\
         /docs/api/** linguist-vendored\n\
         vendor/ours/** -linguist-vendored\n\
         vendor/also-ours/** linguist-vendored=false\n\
         assets linguist-vendored\n",
    )
    .write(
        "lib/.gitattributes",
        "*.rs linguist-generated\nkeep.rs !linguist-generated\n",
    )
    .write("api/v1/service.pb.go", "package v1\n")
    .write("api/v1/service.go", "package v1\n")
    .write("docs/api/index.html", "<html>\n")
    .write("docs/guide.md", "guide\n")
    .write("vendor/ours/patch.go", "package ours\n")
    .write("vendor/also-ours/patch.go", "package ours\n")
    .write("vendor/theirs/lib.go", "package theirs\n")
    .write(
        "assets/logo.txt",
        "a directory name does not reach its files\n",
    )
    .write("lib/gen.rs", "// generated\n")
    .write("lib/keep.rs", "// kept\n")
    .write("gen.rs", "// above lib/: not marked\n");
    repo.commit("attributes");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(
        seen(&report),
        [
            ".gitattributes",
            "api/v1/service.go",
            "assets/logo.txt",
            "docs/guide.md",
            "gen.rs",
            "goldpath.toml",
            "lib/.gitattributes",
            "lib/keep.rs",
            "vendor/also-ours/patch.go",
            "vendor/ours/patch.go",
        ],
        "{report:#}"
    );
    let skipped = &report["summary"]["skipped"];
    assert_eq!(skipped["files"], 4, "{skipped:#}");
    assert_eq!(
        counts(&skipped["reasons"]),
        [
            pair("vendor/", 1),
            pair(".gitattributes linguist-vendored", 1),
            pair(".gitattributes linguist-generated", 2)
        ]
    );
    assert_eq!(
        counts(&skipped["roots"]),
        [
            pair("*.pb.go (.gitattributes:1)", 1),
            pair("*.rs (lib/.gitattributes:1)", 1),
            pair("/docs/api/** (.gitattributes:2)", 1),
            pair("vendor/", 1)
        ]
    );
}

#[test]
fn include_vendored_takes_files_back() {
    let narrow = format!(
        "extends = [\"builtin:recommended\"]\n[settings]\ninclude-vendored = \
         [\"vendor/github.com/x/**\", \"third_party/**\"]\n{SEE_ALL}"
    );
    let repo = tree(&narrow);
    let (_, report) = repo.check_json(&[]);
    let paths = seen(&report);
    assert!(
        paths.contains(&"vendor/github.com/x/dns/dns.go".to_owned()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"third_party/zlib/zlib.c".to_owned()),
        "{paths:?}"
    );
    assert!(
        !paths.contains(&"lib/third-party/t.c".to_owned()),
        "{paths:?}"
    );
    assert_eq!(report["summary"]["skipped"]["files"], 2, "{report:#}");
    // The vendored CODEOWNERS is the repository's concern again.
    assert!(
        rules_and_paths(&report).contains(&(
            "ownership/codeowners-multiple-files".to_owned(),
            "vendor/github.com/x/dns/CODEOWNERS".to_owned()
        )),
        "{report:#}"
    );

    // `**` checks everything: nothing is skipped, and the summary says nothing about it.
    repo.write(
        "goldpath.toml",
        format!("[settings]\ninclude-vendored = [\"**\"]\n{SEE_ALL}"),
    );
    repo.commit("all");
    let (_, report) = repo.check_json(&[]);
    assert_eq!(seen(&report).len(), 10, "{report:#}");
    assert_eq!(report["summary"]["skipped"]["files"], 0);
    let output = repo
        .goldpath()
        .args(["check", "--fail-on", "never"])
        .output()
        .expect("run goldpath");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("skipped"), "{stdout}");

    // `exclude` wins over `include-vendored`.
    repo.write(
        "goldpath.toml",
        format!("[settings]\ninclude-vendored = [\"**\"]\nexclude = [\"vendor/**\"]\n{SEE_ALL}"),
    );
    repo.commit("exclude");
    let (_, report) = repo.check_json(&[]);
    assert!(
        !seen(&report).iter().any(|p| p.starts_with("vendor/")),
        "{report:#}"
    );
}

#[test]
fn a_bad_include_vendored_glob_is_an_error_at_its_position() {
    let repo = tree("[settings]\ninclude-vendored = [\"vendor/[a-\"]\n");
    let output = repo
        .goldpath()
        .args(["check"])
        .output()
        .expect("run goldpath");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("goldpath.toml:2:"), "{stderr}");
    assert!(stderr.contains("vendor/[a-"), "{stderr}");
}
