//! GitHub Actions: workflows (`.github/workflows/*.yml`) and actions (`action.yml`) as models
//! with a span on every value.
//!
//! [`parse_workflow`] and [`parse_action`] build the models from a file's text; rules share
//! them through [`Context::memo`](crate::context::Context::memo) under the kind
//! `"github-workflow"`. Values of an unexpected type are left out (the field is `None` or
//! empty), so a rule judges what it can of a file GitHub would reject; where GitHub would
//! reject the type (`jobs: 5`, `steps: run`, a key written twice), a [`Problem`] records it
//! for `ci/invalid-yaml`.

use crate::doc::{parse, Entry, Format, Node, ParseError, Value};
use crate::span::Span;

use super::{a_kind, duplicate_keys, merge_keys, Scalar, Text};

/// Whether `path` is a workflow file: `.github/workflows/NAME.yml` or `.yaml` (GitHub reads
/// that folder only, not its subfolders).
pub fn is_workflow_path(path: &str) -> bool {
    path.strip_prefix(".github/workflows/")
        .is_some_and(|name| !name.contains('/') && has_yaml_extension(name))
}

/// Whether `path` is an action's metadata file: `action.yml` or `action.yaml` at the root or
/// anywhere under `.github/actions/`.
pub fn is_action_path(path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    matches!(name, "action.yml" | "action.yaml")
        && (dir.is_empty() || dir == ".github/actions" || dir.starts_with(".github/actions/"))
}

fn has_yaml_extension(name: &str) -> bool {
    name.len() > 4 && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// The globs of the files [`is_workflow_path`] and [`is_action_path`] accept.
pub const FILE_GLOBS: &[&str] = &[
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    ".github/actions/**/action.yml",
    ".github/actions/**/action.yaml",
    "action.yml",
    "action.yaml",
];

/// A parsed GitHub Actions file: a workflow or an action.
#[derive(Debug, Clone, PartialEq)]
pub enum GithubFile {
    /// A workflow.
    Workflow(Workflow),
    /// An action's metadata.
    Action(Action),
}

impl GithubFile {
    /// Parses `text` as a workflow or an action, by `path` (see [`is_workflow_path`]).
    ///
    /// # Errors
    ///
    /// The YAML syntax error, with its position.
    pub fn parse(path: &str, text: &str) -> Result<GithubFile, ParseError> {
        if is_workflow_path(path) {
            parse_workflow(text).map(GithubFile::Workflow)
        } else {
            parse_action(text).map(GithubFile::Action)
        }
    }

    /// The file's text.
    pub fn text(&self) -> &Text {
        match self {
            GithubFile::Workflow(w) => &w.text,
            GithubFile::Action(a) => &a.text,
        }
    }

    /// The document's root node.
    pub fn root(&self) -> &Node {
        match self {
            GithubFile::Workflow(w) => &w.root,
            GithubFile::Action(a) => &a.root,
        }
    }

    /// Every step: of every job of a workflow, or of a composite action.
    pub fn steps(&self) -> Box<dyn Iterator<Item = &Step> + '_> {
        match self {
            GithubFile::Workflow(w) => Box::new(w.jobs.iter().flat_map(|j| j.steps.iter())),
            GithubFile::Action(a) => Box::new(a.steps.iter()),
        }
    }

    /// The workflow, if this is one.
    pub fn as_workflow(&self) -> Option<&Workflow> {
        match self {
            GithubFile::Workflow(w) => Some(w),
            GithubFile::Action(_) => None,
        }
    }
}

