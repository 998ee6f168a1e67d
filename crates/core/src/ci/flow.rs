//! Data flow in GitHub Actions files: which `env.*`, `steps.*.outputs.*` and
//! `needs.*.outputs.*` carry a value that a rule cares about (an outsider's text, the head of
//! a pull request), and the built-in lists of action inputs and outputs
//! (`crates/core/rules/ci/injection-sinks.toml`).
//!
//! The model follows what can be read without running anything: `env:` at workflow, job and
//! step level (the innermost definition wins, as in GitHub), outputs of steps that are known
//! actions or `run:` scripts writing `NAME=value` to `$GITHUB_OUTPUT`, and job `outputs:`
//! read through `needs.<job>.outputs.<name>`. Writes to `$GITHUB_ENV`, values built by
//! programs, and outputs of other actions are not followed.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use super::expr::{context_refs, expressions, ContextRef};
use super::github::{GithubFile, Step};
use crate::doc::Node;

/// The built-in lists, as written in `crates/core/rules/ci/injection-sinks.toml`.
pub const DATA_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/rules/ci/injection-sinks.toml"
));

/// One `owner/repo[/path]:name` entry: an input or output of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPort {
    /// The action, lowercase.
    pub action: String,
    /// The input or output, lowercase; `*` for all of them.
    pub name: String,
}

impl ActionPort {
    /// Parses `owner/repo[/path]:name`.
    ///
    /// # Errors
    ///
    /// What is wrong with the entry.
    pub fn parse(entry: &str) -> Result<ActionPort, String> {
        let (action, name) = entry.rsplit_once(':').ok_or_else(|| {
            format!("`{entry}` must be `owner/repo:input` (an action and one of its inputs)")
        })?;
        let action = action.trim();
        let name = name.trim();
        if action.split('/').count() < 2 || action.split('/').any(str::is_empty) || name.is_empty()
        {
            return Err(format!(
                "`{entry}` must be `owner/repo:input` (an action and one of its inputs)"
            ));
        }
        Ok(ActionPort {
            action: action.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        })
    }

    /// Whether the step uses this action.
    pub fn used_by(&self, step: &Step) -> bool {
        step.uses_action(&self.action)
    }
}

/// The entries of `ports` whose action `step` uses: [`ActionPort::used_by`] for each, with
/// the step's `uses` read once rather than once per entry (the lists are long).
pub fn ports_used_by<'a>(
    ports: &'a [ActionPort],
    step: &'a Step,
) -> impl Iterator<Item = &'a ActionPort> + 'a {
    let used = step.remote_name();
    ports
        .iter()
        .filter(move |p| used.is_some_and(|name| name.eq_ignore_ascii_case(&p.action)))
}

/// The lists of the data file.
#[derive(Debug, Clone)]
pub struct Data {
    /// Inputs evaluated as code.
    pub sinks: Vec<ActionPort>,
    /// Outputs that carry an outsider's text.
    pub sources: Vec<ActionPort>,
    /// Outputs that name the head of a pull request.
    pub pull_request_heads: Vec<ActionPort>,
}

/// The data file, parsed once.
pub static DATA: LazyLock<Data> = LazyLock::new(|| parse_data(DATA_TOML));

fn parse_data(text: &str) -> Data {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "kebab-case")]
    struct Raw {
        sinks: Vec<String>,
        sources: Vec<String>,
        pull_request_heads: Vec<String>,
    }
    // The file is part of the build and checked by a unit test: a mistake in it is a bug of
    // the release, not of a user's input.
    let raw: Raw = toml::from_str(text).expect("rules/ci/injection-sinks.toml is valid");
    let ports = |list: Vec<String>| {
        list.iter()
            .map(|e| ActionPort::parse(e).expect("rules/ci/injection-sinks.toml entries"))
            .collect()
    };
    Data {
        sinks: ports(raw.sinks),
        sources: ports(raw.sources),
        pull_request_heads: ports(raw.pull_request_heads),
    }
}

/// Why a value is tainted: the context read where it is used, and the context the value came
/// from (the same when read directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    /// The context read (`env.title`, `steps.x.outputs.y`, `github.head_ref`).
    pub path: String,
    /// Where the value comes from (`github.event.issue.title`).
    pub origin: String,
}

