//! The built-in packs as a whole: what `builtin:recommended` and `builtin:security` decide
//! beyond the rules' own defaults.

use crate::finding::{Level, Tier};
use crate::policy::{LevelSetting, Policy};
use crate::testing::check;

/// A whole licence text: security/license matches the text, not a signature sentence.
const MIT: &str = include_str!("../../tests/fixtures/licenses/cargo-LICENSE-MIT");

/// `files/required` in `builtin:recommended` finds the licence and security policy wherever
/// `security/license` and `security/security-policy` read them, so with their
/// `report-missing = false` no file is reported missing that the security rules accept, and
/// none is accepted that they would report missing.
#[test]
fn recommended_requires_the_files_the_security_rules_read() {
    let security = "[rules.\"security/license\"]\n[rules.\"security/security-policy\"]\n";
    for (licence, policy) in [
        ("LICENSE", "SECURITY.md"),
        ("license.txt", "docs/Security.md"),
        ("Licence.md", ".github/security.rst"),
        ("COPYING.LESSER", "SECURITY"),
        ("LICENSE-MIT", "security.txt"),
        ("copying", ".github/SECURITY.markdown"),
        ("LICENSES/MIT.txt", "SECURITY.md"),
    ] {
        let files = [
            ("README.md", "# app\n"),
            (licence, MIT),
            (policy, "Write to security@acme.io.\n"),
        ];
        let missing: Vec<_> = check("extends = [\"builtin:recommended\"]\n", &files)
            .into_iter()
            .filter(|f| f.rule == "files/required" || f.rule.starts_with("security/"))
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        assert!(missing.is_empty(), "{licence}, {policy}: {missing:?}");
        let missing: Vec<_> = check(security, &files)
            .into_iter()
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        assert!(missing.is_empty(), "{licence}, {policy}: {missing:?}");
    }
    // Neither accepts a licence or policy in the wrong place.
    let files = [
        ("README.md", "# app\n"),
        ("legal/LICENSE", MIT),
        ("src/SECURITY.md", "Write to security@example.com.\n"),
    ];
    let required: Vec<_> = check("extends = [\"builtin:recommended\"]\n", &files)
        .into_iter()
        .filter(|f| f.rule == "files/required")
        .collect();
    assert_eq!(required.len(), 2, "{required:#?}");
    let security: Vec<_> = check(security, &files)
        .into_iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(
        security,
        ["security/license", "security/security-policy"],
        "{security:?}"
    );
}

/// Scorecard's critical and high checks are errors at bronze in `builtin:security`.
#[test]
fn security_makes_critical_and_high_checks_bronze_errors() {
    let registry = crate::Registry::builtin();
    let policy = Policy::load_builtin("security").expect("builtin:security");
    for id in [
        "ci/dangerous-trigger",
        "ci/template-injection",
        "files/binary-artifact",
        "ci/permissions-missing",
        "ci/excessive-permissions",
        "ci/update-tool-missing",
    ] {
        let config = &policy.rules[id];
        let meta = registry.get(id).expect("a rule").meta;
        let level = config
            .level
            .map_or(Some(meta.default_level), LevelSetting::level);
        assert_eq!(level, Some(Level::Error), "{id}");
        assert_eq!(config.tier.unwrap_or(meta.tier), Tier::Bronze, "{id}");
    }
    // A workflow with no permissions fails the run under the pack.
    let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: 1\n    steps:\n      - run: echo\n";
    let findings = check(
        "extends = [\"builtin:security\"]\n",
        &[(".github/workflows/ci.yml", workflow)],
    );
    assert!(
        findings
            .iter()
            .any(|f| f.rule == "ci/permissions-missing" && f.level == Level::Error),
        "{findings:#?}"
    );
}

/// A pwn request is a bronze finding under `builtin:recommended`.
#[test]
fn recommended_puts_dangerous_workflows_at_bronze() {
    let workflow = "on: pull_request_target\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: 1\n    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n";
    let findings = check(
        "extends = [\"builtin:recommended\"]\n",
        &[(".github/workflows/ci.yml", workflow)],
    );
    let injection = findings
        .iter()
        .find(|f| f.rule == "ci/template-injection")
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(injection.tier, Tier::Bronze);
    assert_eq!(injection.level, Level::Error);
}
