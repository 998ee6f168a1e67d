use std::collections::HashSet;

use goldpath_manifests::{Ecosystem, Package, Position};
use serde::Deserialize;

use super::spec::{fold, PackageSpec};
use super::{parsed_files, repo_files, span};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::options::take_entries;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/banned",
    summary: "Packages (or versions of them) the organisation has banned",
    level: Error,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [{
        name: "packages",
        kind: "array of tables { ecosystem, name, version?, reason?, use-instead? }",
        help: "Each entry bans a package: `ecosystem` is `cargo`, `npm` (also pnpm and yarn \
               projects), `go` or `pypi`; `name` is the registry name (Python names compare \
               after PEP 503 normalisation). `version` limits the ban to some versions, in the \
               ecosystem's syntax: a semver range for cargo (`<1.0.50`, `>=0.10, <0.10.55`) and \
               npm (`<4.17.21`, `1.x || >=2.1 <2.3`), PEP 440 specifiers for pypi (`<2.31`, \
               `>=1,<1.4`, `==2.0.*`, `~=1.2`, `!=1.5.*`, `===1.0`; matched as pypa \
               `packaging` matches an installed version: epochs, pre-, post- and dev-releases \
               and local versions count, so `==2.0` is not `2.0.post1` and `<=1.0` is not \
               `1.0.post1`), an exact version or a `*`-terminated prefix for go (`v0.9.1`, \
               `v0.*`, `v1*`; the prefix ends at a version component, so `v1*` is major 1: \
               `v1.2.3`, `v1.0.0-rc1`, not `v10.0.0`). A malformed range is a policy error at \
               its position. \
               `reason` is part of the message; `use-instead` becomes the help. Default: none.",
    }],
    what: "Direct dependencies are reported at the manifest line that declares them \
           (`Cargo.toml`, `package.json`, `go.mod`, `pyproject.toml`, `requirements*.txt`); \
           transitive ones at their lockfile entry (`Cargo.lock`, `package-lock.json`, \
           `go.sum`, `poetry.lock`, `uv.lock`). Without `version`, any declaration or \
           locked copy is reported. Where a lockfile does not say which packages are \
           direct (npm v1, yarn classic, poetry.lock), a package a manifest beside it \
           declares counts as direct. With `version`, locked versions are compared (a \
           direct one is reported at the manifest line that declares it, once), and so are manifest requirements that \
           pin one exact version (`=1.2.3`, `==1.2.3`, a go.mod version); a range in a \
           manifest is not judged, since only the lockfile says what it resolves to.",
    why: "Some packages are known to be unmaintained, vulnerable, licensed unacceptably or \
          replaced by an organisation-wide choice. Banning them in one policy keeps every \
          repository off them, with the reason and the replacement in the message.",
    example: "```toml\n[rules.\"deps/banned\"]\npackages = [\n  { ecosystem = \"cargo\", \
              name = \"openssl\", reason = \"use rustls\", use-instead = \"rustls\" },\n  \
              { ecosystem = \"pypi\", name = \"requests\", version = \"<2.31\", reason = \
              \"CVE-2023-32681\" },\n]\n```\n`openssl = \"0.10\"` in Cargo.toml is reported \
              at its line: `banned cargo package openssl: use rustls`; `requests` locked \
              at 2.32.3 in uv.lock is not, at 2.28.0 it is.",
    fix: "Remove the dependency or move to the replacement; for a transitive one, update \
          or replace the direct dependency that pulls it in (`cargo tree -i NAME`, \
          `npm explain NAME`, `go mod why -m NAME`, `uv tree --invert NAME`).",
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Entry {
    ecosystem: String,
    name: String,
    version: Option<String>,
    reason: Option<String>,
    use_instead: Option<String>,
}

struct Ban {
    spec: PackageSpec,
    reason: Option<String>,
    use_instead: Option<String>,
}

struct Banned {
    bans: Vec<Ban>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let mut bans = Vec::new();
    for (entry, origin) in take_entries::<Entry>(params, "packages")? {
        bans.push(Ban {
            spec: PackageSpec::parse(
                &entry.ecosystem,
                &entry.name,
                entry.version.as_deref(),
                &origin,
            )?,
            reason: entry.reason,
            use_instead: entry.use_instead,
        });
    }
    Ok(Box::new(Banned { bans }))
}

/// The one version a manifest requirement pins, if it pins exactly one.
fn exact_pin(package: &Package) -> Option<&str> {
    if package.ecosystem == Ecosystem::Go {
        return package.version.as_deref();
    }
    let requirement = package.requirement.as_deref()?.trim();
    let version = match package.ecosystem {
        Ecosystem::Pypi => requirement
            .strip_prefix("===")
            .or(requirement.strip_prefix("=="))?,
        Ecosystem::Cargo => requirement.strip_prefix('=')?,
        _ => requirement.strip_prefix('=').unwrap_or(requirement),
    }
    .trim();
    let plain = !version.is_empty()
        && version.starts_with(|c: char| c.is_ascii_digit())
        && !version.contains(['*', ' ', ',', '<', '>', '|', '^', '~'])
        && !version.ends_with(".x");
    plain.then_some(version)
}

