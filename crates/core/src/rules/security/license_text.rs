//! Licence identification by text, askalono's method: the text is normalised (lower case,
//! words only, copyright lines dropped), cut into word bigrams, and scored by the
//! Dice-Sørensen coefficient against the bigrams of each known licence's canonical SPDX text.
//!
//! Why our own matcher over a curated store, not `spdx`'s `detection` module (askalono's code):
//! its prebuilt store of every SPDX licence adds about 5 MB to the binary and a C build of
//! zstd and takes about 300 ms to load; and building a store from texts with it costs about
//! 90 ms per run (release build) in its regex and Unicode normalisation passes, then as much
//! again to narrow a match to its lines in a file of several licences, since every trial
//! re-normalises the text. Here the store holds the canonical texts of about forty licences
//! projects use (about 450 kB, picked out of `spdx::text::LICENSE_TEXTS` at compile time by
//! [`canonical`] so that only they are linked), its word bigrams are hashed once per process
//! on first use, and the words of each line are computed once per file, so narrowing only
//! re-counts bigrams.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock};

use regex::Regex;

/// The lowest Dice score at which a stretch of text is taken for a licence (askalono's
/// default). Measured on the real licence files in `tests/fixtures/licenses`: each licence in
/// them scores at least 0.93 against its own text once narrowed (most 0.95 to 1.0); where a
/// wrong licence also passes (BSD-3-Clause-Clear for a BSD-3-Clause text, AGPL-3.0 for
/// GPL-3.0, MIT-0 for MIT, all about 0.9) the right one scores higher and is taken; prose
/// about licences (READMEs, notices) scores under 0.1.
pub(crate) const THRESHOLD: f32 = 0.9;

/// The licences in the store, by SPDX id. The GNU licences are stored under their version
/// without `-only`/`-or-later`: the text is the same, the notice around it decides.
const LICENCES: &[&str] = &[
    "0BSD",
    "AGPL-3.0",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSL-1.0",
    "BUSL-1.1",
    "BlueOak-1.0.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "Elastic-2.0",
    "GPL-2.0",
    "GPL-3.0",
    "ISC",
    "LGPL-2.0",
    "LGPL-2.1",
    "LGPL-3.0",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NCSA",
    "OFL-1.1",
    "PSF-2.0",
    "PostgreSQL",
    "Python-2.0",
    "SSPL-1.0",
    "UPL-1.0",
    "Unicode-3.0",
    "Unlicense",
    "X11",
    "Zlib",
];

/// The GNU licences, whose ids take `-only` or `-or-later`.
const GNU: &[&str] = &[
    "AGPL-3.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0",
];

/// Whether `id` (without suffix) is a GNU licence that takes `-only` or `-or-later`.
pub(crate) fn is_gnu(id: &str) -> bool {
    GNU.contains(&id)
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The canonical text of `id`, found at compile time so that only the texts used are linked.
const fn canonical(id: &str) -> &'static str {
    let texts = spdx::text::LICENSE_TEXTS;
    let mut i = 0;
    while i < texts.len() {
        if same(texts[i].0, id) {
            return texts[i].1;
        }
        i += 1;
    }
    panic!("a licence in LICENCES has no canonical text in spdx::text")
}

/// The texts of [`LICENCES`], evaluated at compile time.
const TEXTS: [&str; LICENCES.len()] = {
    let mut out = [""; LICENCES.len()];
    let mut i = 0;
    while i < LICENCES.len() {
        out[i] = canonical(LICENCES[i]);
        i += 1;
    }
    out
};

