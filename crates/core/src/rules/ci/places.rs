//! Where the expression and environment rules look, read from the document itself rather
//! than the model (which leaves out jobs switched off with `if: false`): every `if:`, every
//! `env:` mapping, every string, with the key spans the findings point at.

use crate::ci::github::GithubFile;
use crate::ci::Scalar;
use crate::doc::{Entry, Node, Value};
use crate::span::Span;

/// An `if:` of a job or a step.
pub(crate) struct Condition<'f> {
    /// The job's id (`None` in an action).
    pub job: Option<&'f str>,
    /// `job` or `step`.
    pub owner: &'static str,
    /// The condition.
    pub value: Scalar,
    /// The `if` key.
    pub key: Span,
}

impl Condition<'_> {
    /// Whose condition it is, as a phrase: "job `build`", "a step of job `build`", "a step".
    pub fn whose(&self) -> String {
        match self.job {
            Some(job) if self.owner == "job" => format!("job `{job}`"),
            Some(job) => format!("a step of job `{job}`"),
            None => "a step".to_owned(),
        }
    }
}

/// An `env:` mapping (or expression) of the workflow, a job, a step or an action's step.
pub(crate) struct EnvBlock<'f> {
    /// The `env` key.
    pub key: Span,
    /// Its value.
    pub value: &'f Node,
}

/// The jobs of a workflow's document: `(id, node)`.
fn jobs(root: &Node) -> Vec<(&str, &Node)> {
    root.get("jobs")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| Some((e.key_str()?, &e.value)))
        .filter(|(_, n)| n.as_map().is_some())
        .collect()
}

/// The steps of the file: `(job id, step node)` (no job in an action), the steps of
/// `parallel:` groups in place of the group, as the model reads them.
pub(crate) fn step_nodes(file: &GithubFile) -> Vec<(Option<&str>, &Node)> {
    match file {
        GithubFile::Workflow(w) => jobs(&w.root)
            .into_iter()
            .flat_map(|(id, job)| {
                crate::ci::github::step_nodes(job.get("steps"))
                    .into_iter()
                    .map(move |s| (Some(id), s))
            })
            .collect(),
        GithubFile::Action(a) => {
            crate::ci::github::step_nodes(a.root.get("runs").and_then(|r| r.get("steps")))
                .into_iter()
                .map(|s| (None, s))
                .collect()
        }
    }
}

fn condition(node: &Node) -> Option<(Span, Scalar)> {
    let entry = node.get_entry("if")?;
    Some((entry.key.span, Scalar::from_node(&entry.value)?))
}

/// Every `if:` of the file's jobs and steps, in document order.
pub(crate) fn conditions(file: &GithubFile) -> Vec<Condition<'_>> {
    let mut found = Vec::new();
    if let GithubFile::Workflow(w) = file {
        for (id, job) in jobs(&w.root) {
            if let Some((key, value)) = condition(job) {
                found.push(Condition {
                    job: Some(id),
                    owner: "job",
                    value,
                    key,
                });
            }
        }
    }
    for (job, step) in step_nodes(file) {
        if let Some((key, value)) = condition(step) {
            found.push(Condition {
                job,
                owner: "step",
                value,
                key,
            });
        }
    }
    found.sort_by_key(|c| c.value.span.start_byte);
    found
}

/// Every `env:` of the file: the workflow's, each job's, each step's.
pub(crate) fn env_blocks(file: &GithubFile) -> Vec<EnvBlock<'_>> {
    let mut owners: Vec<&Node> = Vec::new();
    if let GithubFile::Workflow(w) = file {
        owners.push(&w.root);
        owners.extend(jobs(&w.root).into_iter().map(|(_, j)| j));
    }
    owners.extend(step_nodes(file).into_iter().map(|(_, s)| s));
    let mut found: Vec<EnvBlock<'_>> = owners
        .into_iter()
        .filter_map(|n| n.get_entry("env"))
        .map(|e| EnvBlock {
            key: e.key.span,
            value: &e.value,
        })
        .collect();
    found.sort_by_key(|b| b.key.start_byte);
    found
}

/// Every string of the document with the key of the mapping entry it is the value of (the
/// nearest one for strings in lists), in document order: the key, the node and its text. The
/// caller makes a [`Scalar`] of the few it keeps (a copy of the text each).
pub(crate) fn strings<'n>(
    root: &'n Node,
    each: &mut impl FnMut(Option<&'n str>, &'n Node, &'n str),
) {
    fn walk<'n>(
        node: &'n Node,
        key: Option<&'n str>,
        each: &mut impl FnMut(Option<&'n str>, &'n Node, &'n str),
    ) {
        match &node.value {
            Value::Map(entries) => {
                for Entry { key: k, value } in entries {
                    walk(value, k.as_str(), each);
                }
            }
            Value::Seq(items) => items.iter().for_each(|i| walk(i, key, each)),
            Value::String(text) => each(key, node, text),
            _ => {}
        }
    }
    walk(root, None, each);
}

/// A span from the start of `from` to the end of `to`: findings start where zizmor reports
/// the same problem (so its `# zizmor: ignore[...]` comments apply) and end at the text at
/// fault.
pub(crate) fn from_to(from: Span, to: Span) -> Span {
    if to.end_byte < from.start_byte {
        return from;
    }
    Span {
        end_line: to.end_line,
        end_column: to.end_column,
        end_byte: to.end_byte,
        ..from
    }
}
