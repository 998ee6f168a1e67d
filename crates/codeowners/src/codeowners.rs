//! A parsed CODEOWNERS file and the answers it gives.

use crate::diagnostic::{Diagnostic, Severity};
use crate::index::{Index, Scratch};
use crate::owner::Owner;
use crate::pattern::split_path;
use crate::Dialect;

/// One line of a CODEOWNERS file that assigns owners (an entry): a pattern and its owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its line, from 1.
    pub line: usize,
    /// The pattern as written (escapes included), without the `!` of a GitLab exclusion.
    pub pattern: String,
    /// The first column of the pattern (of the `!`, for an exclusion), from 1, in characters.
    pub column: usize,
    /// The column just past the pattern.
    pub end_column: usize,
    /// The owners that apply: those written on the line or, on GitLab, when the line names none,
    /// the default owners of its section heading. Empty means files decided by this rule have no
    /// owner (GitHub: deliberately unowned; GitLab: the entry is approved automatically).
    pub owners: Vec<Owner>,
    /// GitLab: whether `owners` are the section heading's default owners.
    pub owners_from_section: bool,
    /// GitLab: the index in [`CodeOwners::sections`] of its section; `None` for entries before
    /// the first heading (GitLab's unnamed section) and always on GitHub.
    pub section: Option<usize>,
    /// GitLab: the line starts with `!`; paths it matches get no owners from its section.
    pub exclusion: bool,
    /// Whether the rule takes part in matching. False for a line GitHub skips because it has an
    /// error (negation, `\#`, `***`, an invalid owner), for a pattern that cannot be compiled, and
    /// for a GitLab entry replaced by a later entry with the same pattern in the same section.
    pub active: bool,
}

/// A GitLab section heading as written: `[Name]`, `^[Name]`, `[Name][2]`, `[Name] @default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// Its line, from 1.
    pub line: usize,
    /// The name as written on this heading.
    pub name: String,
    /// Written as `^[Name]`.
    pub optional: bool,
    /// The number in `[Name][n]`, as written (`[]` reads as 0).
    pub approvals: Option<u32>,
    /// Owners written after the heading; they apply to the entries below it that name none.
    pub default_owners: Vec<Owner>,
}

/// A GitLab section: all headings with the same name, compared without case, merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name as first written.
    pub name: String,
    /// Optional only if every heading of the section is optional (GitLab: if one is required,
    /// the section is required).
    pub optional: bool,
    /// Approvals required: the largest over the headings, at least 1 (GitLab treats 0 and
    /// invalid values as 1).
    pub approvals: u32,
    /// The headings, in file order.
    pub headers: Vec<SectionHeader>,
}

/// A parsed CODEOWNERS file: rules, GitLab sections and diagnostics, compiled for matching.
///
/// Build it with [`crate::parse`] or [`crate::parse_bytes`]. It is immutable, `Send` and `Sync`:
/// queries can run from many threads.
#[derive(Debug)]
pub struct CodeOwners {
    pub(crate) dialect: Dialect,
    pub(crate) rules: Vec<Rule>,
    pub(crate) sections: Vec<Section>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) index: Index,
}

/// How one section (GitHub: the whole file) decides a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The section, or `None` for GitLab's unnamed section and for GitHub.
    pub section: Option<&'a Section>,
    /// Index of the section in [`CodeOwners::sections`].
    pub section_index: Option<usize>,
    /// The deciding rule: the last matching rule of the section, or, when `excluded`, the last
    /// matching GitLab exclusion of the section.
    pub rule: &'a Rule,
    /// Index of the rule in [`CodeOwners::rules`].
    pub rule_index: usize,
    /// GitLab: an exclusion of this section matches the path, so the section gives it no owner.
    pub excluded: bool,
}

impl<'a> Decision<'a> {
    /// The owners this section gives the path: the deciding rule's owners, none when excluded.
    pub fn owners(&self) -> &'a [Owner] {
        if self.excluded {
            &[]
        } else {
            &self.rule.owners
        }
    }
}

/// Who owns one path: one [`Decision`] per section with a matching rule, in section order (the
/// unnamed section first). On GitHub there is at most one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ownership<'a> {
    decisions: Decisions<'a>,
}

/// Most paths have at most one decision: keep it inline, without allocating.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum Decisions<'a> {
    #[default]
    Zero,
    One(Decision<'a>),
    Many(Vec<Decision<'a>>),
}

impl<'a> Ownership<'a> {
    /// The decisions, one per section that has a matching rule.
    pub fn decisions(&self) -> &[Decision<'a>] {
        match &self.decisions {
            Decisions::Zero => &[],
            Decisions::One(d) => std::slice::from_ref(d),
            Decisions::Many(v) => v,
        }
    }

    /// The rule that decides the unnamed section (on GitHub: the deciding rule), if one matches.
    pub fn rule(&self) -> Option<&'a Rule> {
        self.decisions()
            .iter()
            .find(|d| d.section_index.is_none() && !d.excluded)
            .map(|d| d.rule)
    }

    /// All owners of the path, section by section (an owner named by two sections is listed
    /// twice).
    pub fn owners(&self) -> impl Iterator<Item = &'a Owner> + '_ {
        self.decisions().iter().flat_map(|d| d.owners().iter())
    }

    /// Whether some section gives the path at least one owner.
    pub fn is_owned(&self) -> bool {
        self.decisions().iter().any(|d| !d.owners().is_empty())
    }

    /// Whether any rule matched the path (its deciding rule may still have no owners).
    pub fn is_matched(&self) -> bool {
        !self.decisions().is_empty()
    }
}

