//! End to end, a property: for any repository, `goldpath check` gives byte-identical JSON and
//! SARIF whatever the number of threads (`--jobs 1` to `--jobs 8`).
//!
//! The repositories come from a small seeded generator (no extra dependency): each seed makes a
//! git repository of a few hundred files across every family goldpath reads (workflows,
//! GitLab CI, CODEOWNERS, manifests and lockfiles, catalog-info, Dockerfiles, text with TODOs
//! and secret-like strings, binary files, odd names), some of them malformed, with the
//! builtin recommended pack plus rules that report many findings per file. A failure prints the
//! seed; `GOLDPATH_SEEDS=a,b,...` reruns chosen seeds.

mod common;

use common::Repo;

/// xorshift64*: deterministic, seedable, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const POLICY: &str = r#"
extends = ["builtin:recommended"]

[rules."files/content"]
level = "warning"
checks = [
  { files = ["**/*.txt", "**/*.md"], must-not-match = "TODO|FIXME", message = "a marker" },
  { files = ["**/*.yml", "**/*.yaml"], must-not-match = "latest", message = "latest" },
]

[rules."files/naming"]
level = "note"
"#;

const DIRS: &[&str] = &[
    "",
    "src",
    "src/a",
    "docs",
    "svc/api",
    "svc/web",
    "deep/x/y/z",
];

const WORKFLOWS: &[&str] = &[
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.issue.title }}\n",
    "on: pull_request_target\npermissions: write-all\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
    "on: [push\n",
    "on: push\njobs:\n  a:\n    runs-on: x\n    container: node:latest\n    steps:\n      - uses: some/action@main\n      - uses: other/action@0123456789abcdef0123456789abcdef01234567\n",
];

const CODEOWNERS: &[&str] = &[
    "* @org/all\n/src/ @org/src\n/docs/ docs@example.com\n/svc/** @org/svc\n/src/ @org/dup\n[bad\n",
    "/nothing-here/ @org/none\n*.md @org/docs @org/docs\n",
];

const TEXTS: &[&str] = &[
    "plain text\n",
    "TODO: one\nmore\nFIXME two TODO three\n",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n",
    "\u{feff}bom and TODO\r\nwindows line TODO\r\n",
];

fn generate(repo: &Repo, seed: u64) {
    let mut rng = Rng::new(seed);
    repo.write("goldpath.toml", POLICY);
    if rng.chance(60) {
        repo.write("README.md", "# app\nTODO write this\n");
    }
    if rng.chance(50) {
        repo.write(".github/CODEOWNERS", rng.pick(CODEOWNERS));
    }
    for i in 0..1 + rng.below(4) {
        repo.write(&format!(".github/workflows/w{i}.yml"), rng.pick(WORKFLOWS));
    }
    if rng.chance(50) {
        repo.write(
            ".gitlab-ci.yml",
            "include: ci/a.yml\nbuild:\n  image: python:latest\n  script: make\n",
        );
        repo.write("ci/a.yml", "test:\n  image: alpine\n  script: [\"true\"]\n");
    }
    let files = 100 + rng.below(200);
    for i in 0..files {
        let dir = rng.pick(DIRS);
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let (name, body): (String, Vec<u8>) = match rng.below(12) {
            0 => (
                "Cargo.toml".into(),
                format!("[package]\nname = \"p{i}\"\n\n[dependencies]\nserde = \"*\"\nrand = \"0.{}\"\n", rng.below(9)).into_bytes(),
            ),
            1 => (
                "package.json".into(),
                format!("{{\"name\": \"p{i}\", \"dependencies\": {{\"left-pad\": \"latest\", \"a\": \"^1.{}\"}}}}", rng.below(9)).into_bytes(),
            ),
            2 => ("requirements.txt".into(), b"requests\nflask==2.0\n-r missing.txt\n".to_vec()),
            3 => ("go.mod".into(), b"module example.com/m\n\nrequire (\n\texample.com/x v1.0.0\n".to_vec()),
            4 => (
                "catalog-info.yaml".into(),
                format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c{i}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-{}\n", rng.below(3)).into_bytes(),
            ),
            5 => ("Dockerfile".into(), b"FROM python:3\nRUN pip install x\n".to_vec()),
            6 => (format!("bin{i}.exe"), vec![0, 1, 2, 3, 0xff, 0xfe, 0]),
            7 => (format!("Odd Name {i}.TXT"), rng.pick(TEXTS).as_bytes().to_vec()),
            _ => (format!("f{i}.txt"), rng.pick(TEXTS).as_bytes().to_vec()),
        };
        repo.write(&format!("{prefix}{name}"), body);
    }
    repo.commit("generated");
}

fn run(repo: &Repo, format: &str, jobs: usize) -> Vec<u8> {
    let output = repo
        .goldpath()
        .args(["check", "--fail-on", "never", "--format", format, "--jobs"])
        .arg(jobs.to_string())
        .output()
        .expect("run goldpath");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn json_and_sarif_are_byte_identical_for_jobs_1_to_8() {
    let seeds: Vec<u64> = match std::env::var("GOLDPATH_SEEDS") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => (1..=4).collect(),
    };
    for seed in seeds {
        let repo = Repo::git();
        generate(&repo, seed);
        for format in ["json", "sarif"] {
            let one = run(&repo, format, 1);
            let report: serde_json::Value = serde_json::from_slice(&one)
                .unwrap_or_else(|e| panic!("seed {seed}: {format} is not JSON: {e}"));
            // The property is only worth something if there is plenty to order.
            let count = match format {
                "json" => report["findings"].as_array().map_or(0, Vec::len),
                _ => report["runs"][0]["results"].as_array().map_or(0, Vec::len),
            };
            assert!(count >= 50, "seed {seed}: only {count} {format} findings");
            for jobs in 2..=8 {
                let other = run(&repo, format, jobs);
                assert!(
                    one == other,
                    "seed {seed}: --format {format} --jobs {jobs} differs from --jobs 1"
                );
            }
        }
    }
}
