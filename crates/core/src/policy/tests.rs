use std::path::Path;

use super::*;
use crate::engine::Engine;
use crate::registry::Registry;
use crate::testing::{check, policy_error};

fn position(err: &PolicyError) -> (u32, u32) {
    let location = err.location.as_ref().expect("a position");
    (location.line, location.column)
}

#[test]
fn unknown_top_level_key_is_an_error_at_its_position() {
    let err = policy_error("extends = []\n\n[setings]\nfail-on = \"error\"\n");
    assert_eq!(position(&err), (3, 2), "{err}");
    assert!(err.message.contains("setings"), "{err}");
}

#[test]
fn unknown_setting_is_an_error_at_its_position() {
    let err = policy_error("[settings]\nfail-on = \"error\"\n  exclud = []\n");
    assert_eq!(position(&err), (3, 3), "{err}");
}

#[test]
fn unknown_rule_id_suggests_the_closest() {
    let err = policy_error("[rules.\"files/requird\"]\nlevel = \"error\"\n");
    assert_eq!(position(&err), (1, 8), "{err}");
    assert!(
        err.message.contains("did you mean `files/required`"),
        "{err}"
    );
}

#[test]
fn unknown_rule_option_is_an_error_at_its_value() {
    let err = policy_error("[rules.\"files/required\"]\nfiles = []\nfilez = 1\n");
    assert_eq!(position(&err), (3, 9), "{err}");
    assert!(err.message.contains("unknown option `filez`"), "{err}");
}

#[test]
fn bad_level_and_bad_fail_on_are_errors() {
    let err = policy_error("[rules.\"files/required\"]\nlevel = \"fatal\"\n");
    assert_eq!(position(&err), (2, 9), "{err}");
    let err = policy_error("[settings]\nfail-on = \"sometimes\"\n");
    assert_eq!(position(&err), (2, 11), "{err}");
}

#[test]
fn bad_exclude_glob_points_at_the_glob() {
    let err = policy_error("[settings]\nexclude = [\"ok/**\", \"bad[\"]\n");
    assert_eq!(position(&err), (2, 22), "{err}");
}

#[test]
fn malformed_toml_is_an_error_with_position() {
    let err = policy_error("[settings\nfail-on = 1\n");
    assert_eq!(err.location.as_ref().map(|l| l.line), Some(1), "{err}");
}

#[test]
fn level_off_disables_a_rule_from_a_pack() {
    let policy =
        "extends = [\"builtin:recommended\"]\n[rules.\"files/required\"]\nlevel = \"off\"\n";
    assert!(check(policy, &[])
        .iter()
        .all(|f| f.rule != "files/required"));
}

#[test]
fn a_child_overrides_a_packs_options_key_by_key() {
    let policy =
        "extends = [\"builtin:recommended\"]\n[rules.\"files/required\"]\nlevel = \"warning\"\n";
    let findings = check(policy, &[]);
    let required: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "files/required")
        .collect();
    // The pack's `files` stay; only the level changed.
    assert!(!required.is_empty());
    assert!(required.iter().all(|f| f.level == crate::Level::Warning));
}