/// A workflow file.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// The file's text.
    pub text: Text,
    /// The document (a null node for an empty file).
    pub root: Node,
    /// `name`.
    pub name: Option<Scalar>,
    /// The events of `on`, in order.
    pub on: Vec<Trigger>,
    /// The `on` key.
    pub on_key: Option<Span>,
    /// Top-level `permissions`.
    pub permissions: Option<Permissions>,
    /// Top-level `env`.
    pub env: Option<Node>,
    /// The jobs, in order.
    pub jobs: Vec<Job>,
    /// The `jobs` key.
    pub jobs_key: Option<Span>,
    /// Structural problems GitHub rejects: `<<` merge keys, a document that is not a mapping,
    /// duplicate keys, `on`, `jobs`, a job, `steps` or a step of the wrong type.
    pub problems: Vec<Problem>,
}

impl Workflow {
    /// The mapping of `job` in the document.
    pub fn job_node(&self, job: &Job) -> Option<&Node> {
        self.root.get("jobs")?.get(&job.id)
    }
}

/// Something GitHub would reject in a file, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// One event of `on`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The event name (`push`, `pull_request_target`, ...).
    pub event: String,
    /// Where the name is written.
    pub span: Span,
    /// The event's configuration (`branches`, `types`, ...) when `on` is a mapping.
    pub config: Option<Node>,
}

/// A `permissions` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Permissions {
    /// The `permissions` key.
    pub key: Span,
    /// The value.
    pub node: Node,
    /// What it grants.
    pub grant: Grant,
}

/// What a `permissions` value grants.
#[derive(Debug, Clone, PartialEq)]
pub enum Grant {
    /// `read-all`.
    ReadAll,
    /// `write-all`.
    WriteAll,
    /// A mapping of scopes (`{}` grants nothing).
    Scopes(Vec<Permission>),
    /// Anything else (an expression, a typo).
    Other(String),
}

/// One scope of a `permissions` mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// The scope (`contents`, `id-token`, ...).
    pub scope: String,
    /// The scope's key.
    pub key: Span,
    /// `read`, `write` or `none` (or whatever is written).
    pub level: Scalar,
}

impl Permissions {
    fn from_entry(entry: &Entry) -> Permissions {
        let grant = match &entry.value.value {
            Value::String(s) if s == "read-all" => Grant::ReadAll,
            Value::String(s) if s == "write-all" => Grant::WriteAll,
            Value::Map(entries) => Grant::Scopes(
                entries
                    .iter()
                    .filter_map(|e| {
                        Some(Permission {
                            scope: e.key_str()?.to_owned(),
                            key: e.key.span,
                            level: Scalar::from_node(&e.value)?,
                        })
                    })
                    .collect(),
            ),
            _ => Grant::Other(entry.value.to_display()),
        };
        Permissions {
            key: entry.key.span,
            node: entry.value.clone(),
            grant,
        }
    }

    /// The scopes granted `write` (every scope for `write-all`).
    pub fn writes(&self) -> Vec<&Permission> {
        match &self.grant {
            Grant::Scopes(scopes) => scopes.iter().filter(|p| p.level.value == "write").collect(),
            _ => Vec::new(),
        }
    }
}

/// A job of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The job's id (its key under `jobs`).
    pub id: String,
    /// Where the id is written.
    pub id_span: Span,
    /// The job's mapping ([`Workflow::job_node`] gives the node itself).
    pub span: Span,
    /// `name`.
    pub name: Option<Scalar>,
    /// `permissions`.
    pub permissions: Option<Permissions>,
    /// `runs-on`.
    pub runs_on: Option<Node>,
    /// `container`: its image (a string, or `image` of a mapping).
    pub container: Option<Scalar>,
    /// `services`: each service's id and image.
    pub services: Vec<Service>,
    /// `timeout-minutes`.
    pub timeout_minutes: Option<Node>,
    /// `steps`.
    pub steps: Vec<Step>,
    /// `uses`: the reusable workflow a job calls.
    pub uses: Option<Scalar>,
    /// `with` of a reusable-workflow call.
    pub with: Option<Node>,
    /// `secrets` of a reusable-workflow call (`inherit` or a mapping).
    pub secrets: Option<Node>,
    /// `env`.
    pub env: Option<Node>,
    /// `if`.
    pub condition: Option<Scalar>,
    /// `outputs`: what the job passes to the jobs that need it.
    pub outputs: Option<Node>,
}

