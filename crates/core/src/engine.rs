//! The engine: runs the enabled rules over a snapshot in parallel, applies waivers, sorts
//! findings and summarises them.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::edit::FixOptions;
use crate::finding::{fingerprint, Finding, Level, Tier, Violation};
use crate::glob::{Glob, GlobList};
use crate::policy::{Date, FailOn, Policy, PolicyError, Settings, Waiver};
use crate::registry::Registry;
use crate::rule::{Rule, Scope};
use crate::snapshot::{FileEntry, Snapshot, SourceKind};

use crate::context::{read_file, Contents, Memo};
/// [`Context`] and [`ReadError`] live in [`crate::context`]; these keep the engine's paths.
pub use crate::context::{Context, ReadError};

struct EnabledRule {
    id: String,
    level: Level,
    tier: Tier,
    scope: Scope,
    rule: Box<dyn Rule>,
}

/// Which rules to run, on top of the policy: `--only` and `--skip`.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Run only rules whose id matches one of these globs (`files/*`, `ci/unpinned-action`).
    pub only: Vec<String>,
    /// Do not run rules whose id matches one of these globs.
    pub skip: Vec<String>,
}

/// Rules the engine reports itself; they are always on.
pub const ENGINE_RULES: [&str; 3] = [
    "policy/waiver-expired",
    "policy/unread-file",
    // `crate::baseline::STALE_RULE`: the baseline is applied to a report, above the engine.
    "policy/baseline-stale",
];

/// A configured engine: enabled rules, settings and waivers.
pub struct Engine {
    rules: Vec<EnabledRule>,
    engine_levels: HashMap<&'static str, Option<Level>>,
    settings: Settings,
    waivers: Vec<Waiver>,
    /// `[settings] locked`: rules no inline suppression may silence.
    locked: Vec<Glob>,
    today: Date,
    fix_options: Option<FixOptions>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("rules", &self.rule_ids())
            .finish()
    }
}

impl Engine {
    /// Builds the engine for a policy: every rule it enables, with its options validated.
    pub fn new(registry: &Registry, policy: &Policy) -> Result<Engine, PolicyError> {
        Self::with_selection(registry, policy, &Selection::default())
    }

    /// Builds the engine, keeping only the selected rules.
    pub fn with_selection(
        registry: &Registry,
        policy: &Policy,
        selection: &Selection,
    ) -> Result<Engine, PolicyError> {
        let only = compile_id_globs(&selection.only, "--only")?;
        let skip = compile_id_globs(&selection.skip, "--skip")?;
        let known: Vec<String> = registry
            .iter()
            .map(|d| d.meta.id.to_owned())
            .chain(policy.custom.iter().map(|c| c.raw.id.get_ref().clone()))
            .collect();
        for (flag, globs) in [("--only", &only), ("--skip", &skip)] {
            for glob in globs {
                if !known.iter().any(|id| glob.is_match(id)) {
                    return Err(PolicyError::new(format!(
                        "{flag} `{}` names no rule (`goldpath rules` lists them)",
                        glob.pattern()
                    )));
                }
            }
        }
        let selected = |id: &str| {
            (only.is_empty() || only.iter().any(|g| g.is_match(id)))
                && !skip.iter().any(|g| g.is_match(id))
        };

        let mut rules = Vec::new();
        let mut engine_levels: HashMap<&'static str, Option<Level>> = ENGINE_RULES
            .iter()
            .filter_map(|id| registry.get(id).map(|d| (*id, Some(d.meta.default_level))))
            .collect();
        for (id, config) in &policy.rules {
            let Some(def) = registry.get(id) else {
                let hint = registry
                    .closest(id)
                    .map(|near| format!(" (did you mean `{near}`?)"))
                    .unwrap_or_default();
                return Err(config.origin.error(format!("unknown rule `{id}`{hint}")));
            };
            let level = match config.level {
                Some(setting) => setting.level(),
                None => Some(def.meta.default_level),
            };
            if let Some(slot) = engine_levels.get_mut(def.meta.id) {
                *slot = level;
                config.params.clone().finish()?;
                continue;
            }
            // Options are validated even for rules that are off or not selected: a typo in a
            // disabled rule is still a typo.
            let mut params = config.params.clone();
            let rule = (def.build)(&mut params)?;
            params.finish()?;
            let Some(level) = level else { continue };
            if !selected(id) {
                continue;
            }
            rules.push(EnabledRule {
                id: id.clone(),
                level,
                tier: config.tier.unwrap_or(def.meta.tier),
                scope: def.meta.scope,
                rule,
            });
        }

        for spec in &policy.custom {
            let id = spec.raw.id.get_ref();
            if registry.get(id).is_some() {
                let at = crate::policy::Origin {
                    source: spec.origin.source.clone(),
                    span: spec.raw.id.span(),
                };
                return Err(at.error(format!(
                    "custom rule id `{id}` is the id of a built-in rule; choose another"
                )));
            }
            let compiled = crate::custom::compile(spec)?;
            let Some(level) = compiled.level else {
                continue;
            };
            if !selected(id) {
                continue;
            }
            rules.push(EnabledRule {
                id: id.clone(),
                level,
                tier: compiled.tier,
                scope: Scope::Repository { path_list: true },
                rule: compiled.rule,
            });
        }

        // Registry order (custom rules after), so listings and SARIF rule indices are stable.
        let position = |id: &str| registry.iter().position(|d| d.meta.id == id);
        rules.sort_by_key(|r| position(&r.id).unwrap_or(usize::MAX));

        for waiver in &policy.waivers {
            if !known.iter().any(|id| waiver.rule.is_match(id)) {
                return Err(waiver.origin.error(format!(
                    "waiver names `{}`, which matches no rule: a waiver that waives nothing hides a typo",
                    waiver.rule.pattern()
                )));
            }
        }

        Ok(Engine {
            rules,
            engine_levels,
            settings: policy.settings.clone(),
            waivers: policy.waivers.clone(),
            locked: policy.locked.iter().map(|(glob, _)| glob.clone()).collect(),
            today: Date::today(),
            fix_options: None,
        })
    }