/// The words of each line of a text, hashed: lower case, letters and digits only, so that
/// comment marks, punctuation, quotes and line breaks do not count. Copyright statements are
/// left empty: they differ in every copy of a licence.
fn words(text: &str) -> Vec<Vec<u64>> {
    text.split('\n')
        .map(|line| {
            let lower = line.to_lowercase();
            let start =
                lower.trim_start_matches(|c: char| !c.is_alphanumeric() && c != '(' && c != '©');
            let statement = start.strip_prefix("copyright").is_some_and(|rest| {
                // "Copyright (c) 2024 ...", not "copyright notice and this permission ...".
                let rest = rest.trim_start_matches([' ', '\t', ':']);
                rest.starts_with(|c: char| c.is_ascii_digit() || "(©<[".contains(c))
            });
            if statement
                || start.starts_with("(c)")
                || start.starts_with('©')
                || start.trim_end_matches('.') == "all rights reserved"
            {
                return Vec::new();
            }
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(hash)
                .collect()
        })
        .collect()
}

/// FNV-1a: stable, fast on short words, and collisions only blur a score.
fn hash(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A multiset of word bigrams.
#[derive(Default)]
struct Bigrams {
    counts: HashMap<u64, u32>,
    total: u32,
}

impl Bigrams {
    fn of(lines: &[Vec<u64>]) -> Self {
        let mut out = Bigrams::default();
        let mut previous: Option<u64> = None;
        for &word in lines.iter().flatten() {
            if let Some(p) = previous {
                *out.counts.entry(bigram(p, word)).or_insert(0) += 1;
                out.total += 1;
            }
            previous = Some(word);
        }
        out
    }

    /// The Dice-Sørensen coefficient: twice the shared bigrams over all bigrams.
    fn dice(&self, other: &Self) -> f32 {
        if self.total == 0 || other.total == 0 {
            return 0.0;
        }
        let (small, large) = if self.counts.len() < other.counts.len() {
            (self, other)
        } else {
            (other, self)
        };
        let shared: u32 = small
            .counts
            .iter()
            .map(|(k, &n)| n.min(large.counts.get(k).copied().unwrap_or(0)))
            .sum();
        2.0 * shared as f32 / (self.total + other.total) as f32
    }
}

fn store() -> &'static [(&'static str, Bigrams)] {
    static STORE: OnceLock<Vec<(&'static str, Bigrams)>> = OnceLock::new();
    STORE.get_or_init(|| {
        LICENCES
            .iter()
            .zip(TEXTS)
            .map(|(id, text)| {
                // SPDX's LGPL-3.0 text is the LGPL followed by the whole GPL-3.0 it
                // supplements; projects ship the two as separate files (COPYING.LESSER and
                // COPYING), so the LGPL is matched on its own and a GPL text beside it is
                // found as GPL-3.0.
                let text = match (*id, text.find("GNU GENERAL PUBLIC LICENSE")) {
                    ("LGPL-3.0", Some(at)) => &text[..at],
                    _ => text,
                };
                (*id, Bigrams::of(&words(text)))
            })
            .collect()
    })
}

/// The best licence for `text` and its score.
fn best(text: &Bigrams) -> Option<(usize, f32)> {
    store()
        .iter()
        .map(|(_, licence)| licence.dice(text))
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

fn bigram(first: u64, second: u64) -> u64 {
    first.rotate_left(29) ^ second
}

/// The lines `[start, end)` of `lines` that best match `licence`, and their score: the end
/// first, then the start (askalono's `optimize_bounds`). Each is an exact sweep, adding or
/// removing one line's bigrams at a time, not askalono's ternary search: near-zero scores
/// over headers and separators are no plateau to walk off, and the sweep costs one pass over
/// the words.
fn narrow(lines: &[Vec<u64>], licence: &Bigrams) -> ((usize, usize), f32) {
    // Each bigram with the lines of its two words.
    let mut grams: Vec<(usize, usize, u64)> = Vec::new();
    let mut previous: Option<(usize, u64)> = None;
    for (i, line) in lines.iter().enumerate() {
        for &word in line {
            if let Some((at, p)) = previous {
                grams.push((at, i, bigram(p, word)));
            }
            previous = Some((i, word));
        }
    }
    let mut view = View::new(licence);
    // The end: the view [0, end) grows a line at a time; the first best is kept, so that
    // trailing lines that add nothing are left out.
    let (mut end, mut best) = (0, 0.0);
    let mut next = 0;
    for e in 1..=lines.len() {
        while next < grams.len() && grams[next].1 < e {
            view.add(grams[next].2);
            next += 1;
        }
        if view.score() > best {
            (end, best) = (e, view.score());
        }
    }
    // The start: the view [start, end) shrinks from the front; the last best is kept.
    let mut view = View::new(licence);
    let inside: Vec<&(usize, usize, u64)> = grams.iter().filter(|g| g.1 < end).collect();
    for g in &inside {
        view.add(g.2);
    }
    let (mut start, mut best) = (0, view.score());
    let mut first = 0;
    for s in 1..end {
        while first < inside.len() && inside[first].0 < s {
            view.remove(inside[first].2);
            first += 1;
        }
        if view.score() >= best {
            (start, best) = (s, view.score());
        }
    }
    ((start, end), best)
}

/// The bigrams of a view of a text, kept with their overlap with one licence.
struct View<'l> {
    licence: &'l Bigrams,
    counts: HashMap<u64, u32>,
    shared: u32,
    total: u32,
}

impl<'l> View<'l> {
    fn new(licence: &'l Bigrams) -> Self {
        View {
            licence,
            counts: HashMap::new(),
            shared: 0,
            total: 0,
        }
    }

    fn add(&mut self, gram: u64) {
        let count = self.counts.entry(gram).or_insert(0);
        if *count < self.licence.counts.get(&gram).copied().unwrap_or(0) {
            self.shared += 1;
        }
        *count += 1;
        self.total += 1;
    }

    fn remove(&mut self, gram: u64) {
        let count = self.counts.entry(gram).or_insert(0);
        if *count == 0 {
            return;
        }
        if *count <= self.licence.counts.get(&gram).copied().unwrap_or(0) {
            self.shared -= 1;
        }
        *count -= 1;
        self.total -= 1;
    }

    fn score(&self) -> f32 {
        if self.total == 0 || self.licence.total == 0 {
            return 0.0;
        }
        2.0 * self.shared as f32 / (self.total + self.licence.total) as f32
    }
}

/// Which of `-only` and `-or-later` a GNU licence's notice chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Not a GNU licence.
    None,
    Only,
    OrLater,
    /// A GNU licence text with no notice saying which: either id agrees with it.
    Unstated,
}

