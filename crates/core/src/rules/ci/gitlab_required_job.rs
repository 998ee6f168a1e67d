use serde::Deserialize;

use super::gitlab_pipeline;
use crate::ci::gitlab::{Job, Pipeline};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::options::{at_string, take_entries};
use crate::policy::{compile_regex, Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/gitlab-required-job",
    summary: "Required GitLab CI jobs and stages exist",
    level: Error,
    tier: Silver,
    scope: Repository { path_list: false },
    build: build,
    options: [
        {
            name: "jobs",
            kind: "array of tables { name?, name-regex?, stage?, script-regex?, help? }",
            help: "Each entry is one requirement, met by a visible job (not a `.hidden` \
                   template) of the pipeline that matches all it gives: `name-regex` against \
                   the job's name, `stage` equal to the job's stage (its own or inherited \
                   through `extends`; GitLab's default is `test`), `script-regex` against a \
                   line of its `script` (own or inherited). `name` names the requirement in \
                   findings (default: the criteria). `help` says how to fix. Default: none.",
        },
        {
            name: "stages",
            kind: "array of strings",
            help: "Stages the pipeline must declare (or have by default: `.pre`, `build`, \
                   `test`, `deploy`, `.post`), each with at least one visible job. Default: \
                   none.",
        },
    ],
    what: "When the repository has a `.gitlab-ci.yml`: each requirement of `jobs` is met \
           by some job of the pipeline (the root file and its local includes, `<<` merge \
           keys and `extends` applied), and each stage of `stages` exists and has a job. \
           A missing job is reported at the root file; a missing stage at the `stages` \
           key. A repository without `.gitlab-ci.yml` is left to `ci/config-missing`.",
    why: "The golden path says what every pipeline runs: tests, a security scan, a \
          container scan before deploy. Stating it as policy catches the pipeline where \
          such a job was commented out or renamed away.",
    example: "```toml\n[rules.\"ci/gitlab-required-job\"]\njobs = [{ name = \"unit tests\", \
              stage = \"test\", script-regex = '\\b(go|cargo|npm) test\\b' }]\nstages = \
              [\"test\", \"deploy\"]\n```\nA pipeline whose only `test`-stage job runs \
              `make lint` is reported: `no job meets required job `unit tests``.",
    fix: "Add the job or stage to `.gitlab-ci.yml`, or include the shared template that \
          defines it.",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    name: Option<String>,
    name_regex: Option<String>,
    stage: Option<String>,
    script_regex: Option<String>,
    help: Option<String>,
}

struct Requirement {
    name: String,
    name_regex: Option<regex::Regex>,
    stage: Option<String>,
    script_regex: Option<regex::Regex>,
    help: Option<String>,
}

impl Requirement {
    fn met_by(&self, pipeline: &Pipeline, job: &Job) -> bool {
        !job.hidden
            && self
                .name_regex
                .as_ref()
                .is_none_or(|r| r.is_match(&job.name))
            && self
                .stage
                .as_ref()
                .is_none_or(|s| *s == pipeline.stage(job))
            && self.script_regex.as_ref().is_none_or(|r| {
                pipeline
                    .script(job)
                    .iter()
                    .any(|(_, line)| r.is_match(&line.value))
            })
    }
}

struct GitlabRequiredJob {
    jobs: Vec<Requirement>,
    stages: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut jobs = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "jobs")? {
        if entry.name_regex.is_none() && entry.stage.is_none() && entry.script_regex.is_none() {
            return Err(origin.error(
                "a required job needs at least one of `name-regex`, `stage` and `script-regex`"
                    .to_owned(),
            ));
        }
        let regex = |pattern: &Option<String>| {
            pattern
                .as_ref()
                .map(|p| compile_regex(p, &at_string(&origin, p)))
                .transpose()
        };
        let mut criteria = Vec::new();
        if let Some(r) = &entry.name_regex {
            criteria.push(format!("name /{r}/"));
        }
        if let Some(s) = &entry.stage {
            criteria.push(format!("stage `{s}`"));
        }
        if let Some(r) = &entry.script_regex {
            criteria.push(format!("script /{r}/"));
        }
        jobs.push(Requirement {
            name_regex: regex(&entry.name_regex)?,
            script_regex: regex(&entry.script_regex)?,
            name: entry.name.unwrap_or_else(|| criteria.join(", ")),
            stage: entry.stage,
            help: entry.help,
        });
    }
    let stages = params.take::<Vec<String>>("stages")?.unwrap_or_default();
    Ok(Box::new(GitlabRequiredJob { jobs, stages }))
}

