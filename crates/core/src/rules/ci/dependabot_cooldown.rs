use crate::ci::dependabot::Update;
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/dependabot-cooldown",
    summary: "Dependabot waits a few days before proposing a new release (`cooldown`)",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "days",
        kind: "integer",
        help: "The shortest acceptable `cooldown.default-days`. Default: 7.",
    }],
    what: "Every entry of `updates` in `.github/dependabot.yml` (or `.yaml`) has a \
           `cooldown` whose `default-days` is at least `days` (7 by default). Reported at \
           the entry's `package-ecosystem` when there is no `cooldown`, at `cooldown` when \
           it sets no `default-days` (unless `semver-major-days`, `semver-minor-days` and \
           `semver-patch-days` are all set to at least `days`), and at `default-days` when \
           it is shorter. Entries that are not mappings are left to Dependabot's own \
           validation.",
    why: "Compromised releases (of npm packages, PyPI packages, actions) are usually found \
          and yanked within days. Without a cooldown Dependabot proposes a new release \
          the hour it is published, and a team that merges its pull requests quickly \
          installs the compromised version. A cooldown of a week lets the ecosystem \
          notice first; security updates are not delayed by it.",
    example: "```yaml\nupdates:\n  - package-ecosystem: cargo      # reported: no \
              cooldown\n    directory: /\n    schedule: {interval: weekly}\n  - \
              package-ecosystem: npm\n    directory: /\n    schedule: {interval: weekly}\n    \
              cooldown:\n      default-days: 7             # not reported\n```",
    fix: "Add `cooldown: {default-days: 7}` to each entry (and, if you want, longer \
          `semver-major-days`). Lower the bar with `days` where a shorter wait is a \
          deliberate choice.",
}

/// The default minimum cooldown, in days.
const DEFAULT_DAYS: i64 = 7;

struct DependabotCooldown {
    days: i64,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let days: i64 = params.take("days")?.unwrap_or(DEFAULT_DAYS);
    if days < 0 {
        return Err(PolicyError::new(format!(
            "`days` must be a number of days (0 or more), found {days}"
        )));
    }
    Ok(Box::new(DependabotCooldown { days }))
}

/// A whole number of days, when the node is one.
fn days_of(node: Option<&Node>) -> Option<i64> {
    let node = node?;
    node.as_i64()
        .or_else(|| node.as_str().and_then(|s| s.trim().parse().ok()))
}

impl DependabotCooldown {
    fn judge(&self, path: &str, update: &Update<'_>, out: &mut Vec<Violation>) {
        let at = update
            .node
            .get_entry("package-ecosystem")
            .map_or(update.node.span, |e| e.key.span);
        let label = update.label();
        let key = format!("{}:{label}", update.index);
        let help = format!(
            "add `cooldown: {{default-days: {}}}` to this entry",
            self.days
        );
        let Some(cooldown) = update.node.get_entry("cooldown") else {
            out.push(
                Violation::file(
                    path,
                    format!("Dependabot updates `{label}` have no `cooldown`: new releases are proposed the moment they are published"),
                )
                .span(at)
                .help(help)
                .key(key),
            );
            return;
        };
        let value = &cooldown.value;
        match value.get_entry("default-days") {
            Some(entry) => match days_of(Some(&entry.value)) {
                Some(days) if days >= self.days => {}
                found => out.push(
                    Violation::file(
                        path,
                        format!(
                            "Dependabot updates `{label}` wait {} before proposing a new release, less than {} days",
                            found.map_or_else(|| format!("`{}`", entry.value.to_display()), |d| format!("{d} days")),
                            self.days
                        ),
                    )
                    .span(entry.value.span)
                    .help(format!("set `default-days: {}`", self.days))
                    .key(key),
                ),
            },
            None => {
                let all_semver = ["semver-major-days", "semver-minor-days", "semver-patch-days"]
                    .iter()
                    .all(|k| days_of(value.get(k)).is_some_and(|d| d >= self.days));
                if !all_semver {
                    out.push(
                        Violation::file(
                            path,
                            format!(
                                "Dependabot updates `{label}` have a `cooldown` without `default-days`: releases it does not cover are proposed at once"
                            ),
                        )
                        .span(cooldown.key.span)
                        .help(format!("add `default-days: {}` to `cooldown`", self.days))
                        .key(key),
                    );
                }
            }
        }
    }
}

impl Rule for DependabotCooldown {
    fn wants(&self) -> Vec<String> {
        super::dependabot_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        super::each_dependabot_update(cx, |path, update| self.judge(path, update, out));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/dependabot-cooldown\"]\n";
    const CONFIG: &str = "version: 2\nupdates:\n  - package-ecosystem: cargo\n    directory: /\n  \
                          - package-ecosystem: npm\n    directory: /web\n    cooldown:\n      \
                          default-days: 3\n  - package-ecosystem: pip\n    directory: /\n    \
                          cooldown:\n      semver-major-days: 30\n  - package-ecosystem: gomod\n    \
                          directory: /\n    cooldown:\n      default-days: 7\n  - package-ecosystem: docker\n    \
                          directory: /\n    cooldown:\n      semver-major-days: 7\n      \
                          semver-minor-days: 7\n      semver-patch-days: 10\n";

    #[test]
    fn reports_missing_short_and_partial_cooldowns() {
        let findings = check(POLICY, &[(".github/dependabot.yml", CONFIG)]);
        assert_eq!(
            lines(&findings),
            [(3, 5), (8, 21), (11, 5)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .contains("`cargo in /` have no `cooldown`"));
        assert!(findings[1].message.contains("wait 3 days"));
        assert!(findings[2].message.contains("without `default-days`"));
    }

    #[test]
    fn days_sets_the_bar() {
        let policy = "[rules.\"ci/dependabot-cooldown\"]\ndays = 3\n";
        let findings = check(policy, &[(".github/dependabot.yaml", CONFIG)]);
        assert_eq!(lines(&findings), [(3, 5), (11, 5)]);
        let bad = "[rules.\"ci/dependabot-cooldown\"]\ndays = -1\n";
        assert!(crate::testing::policy_error(bad)
            .to_string()
            .contains("`days` must be"));
    }

    #[test]
    fn other_files_and_odd_shapes_are_ignored() {
        assert!(check(POLICY, &[("dependabot.yml", CONFIG)]).is_empty());
        for text in ["", "updates: 5\n", "updates: [x, 5]\n", "updates: [\n"] {
            assert!(
                check(POLICY, &[(".github/dependabot.yml", text)]).is_empty(),
                "{text}"
            );
        }
    }
}
