use rayon::prelude::*;
use serde::Deserialize;

use crate::context::Context;
use crate::finding::{Tier, Violation};
use crate::glob::{Glob, GlobList};
use crate::policy::options::{at_string, compile_globs, take_entries};
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};
use crate::rules::security::secrets::{default_fixtures, is_placeholder, scan};
use crate::snapshot::FileMode;
use crate::span::LineIndex;

declare_rule! {
    id: "files/forbidden",
    summary: "Files that must never be committed (secrets, private keys, OS litter)",
    level: Error,
    tier: Bronze,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "paths",
            kind: "array of tables { glob, reason, help?, tier?, only-if-secret?, allow? }",
            help: "Each entry forbids the files its `glob` matches. `reason` says why and is part \
                   of the message; `help` says what to do instead; `tier` overrides the rule's \
                   tier for that entry; `allow` lists globs the entry does not apply to; \
                   `only-if-secret = true` forbids a matching file only when it holds a \
                   credential (for environment files, see below). A file matching several \
                   entries is reported once, for the first that applies. Default: none.",
        },
        {
            name: "allow",
            kind: "array of globs",
            help: "Files exempt from every entry, such as `**/.env.example`. Default: none.",
        },
    ],
    what: "Every file (symbolic links included) whose path matches the `glob` of an entry of \
           `paths` and no glob of `allow` is reported at the file, with the entry's reason. \
           An entry with `only-if-secret = true` reads the file (UTF-8 text, `KEY=value` \
           lines, `export` allowed) and reports it only when it holds a credential: a \
           token or private key `security/secrets` recognises, a URL with a password \
           for a remote host (`postgres://app:s3cret@db.acme.io`; a password for \
           `localhost`, a loopback address or a dotless compose service name such as \
           `postgres` is a development default), or an assignment to a key whose last \
           word is PASSWORD, PASSWD, PWD, PASS, SECRET, TOKEN, KEY (not PUBLIC_KEY), \
           APIKEY, PASSPHRASE or CREDENTIALS with a literal value: not empty, not a \
           reference (`${DB_PASSWORD}`, `$TOKEN`), not a placeholder (`changeme`, \
           `changeit`, `<token>`, `****`, a value naming itself such as `db_password`), \
           not a path. That last test is skipped for test and example files (a name with \
           the word test, tests, testing, example, sample or template, such as \
           `.env.test` or `example.docker.env`, or a path under test fixtures: tests/, \
           testdata/, fixtures/, examples/ ...), whose values are the tests' own. \
           The finding then points at the value, masked in outputs, and says which key \
           holds it; a symbolic link holds no content and is not reported by such an \
           entry. `builtin:recommended` forbids `.env` files so: the name of an \
           environment file says little (docker compose reads `.env` for image versions \
           and ports; tools generate `*.env` manifests), the credential in it is the leak.",
    why: "A committed `.env` file or private key is a leaked secret: it stays in the history \
          after it is deleted, in every clone and fork. Editor and OS litter such as \
          `.DS_Store` says nothing about the code and leaks directory listings.",
    example: "```toml\n[rules.\"files/forbidden\"]\npaths = [\n  { glob = \"**/*.env\", \
              only-if-secret = true, reason = \"environment files hold secrets\" },\n  \
              { glob = \"**/*.key\", reason = \"private keys\", allow = \
              [\"**/testdata/**\"] },\n]\nallow = [\"**/.env.example\"]\n```\n\
              `config/prod.env` with `DB_PASSWORD=hunter2` is reported: `forbidden file \
              (matches **/*.env): environment files hold secrets (`DB_PASSWORD` has a \
              literal value)`; one with `IMAGE_VERSION=1.2` or `DB_PASSWORD=${DB_PASSWORD}` \
              is not, nor is `.env.example` or `testdata/server.key`.",
    fix: "Remove the file from the repository (`git rm --cached FILE`), add it to \
          `.gitignore`, and if it held a secret, rotate the secret: deleting the file does \
          not remove it from history. Commit a template such as `.env.example` instead, \
          or keep the environment file with the secret moved to the CI's or the \
          platform's secret store.",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    glob: String,
    reason: String,
    help: Option<String>,
    tier: Option<Tier>,
    #[serde(default)]
    only_if_secret: bool,
    #[serde(default)]
    allow: Vec<String>,
}

struct Forbidden {
    glob: Glob,
    reason: String,
    help: Option<String>,
    tier: Option<Tier>,
    only_if_secret: bool,
    allow: GlobList,
}

