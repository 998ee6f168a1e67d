use std::collections::HashMap;

use super::secrets_overexposed::expression_strings;
use super::{each_github, nth_key};
use crate::ci::ast::{Expr, Kind};
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/secrets-unredacted",
    summary: "Secrets are not parsed with `fromJSON`, which escapes log redaction",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    rule: SecretsUnredacted,
    what: "`fromJSON(secrets.NAME)` in an expression of a workflow or action, with or \
           without a field read from the result (`fromJSON(secrets.CONFIG).password`). \
           Expressions in `if:` are not reported: a condition's value is never printed. \
           Reported at the call.",
    why: "The runner masks a secret in logs by its exact text. A value parsed out of a \
          JSON secret is new text the runner does not know (a field, or the object \
          re-serialised with other spacing), so it is printed in clear wherever a step \
          echoes it or a tool logs its environment.",
    example:
        "```yaml\nenv:\n  PASSWORD: ${{ fromJSON(secrets.DB).password }}   # reported\n```",
    fix: "Store each value that must stay secret as a secret of its own \
          (`secrets.DB_PASSWORD`). When a step must parse a JSON secret, pass the whole \
          secret and mask each field before use: `echo \"::add-mask::$FIELD\"`.",
}

/// The `fromJSON(secrets.X)` calls of an expression.
fn parsed_secrets<'e>(expr: &'e Expr, found: &mut Vec<&'e Expr>) {
    expr.walk(&mut |e| {
        if let Kind::Call(name, args) = &e.kind {
            let secret = args.first().and_then(Expr::context_path).is_some_and(|p| {
                p.strip_prefix("secrets.")
                    .is_some_and(|rest| !rest.is_empty() && rest != "*" && !rest.contains('.'))
            });
            if name == "fromjson" && args.len() == 1 && secret {
                found.push(e);
            }
        }
    });
}

impl Rule for SecretsUnredacted {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            for string in expression_strings(cx, file, github).iter() {
                if string.condition {
                    continue;
                }
                let scalar = &string.scalar;
                for expr in &string.expressions {
                    let mut found = Vec::new();
                    parsed_secrets(expr, &mut found);
                    for call in found {
                        let written = &scalar.value[call.range.clone()];
                        out.push(
                            Violation::file(
                                &file.path,
                                format!(
                                    "`{written}` parses a secret: the values it yields are not \
                                     the secret's text, so the runner does not mask them in logs"
                                ),
                            )
                            .span(github.text().locate(scalar, call.range.clone()))
                            .help(
                                "store each value as a secret of its own, or mask parsed \
                                 fields with `::add-mask::` before use",
                            )
                            .key(nth_key(written.to_owned(), &mut seen)),
                        );
                    }
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
    fn reports_parsed_secrets_outside_conditions() {
        let workflow = "on: push\njobs:\n  a:\n    steps:\n      - run: x\n        \
                        if: fromJSON(secrets.ENABLED)\n        env:\n          \
                        A: ${{ fromJSON(secrets.a) }}\n          B: ${{ fromJson(secrets.b).field }}\n          \
                        C: ${{ fromJSON(env.c) }}\n          D: ${{ toJSON(secrets.d) }}\n";
        let findings = check(
            "[rules.\"ci/secrets-unredacted\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(lines(&findings), [(8, 18), (9, 18)], "{findings:#?}");
    }
}
