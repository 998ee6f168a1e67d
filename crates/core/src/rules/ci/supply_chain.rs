//! What the supply-chain rules (`ci/archived-action`, `ci/typosquat-action`,
//! `ci/vulnerable-action`) share: a walk over every remote `uses:` of workflows and actions.

use std::collections::HashMap;

use super::{each_github, nth_key};
use crate::ci::github::{GithubFile, RemoteRef, Uses};
use crate::ci::{Scalar, Text};
use crate::context::Context;
use crate::snapshot::FileEntry;

/// One remote `uses:` (of a step or of a job calling a reusable workflow).
pub(crate) struct RemoteUse<'u> {
    /// The file's path.
    pub path: &'u str,
    /// The file's text.
    pub text: &'u Text,
    /// The `uses` value and where it is written.
    pub uses: &'u Scalar,
    /// What it names.
    pub remote: RemoteRef,
    /// A fingerprint key, unique in the file: the job (or `runs`) and the value.
    pub key: String,
}

/// Calls `each` with every remote `uses:` of the judged workflows and actions, in file order.
pub(crate) fn each_remote_use<'a>(cx: &Context<'a>, mut each: impl FnMut(&RemoteUse<'_>)) {
    each_github(cx, |file: &'a FileEntry, github| {
        let mut seen = HashMap::new();
        let text = github.text();
        let mut visit = |owner: &str, uses: &Scalar| {
            if let Uses::Remote(remote) = Uses::parse(&uses.value) {
                let key = nth_key(format!("{owner}:{}", uses.value.trim()), &mut seen);
                each(&RemoteUse {
                    path: &file.path,
                    text,
                    uses,
                    remote,
                    key,
                });
            }
        };
        match github {
            GithubFile::Workflow(workflow) => {
                for job in &workflow.jobs {
                    if let Some(uses) = &job.uses {
                        visit(&job.id, uses);
                    }
                    for step in &job.steps {
                        if let Some(uses) = &step.uses {
                            visit(&job.id, uses);
                        }
                    }
                }
            }
            GithubFile::Action(action) => {
                for step in &action.steps {
                    if let Some(uses) = &step.uses {
                        visit("runs", uses);
                    }
                }
            }
        }
    });
}

impl RemoteUse<'_> {
    /// The span of `owner/repo` in the value.
    pub fn repository_span(&self) -> crate::span::Span {
        let lead = self.uses.value.len() - self.uses.value.trim_start().len();
        let len = self.remote.owner.len() + 1 + self.remote.repo.len();
        self.text.locate(self.uses, lead..lead + len)
    }

    /// The span of the ref after `@`.
    pub fn ref_span(&self) -> crate::span::Span {
        let at = self.remote.ref_offset;
        self.text
            .locate(self.uses, at..at + self.remote.git_ref.len())
    }
}

/// A list of `owner/repo` names from a data file, lowercase.
pub(crate) fn repositories(text: &str, key: &str, file: &str) -> Vec<String> {
    let table: toml::Table =
        toml::from_str(text).unwrap_or_else(|e| panic!("{file} is valid TOML: {e}"));
    table
        .get(key)
        .and_then(toml::Value::as_array)
        .unwrap_or_else(|| panic!("{file} has a `{key}` array"))
        .iter()
        .map(|v| {
            let name = v
                .as_str()
                .unwrap_or_else(|| panic!("{file}: `{key}` holds strings"));
            assert!(
                name.split('/').count() == 2 && !name.split('/').any(str::is_empty),
                "{file}: `{name}` is not owner/repo"
            );
            name.to_ascii_lowercase()
        })
        .collect()
}
