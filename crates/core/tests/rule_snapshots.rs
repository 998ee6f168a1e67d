//! Snapshot tests of every rule's output, in the style of ruff's and zizmor's.
//!
//! Each directory `tests/fixtures/<family>/<rule>/<case>/` is a small repository. It is checked
//! in-process, as a work tree, with only that rule enabled at level `error` (or with the
//! case's own `goldpath.toml` as the policy, for rules that need options), and its findings,
//! rendered in the human format (no colour) and as the JSON report, are pinned with insta
//! snapshots in `tests/snapshots/`. Every rule of the registry needs at least one case that
//! produces a finding.
//!
//! `tests/fixtures/reports/<case>/` are whole repositories checked with their own policy and
//! rendered in every output format: what each renderer makes of findings of several families
//! and levels.
//!
//! New or changed output is written with `INSTA_UPDATE=always cargo test -p goldpath --test
//! rule_snapshots` (or reviewed with `cargo insta review`); with `CI=true` insta writes nothing
//! and a missing or different snapshot fails. See docs/architecture.md ("Snapshot tests").

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use goldpath::baseline::{self, Baseline, Judged};
use goldpath::engine::ENGINE_RULES;
use goldpath::policy::{Date, FsReader, Policy};
use goldpath::render::{self, Format};
use goldpath::{Engine, FileEntry, FileMode, Registry, Report, Snapshot, SourceKind};

/// The fixtures, relative to the crate (and, as shown in reports, to the repository).
const FIXTURES: &str = "tests/fixtures";
const SHOWN_PREFIX: &str = "crates/core/tests/fixtures";

/// The day every case is judged on: waiver expiry must not depend on the clock.
const TODAY: Date = Date {
    year: 2025,
    month: 6,
    day: 1,
};

/// The policy file a case may have.
const CASE_POLICY: &str = "goldpath.toml";

/// A fixture directory read as a work tree: every file under it, by its path relative to it.
/// No git: the fixtures are files of this repository, and whether they are tracked is
/// goldpath-git's concern, tested elsewhere.
struct FixtureTree {
    root: String,
    entries: Vec<FileEntry>,
    paths: Vec<PathBuf>,
}

impl FixtureTree {
    fn open(dir: &Path, root: String) -> FixtureTree {
        let mut found = Vec::new();
        walk(dir, "", &mut found);
        found.sort_by(|a, b| a.0.cmp(&b.0));
        let mut entries = Vec::new();
        let mut paths = Vec::new();
        for (key, (path, full, mode, size)) in found.into_iter().enumerate() {
            entries.push(FileEntry {
                path,
                mode,
                size: Some(size),
                key,
                path_is_lossy: false,
            });
            paths.push(full);
        }
        FixtureTree {
            root,
            entries,
            paths,
        }
    }
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf, FileMode, u64)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        let full = entry.path();
        let meta = std::fs::symlink_metadata(&full).expect("metadata");
        if meta.is_dir() {
            walk(&full, &format!("{path}/"), out);
            continue;
        }
        let mode = if meta.file_type().is_symlink() {
            FileMode::Symlink
        } else if is_executable(&meta) {
            FileMode::Executable
        } else {
            FileMode::File
        };
        out.push((path, full, mode, meta.len()));
    }
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

impl Snapshot for FixtureTree {
    fn files(&self) -> &[FileEntry] {
        &self.entries
    }

    fn read(&self, file: &FileEntry) -> io::Result<Vec<u8>> {
        let path = &self.paths[file.key];
        match file.mode {
            FileMode::Symlink => std::fs::read_link(path)
                .map(|target| target.to_string_lossy().replace('\\', "/").into_bytes()),
            _ => std::fs::read(path),
        }
    }

    fn source(&self) -> SourceKind {
        SourceKind::Worktree
    }

    fn root(&self) -> String {
        self.root.clone()
    }
}

/// One case: `<family>/<rule>/<case>` (a rule's) or `reports/<case>`.
struct Case {
    /// The rule it is a fixture of; `None` for a whole-report case.
    rule: Option<String>,
    /// Its path below the fixtures, `/`-separated.
    name: String,
    dir: PathBuf,
}

