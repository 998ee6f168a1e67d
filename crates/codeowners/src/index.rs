//! The compiled form of a rule set: rules sorted into hash maps and a trie by the literal text
//! they need, so that a path only meets the rules that can match it.
//!
//! Every active rule lands in exactly one place:
//!
//! - `everything`: patterns that are only `**` (`*`, `**`, `**/`...), checked by component count;
//! - the trie: anchored patterns whose first segments are literal (`/src/app/`, `docs/*.md`),
//!   keyed component by component. Fully literal ones are decided by the node reached; others are
//!   verified with the full matcher once their literal prefix is seen;
//! - `names`: patterns of one literal segment matching at any depth (`Makefile`, `docs/`),
//!   looked up with each component of the path; also multi-segment patterns keyed by their rarest
//!   literal segment (then verified);
//! - `exts`, `prefixes`, `suffixes`: one-segment globs at any depth keyed by the extension, the
//!   literal prefix or the literal suffix every match must have (`*.rs`, `test_*`, `*_test`);
//!   multi-segment patterns without a literal segment keyed the same way by one of their globs;
//! - `scan`: what has no key at all (`*foo*`, `/*/*`), tried on every path.
//!
//! The answer for a path is the highest-precedence matching rule of each group (section).

use memchr::memrchr;

use crate::hash::StrMap;
use crate::pattern::{Compiled, Glob, Seg, Tail};

/// Marks "no rule".
const NONE: u32 = u32::MAX;

/// A rule as the index sees it.
#[derive(Debug)]
pub(crate) struct CRule {
    /// Index into `CodeOwners::rules`.
    pub(crate) rule: u32,
    /// 0 for the unnamed section (and all of GitHub), `1 + section index` otherwise.
    pub(crate) group: u32,
    /// Higher wins within the group.
    pub(crate) prec: u32,
    pub(crate) exclusion: bool,
    pub(crate) compiled: Compiled,
    /// The other active rules of the group with the same pattern text and kind, ascending: they
    /// match what `rule` matches, and `rule` outranks them all.
    pub(crate) dups: Vec<u32>,
}

#[derive(Debug, Default)]
struct Bucket {
    /// One-segment patterns matching at any depth, checked at the component that found them.
    single: Vec<u32>,
    /// Patterns verified against the whole path.
    verify: Vec<u32>,
}

#[derive(Debug, Default)]
struct Node {
    children: StrMap<u32>,
    exact: Vec<u32>,
    prefix: Vec<u32>,
    inside: Vec<u32>,
    verify: Vec<u32>,
}

/// Prefix and suffix keys are cut to this many bytes, which bounds the number of lookups.
const MAX_KEY: usize = 8;

#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) groups: usize,
    pub(crate) crules: Vec<CRule>,
    nodes: Vec<Node>,
    names: StrMap<Bucket>,
    exts: StrMap<Bucket>,
    prefixes: Vec<(usize, StrMap<Bucket>)>,
    suffixes: Vec<(usize, StrMap<Bucket>)>,
    scan: Bucket,
    everything: Vec<u32>,
}

