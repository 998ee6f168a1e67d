//! `ci/*`: CI configuration. GitHub Actions workflows and actions, and GitLab CI pipelines:
//! a configuration exists, required workflows and jobs run, actions, includes and images are
//! pinned, token permissions are minimal, untrusted input stays out of scripts.
//!
//! The parsing is shared: every rule asks `github_files` or `gitlab_pipeline`, which parse
//! each file once per check through the engine's memo, whatever the number of rules.

mod places;
pub mod supply_chain;

super::rule_modules! {
    archived_action,
    bot_condition,
    cache_poisoning,
    config_missing,
    container_credentials,
    dangerous_trigger,
    dependabot_cooldown,
    dependabot_execution,
    excessive_permissions,
    github_env,
    gitlab_image_unpinned,
    gitlab_include_unpinned,
    gitlab_required_job,
    insecure_commands,
    invalid_yaml,
    missing_timeout,
    permissions_missing,
    persist_credentials,
    required_workflow,
    secrets_overexposed,
    secrets_unredacted,
    template_injection,
    typosquat_action,
    unpinned_action,
    unpinned_image,
    unsound_condition,
    unsound_contains,
    update_tool_missing,
    vulnerable_action,
}

use std::sync::Arc;

use rayon::prelude::*;

use crate::ci::github::{self, GithubFile};
use crate::ci::gitlab::{self, Pipeline};
use crate::context::Context;
use crate::doc::ParseError;
use crate::snapshot::FileEntry;

/// The memo kind of parsed GitHub files.
pub(crate) const GITHUB_MEMO: &str = "github-workflow";

/// The memo kind of the GitLab pipeline.
pub(crate) const GITLAB_MEMO: &str = "gitlab-pipeline";

/// What a GitHub rule wants read: workflows and actions. Few globs (the engine compiles each
/// rule's globs on every run), each with a literal directory in front or no wildcard at all
/// (the engine then only looks at the paths under that directory).
pub(crate) fn github_wants() -> Vec<String> {
    GITHUB_WANTS.iter().map(|g| (*g).to_owned()).collect()
}

/// See [`github_wants`].
pub(crate) const GITHUB_WANTS: &[&str] = &[
    ".github/workflows/*.{yml,yaml}",
    ".github/actions/**/action.{yml,yaml}",
    "action.yml",
    "action.yaml",
];

/// What a GitLab rule wants read: the root file (included files are read on demand).
pub(crate) fn gitlab_wants() -> Vec<String> {
    gitlab::ROOT_FILES.iter().map(|g| (*g).to_owned()).collect()
}

/// A GitHub file as parsed, shared between rules (always `Some` in what
/// [`github_files`] returns; `None` is memoised for files that cannot be read).
pub(crate) type Parsed = Arc<Option<Result<GithubFile, ParseError>>>;

/// The judged workflows and actions the rule wanted, parsed once per check. Files that cannot
/// be read are left out: the engine reports them (`policy/unread-file`).
///
/// Rules run in parallel and all want the same files: if every rule walked them in the same
/// order, one would parse them while the others waited on each file in turn. Each rayon worker
/// therefore starts at a different offset (and splits its share further with `par_iter`), so
/// the workers parse different files and later find the others' results ready.
pub(crate) fn github_files<'a>(cx: &Context<'a>) -> Vec<(&'a FileEntry, Parsed)> {
    let files: Vec<&'a FileEntry> = cx
        .wanted()
        .iter()
        .copied()
        .filter(|f| github::is_workflow_path(&f.path) || github::is_action_path(&f.path))
        .collect();
    let mut parsed = parse_github(cx, &files);
    let local = local_actions(cx);
    if !local.is_empty() {
        parsed.extend(parse_github(cx, &local));
        parsed.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    }
    parsed
}

/// The judged workflows the rule wanted, parsed once per check: [`github_files`] without the
/// actions, for rules that read workflows only.
pub(crate) fn workflow_files<'a>(cx: &Context<'a>) -> Vec<(&'a FileEntry, Parsed)> {
    let files: Vec<&'a FileEntry> = cx
        .wanted()
        .iter()
        .copied()
        .filter(|f| github::is_workflow_path(&f.path))
        .collect();
    parse_github(cx, &files)
}

