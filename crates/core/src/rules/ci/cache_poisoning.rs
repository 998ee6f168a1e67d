use std::collections::{HashMap, HashSet};

use super::{each_workflow, nth_key};
use crate::ci::ast::{self, Expr, Kind as ExprKind, Op};
use crate::ci::github::{Grant, Job, RemoteRef, Step, Trigger, Uses, Workflow};
use crate::ci::version;
use crate::ci::Text;
use crate::context::Context;
use crate::doc::Node;
use crate::finding::Violation;
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "ci/cache-poisoning",
    summary: "Workflows that publish releases do not restore caches",
    level: Warning,
    tier: Silver,
    scope: PerFile,
    build: build,
    options: [{
        name: "allow",
        kind: "array of globs",
        help: "Cache-aware actions (`owner/repo` or `owner/repo/path`) that are not reported: \
               `[\"my-org/*\"]`. Default: none.",
    }],
    what: "In a workflow that publishes (triggered by `release`, by a `push` of `tags`, or \
           by a `push` to a branch whose name contains `release`; a workflow that also \
           runs on `pull_request`, `pull_request_target` or `merge_group` is a CI workflow \
           and counts only when one of its jobs publishes: a publishing action, or a \
           `run:` with `cargo publish`, `npm publish`, `twine upload`, `uv publish`, \
           `docker push`, `gh release create`, `goreleaser`, `mvn deploy`, ...), or in a \
           job that runs a \
           well-known publishing action (`pypa/gh-action-pypi-publish`, \
           `softprops/action-gh-release`, `goreleaser/goreleaser-action`, \
           `docker/build-push-action` with `push` set, cloud deploy actions, ...), every \
           step of a cache-aware action that restores a cache is reported at its `uses`, \
           in the jobs whose work reaches what is published: the jobs that publish, and \
           those that upload an artifact such a job downloads (by name or pattern). When no \
           job visibly publishes, the jobs that could (a write permission or the default \
           token, a secret other than `GITHUB_TOKEN`, a deployment `environment`) count, \
           and when none could either, every job. A test job of a release workflow that \
           uploads nothing the release downloads is not reported: its cache reaches no \
           release. When every publishing job runs for tags only \
           (`if: startsWith(github.ref, 'refs/tags/')`), a switch written as that \
           expression is read for a tag push. \
           The actions and their switches: `actions/cache` and `actions/cache/restore` \
           (unless `lookup-only: true`), `Swatinem/rust-cache` (unless `lookup-only`), \
           `actions/setup-go`, `actions-rust-lang/setup-rust-toolchain`, `jdx/mise-action`, \
           `mlugg/setup-zig` (`use-cache`), `DeterminateSystems/magic-nix-cache-action` \
           (`use-gha-cache`) and `actions/setup-node` from v5 (`package-manager-cache`; only in npm projects, whose \
           root package.json says `packageManager: npm@…`): on unless switched off; `actions/setup-node` (`cache: npm|yarn|pnpm`), \
           `actions/setup-python`, `actions/setup-java`, `graalvm/setup-graalvm` \
           (`cache:` set), `actions/setup-dotnet` (`cache: true`), `ruby/setup-ruby` \
           (`bundler-cache`), `PyO3/maturin-action` (`sccache`), \
           `docker/setup-buildx-action` (`cache-binary` with `version`): off unless \
           switched on; `astral-sh/setup-uv` (`enable-cache`, on by default before v10: \
           the version comes from the ref or a `# v…` comment after a SHA, and a SHA \
           without one is reported as possibly caching); `oven-sh/setup-bun` (unless \
           `no-cache`), `gradle/actions/setup-gradle` (unless `cache-disabled`), \
           `ramsey/composer-install` (unless `ignore-cache: true|yes|1`); \
           `Mozilla-Actions/sccache-action`, `nix-community/cache-nix-action` and \
           `awalsh128/cache-apt-pkgs-action` always. A switch written as an expression is \
           reported as possibly caching, except in a workflow run only by tags and \
           releases where the expression is `startsWith(github.ref, 'refs/tags/')` or \
           `github.event_name == 'push' && github.ref_type == 'tag'` (or their negation, \
           or `true`/`false`): it is then evaluated for a tag push. Composite actions are \
           not judged (their callers are).",
    why: "GitHub's cache is shared by every workflow run of the repository's default \
          branch and its pull requests' base: a job that runs untrusted code with the \
          cache (a pull request build, a compromised test dependency) can write an entry \
          that the release workflow restores, and the poisoned files end up in the \
          published artifact. A release built from a clean state cannot be poisoned that \
          way.",
    example: "```yaml\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    steps:\n      \
              - uses: actions/setup-go@v5           # reported: caches by default\n      \
              - uses: actions/setup-go@v5           # not reported\n        with: {cache: \
              false}\n```",
    fix: "Switch the cache off in the publishing workflow (`cache: false`, `lookup-only: \
          true`, `enable-cache: false`, ...) or remove the cache step. Build speed matters \
          less for a release than its integrity.",
}

