//! Package specs in policies (`{ ecosystem, name, version? }`): the ecosystem, a name checked
//! against the ecosystem's rules, and a version range in the ecosystem's own syntax. A
//! malformed range, an invalid name, or a range that no version can satisfy is a policy error
//! at its line and column.

use goldpath_manifests::Ecosystem;

use crate::policy::options::at_string;
use crate::policy::{Origin, PolicyError};

/// A validated package spec.
pub(crate) struct PackageSpec {
    pub(crate) ecosystem: Ecosystem,
    /// The name as compared ([`fold`]ed).
    pub(crate) name: String,
    /// The range as written, and its matcher.
    pub(crate) version: Option<(String, VersionMatch)>,
}

impl PackageSpec {
    /// Validates a spec written at `origin` (the entry's table).
    pub(crate) fn parse(
        ecosystem: &str,
        name: &str,
        version: Option<&str>,
        origin: &Origin,
    ) -> Result<Self, PolicyError> {
        let ecosystem_name = ecosystem;
        let ecosystem = Ecosystem::from_name(ecosystem).ok_or_else(|| {
            at_string(origin, ecosystem_name).error(format!(
                "unknown ecosystem `{ecosystem_name}`: expected cargo, npm, go or pypi"
            ))
        })?;
        check_name(ecosystem, name).map_err(|e| {
            at_string(origin, name).error(format!("invalid {ecosystem} package name `{name}`: {e}"))
        })?;
        let version = match version {
            Some(range) => {
                let matcher = VersionMatch::parse(ecosystem, range).map_err(|e| {
                    at_string(origin, range)
                        .error(format!("invalid {ecosystem} version range `{range}`: {e}"))
                })?;
                Some((range.to_owned(), matcher))
            }
            None => None,
        };
        Ok(PackageSpec {
            ecosystem,
            name: fold(ecosystem, name),
            version,
        })
    }

    /// Whether a package (its name already [`fold`]ed) at `version` is covered; without a
    /// range any version is, with one only a known version in it.
    pub(crate) fn matches(&self, ecosystem: Ecosystem, name: &str, version: Option<&str>) -> bool {
        self.ecosystem == ecosystem
            && self.name == name
            && match (&self.version, version) {
                (None, _) => true,
                (Some((_, range)), Some(v)) => range.matches(v),
                (Some(_), None) => false,
            }
    }
}

/// Python names after PEP 503 normalisation; others as written.
pub(crate) fn fold(ecosystem: Ecosystem, name: &str) -> String {
    if ecosystem == Ecosystem::Pypi {
        let mut out = String::new();
        for part in name
            .to_ascii_lowercase()
            .split(['-', '_', '.'])
            .filter(|p| !p.is_empty())
        {
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(part);
        }
        out
    } else {
        name.to_owned()
    }
}

/// A name that the ecosystem's registry could hold; otherwise the spec could never match.
fn check_name(ecosystem: Ecosystem, name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("empty name".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Err("names contain no whitespace".into());
    }
    let ok = match ecosystem {
        Ecosystem::Cargo => name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        Ecosystem::Npm => {
            let bare = match name.strip_prefix('@') {
                Some(scoped) => match scoped.split_once('/') {
                    Some((scope, rest)) if !scope.is_empty() && !rest.is_empty() => rest,
                    _ => return Err("a scoped name is `@scope/name`".into()),
                },
                None => name,
            };
            !bare.contains('/') && !bare.starts_with(['.', '_'])
        }
        Ecosystem::Pypi => name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
        Ecosystem::Go => !name.starts_with('/') && !name.contains("//"),
    };
    if ok {
        Ok(())
    } else {
        Err(match ecosystem {
            Ecosystem::Cargo => "crate names are ASCII letters, digits, `-` and `_`",
            Ecosystem::Npm => "npm names are `name` or `@scope/name`",
            Ecosystem::Pypi => "PyPI names are ASCII letters, digits, `-`, `_` and `.`",
            Ecosystem::Go => "a module path such as `github.com/owner/repo`",
        }
        .into())
    }
}

