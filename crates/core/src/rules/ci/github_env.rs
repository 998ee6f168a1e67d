use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::dangerous_trigger::privileged_trigger;
use super::places::{from_to, step_nodes};
use super::{each_github, nth_key, GITHUB_MEMO};
use crate::ci::expr::{context_refs, expressions};
use crate::ci::github::{self, GithubFile, Uses};
use crate::ci::Scalar;
use crate::context::Context;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/github-env",
    summary: "Privileged workflows do not write computed values to `$GITHUB_ENV` or `$GITHUB_PATH`",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    rule: GithubEnv,
    what: "A `run:` script that writes a value it computes to the environment file or the \
           path file: `>> $GITHUB_ENV`, `>> \"${GITHUB_PATH}\"`, `| tee -a $GITHUB_ENV` \
           (bash and sh), `>> $env:GITHUB_ENV`, `Out-File`, `Add-Content`, `Set-Content` \
           or `Tee-Object` with `$env:GITHUB_ENV` (PowerShell), `>> %GITHUB_ENV%` (cmd). \
           Judged in workflows triggered by `pull_request_target`, `workflow_run` or \
           `issue_comment` (the triggers `ci/dangerous-trigger` judges), in the root \
           `action.yml` (a published action does not know who calls it), and in \
           reusable workflows and composite actions of the repository that such a \
           workflow runs (`uses: ./.github/workflows/x.yml` in a job, \
           `uses: ./.github/actions/x` in a step, followed through the called \
           workflows). Not reported: `echo` and \
           `printf` of literal text (`echo \"CI=true\" >> $GITHUB_ENV`), and values built \
           only from the runner's own variables and contexts no one outside chooses \
           (`$GITHUB_SHA`, `$RUNNER_TEMP`, `$HOME`, `${{ github.run_id }}`, \
           `${{ runner.os }}`, `${{ secrets.X }}`, `${{ matrix.x }}`). Reported from \
           the `run:` value (the line zizmor reports, so its \
           `# zizmor: ignore[github-env]` comments apply) to the write; the message \
           gives the write's own line.",
    why: "Every later step of the job reads `$GITHUB_ENV` and `$GITHUB_PATH`. In a job \
          that runs with the base repository's secrets for someone else's pull request, a \
          value that comes from the pull request (its title, a file of its checkout, an \
          artifact of its build) can set `LD_PRELOAD`, `BASH_ENV`, `NODE_OPTIONS` or a \
          `PATH` entry (a multi-line value adds variables of its own) and so run the \
          attacker's code in the following steps.",
    example: "```yaml\non: pull_request_target\njobs:\n  label:\n    steps:\n      - env:\n          \
              TITLE: ${{ github.event.pull_request.title }}\n        run: |            # reported\n          \
              echo \"TITLE=$TITLE\" >> $GITHUB_ENV\n```",
    fix: "Pass values between steps as step outputs (`>> $GITHUB_OUTPUT`, read with \
          `${{ steps.x.outputs.y }}` into an `env:` of the step that needs it), which do \
          not reach every later process. If a value must go to `$GITHUB_ENV`, validate it \
          first (a fixed pattern such as `^[0-9a-f]{40}$`) and never write text from the \
          pull request unchecked.",
}

/// A redirection to the environment or path file in bash, PowerShell or cmd.
static REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)>>?\s*"?(?:\$\{?(GITHUB_ENV|GITHUB_PATH)\b\}?|\$env:(GITHUB_ENV|GITHUB_PATH)\b|%(GITHUB_ENV|GITHUB_PATH)%)"#,
    )
    .expect("a valid regex")
});

/// A command that writes to a file named by its argument: `tee` and PowerShell's cmdlets.
static WRITER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[\s|;(])(?:tee|tee-object|out-file|add-content|set-content)\s[^|;&\n]*?(?:\$\{?|\$env:)(GITHUB_ENV|GITHUB_PATH)\b"#,
    )
    .expect("a valid regex")
});

/// A shell variable: `$NAME`, `${NAME}`, `$env:NAME`, `%NAME%`.
static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\$env:([A-Za-z_][A-Za-z0-9_]*)|\$\{?([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_][A-Za-z0-9_]*)%"#)
        .expect("a valid regex")
});

/// The runner's variables whose values no one outside the repository chooses.
const RUNNER_VARIABLES: &[&str] = &[
    "GITHUB_SHA",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_NUMBER",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_WORKSPACE",
    "GITHUB_REPOSITORY",
    "GITHUB_REPOSITORY_OWNER",
    "GITHUB_SERVER_URL",
    "GITHUB_API_URL",
    "GITHUB_ACTION_PATH",
    "GITHUB_EVENT_NAME",
    "GITHUB_JOB",
    "GITHUB_ENV",
    "GITHUB_PATH",
    "RUNNER_TEMP",
    "RUNNER_TOOL_CACHE",
    "RUNNER_OS",
    "RUNNER_ARCH",
    "HOME",
    "PWD",
    "PATH",
    "USERPROFILE",
];

