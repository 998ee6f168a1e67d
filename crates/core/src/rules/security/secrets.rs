use std::sync::OnceLock;

use rayon::prelude::*;

use crate::ci::Scalar;
use crate::context::Context;
use crate::doc::{parse_single, Format, Node};
use crate::finding::{fingerprint, Level, Violation};
use crate::glob::GlobList;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::span::{LineIndex, Span};

declare_rule! {
    id: "security/secrets",
    summary: "No private keys or cloud credentials in tracked text files",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "files",
            kind: "array of globs",
            help: "Files scanned. Default: every file (`**`). `builtin:recommended` narrows it \
                   to the files where credentials are usually committed (configuration, \
                   environment and key files, scripts, source files and Dockerfiles; not \
                   documentation or data) so that a full check of a large \
                   repository stays fast; set `files = [\"**\"]` for a full scan.",
        },
        {
            name: "allow",
            kind: "array of globs",
            help: "Files not scanned, such as test fixtures with fake keys (`testdata/**`). \
                   Default: none.",
        },
        {
            name: "fixtures",
            kind: "array of globs",
            help: "Paths of test fixtures and examples, where a PEM private key is reported as \
                   a note (it never blocks a tier) instead of an error. Default: directories \
                   named test, tests, testdata, test-data, test_data, testing, fixtures, \
                   fixture, __fixtures__, __tests__, __mocks__, spec, specs, examples, example \
                   or samples at any depth, and files named `*_test.*`, `*.test.*`, \
                   `*.spec.*` or `test_*.py`. `fixtures = []` treats them like other files.",
        },
    ],
    what: "Every text file is scanned for secrets with an unmistakable shape, following \
           gitleaks' default rules where they are anchored on a fixed prefix or structure: \
           PEM private key blocks (a `-----BEGIN` line naming a `PRIVATE KEY`: RSA, \
           OPENSSH, EC, DSA, PGP, ENCRYPTED or none, followed right away by lines of \
           base64, 64 characters or more in all, possibly inside a string with escaped \
           `\\n`: a header alone, a header followed by code, as in a test of a key \
           parser, or a key shortened with `...`, as in documentation, is not a key), the `\"private_key\"` of a Google Cloud \
           service-account JSON key, AWS access key ids (`AKIA`, `ASIA`, `ABIA`, `ACCA` \
           and 16 more), GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, \
           `github_pat_`), GitLab tokens (`glpat-`, `gldt-`, `glrt-`, `glptt-`), npm \
           tokens (`npm_`), PyPI upload tokens (`pypi-AgEIcHlwaS5vcmc`), Docker Hub \
           personal access tokens (`dckr_pat_`), Slack tokens (`xoxb-` and the other \
           `xox` and `xapp-` formats) and webhook URLs (`hooks.slack.com/services/`), \
           Google API keys (`AIza`), Stripe live secret keys (`sk_live_`, `rk_live_`), \
           OpenAI (`sk-proj-` ... `T3BlbkFJ`) and Anthropic (`sk-ant-api03-`) API keys, \
           SendGrid (`SG.`), Shopify (`shpat_`, `shpss_` ...), Twilio (`SK` and 32 hex \
           digits), RubyGems, DigitalOcean, Hugging Face tokens and age secret keys. A \
           match that reads as a placeholder is not a secret: a published example \
           (`AKIAIOSFODNN7EXAMPLE`), `xxxx`, `fake`, `dummy`, `sample`, `redacted`, a \
           sequence such as `1234567890`, or too little entropy for a generated token \
           (`ghp_` and 36 `a`; gitleaks' thresholds). In GitHub workflows, a literal \
           `password` in the `credentials` of a job's `container` or of a service is \
           reported too (`${{ secrets.X }}`, `${VAR}`, `<password>` and other \
           placeholders are not). Each is reported at its exact position with the kind \
           of secret in the message; the secret itself is never printed (outputs mask \
           it in the source line) and the fingerprint uses a hash of it, so it follows \
           the secret when lines move. A private key under a test-fixture path \
           (`fixtures`) is a note, which blocks no tier: TLS and SSH tests need keys, \
           generated for them, that open nothing; a token of a service (AWS, GitHub, \
           Slack ...) is an error wherever it is, because a real one works wherever it \
           was committed, and fake ones do not have its shape. Binary files (a NUL byte \
           in the first 8 KiB, unless the file starts with a UTF-16 byte-order mark) are \
           skipped; UTF-16 files (by their byte-order mark) are decoded, and invalid UTF-8 \
           bytes are read as U+FFFD, so one stray byte does not hide a file's secrets; in `--staged` \
           and pull-request mode only changed files are scanned. Pull-request mode \
           (`--base`) also scans every commit of the pull request (following first \
           parents from the head to the merge base): each file a commit added or modified \
           that the head no longer has, as it was in that commit, so a secret committed and \
           then deleted or replaced still fails the run, reported at its path and line \
           with `(in commit abc1234; removed or changed later, but it stays in the \
           history: rotate it)` after the message. The same secret at the same path is \
           reported once. At most 1,000 commits (the newest) and 20,000 such files are \
           scanned; beyond that a note on standard error says what was left out.",
    why: "A committed credential is public to everyone who can read the repository, in \
          every clone and fork, for ever: deleting the file does not remove it from \
          history. Attackers scan public repositories for these formats within minutes.",
    example: "A `config.py` that assigns an access key id literally (`AKIA` and 16 \
              characters) is reported as `AWS access key id committed in a tracked file`, \
              with the key masked; `AWS_ACCESS_KEY_ID = os.environ[\"AWS_ACCESS_KEY_ID\"]` \
              is not, nor is AWS's documented example `AKIAIOSFODNN7EXAMPLE`. \
              `tests/tls/server-key.pem` is a note; `deploy/server-key.pem` is an error.",
    fix: "Revoke and rotate the credential first: it is compromised from the moment it was \
          pushed. Then remove it from the file, load it from the environment or a secret \
          manager, and consider rewriting history (git filter-repo). Fake keys in test \
          fixtures outside the `fixtures` paths go under `allow`.",
}

