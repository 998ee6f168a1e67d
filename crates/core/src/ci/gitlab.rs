//! GitLab CI: `.gitlab-ci.yml` and the local files it includes, as one pipeline model with a
//! span (and a file) for every value.
//!
//! [`Pipeline::load`] reads the root file, applies `<<` merge keys (GitLab supports them:
//! `<<: *x` and `<<: [*a, *b]`, keys written in the mapping win, and of several merged
//! mappings the first wins), then follows `include:` entries that name files of the same
//! repository (`include: 'path'`, `include: { local: path }`, lists of either, wildcards),
//! depth-first, at most [`MAX_INCLUDE_DEPTH`] deep and [`MAX_INCLUDES`] files in all. A file
//! included twice is read once; an include cycle is a [`Problem`].

use std::collections::HashSet;

use crate::doc::{parse, Entry, Format, Node, ParseError, Value};
use crate::glob::Glob;
use crate::span::Span;

use super::{a_kind, Scalar, Text};

/// How deep local includes are followed (GitLab's own limit is 100).
pub const MAX_INCLUDE_DEPTH: usize = 100;

/// How many files a pipeline may include in all (GitLab's own limit is 150).
pub const MAX_INCLUDES: usize = 150;

/// The names of the root file GitLab reads by default.
pub const ROOT_FILES: &[&str] = &[".gitlab-ci.yml", ".gitlab-ci.yaml"];

/// Top-level keys that are not jobs.
pub const GLOBAL_KEYWORDS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// The stages a pipeline has when it does not declare `stages`.
pub const DEFAULT_STAGES: &[&str] = &[".pre", "build", "test", "deploy", ".post"];

/// One file of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// Repository-relative path.
    pub path: String,
    /// The text.
    pub text: Text,
    /// The document, merge keys applied (a null node when it did not parse).
    pub root: Node,
}

/// Something wrong with a pipeline's files: a syntax error, a missing local include, a cycle,
/// a value of a type GitLab rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem.
    pub kind: ProblemKind,
    /// The file it is in.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// The kinds of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The file is not valid YAML.
    Syntax,
    /// An include cannot be followed: a missing or unreadable file, a cycle, a limit.
    Include,
    /// A value of a type GitLab rejects: `stages` that is not a list, a job that is not a
    /// mapping, a `script` that is not a string or a list, a `<<` merge of a scalar.
    Structure,
}

/// An `include:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// Index in [`Pipeline::files`] of the file that has it.
    pub file: usize,
    /// The entry (a string, or a mapping).
    pub span: Span,
    /// What it includes.
    pub kind: IncludeKind,
}

/// What an include names.
#[derive(Debug, Clone, PartialEq)]
pub enum IncludeKind {
    /// A file of the same repository (possibly a glob).
    Local {
        /// The path as written.
        path: Scalar,
    },
    /// Files of another project at a ref.
    Project {
        /// `project`.
        project: Scalar,
        /// `ref`, when given (the project's default branch otherwise).
        git_ref: Option<Scalar>,
        /// `file`: one or several paths.
        files: Vec<Scalar>,
    },
    /// A URL.
    Remote {
        /// `remote`.
        url: Scalar,
    },
    /// One of GitLab's own templates.
    Template {
        /// `template`.
        name: Scalar,
    },
    /// A CI/CD component, `host/path/name@version`.
    Component {
        /// `component`.
        reference: Scalar,
    },
    /// A mapping with none of those keys.
    Unknown,
}

/// Where an image is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRole {
    /// `image`.
    Image,
    /// An entry of `services`.
    Service,
}

/// An `image:` or `services:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageUse {
    /// Index in [`Pipeline::files`].
    pub file: usize,
    /// The job name, `default`, or `(top level)`.
    pub owner: String,
    /// Image or service.
    pub role: ImageRole,
    /// The image reference (the string, or `name` of the mapping form).
    pub name: Scalar,
}