/// How one rule fared over a list of paths (see [`CodeOwners::rule_usage`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleStats {
    /// Whether the rule takes part in matching ([`Rule::active`]).
    pub active: bool,
    /// How many paths it matches.
    pub matched: usize,
    /// For how many paths it is the deciding rule of its section (for a GitLab exclusion: how
    /// many paths it excludes).
    pub decided: usize,
    /// Index of the first path it matches.
    pub first_match: Option<usize>,
    /// The rules that decide the paths it matches but does not decide, sorted, once each. When
    /// `matched > 0` and `decided == 0`, these later rules (or exclusions) override it everywhere.
    pub overridden_by: Vec<usize>,
}

/// Per-rule results over a list of paths, for reports: rules that match nothing, and rules that
/// later rules override for every path they match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleUsage {
    stats: Vec<RuleStats>,
}

impl RuleUsage {
    /// One entry per rule, indexed like [`CodeOwners::rules`].
    pub fn stats(&self) -> &[RuleStats] {
        &self.stats
    }

    /// Indexes of the active rules that match none of the paths.
    pub fn unmatched(&self) -> Vec<usize> {
        (0..self.stats.len())
            .filter(|&i| self.stats[i].active && self.stats[i].matched == 0)
            .collect()
    }

    /// Indexes of the active rules that match some paths but decide none: for every path they
    /// match, a later rule of their section (or an exclusion) wins.
    pub fn overridden(&self) -> Vec<usize> {
        (0..self.stats.len())
            .filter(|&i| {
                let s = &self.stats[i];
                s.active && s.matched > 0 && s.decided == 0
            })
            .collect()
    }
}

impl CodeOwners {
    /// The dialect the file was read as.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The rules (entries), in file order, active or not.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// GitLab's named sections in order of first appearance (empty on GitHub).
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The section a rule belongs to, `None` for the unnamed section.
    pub fn section_of(&self, rule: &Rule) -> Option<&Section> {
        rule.section.and_then(|s| self.sections.get(s))
    }

    /// Problems found, in the order met (file-level ones first).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// How many distinct patterns take part in matching: active lines of one section (GitHub:
    /// the file) with the same pattern and kind count once, as they are matched once.
    pub fn distinct_patterns(&self) -> usize {
        self.index.crules.len()
    }

    /// How many pattern checks matching `paths` takes: for each path, the rules the index
    /// finds through the path's components and must check or report (lines repeating a pattern
    /// count once). Literal patterns are found by a lookup of the path, so they cost nothing
    /// unless they match; globs cost one check per path that has their key. Counting is
    /// cheap (lookups, no matching): callers can refuse a hostile file and tree before matching.
    pub fn matching_work<S: AsRef<str>>(&self, paths: &[S]) -> u64 {
        let mut comps: Vec<&str> = Vec::new();
        let mut scratch = Scratch::default();
        let mut work = 0u64;
        for p in paths {
            split_path(p.as_ref(), &mut comps);
            work = work.saturating_add(self.index.cost(&comps, scratch.dir()));
        }
        work
    }

    /// An upper bound of [`CodeOwners::matching_work`] for `paths`, from lookups once per
    /// directory rather than per path: when it is within a limit, so is the exact count, which
    /// then need not be taken.
    pub fn matching_work_bound<S: AsRef<str>>(&self, paths: &[S]) -> u64 {
        self.index.work_bound(paths)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    fn ownership(&self, raw: &[(u32, u32, bool)]) -> Ownership<'_> {
        let decision = |&(group, id, excluded): &(u32, u32, bool)| {
            let rule_index = self.index.crules[id as usize].rule as usize;
            let section_index = (group > 0).then(|| group as usize - 1);
            Decision {
                section: section_index.and_then(|s| self.sections.get(s)),
                section_index,
                rule: &self.rules[rule_index],
                rule_index,
                excluded,
            }
        };
        let decisions = match raw {
            [] => Decisions::Zero,
            [one] => Decisions::One(decision(one)),
            many => Decisions::Many(many.iter().map(decision).collect()),
        };
        Ownership { decisions }
    }

