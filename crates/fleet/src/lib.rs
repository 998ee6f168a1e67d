//! Fleet scorecards: one result line per repository (`goldpath fleet scan`), sharding of a
//! repository list across machines, and the aggregate report over many result files
//! (`goldpath fleet report`) as JSON, Markdown or a self-contained HTML page.
//!
//! The result format is JSON Lines, one [`Line`] per repository; docs/fleet.md describes it.
//! The binary's `fleet` command runs the scan's worker processes and writes the report; this
//! crate holds the model and the renderers, over the core library's report and escapes.
#![warn(missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use goldpath::Report;
use goldpath::Snapshot;
use goldpath::Tier;

mod render;

pub use render::html;

/// The result of checking one repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepoResult {
    /// The repository's name (its directory name, without a `.git` suffix).
    pub repo: String,
    /// The path it was read from.
    pub path: String,
    /// The commit checked (the default branch's head).
    pub commit: Option<String>,
    /// The tier reached, `None` below bronze.
    pub tier: Option<Tier>,
    /// The next tier, `None` at gold.
    pub next_tier: Option<Tier>,
    /// Findings per rule id (rules without findings are absent).
    pub findings: BTreeMap<String, usize>,
    /// Findings at level error.
    pub errors: usize,
    /// Findings at level warning.
    pub warnings: usize,
    /// Findings at level note.
    pub notes: usize,
    /// The default owner: Backstage `spec.owner` of `catalog-info.yaml` when present, else the
    /// owners of the last `*` rule of CODEOWNERS.
    pub owner: Option<String>,
    /// Time taken to check the repository, in milliseconds.
    pub duration_ms: u64,
    /// Which policy judged it: the policy file's path in the repository, `--config FILE`, or
    /// `builtin:recommended`. Absent in results of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_source: Option<String>,
    /// A fingerprint of the effective policy (rules with their options, custom rules,
    /// settings), so repositories judged by the same policy share it ([`policy_hash`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_hash: Option<String>,
    /// How many rules ran. A repository whose policy enables none has no tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_run: Option<usize>,
    /// The repository's remaining baseline debt: findings of this check that its baseline file
    /// (`goldpath baseline`) lists as known. Absent when it has no baseline. The findings, the
    /// counts and the tier above include them: the fleet sees every finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_debt: Option<usize>,
    /// Entries in the repository's baseline file; those beyond `baseline_debt` no longer occur.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_entries: Option<usize>,
    /// Findings that inline suppressions (`goldpath: ignore[...]` comments, allowed by the
    /// repository's policy) accepted; absent when none did. They are not in the counts above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<usize>,
}

/// Which policy judged a repository, for its result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// See [`RepoResult::policy_source`].
    pub source: String,
    /// See [`RepoResult::policy_hash`].
    pub hash: String,
    /// See [`RepoResult::rules_run`].
    pub rules_run: usize,
}

/// A fingerprint of a policy's effect: FNV-1a (64 bits, hex) over its enabled rules with their
/// level, tier and options, the number of custom rules, and the settings; where each was written
/// does not count, so one policy file gives one hash in every repository. Not a cryptographic
/// hash: it tells policies apart in a report.
pub fn policy_hash(policy: &goldpath::Policy) -> String {
    let mut text = String::new();
    for (id, rule) in &policy.rules {
        let _ = write!(text, "{id} {:?} {:?}", rule.level, rule.tier);
        for (key, value) in rule.params.values() {
            let _ = write!(text, " {key}={value}");
        }
        text.push('\n');
    }
    let _ = write!(
        text,
        "custom {}\n{:?}",
        policy.custom.len(),
        policy.settings
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// A repository that could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoError {
    /// The repository's name.
    pub repo: String,
    /// The path it was read from.
    pub path: String,
    /// Why it could not be checked.
    pub error: String,
}

/// One line of a result file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Line {
    /// A repository that was checked.
    Checked(RepoResult),
    /// A repository that could not be checked.
    Broken(RepoError),
}

impl Line {
    /// The repository's name.
    pub fn repo(&self) -> &str {
        match self {
            Line::Checked(r) => &r.repo,
            Line::Broken(r) => &r.repo,
        }
    }

