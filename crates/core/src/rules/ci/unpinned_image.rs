use std::collections::HashMap;

use super::unpinned_action::image_name;
use super::{each_github, nth_key};
use crate::ci::github::GithubFile;
use crate::ci::{image_digest, Scalar};
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/unpinned-image",
    summary: "Job containers, service containers and Docker actions use images pinned by digest",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of globs",
        help: "Image names (without tag or digest) that may stay on a tag, such as \
               `[\"ghcr.io/my-org/*\"]`. Default: none.",
    }],
    what: "In workflows, the image of each job's `container` (a string or `image:`) and of \
           each of its `services`; in a Docker action's `action.yml`, a `runs.image` of \
           the form `docker://...`. Each is reported at its value unless it has an \
           `@sha256:` digest. An image given by a matrix value (`${{ matrix.image }}`, \
           `node:${{ matrix.node }}`) is judged for each value the job's \
           `strategy.matrix` lists (the key's list and its `include` entries), reported at \
           the value; other expressions (a matrix from `fromJSON`, `env`, inputs) cannot \
           be judged and are skipped. `uses: docker://...` steps are judged by \
           `ci/unpinned-action`.",
    why: "A tag such as `postgres:16` or `node:20` is re-pointed at every release: the job \
          runs different software from one day to the next, and a compromised registry \
          account can ship anything under it. A digest names exactly one image.",
    example:
        "```yaml\ncontainer: node:20                              # reported\nservices:\n  \
              db:\n    image: postgres@sha256:4d9a...   # fine\n```",
    fix: "Append the digest (`docker buildx imagetools inspect IMAGE:TAG` prints it) and \
          keep the tag for readers: `node:20@sha256:...`. Renovate and Dependabot update \
          pinned digests.",
}

struct UnpinnedImage {
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(UnpinnedImage {
        allow: params.take_globs("allow")?.unwrap_or_default(),
    }))
}

impl UnpinnedImage {
    fn judge(
        &self,
        path: &str,
        image: &Scalar,
        what: &str,
        out: &mut Vec<Violation>,
        seen: &mut HashMap<String, usize>,
    ) {
        let reference = image.value.trim();
        let reference = reference.strip_prefix("docker://").unwrap_or(reference);
        if image.has_expression() || reference.is_empty() || image_digest(reference).is_some() {
            return;
        }
        let name = image_name(reference);
        if self.allow.is_match(name) {
            return;
        }
        out.push(
            Violation::file(
                path,
                format!("{what} image `{reference}` is not pinned to an `@sha256:` digest"),
            )
            .span(image.span)
            .help(format!("use `{reference}@sha256:<digest>`"))
            .key(nth_key(format!("{what}:{reference}"), seen)),
        );
    }
}

/// The images an image template over one static matrix key names: `prefix${{ matrix.KEY
/// }}suffix` with each value the job's `strategy.matrix` gives `KEY` (its list and `include`
/// entries), as scalars at the values' spans. `None` when the template has another expression
/// or the values are not written out.
fn matrix_images(template: &Scalar, job: Option<&Node>) -> Option<Vec<Scalar>> {
    let text = &template.value;
    let start = text.find("${{")?;
    let end = start + text[start..].find("}}")? + 2;
    if text[end..].contains("${{") {
        return None;
    }
    let key = text[start + 3..end - 2].trim().strip_prefix("matrix.")?;
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let matrix = job?.get("strategy")?.get("matrix")?;
    matrix.as_map()?;
    let mut values: Vec<&Node> = Vec::new();
    if let Some(listed) = matrix.get(key) {
        values.extend(listed.as_seq()?);
    }
    if let Some(include) = matrix.get("include") {
        values.extend(include.as_seq()?.iter().filter_map(|entry| entry.get(key)));
    }
    if values.is_empty() {
        return None;
    }
    values
        .into_iter()
        .map(|value| {
            let value = Scalar::from_node(value)?;
            Some(Scalar {
                value: format!("{}{}{}", &text[..start], value.value, &text[end..]),
                span: value.span,
            })
        })
        .collect()
}