/// The kinds of secret the rule knows: the name in the message, the pattern that finds it, and
/// the least Shannon entropy (bits per character) a real one has. The formats and thresholds
/// follow gitleaks' default rules, keeping only those anchored on a fixed prefix or structure
/// (few false positives); a match below the threshold, or one that reads as a placeholder
/// (see [`looks_fake`]), is not a secret.
const KINDS: &[(&str, &str, f64)] = &[
    (
        PRIVATE_KEY,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        0.0,
    ),
    (SERVICE_ACCOUNT, r#""private_key"\s*:\s*"-----BEGIN"#, 0.0),
    (
        "AWS access key id",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b",
        3.0,
    ),
    (
        "GitHub token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b",
        3.0,
    ),
    (
        "GitLab token",
        r"\b(?:glpat-[A-Za-z0-9_-]{20}(?:[A-Za-z0-9_-]{7,280}\.[0-9a-z]{9})?|gldt-[A-Za-z0-9_-]{20}|glrt-[A-Za-z0-9_-]{20}|glptt-[0-9a-f]{40})",
        3.0,
    ),
    ("npm access token", r"\bnpm_[A-Za-z0-9]{36}\b", 2.0),
    (
        "PyPI upload token",
        r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}",
        3.0,
    ),
    (
        "Docker Hub personal access token",
        r"\bdckr_pat_[A-Za-z0-9_-]{27}",
        3.0,
    ),
    (
        "Slack token",
        r"\b(?:xoxb-[0-9]{10,13}-[0-9]{10,13}[A-Za-z0-9-]*|xoxb-[0-9]{8,14}-[A-Za-z0-9]{18,26}|xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9-]{28,34}|xox[ar]-(?:[0-9]-)?[A-Za-z0-9]{8,48}|xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]+)",
        2.0,
    ),
    (
        "Slack webhook URL",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}",
        0.0,
    ),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}", 4.0),
    (
        "Stripe live secret key",
        r"\b[sr]k_(?:live|prod)_[0-9A-Za-z]{10,99}\b",
        2.0,
    ),
    (
        "OpenAI API key",
        r"\bsk-(?:(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        3.0,
    ),
    (
        "Anthropic API key",
        r"\bsk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA",
        0.0,
    ),
    (
        "SendGrid API key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        2.0,
    ),
    (
        "Shopify token",
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
        2.0,
    ),
    ("Twilio API key", r"\bSK[0-9a-fA-F]{32}\b", 3.0),
    ("RubyGems API key", r"\brubygems_[a-f0-9]{48}\b", 2.0),
    ("DigitalOcean token", r"\bdo[por]_v1_[a-f0-9]{64}\b", 3.0),
    ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b", 2.0),
    (
        "age secret key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        0.0,
    ),
];

const PRIVATE_KEY: &str = "private key";
const SERVICE_ACCOUNT: &str = "Google Cloud service-account private key";