struct ForbiddenFiles {
    entries: Vec<Forbidden>,
    /// The entries' globs as one set, so each path is matched once.
    set: GlobList,
    allow: GlobList,
    /// Test-fixture paths, where environment files hold the tests' own values.
    fixtures: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut entries = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "paths")? {
        let glob = Glob::new(&entry.glob).map_err(|e| at_string(&origin, &entry.glob).error(e))?;
        let allow = compile_globs(&entry.allow, &origin)?;
        entries.push(Forbidden {
            glob,
            reason: entry.reason,
            help: entry.help,
            tier: entry.tier,
            only_if_secret: entry.only_if_secret,
            allow,
        });
    }
    // `take_globs` points a bad glob at the file that wrote it, `extend-allow` included.
    let allow = params.take_globs("allow")?.unwrap_or_default();
    let set = GlobList::new(entries.iter().map(|e| e.glob.clone()).collect());
    Ok(Box::new(ForbiddenFiles {
        entries,
        set,
        allow,
        fixtures: default_fixtures(),
    }))
}

impl Rule for ForbiddenFiles {
    fn wants(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.only_if_secret)
            .map(|e| e.glob.pattern().to_owned())
            .collect()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let found: Vec<Violation> = cx
            .files_matching(&self.set)
            .par_iter()
            .filter(|file| file.mode != FileMode::Submodule)
            .filter(|file| !self.allow.is_match(&file.path))
            .filter_map(|file| {
                // The first entry that applies: matched, not exempted, and (for an entry about
                // content) holding a secret.
                let mut matched = self.set.matches(&file.path);
                matched.sort_unstable();
                matched.into_iter().find_map(|i| {
                    let entry = &self.entries[i];
                    if entry.allow.is_match(&file.path) {
                        return None;
                    }
                    if !entry.only_if_secret {
                        return Some(self.violation(&file.path, entry, None));
                    }
                    // A symbolic link holds a path, not the file it points to.
                    if file.mode == FileMode::Symlink {
                        return None;
                    }
                    let text = cx.text(file).ok()?;
                    let test_only = is_test_or_example(&file.path, &self.fixtures);
                    let credential = find_credential(&text, test_only)?;
                    let index = LineIndex::new(&text);
                    Some(
                        self.violation(&file.path, entry, Some(&credential.what))
                            .span(index.span(credential.range.start, credential.range.end))
                            .redacted(),
                    )
                })
            })
            .collect();
        out.extend(found);
    }
}

impl ForbiddenFiles {
    /// The finding for `path`; `detail` says what in the file made it one, for an entry about
    /// content.
    fn violation(&self, path: &str, entry: &Forbidden, detail: Option<&str>) -> Violation {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        let mut v = Violation::file(
            path,
            format!(
                "forbidden file (matches {}): {}{detail}",
                entry.glob.pattern(),
                entry.reason
            ),
        )
        .key(entry.glob.pattern());
        v = v.help(entry.help.clone().unwrap_or_else(|| {
            "remove it with `git rm --cached`, add it to .gitignore, and rotate any secret \
             it held"
                .to_owned()
        }));
        if let Some(tier) = entry.tier {
            v = v.tier(tier);
        }
        v
    }
}

/// A credential found in an environment file: what it is and where its value is.
#[derive(Debug, PartialEq, Eq)]
struct Credential {
    what: String,
    range: std::ops::Range<usize>,
}

/// The first credential in an environment file (`KEY=value` lines, `export` allowed): a value
/// `security/secrets` recognises (a token or private key), a URL with a password for a host
/// outside the machine or compose network (`postgres://app:s3cret@db.example.com`; not
/// `localhost`, `127.0.0.1` or a name without a dot such as `postgres`), or, except in a test
/// or example file (`test_only`), an assignment to a key that names a credential (its last
/// word `PASSWORD`, `PASSWD`, `PWD`, `PASS`, `SECRET`, `TOKEN`, `KEY`, `APIKEY`, `PASSPHRASE`
/// or `CREDENTIALS`, not `PUBLIC_KEY`) whose value is literal: not empty, not a reference
/// (`${X}`, `$X`), not a placeholder (`changeme`, `<token>`, `****`), not a path.
fn find_credential(text: &str, test_only: bool) -> Option<Credential> {
    if let Some(found) = scan(text).into_iter().next() {
        return Some(Credential {
            what: format!("it holds a {}", found.kind),
            range: found.range,
        });
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let Some((key, value)) = assignment(line) else {
            continue;
        };
        let range = start + value.start..start + value.end;
        let value = &line[value];
        if let Some((password, host)) = url_password(value) {
            if !is_placeholder(&value[password.clone()]) && !is_local_host(host) {
                return Some(Credential {
                    what: format!("`{key}` is a URL with a password"),
                    range: range.start + password.start..range.start + password.end,
                });
            }
        }
        let literal = !is_placeholder(value)
            && !value.starts_with(['/', '~'])
            && !value.starts_with("./")
            && !value.starts_with("../");
        if !test_only && is_credential_key(key) && literal {
            return Some(Credential {
                what: format!("`{key}` has a literal value"),
                range,
            });
        }
    }
    None
}

