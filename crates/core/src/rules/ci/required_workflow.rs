use std::collections::HashSet;

use serde::Deserialize;

use crate::ci::github::{GithubFile, Step, Uses, Workflow};
use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::options::{at_string, compile_globs, take_entries};
use crate::policy::{compile_regex, Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/required-workflow",
    summary:
        "Required GitHub workflows exist: triggered by the right events, running the right steps",
    level: Error,
    tier: Silver,
    scope: Repository { path_list: false },
    build: build,
    options: [{
        name: "workflows",
        kind: "array of tables { name, on?, jobs?, steps?, help? }",
        help: "Each entry is one requirement, met when one workflow of \
               `.github/workflows/` meets all of it. `name` names it in findings. `on` \
               (array of event names) lists events that must all trigger the workflow. \
               `jobs` (array of globs) lists job ids that must each match a job; steps are \
               then looked for in those jobs only. `steps` is an array of `{ uses = \"glob\" \
               }` (matched against the whole `uses` value and against it without `@ref`) or \
               `{ run = \"regex\" }` (searched in the `run` script, multi-line mode): each \
               must match some step. Steps of local reusable workflows the jobs call \
               (`uses: ./.github/workflows/x.yml`) count. `help` says how to fix. Default: \
               none.",
    }],
    what: "For each entry of `workflows`, some workflow is triggered by every event of \
           its `on`, has a job matching each glob of its `jobs`, and a step matching each \
           entry of its `steps`. When none does, one finding says what is missing in the \
           workflow that came closest (at its `on` key), or at the repository when no \
           workflow has the events.",
    why: "The golden path usually says what every pull request must go through: tests, a \
          linter, a security scan. Stating it as policy catches the repository whose \
          tests quietly stopped running on pull requests.",
    example: "```toml\n[rules.\"ci/required-workflow\"]\nworkflows = [\n  { name = \"tests \
              on pull requests\", on = [\"pull_request\"], steps = [\n    { uses = \
              \"actions/checkout\" }, { run = '\\b(cargo|npm|go) test\\b' },\n  ] },\n]\n```\n\
              A repository whose only workflow runs `cargo test` on `push` is reported: \
              `ci.yml is not triggered by pull_request`.",
    fix: "Add the events and steps to the workflow named in the finding, or add a \
          workflow that does what the requirement says.",
}

/// How many levels of local reusable workflows (`uses: ./.github/workflows/x.yml`) are
/// followed when looking for steps.
const MAX_CALL_DEPTH: usize = 4;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: String,
    #[serde(default)]
    on: Vec<String>,
    #[serde(default)]
    jobs: Vec<String>,
    #[serde(default)]
    steps: Vec<StepEntry>,
    help: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepEntry {
    uses: Option<String>,
    run: Option<String>,
}

enum StepMatcher {
    Uses(GlobList),
    Run(regex::Regex),
}

impl StepMatcher {
    fn describe(&self) -> String {
        match self {
            StepMatcher::Uses(glob) => format!("uses `{}`", glob.patterns().join("`, `")),
            StepMatcher::Run(regex) => format!("runs /{}/", regex.as_str()),
        }
    }

    fn matches(&self, step: &Step) -> bool {
        match self {
            StepMatcher::Uses(glob) => step.uses.as_ref().is_some_and(|u| {
                let value = u.value.trim();
                let name = value.rsplit_once('@').map_or(value, |(n, _)| n);
                glob.is_match(value) || glob.is_match(name)
            }),
            StepMatcher::Run(regex) => step.run.as_ref().is_some_and(|r| regex.is_match(&r.value)),
        }
    }
}

struct Requirement {
    name: String,
    on: Vec<String>,
    jobs: Vec<(String, GlobList)>,
    steps: Vec<StepMatcher>,
    help: Option<String>,
}

struct RequiredWorkflow {
    requirements: Vec<Requirement>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut requirements = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "workflows")? {
        if entry.on.is_empty() && entry.jobs.is_empty() && entry.steps.is_empty() {
            return Err(origin.error(format!(
                "required workflow `{}` needs at least one of `on`, `jobs` and `steps`",
                entry.name
            )));
        }
        let mut steps = Vec::new();
        for step in entry.steps {
            match (step.uses, step.run) {
                (Some(uses), None) => steps.push(StepMatcher::Uses(compile_globs(
                    std::slice::from_ref(&uses),
                    &origin,
                )?)),
                (None, Some(run)) => steps.push(StepMatcher::Run(compile_regex(
                    &run,
                    &at_string(&origin, &run),
                )?)),
                _ => {
                    return Err(origin.error(format!(
                        "each step of required workflow `{}` has exactly one of `uses` and `run`",
                        entry.name
                    )))
                }
            }
        }
        let jobs = entry
            .jobs
            .iter()
            .map(|j| compile_globs(std::slice::from_ref(j), &origin).map(|g| (j.clone(), g)))
            .collect::<Result<_, _>>()?;
        requirements.push(Requirement {
            name: entry.name,
            on: entry.on,
            jobs,
            steps,
            help: entry.help,
        });
    }
    Ok(Box::new(RequiredWorkflow { requirements }))
}

