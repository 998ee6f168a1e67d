use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/dependabot-execution",
    summary: "Dependabot does not run code from dependencies while it updates them",
    level: Error,
    tier: Silver,
    scope: PerFile,
    rule: DependabotExecution,
    what: "No entry of `updates` in `.github/dependabot.yml` (or `.yaml`) sets \
           `insecure-external-code-execution: allow`. Reported at the value.",
    why: "With `allow`, Dependabot runs the code of the manifests it updates (a \
          `setup.py`, a gemspec, a Gradle script) while resolving versions, with access \
          to the private registries and credentials of the repository's Dependabot \
          configuration. A compromised or typosquatted dependency then runs its own code \
          there.",
    example: "```yaml\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    \
              schedule: {interval: weekly}\n    insecure-external-code-execution: allow   \
              # reported\n```",
    fix: "Remove the key (`deny` is the default) or set it to `deny`. If resolution needs \
          code execution (a `setup.py` that computes its dependencies), move the \
          dependencies to a declarative file (`pyproject.toml`, `requirements.txt`).",
}

impl Rule for DependabotExecution {
    fn wants(&self) -> Vec<String> {
        super::dependabot_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        super::each_dependabot_update(cx, |path, update| {
                let Some(value) = update.node.get("insecure-external-code-execution") else {
                    return;
                };
                if !value
                    .as_str()
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("allow"))
                {
                    return;
                }
                out.push(
                    Violation::file(
                        path,
                        format!(
                            "Dependabot updates `{}` may run code from the dependencies they update (`insecure-external-code-execution: allow`)",
                            update.label()
                        ),
                    )
                    .span(value.span)
                    .help("remove `insecure-external-code-execution` (the default is `deny`)")
                    .key(format!("{}:{}", update.index, update.label())),
                );
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/dependabot-execution\"]\n";

    #[test]
    fn reports_allow_only() {
        let config = "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    \
                      insecure-external-code-execution: allow\n  - package-ecosystem: bundler\n    \
                      directory: /\n    insecure-external-code-execution: deny\n  - package-ecosystem: mix\n    \
                      directory: /\n";
        let findings = check(POLICY, &[(".github/dependabot.yml", config)]);
        assert_eq!(lines(&findings), [(5, 39)], "{findings:#?}");
        assert!(findings[0].message.contains("`pip in /`"));
        assert!(check(POLICY, &[("other/dependabot.yml", config)]).is_empty());
    }
}