impl Taint {
    /// Whether the value was read directly from its origin.
    pub fn direct(&self) -> bool {
        self.path == self.origin
    }
}

/// What a rule tracks: which contexts are sources, and which action outputs are.
pub struct Flow<'a> {
    /// The source a context reference reads, if it is one (its path, or a description).
    pub source: &'a dyn Fn(&ContextRef) -> Option<String>,
    /// Action outputs that are sources.
    pub outputs: &'a [ActionPort],
}

/// What the contexts of one place hold.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    /// `env` layers, outermost first: name (lowercase) to its taint, `None` when defined clean.
    env: Vec<HashMap<String, Option<Taint>>>,
    /// `steps.<id>.outputs.<name>` (lowercase) of earlier steps; name `*` for all.
    steps: HashMap<String, HashMap<String, Taint>>,
    /// `needs.<job>.outputs.<name>` (lowercase).
    jobs: HashMap<String, HashMap<String, Taint>>,
}

impl Scope {
    /// The taint of environment variable `name`, looked up innermost first.
    pub fn env(&self, name: &str) -> Option<&Taint> {
        let name = name.to_ascii_lowercase();
        self.env
            .iter()
            .rev()
            .find_map(|layer| layer.get(&name))
            .and_then(Option::as_ref)
    }

    fn lookup(&self, path: &str) -> Option<Taint> {
        let parts: Vec<&str> = path.split('.').collect();
        let found = match parts.as_slice() {
            ["env", name] => self.env(name).cloned(),
            ["steps", id, "outputs", name] => self
                .steps
                .get(*id)
                .and_then(|o| o.get(*name).or_else(|| o.get("*")))
                .cloned(),
            ["needs", job, "outputs", name] => {
                self.jobs.get(*job).and_then(|o| o.get(*name)).cloned()
            }
            _ => None,
        }?;
        Some(Taint {
            path: path.to_owned(),
            origin: found.origin,
        })
    }
}