/// Parses `files` through the memo, in parallel.
fn parse_github<'a>(cx: &Context<'a>, files: &[&'a FileEntry]) -> Vec<(&'a FileEntry, Parsed)> {
    let workers = rayon::current_num_threads().max(1);
    let offset = rayon::current_thread_index().unwrap_or(0) % workers * files.len() / workers;
    let (tail, head) = files.split_at(offset);
    let rotated: Vec<&'a FileEntry> = head.iter().chain(tail).copied().collect();
    let mut parsed: Vec<(&'a FileEntry, Parsed)> = rotated
        .par_iter()
        .filter_map(|file| {
            let parsed = cx.memo(GITHUB_MEMO, file, || {
                let text = cx.text(file).ok()?;
                Some(GithubFile::parse(&file.path, &text))
            });
            parsed.is_some().then_some((*file, parsed))
        })
        .collect();
    parsed.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    parsed
}

/// The metadata file of a local action (`uses: ./path`) that is not where the wanted globs
/// look (the root and `.github/actions/`): `path/action.yml`, else `path/action.yaml`.
fn local_action_file<'a>(cx: &Context<'a>, dir: &str) -> Option<&'a FileEntry> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() || dir.contains("${{") || dir.split('/').any(|c| c == "..") {
        return None;
    }
    ["action.yml", "action.yaml"].iter().find_map(|name| {
        let path = format!("{dir}/{name}");
        (!github::is_action_path(&path))
            .then(|| find(cx.all_files(), &path))
            .flatten()
    })
}

/// The `uses: ./path` of a step.
fn local_uses(step: &github::Step) -> Option<String> {
    // Most steps name a remote action: no parsing (and no copies) for them.
    if !step.uses.as_ref()?.value.trim_start().starts_with("./") {
        return None;
    }
    match step.action()? {
        github::Uses::Local(path) if !path.starts_with(".github/workflows/") => Some(path),
        _ => None,
    }
}

/// Local actions outside the root and `.github/actions/` that the workflows and actions use
/// (`uses: ./tools/setup`; the path is from the repository root, in a composite action's steps
/// too), followed through the actions they use in turn. GitHub runs them like any other
/// action, so they are judged like one.
///
/// The list is found once per check from every workflow and action (each parsed once through
/// the memo), whatever the number of rules. In change mode a rule judges the changed files
/// only: such an action is judged when it changed and something uses it, so the list is
/// looked for only when a changed file is named like an action's metadata.
fn local_actions<'a>(cx: &Context<'a>) -> Vec<&'a FileEntry> {
    let change_mode = cx.changed().is_some();
    if change_mode
        && !cx.files().iter().any(|f| {
            (f.path.ends_with("/action.yml") || f.path.ends_with("/action.yaml"))
                && !github::is_action_path(&f.path)
        })
    {
        return Vec::new();
    }
    let paths = cx.memo_repo(LOCAL_ACTIONS_MEMO, || used_local_actions(cx));
    paths
        .iter()
        .filter_map(|p| find(cx.all_files(), p))
        .filter(|f| !change_mode || judged(cx, &f.path))
        .collect()
}

/// The memo kind of the local actions the repository's workflows use.
const LOCAL_ACTIONS_MEMO: &str = "github-local-actions";

/// The paths of [`local_actions`], sorted.
fn used_local_actions(cx: &Context<'_>) -> Vec<String> {
    let all: Vec<&FileEntry> = cx
        .all_files()
        .iter()
        .copied()
        .filter(|f| github::is_workflow_path(&f.path) || github::is_action_path(&f.path))
        .collect();
    let mut queue = parse_github(cx, &all);
    let mut seen: std::collections::HashSet<String> = all.iter().map(|f| f.path.clone()).collect();
    let mut found = Vec::new();
    while let Some((_, parsed)) = queue.pop() {
        let Some(Ok(github)) = parsed.as_ref() else {
            continue;
        };
        let targets: Vec<String> = github.steps().filter_map(local_uses).collect();
        for target in targets {
            let Some(file) = local_action_file(cx, &target) else {
                continue;
            };
            if seen.insert(file.path.clone()) {
                found.push(file.path.clone());
                queue.extend(parse_github(cx, &[file]));
            }
        }
    }
    found.sort();
    found
}

/// What a Dependabot rule wants read: `.github/dependabot.yml` (or `.yaml`).
pub(crate) fn dependabot_wants() -> Vec<String> {
    crate::ci::dependabot::PATHS
        .iter()
        .map(|p| (*p).to_owned())
        .collect()
}

