//! The compiled index must answer exactly like trying every rule on every path. Random rule sets
//! (mixing every pattern shape the index sorts differently) and random paths are checked against
//! [`Pattern::matches`], for both dialects, including GitLab sections and exclusions.

use goldpath_codeowners::{parse, CodeOwners, DiagnosticCode, Dialect, Pattern};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
    fn chance(&mut self, n: u64) -> bool {
        self.next() % n == 0
    }
}

const SEGMENTS: &[&str] = &[
    "a", "b", "c", "src", "lib", "x.rs", "y.md", "*", "**", "*.rs", "*.md", "a*", "*b", "?", "*a*",
    "lib*", "*_test", "x?y", "[ab]", "\\*", "src-1", "a.b.c",
];
const COMPONENTS: &[&str] = &[
    "a", "b", "c", "src", "lib", "x.rs", "y.md", "ab", "ba", "xay", "lib1", "foo_test", "a.b.c",
    "src-1", "*", "[ab]", "z.rs.md", "aa",
];

fn pattern(rng: &mut Rng) -> String {
    let mut p = String::new();
    if rng.chance(2) {
        p.push('/');
    }
    let n = 1 + rng.next() % 4;
    for i in 0..n {
        if i > 0 {
            p.push('/');
        }
        p.push_str(rng.pick(SEGMENTS));
    }
    if rng.chance(4) {
        p.push('/');
    }
    p
}

fn path(rng: &mut Rng) -> String {
    let n = 1 + rng.next() % 5;
    (0..n)
        .map(|_| rng.pick(COMPONENTS))
        .collect::<Vec<_>>()
        .join("/")
}

/// `(section, deciding rule, excluded)`.
type Decided = (Option<usize>, usize, bool);