/// Whether an environment file configures tests or shows an example: its name has a word
/// `test`, `tests`, `testing`, `example`, `sample` or `template` (`.env.test`, `test.env`,
/// `example.docker.env`), or it lies under a test-fixture path (`security/secrets`'
/// `fixtures`: tests/, testdata/, fixtures/, examples/ ...). Its values are the tests' own.
fn is_test_or_example(path: &str, fixtures: &GlobList) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name.split(['.', '_', '-']).any(|word| {
        matches!(
            word,
            "test" | "tests" | "testing" | "example" | "sample" | "template"
        )
    }) || fixtures.is_match(path)
}

/// Whether a URL's host is reachable only from the machine or its container network: loopback,
/// `0.0.0.0`, or a name without a dot (`localhost`, a compose service such as `postgres`).
fn is_local_host(host: &str) -> bool {
    let host = host.trim_start_matches('[');
    let host = host.split(']').next().unwrap_or(host);
    let host = if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or(host)
    } else {
        host
    };
    host == "::1"
        || host == "0.0.0.0"
        || host.starts_with("127.")
        || host.eq_ignore_ascii_case("localhost")
        || host.ends_with(".localhost")
        || !host.contains(['.', ':'])
}

/// The key and the value's byte range within `line` of an assignment `KEY=value` or `export
/// KEY=value`; quotes and a trailing ` # comment` are not part of the value.
fn assignment(line: &str) -> Option<(&str, std::ops::Range<usize>)> {
    let trimmed = line.trim_start();
    let rest = trimmed
        .strip_prefix("export ")
        .map_or(trimmed, str::trim_start);
    // `rest` is a suffix of `line`.
    let at = line.len() - rest.len();
    let eq = rest.find('=')?;
    let key = rest[..eq].trim_end();
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        || key.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let value_start = at + eq + 1;
    let raw = &line[value_start..];
    let leading = raw.len() - raw.trim_start().len();
    let raw = raw.trim_start();
    let (start, end) = match raw.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let close = raw[1..].find(quote).map_or(raw.trim_end().len(), |i| i + 1);
            (1, close)
        }
        _ => {
            let end = raw.find(" #").unwrap_or(raw.len());
            (0, raw[..end].trim_end().len())
        }
    };
    let base = value_start + leading;
    Some((key, base + start..base + end.max(start)))
}

/// The byte range of the password of a URL with user information (`scheme://user:pass@host`),
/// and the host (with its port).
fn url_password(value: &str) -> Option<(std::ops::Range<usize>, &str)> {
    let scheme_end = value.find("://")?;
    let authority_start = scheme_end + 3;
    let authority = &value[authority_start..];
    let authority = &authority[..authority.find(['/', '?', '#']).unwrap_or(authority.len())];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    let range = authority_start + colon + 1..authority_start + at;
    (!range.is_empty()).then_some((range, &authority[at + 1..]))
}

/// Whether an environment variable's name says it holds a credential: its last word (split at
/// `_`, `-`, `.` and lowercase-to-uppercase changes) is a credential word, and it is not a
/// public key.
fn is_credential_key(key: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '-' | '.') {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase();
        current.push(c.to_ascii_uppercase());
    }
    words.push(current);
    words.retain(|w| !w.is_empty());
    let Some(last) = words.last() else {
        return false;
    };
    const CREDENTIAL: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PWD",
        "PASS",
        "SECRET",
        "TOKEN",
        "KEY",
        "APIKEY",
        "PASSPHRASE",
        "CREDENTIALS",
        "CREDENTIAL",
    ];
    const PUBLIC: &[&str] = &["PUBLIC", "PUBLISHABLE", "PUB", "SITE"];
    CREDENTIAL.contains(&last.as_str())
        && !(last == "KEY" && words.len() > 1 && PUBLIC.contains(&words[words.len() - 2].as_str()))
}