impl Case {
    /// The snapshot name's stem: the case's path with `__` for `/`.
    fn stem(&self) -> String {
        self.name.replace('/', "__")
    }
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn subdirs(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

/// Every rule's cases, and the directories under a family that name no rule (a typo, or a
/// rule that was renamed).
fn rule_cases(registry: &Registry) -> (Vec<Case>, Vec<String>) {
    let ids: BTreeSet<&str> = registry.iter().map(|d| d.meta.id).collect();
    let families: BTreeSet<&str> = ids
        .iter()
        .filter_map(|id| id.split_once('/'))
        .map(|(f, _)| f)
        .collect();
    let mut cases = Vec::new();
    let mut strays = Vec::new();
    for (family, family_dir) in subdirs(&crate_dir().join(FIXTURES)) {
        // Other fixtures (licence texts, whole reports) live beside the families.
        if !families.contains(family.as_str()) {
            continue;
        }
        for (rule, rule_dir) in subdirs(&family_dir) {
            let id = format!("{family}/{rule}");
            if !ids.contains(id.as_str()) {
                strays.push(id);
                continue;
            }
            for (case, dir) in subdirs(&rule_dir) {
                cases.push(Case {
                    rule: Some(id.clone()),
                    name: format!("{id}/{case}"),
                    dir,
                });
            }
        }
    }
    (cases, strays)
}

fn report_cases() -> Vec<Case> {
    subdirs(&crate_dir().join(FIXTURES).join("reports"))
        .into_iter()
        .map(|(case, dir)| Case {
            rule: None,
            name: format!("reports/{case}"),
            dir,
        })
        .collect()
}

/// What a check of a case gives: the report and the anchor file for SARIF and GitLab.
struct Checked {
    report: Report,
    tree: FixtureTree,
    has_policy: bool,
}

/// Checks a case as `goldpath check` checks a work tree: its policy (the case's
/// `goldpath.toml`, else only `rule` at level error), then its baseline when it has one.
fn check(case: &Case, registry: &Registry) -> Result<Checked, String> {
    let tree = FixtureTree::open(&case.dir, format!("{SHOWN_PREFIX}/{}", case.name));
    let policy_file = case.dir.join(CASE_POLICY);
    let has_policy = policy_file.is_file();
    let text = match (has_policy, &case.rule) {
        (true, _) => std::fs::read_to_string(&policy_file).map_err(|e| e.to_string())?,
        (false, Some(rule)) => format!("[rules.\"{rule}\"]\nlevel = \"error\"\n"),
        (false, None) => {
            return Err(format!(
                "{}: a report case needs a {CASE_POLICY}",
                case.name
            ))
        }
    };
    let policy = Policy::from_text(CASE_POLICY, &text, &case.dir, &FsReader)
        .map_err(|e| format!("{}: policy: {e}", case.name))?;
    let engine = Engine::new(registry, &policy)
        .map_err(|e| format!("{}: policy: {e}", case.name))?
        .with_today(TODAY);
    if let Some(rule) = &case.rule {
        let engine_rule = ENGINE_RULES.contains(&rule.as_str());
        if !engine_rule && !engine.rule_ids().contains(&rule.as_str()) {
            return Err(format!(
                "{}: the case's policy does not enable {rule}",
                case.name
            ));
        }
    }
    let mut report = engine.check(&tree);

    let baseline_path = policy
        .settings
        .baseline
        .clone()
        .unwrap_or_else(|| baseline::DEFAULT_PATH.to_owned());
    if let Ok(text) = std::fs::read_to_string(case.dir.join(&baseline_path)) {
        let known = Baseline::parse(&text, &baseline_path)
            .map_err(|e| format!("{}: baseline: {e}", case.name))?;
        baseline::apply(
            &mut report,
            &known,
            &baseline_path,
            Judged {
                narrowed: false,
                changed: None,
                files: tree.files(),
            },
            engine.engine_level(baseline::STALE_RULE),
        );
    }
    Ok(Checked {
        report,
        tree,
        has_policy,
    })
}

/// The output of a format, with what changes from release to release (the tool's version)
/// replaced: snapshots pin what the rules and renderers say, not the version number.
fn rendered(format: Format, checked: &Checked, registry: &Registry) -> String {
    let options = render::Options {
        registry,
        anchor: render::anchor(
            checked.has_policy.then_some(CASE_POLICY),
            checked.tree.files(),
        ),
        color: false,
    };
    let text = render::render(format, &checked.report, &options);
    let version = format!("\"{}\"", env!("CARGO_PKG_VERSION"));
    text.lines()
        .map(|line| {
            let key = line.trim_start();
            if key.starts_with("\"version\": ") || key.starts_with("\"semanticVersion\": ") {
                line.replace(&version, "\"[version]\"")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + if text.ends_with('\n') { "\n" } else { "" }
}

/// Asserts one snapshot, turning insta's panic into an error so that every case is compared
/// (and every `.snap.new` written) before the test fails.
fn assert_snapshot(case: &Case, suffix: &str, text: &str) -> Result<(), String> {
    let name = format!("{}__{suffix}", case.stem());
    let description = format!("{SHOWN_PREFIX}/{}", case.name);
    catch_unwind(AssertUnwindSafe(|| {
        insta::with_settings!({
            description => description,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name.clone(), text);
        });
    }))
    .map_err(|_| format!("{name}: the output differs from its snapshot (see above)"))
}

/// The formats a report case is rendered in: every format `--format` takes.
const REPORT_FORMATS: [(&str, Format); 7] = [
    ("human", Format::Human),
    ("json", Format::Json),
    ("sarif", Format::Sarif),
    ("github", Format::Github),
    ("markdown", Format::Markdown),
    ("gitlab", Format::Gitlab),
    ("junit", Format::Junit),
];

/// The formats a rule case is rendered in.
const RULE_FORMATS: [(&str, Format); 2] = [("human", Format::Human), ("json", Format::Json)];

/// The snapshot files of this test that no case produces any more (a fixture was removed or
/// renamed): they would otherwise linger, pinning nothing.
fn orphan_snapshots(registry: &Registry) -> Vec<String> {
    let mut expected = BTreeSet::new();
    for case in rule_cases(registry).0 {
        for (suffix, _) in RULE_FORMATS {
            expected.insert(format!("{}__{suffix}", case.stem()));
        }
    }
    for case in report_cases() {
        for (suffix, _) in REPORT_FORMATS {
            expected.insert(format!("{}__{suffix}", case.stem()));
        }
    }
    let dir = crate_dir().join("tests/snapshots");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut orphans: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|name| {
            let stem = name
                .strip_prefix("rule_snapshots__")?
                .strip_suffix(".snap")?;
            (!expected.contains(stem)).then(|| name.clone())
        })
        .collect();
    orphans.sort();
    orphans
}

#[test]
fn every_rule_fixture_matches_its_snapshots_and_every_rule_has_a_finding() {
    let registry = Registry::builtin();
    let (cases, strays) = rule_cases(&registry);
    assert!(!cases.is_empty(), "no fixture cases under {FIXTURES}");

    let mut failures = Vec::new();
    // Rule id -> the cases in which it reported something.
    let mut finding: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in &cases {
        let rule = case.rule.as_deref().unwrap_or_default();
        let checked = match check(case, &registry) {
            Ok(checked) => checked,
            Err(error) => {
                failures.push(error);
                continue;
            }
        };
        if checked.report.findings.iter().any(|f| f.rule == rule) {
            finding
                .entry(rule.to_owned())
                .or_default()
                .push(case.name.clone());
        }
        for (suffix, format) in RULE_FORMATS {
            if let Err(error) =
                assert_snapshot(case, suffix, &rendered(format, &checked, &registry))
            {
                failures.push(error);
            }
        }
    }

    let without: Vec<&str> = registry
        .iter()
        .map(|d| d.meta.id)
        .filter(|id| !finding.contains_key(*id))
        .collect();
    if !without.is_empty() {
        failures.push(format!(
            "rules with no fixture case that finds something (add \
             crates/core/tests/fixtures/<family>/<rule>/finds/, see docs/architecture.md): {}",
            without.join(", ")
        ));
    }
    if !strays.is_empty() {
        failures.push(format!(
            "fixture directories that name no rule: {}",
            strays.join(", ")
        ));
    }
    let orphans = orphan_snapshots(&registry);
    if !orphans.is_empty() {
        failures.push(format!(
            "snapshots no fixture case produces (delete them): {}",
            orphans.join(", ")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_report_fixture_matches_its_snapshot_in_every_format() {
    let registry = Registry::builtin();
    let cases = report_cases();
    assert!(
        !cases.is_empty(),
        "no report cases under {FIXTURES}/reports"
    );
    // Every format `--format` takes is pinned.
    assert_eq!(
        REPORT_FORMATS.map(|(name, _)| name).to_vec(),
        Format::NAMES.to_vec()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let checked = match check(case, &registry) {
            Ok(checked) => checked,
            Err(error) => {
                failures.push(error);
                continue;
            }
        };
        let families: BTreeSet<&str> = checked
            .report
            .findings
            .iter()
            .filter_map(|f| f.rule.split_once('/'))
            .map(|(family, _)| family)
            .collect();
        let levels: BTreeSet<String> = checked
            .report
            .findings
            .iter()
            .map(|f| f.level.as_str().to_owned())
            .collect();
        if families.len() < 3 || levels.len() < 3 {
            failures.push(format!(
                "{}: a report case shows findings of at least 3 families and every level; it has {families:?} and {levels:?}",
                case.name
            ));
        }
        for (suffix, format) in REPORT_FORMATS {
            if let Err(error) =
                assert_snapshot(case, suffix, &rendered(format, &checked, &registry))
            {
                failures.push(error);
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