/// A service container of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The service's id.
    pub id: String,
    /// Where the id is written.
    pub id_span: Span,
    /// Its `image`.
    pub image: Option<Scalar>,
}

/// A step of a job or of a composite action.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Position in its list, from 0.
    pub index: usize,
    /// The step's mapping.
    pub span: Span,
    /// `id`.
    pub id: Option<Scalar>,
    /// `name`.
    pub name: Option<Scalar>,
    /// `uses`.
    pub uses: Option<Scalar>,
    /// `run`: the script, whose expressions [`Text::locate`] positions.
    pub run: Option<Scalar>,
    /// `with`.
    pub with: Option<Node>,
    /// `env`.
    pub env: Option<Node>,
    /// `if`.
    pub condition: Option<Scalar>,
}

impl Step {
    fn from_node(index: usize, node: &Node) -> Step {
        Step {
            index,
            span: node.span,
            id: Scalar::from_opt(node.get("id")),
            name: Scalar::from_opt(node.get("name")),
            uses: Scalar::from_opt(node.get("uses")),
            run: Scalar::from_opt(node.get("run")),
            with: node.get("with").filter(|n| n.as_map().is_some()).cloned(),
            env: node.get("env").cloned(),
            condition: Scalar::from_opt(node.get("if")),
        }
    }

    /// The scalar of `with.<key>`.
    pub fn with_value(&self, key: &str) -> Option<Scalar> {
        Scalar::from_opt(self.with.as_ref()?.get(key))
    }

    /// The parsed `uses`, if the step has one.
    pub fn action(&self) -> Option<Uses> {
        self.uses.as_ref().map(|u| Uses::parse(&u.value))
    }

    /// Whether the step uses the action `name` (`owner/repo` or `owner/repo/path`, compared
    /// without letter case), at any ref.
    pub fn uses_action(&self, name: &str) -> bool {
        self.remote_name()
            .is_some_and(|used| used.eq_ignore_ascii_case(name))
    }

    /// The `owner/repo[/path]` of a remote action the step uses, as written: what
    /// [`RemoteRef::name`] gives for [`Uses::Remote`], without parsing the reference into
    /// copies (rules ask it of every step, many times per file).
    pub fn remote_name(&self) -> Option<&str> {
        let value = self.uses.as_ref()?.value.trim();
        if value.contains("${{")
            || value.starts_with("./")
            || value.starts_with("$/")
            || value.starts_with("docker://")
        {
            return None;
        }
        let (name, git_ref) = value.rsplit_once('@')?;
        let mut parts = name.splitn(3, '/');
        let (owner, repo) = (parts.next()?, parts.next()?);
        if owner.is_empty() || repo.is_empty() || git_ref.is_empty() {
            return None;
        }
        // `owner/repo/` names the repository, as `RemoteRef` reads it.
        Some(match parts.next() {
            Some("") => &name[..owner.len() + 1 + repo.len()],
            _ => name,
        })
    }
}

/// What a `uses:` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uses {
    /// `./path`: an action or workflow of the same repository and commit.
    Local(String),
    /// `$/path`: the same repository, resolved by the runner (not a remote to pin).
    SameRepository(String),
    /// `docker://image`.
    Docker {
        /// The image reference after `docker://`.
        image: String,
    },
    /// `owner/repo[/path]@ref`.
    Remote(RemoteRef),
    /// A value with a `${{ }}` expression (GitHub does not allow one in `uses`).
    Expression,
    /// Anything else, such as `owner/repo` without `@ref`.
    Invalid(String),
}

/// `owner/repo[/path]@ref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteRef {
    /// The owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// The path inside the repository (an action's folder or a workflow file), if any.
    pub path: Option<String>,
    /// The ref after `@`.
    pub git_ref: String,
    /// The byte offset of the ref in the `uses` value.
    pub ref_offset: usize,
}

