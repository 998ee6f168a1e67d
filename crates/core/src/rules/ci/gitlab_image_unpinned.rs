use std::collections::{HashMap, HashSet};

use super::unpinned_action::image_name;
use super::{gitlab_pipeline, judged, nth_key};
use crate::ci::gitlab::{ImageRole, Pipeline};
use crate::ci::image_digest;
use crate::context::Context;
use crate::doc::{Node, Value};
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/gitlab-image-unpinned",
    summary: "GitLab CI images and services are pinned by digest",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of globs",
        help: "Image names (without tag or digest, after variables are expanded) that may \
               stay on a tag: `[\"registry.example.com/ci/*\"]`. Default: none.",
    }],
    what: "Every `image:` and `services:` entry, in both forms (`image: ruby:3.3` and \
           `image: { name: ruby:3.3 }`), in jobs (hidden template jobs included), in \
           `default:` and at the top level, in `.gitlab-ci.yml` and its local includes \
           (`<<` merge keys applied: an image written once in an anchor is reported once, \
           where it is written). An image without an `@sha256:` digest is reported at its \
           value. Variables (`$VAR`, `${VAR}`) are expanded from the job's and the \
           top-level `variables:`; an image whose tag (or whole name) is still a variable \
           after that, such as `$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA`, cannot be judged and \
           is skipped.",
    why: "A tag such as `ruby:3.3` or `docker:24-dind` is re-pointed at every release: the \
          pipeline runs different software from one day to the next, and whoever controls \
          the tag controls your pipeline and its secrets. A digest names exactly one \
          image.",
    example:
        "```yaml\ndefault:\n  image: ruby:3.3                          # reported\nbuild:\n  \
              image:\n    name: golang:1.22@sha256:4d9a...      # fine\n  services:\n    - \
              docker:24-dind                       # reported\n```",
    fix: "Append the digest (`docker buildx imagetools inspect IMAGE:TAG` prints it) and \
          keep the tag for readers: `ruby:3.3@sha256:...`. Renovate updates pinned \
          digests in `.gitlab-ci.yml`.",
}

struct GitlabImageUnpinned {
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(GitlabImageUnpinned {
        allow: params.take_globs("allow")?.unwrap_or_default(),
    }))
}

/// The variables of a `variables:` mapping: plain values and the `value` of the long form.
fn variables_of(node: Option<&Node>, into: &mut HashMap<String, String>) {
    for entry in node.and_then(Node::as_map).unwrap_or_default() {
        let Some(key) = entry.key_str() else { continue };
        let value = match &entry.value.value {
            Value::Map(_) => entry.value.get("value").map(Node::to_display),
            Value::Seq(_) | Value::Null => None,
            _ => Some(entry.value.to_display()),
        };
        if let Some(value) = value {
            into.insert(key.to_owned(), value);
        }
    }
}

/// `text` with `$VAR` and `${VAR}` replaced from `vars` (unknown ones left as written),
/// repeated while something changes, at most 5 times.
fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    let mut current = text.to_owned();
    for _ in 0..5 {
        let mut out = String::with_capacity(current.len());
        let mut rest = current.as_str();
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let (name, len) = if let Some(inner) = after.strip_prefix('{') {
                match inner.find('}') {
                    Some(end) => (&inner[..end], end + 2),
                    None => ("", 0),
                }
            } else {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            };
            match vars.get(name).filter(|_| !name.is_empty()) {
                Some(value) => out.push_str(value),
                None => out.push_str(&rest[at..at + 1 + len]),
            }
            rest = &rest[at + 1 + len..];
        }
        out.push_str(rest);
        if out == current {
            break;
        }
        current = out;
    }
    current
}

/// The pipeline's top-level variables (included files first, so the root file wins).
fn global_variables(pipeline: &Pipeline) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for file in pipeline.files.iter().rev() {
        variables_of(file.root.get("variables"), &mut vars);
    }
    vars
}

