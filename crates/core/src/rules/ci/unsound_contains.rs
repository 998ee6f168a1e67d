use std::collections::HashMap;

use super::places::conditions;
use super::{each_github, nth_key};
use crate::ci::ast::{parse_condition, Expr, Kind};
use crate::ci::expr::untrusted;
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/unsound-contains",
    summary: "`if:` conditions do not test membership with `contains` on a string",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    rule: UnsoundContains,
    what: "A job's or step's `if:` (in workflows and composite actions) calling \
           `contains('a b c', x)` with a string literal as the first argument and, as the \
           second, a context whose value a user can choose: a branch or tag name \
           (`github.ref`, `github.ref_name`, `github.head_ref`, `github.base_ref`), an \
           actor's name (`github.actor`, `github.triggering_actor`), any `env.*` or \
           `inputs.*`, or one of the outsider-controlled contexts of \
           `ci/template-injection` (titles, bodies, commit messages). Contexts from a \
           fixed vocabulary (`github.event_name`, `runner.os`, `runner.name`) are not \
           reported. Reported at the call.",
    why: "On a string, `contains` is a substring test: `contains('refs/heads/main \
          refs/heads/develop', github.ref)` is also true for a branch named `mai`, `dev` \
          or `heads/main refs`, so anyone who can push a branch (or name a pull request's) \
          passes a check meant to allow two branches only.",
    example: "```yaml\n- run: ./deploy\n  if: contains('refs/heads/main refs/heads/prod', github.ref)   # reported\n```",
    fix: "Test against a list: `contains(fromJSON('[\"refs/heads/main\", \
          \"refs/heads/prod\"]'), github.ref)`, or compare each value: \
          `github.ref == 'refs/heads/main' || github.ref == 'refs/heads/prod'`.",
}

/// Contexts whose value a user can choose, beyond the outsider-controlled ones.
const CHOSEN: &[&str] = &[
    "github.actor",
    "github.triggering_actor",
    "github.base_ref",
    "github.head_ref",
    "github.ref",
    "github.ref_name",
];

fn chosen(path: &str) -> bool {
    CHOSEN.contains(&path)
        || path.starts_with("env.")
        || path.starts_with("inputs.")
        || untrusted(path).is_some()
}

/// The `contains(<string>, <chosen context>)` calls of a condition: the call and the context.
fn unsound<'e>(expr: &'e Expr, found: &mut Vec<(&'e Expr, String)>) {
    expr.walk(&mut |e| {
        if let Kind::Call(name, args) = &e.kind {
            if name == "contains" && args.len() == 2 && args[0].as_str().is_some() {
                if let Some(path) = args[1].context_path().filter(|p| chosen(p)) {
                    found.push((e, path));
                }
            }
        }
    });
}

impl Rule for UnsoundContains {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            for condition in conditions(github) {
                let text = &condition.value.value;
                let Some(expr) = parse_condition(text) else {
                    continue;
                };
                let mut found = Vec::new();
                unsound(&expr, &mut found);
                for (call, path) in found {
                    let written = &text[call.range.clone()];
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`{written}` is a substring test: any `{path}` that is part of \
                                 the string passes, not only the values it lists"
                            ),
                        )
                        .span(github.text().locate(&condition.value, call.range.clone()))
                        .help(
                            "test against a list: `contains(fromJSON('[\"a\", \"b\"]'), ...)`, \
                             or compare each value with `==`",
                        )
                        .key(nth_key(written.to_owned(), &mut seen)),
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

    #[test]
    fn reports_string_haystacks_with_chosen_needles() {
        let workflow = "on: push\njobs:\n  a:\n    if: contains('main,dev', github.ref_name)\n    \
                        steps:\n      - run: x\n        if: ${{ !contains('a b', env.X) || contains('a b', github.ACTOR) }}\n      \
                        - run: x\n        if: contains(fromJSON('[\"main\"]'), github.ref)\n      \
                        - run: x\n        if: contains('push pull_request', github.event_name)\n      \
                        - run: x\n        if: contains(github.event.pull_request.labels.*.name, 'ok')\n";
        let findings = check(
            "[rules.\"ci/unsound-contains\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(
            lines(&findings),
            [(4, 9), (7, 18), (7, 44)],
            "{findings:#?}"
        );
        assert!(findings[2].message.contains("`github.actor`"));
    }
}
