//! Package specs in policies (`{ ecosystem, name, version? }`): the ecosystem, a name checked
//! against the ecosystem's rules, and a version range in the ecosystem's own syntax. A
//! malformed range, an invalid name, or a range that no version can satisfy is a policy error
//! at its line and column.

use goldpath_manifests::Ecosystem;

use crate::policy::{Origin, PolicyError};
use crate::rules::files::at_string;

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
    /// PEP 440 clauses, all of which must hold.
    Pep440(Vec<(Op, Vec<u64>, bool)>),
    /// Go: an exact version, or a prefix when written with a trailing `*`.
    Go { text: String, prefix: bool },
}

/// A PEP 440 comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Compatible,
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
            VersionMatch::Pep440(clauses) => {
                let mut candidates = vec![vec![0]];
                for (_, bound, _) in clauses {
                    candidates.push(bound.clone());
                    let mut next = bound.clone();
                    if let Some(last) = next.last_mut() {
                        *last = last.saturating_add(1);
                    }
                    candidates.push(next);
                    let mut longer = bound.clone();
                    longer.push(1);
                    candidates.push(longer);
                    let mut major = vec![bound.first().copied().unwrap_or(0).saturating_add(1)];
                    major.extend(std::iter::repeat_n(0, bound.len().saturating_sub(1)));
                    candidates.push(major);
                }
                candidates.iter().any(|v| {
                    clauses
                        .iter()
                        .all(|(op, bound, star)| holds(v, *op, bound, *star))
                })
            }
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
            Ecosystem::Pypi => range
                .split(',')
                .map(pep440_clause)
                .collect::<Result<_, _>>()
                .map(VersionMatch::Pep440),
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
            VersionMatch::Pep440(clauses) => {
                let Some(version) = release(version) else {
                    return false;
                };
                clauses
                    .iter()
                    .all(|(op, bound, star)| holds(&version, *op, bound, *star))
            }
            VersionMatch::Go { text, prefix } => {
                if *prefix {
                    version.starts_with(text.as_str())
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

fn pep440_clause(clause: &str) -> Result<(Op, Vec<u64>, bool), String> {
    let clause = clause.trim();
    let ops = [
        ("===", Op::Eq),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("~=", Op::Compatible),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let Some((op, rest)) = ops
        .iter()
        .find_map(|(text, op)| clause.strip_prefix(text).map(|rest| (*op, rest.trim())))
    else {
        return Err(format!(
            "`{clause}` must start with one of ==, !=, <, <=, >, >=, ~="
        ));
    };
    let (rest, star) = match rest.strip_suffix(".*") {
        Some(r) if matches!(op, Op::Eq | Op::Ne) => (r, true),
        Some(_) => return Err(format!("`.*` only goes with == and != in `{clause}`")),
        None => (rest, false),
    };
    let bound = release(rest).ok_or_else(|| format!("`{rest}` is not a version"))?;
    if op == Op::Compatible && bound.len() < 2 {
        return Err(format!(
            "`~=` needs at least two release numbers in `{clause}`"
        ));
    }
    Ok((op, bound, star))
}

/// The release numbers of a PEP 440 version (`1.2.3` of `v1.2.3rc1+local`); the epoch and
/// pre/post/dev parts are ignored.
fn release(version: &str) -> Option<Vec<u64>> {
    let version = version.trim().trim_start_matches(['v', 'V']);
    let version = version.split_once('!').map_or(version, |(_, v)| v);
    let mut numbers = Vec::new();
    for part in version.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        numbers.push(digits.parse().ok()?);
        if digits.len() != part.len() {
            break;
        }
    }
    (!numbers.is_empty()).then_some(numbers)
}

fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

fn holds(version: &[u64], op: Op, bound: &[u64], star: bool) -> bool {
    use std::cmp::Ordering::*;
    let prefix = || version.len() >= bound.len() && version[..bound.len()] == *bound;
    match op {
        Op::Eq if star => prefix(),
        Op::Ne if star => !prefix(),
        Op::Eq => compare(version, bound) == Equal,
        Op::Ne => compare(version, bound) != Equal,
        Op::Lt => compare(version, bound) == Less,
        Op::Le => compare(version, bound) != Greater,
        Op::Gt => compare(version, bound) == Greater,
        Op::Ge => compare(version, bound) != Less,
        Op::Compatible => {
            let head = &bound[..bound.len() - 1];
            compare(version, bound) != Less
                && version.len() >= head.len()
                && version[..head.len()] == *head
        }
    }
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
    }
}