impl Rule for UnpinnedImage {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            match github {
                GithubFile::Workflow(workflow) => {
                    for job in &workflow.jobs {
                        let node = workflow.job_node(job);
                        let mut judge = |image: &Scalar, what: &str| match image
                            .has_expression()
                            .then(|| matrix_images(image, node))
                            .flatten()
                        {
                            Some(images) => {
                                for image in &images {
                                    self.judge(&file.path, image, what, out, &mut seen);
                                }
                            }
                            None => self.judge(&file.path, image, what, out, &mut seen),
                        };
                        if let Some(image) = &job.container {
                            judge(image, &format!("job `{}` container", job.id));
                        }
                        for service in &job.services {
                            if let Some(image) = &service.image {
                                judge(image, &format!("job `{}` service `{}`", job.id, service.id));
                            }
                        }
                    }
                }
                GithubFile::Action(action) => {
                    if let Some(image) = &action.image {
                        if image.value.trim().starts_with("docker://") {
                            self.judge(&file.path, image, "action", out, &mut seen);
                        }
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::positions;
    use crate::testing::check;

    #[test]
    fn reports_containers_services_and_docker_actions() {
        let digest = "a".repeat(64);
        let workflow = format!(
            "on: push\njobs:\n  a:\n    container: node:20\n    services:\n      db:\n        \
             image: postgres@sha256:{digest}\n      cache:\n        image: redis:7\n  b:\n    \
             container:\n      image: ${{{{ matrix.image }}}}\n  c:\n    container:\n      image: \
             ghcr.io/me/x:1\n"
        );
        let action = "runs:\n  using: docker\n  image: docker://alpine:3\n";
        let local = "runs:\n  using: docker\n  image: Dockerfile\n";
        let findings = check(
            "[rules.\"ci/unpinned-image\"]\nallow = [\"ghcr.io/me/*\"]\n",
            &[
                (".github/workflows/ci.yml", &workflow),
                ("action.yml", action),
                (".github/actions/x/action.yml", local),
            ],
        );
        assert_eq!(
            positions(&findings),
            [
                (".github/workflows/ci.yml".to_owned(), 4, 16),
                (".github/workflows/ci.yml".to_owned(), 9, 16),
                ("action.yml".to_owned(), 3, 10),
            ],
            "{findings:#?}"
        );
        assert!(findings[1].message.contains("service `cache`"));
    }

    #[test]
    fn images_over_static_matrix_values_are_judged_at_each_value() {
        let digest = "a".repeat(64);
        let workflow = format!(
            "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        image: [\"alpine:3\", \
             \"alpine@sha256:{digest}\"]\n        include:\n          - image: debian:12\n    \
             container: ${{{{ matrix.image }}}}\n  b:\n    strategy:\n      matrix:\n        \
             pg: [15, 16]\n    services:\n      db:\n        image: postgres:${{{{ matrix.pg }}}}\n  \
             c:\n    strategy:\n      matrix: ${{{{ fromJSON(inputs.m) }}}}\n    container: \
             ${{{{ matrix.image }}}}\n"
        );
        let findings = check(
            "[rules.\"ci/unpinned-image\"]\n",
            &[(".github/workflows/ci.yml", &workflow)],
        );
        let at: Vec<(u32, u32)> = positions(&findings)
            .into_iter()
            .map(|(_, line, column)| (line, column))
            .collect();
        assert_eq!(at, [(6, 17), (8, 20), (13, 14), (13, 18)], "{findings:#?}");
        assert!(findings[0].message.contains("`alpine:3`"), "{findings:#?}");
        assert!(
            findings[3].message.contains("`postgres:16`"),
            "{findings:#?}"
        );
    }
}
