use super::each_workflow;
use crate::ci::github::{Grant, Permissions};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/excessive-permissions",
    summary: "Top-level workflow permissions are read-only; no `write-all` anywhere",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of strings",
        help: "Scopes that may be `write` at the top level, such as `[\"id-token\"]`. \
               Default: none.",
    }],
    what: "In workflows: `permissions: write-all` at the top level or in a job, and every \
           scope set to `write` in the top-level `permissions` of a workflow with more \
           than one job (each reported at its value). Write scopes in a job's own \
           `permissions` are the recommended way to grant them and are not reported, nor \
           are top-level write scopes of a single-job workflow, which are that job's, nor \
           those of a workflow whose every job sets its own `permissions` (the top level \
           applies to none of them).",
    why: "Top-level permissions apply to every job of the workflow, including jobs added \
          later and jobs that run third-party code (linters, test dependencies). A token \
          that can write contents, packages or pull requests turns any compromised step \
          into a compromised repository. `write-all` grants every scope at once.",
    example: "```yaml\npermissions:\n  contents: write     # reported\njobs:\n  release:\n    \
              permissions:\n      contents: write   # fine: only this job\n```",
    fix: "Set the top level to `contents: read` (or `{}`), and grant write scopes in the \
          `permissions` of the jobs that need them. Replace `write-all` with the scopes \
          the job uses.",
}

struct ExcessivePermissions {
    allow: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(ExcessivePermissions {
        allow: params.take::<Vec<String>>("allow")?.unwrap_or_default(),
    }))
}

fn write_all(path: &str, permissions: &Permissions, whose: &str) -> Option<Violation> {
    (permissions.grant == Grant::WriteAll).then(|| {
        Violation::file(
            path,
            format!("`permissions: write-all` {whose} grants every scope write access"),
        )
        .span(permissions.node.span)
        .help("list the scopes the jobs need instead, such as `contents: read`")
        .key(format!("write-all:{whose}"))
    })
}

impl Rule for ExcessivePermissions {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            // When every job sets its own permissions, the top level applies to none of them.
            let overridden = !workflow.jobs.is_empty()
                && workflow.jobs.iter().all(|job| job.permissions.is_some());
            if let Some(permissions) = workflow.permissions.as_ref().filter(|_| !overridden) {
                out.extend(write_all(&file.path, permissions, "at the top level"));
                // With a single job, the top level is that job's permissions.
                let single_job = workflow.jobs.len() == 1;
                for scope in permissions.writes().into_iter().filter(|_| !single_job) {
                    if self.allow.contains(&scope.scope) {
                        continue;
                    }
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`{}: write` at the top level gives every job of the workflow \
                                 write access",
                                scope.scope
                            ),
                        )
                        .span(scope.level.span)
                        .help(format!(
                            "set the top level to read-only and add `permissions: {}: write` \
                             to the jobs that need it",
                            scope.scope
                        ))
                        .key(format!("top:{}", scope.scope)),
                    );
                }
            }
            for job in &workflow.jobs {
                if let Some(permissions) = &job.permissions {
                    out.extend(write_all(
                        &file.path,
                        permissions,
                        &format!("in job `{}`", job.id),
                    ));
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
    fn reports_top_level_writes_and_write_all() {
        let workflow = "on: push\npermissions:\n  contents: write\n  pull-requests: read\n  \
                        id-token: write\njobs:\n  a:\n    permissions: write-all\n  b:\n    \
                        permissions:\n      contents: write\n  c:\n    runs-on: x\n";
        let single = "on: push\npermissions:\n  issues: write\njobs:\n  a: {runs-on: x}\n";
        let findings = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(
            lines(&findings),
            [(3, 13), (5, 13), (8, 18)],
            "{findings:#?}"
        );
        let allowed = check(
            "[rules.\"ci/excessive-permissions\"]\nallow = [\"id-token\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(lines(&allowed), [(3, 13), (8, 18)]);
        let single = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[(".github/workflows/one.yml", single)],
        );
        assert!(single.is_empty(), "{single:#?}");
    }

    #[test]
    fn a_top_level_every_job_overrides_and_dead_jobs_are_not_judged() {
        let overridden = "on: push\npermissions:\n  contents: write\njobs:\n  a:\n    \
                          permissions: {}\n  b:\n    permissions:\n      contents: read\n";
        let findings = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[(".github/workflows/ci.yml", overridden)],
        );
        assert!(findings.is_empty(), "{findings:#?}");
        // A job switched off with `if: false` neither overrides the top level nor is judged.
        let dead = "on: push\npermissions:\n  contents: write\njobs:\n  a:\n    \
                    permissions: {}\n  b:\n    runs-on: x\n  c:\n    if: ${{ false }}\n    \
                    permissions: write-all\n  d:\n    if: false\n    permissions: write-all\n";
        let findings = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[(".github/workflows/ci.yml", dead)],
        );
        assert_eq!(lines(&findings), [(3, 13)], "{findings:#?}");
    }

    #[test]
    fn read_only_top_levels_pass() {
        let findings = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[
                (
                    ".github/workflows/a.yml",
                    "permissions: read-all\njobs: {}\n",
                ),
                (".github/workflows/b.yml", "permissions: {}\n"),
                (
                    ".github/workflows/c.yml",
                    "permissions:\n  contents: read\n",
                ),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn top_level_write_all_is_reported_once() {
        let findings = check(
            "[rules.\"ci/excessive-permissions\"]\n",
            &[(
                ".github/workflows/a.yml",
                "on: push\npermissions: write-all\n",
            )],
        );
        assert_eq!(lines(&findings), [(2, 14)]);
    }
}
