//! Baselines: a checked-in list of known findings (`.goldpath-baseline.json`) that `check` does
//! not report, so a legacy repository adopts a policy without fixing its past first, and can
//! only pay that debt down.
//!
//! `goldpath baseline` writes the findings of a check, by fingerprint, with their rule, path and
//! message for the humans who review the file. `check` then drops findings whose fingerprint
//! the baseline lists, counts them as known, and reports every entry whose finding no longer
//! occurs as `policy/baseline-stale` (an error by default): a fixed finding must leave the file,
//! otherwise the entry would let the same problem come back unnoticed. The file is sorted by
//! path, rule and fingerprint, so regenerating it gives small diffs.

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use crate::engine::Report;
use crate::finding::{fingerprint, Finding, Level, Tier};

/// Where the baseline lives when neither `--baseline` nor `[settings] baseline` says otherwise,
/// relative to the repository root.
pub const DEFAULT_PATH: &str = ".goldpath-baseline.json";

/// The version of the file format. Readers refuse a newer one.
pub const FORMAT_VERSION: u32 = 1;

/// The engine-level rule that reports entries whose finding no longer occurs.
pub const STALE_RULE: &str = "policy/baseline-stale";

/// What the file says about itself, for whoever opens it.
const ABOUT: &str = "Known findings that `goldpath check` does not report. Written by \
                     `goldpath baseline`; fix a finding, then run `goldpath baseline` again to \
                     remove its entry (docs/baseline.md).";

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Not the JSON the format describes.
    #[error("{file}:{line}:{column}: not a goldpath baseline: {message}")]
    Syntax {
        /// The file as shown.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer goldpath.
    #[error(
        "{file}: baseline format version {found}, but this goldpath reads version \
         {FORMAT_VERSION}; upgrade goldpath or run `goldpath baseline` to rewrite it"
    )]
    Version {
        /// The file as shown.
        file: String,
        /// The version found.
        found: u32,
    },
}

/// One known finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The finding's fingerprint: what matching uses.
    pub fingerprint: String,
    /// The rule that reported it.
    pub rule: String,
    /// The file, `null` for a repository-wide finding.
    pub path: Option<String>,
    /// The finding's message when the baseline was written, for humans; matching ignores it.
    pub message: String,
    /// Where the entry's fingerprint is in the file, with that line's text, when it was read
    /// from one.
    #[serde(skip)]
    pub location: Option<(crate::span::Span, String)>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    #[serde(default)]
    about: String,
    entries: Vec<Entry>,
}

/// A baseline: entries sorted by path, rule and fingerprint, fingerprints unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: Vec<Entry>,
}

