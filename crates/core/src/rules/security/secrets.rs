//! security/secrets

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::engine::Context;
use crate::finding::{fingerprint, Level, Tier, Violation};
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};
use crate::span::LineIndex;

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "security/secrets",
    summary: "No private keys or cloud credentials in tracked text files",
    default_level: Level::Error,
    tier: Tier::Bronze,
    scope: Scope::PerFile,
    fixable: false,
    options: &[
        OptionDoc {
            name: "files",
            kind: "array of globs",
            help: "Files scanned. Default: every file (`**`). `builtin:recommended` narrows it \
                   to the files where credentials are usually committed (configuration, \
                   environment and key files, scripts) so that a full check of a large \
                   repository stays fast; set `files = [\"**\"]` for a full scan.",
        },
        OptionDoc {
            name: "allow",
            kind: "array of globs",
            help: "Files not scanned, such as test fixtures with fake keys (`testdata/**`). \
                   Default: none.",
        },
    ],
    docs: Docs {
        what: "Every text file is scanned for secrets with an unmistakable shape: PEM private \
               key blocks (a `-----BEGIN` line naming a `PRIVATE KEY`: RSA, OPENSSH, EC, DSA, \
               ENCRYPTED or none, followed by a base64 body: a header alone, as in \
               documentation, is not a key), the `\"private_key\"` of a Google Cloud service-account \
               JSON key, AWS access key ids (`AKIA` or `ASIA` and 16 more letters and digits), \
               GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack \
               tokens (`xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`), Google API keys (`AIza` and 35 \
               characters) and Stripe live secret keys (`sk_live_`, `rk_live_`). Each is \
               reported at its exact position with the kind of secret in the message; the \
               secret itself is never printed (outputs mask it in the source line) and the \
               fingerprint uses a hash of it, so it follows the secret when lines move. Binary \
               files (a NUL byte in the first 8 KiB) and files that are not UTF-8 are skipped; \
               in `--staged` and pull-request mode only changed files are scanned.",
        why: "A committed credential is public to everyone who can read the repository, in \
              every clone and fork, for ever: deleting the file does not remove it from \
              history. Attackers scan public repositories for these formats within minutes.",
        example: "A `config.py` that assigns an access key id literally (`AKIA` and 16 \
                  characters) is reported as `AWS access key id committed in a tracked file`, \
                  with the key masked; `AWS_ACCESS_KEY_ID = os.environ[\"AWS_ACCESS_KEY_ID\"]` \
                  is not.",
        fix: "Revoke and rotate the credential first: it is compromised from the moment it was \
              pushed. Then remove it from the file, load it from the environment or a secret \
              manager, and consider rewriting history (git filter-repo). Fake keys in test \
              fixtures go under `allow`.",
    },
};

/// The kinds of secret the rule knows, with the pattern that finds each.
const KINDS: &[(&str, &str)] = &[
    (
        "private key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "Google Cloud service-account private key",
        r#""private_key"\s*:\s*"-----BEGIN"#,
    ),
    ("AWS access key id", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    (
        "GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    ),
    ("Slack token", r"\bxox[abpr]-[A-Za-z0-9-]{10,250}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    (
        "Stripe live secret key",
        r"\b[sr]k_live_[0-9A-Za-z]{20,247}\b",
    ),
];

struct Patterns {
    set: regex::RegexSet,
    each: Vec<regex::Regex>,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let sources: Vec<&str> = KINDS.iter().map(|(_, p)| *p).collect();
        Patterns {
            set: regex::RegexSet::new(&sources)
                .unwrap_or_else(|_| unreachable!("the patterns are constants")),
            each: sources
                .iter()
                .map(|p| {
                    regex::Regex::new(p).unwrap_or_else(|_| unreachable!("a constant pattern"))
                })
                .collect(),
        }
    })
}

struct Secrets {
    files: Vec<String>,
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    // Validated with positions here; the engine matches the patterns themselves.
    let files = match params.take_with_origin::<Vec<String>>("files")? {
        Some((patterns, origin)) => {
            for pattern in &patterns {
                crate::glob::Glob::new(pattern).map_err(|e| origin.narrow_to(pattern).error(e))?;
            }
            patterns
        }
        None => vec!["**".to_owned()],
    };
    let allow = params.take_globs("allow")?.unwrap_or_default();
    Ok(Box::new(Secrets { files, allow }))
}

/// One secret found in a text: its kind and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Which kind (from [`KINDS`]).
    pub kind: &'static str,
    /// Where.
    pub range: std::ops::Range<usize>,
}

