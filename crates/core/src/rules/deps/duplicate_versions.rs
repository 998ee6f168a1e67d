use std::collections::HashMap;

use goldpath_manifests::{FileKind, Package};

use super::spec::fold;
use super::{parsed_files_of, span};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/duplicate-versions",
    summary: "A lockfile holds several versions of the same package",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "max-versions",
            kind: "integer",
            help: "How many versions of one package a lockfile may hold before it is \
                   reported. Default 1 (any duplicate is reported); 2 tolerates one \
                   transition between major versions.",
        },
        {
            name: "allow",
            kind: "array of strings",
            help: "Package names exempt from the rule (exact; Python names compared after \
                   PEP 503 normalisation), such as crates that are known to be duplicated \
                   across the ecosystem (`windows-sys`, `syn`). Default: none.",
        },
    ],
    what: "In each lockfile (`Cargo.lock`, `package-lock.json`, `npm-shrinkwrap.json`, \
           `pnpm-lock.yaml`, `yarn.lock`, `poetry.lock`, `uv.lock`), a package locked at \
           more distinct versions than `max-versions` is reported once, at the lockfile \
           entry of its second version, with every version listed. `go.sum` is not \
           judged: it records every version that took part in version selection, while a \
           Go build uses one version of each module.",
    why: "Each extra copy of a package is compiled or shipped again: longer builds, larger \
          bundles, and for some packages (React, serde traits, global registries) subtle \
          bugs where two copies do not recognise each other's types or state. A \
          duplicate usually means one dependency lags behind and can be updated.",
    example: "A Cargo.lock holding `syn 1.0.109` and `syn 2.0.60` is reported at the \
              entry of `syn 2.0.60`: `cargo package syn is locked at 2 versions: \
              1.0.109, 2.0.60`.",
    fix: "Update the dependencies that pull in the older version (`cargo tree -d`, \
          `npm ls NAME`, `pnpm why NAME`, `yarn why NAME`, `uv tree --invert NAME`), \
          dedupe (`npm dedupe`, `pnpm dedupe`, `yarn dedupe`), or allow the package when \
          the duplicate is expected.",
}

struct DuplicateVersions {
    max: usize,
    allow: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let (max, origin) = match params.take_with_origin::<i64>("max-versions")? {
        Some((max, origin)) => (max, Some(origin)),
        None => (1, None),
    };
    let max = match (usize::try_from(max), origin) {
        (Ok(max), _) if max >= 1 => max,
        (_, Some(origin)) => {
            return Err(origin.error(format!("`max-versions` must be at least 1, not {max}")))
        }
        _ => 1,
    };
    Ok(Box::new(DuplicateVersions {
        max,
        allow: params.take::<Vec<String>>("allow")?.unwrap_or_default(),
    }))
}

impl Rule for DuplicateVersions {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        let lockfiles = |kind: FileKind| kind.is_lockfile() && kind != FileKind::GoSum;
        for (file, parsed) in parsed_files_of(cx, lockfiles) {
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            if !manifest.kind.is_lockfile() || manifest.kind == FileKind::GoSum {
                continue;
            }
            // name -> distinct versions in file order, with the first package of each.
            let mut by_name: HashMap<String, Vec<(&str, &Package)>> = HashMap::new();
            let mut order = Vec::new();
            for package in &manifest.packages {
                let Some(version) = package.version.as_deref() else {
                    continue;
                };
                let name = fold(package.ecosystem, &package.name);
                let versions = by_name.entry(name.clone()).or_insert_with(|| {
                    order.push(name);
                    Vec::new()
                });
                if !versions.iter().any(|(v, _)| *v == version) {
                    versions.push((version, package));
                }
            }
            for name in order {
                let versions = &by_name[&name];
                if versions.len() <= self.max
                    || self
                        .allow
                        .iter()
                        .any(|a| fold(versions[0].1.ecosystem, a) == name)
                {
                    continue;
                }
                let (_, second) = versions[1];
                let list: Vec<&str> = versions.iter().map(|(v, _)| *v).collect();
                out.push(
                    Violation::file(
                        &file.path,
                        format!(
                            "{} package {} is locked at {} versions: {}",
                            second.ecosystem,
                            second.name,
                            versions.len(),
                            list.join(", ")
                        ),
                    )
                    .span(span(&second.position))
                    .help(
                        "update the dependencies that pull in the other versions, or dedupe \
                         the lockfile",
                    )
                    .key(format!("{}:{}", second.ecosystem, name)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{check, policy_error};

    const LOCK: &str = "version = 4\n\n[[package]]\nname = \"syn\"\nversion = \"1.0.109\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"syn\"\nversion = \"2.0.60\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"log\"\nversion = \"0.4.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    const NPM: &str = "{\"lockfileVersion\": 3, \"packages\": {\n\"\": {},\n\"node_modules/a\": {\"version\": \"1.0.0\"},\n\"node_modules/b/node_modules/a\": {\"version\": \"2.0.0\"},\n\"node_modules/c/node_modules/a\": {\"version\": \"1.0.0\"},\n\"node_modules/d/node_modules/a\": {\"version\": \"3.0.0\"}\n}}";

    fn got(policy: &str) -> Vec<(String, u32, String)> {
        check(
            policy,
            &[
                ("Cargo.lock", LOCK),
                ("web/package-lock.json", NPM),
                ("go.sum", "a.b/c v1.0.0 h1:x=\na.b/c v1.1.0 h1:y=\n"),
            ],
        )
        .iter()
        .filter(|f| f.rule == "deps/duplicate-versions")
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
    fn reports_each_duplicated_package_once_at_its_second_version() {
        assert_eq!(
            got("[rules.\"deps/duplicate-versions\"]\n"),
            [
                (
                    "Cargo.lock".into(),
                    9,
                    "cargo package syn is locked at 2 versions: 1.0.109, 2.0.60".into()
                ),
                (
                    "web/package-lock.json".into(),
                    4,
                    "npm package a is locked at 3 versions: 1.0.0, 2.0.0, 3.0.0".into()
                ),
            ]
        );
    }

    #[test]
    fn threshold_and_allow() {
        let findings =
            got("[rules.\"deps/duplicate-versions\"]\nmax-versions = 2\nallow = [\"syn\"]\n");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].0, "web/package-lock.json");
        assert!(got("[rules.\"deps/duplicate-versions\"]\nmax-versions = 3\n").is_empty());
        let err = policy_error("[rules.\"deps/duplicate-versions\"]\nmax-versions = 0\n");
        assert_eq!(err.location.as_ref().map(|l| l.line), Some(2), "{err}");
    }
}