#[test]
fn relative_extends_and_cycles() {
    let dir = std::env::temp_dir().join(format!("goldpath-policy-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("org")).unwrap();
    std::fs::write(
        dir.join("org/base.toml"),
        "[rules.\"files/required\"]\nfiles = [{ name = \"a README\", any-of = [\"README*\"] }]\n",
    )
    .unwrap();
    std::fs::write(dir.join("goldpath.toml"), "extends = [\"org/base.toml\"]\n").unwrap();
    let policy = Policy::load(&dir.join("goldpath.toml"), &FsReader).unwrap();
    assert!(policy.rules.contains_key("files/required"));
    assert_eq!(policy.sources.len(), 2);

    std::fs::write(dir.join("a.toml"), "extends = [\"b.toml\"]\n").unwrap();
    std::fs::write(dir.join("b.toml"), "\n\nextends = [\"./a.toml\"]\n").unwrap();
    let err = Policy::load(&dir.join("a.toml"), &FsReader).unwrap_err();
    assert!(err.message.contains("cycle"), "{err}");
    assert_eq!(position(&err), (3, 12), "{err}");

    let err = Policy::load(&dir.join("missing.toml"), &FsReader).unwrap_err();
    assert!(err.message.contains("not found"), "{err}");
    let err =
        Policy::from_text("p.toml", "extends = [\"nope.toml\"]", &dir, &FsReader).unwrap_err();
    assert_eq!(position(&err), (1, 12), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_builtin_pack_is_an_error() {
    let err = policy_error("extends = [\"builtin:nope\"]\n");
    assert_eq!(position(&err), (1, 12), "{err}");
    assert!(err.message.contains("known: recommended"), "{err}");
}

#[test]
fn builtin_recommended_parses_and_builds() {
    let policy = Policy::recommended().unwrap();
    Engine::new(&Registry::builtin(), &policy).unwrap();
}

const FORBID_A: &str = "[rules.\"files/required\"]\nfiles = [{ name = \"A\", any-of = [\"A\"] }]\n";

#[test]
fn waivers_accept_findings_until_they_expire() {
    let waiver = |expires: &str| {
        format!(
            "{FORBID_A}\n[[waivers]]\nrule = \"files/required\"\nreason = \"later\"\nowner = \"@acme/x\"\nexpires = {expires}\n"
        )
    };
    let run = |text: &str| {
        let policy = Policy::from_text("goldpath.toml", text, Path::new("."), &FsReader).unwrap();
        let engine = Engine::new(&Registry::builtin(), &policy)
            .unwrap()
            .with_today(Date {
                year: 2026,
                month: 6,
                day: 1,
            });
        engine.check(&crate::MemorySnapshot::new())
    };
    let report = run(&waiver("2026-06-01"));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.waived.len(), 1);
    assert_eq!(report.waived[0].reason, "later");
    assert_eq!(report.summary.waived, 1);

    let report = run(&waiver("2026-05-31"));
    let rules: Vec<_> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["files/required", "policy/waiver-expired"]);
    let expired = &report.findings[1];
    assert_eq!(expired.path.as_deref(), Some("goldpath.toml"));
    assert_eq!(expired.span.map(|s| s.line), Some(4));
}

#[test]
fn a_waiver_for_no_rule_is_an_error() {
    let err = policy_error("[[waivers]]\nrule = \"files/requird\"\nreason = \"x\"\n");
    assert!(err.message.contains("matches no rule"), "{err}");
    let err = policy_error("[[waivers]]\nrule = \"files/required\"\nreason = \" \"\n");
    assert!(err.message.contains("reason"), "{err}");
    let err = policy_error(
        "[[waivers]]\nrule = \"files/required\"\nreason = \"x\"\nexpires = 2027-01-01T10:00:00\n",
    );
    assert!(err.message.contains("date"), "{err}");
}

#[test]
fn dates() {
    assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
    assert_eq!(
        Date::from_days_since_epoch(20_454).to_string(),
        "2026-01-01"
    );
    assert_eq!(
        "2027-03-31".parse::<Date>().unwrap().to_string(),
        "2027-03-31"
    );
    assert!("2027-13-01".parse::<Date>().is_err());
}

#[test]
fn platform_defaults_to_github_and_rejects_unknown_values_at_their_position() {
    let load = |text: &str| Policy::from_text("goldpath.toml", text, Path::new("."), &FsReader);
    assert_eq!(load("").unwrap().settings.platform, Platform::GitHub);
    let gitlab = load("[settings]\nplatform = \"gitlab\"\n").unwrap();
    assert_eq!(gitlab.settings.platform, Platform::GitLab);
    assert_eq!(
        gitlab.settings.platform.dialect(),
        goldpath_codeowners::Dialect::GitLab
    );
    let err = policy_error("[settings]\nplatform = \"bitbucket\"\n");
    assert_eq!(position(&err), (2, 12), "{err}");
    assert!(err.message.contains("expected github or gitlab"), "{err}");
    let err = policy_error("[settings]\nplatform = 1\n");
    assert_eq!(err.location.as_ref().map(|l| l.line), Some(2), "{err}");
}

#[test]
fn every_builtin_pack_loads_and_builds() {
    let registry = crate::Registry::builtin();
    for (name, _) in super::BUILTIN_PACKS {
        let policy = Policy::load_builtin(name).unwrap_or_else(|e| panic!("builtin:{name}: {e}"));
        assert!(!policy.rules.is_empty(), "builtin:{name} enables no rule");
        crate::Engine::new(&registry, &policy).unwrap_or_else(|e| panic!("builtin:{name}: {e}"));
    }
}

#[test]
fn the_security_pack_covers_scorecards_file_checks() {
    let policy = Policy::load_builtin("security").unwrap();
    let ids: Vec<&str> = policy.rules.keys().map(String::as_str).collect();
    for id in [
        "security/security-policy",
        "security/license",
        "files/binary-artifact",
        "ci/unpinned-action",
        "security/dockerfile-pinned",
        "ci/permissions-missing",
        "ci/excessive-permissions",
        "ci/dangerous-trigger",
        "ci/template-injection",
        "ci/update-tool-missing",
    ] {
        assert!(ids.contains(&id), "builtin:security lacks {id}");
    }
    // No trusted owners: actions/checkout on a tag is reported too, and the pack's `trusted = []`
    // overrides recommended's list when both are extended.
    let text = "extends = [\"builtin:recommended\", \"builtin:security\"]\n";
    let workflow = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: 1\n    steps:\n      - uses: actions/checkout@v4\n";
    let findings = crate::testing::check(text, &[(".github/workflows/ci.yml", workflow)]);
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "ci/unpinned-action" && f.tier == crate::Tier::Silver),
        "{findings:#?}"
    );
}

/// Policy files in memory, by path.
struct Files(std::collections::HashMap<PathBuf, String>);