impl Flow<'_> {
    /// The taint of an expression's text (between `${{` and `}}`): the first reference whose
    /// value ends up in the result (not one only compared or tested).
    pub fn expression(&self, inner: &str, scope: &Scope) -> Option<Taint> {
        context_refs(inner)
            .into_iter()
            .filter(|r| !r.boolean)
            .find_map(|r| {
                if let Some(origin) = (self.source)(&r) {
                    return Some(Taint {
                        path: r.path.clone(),
                        origin,
                    });
                }
                scope.lookup(&r.path)
            })
    }

    /// The tainted expressions of `text`, with their byte ranges.
    pub fn expressions(&self, text: &str, scope: &Scope) -> Vec<(Range<usize>, Taint)> {
        expressions(text)
            .into_iter()
            .filter_map(|e| Some((e.range, self.expression(&text[e.inner], scope)?)))
            .collect()
    }

    /// The taint of a whole value: its first tainted expression.
    fn value(&self, text: &str, scope: &Scope) -> Option<Taint> {
        self.expressions(text, scope)
            .into_iter()
            .next()
            .map(|(_, t)| t)
    }

    /// An `env:` mapping as a layer over `scope`.
    fn env_layer(&self, node: Option<&Node>, scope: &Scope) -> HashMap<String, Option<Taint>> {
        let mut layer = HashMap::new();
        for entry in node.and_then(Node::as_map).unwrap_or_default() {
            let Some(name) = entry.key_str() else {
                continue;
            };
            let taint = entry
                .value
                .as_str()
                .and_then(|v| self.value(v, scope))
                .map(|t| Taint {
                    path: format!("env.{}", name.to_ascii_lowercase()),
                    origin: t.origin,
                });
            layer.insert(name.to_ascii_lowercase(), taint);
        }
        layer
    }

    /// The outputs a step sets from a tainted value: a known action's, or `NAME=value` lines
    /// of a `run:` script written to `$GITHUB_OUTPUT`.
    fn step_outputs(&self, step: &Step, scope: &Scope) -> HashMap<String, Taint> {
        let mut outputs = HashMap::new();
        for port in ports_used_by(self.outputs, step) {
            outputs.insert(
                port.name.clone(),
                Taint {
                    path: String::new(),
                    origin: format!("the `{}` output of `{}`", port.name, port.action),
                },
            );
        }
        let Some(run) = &step.run else {
            return outputs;
        };
        let lines: Vec<&str> = run.value.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("GITHUB_OUTPUT") {
                continue;
            }
            let Some((name, rest, delimiter)) = output_assignment(line) else {
                continue;
            };
            // `NAME<<EOF`: the value is on the lines up to the delimiter.
            let mut value = rest.to_owned();
            if let Some(delimiter) = delimiter {
                for next in &lines[i + 1..] {
                    if next.contains(&delimiter) {
                        break;
                    }
                    value.push('\n');
                    value.push_str(next);
                }
            }
            let taint = self
                .value(&value, scope)
                .or_else(|| shell_variables(&value).find_map(|v| scope.env(v).cloned()));
            if let Some(taint) = taint {
                outputs.insert(name.to_ascii_lowercase(), taint);
            }
        }
        outputs
    }

    /// Calls `visit` with every step of `file` and what the contexts hold at that step.
    pub fn each_step<'f>(
        &self,
        file: &'f GithubFile,
        mut visit: impl FnMut(&'f str, &'f Step, &Scope),
    ) {
        match file {
            GithubFile::Action(action) => {
                let mut scope = Scope::default();
                for step in &action.steps {
                    self.visit_step(step, &mut scope, |_, scope| visit("runs", step, scope));
                }
            }
            GithubFile::Workflow(workflow) => {
                let base = Scope::default();
                let top = self.env_layer(workflow.env.as_ref(), &base);
                // Job outputs flow through `needs`, in any order of the file: repeat until
                // nothing changes (a job can only gain outputs, so this ends).
                let mut jobs: HashMap<String, HashMap<String, Taint>> = HashMap::new();
                for _ in 0..=workflow.jobs.len() {
                    let mut changed = false;
                    for job in &workflow.jobs {
                        let scope = self.job_scope(&top, &job.env, &jobs);
                        let mut scope = scope;
                        for step in &job.steps {
                            self.visit_step(step, &mut scope, |_, _| {});
                        }
                        let outputs = self.job_outputs(job.outputs.as_ref(), &scope);
                        let known = jobs.entry(job.id.to_ascii_lowercase()).or_default();
                        for (name, taint) in outputs {
                            if let std::collections::hash_map::Entry::Vacant(slot) =
                                known.entry(name)
                            {
                                slot.insert(taint);
                                changed = true;
                            }
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                for job in &workflow.jobs {
                    let mut scope = self.job_scope(&top, &job.env, &jobs);
                    for step in &job.steps {
                        self.visit_step(step, &mut scope, |_, scope| {
                            visit(job.id.as_str(), step, scope);
                        });
                    }
                }
            }
        }
    }

    fn job_scope(
        &self,
        top: &HashMap<String, Option<Taint>>,
        env: &Option<Node>,
        jobs: &HashMap<String, HashMap<String, Taint>>,
    ) -> Scope {
        let mut scope = Scope {
            env: vec![top.clone()],
            steps: HashMap::new(),
            jobs: jobs.clone(),
        };
        let layer = self.env_layer(env.as_ref(), &scope);
        scope.env.push(layer);
        scope
    }

    fn job_outputs(&self, node: Option<&Node>, scope: &Scope) -> HashMap<String, Taint> {
        let mut outputs = HashMap::new();
        for entry in node.and_then(Node::as_map).unwrap_or_default() {
            let Some(name) = entry.key_str() else {
                continue;
            };
            if let Some(taint) = entry.value.as_str().and_then(|v| self.value(v, scope)) {
                outputs.insert(name.to_ascii_lowercase(), taint);
            }
        }
        outputs
    }

    /// Visits one step with its own `env` in scope, then records its outputs for the next.
    fn visit_step(&self, step: &Step, scope: &mut Scope, visit: impl FnOnce(&Step, &Scope)) {
        let layer = self.env_layer(step.env.as_ref(), scope);
        scope.env.push(layer);
        visit(step, scope);
        let outputs = self.step_outputs(step, scope);
        scope.env.pop();
        if let Some(id) = &step.id {
            if !outputs.is_empty() {
                scope.steps.insert(id.value.to_ascii_lowercase(), outputs);
            }
        }
    }
}

/// `NAME=rest` or `NAME<<DELIM` at the start of what a `$GITHUB_OUTPUT` line echoes: the name,
/// the rest of the line after `=`, and the heredoc delimiter.
fn output_assignment(line: &str) -> Option<(&str, &str, Option<String>)> {
    let trimmed = line.trim_start();
    let after = ["echo ", "printf ", "echo\t"]
        .iter()
        .find_map(|cmd| trimmed.find(cmd).map(|at| &trimmed[at + cmd.len()..]))?;
    let mut rest = after.trim_start();
    while let Some(flag) = rest.strip_prefix('-') {
        rest = flag.split_once(' ').map_or("", |(_, r)| r).trim_start();
    }
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() {
        return None;
    }
    let tail = &rest[end..];
    if let Some(value) = tail.strip_prefix('=') {
        return Some((name, value, None));
    }
    let delimiter = tail.strip_prefix("<<")?;
    let delimiter: String = delimiter
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!delimiter.is_empty()).then_some((name, "", Some(delimiter)))
}

/// The shell variables `$NAME` and `${NAME}` of a script fragment.
pub fn shell_variables(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() {
            if bytes[i] == b'$' {
                let braced = bytes.get(i + 1) == Some(&b'{');
                let start = i + 1 + usize::from(braced);
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                {
                    end += 1;
                }
                i = end.max(i + 1);
                if end > start && !bytes[start].is_ascii_digit() {
                    return Some(&text[start..end]);
                }
            } else {
                i += 1;
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_used_by_agrees_with_used_by_for_each_entry() {
        let workflow =
            "on: push\njobs:\n  a:\n    steps:\n      - uses: Actions/GitHub-Script@v7\n      \
                        - uses: mikefarah/yq/@v4\n      - uses: ./actions/github-script\n      \
                        - uses: docker://actions/github-script\n      - run: x\n      \
                        - uses: actions/github-script/sub@v1\n";
        let workflow = crate::ci::github::parse_workflow(workflow).unwrap();
        let data = parse_data(DATA_TOML);
        let mut matched = 0;
        for step in &workflow.jobs[0].steps {
            let each: Vec<&ActionPort> = data.sinks.iter().filter(|p| p.used_by(step)).collect();
            let once: Vec<&ActionPort> = ports_used_by(&data.sinks, step).collect();
            assert_eq!(each, once, "{:?}", step.uses);
            matched += once.len();
        }
        assert!(matched >= 2, "github-script and yq are sinks");
    }

    #[test]
    fn the_data_file_parses_and_has_the_known_sinks() {
        let data = parse_data(DATA_TOML);
        assert!(data.sinks.len() >= 25);
        assert!(data
            .sinks
            .contains(&ActionPort::parse("mikefarah/yq:cmd").unwrap()));
        assert!(!data.sources.is_empty() && !data.pull_request_heads.is_empty());
        assert!(ActionPort::parse("yq:cmd").is_err());
        assert!(ActionPort::parse("a/b").is_err());
    }

    #[test]
    fn output_lines_and_shell_variables() {
        assert_eq!(
            output_assignment("echo \"title=$T\" >> \"$GITHUB_OUTPUT\""),
            Some(("title", "$T\" >> \"$GITHUB_OUTPUT\"", None))
        );
        assert_eq!(
            output_assignment("echo 'body<<EOF' >> $GITHUB_OUTPUT"),
            Some(("body", "", Some("EOF".to_owned())))
        );
        assert_eq!(output_assignment("cat x >> $GITHUB_OUTPUT"), None);
        let vars: Vec<&str> = shell_variables("a $X ${Y_1} $1 $").collect();
        assert_eq!(vars, ["X", "Y_1"]);
    }
}
