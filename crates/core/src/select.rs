//! Finding the files a list of globs can match without matching every path: globs with a
//! literal directory (`.github/workflows/*.yml`) look only inside that directory's range of
//! the sorted list, globs that match anywhere (`**/catalog-info.yaml`) only at names holding
//! their literal part. Used by the engine for the files each rule wants and by rules that
//! look for a few files among all of a large repository's ([`matching`]).

use std::sync::OnceLock;

use crate::glob::GlobList;
use crate::snapshot::FileEntry;

/// The files of `list` (sorted by path) that one of `globs` matches, in the list's order.
/// `names` is the list's [`Names`], built on first need and kept for the next search.
pub fn matching<'f>(
    globs: &GlobList,
    list: &[&'f FileEntry],
    names: &OnceLock<Names>,
) -> Vec<&'f FileEntry> {
    let patterns = globs.patterns();
    if patterns.is_empty() {
        return Vec::new();
    }
    let mut found = candidates(&patterns, list, names);
    found.retain(|f| globs.is_match(&f.path));
    found
}

/// The file names of a list, one after the other in one text (separated by `/`, which no
/// name holds), so that finding the names that hold a literal is one pass over contiguous
/// memory: asking each of 100,000 paths for its name, once per rule that looks for a few
/// files, cost a cache miss per path and showed in profiles.
#[derive(Debug)]
pub struct Names {
    text: String,
    /// Where each file's name starts in `text`, in the list's order.
    starts: Vec<usize>,
}

impl Names {
    /// The names of `list`'s files, in order.
    pub fn new(list: &[&FileEntry]) -> Self {
        let mut text = String::with_capacity(list.len() * 16);
        let mut starts = Vec::with_capacity(list.len());
        for file in list {
            let name = file.path.rsplit('/').next().unwrap_or(&file.path);
            starts.push(text.len());
            text.push_str(name);
            text.push('/');
        }
        Self { text, starts }
    }

    /// The indices of the names that hold a match of `matcher` (whose patterns hold no `/`).
    fn holding(&self, matcher: &aho_corasick::AhoCorasick) -> Vec<usize> {
        let mut out = Vec::new();
        let mut from = 0;
        while from < self.text.len() {
            let input = aho_corasick::Input::new(&self.text).range(from..);
            let Some(found) = matcher.find(input) else {
                break;
            };
            let index = self.starts.partition_point(|&start| start <= found.start()) - 1;
            out.push(index);
            // The next name: one match per name is enough.
            from = self
                .starts
                .get(index + 1)
                .copied()
                .unwrap_or(self.text.len());
        }
        out
    }
}

/// The files of `list` (sorted by path) that can match one of `patterns`: those under each
/// glob's literal directory, or, for globs that can match anywhere, those whose name holds
/// the glob's literal part.
pub(crate) fn candidates<'f, S: AsRef<str>>(
    patterns: &[S],
    list: &[&'f FileEntry],
    names: &OnceLock<Names>,
) -> Vec<&'f FileEntry> {
    let expanded: Vec<String> = patterns
        .iter()
        .flat_map(|p| expand_braces(p.as_ref(), 64))
        .collect();
    let patterns = &expanded;
    let prefixes: Option<Vec<&str>> = patterns.iter().map(|p| literal_dir_prefix(p)).collect();
    if let Some(mut prefixes) = prefixes {
        prefixes.sort_unstable();
        prefixes.dedup();
        let mut ranges: Vec<std::ops::Range<usize>> = prefixes
            .iter()
            .map(|prefix| {
                let start = list.partition_point(|f| f.path.as_str() < *prefix);
                let len = list[start..].partition_point(|f| f.path.starts_with(prefix));
                start..start + len
            })
            .collect();
        ranges.sort_by_key(|r| r.start);
        let mut seen_until = 0;
        let mut out = Vec::new();
        for range in ranges {
            let start = range.start.max(seen_until);
            if start < range.end {
                out.extend_from_slice(&list[start..range.end]);
                seen_until = range.end;
            }
        }
        return out;
    }
    let literals: Option<Vec<&str>> = patterns.iter().map(|p| required_name_literal(p)).collect();
    match literals {
        Some(literals) => {
            // One pass over the names for all the literals at once: a rule such as
            // security/secrets wants a few dozen kinds of files, and 100,000 names times a few
            // dozen substring searches showed in profiles.
            match aho_corasick::AhoCorasick::new(&literals) {
                Ok(matcher) => names
                    .get_or_init(|| Names::new(list))
                    .holding(&matcher)
                    .into_iter()
                    .map(|index| list[index])
                    .collect(),
                Err(_) => list
                    .iter()
                    .filter(|f| {
                        let file_name = f.path.rsplit('/').next().unwrap_or(&f.path);
                        literals.iter().any(|literal| file_name.contains(literal))
                    })
                    .copied()
                    .collect(),
            }
        }
        None => list.to_vec(),
    }
}

/// The longest run of literal characters in a glob's last segment, which every matching file
/// name contains; `None` when there is none worth testing (fewer than 3 characters).
fn required_name_literal(pattern: &str) -> Option<&str> {
    let name = pattern.rsplit('/').next().unwrap_or(pattern);
    if name.contains(['{', '[', '\\']) {
        // Alternatives and classes: only the part before them is certainly literal.
        let end = name.find(['{', '[', '\\']).unwrap_or(name.len());
        return longest_literal(&name[..end]);
    }
    longest_literal(name)
}