impl RemoteRef {
    /// `owner/repo` or `owner/repo/path`.
    pub fn name(&self) -> String {
        match &self.path {
            Some(path) => format!("{}/{}/{path}", self.owner, self.repo),
            None => format!("{}/{}", self.owner, self.repo),
        }
    }

    /// `owner/repo`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// Whether the path is a workflow file (a reusable-workflow call).
    pub fn is_workflow(&self) -> bool {
        self.path
            .as_deref()
            .is_some_and(|p| p.starts_with(".github/workflows/"))
    }
}

impl Uses {
    /// Parses a `uses` value.
    pub fn parse(value: &str) -> Uses {
        let value_trimmed = value.trim();
        let lead = value.len() - value.trim_start().len();
        if value_trimmed.contains("${{") {
            return Uses::Expression;
        }
        if let Some(path) = value_trimmed.strip_prefix("./") {
            return Uses::Local(path.to_owned());
        }
        if let Some(path) = value_trimmed.strip_prefix("$/") {
            return Uses::SameRepository(path.to_owned());
        }
        if let Some(image) = value_trimmed.strip_prefix("docker://") {
            return Uses::Docker {
                image: image.to_owned(),
            };
        }
        let Some((name, git_ref)) = value_trimmed.rsplit_once('@') else {
            return Uses::Invalid(value_trimmed.to_owned());
        };
        let mut parts = name.splitn(3, '/');
        let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
            return Uses::Invalid(value_trimmed.to_owned());
        };
        if owner.is_empty() || repo.is_empty() || git_ref.is_empty() {
            return Uses::Invalid(value_trimmed.to_owned());
        }
        Uses::Remote(RemoteRef {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            path: parts.next().filter(|p| !p.is_empty()).map(str::to_owned),
            git_ref: git_ref.to_owned(),
            ref_offset: lead + name.len() + 1,
        })
    }
}

/// An action's metadata (`action.yml`).
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// The file's text.
    pub text: Text,
    /// The document.
    pub root: Node,
    /// `name`.
    pub name: Option<Scalar>,
    /// `runs.using`: `composite`, `docker`, `node20`, ...
    pub using: Option<Scalar>,
    /// `runs.steps` of a composite action.
    pub steps: Vec<Step>,
    /// `runs.image` of a Docker action (`Dockerfile` or `docker://image`).
    pub image: Option<Scalar>,
    /// Structural problems (`<<` merge keys, a document that is not a mapping, duplicate keys,
    /// `runs` or `runs.steps` of the wrong type).
    pub problems: Vec<Problem>,
}

/// Parses one YAML document; several documents are a syntax error at the second.
fn document(text: &str) -> Result<Node, ParseError> {
    let mut documents = parse(Format::Yaml, text)?.into_iter();
    let first = documents.next();
    if let Some(second) = documents.next() {
        return Err(ParseError {
            message: "a workflow or action file holds one YAML document, this one has several"
                .to_owned(),
            span: Span {
                end_line: second.span.line,
                end_column: second.span.column,
                end_byte: second.span.start_byte,
                ..second.span
            },
        });
    }
    Ok(first.unwrap_or_else(|| {
        let empty = Text::new(text).span(0, 0);
        Node::new(Value::Null, empty)
    }))
}

fn structural_problems(root: &Node, what: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    if root.as_map().is_none() {
        problems.push(Problem {
            message: format!(
                "{what} must be a YAML mapping, this document is {}",
                match root.kind_name() {
                    "null" => "empty",
                    other => other,
                }
            ),
            span: root.span,
        });
    }
    for span in merge_keys(root) {
        problems.push(Problem {
            message: "`<<` merge keys are not supported by GitHub Actions (anchors and aliases \
                      are): write the keys out, or use an alias for the whole value"
                .to_owned(),
            span,
        });
    }
    for duplicate in duplicate_keys(root) {
        problems.push(Problem {
            message: format!(
                "{}: GitHub rejects a mapping with a key written twice",
                duplicate.message()
            ),
            span: duplicate.span,
        });
    }
    problems
}

