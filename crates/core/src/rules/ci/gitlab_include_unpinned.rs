use std::collections::HashMap;

use super::{gitlab_pipeline, judged, nth_key};
use crate::ci::gitlab::IncludeKind;
use crate::ci::is_full_sha;
use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/gitlab-include-unpinned",
    summary: "GitLab includes from other projects, URLs and components are pinned to a tag or SHA",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of globs",
        help: "Projects (`group/project`), URLs or component paths (without `@version`) that \
               may stay unpinned: `[\"my-group/ci-templates\"]`. `*` does not cross `/`. \
               Default: none.",
    }],
    what: "Each `include:` of `.gitlab-ci.yml` and the local files it includes, judged \
           with this heuristic: `project:` needs a `ref:` that is a full 40-character \
           commit SHA or looks like a release tag (`1.2`, `v1.2.3`, `v2.0.0-rc.1`: digits \
           and dots, an optional `v`, an optional suffix after `-` or `+`); no `ref` (the \
           project's default branch) or any other ref (a branch such as `main`) is \
           reported. `remote:` URLs are reported unless they contain a 40-character SHA. \
           `component:` is reported when its version is `~latest`, missing, a branch, or \
           a partial version (`1`, `1.2`: GitLab resolves those to the newest match); a \
           full `1.2.3` or a SHA is pinned. `local:` and `template:` (GitLab's own \
           templates, versioned with GitLab) are fine. Reported at the ref, URL or \
           component (the `project:` when there is no `ref`).",
    why: "An include runs its jobs with your pipeline's variables and secrets. A branch or \
          the default branch can change under you at any time, by anyone who can push \
          there; a tag or SHA is what you reviewed.",
    example: "```yaml\ninclude:\n  - project: acme/ci-templates\n    ref: main             \
              # reported: a branch\n    file: /build.yml\n  - project: acme/ci-templates\n    \
              ref: v1.4.2           # fine\n    file: /test.yml\n  - component: \
              gitlab.com/acme/lint@~latest   # reported\n```",
    fix: "Set `ref:` to a release tag or a commit SHA of the included project, and \
          `@1.2.3` on components. Let Renovate propose updates (it understands GitLab \
          includes).",
}

struct GitlabIncludeUnpinned {
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(GitlabIncludeUnpinned {
        allow: params.take_globs("allow")?.unwrap_or_default(),
    }))
}

