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
    summary: "`actions/checkout` does not keep the token on disk in jobs that upload the checkout",
    default_level: Level::Warning,
    tier: Tier::Gold,
    scope: Scope::PerFile,
    fixable: false,
    options: &[],
    docs: Docs {
        what: "Each `actions/checkout` step without `persist-credentials: false` in a job that \
               uploads the checkout as an artifact: a step using `actions/upload-artifact` or \
               `actions/upload-pages-artifact` whose `path` (any line of it) is the workspace \
               (`.`, `./`, `${{ github.workspace }}`), a glob from the workspace whose last \
               segment is `*` or `**`, or the checkout's own `path` (or a folder above it, or \
               a glob inside it). Reported at the checkout's `uses` value. Uploads of build \
               folders (`dist`, `target/*.html`) are not reported: the token then stays in \
               `.git/config` on the runner, which is discarded.",
        why: "`actions/checkout` writes the job's token into `.git/config` by default so later \
              steps can push. An artifact that includes the checkout publishes that token to \
              anyone who can download the artifact: in a public repository, everyone \
              (\"ArtiPACKED\", 2024).",
        example: "```yaml\nsteps:\n  - uses: actions/checkout@v4           # reported\n  - run: \
                  make dist\n  - uses: actions/upload-artifact@v4\n    with: {path: .}\n```\n\
                  With `path: dist/` instead, nothing is reported.",
        fix: "Add `with: persist-credentials: false` to the checkout. A job that must push \
              can pass the token explicitly to that one command instead. Upload only the \
              folders the artifact needs.",
    },
};

struct PersistCredentials;

fn build(_: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(PersistCredentials))
}

const UPLOADS: &[&str] = &["actions/upload-artifact", "actions/upload-pages-artifact"];

/// A path as written in `with.path`, without quotes, the workspace prefix
/// (`${{ github.workspace }}`), `./` in front and `/` at the end; the workspace itself is the
/// empty path.
fn normalise(path: &str) -> String {
    let mut p = path.trim().trim_matches(['"', '\'']).to_owned();
    for workspace in [
        "${{ github.workspace }}",
        "${{github.workspace}}",
        "$GITHUB_WORKSPACE",
    ] {
        if let Some(rest) = p.strip_prefix(workspace) {
            p = rest.to_owned();
        }
    }
    let mut rest = p.as_str();
    while let Some(next) = rest.strip_prefix("./").or_else(|| rest.strip_prefix('/')) {
        rest = next;
    }
    let rest = rest.trim_end_matches('/');
    if rest == "." {
        String::new()
    } else {
        rest.to_owned()
    }
}

/// Whether an upload path (one line of `with.path`) can contain the `.git` folder of a
/// checkout at `checkout_dir` (the workspace when empty): the checkout folder itself, a folder
/// above it, or a glob from there whose last segment is `*` or `**`.
fn includes_checkout(upload: &str, checkout_dir: &str) -> bool {
    let upload = upload.trim();
    if upload.is_empty() || upload.starts_with('!') || upload.starts_with('~') {
        return false;
    }
    let path = normalise(upload);
    let covers = |rest: &str| {
        rest.is_empty()
            || (rest.starts_with('*') && matches!(rest.rsplit('/').next(), Some("*" | "**")))
    };
    if checkout_dir.is_empty() {
        return covers(&path);
    }
    covers(&path)
        || checkout_dir.starts_with(&format!("{path}/"))
        || path
            .strip_prefix(checkout_dir)
            .is_some_and(|rest| rest.is_empty() || rest.strip_prefix('/').is_some_and(covers))
}

impl Rule for PersistCredentials {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        each_workflow(cx, |file, workflow| {
            let mut seen = HashMap::new();
            for job in &workflow.jobs {
                let uploads: Vec<(&str, Vec<String>)> = job
                    .steps
                    .iter()
                    .filter_map(|s| {
                        let upload = UPLOADS.iter().find(|u| s.uses_action(u))?;
                        let paths = s
                            .with_value("path")
                            .map(|p| p.value.lines().map(str::to_owned).collect())
                            .unwrap_or_default();
                        Some((*upload, paths))
                    })
                    .collect();
                if uploads.is_empty() {
                    continue;
                }
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
                    let checkout_dir = step
                        .with_value("path")
                        .map(|p| normalise(&p.value))
                        .unwrap_or_default();
                    let uploaded = uploads.iter().find_map(|(upload, paths)| {
                        paths
                            .iter()
                            .find(|p| includes_checkout(p, &checkout_dir))
                            .map(|p| (*upload, p.trim()))
                    });
                    let Some((upload, path)) = uploaded else {
                        continue;
                    };
                    out.push(
                        Violation::file(
                            &file.path,
                            format!(
                                "`actions/checkout` keeps the token in .git/config in job `{}`, \
                                 and `{upload}` uploads `{path}`, which contains the checkout",
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
    use super::includes_checkout;
    use crate::testing::check;

    #[test]
    fn reports_checkouts_whose_folder_is_uploaded() {
        let workflow = "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      \
                        - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n      \
                        - uses: actions/upload-artifact@v4\n        with:\n          path: |\n            dist\n            .\n  \
                        b:\n    steps:\n      - uses: actions/checkout@v4\n  \
                        c:\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: 'false'}\n      \
                        - uses: actions/upload-pages-artifact@v3\n        with: {path: .}\n  \
                        d:\n    steps:\n      - uses: actions/checkout@v4\n      \
                        - uses: actions/upload-artifact@v4\n        with: {path: target/*.html}\n";
        let findings = check(
            "[rules.\"ci/persist-credentials\"]\n",
            &[(".github/workflows/ci.yml", workflow)],
        );
        assert_eq!(lines(&findings), [(5, 15)], "{findings:#?}");
        assert!(
            findings[0].message.contains("uploads `.`"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn upload_paths_that_contain_the_checkout() {
        for (upload, checkout) in [
            (".", ""),
            ("./", ""),
            ("${{ github.workspace }}", ""),
            ("**", ""),
            ("*", ""),
            ("src", "src"),
            ("src/**", "src"),
            ("work", "work/src"),
        ] {
            assert!(includes_checkout(upload, checkout), "{upload} {checkout}");
        }
        for (upload, checkout) in [
            ("dist", ""),
            ("!.", ""),
            ("src2", "src"),
            ("~/.cache", ""),
            ("**/*.log", ""),
        ] {
            assert!(!includes_checkout(upload, checkout), "{upload} {checkout}");
        }
    }
}