/// How a value switches a cache.
#[derive(Clone, Copy)]
enum Kind {
    /// `true`/`false`; other text counts as true, an expression is unknown.
    Boolean,
    /// Any non-empty value switches.
    Present,
    /// One of these values switches.
    Exact(&'static [&'static str]),
}

/// When an action restores a cache.
enum Control {
    /// Always.
    Always,
    /// By an input: `on_when_set` is whether a matching value turns caching on (an opt-in
    /// switch) or off (an opt-out one); `default` is the result when the input is absent.
    Input {
        name: &'static str,
        kind: Kind,
        on_when_set: bool,
        default: bool,
    },
    /// Caching when any of them caches.
    Any(Vec<Control>),
    /// Caching when all of them cache.
    All(Vec<Control>),
    /// The action's version is below this major version.
    Below(u64),
    /// The action's version is this major version or later.
    AtLeast(u64),
}

fn input(name: &'static str, kind: Kind, on_when_set: bool, default: bool) -> Control {
    Control::Input {
        name,
        kind,
        on_when_set,
        default,
    }
}

/// The cache-aware actions (after zizmor's list of its cache-poisoning audit).
fn cache_actions() -> Vec<(&'static str, Control)> {
    use Kind::{Boolean, Exact, Present};
    vec![
        ("actions/cache", input("lookup-only", Boolean, false, true)),
        (
            "actions/cache/restore",
            input("lookup-only", Boolean, false, true),
        ),
        ("actions/setup-java", input("cache", Present, true, false)),
        ("actions/setup-go", input("cache", Boolean, true, true)),
        (
            "actions/setup-node",
            Control::Any(vec![
                input("cache", Exact(&["npm", "yarn", "pnpm"]), true, false),
                // The input, and its default caching, came with v5.
                Control::All(vec![
                    Control::AtLeast(5),
                    input("package-manager-cache", Boolean, true, true),
                ]),
            ]),
        ),
        ("actions/setup-python", input("cache", Present, true, false)),
        ("actions/setup-dotnet", input("cache", Boolean, true, false)),
        (
            "astral-sh/setup-uv",
            Control::Any(vec![
                input("enable-cache", Exact(&["true"]), true, false),
                Control::All(vec![
                    Control::Below(10),
                    input("enable-cache", Boolean, true, true),
                ]),
            ]),
        ),
        (
            "swatinem/rust-cache",
            input("lookup-only", Boolean, false, true),
        ),
        (
            "ruby/setup-ruby",
            input("bundler-cache", Boolean, true, false),
        ),
        (
            "pyo3/maturin-action",
            input("sccache", Boolean, true, false),
        ),
        ("mlugg/setup-zig", input("use-cache", Boolean, true, true)),
        ("oven-sh/setup-bun", input("no-cache", Boolean, false, true)),
        (
            "determinatesystems/magic-nix-cache-action",
            input("use-gha-cache", Boolean, true, true),
        ),
        (
            "graalvm/setup-graalvm",
            input("cache", Present, true, false),
        ),
        (
            "gradle/actions/setup-gradle",
            input("cache-disabled", Boolean, false, true),
        ),
        (
            "docker/setup-buildx-action",
            Control::All(vec![
                input("cache-binary", Boolean, true, true),
                input("version", Present, true, false),
            ]),
        ),
        (
            "actions-rust-lang/setup-rust-toolchain",
            input("cache", Boolean, true, true),
        ),
        ("mozilla-actions/sccache-action", Control::Always),
        ("nix-community/cache-nix-action", Control::Always),
        ("jdx/mise-action", input("cache", Boolean, true, true)),
        (
            "ramsey/composer-install",
            input("ignore-cache", Exact(&["yes", "true", "1"]), false, true),
        ),
        ("awalsh128/cache-apt-pkgs-action", Control::Always),
    ]
}

/// Well-known publishing actions (after zizmor's list); `docker/build-push-action` publishes
/// only with `push` set (see [`publishes`]).
const PUBLISHERS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
    "docker/build-push-action",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "azure/sql-action",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
];

/// The result of a cache switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    On,
    Off,
    /// Decided at run time (an expression) or by a version the file does not show.
    Maybe,
}

impl Caching {
    fn and(self, other: Caching) -> Caching {
        match (self, other) {
            (Caching::Off, _) | (_, Caching::Off) => Caching::Off,
            (Caching::Maybe, _) | (_, Caching::Maybe) => Caching::Maybe,
            _ => Caching::On,
        }
    }

    fn or(self, other: Caching) -> Caching {
        match (self, other) {
            (Caching::On, _) | (_, Caching::On) => Caching::On,
            (Caching::Maybe, _) | (_, Caching::Maybe) => Caching::Maybe,
            _ => Caching::Off,
        }
    }
}