impl Baseline {
    /// The findings of a check as a baseline. Findings of the engine's own `policy/*` rules are
    /// left out: they are about the policy and the run (an expired waiver, an unread file), not
    /// debt of the repository.
    pub fn from_report(report: &Report) -> Baseline {
        let entries = report
            .findings
            .iter()
            .filter(|f| !f.rule.starts_with("policy/"))
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule.clone(),
                path: f.path.clone(),
                message: f.message.clone(),
                location: None,
            })
            .collect();
        Self::from_entries(entries)
    }

    fn from_entries(mut entries: Vec<Entry>) -> Baseline {
        entries.sort_by(|a, b| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&b.path, &b.rule, &b.fingerprint))
        });
        entries.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        // A fingerprint listed twice, not adjacent after sorting (two rules cannot share one:
        // the rule is part of it), is kept once.
        let mut seen = HashSet::new();
        entries.retain(|e| seen.insert(e.fingerprint.clone()));
        Baseline { entries }
    }

    /// Reads a baseline file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Baseline, BaselineError> {
        let syntax = |e: serde_json::Error| BaselineError::Syntax {
            file: file.to_owned(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: strip_position(&e.to_string()),
        };
        // The version first, so a newer format is named as such rather than as a bad field.
        #[derive(Deserialize)]
        struct Versioned {
            version: u32,
        }
        let versioned: Versioned = serde_json::from_str(text).map_err(syntax)?;
        if versioned.version != FORMAT_VERSION {
            return Err(BaselineError::Version {
                file: file.to_owned(),
                found: versioned.version,
            });
        }
        let parsed: File = serde_json::from_str(text).map_err(syntax)?;
        let index = crate::span::LineIndex::new(text);
        let mut entries = parsed.entries;
        for entry in &mut entries {
            let quoted = format!("\"{}\"", entry.fingerprint);
            entry.location = text.find(&quoted).map(|at| {
                let span = index.span(at + 1, at + quoted.len() - 1);
                let line = index.line_text(span.line).unwrap_or_default().to_owned();
                (span, line)
            });
        }
        Ok(Self::from_entries(entries))
    }

    /// The file's text: versioned, pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let file = File {
            version: FORMAT_VERSION,
            about: ABOUT.to_owned(),
            entries: self.entries.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The entries, sorted.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the baseline lists this fingerprint.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.iter().any(|e| e.fingerprint == fingerprint)
    }

    /// Entries of `newer` that this baseline does not have: what writing `newer` over it would
    /// add.
    pub fn added_by<'n>(&self, newer: &'n Baseline) -> Vec<&'n Entry> {
        let known: HashSet<&str> = self.fingerprints();
        newer
            .entries
            .iter()
            .filter(|e| !known.contains(e.fingerprint.as_str()))
            .collect()
    }

    /// The entries both baselines have: with `--policy-from REV`, a change may remove entries
    /// from the baseline REV has, never add to it.
    pub fn intersect(&self, other: &Baseline) -> Baseline {
        let theirs = other.fingerprints();
        Baseline {
            entries: self
                .entries
                .iter()
                .filter(|e| theirs.contains(e.fingerprint.as_str()))
                .cloned()
                .collect(),
        }
    }

    fn fingerprints(&self) -> HashSet<&str> {
        self.entries
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }
}

/// serde_json appends " at line L column C" to its messages; the error already leads with them.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Which entries a check could have judged: an entry is stale only when its finding could have
/// been reported and was not.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judged<'a> {
    /// `--only` or `--skip` narrowed the rules: entries of rules that did not run are not
    /// judged (without them, an entry of a rule the policy no longer enables is stale: its
    /// finding cannot occur any more).
    pub narrowed: bool,
    /// Change mode (`--staged`, `--base`): the paths judged. Only entries of those paths, of
    /// paths the snapshot no longer has (a deleted file's findings cannot occur), and
    /// repository-wide entries (no path) of rules that ran, are judged.
    pub changed: Option<&'a BTreeSet<String>>,
    /// The snapshot's files, sorted by path (change lists leave deletions out).
    pub files: &'a [crate::snapshot::FileEntry],
}

/// The summary's record of a baseline; it is part of the engine's [`Summary`](crate::Summary).
pub use crate::engine::BaselineSummary;

/// Drops the findings `baseline` lists from `report`, adds a `policy/baseline-stale` finding
/// (at `stale_level`; none when the rule is off) for each judged entry whose finding no longer
/// occurs, and records the counts in the summary. `file` is the baseline's path as findings
/// show it (relative to the repository root when it is inside).
pub fn apply(
    report: &mut Report,
    baseline: &Baseline,
    file: &str,
    judged: Judged<'_>,
    stale_level: Option<Level>,
) {
    let listed = baseline.fingerprints();
    let present: HashSet<String> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let before = report.findings.len();
    report
        .findings
        .retain(|f| !listed.contains(f.fingerprint.as_str()));
    let known = before - report.findings.len();

    let ran: HashSet<&str> = report
        .rules
        .iter()
        .filter(|r| r.ran)
        .map(|r| r.id.as_str())
        .collect();
    let is_judged = |entry: &Entry| {
        let rule_ran = ran.contains(entry.rule.as_str());
        if !rule_ran && judged.narrowed {
            return false;
        }
        match (judged.changed, &entry.path) {
            (None, _) => true,
            (Some(changed), Some(path)) => {
                changed.contains(path)
                    || judged
                        .files
                        .binary_search_by(|f| f.path.as_str().cmp(path))
                        .is_err()
            }
            (Some(_), None) => rule_ran,
        }
    };
    let stale: Vec<&Entry> = baseline
        .entries
        .iter()
        .filter(|e| !present.contains(&e.fingerprint) && is_judged(e))
        .collect();
    let stale_count = stale.len();
    if let Some(level) = stale_level {
        let findings = stale
            .into_iter()
            .map(|entry| stale_finding(entry, file, level))
            .collect();
        report.add_findings(findings);
    }
    report.recompute_summary();
    report.summary.baseline = Some(BaselineSummary {
        file: file.to_owned(),
        entries: baseline.len(),
        known,
        stale: stale_count,
    });
}

