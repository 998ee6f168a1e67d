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
use crate::pattern::{split_path, ByDirectory, Compiled, Glob, Seg, Tail};

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

#[derive(Clone, PartialEq, Eq, Hash)]
enum GlobKey {
    Ext(Box<str>),
    Prefix(Box<str>),
    Suffix(Box<str>),
}

/// Every key a glob can be found by: the extension, and the literal prefix and suffix cut to
/// [`MAX_KEY`] bytes, each of which every component the glob matches has.
fn glob_keys(g: &Glob) -> impl Iterator<Item = GlobKey> {
    let ext = g
        .suffix
        .rfind('.')
        .map(|dot| GlobKey::Ext(g.suffix[dot + 1..].into()));
    let prefix = (!g.prefix.is_empty())
        .then(|| {
            let mut end = g.prefix.len().min(MAX_KEY);
            while !g.prefix.is_char_boundary(end) {
                end -= 1;
            }
            (end > 0).then(|| GlobKey::Prefix(g.prefix[..end].into()))
        })
        .flatten();
    let suffix = (!g.suffix.is_empty())
        .then(|| {
            let mut start = g.suffix.len().saturating_sub(MAX_KEY);
            while !g.suffix.is_char_boundary(start) {
                start += 1;
            }
            (start < g.suffix.len()).then(|| GlobKey::Suffix(g.suffix[start..].into()))
        })
        .flatten();
    ext.into_iter().chain(prefix).chain(suffix)
}

/// How many patterns could be found through each key: what a lookup by it costs in checks.
#[derive(Default)]
struct KeyCounts {
    /// Literal segments (and one-segment literal patterns).
    names: StrMap<u32>,
    globs: std::collections::HashMap<
        GlobKey,
        u32,
        std::hash::BuildHasherDefault<crate::hash::FxHasher>,
    >,
    /// Literal prefixes of partly literal anchored patterns (a trie node's `verify`).
    prefixes: StrMap<u32>,
}

fn bump(map: &mut StrMap<u32>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.into(), 1);
        }
    }
}

impl KeyCounts {
    fn glob(&self, k: &GlobKey) -> u32 {
        self.globs.get(k).copied().unwrap_or(0)
    }