/// A version range in one ecosystem's syntax.
pub(crate) enum VersionMatch {
    /// Alternatives (npm `||`), each a Cargo-syntax requirement.
    Semver(Vec<semver::VersionReq>),
    /// PEP 440 specifiers, all of which must hold, and the operands of its `===` clauses
    /// (arbitrary equality: the version's text, case aside, whether or not it is PEP 440).
    Pep440 {
        specifiers: pep440_rs::VersionSpecifiers,
        arbitrary: Vec<String>,
    },
    /// Go: an exact version, or with a trailing `*` a prefix that ends at a component boundary.
    Go { text: String, prefix: bool },
}

impl VersionMatch {
    /// Parses a range, which must be well formed and satisfiable by some version.
    pub(crate) fn parse(ecosystem: Ecosystem, range: &str) -> Result<Self, String> {
        let matcher = Self::parse_syntax(ecosystem, range)?;
        if !matcher.satisfiable() {
            return Err("no version can satisfy it, so the spec can never match".to_owned());
        }
        Ok(matcher)
    }

    /// Whether some version lies in the range: probes the versions the range is made of and
    /// their successors (the lowest point of a non-empty intersection is one of them).
    fn satisfiable(&self) -> bool {
        match self {
            VersionMatch::Semver(alternatives) => {
                let mut candidates = vec![semver::Version::new(0, 0, 0)];
                for comparator in alternatives.iter().flat_map(|r| &r.comparators) {
                    let (major, minor, patch) = (
                        comparator.major,
                        comparator.minor.unwrap_or(0),
                        comparator.patch.unwrap_or(0),
                    );
                    let mut base = semver::Version::new(major, minor, patch);
                    candidates.push(base.clone());
                    base.pre = comparator.pre.clone();
                    candidates.push(base);
                    candidates.push(semver::Version::new(major, minor, patch.saturating_add(1)));
                    candidates.push(semver::Version::new(major, minor.saturating_add(1), 0));
                    candidates.push(semver::Version::new(major.saturating_add(1), 0, 0));
                }
                candidates
                    .iter()
                    .any(|v| alternatives.iter().any(|r| r.matches(v)))
            }
            VersionMatch::Pep440 {
                specifiers,
                arbitrary,
            } => match arbitrary.first() {
                // Only that text can match.
                Some(text) => self.matches(text),
                None => pep440_candidates(specifiers)
                    .iter()
                    .any(|v| pep440_contains(specifiers, v)),
            },
            VersionMatch::Go { .. } => true,
        }
    }