/// A job (hidden jobs, whose name starts with `.`, included).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Index in [`Pipeline::files`].
    pub file: usize,
    /// The name.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// A hidden job (a template for `extends`): its name starts with `.`.
    pub hidden: bool,
    /// The job's mapping (merge keys applied).
    pub node: Node,
    /// `extends`: the jobs it inherits from, in order.
    pub extends: Vec<String>,
}

/// `stages`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    /// Index in [`Pipeline::files`].
    pub file: usize,
    /// The `stages` key.
    pub key: Span,
    /// The stages, in order.
    pub names: Vec<Scalar>,
}

/// A GitLab pipeline: the root file and its local includes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pipeline {
    /// The files, the root first, then includes in the order they were read.
    pub files: Vec<File>,
    /// Every include entry of every file.
    pub includes: Vec<Include>,
    /// Every job of every file, in order.
    pub jobs: Vec<Job>,
    /// Every image and service, in jobs, `default` and at the top level.
    pub images: Vec<ImageUse>,
    /// `stages`, from the last file that declares it.
    pub stages: Option<Stages>,
    /// Syntax errors, missing includes, cycles and wrongly-typed values.
    pub problems: Vec<Problem>,
}

/// How [`Pipeline::load`] reads files of the repository.
pub trait Files {
    /// The text of a file: `None` when there is no such file, `Some(Err(why))` when it cannot
    /// be read.
    fn text(&self, path: &str) -> Option<Result<String, String>>;
    /// Every path of the repository, sorted (for wildcard includes).
    fn paths(&self) -> Vec<&str>;
}

impl Pipeline {
    /// Loads the pipeline whose root file is `root`.
    pub fn load(root: &str, files: &dyn Files) -> Pipeline {
        let mut loader = Loader {
            files,
            pipeline: Pipeline::default(),
            seen: HashSet::new(),
            chain: Vec::new(),
        };
        loader.load(root, None, 0);
        loader.pipeline
    }

    /// The job named `name` (the last definition when several files define it).
    pub fn job(&self, name: &str) -> Option<&Job> {
        self.jobs.iter().rev().find(|j| j.name == name)
    }

