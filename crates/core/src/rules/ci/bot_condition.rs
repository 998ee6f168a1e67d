use std::collections::HashMap;

use super::dangerous_trigger::privileged_trigger;
use super::places::conditions;
use super::{each_github, nth_key};
use crate::ci::ast::{parse_condition, Expr, Kind, Op};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/bot-condition",
    summary: "Privileged workflows do not trust `github.actor` to identify a bot",
    level: Error,
    tier: Silver,
    scope: PerFile,
    rule: BotCondition,
    what: "In a workflow triggered by `pull_request_target`, `workflow_run` or \
           `issue_comment` (the triggers `ci/dangerous-trigger` judges: they run with the \
           base repository's secrets and a write token), a job's or step's `if:` that lets \
           a bot through by the run's actor: `github.actor`, `github.triggering_actor` or \
           `github.event.sender.login` compared with `==` to a name ending in `[bot]` \
           (`'dependabot[bot]'`, any letter case, written `github['actor']` too), \
           `github.actor_id` or `github.event.sender.id` compared with the id of \
           Dependabot or Renovate, or `endsWith`/`contains` of those names with `[bot]`. \
           Comparisons under `!` (which keep the bot out) and `!=` are not reported. \
           Reported at the comparison.",
    why: "`github.actor` is whoever caused the latest event, not who wrote the pull \
          request: an outsider opens a pull request from a fork, then makes Dependabot \
          act on it (asking it to rebase or recreate the branch the fork's pull request \
          is based on), and the run's actor is `dependabot[bot]`. A job that auto-merges \
          or approves \"Dependabot's\" pull requests, with the base repository's token, \
          then does so for the outsider's code.",
    example: "```yaml\non: pull_request_target\njobs:\n  automerge:\n    if: github.actor == \
              'dependabot[bot]'        # reported\n    steps:\n      - run: gh pr merge --auto \
              \"$PR\"\n```",
    fix: "Check who opened the pull request, which cannot be spoofed: \
          `github.event.pull_request.user.login == 'dependabot[bot]'` (and for \
          `workflow_run`, the triggering run's `github.event.workflow_run.actor.login` \
          is no better: check the pull request's author through the API).",
}

/// Contexts naming the actor of the run, which an outsider can make a bot.
const ACTOR_NAMES: &[&str] = &[
    "github.actor",
    "github.triggering_actor",
    "github.event.sender.login",
    "github.event.pull_request.sender.login",
];

/// Contexts holding the actor's numeric id.
const ACTOR_IDS: &[&str] = &[
    "github.actor_id",
    "github.event.sender.id",
    "github.event.pull_request.sender.id",
];

/// Ids of bots that have no `[bot]` suffix to compare: dependabot[bot]'s user and
/// integration ids, dependabot-preview[bot], renovate[bot].
const BOT_IDS: &[&str] = &["49699333", "29110", "27856297", "29139614"];

/// The literal text of a string or number node.
fn literal(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        Kind::String(s) | Kind::Number(s) => Some(s.as_str()),
        _ => None,
    }
}

/// Whether `left == right` (either way round) compares the actor with a bot.
fn compares_bot(a: &Expr, b: &Expr) -> bool {
    let check = |context: &Expr, value: &Expr| {
        let (Some(path), Some(value)) = (context.context_path(), literal(value)) else {
            return false;
        };
        (ACTOR_NAMES.contains(&path.as_str()) && value.to_ascii_lowercase().ends_with("[bot]"))
            || (ACTOR_IDS.contains(&path.as_str()) && BOT_IDS.contains(&value.trim()))
    };
    check(a, b) || check(b, a)
}

/// The bot checks of a condition, outside any `!`.
fn bot_checks<'e>(expr: &'e Expr, found: &mut Vec<&'e Expr>) {
    match &expr.kind {
        Kind::Binary(left, Op::Eq, right) if compares_bot(left, right) => found.push(expr),
        Kind::Binary(left, _, right) => {
            bot_checks(left, found);
            bot_checks(right, found);
        }
        Kind::Call(name, args) if matches!(name.as_str(), "endswith" | "contains") => {
            let suffix = args.get(1).and_then(literal).is_some_and(|s| {
                let s = s.to_ascii_lowercase();
                s == "[bot]" || s.ends_with("[bot]")
            });
            let actor = args
                .first()
                .and_then(Expr::context_path)
                .is_some_and(|p| ACTOR_NAMES.contains(&p.as_str()));
            if args.len() == 2 && suffix && actor {
                found.push(expr);
            } else {
                args.iter().for_each(|a| bot_checks(a, found));
            }
        }
        Kind::Call(_, args) => args.iter().for_each(|a| bot_checks(a, found)),
        _ => {}
    }
}

impl Rule for BotCondition {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let Some(event) = github.as_workflow().and_then(privileged_trigger) else {
                return;
            };
            let mut seen = HashMap::new();
            for condition in conditions(github) {
                let text = &condition.value.value;
                let Some(expr) = parse_condition(text) else {
                    continue;
                };
                let mut found = Vec::new();
                bot_checks(&expr, &mut found);
                for check in found {
                    let written = &text[check.range.clone()];
                    let whose = condition.whose();
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`{written}` gates {whose} in a `{event}` workflow: the actor is \
                                 whoever caused the latest event, and an outsider can make a \
                                 bot act on their pull request"
                            ),
                        )
                        .span(github.text().locate(&condition.value, check.range.clone()))
                        .help(
                            "check the pull request's author instead: \
                             `github.event.pull_request.user.login == 'dependabot[bot]'`",
                        )
                        .key(nth_key(format!("{whose}:{written}"), &mut seen)),
                    );
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/bot-condition\"]\n";

    #[test]
    fn reports_actor_checks_in_privileged_workflows() {
        let workflow = "on: pull_request_target\njobs:\n  a:\n    if: github.actor == 'dependabot[bot]'\n    \
                        steps:\n      - run: x\n        if: ${{ github['ACTOR'] == 'Renovate[bot]' && github.repository == 'o/r' }}\n      \
                        - run: x\n        if: github.actor_id == 49699333\n      \
                        - run: x\n        if: github.actor != 'dependabot[bot]'\n      \
                        - run: x\n        if: \"!(github.actor == 'dependabot[bot]')\"\n      \
                        - run: x\n        if: github.actor == 'octocat'\n      \
                        - run: x\n        if: github.event.pull_request.user.login == 'dependabot[bot]'\n      \
                        - run: x\n        if: endsWith(github.triggering_actor, '[bot]')\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(
            lines(&findings),
            [(4, 9), (7, 17), (9, 13), (19, 13)],
            "{findings:#?}"
        );
        assert!(findings[1]
            .message
            .contains("`github['ACTOR'] == 'Renovate[bot]'`"));
    }

    #[test]
    fn other_triggers_are_not_judged() {
        let workflow =
            "on: pull_request\njobs:\n  a:\n    if: github.actor == 'dependabot[bot]'\n    \
                        steps: [{run: x}]\n";
        assert!(check(POLICY, &[(".github/workflows/ci.yml", workflow)]).is_empty());
    }
}