enum GlobKey {
    Ext(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
}

fn glob_key(g: &Glob) -> Option<GlobKey> {
    if let Some(dot) = g.suffix.rfind('.') {
        return Some(GlobKey::Ext(g.suffix[dot + 1..].into()));
    }
    if !g.prefix.is_empty() {
        let mut end = g.prefix.len().min(MAX_KEY);
        while !g.prefix.is_char_boundary(end) {
            end -= 1;
        }
        if end > 0 {
            return Some(GlobKey::Prefix(g.prefix[..end].into()));
        }
    }
    if !g.suffix.is_empty() {
        let mut start = g.suffix.len().saturating_sub(MAX_KEY);
        while !g.suffix.is_char_boundary(start) {
            start += 1;
        }
        if start < g.suffix.len() {
            return Some(GlobKey::Suffix(g.suffix[start..].into()));
        }
    }
    None
}

/// For an anchored pattern that starts with literal segments and goes on with others: the
/// literal segments joined with `/`.
fn literal_prefix(c: &Compiled) -> Option<String> {
    if !c.anchored || c.nothing {
        return None;
    }
    let mut out = String::new();
    let mut n = 0;
    for s in &c.segs {
        let Seg::Lit(l) = s else { break };
        if n > 0 {
            out.push('/');
        }
        out.push_str(l);
        n += 1;
    }
    (n > 0 && n < c.segs.len()).then_some(out)
}

fn sized_bucket(maps: &mut Vec<(usize, StrMap<Bucket>)>, key: Box<str>) -> &mut Bucket {
    let len = key.len();
    let pos = match maps.iter().position(|(l, _)| *l == len) {
        Some(p) => p,
        None => {
            maps.push((len, StrMap::default()));
            maps.len() - 1
        }
    };
    maps[pos].1.entry(key).or_default()
}

impl Index {
    pub(crate) fn new(groups: usize, crules: Vec<CRule>) -> Index {
        let mut ix = Index {
            groups,
            nodes: vec![Node::default()],
            ..Index::default()
        };
        // How many rules use each literal segment, to key multi-segment patterns by a rare one,
        // and how many partly literal anchored patterns share each literal prefix.
        let mut freq: StrMap<u32> = StrMap::default();
        let mut shared: StrMap<u32> = StrMap::default();
        let prefixes: Vec<Option<String>> =
            crules.iter().map(|c| literal_prefix(&c.compiled)).collect();
        for (c, p) in crules.iter().zip(&prefixes) {
            for s in &c.compiled.segs {
                if let Seg::Lit(l) = s {
                    match freq.get_mut(&**l) {
                        Some(n) => *n += 1,
                        None => {
                            freq.insert(l.clone(), 1);
                        }
                    }
                }
            }
            if let Some(p) = p {
                match shared.get_mut(p.as_str()) {
                    Some(n) => *n += 1,
                    None => {
                        shared.insert(p.as_str().into(), 1);
                    }
                }
            }
        }
        for (id, (c, p)) in crules.iter().zip(&prefixes).enumerate() {
            ix.insert(id as u32, &c.compiled, p.as_deref(), &freq, &shared);
        }
        ix.crules = crules;
        ix
    }

    fn insert(
        &mut self,
        id: u32,
        c: &Compiled,
        literal_prefix: Option<&str>,
        freq: &StrMap<u32>,
        shared: &StrMap<u32>,
    ) {
        if c.nothing {
            return;
        }
        if c.segs.is_empty() {
            self.everything.push(id);
            return;
        }
        let rare = c
            .segs
            .iter()
            .filter_map(|s| match s {
                Seg::Lit(l) => Some(l),
                _ => None,
            })
            .min_by_key(|l| freq.get(&***l).copied().unwrap_or(0));
        // A partly literal anchored pattern goes under its literal prefix in the trie, unless many
        // patterns share that prefix and a later literal segment is rarer (`/apps/*/src/`).
        let via_trie = match literal_prefix {
            None => c.anchored && matches!(c.segs[0], Seg::Lit(_)),
            Some(p) => {
                let at_node = shared.get(p).copied().unwrap_or(0);
                rare.is_none_or(|l| freq.get(&**l).copied().unwrap_or(0) >= at_node)
            }
        };
        if via_trie {
            let mut node = 0usize;
            let mut literal = 0;
            for s in &c.segs {
                let Seg::Lit(l) = s else { break };
                literal += 1;
                node = match self.nodes[node].children.get(l) {
                    Some(&n) => n as usize,
                    None => {
                        let n = self.nodes.len();
                        self.nodes.push(Node::default());
                        self.nodes[node].children.insert(l.clone(), n as u32);
                        n
                    }
                };
            }
            let n = &mut self.nodes[node];
            if literal < c.segs.len() {
                n.verify.push(id);
            } else {
                match c.tail {
                    Tail::Exact => n.exact.push(id),
                    Tail::Prefix => n.prefix.push(id),
                    Tail::Inside => n.inside.push(id),
                }
            }
            return;
        }
        if !c.anchored && c.segs.len() == 1 {
            match &c.segs[0] {
                Seg::Lit(l) => self.names.entry(l.clone()).or_default().single.push(id),
                Seg::Star => self.everything.push(id),
                Seg::Glob(g) => self.glob_bucket(g).single.push(id),
                Seg::AnySeq => self.scan.verify.push(id),
            }
            return;
        }
        // Several segments, not under the trie: key by the rarest literal segment, else by a
        // glob, else scan.
        if let Some(l) = rare {
            self.names.entry(l.clone()).or_default().verify.push(id);
            return;
        }
        let glob = c.segs.iter().rev().find_map(|s| match s {
            Seg::Glob(g) if glob_key(g).is_some() => Some(g),
            _ => None,
        });
        match glob {
            Some(g) => self.glob_bucket(g).verify.push(id),
            None => self.scan.verify.push(id),
        }
    }

