//! ci/unpinned-image

use std::collections::HashMap;

use super::unpinned_action::image_name;
use super::{each_github, nth_key};
use crate::ci::github::GithubFile;
use crate::ci::{image_digest, Scalar};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "ci/unpinned-image",
    summary: "Job containers, service containers and Docker actions use images pinned by digest",
    default_level: Level::Warning,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[OptionDoc {
        name: "allow",
        kind: "array of globs",
        help: "Image names (without tag or digest) that may stay on a tag, such as \
               `[\"ghcr.io/my-org/*\"]`. Default: none.",
    }],
    docs: Docs {
        what: "In workflows, the image of each job's `container` (a string or `image:`) and of \
               each of its `services`; in a Docker action's `action.yml`, a `runs.image` of \
               the form `docker://...`. Each is reported at its value unless it has an \
               `@sha256:` digest. Values with an expression (`${{ matrix.image }}`) cannot be \
               judged and are skipped; `uses: docker://...` steps are judged by \
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
    },
};

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
                        if let Some(image) = &job.container {
                            let what = format!("job `{}` container", job.id);
                            self.judge(&file.path, image, &what, out, &mut seen);
                        }
                        for service in &job.services {
                            if let Some(image) = &service.image {
                                let what = format!("job `{}` service `{}`", job.id, service.id);
                                self.judge(&file.path, image, &what, out, &mut seen);
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
}
