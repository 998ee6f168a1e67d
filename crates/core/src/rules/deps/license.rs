use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use goldpath_manifests::{Ecosystem, FileKind, Position, Source};
use serde::Deserialize;

use super::spec::{fold, PackageSpec};
use super::{dir_of, join, parsed_files_of, repo_files, span, Repo};
use crate::context::Context;
use crate::finding::{Level, Violation};
use crate::policy::options::{at_string, take_entries};
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/license",
    summary: "Dependencies are under licences the policy allows",
    level: Error,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "allow",
            kind: "array of strings",
            help: "SPDX licence identifiers allowed (`MIT`, `Apache-2.0`, `BSD-3-Clause`, \
                   `LicenseRef-Corp`). A package's licence expression is evaluated against \
                   them: `MIT OR GPL-3.0-only` passes with MIT allowed, `MIT AND GPL-3.0-only` \
                   needs both. An identifier SPDX does not know is a policy error at its \
                   position. Required: without it every known licence is reported.",
        },
        {
            name: "packages",
            kind: "array of tables { ecosystem, name, version?, reason? }",
            help: "Packages exempt from the rule (a reviewed exception), in the same spec \
                   syntax as `deps/banned`; malformed or never-matching specs are policy \
                   errors. Default: none.",
        },
        {
            name: "unknown-level",
            kind: "string",
            help: "Level of the finding for a package whose licence the repository's files \
                   do not tell (or that is not an SPDX expression): `note`, `warning`, \
                   `error`, or `off` to leave them out. It never exceeds the rule's own \
                   level. Default `note`.",
        },
        {
            name: "cargo-registry-cache",
            kind: "boolean",
            help: "Read Cargo crates' `license` from the local registry cache \
                   (`$CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml`, `~/.cargo` when \
                   CARGO_HOME is unset) when it holds them. Nothing is downloaded. Default \
                   `true`; `false` judges only what the repository's files say, so results do \
                   not depend on the machine.",
        },
        {
            name: "cargo-home",
            kind: "string",
            help: "The Cargo home to read the registry cache from, instead of CARGO_HOME or \
                   `~/.cargo`.",
        },
    ],
    what: "Every package a lockfile locks (`Cargo.lock`, `package-lock.json`, \
           `npm-shrinkwrap.json`, `pnpm-lock.yaml`, `yarn.lock`, `poetry.lock`, `uv.lock`, \
           `go.sum`) is judged by its licence as far as the repository knows it: the \
           `license` of each package in npm lockfiles v2/v3; the licence declared by the \
           manifest of a workspace package or local path dependency in the repository; \
           for Cargo crates, the `license` field of the crate's `Cargo.toml` in the local \
           registry cache when it is there. The licence is an SPDX expression evaluated \
           against `allow` (exceptions after `WITH` only add permissions, so the licence \
           before them decides). A direct dependency is reported at the manifest line \
           that declares it, a transitive one at its lockfile entry. A package whose \
           licence is unknown (pnpm, yarn, Go and Python lockfiles record none; a crate \
           not in the cache) or not an SPDX expression gets its own finding at \
           `unknown-level`.",
    why: "A dependency's licence binds what you ship: a copyleft or non-commercial \
          licence deep in the tree can oblige you to publish your source or stop \
          selling. Checking the lockfile on every change catches the new dependency that \
          brings one, before release, when replacing it is still cheap.",
    example: "```toml\n[rules.\"deps/license\"]\nallow = [\"MIT\", \"Apache-2.0\", \
              \"BSD-3-Clause\", \"ISC\"]\nunknown-level = \"warning\"\npackages = [{ \
              ecosystem = \"npm\", name = \"caniuse-lite\", reason = \"CC-BY-4.0 data, \
              reviewed\" }]\n```\nA package-lock.json entry `node_modules/gpl-thing` \
              with `\"license\": \"GPL-3.0-only\"` is reported: `npm package gpl-thing \
              1.0.0 is licensed GPL-3.0-only, which the policy does not allow`.",
    fix: "Replace the dependency with one under an allowed licence, or after legal \
          review add it to `packages` with the reason (or its licence to `allow`).",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Exempt {
    ecosystem: String,
    name: String,
    version: Option<String>,
    #[allow(dead_code)] // documentation for the reader of the policy
    reason: Option<String>,
}