/// What makes a workflow or job a publishing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReleaseTrigger {
    Tag,
    ReleaseBranch,
    Release,
}

fn release_triggers(on: &[Trigger]) -> Vec<ReleaseTrigger> {
    let mut found = Vec::new();
    for trigger in on {
        match trigger.event.as_str() {
            "release" => found.push(ReleaseTrigger::Release),
            "push" => {
                let Some(config) = &trigger.config else {
                    continue;
                };
                if config.get("tags").is_some() || config.get("tags-ignore").is_some() {
                    found.push(ReleaseTrigger::Tag);
                }
                let release_branch = config
                    .get("branches")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Node::as_str)
                    .any(|b| b.to_ascii_lowercase().contains("release"));
                if release_branch {
                    found.push(ReleaseTrigger::ReleaseBranch);
                }
            }
            _ => {}
        }
    }
    found
}

/// The value of `with.<name>` as text, if the step sets it.
fn with_text(step: &Step, name: &str) -> Option<String> {
    step.with_value(name).map(|s| s.value)
}

fn has_expression(value: &str) -> bool {
    value.contains("${{")
}

/// Whether a step of a publishing action publishes: always, except `docker/build-push-action`
/// which pushes only with `push` true (or an expression) or an `outputs` of
/// `type=registry`/`push=true`.
fn publishes(step: &Step, remote: &RemoteRef) -> bool {
    let name = remote.name().to_ascii_lowercase();
    if !PUBLISHERS.contains(&name.as_str()) {
        return false;
    }
    if name != "docker/build-push-action" {
        return true;
    }
    let push = with_text(step, "push").is_some_and(|v| {
        let v = v.trim();
        v != "false" && !v.is_empty()
    });
    let outputs = with_text(step, "outputs")
        .is_some_and(|v| v.contains("type=registry") || v.contains("push=true"));
    push || outputs
}

/// Commands of `run:` steps that publish a package, an image or a release.
const PUBLISH_COMMANDS: &[&str] = &[
    "cargo publish",
    "npm publish",
    "pnpm publish",
    "yarn publish",
    "yarn npm publish",
    "twine upload",
    "uv publish",
    "poetry publish",
    "flit publish",
    "hatch publish",
    "gem push",
    "dotnet nuget push",
    "nuget push",
    "docker push",
    "podman push",
    "gh release create",
    "gh release upload",
    "goreleaser",
    "mvn deploy",
    "publishtomavencentral",
    "gradlew publish",
    "gradle publish",
];

/// Whether a job publishes: a publishing action, or a `run:` with a publishing command.
fn job_publishes(job: &Job) -> bool {
    job.steps.iter().any(|s| {
        let action = matches!(s.action(), Some(Uses::Remote(r)) if publishes(s, &r));
        let command = s.run.as_ref().is_some_and(|run| {
            let run = run.value.to_ascii_lowercase();
            PUBLISH_COMMANDS.iter().any(|c| run.contains(c))
        });
        action || command
    })
}

/// A switch written as one `${{ }}` expression, evaluated for a tag push: `Some` when its
/// value then is known (see [`for_tag_push`]).
fn tag_push_value(value: &str) -> Option<bool> {
    let inner = value.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    eval_for_tag(inner)
}

fn eval_for_tag(expression: &str) -> Option<bool> {
    for_tag_push(&ast::parse(expression).ok()?)
}

