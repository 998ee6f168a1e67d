use std::collections::HashMap;

use super::{github_files, gitlab_pipeline, judged, nth_key};
use crate::ci::github::{is_action_path, is_workflow_path};
use crate::ci::gitlab::ProblemKind;
use crate::context::{Context, ReadError};
use crate::finding::Violation;
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/invalid-yaml",
    summary: "CI files parse and have the structure GitHub or GitLab requires: YAML syntax, one \
              document, no duplicate keys or `<<` merge keys in GitHub files, no wrongly-typed \
              `jobs`, `steps`, `stages`, `script`",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    rule: InvalidYaml,
    what: "GitHub workflows (`.github/workflows/*.yml`), actions (`action.yml` at the root, \
           under `.github/actions/` and wherever a step's `uses: ./path` points) and GitLab pipelines (`.gitlab-ci.yml` and the \
           local files it includes) are valid YAML, reported at the line and column of the \
           first syntax error. Also reported: a GitHub file with several YAML documents or \
           whose document is not a mapping; a `<<` merge key in a GitHub file (GitHub \
           accepts anchors and aliases but rejects merge keys; GitLab supports them, so \
           they are applied there); a key written twice in one mapping of a GitHub file, \
           at the second occurrence with the line of the first (GitHub rejects the file; \
           GitLab accepts duplicate keys, the last one winning, so they are not reported \
           there); a GitLab local include that does not exist, and include cycles.\n\n\
           Values of a type GitHub or GitLab rejects where the structure needs a mapping \
           or a list are reported at the value, with the type found: in a workflow, `on` \
           (an event name, a list of names or a mapping), `jobs` (a mapping), each job (a \
           mapping), `steps` (a list) and each step (a mapping); in an action, `runs` (a \
           mapping) and `runs.steps`; in a GitLab pipeline file, `stages` (a list), a \
           top-level key that is neither a global keyword (`default`, `include`, \
           `stages`, `variables`, `workflow`, ...) nor hidden (`.name`) and is not a \
           mapping (GitLab reads it as a job), the `script`, `before_script` and \
           `after_script` of a visible job (a string or a list), and a `<<` merge key whose \
           value is not a mapping or a list of mappings. Empty values (`jobs:` with nothing) \
           and the rest of the schema (unknown keywords, required keys) are not judged.\n\n\
           Indentation inside flow collections (`[...]`, `{...}`) and quoted strings is not \
           judged, as GitHub and libyaml do not judge it: a `]` under the `-` of its `- [`, \
           or a quoted string continued at column 1, is valid. The YAML reader (saphyr) \
           follows YAML 1.2 strictly there, so on such an indentation error the file is \
           read again with the lines inside those constructs indented up to their opening \
           bracket or quote, which cannot change the meaning (leading white space there is \
           only separation); that reading is kept only if every moved line is inside a flow \
           collection or quoted string of it, else the first error is reported.",
    why: "A workflow that does not parse never runs: GitHub shows the error only in the \
          Actions tab, after the push, and the checks it should have run silently stop \
          guarding the branch. Every other `ci/*` rule also needs the file to parse.",
    example: "```yaml\nx: &defaults {runs-on: ubuntu-latest}\njobs:\n  test:\n    <<: \
              *defaults      # reported at `<<`: GitHub rejects merge keys\n```\nA syntax \
              error such as an unclosed `[` is reported where the parser finds it, with the \
              parser's message; the rest of that file is then not judged. `jobs: 5` is \
              reported at `5`: `` `jobs` must be a mapping of job ids to jobs, found an \
              integer ``; `on: push` written twice at the second `on`: `` duplicate key `on` \
              (first at line 1) ``.",
    fix: "Fix the syntax or the value at the reported position; remove or merge a \
          duplicated key. For merge keys in a GitHub workflow, \
          write the keys out in each job, or move the shared part into a reusable \
          workflow or a composite action.",
}

