//! GitHub Actions expressions: the `${{ ... }}` in a string, the contexts they read, and which
//! of those an attacker controls.

use std::ops::Range;

/// One `${{ ... }}` in a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    /// The bytes of `${{ ... }}`, braces included.
    pub range: Range<usize>,
    /// The bytes between the braces.
    pub inner: Range<usize>,
}

/// The expressions of `text`, in order. An expression ends at the first `}}` outside a string
/// literal; an unterminated `${{` ends the scan.
pub fn expressions(text: &str) -> Vec<Expression> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("${{") {
        let start = from + at;
        let inner_start = start + 3;
        let mut i = inner_start;
        let mut end = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => {
                    // A string literal; `''` is a quote inside it.
                    i += 1;
                    while i < bytes.len() {
                        if bytes[i] == b'\'' {
                            if bytes.get(i + 1) == Some(&b'\'') {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                b'}' if bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    break;
                }
                _ => i += 1,
            }
        }
        let Some(inner_end) = end else { break };
        found.push(Expression {
            range: start..inner_end + 2,
            inner: inner_start..inner_end,
        });
        from = inner_end + 2;
    }
    found
}

/// A context read in an expression, such as `github.event.pull_request.title`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextRef {
    /// The path in lowercase, segments joined by dots; indexes (`[0]`, `[*]`, `.*`, computed
    /// `[expr]`) are `*`, and `['key']` is `.key`.
    pub path: String,
    /// The bytes of the reference in the text given to [`context_refs`].
    pub range: Range<usize>,
    /// The value is only used as a boolean: compared (`==`, `!=`, `<`, ...), negated (`!`), or
    /// an argument of `contains`, `startsWith` or `endsWith`.
    pub boolean: bool,
    /// The reference is an argument of `toJSON` (so a whole object ends up in the text).
    pub in_to_json: bool,
}

/// The contexts an expression's text (what is between `${{` and `}}`) reads.
pub fn context_refs(expr: &str) -> Vec<ContextRef> {
    let bytes = expr.as_bytes();
    let mut refs: Vec<ContextRef> = Vec::new();
    // Open parentheses: the lowercase name of the function called, or "" for a group.
    let mut calls: Vec<String> = Vec::new();
    // Whether the previous token makes the next operand boolean (`!`, `==`, ...).
    let mut after_boolean_op = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'\'' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                after_boolean_op = false;
            }
            b'(' => {
                calls.push(String::new());
                after_boolean_op = false;
                i += 1;
            }
            b')' => {
                calls.pop();
                after_boolean_op = false;
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let two = bytes.get(i + 1) == Some(&b'=');
                let comparison = two || b == b'<' || b == b'>';
                if comparison {
                    // The operand before the operator is boolean too.
                    if let Some(last) = refs.last_mut() {
                        if last.range.end <= i && expr[last.range.end..i].trim().is_empty() {
                            last.boolean = true;
                        }
                    }
                }
                after_boolean_op = true;
                i += if two { 2 } else { 1 };
            }
            b'&' | b'|' | b',' | b'[' | b']' | b'.' => {
                after_boolean_op = false;
                i += 1;
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                let (path, end) = read_path(expr, i);
                let next = expr[end..].trim_start().as_bytes().first().copied();
                if next == Some(b'(') && !path.contains('.') {
                    // A function call: remember its name for the `(` that follows.
                    let open = end + (expr[end..].len() - expr[end..].trim_start().len());
                    calls.push(path);
                    after_boolean_op = false;
                    i = open + 1;
                    continue;
                }
                let literal = matches!(path.as_str(), "true" | "false" | "null");
                if !literal {
                    let in_boolean_call = calls
                        .iter()
                        .any(|c| matches!(c.as_str(), "contains" | "startswith" | "endswith"));
                    let comparison_after = next.is_some_and(|n| {
                        let rest = expr[end..].trim_start();
                        matches!(n, b'<' | b'>') || rest.starts_with("==") || rest.starts_with("!=")
                    });
                    refs.push(ContextRef {
                        path,
                        range: start..end,
                        boolean: after_boolean_op || in_boolean_call || comparison_after,
                        in_to_json: calls.last().is_some_and(|c| c == "tojson"),
                    });
                }
                after_boolean_op = false;
                i = end;
            }
            _ => {
                after_boolean_op = false;
                i += 1;
            }
        }
    }
    refs
}