impl Rule for GitlabImageUnpinned {
    fn wants(&self) -> Vec<String> {
        super::gitlab_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(pipeline) = gitlab_pipeline(cx) else {
            return;
        };
        let globals = global_variables(&pipeline);
        let mut reported = HashSet::new();
        let mut seen = HashMap::new();
        for image in &pipeline.images {
            let Some(file) = pipeline.files.get(image.file) else {
                continue;
            };
            if !judged(cx, &file.path) || !reported.insert((image.file, image.name.span.start_byte))
            {
                continue;
            }
            let mut vars = globals.clone();
            if let Some(job) = image
                .owner
                .strip_prefix("job `")
                .and_then(|n| n.strip_suffix('`'))
                .and_then(|n| {
                    pipeline
                        .jobs
                        .iter()
                        .find(|j| j.file == image.file && j.name == n)
                })
            {
                variables_of(job.node.get("variables"), &mut vars);
            }
            let written = image.name.value.trim();
            let expanded = expand(written, &vars);
            if image_digest(&expanded).is_some() {
                continue;
            }
            let name = image_name(&expanded);
            let tag = &expanded[name.len()..];
            if tag.contains('$')
                || (tag.is_empty() && expanded.contains('$'))
                || expanded.is_empty()
            {
                continue;
            }
            if self.allow.is_match(name) {
                continue;
            }
            let role = match image.role {
                ImageRole::Image => "image",
                ImageRole::Service => "service",
            };
            let shown = if expanded == written {
                format!("`{written}`")
            } else {
                format!("`{written}` (`{expanded}`)")
            };
            out.push(
                Violation::file(
                    &file.path,
                    format!(
                        "{} {role} {shown} is not pinned to an `@sha256:` digest",
                        image.owner
                    ),
                )
                .span(image.name.span)
                .help(format!("use `{expanded}@sha256:<digest>`"))
                .key(nth_key(
                    format!("{}:{role}:{written}", image.owner),
                    &mut seen,
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, positions};
    use super::expand;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/gitlab-image-unpinned\"]\n";

    #[test]
    fn reports_images_and_services_in_every_place_and_form() {
        let digest = "a".repeat(64);
        let ci = format!(
            "image: ruby:3\nservices: [postgres:16]\ndefault:\n  image: {{name: alpine:3}}\n\
             .tpl: &tpl\n  image: node:20\nbuild:\n  <<: *tpl\n  services:\n    - name: docker:dind\n    \
             - redis@sha256:{digest}\ntest:\n  <<: *tpl\n  image: golang@sha256:{digest}\n"
        );
        let findings = check(POLICY, &[(".gitlab-ci.yml", &ci)]);
        assert_eq!(
            lines(&findings),
            [(1, 8), (2, 12), (4, 17), (6, 10), (10, 13)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .starts_with("(top level) image `ruby:3`"));
        assert!(findings[4].message.contains("service `docker:dind`"));
    }

    #[test]
    fn expands_variables_and_skips_what_stays_unknown() {
        let ci = "variables:\n  V: '24.0'\n  IMG:\n    value: \"reg/x:${T}\"\n  T: '1'\n\
                  a:\n  image: docker:${V}\nb:\n  image: $IMG\nc:\n  image: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA\n\
                  d:\n  image: $UNKNOWN\ne:\n  variables: {V: '25'}\n  image: docker:$V\n";
        let findings = check(POLICY, &[(".gitlab-ci.yml", ci)]);
        assert_eq!(
            lines(&findings),
            [(7, 10), (9, 10), (16, 10)],
            "{findings:#?}"
        );
        assert!(
            findings[0].message.contains("(`docker:24.0`)"),
            "{}",
            findings[0].message
        );
        assert!(findings[1].message.contains("(`reg/x:1`)"));
        assert!(findings[2].message.contains("(`docker:25`)"));
    }

    #[test]
    fn included_files_are_judged_where_they_are() {
        let findings = check(
            POLICY,
            &[
                (".gitlab-ci.yml", "include: ci/jobs.yml\n"),
                ("ci/jobs.yml", "j:\n  image: python:3\n"),
            ],
        );
        assert_eq!(positions(&findings), [("ci/jobs.yml".to_owned(), 2, 10)]);
        assert_eq!(
            expand(
                "${A}-$B-$C",
                &[("A".into(), "1".into()), ("B".into(), "$A".into())]
                    .into_iter()
                    .collect()
            ),
            "1-1-$C"
        );
    }
}