impl Rule for Banned {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        if self.bans.is_empty() {
            return;
        }
        let mut repo = None;
        // (path, line): a direct dependency banned in both its manifest and its lockfile is
        // reported once, at the manifest line.
        let mut reported = HashSet::new();
        for (file, parsed) in parsed_files(cx) {
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            let lockfile = manifest.kind.is_lockfile();
            let declared = if lockfile {
                repo.get_or_insert_with(|| repo_files(cx))
                    .declarations(&file.path)
            } else {
                Default::default()
            };
            // Lockfiles that do not say which packages are direct (npm v1, yarn classic,
            // poetry.lock): a package a manifest declares by name counts as direct.
            let knows_direct = manifest.packages.iter().any(|p| p.direct);
            for package in &manifest.packages {
                let name = fold(package.ecosystem, &package.name);
                let declaration = declared.get(&name);
                let direct = package.direct || (!knows_direct && declaration.is_some());
                for ban in &self.bans {
                    if ban.spec.ecosystem != package.ecosystem || ban.spec.name != name {
                        continue;
                    }
                    let version = match (&ban.spec.version, lockfile) {
                        (None, false) => None,
                        // The manifest that declares it reports it.
                        (None, true) if direct && declaration.is_some() => continue,
                        (None, true) => package.version.as_deref(),
                        (Some((_, range)), false) => match exact_pin(package) {
                            Some(v) if range.matches(v) => Some(v),
                            _ => continue,
                        },
                        (Some((_, range)), true) => match package.version.as_deref() {
                            Some(v) if range.matches(v) => Some(v),
                            _ => continue,
                        },
                    };
                    let (path, position) = match declaration {
                        Some((path, position)) if lockfile && direct => (*path, *position),
                        _ => (file.path.as_str(), &package.position),
                    };
                    if reported.insert((path.to_owned(), position.line)) {
                        let transitive = lockfile && !direct;
                        out.push(violation(path, position, package, ban, version, transitive));
                    }
                    break;
                }
            }
        }
    }
}

fn violation(
    path: &str,
    position: &Position,
    package: &Package,
    ban: &Ban,
    version: Option<&str>,
    transitive: bool,
) -> Violation {
    let mut message = format!("banned {} package {}", package.ecosystem, package.name);
    if let Some(v) = version {
        message.push_str(&format!(" {v}"));
    }
    if let Some((range, _)) = &ban.spec.version {
        message.push_str(&format!(" (banned versions: {range})"));
    }
    if transitive {
        message.push_str(", a transitive dependency");
    }
    if let Some(reason) = &ban.reason {
        message.push_str(&format!(": {reason}"));
    }
    let help = match &ban.use_instead {
        Some(other) => format!("use {other} instead"),
        None if ban.spec.version.is_some() => {
            "update to a version outside the banned range".to_owned()
        }
        None => "remove the dependency".to_owned(),
    };
    Violation::file(path, message)
        .span(span(position))
        .help(help)
        .key(format!(
            "{}:{}@{}",
            package.ecosystem,
            package.name,
            version.unwrap_or("")
        ))
}

#[cfg(test)]
mod tests {
    use super::super::spec::VersionMatch;
    use crate::testing::{check, policy_error};
    use goldpath_manifests::Ecosystem;

    const POLICY: &str = r#"
[rules."deps/banned"]
packages = [
  { ecosystem = "cargo", name = "openssl", reason = "use rustls", use-instead = "rustls" },
  { ecosystem = "npm", name = "left-pad" },
  { ecosystem = "pypi", name = "requests", version = "<2.31", reason = "CVE-2023-32681" },
  { ecosystem = "go", name = "github.com/pkg/errors", reason = "use the standard errors package" },
  { ecosystem = "npm", name = "lodash", version = "<4.17.21" },
]
"#;