struct License {
    allow: HashSet<String>,
    exempt: Vec<PackageSpec>,
    unknown: Option<Level>,
    cargo_home: Option<PathBuf>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut allow = HashSet::new();
    if let Some((ids, origin)) = params.take_with_origin::<Vec<String>>("allow")? {
        for id in ids {
            let known = spdx::license_id(&id).is_some()
                || id.starts_with("LicenseRef-")
                || id.starts_with("DocumentRef-");
            if !known {
                let hint = spdx::imprecise_license_id(&id)
                    .map(|(l, _)| format!(" (did you mean `{}`?)", l.name))
                    .unwrap_or_default();
                return Err(at_string(&origin, &id)
                    .error(format!("`{id}` is not an SPDX licence identifier{hint}")));
            }
            allow.insert(id);
        }
    }
    let mut exempt = Vec::new();
    for (entry, origin) in take_entries::<Exempt>(params, "packages")? {
        exempt.push(PackageSpec::parse(
            &entry.ecosystem,
            &entry.name,
            entry.version.as_deref(),
            &origin,
        )?);
    }
    let unknown = match params.take_with_origin::<String>("unknown-level")? {
        None => Some(Level::Note),
        Some((text, origin)) => match text.as_str() {
            "off" => None,
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            other => {
                return Err(origin.error(format!(
                    "`unknown-level` must be note, warning, error or off, not `{other}`"
                )))
            }
        },
    };
    let cache = params.take::<bool>("cargo-registry-cache")?.unwrap_or(true);
    let home = params.take::<String>("cargo-home")?.map(PathBuf::from);
    let cargo_home = cache
        .then(|| {
            home.or_else(|| std::env::var_os("CARGO_HOME").map(PathBuf::from))
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        })
        .flatten();
    Ok(Box::new(License {
        allow,
        exempt,
        unknown,
        cargo_home,
    }))
}

/// Licences of crates in a Cargo home's registry cache, read on demand.
struct CargoCache {
    sources: Vec<PathBuf>,
    read: HashMap<(String, String), Option<String>>,
}

impl CargoCache {
    fn new(home: Option<&Path>) -> Self {
        let sources = home
            .and_then(|home| std::fs::read_dir(home.join("registry").join("src")).ok())
            .map(|dirs| {
                let mut dirs: Vec<PathBuf> = dirs.flatten().map(|e| e.path()).collect();
                dirs.sort();
                dirs
            })
            .unwrap_or_default();
        CargoCache {
            sources,
            read: HashMap::new(),
        }
    }

    fn license(&mut self, name: &str, version: &str) -> Option<String> {
        if self.sources.is_empty() {
            return None;
        }
        let key = (name.to_owned(), version.to_owned());
        if let Some(known) = self.read.get(&key) {
            return known.clone();
        }
        let found = self.sources.iter().find_map(|source| {
            let text = std::fs::read_to_string(
                source.join(format!("{name}-{version}")).join("Cargo.toml"),
            )
            .ok()?;
            let value: toml::Table = toml::from_str(&text).ok()?;
            let package = value.get("package")?.as_table()?;
            match package.get("license").and_then(toml::Value::as_str) {
                Some(license) => Some(license.to_owned()),
                None => package
                    .get("license-file")
                    .and_then(toml::Value::as_str)
                    .map(|file| format!("SEE LICENSE IN {file}")),
            }
        });
        self.read.insert(key, found.clone());
        found
    }
}

/// What is wrong with a licence, or `None` when the policy allows it.
enum Verdict {
    Allowed,
    Denied(String),
    Unknown(String),
}

impl License {
    fn verdict(&self, license: Option<&str>) -> Verdict {
        let Some(text) = license.map(str::trim).filter(|t| !t.is_empty()) else {
            return Verdict::Unknown("the repository's files do not record its licence".into());
        };
        let expression = match spdx::Expression::parse_mode(text, spdx::ParseMode::LAX) {
            Ok(expression) => expression,
            Err(_) => {
                return Verdict::Unknown(format!("its licence `{text}` is not an SPDX expression"))
            }
        };
        let allowed = expression.evaluate(|req| match &req.license {
            spdx::LicenseItem::Spdx { id, .. } => self.allow.contains(id.name),
            spdx::LicenseItem::Other(other) => self
                .allow
                .contains(&format!("LicenseRef-{}", other.lic_ref)),
        });
        if allowed {
            Verdict::Allowed
        } else {
            Verdict::Denied(text.to_owned())
        }
    }
}

/// The licence a manifest in the repository declares for a path dependency of a lockfile.
fn local_license(repo: &Repo, lock_path: &str, path: &str) -> Option<String> {
    let dir = join(
        dir_of(lock_path),
        path.trim_start_matches("./").trim_end_matches('/'),
    );
    repo.manifests_in(&dir)
        .find_map(|f| f.parsed.as_ref().as_ref().ok()?.license.clone())
}

