use std::collections::HashMap;

use super::{each_github, nth_key};
use crate::ci::github::{GithubFile, Uses};
use crate::ci::{image_digest, is_full_sha, Scalar, Text};
use crate::context::Context;
use crate::finding::{Tier, Violation};
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/unpinned-action",
    summary: "Actions and reusable workflows are pinned to a full commit SHA",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "allow",
            kind: "array of globs",
            help: "Actions that may stay on a tag or branch, matched against `owner/repo` and \
                   `owner/repo/path` (and, for `docker://` steps, the image name): \
                   `[\"my-org/*\"]`. `*` does not cross `/`. Default: none.",
        },
        {
            name: "trusted",
            kind: "array of globs",
            help: "Actions, matched like `allow`, whose unpinned uses are reported at tier \
                   gold instead of the rule's tier: they do not block silver but do block \
                   gold. The recommended pack sets `[\"actions/*\", \"github/*\"]`. Default: \
                   none.",
        },
    ],
    what: "Every `uses:` of a step (in workflows and composite actions) and of a job (a \
           reusable workflow, `owner/repo/.github/workflows/x.yml@ref`) names a full \
           40-character commit SHA after `@`. Reported at the ref's exact line and \
           column: a tag (`@v4`), a branch (`@main`), a short SHA, or no ref at all. \
           `docker://` steps are pinned when the image has an `@sha256:` digest. Local \
           actions and workflows (`./path`, `$/path`) are part of the repository and are \
           not reported; a `uses` with an expression cannot be judged and is skipped.",
    why: "A tag or branch can be moved to other code after you reviewed it: a compromised \
          action (as with tj-actions/changed-files in 2025) then runs in your workflow, \
          with your secrets and token. A commit SHA cannot be moved.",
    example: "```yaml\nsteps:\n  - uses: actions/checkout@v4            # reported at \
              `v4`\n  - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # \
              v4.1.1\n```\nthe second step is pinned; the comment keeps the version \
              readable (Dependabot and Renovate update both).",
    fix: "Replace the ref with the SHA of the release's commit (`git ls-remote \
          https://github.com/OWNER/REPO refs/tags/TAG`, or a tool such as pinact or \
          Renovate's `helpers:pinGitHubActionDigests`) and keep the tag in a comment. \
          Exempt owners you trust with `allow`, or lower their tier with `trusted`.",
}

struct UnpinnedAction {
    allow: GlobList,
    trusted: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(UnpinnedAction {
        allow: params.take_globs("allow")?.unwrap_or_default(),
        trusted: params.take_globs("trusted")?.unwrap_or_default(),
    }))
}

impl UnpinnedAction {
    fn judge(
        &self,
        path: &str,
        text: &Text,
        uses: &Scalar,
        owner: &str,
        out: &mut Vec<Violation>,
        seen: &mut HashMap<String, usize>,
    ) {
        let key = nth_key(format!("{owner}:{}", uses.value.trim()), seen);
        match Uses::parse(&uses.value) {
            Uses::Remote(remote) => {
                if is_full_sha(&remote.git_ref) {
                    return;
                }
                let names = [remote.repository(), remote.name()];
                if names.iter().any(|n| self.allow.is_match(n)) {
                    return;
                }
                let what = if remote.is_workflow() {
                    "reusable workflow"
                } else {
                    "action"
                };
                let kind = if remote.git_ref.len() >= 7
                    && remote.git_ref.len() < 40
                    && remote.git_ref.bytes().all(|b| b.is_ascii_hexdigit())
                {
                    "a short SHA, which can become ambiguous,"
                } else {
                    "a tag or branch, which can be moved,"
                };
                let span = text.locate(
                    uses,
                    remote.ref_offset..remote.ref_offset + remote.git_ref.len(),
                );
                let mut v = Violation::file(
                    path,
                    format!(
                        "{what} `{}` is referenced by `{}`, {kind} not by a full commit SHA",
                        remote.name(),
                        remote.git_ref
                    ),
                )
                .span(span)
                .help(format!(
                    "use `{}@<40-character commit SHA> # {}`",
                    remote.name(),
                    remote.git_ref
                ))
                .key(key);
                if names.iter().any(|n| self.trusted.is_match(n)) {
                    v = v.tier(Tier::Gold);
                }
                out.push(v);
            }
            Uses::Docker { image } => {
                if image_digest(&image).is_some() {
                    return;
                }
                let name = image_name(&image);
                if self.allow.is_match(name) {
                    return;
                }
                let mut v = Violation::file(
                    path,
                    format!("docker image `{image}` is not pinned to an `@sha256:` digest"),
                )
                .span(uses.span)
                .help(format!("use `docker://{name}@sha256:<digest>`"))
                .key(key);
                if self.trusted.is_match(name) {
                    v = v.tier(Tier::Gold);
                }
                out.push(v);
            }
            Uses::Invalid(value) => out.push(
                Violation::file(
                    path,
                    format!("`uses: {value}` names no ref: write `owner/repo@<commit SHA>`"),
                )
                .span(uses.span)
                .key(key),
            ),
            Uses::Local(_) | Uses::SameRepository(_) | Uses::Expression => {}
        }
    }
}

