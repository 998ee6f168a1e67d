use std::path::Path;

use crate::finding::{Finding, Level, Tier};
use crate::policy::{FsReader, Policy};
use crate::testing::{check, check_snapshot, policy_error};
use crate::MemorySnapshot;

/// `(line, column, end_line, end_column)` of a finding's span.
fn at(finding: &Finding) -> Option<(u32, u32, u32, u32)> {
    finding
        .span
        .map(|s| (s.line, s.column, s.end_line, s.end_column))
}

/// `(line, column, message)` of a policy error.
fn error_at(policy: &str) -> (u32, u32, String) {
    let error = policy_error(policy);
    let location = error
        .location
        .unwrap_or_else(|| panic!("no location: {}", error.message));
    assert_eq!(location.file, "goldpath.toml");
    (location.line, location.column, error.message)
}

fn messages(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.message.as_str()).collect()
}

/// A policy with one custom rule `t/rule`, message `m`, and the given condition lines.
fn rule(lines: &str) -> String {
    format!("[[custom]]\nid = \"t/rule\"\nmessage = \"m\"\n{lines}\n")
}

const CATALOG: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: payments
  links:
    - url: https://wiki/runbook
      title: Runbook
    - url: https://grafana/d/1
spec:
  lifecycle: experimental
  owner: team-a
";

// ------------------------------------------------------------------ require = { file }