    /// Sets the date waivers are judged against (default: today, UTC).
    pub fn with_today(mut self, today: Date) -> Self {
        self.today = today;
        self
    }

    /// Asks rules for fixes: findings that a rule can repair carry a
    /// [`Fix`](crate::edit::Fix), which [`crate::fix::plan`] applies.
    pub fn with_fix_options(mut self, options: FixOptions) -> Self {
        self.fix_options = Some(options);
        self
    }

    /// Adds a configured rule directly, beside the policy's (for embedders).
    pub fn add_rule(
        &mut self,
        id: &str,
        level: Level,
        tier: Tier,
        scope: Scope,
        rule: Box<dyn Rule>,
    ) {
        self.rules.push(EnabledRule {
            id: id.to_owned(),
            level,
            tier,
            scope,
            rule,
        });
    }

    /// The ids of the enabled rules, in registry order.
    pub fn rule_ids(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.id.as_str()).collect()
    }

    /// The level of one of the engine's own rules ([`ENGINE_RULES`]) after the policy, `None`
    /// when the policy turns it off.
    pub fn engine_level(&self, id: &str) -> Option<Level> {
        self.engine_levels.get(id).copied().flatten()
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Checks a snapshot. Runs in the current rayon pool; the result does not depend on the
    /// number of threads.
    ///
    /// In change mode ([`Snapshot::changed`]) per-file rules judge the changed files, and a
    /// repository-wide rule runs only when its inputs changed (see [`Scope::Repository`]).
    pub fn check(&self, snapshot: &dyn Snapshot) -> Report {
        self.run(snapshot, None, false).0
    }

    /// Like [`check`](Self::check), running only the rules named in `ids` (the others count as
    /// not run). Change modes use it to judge the base with the rules that reported something.
    pub fn check_rules(&self, snapshot: &dyn Snapshot, ids: &BTreeSet<String>) -> Report {
        self.run(snapshot, Some(ids), false).0
    }

    /// [`check`](Self::check), and the files each repository-wide rule read that its
    /// [`inputs`](Rule::inputs) do not cover, as (rule id, path): a rule's declared inputs
    /// decide when it runs in change mode, so each such read is a change that could be missed.
    /// Tests assert there are none. Rules share derived values ([`Context::memo`]), and a
    /// shared value is read by the first rule that asks: audit one rule at a time (`ids`) to
    /// see every read of each.
    pub fn check_audited(
        &self,
        snapshot: &dyn Snapshot,
        ids: Option<&BTreeSet<String>>,
    ) -> (Report, Vec<(String, String)>) {
        self.run(snapshot, ids, true)
    }

    /// A check; with `audit`, repository-wide rules' reads are recorded and compared with
    /// their inputs (a set of wanted files per rule, which a plain check does not pay for).
    fn run(
        &self,
        snapshot: &dyn Snapshot,
        ids: Option<&BTreeSet<String>>,
        audit: bool,
    ) -> (Report, Vec<(String, String)>) {
        let started = Instant::now();
        let exclude = &self.settings.exclude;
        // Vendored and generated files are skipped like excluded ones, and counted.
        let skipper = crate::vendored::Skipper::new(
            snapshot,
            &self.settings.include_vendored,
            self.settings.max_read_bytes,
        );
        let mut tally = crate::vendored::Tally::default();
        let all: Vec<&FileEntry> = snapshot
            .files()
            .iter()
            .filter(|f| exclude.is_empty() || !exclude.is_match(&f.path))
            .filter(|f| match skipper.skip(&f.path) {
                Some((reason, root)) => {
                    tally.add(reason, root);
                    false
                }
                None => true,
            })
            .collect();
        let skipped = tally.finish();
        for root in &skipped.roots {
            tracing::debug!(root = %root.name, files = root.files, "skipped as vendored or generated");
        }
        let changed = snapshot.changed();
        let judged: Vec<&FileEntry> = match changed {
            // A few changed paths among many files: look each one up (the list is sorted).
            Some(changed) => changed
                .iter()
                .filter_map(|path| {
                    all.binary_search_by(|f| f.path.as_str().cmp(path))
                        .ok()
                        .map(|at| all[at])
                })
                .collect(),
            None => all.clone(),
        };
        // The lists' file names, for the searches of rules and wants that look for a few
        // files by name; one index when every file is judged.
        let all_names = OnceLock::new();
        let judged_names = OnceLock::new();
        let judged_names = if changed.is_some() {
            &judged_names
        } else {
            &all_names
        };
        tracing::debug!(
            files = all.len(),
            judged = judged.len(),
            excluded = snapshot.files().len() - all.len() - skipped.files,
            skipped = skipped.files,
            "listed snapshot"
        );

        // In change mode a repository-wide rule runs only when one of its inputs changed.
        let runs: Vec<bool> = self
            .rules
            .iter()
            .map(|rule| {
                if ids.is_some_and(|ids| !ids.contains(&rule.id)) {
                    return false;
                }
                match (rule.scope, changed) {
                    (Scope::Repository { path_list }, Some(changed)) => {
                        let runs = inputs_changed(
                            rule.rule.as_ref(),
                            path_list,
                            changed,
                            snapshot.path_changes(),
                        );
                        if !runs {
                            tracing::debug!(rule = %rule.id, "not run: the change left its inputs as they were");
                        }
                        runs
                    }
                    _ => true,
                }
            })
            .collect();

        // Each rule's wants, matched only where they can match: within the literal directory
        // prefix of each glob (a binary search in the sorted file list), over the judged files
        // for per-file rules in change mode, and over everything only for `**/` globs.
        let listed = Instant::now();
        // Rules of one family often want the same files: each distinct request is answered once.
        let requests: Vec<(Vec<String>, bool)> = self
            .rules
            .iter()
            .zip(&runs)
            .map(|(rule, runs)| {
                let judged_only = rule.scope == Scope::PerFile && changed.is_some();
                let wants = if *runs { rule.rule.wants() } else { Vec::new() };
                (wants, judged_only)
            })
            .collect();
        let mut distinct: Vec<&(Vec<String>, bool)> = requests.iter().collect();
        distinct.sort();
        distinct.dedup();
        let answers: Vec<Vec<&FileEntry>> = distinct
            .par_iter()
            .map(|(patterns, judged_only)| {
                let (list, names) = if *judged_only {
                    (&judged, judged_names)
                } else {
                    (&all, &all_names)
                };
                wanted_files(patterns, list, names)
            })
            .collect();
        let wanted_by_rule: Vec<Vec<&FileEntry>> = requests
            .iter()
            .map(|request| {
                distinct
                    .binary_search(&request)
                    .map(|at| answers[at].clone())
                    .unwrap_or_default()
            })
            .collect();
        let mut to_read: Vec<&FileEntry> = wanted_by_rule.iter().flatten().copied().collect();
        to_read.sort_by_key(|f| f.key);
        to_read.dedup_by_key(|f| f.key);
        let limit = self.settings.max_read_bytes;
        let contents = Contents::new(
            to_read
                .par_iter()
                .map(|f| (f.key, read_file(snapshot, f, limit)))
                .collect(),
        );
        let read_bytes: usize = contents
            .values()
            .map(|c| c.as_ref().map_or(0, Vec::len))
            .sum();
        tracing::debug!(
            files = contents.len(),
            bytes = read_bytes,
            elapsed = ?listed.elapsed(),
            "read wanted files"
        );

        let memo = Memo::default();
        type RuleResult = (usize, Vec<Violation>, Vec<String>);
        let results: Vec<RuleResult> = self
            .rules
            .par_iter()
            .zip(wanted_by_rule.into_par_iter())
            .enumerate()
            .filter(|(index, _)| runs[*index])
            .map(|(index, (rule, wanted))| {
                let audit = match rule.scope {
                    Scope::Repository { .. } if audit => {
                        Some(wanted.iter().map(|f| f.key).collect())
                    }
                    _ => None,
                };
                let cx = Context {
                    snapshot,
                    all: &all,
                    files: match rule.scope {
                        Scope::PerFile => &judged,
                        Scope::Repository { .. } => &all,
                    },
                    names: match rule.scope {
                        Scope::PerFile => judged_names,
                        Scope::Repository { .. } => &all_names,
                    },
                    all_names: &all_names,
                    wanted,
                    contents: &contents,
                    settings: &self.settings,
                    memo: &memo,
                    fix_options: self.fix_options.as_ref(),
                    audit,
                    read_outside: Mutex::new(Vec::new()),
                };
                let start = Instant::now();
                let mut out = Vec::new();
                rule.rule.check(&cx, &mut out);
                tracing::debug!(rule = %rule.id, violations = out.len(), elapsed = ?start.elapsed(), "rule done");
                // Only an audited context records reads.
                let read_outside = undeclared_reads(
                    rule.rule.as_ref(),
                    cx.read_outside
                        .into_inner()
                        .unwrap_or_else(|poison| poison.into_inner()),
                );
                for path in &read_outside {
                    tracing::debug!(rule = %rule.id, %path, "read a file its declared inputs do not cover");
                }
                (index, out, read_outside)
            })
            .collect();
        // The parsed documents and models are not needed any more: freeing a large tree of
        // small allocations takes a noticeable share of a check (1,500 workflows: about 5%),
        // so a thread of its own does it while the findings are built. Without a thread,
        // here.
        if let Err(e) = std::thread::Builder::new()
            .name("goldpath-memo-drop".into())
            .spawn(move || drop(memo))
        {
            tracing::debug!("freeing the memo in place: {e}");
        }
        let undeclared: Vec<(String, String)> = results
            .iter()
            .flat_map(|(index, _, paths)| {
                paths
                    .iter()
                    .map(|path| (self.rules[*index].id.clone(), path.clone()))
            })
            .collect();

        let mut findings = Vec::new();
        let mut sources = Sources {
            contents: &contents,
            files: &all,
            snapshot,
            max_read_bytes: self.settings.max_read_bytes,
            texts: HashMap::new(),
        };
        // Every secret any rule saw, so that no output prints it: not on its own finding's
        // line (masked by span below), nor in another finding's snippet or message.
        let mut secrets: Vec<String> = Vec::new();
        for (_, violations, _) in &results {
            for v in violations.iter().filter(|v| v.redact) {
                if let (Some(path), Some(span)) = (&v.path, &v.span) {
                    if let Some(secret) = span_text(path, span, &mut sources) {
                        secrets.extend(secret_pieces(&secret));
                    }
                }
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        for (index, violations, _) in results {
            let rule = &self.rules[index];
            for v in violations {
                findings.push(self.finish(&rule.id, rule.level, rule.tier, v, &mut sources));
            }
        }

        // Files a rule wanted but could not have: never a silent pass.
        if let Some(Some(level)) = self.engine_levels.get("policy/unread-file") {
            let mut unread: Vec<(&String, &ReadError)> = Vec::new();
            for f in &to_read {
                if let Some(Err(e)) = contents.get(&f.key) {
                    unread.push((&f.path, e));
                }
            }
            for (path, error) in unread {
                let v =
                    Violation::file(path.clone(), format!("not checked: {error}")).key("unread");
                findings.push(self.finish(
                    "policy/unread-file",
                    *level,
                    Tier::Bronze,
                    v,
                    &mut sources,
                ));
            }
        }

        if !secrets.is_empty() {
            for finding in &mut findings {
                mask_secrets(finding, &secrets);
            }
        }

        let mut waived = Vec::new();
        let mut kept = Vec::new();
        for finding in findings {
            match self.waiver_for(&finding) {
                None if self.settings.inline_suppressions => {
                    match self.inline_suppression(&finding) {
                        Some(reason) => waived.push(WaivedFinding {
                            finding,
                            inline: true,
                            reason,
                            owner: None,
                            expires: None,
                        }),
                        None => kept.push(finding),
                    }
                }
                Some(waiver) => waived.push(WaivedFinding {
                    inline: false,
                    finding,
                    reason: waiver.reason.clone(),
                    owner: waiver.owner.clone(),
                    expires: waiver.expires.map(|d| d.to_string()),
                }),
                None => kept.push(finding),
            }
        }
        if let Some(Some(level)) = self.engine_levels.get("policy/waiver-expired") {
            for waiver in &self.waivers {
                let Some(expires) = waiver.expires.filter(|d| *d < self.today) else {
                    continue;
                };
                let file = relative_to_root(&waiver.origin.source.name, &snapshot.root());
                let text = &waiver.origin.source.text;
                let index = crate::span::LineIndex::new(text);
                let span = index.span(waiver.origin.span.start, waiver.origin.span.start);
                let mut v = Violation::file(
                    file,
                    format!(
                        "waiver of `{}` expired on {expires}: its findings are reported again",
                        waiver.rule.pattern()
                    ),
                )
                .help(format!(
                    "renew it with a new `expires` (reason was: {}) or fix the findings",
                    waiver.reason
                ))
                .key(format!("{}:{expires}", waiver.rule.pattern()));
                v.span = Some(crate::span::Span {
                    end_line: span.line,
                    end_column: span.column,
                    ..span
                });
                let mut finding = self.finish(
                    "policy/waiver-expired",
                    *level,
                    Tier::Bronze,
                    v,
                    &mut sources,
                );
                finding.snippet = index.line_text(span.line).map(str::to_owned);
                kept.push(finding);
            }
        }

        kept.sort_by(compare_findings);
        waived.sort_by(|a, b| compare_findings(&a.finding, &b.finding));
        disambiguate_fingerprints(
            kept.iter_mut()
                .chain(waived.iter_mut().map(|w| &mut w.finding)),
        );
        let mut summary = Summary::new(
            &kept,
            waived.len(),
            all.len(),
            runs.iter().filter(|runs| **runs).count(),
            changed.is_some(),
        );
        summary.skipped = skipped;
        summary.suppressed = waived.iter().filter(|w| w.inline).count();
        tracing::debug!(elapsed = ?started.elapsed(), findings = kept.len(), "check done");
        let report = Report {
            target: Target {
                root: snapshot.root(),
                source: snapshot.source(),
                commit: snapshot.commit(),
                changed_only: changed.is_some(),
                files: all.len(),
            },
            findings: kept,
            waived,
            summary,
            rules: self
                .rules
                .iter()
                .zip(&runs)
                .map(|(r, ran)| RuleRun {
                    id: r.id.clone(),
                    level: r.level,
                    tier: r.tier,
                    ran: *ran,
                })
                .collect(),
        };
        (report, undeclared)
    }

    fn finish(
        &self,
        id: &str,
        level: Level,
        tier: Tier,
        v: Violation,
        sources: &mut Sources<'_>,
    ) -> Finding {
        let key = v.key.as_deref().unwrap_or(&v.message);
        let fingerprint = fingerprint(id, v.path.as_deref(), key);
        let snippet = match (&v.path, &v.span) {
            (Some(path), Some(span)) => snippet_for(path, span, sources).map(|text| {
                if v.redact {
                    mask_snippet(&text, span)
                } else {
                    text
                }
            }),
            _ => None,
        };
        let mask = |text: String| match crate::text::mask_url_credentials(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(masked) => masked,
        };
        Finding {
            rule: id.to_owned(),
            // A violation may lower its rule's level (a warning among errors), never raise it
            // above what the policy configured.
            level: v.level.map_or(level, |l| l.min(level)),
            tier: v.tier.unwrap_or(tier),
            message: mask(v.message),
            path: v.path,
            span: v.span,
            help: v.help.map(mask),
            fingerprint,
            snippet: snippet.map(mask),
            fix: v.fix.filter(|_| self.fix_options.is_some()),
        }
    }

    /// The reason of an inline suppression of `finding` on a line of its span (the snippet's
    /// lines, at most the first three), unless its rule is locked. Any line of the span, as
    /// zizmor reads its own comments: a finding that starts at `credentials:` is suppressed by
    /// a comment after the `password:` below it.
    fn inline_suppression(&self, finding: &Finding) -> Option<String> {
        if self.locked.iter().any(|glob| glob.is_match(&finding.rule)) {
            return None;
        }
        finding.span.as_ref()?;
        finding
            .snippet
            .as_deref()?
            .lines()
            .find_map(|line| crate::suppression::reason(line, &finding.rule))
    }

    fn waiver_for(&self, finding: &Finding) -> Option<&Waiver> {
        self.waivers.iter().find(|w| {
            w.expires.is_none_or(|d| d >= self.today)
                && w.rule.is_match(&finding.rule)
                && (w.paths.is_empty()
                    || finding.path.as_deref().is_some_and(|p| w.paths.is_match(p)))
        })
    }
}

/// Whether a change can have changed a repository-wide rule's judgement: a path was added or
/// removed and the rule depends on the list of paths, or a file matching its inputs was added,
/// modified or removed. A changed `.gitattributes` changes which files are skipped as vendored
/// or generated, so it counts for every rule; so does a change whose removed paths are unknown.
fn inputs_changed(
    rule: &dyn Rule,
    path_list: bool,
    changed: &BTreeSet<String>,
    path_changes: Option<&crate::snapshot::PathChanges>,
) -> bool {
    let Some(path_changes) = path_changes else {
        return true;
    };
    if path_list && path_changes.list_changed() {
        return true;
    }
    let mut touched = changed.iter().chain(&path_changes.removed);
    if touched
        .clone()
        .any(|p| p == ".gitattributes" || p.ends_with("/.gitattributes"))
    {
        return true;
    }
    let inputs = rule.inputs();
    if inputs.is_empty() {
        return false;
    }
    match GlobList::from_patterns(&inputs) {
        Ok(globs) => touched.any(|p| globs.is_match(p)),
        Err(_) => true,
    }
}

/// The paths of `read` that `rule`'s inputs do not cover.
fn undeclared_reads(rule: &dyn Rule, mut read: Vec<String>) -> Vec<String> {
    if read.is_empty() {
        return read;
    }
    read.sort();
    read.dedup();
    let inputs = rule.inputs();
    // Inputs that do not compile cover nothing: every read is reported.
    if let Ok(globs) = GlobList::from_patterns(&inputs) {
        read.retain(|p| !globs.is_match(p));
    }
    read
}

/// The regular files of `list` (sorted by path) that match one of `patterns`.
fn wanted_files<'f>(
    patterns: &[String],
    list: &[&'f FileEntry],
    names: &OnceLock<crate::select::Names>,
) -> Vec<&'f FileEntry> {
    if patterns.is_empty() {
        return Vec::new();
    }
    // Narrow down first, compile the globs only when something is left: most rules want
    // files most repositories do not have, and compiling a glob set costs more than the search.
    let candidates = crate::select::candidates(patterns, list, names);
    tracing::trace!(?patterns, candidates = candidates.len(), "wanted files");
    if candidates.is_empty() {
        return candidates;
    }
    match GlobList::from_patterns(patterns) {
        Ok(globs) => candidates
            .into_iter()
            .filter(|f| f.mode.is_regular() && globs.is_match(&f.path))
            .collect(),
        Err(e) => {
            tracing::warn!(?patterns, "a rule wants files by a bad glob: {e}");
            Vec::new()
        }
    }
}

/// Gives repeated fingerprints an occurrence number, in report order: two `TODO`s in one file
/// share rule, path and key, but the second is a different problem from the first. Comparing
/// two commits then sees "a second TODO appeared" rather than nothing.
fn disambiguate_fingerprints<'f>(findings: impl Iterator<Item = &'f mut Finding>) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for finding in findings {
        let count = seen.entry(finding.fingerprint.clone()).or_insert(0);
        if *count > 0 {
            finding.fingerprint = fingerprint(
                &finding.rule,
                finding.path.as_deref(),
                &format!("{}#{count}", finding.fingerprint),
            );
        }
        *count += 1;
    }
}