    /// The key of a glob shared by the fewest patterns.
    fn best_glob_key(&self, g: &Glob) -> Option<(GlobKey, u32)> {
        glob_keys(g)
            .map(|k| {
                let n = self.glob(&k);
                (k, n)
            })
            .min_by_key(|(_, n)| *n)
    }
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
        // How many rules each key could find, so that each rule is filed under the key that
        // finds the fewest others: a key many rules share makes every path that has it check
        // them all.
        let mut counts = KeyCounts::default();
        let prefixes: Vec<Option<String>> =
            crules.iter().map(|c| literal_prefix(&c.compiled)).collect();
        for (c, p) in crules.iter().zip(&prefixes) {
            if c.compiled.nothing {
                continue;
            }
            for s in &c.compiled.segs {
                match s {
                    Seg::Lit(l) => bump(&mut counts.names, l),
                    Seg::Glob(g) => {
                        for k in glob_keys(g) {
                            *counts.globs.entry(k).or_default() += 1;
                        }
                    }
                    Seg::Star | Seg::AnySeq => {}
                }
            }
            if let Some(p) = p {
                bump(&mut counts.prefixes, p);
            }
        }
        for (id, (c, p)) in crules.iter().zip(&prefixes).enumerate() {
            ix.insert(id as u32, &c.compiled, p.as_deref(), &counts);
        }
        ix.crules = crules;
        ix
    }

    fn insert(&mut self, id: u32, c: &Compiled, literal_prefix: Option<&str>, counts: &KeyCounts) {
        if c.nothing {
            return;
        }
        if c.segs.is_empty() {
            self.everything.push(id);
            return;
        }
        if !c.anchored && c.segs.len() == 1 {
            match &c.segs[0] {
                Seg::Lit(l) => self.names.entry(l.clone()).or_default().single.push(id),
                Seg::Star => self.everything.push(id),
                Seg::Glob(g) => match counts.best_glob_key(g) {
                    Some((k, _)) => self.glob_bucket(k).single.push(id),
                    None => self.scan.single.push(id),
                },
                Seg::AnySeq => self.scan.verify.push(id),
            }
            return;
        }
        // Where the rule could go, with how many rules share that place: the trie under its
        // literal prefix (a fully literal pattern is decided by its node, at no cost), its rarest
        // literal segment, or the rarest key of one of its globs. Ties keep that order.
        let trie = match literal_prefix {
            None => (c.anchored && matches!(c.segs[0], Seg::Lit(_))).then_some(0),
            Some(p) => Some(counts.prefixes.get(p).copied().unwrap_or(0)),
        };
        let rare = c
            .segs
            .iter()
            .filter_map(|s| match s {
                Seg::Lit(l) => Some((l, counts.names.get(&**l).copied().unwrap_or(0))),
                _ => None,
            })
            .min_by_key(|(_, n)| *n);
        let glob = c
            .segs
            .iter()
            .filter_map(|s| match s {
                Seg::Glob(g) => counts.best_glob_key(g),
                _ => None,
            })
            .min_by_key(|(_, n)| *n);
        let best = [trie, rare.as_ref().map(|r| r.1), glob.as_ref().map(|g| g.1)]
            .into_iter()
            .enumerate()
            .filter_map(|(i, n)| n.map(|n| (n, i)))
            .min();
        match best.map(|(_, i)| i) {
            Some(0) => self.insert_trie(id, c),
            Some(1) => {
                if let Some((l, _)) = rare {
                    self.names.entry(l.clone()).or_default().verify.push(id);
                }
            }
            Some(_) => {
                if let Some((k, _)) = glob {
                    self.glob_bucket(k).verify.push(id);
                }
            }
            None => self.scan.verify.push(id),
        }
    }

    /// Files an anchored rule whose first segments are literal under them in the trie.
    fn insert_trie(&mut self, id: u32, c: &Compiled) {
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
    }

    fn glob_bucket(&mut self, key: GlobKey) -> &mut Bucket {
        match key {
            GlobKey::Ext(k) => self.exts.entry(k).or_default(),
            GlobKey::Prefix(k) => sized_bucket(&mut self.prefixes, k),
            GlobKey::Suffix(k) => sized_bucket(&mut self.suffixes, k),
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
        for &(id, seg) in &memo.by_name {
            if self.segment(id, seg).matches_one(name[0]) {
                f(id);
            }
        }
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
        // Rules found through the name that need the whole path (`/services/*/docs/m039/*.md`
        // found by `md`) are mostly settled by the directory too: what it says is kept for the
        // directory's next files, for a few rules (a directory meets few such rules; a hostile
        // file with many has them matched as before).
        self.at_component(comps, n - 1, true, &mut |id, verify| {
            if !verify {
                f(id);
                return;
            }
            let known = memo.named.iter().find(|(r, _)| *r == id).map(|(_, v)| *v);
            let verdict = match known {
                Some(v) => v,
                None if memo.named.len() < MAX_NAMED => {
                    let mut with_name: Vec<&str> = dir.to_vec();
                    with_name.push("");
                    let v = self.crules[id as usize]
                        .compiled
                        .by_directory(dir, &with_name);
                    memo.named.push((id, v));
                    v
                }
                None => ByDirectory::Unknown,
            };
            let hit = match verdict {
                ByDirectory::Matches => true,
                ByDirectory::NoMatch => false,
                ByDirectory::Name => {
                    let last = self.crules[id as usize].compiled.segs.len() - 1;
                    self.segment(id, last as u32).matches_one(name[0])
                }
                ByDirectory::Unknown => matches(id),
            };
            if hit {
                f(id);
            }
        });
        for &id in &self.scan.verify {
            if matches(id) {
                f(id);
            }
        }
    }

    /// How many rules matching the path split into `comps` reports or checks: the work
    /// [`Index::visit`] does for it, counted from the sizes of the lists it would go through,
    /// without matching anything. What a directory contributes is counted with its first file.
    pub(crate) fn cost(&self, comps: &[&str], memo: &mut DirMemo) -> u64 {
        let n = comps.len();
        if n == 0 {
            return 0;
        }
        let (dir, name) = comps.split_at(n - 1);
        let mut cost = 0u64;
        if !memo.is_for(dir) {
            self.fill(dir, memo);
            cost += self.everything.len() as u64;
            cost += dir.iter().map(|c| self.component_cost(c)).sum::<u64>();
        }
        cost += (memo.hits.len() + memo.by_name.len() + memo.verify.len() + self.scan.verify.len())
            as u64;
        if let Some(node) = memo.node {
            if let Some(&ix) = self.nodes[node as usize].children.get(name[0]) {
                let node = &self.nodes[ix as usize];
                cost += (node.exact.len() + node.prefix.len() + node.verify.len()) as u64;
            }
        }
        cost + self.component_cost(name[0])
    }

    /// An upper bound of [`Index::cost`] summed over `paths`, from lookups once per run of
    /// paths in one directory: the directory's components bound what its files inherit, and
    /// the largest lists a file name can meet bound the rest. Nothing is matched, and no file
    /// name is looked up.
    pub(crate) fn work_bound<S: AsRef<str>>(&self, paths: &[S]) -> u64 {
        let name_bound = self.name_cost_bound();
        let mut comps: Vec<&str> = Vec::new();
        let mut previous: Option<&str> = None;
        let mut per_file = 0u64;
        let mut work = 0u64;
        for p in paths {
            // Trailing slashes go first, so that one directory text always stands for the same
            // directory components (split_path drops empty components).
            let p = p.as_ref().trim_end_matches('/');
            let dir = memrchr(b'/', p.as_bytes()).map_or("", |i| &p[..i]);
            if previous != Some(dir) {
                previous = Some(dir);
                split_path(dir, &mut comps);
                let mut dir_part = self.everything.len() as u64;
                let mut inherited = 0u64;
                let mut node = Some(0u32);
                for comp in &comps {
                    dir_part = dir_part.saturating_add(self.component_cost(comp));
                    node = node.and_then(|n| self.nodes[n as usize].children.get(*comp).copied());
                    if let Some(n) = node {
                        let n = &self.nodes[n as usize];
                        inherited += (n.prefix.len() + n.inside.len() + n.verify.len()) as u64;
                    }
                }
                per_file = dir_part
                    .saturating_add(inherited)
                    .saturating_add(name_bound);
                work = work.saturating_add(dir_part);
            }
            work = work.saturating_add(per_file);
        }
        work
    }

    /// The most [`Index::cost`] can count for a file name beyond what its directory gives: the
    /// rules checked on every path, the largest trie node a name can reach, and the largest
    /// bucket of each kind a name can be found in.
    fn name_cost_bound(&self) -> u64 {
        let size = |b: &Bucket| (b.single.len() + b.verify.len()) as u64;
        let largest = |map: &StrMap<Bucket>| map.values().map(size).max().unwrap_or(0);
        let node = self
            .nodes
            .iter()
            .map(|n| (n.exact.len() + n.prefix.len() + n.verify.len()) as u64)
            .max()
            .unwrap_or(0);
        let mut bound = (self.scan.verify.len() + self.scan.single.len()) as u64 + node;
        bound += largest(&self.names) + largest(&self.exts);
        for (_, map) in self.prefixes.iter().chain(&self.suffixes) {
            bound += largest(map);
        }
        bound
    }

    /// The rules [`Index::at_component`] goes through for one component.
    fn component_cost(&self, comp: &str) -> u64 {
        let size = |b: &Bucket| (b.single.len() + b.verify.len()) as u64;
        let mut cost = self.scan.single.len() as u64;
        if let Some(b) = self.names.get(comp) {
            cost += size(b);
        }
        if let Some(dot) = memrchr(b'.', comp.as_bytes()) {
            if let Some(b) = self.exts.get(&comp[dot + 1..]) {
                cost += size(b);
            }
        }
        for (len, map) in &self.prefixes {
            if let Some(b) = comp.get(..*len).and_then(|k| map.get(k)) {
                cost += size(b);
            }
        }
        for (len, map) in &self.suffixes {
            let key = comp.len().checked_sub(*len).and_then(|s| comp.get(s..));
            if let Some(b) = key.and_then(|k| map.get(k)) {
                cost += size(b);
            }
        }
        cost
    }

    /// Works out what the components of `dir` contribute to the paths of its files.
    fn fill(&self, dir: &[&str], memo: &mut DirMemo) {
        memo.key.clear();
        memo.key.extend(dir.iter().map(|c| Box::<str>::from(*c)));
        memo.valid = true;
        memo.named.clear();
        let DirMemo {
            hits,
            verify,
            by_name,
            node,
            ..
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
        // Most rules to verify are decided by the directory alone (`**/build/`, `/apps/*/src/`)
        // or leave one test of the name (`/apps/*/src/*.rs`): settled here once for all the
        // directory's files instead of matching each file's whole path.
        by_name.clear();
        if verify.is_empty() {
            return;
        }
        let mut with_name: Vec<&str> = dir.to_vec();
        with_name.push("");
        verify.retain(|&id| {
            match self.crules[id as usize]
                .compiled
                .by_directory(dir, &with_name)
            {
                ByDirectory::Matches => {
                    hits.push(id);
                    false
                }
                ByDirectory::NoMatch => false,
                ByDirectory::Name => {
                    let last = self.crules[id as usize].compiled.segs.len() - 1;
                    by_name.push((id, last as u32));
                    false
                }
                ByDirectory::Unknown => true,
            }
        });
    }

    /// Segment `seg` of rule `id`.
    #[inline]
    fn segment(&self, id: u32, seg: u32) -> &Seg {
        &self.crules[id as usize].compiled.segs[seg as usize]
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
    /// Rules whose directory part matched: a file matches when its name matches the segment
    /// (rule, index of its last segment).
    by_name: Vec<(u32, u32)>,
    /// The trie node the directory's components lead to, if they all do.
    node: Option<u32>,
    /// What the directory decides about rules met through its files' names that need the
    /// whole path checked (at most [`MAX_NAMED`]).
    named: Vec<(u32, ByDirectory)>,
}

/// How many rules met through file names a directory keeps the verdict of.
const MAX_NAMED: usize = 32;

impl DirMemo {
    fn is_for(&self, dir: &[&str]) -> bool {
        self.valid
            && self.key.len() == dir.len()
            && self.key.iter().zip(dir).all(|(a, b)| **a == **b)
    }
}

impl Scratch {
    pub(crate) fn dir(&mut self) -> &mut DirMemo {
        &mut self.dir
    }

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