/// The name of an image reference, without tag or digest.
pub(crate) fn image_name(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    // A tag follows the last `:` after the last `/` (a registry may have a port).
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(colon) => &image[..slash + colon],
        None => image,
    }
}

impl Rule for UnpinnedAction {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_github(cx, |file, github| {
            let mut seen = HashMap::new();
            let text = github.text();
            match github {
                GithubFile::Workflow(workflow) => {
                    for job in &workflow.jobs {
                        if let Some(uses) = &job.uses {
                            self.judge(&file.path, text, uses, &job.id, out, &mut seen);
                        }
                        for step in &job.steps {
                            if let Some(uses) = &step.uses {
                                self.judge(&file.path, text, uses, &job.id, out, &mut seen);
                            }
                        }
                    }
                }
                GithubFile::Action(action) => {
                    for step in &action.steps {
                        if let Some(uses) = &step.uses {
                            self.judge(&file.path, text, uses, "runs", out, &mut seen);
                        }
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, positions};
    use crate::testing::check;
    use crate::Tier;

    const POLICY: &str = "[rules.\"ci/unpinned-action\"]\n";
    const SHA: &str = "b4ffde65f46336ab88eb53be808477a3936bae11";

    #[test]
    fn reports_tags_branches_and_short_shas_at_the_ref() {
        let workflow = format!(
            "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      \
             - uses: 'org/tool/sub@main'\n      - uses: o/r@{SHA} # v1\n      - uses: o/r@b4ffde6\n      \
             - uses: ./local\n      - uses: $/x\n      - uses: docker://alpine:3\n      \
             - uses: docker://alpine@sha256:{}\n  call:\n    uses: o/r/.github/workflows/w.yml@v1\n",
            "a".repeat(64)
        );
        let findings = check(POLICY, &[(".github/workflows/ci.yml", &workflow)]);
        assert_eq!(
            lines(&findings),
            [(6, 32), (7, 29), (9, 19), (12, 15), (15, 39)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .contains("`actions/checkout` is referenced by `v4`"));
        assert!(findings[2].message.contains("short SHA"));
        assert!(findings[4].message.starts_with("reusable workflow"));
        let span = findings[0].span.unwrap();
        assert_eq!(span.end_column - span.column, 2);
    }

    #[test]
    fn allow_exempts_and_trusted_lowers_the_tier() {
        let policy =
            "[rules.\"ci/unpinned-action\"]\nallow = [\"my-org/*\"]\ntrusted = [\"actions/*\"]\n";
        let action =
            "runs:\n  using: composite\n  steps:\n    - uses: actions/cache/restore@v4\n    \
                      - uses: my-org/x@v1\n    - uses: other/x@v1\n";
        let findings = check(policy, &[("action.yml", action)]);
        assert_eq!(
            positions(&findings),
            [
                ("action.yml".to_owned(), 4, 35),
                ("action.yml".to_owned(), 6, 21)
            ]
        );
        assert_eq!(
            findings[0].tier,
            Tier::Gold,
            "actions/cache/restore matches owner/repo"
        );
        assert_eq!(findings[1].tier, Tier::Silver);
    }

    #[test]
    fn a_uses_without_ref_is_reported() {
        let findings = check(
            POLICY,
            &[(
                ".github/workflows/a.yml",
                "jobs:\n  a:\n    steps:\n      - uses: actions/checkout\n",
            )],
        );
        assert_eq!(lines(&findings), [(4, 15)]);
        assert!(findings[0].message.contains("names no ref"));
    }

    #[test]
    fn image_names_drop_tags_and_digests() {
        assert_eq!(super::image_name("alpine:3"), "alpine");
        assert_eq!(
            super::image_name("localhost:5000/a/b:1@sha256:x"),
            "localhost:5000/a/b"
        );
        assert_eq!(super::image_name("ghcr.io/o/i"), "ghcr.io/o/i");
    }
}