fn compile_id_globs(patterns: &[String], flag: &str) -> Result<Vec<Glob>, PolicyError> {
    patterns
        .iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Glob::new(p).map_err(|e| PolicyError::new(format!("{flag}: {e}"))))
        .collect()
}

fn relative_to_root(name: &str, root: &str) -> String {
    let root = root.trim_end_matches('/');
    name.strip_prefix(root)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(name)
        .to_owned()
}

/// What snippets are cut from: the files read, and the line starts of those with findings.
struct Sources<'a> {
    contents: &'a Contents,
    files: &'a [&'a FileEntry],
    /// Where a file no rule wanted up front (a local action, a license file a rule read on
    /// demand) is read from when a finding points into it, within the read limit.
    snapshot: &'a dyn Snapshot,
    max_read_bytes: u64,
    /// Each file's text (decoded like `security/secrets` decodes it, so positions agree) and
    /// the starts of its lines, found once per check: a rule that reports hundreds of findings
    /// in one large lockfile would otherwise scan it once per finding.
    texts: HashMap<usize, (Cow<'a, str>, Vec<usize>)>,
}

impl<'a> Sources<'a> {
    fn text(&mut self, path: &str) -> Option<&(Cow<'a, str>, Vec<usize>)> {
        let (contents, files) = (self.contents, self.files);
        let file = files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| files[i])?;
        if !self.texts.contains_key(&file.key) {
            let text = match contents.get(&file.key) {
                Some(content) => crate::text::decode(content.as_ref().ok()?),
                None => {
                    let bytes = read_file(self.snapshot, file, self.max_read_bytes).ok()?;
                    Cow::Owned(crate::text::decode(&bytes).into_owned())
                }
            };
            let starts = std::iter::once(0)
                .chain(
                    text.bytes()
                        .enumerate()
                        .filter(|(_, b)| *b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect();
            self.texts.insert(file.key, (text, starts));
        }
        self.texts.get(&file.key)
    }
}

fn snippet_for(path: &str, span: &crate::span::Span, sources: &mut Sources<'_>) -> Option<String> {
    let (text, starts) = sources.text(path)?;
    let first = span.line.max(1);
    let last = span.end_line.max(span.line).min(span.line + 2);
    if first > last {
        return None;
    }
    let begin = *starts.get(first as usize - 1)?;
    let end = starts
        .get(last as usize)
        .map_or(text.len(), |&next| next.saturating_sub(1).max(begin));
    let lines: Vec<&str> = text
        .get(begin..end)?
        .split('\n')
        .map(|l| l.trim_end_matches(['\n', '\r']))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The text a span covers (columns count characters), for masking a secret wherever it is
/// printed.
fn span_text(path: &str, span: &crate::span::Span, sources: &mut Sources<'_>) -> Option<String> {
    let (text, starts) = sources.text(path)?;
    let at = |line: u32, column: u32| -> Option<usize> {
        let begin = *starts.get((line as usize).checked_sub(1)?)?;
        let line_text = &text[begin..];
        let offset = line_text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i);
        Some(begin + offset)
    };
    let start = at(span.line, span.column)?;
    let end = at(span.end_line, span.end_column)?;
    text.get(start..end).map(str::to_owned)
}

/// The pieces of a secret that outputs must never print: each of its lines (a PEM block is
/// printed line by line), and each piece between escaped `\n` (a key inside a JSON string),
/// when long enough that masking it cannot garble ordinary text.
fn secret_pieces(secret: &str) -> impl Iterator<Item = String> + '_ {
    secret
        .split('\n')
        .flat_map(|line| line.split("\\n"))
        .map(|piece| piece.trim_matches(|c: char| c.is_whitespace() || c == '"' || c == '\''))
        .filter(|piece| piece.chars().count() >= 6)
        .map(str::to_owned)
}