/// Whether a ref looks like a release tag: an optional `v`, digits separated by dots (at least
/// `major.minor`, or a bare major when `allow_major`), an optional `-suffix` or `+build`.
pub(crate) fn is_version(value: &str, min_parts: usize) -> bool {
    let value = value.strip_prefix(['v', 'V']).unwrap_or(value);
    let core = value.split(['-', '+']).next().unwrap_or(value);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= min_parts
        && parts.len() <= 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

impl Rule for GitlabIncludeUnpinned {
    fn wants(&self) -> Vec<String> {
        super::gitlab_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let Some(pipeline) = gitlab_pipeline(cx) else {
            return;
        };
        let mut seen = HashMap::new();
        for include in &pipeline.includes {
            let Some(file) = pipeline.files.get(include.file) else {
                continue;
            };
            if !judged(cx, &file.path) {
                continue;
            }
            let (message, span, key) = match &include.kind {
                IncludeKind::Project {
                    project,
                    git_ref,
                    files,
                } => {
                    if self.allow.is_match(project.value.trim()) {
                        continue;
                    }
                    let what = match files.len() {
                        1 => format!("`{}` from project `{}`", files[0].value, project.value),
                        _ => format!("files from project `{}`", project.value),
                    };
                    match git_ref {
                        None => (
                            format!("include of {what} has no `ref`: it follows the project's default branch"),
                            project.span,
                            format!("project:{}", project.value),
                        ),
                        Some(r) if is_full_sha(r.value.trim()) || is_version(r.value.trim(), 2) => continue,
                        Some(r) => (
                            format!(
                                "include of {what} is at `ref: {}`, a branch or moving ref rather \
                                 than a release tag or commit SHA",
                                r.value
                            ),
                            r.span,
                            format!("project:{}", project.value),
                        ),
                    }
                }
                IncludeKind::Remote { url } => {
                    let pinned = url
                        .value
                        .split(|c: char| !c.is_ascii_hexdigit())
                        .any(is_full_sha);
                    if pinned || self.allow.is_match(url.value.trim()) {
                        continue;
                    }
                    (
                        format!(
                            "remote include `{}` is not pinned: the URL names no commit SHA, so \
                             its content can change",
                            url.value
                        ),
                        url.span,
                        format!("remote:{}", url.value),
                    )
                }
                IncludeKind::Component { reference } => {
                    let value = reference.value.trim();
                    let (path, version) = match value.rsplit_once('@') {
                        Some((p, v)) => (p, Some(v)),
                        None => (value, None),
                    };
                    if self.allow.is_match(path) {
                        continue;
                    }
                    let why = match version {
                        None => "has no version",
                        Some("~latest") => "is at `~latest`",
                        Some(v) if is_full_sha(v) || is_version(v, 3) => continue,
                        Some(v) if is_version(v, 1) => {
                            "is at a partial version, which resolves to the newest match"
                        }
                        Some(_) => "is at a branch or moving ref",
                    };
                    (
                        format!("component `{value}` {why}: pin a full version such as `@1.2.3` or a commit SHA"),
                        reference.span,
                        format!("component:{path}"),
                    )
                }
                IncludeKind::Local { .. } | IncludeKind::Template { .. } | IncludeKind::Unknown => {
                    continue
                }
            };
            out.push(
                Violation::file(&file.path, message)
                    .span(span)
                    .help("pin the include to a release tag or a 40-character commit SHA")
                    .key(nth_key(key, &mut seen)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use super::is_version;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/gitlab-include-unpinned\"]\n";

    #[test]
    fn judges_each_kind_of_include() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let ci = format!(
            "include:\n  - project: g/a\n    file: x.yml\n  - project: g/b\n    ref: main\n    file: [x.yml]\n  \
             - project: g/c\n    ref: v1.2.3\n    file: x.yml\n  - project: g/d\n    ref: {sha}\n    file: x.yml\n  \
             - remote: https://example.com/ci.yml\n  - remote: https://gitlab.com/g/p/-/raw/{sha}/ci.yml\n  \
             - https://example.com/other.yml\n  - template: Security/SAST.gitlab-ci.yml\n  \
             - component: gitlab.com/g/c/lint@~latest\n  - component: gitlab.com/g/c/lint@1.2\n  \
             - component: gitlab.com/g/c/lint@1.2.3\n  - component: gitlab.com/g/c/lint@main\n  - local: a.yml\n"
        );
        let findings = check(
            POLICY,
            &[
                (".gitlab-ci.yml", &ci),
                ("a.yml", "include: {project: g/e, ref: dev, file: y.yml}\n"),
            ],
        );
        assert_eq!(
            lines(&findings),
            [
                (2, 14),
                (5, 10),
                (13, 13),
                (15, 5),
                (17, 16),
                (18, 16),
                (20, 16),
                (1, 30)
            ],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("no `ref`"));
        assert!(findings[5].message.contains("partial version"));
        assert_eq!(findings[7].path.as_deref(), Some("a.yml"));
    }

    #[test]
    fn allow_exempts_projects() {
        let policy = "[rules.\"ci/gitlab-include-unpinned\"]\nallow = [\"g/*\"]\n";
        let findings = check(
            policy,
            &[(".gitlab-ci.yml", "include: {project: g/a, file: x.yml}\n")],
        );
        assert!(findings.is_empty());
    }

    #[test]
    fn version_heuristic() {
        assert!(is_version("v1.2.3", 3) && is_version("1.2", 2) && is_version("2.0.0-rc.1", 3));
        assert!(!is_version("main", 1) && !is_version("1.x", 2) && !is_version("v", 1));
        assert!(is_version("1", 1) && !is_version("1", 2));
    }
}