/// Whether an expression's context reads a value no one outside the repository chooses.
fn trusted_context(path: &str) -> bool {
    const EXACT: &[&str] = &[
        "github.sha",
        "github.run_id",
        "github.run_number",
        "github.run_attempt",
        "github.workspace",
        "github.repository",
        "github.repository_owner",
        "github.server_url",
        "github.api_url",
        "github.event_name",
        "github.job",
        "github.action_path",
        "github.event.number",
        "github.event.pull_request.number",
        "github.event.pull_request.head.sha",
        "github.event.workflow_run.id",
        "github.event.workflow_run.head_sha",
    ];
    EXACT.contains(&path)
        || ["runner.", "secrets.", "vars.", "matrix.", "inputs."]
            .iter()
            .any(|p| path.starts_with(p))
}

/// One write to the environment or path file in a script.
#[derive(Debug, PartialEq, Eq)]
struct Write {
    /// `GITHUB_ENV` or `GITHUB_PATH`.
    file: String,
    /// The statement that writes, in the script.
    statement: Range<usize>,
}

/// The start of the statement around byte `at`: after the previous line break (not escaped
/// by `\` or inside a quoted string is not tracked), `;`, `&&` or `||`.
fn statement_start(script: &str, at: usize) -> usize {
    let bytes = script.as_bytes();
    let mut i = at;
    while i > 0 {
        let b = bytes[i - 1];
        if b == b'\n' && !(i >= 2 && bytes[i - 2] == b'\\') {
            break;
        }
        if b == b';' {
            break;
        }
        if i >= 2 && matches!(&script[i - 2..i], "&&" | "||") {
            break;
        }
        i -= 1;
    }
    i
}

fn statement_end(script: &str, from: usize) -> usize {
    script[from..].find('\n').map_or(script.len(), |n| from + n)
}

/// The writes of a script whose value is not literal text or the runner's own values.
fn computed_writes(script: &str) -> Vec<Write> {
    let mut found: Vec<Write> = Vec::new();
    let mut take = |at: usize, end: usize, file: &str, source: &str| {
        if fixed_value(source) {
            return;
        }
        let start = statement_start(script, at);
        let statement = start..statement_end(script, end);
        if !found.iter().any(|w| w.statement == statement) {
            found.push(Write {
                file: file.to_ascii_uppercase(),
                statement,
            });
        }
    };
    for m in REDIRECT.captures_iter(script) {
        let Some(all) = m.get(0) else { continue };
        let Some(file) = m.get(1).or_else(|| m.get(2)).or_else(|| m.get(3)) else {
            continue;
        };
        let start = statement_start(script, all.start());
        take(
            all.start(),
            all.end(),
            file.as_str(),
            &script[start..all.start()],
        );
    }
    for m in WRITER.captures_iter(script) {
        let Some(all) = m.get(0) else { continue };
        let Some(file) = m.get(1) else { continue };
        let start = statement_start(script, all.start());
        // The pipeline feeding the writer, or else the writer's own arguments (`-Value`).
        let before = script[start..all.start()].trim().trim_end_matches('|');
        let source = if before.trim().is_empty() {
            &script[all.end()..statement_end(script, all.end())]
        } else {
            before
        };
        take(all.start(), all.end(), file.as_str(), source);
    }
    found.sort_by_key(|w| w.statement.start);
    found
}

/// Whether the text that produces a written value (the command before the redirection, or
/// the pipeline before `tee`) yields only literal text and the runner's own values.
fn fixed_value(source: &str) -> bool {
    let source = source.trim().trim_end_matches('|').trim();
    // Several commands piped together compute their value.
    let pipeline: Vec<&str> = source
        .split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let [command] = pipeline.as_slice() else {
        return false;
    };
    let word = command.split_whitespace().next().unwrap_or("");
    // A cmdlet's own arguments (`Add-Content -Path $env:GITHUB_ENV -Value "A=b"`).
    let word = if word.starts_with('-') {
        "write-output"
    } else {
        word
    };
    if !matches!(
        word.to_ascii_lowercase().as_str(),
        "echo"
            | "printf"
            | "write-output"
            | "write-host"
            | "add-content"
            | "out-file"
            | "set-content"
    ) && !command.starts_with(['"', '\''])
    {
        return false;
    }
    if command.contains('`') || command.contains("$(") {
        return false;
    }
    let mut rest = String::from(*command);
    for e in expressions(command).into_iter().rev() {
        let inner = &command[e.inner.clone()];
        let refs = context_refs(inner);
        let pure = inner.contains('(') && !inner.trim_start().starts_with("format(");
        if pure || refs.is_empty() || !refs.iter().all(|r| trusted_context(&r.path)) {
            return false;
        }
        rest.replace_range(e.range.clone(), "");
    }
    VARIABLE.captures_iter(&rest).all(|c| {
        let name = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3));
        name.is_some_and(|n| {
            RUNNER_VARIABLES
                .iter()
                .any(|v| v.eq_ignore_ascii_case(n.as_str()))
        })
    })
}

