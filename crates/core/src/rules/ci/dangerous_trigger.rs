use std::collections::HashMap;

use super::{each_github, nth_key};
use crate::ci::artifacts;
use crate::ci::expr::ContextRef;
use crate::ci::flow::{shell_variables, Flow, DATA};
use crate::ci::Scalar;
use crate::context::Context;
use crate::finding::{Level, Tier, Violation};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/dangerous-trigger",
    summary:
        "`pull_request_target` and `workflow_run` workflows do not check out pull request code",
    level: Error,
    tier: Gold,
    scope: PerFile,
    rule: DangerousTrigger,
    what: "In a workflow triggered by `pull_request_target`, `workflow_run` or \
           `issue_comment` (a comment on a pull request runs the base repository's \
           workflow, with its secrets): a step \
           that checks out the pull request's code. That is `actions/checkout` whose \
           `ref` or `repository` reads the head of the pull request \
           (`github.event.pull_request.head.sha`, `.head.ref`, `.head.repo.full_name`, \
           `github.head_ref`, `github.event.pull_request.merge_commit_sha`, \
           `github.event.workflow_run.head_sha`, `.head_branch`, \
           `.head_repository.full_name`, `.pull_requests[*].head.*`) or names \
           `refs/pull/...`; and a `run:` script that fetches or checks out those refs \
           (`git fetch`/`git checkout` with such an expression, `gh pr checkout`). \
           The head is followed through `env:` at workflow, job and step level \
           (`ref: ${{ env.HEAD }}`, `git fetch origin \"$HEAD\"`), through step and \
           job outputs (a `run:` step writing it to `$GITHUB_OUTPUT`, or an action that \
           resolves a commented pull request's branch such as \
           `xt0rted/pull-request-comment-branch`, listed in \
           `crates/core/rules/ci/injection-sinks.toml`). \
           Reported at the expression (or command) itself, inside block scalars too. \
           A job whose `if:` restricts it to pull requests opened by a GitHub App bot \
           (`github.event.pull_request.user.login == 'dependabot[bot]'`, with no `||`) is \
           a warning at tier gold instead: a pull request's author cannot be spoofed \
           (unlike `github.actor`), so the code is the bot's, though a dependency update \
           still runs its build scripts with the token. So is a checkout after a step of the \
           same job whose script checks, through the REST API, that the user has write \
           access (`/collaborators/.../permission`) and `exit 1`s otherwise: only \
           collaborators' pull requests get that far. \
           In a `workflow_run` workflow, also reported: a step that runs code from an \
           artifact of another run (`actions/download-artifact` with `run-id`, \
           `dawidd6/action-download-artifact`, `gh run download`, `actions/github-script` \
           calling `downloadArtifact`), after `unzip`/`tar -x` too: a script run from the \
           folder it went to (`bash out/deploy.sh`, `./out/tool`, `uses: ./out/action`), or, \
           when it was unpacked into the workspace itself, a build tool that runs whatever \
           the workspace holds (`npm ci`, `make`, `pip install .`, `cargo build`, ...). \
           Reading the artifact as data (`cat`, `jq`, `github-script` reading a number) is \
           the documented safe pattern and is not reported.",
    why: "These triggers run in the context of the base repository: with its secrets and \
          a token that can write, even for a pull request from a fork. Checking out the \
          fork's code and then building or testing it (`npm install` runs scripts, a \
          Makefile runs anything) lets any outsider run code with those secrets: a \
          \"pwn request\".",
    example: "```yaml\non: pull_request_target\njobs:\n  test:\n    steps:\n      - uses: \
              actions/checkout@v4\n        with:\n          ref: ${{ \
              github.event.pull_request.head.sha }}   # reported\n      - run: npm ci && \
              npm test\n```",
    fix: "Build and test pull requests with the `pull_request` trigger, which runs \
          without secrets and with a read-only token for forks. Keep \
          `pull_request_target` for jobs that only label or comment and never run the \
          pull request's code; pass results from a `pull_request` workflow to a \
          `workflow_run` one as artifacts, treated as untrusted data.",
}

