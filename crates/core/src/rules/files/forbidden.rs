//! files/forbidden

use rayon::prelude::*;
use serde::Deserialize;

use super::{at_string, compile_globs, take_entries};
use crate::engine::Context;
use crate::finding::{Level, Tier, Violation};
use crate::glob::{Glob, GlobList};
use crate::policy::{Params, PolicyError};
use crate::rule::{Docs, Meta, OptionDoc, Rule, RuleDef, Scope};
use crate::snapshot::FileMode;

/// Registry entry.
pub const RULE: RuleDef = RuleDef { meta: &META, build };

static META: Meta = Meta {
    id: "files/forbidden",
    summary: "Files that must never be committed (secrets, private keys, OS litter)",
    default_level: Level::Error,
    tier: Tier::Bronze,
    scope: Scope::PerFile,
    fixable: false,
    options: &[
        OptionDoc {
            name: "paths",
            kind: "array of tables { glob, reason, help?, tier? }",
            help: "Each entry forbids the files its `glob` matches. `reason` says why and is part \
                   of the message; `help` says what to do instead; `tier` overrides the rule's \
                   tier for that entry. A file matching several entries is reported once, for \
                   the first. Default: none.",
        },
        OptionDoc {
            name: "allow",
            kind: "array of globs",
            help: "Files exempt from every entry, such as `**/.env.example`. Default: none.",
        },
    ],
    docs: Docs {
        what: "Every file (symbolic links included) whose path matches the `glob` of an entry of \
               `paths` and no glob of `allow` is reported at the file, with the entry's reason.",
        why: "A committed `.env` file or private key is a leaked secret: it stays in the history \
              after it is deleted, in every clone and fork. Editor and OS litter such as \
              `.DS_Store` says nothing about the code and leaks directory listings.",
        example: "```toml\n[rules.\"files/forbidden\"]\npaths = [\n  { glob = \"**/*.env\", \
                  reason = \"environment files hold secrets\" },\n]\nallow = \
                  [\"**/.env.example\"]\n```\n`config/prod.env` is reported: `forbidden file \
                  (matches **/*.env): environment files hold secrets`; `.env.example` is not.",
        fix: "Remove the file from the repository (`git rm --cached FILE`), add it to \
              `.gitignore`, and if it held a secret, rotate the secret: deleting the file does \
              not remove it from history. Commit a template such as `.env.example` instead.",
    },
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    glob: String,
    reason: String,
    help: Option<String>,
    tier: Option<Tier>,
}

struct Forbidden {
    glob: Glob,
    reason: String,
    help: Option<String>,
    tier: Option<Tier>,
}

struct ForbiddenFiles {
    entries: Vec<Forbidden>,
    /// The entries' globs as one set, so each path is matched once.
    set: GlobList,
    allow: GlobList,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut entries = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "paths")? {
        let glob = Glob::new(&entry.glob).map_err(|e| at_string(&origin, &entry.glob).error(e))?;
        entries.push(Forbidden {
            glob,
            reason: entry.reason,
            help: entry.help,
            tier: entry.tier,
        });
    }
    let allow = match params.take_with_origin::<Vec<String>>("allow")? {
        Some((patterns, origin)) => compile_globs(&patterns, &origin)?,
        None => GlobList::default(),
    };
    let set = GlobList::new(entries.iter().map(|e| e.glob.clone()).collect());
    Ok(Box::new(ForbiddenFiles {
        entries,
        set,
        allow,
    }))
}

impl Rule for ForbiddenFiles {
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let found: Vec<Violation> = cx
            .files()
            .par_iter()
            .filter(|file| file.mode != FileMode::Submodule && self.set.is_match(&file.path))
            .filter(|file| !self.allow.is_match(&file.path))
            .filter_map(|file| {
                let first = self.set.matches(&file.path).into_iter().min()?;
                Some(self.violation(&file.path, &self.entries[first]))
            })
            .collect();
        out.extend(found);
    }
}

impl ForbiddenFiles {
    fn violation(&self, path: &str, entry: &Forbidden) -> Violation {
        let mut v = Violation::file(
            path,
            format!(
                "forbidden file (matches {}): {}",
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
            (".env", ""),
            (".env.example", ""),
            ("web/.env.local", ""),
            ("config/prod.env", ""),
            ("home/.ssh/id_ed25519", ""),
            ("home/.ssh/id_ed25519.pub", ""),
            ("src/id_generator.go", ""),
            ("tls/server.key", ""),
            ("tls/server.pem", ""),
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
                "tls/server.key",
                "web/.env.local"
            ]
        );
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