/// The first line of a statement, cut to 80 characters.
fn short(statement: &str) -> String {
    let line = statement
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\\')
        .trim();
    let mut cut: String = line.chars().take(80).collect();
    if cut.len() < line.len() || statement.lines().nth(1).is_some() {
        cut.push_str(" ...");
    }
    cut
}

/// What runs with a privileged workflow's secrets: the reusable workflows
/// (`.github/workflows/x.yml`) its jobs call and the local actions (`.github/actions/x`) its
/// steps use, followed through the called workflows; paths without `./`.
fn privileged_locals(cx: &Context<'_>) -> BTreeSet<String> {
    let mut workflows: HashMap<String, github::Workflow> = HashMap::new();
    for file in cx
        .all_files()
        .iter()
        .filter(|f| github::is_workflow_path(&f.path))
    {
        let parsed = cx.memo(GITHUB_MEMO, file, || {
            let text = cx.text(file).ok()?;
            Some(GithubFile::parse(&file.path, &text))
        });
        if let Some(Ok(GithubFile::Workflow(w))) = parsed.as_ref() {
            workflows.insert(file.path.clone(), w.clone());
        }
    }
    let mut queue: Vec<String> = workflows
        .iter()
        .filter(|(_, w)| privileged_trigger(w).is_some())
        .map(|(p, _)| p.clone())
        .collect();
    let mut reached = BTreeSet::new();
    while let Some(path) = queue.pop() {
        let Some(w) = workflows.get(&path) else {
            continue;
        };
        let called = w.jobs.iter().filter_map(|j| j.uses.as_ref());
        let used = w
            .jobs
            .iter()
            .flat_map(|j| j.steps.iter())
            .filter_map(|s| s.uses.as_ref());
        for uses in called.chain(used) {
            if let Uses::Local(local) = Uses::parse(&uses.value) {
                let local = local.trim_end_matches('/').to_owned();
                if reached.insert(local.clone()) && workflows.contains_key(&local) {
                    queue.push(local);
                }
            }
        }
    }
    reached
}