/// Reads a context path starting at byte `start` (an identifier); returns it normalised and
/// the byte just past it.
fn read_path(expr: &str, start: usize) -> (String, usize) {
    let bytes = expr.as_bytes();
    let ident_end = |from: usize| {
        let mut j = from;
        while j < bytes.len()
            && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'_' | b'-'))
        {
            j += 1;
        }
        j
    };
    let mut i = ident_end(start);
    let mut path = expr[start..i].to_ascii_lowercase();
    loop {
        match bytes.get(i) {
            Some(b'.') => {
                if bytes.get(i + 1) == Some(&b'*') {
                    path.push_str(".*");
                    i += 2;
                    continue;
                }
                let end = ident_end(i + 1);
                if end == i + 1 {
                    break;
                }
                path.push('.');
                path.push_str(&expr[i + 1..end].to_ascii_lowercase());
                i = end;
            }
            Some(b'[') => {
                let Some(close) = matching_bracket(bytes, i) else {
                    break;
                };
                let inside = expr[i + 1..close].trim();
                let quoted =
                    inside.len() >= 2 && inside.starts_with('\'') && inside.ends_with('\'');
                if quoted && !inside[1..inside.len() - 1].contains('\'') {
                    path.push('.');
                    path.push_str(&inside[1..inside.len() - 1].to_ascii_lowercase());
                } else {
                    path.push_str(".*");
                }
                i = close + 1;
            }
            _ => break,
        }
    }
    (path, i)
}

fn matching_bracket(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Contexts whose value an outsider can choose: a pull request's title or branch name, an
/// issue's body, a commit message. `*` matches one segment (an index).
pub const UNTRUSTED: &[&str] = &[
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.commits.*.committer.email",
    "github.event.commits.*.committer.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.head_commit.committer.email",
    "github.event.head_commit.committer.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.head_commit.committer.email",
    "github.event.workflow_run.head_commit.committer.name",
    "github.event.workflow_run.head_repository.description",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.check_suite.head_branch",
    "github.event.check_run.check_suite.head_branch",
];

fn segments_match(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('.');
    let mut q = path.split('.');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || b == "*" || a == b => {}
            _ => return false,
        }
    }
}

/// Whether `path` can match a pattern of [`UNTRUSTED`], all of which read `github`: most
/// references (`matrix.os`, `secrets.TOKEN`, `steps.x.outputs.y`) are ruled out by their
/// first segment, before each pattern is compared segment by segment.
fn may_be_untrusted(path: &str) -> bool {
    matches!(path.split('.').next(), Some("github" | "*"))
}

/// The pattern of [`UNTRUSTED`] that a normalised context path matches.
pub fn untrusted(path: &str) -> Option<&'static str> {
    if !may_be_untrusted(path) {
        return None;
    }
    UNTRUSTED
        .iter()
        .copied()
        .find(|pattern| segments_match(pattern, path))
}

/// Whether the object at `path` holds an untrusted value (`github.event.pull_request` holds
/// the title): a strict prefix of an [`UNTRUSTED`] path.
pub fn holds_untrusted(path: &str) -> bool {
    if !may_be_untrusted(path) {
        return false;
    }
    let depth = path.split('.').count();
    UNTRUSTED.iter().any(|pattern| {
        let prefix: Vec<&str> = pattern.split('.').take(depth).collect();
        pattern.split('.').count() > depth && segments_match(&prefix.join("."), path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_untrusted_pattern_reads_github() {
        // `may_be_untrusted` rules paths out by their first segment on this ground.
        for pattern in UNTRUSTED {
            assert!(pattern.starts_with("github."), "{pattern}");
            assert!(untrusted(pattern).is_some(), "{pattern}");
        }
        assert!(untrusted("matrix.title").is_none());
        assert!(!holds_untrusted("env.github"));
    }

    #[test]
    fn finds_expressions_and_skips_braces_in_strings() {
        let text = "echo ${{ a }} and ${{ format('}}{0}', b) }} then ${{ open";
        let found = expressions(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].range.clone()], "${{ a }}");
        assert_eq!(&text[found[1].inner.clone()], " format('}}{0}', b) ");
    }

    #[test]
    fn normalises_context_paths() {
        let refs = context_refs(
            "github.event['pull_request'].Title || github.event.commits[0].message || x.*.y",
        );
        let paths: Vec<&str> = refs.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "github.event.pull_request.title",
                "github.event.commits.*.message",
                "x.*.y"
            ]
        );
        assert_eq!(untrusted(paths[0]), Some("github.event.pull_request.title"));
        assert!(untrusted(paths[1]).is_some());
        assert!(untrusted("github.event.pull_request.head.sha").is_none());
    }

    #[test]
    fn boolean_uses_are_marked() {
        let refs = context_refs(
            "contains(github.event.issue.title, 'x') && github.head_ref == 'main' && \
             !github.event.issue.body || format('{0}', github.event.comment.body)",
        );
        let flags: Vec<bool> = refs.iter().map(|r| r.boolean).collect();
        assert_eq!(flags, [true, true, true, false]);
        let refs = context_refs("toJSON(github.event.pull_request)");
        assert!(refs[0].in_to_json);
        assert!(holds_untrusted(&refs[0].path));
        assert!(!holds_untrusted("github.event.pull_request.title"));
        assert!(!holds_untrusted("github.repository"));
    }
}