    fn glob_bucket(&mut self, g: &Glob) -> &mut Bucket {
        match glob_key(g) {
            Some(GlobKey::Ext(k)) => self.exts.entry(k).or_default(),
            Some(GlobKey::Prefix(k)) => sized_bucket(&mut self.prefixes, k),
            Some(GlobKey::Suffix(k)) => sized_bucket(&mut self.suffixes, k),
            None => &mut self.scan,
        }
    }

    /// Calls `f` with every compiled rule that matches the path split into `comps`; a rule may be
    /// reported more than once.
    ///
    /// What the directory components contribute does not depend on the file name, so it is
    /// worked out once per directory and kept in `memo`: the files of a tree come directory by
    /// directory, and most of a path's components are directories.
    #[inline]
    pub(crate) fn visit(&self, comps: &[&str], memo: &mut DirMemo, mut f: impl FnMut(u32)) {
        let n = comps.len();
        if n == 0 {
            return;
        }
        let (dir, name) = comps.split_at(n - 1);
        if !memo.is_for(dir) {
            self.fill(dir, memo);
        }
        let matches = |id: u32| self.crules[id as usize].compiled.matches(comps);
        memo.hits.iter().for_each(|&id| f(id));
        for &id in &memo.verify {
            if matches(id) {
                f(id);
            }
        }
        // The trie, one step further than the directory went.
        if let Some(node) = memo.node {
            if let Some(&ix) = self.nodes[node as usize].children.get(name[0]) {
                let node = &self.nodes[ix as usize];
                node.exact.iter().for_each(|&id| f(id));
                node.prefix.iter().for_each(|&id| f(id));
                for &id in &node.verify {
                    if matches(id) {
                        f(id);
                    }
                }
            }
        }
        self.at_component(comps, n - 1, true, &mut |id, verify| {
            if !verify || matches(id) {
                f(id);
            }
        });
        for &id in &self.scan.verify {
            if matches(id) {
                f(id);
            }
        }
    }

    /// Works out what the components of `dir` contribute to the paths of its files.
    fn fill(&self, dir: &[&str], memo: &mut DirMemo) {
        memo.key.clear();
        memo.key.extend(dir.iter().map(|c| Box::<str>::from(*c)));
        memo.valid = true;
        let DirMemo {
            hits, verify, node, ..
        } = memo;
        hits.clear();
        verify.clear();
        // A file of this directory has one component more than the directory.
        let n = dir.len() + 1;
        for &id in &self.everything {
            if n >= self.crules[id as usize].compiled.min_components() {
                hits.push(id);
            }
        }
        // Anchored literal prefixes: every directory component is followed by more.
        let mut at = Some(0u32);
        for comp in dir {
            let Some(&ix) = at.and_then(|node| self.nodes[node as usize].children.get(*comp))
            else {
                at = None;
                break;
            };
            at = Some(ix);
            let node = &self.nodes[ix as usize];
            hits.extend_from_slice(&node.prefix);
            hits.extend_from_slice(&node.inside);
            verify.extend_from_slice(&node.verify);
        }
        *node = at;
        for i in 0..dir.len() {
            self.at_component(dir, i, false, &mut |id, needs_verify| {
                if needs_verify {
                    verify.push(id);
                } else {
                    hits.push(id);
                }
            });
        }
    }

    /// The rules found through component `i` wherever it stands (`last`: it is the file name):
    /// `out(id, false)` for a match, `out(id, true)` for a rule to verify on the whole path.
    #[inline]
    fn at_component(&self, comps: &[&str], i: usize, last: bool, out: &mut impl FnMut(u32, bool)) {
        let comp = comps[i];
        if let Some(b) = self.names.get(comp) {
            self.bucket(b, comp, last, true, out);
        }
        if !self.exts.is_empty() {
            if let Some(dot) = memrchr(b'.', comp.as_bytes()) {
                if let Some(b) = self.exts.get(&comp[dot + 1..]) {
                    self.bucket(b, comp, last, false, out);
                }
            }
        }
        for (len, map) in &self.prefixes {
            if let Some(key) = comp.get(..*len) {
                if let Some(b) = map.get(key) {
                    self.bucket(b, comp, last, false, out);
                }
            }
        }
        for (len, map) in &self.suffixes {
            if let Some(key) = comp.len().checked_sub(*len).and_then(|s| comp.get(s..)) {
                if let Some(b) = map.get(key) {
                    self.bucket(b, comp, last, false, out);
                }
            }
        }
        for &id in &self.scan.single {
            if self.single(id, comp, last, false) {
                out(id, false);
            }
        }
    }