    fn got(findings: &[crate::Finding]) -> Vec<(String, u32, String)> {
        findings
            .iter()
            .filter(|f| f.rule == "deps/banned")
            .map(|f| {
                (
                    f.path.clone().unwrap_or_default(),
                    f.span.map_or(0, |s| s.line),
                    f.message.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn direct_at_the_manifest_transitive_at_the_lockfile() {
        let files = [
            ("Cargo.toml", "[package]\nname = \"app\"\n[dependencies]\nopenssl = \"0.10\"\n"),
            (
                "Cargo.lock",
                "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"openssl\"]\n\n[[package]]\nname = \"openssl\"\nversion = \"0.10.60\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            ),
            (
                "web/package-lock.json",
                "{\"lockfileVersion\": 3, \"packages\": {\n\"\": {\"dependencies\": {\"x\": \"1\"}},\n\"node_modules/x\": {\"version\": \"1.0.0\"},\n\"node_modules/left-pad\": {\"version\": \"1.3.0\"},\n\"node_modules/lodash\": {\"version\": \"4.17.20\"}\n}}",
            ),
            ("go.mod", "module m\n\nrequire github.com/pkg/errors v0.9.1\n"),
            ("requirements.txt", "requests==2.28.0\nflask\n"),
            ("uv.lock", "version = 1\n[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\nsource = { registry = \"https://pypi.org/simple\" }\n"),
        ];
        assert_eq!(
            got(&check(POLICY, &files)),
            [
                ("Cargo.toml".into(), 4, "banned cargo package openssl: use rustls".into()),
                ("go.mod".into(), 3, "banned go package github.com/pkg/errors: use the standard errors package".into()),
                ("requirements.txt".into(), 1, "banned pypi package requests 2.28.0 (banned versions: <2.31): CVE-2023-32681".into()),
                ("web/package-lock.json".into(), 4, "banned npm package left-pad 1.3.0, a transitive dependency".into()),
                ("web/package-lock.json".into(), 5, "banned npm package lodash 4.17.20 (banned versions: <4.17.21), a transitive dependency".into()),
            ]
        );
    }

    #[test]
    fn locked_direct_dependencies_are_reported_at_the_manifest_line() {
        let policy = "[rules.\"deps/banned\"]\npackages = [\n  { ecosystem = \"cargo\", name = \"openssl\", version = \"<0.10.55\" },\n  { ecosystem = \"npm\", name = \"left-pad\" },\n]\n";
        let files = [
            ("Cargo.toml", "[package]\nname = \"app\"\n[dependencies]\nopenssl = \"0.10\"\n"),
            (
                "Cargo.lock",
                "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"openssl\"]\n\n[[package]]\nname = \"openssl\"\nversion = \"0.10.50\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
            ),
            // yarn classic does not say what is direct: the package.json declaration does.
            ("web/package.json", "{\n  \"dependencies\": {\n    \"left-pad\": \"^1.3.0\"\n  }\n}"),
            ("web/yarn.lock", "left-pad@^1.3.0:\n  version \"1.3.0\"\n"),
        ];
        assert_eq!(
            got(&check(policy, &files)),
            [
                (
                    "Cargo.toml".into(),
                    4,
                    "banned cargo package openssl 0.10.50 (banned versions: <0.10.55)".into()
                ),
                (
                    "web/package.json".into(),
                    3,
                    "banned npm package left-pad".into()
                ),
            ]
        );
    }

    #[test]
    fn ranges_in_each_ecosystem() {
        let cases = [
            (Ecosystem::Cargo, ">=0.10, <0.10.55", "0.10.54", true),
            (Ecosystem::Cargo, ">=0.10, <0.10.55", "0.10.55", false),
            (Ecosystem::Npm, "1.x || >=2.1 <2.3", "2.2.0", true),
            (Ecosystem::Npm, "1.x || >=2.1 <2.3", "2.3.0", false),
            (Ecosystem::Npm, "1.0.0 - 1.2.0", "1.2.0", true),
            (Ecosystem::Npm, ">= 4 < 5", "4.9.0", true),
            (Ecosystem::Pypi, ">=1,<1.4", "1.3.9", true),
            (Ecosystem::Pypi, ">=1,<1.4", "1.4", false),
            (Ecosystem::Pypi, "==2.0.*", "2.0.7", true),
            (Ecosystem::Pypi, "~=1.2", "1.9", true),
            (Ecosystem::Pypi, "~=1.2", "2.0", false),
            (Ecosystem::Pypi, "<2.31", "2.31.0", false),
            (Ecosystem::Go, "v0.*", "v0.9.1", true),
            (Ecosystem::Go, "v0.9.1", "v0.9.10", false),
        ];
        for (ecosystem, range, version, expected) in cases {
            let m = VersionMatch::parse(ecosystem, range).unwrap();
            assert_eq!(
                m.matches(version),
                expected,
                "{ecosystem} {range} {version}"
            );
        }
        for (ecosystem, range) in [
            (Ecosystem::Cargo, ">=x"),
            (Ecosystem::Npm, "<<1"),
            (Ecosystem::Pypi, "2.31"),
            (Ecosystem::Pypi, "<2.*"),
            (Ecosystem::Go, "1.2"),
        ] {
            assert!(VersionMatch::parse(ecosystem, range).is_err(), "{range}");
        }
    }

    #[test]
    fn bad_ranges_and_ecosystems_are_policy_errors_at_their_position() {
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [\n  { ecosystem = \"pypi\", name = \"a\", version = \"2.31\" },\n]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((3, 48)),
            "{err}"
        );
        assert!(err.message.contains("invalid pypi version range"), "{err}");
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [{ ecosystem = \"maven\", name = \"a\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 28)),
            "{err}"
        );
    }
}