impl PolicyReader for Files {
    fn read(&self, path: &Path) -> io::Result<Option<String>> {
        Ok(self.0.get(path).cloned())
    }
}

fn files(list: impl IntoIterator<Item = (String, String)>) -> Files {
    Files(
        list.into_iter()
            .map(|(name, text)| (PathBuf::from("/p").join(name), text))
            .collect(),
    )
}

#[test]
fn a_diamond_of_extends_merges_each_file_once() {
    // Each file extends the next twice: 2^20 loads without the "once" rule.
    let reader = files((0..=20).map(|i| {
        let text = if i == 20 {
            "[rules.\"files/required\"]\n".to_owned()
        } else {
            format!("extends = [\"f{0}.toml\", \"f{0}.toml\"]\n", i + 1)
        };
        (format!("f{i}.toml"), text)
    }));
    let started = std::time::Instant::now();
    let policy = Policy::load(Path::new("/p/f0.toml"), &reader).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(policy.sources.len(), 21);
    assert!(policy.rules.contains_key("files/required"));
}

#[test]
fn a_file_already_merged_is_not_merged_again() {
    // `a` then `b` then `a` again: `b`'s level stays, the second `a` is skipped.
    let reader = files([
        (
            "root.toml".to_owned(),
            "extends = [\"a.toml\", \"b.toml\", \"a.toml\", \"builtin:recommended\", \"builtin:recommended\"]\n".to_owned(),
        ),
        (
            "a.toml".to_owned(),
            "[rules.\"files/required\"]\nlevel = \"note\"\n".to_owned(),
        ),
        (
            "b.toml".to_owned(),
            "[rules.\"files/required\"]\nlevel = \"warning\"\n".to_owned(),
        ),
    ]);
    let policy = Policy::load(Path::new("/p/root.toml"), &reader).unwrap();
    assert_eq!(
        policy.rules["files/required"].level,
        Some(LevelSetting::Warning)
    );
    assert_eq!(
        policy.sources,
        [
            "/p/a.toml",
            "/p/b.toml",
            "builtin:recommended",
            "/p/root.toml"
        ]
    );
}

#[test]
fn extends_depth_is_limited_at_the_extends_entry() {
    let chain = |depth: usize| {
        files((0..depth).map(|i| {
            let text = if i + 1 == depth {
                String::new()
            } else {
                format!("\nextends = [\"f{}.toml\"]\n", i + 1)
            };
            (format!("f{i}.toml"), text)
        }))
    };
    // On a test thread's small stack, the deepest chain allowed loads.
    let policy = Policy::load(Path::new("/p/f0.toml"), &chain(MAX_EXTENDS_DEPTH)).unwrap();
    assert_eq!(policy.sources.len(), MAX_EXTENDS_DEPTH);
    let err = Policy::load(Path::new("/p/f0.toml"), &chain(5_000)).unwrap_err();
    assert!(
        err.message
            .contains("`extends` nested deeper than the limit of 64 files"),
        "{err}"
    );
    let location = err.location.as_ref().unwrap();
    assert_eq!(location.file, "/p/f63.toml");
    assert_eq!((location.line, location.column), (2, 12));
}

#[test]
fn extends_count_is_limited() {
    let mut list = vec![(
        "root.toml".to_owned(),
        format!(
            "extends = [{}]\n",
            (0..300)
                .map(|i| format!("\"f{i}.toml\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )];
    list.extend((0..300).map(|i| (format!("f{i}.toml"), String::new())));
    let err = Policy::load(Path::new("/p/root.toml"), &files(list)).unwrap_err();
    assert!(
        err.message
            .contains("`extends` reaches more than the limit of 256 policy files"),
        "{err}"
    );
}

#[test]
fn policy_globs_are_limited_in_total_bytes() {
    let glob = format!("\"{}\"", "a".repeat(4_000));
    let text = format!("[settings]\nexclude = [{}]\n", vec![glob; 100].join(", "));
    let started = std::time::Instant::now();
    let err = policy_error(&text);
    assert!(
        err.message
            .contains("exceed the limit of 262144 bytes in total"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[cfg(unix)]
#[test]
fn policy_files_must_be_regular_and_at_most_1_mib() {
    let err = Policy::from_text(
        "p.toml",
        "extends = [\"/dev/zero\"]\n",
        Path::new("/"),
        &FsReader,
    )
    .unwrap_err();
    assert!(err.message.contains("not a regular file"), "{err}");

    let dir = std::env::temp_dir().join(format!("goldpath-policy-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);
    let err = Policy::load(&fifo, &FsReader).unwrap_err();
    assert!(err.message.contains("not a regular file"), "{err}");

    let big = dir.join("big.toml");
    std::fs::write(&big, format!("# {}\n", "x".repeat(2 << 20))).unwrap();
    let err = Policy::load(&big, &FsReader).unwrap_err();
    assert!(
        err.message
            .contains("larger than the policy file size limit of 1048576 bytes"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