/// A licence found in a text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    /// The SPDX id, without `-only`/`-or-later` for the GNU licences.
    pub id: String,
    pub variant: Variant,
    /// The Dice score of the matched lines against the canonical text.
    pub score: f32,
    /// The matched lines, 0-based, end exclusive.
    pub lines: (usize, usize),
}

impl Found {
    /// The id as reported: a GNU licence with its `-only`/`-or-later` suffix, both forms when
    /// the text does not say which (never the deprecated bare `GPL-3.0`).
    pub fn display(&self) -> String {
        match self.variant {
            Variant::None => self.id.clone(),
            Variant::Only => format!("{}-only", self.id),
            Variant::OrLater => format!("{}-or-later", self.id),
            Variant::Unstated => format!("{0}-only or {0}-or-later", self.id),
        }
    }
}

/// Every licence in `text`, in the order they appear: the best match over the whole text,
/// narrowed to the lines it covers, then the same again on the lines left until nothing scores
/// [`THRESHOLD`] (a file can hold several licence texts, one after the other).
///
/// The matched lines are cut out rather than blanked (askalono's `white_out`): the narrowing
/// is a ternary search, and a long run of blank lines is a plateau it walks off, losing a
/// short licence before or after a long one (esphome's MIT text before the GPL).
pub(crate) fn identify(text: &str) -> Vec<Found> {
    let store = store();
    let all = words(text);
    // The original line numbers of the lines still to search.
    let mut left: Vec<usize> = (0..all.len()).collect();
    let mut found: Vec<Found> = Vec::new();
    for _ in 0..MAX_LICENCES {
        let lines: Vec<Vec<u64>> = left.iter().map(|&i| all[i].clone()).collect();
        // The licence closest to all the lines left is not always the one found when
        // narrowing (a short MIT text after headers and separators is nearer X11 or MIT-0 as
        // a whole): narrow to each of the closest few, keep the best.
        let whole = Bigrams::of(&lines);
        let mut closest: Vec<(usize, f32)> = store
            .iter()
            .map(|(_, licence)| licence.dice(&whole))
            .enumerate()
            .collect();
        closest.sort_by(|a, b| b.1.total_cmp(&a.1));
        let Some(((mut start, mut end), mut score, mut id)) = closest
            .iter()
            .take(CANDIDATES)
            .map(|&(id, _)| {
                let (lines, score) = narrow(&lines, &store[id].1);
                (lines, score, id)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
        else {
            break;
        };
        // The licence that best matches the whole of several texts is not always the one
        // that best matches the lines it narrows to (a BSD-3-Clause text among others is
        // closest to BSD-3-Clause-Clear until it stands alone): ask again, narrowed.
        if let Some((again, again_score)) = best(&Bigrams::of(&lines[start..end])) {
            if again != id && again_score > score {
                id = again;
                ((start, end), score) = narrow(&lines, &store[id].1);
            }
        }
        if score < THRESHOLD || start >= end {
            break;
        }
        found.push(Found {
            id: store[id].0.to_owned(),
            variant: Variant::None,
            score,
            lines: (left[start], left[end - 1] + 1),
        });
        left.drain(start..end);
    }
    found.sort_by_key(|f| f.lines.0);
    if found.iter().any(|f| is_gnu(&f.id)) {
        let notice = notice(text, &found);
        for f in found.iter_mut().filter(|f| is_gnu(&f.id)) {
            f.variant = variant(&notice, &f.id);
        }
    }
    found
}

/// How many of the licences closest to a text are tried when narrowing.
const CANDIDATES: usize = 3;

/// The most licence texts looked for in one file.
const MAX_LICENCES: usize = 8;

/// The lines of `text` where a project says which version of a GNU licence applies, lower-case
/// with whitespace collapsed: all but the "How to Apply These Terms" appendix of a GNU licence
/// text, whose sample notice says "or (at your option) any later version" for every project.
/// (The licence bodies themselves never put a version number before "any later version".)
fn notice(text: &str, found: &[Found]) -> String {
    let mut out = String::new();
    let mut skip_until = 0;
    for (i, line) in text.split('\n').enumerate() {
        if i < skip_until {
            continue;
        }
        let lower = line.to_lowercase();
        if lower.contains("how to apply these terms") {
            // To the end of the licence text holding the appendix, or to the next one.
            skip_until = found
                .iter()
                .find(|f| f.lines.0 <= i && i < f.lines.1)
                .map(|f| f.lines.1)
                .or_else(|| found.iter().map(|f| f.lines.0).filter(|&s| s > i).min())
                .unwrap_or(usize::MAX);
            continue;
        }
        for word in lower.split_whitespace() {
            out.push_str(word);
            out.push(' ');
        }
    }
    out
}

/// What `notice` says of the GNU licence `id` (e.g. `GPL-3.0`).
fn variant(notice: &str, id: &str) -> Variant {
    static OR_LATER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)
            version\ (\d(?:\.\d)?)(?:\ of\ the\ license)?,?\ or\ \(at\ your\ option\)\ any\ later
            | v?(\d(?:\.\d)?)\ or\ (?:any\ )?later
            | gpl-(\d\.\d)(?:-or-later|\+)",
        )
        .expect("a valid regular expression")
    });
    static ONLY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?x) version\ (\d(?:\.\d)?)\ only | gpl-(\d\.\d)-only")
            .expect("a valid regular expression")
    });
    let version = id.rsplit('-').next().unwrap_or_default();
    let says = |rx: &Regex| {
        rx.captures_iter(notice).any(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .any(|m| version == m.as_str() || version == format!("{}.0", m.as_str()))
        })
    };
    if says(&OR_LATER) {
        Variant::OrLater
    } else if says(&ONLY) {
        Variant::Only
    } else {
        Variant::Unstated
    }
}