/// What a workflow lacks of a requirement.
struct Gaps {
    events: Vec<String>,
    jobs: Vec<String>,
    steps: Vec<String>,
}

impl Gaps {
    fn count(&self) -> usize {
        self.events.len() * 100 + self.jobs.len() * 10 + self.steps.len()
    }
}

impl Requirement {
    fn gaps(&self, workflow: &Workflow, workflows: &[(&str, &Workflow)]) -> Gaps {
        let events = self
            .on
            .iter()
            .filter(|e| !workflow.on.iter().any(|t| &t.event == *e))
            .cloned()
            .collect();
        let jobs = self
            .jobs
            .iter()
            .filter(|(_, glob)| !workflow.jobs.iter().any(|j| glob.is_match(&j.id)))
            .map(|(pattern, _)| pattern.clone())
            .collect();
        let mut steps: Vec<&Step> = Vec::new();
        let mut visited = HashSet::new();
        collect_steps(workflow, workflows, &self.jobs, 0, &mut visited, &mut steps);
        let missing = self
            .steps
            .iter()
            .filter(|m| !steps.iter().any(|s| m.matches(s)))
            .map(StepMatcher::describe)
            .collect();
        Gaps {
            events,
            jobs,
            steps: missing,
        }
    }
}

/// The steps of the workflow's jobs that match `jobs` (every job when empty), and of the
/// local reusable workflows they call.
fn collect_steps<'w>(
    workflow: &'w Workflow,
    workflows: &[(&str, &'w Workflow)],
    jobs: &[(String, GlobList)],
    depth: usize,
    visited: &mut HashSet<String>,
    steps: &mut Vec<&'w Step>,
) {
    for job in &workflow.jobs {
        if depth == 0 && !jobs.is_empty() && !jobs.iter().any(|(_, g)| g.is_match(&job.id)) {
            continue;
        }
        steps.extend(job.steps.iter());
        let Some(uses) = &job.uses else { continue };
        let called = match Uses::parse(&uses.value) {
            Uses::Local(path) | Uses::SameRepository(path) => path,
            _ => continue,
        };
        if depth >= MAX_CALL_DEPTH || !visited.insert(called.clone()) {
            continue;
        }
        if let Some((_, callee)) = workflows.iter().find(|(p, _)| *p == called) {
            collect_steps(callee, workflows, &[], depth + 1, visited, steps);
        }
    }
}

impl Rule for RequiredWorkflow {
    fn wants(&self) -> Vec<String> {
        if self.requirements.is_empty() {
            return Vec::new();
        }
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if self.requirements.is_empty() {
            return;
        }
        let parsed = super::workflow_files(cx);
        let workflows: Vec<(&str, &Workflow)> = parsed
            .iter()
            .filter_map(|(file, p)| match p.as_ref() {
                Some(Ok(GithubFile::Workflow(w))) => Some((file.path.as_str(), w)),
                _ => None,
            })
            .collect();
        for requirement in &self.requirements {
            let mut best: Option<(&str, &Workflow, Gaps)> = None;
            for (path, workflow) in &workflows {
                let gaps = requirement.gaps(workflow, &workflows);
                if gaps.count() == 0 {
                    best = None;
                    break;
                }
                if best
                    .as_ref()
                    .is_none_or(|(_, _, b)| gaps.count() < b.count())
                {
                    best = Some((path, workflow, gaps));
                }
            }
            let satisfied = best.is_none() && !workflows.is_empty();
            if satisfied {
                continue;
            }
            let mut v = match best {
                Some((path, workflow, gaps))
                    if gaps.events.is_empty() || requirement.on.len() > gaps.events.len() =>
                {
                    let mut missing = Vec::new();
                    if !gaps.events.is_empty() {
                        missing.push(format!("is not triggered by {}", gaps.events.join(", ")));
                    }
                    if !gaps.jobs.is_empty() {
                        missing.push(format!("has no job matching `{}`", gaps.jobs.join("`, `")));
                    }
                    if !gaps.steps.is_empty() {
                        missing.push(format!(
                            "has no step that {}",
                            gaps.steps.join(", no step that ")
                        ));
                    }
                    let name = path.rsplit('/').next().unwrap_or(path);
                    let mut v = Violation::file(
                        path,
                        format!(
                            "required workflow `{}` is missing: the closest, {name}, {}",
                            requirement.name,
                            missing.join("; ")
                        ),
                    );
                    if let Some(at) = workflow.on_key.or_else(|| {
                        workflow
                            .root
                            .as_map()
                            .and_then(|m| m.first())
                            .map(|e| e.key.span)
                    }) {
                        v = v.span(at);
                    }
                    v
                }
                _ => Violation::repo(if requirement.on.is_empty() {
                    format!(
                        "required workflow `{}` is missing: no workflow meets it",
                        requirement.name
                    )
                } else {
                    format!(
                        "required workflow `{}` is missing: no workflow is triggered by {}",
                        requirement.name,
                        requirement.on.join(", ")
                    )
                }),
            }
            .key(requirement.name.clone());
            if let Some(help) = &requirement.help {
                v = v.help(help.clone());
            }
            out.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = r#"
[rules."ci/required-workflow"]
workflows = [
  { name = "tests on pull requests", on = ["pull_request"], steps = [{ uses = "actions/checkout" }, { run = '\bcargo test\b' }], help = "run cargo test on every pull request" },
]
"#;

    #[test]
    fn a_matching_workflow_meets_the_requirement() {
        let ci = "on: [push, pull_request]\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n      \
                  - run: |\n          cargo build\n          cargo test --all\n";
        assert!(check(POLICY, &[(".github/workflows/ci.yml", ci)]).is_empty());
    }

    #[test]
    fn reports_what_the_closest_workflow_lacks() {
        let ci = "name: CI\non: pull_request\njobs:\n  t:\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo build\n";
        let other = "on: push\njobs: {}\n";
        let findings = check(
            POLICY,
            &[
                (".github/workflows/ci.yml", ci),
                (".github/workflows/other.yml", other),
            ],
        );
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.path.as_deref(), Some(".github/workflows/ci.yml"));
        assert_eq!(f.span.map(|s| (s.line, s.column)), Some((2, 1)));
        assert!(
            f.message
                .contains("has no step that runs /\\bcargo test\\b/"),
            "{}",
            f.message
        );
        assert_eq!(
            f.help.as_deref(),
            Some("run cargo test on every pull request")
        );
    }

    #[test]
    fn no_workflow_with_the_events_is_a_repository_finding() {
        let findings = check(POLICY, &[(".github/workflows/ci.yml", "on: push\n")]);
        assert_eq!(findings.len(), 1);
        assert!(findings[0].path.is_none());
        assert!(findings[0]
            .message
            .contains("no workflow is triggered by pull_request"));
        assert_eq!(check(POLICY, &[]).len(), 1);
    }

    #[test]
    fn jobs_and_local_reusable_workflows() {
        let policy = r#"
[rules."ci/required-workflow"]
workflows = [{ name = "lint", on = ["pull_request"], jobs = ["lint*"], steps = [{ run = "clippy" }] }]
"#;
        let ci = "on: pull_request\njobs:\n  lint:\n    uses: ./.github/workflows/lint.yml\n  test:\n    steps: [{run: cargo clippy}]\n";
        let lint = "on: workflow_call\njobs:\n  c:\n    steps:\n      - run: cargo clippy -- -D warnings\n";
        assert!(check(
            policy,
            &[
                (".github/workflows/ci.yml", ci),
                (".github/workflows/lint.yml", lint)
            ]
        )
        .is_empty());
        // Without the called workflow, the step in `test` does not count: it is not in `lint*`.
        let findings = check(policy, &[(".github/workflows/ci.yml", ci)]);
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("runs /clippy/"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn bad_entries_are_policy_errors() {
        let err = crate::testing::policy_error(
            "[rules.\"ci/required-workflow\"]\nworkflows = [{ name = \"x\", steps = [{ run = \"(\" }] }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 46)),
            "{err}"
        );
        let err = crate::testing::policy_error(
            "[rules.\"ci/required-workflow\"]\nworkflows = [{ name = \"x\", steps = [{ run = \"a\", uses = \"b\" }] }]\n",
        );
        assert!(err.to_string().contains("exactly one"), "{err}");
        let err = crate::testing::policy_error(
            "[rules.\"ci/required-workflow\"]\nworkflows = [{ name = \"x\" }]\n",
        );
        assert!(err.to_string().contains("at least one"), "{err}");
    }
}