/// Calls `each` with the path of every judged Dependabot configuration and each of its
/// `updates` entries. A file that does not parse is reported by `policy/unread-file` or by
/// Dependabot itself.
pub(crate) fn each_dependabot_update(
    cx: &Context<'_>,
    mut each: impl FnMut(&str, &crate::ci::dependabot::Update<'_>),
) {
    for file in cx.wanted() {
        if !crate::ci::dependabot::is_config_path(&file.path) {
            continue;
        }
        let Some(docs) = cx.documents(file) else {
            continue;
        };
        let Ok(docs) = docs.as_ref() else { continue };
        let Some(root) = docs.first() else { continue };
        for update in crate::ci::dependabot::updates(root) {
            each(&file.path, &update);
        }
    }
}

/// Calls `each` with every judged GitHub file that parsed.
pub(crate) fn each_github<'a>(cx: &Context<'a>, mut each: impl FnMut(&'a FileEntry, &GithubFile)) {
    for (file, parsed) in github_files(cx) {
        if let Some(Ok(github)) = parsed.as_ref() {
            each(file, github);
        }
    }
}

/// Calls `each` with every judged workflow that parsed.
pub(crate) fn each_workflow<'a>(
    cx: &Context<'a>,
    mut each: impl FnMut(&'a FileEntry, &github::Workflow),
) {
    each_github(cx, |file, parsed| {
        if let GithubFile::Workflow(workflow) = parsed {
            each(file, workflow);
        }
    });
}

struct SnapshotFiles<'c, 'a> {
    cx: &'c Context<'a>,
}

impl gitlab::Files for SnapshotFiles<'_, '_> {
    fn text(&self, path: &str) -> Option<Result<String, String>> {
        let file = find(self.cx.all_files(), path)?;
        Some(
            self.cx
                .text(file)
                .map(|t| t.into_owned())
                .map_err(|e| e.to_string()),
        )
    }

    fn paths(&self) -> Vec<&str> {
        self.cx
            .all_files()
            .iter()
            .map(|f| f.path.as_str())
            .collect()
    }
}

/// The file at `path` in a sorted list of files.
pub(crate) fn find<'a>(files: &[&'a FileEntry], path: &str) -> Option<&'a FileEntry> {
    files
        .binary_search_by(|f| f.path.as_str().cmp(path))
        .ok()
        .map(|i| files[i])
}

/// Whether the rule judges `path` (in change mode: whether it changed).
pub(crate) fn judged(cx: &Context<'_>, path: &str) -> bool {
    find(cx.files(), path).is_some()
}

/// The GitLab pipeline of the repository (the root file and its local includes), loaded once
/// per check; `None` when there is no `.gitlab-ci.yml`, or in change mode when no judged file
/// could be part of it (no YAML file changed).
pub(crate) fn gitlab_pipeline(cx: &Context<'_>) -> Option<Arc<Pipeline>> {
    if cx.changed().is_some()
        && !cx
            .files()
            .iter()
            .any(|f| f.path.ends_with(".yml") || f.path.ends_with(".yaml"))
    {
        return None;
    }
    let pipeline = cx.memo_repo(GITLAB_MEMO, || {
        let root = gitlab::ROOT_FILES
            .iter()
            .find(|p| find(cx.all_files(), p).is_some())?;
        Some(Arc::new(Pipeline::load(root, &SnapshotFiles { cx })))
    });
    pipeline.as_ref().clone()
}