/// The value of an expression in a run triggered by a tag push, when the expression tells:
/// `startsWith(github.ref, 'refs/tags/')`, `github.ref_type == 'tag'` and
/// `github.event_name == 'push'` are true then, and literals, `!`, `&&` and `||` combine them.
/// GitHub compares strings without letter case.
fn for_tag_push(expr: &Expr) -> Option<bool> {
    let is = |e: &Expr, value: &str| e.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value));
    let context = |e: &Expr, path: &str| e.context_path().as_deref() == Some(path);
    match &expr.kind {
        ExprKind::Bool(b) => Some(*b),
        ExprKind::Not(inner) => for_tag_push(inner).map(|v| !v),
        ExprKind::Call(name, args) if name == "startswith" && args.len() == 2 => {
            (context(&args[0], "github.ref") && is(&args[1], "refs/tags/")).then_some(true)
        }
        ExprKind::Binary(left, Op::Eq, right) => {
            let known = |a: &Expr, b: &Expr| {
                (context(a, "github.ref_type") && is(b, "tag"))
                    || (context(a, "github.event_name") && is(b, "push"))
            };
            (known(left, right) || known(right, left)).then_some(true)
        }
        ExprKind::Binary(left, Op::And, right) => match (for_tag_push(left), for_tag_push(right)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        ExprKind::Binary(left, Op::Or, right) => match (for_tag_push(left), for_tag_push(right)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a job's `if:` lets it run only for a tag push: one of the conditions joined by
/// `&&` is `startsWith(github.ref, 'refs/tags/')` or `github.ref_type == 'tag'`.
fn requires_tag(condition: &str) -> bool {
    fn walk(expr: &Expr) -> bool {
        let context = |e: &Expr, path: &str| e.context_path().as_deref() == Some(path);
        let is = |e: &Expr, value: &str| e.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value));
        match &expr.kind {
            ExprKind::Binary(left, Op::And, right) => walk(left) || walk(right),
            ExprKind::Call(name, args) if name == "startswith" && args.len() == 2 => {
                context(&args[0], "github.ref") && is(&args[1], "refs/tags/")
            }
            ExprKind::Binary(left, Op::Eq, right) => {
                (context(left, "github.ref_type") && is(right, "tag"))
                    || (context(right, "github.ref_type") && is(left, "tag"))
            }
            _ => false,
        }
    }
    ast::parse_condition(condition).is_some_and(|e| walk(&e))
}

/// How a step's control evaluates, and the input that decided it (for the message).
struct Evaluation {
    caching: Caching,
    reason: String,
}

fn evaluate(
    control: &Control,
    step: &Step,
    text: &Text,
    remote: &RemoteRef,
    tag_only: bool,
) -> Evaluation {
    match control {
        Control::Always => Evaluation {
            caching: Caching::On,
            reason: "always restores a cache".to_owned(),
        },
        Control::Below(major) | Control::AtLeast(major) => {
            let below = matches!(control, Control::Below(_));
            let version = step
                .uses
                .as_ref()
                .and_then(|u| version::of_uses(text, u, remote));
            let (when, unknown) = if below {
                (
                    format!("before v{major}"),
                    format!("it does before v{major}"),
                )
            } else {
                (format!("from v{major}"), format!("it does from v{major}"))
            };
            match version {
                Some((v, _)) if v.parts[0].is_some_and(|m| (m < *major) == below) => Evaluation {
                    caching: Caching::On,
                    reason: format!("caches by default {when}"),
                },
                Some(_) => Evaluation {
                    caching: Caching::Off,
                    reason: String::new(),
                },
                None => Evaluation {
                    caching: Caching::Maybe,
                    reason: format!(
                        "may cache by default ({unknown}, and the version is not written)"
                    ),
                },
            }
        }
        Control::Input {
            name,
            kind,
            on_when_set,
            default,
        } => {
            let Some(value) = with_text(step, name) else {
                let caching = if *default { Caching::On } else { Caching::Off };
                return Evaluation {
                    caching,
                    reason: format!("caches by default (no `{name}`)"),
                };
            };
            let value = value.trim().to_owned();
            let matched = match kind {
                Kind::Boolean => match value.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    v if has_expression(v) => None,
                    _ => Some(true),
                },
                Kind::Present => Some(!value.is_empty()),
                Kind::Exact(items) => {
                    if has_expression(&value) {
                        None
                    } else {
                        Some(items.contains(&value.as_str()))
                    }
                }
            };
            let matched = match matched {
                Some(m) => Some(m),
                // A workflow run only by tags and releases: some expressions have a known value
                // (`true` or `false`, whatever values the input accepts besides).
                None if tag_only => tag_push_value(&value).map(|b| match kind {
                    Kind::Boolean => b,
                    Kind::Exact(items) => items.contains(&if b { "true" } else { "false" }),
                    Kind::Present => true,
                }),
                None => None,
            };
            match matched {
                None => Evaluation {
                    caching: Caching::Maybe,
                    reason: format!("may cache: `{name}` is an expression"),
                },
                Some(m) => {
                    let on = m == *on_when_set;
                    Evaluation {
                        caching: if on { Caching::On } else { Caching::Off },
                        reason: format!("caches (`{name}: {value}`)"),
                    }
                }
            }
        }
        Control::Any(controls) | Control::All(controls) => {
            let any = matches!(control, Control::Any(_));
            let mut result: Option<Evaluation> = None;
            for c in controls {
                let next = evaluate(c, step, text, remote, tag_only);
                result = Some(match result {
                    None => next,
                    Some(acc) => {
                        let caching = if any {
                            acc.caching.or(next.caching)
                        } else {
                            acc.caching.and(next.caching)
                        };
                        // The reason of the part that decided.
                        let reason = if caching == next.caching && caching != acc.caching {
                            next.reason
                        } else if caching == acc.caching {
                            acc.reason
                        } else {
                            next.reason
                        };
                        Evaluation { caching, reason }
                    }
                });
            }
            result.unwrap_or(Evaluation {
                caching: Caching::Off,
                reason: String::new(),
            })
        }
    }
}

struct CachePoisoning {
    actions: Vec<(&'static str, Control)>,
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(CachePoisoning {
        actions: cache_actions(),
        allow: params.take_globs("allow")?.unwrap_or_default(),
    }))
}

