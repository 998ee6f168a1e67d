use std::collections::HashMap;

use super::places::from_to;
use super::{each_workflow, nth_key};
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/container-credentials",
    summary: "Container registry passwords in workflows come from secrets, not the file",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    rule: ContainerCredentials,
    what: "A job's `container:` or one of its `services:` whose `credentials.password` \
           is written in the file: a non-empty value with no `${{ }}` expression. \
           Reported from the `credentials` key (where zizmor reports it) to the password; \
           the finding's snippet is redacted.",
    why: "A password committed to a workflow is readable by everyone who can read the \
          repository, forever (it stays in the history), and usually grants more than \
          pulling one image.",
    example: "```yaml\ncontainer:\n  image: registry.example.com/build:1\n  credentials:   \
              # reported\n    username: ci\n    password: hunter2\n```",
    fix: "Store the password as an Actions secret and write \
          `password: ${{ secrets.REGISTRY_PASSWORD }}`; rotate the committed one. For \
          GitHub's registry use `${{ secrets.GITHUB_TOKEN }}` with `packages: read`.",
}

impl Rule for ContainerCredentials {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            let mut seen = HashMap::new();
            let jobs = workflow
                .root
                .get("jobs")
                .and_then(Node::as_map)
                .unwrap_or_default();
            for job in jobs {
                let job_id = job.key_str().unwrap_or_default();
                let mut containers: Vec<(String, &Node)> = Vec::new();
                if let Some(container) = job.value.get("container") {
                    containers.push(("the job's container".to_owned(), container));
                }
                for service in job
                    .value
                    .get("services")
                    .and_then(Node::as_map)
                    .unwrap_or_default()
                {
                    let id = service.key_str().unwrap_or_default();
                    containers.push((format!("service `{id}`"), &service.value));
                }
                for (what, container) in containers {
                    let Some(credentials) = container.get_entry("credentials") else {
                        continue;
                    };
                    let Some(password) = credentials.value.get("password") else {
                        continue;
                    };
                    let Some(text) = password.as_str().map(str::to_owned).or_else(|| {
                        password
                            .is_scalar()
                            .then(|| password.to_display())
                            .filter(|_| !password.is_null())
                    }) else {
                        continue;
                    };
                    if text.trim().is_empty() || text.contains("${{") {
                        continue;
                    }
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "the registry password of {what} in job `{job_id}` is written \
                                 in the workflow: anyone who can read the repository can use it"
                            ),
                        )
                        .span(from_to(credentials.key.span, password.span))
                        .help(
                            "store it as a secret (`password: ${{ secrets.REGISTRY_PASSWORD }}`) \
                             and rotate this one",
                        )
                        .redacted()
                        .key(nth_key(format!("{job_id}.{what}"), &mut seen)),
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
    fn reports_literal_passwords_of_containers_and_services() {
        let workflow = "on: push\njobs:\n  a:\n    container:\n      image: r.example/x\n      \
                        credentials:\n        username: u\n        password: hackme\n    services:\n      \
                        db:\n        image: r.example/db\n        credentials: {username: u, password: \
                        '${{ secrets.P }}'}\n      cache:\n        image: r.example/c\n        \
                        credentials:\n          password: 1234\n  b:\n    container:\n      image: x\n      \
                        credentials: {username: u, password: ''}\n";
        let findings = check(
            "[rules.\"ci/container-credentials\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(lines(&findings), [(6, 7), (15, 9)], "{findings:#?}");
        assert!(findings[1].message.contains("service `cache`"));
        assert!(findings
            .iter()
            .all(|f| f.snippet.as_deref().is_none_or(|s| !s.contains("hackme"))));
    }
}
