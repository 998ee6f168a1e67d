//! Globs as policies write them: `*` stays within one path segment, `**` crosses segments,
//! `{a,b}` alternates, matching is case-sensitive, paths are repository-relative with `/`.

use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The longest glob accepted, in bytes. Longer ones are an error rather than a regular
/// expression too large to compile (no path a repository can hold needs more).
pub const MAX_GLOB_BYTES: usize = 4096;

/// One compiled glob with its source text.
#[derive(Debug, Clone)]
pub struct Glob {
    pattern: String,
    glob: globset::Glob,
    /// Compiled on first use: most globs are only ever matched through a [`GlobList`]'s set,
    /// and compiling a matcher costs as much as the set itself.
    matcher: OnceLock<globset::GlobMatcher>,
}

impl Glob {
    /// Compiles a glob; the error says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.is_empty() {
            return Err("empty glob".to_owned());
        }
        if pattern.len() > MAX_GLOB_BYTES {
            let start: String = pattern.chars().take(40).collect();
            return Err(format!(
                "the glob `{start}...` is {} bytes, over the limit of {MAX_GLOB_BYTES}",
                pattern.len()
            ));
        }
        let glob = GlobBuilder::new(pattern.trim_start_matches('/'))
            .literal_separator(true)
            .backslash_escape(true)
            .empty_alternates(true)
            .build()
            .map_err(|e| format!("invalid glob `{pattern}`: {}", e.kind()))?;
        Ok(Self {
            pattern: pattern.to_owned(),
            matcher: OnceLock::new(),
            glob,
        })
    }

    /// The glob as written.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether `path` matches.
    pub fn is_match(&self, path: &str) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(path)
    }
}

/// Several globs matched at once.
#[derive(Debug, Clone)]
pub struct GlobList {
    globs: Vec<Glob>,
    /// The globs compiled together, on first use: a rule is built (its options checked) even
    /// when `--only` leaves it out or the policy turns it off, and compiling every rule's
    /// globs up front cost more than a small check itself. Inside, `None` when the combined
    /// automaton is over globset's size limit (each glob compiles on its own, many long ones
    /// together may not), in which case every glob is matched on its own rather than the list
    /// matching nothing.
    set: OnceLock<Option<GlobSet>>,
}

impl Default for GlobList {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl GlobList {
    /// A set of globs.
    pub fn new(globs: Vec<Glob>) -> Self {
        Self {
            globs,
            set: OnceLock::new(),
        }
    }

    fn set(&self) -> Option<&GlobSet> {
        self.set
            .get_or_init(|| {
                let mut builder = GlobSetBuilder::new();
                for glob in &self.globs {
                    builder.add(glob.glob.clone());
                }
                match builder.build() {
                    Ok(set) => Some(set),
                    Err(e) => {
                        tracing::debug!(
                            globs = self.globs.len(),
                            "the globs do not compile together ({e}): matching them one by one"
                        );
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Compiles patterns; the first bad one is an error.
    pub fn from_patterns<S: AsRef<str>>(patterns: &[S]) -> Result<Self, String> {
        patterns
            .iter()
            .map(|p| Glob::new(p.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    /// Whether any glob matches.
    pub fn is_match(&self, path: &str) -> bool {
        match self.set() {
            Some(set) => set.is_match(path),
            None => self.globs.iter().any(|g| g.is_match(path)),
        }
    }

    /// Indices of the globs that match.
    pub fn matches(&self, path: &str) -> Vec<usize> {
        match self.set() {
            Some(set) => set.matches(path),
            None => (0..self.globs.len())
                .filter(|&i| self.globs[i].is_match(path))
                .collect(),
        }
    }

    /// The globs, in order.
    pub fn globs(&self) -> &[Glob] {
        &self.globs
    }

    /// The patterns as written.
    pub fn patterns(&self) -> Vec<&str> {
        self.globs.iter().map(Glob::pattern).collect()
    }

    /// Whether there are no globs.
    pub fn is_empty(&self) -> bool {
        self.globs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_stays_in_one_segment_and_double_star_crosses() {
        let top = Glob::new("*.md").unwrap();
        assert!(top.is_match("README.md"));
        assert!(!top.is_match("docs/README.md"));
        let any = Glob::new("**/*.env").unwrap();
        assert!(any.is_match(".env") || any.is_match("a.env"));
        assert!(any.is_match("config/prod/app.env"));
        assert!(Glob::new("/LICENSE*").unwrap().is_match("LICENSE-MIT"));
        assert!(Glob::new("{README,readme}*")
            .unwrap()
            .is_match("readme.txt"));
    }

    #[test]
    fn a_list_too_large_to_compile_together_still_matches() {
        // Each of these compiles on its own; 50 of them together are over globset's limit.
        let long = "?".repeat(4000);
        let patterns: Vec<String> = (0..50).map(|i| format!("d{i}/{long}")).collect();
        let list = GlobList::from_patterns(&patterns).unwrap();
        assert!(
            list.set().is_none(),
            "the set built: the test no longer covers the fallback"
        );
        let path = format!("d7/{}", "x".repeat(4000));
        assert!(list.is_match(&path));
        assert_eq!(list.matches(&path), [7]);
        assert!(!list.is_match("d7/short"));
    }

    #[test]
    fn a_list_compiles_on_first_use() {
        let list = GlobList::from_patterns(&["src/**/*.rs", "*.md"]).unwrap();
        assert!(list.set.get().is_none(), "compiled before any match");
        assert!(list.is_match("src/a/b.rs"));
        assert!(list.set.get().is_some_and(Option::is_some));
        assert_eq!(list.matches("README.md"), [1]);
    }

    #[test]
    fn bad_globs_explain_themselves() {
        let err = Glob::new("src/[a-").unwrap_err();
        assert!(err.contains("src/[a-"), "{err}");
        assert!(Glob::new("").is_err());
    }

    #[test]
    fn long_globs_are_an_error_not_a_panic() {
        let err = Glob::new(&"a".repeat(1_000_000)).unwrap_err();
        assert_eq!(
            err,
            format!(
                "the glob `{}...` is 1000000 bytes, over the limit of 4096",
                "a".repeat(40)
            )
        );
        // Every construct, as long as the limit allows, still compiles.
        for unit in ["a", "*", "?", "**/", "{a,b}", "[a-z]", "[!a]", "\\*", "é"] {
            let pattern = unit.repeat(MAX_GLOB_BYTES / unit.len());
            assert!(Glob::new(&pattern).is_ok(), "{unit}");
        }
    }
}
