use super::each_workflow;
use crate::ci::github::Workflow;
use crate::context::Context;
use crate::edit::{text, Edit, Fix};
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/permissions-missing",
    summary: "Workflows set the token's `permissions` at the top level",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    fixable: true,
    rule: PermissionsMissing,
    what: "Every workflow has a top-level `permissions` key, unless every one of its jobs \
           sets `permissions` itself (then no job runs with the default). Reported at the \
           workflow's first key. Actions are not judged: their steps run with the token of \
           the workflow that calls them.",
    why: "Without `permissions`, each job's `GITHUB_TOKEN` gets the repository's or \
          organisation's default: read and write on contents, packages, pull requests, \
          issues and more in repositories created before February 2023. A compromised \
          step or dependency can then push code or tamper with releases. Declaring the \
          permissions also documents what the workflow needs.",
    example: "```yaml\non: pull_request\njobs:\n  test: ...\n```\nis reported at `on`. \
              Adding\n```yaml\npermissions:\n  contents: read\n```\nat the top level (and \
              granting more per job where needed) fixes it.",
    fix: "Add `permissions: contents: read` (or `permissions: {}` when the jobs need no \
          token) at the top level, and give individual jobs the write scopes they need \
          with their own `permissions`. `goldpath fix` inserts `permissions:` with \
          `contents: read` just above `jobs:` (above the comments that lead into it), \
          indented like the file's jobs.",
}

impl Rule for PermissionsMissing {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            if workflow.permissions.is_some() || workflow.root.as_map().is_none() {
                return;
            }
            // A reusable workflow runs with its caller's token, whose permissions are judged
            // where the caller is.
            if !workflow.on.is_empty() && workflow.on.iter().all(|t| t.event == "workflow_call") {
                return;
            }
            if !workflow.jobs.is_empty() && workflow.jobs.iter().all(|j| j.permissions.is_some()) {
                return;
            }
            let unset: Vec<&str> = workflow
                .jobs
                .iter()
                .filter(|j| j.permissions.is_none())
                .map(|j| j.id.as_str())
                .collect();
            let at = workflow
                .root
                .as_map()
                .and_then(|entries| entries.first())
                .map_or(workflow.root.span, |e| e.key.span);
            let detail = match unset.len() {
                0 => String::new(),
                1 => format!(
                    ": job `{}` runs with the default token permissions",
                    unset[0]
                ),
                n => format!(": {n} jobs run with the default token permissions"),
            };
            out.push(
                Violation::file(
                    &file.path,
                    format!("workflow sets no top-level `permissions`{detail}"),
                )
                .span(at)
                .help("add `permissions:` with `contents: read` at the top level, and grant write scopes per job")
                .key("missing")
                .fix(cx.fix_options().and_then(|_| fix(&file.path, workflow))),
            );
        });
    }
}

/// Inserts `permissions:` with `contents: read` before the top-level `jobs:` key, above the
/// comment lines just before it, with the file's indentation and line endings; a blank line
/// after it when `jobs:` follows one.
fn fix(path: &str, workflow: &Workflow) -> Option<Fix> {
    let source = workflow.text.text.as_str();
    let jobs = workflow.jobs_key?;
    if text::key_indent(source, jobs.start_byte) != Some(0) {
        return None;
    }
    let at = text::above_comments(source, jobs.start_byte);
    let unit = workflow
        .jobs
        .first()
        .and_then(|job| text::key_indent(source, job.id_span.start_byte))
        .filter(|n| *n > 0)
        .unwrap_or(2);
    let eol = text::eol(source);
    let blank_before = at > 0 && text::is_blank_line(source, at - 1);
    let mut insert = format!("permissions:{eol}{}contents: read{eol}", " ".repeat(unit));
    if blank_before {
        insert.push_str(eol);
    }
    Some(Fix::new(Edit::insert(path, at, insert)))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/permissions-missing\"]\n";

    #[test]
    fn reports_workflows_without_permissions_at_their_first_key() {
        let workflow =
            "# CI\nname: ci\non: push\njobs:\n  a:\n    runs-on: x\n  b:\n    permissions: {}\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(lines(&findings), [(2, 1)], "{findings:#?}");
        assert!(findings[0].message.contains("job `a`"));
    }

    #[test]
    fn top_level_or_every_job_is_enough() {
        let top = "on: push\npermissions: read-all\njobs:\n  a: {runs-on: x}\n";
        let jobs =
            "on: push\njobs:\n  a: {permissions: {contents: read}}\n  b: {permissions: {}}\n";
        let reusable = "on:\n  workflow_call:\n    inputs: {}\njobs:\n  a: {runs-on: x}\n";
        let findings = check(
            POLICY,
            &[
                (".github/workflows/a.yml", top),
                (".github/workflows/b.yml", jobs),
                (".github/workflows/c.yml", reusable),
                ("action.yml", "runs: {using: composite, steps: []}\n"),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn fix_inserts_read_only_permissions_above_jobs() {
        use crate::fix::testing::assert_fix;
        let path = ".github/workflows/ci.yml";
        assert_fix(
            POLICY,
            &[(path, "name: ci\non: push\njobs:\n  a:\n    runs-on: x\n")],
            &[(
                path,
                "name: ci\non: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n",
            )],
        );
        // Four-space indentation, a blank line and a comment before `jobs`, CRLF endings.
        assert_fix(
            POLICY,
            &[(
                path,
                "on: push # trigger\r\n\r\n# The jobs\r\njobs:\r\n    a:\r\n        runs-on: x\r\n",
            )],
            &[(
                path,
                "on: push # trigger\r\n\r\npermissions:\r\n    contents: read\r\n\r\n# The jobs\r\n\
                 jobs:\r\n    a:\r\n        runs-on: x\r\n",
            )],
        );
    }

    #[test]
    fn no_fix_without_a_block_jobs_key() {
        let fixed = crate::fix::testing::fix_once(
            POLICY,
            &crate::fix::testing::files(&[(".github/workflows/a.yml", "{on: push, jobs: {}}\n")]),
            &Default::default(),
        );
        assert_eq!(fixed.1, 0);
    }
}
