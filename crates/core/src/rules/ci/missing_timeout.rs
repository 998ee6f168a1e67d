use super::each_workflow;
use crate::ci::github::{Job, Workflow};
use crate::context::Context;
use crate::edit::{text, Edit, Fix};
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/missing-timeout",
    summary: "Workflow jobs set `timeout-minutes`",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    fixable: true,
    build: build,
    options: [
        {
            name: "max",
            kind: "integer (minutes)",
            help: "Also report a literal `timeout-minutes` above this many minutes. Default: no \
                   maximum.",
        },
        {
            name: "fix-minutes",
            kind: "integer (minutes)",
            help: "The `timeout-minutes` that `goldpath fix` writes. Default: 30, or `max` when \
                   that is lower; at most `max`.",
        },
    ],
    what: "Every job of a workflow that runs steps has `timeout-minutes`; reported at the \
           job's id. Jobs that call a reusable workflow (`uses:`) are exempt: GitHub does \
           not accept `timeout-minutes` on them (the called workflow's jobs set their \
           own). With `max`, a literal timeout above it is reported at its value; an \
           expression is not judged.",
    why: "A job without a timeout runs for up to six hours when a test hangs or a network \
          call never returns: it holds a runner (and its cost) and delays every pipeline \
          queued behind it.",
    example: "```yaml\njobs:\n  test:              # reported\n    runs-on: \
              ubuntu-latest\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: \
              15    # fine\n```",
    fix: "Add `timeout-minutes:` to each job, a little above its usual duration. \
          `goldpath fix` adds `timeout-minutes: 30` (the `fix-minutes` option) to each \
          job: after its `runs-on` line, or as its first key, at the job's indentation; \
          adjust the number to the job.",
}

struct MissingTimeout {
    max: Option<i64>,
    fix_minutes: i64,
}

/// The timeout `goldpath fix` writes when neither `fix-minutes` nor a lower `max` says.
const DEFAULT_FIX_MINUTES: i64 = 30;

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let max = match params.take_with_origin::<i64>("max")? {
        Some((max, origin)) if max <= 0 => {
            return Err(origin.error(format!(
                "`max` must be a positive number of minutes, not {max}"
            )));
        }
        other => other.map(|(max, _)| max),
    };
    let fix_minutes = match params.take_with_origin::<i64>("fix-minutes")? {
        Some((minutes, origin)) if minutes <= 0 || max.is_some_and(|max| minutes > max) => {
            return Err(origin.error(format!(
                "`fix-minutes` must be a positive number of minutes, at most `max`, not {minutes}"
            )));
        }
        Some((minutes, _)) => minutes,
        None => max.map_or(DEFAULT_FIX_MINUTES, |max| max.min(DEFAULT_FIX_MINUTES)),
    };
    Ok(Box::new(MissingTimeout { max, fix_minutes }))
}

impl Rule for MissingTimeout {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            for job in &workflow.jobs {
                if job.uses.is_some() {
                    continue;
                }
                match &job.timeout_minutes {
                    None => out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "job `{}` has no `timeout-minutes`: it may run for up to 6 hours",
                                job.id
                            ),
                        )
                        .span(job.id_span)
                        .help("add `timeout-minutes:` a little above the job's usual duration")
                        .key(job.id.clone())
                        .fix(
                            cx.fix_options()
                                .and_then(|_| fix(&file.path, workflow, job, self.fix_minutes)),
                        ),
                    ),
                    Some(node) => {
                        let minutes = node.as_f64();
                        if let (Some(max), Some(minutes)) = (self.max, minutes) {
                            if minutes > max as f64 {
                                out.push(
                                    Violation::file(
                                        &file.path,
                                        format!(
                                            "job `{}` has `timeout-minutes: {}`, above the \
                                             maximum of {max}",
                                            job.id,
                                            node.to_display()
                                        ),
                                    )
                                    .span(node.span)
                                    .key(format!("{}:max", job.id)),
                                );
                            }
                        }
                    }
                }
            }
        });
    }
}