    /// The value of `key` for `job`: its own, else inherited through `extends` (later parents
    /// win over earlier ones), at most 11 levels deep as in GitLab.
    pub fn lookup<'a>(&'a self, job: &'a Job, key: &str) -> Option<(&'a Job, &'a Node)> {
        self.lookup_at(job, key, 0)
    }

    fn lookup_at<'a>(
        &'a self,
        job: &'a Job,
        key: &str,
        depth: usize,
    ) -> Option<(&'a Job, &'a Node)> {
        if let Some(value) = job.node.get(key) {
            return Some((job, value));
        }
        if depth >= 11 {
            return None;
        }
        job.extends
            .iter()
            .rev()
            .filter_map(|parent| self.job(parent))
            .filter(|parent| !std::ptr::eq(*parent, job))
            .find_map(|parent| self.lookup_at(parent, key, depth + 1))
    }

    /// The job's stage: its own or inherited, else GitLab's default `test`.
    pub fn stage(&self, job: &Job) -> String {
        self.lookup(job, "stage")
            .and_then(|(_, n)| Scalar::from_node(n))
            .map_or_else(|| "test".to_owned(), |s| s.value)
    }

    /// The lines of the job's `script` (own or inherited), nested lists flattened, with the
    /// file they are in.
    pub fn script(&self, job: &Job) -> Vec<(usize, Scalar)> {
        let Some((owner, node)) = self.lookup(job, "script") else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        flatten_strings(node, 0, &mut |s| lines.push((owner.file, s)));
        lines
    }

    /// The pipeline's stages: declared, or GitLab's defaults.
    pub fn stage_names(&self) -> Vec<String> {
        match &self.stages {
            Some(stages) => stages.names.iter().map(|s| s.value.clone()).collect(),
            None => DEFAULT_STAGES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

fn flatten_strings(node: &Node, depth: usize, out: &mut dyn FnMut(Scalar)) {
    match &node.value {
        Value::Seq(items) if depth < 10 => {
            for item in items {
                flatten_strings(item, depth + 1, out);
            }
        }
        _ => {
            if let Some(s) = Scalar::from_node(node) {
                out(s);
            }
        }
    }
}

struct Loader<'f> {
    files: &'f dyn Files,
    pipeline: Pipeline,
    seen: HashSet<String>,
    /// The files being loaded, outermost first (for cycles).
    chain: Vec<String>,
}

impl Loader<'_> {
    /// Loads `path`, included from `from` (file index and the include's span).
    fn load(&mut self, path: &str, from: Option<(usize, Span)>, depth: usize) {
        let problem = |this: &mut Self, message: String| {
            // At the include that names the file, or at the start of the root file.
            let (path, span) = match from {
                Some((file, span)) => (this.pipeline.files[file].path.clone(), span),
                None => (path.to_owned(), Text::new("").span(0, 0)),
            };
            this.pipeline.problems.push(Problem {
                kind: ProblemKind::Include,
                path,
                message,
                span,
            });
        };
        if self.chain.iter().any(|p| p == path) {
            let cycle = format!("{} → {path}", self.chain.join(" → "));
            problem(self, format!("include cycle: {cycle}"));
            return;
        }
        if !self.seen.insert(path.to_owned()) {
            return;
        }
        if depth > MAX_INCLUDE_DEPTH {
            problem(
                self,
                format!(
                    "includes nested deeper than {MAX_INCLUDE_DEPTH} levels: `{path}` is not read"
                ),
            );
            return;
        }
        if self.pipeline.files.len() >= MAX_INCLUDES {
            problem(
                self,
                format!("more than {MAX_INCLUDES} included files: `{path}` is not read"),
            );
            return;
        }
        let text = match self.files.text(path) {
            Some(Ok(text)) => text,
            Some(Err(why)) => {
                let what = if from.is_some() {
                    "included file"
                } else {
                    "pipeline file"
                };
                problem(self, format!("{what} `{path}` cannot be read: {why}"));
                return;
            }
            None => {
                problem(self, format!("included file `{path}` does not exist"));
                return;
            }
        };
        let index = self.pipeline.files.len();
        let text = Text::new(text);
        let root = match document(&text.text) {
            Ok(root) => {
                for node in merges_of_scalars(&root) {
                    self.pipeline.problems.push(Problem {
                        kind: ProblemKind::Structure,
                        path: path.to_owned(),
                        message: format!(
                            "`<<` must merge a mapping or a list of mappings, found {}",
                            a_kind(node)
                        ),
                        span: node.span,
                    });
                }
                apply_merge_keys(root, 0)
            }
            Err(error) => {
                self.pipeline.problems.push(Problem {
                    kind: ProblemKind::Syntax,
                    path: path.to_owned(),
                    message: error.message,
                    span: error.span,
                });
                Node::new(Value::Null, text.span(0, 0))
            }
        };
        self.pipeline.files.push(File {
            path: path.to_owned(),
            text,
            root: root.clone(),
        });
        self.model(index, &root);
        self.chain.push(path.to_owned());
        let locals: Vec<(Scalar, Span)> = self
            .pipeline
            .includes
            .iter()
            .filter(|i| i.file == index)
            .filter_map(|i| match &i.kind {
                IncludeKind::Local { path } => Some((path.clone(), i.span)),
                _ => None,
            })
            .collect();
        for (local, span) in locals {
            let wanted = local.value.trim().trim_start_matches('/').to_owned();
            if wanted.contains('*') {
                let Ok(glob) = Glob::new(&wanted) else {
                    continue;
                };
                let matched: Vec<String> = self
                    .files
                    .paths()
                    .into_iter()
                    .filter(|p| glob.is_match(p) && (p.ends_with(".yml") || p.ends_with(".yaml")))
                    .map(str::to_owned)
                    .collect();
                for p in matched {
                    self.load(&p, Some((index, span)), depth + 1);
                }
            } else {
                self.load(&wanted, Some((index, local.span)), depth + 1);
            }
        }
        self.chain.pop();
    }

    fn model(&mut self, file: usize, root: &Node) {
        let Some(entries) = root.as_map() else {
            return;
        };
        for entry in entries {
            let Some(key) = entry.key_str() else { continue };
            match key {
                "include" => self.includes(file, &entry.value),
                "stages" => {
                    if !matches!(entry.value.value, Value::Seq(_) | Value::Null) {
                        self.structure(
                            file,
                            &entry.value,
                            format!(
                                "`stages` must be a list of stage names, found {}",
                                a_kind(&entry.value)
                            ),
                        );
                    }
                    let names = entry
                        .value
                        .as_seq()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(Scalar::from_node)
                        .collect();
                    self.pipeline.stages = Some(Stages {
                        file,
                        key: entry.key.span,
                        names,
                    });
                }
                "default" => self.images(file, "default", &entry.value),
                "image" | "services" => {
                    // Deprecated top-level image and services.
                    self.image_entry(file, "(top level)", entry);
                }
                k if GLOBAL_KEYWORDS.contains(&k) => {}
                name => {
                    if entry.value.as_map().is_none() {
                        // GitLab reads every other top-level key as a job, and rejects one
                        // that is not a mapping; hidden keys (`.x`) are not validated.
                        if !name.starts_with('.') && !entry.value.is_null() {
                            self.structure(
                                file,
                                &entry.value,
                                format!(
                                    "job `{name}` must be a mapping of job keywords, found {}",
                                    a_kind(&entry.value)
                                ),
                            );
                        }
                        continue;
                    }
                    if !name.starts_with('.') {
                        for keyword in ["script", "before_script", "after_script"] {
                            let Some(value) = entry.value.get(keyword) else {
                                continue;
                            };
                            if !matches!(
                                value.value,
                                Value::String(_) | Value::Seq(_) | Value::Null
                            ) {
                                self.structure(
                                    file,
                                    value,
                                    format!(
                                        "`{keyword}` of job `{name}` must be a string or a list \
                                         of strings, found {}",
                                        a_kind(value)
                                    ),
                                );
                            }
                        }
                    }
                    self.images(file, &format!("job `{name}`"), &entry.value);
                    let extends = match entry.value.get("extends") {
                        Some(n) => match &n.value {
                            Value::Seq(items) => items
                                .iter()
                                .filter_map(|i| i.as_str().map(str::to_owned))
                                .collect(),
                            _ => n.as_str().map(str::to_owned).into_iter().collect(),
                        },
                        None => Vec::new(),
                    };
                    self.pipeline.jobs.push(Job {
                        file,
                        name: name.to_owned(),
                        name_span: entry.key.span,
                        hidden: name.starts_with('.'),
                        node: entry.value.clone(),
                        extends,
                    });
                }
            }
        }
    }

    fn structure(&mut self, file: usize, node: &Node, message: String) {
        let path = self.pipeline.files[file].path.clone();
        self.pipeline.problems.push(Problem {
            kind: ProblemKind::Structure,
            path,
            message,
            span: node.span,
        });
    }

    fn images(&mut self, file: usize, owner: &str, node: &Node) {
        for entry in node.as_map().unwrap_or_default() {
            if matches!(entry.key_str(), Some("image" | "services")) {
                self.image_entry(file, owner, entry);
            }
        }
    }

    fn image_entry(&mut self, file: usize, owner: &str, entry: &Entry) {
        let name_of = |node: &Node| match node.as_map() {
            Some(_) => Scalar::from_opt(node.get("name")),
            None => Scalar::from_node(node),
        };
        let mut push = |role, name: Option<Scalar>| {
            if let Some(name) = name {
                self.pipeline.images.push(ImageUse {
                    file,
                    owner: owner.to_owned(),
                    role,
                    name,
                });
            }
        };
        match entry.key_str() {
            Some("image") => push(ImageRole::Image, name_of(&entry.value)),
            Some("services") => {
                for service in entry.value.as_seq().unwrap_or_default() {
                    push(ImageRole::Service, name_of(service));
                }
            }
            _ => {}
        }
    }

    fn includes(&mut self, file: usize, node: &Node) {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        for item in items {
            let kind = match &item.value {
                Value::String(s) => {
                    let scalar = Scalar {
                        value: s.clone(),
                        span: item.span,
                    };
                    if s.starts_with("https://") || s.starts_with("http://") {
                        IncludeKind::Remote { url: scalar }
                    } else {
                        IncludeKind::Local { path: scalar }
                    }
                }
                Value::Map(_) => include_map(item),
                _ => continue,
            };
            self.pipeline.includes.push(Include {
                file,
                span: item.span,
                kind,
            });
        }
    }
}