impl Rule for GithubEnv {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let mut used: Option<BTreeSet<String>> = None;
        each_github(cx, |file, github| {
            let why = match github {
                GithubFile::Workflow(w) => {
                    match privileged_trigger(w) {
                        Some(event) => format!("a `{event}` workflow"),
                        None => {
                            let used = used.get_or_insert_with(|| privileged_locals(cx));
                            if !used.contains(&file.path) {
                                return;
                            }
                            "a reusable workflow that a privileged workflow of this repository \
                             calls"
                                .to_owned()
                        }
                    }
                }
                GithubFile::Action(_) => {
                    let dir = file.path.rsplit_once('/').map_or("", |(d, _)| d);
                    if dir.is_empty() {
                        "a published action, which any workflow may call".to_owned()
                    } else {
                        let used = used.get_or_insert_with(|| privileged_locals(cx));
                        if !used.contains(dir) {
                            return;
                        }
                        "an action that a privileged workflow of this repository runs".to_owned()
                    }
                }
            };
            let text = github.text();
            let mut seen = HashMap::new();
            for (index, (_, step)) in step_nodes(github).into_iter().enumerate() {
                let Some(entry) = step.get_entry("run") else {
                    continue;
                };
                let Some(run) = Scalar::from_node(&entry.value) else {
                    continue;
                };
                for write in computed_writes(&run.value) {
                    let at = text.locate(&run, write.statement.clone());
                    let statement = run.value[write.statement.clone()].trim();
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "line {} writes a computed value to `{}` in {why}: a value from \
                                 the pull request there sets variables (`LD_PRELOAD`, \
                                 `BASH_ENV`) or `PATH` entries that run code in later steps \
                                 (`{}`)",
                                at.line,
                                write.file,
                                short(statement)
                            ),
                        )
                        .span(from_to(entry.key.span, at))
                        .help(
                            "pass the value as a step output instead, or validate it against a \
                             fixed pattern before writing it",
                        )
                        .key(nth_key(format!("step-{index}:{}", write.file), &mut seen)),
                    );
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::positions;
    use super::computed_writes;
    use crate::testing::check;

    fn writes(script: &str) -> Vec<&str> {
        computed_writes(script)
            .into_iter()
            .map(|w| &script[w.statement])
            .collect()
    }

    #[test]
    fn computed_values_are_found_in_every_shell() {
        for script in [
            "echo $foo >> $GITHUB_ENV",
            "echo \"X=$(bar)\" >> \"${GITHUB_ENV}\"",
            "echo \"$message\" >> $GITHUB_PATH",
            "cat file >> $GITHUB_ENV",
            "jq -r .x f | tee -a \"$GITHUB_ENV\"",
            "echo \"foo=$env:BAR\" >> $env:GITHUB_ENV",
            "\"X=$v\" | Out-File -FilePath $env:GITHUB_ENV -Append",
            "Add-Content -Path $env:GITHUB_PATH -Value $dir",
            "echo LIBRARY=%LIBRARY% >> %GITHUB_ENV%",
            "echo \"T=${{ github.event.pull_request.title }}\" >> $GITHUB_ENV",
            "echo \"R=${GITHUB_REF}\" >> $GITHUB_ENV",
        ] {
            assert_eq!(writes(script), [script], "{script}");
        }
        assert_eq!(
            writes("set -e\nX=1; echo \"a=$X\" \\\n  >> $GITHUB_ENV\necho done\n"),
            [" echo \"a=$X\" \\\n  >> $GITHUB_ENV"]
        );
    }

    #[test]
    fn literal_and_runner_values_are_not_found() {
        for script in [
            "echo foo=bar >> $GITHUB_ENV",
            "printf \"A=b\\nC=d\\n\" >> \"$GITHUB_ENV\"",
            "echo \"$HOME/.local/bin\" >> $GITHUB_PATH",
            "echo \"SHA=${GITHUB_SHA}\" >> $GITHUB_ENV",
            "echo \"T=${{ runner.temp }}/x\" >> $GITHUB_ENV",
            "echo \"K=${{ secrets.KEY }}\" >> $GITHUB_ENV",
            "\"CI=true\" | Out-File -FilePath $env:GITHUB_ENV -Append",
            "echo CI=1 >> %GITHUB_ENV%",
            "echo $GITHUB_ENV",
            "cat $GITHUB_ENV",
        ] {
            assert!(writes(script).is_empty(), "{script}");
        }
    }

    const POLICY: &str = "[rules.\"ci/github-env\"]\n";

    #[test]
    fn judges_privileged_workflows_and_the_actions_they_use() {
        let workflow = |on: &str| {
            format!(
                "on: {on}\njobs:\n  a:\n    steps:\n      - uses: ./.github/actions/setup\n      \
                 - run: |\n          echo start\n          echo \"T=$TITLE\" >> $GITHUB_ENV\n"
            )
        };
        let action = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      \
                      run: echo \"X=$(cat f)\" >> \"$GITHUB_ENV\"\n";
        let privileged = workflow("pull_request_target");
        let findings = check(
            POLICY,
            &[
                (".github/workflows/a.yml", &privileged),
                (".github/workflows/b.yml", &workflow("pull_request")),
                (".github/actions/setup/action.yml", action),
                (".github/actions/unused/action.yml", action),
                ("action.yml", action),
            ],
        );
        assert_eq!(
            positions(&findings),
            [
                (".github/actions/setup/action.yml".to_owned(), 5, 7),
                (".github/workflows/a.yml".to_owned(), 6, 9),
                ("action.yml".to_owned(), 5, 7),
            ],
            "{findings:#?}"
        );
        assert!(findings[1].message.starts_with("line 8 writes"));
        let caller = "on: workflow_run\njobs:\n  c:\n    uses: ./.github/workflows/reusable.yml\n";
        let reusable = workflow("workflow_call");
        let called = check(
            POLICY,
            &[
                (".github/workflows/caller.yml", caller),
                (".github/workflows/reusable.yml", &reusable),
                (".github/actions/setup/action.yml", action),
            ],
        );
        assert_eq!(
            positions(&called)
                .into_iter()
                .map(|(p, l, _)| (p, l))
                .collect::<Vec<_>>(),
            [
                (".github/actions/setup/action.yml".to_owned(), 5),
                (".github/workflows/reusable.yml".to_owned(), 6),
            ],
            "{called:#?}"
        );
        let alone = check(
            POLICY,
            &[
                (".github/workflows/b.yml", &workflow("pull_request")),
                (".github/actions/setup/action.yml", action),
            ],
        );
        assert!(alone.is_empty(), "{alone:#?}");
    }
}