/// Inserts `timeout-minutes: N` into the job's mapping: on its own line after a one-line
/// `runs-on`, else before the first key, at the keys' indentation; in a flow mapping
/// (`{runs-on: x}`) as its first entry.
fn fix(path: &str, workflow: &Workflow, job: &Job, minutes: i64) -> Option<Fix> {
    let source = workflow.text.text.as_str();
    let node = workflow.job_node(job)?;
    let entries = node.as_map()?;
    // A job written through an alias (`b: *a`) has its keys elsewhere: leave it to a person.
    let inside = |at: usize| node.span.start_byte <= at && at <= node.span.end_byte;
    if node.span.start_byte < job.id_span.end_byte
        || entries
            .first()
            .is_some_and(|e| !inside(e.key.span.start_byte))
    {
        return None;
    }
    let line = format!("timeout-minutes: {minutes}");
    if source[node.span.start_byte..].starts_with('{') {
        return Some(Fix::new(match entries.first() {
            Some(first) => Edit::insert(path, first.key.span.start_byte, format!("{line}, ")),
            None => Edit::insert(path, node.span.start_byte + 1, line),
        }));
    }
    let first = entries.first()?;
    let indent = text::key_indent(source, first.key.span.start_byte)?;
    let eol = text::eol(source);
    let runs_on = entries
        .iter()
        .find(|e| e.key_str() == Some("runs-on"))
        .filter(|e| e.key.span.line == e.value.span.end_line && e.value.as_map().is_none());
    let at = match runs_on {
        Some(entry) => text::line_end(source, entry.value.span.end_byte),
        None => text::above_comments(source, first.key.span.start_byte),
    };
    let lines = format!("{}{line}{eol}", " ".repeat(indent));
    Some(Fix::new(Edit::insert(
        path,
        at,
        text::lines_at(source, at, lines, eol),
    )))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::testing::check;

    const WORKFLOW: &str = "on: push\njobs:\n  a:\n    runs-on: x\n  b:\n    runs-on: x\n    \
                            timeout-minutes: 90\n  c:\n    uses: o/r/.github/workflows/w.yml@v1\n  \
                            d:\n    timeout-minutes: ${{ inputs.t }}\n";

    #[test]
    fn reports_jobs_without_timeouts_at_their_id() {
        let findings = check(
            "[rules.\"ci/missing-timeout\"]\n",
            &[(".github/workflows/ci.yml", WORKFLOW)],
        );
        assert_eq!(lines(&findings), [(3, 3)], "{findings:#?}");
    }

    #[test]
    fn max_reports_long_timeouts() {
        let findings = check(
            "[rules.\"ci/missing-timeout\"]\nmax = 60\n",
            &[(".github/workflows/ci.yml", WORKFLOW)],
        );
        assert_eq!(lines(&findings), [(3, 3), (7, 22)], "{findings:#?}");
        let err = crate::testing::policy_error("[rules.\"ci/missing-timeout\"]\nmax = 0\n");
        assert!(err.to_string().contains("positive"), "{err}");
        let err = crate::testing::policy_error(
            "[rules.\"ci/missing-timeout\"]\nmax = 20\nfix-minutes = 25\n",
        );
        assert!(err.to_string().contains("at most `max`"), "{err}");
    }

    #[test]
    fn fix_adds_a_timeout_to_each_job() {
        use crate::fix::testing::assert_fix;
        let path = ".github/workflows/ci.yml";
        let before = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest # the usual\n    steps:\n      \
                      - run: make\n  b:\n    # builds\n    steps: []\n  c: {runs-on: x}\n  d: {}\n  \
                      e:\n    uses: o/r/.github/workflows/w.yml@v1\n  f:\n    runs-on: x";
        let after = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest # the usual\n    \
                     timeout-minutes: 30\n    steps:\n      - run: make\n  b:\n    timeout-minutes: 30\n    \
                     # builds\n    steps: []\n  c: {timeout-minutes: 30, runs-on: x}\n  \
                     d: {timeout-minutes: 30}\n  e:\n    uses: o/r/.github/workflows/w.yml@v1\n  \
                     f:\n    runs-on: x\n    timeout-minutes: 30\n";
        assert_fix(
            "[rules.\"ci/missing-timeout\"]\n",
            &[(path, before)],
            &[(path, after)],
        );
        // An alias shares its anchor's keys: only the anchored job is edited.
        assert_fix(
            "[rules.\"ci/missing-timeout\"]\n",
            &[(path, "jobs:\n  a: &j\n    steps: []\n  b: *j\n")],
            &[(
                path,
                "jobs:\n  a: &j\n    timeout-minutes: 30\n    steps: []\n  b: *j\n",
            )],
        );
        assert_fix(
            "[rules.\"ci/missing-timeout\"]\nmax = 20\n",
            &[(path, "jobs:\n    a:\n        steps: []\n")],
            &[(
                path,
                "jobs:\n    a:\n        timeout-minutes: 20\n        steps: []\n",
            )],
        );
    }
}
