use std::collections::HashMap;

use super::places::{conditions, from_to};
use super::{each_github, nth_key};
use crate::ci::expr::expressions;
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/unsound-condition",
    summary: "`if:` conditions are one expression, not a string that is always true",
    level: Error,
    tier: Silver,
    scope: PerFile,
    rule: UnsoundCondition,
    what: "A job's or step's `if:` (in workflows and composite actions) holding a \
           `${{ }}` expression with any other text around it: a second expression \
           (`${{ a }} && ${{ b }}`), words (`true && ${{ x }}`), spaces inside quotes \
           (`\"${{ x }} \"`), or the line break that a `|` or `>` block scalar keeps at \
           its end (`|-` and `>-` strip it, and are fine). A condition whose only \
           expression is `true` or `always()` is not reported: it is always true anyway. \
           Reported from the `if` key to the end of the condition.",
    why: "GitHub evaluates an `if:` with text around its `${{ }}` as a string template: \
          the expression's value is pasted into the text, and any non-empty string is \
          true. The condition never stops the job or step, whatever the expression says: \
          a step meant to run only on the default branch, only for maintainers or only \
          after a check runs every time.",
    example: "```yaml\n- run: ./deploy\n  if: |                         # reported: always true\n    \
              ${{ github.ref == 'refs/heads/main' }}\n```",
    fix: "Write the condition as one expression and nothing else: \
          `if: github.ref == 'refs/heads/main'` (the `${{ }}` is optional in `if:`), \
          `if: ${{ a && b }}` for several parts, or `|-` / `>-` for a block scalar.",
}

/// Why GitHub reads `condition` as a string, if it does: the text beside its expressions.
pub(crate) fn string_condition(condition: &str) -> Option<&'static str> {
    let found = expressions(condition);
    let first = found.first()?;
    if found.len() == 1 && first.range == (0..condition.len()) {
        return None;
    }
    if found.len() == 1 {
        let inner = condition[first.inner.clone()].trim();
        if inner == "true" || inner.eq_ignore_ascii_case("always()") {
            return None;
        }
    }
    Some(if found.len() > 1 {
        "several `${{ }}` expressions"
    } else if condition[first.range.end..].trim().is_empty()
        && condition[..first.range.start].trim().is_empty()
    {
        if condition.ends_with('\n') {
            "the line break a block scalar keeps at its end"
        } else {
            "spaces around the expression"
        }
    } else {
        "text around the expression"
    })
}

impl Rule for UnsoundCondition {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            for condition in conditions(github) {
                let Some(why) = string_condition(&condition.value.value) else {
                    continue;
                };
                let whose = condition.whose();
                out.push(
                    Violation::file(
                        &file.path,
                        format!(
                            "the `if:` of {whose} is always true: with {why}, GitHub reads it \
                             as a string, and a non-empty string is true"
                        ),
                    )
                    .span(from_to(condition.key, condition.value.span))
                    .help(
                        "write the condition as one expression and nothing else \
                         (`if: ${{ a && b }}`, or `|-` for a block scalar)",
                    )
                    .key(nth_key(whose, &mut seen)),
                );
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::string_condition;
    use crate::testing::check;

    #[test]
    fn strings_around_expressions_are_always_true() {
        for sound in [
            "a.b",
            "${{ a.b }}",
            "a.b\n",
            "${{ a\n && b }}",
            "${{ always() }}\n",
            "x ${{ true }}",
        ] {
            assert_eq!(string_condition(sound), None, "{sound:?}");
        }
        for unsound in [
            "${{ a.b }}\n",
            "${{ a }} && ${{ b }}",
            "true && ${{ false }}",
            "${{ false }} ",
            " ${{ false }}",
        ] {
            assert!(string_condition(unsound).is_some(), "{unsound:?}");
        }
        assert_eq!(
            string_condition("${{ x }}\n"),
            Some("the line break a block scalar keeps at its end")
        );
    }

    #[test]
    fn reports_jobs_steps_and_action_steps() {
        // The job is reported even though `${{ false }} ` reads as "switched off" at a glance.
        let workflow = "on: push\njobs:\n  a:\n    if: \"${{ false }} \"\n    steps:\n      \
                        - run: echo\n        if: |\n          ${{ github.ref == 'x' }}\n      \
                        - run: echo\n        if: |-\n          ${{ github.ref == 'x' }}\n";
        let action =
            "runs:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n      \
                      if: ${{ a }} || ${{ b }}\n";
        let findings = check(
            "[rules.\"ci/unsound-condition\"]\n",
            &[
                (".github/workflows/ci.yml", workflow),
                ("action.yml", action),
            ],
        );
        let at: Vec<(String, u32)> = findings
            .iter()
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                )
            })
            .collect();
        assert_eq!(
            at,
            [
                (".github/workflows/ci.yml".to_owned(), 4),
                (".github/workflows/ci.yml".to_owned(), 7),
                ("action.yml".to_owned(), 6),
            ],
            "{findings:#?}"
        );
    }
}