/// Paths of test fixtures and examples, by default. Private keys there are generated for the
/// tests (TLS and SSH fixtures) and open nothing outside them, so they are notes, not errors.
pub(crate) const DEFAULT_FIXTURES: &[&str] = &[
    "**/{test,tests,testdata,test-data,test_data,testing,fixtures,fixture,__fixtures__,__tests__,__mocks__,spec,specs,examples,example,samples}/**",
    "**/*_test.*",
    "**/*.test.*",
    "**/*.spec.*",
    "**/test_*.py",
];

/// Words that mark a value as a placeholder or an example, not a credential (compared in
/// lowercase). They follow gitleaks' allowlists: its `EXAMPLE` suffix for AWS keys, its
/// `change(it|me)`, `pass(word)`, `token`, `x+` for credentials in commands.
const PLACEHOLDER_WORDS: &[&str] = &[
    "example",
    "xxxx",
    "****",
    "fake",
    "dummy",
    "sample",
    "placeholder",
    "redacted",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change-this",
    "change_this",
    "changethis",
    "replace",
    "your_",
    "your-",
    "yourtoken",
    "yourpassword",
    "abcdefghij",
    "1234567890",
];

/// Whether a matched token reads as a placeholder: a published example (AWS's
/// `AKIAIOSFODNN7EXAMPLE`), a run of `x`, a sequence such as `abcdefghij`, a word such as `fake`
/// or `dummy`, or too little entropy for a generated secret (`ghp_` and 36 `a`).
pub(crate) fn looks_fake(secret: &str, min_entropy: f64) -> bool {
    let lower = secret.to_ascii_lowercase();
    PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) || entropy(secret) < min_entropy
}

/// Shannon entropy of `text`, in bits per character.
pub(crate) fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    let mut total = 0u32;
    for b in text.bytes() {
        counts[usize::from(b)] += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = f64::from(total);
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}

/// Whether the literal value of a credential setting (a password in a workflow, an assignment in
/// an environment file) is no credential: empty, a reference to one (`${SECRET}`, `$TOKEN`,
/// `${{ secrets.X }}`, `{{ .Values.x }}`, `%PASSWORD%`), a placeholder (`<token>`, `****`,
/// `changeme`, `your-password`), a value naming itself (`db_password`), or `true`, `null` and
/// the like.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    if value.is_empty()
        || value.starts_with('$')
        || value.contains("${")
        || value.contains("{{")
        || (value.starts_with('%') && value.ends_with('%'))
        || (value.starts_with('<') && value.ends_with('>'))
        || value
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '.' | '-' | '_' | '#' | '?' | '…'))
    {
        return true;
    }
    const WORDS: &[&str] = &["password", "passwd", "secret", "token", "test"];
    const LITERALS: &[&str] = &[
        "true",
        "false",
        "null",
        "none",
        "nil",
        "undefined",
        "todo",
        "tbd",
    ];
    LITERALS.contains(&lower.as_str())
        || WORDS.iter().any(|w| lower.contains(w))
        || PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w))
}

struct Patterns {
    set: regex::RegexSet,
    each: Vec<regex::Regex>,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let sources: Vec<&str> = KINDS.iter().map(|(_, p, _)| *p).collect();
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
    fixtures: GlobList,
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
    let fixtures = match params.take_globs("fixtures")? {
        Some(list) => list,
        None => default_fixtures(),
    };
    Ok(Box::new(Secrets {
        files,
        allow,
        fixtures,
    }))
}

/// [`DEFAULT_FIXTURES`] as a glob list.
pub(crate) fn default_fixtures() -> GlobList {
    GlobList::new(
        DEFAULT_FIXTURES
            .iter()
            .map(|p| crate::glob::Glob::new(p).unwrap_or_else(|_| unreachable!("a constant glob")))
            .collect(),
    )
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
        let (kind, _, min_entropy) = KINDS[index];
        for m in patterns.each[index].find_iter(text) {
            let range = match kind {
                // A PEM header alone (in docs, in a test of a scanner) is not a key: the block
                // must have a body.
                PRIVATE_KEY => match pem_block(text, m.range()) {
                    Some(range) => range,
                    None => continue,
                },
                // The whole JSON string value, so the key is masked, not just its header; like
                // a PEM block, only with a key body (`\nSOMETHING\n` in a test is none).
                SERVICE_ACCOUNT => {
                    let begin = m.end() - "-----BEGIN".len();
                    let header = patterns.each[0]
                        .find_at(text, begin)
                        .filter(|h| h.start() == begin);
                    match header.and_then(|h| pem_block(text, h.range())) {
                        Some(_) => m.start()..m.end() + json_string_end(&text[m.end()..]),
                        None => continue,
                    }
                }
                _ if looks_fake(m.as_str(), min_entropy) => continue,
                _ => m.range(),
            };
            found.push(Found { kind, range });
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

/// Where the JSON string that `value` is inside of ends: just past its closing quote, or at the
/// end of `value` when it is not closed.
fn json_string_end(value: &str) -> usize {
    let mut escaped = false;
    for (i, c) in value.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return i + 1,
            _ => escaped = false,
        }
    }
    value.len()
}