#[cfg(test)]
mod tests {
    use crate::snapshot::{FileMode, MemorySnapshot};
    use crate::testing::{check, check_snapshot, policy_error};
    use crate::{Level, Tier};

    const POLICY: &str = r#"
[rules."files/forbidden"]
paths = [
  { glob = "**/.env", reason = "environment files hold secrets", help = "commit .env.example" },
  { glob = "**/.env.*", reason = "environment files hold secrets" },
  { glob = "**/.DS_Store", reason = "macOS Finder metadata", tier = "silver" },
]
allow = ["**/.env.example"]
"#;

    #[test]
    fn reports_each_forbidden_file_with_its_reason() {
        let findings = check(
            POLICY,
            &[
                (".env", "A=1"),
                (".env.example", "A="),
                ("app/.env.production", "A=1"),
                ("docs/.DS_Store", ""),
                ("src/env.rs", ""),
            ],
        );
        let got: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    f.path.as_deref().unwrap(),
                    f.message.as_str(),
                    f.tier,
                    f.level,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    ".env",
                    "forbidden file (matches **/.env): environment files hold secrets",
                    Tier::Bronze,
                    Level::Error
                ),
                (
                    "app/.env.production",
                    "forbidden file (matches **/.env.*): environment files hold secrets",
                    Tier::Bronze,
                    Level::Error
                ),
                (
                    "docs/.DS_Store",
                    "forbidden file (matches **/.DS_Store): macOS Finder metadata",
                    Tier::Silver,
                    Level::Error
                ),
            ]
        );
        assert_eq!(findings[0].help.as_deref(), Some("commit .env.example"));
        assert!(findings[1]
            .help
            .as_deref()
            .unwrap()
            .contains("git rm --cached"));
        assert!(findings.iter().all(|f| f.span.is_none()));
    }

    #[test]
    fn symlinks_count_and_submodules_do_not() {
        let snapshot = MemorySnapshot::new()
            .with_entry("deploy/.env", FileMode::Symlink, "../secrets/.env")
            .with_entry("vendor/.env", FileMode::Submodule, "");
        let findings = check_snapshot(POLICY, &snapshot);
        let paths: Vec<_> = findings
            .iter()
            .map(|f| f.path.as_deref().unwrap())
            .collect();
        assert_eq!(paths, ["deploy/.env"]);
    }

    #[test]
    fn fingerprints_follow_the_glob_not_the_reason() {
        let a = check(POLICY, &[(".env", "")]);
        let b = check(
            &POLICY.replace("environment files hold secrets", "other"),
            &[(".env", "")],
        );
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
    }

    #[test]
    fn the_recommended_pack_forbids_secrets_and_litter_but_not_their_neighbours() {
        let policy =
            "extends = [\"builtin:recommended\"]\n[rules.\"files/required\"]\nlevel = \"off\"\n";
        let files = [
            (".env", "DATABASE_PASSWORD=Tr0ub4dor&3\n"),
            (".env.example", "DATABASE_PASSWORD=Tr0ub4dor&3\n"),
            ("web/.env.local", "API_TOKEN='q8Zr2LmX9vTb'\n"),
            ("config/prod.env", "export SECRET_KEY=\"k3y-v4lu3\"\n"),
            (
                "config/dev.env",
                "IMAGE_VERSION=1.2.3\nDB_PASSWORD=${DB_PASSWORD}\n",
            ),
            ("home/.ssh/id_ed25519", ""),
            ("home/.ssh/id_ed25519.pub", ""),
            ("src/id_generator.go", ""),
            ("tls/server.key", ""),
            ("tls/server.pem", ""),
            ("tls/testdata/server.key", ""),
            ("tests/fixtures/client.p12", ""),
            ("tests/.DS_Store", ""),
            ("assets/.DS_Store", ""),
        ];
        let findings = check(policy, &files);
        let paths: Vec<_> = findings
            .iter()
            .filter(|f| f.rule == "files/forbidden")
            .map(|f| f.path.as_deref().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                ".env",
                "assets/.DS_Store",
                "config/prod.env",
                "home/.ssh/id_ed25519",
                "tests/.DS_Store",
                "tls/server.key",
                "web/.env.local"
            ]
        );
    }

    const ENV: &str = r#"