/// The snippet of a span (whose first line is the span's first line) with every character
/// inside the span replaced by `*`, for violations whose text is a secret.
fn mask_snippet(snippet: &str, span: &crate::span::Span) -> String {
    let mut out = String::with_capacity(snippet.len());
    for (k, line) in snippet.lines().enumerate() {
        let number = span.line + k as u32;
        if k > 0 {
            out.push('\n');
        }
        let from = if k == 0 { span.column } else { 1 };
        let to = if number == span.end_line {
            span.end_column
        } else if number < span.end_line {
            u32::MAX
        } else {
            0
        };
        for (i, c) in line.chars().enumerate() {
            let column = i as u32 + 1;
            out.push(if column >= from && column < to {
                '*'
            } else {
                c
            });
        }
    }
    out
}

fn mask_secrets(finding: &mut Finding, secrets: &[String]) {
    for text in [
        Some(&mut finding.message),
        finding.help.as_mut(),
        finding.snippet.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(masked) = crate::text::mask_all(text, secrets) {
            *text = masked;
        }
    }
}

fn compare_findings(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let pos = |f: &Finding| f.span.map(|s| (s.line, s.column)).unwrap_or((0, 0));
    (
        a.path.as_deref().unwrap_or(""),
        pos(a),
        &a.rule,
        &a.message,
        &a.fingerprint,
    )
        .cmp(&(
            b.path.as_deref().unwrap_or(""),
            pos(b),
            &b.rule,
            &b.message,
            &b.fingerprint,
        ))
}

