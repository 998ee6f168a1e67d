//! ci/missing-timeout

use super::each_workflow;
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "ci/missing-timeout",
    summary: "Workflow jobs set `timeout-minutes`",
    default_level: Level::Warning,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[OptionDoc {
        name: "max",
        kind: "integer (minutes)",
        help: "Also report a literal `timeout-minutes` above this many minutes. Default: no \
               maximum.",
    }],
    docs: Docs {
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
        fix: "Add `timeout-minutes:` to each job, a little above its usual duration.",
    },
};

struct MissingTimeout {
    max: Option<i64>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let max = match params.take_with_origin::<i64>("max")? {
        Some((max, origin)) if max <= 0 => {
            return Err(origin.error(format!(
                "`max` must be a positive number of minutes, not {max}"
            )));
        }
        other => other.map(|(max, _)| max),
    };
    Ok(Box::new(MissingTimeout { max }))
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
                        .key(job.id.clone()),
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
    }
}