impl Rule for InvalidYaml {
    fn wants(&self) -> Vec<String> {
        let mut wants = super::github_wants();
        wants.extend(super::gitlab_wants());
        wants
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        // Text that is not UTF-8 cannot be YAML; other read errors are the engine's
        // `policy/unread-file`.
        for file in cx.wanted() {
            let github = is_workflow_path(&file.path) || is_action_path(&file.path);
            if github && matches!(cx.text(file), Err(ReadError::NotUtf8)) {
                out.push(
                    Violation::file(&file.path, "invalid YAML: the file is not valid UTF-8 text")
                        .key("utf-8"),
                );
            }
        }
        for (file, parsed) in github_files(cx) {
            let Some(parsed) = parsed.as_ref() else {
                continue;
            };
            match parsed {
                Err(error) => out.push(
                    Violation::file(&file.path, format!("invalid YAML: {}", error.message))
                        .span(error.span)
                        .key("syntax"),
                ),
                Ok(github) => {
                    let problems = match github {
                        crate::ci::github::GithubFile::Workflow(w) => &w.problems,
                        crate::ci::github::GithubFile::Action(a) => &a.problems,
                    };
                    let mut seen = HashMap::new();
                    for problem in problems {
                        out.push(
                            Violation::file(&file.path, problem.message.clone())
                                .span(problem.span)
                                .key(nth_key(problem.message.clone(), &mut seen)),
                        );
                    }
                }
            }
        }
        if let Some(pipeline) = gitlab_pipeline(cx) {
            let mut seen = HashMap::new();
            for problem in &pipeline.problems {
                if !judged(cx, &problem.path) {
                    continue;
                }
                let message = match problem.kind {
                    ProblemKind::Syntax => format!("invalid YAML: {}", problem.message),
                    ProblemKind::Include | ProblemKind::Structure => problem.message.clone(),
                };
                out.push(
                    Violation::file(&problem.path, message.clone())
                        .span(problem.span)
                        .key(nth_key(message, &mut seen)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::positions;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/invalid-yaml\"]\n";

    #[test]
    fn reports_syntax_errors_at_their_position() {
        let findings = check(
            POLICY,
            &[(".github/workflows/ci.yml", "on: push\njobs:\n  a: [1\n")],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].message.starts_with("invalid YAML"));
        assert_eq!(findings[0].span.map(|s| s.line), Some(4));
    }

    /// GitHub and libyaml ignore indentation inside flow collections; saphyr alone rejected
    /// this (numpy's `linux_simd.yml`), which hid every other finding in the file.
    #[test]
    fn flow_sequence_closed_at_the_column_of_its_dash_is_valid() {
        let workflow = "on: push\njobs:\n  a:\n    strategy:\n      matrix:\n        p:\n          \
                        - [\n            \"x\",\n            \"y\"\n          ]\n          - [\n            \
                        \"z\"\n          ]\n    runs-on: x\n    runs-on: y\n    steps: []\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        // Only the duplicate key, at its place in the text as written.
        assert_eq!(
            positions(&findings),
            [(".github/workflows/ci.yml".to_owned(), 15, 5)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .contains("duplicate key `runs-on` (first at line 14)"));
    }

    #[test]
    fn double_quoted_string_continued_at_column_1_is_valid() {
        let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: \"echo a\nb\"\n        \
                        name: s\n        name: t\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        assert_eq!(
            positions(&findings),
            [(".github/workflows/ci.yml".to_owned(), 9, 9)],
            "{findings:#?}"
        );
        let parsed = crate::doc::parse(crate::doc::Format::Yaml, workflow).expect("parses");
        let run = parsed[0]
            .get("jobs")
            .and_then(|j| j.get("a"))
            .and_then(|a| a.get("steps"))
            .and_then(|s| s.as_seq())
            .and_then(|s| s.first())
            .and_then(|s| s.get("run"))
            .expect("run");
        assert_eq!(run.as_str(), Some("echo a b"));
        assert_eq!(
            (run.span.line, run.span.column, run.span.end_line),
            (6, 14, 7)
        );
    }

    #[test]
    fn indentation_that_every_reader_rejects_is_still_an_error() {
        for workflow in [
            "on: push\njobs:\n  a:\n    runs-on: x\n   steps: []\n",
            "on: push\njobs:\n  a: \"x\n---\ny\"\n",
        ] {
            let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
            assert_eq!(findings.len(), 1, "{workflow}: {findings:#?}");
            assert!(
                findings[0].message.starts_with("invalid YAML"),
                "{findings:#?}"
            );
        }
    }

    #[test]
    fn reports_merge_keys_in_github_files_only() {
        let workflow = "x: &d\n  runs-on: ubuntu-latest\njobs:\n  a:\n    <<: *d\n    steps: []\n";
        let gitlab = ".d: &d\n  image: a\njob:\n  <<: *d\n  script: [x]\n";
        let findings = check(
            POLICY,
            &[
                (".github/workflows/ci.yml", workflow),
                (".gitlab-ci.yml", gitlab),
                ("action.yml", "runs: *nope\n"),
            ],
        );
        assert_eq!(
            positions(&findings),
            [
                (".github/workflows/ci.yml".to_owned(), 5, 5),
                ("action.yml".to_owned(), 1, 7),
            ],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("merge keys"));
    }

    #[test]
    fn reports_gitlab_include_problems_in_the_including_file() {
        let findings = check(
            POLICY,
            &[
                (
                    ".gitlab-ci.yml",
                    "include:\n  - local: ci/missing.yml\n  - ci/bad.yml\n",
                ),
                ("ci/bad.yml", "job: {script: [x]\n"),
            ],
        );
        assert_eq!(
            positions(&findings),
            [
                (".gitlab-ci.yml".to_owned(), 2, 12),
                ("ci/bad.yml".to_owned(), 2, 1),
            ],
            "{findings:#?}"
        );
        assert!(findings[0].message.contains("does not exist"));
    }

    #[test]
    fn wrong_types_in_included_gitlab_files_are_reported_there() {
        let findings = check(
            POLICY,
            &[
                (
                    ".gitlab-ci.yml",
                    "include: ci/jobs.yml\nstages: [build]\n.t: &t 1\nbuild:\n  script: make\n",
                ),
                (
                    "ci/jobs.yml",
                    "test:\n  script: {a: 1}\n.hidden:\n  script: 5\nlint: 5\n",
                ),
            ],
        );
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                let (line, column) = f.span.map_or((0, 0), |s| (s.line, s.column));
                (
                    f.path.clone().unwrap_or_default(),
                    line,
                    column,
                    f.message.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "ci/jobs.yml".to_owned(),
                    2,
                    11,
                    "`script` of job `test` must be a string or a list of strings, found a \
                     mapping"
                        .to_owned()
                ),
                (
                    "ci/jobs.yml".to_owned(),
                    5,
                    7,
                    "job `lint` must be a mapping of job keywords, found an integer".to_owned()
                ),
            ],
            "{findings:#?}"
        );
    }

    #[test]
    fn duplicate_keys_are_reported_in_github_files_only() {
        let findings = check(
            POLICY,
            &[
                (
                    ".github/workflows/ci.yml",
                    "on: push\njobs:\n  a:\n    runs-on: x\n    runs-on: y\n    steps: []\n",
                ),
                (".gitlab-ci.yml", "build:\n  script: a\n  script: b\n"),
            ],
        );
        assert_eq!(
            positions(&findings),
            [(".github/workflows/ci.yml".to_owned(), 5, 5)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .starts_with("duplicate key `runs-on` (first at line 4)"));
    }

    #[test]
    fn text_that_is_not_utf8_is_reported() {
        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file(
                ".github/workflows/a.yml",
                b"on: push\nname: \xff\n".to_vec(),
            )
            .with_file(".gitlab-ci.yml", b"job: \xfe\n".to_vec());
        let findings = crate::testing::check_snapshot(POLICY, &snapshot);
        assert_eq!(
            positions(&findings),
            [
                (".github/workflows/a.yml".to_owned(), 0, 0),
                (".gitlab-ci.yml".to_owned(), 1, 1),
            ],
            "{findings:#?}"
        );
        assert!(findings.iter().all(|f| f.message.contains("UTF-8")));
    }

    #[test]
    fn only_changed_files_are_judged_in_change_mode() {
        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file(".github/workflows/a.yml", "a: [")
            .with_file(".github/workflows/b.yml", "b: [")
            .with_changed([".github/workflows/b.yml"]);
        let findings = crate::testing::check_snapshot(POLICY, &snapshot);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].path.as_deref(), Some(".github/workflows/b.yml"));
    }
}
