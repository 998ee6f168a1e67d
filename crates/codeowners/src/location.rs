//! Where the hosting services look for the CODEOWNERS file.

use crate::Dialect;

const GITHUB: &[&str] = &[".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
const GITLAB: &[&str] = &["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

/// The paths where `dialect` looks for a CODEOWNERS file, in the order it looks; the first that
/// exists is used and the others are ignored.
///
/// - GitHub: `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`.
/// - GitLab: `CODEOWNERS`, `docs/CODEOWNERS`, `.gitlab/CODEOWNERS`.
pub fn locations(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::GitHub => GITHUB,
        Dialect::GitLab => GITLAB,
    }
}

/// Which CODEOWNERS file a repository uses, given its existing files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocationChoice<'a> {
    /// The file that is used, if any.
    pub effective: Option<&'a str>,
    /// Files at other supported locations that exist but are ignored, in lookup order.
    pub ignored: Vec<&'a str>,
    /// Files named `CODEOWNERS` at locations `dialect` never reads, in the order given.
    pub unsupported: Vec<&'a str>,
}

fn normalize(path: &str) -> &str {
    let p = path.strip_prefix("./").unwrap_or(path);
    p.trim_start_matches('/')
}

/// Picks the effective CODEOWNERS file from `existing` (paths relative to the repository root,
/// such as a listing of the tree: any file may be included, only `CODEOWNERS` files are looked
/// at). Names are case-sensitive.
pub fn choose_location<S: AsRef<str>>(dialect: Dialect, existing: &[S]) -> LocationChoice<'_> {
    let mut choice = LocationChoice::default();
    for loc in locations(dialect) {
        if let Some(p) = existing.iter().find(|p| normalize(p.as_ref()) == *loc) {
            if choice.effective.is_none() {
                choice.effective = Some(p.as_ref());
            } else {
                choice.ignored.push(p.as_ref());
            }
        }
    }
    for p in existing {
        let n = normalize(p.as_ref());
        let is_codeowners = n == "CODEOWNERS" || n.ends_with("/CODEOWNERS");
        if is_codeowners && !locations(dialect).contains(&n) {
            choice.unsupported.push(p.as_ref());
        }
    }
    choice
}