fn include_map(item: &Node) -> IncludeKind {
    let get = |key| Scalar::from_opt(item.get(key));
    if let Some(path) = get("local") {
        IncludeKind::Local { path }
    } else if let Some(project) = get("project") {
        let files = match item.get("file") {
            Some(n) if n.as_seq().is_some() => n
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(Scalar::from_node)
                .collect(),
            other => Scalar::from_opt(other).into_iter().collect(),
        };
        IncludeKind::Project {
            project,
            git_ref: get("ref"),
            files,
        }
    } else if let Some(url) = get("remote") {
        IncludeKind::Remote { url }
    } else if let Some(name) = get("template") {
        IncludeKind::Template { name }
    } else if let Some(reference) = get("component") {
        IncludeKind::Component { reference }
    } else {
        IncludeKind::Unknown
    }
}

/// The pipeline document of a file: the only one, or the second when the first is a
/// component's `spec:` header.
fn document(text: &str) -> Result<Node, ParseError> {
    let documents = parse(Format::Yaml, text)?;
    let has_header = documents.len() > 1 && documents[0].get("spec").is_some();
    let mut documents = documents.into_iter();
    let first = if has_header {
        documents.nth(1)
    } else {
        documents.next()
    };
    Ok(first.unwrap_or_else(|| Node::new(Value::Null, Text::new(text).span(0, 0))))
}

