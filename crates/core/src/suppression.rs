//! Inline suppressions: `# goldpath: ignore[rule-id] reason` on the line a finding is reported
//! at (or another line of its span), when the policy allows them (`[settings] inline-suppressions = true`). zizmor's
//! `# zizmor: ignore[audit]` comments are honoured for the audits that map to goldpath rules,
//! so a workflow checked by both tools is annotated once. A locked rule is never suppressed.

use crate::glob::Glob;

/// zizmor's audits and the goldpath rules that report the same findings.
pub const ZIZMOR_AUDITS: &[(&str, &[&str])] = &[
    ("unpinned-uses", &["ci/unpinned-action"]),
    (
        "excessive-permissions",
        &["ci/excessive-permissions", "ci/permissions-missing"],
    ),
    ("dangerous-triggers", &["ci/dangerous-trigger"]),
    ("unsafe-checkout", &["ci/dangerous-trigger"]),
    ("template-injection", &["ci/template-injection"]),
    ("artipacked", &["ci/persist-credentials"]),
    ("unpinned-images", &["ci/unpinned-image"]),
    ("github-env", &["ci/github-env"]),
    ("bot-conditions", &["ci/bot-condition"]),
    ("overprovisioned-secrets", &["ci/secrets-overexposed"]),
    ("unredacted-secrets", &["ci/secrets-unredacted"]),
    ("insecure-commands", &["ci/insecure-commands"]),
    (
        "hardcoded-container-credentials",
        &["ci/container-credentials"],
    ),
    ("unsound-contains", &["ci/unsound-contains"]),
    ("unsound-condition", &["ci/unsound-condition"]),
    ("cache-poisoning", &["ci/cache-poisoning"]),
    ("archived-uses", &["ci/archived-action"]),
    ("typosquat-uses", &["ci/typosquat-action"]),
    ("known-vulnerable-actions", &["ci/vulnerable-action"]),
    ("dependabot-cooldown", &["ci/dependabot-cooldown"]),
    ("dependabot-execution", &["ci/dependabot-execution"]),
];

/// The reason of the suppression of `rule` that `line` holds, if it holds one: the text after
/// the closing bracket (`"inline suppression"` when there is none, as zizmor's comments have).
/// Entries are rule ids or globs of ids (`ci/*`), separated by commas.
pub fn reason(line: &str, rule: &str) -> Option<String> {
    for (marker, zizmor) in [("goldpath: ignore[", false), ("zizmor: ignore[", true)] {
        let mut rest = line;
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            let Some(close) = after.find(']') else {
                break;
            };
            let names_rule = after[..close].split(',').map(str::trim).any(|entry| {
                if zizmor {
                    ZIZMOR_AUDITS
                        .iter()
                        .any(|(audit, rules)| *audit == entry && rules.contains(&rule))
                } else {
                    entry == rule || Glob::new(entry).is_ok_and(|glob| glob.is_match(rule))
                }
            });
            if names_rule {
                let text = after[close + 1..].trim();
                let tool = if zizmor { "zizmor" } else { "goldpath" };
                return Some(if text.is_empty() {
                    format!("inline suppression (`{tool}: ignore`)")
                } else {
                    text.to_owned()
                });
            }
            rest = &after[close..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn names_rules_by_id_and_glob_with_a_reason() {
        let line = "      - uses: actions/checkout@v4 # goldpath: ignore[ci/unpinned-action] vendored mirror";
        assert_eq!(
            reason(line, "ci/unpinned-action").as_deref(),
            Some("vendored mirror")
        );
        assert_eq!(reason(line, "ci/template-injection"), None);
        let both = "x # goldpath: ignore[files/content, ci/*]";
        assert!(reason(both, "files/content").is_some());
        assert!(reason(both, "ci/missing-timeout").is_some());
        assert!(reason(both, "security/secrets").is_none());
        assert_eq!(reason("x # goldpath: ignore[ci/*", "ci/a"), None);
    }

    #[test]
    fn zizmor_comments_suppress_the_rules_their_audits_map_to() {
        let line = "    - uses: actions/checkout@v4  # zizmor: ignore[artipacked,unpinned-uses]";
        assert!(reason(line, "ci/persist-credentials").is_some());
        assert!(reason(line, "ci/unpinned-action").is_some());
        assert!(reason(line, "ci/template-injection").is_none());
        // An audit name is not a goldpath rule id, nor the other way round.
        assert!(reason("# zizmor: ignore[ci/unpinned-action]", "ci/unpinned-action").is_none());
        assert!(reason("# goldpath: ignore[unpinned-uses]", "ci/unpinned-action").is_none());
    }

    #[test]
    fn zizmor_supply_chain_audits_map_to_their_rules() {
        for (audit, rule) in [
            ("cache-poisoning", "ci/cache-poisoning"),
            ("archived-uses", "ci/archived-action"),
            ("typosquat-uses", "ci/typosquat-action"),
            ("known-vulnerable-actions", "ci/vulnerable-action"),
            ("dependabot-cooldown", "ci/dependabot-cooldown"),
            ("dependabot-execution", "ci/dependabot-execution"),
        ] {
            let line = format!("x # zizmor: ignore[{audit}]");
            assert!(reason(&line, rule).is_some(), "{audit}");
            assert!(reason(&line, "ci/unpinned-action").is_none(), "{audit}");
        }
    }
}