#[cfg(test)]
mod tests {
    use super::{identify, Variant};

    #[test]
    fn every_stored_licence_is_found_in_its_own_text() {
        for (id, text) in super::LICENCES.iter().zip(super::TEXTS) {
            let found = identify(text);
            assert!(
                found.first().is_some_and(|f| f.id == *id),
                "{id}: {found:?}"
            );
        }
    }

    #[test]
    fn or_later_is_read_from_the_notice_not_the_appendix() {
        let gpl = super::canonical("GPL-3.0");
        let found = identify(gpl);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].variant, Variant::Unstated);
        let with_notice = format!(
            "This program is free software: you can redistribute it and/or modify it under \
             the terms of the GNU General Public License as published by the Free Software \
             Foundation, either version 3 of the License, or (at your option) any later \
             version.\n\n{gpl}"
        );
        let found = identify(&with_notice);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].display(), "GPL-3.0-or-later");
        let only = format!("Licensed under the GPL, version 3 only.\n\n{gpl}");
        assert_eq!(identify(&only)[0].display(), "GPL-3.0-only");
        // A notice for another version says nothing of this one.
        let other = format!(
            "either version 2 of the License, or (at your option) any later version\n\n{gpl}"
        );
        assert_eq!(identify(&other)[0].variant, Variant::Unstated);
    }

    /// Every real licence file in `tests/fixtures/licenses` is identified as `expected.csv`
    /// says, and every licence in it scores well above [`THRESHOLD`].
    #[test]
    fn fixtures_are_identified() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/licenses");
        let table = std::fs::read_to_string(dir.join("expected.csv")).expect("expected.csv");
        let mut rows = 0;
        let mut lowest = f32::MAX;
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (file, expected) = line.split_once(',').expect("file,expected");
            let text = std::fs::read_to_string(dir.join(file)).expect(file);
            let found = identify(&text);
            let got: Vec<String> = found.iter().map(|f| f.display()).collect();
            assert_eq!(got.join("; "), expected, "{file}: {found:?}");
            lowest = found.iter().map(|f| f.score).fold(lowest, f32::min);
            rows += 1;
        }
        assert!(rows >= 30, "{rows} fixtures");
        assert!(lowest >= 0.93, "lowest score {lowest}");
    }

    /// Even the shortest licence text beside the longest is found: the whole-text shortcut
    /// must not swallow it.
    #[test]
    fn a_short_licence_beside_a_long_one_is_found() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/licenses");
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect(f);
        let (gpl, zero) = (read("debian-GPL-3"), read("tslib-LICENSE.txt"));
        for text in [format!("{gpl}\n{zero}"), format!("{zero}\n{gpl}")] {
            let got: Vec<String> = identify(&text).iter().map(|f| f.id.clone()).collect();
            assert!(
                got.len() == 2
                    && got.contains(&"0BSD".to_owned())
                    && got.contains(&"GPL-3.0".to_owned()),
                "{got:?}"
            );
        }
    }

    #[test]
    fn prose_about_licences_is_not_a_licence() {
        let readme = "This project is dual-licensed under the Unlicense and MIT licenses.\n\
                      You may use this code under the terms of either license.\n";
        assert!(identify(readme).is_empty());
        assert!(identify("").is_empty());
        assert!(identify("All rights reserved.").is_empty());
    }
}