/// The jobs of a publishing workflow whose cache use can reach what is published: the jobs
/// that publish, and the jobs that upload an artifact such a job (or another reaching job)
/// downloads. Which jobs publish: those that visibly do ([`job_publishes`]); when none does,
/// those that could (a write permission, `write-all` or no permissions at all, a secret other
/// than `GITHUB_TOKEN`, or a deployment `environment`); when none could either, every job (the
/// workflow publishes somehow, and nothing tells which job does). A test job of a release
/// workflow that uploads nothing the release downloads is not one of them: its cache reaches
/// no release.
fn reaching_jobs(workflow: &Workflow) -> HashSet<&str> {
    fn ids(jobs: Vec<&Job>) -> HashSet<&str> {
        jobs.into_iter().map(|j| j.id.as_str()).collect()
    }
    let publishing: Vec<&Job> = workflow.jobs.iter().filter(|j| job_publishes(j)).collect();
    let may: Vec<&Job> = workflow
        .jobs
        .iter()
        .filter(|j| may_publish(workflow, j))
        .collect();
    let mut reaching = if !publishing.is_empty() {
        ids(publishing)
    } else if !may.is_empty() {
        ids(may)
    } else {
        return ids(workflow.jobs.iter().collect());
    };
    loop {
        let downloads: Vec<Option<String>> = workflow
            .jobs
            .iter()
            .filter(|j| reaching.contains(j.id.as_str()))
            .flat_map(|j| artifacts(j, "actions/download-artifact", &["name", "pattern"]))
            .collect();
        let before = reaching.len();
        for job in &workflow.jobs {
            if reaching.contains(job.id.as_str()) {
                continue;
            }
            let uploads = artifacts(job, "actions/upload-artifact", &["name"]);
            let feeds = uploads.iter().any(|upload| {
                downloads
                    .iter()
                    .any(|download| may_match(download.as_deref(), upload.as_deref()))
            });
            if feeds {
                reaching.insert(job.id.as_str());
            }
        }
        if reaching.len() == before {
            return reaching;
        }
    }
}

/// Whether a job could publish although it runs no known publishing step: it may write
/// (a write scope, `write-all`, or no `permissions` at either level, which leaves the
/// repository's default), it reads a secret other than the token, or it deploys to an
/// `environment` (whose secrets only its jobs see).
fn may_publish(workflow: &Workflow, job: &Job) -> bool {
    let permissions = job.permissions.as_ref().or(workflow.permissions.as_ref());
    let writes = permissions.is_none_or(|p| match &p.grant {
        Grant::WriteAll | Grant::Other(_) => true,
        Grant::ReadAll => false,
        Grant::Scopes(_) => !p.writes().is_empty(),
    });
    let text = &workflow.text.text;
    let body = text
        .get(job.span.start_byte..job.span.end_byte)
        .unwrap_or("");
    let secrets = body
        .match_indices("secrets.")
        .any(|(at, _)| !body[at + "secrets.".len()..].starts_with("GITHUB_TOKEN"));
    let environment = workflow
        .job_node(job)
        .is_some_and(|n| n.get("environment").is_some());
    writes || secrets || environment
}

/// The artifact names (or name patterns) of a job's steps using `action`, from the first of
/// `keys` that is set: `None` for a step that names none (all artifacts, or `artifact`).
fn artifacts(job: &Job, action: &str, keys: &[&str]) -> Vec<Option<String>> {
    job.steps
        .iter()
        .filter(|s| s.uses_action(action))
        .map(|s| keys.iter().find_map(|k| s.with_value(k)).map(|v| v.value))
        .collect()
}

/// Whether a download (a name or glob pattern; `None` downloads every artifact) may fetch an
/// upload (a name; `None` is `artifact`). Expressions (`${{ matrix.os }}`) and `*` match
/// anything, so the literal text before the first of them must agree.
fn may_match(download: Option<&str>, upload: Option<&str>) -> bool {
    let Some(download) = download else {
        return true;
    };
    let upload = upload.unwrap_or("artifact");
    let literal = |text: &str| -> String {
        let cut = [
            text.find("${{"),
            text.find('*'),
            text.find('?'),
            text.find('['),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
        text[..cut].trim().to_owned()
    };
    let (d, u) = (literal(download), literal(upload));
    let wild = |text: &str| literal(text).len() < text.trim().len();
    match (wild(download), wild(upload)) {
        (false, false) => d == u,
        (true, false) => u.starts_with(&d),
        (false, true) => d.starts_with(&u),
        (true, true) => d.starts_with(&u) || u.starts_with(&d),
    }
}

/// What the judgement of a workflow's jobs depends on beyond the job itself.
struct Facts<'t> {
    triggers: &'t [ReleaseTrigger],
    publishes_on_tags_only: bool,
    npm_project: bool,
}