[rules."files/forbidden"]
paths = [
  { glob = "**/*.env", only-if-secret = true, reason = "environment files hold secrets" },
  { glob = "**/*.env", reason = "fallback" },
]
"#;

    fn env_findings(text: &str) -> Vec<crate::Finding> {
        check(
            &ENV.replace("  { glob = \"**/*.env\", reason = \"fallback\" },\n", ""),
            &[("app.env", text)],
        )
    }

    #[test]
    fn environment_files_are_forbidden_for_a_credential_not_for_their_name() {
        // opentelemetry-demo's .env, grafana/loki's bingo variables.env and netbox's
        // netbox.env, shortened: configuration, placeholders and references, no secret.
        for clean in [
            "# Demo App version\nIMAGE_VERSION=3.0.0\nVALKEY_PORT=6379\nVALKEY_ADDR=valkey-cart:${VALKEY_PORT}\nPOSTGRES_PASSWORD=changeit\nPOSTGRES_ASTRONOMY_PASSWORD=astronomy_password    # defined in init.sql\nAPI_KEY=\n",
            "#OPENAI_API_KEY=<replace with API key>\nLLM_MODEL=gpt-4o-mini\n",
            "GOBIN=${GOBIN:=$(go env GOBIN)}\n\nif [ -z \"$GOBIN\" ]; then\n\tGOBIN=\"$(go env GOPATH)/bin\"\nfi\n",
            "# Do not put secrets here.\nNETBOX_ROOT=/opt/netbox\n",
            "GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/gcp.json\nSTRIPE_PUBLISHABLE_KEY=pk_test_abc\nJWT_SECRET=\"****\"\nDB_URL=postgres://app:${DB_PASSWORD}@db/app\n",
            "EXPO_PUBLIC_FRONTEND_PROXY_PORT=8080\n",
        ] {
            assert!(env_findings(clean).is_empty(), "{clean}");
        }
        let cases = [
            (
                "A=1\nDB_PASSWORD=hunter2hunter2\n",
                2,
                13,
                "`DB_PASSWORD` has a literal value",
            ),
            (
                "export smtpPass='s3cr3t!'\n",
                1,
                18,
                "`smtpPass` has a literal value",
            ),
            (
                "DATABASE_URL=postgres://app:Tr0ub4dor@db.acme.io:5432/app\n",
                1,
                29,
                "`DATABASE_URL` is a URL with a password",
            ),
            (
                "STRIPE_SECRET_KEY = \"sk-x-9\" # prod\n",
                1,
                22,
                "`STRIPE_SECRET_KEY` has a literal value",
            ),
        ];
        for (text, line, column, what) in cases {
            let findings = env_findings(text);
            assert_eq!(findings.len(), 1, "{text}");
            let f = &findings[0];
            assert_eq!(
                f.message,
                format!(
                    "forbidden file (matches **/*.env): environment files hold secrets ({what})"
                )
            );
            let span = f.span.unwrap();
            assert_eq!((span.line, span.column), (line, column), "{text}");
            let snippet = f.snippet.as_deref().unwrap();
            assert!(
                !snippet.contains("hunter2") && !snippet.contains("Tr0ub4dor"),
                "{snippet}"
            );
        }
        // A URL to a local or compose-network database holds a development default.
        for local in [
            "DATABASE_URL=postgres://user:pass@127.0.0.1:5432/outline\n",
            "DATABASE_URL=postgres://supabase_auth_admin:root@postgres:5432/postgres\n",
            "REDIS_URL=redis://:Tr0ub4dor@localhost:6379\n",
            "MONGO_URL=mongodb://admin:Tr0ub4dor@[::1]:27017\n",
        ] {
            assert!(env_findings(local).is_empty(), "{local}");
        }
        // A token security/secrets knows, whatever the key.
        let token = format!("{}{}", "npm_", "q8Zr2LmX9vTbK3wN7pHs4JdF6gYc1VaE5uTo");
        let findings = env_findings(&format!("REGISTRY={token}\n"));
        assert_eq!(findings.len(), 1);
        assert!(
            findings[0].message.contains("it holds a npm access token"),
            "{findings:#?}"
        );
        // The first entry that applies reports: the fallback catches what the first lets pass.
        let both = check(ENV, &[("clean.env", "A=1\n")]);
        assert_eq!(
            both[0].message,
            "forbidden file (matches **/*.env): fallback"
        );
    }

    /// supabase/auth's and outline's test and example environment files: their values are the
    /// tests' own; a recognised token or a password for a remote host still counts.
    #[test]
    fn test_and_example_environment_files_hold_the_tests_values() {
        let policy = ENV
            .replace("  { glob = \"**/*.env\", reason = \"fallback\" },\n", "")
            .replace("**/*.env", "**/*{.env,.env.*}");
        let jwt = "GOTRUE_JWT_SECRET=X4dNv2oLvR7BnqmYk07Fi2NG2frvL2sxNQ9hxBJ65eDk\n";
        for path in [
            "hack/test.env",
            "hack/test_asymmetric.env",
            "example.docker.env",
            "internal/reloader/testdata/50_example.env",
            "app/.env.test",
            "app/.env.sample",
        ] {
            assert!(check(&policy, &[(path, jwt)]).is_empty(), "{path}");
        }
        for path in ["deploy/prod.env", "app/.env.production", "contest.env"] {
            assert_eq!(check(&policy, &[(path, jwt)]).len(), 1, "{path}");
        }
        let remote = "DATABASE_URL=postgres://app:Tr0ub4dor@db.acme.io/app\n";
        assert_eq!(check(&policy, &[("hack/test.env", remote)]).len(), 1);
        let token = format!("T={}{}\n", "npm_", "q8Zr2LmX9vTbK3wN7pHs4JdF6gYc1VaE5uTo");
        assert_eq!(check(&policy, &[("tests/app.env", &token)]).len(), 1);
    }

    #[test]
    fn entry_allow_exempts_from_that_entry_only() {
        let policy = r#"
[rules."files/forbidden"]
paths = [
  { glob = "**/*.key", reason = "keys", allow = ["**/testdata/**"] },
  { glob = "**/testdata/**", reason = "no test data" },
]
"#;
        let findings = check(
            policy,
            &[("tls/server.key", ""), ("tls/testdata/server.key", "")],
        );
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap(), f.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("tls/server.key", "forbidden file (matches **/*.key): keys"),
                (
                    "tls/testdata/server.key",
                    "forbidden file (matches **/testdata/**): no test data"
                ),
            ]
        );
    }

    #[test]
    fn a_symlink_holds_no_content_for_an_only_if_secret_entry() {
        let snapshot = MemorySnapshot::new().with_entry(
            "deploy/app.env",
            FileMode::Symlink,
            "DB_PASSWORD=hunter2hunter2",
        );
        let policy = ENV.replace("  { glob = \"**/*.env\", reason = \"fallback\" },\n", "");
        assert!(check_snapshot(&policy, &snapshot).is_empty());
    }

    #[test]
    fn clean_repository_has_no_findings() {
        let findings = check(POLICY, &[(".env.example", ""), ("README.md", "")]);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn bad_globs_are_policy_errors_at_their_position() {
        let err = policy_error(
            "[rules.\"files/forbidden\"]\npaths = [\n  { glob = \"ok/*\", reason = \"r\" },\n  { glob = \"[a-\", reason = \"r\" },\n]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((4, 13)),
            "{err}"
        );
        let err = policy_error("[rules.\"files/forbidden\"]\nallow = [\"x\", \"{a\"]\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 16)),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_in_an_entry_point_at_the_key() {
        let err = policy_error(
            "[rules.\"files/forbidden\"]\npaths = [{ glob = \"a\", reason = \"r\" }, { glob = \"b\", why = \"r\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 54)),
            "{err}"
        );
        assert!(err.message.contains("unknown field `why`"), "{err}");
    }

    #[test]
    fn entries_written_as_arrays_of_tables_work_and_errors_point_into_them() {
        let policy = "[rules.\"files/forbidden\"]\nallow = []\n\n[[rules.\"files/forbidden\".paths]]\nglob = \"a\"\nreason = \"r\"\n\n[[rules.\"files/forbidden\".paths]]\nglob = \"b\"\nreason = \"r\"\n";
        let findings = check(policy, &[("a", ""), ("b", ""), ("c", "")]);
        assert_eq!(findings.len(), 2, "{findings:#?}");
        let err = policy_error(&policy.replace("glob = \"b\"", "glob = \"[\""));
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((9, 9)),
            "{err}"
        );
        let err = policy_error(&policy.replace("glob = \"b\"", "glob = \"b\"\nbad = 1"));
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((10, 1)),
            "{err}"
        );
    }
}