/// What was checked.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// The repository root as shown.
    pub root: String,
    /// Where the files came from.
    #[serde(serialize_with = "serialize_display")]
    pub source: SourceKind,
    /// The commit, when there is one.
    pub commit: Option<String>,
    /// Whether only changed files were judged by per-file rules.
    pub changed_only: bool,
    /// Number of files seen (after `exclude` and skipping vendored and generated files).
    pub files: usize,
}

fn serialize_display<S: serde::Serializer, T: std::fmt::Display>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// A finding a waiver, or an inline suppression, accepted.
#[derive(Debug, Clone, Serialize)]
pub struct WaivedFinding {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// True when a `goldpath: ignore[...]` (or `zizmor: ignore[...]`) comment on the finding's
    /// line accepted it rather than a waiver of the policy.
    pub inline: bool,
    /// The waiver's reason.
    pub reason: String,
    /// The waiver's owner.
    pub owner: Option<String>,
    /// The waiver's expiry date.
    pub expires: Option<String>,
}

/// The tier above the one reached, and what blocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextTier {
    /// The tier.
    pub tier: Tier,
    /// Rules with blocking findings at or below that tier, sorted.
    pub blocking_rules: Vec<String>,
    /// Number of blocking findings.
    pub blocking_findings: usize,
}

