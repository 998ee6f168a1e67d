//! Versions of actions as `uses:` refs and their comments write them: `v4`, `v4.1`, `v4.1.7`,
//! `1.2.3`, and `# v4.1.7` after a commit SHA. No network: a SHA without such a comment has no
//! version here.

use std::cmp::Ordering;

use super::github::RemoteRef;
use super::{is_full_sha, Scalar, Text};

/// A version with up to three numeric components; the missing ones are `None` (`v4` is
/// `4.None.None`: a floating tag that moves to the newest `4.x.y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The components: major, minor, patch.
    pub parts: [Option<u64>; 3],
}

impl Version {
    /// Parses `v1`, `v1.2`, `1.2.3`, `v1.2.3-beta` (the pre-release is ignored). `None` for
    /// anything else (`main`, `latest`, `release/v1`).
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(text);
        let core = text.split(['-', '+']).next().unwrap_or(text);
        let mut parts = [None; 3];
        let mut count = 0;
        for (i, part) in core.split('.').enumerate() {
            if i >= 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = Some(part.parse().ok()?);
            count += 1;
        }
        (count > 0).then_some(Version { parts })
    }

    /// Whether every component is written (`1.2.3`, not the floating `v1`).
    pub fn is_exact(&self) -> bool {
        self.parts.iter().all(Option::is_some)
    }

    /// The newest version this one can denote: missing components are unbounded.
    pub fn newest(&self) -> [u64; 3] {
        self.parts.map(|p| p.unwrap_or(u64::MAX))
    }

    /// The oldest version this one can denote: missing components are 0.
    pub fn oldest(&self) -> [u64; 3] {
        self.parts.map(|p| p.unwrap_or(0))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let written: Vec<String> = self
            .parts
            .iter()
            .map_while(|p| p.map(|n| n.to_string()))
            .collect();
        write!(f, "{}", written.join("."))
    }
}

/// Compares two full triples.
pub fn compare(a: [u64; 3], b: [u64; 3]) -> Ordering {
    a.cmp(&b)
}

/// Where a step's version comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The ref itself (`@v4.1.7`).
    Ref,
    /// The comment after a SHA pin (`@<sha> # v4.1.7`).
    Comment,
}

/// The version a `uses:` names: its ref when the ref is a version tag, or, for a full SHA,
/// the version of a comment on the same line after the value (`# v4.1.7`, `# tag=v4.1.7`,
/// `# version: 4.1.7`). `None` for branches, other refs and SHAs without such a comment.
pub fn of_uses(text: &Text, uses: &Scalar, remote: &RemoteRef) -> Option<(Version, Source)> {
    if is_full_sha(&remote.git_ref) {
        return comment_version(text, uses).map(|v| (v, Source::Comment));
    }
    Version::parse(&remote.git_ref).map(|v| (v, Source::Ref))
}

/// The version in the comment that follows `uses`'s value on its line: the comment's first
/// word, after an optional `tag`, `version` or `ver` prefix with `:` or `=`.
pub fn comment_version(text: &Text, uses: &Scalar) -> Option<Version> {
    let rest = text.text.get(uses.span.end_byte..)?;
    let line = rest.split('\n').next().unwrap_or(rest);
    let mut comment = line.split_once('#')?.1.trim_start();
    for prefix in ["tag", "version", "ver"] {
        if let Some(after) = comment.strip_prefix(prefix) {
            if let Some(value) = after.trim_start().strip_prefix([':', '=']) {
                comment = value.trim_start();
                break;
            }
        }
    }
    Version::parse(comment.split_whitespace().next()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::github::{parse_workflow, Uses};

    #[test]
    fn parses_versions() {
        assert_eq!(
            Version::parse("v4.1.7").unwrap().parts,
            [Some(4), Some(1), Some(7)]
        );
        assert_eq!(Version::parse("v4").unwrap().parts, [Some(4), None, None]);
        assert_eq!(
            Version::parse("1.2.3-rc.1").unwrap().parts,
            [Some(1), Some(2), Some(3)]
        );
        for bad in ["main", "v", "v1.x", "1.2.3.4", "release/v1", ""] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        let v4 = Version::parse("v4").unwrap();
        assert!(!v4.is_exact());
        assert_eq!(v4.newest(), [4, u64::MAX, u64::MAX]);
        assert_eq!(v4.to_string(), "4");
    }

    #[test]
    fn reads_versions_from_refs_and_comments() {
        let sha = "b4ffde65f46336ab88eb53be808477a3936bae11";
        let w = parse_workflow(&format!(
            "jobs:\n  a:\n    steps:\n      - uses: a/b@{sha} # v4.1.7\n      \
             - uses: a/b@{sha}  # tag=v2\n      - uses: a/b@{sha}\n      - uses: a/b@v3.2\n      \
             - uses: a/b@main # v9\n      - uses: a/b@{sha} # version: 5.0.1\n"
        ))
        .unwrap();
        let found: Vec<Option<(String, Source)>> = w.jobs[0]
            .steps
            .iter()
            .map(|s| {
                let uses = s.uses.as_ref().unwrap();
                let Uses::Remote(r) = Uses::parse(&uses.value) else {
                    panic!()
                };
                of_uses(&w.text, uses, &r).map(|(v, s)| (v.to_string(), s))
            })
            .collect();
        assert_eq!(
            found,
            [
                Some(("4.1.7".into(), Source::Comment)),
                Some(("2".into(), Source::Comment)),
                None,
                Some(("3.2".into(), Source::Ref)),
                None,
                Some(("5.0.1".into(), Source::Comment)),
            ]
        );
    }
}