/// Events whose workflows run with the base repository's secrets and a write token, whatever
/// the pull request's origin.
/// `issue_comment` too: a comment on a pull request runs the base repository's workflow, and
/// workflows that act on commands in comments (`/test`) often check the pull request out.
const PRIVILEGED: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];

/// The first of a workflow's triggers that runs it with the base repository's secrets and a
/// write token ([`PRIVILEGED`]), if it has one.
pub(crate) fn privileged_trigger(workflow: &crate::ci::github::Workflow) -> Option<&str> {
    workflow
        .on
        .iter()
        .map(|t| t.event.as_str())
        .find(|event| PRIVILEGED.contains(event))
}

/// The bot a job is restricted to when its `if:` requires the pull request's author to be a
/// GitHub App (`github.event.pull_request.user.login == 'dependabot[bot]'`), with no `||` that
/// could let another author through. The author of a pull request cannot be spoofed (unlike
/// `github.actor`, which is whoever triggered the run), and such bots push their branches to
/// the base repository: the code checked out is the bot's, not an outsider's.
fn bot_author_gate(condition: &str) -> Option<String> {
    if condition.contains("||") {
        return None;
    }
    let at = condition.find("github.event.pull_request.user.login")?;
    let rest = condition[at + "github.event.pull_request.user.login".len()..].trim_start();
    let rest = rest.strip_prefix("==")?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let name = &rest[1..rest[1..].find(quote)? + 1];
    name.ends_with("[bot]").then(|| name.to_owned())
}

/// The first step of a job that checks, through the REST API, that a user has write access
/// (`gh api repos/.../collaborators/$USER/permission`) and so stops the job for anyone else:
/// its index and how it is named. Steps after it run only for collaborators' pull requests.
fn permission_gate(job: &crate::ci::github::Job) -> Option<(usize, String)> {
    job.steps.iter().find_map(|step| {
        let run = &step.run.as_ref()?.value;
        let checks = run.contains("/collaborators/")
            && run.contains("/permission")
            && run.contains("exit 1");
        checks.then(|| {
            let name = step.name.as_ref().or(step.id.as_ref()).map_or_else(
                || format!("step {}", step.index + 1),
                |n| format!("`{}`", n.value),
            );
            (step.index, name)
        })
    })
}

/// Whether a context path names the head (code) of a pull request.
fn is_head(path: &str) -> bool {
    path == "github.head_ref"
        || path.starts_with("github.event.pull_request.head.")
        || path == "github.event.pull_request.merge_commit_sha"
        || path.starts_with("github.event.workflow_run.head_")
        || path.starts_with("github.event.workflow_run.pull_requests.")
}

/// An origin as a phrase: a context path in backticks, or an action output's description.
fn origin(origin: &str) -> String {
    if origin.starts_with("the `") {
        origin.to_owned()
    } else {
        format!("`{origin}`")
    }
}