/// The baseline's effect on one check, for the summary ([`crate::baseline::apply`] fills it in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineSummary {
    /// The baseline file as shown.
    pub file: String,
    /// Entries in the file.
    pub entries: usize,
    /// Known findings: findings of this check that the baseline lists, not reported. The
    /// remaining debt.
    pub known: usize,
    /// Entries whose finding no longer occurs (reported as `policy/baseline-stale`).
    pub stale: usize,
}

/// Counts and the maturity tier.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Findings at level error.
    pub errors: usize,
    /// Findings at level warning.
    pub warnings: usize,
    /// Findings at level note.
    pub notes: usize,
    /// Findings accepted by waivers and inline suppressions.
    pub waived: usize,
    /// Of those, the findings inline suppressions (`goldpath: ignore[...]` comments) accepted.
    pub suppressed: usize,
    /// Files seen.
    pub files: usize,
    /// Rules run.
    pub rules: usize,
    /// The highest tier every enabled rule of which (and of the tiers below) passes; a rule
    /// passes when it has no error or warning. `None` when bronze is not reached.
    pub tier: Option<Tier>,
    /// The next tier and what blocks it; `None` at gold.
    pub next: Option<NextTier>,
    /// True when only changed files were judged: the tier then covers those files only.
    pub partial: bool,
    /// In change mode, findings not shown because the base has them too: the change did not
    /// introduce them (`--all` shows them).
    pub preexisting: usize,
    /// Vendored and generated files no rule saw (`[settings] include-vendored` takes them
    /// back), not counted in `files`.
    pub skipped: crate::vendored::Skipped,
    /// The baseline's effect (`goldpath baseline`), when one was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