impl Rule for License {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let mut cache: Option<CargoCache> = None;
        let mut reported = HashSet::new();
        let mut repo = None;
        for (file, parsed) in parsed_files_of(cx, FileKind::is_lockfile) {
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            if !manifest.kind.is_lockfile() {
                continue;
            }
            let repo = repo.get_or_insert_with(|| repo_files(cx));
            let declared = repo.declarations(&file.path);
            let knows_direct = manifest.packages.iter().any(|p| p.direct);
            for package in &manifest.packages {
                let name = fold(package.ecosystem, &package.name);
                if self
                    .exempt
                    .iter()
                    .any(|s| s.matches(package.ecosystem, &name, package.version.as_deref()))
                {
                    continue;
                }
                let license = match (&package.license, &package.source) {
                    (Some(license), _) => Some(license.clone()),
                    (None, Source::Path(path)) => local_license(repo, &file.path, path),
                    (None, Source::Registry(_))
                        if manifest.kind == FileKind::CargoLock
                            && package.ecosystem == Ecosystem::Cargo =>
                    {
                        let version = package.version.as_deref().unwrap_or_default();
                        cache
                            .get_or_insert_with(|| CargoCache::new(self.cargo_home.as_deref()))
                            .license(&package.name, version)
                    }
                    _ => None,
                };
                let verdict = self.verdict(license.as_deref());
                if matches!(verdict, Verdict::Allowed) {
                    continue;
                }
                let declaration = declared.get(&name);
                let direct = package.direct || (!knows_direct && declaration.is_some());
                let (path, position): (&str, &Position) = match declaration {
                    Some((path, position)) if direct => (path, position),
                    _ => (&file.path, &package.position),
                };
                if !reported.insert((path.to_owned(), position.line, package.version.clone())) {
                    continue;
                }
                let version = package
                    .version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                let transitive = if direct {
                    ""
                } else {
                    ", a transitive dependency"
                };
                let what = format!("{} package {}{version}", package.ecosystem, package.name);
                let violation = match verdict {
                    Verdict::Allowed => continue,
                    Verdict::Denied(text) => Violation::file(
                        path,
                        format!("{what} is licensed {text}, which the policy does not allow{transitive}"),
                    )
                    .help("replace it with a package under an allowed licence, or exempt it in `packages` after review")
                    .key(format!("denied:{}:{name}", package.ecosystem)),
                    Verdict::Unknown(why) => {
                        let Some(level) = self.unknown else {
                            continue;
                        };
                        Violation::file(path, format!("licence of {what} is unknown: {why}{transitive}"))
                            .level(level)
                            .help("check its licence by hand and exempt it in `packages`, or set `unknown-level = \"off\"`")
                            .key(format!("unknown:{}:{name}", package.ecosystem))
                    }
                };
                out.push(violation.span(span(position)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Level;
    use crate::testing::{check, policy_error};

    fn got(policy: &str, files: &[(&str, &str)]) -> Vec<(String, u32, Level, String)> {
        check(policy, files)
            .iter()
            .filter(|f| f.rule == "deps/license")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.level,
                    f.message.clone(),
                )
            })
            .collect()
    }

    const NPM_LOCK: &str = "{\"lockfileVersion\": 3, \"packages\": {\n\"\": {\"dependencies\": {\"a\": \"^1\", \"f\": \"^6\"}},\n\"node_modules/a\": {\"version\": \"1.0.0\", \"license\": \"MIT OR GPL-3.0-only\"},\n\"node_modules/b\": {\"version\": \"2.0.0\", \"license\": \"MIT AND GPL-3.0-only\"},\n\"node_modules/c\": {\"version\": \"3.0.0\", \"license\": \"SEE LICENSE IN LICENSE.txt\"},\n\"node_modules/d\": {\"version\": \"4.0.0\"},\n\"node_modules/e\": {\"version\": \"5.0.0\", \"license\": \"GPL-2.0-only WITH Classpath-exception-2.0\"},\n\"node_modules/f\": {\"version\": \"6.0.0\", \"license\": \"AGPL-3.0-only\"}\n}}";
    const PACKAGE: &str = "{\n  \"dependencies\": {\n    \"a\": \"^1\",\n    \"f\": \"^6\"\n  }\n}";

    #[test]
    fn expressions_against_the_allow_list() {
        let policy = "[rules.\"deps/license\"]\nallow = [\"MIT\", \"GPL-2.0-only\"]\nunknown-level = \"warning\"\ncargo-registry-cache = false\npackages = [{ ecosystem = \"npm\", name = \"f\", reason = \"reviewed\" }]\n";
        let findings = got(
            policy,
            &[("package.json", PACKAGE), ("package-lock.json", NPM_LOCK)],
        );
        assert_eq!(
            findings,
            [
                ("package-lock.json".into(), 4, Level::Error, "npm package b 2.0.0 is licensed MIT AND GPL-3.0-only, which the policy does not allow, a transitive dependency".into()),
                ("package-lock.json".into(), 5, Level::Warning, "licence of npm package c 3.0.0 is unknown: its licence `SEE LICENSE IN LICENSE.txt` is not an SPDX expression, a transitive dependency".into()),
                ("package-lock.json".into(), 6, Level::Warning, "licence of npm package d 4.0.0 is unknown: the repository's files do not record its licence, a transitive dependency".into()),
            ]
        );
        // Without the exemption, the direct dependency f is reported at its package.json line;
        // unknown licences are notes by default and can be turned off.
        let policy = "[rules.\"deps/license\"]\nallow = [\"MIT\", \"GPL-2.0-only\"]\nunknown-level = \"off\"\n";
        let findings = got(
            policy,
            &[("package.json", PACKAGE), ("package-lock.json", NPM_LOCK)],
        );
        assert_eq!(findings.len(), 2, "{findings:?}");
        assert_eq!((findings[1].0.as_str(), findings[1].1), ("package.json", 4));
        assert!(findings[1]
            .3
            .starts_with("npm package f 6.0.0 is licensed AGPL-3.0-only"));
        let policy = "[rules.\"deps/license\"]\nallow = [\"MIT\", \"GPL-2.0-only\"]\n";
        let findings = got(policy, &[("package-lock.json", NPM_LOCK)]);
        assert_eq!(findings.iter().filter(|f| f.2 == Level::Note).count(), 2);
    }

    #[test]
    fn cargo_licences_from_the_registry_cache() {
        let home =
            std::env::temp_dir().join(format!("goldpath-deps-license-{}", std::process::id()));
        let crate_dir = home.join("registry/src/index.crates.io-0000/gplcrate-1.0.0");
        std::fs::create_dir_all(&crate_dir).unwrap();
        std::fs::write(
            crate_dir.join("Cargo.toml"),
            "[package]\nname = \"gplcrate\"\nversion = \"1.0.0\"\nlicense = \"GPL-3.0-or-later\"\n",
        )
        .unwrap();
        let ok_dir = home.join("registry/src/index.crates.io-0000/okcrate-2.0.0");
        std::fs::create_dir_all(&ok_dir).unwrap();
        std::fs::write(
            ok_dir.join("Cargo.toml"),
            "[package]\nname = \"okcrate\"\nversion = \"2.0.0\"\nlicense = \"MIT/Apache-2.0\"\n",
        )
        .unwrap();
        let lock = "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"okcrate\"]\n\n[[package]]\nname = \"okcrate\"\nversion = \"2.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\"gplcrate\"]\n\n[[package]]\nname = \"gplcrate\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"uncached\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\nlicense = \"MIT\"\n[dependencies]\nokcrate = \"2\"\n",
            ),
            ("Cargo.lock", lock),
        ];
        let policy = format!(
            "[rules.\"deps/license\"]\nallow = [\"MIT\"]\ncargo-home = {:?}\n",
            home.to_string_lossy()
        );
        let findings = got(&policy, &files);
        let off = got(
            "[rules.\"deps/license\"]\nallow = [\"MIT\"]\ncargo-registry-cache = false\n",
            &files,
        );
        std::fs::remove_dir_all(&home).unwrap();
        assert_eq!(
            findings,
            [
                ("Cargo.lock".into(), 14, Level::Error, "cargo package gplcrate 1.0.0 is licensed GPL-3.0-or-later, which the policy does not allow, a transitive dependency".into()),
                ("Cargo.lock".into(), 19, Level::Note, "licence of cargo package uncached 0.1.0 is unknown: the repository's files do not record its licence, a transitive dependency".into()),
            ]
        );
        // With the cache turned off, nothing is known: three notes, the direct one at Cargo.toml.
        assert_eq!(off.len(), 3, "{off:?}");
        assert!(off.iter().all(|f| f.2 == Level::Note));
        assert!(off.iter().any(|f| f.0 == "Cargo.toml" && f.1 == 5));
    }

    #[test]
    fn policy_errors() {
        let err = policy_error("[rules.\"deps/license\"]\nallow = [\"MIT\", \"Apache2\"]\n");
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 18)),
            "{err}"
        );
        assert!(
            err.message.contains("not an SPDX licence identifier"),
            "{err}"
        );
        let err = policy_error("[rules.\"deps/license\"]\nunknown-level = \"loud\"\n");
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(2), "{err}");
        let err = policy_error("[rules.\"deps/license\"]\npackages = [{ ecosystem = \"pypi\", name = \"x\", version = \">=2,<1\" }]\n");
        assert!(err.message.contains("never match"), "{err}");
    }
}