/// Every secret in `text`, in order. A service-account key is reported once, as such, not
/// again as a PEM block.
pub(crate) fn scan(text: &str) -> Vec<Found> {
    let patterns = patterns();
    let matched = patterns.set.matches(text);
    if !matched.matched_any() {
        return Vec::new();
    }
    let mut found: Vec<Found> = Vec::new();
    for index in matched.iter() {
        for m in patterns.each[index].find_iter(text) {
            let range = if index == 0 {
                // A PEM header alone (in docs, in a test of a scanner) is not a key: the block
                // must have a body.
                match pem_block(text, m.range()) {
                    Some(range) => range,
                    None => continue,
                }
            } else if index == 1 {
                // The whole JSON string value, so the key is masked, not just its header.
                let value = &text[m.end()..];
                let mut end = value.len();
                let mut escaped = false;
                for (i, c) in value.char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = i + 1;
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                m.start()..m.end() + end
            } else {
                m.range()
            };
            found.push(Found {
                kind: KINDS[index].0,
                range,
            });
        }
    }
    found.sort_by_key(|f| (f.range.start, f.range.end));
    // A service-account key contains a PEM block: keep the service-account finding only.
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if let Some(last) = out.last() {
            if f.range.start < last.range.end {
                continue;
            }
        }
        out.push(f);
    }
    out
}

