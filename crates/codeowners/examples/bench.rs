//! Times "who owns each path" for 100,000 paths against 3,000 rules, with the compiled index and
//! with a naive loop (every rule tried on every path, last match wins), for both dialects.
//!
//! ```sh
//! cargo run --release -p goldpath-codeowners --example bench
//! ```
//!
//! The naive loop is timed on a sample of the paths and scaled up; the example also checks that
//! both give the same deciding rule on that sample.

use std::time::{Duration, Instant};

use goldpath_codeowners::{parse, Dialect, Pattern};

/// A small deterministic generator (xorshift64*), so every run sees the same tree.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const EXTS: &[&str] = &[
    "rs", "go", "py", "ts", "tsx", "md", "json", "yaml", "proto", "java", "c", "h",
];
const DIRS: &[&str] = &[
    "src", "tests", "docs", "config", "internal", "pkg", "fixtures", "lib", "api", "scripts",
];

fn paths(n: usize) -> Vec<String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let mut p = match rng.below(10) {
            0..=4 => format!("services/svc-{}", rng.below(400)),
            5..=6 => format!("libs/lib-{}", rng.below(250)),
            7 => format!("apps/app-{}", rng.below(120)),
            8 => "docs".to_owned(),
            _ => format!("tools/tool-{}", rng.below(60)),
        };
        for _ in 0..rng.below(5) {
            let d = DIRS[rng.below(DIRS.len())];
            if rng.below(4) == 0 {
                p.push_str(&format!("/{d}-{}", rng.below(40)));
            } else {
                p.push('/');
                p.push_str(d);
            }
        }
        let name = match rng.below(12) {
            0 => "BUILD".to_owned(),
            1 => "Makefile".to_owned(),
            2 => "README.md".to_owned(),
            3 => format!("file_{}_test.go", rng.below(500)),
            _ => format!("file-{}.{}", rng.below(2000), EXTS[rng.below(EXTS.len())]),
        };
        p.push('/');
        p.push_str(&name);
        out.push(p);
    }
    out
}

/// 3,000 rules of the kinds seen in monorepos.
fn rules() -> Vec<String> {
    let mut rng = Rng(0x51_7c_c1_b7_27_22_0a_95);
    let mut r = vec!["* @acme/everyone".to_owned()];
    for i in 0..400 {
        r.push(format!("/services/svc-{i}/ @acme/team-{}", i % 97));
    }
    for i in 0..1200 {
        let s = rng.below(400);
        let d = DIRS[rng.below(DIRS.len())];
        r.push(format!("/services/svc-{s}/{d}/ @acme/sub-{i}"));
    }
    for i in 0..250 {
        r.push(format!("/libs/lib-{i}/ @lib-owner-{i}"));
    }
    for i in 0..300 {
        let l = rng.below(250);
        let d = DIRS[rng.below(DIRS.len())];
        r.push(format!("/libs/lib-{l}/{d}/*.rs @rust-{i}"));
    }
    for i in 0..120 {
        r.push(format!("/apps/app-{i}/**/*.tsx @frontend-{}", i % 7));
    }
    for ext in EXTS {
        r.push(format!("*.{ext} @lang-{ext}"));
    }
    for i in 0..200 {
        let d = DIRS[rng.below(DIRS.len())];
        r.push(format!("/apps/*/{d}-{i}/ @apps-{i}"));
    }
    for i in 0..200 {
        r.push(format!("**/fixtures-{}/file-{i}.json @fixtures", i % 40));
    }
    for i in 0..150 {
        r.push(format!("/docs/{}-{i}/* @docs-{i}", DIRS[i % DIRS.len()]));
    }
    for i in 0..60 {
        r.push(format!("/tools/tool-{i}/ @tools"));
        r.push(format!("file-{}.* @odd-{i}", i * 7));
    }
    r.push("BUILD @build-team".to_owned());
    r.push("Makefile @build-team".to_owned());
    r.push("*_test.go @go-testers".to_owned());
    r.push("*mock* @mocks".to_owned());
    r.push("**/internal/ @internal".to_owned());
    while r.len() < 3000 {
        let s = rng.below(400);
        r.push(format!(
            "/services/svc-{s}/file-{}.go @deep",
            rng.below(2000)
        ));
    }
    r.truncate(3000);
    r
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("runs > 0"))
}