    /// The repository's path.
    pub fn path(&self) -> &str {
        match self {
            Line::Checked(r) => &r.path,
            Line::Broken(r) => &r.path,
        }
    }
}

impl RepoResult {
    /// The result line of a check.
    pub fn from_report(
        repo: String,
        path: String,
        report: &Report,
        owner: Option<String>,
        duration_ms: u64,
        policy: Option<PolicyInfo>,
    ) -> Self {
        // No rule ran: nothing was judged, so no tier (an empty goldpath.toml is not gold).
        let judged = policy.as_ref().is_none_or(|p| p.rules_run > 0);
        let mut findings = BTreeMap::new();
        for finding in &report.findings {
            *findings.entry(finding.rule.clone()).or_insert(0) += 1;
        }
        RepoResult {
            repo,
            path,
            commit: report.target.commit.clone(),
            tier: report.summary.tier.filter(|_| judged),
            next_tier: report
                .summary
                .next
                .as_ref()
                .map(|n| n.tier)
                .filter(|_| judged),
            findings,
            errors: report.summary.errors,
            warnings: report.summary.warnings,
            notes: report.summary.notes,
            owner,
            duration_ms,
            policy_source: policy.as_ref().map(|p| p.source.clone()),
            policy_hash: policy.as_ref().map(|p| p.hash.clone()),
            rules_run: policy.map(|p| p.rules_run),
            baseline_debt: None,
            baseline_entries: None,
            suppressed: Some(report.summary.suppressed).filter(|n| *n > 0),
        }
    }

    /// Records the repository's baseline: its size, and how many of `report`'s findings it
    /// lists (the debt that remains).
    pub fn set_baseline(&mut self, baseline: &goldpath::baseline::Baseline, report: &Report) {
        self.baseline_entries = Some(baseline.len());
        self.baseline_debt = Some(
            report
                .findings
                .iter()
                .filter(|f| baseline.contains(&f.fingerprint))
                .count(),
        );
    }
}

/// The repository's default owner: `spec.owner` of a root `catalog-info.yaml` (or `.yml`) when
/// present, else the owners of the last `*` rule of the CODEOWNERS file GitHub would use
/// (space-separated), else `None`.
pub fn default_owner(snapshot: &dyn Snapshot) -> Option<String> {
    let files = snapshot.files();
    let read = |path: &str| -> Option<String> {
        let entry = files.iter().find(|f| f.path == path)?;
        let bytes = snapshot.read(entry).ok()?;
        String::from_utf8(bytes).ok()
    };
    for name in ["catalog-info.yaml", "catalog-info.yml"] {
        if let Some(owner) = read(name).as_deref().and_then(catalog_owner) {
            return Some(owner);
        }
    }
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let dialect = goldpath::codeowners::Dialect::GitHub;
    let location = goldpath::codeowners::choose_location(dialect, &paths).effective?;
    let text = read(location)?;
    codeowners_default_owner(&text)
}

/// The owners of the last `*` rule of a CODEOWNERS file, space-separated.
pub fn codeowners_default_owner(text: &str) -> Option<String> {
    let parsed = goldpath::codeowners::parse(text, goldpath::codeowners::Dialect::GitHub);
    let rule = parsed
        .rules()
        .iter()
        .rev()
        .find(|r| !r.exclusion && matches!(r.pattern.as_str(), "*" | "/*" | "/**" | "**"))?;
    let owners: Vec<&str> = rule.owners.iter().map(|o| o.text.as_str()).collect();
    (!owners.is_empty()).then(|| owners.join(" "))
}

/// `spec.owner` of the first document of a Backstage catalog file that has one, read with the
/// YAML parser the rule `ownership/catalog-info` uses (flow mappings, quoting, comments and
/// multi-document files mean what they mean in YAML). `None` when no document names an owner
/// or the file is not valid YAML.
pub fn catalog_owner(text: &str) -> Option<String> {
    let documents = goldpath::doc::parse(goldpath::doc::Format::Yaml, text).ok()?;
    documents.iter().find_map(|document| {
        let owner = document.get("spec")?.get("owner")?;
        let owner = match owner.as_str() {
            Some(owner) => owner.trim().to_owned(),
            None if owner.is_scalar() && !owner.is_null() => owner.to_display(),
            None => return None,
        };
        (!owner.is_empty()).then_some(owner)
    })
}