/// Whether the repository's root package.json names npm as its package manager
/// (`packageManager: "npm@…"`, or `devEngines.packageManager.name: "npm"`): what makes
/// `actions/setup-node` cache on its own from v5.
fn npm_project(cx: &Context<'_>) -> bool {
    let Some(file) = super::find(cx.all_files(), "package.json") else {
        return false;
    };
    let Ok(text) = cx.text(file) else {
        return false;
    };
    let Ok(documents) = crate::doc::parse(crate::doc::Format::Json, &text) else {
        return false;
    };
    let Some(root) = documents.first() else {
        return false;
    };
    let named = root
        .get("packageManager")
        .and_then(|n| n.as_str())
        .or_else(|| {
            root.get("devEngines")?
                .get("packageManager")?
                .get("name")?
                .as_str()
        });
    named.is_some_and(|n| n == "npm" || n.starts_with("npm@"))
}

impl CachePoisoning {
    fn judge_job(
        &self,
        path: &str,
        workflow: &Workflow,
        job: &Job,
        facts: &Facts<'_>,
        out: &mut Vec<Violation>,
        seen: &mut HashMap<String, usize>,
    ) {
        let (triggers, publishes_on_tags_only) = (facts.triggers, facts.publishes_on_tags_only);
        let publisher = job.steps.iter().find_map(|s| match s.action() {
            Some(Uses::Remote(r)) if publishes(s, &r) => Some(r.name()),
            _ => None,
        });
        let why = if !triggers.is_empty() {
            "a workflow run on releases or tags".to_owned()
        } else if let Some(publisher) = publisher {
            format!("a job that publishes with `{publisher}`")
        } else {
            return;
        };
        let tag_only = !triggers.is_empty()
            && (publishes_on_tags_only
                || triggers
                    .iter()
                    .all(|t| matches!(t, ReleaseTrigger::Tag | ReleaseTrigger::Release)));
        for step in &job.steps {
            let (Some(uses), Some(Uses::Remote(remote))) = (&step.uses, step.action()) else {
                continue;
            };
            let name = remote.name().to_ascii_lowercase();
            let Some((_, control)) = self.actions.iter().find(|(n, _)| *n == name) else {
                continue;
            };
            if self.allow.is_match(&remote.name()) || self.allow.is_match(&remote.repository()) {
                continue;
            }
            // setup-node's own caching (v5 and later, no `cache` input) is for npm projects
            // only: those whose package.json names npm as their package manager.
            if name == "actions/setup-node"
                && with_text(step, "cache").is_none()
                && !facts.npm_project
            {
                continue;
            }
            let evaluation = evaluate(control, step, &workflow.text, &remote, tag_only);
            let verb = match evaluation.caching {
                Caching::Off => continue,
                Caching::On => "restores a cache",
                Caching::Maybe => "may restore a cache",
            };
            out.push(
                Violation::file(
                    path,
                    format!(
                        "`{}` {verb} in {why}: a cache poisoned by another run reaches what is published ({})",
                        remote.name(),
                        evaluation.reason
                    ),
                )
                .span(uses.span)
                .help("switch the cache off in this job (see the rule's docs for each action's input)")
                .key(nth_key(format!("{}:{}", job.id, uses.value.trim()), seen)),
            );
        }
    }
}

