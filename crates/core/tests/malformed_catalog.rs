//! Malformed input, file by file: truncated, binary, invalid UTF-8, very long lines, deep
//! nesting, YAML alias bombs, 10 MB files, duplicate keys and wrong types, for every format
//! goldpath parses. Each case asserts the exact findings (rule, position, message) or the exact
//! policy error, and runs on its own thread under a deadline, so a hang fails the test instead
//! of blocking it.
//!
//! `GOLDPATH_PRINT=1 cargo test -p goldpath --test malformed_catalog -- --nocapture` prints
//! what every case gives, for reviewing a change.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use goldpath::policy::{FsReader, Policy, PolicyReader};
use goldpath::{Engine, Finding, MemorySnapshot, Registry};

/// How long one case may take (debug build, a busy machine): a hang or an expansion fails.
const DEADLINE: Duration = Duration::from_secs(120);

/// The rules that judge file contents, on a GitHub repository.
const POLICY: &str = r#"
[rules."ci/invalid-yaml"]
[rules."ownership/codeowners-syntax"]
[rules."ownership/catalog-info"]
[rules."deps/invalid-manifest"]
[rules."security/dockerfile-pinned"]
[rules."security/dockerfile-user"]
"#;

/// The same on GitLab (the GitLab CODEOWNERS dialect).
const GITLAB_POLICY: &str = r#"
[settings]
platform = "gitlab"
[rules."ci/invalid-yaml"]
[rules."ownership/codeowners-syntax"]
"#;

enum Input {
    /// Files checked with [`POLICY`] (or [`GITLAB_POLICY`]).
    Files {
        gitlab: bool,
        files: Vec<(&'static str, Vec<u8>)>,
    },
    /// A goldpath.toml, loaded from disk as the command line loads it, with the other policy
    /// files it may extend (path, text).
    Policy(Vec<u8>, Vec<(String, Vec<u8>)>),
}

struct Case {
    name: &'static str,
    input: Input,
    /// Each finding as `rule path:line:column: message` (no position: `rule path: message`),
    /// or the policy's outcome as `error: <message>` / `ok`.
    expect: &'static [&'static str],
}

fn files(
    name: &'static str,
    files: &[(&'static str, Vec<u8>)],
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        input: Input::Files {
            gitlab: false,
            files: files.to_vec(),
        },
        expect,
    }
}

fn file(
    name: &'static str,
    path: &'static str,
    text: impl Into<Vec<u8>>,
    expect: &'static [&'static str],
) -> Case {
    files(name, &[(path, text.into())], expect)
}

fn gitlab(
    name: &'static str,
    path: &'static str,
    text: impl Into<Vec<u8>>,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        input: Input::Files {
            gitlab: true,
            files: vec![(path, text.into())],
        },
        expect,
    }
}

fn policy(name: &'static str, text: impl Into<Vec<u8>>, expect: &'static [&'static str]) -> Case {
    extending(name, text, Vec::new(), expect)
}

/// A goldpath.toml and the files it extends.
fn extending(
    name: &'static str,
    text: impl Into<Vec<u8>>,
    others: Vec<(String, String)>,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        input: Input::Policy(
            text.into(),
            others
                .into_iter()
                .map(|(p, t)| (p, t.into_bytes()))
                .collect(),
        ),
        expect,
    }
}

/// `p0.toml` ... `p{n-1}.toml`, each extending the next (the last extends nothing), and each
/// naming it `times` times.
fn extends_chain(n: usize, times: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let text = if i + 1 < n {
                format!(
                    "extends = [{}]\n",
                    vec![format!("\"p{}.toml\"", i + 1); times].join(", ")
                )
            } else {
                "[settings]\nprivate = true\n".to_owned()
            };
            (format!("p{i}.toml"), text)
        })
        .collect()
}

/// `count` copies of `unit`.
fn rep(unit: &str, count: usize) -> String {
    unit.repeat(count)
}

/// A YAML "billion laughs": nine levels, each a list of nine aliases of the level before.
fn alias_bomb(prefix: &str) -> String {
    let mut text = format!(
        "{prefix}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let (prev, next) = (pair[0], pair[1]);
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{next}: &{next} [{refs}]\n"));
    }
    text
}

/// About 10 MB: `head`, then `line` repeated, then `tail`.
fn ten_mb(head: &str, line: &str, tail: &str) -> Vec<u8> {
    let count = (10_000_000 - head.len() - tail.len()) / line.len();
    let mut text = String::with_capacity(10_000_000);
    text.push_str(head);
    for _ in 0..count {
        text.push_str(line);
    }
    text.push_str(tail);
    text.into_bytes()
}

const WORKFLOW: &str = ".github/workflows/ci.yml";