/// The range of a PEM private key block whose header is at `header`: through its `-----END`
/// line when there is one. `None` when no key body follows the header: lines of base64 right
/// after it (after optional `Proc-Type:` style headers and blank lines; lines may be split by
/// escaped `\n` and wrapped in string quotes), at least 64 characters in all (gitleaks asks
/// the same), and not cut short with `...` or `…` (a key shortened in documentation). A header
/// followed by code or prose, as in a test of a key parser, is no key.
fn pem_block(text: &str, header: std::ops::Range<usize>) -> Option<std::ops::Range<usize>> {
    let rest = &text[header.end..];
    let window = &rest[..floor_boundary(rest, 8192)];
    let body_end = window.find("-----END").unwrap_or(window.len());
    let mut base64 = 0;
    let mut started = false;
    for line in window[..body_end].split('\n').flat_map(|l| l.split("\\n")) {
        let line = line.trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '+' | ',' | ';' | '\\')
        });
        if line.contains("...") || line.contains('…') {
            return None;
        }
        let is_base64 = !line.is_empty()
            && line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
        if is_base64 {
            started = true;
            base64 += line.len();
        } else if !(line.is_empty() || (!started && line.contains(':'))) {
            break;
        }
    }
    if base64 < 64 {
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

const HELP: &str =
    "revoke and rotate it now, then load it from the environment or a secret manager";

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
                // UTF-16 text is full of NUL bytes: its byte-order mark says it is text.
                let head = &bytes[..bytes.len().min(8192)];
                if head.contains(&0) && !crate::text::is_utf16(&bytes) {
                    return Vec::new();
                }
                // Decoded, never skipped: a stray Latin-1 byte or a UTF-16 script (PowerShell
                // writes them) must not hide a key. The engine decodes the same way for the
                // snippet, so positions agree.
                let text = crate::text::decode(&bytes);
                let text: &str = &text;
                let index = LineIndex::new(text);
                let fixture = self.fixtures.is_match(&file.path);
                let mut violations: Vec<Violation> = scan(text)
                    .into_iter()
                    .map(|f| {
                        let secret = &text[f.range.clone()];
                        let v = Violation::file(
                            &file.path,
                            format!("{} committed in a tracked file", f.kind),
                        )
                        .span(index.span(f.range.start, f.range.end))
                        .key(format!(
                            "{}:{}",
                            f.kind,
                            fingerprint("secret", None, secret)
                        ))
                        .redacted();
                        if fixture && f.kind == PRIVATE_KEY {
                            v.level(Level::Note).help(
                                "it is in a test-fixture path, so it is reported as a note: a key \
                                 generated for the tests opens nothing else; if it is a real key, \
                                 rotate it and remove it; list the path under `allow` to silence \
                                 this, or set `fixtures = []` to treat fixtures like other files",
                            )
                        } else {
                            v.help(HELP)
                        }
                    })
                    .collect();
                if crate::ci::github::is_workflow_path(&file.path) {
                    for (what, value) in workflow_passwords(text) {
                        let secret = &text[value.start_byte..value.end_byte];
                        violations.push(
                            Violation::file(
                                &file.path,
                                format!(
                                    "literal registry password in {what} committed in a workflow"
                                ),
                            )
                            .span(value)
                            .key(format!(
                                "workflow password:{}",
                                fingerprint("secret", None, secret)
                            ))
                            .help(
                                "revoke and rotate it, store it as an Actions secret and write \
                                 `password: ${{ secrets.NAME }}`",
                            )
                            .redacted(),
                        );
                    }
                }
                violations
            })
            .collect();
        out.extend(found);
    }
}

