use goldpath_manifests::{Ecosystem, Package, Source};

use super::{parsed_files_of, span};
use crate::context::Context;
use crate::finding::Violation;
use crate::policy::{Params, PolicyError};
use crate::rule::{declare_rule, Rule};

declare_rule! {
    id: "deps/wildcard-version",
    summary: "Dependencies declared with `*`, `latest`, no version, or (optionally) no upper bound",
    level: Warning,
    tier: Gold,
    scope: PerFile,
    build: build,
    options: [
        {
            name: "unbounded",
            kind: "boolean",
            help: "Also report requirements with a lower bound only (`>=1.2`, `>1`), which \
                   accept every future major version. Default `false`.",
        },
        {
            name: "allow",
            kind: "array of strings",
            help: "Package names exempt from the rule (exact; Python names compared after \
                   PEP 503 normalisation). Default: none.",
        },
    ],
    what: "Each dependency a manifest declares from a registry (`Cargo.toml` dependency \
           tables, `package.json` dependency objects, `pyproject.toml` PEP 621 / PEP 735 / \
           Poetry lists, `requirements*.txt`) whose requirement accepts any version: `*`, \
           `x`, `latest`, `next` (npm dist-tags), an empty string, or a Python requirement \
           without a version specifier. The finding is at the dependency's line. Git, path \
           and URL dependencies, Cargo `workspace = true` entries (judged at the workspace \
           root) and Go modules (always exact) are not judged, nor are manifests in test \
           fixture directories that no workspace reaches (docs/deps.md).",
    why: "A wildcard lets the next install pick any release, including a new major version \
          with breaking changes or a hijacked release; the lockfile hides it only until \
          someone updates it. Registries such as crates.io reject wildcard requirements \
          for this reason.",
    example: "`\"left-pad\": \"*\"` in package.json and `requests` alone in \
              requirements.txt are reported; `\"left-pad\": \"^1.3.0\"` and \
              `requests>=2.31,<3` are not.",
    fix: "Declare the range you test against: a caret range (`^1.3`) for Cargo and npm, \
          a compatible release (`~=2.31`) or bounded range for Python.",
}

struct WildcardVersion {
    unbounded: bool,
    allow: Vec<String>,
}

fn build(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    Ok(Box::new(WildcardVersion {
        unbounded: params.take::<bool>("unbounded")?.unwrap_or(false),
        allow: params
            .take::<Vec<String>>("allow")?
            .unwrap_or_default()
            .iter()
            .map(|n| normalize_any(n))
            .collect(),
    }))
}

/// Lower-cased with `_`/`.` as `-`: PEP 503 for Python names, harmless for the others, which
/// are compared exactly after the same folding.
fn normalize_any(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Why a requirement accepts any version, or `None` when it does not.
pub(crate) fn wildcard(package: &Package, unbounded: bool) -> Option<&'static str> {
    if !matches!(package.source, Source::Registry(_)) || package.inherited {
        return None;
    }
    if package.ecosystem == Ecosystem::Go {
        return None;
    }
    let requirement = package.requirement.as_deref()?.trim();
    let any = match package.ecosystem {
        Ecosystem::Npm => matches!(requirement, "" | "*" | "x" | "X" | "latest" | "next"),
        Ecosystem::Cargo => matches!(requirement, "" | "*"),
        Ecosystem::Pypi => requirement.is_empty() || requirement == "*",
        Ecosystem::Go => false,
    };
    if any {
        return Some(if requirement.is_empty() {
            "no version requirement"
        } else {
            "a wildcard requirement"
        });
    }
    if unbounded && lower_bound_only(requirement) {
        return Some("a requirement without an upper bound");
    }
    None
}

/// `>=1`, `>1.2` (and npm `>=1 <2` is bounded; `>=1 || ^2` counts as unbounded).
fn lower_bound_only(requirement: &str) -> bool {
    requirement.split("||").any(|alternative| {
        let clauses: Vec<&str> = alternative
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        !clauses.is_empty()
            && clauses.iter().any(|c| c.starts_with('>'))
            && !clauses.iter().any(|c| {
                c.starts_with('<')
                    || c.starts_with("==")
                    || c.starts_with("~")
                    || c.starts_with('^')
                    || c.starts_with('=')
            })
    })
}

impl Rule for WildcardVersion {
    fn wants(&self) -> Vec<String> {
        super::wants()
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for (file, parsed) in parsed_files_of(cx, |kind| !kind.is_lockfile()) {
            let Ok(manifest) = parsed.as_ref() else {
                continue;
            };
            if manifest.kind.is_lockfile() {
                continue;
            }
            for package in &manifest.packages {
                let Some(why) = wildcard(package, self.unbounded) else {
                    continue;
                };
                if self.allow.contains(&normalize_any(&package.name)) {
                    continue;
                }
                let shown = match package.requirement.as_deref() {
                    Some("") | None => String::new(),
                    Some(r) => format!(" `{r}`"),
                };
                out.push(
                    Violation::file(
                        &file.path,
                        format!(
                            "{} dependency `{}` has {why}{shown}",
                            package.ecosystem, package.name
                        ),
                    )
                    .span(span(&package.position))
                    .help("declare a bounded range you test against, such as `^1.2` or `~=1.2`")
                    .key(format!("{}:{}", package.ecosystem, package.name)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::check;

    const POLICY: &str = "[rules.\"deps/wildcard-version\"]\n";

    fn got(findings: &[crate::Finding]) -> Vec<(String, u32, String)> {
        findings
            .iter()
            .filter(|f| f.rule == "deps/wildcard-version")
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
    fn reports_wildcards_at_their_line() {
        let files = [
            (
                "package.json",
                "{\n  \"dependencies\": {\n    \"a\": \"*\",\n    \"b\": \"^1\",\n    \"c\": \"latest\",\n    \"d\": \"github:x/d\"\n  }\n}",
            ),
            ("Cargo.toml", "[dependencies]\nserde = \"*\"\nlog = \"0.4\"\nshared = { workspace = true }\n"),
            ("requirements.txt", "requests\nflask>=2\n-e ./local\n"),
            ("go.mod", "module m\nrequire a.b/c v1.0.0\n"),
        ];
        assert_eq!(
            got(&check(POLICY, &files)),
            [
                (
                    "Cargo.toml".into(),
                    2,
                    "cargo dependency `serde` has a wildcard requirement `*`".into()
                ),
                (
                    "package.json".into(),
                    3,
                    "npm dependency `a` has a wildcard requirement `*`".into()
                ),
                (
                    "package.json".into(),
                    5,
                    "npm dependency `c` has a wildcard requirement `latest`".into()
                ),
                (
                    "requirements.txt".into(),
                    1,
                    "pypi dependency `requests` has no version requirement".into()
                ),
            ]
        );
    }

    #[test]
    fn unbounded_and_allow_options() {
        let policy =
            "[rules.\"deps/wildcard-version\"]\nunbounded = true\nallow = [\"Requests\"]\n";
        let files = [(
            "requirements.txt",
            "requests\nflask>=2\ndjango>=4,<5\nattrs~=23.1\n",
        )];
        let findings = got(&check(policy, &files));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].1, 2);
        assert!(findings[0].2.contains("without an upper bound"));
    }
}