impl Rule for DangerousTrigger {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let Some(workflow) = github.as_workflow() else {
                return;
            };
            let Some(event) = privileged_trigger(workflow) else {
                return;
            };
            let text = &workflow.text;
            let mut seen = HashMap::new();
            let gates: HashMap<&str, Option<String>> = workflow
                .jobs
                .iter()
                .map(|j| {
                    (
                        j.id.as_str(),
                        j.condition.as_ref().and_then(|c| bot_author_gate(&c.value)),
                    )
                })
                .collect();
            let permission_gates: HashMap<&str, (usize, String)> = workflow
                .jobs
                .iter()
                .filter_map(|j| Some((j.id.as_str(), permission_gate(j)?)))
                .collect();
            let source = |r: &ContextRef| is_head(&r.path).then(|| r.path.clone());
            let flow = Flow {
                source: &source,
                outputs: &DATA.pull_request_heads,
            };
            flow.each_step(github, |job_id, step, scope| {
                let bot = gates.get(job_id).cloned().flatten();
                let checked = permission_gates
                    .get(job_id)
                    .filter(|(at, _)| *at < step.index)
                    .map(|(_, name)| name.clone());
                let mut report =
                    |scalar: &Scalar, range: std::ops::Range<usize>, what: String, key| {
                        let violation = match (&bot, &checked) {
                        // Only collaborators' pull requests get this far: their code is trusted
                        // like a branch of the repository, but the check is the job's own script.
                        (None, Some(gate)) => Violation::file(
                            &file.path,
                            format!(
                                "`{event}` workflow checks out pull request code ({what}) after \
                                 {gate} checks that the user has write access: a collaborator's \
                                 code, run with the base repository's secrets and write token"
                            ),
                        )
                        .help(
                            "keep the permission check before any step that runs the \
                             checked-out code, or build in a `pull_request` workflow",
                        )
                        .level(Level::Warning)
                        .tier(Tier::Gold),
                        (None, None) => Violation::file(
                            &file.path,
                            format!(
                                "`{event}` workflow checks out pull request code ({what}): it \
                                 runs with the base repository's secrets and write token"
                            ),
                        )
                        .help(
                            "build and test pull requests with the `pull_request` trigger; keep \
                             this trigger for jobs that never run the pull request's code",
                        ),
                        // Not an outsider's code: a warning at gold, since a dependency update
                        // can still run its build scripts with the token.
                        (Some(bot), _) => Violation::file(
                            &file.path,
                            format!(
                                "`{event}` workflow checks out pull request code ({what}) in a \
                                 job that runs only for pull requests opened by `{bot}`: the \
                                 bot's branch, but its dependency updates run with the base \
                                 repository's secrets and write token"
                            ),
                        )
                        .help(
                            "run the build in a `pull_request` workflow and keep this job to \
                             steps that do not execute the checked-out code",
                        )
                        .level(Level::Warning)
                        .tier(Tier::Gold),
                    };
                        out.push(
                            violation
                                .span(text.locate(scalar, range))
                                .key(nth_key(key, &mut seen)),
                        );
                    };
                if step.uses_action("actions/checkout") {
                    for key in ["ref", "repository"] {
                        let Some(value) = step.with_value(key) else {
                            continue;
                        };
                        let heads = flow.expressions(&value.value, scope);
                        for (range, taint) in &heads {
                            let what = if taint.direct() {
                                format!("`{key}: ${{{{ {} }}}}`", taint.path)
                            } else {
                                format!(
                                    "`{key}: ${{{{ {} }}}}`, which holds {}",
                                    taint.path,
                                    origin(&taint.origin)
                                )
                            };
                            report(
                                &value,
                                range.clone(),
                                what,
                                format!("{}:{key}:{}", job_id, taint.path),
                            );
                        }
                        if heads.is_empty() && key == "ref" {
                            if let Some(at) = value.value.find("refs/pull/") {
                                report(
                                    &value,
                                    at..value.value.len(),
                                    format!("`ref: {}`", value.value),
                                    format!("{}:ref:refs/pull", job_id),
                                );
                            }
                        }
                    }
                }
                let Some(run) = &step.run else { return };
                let fetches = run.value.contains("git ") || run.value.contains("gh ");
                if fetches {
                    let mut found: Vec<(std::ops::Range<usize>, String)> = flow
                        .expressions(&run.value, scope)
                        .into_iter()
                        .map(|(range, taint)| (range, taint.path))
                        .collect();
                    // `$HEAD` of an `env:` variable that holds the head.
                    let mut at = 0;
                    for name in shell_variables(&run.value) {
                        let Some(offset) = run.value[at..].find(name) else {
                            continue;
                        };
                        let start = at + offset;
                        at = start + name.len();
                        if scope.env(name).is_some() {
                            found.push((start - 1..at, format!("${name}")));
                        }
                    }
                    for (range, path) in found {
                        let line = line_of(&run.value, range.start);
                        if line.contains("git fetch")
                            || line.contains("git checkout")
                            || line.contains("git switch")
                            || line.contains("git pull")
                            || line.contains("git clone")
                        {
                            report(
                                run,
                                range,
                                format!("`{path}` in a git command"),
                                format!("{}:run:{path}", job_id),
                            );
                        }
                    }
                }
                let mut from = 0;
                while let Some(at) = run.value[from..].find("gh pr checkout") {
                    let start = from + at;
                    report(
                        run,
                        start..start + "gh pr checkout".len(),
                        "`gh pr checkout`".to_owned(),
                        format!("{}:run:gh", job_id),
                    );
                    from = start + 1;
                }
            });
            if !workflow.on.iter().any(|t| t.event == "workflow_run") {
                return;
            }
            for job in &workflow.jobs {
                for execution in artifacts::executions(job) {
                    let download = &execution.download;
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`workflow_run` workflow runs code from another run's artifact: \
                                 {} unpacks it into {}, then {} runs it with the base \
                                 repository's secrets and write token",
                                download.name,
                                download.place.describe(),
                                execution.what
                            ),
                        )
                        .help(
                            "download artifacts into `${{ runner.temp }}` and read them as data \
                             (validate what you read); never build or run what they contain in \
                             a privileged workflow",
                        )
                        .span(text.locate(execution.scalar, execution.range.clone()))
                        .key(nth_key(
                            format!("{}:artifact:{}", job.id, execution.what),
                            &mut seen,
                        )),
                    );
                }
            }
        });
    }
}