fn cases() -> Vec<Case> {
    let invalid_utf8 = |head: &str, tail: &str| {
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(b"caf\xe9 \xff\xfe");
        bytes.extend_from_slice(tail.as_bytes());
        bytes
    };
    let binary = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0\x01\0\0\0".to_vec();
    let long = rep("a", 1_000_000);
    vec![
        // ── goldpath.toml ─────────────────────────────────────────────────────────────────
        // An empty policy is valid: no rules.
        policy("policy: empty", "", &[]),
        policy("policy: truncated table header", "[rules.\"files/required\"", &["error: goldpath.toml:1:24: unclosed table, expected `]`"]),
        policy("policy: truncated string", "[settings]\nfail-on = \"err", &["error: goldpath.toml:2:15: invalid basic string, expected `\"`"]),
        policy("policy: binary", binary.clone(), &["error: goldpath.toml:1:25: key with no value, expected `=`"]),
        policy("policy: invalid UTF-8", invalid_utf8("# ", "\n"), &["error: cannot read policy file `goldpath.toml`: the file is not valid UTF-8"]),
        policy("policy: duplicate key", "[settings]\nfail-on = \"error\"\nfail-on = \"warning\"\n", &["error: goldpath.toml:3:1: duplicate key"]),
        policy("policy: duplicate table", "[settings]\nprivate = true\n[settings]\nprivate = false\n", &["error: goldpath.toml:3:2: duplicate key"]),
        policy("policy: wrong type of fail-on", "[settings]\nfail-on = 3\n", &["error: goldpath.toml:2:11: wanted string or table"]),
        policy("policy: wrong type of max-read-bytes", "[settings]\nmax-read-bytes = \"ten\"\n", &["error: goldpath.toml:2:18: invalid type: string \"ten\", expected u64"]),
        policy("policy: negative max-read-bytes", "[settings]\nmax-read-bytes = -1\n", &["error: goldpath.toml:2:18: invalid value: integer `-1`, expected u64"]),
        policy("policy: wrong type of extends", "extends = 5\n", &["error: goldpath.toml:1:11: invalid type: integer `5`, expected a sequence"]),
        policy("policy: rules is not a table", "rules = 1\n", &["error: goldpath.toml:1:9: invalid type: integer `1`, expected a map"]),
        policy("policy: rule option of the wrong type", "[rules.\"files/required\"]\nfiles = \"README\"\n", &["error: goldpath.toml:2:9: invalid `files` for rule `files/required`: invalid type: string \"README\", expected a sequence"]),
        policy("policy: deep nesting of arrays", format!("x = {}", rep("[", 100_000)), &["error: goldpath.toml:1:85: cannot recurse further; max recursion depth met"]),
        policy("policy: deep nesting of inline tables", format!("x = {}", rep("{a=", 100_000)), &["error: goldpath.toml:1:245: cannot recurse further; max recursion depth met"]),
        policy("policy: very long line", format!("[settings]\nexclude = [\"{long}\"]\n"), &["error: goldpath.toml:2:13: the glob `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...` is 1000000 bytes, over the limit of 4096"]),
        // Valid, and read in well under the deadline.
        // The `extends` cases of tests/hostile.rs, in process (that file bounds the binary's time
        // and memory on them): each file is merged once, so the diamond and the repeats are cheap.
        extending("policy: extends 5,000 deep", "extends = [\"p0.toml\"]\n", extends_chain(5_000, 1), &["error: p62.toml:1:12: `extends` nested deeper than the limit of 64 files"]),
        extending("policy: a diamond of extends 20 deep", "extends = [\"p0.toml\"]\n", extends_chain(20, 2), &[]),
        extending("policy: 3,000 extends of one file", format!("extends = [{}]\n", vec!["\"p0.toml\""; 3_000].join(", ")), extends_chain(1, 1), &[]),
        extending("policy: extends a missing file", "extends = [\"nowhere.toml\"]\n", Vec::new(), &["error: goldpath.toml:1:12: policy file `nowhere.toml` not found"]),
        policy("policy: 10 MB of comments", ten_mb("", "# a comment line of the policy file\n", "[settings]\nprivate = true\n"), &["error: cannot read policy file `goldpath.toml`: the file is larger than the policy file size limit of 1048576 bytes"]),
        policy("policy: 400 KB of exclude globs", format!("[settings]\nexclude = [{}]\n", vec![format!("\"{}\"", rep("a", 4_000)); 100].join(", ")), &["error: goldpath.toml:2:13: the policy's globs (`exclude`, `include-vendored`, waivers' `paths`, in all its files) exceed the limit of 262144 bytes in total"]),
        // ── CODEOWNERS, GitHub ────────────────────────────────────────────────────────────
        file("codeowners: binary", ".github/CODEOWNERS", binary.clone(), &["ownership/codeowners-syntax .github/CODEOWNERS:1:8: the file holds a NUL byte: it is binary, and no rule is read from it (GitLab ignores binary CODEOWNERS files)"]),
        file("codeowners: invalid UTF-8", ".github/CODEOWNERS", invalid_utf8("/docs/", " @org/docs\n"), &["ownership/codeowners-syntax .github/CODEOWNERS:1:10: the line is not valid UTF-8; invalid bytes were replaced by U+FFFD"]),
        file("codeowners: byte order mark", ".github/CODEOWNERS", "\u{feff}* @org/all\n", &["ownership/codeowners-syntax .github/CODEOWNERS:1:1: the file starts with a byte order mark, which the hosting service may read as part of the first line; save it as UTF-8 without BOM"]),
        // `@org/` is accepted as written (owner-format and unknown-owner judge names).
        file("codeowners: truncated owner", ".github/CODEOWNERS", "* @org/", &[]),
        file("codeowners: very long pattern", ".github/CODEOWNERS", format!("/{long} @org/a\n"), &["ownership/codeowners-syntax .github/CODEOWNERS:1:1: the pattern is longer than 4096 bytes; GitHub skips this line"]),
        file("codeowners: deep brackets", ".github/CODEOWNERS", format!("{} @org/a\n", rep("[", 100_000)), &["ownership/codeowners-syntax .github/CODEOWNERS:1:1: GitHub does not support `[ ]` character ranges: brackets match themselves", "ownership/codeowners-syntax .github/CODEOWNERS:1:1: the pattern is longer than 4096 bytes; GitHub skips this line"]),
        file("codeowners: GitLab section on GitHub", ".github/CODEOWNERS", "[Docs]\n/docs/ @org/docs\n", &["ownership/codeowners-syntax .github/CODEOWNERS:1:1: GitHub does not support `[ ]` character ranges: brackets match themselves (GitHub has no sections: this is a pattern)"]),
        file("codeowners: 10 MB, over GitHub's limit", ".github/CODEOWNERS", ten_mb("", "/src/a/b/c/ @org/team\n", ""), &["ownership/codeowners-syntax .github/CODEOWNERS:1:1: the file is 9999990 bytes; GitHub does not load CODEOWNERS files over 3145728 bytes (3 MB), so no code owner applies"]),
        // Valid syntax; ownership/duplicate-pattern (not enabled here) reports it.
        file("codeowners: duplicate pattern", ".github/CODEOWNERS", "/a/ @org/x\n/a/ @org/y\n", &[]),
        // ── CODEOWNERS, GitLab ────────────────────────────────────────────────────────────
        gitlab("codeowners gitlab: unterminated section", ".gitlab/CODEOWNERS", "[Docs\n/docs/ @docs\n", &["ownership/codeowners-syntax .gitlab/CODEOWNERS:1:1: a section heading needs a closing `]`; GitLab reads this line as an entry of the current section", "ownership/codeowners-syntax .gitlab/CODEOWNERS:1:1: the entry has no owners and its section no default owners; GitLab treats it as approved"]),
        gitlab("codeowners gitlab: bad approval count", ".gitlab/CODEOWNERS", "[Docs][x] @docs\n/docs/\n", &["ownership/codeowners-syntax .gitlab/CODEOWNERS:1:7: the number of approvals must be digits in brackets, like `[2]`; GitLab ignores this and the rest of the line (the section requires 1 approval)", "ownership/codeowners-syntax .gitlab/CODEOWNERS:2:1: the entry has no owners and its section no default owners; GitLab treats it as approved"]),
        gitlab("codeowners gitlab: binary", "CODEOWNERS", binary.clone(), &["ownership/codeowners-syntax CODEOWNERS:1:8: the file holds a NUL byte: it is binary, and no rule is read from it (GitLab ignores binary CODEOWNERS files)"]),
        gitlab("codeowners gitlab: invalid UTF-8", "CODEOWNERS", invalid_utf8("[", "]\n* @a\n"), &["ownership/codeowners-syntax CODEOWNERS:1:5: the line is not valid UTF-8; invalid bytes were replaced by U+FFFD"]),
        // GitLab accepts any section name.
        gitlab("codeowners gitlab: very long section name", "CODEOWNERS", format!("[{long}]\n* @a\n"), &[]),
        // ── GitHub workflows ──────────────────────────────────────────────────────────────
        file("workflow: truncated flow mapping", WORKFLOW, "on: {push\njobs:\n", &["ci/invalid-yaml .github/workflows/ci.yml:3:1: invalid YAML: while parsing a node, did not find expected node content"]),
        file("workflow: truncated in a quoted string", WORKFLOW, "on: push\nname: \"ci", &["ci/invalid-yaml .github/workflows/ci.yml:2:7: invalid YAML: while scanning a quoted scalar, found unexpected end of stream"]),
        file("workflow: binary", WORKFLOW, binary.clone(), &["ci/invalid-yaml .github/workflows/ci.yml:1:8: invalid YAML: found unprintable character"]),
        file("workflow: invalid UTF-8", WORKFLOW, invalid_utf8("on: push\nname: ", "\n"), &["ci/invalid-yaml .github/workflows/ci.yml: invalid YAML: the file is not valid UTF-8 text"]),
        file("workflow: tab indentation", WORKFLOW, "on: push\njobs:\n\ta: {}\n", &["ci/invalid-yaml .github/workflows/ci.yml:3:2: invalid YAML: tabs disallowed within this context (block indentation)"]),
        file("workflow: alias bomb", WORKFLOW, alias_bomb("on: push\n"), &["ci/invalid-yaml .github/workflows/ci.yml:7:4: invalid YAML: document expands to too many nodes (alias expansion): anchors and aliases may copy at most 1000000 nodes"]),
        // Few nodes, many bytes: 1,700 aliases of one 10 KB scalar.
        file("workflow: aliases of a large scalar", WORKFLOW, format!("on: push\nx: &big \"{}\"\nall:\n{}", rep("x", 10_000), rep("  - *big\n", 1_700)), &["ci/invalid-yaml .github/workflows/ci.yml:1680:5: invalid YAML: document expands to too many bytes (alias expansion): anchors and aliases may copy at most 16777216 bytes of text (the larger of 16 MiB and 10 times the file's size)"]),
        file("workflow: deep nesting", WORKFLOW, format!("on: {}", rep("[", 100_000)), &["ci/invalid-yaml .github/workflows/ci.yml:1:260: invalid YAML: recursion limit exceeded"]),
        // GitHub rejects a key written twice; the second occurrence is reported.
        file("workflow: duplicate keys", WORKFLOW, "on: push\non: pull_request\njobs: {}\n", &["ci/invalid-yaml .github/workflows/ci.yml:2:1: duplicate key `on` (first at line 1): GitHub rejects a mapping with a key written twice"]),
        file("workflow: duplicate step keys", WORKFLOW, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: a\n        run: b\n", &["ci/invalid-yaml .github/workflows/ci.yml:7:9: duplicate key `run` (first at line 6): GitHub rejects a mapping with a key written twice"]),
        // Wrong types where the workflow's structure needs a mapping or a list.
        file("workflow: jobs is a number", WORKFLOW, "on: push\njobs: 5\n", &["ci/invalid-yaml .github/workflows/ci.yml:2:7: `jobs` must be a mapping of job ids to jobs, found an integer"]),
        file("workflow: jobs is a list", WORKFLOW, "on: push\njobs: [a, b]\n", &["ci/invalid-yaml .github/workflows/ci.yml:2:7: `jobs` must be a mapping of job ids to jobs, found a list"]),
        file("workflow: a job is a string", WORKFLOW, "on: push\njobs:\n  a: build\n", &["ci/invalid-yaml .github/workflows/ci.yml:3:6: job `a` must be a mapping, found a string"]),
        file("workflow: on is a number", WORKFLOW, "on: 5\njobs: {}\n", &["ci/invalid-yaml .github/workflows/ci.yml:1:5: `on` must be an event name, a list of event names or a mapping of events, found an integer"]),
        file("workflow: an event of on is a mapping", WORKFLOW, "on: [push, {pull_request: x}]\njobs: {}\n", &["ci/invalid-yaml .github/workflows/ci.yml:1:12: an event of `on` must be an event name, found a mapping"]),
        file("workflow: steps is a string", WORKFLOW, "on: push\njobs:\n  a:\n    runs-on: x\n    steps: run\n", &["ci/invalid-yaml .github/workflows/ci.yml:5:12: `steps` must be a list of steps, found a string"]),
        file("workflow: a step is a string", WORKFLOW, "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - make\n", &["ci/invalid-yaml .github/workflows/ci.yml:6:9: a step must be a mapping (`- run: ...` or `- uses: ...`), found a string"]),
        file("workflow: document is a list", WORKFLOW, "- on\n- jobs\n", &["ci/invalid-yaml .github/workflows/ci.yml:1:1: a workflow must be a YAML mapping, this document is sequence"]),
        file("workflow: merge key", WORKFLOW, "on: push\nx: &x {runs-on: a}\njobs:\n  a:\n    <<: *x\n", &["ci/invalid-yaml .github/workflows/ci.yml:5:5: `<<` merge keys are not supported by GitHub Actions (anchors and aliases are): write the keys out, or use an alias for the whole value"]),
        // Valid, parsed within the deadline.
        file("workflow: very long line", WORKFLOW, format!("on: push\nname: {long}\n"), &[]),
        file("workflow: 10 MB", WORKFLOW, ten_mb("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n", "          echo a line of a long script\n", ""), &[]),
        file("action: wrong type of runs", "action.yml", "name: a\nruns: 5\n", &["ci/invalid-yaml action.yml:2:7: `runs` must be a mapping (`using:` and what it runs), found an integer"]),
        file("action: steps is a mapping", "action.yml", "name: a\nruns:\n  using: composite\n  steps: {run: x}\n", &["ci/invalid-yaml action.yml:4:10: `steps` must be a list of steps, found a mapping"]),
        file("action: duplicate keys", "action.yml", "name: a\nname: b\nruns: {using: node20, main: a.js}\n", &["ci/invalid-yaml action.yml:2:1: duplicate key `name` (first at line 1): GitHub rejects a mapping with a key written twice"]),
        // ── GitLab CI ─────────────────────────────────────────────────────────────────────
        gitlab("gitlab-ci: truncated", ".gitlab-ci.yml", "build:\n  script: [\"make\"", &["ci/invalid-yaml .gitlab-ci.yml:2:18: invalid YAML: while parsing a flow sequence, expected ',' or ']'"]),
        gitlab("gitlab-ci: alias bomb", ".gitlab-ci.yml", alias_bomb(""), &["ci/invalid-yaml .gitlab-ci.yml:6:4: invalid YAML: document expands to too many nodes (alias expansion): anchors and aliases may copy at most 1000000 nodes"]),
        gitlab("gitlab-ci: deep nesting", ".gitlab-ci.yml", format!("a: {}", rep("{b: ", 100_000)), &["ci/invalid-yaml .gitlab-ci.yml:1:1024: invalid YAML: recursion limit exceeded"]),
        gitlab("gitlab-ci: includes itself", ".gitlab-ci.yml", "include: .gitlab-ci.yml\nbuild:\n  script: make\n", &["ci/invalid-yaml .gitlab-ci.yml:1:10: include cycle: .gitlab-ci.yml → .gitlab-ci.yml"]),
        gitlab("gitlab-ci: missing include", ".gitlab-ci.yml", "include:\n  - local: ci/missing.yml\n", &["ci/invalid-yaml .gitlab-ci.yml:2:12: included file `ci/missing.yml` does not exist"]),
        // Wrong types GitLab rejects.
        gitlab("gitlab-ci: stages is a number", ".gitlab-ci.yml", "stages: 5\nbuild:\n  script: make\n", &["ci/invalid-yaml .gitlab-ci.yml:1:9: `stages` must be a list of stage names, found an integer"]),
        // `x` is itself a job that is not a mapping; the merge of its scalar is the second finding.
        gitlab("gitlab-ci: merge of a scalar", ".gitlab-ci.yml", "x: &x 5\nbuild:\n  <<: *x\n  script: make\n", &["ci/invalid-yaml .gitlab-ci.yml:1:4: job `x` must be a mapping of job keywords, found an integer", "ci/invalid-yaml .gitlab-ci.yml:3:7: `<<` must merge a mapping or a list of mappings, found an integer"]),
        gitlab("gitlab-ci: a job is a string", ".gitlab-ci.yml", "build: make\n", &["ci/invalid-yaml .gitlab-ci.yml:1:8: job `build` must be a mapping of job keywords, found a string"]),
        gitlab("gitlab-ci: script is a number", ".gitlab-ci.yml", "build:\n  script: 5\n", &["ci/invalid-yaml .gitlab-ci.yml:2:11: `script` of job `build` must be a string or a list of strings, found an integer"]),
        gitlab("gitlab-ci: before_script is a mapping", ".gitlab-ci.yml", "build:\n  before_script: {a: b}\n  script: make\n", &["ci/invalid-yaml .gitlab-ci.yml:2:18: `before_script` of job `build` must be a string or a list of strings, found a mapping"]),
        // Not jobs: hidden keys (anchors, templates) hold anything, global keywords are not jobs.
        gitlab("gitlab-ci: hidden keys and globals are not jobs", ".gitlab-ci.yml", ".x: &x 5\n.y: [a]\nvariables: {A: b}\ndefault: {image: a}\nworkflow: {name: w}\nbuild:\n  script: make\n", &[]),
        // Accepted by GitLab (the last key wins), so not a finding.
        gitlab("gitlab-ci: duplicate keys", ".gitlab-ci.yml", "build:\n  script: a\nbuild:\n  script: b\n", &[]),
        gitlab("gitlab-ci: invalid UTF-8", ".gitlab-ci.yml", invalid_utf8("build:\n  script: ", "\n"), &["ci/invalid-yaml .gitlab-ci.yml:1:1: pipeline file `.gitlab-ci.yml` cannot be read: not valid UTF-8 text"]),
        // ── Cargo ─────────────────────────────────────────────────────────────────────────
        file("Cargo.toml: truncated", "Cargo.toml", "[package]\nname = \"a\"\n[dependencies", &["deps/invalid-manifest Cargo.toml:3:14: Cargo.toml does not parse: unclosed table, expected `]`"]),
        file("Cargo.toml: duplicate key", "Cargo.toml", "[dependencies]\nserde = \"1\"\nserde = \"2\"\n", &["deps/invalid-manifest Cargo.toml:3:1: Cargo.toml does not parse: duplicate key"]),
        file("Cargo.toml: dependency is a number", "Cargo.toml", "[dependencies]\nserde = 5\n", &["deps/invalid-manifest Cargo.toml:2:9: Cargo.toml does not parse: dependency `serde` must be a string or a table, not integer"]),
        file("Cargo.toml: dependencies is an array", "Cargo.toml", "dependencies = [1]\n", &["deps/invalid-manifest Cargo.toml:1:16: Cargo.toml does not parse: dependencies must be a table, not array"]),
        file("Cargo.toml: deep nesting", "Cargo.toml", format!("[dependencies]\nx = {}", rep("[", 100_000)), &["deps/invalid-manifest Cargo.toml:2:85: Cargo.toml does not parse: cannot recurse further; max recursion depth met"]),
        file("Cargo.toml: binary", "Cargo.toml", binary.clone(), &["deps/invalid-manifest Cargo.toml:1:25: Cargo.toml does not parse: key with no value, expected `=`"]),
        // Accepted: the format version is informational.
        file("Cargo.lock: version is a string", "Cargo.lock", "version = \"four\"\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n", &[]),
        file("Cargo.lock: package without a name", "Cargo.lock", "version = 4\n[[package]]\nversion = \"1.0.0\"\n", &["deps/invalid-manifest Cargo.lock:2:1: Cargo.lock does not parse: [[package]] without a name or version"]),
        file("Cargo.lock: invalid UTF-8", "Cargo.lock", invalid_utf8("version = 4\n# ", "\n"), &["deps/invalid-manifest Cargo.lock:2:6: Cargo.lock is not valid UTF-8 text: the byte here is not part of a character"]),
        // ── npm ───────────────────────────────────────────────────────────────────────────
        file("package.json: truncated", "package.json", "{\"name\": \"a\", \"dependencies\": {", &["deps/invalid-manifest package.json:1:32: package.json does not parse: unexpected end of input: expected a string key"]),
        file("package.json: dependencies is an array", "package.json", "{\"dependencies\": [\"a\"]}", &["deps/invalid-manifest package.json:1:18: package.json does not parse: `dependencies` must be an object"]),
        file("package.json: version is a number", "package.json", "{\"dependencies\": {\"a\": 1}}", &["deps/invalid-manifest package.json:1:24: package.json does not parse: the version of `a` must be a string"]),
        // npm accepts it and keeps the last value: a warning at the second key.
        file("package.json: duplicate keys", "package.json", "{\"dependencies\": {\"a\": \"1\", \"a\": \"2\"}}", &["deps/invalid-manifest package.json:1:29: duplicate key `a` (first at line 1): npm keeps the last value and ignores the first"]),
        file("package.json: duplicate top-level keys", "package.json", "{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}\n", &["deps/invalid-manifest package.json:3:3: duplicate key `name` (first at line 2): npm keeps the last value and ignores the first"]),
        file("package.json: deep nesting", "package.json", rep("[", 100_000), &["deps/invalid-manifest package.json:1:257: package.json does not parse: nesting deeper than 256 levels"]),
        file("package.json: not an object", "package.json", "\"just a string\"", &["deps/invalid-manifest package.json:1:1: package.json does not parse: expected a JSON object"]),
        file("package-lock.json: invalid UTF-8", "package-lock.json", invalid_utf8("{\"name\": \"", "\"}"), &["deps/invalid-manifest package-lock.json:1:14: package-lock.json is not valid UTF-8 text: the byte here is not part of a character"]),
        // 10 MB on one line: valid, and positions stay linear (see goldpath-manifests LineIndex).
        file("package-lock.json: 10 MB", "package-lock.json", ten_mb("{\"lockfileVersion\": 3, \"packages\": {\"\": {}", ", \"node_modules/some-package-name\": {\"version\": \"1.0.0\"}", "}}"), &[]),
        file("package-lock.json: lockfileVersion is a string", "package-lock.json", "{\"lockfileVersion\": \"three\"}", &[]),
        // ── pnpm and yarn ─────────────────────────────────────────────────────────────────
        // The lockfile reader does not expand aliases, so the bomb costs nothing.
        file("pnpm-lock.yaml: alias bomb", "pnpm-lock.yaml", alias_bomb("lockfileVersion: '9.0'\n"), &[]),
        file("pnpm-lock.yaml: truncated", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1:\n    resolution: {integrity: ", &["deps/invalid-manifest pnpm-lock.yaml:4:29: pnpm-lock.yaml does not parse: while parsing a node, did not find expected node content"]),
        file("pnpm-lock.yaml: packages is a list", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [1, 2]\n", &["deps/invalid-manifest pnpm-lock.yaml:2:11: pnpm-lock.yaml does not parse: `packages` must be a mapping"]),
        file("yarn.lock: truncated", "yarn.lock", "# yarn lockfile v1\n\n\"a@^1\":\n  version \"1.0", &["deps/invalid-manifest yarn.lock:4:11: yarn.lock does not parse: unterminated quoted string (the file may be cut short)"]),
        file("yarn.lock: binary", "yarn.lock", binary.clone(), &["deps/invalid-manifest yarn.lock:1:1: yarn.lock does not parse: expected `name@range:` at the start of an entry"]),
        // ── Go ────────────────────────────────────────────────────────────────────────────
        file("go.mod: truncated require block", "go.mod", "module example.com/a\n\nrequire (\n\texample.com/b v1.0.0\n", &["deps/invalid-manifest go.mod:5:1: go.mod does not parse: unclosed `(` block"]),
        // Valid, parsed within the deadline.
        file("go.mod: very long line", "go.mod", format!("module example.com/a\nrequire example.com/{long} v1.0.0\n"), &[]),
        file("go.mod: require without a version", "go.mod", "module example.com/a\nrequire example.com/b\n", &["deps/invalid-manifest go.mod:2:1: go.mod does not parse: malformed `require`: expected a module path and a version"]),
        file("go.sum: malformed line", "go.sum", "example.com/b v1.0.0\n", &["deps/invalid-manifest go.sum:1:1: go.sum does not parse: expected `module version hash`"]),
        // ── Python ────────────────────────────────────────────────────────────────────────
        file("pyproject.toml: dependencies is a string", "pyproject.toml", "[project]\nname = \"a\"\ndependencies = \"requests\"\n", &["deps/invalid-manifest pyproject.toml:3:16: pyproject.toml does not parse: `project.dependencies` must be an array"]),
        file("pyproject.toml: truncated", "pyproject.toml", "[project]\nname = \"a\"\ndependencies = [\"requests\"", &["deps/invalid-manifest pyproject.toml:3:27: pyproject.toml does not parse: unclosed array, expected `]`"]),
        file("requirements.txt: binary", "requirements.txt", binary.clone(), &["deps/invalid-manifest requirements.txt:1:1: requirements.txt does not parse: expected a package name in `\u{7f}ELF\u{2}\u{1}\u{1}\0\0\0\0\0\0\0\0\0\u{3}\0>\0\u{1}\0\0\0`"]),
        // Valid, parsed within the deadline.
        file("requirements.txt: very long line", "requirements.txt", format!("{long}==1.0\n"), &[]),
        file("requirements.txt: bad requirement", "requirements.txt", "requests===\n", &["deps/invalid-manifest requirements.txt:1:1: requirements.txt does not parse: `===` needs a version after it in `requests===`"]),
        file("requirements.txt: operator without a version", "requirements.txt", "a>=1.0, <\n", &["deps/invalid-manifest requirements.txt:1:1: requirements.txt does not parse: `<` needs a version after it in `a>=1.0, <`"]),
        file("poetry.lock: package is a string", "poetry.lock", "package = \"x\"\n", &["deps/invalid-manifest poetry.lock:1:11: poetry.lock does not parse: `package` must be an array of tables"]),
        file("uv.lock: version is a table", "uv.lock", "version = 1\n[[package]]\nname = \"a\"\nversion = { x = 1 }\n", &["deps/invalid-manifest uv.lock:4:11: uv.lock does not parse: the `version` of [[package]] `a` must be a string"]),
        file("poetry.lock: name is a number", "poetry.lock", "[[package]]\nname = 5\nversion = \"1.0\"\n", &["deps/invalid-manifest poetry.lock:2:8: poetry.lock does not parse: the `name` of a [[package]] must be a string"]),
        // ── Backstage catalog-info.yaml ───────────────────────────────────────────────────
        file("catalog-info: alias bomb", "catalog-info.yaml", alias_bomb("apiVersion: backstage.io/v1alpha1\n"), &["ownership/catalog-info catalog-info.yaml:7:4: invalid YAML: document expands to too many nodes (alias expansion): anchors and aliases may copy at most 1000000 nodes"]),
        file("catalog-info: truncated", "catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [", &["ownership/catalog-info catalog-info.yaml:4:10: invalid YAML: while parsing a node, did not find expected node content"]),
        file("catalog-info: metadata is a number", "catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: 5\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n", &["ownership/catalog-info catalog-info.yaml:3:11: `metadata` must be a mapping, found a integer"]),
        file("catalog-info: duplicate keys", "catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nkind: API\nmetadata:\n  name: a\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n", &["ownership/catalog-info catalog-info.yaml:3:1: duplicate key `kind` (first at line 2): Backstage rejects a mapping with a key written twice", "ownership/catalog-info catalog-info.yaml:6:1: a API needs `spec.definition`"]),
        file("catalog-info: deep nesting", "catalog-info.yaml", format!("apiVersion: {}", rep("- ", 100_000)), &["ownership/catalog-info catalog-info.yaml:1:13: invalid YAML: block sequence entries are not allowed in this context"]),
        file("catalog-info: a scalar document", "catalog-info.yaml", "just text\n", &["ownership/catalog-info catalog-info.yaml:1:1: a catalog entity must be a mapping, found a string"]),
        file("catalog-info: binary", "catalog-info.yaml", binary.clone(), &["ownership/catalog-info catalog-info.yaml:1:8: invalid YAML: found unprintable character"]),
        // ── Dockerfile ────────────────────────────────────────────────────────────────────
        // No FROM: not a Dockerfile the security rules can judge.
        file("Dockerfile: binary", "Dockerfile", binary.clone(), &["security/dockerfile-pinned Dockerfile: holds binary data and no `FROM` instruction: docker build needs at least one build stage"]),
        file("Dockerfile: FROM without an image", "Dockerfile", "FROM\nUSER app\n", &["security/dockerfile-pinned Dockerfile:1:1: `FROM` names no image: docker build rejects it"]),
        file("Dockerfile: endless continuation", "Dockerfile", format!("FROM alpine@sha256:{}\nRUN {}", rep("0", 64), rep("a \\\n", 100_000)), &["security/dockerfile-user Dockerfile:1:1: the final stage has no USER instruction: the container runs as root"]),
        file("Dockerfile: unterminated heredoc", "Dockerfile", "FROM scratch\nRUN <<EOF\necho hi\n", &["security/dockerfile-user Dockerfile:1:1: the final stage has no USER instruction: the container runs as root"]),
        // ── Size limit ────────────────────────────────────────────────────────────────────
        file("over max-read-bytes: not read, a note", "package-lock.json", vec![b' '; 10 * 1024 * 1024 + 1], &["policy/unread-file package-lock.json: not checked: 10485761 bytes, over the 10485760-byte read limit (settings.max-read-bytes)"]),
    ]
}

/// An engine per policy text.
fn engine(policy: &str) -> Engine {
    let policy = Policy::from_text("goldpath.toml", policy, Path::new("."), &FsReader)
        .unwrap_or_else(|e| panic!("{e}"));
    Engine::new(&Registry::builtin(), &policy).unwrap_or_else(|e| panic!("{e}"))
}

fn describe(finding: &Finding) -> String {
    let path = finding.path.as_deref().unwrap_or("");
    match &finding.span {
        Some(span) => format!(
            "{} {path}:{}:{}: {}",
            finding.rule, span.line, span.column, finding.message
        ),
        None => format!("{} {path}: {}", finding.rule, finding.message),
    }
}

/// Reads policies from a map, as [`FsReader`] does from disk (bytes that are not UTF-8 are an
/// error).
struct Disk(Vec<u8>, Vec<(String, Vec<u8>)>);

impl PolicyReader for Disk {
    fn read(&self, path: &Path) -> std::io::Result<Option<String>> {
        let bytes = if path == Path::new("goldpath.toml") {
            &self.0
        } else {
            match self.1.iter().find(|(p, _)| Path::new(p) == path) {
                Some((_, bytes)) => bytes,
                None => return Ok(None),
            }
        };
        String::from_utf8(bytes.clone()).map(Some).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the file is not valid UTF-8",
            )
        })
    }
}

fn run(input: Input) -> Vec<String> {
    match input {
        Input::Files { gitlab, files } => {
            let engine = engine(if gitlab { GITLAB_POLICY } else { POLICY });
            let snapshot = files
                .into_iter()
                .fold(MemorySnapshot::new(), |s, (path, bytes)| {
                    s.with_file(path, bytes)
                });
            engine
                .check(&snapshot)
                .findings
                .iter()
                .map(describe)
                .collect()
        }
        Input::Policy(bytes, others) => {
            let result = Policy::load(Path::new("goldpath.toml"), &Disk(bytes, others))
                .and_then(|p| Engine::new(&Registry::builtin(), &p).map(|_| ()));
            match result {
                Ok(()) => Vec::new(),
                Err(e) => vec![format!("error: {e}")],
            }
        }
    }
}

#[test]
fn malformed_inputs_give_exact_findings_without_panics_or_hangs() {
    let cases = cases();
    assert!(cases.len() >= 122, "{} cases", cases.len());
    let print = std::env::var_os("GOLDPATH_PRINT").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let started = Instant::now();
        let (tx, rx) = mpsc::channel();
        let name = case.name;
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _ = tx.send(run(case.input));
            })
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let got = match rx.recv_timeout(DEADLINE) {
            Ok(got) => got,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("{name}: no answer within {DEADLINE:?} (a hang or an expansion)")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                failures.push(format!("{name}: panicked"));
                continue;
            }
        };
        if print {
            println!("// {name} ({} ms)", started.elapsed().as_millis());
            for line in &got {
                println!("    {line:?},");
            }
        }
        if got != case.expect {
            failures.push(format!(
                "{name}:\n  expected {:#?}\n  got {got:#?}",
                case.expect
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