impl Summary {
    fn new(findings: &[Finding], waived: usize, files: usize, rules: usize, partial: bool) -> Self {
        let count = |level| findings.iter().filter(|f| f.level == level).count();
        let blocking = |tier: Tier| -> Vec<&Finding> {
            findings
                .iter()
                .filter(|f| f.level >= Level::Warning && f.tier <= tier)
                .collect()
        };
        let mut reached = None;
        let mut next = None;
        for tier in Tier::ALL {
            let blockers = blocking(tier);
            if blockers.is_empty() {
                reached = Some(tier);
                continue;
            }
            let rules: BTreeSet<String> = blockers.iter().map(|f| f.rule.clone()).collect();
            next = Some(NextTier {
                tier,
                blocking_rules: rules.into_iter().collect(),
                blocking_findings: blockers.len(),
            });
            break;
        }
        Summary {
            errors: count(Level::Error),
            warnings: count(Level::Warning),
            notes: count(Level::Note),
            waived,
            files,
            rules,
            tier: reached,
            next,
            partial,
            suppressed: 0,
            preexisting: 0,
            skipped: crate::vendored::Skipped::default(),
            baseline: None,
        }
    }
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was checked.
    pub target: Target,
    /// Findings, sorted by path, line, column and rule.
    pub findings: Vec<Finding>,
    /// Findings accepted by waivers.
    pub waived: Vec<WaivedFinding>,
    /// Counts and tier.
    pub summary: Summary,
    /// The rules that ran, in registry order (custom rules last), for renderers that list
    /// them (SARIF, JUnit). Not part of the JSON report.
    #[serde(skip)]
    pub rules: Vec<RuleRun>,
}

/// An enabled rule, with its effective level and tier, and whether it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRun {
    /// Rule id.
    pub id: String,
    /// Level after policy.
    pub level: Level,
    /// Tier after policy.
    pub tier: Tier,
    /// False for a repository-wide rule that change mode did not run (its inputs did not
    /// change) and for rules left out by [`Engine::check_rules`].
    pub ran: bool,
}

impl Report {
    /// Keeps only findings that `baseline` (the same policy run on the base of the change:
    /// HEAD for a staged change, the merge base for a pull request) does not have, by
    /// fingerprint, and recomputes the summary, which counts the dropped ones as
    /// [`preexisting`](Summary::preexisting): a legacy repository adopts a rule without fixing
    /// its past first. Returns how many findings were dropped.
    pub fn retain_new(&mut self, baseline: &Report) -> usize {
        let known: std::collections::HashSet<&str> = baseline
            .findings
            .iter()
            .chain(baseline.waived.iter().map(|w| &w.finding))
            .map(|f| f.fingerprint.as_str())
            .collect();
        let before = self.findings.len();
        self.findings
            .retain(|f| !known.contains(f.fingerprint.as_str()));
        let dropped = before - self.findings.len();
        let preexisting = self.summary.preexisting + dropped;
        self.recompute_summary();
        self.summary.preexisting = preexisting;
        dropped
    }

    /// The summary of the findings as they now are, keeping what the check counted (files,
    /// rules, skipped files).
    pub(crate) fn recompute_summary(&mut self) {
        let skipped = std::mem::take(&mut self.summary.skipped);
        let preexisting = self.summary.preexisting;
        let suppressed = self.summary.suppressed;
        let baseline = self.summary.baseline.take();
        self.summary = Summary::new(
            &self.findings,
            self.waived.len(),
            self.summary.files,
            self.summary.rules,
            self.summary.partial,
        );
        self.summary.skipped = skipped;
        self.summary.preexisting = preexisting;
        self.summary.suppressed = suppressed;
        self.summary.baseline = baseline;
    }

    /// Adds findings made outside [`Engine::check`] (pull-request mode's scan of the commits'
    /// history), in report order, and recomputes the summary.
    pub fn add_findings(&mut self, extra: Vec<Finding>) {
        if extra.is_empty() {
            return;
        }
        self.findings.extend(extra);
        self.findings.sort_by(compare_findings);
        self.recompute_summary();
    }

    /// Whether any finding is at or above `fail_on`, whatever its tier.
    pub fn fails(&self, fail_on: FailOn) -> bool {
        self.findings.iter().any(|f| fail_on.fails(f.level))
    }

    /// Whether any finding of tier `fail_tier` or below is at or above `fail_on`: what
    /// `goldpath check` exits 1 on (`[settings] fail-tier`).
    pub fn fails_within(&self, fail_on: FailOn, fail_tier: Tier) -> bool {
        self.findings
            .iter()
            .any(|f| f.tier <= fail_tier && fail_on.fails(f.level))
    }

