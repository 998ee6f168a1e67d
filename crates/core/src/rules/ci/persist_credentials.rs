use std::collections::HashMap;

use super::{each_workflow, nth_key};
use crate::ci::github::{Job, Step, Workflow};
use crate::context::Context;
use crate::doc::Value;
use crate::edit::{text, Edit, Fix};
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/persist-credentials",
    summary: "`actions/checkout` does not keep the token on disk in jobs that upload the checkout",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    fixable: true,
    rule: PersistCredentials,
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
          folders the artifact needs. `goldpath fix` adds `persist-credentials: false` to \
          the checkout's `with:` (creating `with:` after the `uses` line when there is \
          none, or setting an existing `persist-credentials` to `false`), in block or \
          flow style as the step is written.",
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
                        .key(nth_key(job.id.clone(), &mut seen))
                        .fix(
                            cx.fix_options()
                                .and_then(|_| fix(&file.path, workflow, job, step)),
                        ),
                    );
                }
            }
        });
    }
}

/// Sets `persist-credentials: false` in the step's `with`: replaces an existing value, adds
/// the key to an existing `with` mapping (block or flow), or adds `with:` after the `uses`
/// line (in a flow step, a `with: {...}` entry at its end).
fn fix(path: &str, workflow: &Workflow, job: &Job, step: &Step) -> Option<Fix> {
    let source = workflow.text.text.as_str();
    let node = crate::ci::github::step_nodes(workflow.job_node(job)?.get("steps"))
        .into_iter()
        .find(|n| n.span == step.span)?;
    let entries = node.as_map()?;
    let first = entries.first()?;
    if node.span.start_byte > first.key.span.start_byte {
        return None;
    }
    let eol = text::eol(source);
    let key = "persist-credentials: false";
    let is_flow = |span: crate::span::Span| source[span.start_byte..].starts_with('{');
    let edit = match node.get_entry("with") {
        Some(with) => match &with.value.value {
            Value::Map(items) => match items
                .iter()
                .find(|e| e.key_str() == Some("persist-credentials"))
            {
                Some(existing) => Edit::replace(
                    path,
                    existing.value.span.start_byte..existing.value.span.end_byte,
                    "false",
                ),
                None if is_flow(with.value.span) => match items.first() {
                    Some(item) => Edit::insert(path, item.key.span.start_byte, format!("{key}, ")),
                    None => Edit::insert(path, with.value.span.start_byte + 1, key),
                },
                None => {
                    let item = items.first()?;
                    let indent = text::key_indent(source, item.key.span.start_byte)?;
                    let at = text::above_comments(source, item.key.span.start_byte);
                    Edit::insert(path, at, format!("{}{key}{eol}", " ".repeat(indent)))
                }
            },
            Value::Null => {
                let span = with.value.span;
                let value = format!("{{{key}}}");
                if span.start_byte == span.end_byte {
                    Edit::insert(path, span.start_byte, format!(" {value}"))
                } else {
                    Edit::replace(path, span.start_byte..span.end_byte, value)
                }
            }
            _ => return None,
        },
        None if is_flow(node.span) => {
            let end = node.span.end_byte.checked_sub(1)?;
            if source.as_bytes().get(end) != Some(&b'}') {
                return None;
            }
            // Before the closing brace and any space before it.
            let at = source[..end].trim_end().len();
            Edit::insert(path, at, format!(", with: {{{key}}}"))
        }
        None => {
            let uses = node.get_entry("uses")?;
            let indent = text::key_indent(source, first.key.span.start_byte)?;
            if uses.value.span.line != uses.value.span.end_line {
                return None;
            }
            let unit = workflow
                .jobs
                .first()
                .and_then(|j| text::key_indent(source, j.id_span.start_byte))
                .filter(|n| *n > 0)
                .unwrap_or(2);
            let at = text::line_end(source, uses.value.span.end_byte);
            let pad = " ".repeat(indent);
            let lines = format!("{pad}with:{eol}{pad}{}{key}{eol}", " ".repeat(unit));
            Edit::insert(path, at, text::lines_at(source, at, lines, eol))
        }
    };
    Some(Fix::new(edit))
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
    fn fix_sets_persist_credentials_false_in_every_style() {
        use crate::fix::testing::assert_fix;
        let path = ".github/workflows/ci.yml";
        let upload = "      - uses: actions/upload-artifact@v4\n        with: {path: .}\n";
        let before = format!(
            "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4 # v4.1.1\n      \
             - name: second\n        uses: actions/checkout@v4\n        with:\n          \
             fetch-depth: 0 # all\n      - uses: actions/checkout@v4\n        with:\n          \
             persist-credentials: true\n      - uses: actions/checkout@v4\n        \
             with: {{ref: main}}\n      - {{uses: actions/checkout@v4 }}\n      \
             - uses: actions/checkout@v4\n        with:\n{upload}"
        );
        let after = format!(
            "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4 # v4.1.1\n        \
             with:\n          persist-credentials: false\n      \
             - name: second\n        uses: actions/checkout@v4\n        with:\n          \
             persist-credentials: false\n          fetch-depth: 0 # all\n      \
             - uses: actions/checkout@v4\n        with:\n          \
             persist-credentials: false\n      - uses: actions/checkout@v4\n        \
             with: {{persist-credentials: false, ref: main}}\n      \
             - {{uses: actions/checkout@v4, with: {{persist-credentials: false}} }}\n      \
             - uses: actions/checkout@v4\n        with: {{persist-credentials: false}}\n{upload}"
        );
        assert_fix(
            "[rules.\"ci/persist-credentials\"]\n",
            &[(path, &before)],
            &[(path, &after)],
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