fn wrong_type(problems: &mut Vec<Problem>, what: &str, must: &str, node: &Node) {
    problems.push(Problem {
        message: format!("{what} must be {must}, found {}", a_kind(node)),
        span: node.span,
    });
}

/// Values of a type GitHub rejects where the workflow's structure needs a mapping or a list:
/// `on`, `jobs`, each job, `steps` and each step. Null values (`jobs:` with nothing) are left
/// to GitHub's own message.
fn workflow_shape(root: &Node) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(on) = root.get("on") {
        let ok = match &on.value {
            Value::Null | Value::String(_) | Value::Map(_) => true,
            Value::Seq(items) => items.iter().all(|i| i.as_str().is_some()),
            _ => false,
        };
        if !ok {
            wrong_type(
                &mut problems,
                "`on`",
                "an event name, a list of event names or a mapping of events",
                on,
            );
            if let Some(items) = on.as_seq() {
                problems.pop();
                for item in items.iter().filter(|i| i.as_str().is_none()) {
                    wrong_type(&mut problems, "an event of `on`", "an event name", item);
                }
            }
        }
    }
    if let Some(jobs) = root.get("jobs") {
        match jobs.as_map() {
            Some(entries) => {
                for entry in entries {
                    let job = &entry.value;
                    let id = entry.key_str().unwrap_or_default();
                    if job.as_map().is_none() {
                        if !job.is_null() {
                            wrong_type(&mut problems, &format!("job `{id}`"), "a mapping", job);
                        }
                        continue;
                    }
                    steps_shape(&mut problems, job.get("steps"));
                }
            }
            None if jobs.is_null() => {}
            None => wrong_type(
                &mut problems,
                "`jobs`",
                "a mapping of job ids to jobs",
                jobs,
            ),
        }
    }
    problems
}

fn steps_shape(problems: &mut Vec<Problem>, steps: Option<&Node>) {
    let Some(steps) = steps else { return };
    match steps.as_seq() {
        Some(items) => {
            for step in items {
                if step.as_map().is_none() {
                    wrong_type(
                        problems,
                        "a step",
                        "a mapping (`- run: ...` or `- uses: ...`)",
                        step,
                    );
                } else if let Some(group) = step
                    .get("parallel")
                    .filter(|_| step.get("run").is_none() && step.get("uses").is_none())
                {
                    steps_shape(problems, Some(group));
                }
            }
        }
        None if steps.is_null() => {}
        None => wrong_type(problems, "`steps`", "a list of steps", steps),
    }
}

/// The same for an action: `runs` and, in a composite action, `runs.steps`.
fn action_shape(root: &Node) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(runs) = root.get("runs") {
        if runs.as_map().is_some() {
            steps_shape(&mut problems, runs.get("steps"));
        } else if !runs.is_null() {
            wrong_type(
                &mut problems,
                "`runs`",
                "a mapping (`using:` and what it runs)",
                runs,
            );
        }
    }
    problems
}

/// Parses a workflow.
///
/// # Errors
///
/// The YAML syntax error (or a second document), with its position.
pub fn parse_workflow(text: &str) -> Result<Workflow, ParseError> {
    let root = document(text)?;
    let mut problems = structural_problems(&root, "a workflow");
    problems.extend(workflow_shape(&root));
    problems.sort_by_key(|p| p.span.start_byte);
    let on_entry = root.get_entry("on");
    let on = on_entry.map(|e| triggers(&e.value)).unwrap_or_default();
    let jobs_entry = root.get_entry("jobs");
    // A job whose `if` is the constant `false` never runs: no rule judges it.
    let jobs = jobs_entry
        .and_then(|e| e.value.as_map())
        .unwrap_or_default()
        .iter()
        .filter_map(job)
        .filter(|j| !j.condition.as_ref().is_some_and(|c| never_true(&c.value)))
        .collect();
    Ok(Workflow {
        name: Scalar::from_opt(root.get("name")),
        on,
        on_key: on_entry.map(|e| e.key.span),
        permissions: root.get_entry("permissions").map(Permissions::from_entry),
        env: root.get("env").cloned(),
        jobs,
        jobs_key: jobs_entry.map(|e| e.key.span),
        problems,
        text: Text::new(text),
        root,
    })
}

