use crate::context::Context;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/config-missing",
    summary: "The repository has a CI configuration",
    level: Warning,
    tier: Bronze,
    scope: Repository { path_list: true },
    build: build,
    options: [{
        name: "files",
        kind: "array of globs",
        help: "The files that count as a CI configuration. Default: GitHub workflows \
               (`.github/workflows/*.yml`, `*.yaml`), `.gitlab-ci.yml`, CircleCI, Jenkins, \
               Azure Pipelines, Bitbucket, Buildkite, Travis, Drone and Woodpecker files. Set \
               it to `[\".github/workflows/*.yml\", \".github/workflows/*.yaml\"]` to accept \
               GitHub Actions only.",
    }],
    what: "At least one file of the repository matches the `files` globs: a GitHub Actions \
           workflow, a `.gitlab-ci.yml`, or another CI system's configuration. One \
           repository-wide finding when none does.",
    why: "Without CI nothing checks a change before it merges: tests, builds and every \
          other guardrail depend on a pipeline existing.",
    example: "A repository with only `src/` and `README.md` is reported: `no CI \
              configuration`. One with `.github/workflows/ci.yml` is not.",
    fix: "Add a workflow (`.github/workflows/ci.yml`) or a `.gitlab-ci.yml` that builds \
          and tests the project on every pull request.",
}

/// The CI configurations recognised by default.
const DEFAULT_FILES: &[&str] = &[
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".gitlab-ci.yml",
    ".gitlab-ci.yaml",
    ".circleci/config.yml",
    ".circleci/config.yaml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "bitbucket-pipelines.yml",
    ".buildkite/pipeline.yml",
    ".buildkite/pipeline.yaml",
    ".travis.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker/*.yml",
];

struct ConfigMissing {
    files: GlobList,
    /// The patterns, for the message.
    patterns: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let rule = match params.take_globs("files")? {
        Some(files) => ConfigMissing {
            patterns: files.patterns().iter().map(|p| (*p).to_owned()).collect(),
            files,
        },
        // One alternation: the engine is built on every run, and each glob is a regex.
        None => ConfigMissing {
            files: GlobList::from_patterns(&[format!("{{{}}}", DEFAULT_FILES.join(","))])
                .map_err(PolicyError::new)?,
            patterns: DEFAULT_FILES.iter().map(|p| (*p).to_owned()).collect(),
        },
    };
    Ok(Box::new(rule))
}

impl Rule for ConfigMissing {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if !cx.files_matching(&self.files).is_empty() {
            return;
        }
        let shown: Vec<&str> = self.patterns.iter().map(String::as_str).take(4).collect();
        out.push(
            Violation::repo(format!(
                "no CI configuration: no file matches {}{}",
                shown.join(", "),
                if self.patterns.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ))
            .help("add a workflow such as .github/workflows/ci.yml that builds and tests every pull request")
            .key("missing"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/config-missing\"]\n";

    #[test]
    fn reports_a_repository_without_ci() {
        let findings = check(POLICY, &[("README.md", "x"), (".github/CODEOWNERS", "*")]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0].path.is_none());
        assert!(findings[0].message.starts_with("no CI configuration"));
    }

    #[test]
    fn any_known_ci_file_is_enough() {
        for path in [
            ".github/workflows/ci.yaml",
            ".gitlab-ci.yml",
            "Jenkinsfile",
            ".circleci/config.yml",
        ] {
            assert!(check(POLICY, &[(path, "x")]).is_empty(), "{path}");
        }
    }

    #[test]
    fn files_replaces_the_list() {
        let policy = "[rules.\"ci/config-missing\"]\nfiles = [\".github/workflows/*.yml\"]\n";
        assert_eq!(check(policy, &[(".gitlab-ci.yml", "x")]).len(), 1);
        assert!(check(policy, &[(".github/workflows/a.yml", "x")]).is_empty());
    }
}