fn stale_finding(entry: &Entry, file: &str, level: Level) -> Finding {
    let at = match &entry.path {
        Some(path) => format!("in {path}"),
        None => "repository-wide".to_owned(),
    };
    Finding {
        rule: STALE_RULE.to_owned(),
        level,
        tier: Tier::Bronze,
        message: format!(
            "baseline entry no longer occurs: `{}` {at}: {}",
            entry.rule, entry.message
        ),
        path: Some(file.to_owned()),
        span: entry.location.as_ref().map(|(span, _)| *span),
        help: Some(
            "run `goldpath baseline` to remove it: an entry left behind would accept the finding \
             again if it came back"
                .to_owned(),
        ),
        fingerprint: fingerprint(STALE_RULE, Some(file), &entry.fingerprint),
        snippet: entry.location.as_ref().map(|(_, line)| line.clone()),
        fix: None,
    }
}

/// The policy checks `[settings] baseline` with it while loading, below this module.
pub use crate::policy::is_inside_path;

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fp: &str, rule: &str, path: Option<&str>) -> Entry {
        Entry {
            fingerprint: fp.to_owned(),
            rule: rule.to_owned(),
            path: path.map(str::to_owned),
            message: "m".to_owned(),
            location: None,
        }
    }

    #[test]
    fn file_is_sorted_deduplicated_and_round_trips() {
        let baseline = Baseline::from_entries(vec![
            entry("b2", "files/x", Some("z")),
            entry("a1", "files/x", None),
            entry("c3", "ci/y", Some("a")),
            entry("b2", "files/x", Some("z")),
        ]);
        let fps: Vec<&str> = baseline
            .entries()
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        assert_eq!(
            fps,
            ["a1", "c3", "b2"],
            "repository-wide first, then by path"
        );
        let text = baseline.to_json();
        let again = Baseline::parse(&text, "b.json").unwrap();
        assert_eq!(again.to_json(), text);
        assert_eq!(
            again.entries()[1].location.as_ref().map(|l| l.0.line),
            Some(12)
        );
    }

    #[test]
    fn errors_name_line_and_column() {
        let err = Baseline::parse("{\n  \"version\": 1,\n  \"entries\": [,]\n}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("b.json:3:15: not a goldpath baseline"),
            "{err}"
        );
        assert!(!err.contains(" at line "), "{err}");
        let err = Baseline::parse("{\"version\": 2, \"entries\": []}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("format version 2"), "{err}");
        let err = Baseline::parse(
            "{\"version\": 1, \"entries\": [{\"fingerprint\": \"a\", \"rule\": \"r\", \
             \"path\": null, \"mesage\": \"m\"}]}",
            "b.json",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unknown field `mesage`"), "{err}");
    }

    #[test]
    fn inside_paths() {
        assert!(is_inside_path(".goldpath-baseline.json"));
        assert!(is_inside_path("ci/baseline.json"));
        assert!(!is_inside_path("../x.json"));
        assert!(!is_inside_path("/etc/x.json"));
        assert!(!is_inside_path(""));
    }

    #[test]
    fn the_engine_lists_the_stale_rule_among_its_own() {
        assert!(crate::engine::ENGINE_RULES.contains(&STALE_RULE));
    }
}