fn run(dialect: Dialect, paths: &[String], rules: &[String]) {
    let text = match dialect {
        Dialect::GitHub => rules.join("\n"),
        Dialect::GitLab => {
            // Three sections over the same rules.
            let third = rules.len() / 3;
            let mut t = rules[..third].join("\n");
            t.push_str("\n[Backend] @backend\n");
            t.push_str(&rules[third..2 * third].join("\n"));
            t.push_str("\n^[Frontend][2]\n");
            t.push_str(&rules[2 * third..].join("\n"));
            t
        }
    };
    let (parse_time, co) = best(5, || parse(&text, dialect));
    assert_eq!(co.rules().len(), rules.len());
    let (fast_time, answers) = best(5, || co.owners_of_all(paths));

    let owned = answers.iter().filter(|o| o.is_owned()).count();
    let (usage_time, usage) = best(3, || co.rule_usage(paths));

    // Naive: every rule's pattern compiled on its own, tried on every path from the last rule up.
    let patterns: Vec<(usize, Option<usize>, Pattern)> = co
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.active)
        .filter_map(|(i, r)| Some((i, r.section, Pattern::new(&r.pattern, dialect).ok()?)))
        .collect();
    let sample = &paths[..2_000];
    let t = Instant::now();
    let mut naive = Vec::with_capacity(sample.len());
    for p in sample {
        // Per section, the last matching rule.
        let mut decided: Vec<(Option<usize>, usize)> = Vec::new();
        for (i, section, pat) in patterns.iter().rev() {
            if decided.iter().any(|(s, _)| s == section) {
                continue;
            }
            if pat.matches(p) {
                decided.push((*section, *i));
            }
        }
        decided.sort();
        naive.push(decided);
    }
    let naive_sample = t.elapsed();
    let naive_time = naive_sample.mul_f64(paths.len() as f64 / sample.len() as f64);
    for (p, (fast, slow)) in sample.iter().zip(answers.iter().zip(&naive)) {
        let fast: Vec<(Option<usize>, usize)> = fast
            .decisions()
            .iter()
            .map(|d| (d.section_index, d.rule_index))
            .collect();
        assert_eq!(&fast, slow, "index and naive loop disagree on {p}");
    }

    println!("{}:", dialect.as_str());
    println!(
        "  parse + compile {} rules: {:>8.2} ms",
        rules.len(),
        parse_time.as_secs_f64() * 1e3
    );
    println!(
        "  owners_of_all, {} paths: {:>8.2} ms  ({} owned, {:.0} ns/path)",
        paths.len(),
        fast_time.as_secs_f64() * 1e3,
        owned,
        fast_time.as_secs_f64() * 1e9 / paths.len() as f64
    );
    println!(
        "  rule_usage, {} paths:    {:>8.2} ms  ({} rules match nothing, {} always overridden)",
        paths.len(),
        usage_time.as_secs_f64() * 1e3,
        usage.unmatched().len(),
        usage.overridden().len()
    );
    println!(
        "  naive loop (scaled from {} paths): {:>8.0} ms  -> index is {:.0}x faster",
        sample.len(),
        naive_time.as_secs_f64() * 1e3,
        naive_time.as_secs_f64() / fast_time.as_secs_f64()
    );
}

fn main() {
    let paths = paths(100_000);
    let rules = rules();
    println!(
        "{} paths x {} rules, single thread (best of 5)",
        paths.len(),
        rules.len()
    );
    run(Dialect::GitHub, &paths, &rules);
    run(Dialect::GitLab, &paths, &rules);
}
