use std::collections::HashMap;

use super::places::{env_blocks, from_to};
use super::{each_github, nth_key};
use crate::ci::github::GithubFile;
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/insecure-commands",
    summary: "The deprecated `set-env` and `add-path` workflow commands stay disabled",
    level: Error,
    tier: Silver,
    scope: PerFile,
    rule: InsecureCommands,
    what: "`ACTIONS_ALLOW_UNSECURE_COMMANDS` set to a value the runner reads as true \
           (`true` in any letter case, spaces around allowed, as .NET's `bool.TryParse` \
           reads it; `yes` and `1` are false) in an `env:` of the workflow, a job, a step \
           or a composite action's step, or in a `strategy.matrix` entry (which a step \
           passes on with `env: ${{ matrix.env }}`). Reported from the `env:` key (the \
           line zizmor reports, so its `# zizmor: ignore[insecure-commands]` comments \
           apply) to the value.",
    why: "The variable re-enables the `::set-env::` and `::add-path::` commands that \
          GitHub disabled in 2020 (CVE-2020-15228): any process whose output the runner \
          reads (a test printing a pull request's title, a log of fetched data) can then \
          set `LD_PRELOAD`, `NODE_OPTIONS` or `PATH` for every later step and run code \
          with the job's token and secrets.",
    example:
        "```yaml\njobs:\n  build:\n    env:                                # reported\n      \
              ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n```",
    fix: "Remove the variable and write to the environment files instead: \
          `echo \"NAME=value\" >> \"$GITHUB_ENV\"` and `echo \"$DIR\" >> \"$GITHUB_PATH\"`. \
          An action that still prints `::set-env::` has a newer release that does not.",
}

const VARIABLE: &str = "ACTIONS_ALLOW_UNSECURE_COMMANDS";

/// Whether the runner reads `value` as true (`bool.TryParse`: `true` in any case, trimmed).
fn truthy(node: &Node) -> bool {
    node.as_bool()
        .or_else(|| node.as_str().map(|s| s.trim().eq_ignore_ascii_case("true")))
        .unwrap_or(false)
}

/// The entry of the variable in a mapping, when it is set true.
fn enabling(map: &Node) -> Option<&crate::doc::Entry> {
    map.as_map()?
        .iter()
        .find(|e| e.key_str() == Some(VARIABLE) && truthy(&e.value))
}

/// Every mapping under a job's `strategy.matrix` that sets the variable.
fn matrix_entries<'n>(node: &'n Node, found: &mut Vec<&'n crate::doc::Entry>) {
    if let Some(entry) = enabling(node) {
        found.push(entry);
    }
    match &node.value {
        crate::doc::Value::Map(entries) => {
            entries.iter().for_each(|e| matrix_entries(&e.value, found));
        }
        crate::doc::Value::Seq(items) => items.iter().for_each(|i| matrix_entries(i, found)),
        _ => {}
    }
}

impl Rule for InsecureCommands {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            let mut report = |from, to: &crate::doc::Entry, what: &str| {
                out.push(
                    Violation::file(
                        &file.path,
                        format!(
                            "`{VARIABLE}: {}` {what} re-enables the `set-env` and `add-path` \
                             workflow commands: any output the runner reads can then set \
                             environment variables and `PATH` for later steps",
                            to.value.to_display().trim()
                        ),
                    )
                    .span(from_to(from, to.value.span))
                    .help("remove it and write to \"$GITHUB_ENV\" and \"$GITHUB_PATH\" instead")
                    .key(nth_key(format!("line-{}", to.key.span.line), &mut seen)),
                );
            };
            for block in env_blocks(github) {
                if let Some(entry) = enabling(block.value) {
                    report(block.key, entry, "in `env`");
                }
            }
            if let GithubFile::Workflow(w) = github {
                let jobs = w
                    .root
                    .get("jobs")
                    .and_then(Node::as_map)
                    .unwrap_or_default();
                for job in jobs {
                    let Some(matrix) = job.value.get("strategy").and_then(|s| s.get("matrix"))
                    else {
                        continue;
                    };
                    let mut found = Vec::new();
                    matrix_entries(matrix, &mut found);
                    for entry in found {
                        report(entry.key.span, entry, "in a matrix entry");
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::positions;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/insecure-commands\"]\n";

    #[test]
    fn reports_true_values_at_every_level() {
        let workflow = "on: push\nenv:\n  ACTIONS_ALLOW_UNSECURE_COMMANDS: 'True '\njobs:\n  a:\n    \
                        env: {ACTIONS_ALLOW_UNSECURE_COMMANDS: false}\n    strategy:\n      matrix:\n        \
                        env:\n          - ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n    steps:\n      \
                        - run: echo\n        env:\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: true\n      \
                        - run: echo\n        env:\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: yes\n          \
                        OTHER: true\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        let at: Vec<(u32, u32)> = positions(&findings)
            .into_iter()
            .map(|(_, l, c)| (l, c))
            .collect();
        assert_eq!(at, [(2, 1), (10, 13), (13, 9)], "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("`ACTIONS_ALLOW_UNSECURE_COMMANDS: True`"));
    }

    #[test]
    fn reports_composite_action_steps() {
        let action =
            "runs:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n      \
                      env:\n        ACTIONS_ALLOW_UNSECURE_COMMANDS: \"true\"\n";
        let findings = check(POLICY, &[("action.yml", action)]);
        assert_eq!(positions(&findings), [("action.yml".to_owned(), 6, 7)]);
    }
}