    /// Findings at or above `fail_on` whose tier is above `fail_tier`: reported, but not
    /// failing the run.
    pub fn above_fail_tier(&self, fail_on: FailOn, fail_tier: Tier) -> usize {
        self.findings
            .iter()
            .filter(|f| f.tier > fail_tier && fail_on.fails(f.level))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn wanted_files_match_inside_prefix_ranges_only() {
        let snapshot = crate::MemorySnapshot::new()
            .with_file(".github/workflows/a.yml", "")
            .with_file(".github/workflows/sub/b.yml", "")
            .with_file(".github/z.yml", "")
            .with_file("CODEOWNERS", "")
            .with_file("CODEOWNERS.bak", "")
            .with_file("docs/CODEOWNERS", "")
            .with_file("src/action.yml", "")
            .with_file("svc/catalog-info.yml", "");
        let list: Vec<&FileEntry> = snapshot.files().iter().collect();
        let paths = |patterns: &[&str]| -> Vec<String> {
            let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            wanted_files(&patterns, &list, &OnceLock::new())
                .iter()
                .map(|f| f.path.clone())
                .collect()
        };
        assert_eq!(
            paths(&[".github/workflows/*.yml"]),
            [".github/workflows/a.yml"]
        );
        assert_eq!(paths(&["CODEOWNERS", ".github/**/*.yml"]).len(), 4);
        assert_eq!(paths(&["**/action.yml"]), ["src/action.yml"]);
        assert_eq!(
            paths(&["{.github/CODEOWNERS,CODEOWNERS,docs/CODEOWNERS}"]),
            ["CODEOWNERS", "docs/CODEOWNERS"]
        );
        assert_eq!(
            paths(&["**/catalog-info.{yaml,yml}"]),
            ["svc/catalog-info.yml"]
        );
        assert!(paths(&[]).is_empty());
    }

    /// A source that learns sizes while reading (as a work tree does): the engine reads through
    /// `read_within` and answers a rule's size questions from what it read, so no file costs a
    /// separate size look-up.
    #[test]
    fn read_files_answer_size_questions_without_a_lookup() {
        struct Counting {
            inner: crate::MemorySnapshot,
            sizes: AtomicUsize,
        }
        impl Snapshot for Counting {
            fn files(&self) -> &[FileEntry] {
                self.inner.files()
            }
            fn read(&self, file: &FileEntry) -> std::io::Result<Vec<u8>> {
                self.inner.read(file)
            }
            fn size(&self, file: &FileEntry) -> std::io::Result<u64> {
                self.sizes.fetch_add(1, Ordering::SeqCst);
                self.inner.size(file)
            }
            fn read_within(
                &self,
                file: &FileEntry,
                limit: u64,
            ) -> std::io::Result<Result<Vec<u8>, u64>> {
                let bytes = self.inner.read(file)?;
                let size = bytes.len() as u64;
                Ok(if size > limit { Err(size) } else { Ok(bytes) })
            }
            fn source(&self) -> crate::snapshot::SourceKind {
                self.inner.source()
            }
            fn root(&self) -> String {
                self.inner.root()
            }
        }
        type Seen = Vec<(String, Result<u64, ReadError>)>;
        struct Sizes(Arc<Mutex<Seen>>);
        impl Rule for Sizes {
            fn wants(&self) -> Vec<String> {
                vec!["**".to_owned()]
            }
            fn check(&self, cx: &Context<'_>, _out: &mut Vec<Violation>) {
                let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
                for file in cx.wanted() {
                    seen.push((file.path.clone(), cx.size(file)));
                }
            }
        }

        let snapshot = Counting {
            inner: crate::MemorySnapshot::new()
                .with_file("small.txt", "12345")
                .with_file("big.txt", "0123456789"),
            sizes: AtomicUsize::new(0),
        };
        let policy = Policy::from_text(
            "goldpath.toml",
            "[settings]\nmax-read-bytes = 8\n",
            std::path::Path::new("."),
            &crate::policy::FsReader,
        )
        .unwrap_or_else(|e| panic!("policy: {e}"));
        let mut engine = Engine::new(&crate::registry::Registry::empty(), &policy)
            .unwrap_or_else(|e| panic!("{e}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        engine.add_rule(
            "test/sizes",
            Level::Note,
            Tier::Bronze,
            Scope::PerFile,
            Box::new(Sizes(Arc::clone(&seen))),
        );
        engine.check(&snapshot);
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            seen,
            [
                ("big.txt".to_owned(), Ok(10)),
                ("small.txt".to_owned(), Ok(5))
            ]
        );
        assert_eq!(snapshot.sizes.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn summary_tiers_follow_the_lowest_blocking_tier() {
        let finding = |level, tier| Finding {
            rule: format!("x/{tier}"),
            level,
            tier,
            message: String::new(),
            path: None,
            span: None,
            help: None,
            fingerprint: String::new(),
            snippet: None,
            fix: None,
        };
        let summary = Summary::new(&[], 0, 0, 0, false);
        assert_eq!(summary.tier, Some(Tier::Gold));
        assert!(summary.next.is_none());

        let findings = [
            finding(Level::Warning, Tier::Silver),
            finding(Level::Note, Tier::Bronze),
            finding(Level::Error, Tier::Gold),
        ];
        let summary = Summary::new(&findings, 0, 0, 0, false);
        assert_eq!(summary.tier, Some(Tier::Bronze), "notes never block");
        let next = summary.next.unwrap();
        assert_eq!(next.tier, Tier::Silver);
        assert_eq!(next.blocking_rules, ["x/silver"]);

        let summary = Summary::new(&[finding(Level::Error, Tier::Bronze)], 0, 0, 0, false);
        assert_eq!(summary.tier, None);
        assert_eq!(summary.next.unwrap().tier, Tier::Bronze);
    }
}