/// Parses `I/N` (1-based shard `I` of `N`).
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}`: expected I/N, such as 1/4"))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: I is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("`{text}`: N is not a number"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("`{text}`: expected 1 <= I <= N"));
    }
    Ok((i, n))
}

/// Whether the repository at position `k` (0-based, in sorted order of names) belongs to
/// shard `i` (1-based) of `n`: `k % n == i - 1`. Every position is in exactly one shard.
pub fn in_shard(k: usize, i: usize, n: usize) -> bool {
    n > 0 && k % n == i.wrapping_sub(1)
}

/// Keeps the items of shard `i` of `n` (items in sorted order).
pub fn shard<T>(items: Vec<T>, i: usize, n: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| in_shard(*k, i, n))
        .map(|(_, item)| item)
        .collect()
}

/// Reads a result file: one JSON object per line, blank lines ignored. The error names the
/// 1-based line.
pub fn parse_lines(text: &str) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", number + 1))?;
        lines.push(parsed);
    }
    Ok(lines)
}

/// Adoption of one rule across the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adoption {
    /// Rule id.
    pub rule: String,
    /// Repositories without a finding of the rule.
    pub passing: usize,
    /// Repositories checked.
    pub total: usize,
    /// `passing / total`.
    pub rate: f64,
    /// Change of `rate` since the previous scan, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
}

/// Count of repositories per tier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TierCounts {
    /// At gold.
    pub gold: usize,
    /// At silver.
    pub silver: usize,
    /// At bronze.
    pub bronze: usize,
    /// Below bronze.
    pub none: usize,
}

impl TierCounts {
    fn add(&mut self, tier: Option<Tier>) {
        match tier {
            Some(Tier::Gold) => self.gold += 1,
            Some(Tier::Silver) => self.silver += 1,
            Some(Tier::Bronze) => self.bronze += 1,
            None => self.none += 1,
        }
    }

    fn rows(&self) -> [(&'static str, usize); 4] {
        [
            ("gold", self.gold),
            ("silver", self.silver),
            ("bronze", self.bronze),
            ("none", self.none),
        ]
    }
}

/// A repository with findings, for the worst offenders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offender {
    /// Repository name.
    pub repo: String,
    /// Owner.
    pub owner: Option<String>,
    /// Tier reached.
    pub tier: Option<Tier>,
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
}

/// One owner's repositories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnerRollup {
    /// The owner, `(none)` for repositories without one.
    pub owner: String,
    /// Repositories checked.
    pub repos: usize,
    /// Their tiers.
    pub tiers: TierCounts,
    /// Share of (repository, rule) pairs passing, over the fleet's rules.
    pub pass_rate: f64,
    /// Errors in all of them.
    pub errors: usize,
}

/// A repository whose tier changed since the previous scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TierChange {
    /// Repository name.
    pub repo: String,
    /// Tier in the previous scan.
    pub from: Option<Tier>,
    /// Tier now.
    pub to: Option<Tier>,
}

/// The comparison with a previous scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// Tiers in the previous scan.
    pub previous_tiers: TierCounts,
    /// Repositories whose tier changed, by name.
    pub tier_changes: Vec<TierChange>,
    /// Repositories checked now but not before.
    pub added: Vec<String>,
    /// Repositories checked before but not now.
    pub removed: Vec<String>,
}

/// A repository that could not be checked.
pub type Broken = RepoError;

/// The aggregate over a fleet's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetReport {
    /// Repositories checked.
    pub repos: usize,
    /// Tiers.
    pub tiers: TierCounts,
    /// Adoption per rule (every rule with a finding somewhere, in the current or previous
    /// scan), lowest adoption first, then by id.
    pub adoption: Vec<Adoption>,
    /// Up to ten repositories with the most errors (then warnings), then by name.
    pub worst_offenders: Vec<Offender>,
    /// Per owner, by owner.
    pub owners: Vec<OwnerRollup>,
    /// Repositories that could not be checked, by name.
    pub broken: Vec<Broken>,
    /// The comparison with `--previous`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// Repositories judged by a policy that enables no rule, or fewer rules than the
    /// organisation's (`fleet report --org-policy`), by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weak_policies: Vec<WeakPolicy>,
    /// Repositories with a baseline file, most debt first, then by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baseline_debt: Vec<BaselineDebt>,
    /// Repositories whose findings inline suppressions accepted, most first, then by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppressions>,
}

/// A repository's inline suppressions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressions {
    /// The repository's name.
    pub repo: String,
    /// Its owner.
    pub owner: Option<String>,
    /// Findings its `goldpath: ignore[...]` comments accepted.
    pub suppressed: usize,
}

/// A repository's remaining baseline debt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineDebt {
    /// The repository's name.
    pub repo: String,
    /// Its owner.
    pub owner: Option<String>,
    /// Known findings still present ([`RepoResult::baseline_debt`]).
    pub debt: usize,
    /// Entries in its baseline file.
    pub entries: usize,
}

/// A repository judged by a weaker policy than the organisation's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeakPolicy {
    /// The repository's name.
    pub repo: String,
    /// The policy that judged it ([`RepoResult::policy_source`]).
    pub policy: Option<String>,
    /// Rules that ran.
    pub rules_run: usize,
    /// Rules the organisation's policy enables, when given.
    pub org_rules: Option<usize>,
}

/// How many worst offenders are listed.
pub const WORST_OFFENDERS: usize = 10;

/// Splits lines into checked and broken repositories, keyed by (name, path), the last line of a
/// repository winning (so re-scanned shards may simply be appended).
fn split(lines: &[Line]) -> (Vec<&RepoResult>, Vec<&RepoError>) {
    let mut by_key: BTreeMap<(&str, &str), &Line> = BTreeMap::new();
    for line in lines {
        by_key.insert((line.repo(), line.path()), line);
    }
    let mut checked = Vec::new();
    let mut broken = Vec::new();
    for line in by_key.into_values() {
        match line {
            Line::Checked(r) => checked.push(r),
            Line::Broken(b) => broken.push(b),
        }
    }
    (checked, broken)
}

fn rate(passing: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        passing as f64 / total as f64
    }
}

fn adoption_rates(checked: &[&RepoResult], rules: &BTreeSet<&str>) -> BTreeMap<String, usize> {
    rules
        .iter()
        .map(|rule| {
            let passing = checked
                .iter()
                .filter(|r| r.findings.get(*rule).copied().unwrap_or(0) == 0)
                .count();
            ((*rule).to_owned(), passing)
        })
        .collect()
}

impl FleetReport {
    /// Aggregates `current` results, compared with `previous` when given.
    pub fn new(current: &[Line], previous: Option<&[Line]>) -> Self {
        Self::with_org_rules(current, previous, None)
    }

    /// [`FleetReport::new`], also flagging repositories whose policy ran fewer rules than
    /// `org_rules` (the number the organisation's policy enables). Repositories where no rule
    /// ran are flagged either way; results without `rules_run` (older versions) are not.
    pub fn with_org_rules(
        current: &[Line],
        previous: Option<&[Line]>,
        org_rules: Option<usize>,
    ) -> Self {
        let (checked, broken) = split(current);
        let weak_policies = checked
            .iter()
            .filter_map(|r| {
                let run = r.rules_run?;
                (run == 0 || org_rules.is_some_and(|org| run < org)).then(|| WeakPolicy {
                    repo: r.repo.clone(),
                    policy: r.policy_source.clone(),
                    rules_run: run,
                    org_rules,
                })
            })
            .collect();
        let mut baseline_debt: Vec<BaselineDebt> = checked
            .iter()
            .filter_map(|r| {
                Some(BaselineDebt {
                    repo: r.repo.clone(),
                    owner: r.owner.clone(),
                    debt: r.baseline_debt?,
                    entries: r.baseline_entries.unwrap_or(0),
                })
            })
            .collect();
        baseline_debt.sort_by(|a, b| b.debt.cmp(&a.debt).then_with(|| a.repo.cmp(&b.repo)));
        let mut suppressions: Vec<Suppressions> = checked
            .iter()
            .filter_map(|r| {
                Some(Suppressions {
                    repo: r.repo.clone(),
                    owner: r.owner.clone(),
                    suppressed: r.suppressed?,
                })
            })
            .collect();
        suppressions.sort_by(|a, b| {
            b.suppressed
                .cmp(&a.suppressed)
                .then_with(|| a.repo.cmp(&b.repo))
        });
        let previous = previous.map(split);
        let mut rules: BTreeSet<&str> = checked
            .iter()
            .flat_map(|r| r.findings.keys().map(String::as_str))
            .collect();
        if let Some((prev, _)) = &previous {
            rules.extend(
                prev.iter()
                    .flat_map(|r| r.findings.keys().map(String::as_str)),
            );
        }
        let total = checked.len();
        let passing = adoption_rates(&checked, &rules);
        let prev_passing = previous
            .as_ref()
            .map(|(prev, _)| (adoption_rates(prev, &rules), prev.len()));
        let mut adoption: Vec<Adoption> = passing
            .iter()
            .map(|(rule, &passing)| {
                let now = rate(passing, total);
                Adoption {
                    rule: rule.clone(),
                    passing,
                    total,
                    rate: now,
                    delta: prev_passing
                        .as_ref()
                        .map(|(p, n)| now - rate(p.get(rule).copied().unwrap_or(0), *n)),
                }
            })
            .collect();
        adoption.sort_by(|a, b| a.rate.total_cmp(&b.rate).then_with(|| a.rule.cmp(&b.rule)));

        let mut tiers = TierCounts::default();
        for r in &checked {
            tiers.add(r.tier);
        }

        let mut offenders: Vec<&RepoResult> = checked
            .iter()
            .copied()
            .filter(|r| r.errors + r.warnings > 0)
            .collect();
        offenders.sort_by(|a, b| {
            b.errors
                .cmp(&a.errors)
                .then(b.warnings.cmp(&a.warnings))
                .then_with(|| a.repo.cmp(&b.repo))
        });
        let worst_offenders = offenders
            .into_iter()
            .take(WORST_OFFENDERS)
            .map(|r| Offender {
                repo: r.repo.clone(),
                owner: r.owner.clone(),
                tier: r.tier,
                errors: r.errors,
                warnings: r.warnings,
            })
            .collect();

        let mut groups: BTreeMap<&str, Vec<&RepoResult>> = BTreeMap::new();
        for r in &checked {
            groups
                .entry(r.owner.as_deref().unwrap_or("(none)"))
                .or_default()
                .push(r);
        }
        let owners = groups
            .into_iter()
            .map(|(owner, repos)| {
                let mut tiers = TierCounts::default();
                let mut pass = 0;
                for r in &repos {
                    tiers.add(r.tier);
                    pass += rules
                        .iter()
                        .filter(|rule| r.findings.get(**rule).copied().unwrap_or(0) == 0)
                        .count();
                }
                OwnerRollup {
                    owner: owner.to_owned(),
                    repos: repos.len(),
                    tiers,
                    pass_rate: if rules.is_empty() {
                        1.0
                    } else {
                        rate(pass, repos.len() * rules.len())
                    },
                    errors: repos.iter().map(|r| r.errors).sum(),
                }
            })
            .collect();

        let trend = previous.map(|(prev, _)| {
            let mut previous_tiers = TierCounts::default();
            for r in &prev {
                previous_tiers.add(r.tier);
            }
            let before: BTreeMap<&str, Option<Tier>> =
                prev.iter().map(|r| (r.repo.as_str(), r.tier)).collect();
            let now: BTreeMap<&str, Option<Tier>> =
                checked.iter().map(|r| (r.repo.as_str(), r.tier)).collect();
            Trend {
                previous_tiers,
                tier_changes: now
                    .iter()
                    .filter_map(|(repo, to)| {
                        let from = before.get(repo)?;
                        (from != to).then(|| TierChange {
                            repo: (*repo).to_owned(),
                            from: *from,
                            to: *to,
                        })
                    })
                    .collect(),
                added: now
                    .keys()
                    .filter(|r| !before.contains_key(*r))
                    .map(|r| (*r).to_owned())
                    .collect(),
                removed: before
                    .keys()
                    .filter(|r| !now.contains_key(*r))
                    .map(|r| (*r).to_owned())
                    .collect(),
            }
        });

        FleetReport {
            repos: total,
            tiers,
            adoption,
            worst_offenders,
            owners,
            broken: broken.into_iter().cloned().collect(),
            trend,
            weak_policies,
            baseline_debt,
            suppressions,
        }
    }

    /// The report as pretty JSON, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        render::markdown(self)
    }

    /// The report as a self-contained HTML page: inline CSS and SVG, no scripts, no external
    /// resources.
    pub fn to_html(&self) -> String {
        render::html_page(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::md;

    #[test]
    fn shards_cover_every_repository_exactly_once() {
        for n in 1..=17 {
            for len in 0..=60 {
                let items: Vec<usize> = (0..len).collect();
                let mut seen = vec![0usize; len];
                for i in 1..=n {
                    let part = shard(items.clone(), i, n);
                    // Balanced: sizes differ by at most one.
                    assert!(part.len() >= len / n && part.len() <= len.div_ceil(n));
                    // Deterministic.
                    assert_eq!(part, shard(items.clone(), i, n));
                    for k in part {
                        seen[k] += 1;
                    }
                }
                assert!(seen.iter().all(|&c| c == 1), "n={n} len={len}: {seen:?}");
            }
        }
    }

    #[test]
    fn shard_arguments() {
        assert_eq!(parse_shard("1/2"), Ok((1, 2)));
        assert_eq!(parse_shard("4/4"), Ok((4, 4)));
        assert!(parse_shard("0/2").is_err());
        assert!(parse_shard("3/2").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("x").is_err());
        assert!(parse_shard("a/b").is_err());
        assert!(!in_shard(0, 0, 2));
    }

    #[test]
    fn default_owners() {
        let text = "# c\n* @acme/platform\n/docs/ @acme/docs\n*       @acme/core @jane\n";
        assert_eq!(
            codeowners_default_owner(text).as_deref(),
            Some("@acme/core @jane")
        );
        assert_eq!(codeowners_default_owner("/docs/ @a\n"), None);
        let catalog = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  owner: wrong\nspec:\n  type: service\n  owner: \"group:payments\" # team\n";
        assert_eq!(catalog_owner(catalog).as_deref(), Some("group:payments"));
        assert_eq!(catalog_owner("spec:\n  type: x\n"), None);
    }

    #[test]
    fn catalog_owner_reads_yaml_not_lines() {
        // A flow mapping: no `owner:` line under `spec:`.
        let flow = "apiVersion: backstage.io/v1alpha1\nkind: Component\nspec: {type: service, owner: team-a}\n";
        assert_eq!(catalog_owner(flow).as_deref(), Some("team-a"));
        // A second document owns it when the first names no owner.
        let second = "kind: Location\nspec:\n  targets: [./a.yaml]\n---\nkind: Component\nspec:\n  owner: team-b\n";
        assert_eq!(catalog_owner(second).as_deref(), Some("team-b"));
        // Quoting and escapes mean what YAML says; a `#` inside quotes is not a comment.
        let quoted = "spec:\n  owner: \"group:a#b\" # the team\n";
        assert_eq!(catalog_owner(quoted).as_deref(), Some("group:a#b"));
        // A nested `owner:` at the same indentation under another key is not spec.owner.
        let nested = "spec:\n  system:\n    owner: wrong\n";
        assert_eq!(catalog_owner(nested), None);
        assert_eq!(catalog_owner("spec: [unclosed\n"), None);
    }

    const CURRENT: &str = r#"{"repo":"api","path":"/r/api","commit":"a1","tier":"gold","next_tier":null,"findings":{},"errors":0,"warnings":0,"notes":0,"owner":"@acme/core","duration_ms":5}
{"repo":"web","path":"/r/web","commit":"b2","tier":"bronze","next_tier":"silver","findings":{"files/required":2,"ci/pinned":1},"errors":2,"warnings":1,"notes":0,"owner":"@acme/<web>","duration_ms":7}