/// Whether an `if:` condition is the constant `false` (`false`, `${{ false }}`), as a job
/// switched off by hand is written.
fn never_true(condition: &str) -> bool {
    let trimmed = condition.trim();
    let inner = trimmed
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .unwrap_or(trimmed)
        .trim();
    inner == "false"
}

fn triggers(node: &Node) -> Vec<Trigger> {
    let trigger = |name: &Node, config: Option<&Node>| {
        Some(Trigger {
            event: name.as_str()?.to_owned(),
            span: name.span,
            config: config.filter(|c| !c.is_null()).cloned(),
        })
    };
    match &node.value {
        Value::String(_) => trigger(node, None).into_iter().collect(),
        Value::Seq(items) => items.iter().filter_map(|i| trigger(i, None)).collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|e| trigger(&e.key, Some(&e.value)))
            .collect(),
        _ => Vec::new(),
    }
}

fn job(entry: &Entry) -> Option<Job> {
    let id = entry.key_str()?.to_owned();
    let node = &entry.value;
    node.as_map()?;
    let container = match node.get("container") {
        Some(c) if c.as_map().is_some() => Scalar::from_opt(c.get("image")),
        other => Scalar::from_opt(other),
    };
    let services = node
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| {
            Some(Service {
                id: e.key_str()?.to_owned(),
                id_span: e.key.span,
                image: Scalar::from_opt(e.value.get("image")),
            })
        })
        .collect();
    let steps = steps(node.get("steps"));
    Some(Job {
        id,
        id_span: entry.key.span,
        name: Scalar::from_opt(node.get("name")),
        permissions: node.get_entry("permissions").map(Permissions::from_entry),
        runs_on: node.get("runs-on").cloned(),
        container,
        services,
        timeout_minutes: node.get("timeout-minutes").cloned(),
        steps,
        uses: Scalar::from_opt(node.get("uses")),
        with: node.get("with").cloned(),
        secrets: node.get("secrets").cloned(),
        env: node.get("env").cloned(),
        condition: Scalar::from_opt(node.get("if")),
        outputs: node
            .get("outputs")
            .filter(|n| n.as_map().is_some())
            .cloned(),
        span: node.span,
    })
}

/// The steps of a `steps` list in the order they are written, the steps of a `parallel:`
/// group (GitHub runs them concurrently) in place of the group: each is judged like any other.
/// [`Step::index`] counts them in that order.
fn steps(node: Option<&Node>) -> Vec<Step> {
    let nodes = step_nodes(node);
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        out.push(Step::from_node(out.len(), node));
    }
    out
}

/// The mappings of a `steps` list, with `parallel:` groups replaced by their steps.
pub(crate) fn step_nodes(node: Option<&Node>) -> Vec<&Node> {
    fn walk<'n>(items: &'n [Node], out: &mut Vec<&'n Node>) {
        for node in items.iter().filter(|n| n.as_map().is_some()) {
            match parallel_group(node) {
                Some(group) => walk(group, out),
                None => out.push(node),
            }
        }
    }
    let mut out = Vec::new();
    walk(node.and_then(Node::as_seq).unwrap_or_default(), &mut out);
    out
}

/// The steps of a `- parallel: [...]` item (a step of its own has `run` or `uses`).
fn parallel_group(node: &Node) -> Option<&[Node]> {
    if node.get("run").is_some() || node.get("uses").is_some() {
        return None;
    }
    node.get("parallel")?.as_seq()
}

