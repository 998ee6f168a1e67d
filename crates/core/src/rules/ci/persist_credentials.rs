//! ci/persist-credentials

use std::collections::HashMap;

use super::{each_workflow, nth_key};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "ci/persist-credentials",
    summary: "`actions/checkout` does not keep the token on disk in jobs that upload artifacts",
    default_level: Level::Warning,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "In a job that uploads artifacts (a step using `actions/upload-artifact` or \
               `actions/upload-pages-artifact`), each `actions/checkout` step without \
               `persist-credentials: false`; reported at its `uses` value. Jobs that upload \
               nothing are not reported: the stored token then stays on the runner, which is \
               discarded.",
        why: "`actions/checkout` writes the job's token into `.git/config` by default so later \
              steps can push. An artifact that includes the checkout (`path: .`, a build \
              folder with `.git`) publishes that token to anyone who can download the \
              artifact: in a public repository, everyone (\"ArtiPACKED\", 2024).",
        example: "```yaml\nsteps:\n  - uses: actions/checkout@v4           # reported\n  - run: \
                  make dist\n  - uses: actions/upload-artifact@v4\n    with: {path: .}\n```",
        fix: "Add `with: persist-credentials: false` to the checkout. A job that must push \
              can pass the token explicitly to that one command instead.",
    },
};

struct PersistCredentials;

fn build(_: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(PersistCredentials))
}

const UPLOADS: &[&str] = &["actions/upload-artifact", "actions/upload-pages-artifact"];

impl Rule for PersistCredentials {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            let mut seen = HashMap::new();
            for job in &workflow.jobs {
                let Some(upload) = job
                    .steps
                    .iter()
                    .find_map(|s| UPLOADS.iter().find(|u| s.uses_action(u)))
                else {
                    continue;
                };
                for step in &job.steps {
                    if !step.uses_action("actions/checkout") {
                        continue;
                    }
                    let persisted = step
                        .with_value("persist-credentials")
                        .is_none_or(|v| v.value.trim() != "false");
                    let Some(uses) = step.uses.as_ref().filter(|_| persisted) else {
                        continue;
                    };
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`actions/checkout` keeps the token in .git/config in job `{}`, \
                                 which uploads artifacts ({upload})",
                                job.id
                            ),
                        )
                        .span(uses.span)
                        .help("add `with: persist-credentials: false` to the checkout")
                        .key(nth_key(job.id.clone(), &mut seen)),
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
    fn reports_checkouts_in_jobs_that_upload() {
        let workflow = "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      \
                        - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n      \
                        - uses: actions/upload-artifact@v4\n  b:\n    steps:\n      - uses: actions/checkout@v4\n  \
                        c:\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: 'false'}\n      \
                        - uses: actions/upload-pages-artifact@v3\n";
        let findings = check(
            "[rules.\"ci/persist-credentials\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(lines(&findings), [(5, 15)], "{findings:#?}");
    }
}