/// The rank of each rule: its index, except that a GitLab entry repeating the pattern of an
/// earlier one in its section takes that one's rank (told by the duplicate-pattern diagnostic,
/// "... on line N ...").
fn ranks(co: &CodeOwners) -> Vec<usize> {
    let mut rank: Vec<usize> = (0..co.rules().len()).collect();
    if co.dialect() == Dialect::GitLab {
        for (i, r) in co.rules().iter().enumerate() {
            let dup = co
                .diagnostics()
                .iter()
                .find(|d| d.line == r.line && d.code == DiagnosticCode::DuplicatePattern);
            if let Some(d) = dup {
                let n: usize = d
                    .message
                    .split("line ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let prev = co.rules().iter().position(|r| r.line == n).unwrap();
                rank[i] = rank[prev];
            }
        }
    }
    rank
}

/// The naive answer: per section, every active rule tried, the best ranked match wins.
fn naive(co: &CodeOwners, pats: &[Option<Pattern>], path: &str) -> (Vec<usize>, Vec<Decided>) {
    let rank = ranks(co);
    let matching: Vec<usize> = (0..co.rules().len())
        .filter(|&i| pats[i].as_ref().is_some_and(|p| p.matches(path)))
        .collect();
    let mut sections: Vec<Option<usize>> =
        matching.iter().map(|&i| co.rules()[i].section).collect();
    sections.sort();
    sections.dedup();
    let decisions = sections
        .into_iter()
        .map(|s| {
            let in_section = matching
                .iter()
                .copied()
                .filter(|&i| co.rules()[i].section == s);
            let excl = in_section
                .clone()
                .filter(|&i| co.rules()[i].exclusion)
                .max_by_key(|&i| rank[i]);
            match excl {
                Some(e) => (s, e, true),
                None => (
                    s,
                    in_section.max_by_key(|&i| rank[i]).expect("a match"),
                    false,
                ),
            }
        })
        .collect();
    (matching, decisions)
}

fn check(dialect: Dialect, seed: u64) {
    let mut rng = Rng(seed);
    let mut text = String::new();
    for i in 0..120 {
        if dialect == Dialect::GitLab && rng.chance(25) {
            text.push_str(&format!("[Section {}]\n", rng.next() % 3));
        }
        let excl = dialect == Dialect::GitLab && rng.chance(8);
        text.push_str(&format!(
            "{}{} @owner-{i}\n",
            if excl { "!" } else { "" },
            pattern(&mut rng)
        ));
    }
    let co = parse(&text, dialect);
    let pats: Vec<Option<Pattern>> = co
        .rules()
        .iter()
        .map(|r| {
            r.active
                .then(|| Pattern::new(&r.pattern, dialect).ok())
                .flatten()
        })
        .collect();
    let paths: Vec<String> = (0..400).map(|_| path(&mut rng)).collect();
    let all = co.owners_of_all(&paths);
    let usage = co.rule_usage(&paths);
    // One pass gives both answers, the same.
    assert_eq!(
        co.rule_usage_and_owners(&paths),
        (usage.clone(), all.clone())
    );
    let mut matched = vec![0usize; co.rules().len()];
    for (p, fast) in paths.iter().zip(&all) {
        let (matching, decisions) = naive(&co, &pats, p);
        assert_eq!(
            co.matching_rules(p),
            matching,
            "{dialect:?} seed {seed}: {p}\n{text}"
        );
        for &i in &matching {
            matched[i] += 1;
        }
        let got: Vec<Decided> = fast
            .decisions()
            .iter()
            .map(|d| (d.section_index, d.rule_index, d.excluded))
            .collect();
        assert_eq!(got, decisions, "{dialect:?} seed {seed}: {p}\n{text}");
        assert_eq!(co.owners_of(p), *fast);
    }
    // Sorted, files of one directory follow each other and share the directory's work.
    let mut sorted = paths.clone();
    sorted.sort();
    for (p, fast) in sorted.iter().zip(co.owners_of_all(&sorted)) {
        assert_eq!(
            co.owners_of(p),
            fast,
            "{dialect:?} seed {seed} (sorted): {p}\n{text}"
        );
    }
    // The bound taken from lookups per directory is never below the exact count, however the
    // paths are ordered or written (empty components, trailing slashes).
    let odd: Vec<String> = sorted
        .iter()
        .enumerate()
        .map(|(i, p)| match i % 4 {
            0 => format!("{p}/"),
            1 => format!("/{}", p.replace('/', "//")),
            _ => p.clone(),
        })
        .chain(["".to_owned(), "/".to_owned()])
        .collect();
    for list in [&paths, &sorted, &odd] {
        let (bound, exact) = (co.matching_work_bound(list), co.matching_work(list));
        assert!(
            bound >= exact,
            "{dialect:?} seed {seed}: bound {bound} < work {exact}\n{text}"
        );
    }
    let counted: Vec<usize> = usage.stats().iter().map(|s| s.matched).collect();
    assert_eq!(counted, matched, "{dialect:?} seed {seed}");
    for s in usage.stats() {
        assert!(s.decided <= s.matched);
    }
}

#[test]
fn index_agrees_with_naive_loop_github() {
    for seed in 1..=40 {
        check(Dialect::GitHub, seed * 0x9e37_79b9);
    }
}

#[test]
fn index_agrees_with_naive_loop_gitlab() {
    for seed in 1..=40 {
        check(Dialect::GitLab, seed * 0x85eb_ca6b);
    }
}

/// Every class of the index on a hand-made set, against the naive loop.
#[test]
fn index_classes() {
    let text = "* @everyone\n**/ @inside\n/src/ @src\n/src/lib.rs @exact\n/src/*.rs @glob-under-prefix\n\
                Makefile @name\nbuild/ @name-dir\n*.md @ext\nlib* @prefix\n*_test @suffix\n*x* @scan\n\
                /*/lib/ @rare-literal\n**/x.rs @any-depth\n/*/*/ @no-key\n/* @root-files\n";
    for dialect in [Dialect::GitHub, Dialect::GitLab] {
        let co = parse(text, dialect);
        let pats: Vec<Option<Pattern>> = co
            .rules()
            .iter()
            .map(|r| Pattern::new(&r.pattern, dialect).ok())
            .collect();
        for p in [
            "src/lib.rs",
            "src/a/b.rs",
            "Makefile",
            "x/Makefile/y",
            "build/a",
            "a/build",
            "r.md",
            "lib/libx.c",
            "a/foo_test",
            "box",
            "a/lib/c",
            "a/b/lib/c",
            "x.rs",
            "q/x.rs",
            "a/b/c",
            "README",
            "src",
            "a",
        ] {
            assert_eq!(
                co.matching_rules(p),
                naive(&co, &pats, p).0,
                "{dialect:?} {p}"
            );
        }
    }
}

/// Rules the index settles once per directory (a trailing `/`: the directory decides; no `**`
/// and no trailing `/`: the directory decides all but a test of the name, or all when the
/// pattern matches a directory above the file), on files that share directories, against the
/// naive loop.
#[test]
fn rules_settled_per_directory_agree_with_naive_loop() {
    let text =
        "/services/*/src/m01/*.rs @mid-star\n**/svc-1/src/m01/ @any-depth-dir\nm01/ @name-dir\n\
                /services/svc-1/*/m01/ @star-dir\n/services/svc-2/src/m01/*.ts @glob-name\n\
                **/src/*.rs @any-depth-glob\n**/m02/file_1.rs @any-depth-exact\n/services/*/ @top\n\
                /services/svc-1/src/m0?/ @class-dir\nsrc/m01/file_2.rs @anchored-exact\n\
                /services/*/src/m0? @prefix-of-dir\n**/src/m0* @any-depth-prefix\n\
                svc-2/*/m01 @anchored-prefix\n";
    for dialect in [Dialect::GitHub, Dialect::GitLab] {
        let co = parse(text, dialect);
        let pats: Vec<Option<Pattern>> = co
            .rules()
            .iter()
            .map(|r| Pattern::new(&r.pattern, dialect).ok())
            .collect();
        let mut paths = Vec::new();
        for top in ["services", "other", "x/services"] {
            for svc in ["svc-1", "svc-2"] {
                for dir in ["src", "docs"] {
                    for m in ["m01", "m02"] {
                        for name in ["file_1.rs", "file_2.rs", "a.ts", "m01"] {
                            paths.push(format!("{top}/{svc}/{dir}/{m}/{name}"));
                        }
                    }
                    paths.push(format!("{top}/{svc}/{dir}/file_1.rs"));
                }
            }
        }
        paths.extend(["src/m01/file_2.rs", "src/a.rs", "m01", "m01/x"].map(String::from));
        paths.sort();
        let all = co.owners_of_all(&paths);
        for (p, fast) in paths.iter().zip(&all) {
            let (matching, decisions) = naive(&co, &pats, p);
            assert_eq!(co.matching_rules(p), matching, "{dialect:?} {p}");
            let got: Vec<Decided> = fast
                .decisions()
                .iter()
                .map(|d| (d.section_index, d.rule_index, d.excluded))
                .collect();
            assert_eq!(got, decisions, "{dialect:?} {p}");
        }
    }
}

/// Lines repeating a pattern are matched once, yet each keeps its own answers: the last line
/// decides, the earlier ones match the same paths and are overridden by it.
#[test]
fn repeated_patterns_keep_last_line_wins_and_per_line_usage() {
    let mut text = String::from("*.md @docs\n");
    for _ in 0..3 {
        text.push_str("/src/**/*.rs @a\n");
    }
    text.push_str("/src/**/*.rs @last\n/src/x/ @x\n");
    let co = parse(&text, Dialect::GitHub);
    assert_eq!(co.distinct_patterns(), 3);
    let who = co.owners_of("src/a/b.rs");
    assert_eq!(who.rule().map(|r| r.line), Some(5));
    assert_eq!(co.matching_rules("src/a/b.rs"), vec![1, 2, 3, 4]);
    assert_eq!(co.owners_of("src/x/c.rs").rule().map(|r| r.line), Some(6));
    let usage = co.rule_usage(&["src/a/b.rs", "src/x/c.rs", "README.md"]);
    let s = usage.stats();
    for (i, earlier) in s.iter().enumerate().take(4).skip(1) {
        assert_eq!(earlier.matched, 2, "line {}", i + 1);
        assert_eq!(earlier.decided, 0);
        assert_eq!(earlier.first_match, Some(0));
        assert_eq!(earlier.overridden_by, vec![4, 5]);
    }
    assert_eq!((s[4].matched, s[4].decided), (2, 1));
    assert_eq!(s[4].overridden_by, vec![5]);
    assert_eq!(usage.overridden(), vec![1, 2, 3]);
    assert!(usage.unmatched().is_empty());
}

#[test]
fn repeated_gitlab_exclusions_each_exclude() {
    let co = parse(
        "[Docs] @d\n*.md\n!/CHANGELOG.md\n!/CHANGELOG.md\n",
        Dialect::GitLab,
    );
    let usage = co.rule_usage(&["CHANGELOG.md", "a.md"]);
    for r in co
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.exclusion && r.active)
    {
        let s = &usage.stats()[r.0];
        assert_eq!((s.matched, s.decided), (1, 1), "line {}", r.1.line);
    }
    assert!(co.owners_of("CHANGELOG.md").decisions()[0].excluded);
}