/// Parses an action's metadata.
///
/// # Errors
///
/// The YAML syntax error (or a second document), with its position.
pub fn parse_action(text: &str) -> Result<Action, ParseError> {
    let root = document(text)?;
    let mut problems = structural_problems(&root, "an action's metadata");
    problems.extend(action_shape(&root));
    problems.sort_by_key(|p| p.span.start_byte);
    let runs = root.get("runs");
    Ok(Action {
        name: Scalar::from_opt(root.get("name")),
        using: Scalar::from_opt(runs.and_then(|r| r.get("using"))),
        steps: steps(runs.and_then(|r| r.get("steps"))),
        image: Scalar::from_opt(runs.and_then(|r| r.get("image"))),
        problems,
        text: Text::new(text),
        root,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKFLOW: &str = "\
name: CI
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
  id-token: write
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    container: node:20
    services:
      db:
        image: postgres:16
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Test
        run: |
          npm ci
          npm test
  call:
    uses: org/repo/.github/workflows/build.yml@main
    secrets: inherit
";

    #[test]
    fn models_a_workflow_with_positions() {
        let w = parse_workflow(WORKFLOW).unwrap();
        assert_eq!(w.name.as_ref().unwrap().value, "CI");
        let events: Vec<&str> = w.on.iter().map(|t| t.event.as_str()).collect();
        assert_eq!(events, ["push", "pull_request"]);
        assert_eq!((w.on[1].span.line, w.on[1].span.column), (5, 3));
        let permissions = w.permissions.as_ref().unwrap();
        assert_eq!(permissions.writes().len(), 1);
        assert_eq!(permissions.writes()[0].scope, "id-token");
        assert_eq!(w.jobs.len(), 2);
        let test = &w.jobs[0];
        assert_eq!((test.id.as_str(), test.id_span.line), ("test", 10));
        assert_eq!(test.container.as_ref().unwrap().value, "node:20");
        assert_eq!(
            test.services[0].image.as_ref().unwrap().value,
            "postgres:16"
        );
        assert_eq!(test.steps.len(), 2);
        assert!(test.steps[0].uses_action("actions/checkout"));
        assert_eq!(
            test.steps[0]
                .with_value("persist-credentials")
                .unwrap()
                .value,
            "false"
        );
        let run = test.steps[1].run.as_ref().unwrap();
        assert_eq!(run.value, "npm ci\nnpm test\n");
        let at = run.value.find("npm test").unwrap();
        let span = w.text.locate(run, at..at + 8);
        assert_eq!((span.line, span.column, span.end_column), (24, 11, 19));
        let call = &w.jobs[1];
        assert!(call.steps.is_empty());
        assert!(call.uses.is_some() && call.secrets.is_some());
        assert!(w.problems.is_empty());
    }

    #[test]
    fn on_forms_and_permission_forms() {
        let w = parse_workflow("on: push\npermissions: write-all\njobs: {}\n").unwrap();
        assert_eq!(w.on[0].event, "push");
        assert_eq!(w.permissions.unwrap().grant, Grant::WriteAll);
        let w = parse_workflow("on: [push, workflow_run]\npermissions: {}\n").unwrap();
        assert_eq!(w.on[1].event, "workflow_run");
        assert_eq!(w.permissions.unwrap().grant, Grant::Scopes(Vec::new()));
    }

    #[test]
    fn parses_uses() {
        let Uses::Remote(r) = Uses::parse("actions/cache/restore@v4") else {
            panic!()
        };
        assert_eq!(
            (r.name(), r.git_ref.as_str(), r.ref_offset),
            ("actions/cache/restore".to_owned(), "v4", 22)
        );
        assert!(!r.is_workflow());
        let Uses::Remote(r) = Uses::parse("o/r/.github/workflows/x.yml@main") else {
            panic!()
        };
        assert!(r.is_workflow());
        assert_eq!(
            Uses::parse("./.github/actions/x"),
            Uses::Local(".github/actions/x".into())
        );
        assert!(matches!(
            Uses::parse("$/.github/workflows/x.yml"),
            Uses::SameRepository(_)
        ));
        assert!(matches!(
            Uses::parse("docker://alpine:3"),
            Uses::Docker { .. }
        ));
        assert!(matches!(Uses::parse("actions/checkout"), Uses::Invalid(_)));
        assert_eq!(Uses::parse("${{ matrix.action }}"), Uses::Expression);
    }

    #[test]
    fn merge_keys_and_non_mappings_are_problems() {
        let w = parse_workflow("x: &d {a: 1}\njobs:\n  j:\n    <<: *d\n").unwrap();
        assert_eq!(w.problems.len(), 1);
        assert_eq!((w.problems[0].span.line, w.problems[0].span.column), (4, 5));
        let w = parse_workflow("").unwrap();
        assert!(w.problems[0].message.contains("empty"));
        let err = parse_workflow("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.span.line, 3);
    }

    /// GitHub's parallel steps: a `parallel:` group's steps are steps of the job, in order,
    /// and a group whose items are not mappings is a structural problem.
    #[test]
    fn parallel_groups_are_steps_of_the_job() {
        let text = "on: push\njobs:\n  a:\n    steps:\n      - run: one\n      - parallel:\n          \
                    - run: two\n          - uses: x/y@v1\n      - background: true\n        run: three\n      \
                    - wait-all: true\n      - parallel: [5]\n";
        let workflow = parse_workflow(text).unwrap();
        let steps = &workflow.jobs[0].steps;
        let seen: Vec<(usize, Option<&str>, Option<&str>)> = steps
            .iter()
            .map(|s| {
                (
                    s.index,
                    s.run.as_ref().map(|r| r.value.as_str()),
                    s.uses.as_ref().map(|u| u.value.as_str()),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (0, Some("one"), None),
                (1, Some("two"), None),
                (2, None, Some("x/y@v1")),
                (3, Some("three"), None),
                (4, None, None),
            ]
        );
        assert_eq!(workflow.problems.len(), 1, "{:?}", workflow.problems);
        assert_eq!(workflow.problems[0].span.line, 12);
    }

    #[test]
    fn remote_names_agree_with_parsed_references() {
        for uses in [
            "actions/checkout@v4",
            "Owner/Repo/path/x@main",
            "a/b/@v1",
            "./local",
            "$/same",
            "docker://alpine:3",
            "${{ matrix.a }}",
            "a@v1",
            "a/b",
            "a/b@",
            "/b@v1",
            " a/b@v1 ",
        ] {
            let text = format!("uses: '{uses}'\n");
            let node = crate::doc::parse(crate::doc::Format::Yaml, &text)
                .unwrap()
                .remove(0);
            let step = Step::from_node(0, &node);
            let parsed = match step.action() {
                Some(Uses::Remote(r)) => Some(r.name()),
                _ => None,
            };
            assert_eq!(step.remote_name().map(str::to_owned), parsed, "{uses}");
        }
    }

    #[test]
    fn models_actions() {
        let a = parse_action(
            "name: x\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n",
        )
        .unwrap();
        assert_eq!(a.using.unwrap().value, "composite");
        assert_eq!(a.steps.len(), 1);
        let a = parse_action("runs:\n  using: docker\n  image: docker://alpine:3\n").unwrap();
        assert_eq!(a.image.unwrap().value, "docker://alpine:3");
    }

    #[test]
    fn paths() {
        assert!(is_workflow_path(".github/workflows/ci.yml"));
        assert!(is_workflow_path(".github/workflows/ci.yaml"));
        assert!(!is_workflow_path(".github/workflows/sub/ci.yml"));
        assert!(!is_workflow_path(".github/workflows/README.md"));
        assert!(is_action_path("action.yml"));
        assert!(is_action_path(".github/actions/setup/action.yaml"));
        assert!(!is_action_path("src/action.yml"));
    }
}