/// The values of `<<` merge keys that are not a mapping (nor a list of mappings), and the
/// elements of a merged list that are not mappings, in document order.
fn merges_of_scalars(node: &Node) -> Vec<&Node> {
    let mut found = Vec::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    if entry.key_str() == Some("<<") {
                        match &entry.value.value {
                            Value::Map(_) => {}
                            Value::Seq(items) => {
                                found.extend(items.iter().filter(|i| i.as_map().is_none()));
                            }
                            _ => found.push(&entry.value),
                        }
                    }
                }
                stack.extend(entries.iter().map(|e| &e.value));
            }
            Value::Seq(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    found.sort_by_key(|n| n.span.start_byte);
    found.dedup_by_key(|n| n.span.start_byte);
    found
}

/// Applies `<<` merge keys in every mapping of `node`: the entries of the merged mapping (or
/// of each mapping of a merged sequence, the first winning) are added where the mapping does
/// not write the key itself. Entries keep their own spans (where the anchor defined them).
pub fn apply_merge_keys(node: Node, depth: usize) -> Node {
    let Node { value, span } = node;
    let value = match value {
        Value::Seq(items) if depth < crate::doc::MAX_DEPTH => Value::Seq(
            items
                .into_iter()
                .map(|i| apply_merge_keys(i, depth + 1))
                .collect(),
        ),
        Value::Map(entries) if depth < crate::doc::MAX_DEPTH => {
            let mut own: Vec<Entry> = Vec::with_capacity(entries.len());
            let mut merged: Vec<Entry> = Vec::new();
            for entry in entries {
                if entry.key_str() == Some("<<") {
                    let sources: Vec<Node> = match entry.value.value {
                        Value::Seq(items) => items,
                        other => vec![Node::new(other, entry.value.span)],
                    };
                    for source in sources {
                        if let Value::Map(inner) = apply_merge_keys(source, depth + 1).value {
                            merged.extend(inner);
                        }
                    }
                } else {
                    own.push(Entry {
                        key: entry.key,
                        value: apply_merge_keys(entry.value, depth + 1),
                    });
                }
            }
            // Keys written in the mapping win, then the first merged mapping that has a key.
            let mut keys: HashSet<String> = own
                .iter()
                .filter_map(|e| e.key_str().map(str::to_owned))
                .collect();
            let mut result = own;
            for entry in merged {
                match entry.key_str() {
                    Some(key) if !keys.insert(key.to_owned()) => {}
                    _ => result.push(entry),
                }
            }
            Value::Map(result)
        }
        other => other,
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Memory(BTreeMap<&'static str, &'static str>);

    impl Files for Memory {
        fn text(&self, path: &str) -> Option<Result<String, String>> {
            self.0.get(path).map(|t| Ok((*t).to_owned()))
        }
        fn paths(&self) -> Vec<&str> {
            self.0.keys().copied().collect()
        }
    }

    fn load(files: &[(&'static str, &'static str)]) -> Pipeline {
        Pipeline::load(".gitlab-ci.yml", &Memory(files.iter().copied().collect()))
    }

    /// Every file but `.gitlab-ci.yml` fails to read, or all of them do.
    struct Unreadable(bool);

    impl Files for Unreadable {
        fn text(&self, path: &str) -> Option<Result<String, String>> {
            if path == ".gitlab-ci.yml" && !self.0 {
                return Some(Ok("include: ci/a.yml\n".to_owned()));
            }
            Some(Err("not valid UTF-8 text".to_owned()))
        }
        fn paths(&self) -> Vec<&str> {
            vec![".gitlab-ci.yml", "ci/a.yml"]
        }
    }

    #[test]
    fn unreadable_files_are_problems_naming_their_role() {
        let messages = |p: Pipeline| -> Vec<(String, String)> {
            p.problems
                .into_iter()
                .map(|p| (p.path, p.message))
                .collect()
        };
        assert_eq!(
            messages(Pipeline::load(".gitlab-ci.yml", &Unreadable(true))),
            [(
                ".gitlab-ci.yml".to_owned(),
                "pipeline file `.gitlab-ci.yml` cannot be read: not valid UTF-8 text".to_owned()
            )]
        );
        assert_eq!(
            messages(Pipeline::load(".gitlab-ci.yml", &Unreadable(false))),
            [(
                ".gitlab-ci.yml".to_owned(),
                "included file `ci/a.yml` cannot be read: not valid UTF-8 text".to_owned()
            )]
        );
    }

    #[test]
    fn merge_keys_merge_with_explicit_keys_winning() {
        let p = load(&[(
            ".gitlab-ci.yml",
            ".base: &base\n  image: ruby:3\n  stage: build\n.other: &other\n  stage: lint\n  \
             tags: [x]\njob:\n  <<: [*base, *other]\n  stage: test\n  script: [rake]\n",
        )]);
        let job = p.job("job").unwrap();
        assert_eq!(p.stage(job), "test");
        assert_eq!(job.node.get("image").and_then(Node::as_str), Some("ruby:3"));
        assert!(job.node.get("tags").is_some());
        assert!(job.node.get("<<").is_none());
        // The merged image keeps the anchor's position, and is reported for both jobs.
        let images: Vec<(&str, u32)> = p
            .images
            .iter()
            .map(|i| (i.owner.as_str(), i.name.span.line))
            .collect();
        assert_eq!(images, [("job `.base`", 2), ("job `job`", 2)]);
        // The first of several merged mappings wins.
        let p = load(&[(
            ".gitlab-ci.yml",
            "a: &a {stage: one}\nb: &b {stage: two}\nj:\n  <<: [*a, *b]\n",
        )]);
        assert_eq!(p.stage(p.job("j").unwrap()), "one");
    }

    #[test]
    fn follows_local_includes_in_every_form() {
        let p = load(&[
            (
                ".gitlab-ci.yml",
                "include:\n  - local: /ci/a.yml\n  - 'ci/b.yml'\n  - project: g/p\n    ref: v1.2.3\n    \
                 file: [x.yml, y.yml]\n  - remote: https://e.com/x.yml\n  - template: Auto-DevOps.gitlab-ci.yml\n  \
                 - component: gitlab.com/g/c@1.0\n  - local: 'ci/glob/*.yml'\n",
            ),
            ("ci/a.yml", "include: ci/c.yml\na: {script: [x]}\n"),
            ("ci/b.yml", "b: {script: [x]}\n"),
            ("ci/c.yml", "include: {local: .gitlab-ci.yml}\nc: {script: [x]}\n"),
            ("ci/glob/d.yml", "d: {script: [x]}\n"),
            ("ci/glob/e.txt", "not yaml: ["),
        ]);
        let paths: Vec<&str> = p.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".gitlab-ci.yml",
                "ci/a.yml",
                "ci/c.yml",
                "ci/b.yml",
                "ci/glob/d.yml"
            ]
        );
        let jobs: Vec<&str> = p.jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(jobs, ["a", "c", "b", "d"]);
        assert_eq!(p.includes.len(), 9);
        assert!(
            matches!(&p.includes[2].kind, IncludeKind::Project { files, git_ref: Some(r), .. } if files.len() == 2 && r.value == "v1.2.3")
        );
        assert!(matches!(p.includes[3].kind, IncludeKind::Remote { .. }));
        assert!(matches!(p.includes[4].kind, IncludeKind::Template { .. }));
        assert!(matches!(p.includes[5].kind, IncludeKind::Component { .. }));
        // ci/c.yml includes the root again: a cycle, reported where it is written.
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        assert_eq!(p.problems[0].path, "ci/c.yml");
        assert!(p.problems[0].message.contains("cycle"));
    }

    #[test]
    fn missing_includes_and_syntax_errors_are_problems() {
        let p = load(&[
            (
                ".gitlab-ci.yml",
                "include:\n  - local: nope.yml\n  - bad.yml\n",
            ),
            ("bad.yml", "a: [\n"),
        ]);
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        assert_eq!(
            (p.problems[0].path.as_str(), p.problems[0].span.line),
            (".gitlab-ci.yml", 2)
        );
        assert_eq!(p.problems[1].path, "bad.yml");
    }

    #[test]
    fn extends_and_defaults() {
        let p = load(&[(
            ".gitlab-ci.yml",
            "stages: [build, test]\ndefault:\n  image: alpine:3\n  services: [{name: pg:16}, redis]\n\
             .t:\n  stage: build\n  script:\n    - make\n    - [make test]\nj:\n  extends: .t\n",
        )]);
        let job = p.job("j").unwrap();
        assert_eq!(p.stage(job), "build");
        let script: Vec<String> = p.script(job).into_iter().map(|(_, s)| s.value).collect();
        assert_eq!(script, ["make", "make test"]);
        assert_eq!(p.stage_names(), ["build", "test"]);
        let names: Vec<&str> = p.images.iter().map(|i| i.name.value.as_str()).collect();
        assert_eq!(names, ["alpine:3", "pg:16", "redis"]);
    }
}