/// The range of a PEM private key block whose header is at `header`: through its `-----END`
/// line when there is one. `None` when no base64 body (a run of 16 or more base64 characters,
/// after optional `Proc-Type:` style headers, whitespace and escaped `\n`) follows the header.
fn pem_block(text: &str, header: std::ops::Range<usize>) -> Option<std::ops::Range<usize>> {
    let rest = &text[header.end..];
    let window = &rest[..floor_boundary(rest, 4096)];
    let body_end = window.find("-----END").unwrap_or(window.len());
    let body = &window[..body_end];
    let has_body = body
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
        .any(|run| run.len() >= 16);
    if !has_body {
        return None;
    }
    let end = match window[body_end..].strip_prefix("-----END") {
        Some(after) => {
            let close = after.find("-----").map_or(0, |i| i + 5);
            header.end + body_end + "-----END".len() + close
        }
        None => header.end,
    };
    Some(header.start..end)
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl Rule for Secrets {
    fn wants(&self) -> Vec<String> {
        self.files.clone()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let found: Vec<Violation> = cx
            .wanted()
            .par_iter()
            .filter(|file| !self.allow.is_match(&file.path))
            .flat_map_iter(|file| {
                let Ok(bytes) = cx.read(file) else {
                    return Vec::new();
                };
                let head = &bytes[..bytes.len().min(8192)];
                if head.contains(&0) {
                    return Vec::new();
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    return Vec::new();
                };
                let index = LineIndex::new(text);
                scan(text)
                    .into_iter()
                    .map(|f| {
                        let secret = &text[f.range.clone()];
                        Violation::file(
                            &file.path,
                            format!("{} committed in a tracked file", f.kind),
                        )
                        .span(index.span(f.range.start, f.range.end))
                        .key(format!("{}:{}", f.kind, fingerprint("secret", None, secret)))
                        .help("revoke and rotate it now, then load it from the environment or a secret manager")
                        .redacted()
                    })
                    .collect()
            })
            .collect();
        out.extend(found);
    }
}

#[cfg(test)]
mod tests {
    use super::scan;
    use crate::snapshot::MemorySnapshot;
    use crate::testing::{check, check_snapshot};

    const POLICY: &str = "[rules.\"security/secrets\"]\n";

    // Built from pieces so that this source file does not itself look like it holds secrets.
    fn aws() -> String {
        format!("{}{}", "AKIA", "IOSFODNN7EXAMPLE")
    }
    fn github() -> String {
        format!("{}{}", "ghp_", "a".repeat(36))
    }
    fn pem() -> String {
        format!(
            "-----BEGIN {}PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END {}PRIVATE KEY-----\n",
            "RSA ", "RSA "
        )
    }

    #[test]
    fn finds_each_kind_at_its_exact_position() {
        let kinds = |text: &str| -> Vec<&str> { scan(text).iter().map(|f| f.kind).collect() };
        assert_eq!(kinds(&pem()), ["private key"]);
        let body = "\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n";
        assert_eq!(
            kinds(&format!("-----BEGIN {}PRIVATE KEY-----{body}", "OPENSSH ")),
            ["private key"]
        );
        assert_eq!(
            kinds(&format!(
                "-----BEGIN {}PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n{body}",
                "RSA "
            )),
            ["private key"]
        );
        // A header alone, as in documentation or a scanner's tests, is not a key.
        assert!(kinds(&format!("-----BEGIN {}PRIVATE KEY-----\n", "OPENSSH ")).is_empty());
        assert!(kinds(&format!("-----BEGIN {}PRIVATE KEY-----\n-----END", "")).is_empty());
        let block = pem();
        let found = scan(&block);
        assert_eq!(&block[found[0].range.clone()], block.trim_end());
        assert_eq!(
            kinds(&format!(
                "{{\"type\": \"service_account\", \"private_key\": \"-----BEGIN {}PRIVATE KEY-----\\nMII\"}}",
                ""
            )),
            ["Google Cloud service-account private key"]
        );
        let json = format!(
            "{{\"private_key\": \"-----BEGIN {}PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B\\n\\\"\", \"x\": 1}}",
            ""
        );
        let found = scan(&json);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(json[found[0].range.clone()].ends_with("\\\"\""), "{json}");
        assert_eq!(kinds(&format!("id = \"{}\"", aws())), ["AWS access key id"]);
        assert_eq!(
            kinds(&format!("ASIA{}", "Y".repeat(16))),
            ["AWS access key id"]
        );
        assert_eq!(kinds(&github()), ["GitHub token"]);
        assert_eq!(
            kinds(&format!("github_pat_{}", "A1_".repeat(27))),
            ["GitHub token"]
        );
        assert_eq!(
            kinds(&format!("xoxb-{}", "1234567890-abc")),
            ["Slack token"]
        );
        assert_eq!(
            kinds(&format!("AIza{}", "B".repeat(35))),
            ["Google API key"]
        );
        assert_eq!(
            kinds(&format!("sk_live_{}", "4".repeat(24))),
            ["Stripe live secret key"]
        );
        let text = format!("line one\n  key: {}\n", aws());
        let found = scan(&text);
        assert_eq!(&text[found[0].range.clone()], aws());
    }

    #[test]
    fn look_alikes_are_not_secrets() {
        for text in [
            "-----BEGIN PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----",
            "AKIA_NOT_A_KEY",
            "XAKIAIOSFODNN7EXAMPLEX",
            "ghp_short",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "private_key: ${{ secrets.KEY }}",
        ] {
            assert!(scan(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn findings_never_contain_the_secret() {
        let text = format!("token = \"{}\"\n", github());
        let findings = check(POLICY, &[("app/config.toml", &text)]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let f = &findings[0];
        assert_eq!(f.message, "GitHub token committed in a tracked file");
        let span = f.span.unwrap();
        assert_eq!((span.line, span.column, span.end_column), (1, 10, 50));
        let json = serde_json::to_string(f).unwrap();
        assert!(!json.contains(&github()), "{json}");
        assert!(!json.contains(&"a".repeat(10)), "{json}");
        assert_eq!(
            f.snippet.as_deref(),
            Some(format!("token = \"{}\"", "*".repeat(40)).as_str())
        );
        // The fingerprint follows the secret, not the line.
        let moved = check(POLICY, &[("app/config.toml", &format!("\n\n{text}"))]);
        assert_eq!(moved[0].fingerprint, f.fingerprint);
    }

    #[test]
    fn multi_line_blocks_are_masked_on_every_line() {
        let findings = check(POLICY, &[("deploy/key.txt", &pem())]);
        assert_eq!(findings.len(), 1);
        let snippet = findings[0].snippet.clone().unwrap();
        assert!(!snippet.contains("PRIVATE"), "{snippet}");
    }

    #[test]
    fn binary_files_allowed_paths_and_change_mode() {
        let mut binary = b"\0ELF".to_vec();
        binary.extend_from_slice(aws().as_bytes());
        let snapshot = MemorySnapshot::new()
            .with_file("bin/tool", binary)
            .with_file("testdata/fake.pem", pem())
            .with_file("old.env.txt", aws())
            .with_file("new.txt", github())
            .with_changed(["new.txt", "testdata/fake.pem"]);
        let policy = format!("{POLICY}allow = [\"testdata/**\"]\n");
        let findings = check_snapshot(&policy, &snapshot);
        let paths: Vec<_> = findings
            .iter()
            .map(|f| f.path.as_deref().unwrap())
            .collect();
        assert_eq!(paths, ["new.txt"]);
    }
}