impl Rule for CachePoisoning {
    fn wants(&self) -> Vec<String> {
        super::github_wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let npm = *cx.memo_repo("npm-project", || npm_project(cx));
        each_workflow(cx, |file, workflow| {
            let mut triggers = release_triggers(&workflow.on);
            // A workflow that also checks pull requests is a CI workflow: its runs on tags or
            // release branches are checks, not releases, unless it publishes somewhere.
            let checks_pull_requests = workflow.on.iter().any(|t| {
                matches!(
                    t.event.as_str(),
                    "pull_request" | "pull_request_target" | "merge_group"
                )
            });
            if checks_pull_requests
                && !triggers.contains(&ReleaseTrigger::Release)
                && !workflow.jobs.iter().any(job_publishes)
            {
                triggers.clear();
            }
            let mut seen = HashMap::new();
            let reaching = reaching_jobs(workflow);
            // When every job that publishes runs for tags only (`if: ... &&
            // startsWith(github.ref, 'refs/tags/')`), only a tag push publishes: a cache that
            // is off for tags (`enable-cache: ${{ !startsWith(github.ref, 'refs/tags/') }}`)
            // is off for every run that publishes.
            let publishers: Vec<&Job> = workflow.jobs.iter().filter(|j| job_publishes(j)).collect();
            let publishes_on_tags_only = !publishers.is_empty()
                && publishers
                    .iter()
                    .all(|j| j.condition.as_ref().is_some_and(|c| requires_tag(&c.value)));
            let facts = Facts {
                triggers: &triggers,
                publishes_on_tags_only,
                npm_project: npm,
            };
            for job in &workflow.jobs {
                // In a release workflow, a job whose cache reaches nothing published (a test
                // job that uploads nothing the release downloads) is left alone.
                if !triggers.is_empty() && !reaching.contains(job.id.as_str()) {
                    continue;
                }
                self.judge_job(&file.path, workflow, job, &facts, out, &mut seen);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::lines;
    use super::eval_for_tag;
    use crate::testing::check;

    const POLICY: &str = "[rules.\"ci/cache-poisoning\"]\n";

    fn workflow(on: &str, steps: &str) -> String {
        format!("on:\n{on}\njobs:\n  release:\n    runs-on: x\n    steps:\n{steps}")
    }

    #[test]
    fn reports_default_and_opt_in_caches_in_tag_workflows() {
        let steps = "      - uses: actions/setup-go@v5\n      \
                     - uses: actions/setup-go@v5\n        with: {cache: false}\n      \
                     - uses: actions/setup-node@v4\n        with: {cache: npm}\n      \
                     - uses: actions/setup-python@v5\n      \
                     - uses: Swatinem/rust-cache@v2\n        with: {lookup-only: true}\n      \
                     - uses: actions/cache/restore@v4\n      \
                     - uses: Mozilla-Actions/sccache-action@v0.0.9\n";
        let text = workflow("  push:\n    tags: ['v*']", steps);
        let findings = check(POLICY, &[(".github/workflows/r.yml", &text)]);
        assert_eq!(
            lines(&findings),
            [(8, 15), (11, 15), (16, 15), (17, 15)],
            "{findings:#?}"
        );
        assert!(findings[0]
            .message
            .contains("caches by default (no `cache`)"));
        assert!(findings[1].message.contains("`cache: npm`"));
        // Not a publishing workflow: nothing.
        let text = workflow("  push:\n    branches: [main]", steps);
        assert!(check(POLICY, &[(".github/workflows/r.yml", &text)]).is_empty());
        // A CI workflow that also runs on tags publishes nothing: nothing, unless it does.
        let text = workflow("  pull_request:\n  push:\n    tags: ['*']", steps);
        assert!(check(POLICY, &[(".github/workflows/r.yml", &text)]).is_empty());
        let publishing = format!("{steps}      - run: cargo publish --locked\n");
        let text = workflow("  pull_request:\n  push:\n    tags: ['*']", &publishing);
        assert_eq!(
            check(POLICY, &[(".github/workflows/r.yml", &text)]).len(),
            4
        );
    }

    /// pydantic's shape: a CI workflow that also runs on tags, whose release job downloads
    /// the wheels the build jobs upload. The build and release jobs' caches reach the release;
    /// the test jobs' (one uploads a coverage report the release never downloads) do not.
    #[test]
    fn only_jobs_whose_work_reaches_the_release_are_judged() {
        let cache =
            "      - uses: astral-sh/setup-uv@v6\n        with:\n          enable-cache: true\n";
        let workflow = format!(
            "on:\n  push:\n    tags: ['**']\n  pull_request:\npermissions:\n  contents: read\njobs:\n  \
             test:\n    steps:\n{cache}      - uses: actions/upload-artifact@v4\n        with:\n          \
             name: coverage\n  build:\n    steps:\n{cache}      - uses: actions/upload-artifact@v4\n        \
             with:\n          name: wheels-${{{{ matrix.os }}}}\n  release:\n    needs: [test, build]\n    \
             steps:\n      - uses: actions/download-artifact@v4\n        with:\n          pattern: wheels-*\n\
             {cache}      - uses: pypa/gh-action-pypi-publish@release/v1\n"
        );
        let findings = check(POLICY, &[(".github/workflows/ci.yml", &workflow)]);
        let keys: Vec<u32> = lines(&findings).into_iter().map(|(l, _)| l).collect();
        // The build job's (line 18) and the release job's (line 30) setup-uv, not the test job's.
        assert_eq!(keys, [18, 30], "{findings:#?}");
        // Publishing only on tags, a cache switched off for tags is off whenever it matters.
        let tag_off = workflow.replace(
            "enable-cache: true\n      - uses: pypa",
            "enable-cache: ${{ !startsWith(github.ref, 'refs/tags/') }}\n      - uses: pypa",
        );
        let tag_off = tag_off.replace(
            "  release:\n    needs: [test, build]\n",
            "  release:\n    needs: [test, build]\n    if: startsWith(github.ref, 'refs/tags/')\n",
        );
        let findings = check(POLICY, &[(".github/workflows/ci.yml", &tag_off)]);
        let keys: Vec<u32> = lines(&findings).into_iter().map(|(l, _)| l).collect();
        assert_eq!(keys, [18], "{findings:#?}");
        // A release workflow with no visible publishing step: the job that may write is
        // judged, the read-only lint job is not.
        let docs = format!(
            "on:\n  push:\n    tags: ['**']\npermissions:\n  contents: read\njobs:\n  lint:\n    \
             steps:\n{cache}  publish:\n    permissions:\n      contents: write\n    steps:\n{cache}      \
             - run: mike deploy --push\n"
        );
        let findings = check(POLICY, &[(".github/workflows/docs.yml", &docs)]);
        let keys: Vec<u32> = lines(&findings).into_iter().map(|(l, _)| l).collect();
        assert_eq!(keys, [16], "{findings:#?}");
    }

    #[test]
    fn may_match_compares_the_literal_parts() {
        use super::may_match;
        assert!(may_match(None, Some("x")));
        assert!(may_match(Some("wheels-*"), Some("wheels-${{ matrix.os }}")));
        assert!(may_match(Some("wheels-*"), Some("wheels-linux")));
        assert!(!may_match(Some("wheels-*"), Some("coverage")));
        assert!(may_match(Some("artifact"), None));
        assert!(!may_match(Some("dist"), Some("coverage")));
        assert!(may_match(Some("dist-${{ github.sha }}"), Some("dist-*")));
    }

    #[test]
    fn publishing_actions_make_a_job_publishing() {
        let steps = "      - uses: actions/setup-go@v5\n      \
                     - uses: docker/build-push-action@v6\n        with: {push: false}\n";
        let text = workflow("  push:", steps);
        assert!(check(POLICY, &[(".github/workflows/r.yml", &text)]).is_empty());
        let steps = "      - uses: actions/setup-go@v5\n      \
                     - uses: pypa/gh-action-pypi-publish@release/v1\n";
        let text = workflow("  push:", steps);
        let findings = check(POLICY, &[(".github/workflows/r.yml", &text)]);
        assert_eq!(lines(&findings), [(7, 15)], "{findings:#?}");
        assert!(findings[0]
            .message
            .contains("publishes with `pypa/gh-action-pypi-publish`"));
    }

    #[test]
    fn versions_and_expressions() {
        let sha = "ae62891fec2bb8e7d6c99fc78c9fec3a63790f8d";
        let steps = format!(
            "      - uses: astral-sh/setup-uv@v6\n      - uses: astral-sh/setup-uv@v10.0.0\n      \
             - uses: astral-sh/setup-uv@{sha} # v10.0.0\n      - uses: astral-sh/setup-uv@{sha}\n      \
             - uses: PyO3/maturin-action@v1\n        with:\n          sccache: ${{{{ !startsWith(github.ref, 'refs/tags/') }}}}\n      \
             - uses: PyO3/maturin-action@v1\n        with:\n          sccache: ${{{{ github.ref_type == 'tag' && github.event_name == 'push' }}}}\n      \
             - uses: PyO3/maturin-action@v1\n        with:\n          sccache: ${{{{ matrix.cache }}}}\n"
        );
        let text = workflow("  release:\n  push:\n    tags: ['*']", &steps);
        let findings = check(POLICY, &[(".github/workflows/r.yml", &text)]);
        assert_eq!(
            lines(&findings),
            [(9, 15), (12, 15), (16, 15), (19, 15)],
            "{findings:#?}"
        );
        assert!(findings[1].message.contains("version is not written"));
        assert!(findings[3].message.contains("may restore"));
        // With a release branch the tag heuristics do not apply.
        let text = workflow("  push:\n    branches: [release]\n    tags: ['*']", &steps);
        let findings = check(POLICY, &[(".github/workflows/r.yml", &text)]);
        assert_eq!(findings.len(), 5, "{findings:#?}");
    }

    #[test]
    fn setup_node_caches_by_default_from_v5() {
        let steps =
            "      - uses: actions/setup-node@v4\n      - uses: actions/setup-node@v5\n      \
                     - uses: actions/setup-node@v6\n        with: {package-manager-cache: false}\n";
        let text = workflow("  release:", steps);
        let npm = "{\"name\": \"x\", \"packageManager\": \"npm@10.8.0\"}";
        let findings = check(
            POLICY,
            &[(".github/workflows/r.yml", &text), ("package.json", npm)],
        );
        assert_eq!(lines(&findings), [(8, 15)], "{findings:#?}");
        assert!(findings[0].message.contains("from v5"));
        // Its own caching is for npm projects only: a yarn project (home-assistant/frontend),
        // or one that names no package manager, gets none.
        let yarn = "{\"packageManager\": \"yarn@4.14.1\"}";
        for files in [
            vec![
                (".github/workflows/r.yml", text.as_str()),
                ("package.json", yarn),
            ],
            vec![(".github/workflows/r.yml", text.as_str())],
        ] {
            assert!(check(POLICY, &files).is_empty());
        }
    }

    #[test]
    fn tag_expressions() {
        assert_eq!(
            eval_for_tag("startsWith(github.ref, 'refs/tags/')"),
            Some(true)
        );
        assert_eq!(
            eval_for_tag("!(startsWith(github.ref, 'REFS/TAGS/'))"),
            Some(false)
        );
        assert_eq!(eval_for_tag("false"), Some(false));
        assert_eq!(eval_for_tag("github.ref == 'refs/heads/main'"), None);
        assert_eq!(
            eval_for_tag("'tag' == github.ref_type && github.event_name == 'push'"),
            Some(true)
        );
    }
}