fn longest_literal(text: &str) -> Option<&str> {
    text.split(['*', '?'])
        .max_by_key(|run| run.len())
        .filter(|run| run.len() >= 3)
}

/// Expands the first `{a,b}` group of a glob into one glob per alternative, recursively, up to
/// `limit` globs (then the rest stay unexpanded, which only makes the search wider). Used to
/// find literal prefixes in globs such as `{.github/CODEOWNERS,CODEOWNERS}`.
fn expand_braces(pattern: &str, limit: usize) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let Some(close) = pattern[open..].find('}').map(|i| open + i) else {
        return vec![pattern.to_owned()];
    };
    let inner = &pattern[open + 1..close];
    if inner.contains(['{', '[', '\\']) {
        return vec![pattern.to_owned()];
    }
    let alternatives: Vec<&str> = inner.split(',').collect();
    if alternatives.len() > limit {
        return vec![pattern.to_owned()];
    }
    let mut out = Vec::new();
    for alternative in alternatives {
        let joined = format!("{}{alternative}{}", &pattern[..open], &pattern[close + 1..]);
        let budget = (limit / out.len().max(1)).max(1);
        out.extend(expand_braces(&joined, budget));
        if out.len() >= limit {
            return vec![pattern.to_owned()];
        }
    }
    out
}

/// The literal directory part of a glob (`.github/workflows/` for `.github/workflows/*.yml`,
/// the whole path for a glob without wildcards), or `None` when it can match anywhere.
fn literal_dir_prefix(pattern: &str) -> Option<&str> {
    let pattern = pattern.trim_start_matches('/');
    match pattern.find(['*', '?', '[', '{', '\\']) {
        None => Some(pattern),
        Some(wild) => {
            let dir_end = pattern[..wild].rfind('/')? + 1;
            Some(&pattern[..dir_end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Snapshot;

    #[test]
    fn literal_prefixes_bound_where_a_glob_can_match() {
        assert_eq!(
            literal_dir_prefix(".github/workflows/*.yml"),
            Some(".github/workflows/")
        );
        assert_eq!(literal_dir_prefix("/CODEOWNERS"), Some("CODEOWNERS"));
        assert_eq!(literal_dir_prefix("docs/{a,b}/x.md"), Some("docs/"));
        assert_eq!(literal_dir_prefix("**/action.yml"), None);
        assert_eq!(literal_dir_prefix("README*"), None);
        assert_eq!(
            required_name_literal("**/catalog-info.{yaml,yml}"),
            Some("catalog-info.")
        );
        assert_eq!(required_name_literal("**/*.tfvars"), Some(".tfvars"));
        assert_eq!(required_name_literal("**/*"), None);
        assert_eq!(
            expand_braces("{.github/CODEOWNERS,CODEOWNERS}", 64),
            [".github/CODEOWNERS", "CODEOWNERS"]
        );
        assert_eq!(expand_braces("a/*.{yml,yaml}", 64), ["a/*.yml", "a/*.yaml"]);
        assert_eq!(expand_braces("{a,b}{c,d}", 64).len(), 4);
        assert_eq!(required_name_literal("**/a[bc]d"), None);
    }

    #[test]
    fn matching_finds_what_the_globs_match_among_all_paths() {
        let snapshot = crate::MemorySnapshot::new()
            .with_file("LICENSE", "")
            .with_file("README.md", "")
            .with_file("docs/README.md", "")
            .with_file("src/LICENSE.rs", "")
            .with_file("a/.env", "");
        let list: Vec<&FileEntry> = snapshot.files().iter().collect();
        let paths = |patterns: &[&str]| -> Vec<String> {
            let globs = GlobList::from_patterns(patterns).unwrap();
            matching(&globs, &list, &OnceLock::new())
                .iter()
                .map(|f| f.path.clone())
                .collect()
        };
        assert_eq!(paths(&["README*", "LICENSE*"]), ["LICENSE", "README.md"]);
        assert_eq!(paths(&["**/README.md"]), ["README.md", "docs/README.md"]);
        assert_eq!(paths(&["**/.env", "*"]).len(), 3);
        assert!(paths(&[]).is_empty());
    }

    #[test]
    fn names_report_each_file_once_whatever_its_matches() {
        let snapshot = crate::MemorySnapshot::new()
            .with_file("a/env.env.env", "")
            .with_file("b/plain", "")
            .with_file("env", "")
            .with_file("z/x.env", "");
        let list: Vec<&FileEntry> = snapshot.files().iter().collect();
        let names = Names::new(&list);
        let matcher = aho_corasick::AhoCorasick::new(["env"]).unwrap();
        let found: Vec<&str> = names
            .holding(&matcher)
            .into_iter()
            .map(|i| list[i].path.as_str())
            .collect();
        assert_eq!(found, ["a/env.env.env", "env", "z/x.env"]);
        // A literal never spans two names.
        let across = aho_corasick::AhoCorasick::new(["plainenv", "envplain"]).unwrap();
        assert!(names.holding(&across).is_empty());
    }
}