    /// Who owns `path` (relative to the repository root, `/` separated; leading and trailing
    /// slashes are ignored). Matching is case-sensitive.
    pub fn owners_of(&self, path: &str) -> Ownership<'_> {
        let mut comps = Vec::new();
        split_path(path, &mut comps);
        let mut scratch = Scratch::default();
        let mut raw = Vec::new();
        self.index.decide(&comps, &mut scratch, &mut raw);
        self.ownership(&raw)
    }

    /// [`CodeOwners::owners_of`] for every path of a list, in order. Buffers are shared across the
    /// paths, so this is the fast way to ask about a whole tree.
    pub fn owners_of_all<S: AsRef<str>>(&self, paths: &[S]) -> Vec<Ownership<'_>> {
        let mut comps: Vec<&str> = Vec::new();
        let mut scratch = Scratch::default();
        let mut raw = Vec::new();
        paths
            .iter()
            .map(|p| {
                split_path(p.as_ref(), &mut comps);
                self.index.decide(&comps, &mut scratch, &mut raw);
                self.ownership(&raw)
            })
            .collect()
    }

    /// Indexes (in [`CodeOwners::rules`]) of every active rule that matches `path`, ascending,
    /// whichever wins. Exclusions are included.
    pub fn matching_rules(&self, path: &str) -> Vec<usize> {
        let mut comps = Vec::new();
        split_path(path, &mut comps);
        let mut scratch = Scratch::default();
        let mut ids = Vec::new();
        self.index.all_matches(&comps, &mut scratch, &mut ids);
        let mut out: Vec<usize> = ids
            .iter()
            .flat_map(|&id| {
                let c = &self.index.crules[id as usize];
                std::iter::once(c.rule).chain(c.dups.iter().copied())
            })
            .map(|r| r as usize)
            .collect();
        out.sort_unstable();
        out
    }

    /// For each rule, how many of `paths` it matches and decides, and which rules override it.
    /// See [`RuleUsage::unmatched`] and [`RuleUsage::overridden`].
    pub fn rule_usage<S: AsRef<str>>(&self, paths: &[S]) -> RuleUsage {
        self.usage(paths, None)
    }

    /// [`CodeOwners::rule_usage`] and [`CodeOwners::owners_of_all`] in one pass: each path is
    /// matched once, so this costs about what `rule_usage` costs alone.
    pub fn rule_usage_and_owners<S: AsRef<str>>(
        &self,
        paths: &[S],
    ) -> (RuleUsage, Vec<Ownership<'_>>) {
        let mut owners = Vec::with_capacity(paths.len());
        let usage = self.usage(paths, Some(&mut owners));
        (usage, owners)
    }

    fn usage<'s, S: AsRef<str>>(
        &'s self,
        paths: &[S],
        mut owners: Option<&mut Vec<Ownership<'s>>>,
    ) -> RuleUsage {
        let mut stats: Vec<RuleStats> = self
            .rules
            .iter()
            .map(|r| RuleStats {
                active: r.active,
                ..RuleStats::default()
            })
            .collect();
        let mut comps: Vec<&str> = Vec::new();
        let mut scratch = Scratch::default();
        let mut ids = Vec::new();
        let mut raw = Vec::new();
        let crules = &self.index.crules;
        for (pi, p) in paths.iter().enumerate() {
            split_path(p.as_ref(), &mut comps);
            self.index.all_matches(&comps, &mut scratch, &mut ids);
            if ids.is_empty() {
                if let Some(owners) = owners.as_deref_mut() {
                    owners.push(Ownership::default());
                }
                continue;
            }
            self.index.decide(&comps, &mut scratch, &mut raw);
            if let Some(owners) = owners.as_deref_mut() {
                owners.push(self.ownership(&raw));
            }
            for &id in &ids {
                let c = &crules[id as usize];
                let s = &mut stats[c.rule as usize];
                s.matched += 1;
                s.first_match.get_or_insert(pi);
                let Some(&(_, winner, excluded)) = raw.iter().find(|(g, _, _)| *g == c.group)
                else {
                    continue;
                };
                if c.exclusion || (winner == id && !excluded) {
                    s.decided += 1;
                } else {
                    // Consecutive paths mostly have the same winner: pushing it once per run
                    // keeps the list near its deduplicated size.
                    let by = crules[winner as usize].rule as usize;
                    if s.overridden_by.last() != Some(&by) {
                        s.overridden_by.push(by);
                    }
                }
            }
        }
        for s in &mut stats {
            s.overridden_by.sort_unstable();
            s.overridden_by.dedup();
        }
        // A line with the same pattern as a later one matches the same paths and decides none of
        // them (the later line wins wherever it matches, or is overridden where it is); an
        // exclusion excludes what its twin excludes.
        for c in crules.iter().filter(|c| !c.dups.is_empty()) {
            let rep = &stats[c.rule as usize];
            let mut dup = RuleStats {
                active: true,
                matched: rep.matched,
                decided: if c.exclusion { rep.decided } else { 0 },
                first_match: rep.first_match,
                overridden_by: rep.overridden_by.clone(),
            };
            if !c.exclusion && rep.decided > 0 {
                dup.overridden_by.push(c.rule as usize);
                dup.overridden_by.sort_unstable();
            }
            for &d in &c.dups {
                stats[d as usize] = dup.clone();
            }
        }
        RuleUsage { stats }
    }
}