/// The line of `text` that contains byte `at`.
fn line_of(text: &str, at: usize) -> &str {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::finding::{Level, Tier};
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/dangerous-trigger\"]\n";

    #[test]
    fn reports_checkouts_of_the_head_at_the_expression() {
        let workflow = "on:\n  pull_request_target:\n    types: [opened]\njobs:\n  t:\n    steps:\n      \
                        - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      \
                        - uses: actions/checkout@v4\n        with:\n          repository: ${{ github.event.pull_request.head.repo.full_name }}\n          \
                        ref: ${{ github.head_ref }}\n      - run: |\n          echo start\n          \
                        git fetch origin ${{ github.event.pull_request.head.ref }}\n          gh pr checkout 1\n";
        let findings = check(POLICY, &[(".github/workflows/t.yml", workflow)]);
        assert_eq!(
            lines(&findings),
            [(9, 16), (12, 23), (13, 16), (16, 28), (17, 11)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .starts_with("`pull_request_target` workflow"));
    }

    #[test]
    fn jobs_only_for_a_bots_pull_requests_are_a_gold_warning() {
        let job = |condition: &str| {
            format!(
                "on: pull_request_target\njobs:\n  t:\n    if: {condition}\n    steps:\n      \
                 - uses: actions/checkout@v4\n        with:\n          ref: ${{{{ github.head_ref }}}}\n"
            )
        };
        let gated = job("github.event.pull_request.user.login == 'dependabot[bot]'");
        // github.actor is whoever triggered the run (spoofable), and `||` lets others in.
        let actor = job("github.actor == 'dependabot[bot]'");
        let either = job("github.event.pull_request.user.login == 'dependabot[bot]' || true");
        // As in builtin:recommended, which raises the rule to bronze.
        let findings = check(
            "[rules.\"ci/dangerous-trigger\"]\ntier = \"bronze\"\n",
            &[
                (".github/workflows/a.yml", gated.as_str()),
                (".github/workflows/b.yml", actor.as_str()),
                (".github/workflows/c.yml", either.as_str()),
            ],
        );
        let seen: Vec<(&str, Level, Tier)> = findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap_or(""), f.level, f.tier))
            .collect();
        assert_eq!(
            seen,
            [
                (".github/workflows/a.yml", Level::Warning, Tier::Gold),
                (".github/workflows/b.yml", Level::Error, Tier::Bronze),
                (".github/workflows/c.yml", Level::Error, Tier::Bronze),
            ]
        );
        assert!(findings[0].message.contains("opened by `dependabot[bot]`"));
    }

    #[test]
    fn workflow_run_and_pull_refs() {
        let workflow = "on: [workflow_run]\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n        \
                        with:\n          ref: ${{ github.event.workflow_run.head_sha }}\n      \
                        - uses: actions/checkout@v4\n        with:\n          ref: refs/pull/${{ github.event.number }}/merge\n";
        let findings = check(POLICY, &[(".github/workflows/t.yml", workflow)]);
        assert_eq!(lines(&findings), [(7, 16), (10, 16)], "{findings:#?}");
    }

    #[test]
    fn workflow_run_artifacts_that_are_run() {
        let workflow = "on:\n  workflow_run:\n    workflows: [ci]\njobs:\n  t:\n    steps:\n      \
                        - name: Download\n        uses: dawidd6/action-download-artifact@v6\n      \
                        - run: cat pr_number\n      - run: |\n          echo build\n          npm ci\n";
        let findings = check(POLICY, &[(".github/workflows/t.yml", workflow)]);
        assert_eq!(lines(&findings), [(12, 11)], "{findings:#?}");
        assert_eq!(
            findings[0].message,
            "`workflow_run` workflow runs code from another run's artifact: `Download` unpacks \
             it into the workspace, then `npm ci` runs it with the base repository's secrets and \
             write token"
        );
        // The same steps under another trigger: the artifact is not another run's.
        let push = workflow.replace("on:\n  workflow_run:\n    workflows: [ci]", "on: push");
        assert!(check(POLICY, &[(".github/workflows/t.yml", push.as_str())]).is_empty());
    }

    #[test]
    fn safe_uses_are_not_reported() {
        // pull_request (not _target) checking out the head is fine; so is checking out the
        // base under pull_request_target.
        let a = "on: pull_request\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n        \
                 with: {ref: '${{ github.event.pull_request.head.sha }}'}\n";
        let b = "on: pull_request_target\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n      \
                 - run: echo ${{ github.event.pull_request.head.sha }}\n";
        let findings = check(
            POLICY,
            &[
                (".github/workflows/a.yml", a),
                (".github/workflows/b.yml", b),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    /// A checkout after a step that stops the job unless the user may push (meilisearch's
    /// `/bench` comment workflow) is a collaborator's code: a warning at gold. Before that
    /// step, or without `exit 1`, it stays an error.
    #[test]
    fn a_checkout_after_a_write_permission_check_is_a_warning_at_gold() {
        let workflow = |check: &str| {
            format!(
                "on: issue_comment\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n        \
                 with: {{ref: 'refs/pull/${{{{ github.event.issue.number }}}}/head'}}\n      \
                 - name: Check permissions\n        run: |\n          if ! gh api \
                 /repos/$R/collaborators/$U/permission --jq .user.permissions.push; then\n            \
                 {check}\n          fi\n      - uses: actions/checkout@v4\n        \
                 with: {{ref: 'refs/pull/${{{{ github.event.issue.number }}}}/head'}}\n"
            )
        };
        let gated = workflow("exit 1");
        let findings = check(POLICY, &[(".github/workflows/t.yml", gated.as_str())]);
        let levels: Vec<(u32, Level)> = findings
            .iter()
            .map(|f| (f.span.as_ref().map_or(0, |s| s.line), f.level))
            .collect();
        assert_eq!(
            levels,
            [(6, Level::Error), (13, Level::Warning)],
            "{findings:#?}"
        );
        assert_eq!(findings[1].tier, Tier::Gold);
        assert!(findings[1].message.contains("after `Check permissions`"));
        let open = workflow("echo not allowed");
        let findings = check(POLICY, &[(".github/workflows/t.yml", open.as_str())]);
        assert!(
            findings.iter().all(|f| f.level == Level::Error),
            "{findings:#?}"
        );
    }

    #[test]
    fn comment_triggered_checkouts_and_refs_through_env_and_outputs() {
        let workflow = "on: issue_comment\njobs:\n  t:\n    env:\n      HEAD: ${{ github.event.pull_request.head.sha }}\n    \
                        steps:\n      - uses: actions/checkout@v4\n        with:\n          \
                        ref: refs/pull/${{ github.event.issue.number }}/head\n      \
                        - id: b\n        uses: xt0rted/pull-request-comment-branch@v2\n      \
                        - uses: actions/checkout@v4\n        with:\n          ref: ${{ steps.b.outputs.head_ref }}\n      \
                        - uses: actions/checkout@v4\n        with:\n          ref: ${{ env.HEAD }}\n      \
                        - run: |\n          git fetch origin \"$HEAD\"\n          echo \"$HEAD\"\n";
        let findings = check(POLICY, &[(".github/workflows/t.yml", workflow)]);
        assert_eq!(
            lines(&findings),
            [(9, 16), (14, 16), (17, 16), (19, 29)],
            "{findings:#?}"
        );
        assert!(findings[0].message.starts_with("`issue_comment` workflow"));
        assert!(findings[2]
            .message
            .contains("which holds `github.event.pull_request.head.sha`"));
    }
}