{"repo":"db","path":"/r/db","commit":"c3","tier":null,"next_tier":"bronze","findings":{"files/required":1},"errors":1,"warnings":0,"notes":0,"owner":"@acme/core","duration_ms":3}
{"repo":"old","path":"/r/old","error":"not a git repository"}
"#;

    const PREVIOUS: &str = r#"{"repo":"api","path":"/r/api","commit":"a0","tier":"silver","next_tier":"gold","findings":{"ci/pinned":1},"errors":0,"warnings":1,"notes":0,"owner":"@acme/core","duration_ms":5}
{"repo":"web","path":"/r/web","commit":"b1","tier":"bronze","next_tier":"silver","findings":{"files/required":2,"ci/pinned":1},"errors":2,"warnings":1,"notes":0,"owner":"@acme/<web>","duration_ms":7}
{"repo":"gone","path":"/r/gone","commit":"d1","tier":"gold","next_tier":null,"findings":{},"errors":0,"warnings":0,"notes":0,"owner":null,"duration_ms":1}
"#;

    fn report(previous: bool) -> FleetReport {
        let current = parse_lines(CURRENT).expect("current");
        let prev = parse_lines(PREVIOUS).expect("previous");
        FleetReport::new(&current, previous.then_some(prev.as_slice()))
    }

    #[test]
    fn lines_round_trip_and_errors_name_the_line() {
        let lines = parse_lines(CURRENT).expect("parse");
        assert_eq!(lines.len(), 4);
        assert!(matches!(&lines[3], Line::Broken(b) if b.error == "not a git repository"));
        for line in &lines {
            let text = serde_json::to_string(line).expect("serialize");
            assert_eq!(&parse_lines(&text).expect("reparse")[0], line);
        }
        let err = parse_lines("{\"repo\":\"a\"}\n\nnot json\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
    }

    #[test]
    fn json_report() {
        let value: serde_json::Value = serde_json::from_str(&report(true).to_json()).expect("json");
        let expected = serde_json::json!({
            "repos": 3,
            "tiers": {"gold": 1, "silver": 0, "bronze": 1, "none": 1},
            "adoption": [
                {"rule": "files/required", "passing": 1, "total": 3, "rate": 1.0 / 3.0,
                 "delta": 1.0 / 3.0 - 2.0 / 3.0},
                {"rule": "ci/pinned", "passing": 2, "total": 3, "rate": 2.0 / 3.0,
                 "delta": 2.0 / 3.0 - 1.0 / 3.0},
            ],
            "worst_offenders": [
                {"repo": "web", "owner": "@acme/<web>", "tier": "bronze", "errors": 2, "warnings": 1},
                {"repo": "db", "owner": "@acme/core", "tier": null, "errors": 1, "warnings": 0},
            ],
            "owners": [
                {"owner": "@acme/<web>", "repos": 1,
                 "tiers": {"gold": 0, "silver": 0, "bronze": 1, "none": 0},
                 "pass_rate": 0.0, "errors": 2},
                {"owner": "@acme/core", "repos": 2,
                 "tiers": {"gold": 1, "silver": 0, "bronze": 0, "none": 1},
                 "pass_rate": 0.75, "errors": 1},
            ],
            "broken": [{"repo": "old", "path": "/r/old", "error": "not a git repository"}],
            "trend": {
                "previous_tiers": {"gold": 1, "silver": 1, "bronze": 1, "none": 0},
                "tier_changes": [
                    {"repo": "api", "from": "silver", "to": "gold"},
                ],
                "added": ["db"],
                "removed": ["gone"],
            },
        });
        assert_eq!(value, expected);
    }

    #[test]
    fn markdown_report() {
        let text = report(true).to_markdown();
        let expected = "# Fleet scorecard

3 repositories checked, 1 could not be checked.

## Tiers

| Tier | Repositories | Share | Previous |
|---|---:|---:|---:|
| gold | 1 | 33.3% | 1 |
| silver | 0 | 0% | 1 |
| bronze | 1 | 33.3% | 1 |
| none | 1 | 33.3% | 0 |

## Rule adoption

| Rule | Passing | Adoption | Change |
|---|---:|---:|---:|
| `files/required` | 1/3 | 33.3% | -33.3 pp |
| `ci/pinned` | 2/3 | 66.7% | +33.3 pp |

## Worst offenders

| Repository | Owner | Tier | Errors | Warnings |
|---|---|---|---:|---:|
| web | @acme/&lt;web&gt; | bronze | 2 | 1 |
| db | @acme/core | none | 1 | 0 |

## Owners

| Owner | Repositories | Gold | Silver | Bronze | None | Pass rate | Errors |
|---|---:|---:|---:|---:|---:|---:|---:|
| @acme/&lt;web&gt; | 1 | 0 | 0 | 1 | 0 | 0% | 2 |
| @acme/core | 2 | 1 | 0 | 0 | 1 | 75% | 1 |

## Since the previous scan

| Repository | Before | Now |
|---|---|---|
| api | silver | gold |

New: db.

Gone: gone.

## Not checked

| Repository | Error |
|---|---|
| old | not a git repository |
";
        assert_eq!(text, expected);
    }

    #[test]
    fn html_report_is_self_contained_and_escaped() {
        let text = report(false).to_html();
        assert!(text.starts_with("<!DOCTYPE html>\n"));
        assert!(text.ends_with("</html>\n"));
        for absent in [
            "<script", "http://", "https://", "src=", "@import", "<web>", "<link",
        ] {
            // The SVG namespace is the one URL allowed.
            let rest = text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
            assert!(!rest.contains(absent), "{absent} in the page");
        }
        assert_eq!(text.matches("<svg ").count(), 2);
        assert!(text.contains("<td>@acme/&lt;web&gt;</td>"));
        assert!(text.contains(
            "<tr><td><code>files/required</code></td><td class=\"n\">1/3</td><td class=\"n\">33.3%</td></tr>"
        ));
        assert!(text.contains("<tr><td>old</td><td>not a git repository</td></tr>"));
        assert!(text.contains("<p>3 repositories checked, 1 could not be checked.</p>"));
        assert!(!text.contains("Since the previous scan"));
        // 1/3 of 400 px for files/required.
        assert!(text.contains("width=\"133\" height=\"16\" fill=\"#1a7f37\""));
    }

    #[test]
    fn markdown_cells_keep_owners_links_and_images_inert() {
        let owner = "a\r\n## Tier reached: gold`|[x](javascript:alert(1))<b>![i](http://t/p.png)";
        let cell = md(owner);
        assert!(!cell.contains(['\r', '\n', '<']), "{cell}");
        assert!(
            !cell.contains("](") && !cell.contains("![") && !cell.contains(" | "),
            "{cell}"
        );
    }

    /// A repository name, owner and error message that try to break out of their cells, add a
    /// link or a heading, or drive a terminal that shows the file, stay text.
    #[test]
    fn html_report_escapes_hostile_names_owners_and_messages() {
        let hostile = "a\r\n## Tier reached: gold\u{1b}]8;;x\u{7}`|[x](javascript:alert(1))<b>\"'";
        let result = serde_json::json!({
            "repo": hostile, "path": "/r/h", "commit": "c", "tier": null,
            "next_tier": "bronze", "findings": {"files/required": 1}, "errors": 1,
            "warnings": 0, "notes": 0, "owner": hostile, "duration_ms": 1,
        });
        let broken = serde_json::json!({"repo": hostile, "path": "/r/b", "error": hostile});
        let lines = parse_lines(&format!("{result}\n{broken}\n")).expect("lines");
        let text = FleetReport::new(&lines, None).to_html();
        for absent in ["<b>", "href", "<a ", "\u{1b}", "\u{7}", "\r", "\"'"] {
            assert!(!text.contains(absent), "{absent:?} in the page:\n{text}");
        }
        let cell = "a\u{240d}\u{240a}## Tier reached: gold\u{241b}]8;;x\u{2407}`|[x](javascript:alert(1))&lt;b&gt;&quot;&#39;";
        // The name in worst offenders and not checked, the owner in both tables, the message.
        assert!(text.matches(cell).count() >= 5, "{text}");
        assert!(
            text.contains(&format!("<tr><td>{cell}</td><td>{cell}</td></tr>")),
            "{text}"
        );
    }
}
