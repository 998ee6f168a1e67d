use std::collections::HashMap;
use std::sync::Arc;

use super::places::strings;
use super::{each_github, nth_key};
use crate::ci::ast::{parse, shift, Expr, Kind};
use crate::ci::expr::expressions;
use crate::ci::github::GithubFile;
use crate::ci::Scalar;
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};
use crate::snapshot::FileEntry;

declare_rule! {
    id: "ci/secrets-overexposed",
    summary: "Workflows read secrets by name, not the whole `secrets` context",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    rule: SecretsOverexposed,
    what: "An expression anywhere in a workflow or action that hands every secret to the \
           job: `toJSON(secrets)` (or `secrets.*`), and `secrets[...]` indexed by anything \
           but a string literal (`secrets[matrix.name]`, `secrets[format('{0}_TOKEN', \
           inputs.env)]`). `secrets['NAME']` and `toJSON(secrets.NAME)` read one secret \
           and are not reported. Reported at the expression's part at fault.",
    why: "GitHub sends a job only the secrets its expressions name. A dynamic index or \
          the whole context makes it send all of them: every secret of the repository \
          and organisation is then in the runner's memory, where one compromised step \
          (a dependency's install script, a poisoned action) can read them all, and \
          `toJSON(secrets)` puts them in an environment variable or a file as one JSON \
          text.",
    example: "```yaml\n- run: ./deploy\n  env:\n    ALL: ${{ toJSON(secrets) }}      # reported\n    \
              TOKEN: ${{ secrets[format('{0}_TOKEN', matrix.env)] }}   # reported\n```",
    fix: "Name each secret the job needs: `${{ secrets.DEPLOY_TOKEN }}`. To choose one by \
          a matrix value, list them: `${{ matrix.env == 'prod' && secrets.PROD_TOKEN || \
          secrets.STAGING_TOKEN }}`, or use an environment per target, each with its own \
          secret of the same name.",
}

/// The expressions of a string, parsed, with ranges in the string's value.
pub(crate) fn parsed_expressions(value: &str) -> Vec<Expr> {
    expressions(value)
        .into_iter()
        .filter_map(|e| {
            let mut expr = parse(&value[e.inner.clone()]).ok()?;
            shift(&mut expr, e.inner.start);
            Some(expr)
        })
        .collect()
}

/// A string of a GitHub file whose expressions may read secrets.
pub(crate) struct ExpressionString {
    /// Whether it is the value of an `if:`.
    pub condition: bool,
    /// The string.
    pub scalar: Scalar,
    /// Its expressions that parse, with ranges in the string's value.
    pub expressions: Vec<Expr>,
}

/// The memo kind of [`expression_strings`].
const EXPRESSIONS_MEMO: &str = "github-expression-strings";

/// Every string of the file that holds an expression naming `secrets` (the context, in any
/// letter case, which every secret read goes through), in document order, with its
/// expressions parsed: found once per check and file for the rules about secrets (a walk of
/// the whole document, and a copy and a parse of each such string).
pub(crate) fn expression_strings(
    cx: &Context<'_>,
    file: &FileEntry,
    github: &GithubFile,
) -> Arc<Vec<ExpressionString>> {
    cx.memo(EXPRESSIONS_MEMO, file, || {
        let mut found = Vec::new();
        strings(github.root(), &mut |key, node, text| {
            if text.contains("${{") && names_secrets(text) {
                if let Some(scalar) = Scalar::from_node(node) {
                    found.push(ExpressionString {
                        condition: key == Some("if"),
                        expressions: parsed_expressions(&scalar.value),
                        scalar,
                    });
                }
            }
        });
        found
    })
}

/// Whether `text` holds the word `secrets` in any letter case: a string without it reads no
/// secret.
fn names_secrets(text: &str) -> bool {
    text.as_bytes()
        .windows(b"secrets".len())
        .any(|w| w.eq_ignore_ascii_case(b"secrets"))
}

/// The parts of an expression that read every secret, and how.
fn all_secrets<'e>(expr: &'e Expr, found: &mut Vec<(&'e Expr, &'static str)>) {
    expr.walk(&mut |e| match &e.kind {
        Kind::Call(name, args)
            if name == "tojson"
                && args.len() == 1
                && matches!(
                    args[0].context_path().as_deref(),
                    Some("secrets" | "secrets.*")
                ) =>
        {
            found.push((e, "`toJSON(secrets)`"));
        }
        Kind::Index(base, index)
            if base.context_path().as_deref() == Some("secrets") && index.as_str().is_none() =>
        {
            found.push((e, "a dynamic index"));
        }
        _ => {}
    });
}

impl Rule for SecretsOverexposed {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            for string in expression_strings(cx, file, github).iter() {
                let scalar = &string.scalar;
                for expr in &string.expressions {
                    let mut found = Vec::new();
                    all_secrets(expr, &mut found);
                    for (part, how) in found {
                        let written = &scalar.value[part.range.clone()];
                        out.push(
                            Violation::file(
                                &file.path,
                                format!(
                                    "`{written}` reads every secret ({how}): GitHub then sends \
                                     all of the repository's and organisation's secrets to the \
                                     runner"
                                ),
                            )
                            .span(github.text().locate(scalar, part.range.clone()))
                            .help("name each secret the job needs: `${{ secrets.NAME }}`")
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
    fn reports_whole_context_and_dynamic_indexes() {
        let workflow = "on: push\njobs:\n  a:\n    steps:\n      - run: x\n        env:\n          \
                        A: ${{ format('{0}', toJSON(secrets)) }}\n          B: ${{ toJSON(secrets.b) }}\n          \
                        C: ${{ secrets[matrix.name] }}\n          D: ${{ secrets['D'] }}\n          \
                        E: \"${{ secrets.E }}\"\n      - uses: o/a@v1\n        with:\n          \
                        all: |\n            x\n            ${{ toJson(secrets) }}\n";
        let findings = check(
            "[rules.\"ci/secrets-overexposed\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(
            lines(&findings),
            [(7, 32), (9, 18), (16, 17)],
            "{findings:#?}"
        );
    }

    #[test]
    fn the_context_is_named_in_any_letter_case() {
        let workflow = "on: push\njobs:\n  a:\n    steps:\n      - run: x\n        env:\n          \
                        A: ${{ toJSON(SECRETS) }}\n          B: \"${{ Secrets[matrix.name] }}\"\n          \
                        C: ${{ toJSON(env) }}\n";
        let findings = check(
            "[rules.\"ci/secrets-overexposed\"]\n[rules.\"ci/secrets-unredacted\"]\n",
            &[
                (".github/workflows/ci.yml", workflow),
                (
                    "action.yml",
                    "runs:\n  using: composite\n  steps:\n    - run: ${{ fromJSON(sEcReTs.x).y }}\n",
                ),
            ],
        );
        assert_eq!(
            super::super::test_support::positions(&findings),
            [
                (".github/workflows/ci.yml".to_owned(), 7, 18),
                (".github/workflows/ci.yml".to_owned(), 8, 19),
                ("action.yml".to_owned(), 4, 16),
            ],
            "{findings:#?}"
        );
    }
}