impl Rule for GitlabRequiredJob {
    fn wants(&self) -> Vec<String> {
        super::gitlab_wants()
    }

    /// The pipeline's local includes are YAML files anywhere.
    fn inputs(&self) -> Vec<String> {
        let mut inputs = super::gitlab_wants();
        inputs.push("**/*.{yml,yaml}".to_owned());
        inputs
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if self.jobs.is_empty() && self.stages.is_empty() {
            return;
        }
        let Some(pipeline) = gitlab_pipeline(cx) else {
            return;
        };
        let Some(root) = pipeline.files.first() else {
            return;
        };
        for requirement in &self.jobs {
            if pipeline
                .jobs
                .iter()
                .any(|j| requirement.met_by(&pipeline, j))
            {
                continue;
            }
            let mut v = Violation::file(
                &root.path,
                format!("no job meets required job `{}`", requirement.name),
            )
            .key(format!("job:{}", requirement.name));
            if let Some(help) = &requirement.help {
                v = v.help(help.clone());
            }
            out.push(v);
        }
        let declared = pipeline.stage_names();
        for stage in &self.stages {
            let at = pipeline
                .stages
                .as_ref()
                .and_then(|s| pipeline.files.get(s.file).map(|f| (f.path.clone(), s.key)));
            let message = if !declared.contains(stage) {
                format!("required stage `{stage}` is not declared in `stages`")
            } else if !pipeline
                .jobs
                .iter()
                .any(|j| !j.hidden && pipeline.stage(j) == *stage)
            {
                format!("required stage `{stage}` has no job")
            } else {
                continue;
            };
            let v = match at {
                Some((path, span)) => Violation::file(path, message).span(span),
                None => Violation::file(&root.path, message),
            };
            out.push(v.key(format!("stage:{stage}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = r#"
[rules."ci/gitlab-required-job"]
jobs = [
  { name = "unit tests", stage = "test", script-regex = '\bgo test\b' },
  { name-regex = "^sast$" },
]
stages = ["test", "deploy"]
"#;

    #[test]
    fn met_through_extends_and_includes() {
        let ci = "stages: [build, test, deploy]\ninclude: ci/sec.yml\n.t:\n  stage: test\n  script: [go test ./...]\n\
                  unit:\n  extends: .t\nship:\n  stage: deploy\n  script: [./deploy]\n";
        let findings = check(
            POLICY,
            &[
                (".gitlab-ci.yml", ci),
                ("ci/sec.yml", "sast:\n  script: [scan]\n"),
            ],
        );
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn reports_missing_jobs_and_stages() {
        let ci = "stages: [build, test]\n.t:\n  stage: test\n  script: [go test ./...]\nlint:\n  script: [golangci-lint run]\n";
        let findings = check(POLICY, &[(".gitlab-ci.yml", ci)]);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "no job meets required job `name /^sast$/`",
                "no job meets required job `unit tests`",
                "required stage `deploy` is not declared in `stages`",
            ],
            "{findings:#?}"
        );
        assert_eq!(findings[2].span.map(|s| (s.line, s.column)), Some((1, 1)));
        // Default stages exist but need a job.
        let findings = check(
            "[rules.\"ci/gitlab-required-job\"]\nstages = [\"build\"]\n",
            &[(".gitlab-ci.yml", "j:\n  script: [x]\n")],
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].message, "required stage `build` has no job");
    }

    #[test]
    fn no_gitlab_file_no_findings_and_bad_regexes_are_errors() {
        assert!(check(POLICY, &[("README.md", "")]).is_empty());
        let err = crate::testing::policy_error(
            "[rules.\"ci/gitlab-required-job\"]\njobs = [{ name-regex = \"(\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 25)),
            "{err}"
        );
    }
}