    fn parse_syntax(ecosystem: Ecosystem, range: &str) -> Result<Self, String> {
        let range = range.trim();
        if range.is_empty() {
            return Err("empty range".to_owned());
        }
        match ecosystem {
            Ecosystem::Cargo => semver::VersionReq::parse(range)
                .map(|r| VersionMatch::Semver(vec![r]))
                .map_err(|e| e.to_string()),
            Ecosystem::Npm => range
                .split("||")
                .map(|alternative| {
                    semver::VersionReq::parse(&npm_to_cargo(alternative)).map_err(|e| e.to_string())
                })
                .collect::<Result<_, _>>()
                .map(VersionMatch::Semver),
            Ecosystem::Pypi => {
                // `===` takes any text, which pep440_rs would parse as a version.
                let (arbitrary, rest): (Vec<&str>, Vec<&str>) = range
                    .split(',')
                    .map(str::trim)
                    .partition(|clause| clause.starts_with("==="));
                let arbitrary = arbitrary
                    .iter()
                    .map(|clause| clause.trim_start_matches("===").trim())
                    .map(|text| match text {
                        "" => Err(format!("`==={text}` needs a version after it")),
                        _ => Ok(text.to_owned()),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let specifiers = if rest.is_empty() {
                    pep440_rs::VersionSpecifiers::empty()
                } else {
                    rest.join(",")
                        .parse::<pep440_rs::VersionSpecifiers>()
                        .map_err(|e| {
                            // The first line: the rest draws carets under the text, which the
                            // policy error's own line and column already point at.
                            let text = e.to_string();
                            let first = text.lines().next().unwrap_or_default();
                            first
                                .trim_start_matches("Failed to parse version: ")
                                .trim_end_matches(':')
                                .to_owned()
                        })?
                };
                Ok(VersionMatch::Pep440 {
                    specifiers,
                    arbitrary,
                })
            }
            Ecosystem::Go => {
                let prefix = range.ends_with('*');
                let text = range.trim_end_matches('*').to_owned();
                if !text.starts_with('v') || text.contains(char::is_whitespace) {
                    return Err(
                        "expected a version such as `v1.2.3` or a prefix such as `v1.*`".into(),
                    );
                }
                Ok(VersionMatch::Go { text, prefix })
            }
        }
    }

    /// Whether an exact version lies in the range; versions that do not parse never do.
    pub(crate) fn matches(&self, version: &str) -> bool {
        match self {
            VersionMatch::Semver(alternatives) => {
                let Ok(version) = semver::Version::parse(version.trim_start_matches(['v', '=']))
                else {
                    return false;
                };
                alternatives.iter().any(|r| r.matches(&version))
            }
            // A locked or installed version is "already present on the system", so PEP 440's
            // exclusion of pre-releases does not apply (packaging's `contains` agrees).
            VersionMatch::Pep440 {
                specifiers,
                arbitrary,
            } => {
                arbitrary
                    .iter()
                    .all(|text| text.eq_ignore_ascii_case(version))
                    && (specifiers.is_empty()
                        || version
                            .trim()
                            .parse::<pep440_rs::Version>()
                            .is_ok_and(|v| pep440_contains(specifiers, &v)))
            }
            VersionMatch::Go { text, prefix } => {
                if *prefix {
                    // `v1*` is major 1: `v1.2.3`, `v1.0.0-rc1`, not `v10.0.0`.
                    version.strip_prefix(text.as_str()).is_some_and(|rest| {
                        text == "v"
                            || text.ends_with(['.', '-', '+'])
                            || rest.is_empty()
                            || rest.starts_with(['.', '-', '+'])
                    })
                } else {
                    version == text
                }
            }
        }
    }
}

/// npm range syntax (space-separated comparators, `a - b` hyphen ranges) as Cargo's.
fn npm_to_cargo(alternative: &str) -> String {
    let alternative = alternative.trim();
    if let Some((low, high)) = alternative.split_once(" - ") {
        return format!(">={}, <={}", low.trim(), high.trim());
    }
    if alternative.is_empty() {
        return "*".to_owned();
    }
    // `>= 1.2` is one comparator: glue operators to their versions first.
    let mut tokens: Vec<String> = Vec::new();
    for token in alternative.split_whitespace() {
        match tokens.last_mut() {
            Some(last) if last.chars().all(|c| "<>=~^".contains(c)) => last.push_str(token),
            _ => tokens.push(token.to_owned()),
        }
    }
    // A bare version is exact in npm (`1.2.3`), or a prefix when partial (`1.2` is 1.2.x):
    // Cargo's `=` means both, where a bare Cargo version would mean a caret range.
    for token in &mut tokens {
        let bare = token.trim_start_matches(['v', '=']);
        if bare.starts_with(|c: char| c.is_ascii_digit()) && !bare.contains(['x', 'X', '*']) {
            *token = format!("={bare}");
        } else {
            // `>=v1.2`: npm allows a `v` before the version.
            let op = token.len() - token.trim_start_matches(['<', '>', '=', '~', '^']).len();
            if op > 0 && token[op..].starts_with('v') {
                *token = format!("{}{}", &token[..op], &token[op + 1..]);
            }
        }
    }
    tokens.join(", ")
}

/// Whether `version` meets every specifier, as pypa `packaging` decides it. pep440_rs 0.7.3
/// keeps every pre-release of V out of `<V` even when V is itself a pre-release (`<2.0rc1`
/// then refuses `2.0a1`); PEP 440 excludes them only when V is not a pre-release, which
/// `packaging` and this follow.
fn pep440_contains(
    specifiers: &pep440_rs::VersionSpecifiers,
    version: &pep440_rs::Version,
) -> bool {
    specifiers.iter().all(|specifier| {
        if *specifier.operator() == pep440_rs::Operator::LessThan
            && specifier.version().any_prerelease()
        {
            version < specifier.version()
        } else {
            specifier.contains(version)
        }
    })
}

/// Versions to probe a PEP 440 range with: those it names, their neighbours (a post-release,
/// the next release at each length) and `0`. A range that holds none of them is empty.
fn pep440_candidates(specifiers: &pep440_rs::VersionSpecifiers) -> Vec<pep440_rs::Version> {
    use pep440_rs::Version;
    let mut candidates = vec![Version::new([0])];
    for specifier in specifiers.iter() {
        let version = specifier.version();
        let release = version.release();
        let mut next = release.to_vec();
        if let Some(last) = next.last_mut() {
            *last = last.saturating_add(1);
        }
        let mut longer = release.to_vec();
        longer.push(1);
        let major = vec![release.first().copied().unwrap_or(0).saturating_add(1)];
        candidates.push(version.clone());
        candidates.push(version.clone().without_local());
        candidates.push(
            version
                .clone()
                .without_local()
                .with_post(Some(version.post().map_or(0, |p| p.saturating_add(1)))),
        );
        for release in [next, longer, major] {
            candidates.push(Version::new(release).with_epoch(version.epoch()));
        }
    }
    candidates
}

#[cfg(test)]
mod tests {
    use super::VersionMatch;
    use crate::testing::policy_error;
    use goldpath_manifests::Ecosystem;

    #[test]
    fn npm_bare_versions_are_exact_or_prefixes() {
        let exact = VersionMatch::parse(Ecosystem::Npm, "4.17.20").unwrap();
        assert!(exact.matches("4.17.20") && !exact.matches("4.17.21"));
        let minor = VersionMatch::parse(Ecosystem::Npm, "1.2").unwrap();
        assert!(minor.matches("1.2.9") && !minor.matches("1.3.0"));
        let v = VersionMatch::parse(Ecosystem::Npm, ">=v1.2 <2").unwrap();
        assert!(v.matches("1.5.0") && !v.matches("2.0.0"));
        // Cargo's bare version stays a caret range.
        let caret = VersionMatch::parse(Ecosystem::Cargo, "1.2").unwrap();
        assert!(caret.matches("1.9.0"));
    }

    /// PEP 440 matching, checked against pypa `packaging`. The expected column was generated
    /// with packaging 26.4 by `SpecifierSet(spec).contains(version)`, which for every row gives
    /// the same answer as `contains(version, installed=True)` (the same call in packaging
    /// 22-25): a version that is locked or installed is "already present on the system", so
    /// PEP 440 lets it match even when it is a pre-release. The script:
    ///
    /// ```text
    /// from packaging.specifiers import SpecifierSet
    /// for spec, version in CASES:
    ///     s = SpecifierSet(spec)
    ///     assert s.contains(version) == s.contains(version, installed=True)
    ///     print(spec, version, s.contains(version))
    /// ```
    const PEP440_CASES: &[(&str, &str, bool)] = &[
        (">=2.0", "2.0", true),
        (">=2.0", "2.0rc1", false),
        (">=2.0", "2.0.post1", true),
        (">=2.0", "2.1rc1", true),
        (">=2.0", "1.9", false),
        (">=2.0", "2.0+local", true),
        (">=2.0", "1!1.0", true),
        ("==2.0", "2.0", true),
        ("==2.0", "2.0.0", true),
        ("==2.0", "2.0.post1", false),
        ("==2.0", "2.0+local", true),
        ("==2.0", "2.0rc1", false),
        ("==2.0", "1!2.0", false),
        ("<=1.0", "1.0", true),
        ("<=1.0", "1.0.post1", false),
        ("<=1.0", "1.0rc1", true),
        ("<=1.0", "1.0+local", true),
        ("<=1.0", "0.9.dev1", true),
        (">1.0", "1.0.post1", false),
        (">1.0", "1.0.1", true),
        (">1.0", "1.0+local", false),
        (">1.0", "1.1.dev0", true),
        (">1.0", "1!0.1", true),
        ("<2.0", "2.0rc1", false),
        ("<2.0", "2.0.dev0", false),
        ("<2.0", "1.9.post1", true),
        ("<2.0", "1.99", true),
        ("<2.0", "2.0", false),
        ("<2.0rc1", "2.0a1", true),
        ("<2.0rc1", "2.0rc1", false),
        ("<2.0rc1", "2.0.dev0", true),
        ("<2.0rc1", "1.9", true),
        (">1.0.post1", "1.0.post2", true),
        (">1.0.post1", "1.0.post1", false),
        (">1.0.post1", "1.0.1", true),
        ("!=1.0", "1.0", false),
        ("!=1.0", "1.0.0", false),
        ("!=1.0", "1.0.post1", true),
        ("!=1.0", "1.0+local", false),
        ("!=1.0", "1.1", true),
        ("~=1.4.2", "1.4.2", true),
        ("~=1.4.2", "1.4.10", true),
        ("~=1.4.2", "1.5.0", false),
        ("~=1.4.2", "1.4.2rc1", false),
        ("~=1.4.2", "1.4.1", false),
        ("~=1.4", "1.4", true),
        ("~=1.4", "1.9.9", true),
        ("~=1.4", "2.0", false),
        ("~=1.4", "1.4rc1", false),
        ("~=1.4", "1!1.5", false),
        ("===1.0", "1.0", true),
        ("===1.0", "1.0.0", false),
        ("===1.0", "v1.0", false),
        ("===1.0", "1.0+local", false),
        ("===1.0+abc", "1.0+abc", true),
        ("===1.0+abc", "1.0", false),
        ("==1.*", "1.0", true),
        ("==1.*", "1.9.3", true),
        ("==1.*", "2.0", false),
        ("==1.*", "1.0rc1", true),
        ("==1.*", "1!1.0", false),
        ("==1.*", "1", true),
        ("==1.4.*", "1.4", true),
        ("==1.4.*", "1.4.0.1", true),
        ("==1.4.*", "1.40", false),
        ("==1.4.*", "1.4.post1", true),
        ("==1.4.*", "1.4+local", true),
        ("!=1.*", "1.0", false),
        ("!=1.*", "2.0", true),
        ("!=1.*", "0.9", true),
        ("!=1.*", "1.5rc1", false),
        ("!=2.0.*", "2.0.1", false),
        ("!=2.0.*", "2.1", true),
        ("!=2.0.*", "2.0.dev0", false),
        ("==1.0+local", "1.0+local", true),
        ("==1.0+local", "1.0", false),
        ("==1.0+local", "1.0+other", false),
        (">=1!1.0", "1!1.0", true),
        (">=1!1.0", "2.0", false),
        (">=1!1.0", "1!0.5", false),
        (">=1!1.0", "2!0.1", true),
        ("<=1!2.0", "1!2.0", true),
        ("<=1!2.0", "3.0", true),
        ("<=1!2.0", "1!2.0.post1", false),
        (">=1.0,<2.0", "1.5", true),
        (">=1.0,<2.0", "2.0", false),
        (">=1.0,<2.0", "2.0rc1", false),
        (">=1.0,<2.0", "1.0rc1", false),
        (">=1.0,<2.0", "1.0", true),
        (">=1.0,!=1.5.*", "1.5.2", false),
        (">=1.0,!=1.5.*", "1.6", true),
        (">=1.0,!=1.5.*", "1.5", false),
        (">=1.0a1", "1.0a1", true),
        (">=1.0a1", "1.0a2", true),
        (">=1.0a1", "1.0.dev0", false),
        (">=1.0a1", "1.0", true),
        ("==2.0rc1", "2.0rc1", true),
        ("==2.0rc1", "2.0c1", true),
        ("==2.0rc1", "2.0.rc1", true),
        ("==2.0rc1", "2.0", false),
        (">=1.0.dev0", "1.0.dev0", true),
        (">=1.0.dev0", "1.0a1", true),
        (">=1.0.dev0", "0.9", false),
        ("<1.0.post1", "1.0", true),
        ("<1.0.post1", "1.0.post0", true),
        ("<1.0.post1", "1.0.post1.dev0", false),
        ("<2.0rc1,!=1.9+local", "1.9+local", false),
        ("<2.0rc1,!=1.9+local", "2.0a1.dev0", true),
        ("<2.0rc1,!=1.9+local", "2.0rc1.post1", false),
        ("<1!2.0rc1", "2.0a1", true),
        ("<1!2.0rc1", "1!2.0b1", true),
        ("<=2.0rc1", "2.0rc1+l", true),
        ("<=2.0rc1", "2.0rc1.post1", false),
        (">2.0rc1", "2.0rc1.post1", false),
        (">2.0rc1", "2.0rc2", true),
        (">2.0rc1", "2.0", true),
        ("~=2.0rc1", "2.0rc2", true),
        ("~=2.0rc1", "2.0", true),
        ("~=2.0rc1", "3.0", false),
        ("~=2.0", "2.1rc1", true),
        ("~=2.0", "2.0.dev1", false),
        ("===foobar", "foobar", true),
        ("===foobar", "FooBar", true),
        ("===foobar", "foobar1", false),
        ("===1.0RC1", "1.0rc1", true),
        ("===1.0RC1", "1.0RC1", true),
        ("===1.0RC1", "1.0c1", false),
        ("===1.0,>=0.5", "1.0", true),
        ("===1.0,>=1.5", "1.0", false),
    ];

    #[test]
    fn pep440_matches_as_packaging_does() {
        let mut wrong = Vec::new();
        for (spec, version, expected) in PEP440_CASES {
            // Matching alone: `===1.0,>=1.5` is a policy error (it can never match).
            let m = VersionMatch::parse_syntax(Ecosystem::Pypi, spec)
                .unwrap_or_else(|e| panic!("{spec}: {e}"));
            if m.matches(version) != *expected {
                wrong.push(format!("{spec} {version}: packaging says {expected}"));
            }
        }
        assert!(PEP440_CASES.len() >= 60);
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn go_prefixes_end_at_a_component_boundary() {
        for (range, version, expected) in [
            ("v1*", "v1.2.3", true),
            ("v1*", "v10.0.0", false),
            ("v1*", "v1", true),
            ("v1*", "v1.0.0-rc1", true),
            ("v1*", "v2.0.0", false),
            ("v1.2*", "v1.2.9", true),
            ("v1.2*", "v1.20.0", false),
            ("v1.*", "v1.0.0", true),
            ("v1.*", "v10.0.0", false),
            ("v2*", "v2.0.0+incompatible", true),
            ("v*", "v0.1.0", true),
            ("v1.2.3", "v1.2.3", true),
            ("v1.2.3", "v1.2.30", false),
        ] {
            let m = VersionMatch::parse(Ecosystem::Go, range).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(m.matches(version), expected, "{range} {version}");
        }
    }

    #[test]
    fn ranges_that_can_never_match_are_rejected() {
        for (ecosystem, range) in [
            (Ecosystem::Cargo, ">=2, <1"),
            (Ecosystem::Cargo, "=1.2.3, =1.2.4"),
            (Ecosystem::Npm, ">2.0.0 <2.0.0 || >=5 <4"),
            (Ecosystem::Pypi, ">=2,<1.5"),
            (Ecosystem::Pypi, "==1.0,!=1.0"),
        ] {
            let e = VersionMatch::parse(ecosystem, range).err();
            assert!(
                e.as_deref().is_some_and(|e| e.contains("never match")),
                "{ecosystem} {range}: {e:?}"
            );
        }
        for (ecosystem, range) in [
            (Ecosystem::Cargo, ">1.2.3, <1.2.5"),
            (Ecosystem::Cargo, ">=1.0.0-alpha, <1.0.0"),
            (Ecosystem::Npm, ">0.9 <1"),
            (Ecosystem::Pypi, ">0.9,<1.0"),
            (Ecosystem::Pypi, "~=1.2,!=1.2"),
            (Ecosystem::Pypi, "!=1.0"),
        ] {
            assert!(
                VersionMatch::parse(ecosystem, range).is_ok(),
                "{ecosystem} {range}"
            );
        }
    }

    #[test]
    fn policy_errors_at_the_value() {
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [\n  { ecosystem = \"cargo\", name = \"x\", version = \">=2, <1\" },\n]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((3, 49)),
            "{err}"
        );
        assert!(err.message.contains("never match"), "{err}");
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [{ ecosystem = \"npm\", name = \"Bad Name\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 42)),
            "{err}"
        );
        assert!(err.message.contains("invalid npm package name"), "{err}");
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [{ ecosystem = \"cargo\", name = \"a.b\" }]\n",
        );
        assert!(err.message.contains("crate names"), "{err}");
        let err = policy_error(
            "[rules.\"deps/banned\"]\npackages = [{ ecosystem = \"pypi\", name = \"a\", version = \">=1 <2\" }]\n",
        );
        assert_eq!(
            err.location.as_ref().map(|l| (l.line, l.column)),
            Some((2, 58)),
            "{err}"
        );
        assert_eq!(
            err.message,
            "invalid pypi version range `>=1 <2`: Trailing `<2` is not allowed"
        );
    }
}