/// The `password` of every `credentials` mapping of a job's `container` or of its `services` in
/// a workflow that is a literal: not an expression (`${{ secrets.X }}`) nor a placeholder. Each
/// comes with what it belongs to (`job `build` container`) and the value's position.
fn workflow_passwords(text: &str) -> Vec<(String, Span)> {
    let Ok(root) = parse_single(Format::Yaml, text) else {
        return Vec::new();
    };
    let Some(jobs) = root.get("jobs").and_then(|jobs| jobs.as_map()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut judge = |what: String, image: Option<&Node>| {
        let Some(password) = image
            .and_then(|image| image.get("credentials"))
            .and_then(|credentials| credentials.get("password"))
        else {
            return;
        };
        let Some(value) = Scalar::from_node(password) else {
            return;
        };
        if !value.has_expression() && !is_placeholder(&value.value) {
            found.push((what, value.span));
        }
    };
    for job in jobs {
        let Some(id) = job.key_str() else { continue };
        judge(format!("job `{id}` container"), job.value.get("container"));
        if let Some(services) = job.value.get("services").and_then(|s| s.as_map()) {
            for service in services {
                let name = service.key_str().unwrap_or_default();
                judge(format!("job `{id}` service `{name}`"), Some(&service.value));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{entropy, is_placeholder, scan};
    use crate::snapshot::MemorySnapshot;
    use crate::testing::{check, check_snapshot};
    use crate::Level;

    const POLICY: &str = "[rules.\"security/secrets\"]\n";
    const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const HEX: &str = "0123456789abcdef";

    /// `n` characters of `alphabet` that look random (a fixed linear congruential sequence), so
    /// that tokens built here have the entropy of generated ones, and this source file holds
    /// none in one piece.
    fn random(n: usize, alphabet: &str, seed: u64) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                chars[usize::try_from(state >> 33).unwrap() % chars.len()]
            })
            .collect()
    }

    fn aws() -> String {
        format!(
            "{}{}",
            "AKIA",
            random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 1)
        )
    }
    fn github() -> String {
        format!("{}{}", "ghp_", random(36, ALNUM, 2))
    }
    fn body(lines: usize) -> String {
        (0..lines)
            .map(|i| random(64, ALNUM, 100 + i as u64))
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn pem() -> String {
        format!(
            "-----BEGIN {}PRIVATE KEY-----\n{}\n-----END {}PRIVATE KEY-----\n",
            "RSA ",
            body(3),
            "RSA "
        )
    }
    fn kinds(text: &str) -> Vec<&'static str> {
        scan(text).iter().map(|f| f.kind).collect()
    }

    #[test]
    fn finds_each_kind_at_its_exact_position() {
        assert_eq!(kinds(&pem()), ["private key"]);
        let escaped = format!("\\n{}\\n{}\\n", random(64, ALNUM, 7), random(40, ALNUM, 8));
        assert_eq!(
            kinds(&format!(
                "-----BEGIN {}PRIVATE KEY-----{escaped}",
                "OPENSSH "
            )),
            ["private key"]
        );
        assert_eq!(
            kinds(&format!(
                "-----BEGIN {}PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n{}",
                "RSA ",
                body(2)
            )),
            ["private key"]
        );
        // Lines of a key concatenated in code.
        let concatenated = format!(
            "key = '-----BEGIN {}PRIVATE KEY-----\\n' +\n  '{}\\n' +\n  '{}\\n' +\n  '-----END PRIVATE KEY-----'\n",
            "",
            random(40, ALNUM, 30),
            random(40, ALNUM, 31)
        );
        assert_eq!(kinds(&concatenated), ["private key"]);
        let block = pem();
        let found = scan(&block);
        assert_eq!(&block[found[0].range.clone()], block.trim_end());
        assert_eq!(
            kinds(&format!(
                "{{\"type\": \"service_account\", \"private_key\": \"-----BEGIN {}PRIVATE KEY-----{escaped}\"}}",
                ""
            )),
            ["Google Cloud service-account private key"]
        );
        // grafana/loki's tests and docs: a service-account key with a placeholder for a body.
        for body in ["\\nSOMETHING\\n", "\\...\\n", "\\nMII\\n"] {
            let json = format!(
                "{{\"private_key\": \"-----BEGIN {}PRIVATE KEY-----{body}-----END PRIVATE KEY-----\\n\"}}",
                ""
            );
            assert!(kinds(&json).is_empty(), "{json}");
        }
        let json = format!(
            "{{\"private_key\": \"-----BEGIN {}PRIVATE KEY-----{escaped}\\\"\", \"x\": 1}}",
            ""
        );
        let found = scan(&json);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(json[found[0].range.clone()].ends_with("\\\"\""), "{json}");
        assert_eq!(kinds(&format!("id = \"{}\"", aws())), ["AWS access key id"]);
        assert_eq!(kinds(&github()), ["GitHub token"]);
        let text = format!("line one\n  key: {}\n", aws());
        let found = scan(&text);
        assert_eq!(&text[found[0].range.clone()], aws());
    }

    /// Each format with a real-looking value (found) and a near miss (not found).
    #[test]
    fn each_token_format_has_a_positive_and_a_negative() {
        let cases: Vec<(&str, String, String)> = vec![
            (
                "GitHub token",
                format!("github_pat_{}", random(82, ALNUM, 3)),
                format!("github_pat_{}", random(40, ALNUM, 3)),
            ),
            (
                "GitLab token",
                format!("glpat-{}", random(20, ALNUM, 4)),
                format!("glpat-{}", random(12, ALNUM, 4)),
            ),
            (
                "npm access token",
                format!("npm_{}", random(36, ALNUM, 5)),
                format!("npm_{}", random(30, ALNUM, 5)),
            ),
            (
                "PyPI upload token",
                format!("pypi-AgEIcHlwaS5vcmc{}", random(120, ALNUM, 6)),
                format!("pypi-AgEIcHlwaS5vcmc{}", random(20, ALNUM, 6)),
            ),
            (
                "Docker Hub personal access token",
                format!("dckr_pat_{}", random(27, ALNUM, 7)),
                format!("dckr_pat_{}", random(10, ALNUM, 7)),
            ),
            (
                "Slack token",
                format!(
                    "xoxb-{}-{}-{}",
                    random(12, "0123456789", 8),
                    random(13, "0123456789", 9),
                    random(24, ALNUM, 10)
                ),
                "xoxb-1234-abcdefgh".to_owned(),
            ),
            (
                "Slack webhook URL",
                format!(
                    "https://hooks.slack.com/services/T{}/B{}/{}",
                    random(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 11),
                    random(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 12),
                    random(24, ALNUM, 13)
                ),
                "https://hooks.slack.com/services/T000/B000/XXXX".to_owned(),
            ),
            (
                "Google API key",
                format!("AIza{}", random(35, ALNUM, 14)),
                format!("AIza{}", "B".repeat(35)),
            ),
            (
                "Stripe live secret key",
                format!("sk_live_{}", random(24, ALNUM, 15)),
                format!("sk_test_{}", random(24, ALNUM, 15)),
            ),
            (
                "OpenAI API key",
                format!(
                    "sk-proj-{}T3BlbkFJ{}",
                    random(74, ALNUM, 16),
                    random(74, ALNUM, 17)
                ),
                format!("sk-proj-{}", random(40, ALNUM, 16)),
            ),
            (
                "Anthropic API key",
                format!("sk-ant-api03-{}AA", random(93, ALNUM, 18)),
                format!("sk-ant-api03-{}", random(20, ALNUM, 18)),
            ),
            (
                "SendGrid API key",
                format!("SG.{}.{}", random(22, ALNUM, 19), random(43, ALNUM, 20)),
                format!("SG.{}", random(20, ALNUM, 19)),
            ),
            (
                "Shopify token",
                format!("shpat_{}", random(32, HEX, 21)),
                format!("shpat_{}", random(32, "ghijklmnop", 21)),
            ),
            (
                "Twilio API key",
                format!("SK{}", random(32, HEX, 22)),
                format!("SK{}", "0".repeat(32)),
            ),
            (
                "AWS access key id",
                format!("ASIA{}", random(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 23)),
                format!("AKIA{}", "IOSFODNN7EXAMPLE"),
            ),
        ];
        for (kind, positive, negative) in &cases {
            let text = format!("value: \"{positive}\"\n");
            let found = scan(&text);
            assert_eq!(
                found.iter().map(|f| f.kind).collect::<Vec<_>>(),
                [*kind],
                "{positive}"
            );
            assert_eq!(&text[found[0].range.clone()], positive, "{kind}");
            assert!(kinds(negative).is_empty(), "{kind}: {negative}");
        }
    }

    #[test]
    fn look_alikes_and_placeholders_are_not_secrets() {
        for text in [
            "-----BEGIN PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----",
            "AKIA_NOT_A_KEY",
            "XAKIAIOSFODNN7EXAMPLEX",
            "ghp_short",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "private_key: ${{ secrets.KEY }}",
            // prometheus/alertmanager's configuration tests.
            "slack_app_token: 'xoxb-1234-abcdefgh'",
            "app_token: 'xoxb-1234-xxxxxx'",
            "credentials: 'xoxb-my-bot-token'",
            "xoxb-1234567890-1234567890-xxxxxxxxxxxxxxxxxxxxxxxx",
        ] {
            assert!(scan(text).is_empty(), "{text}");
        }
        assert!(scan(&format!("ghp_{}", "a".repeat(36))).is_empty());
        assert!(scan(&format!("token: ghp_{}EXAMPLE", random(29, ALNUM, 1))).is_empty());
    }

    #[test]
    fn a_key_header_without_a_body_is_not_a_key() {
        for text in [
            format!("-----BEGIN {}PRIVATE KEY-----\n", "OPENSSH "),
            format!("-----BEGIN {}PRIVATE KEY-----\n-----END", ""),
            // A comment or doc string naming the header.
            format!("// parse a -----BEGIN {}PRIVATE KEY----- block\nfn parse() {{}}\n", "RSA "),
            format!(
                "\"\"\"Reads keys such as\n-----BEGIN {}PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n\"\"\"",
                "RSA "
            ),
            // Shortened in documentation.
            format!(
                "-----BEGIN {}PRIVATE KEY-----\n{}\n...\n-----END {}PRIVATE KEY-----\n",
                "EC ",
                body(2),
                "EC "
            ),
            // outline's tests of its key loading: a header in a string, then code.
            format!(
                "env.KEY = \"-----BEGIN {}PRIVATE KEY-----\";\n\n    const storage = new Storage();\n    {}\n",
                "RSA ",
                (0..40).map(|i| format!("const longIdentifierNumber{i:04} = getSignedUrlForUpload(x);")).collect::<Vec<_>>().join("\n    ")
            ),
            // Too short a body.
            format!(
                "-----BEGIN {}PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END {}PRIVATE KEY-----\n",
                "RSA ", "RSA "
            ),
        ] {
            assert!(scan(&text).is_empty(), "{text}");
        }
    }

    #[test]
    fn placeholders_and_entropy() {
        for value in [
            "",
            "${SECRET}",
            "$TOKEN",
            "${{ secrets.X }}",
            "<token>",
            "<your password>",
            "****",
            "xxxx",
            "changeme",
            "changeit",
            "CHANGE_ME",
            "your-password-here",
            "astronomy_password",
            "{{ .Values.password }}",
            "%PASSWORD%",
            "null",
            "true",
        ] {
            assert!(is_placeholder(value), "{value:?}");
        }
        for value in ["hunter2", "s3cr3tP@ss", "Tr0ub4dor&3", "admin"] {
            assert!(!is_placeholder(value), "{value:?}");
        }
        assert!(entropy("aaaa") < 0.01);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
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
        assert!(!json.contains(&github()[4..14]), "{json}");
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
    fn private_keys_in_fixture_paths_are_notes_and_tokens_are_not() {
        let files = [
            ("grpc_check/tests/fixtures/ca-key.pem", pem()),
            ("cluster/testdata/certs/node1-key.pem", pem()),
            ("examples/ha/tls/certs/ca-key.pem", pem()),
            ("pkg/tls/server_test.go", pem()),
            ("deploy/server-key.pem", pem()),
            ("tests/config.yml", format!("token: {}\n", github())),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let findings = check(POLICY, &files);
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap(), f.level))
            .collect();
        assert_eq!(
            got,
            [
                ("cluster/testdata/certs/node1-key.pem", Level::Note),
                ("deploy/server-key.pem", Level::Error),
                ("examples/ha/tls/certs/ca-key.pem", Level::Note),
                ("grpc_check/tests/fixtures/ca-key.pem", Level::Note),
                ("pkg/tls/server_test.go", Level::Note),
                ("tests/config.yml", Level::Error),
            ]
        );
        assert!(findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("test-fixture"));
        // `fixtures = []` treats them like other files.
        let strict = check(&format!("{POLICY}fixtures = []\n"), &files);
        assert!(
            strict.iter().all(|f| f.level == Level::Error),
            "{strict:#?}"
        );
    }

    #[test]
    fn literal_passwords_of_workflow_containers_and_services() {
        let workflow = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    container:\n      image: ghcr.io/acme/build:1\n      credentials:\n        username: bot\n        password: hunter2hunter2\n    services:\n      db:\n        image: ghcr.io/acme/db:1\n        credentials:\n          username: ${{ github.actor }}\n          password: ${{ secrets.GHCR_TOKEN }}\n      cache:\n        image: ghcr.io/acme/cache:1\n        credentials: { username: bot, password: 'Tr0ub4dor&3' }\n  other:\n    runs-on: x\n    container:\n      image: node:20\n      credentials:\n        username: bot\n        password: <password>\n";
        let findings = check(POLICY, &[(".github/workflows/ci.yml", workflow)]);
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                let span = f.span.unwrap();
                (f.message.as_str(), span.line, span.column)
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "literal registry password in job `build` container committed in a workflow",
                    9,
                    19
                ),
                (
                    "literal registry password in job `build` service `cache` committed in a workflow",
                    18,
                    49
                ),
            ]
        );
        let json = serde_json::to_string(&findings).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
        // The same text outside a workflow is not read as one.
        assert!(check(POLICY, &[("ci/ci.yml", workflow)]).is_empty());
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

    #[test]
    fn files_that_are_not_clean_utf8_are_decoded_not_skipped() {
        // One Latin-1 byte before the key: positions of a UTF-8 file stay right up to it.
        let mut latin1 = b"# caf\xe9\n".to_vec();
        latin1.extend_from_slice(format!("aws_key: {}\n", aws()).as_bytes());
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                format!("$token = \"{}\"\r\n", github())
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(
                format!("x = '{}'\n", aws())
                    .encode_utf16()
                    .flat_map(u16::to_be_bytes),
            )
            .collect();
        let snapshot = MemorySnapshot::new()
            .with_file("config.yml", latin1)
            .with_file("deploy.ps1", utf16)
            .with_file("be.txt", utf16be);
        let findings = check_snapshot(POLICY, &snapshot);
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                let span = f.span.unwrap();
                (
                    f.path.as_deref().unwrap(),
                    span.line,
                    span.column,
                    f.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "be.txt",
                    1,
                    6,
                    "AWS access key id committed in a tracked file"
                ),
                (
                    "config.yml",
                    2,
                    10,
                    "AWS access key id committed in a tracked file"
                ),
                (
                    "deploy.ps1",
                    1,
                    11,
                    "GitHub token committed in a tracked file"
                ),
            ]
        );
        let json = serde_json::to_string(&findings).unwrap();
        assert!(
            !json.contains(&github()) && !json.contains(&aws()),
            "{json}"
        );
        assert!(json.contains("$token = \\\"****"), "{json}");
    }

    #[test]
    fn every_secret_on_a_printed_line_is_masked_in_every_finding() {
        let (first, second) = (aws(), github());
        // Two secrets on one line, and a registry URL with a token that another rule quotes.
        let requirements = format!(
            "--extra-index-url https://x-access-token:{second}@pypi.corp.example/simple\nrequests==2.32.3\n"
        );
        let policy = format!("{POLICY}[rules.\"deps/source-not-allowed\"]\n");
        let findings = check(
            &policy,
            &[
                ("app.env", &format!("KEYS={first},{second}\n")),
                ("requirements.txt", &requirements),
            ],
        );
        let rules: Vec<_> = findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(rules.contains(&"deps/source-not-allowed"), "{rules:?}");
        assert_eq!(
            rules.iter().filter(|r| **r == "security/secrets").count(),
            3
        );
        let json = serde_json::to_string(&findings).unwrap();
        assert!(!json.contains(&first) && !json.contains(&second), "{json}");
        let quoted = findings
            .iter()
            .find(|f| f.rule == "deps/source-not-allowed")
            .unwrap();
        assert!(
            quoted.message.contains("x-access-token:****@"),
            "{}",
            quoted.message
        );
    }

    #[test]
    fn the_recommended_pack_scans_source_files_and_dockerfiles() {
        let policy = "extends = [\"builtin:recommended\"]\n";
        let (key, token) = (aws(), github());
        let files = [
            ("config.py", format!("AWS_ACCESS_KEY_ID = \"{key}\"\n")),
            ("web/index.js", format!("const token = '{token}';\n")),
            (
                "Dockerfile",
                format!("FROM alpine\nENV GITHUB_TOKEN={token}\n"),
            ),
            ("deploy/api.Dockerfile", format!("ENV AWS_KEY={key}\n")),
            ("README.md", format!("`{key}`\n")),
        ];
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let mut paths: Vec<String> = check(policy, &files)
            .into_iter()
            .filter(|f| f.rule == "security/secrets")
            .filter_map(|f| f.path)
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "Dockerfile",
                "config.py",
                "deploy/api.Dockerfile",
                "web/index.js"
            ]
        );
    }
}