#[test]
fn require_file_is_one_repository_wide_finding() {
    let policy = rule(r#"require = { file = "{README,readme}*" }"#);
    let findings = check(&policy, &[("docs/README.md", "x")]);
    assert_eq!(
        messages(&findings),
        ["m: no file matches `{README,readme}*`"]
    );
    assert_eq!(findings[0].path, None);
    assert_eq!(findings[0].span, None);
    assert_eq!(findings[0].rule, "t/rule");
    assert_eq!(findings[0].level, Level::Error);
    assert_eq!(findings[0].tier, Tier::Bronze);
    assert!(check(&policy, &[("readme.txt", "x")]).is_empty());
}

// --------------------------------------------------------- require = { file, matches }

#[test]
fn require_matches_needs_a_match_in_every_matching_file() {
    let policy = rule(r#"require = { file = "**/Dockerfile", matches = "^USER " }"#);
    assert_eq!(
        messages(&check(&policy, &[])),
        ["m: no file matches `**/Dockerfile`"]
    );
    let findings = check(
        &policy,
        &[
            ("Dockerfile", "FROM x\nUSER app\n"),
            ("api/Dockerfile", "FROM x\nRUN make\n# USER app\n"),
        ],
    );
    assert_eq!(
        messages(&findings),
        ["m: no line of api/Dockerfile matches `^USER `"]
    );
    assert_eq!(findings[0].path.as_deref(), Some("api/Dockerfile"));
    assert_eq!(findings[0].span, None);
    assert!(check(&policy, &[("Dockerfile", "FROM x\nUSER app\n")]).is_empty());
}

// ------------------------------------------------------ require = { file, key, test }

#[test]
fn require_key_without_test_needs_the_key_in_yaml_json_and_toml() {
    let yaml = rule(r#"require = { file = "catalog-info.yaml", key = "metadata.links[*].url" }"#);
    assert!(check(&yaml, &[("catalog-info.yaml", CATALOG)]).is_empty());
    let findings = check(&yaml, &[("catalog-info.yaml", "metadata:\n  name: x\n")]);
    assert_eq!(
        messages(&findings),
        ["m: metadata.links[*].url is missing in catalog-info.yaml"]
    );
    assert_eq!(findings[0].path.as_deref(), Some("catalog-info.yaml"));
    assert_eq!(findings[0].span, None);

    let json = rule(r#"require = { file = "package.json", key = "engines.node" }"#);
    assert!(check(
        &json,
        &[("package.json", r#"{"engines": {"node": ">=20"}}"#)]
    )
    .is_empty());
    assert_eq!(
        messages(&check(&json, &[("package.json", r#"{"engines": {}}"#)])),
        ["m: engines.node is missing in package.json"]
    );

    let toml = rule(r#"require = { file = "pyproject.toml", key = "project.requires-python" }"#);
    assert!(check(
        &toml,
        &[(
            "pyproject.toml",
            "[project]\nrequires-python = \">=3.11\"\n"
        )]
    )
    .is_empty());
    assert_eq!(
        messages(&check(
            &toml,
            &[("pyproject.toml", "[project]\nname = \"x\"\n")]
        )),
        ["m: project.requires-python is missing in pyproject.toml"]
    );
    // The file itself must exist.
    assert_eq!(
        messages(&check(&toml, &[])),
        ["m: no file matches `pyproject.toml`"]
    );
}

#[test]
fn require_key_with_a_null_value_exists() {
    let policy = rule(r#"require = { file = "a.yaml", key = "x", exists = true }"#);
    assert!(check(&policy, &[("a.yaml", "x:\n")]).is_empty());
    assert_eq!(check(&policy, &[("a.yaml", "y: 1\n")]).len(), 1);
}

#[test]
fn require_equals_reports_each_other_value_at_its_span() {
    let policy = rule(
        r#"require = { file = "catalog-info.yaml", key = "spec.lifecycle", equals = "production" }"#,
    );
    let findings = check(&policy, &[("catalog-info.yaml", CATALOG)]);
    assert_eq!(
        messages(&findings),
        ["m: spec.lifecycle is \"experimental\", expected \"production\""]
    );
    assert_eq!(at(&findings[0]), Some((10, 14, 10, 26)));
    let fixed = CATALOG.replace("experimental", "production");
    assert!(check(&policy, &[("catalog-info.yaml", &fixed)]).is_empty());
}

#[test]
fn require_one_of_in_toml() {
    let policy = rule(
        r#"require = { file = "Cargo.toml", key = "package.edition", one-of = ["2021", "2024"] }"#,
    );
    let cargo = "[package]\nname = \"x\"\nedition = \"2018\"\n";
    let findings = check(&policy, &[("Cargo.toml", cargo)]);
    assert_eq!(
        messages(&findings),
        ["m: package.edition is \"2018\", expected one of \"2021\", \"2024\""]
    );
    // The span of a quoted string includes its quotes.
    assert_eq!(at(&findings[0]), Some((3, 11, 3, 17)));
    assert!(check(&policy, &[("Cargo.toml", &cargo.replace("2018", "2024"))]).is_empty());
}

#[test]
fn cargo_workspace_inheritance_is_resolved_from_the_root() {
    let policy = rule(
        r#"require = { file = "crates/*/Cargo.toml", key = "package.edition", one-of = ["2021", "2024"] }"#,
    );
    let root = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.package]\nedition = \"2021\"\n";
    let member = "[package]\nname = \"a\"\nedition.workspace = true\n";
    let dotted = "[package]\nname = \"b\"\nedition = { workspace = true }\n";
    let files = [
        ("Cargo.toml", root),
        ("crates/a/Cargo.toml", member),
        ("crates/b/Cargo.toml", dotted),
    ];
    assert!(
        check(&policy, &files).is_empty(),
        "{:?}",
        messages(&check(&policy, &files))
    );
    // The root's value is what is judged, and the message says where it comes from.
    let old = root.replace("2021", "2018");
    let findings = check(
        &policy,
        &[
            ("Cargo.toml", old.as_str()),
            ("crates/a/Cargo.toml", member),
        ],
    );
    assert_eq!(
        messages(&findings),
        ["m: package.edition is \"2018\" (inherited from workspace.package.edition in Cargo.toml), \
          expected one of \"2021\", \"2024\""]
    );
    assert_eq!(findings[0].path.as_deref(), Some("crates/a/Cargo.toml"));
    // A root without the value: the inheritance cannot satisfy the condition.
    let bare = "[workspace]\nmembers = [\"crates/*\"]\n";
    let findings = check(
        &policy,
        &[("Cargo.toml", bare), ("crates/a/Cargo.toml", member)],
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("no parent Cargo.toml has workspace.package.edition"));
}

#[test]
fn require_matches_on_every_selected_json_value() {
    let policy =
        rule(r#"require = { file = "package.json", key = "scripts.*", matches = "^(npm|node) " }"#);
    let json = "{\n  \"scripts\": {\n    \"build\": \"node build.js\",\n    \"test\": \"jest\",\n    \"n\": 1\n  }\n}\n";
    let findings = check(&policy, &[("package.json", json)]);
    assert_eq!(
        messages(&findings),
        [
            "m: scripts.test is \"jest\", expected a value matching `^(npm|node) `",
            "m: scripts.n is 1, expected a value matching `^(npm|node) `",
        ]
    );
    assert_eq!(at(&findings[0]), Some((4, 13, 4, 19)));
    assert_eq!(at(&findings[1]), Some((5, 10, 5, 11)));
}

#[test]
fn require_exists_false_reports_each_value_found() {
    let policy = rule(
        r#"require = { file = "**/*.yaml", key = "metadata.links[*].title", exists = false }"#,
    );
    let findings = check(&policy, &[("catalog-info.yaml", CATALOG)]);
    assert_eq!(
        messages(&findings),
        ["m: metadata.links[0].title is present"]
    );
    assert_eq!(at(&findings[0]), Some((7, 14, 7, 21)));
    assert!(check(&policy, &[("catalog-info.yaml", "metadata: {}\n")]).is_empty());
}

#[test]
fn multi_document_yaml_is_searched_in_every_document() {
    let policy =
        rule(r#"require = { file = "k8s/*.yaml", key = "spec.replicas", one-of = [2, 3] }"#);
    let stream = "kind: Service\nspec: {}\n---\nkind: Deployment\nspec:\n  replicas: 1\n---\nkind: Deployment\nspec:\n  replicas: 3\n";
    let findings = check(&policy, &[("k8s/app.yaml", stream)]);
    assert_eq!(
        messages(&findings),
        ["m: spec.replicas is 1, expected one of 2, 3"]
    );
    assert_eq!(at(&findings[0]), Some((6, 13, 6, 14)));
    // The key need only be in some document.
    assert!(check(
        &policy,
        &[("k8s/app.yaml", &stream.replace("replicas: 1", "x: 1"))]
    )
    .is_empty());
    // An empty stream has no documents, so no key.
    assert_eq!(
        messages(&check(&policy, &[("k8s/app.yaml", "# nothing\n")])),
        ["m: spec.replicas is missing in k8s/app.yaml"]
    );
}

#[test]
fn equality_compares_strings_by_text_and_numbers_by_value() {
    let yaml = "int: 1\nfloat: 1.0\nquoted: \"1\"\nflag: true\nlist: [1]\nnothing: ~\n";
    let holds = |key: &str, value: &str| {
        let policy = rule(&format!(
            "require = {{ file = \"a.yaml\", key = \"{key}\", equals = {value} }}"
        ));
        check(&policy, &[("a.yaml", yaml)]).is_empty()
    };
    assert!(holds("int", "1"));
    assert!(holds("int", "1.0"));
    assert!(holds("float", "1"));
    assert!(holds("int", "\"1\""));
    assert!(holds("float", "\"1.0\""));
    assert!(!holds("float", "\"1\""));
    assert!(holds("quoted", "\"1\""));
    assert!(!holds("quoted", "1"));
    assert!(holds("flag", "true"));
    assert!(holds("flag", "\"true\""));
    assert!(!holds("flag", "1"));
    assert!(!holds("list", "\"[1]\""));
    assert!(holds("nothing", "\"null\""));
}

// ------------------------------------------------------------------- forbid

#[test]
fn forbid_file_reports_each_matching_file() {
    let policy = rule(r#"forbid = { file = "**/*.pem" }"#);
    let findings = check(
        &policy,
        &[("a.pem", "x"), ("certs/b.pem", "y"), ("c.txt", "z")],
    );
    assert_eq!(
        messages(&findings),
        [
            "m: a.pem matches `**/*.pem`",
            "m: certs/b.pem matches `**/*.pem`"
        ]
    );
    assert_eq!(findings[1].path.as_deref(), Some("certs/b.pem"));
    assert!(check(&policy, &[("c.txt", "z")]).is_empty());
}

#[test]
fn forbid_matches_reports_each_match_with_its_span() {
    let policy = rule(r#"forbid = { file = "**/*.env", matches = "(?i)password=\\S+" }"#);
    let text = "USER=a\nPASSWORD=x\n# é password=y PASSWORD=x\n";
    let findings = check(&policy, &[("prod.env", text)]);
    assert_eq!(
        messages(&findings),
        [
            "m: found `PASSWORD=x`",
            "m: found `password=y`",
            "m: found `PASSWORD=x`"
        ]
    );
    assert_eq!(at(&findings[0]), Some((2, 1, 2, 11)));
    assert_eq!(at(&findings[1]), Some((3, 5, 3, 15)));
    assert_eq!(at(&findings[2]), Some((3, 16, 3, 26)));
    assert_eq!(findings[0].snippet.as_deref(), Some("PASSWORD=x"));
    // The same text twice: two findings, two fingerprints.
    assert_ne!(findings[0].fingerprint, findings[2].fingerprint);
    assert!(check(&policy, &[("prod.env", "USER=a\n")]).is_empty());
}

#[test]
fn forbid_matches_scans_non_utf8_files_as_bytes() {
    let policy = rule(r#"forbid = { file = "*.properties", matches = "secret" }"#);
    let snapshot =
        MemorySnapshot::new().with_file("a.properties", b"caf\xe9\n\xff\xfex=secret\n".to_vec());
    let findings = check_snapshot(&policy, &snapshot);
    assert_eq!(messages(&findings), ["m: found `secret`"]);
    // `\xff\xfe` are two invalid sequences: two characters before `x=`.
    assert_eq!(at(&findings[0]), Some((2, 5, 2, 11)));
    let span = findings[0].span.unwrap_or_else(|| unreachable!());
    assert_eq!((span.start_byte, span.end_byte), (9, 15));
}

#[test]
fn forbid_key_with_a_test_reports_each_passing_value() {
    let policy =
        rule(r#"forbid = { file = "**/package.json", key = "dependencies.*", equals = "latest" }"#);
    let json = "{\"dependencies\": {\"a\": \"latest\", \"b\": \"^1.0.0\", \"c\": \"latest\"}}";
    let findings = check(&policy, &[("web/package.json", json)]);
    assert_eq!(
        messages(&findings),
        [
            "m: dependencies.a is \"latest\"",
            "m: dependencies.c is \"latest\""
        ]
    );
    assert_eq!(at(&findings[0]), Some((1, 24, 1, 32)));
    assert_eq!(at(&findings[1]), Some((1, 54, 1, 62)));
    assert_eq!(findings[0].path.as_deref(), Some("web/package.json"));
}

#[test]
fn forbid_key_without_test_reports_every_value_in_toml() {
    let policy = rule(r#"forbid = { file = "Cargo.toml", key = "patch.*" }"#);
    let cargo = "[package]\nname = \"x\"\n\n[patch.crates-io]\nfoo = { path = \"../foo\" }\n";
    let findings = check(&policy, &[("Cargo.toml", cargo)]);
    assert_eq!(messages(&findings), ["m: patch.crates-io is present"]);
    // A table's span is its header.
    assert_eq!(at(&findings[0]).map(|(l, c, _, _)| (l, c)), Some((4, 1)));
    assert!(check(&policy, &[("Cargo.toml", "[package]\nname = \"x\"\n")]).is_empty());
}

#[test]
fn forbid_exists_false_reports_files_without_the_key() {
    let policy = rule(r#"forbid = { file = "**/*.json", key = "license", exists = false }"#);
    let findings = check(
        &policy,
        &[("a.json", "{\"license\": \"MIT\"}"), ("b.json", "{}")],
    );
    assert_eq!(messages(&findings), ["m: license is missing in b.json"]);
    assert_eq!(findings[0].path.as_deref(), Some("b.json"));
}

// --------------------------------------------------------------------- when

const WHEN_PRODUCTION: &str = r#"[[custom]]
id = "catalog/runbook"
message = "production services link a runbook"
help = "add the runbook under metadata.links"
level = "warning"
tier = "silver"
when = { file = "catalog-info.yaml", key = "spec.lifecycle", equals = "production" }
require = { file = "catalog-info.yaml", key = "metadata.links[*].url" }
"#;

#[test]
fn when_guards_the_rule() {
    let no_links = "metadata:\n  name: x\nspec:\n  lifecycle: production\n";
    let findings = check(WHEN_PRODUCTION, &[("catalog-info.yaml", no_links)]);
    assert_eq!(
        messages(&findings),
        ["production services link a runbook: metadata.links[*].url is missing in catalog-info.yaml"]
    );
    assert_eq!(findings[0].rule, "catalog/runbook");
    assert_eq!(findings[0].level, Level::Warning);
    assert_eq!(findings[0].tier, Tier::Silver);
    assert_eq!(
        findings[0].help.as_deref(),
        Some("add the runbook under metadata.links")
    );
    let experimental = no_links.replace("production", "experimental");
    assert!(check(WHEN_PRODUCTION, &[("catalog-info.yaml", &experimental)]).is_empty());
    let linked = CATALOG.replace("experimental", "production");
    assert!(check(WHEN_PRODUCTION, &[("catalog-info.yaml", &linked)]).is_empty());
    // No catalog at all: `when` does not hold.
    assert!(check(WHEN_PRODUCTION, &[]).is_empty());
}

#[test]
fn when_with_files_and_regexes() {
    let policy = rule("when = { file = \"Dockerfile\" }\nrequire = { file = \".dockerignore\" }");
    assert_eq!(check(&policy, &[("Dockerfile", "FROM x")]).len(), 1);
    assert!(check(&policy, &[("README", "x")]).is_empty());
    let policy = rule(
        "when = { file = \"Dockerfile\", matches = \"^FROM node\" }\nforbid = { file = \"Dockerfile\", matches = \"npm install\" }",
    );
    let node = "FROM node:20\nRUN npm install\n";
    let findings = check(&policy, &[("Dockerfile", node)]);
    assert_eq!(at(&findings[0]), Some((2, 5, 2, 16)));
    assert!(check(&policy, &[("Dockerfile", "FROM python\nRUN npm install\n")]).is_empty());
}

#[test]
fn when_that_cannot_be_decided_reports_the_malformed_file() {
    let findings = check(
        WHEN_PRODUCTION,
        &[("catalog-info.yaml", "spec:\n  lifecycle: [production\n")],
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(
        findings[0].message.starts_with(
            "production services link a runbook: cannot tell whether the rule applies: \
             catalog-info.yaml is not valid YAML: "
        ),
        "{}",
        findings[0].message
    );
    // The end of the text, where the flow sequence should have closed.
    assert_eq!(at(&findings[0]), Some((3, 1, 3, 1)));
}

// ---------------------------------------------------------- files that cannot be judged

#[test]
fn a_malformed_data_file_is_a_finding_at_the_parse_error() {
    let yaml = rule(r#"require = { file = "catalog-info.yaml", key = "spec.owner" }"#);
    let findings = check(
        &yaml,
        &[("catalog-info.yaml", "spec:\n  owner: a\n   bad: [\n")],
    );
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(
        messages(&findings),
        ["m: catalog-info.yaml is not valid YAML: mapping values are not allowed in this context"]
    );
    assert_eq!(at(&findings[0]), Some((3, 7, 3, 8)));
    assert_eq!(findings[0].path.as_deref(), Some("catalog-info.yaml"));

    let json = rule(r#"forbid = { file = "*.json", key = "x" }"#);
    let findings = check(&json, &[("a.json", "{\n  \"a\": 1,\n}\n")]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .starts_with("m: a.json is not valid JSON: "));
    assert_eq!(at(&findings[0]).map(|(l, c, _, _)| (l, c)), Some((3, 1)));

    let toml = rule(r#"require = { file = "*.toml", key = "x", equals = 1 }"#);
    let findings = check(&toml, &[("a.toml", "x = 1\ny = \n")]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(findings[0]
        .message
        .starts_with("m: a.toml is not valid TOML: "));
    assert_eq!(findings[0].span.map(|s| s.line), Some(2));
    // A parse error's fingerprint does not depend on its position.
    let moved = check(&toml, &[("a.toml", "x = 1\n\n\ny = \n")]);
    assert_eq!(moved[0].fingerprint, findings[0].fingerprint);
}

#[test]
fn key_conditions_on_other_formats_and_non_utf8_files_are_findings() {
    let policy = rule(r#"require = { file = "config.*", key = "x" }"#);
    let findings = check(&policy, &[("config.ini", "x=1")]);
    assert_eq!(
        messages(&findings),
        ["m: cannot read keys from config.ini: unsupported format (key conditions read .json, .yaml, .yml and .toml files)"]
    );
    let snapshot = MemorySnapshot::new().with_file("config.json", b"{\"x\": \"\xff\"}".to_vec());
    assert_eq!(
        messages(&check_snapshot(&policy, &snapshot)),
        ["m: config.json is not valid JSON: not UTF-8 text"]
    );
}

// --------------------------------------------------------------- fingerprints, levels

#[test]
fn fingerprints_do_not_depend_on_lines() {
    let policy = rule(
        r#"require = { file = "catalog-info.yaml", key = "spec.lifecycle", equals = "production" }"#,
    );
    let first = check(&policy, &[("catalog-info.yaml", CATALOG)]);
    let moved = format!("# a comment\n\n{CATALOG}");
    let second = check(&policy, &[("catalog-info.yaml", &moved)]);
    assert_ne!(first[0].span, second[0].span);
    assert_eq!(first[0].fingerprint, second[0].fingerprint);
    let other = CATALOG.replace("experimental", "deprecated");
    let third = check(&policy, &[("catalog-info.yaml", &other)]);
    assert_ne!(first[0].fingerprint, third[0].fingerprint);
}

#[test]
fn level_off_disables_and_wants_lists_content_globs() {
    let policy = rule("level = \"off\"\nrequire = { file = \"README.md\" }");
    assert!(check(&policy, &[]).is_empty());

    let text = rule(
        "when = { file = \"/catalog-info.yaml\", key = \"spec.lifecycle\" }\nforbid = { file = \"**/*.zip\" }",
    );
    let policy = Policy::from_text("goldpath.toml", &text, Path::new("."), &FsReader)
        .unwrap_or_else(|e| panic!("{e}"));
    let compiled = super::compile(&policy.custom[0]).unwrap_or_else(|e| panic!("{e}"));
    // Only conditions that look inside files read them; a leading `/` anchors nothing more.
    assert_eq!(compiled.rule.wants(), ["catalog-info.yaml"]);
    assert_eq!(compiled.level, Some(Level::Error));
    assert_eq!(compiled.tier, Tier::Bronze);
}

// ------------------------------------------------------------------ policy errors

#[test]
fn a_bad_glob_is_an_error_at_the_glob() {
    let (line, column, message) = error_at(&rule(r#"require = { file = "src/[a-" }"#));
    assert_eq!((line, column), (4, 21), "{message}");
    assert!(message.contains("src/[a-"), "{message}");
}

#[test]
fn a_bad_regex_is_an_error_at_the_regex() {
    let (line, column, message) = error_at(&rule(r#"forbid = { file = "*.md", matches = "a(b" }"#));
    assert_eq!((line, column), (4, 38), "{message}");
    assert!(message.starts_with("invalid regex `a(b`"), "{message}");
    // In `when`, and as the test of a key.
    let (line, column, _) = error_at(&rule(
        "when = { file = \"a.json\", key = \"x\", matches = \"[z-a]\" }\nrequire = { file = \"a\" }",
    ));
    assert_eq!((line, column), (4, 49));
}

#[test]
fn a_bad_key_path_is_an_error_at_the_offending_character() {
    let (line, column, message) = error_at(&rule(
        r#"require = { file = "a.yaml", key = "spec..owner" }"#,
    ));
    // `spec..owner` starts at column 37; the second dot is its 6th character.
    assert_eq!((line, column), (4, 42), "{message}");
    assert_eq!(
        message,
        "invalid key path `spec..owner`: empty segment between dots"
    );
    let (line, column, _) = error_at(&rule(r#"require = { file = "a.yaml", key = "links[x]" }"#));
    assert_eq!((line, column), (4, 43));
    // With escapes in the TOML string, the error points at the string.
    let (line, column, _) = error_at(&rule(r#"require = { file = "a.yaml", key = "a\u002E.b" }"#));
    assert_eq!((line, column), (4, 37));
}

#[test]
fn conflicting_tests_are_an_error_at_the_second() {
    let (line, column, message) = error_at(&rule(
        r#"require = { file = "a.yaml", key = "x", equals = 1, one-of = [1, 2] }"#,
    ));
    assert_eq!((line, column), (4, 62), "{message}");
    assert!(
        message.starts_with("`one-of` cannot be combined with `equals` in `require`"),
        "{message}"
    );
    let (line, column, message) = error_at(&rule(
        r#"forbid = { file = "a.yaml", key = "x", exists = true, matches = "y" }"#,
    ));
    assert_eq!((line, column), (4, 65), "{message}");
    assert!(message.starts_with("`matches` cannot be combined with `exists`"));
}

#[test]
fn tests_without_a_key_are_an_error_at_the_test() {
    let (line, column, message) = error_at(&rule(r#"require = { file = "a.yaml", equals = "x" }"#));
    assert_eq!((line, column), (4, 39), "{message}");
    assert!(message.starts_with("`equals` in `require` needs a `key`"));
    let (line, column, message) = error_at(&rule(
        "when = { file = \"a\", exists = false }\nrequire = { file = \"b\" }",
    ));
    assert_eq!((line, column), (4, 31), "{message}");
    assert!(message.starts_with("`exists` in `when` needs a `key`"));
}

#[test]
fn bad_test_values_are_errors_at_the_value() {
    let (line, column, message) = error_at(&rule(
        r#"require = { file = "a.yaml", key = "x", one-of = [] }"#,
    ));
    assert_eq!((line, column), (4, 50), "{message}");
    assert!(message.starts_with("`one-of` is empty"));
    let (line, column, message) = error_at(&rule(
        r#"require = { file = "a.yaml", key = "x", equals = [1] }"#,
    ));
    assert_eq!((line, column), (4, 50), "{message}");
    assert_eq!(
        message,
        "`equals` takes a string, number or boolean, not an array"
    );
}

#[test]
fn require_or_forbid_exactly_once() {
    let (line, column, message) = error_at(&rule(""));
    assert_eq!((line, column), (1, 1), "{message}");
    assert_eq!(
        message,
        "custom rule `t/rule` needs `require` or `forbid`: what must hold, or must not"
    );
    let text = format!(
        "[settings]\nfail-on = \"error\"\n\n{}",
        rule("require = { file = \"a\" }\nforbid = { file = \"b\" }")
    );
    let (line, column, message) = error_at(&text);
    assert_eq!((line, column), (4, 1), "{message}");
    assert!(message.contains("both `require` and `forbid`"));
}

#[test]
fn a_bad_id_is_an_error_at_the_id() {
    let (line, column, message) = error_at(
        "[[custom]]\nid = \"Catalog/Runbook\"\nmessage = \"m\"\nrequire = { file = \"a\" }\n",
    );
    assert_eq!((line, column), (2, 6), "{message}");
    assert!(message.contains("`Catalog/Runbook` must be `family/name`"));
    let (line, column, _) =
        error_at("[[custom]]\nid = \"runbook\"\nmessage = \"m\"\nrequire = { file = \"a\" }\n");
    assert_eq!((line, column), (2, 6));
}

#[test]
fn an_empty_message_is_an_error() {
    let (line, column, message) =
        error_at("[[custom]]\nid = \"a/b\"\nmessage = \" \"\nrequire = { file = \"a\" }\n");
    assert_eq!((line, column), (1, 1), "{message}");
    assert_eq!(message, "custom rule `a/b` has an empty `message`");
}

#[test]
fn the_examples_of_the_guide_compile() {
    let guide = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/custom-rules.md"
    ));
    let mut blocks = 0;
    for block in guide.split("```toml\n").skip(1) {
        let text = block.split("```").next().unwrap_or_default();
        let policy = Policy::from_text("goldpath.toml", text, Path::new("."), &FsReader)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        for spec in &policy.custom {
            if let Err(e) = super::compile(spec) {
                panic!("{e}\n{text}");
            }
        }
        blocks += 1;
    }
    assert!(blocks >= 8, "{blocks} examples");
    // The guide's first example behaves as it says.
    let example = guide
        .split("```toml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_default();
    let production = "metadata:\n  name: payments\nspec:\n  lifecycle: production\n";
    assert_eq!(
        messages(&check(example, &[("catalog-info.yaml", production)])),
        ["production services link a runbook: metadata.links[*].url is missing in catalog-info.yaml"]
    );
    let experimental = production.replace("production", "experimental");
    assert!(check(example, &[("catalog-info.yaml", &experimental)]).is_empty());
}