/// A fingerprint key for the `n`-th (from 0) of several identical keys in one file: the key
/// itself for the first, `key#n` after.
pub(crate) fn nth_key(key: String, seen: &mut std::collections::HashMap<String, usize>) -> String {
    let count = seen.entry(key.clone()).or_insert(0);
    *count += 1;
    if *count == 1 {
        key
    } else {
        format!("{key}#{}", *count - 1)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_wanted_globs_match_the_model_paths() {
        let github = crate::glob::GlobList::from_patterns(&super::github_wants()).unwrap();
        for path in [
            ".github/workflows/ci.yml",
            ".github/workflows/ci.yaml",
            ".github/actions/setup/action.yml",
            ".github/actions/a/b/action.yaml",
            "action.yml",
        ] {
            assert!(github.is_match(path), "{path}");
        }
        for path in [".github/workflows/sub/ci.yml", "src/action.yml", "ci.yml"] {
            assert!(!github.is_match(path), "{path}");
        }
        let gitlab = crate::glob::GlobList::from_patterns(&super::gitlab_wants()).unwrap();
        assert!(gitlab.is_match(".gitlab-ci.yml") && !gitlab.is_match("a/.gitlab-ci.yml"));
    }

    const UNPINNED: &str = "[rules.\"ci/unpinned-action\"]\n";

    fn unpinned_paths(snapshot: &crate::snapshot::MemorySnapshot) -> Vec<String> {
        crate::testing::check_snapshot(UNPINNED, snapshot)
            .into_iter()
            .filter(|f| f.rule == "ci/unpinned-action")
            .map(|f| f.path.unwrap_or_default())
            .collect()
    }

    /// A composite action with one unpinned action.
    fn composite(uses: &str) -> String {
        format!("runs:\n  using: composite\n  steps:\n    - uses: {uses}\n")
    }

    #[test]
    fn local_actions_are_judged_wherever_a_workflow_points() {
        let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
                        - uses: ./tools/setup\n      - uses: ./ci/lint/\n      \
                        - uses: ./../outside\n";
        let snapshot = crate::snapshot::MemorySnapshot::new()
            .with_file(".github/workflows/ci.yml", workflow)
            // Composite actions use local actions by paths from the repository root too.
            .with_file(
                "tools/setup/action.yml",
                format!("{}    - uses: x/y@v2\n", composite("./tools/inner")).as_str(),
            )
            .with_file("tools/inner/action.yaml", composite("a/b@v1").as_str())
            .with_file("ci/lint/action.yml", composite("c/d@main").as_str())
            // Not used by any workflow: another tool's test data, not an action GitHub runs.
            .with_file("tests/data/action.yml", composite("e/f@v1").as_str());
        assert_eq!(
            unpinned_paths(&snapshot),
            [
                "ci/lint/action.yml",
                "tools/inner/action.yaml",
                "tools/setup/action.yml"
            ]
        );
    }

    #[test]
    fn a_changed_local_action_is_judged_in_change_mode() {
        let workflow = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      \
                        - uses: ./tools/setup\n      - uses: g/h@v1\n";
        let repository = || {
            crate::snapshot::MemorySnapshot::new()
                .with_file(".github/workflows/ci.yml", workflow)
                .with_file("tools/setup/action.yml", composite("a/b@v1").as_str())
                .with_file("tests/data/action.yml", composite("e/f@v1").as_str())
        };
        let changed =
            repository().with_changed(["tools/setup/action.yml", "tests/data/action.yml"]);
        assert_eq!(unpinned_paths(&changed), ["tools/setup/action.yml"]);
        // The workflow changed, the action did not: only the workflow is judged.
        let changed = repository().with_changed([".github/workflows/ci.yml"]);
        assert_eq!(unpinned_paths(&changed), [".github/workflows/ci.yml"]);
    }

    /// Every `ci/*` rule, on every prefix of files full of edge cases (block scalars, quotes,
    /// escapes, anchors, merge keys, multi-byte characters): findings or not, never a panic.
    #[test]
    fn truncated_files_never_panic() {
        let policy: String = crate::rules::builtin()
            .iter()
            .filter(|d| d.meta.id.starts_with("ci/"))
            .map(|d| format!("[rules.\"{}\"]\n", d.meta.id))
            .collect();
        let workflow = "on:\n  pull_request_target:\npermissions: write-all\nx: &a {runs-on: é}\njobs:\n  \
                        j:\n    <<: *a\n    container: 'img:1'\n    services: {s: {image: \"r\\u00e9:2\"}}\n    \
                        steps:\n      - uses: actions/checkout@v4\n        with: {ref: \"${{ github.head_ref }}\"}\n      \
                        - run: |2-\n           ä ${{ github.event.issue.title }}\n      - run: >\n          \
                        b\n\n          \"${{ github.event.comment.body }}\"\n      - run: \"x\\\n   ${{ github.head_ref }}\"\n      \
                        - uses: actions/upload-artifact@v4\n        with: {path: .}\n";
        let gitlab = "include:\n  - {project: g/p, ref: main}\n  - local: a.yml\n.b: &b\n  image: ${IMG}\n\
                      variables: {IMG: 'x:1'}\nj:\n  <<: [*b]\n  services: [{name: s:1}]\n  script: [é]\n";
        let mut cut = 0;
        while cut <= workflow.len().max(gitlab.len()) {
            let w = &workflow[..floor_char_boundary(workflow, cut)];
            let g = &gitlab[..floor_char_boundary(gitlab, cut)];
            crate::testing::check(
                &policy,
                &[
                    (".github/workflows/w.yml", w),
                    ("action.yml", w),
                    (".gitlab-ci.yml", g),
                    ("a.yml", g),
                ],
            );
            cut += 4;
        }
    }

    fn floor_char_boundary(text: &str, at: usize) -> usize {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::finding::Finding;

    /// `(path, line, column)` of each finding.
    pub(crate) fn positions(findings: &[Finding]) -> Vec<(String, u32, u32)> {
        findings
            .iter()
            .map(|f| {
                let (line, column) = f.span.map_or((0, 0), |s| (s.line, s.column));
                (f.path.clone().unwrap_or_default(), line, column)
            })
            .collect()
    }

    /// `(line, column)` of each finding.
    pub(crate) fn lines(findings: &[Finding]) -> Vec<(u32, u32)> {
        positions(findings)
            .into_iter()
            .map(|(_, l, c)| (l, c))
            .collect()
    }
}