    #[inline]
    fn bucket(
        &self,
        b: &Bucket,
        comp: &str,
        last: bool,
        literal: bool,
        out: &mut impl FnMut(u32, bool),
    ) {
        for &id in &b.single {
            if self.single(id, comp, last, literal) {
                out(id, false);
            }
        }
        for &id in &b.verify {
            out(id, true);
        }
    }

    /// Whether a one-segment pattern at any depth matches component `comp`.
    #[inline]
    fn single(&self, id: u32, comp: &str, last: bool, literal: bool) -> bool {
        let c = &self.crules[id as usize].compiled;
        let here = match c.tail {
            Tail::Exact => last,
            Tail::Prefix => true,
            Tail::Inside => !last,
        };
        here && (literal || c.segs[0].matches_one(comp))
    }

    /// The deciding rules of a path: for each group with a match, in group order, the matching
    /// exclusion of highest precedence if there is one (the group is excluded), else the matching
    /// rule of highest precedence. Returns `(group, compiled rule, excluded)`.
    pub(crate) fn decide(&self, comps: &[&str], s: &mut Scratch, out: &mut Vec<(u32, u32, bool)>) {
        out.clear();
        s.ensure(self.groups, 0);
        let crules = &self.crules;
        self.visit(comps, &mut s.dir, |id| {
            let r = &crules[id as usize];
            let g = r.group as usize;
            if s.best[g] == NONE && s.excl[g] == NONE {
                s.touched.push(r.group);
            }
            let slot = if r.exclusion {
                &mut s.excl[g]
            } else {
                &mut s.best[g]
            };
            if *slot == NONE || crules[*slot as usize].prec < r.prec {
                *slot = id;
            }
        });
        s.touched.sort_unstable();
        for &g in &s.touched {
            let gi = g as usize;
            if s.excl[gi] != NONE {
                out.push((g, s.excl[gi], true));
            } else {
                out.push((g, s.best[gi], false));
            }
            s.best[gi] = NONE;
            s.excl[gi] = NONE;
        }
        s.touched.clear();
    }

    /// Every compiled rule matching the path, once each, in index order.
    pub(crate) fn all_matches(&self, comps: &[&str], s: &mut Scratch, out: &mut Vec<u32>) {
        out.clear();
        s.ensure(self.groups, self.crules.len());
        s.epoch = s.epoch.wrapping_add(1);
        if s.epoch == 0 {
            s.stamp.iter_mut().for_each(|x| *x = 0);
            s.epoch = 1;
        }
        let epoch = s.epoch;
        let stamp = &mut s.stamp;
        self.visit(comps, &mut s.dir, |id| {
            let st = &mut stamp[id as usize];
            if *st != epoch {
                *st = epoch;
                out.push(id);
            }
        });
        out.sort_unstable();
    }
}

/// Reusable buffers for queries.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    best: Vec<u32>,
    excl: Vec<u32>,
    touched: Vec<u32>,
    stamp: Vec<u32>,
    epoch: u32,
    dir: DirMemo,
}

/// What the directory part of the last path asked about contributes: reused while the next
/// paths are in the same directory.
#[derive(Debug, Default)]
pub(crate) struct DirMemo {
    /// The directory's components.
    key: Vec<Box<str>>,
    valid: bool,
    /// Rules that match every file of the directory whatever its name.
    hits: Vec<u32>,
    /// Rules found through the directory's components that must be verified on each path.
    verify: Vec<u32>,
    /// The trie node the directory's components lead to, if they all do.
    node: Option<u32>,
}

impl DirMemo {
    fn is_for(&self, dir: &[&str]) -> bool {
        self.valid
            && self.key.len() == dir.len()
            && self.key.iter().zip(dir).all(|(a, b)| **a == **b)
    }
}

impl Scratch {
    fn ensure(&mut self, groups: usize, rules: usize) {
        if self.best.len() < groups {
            self.best.resize(groups, NONE);
            self.excl.resize(groups, NONE);
        }
        if self.stamp.len() < rules {
            self.stamp.resize(rules, 0);
        }
    }
}
