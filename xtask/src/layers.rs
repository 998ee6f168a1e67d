//! `cargo xtask layers`: the import graph between each crate's top-level modules, from the
//! `crate::module` (and `super::` reaching the crate root) paths its source files name, and the
//! circles in it (strongly connected components of more than one module). A rule author should
//! be able to read the rule interface without the engine; a circle means one cannot be read
//! without the other.
//!
//! Test code (`#[cfg(test)]` items, and the files of a `#[cfg(test)] mod x;`) is left out: unit
//! tests sit above every layer, since a rule's tests run it through the engine and the built-in
//! registry, and none of it is in the library an embedder links.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The crates whose modules are checked: (name, source directory).
const CRATES: &[(&str, &str)] = &[
    ("goldpath", "crates/core/src"),
    ("goldpath-document", "crates/document/src"),
    ("goldpath-codeowners", "crates/codeowners/src"),
    ("goldpath-manifests", "crates/manifests/src"),
    ("goldpath-git", "crates/git/src"),
    ("goldpath-fleet", "crates/fleet/src"),
    ("goldpath-cli", "crates/cli/src"),
];

/// Prints each crate's import circles; with `--deny`, fails when there is one; with `--edges`,
/// also prints every edge with the first place that makes it.
pub fn layers(root: &Path, args: &[String]) -> Result<()> {
    let deny = args.iter().any(|a| a == "--deny");
    let edges = args.iter().any(|a| a == "--edges");
    let mut circles = 0;
    for (name, dir) in CRATES {
        let graph = module_graph(&root.join(dir))?;
        if edges {
            for (from, targets) in &graph {
                for (to, at) in targets {
                    println!("{name}: {from} -> {to} ({at})");
                }
            }
        }
        let plain: BTreeMap<String, BTreeSet<String>> = graph
            .iter()
            .map(|(k, v)| (k.clone(), v.keys().cloned().collect()))
            .collect();
        let found = cycles(&plain);
        if found.is_empty() {
            println!("{name}: no import circle among {} modules", graph.len());
            continue;
        }
        for cycle in &found {
            circles += 1;
            println!(
                "{name}: circle of {} modules: {}",
                cycle.len(),
                cycle.iter().cloned().collect::<Vec<_>>().join(", ")
            );
        }
    }
    if deny && circles > 0 {
        anyhow::bail!("{circles} import circle(s)");
    }
    Ok(())
}

/// Top-level module -> the top-level modules its non-test code names, each with the first
/// `file:line` naming it.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn module_graph(src: &Path) -> Result<Graph> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    files.sort();
    let mut cleaned = Vec::new();
    let mut test_only: BTreeSet<Vec<String>> = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file).to_path_buf();
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let path = module_path(&rel);
        let (code, test_children) = without_tests(&blank_comments_and_literals(&text));
        // `engine.rs` and `policy/mod.rs` declare children in their own directory's module.
        for child in test_children {
            let mut module = path.clone();
            module.push(child);
            test_only.insert(module);
        }
        cleaned.push((rel, path, code));
    }
    // Root re-exports (`pub use finding::{Level, Tier}` in lib.rs): `crate::Level` is finding.
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for (_, path, code) in &cleaned {
        if path.is_empty() {
            reexports.extend(root_reexports(code));
        }
    }
    let mut graph: Graph = BTreeMap::new();
    for (rel, path, code) in &cleaned {
        if test_only.iter().any(|t| path.starts_with(t)) {
            continue;
        }
        let module = path.first().cloned().unwrap_or_else(|| "lib".to_owned());
        let edges = graph.entry(module.clone()).or_default();
        for (target, line) in crate_paths(code, path) {
            let target = reexports.get(&target).cloned().unwrap_or(target);
            if target != module {
                edges
                    .entry(target)
                    .or_insert_with(|| format!("{}:{line}", rel.display()));
            }
        }
    }
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|t, _| known.contains(t));
    }
    Ok(graph)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// `rules/files/required.rs` -> `[rules, files, required]`; `policy/mod.rs` -> `[policy]`;
/// `lib.rs` and `main.rs` -> `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.strip_suffix(".rs").unwrap_or(&last).to_owned();
        let is_root = parts.is_empty() && (stem == "lib" || stem == "main");
        if stem != "mod" && !is_root {
            parts.push(stem);
        }
    }
    parts
}

/// `text` with comments, string literals and char literals replaced by spaces (newlines kept, so
/// line numbers still hold): what is left is code, where `crate::` means a path.
fn blank_comments_and_literals(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                blank(&mut out, b[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i]);
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            let word: String = b[start..i].iter().collect();
            out.push_str(&word);
            if (word == "r" || word == "br") && matches!(b.get(i), Some('#' | '"')) {
                let mut hashes = 0;
                while b.get(i + hashes) == Some(&'#') {
                    hashes += 1;
                }
                if b.get(i + hashes) == Some(&'"') {
                    let body = i + hashes + 1;
                    let mut end = body;
                    while end < b.len()
                        && !(b[end] == '"' && (0..hashes).all(|h| b.get(end + 1 + h) == Some(&'#')))
                    {
                        end += 1;
                    }
                    let stop = (end + 1 + hashes).min(b.len());
                    for &ch in &b[i..stop] {
                        blank(&mut out, ch);
                    }
                    i = stop;
                }
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' && i + 1 < b.len() {
                    blank(&mut out, b[i]);
                    i += 1;
                }
                blank(&mut out, b[i]);
                i += 1;
            }
            if i < b.len() {
                out.push(' ');
                i += 1;
            }
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{7f}'), or a lifetime ('a), which is kept.
            let close = if next == Some('\\') {
                (i + 2..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(end) => {
                    for &ch in &b[i..=end] {
                        blank(&mut out, ch);
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `code` (already without comments and literals) with every `#[cfg(test)]` item blanked, and
/// the names of the `#[cfg(test)] mod name;` it declares (their files are test code too).
fn without_tests(code: &str) -> (String, Vec<String>) {
    let attr: Vec<char> = "#[cfg(test)]".chars().collect();
    let mut out: Vec<char> = code.chars().collect();
    let mut children = Vec::new();
    let mut from = 0;
    while let Some(start) = (from..out.len()).find(|&s| out[s..].starts_with(&attr)) {
        let item_start = start + attr.len();
        let mut i = item_start;
        let mut depth = 0usize;
        // The item runs to its `;` at depth 0 or through its braces; the brackets of further
        // attributes count as depth too.
        while i < out.len() {
            match out[i] {
                '{' | '[' | '(' => depth += 1,
                '}' | ']' | ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && out[i] == '}' {
                        i += 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    i += 1;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let item: String = out[item_start..i].iter().collect();
        if item.trim_end().ends_with(';') {
            let words: Vec<&str> = item
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .collect();
            if let Some(at) = words.iter().position(|w| *w == "mod") {
                if let Some(name) = words.get(at + 1) {
                    children.push((*name).to_owned());
                }
            }
        }
        for ch in &mut out[start..i] {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
        from = i;
    }
    (out.into_iter().collect(), children)
}

/// `pub use module::{A, B}` / `pub use module::A` in the crate root: `A` -> `module`.
fn root_reexports(code: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in code.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.trim().trim_start_matches("crate::");
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for name in names.split(',') {
            let name = name.split(" as ").last().unwrap_or("").trim();
            if !name.is_empty() && name != "self" {
                out.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    out
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Path,
    Open,
    Close,
    Comma,
    Other(char),
}

fn tokens(code: &str) -> Vec<(Token, usize)> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push((Token::Ident(b[start..i].iter().collect()), line));
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push((Token::Path, line));
            i += 2;
        } else {
            let token = match c {
                '{' => Token::Open,
                '}' => Token::Close,
                ',' => Token::Comma,
                _ => Token::Other(c),
            };
            out.push((token, line));
            i += 1;
        }
    }
    out
}

/// The top-level modules `code` names, each with the line of its first mention: through
/// `crate::name`, `crate::{a, b::{c, d}}` (here `a` and `b`, over any number of lines), and
/// `super::` chains that climb to the crate root from `module` (the file's module path), inline
/// `mod x { .. }` blocks counted.
fn crate_paths(code: &str, module: &[String]) -> Vec<(String, usize)> {
    let toks = tokens(code);
    let mut out: Vec<(String, usize)> = Vec::new();
    let add = |name: &str, line: usize, out: &mut Vec<(String, usize)>| {
        if !matches!(name, "self" | "super" | "crate") && !out.iter().any(|(n, _)| n == name) {
            out.push((name.to_owned(), line));
        }
    };
    // Inline modules open at a brace depth: (name, depth inside its braces).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut i = 0;
    while i < toks.len() {
        let tok = &toks[i].0;
        match tok {
            Token::Open => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
            }
            Token::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Token::Ident(word) if word == "mod" => {
                if let Some((Token::Ident(name), _)) = toks.get(i + 1) {
                    pending_mod = Some(name.clone());
                    i += 2;
                    continue;
                }
            }
            Token::Ident(word) if word == "crate" || word == "super" => {
                let after_dollar = i > 0 && toks[i - 1].0 == Token::Other('$');
                let after_path = i > 0 && toks[i - 1].0 == Token::Path;
                let mut j = i;
                let mut at_root = word == "crate";
                if word == "super" {
                    let mut supers = 0;
                    while toks
                        .get(j)
                        .is_some_and(|(t, _)| *t == Token::Ident("super".into()))
                        && toks.get(j + 1).is_some_and(|(t, _)| *t == Token::Path)
                    {
                        supers += 1;
                        j += 2;
                    }
                    let here = module.len() + inline.len();
                    at_root = supers > 0 && supers >= here;
                    j = j.saturating_sub(1);
                } else {
                    j += 1;
                }
                // `j` is at the `::` after the last `crate`/`super`.
                if at_root
                    && !after_dollar
                    && !after_path
                    && toks.get(j).is_some_and(|(t, _)| *t == Token::Path)
                {
                    match toks.get(j + 1) {
                        Some((Token::Ident(name), l)) => add(name, *l, &mut out),
                        Some((Token::Open, _)) => {
                            let mut k = j + 2;
                            let mut nest = 0usize;
                            let mut item_start = true;
                            while k < toks.len() {
                                match &toks[k].0 {
                                    Token::Open => nest += 1,
                                    Token::Close if nest == 0 => break,
                                    Token::Close => nest -= 1,
                                    Token::Comma if nest == 0 => {
                                        item_start = true;
                                        k += 1;
                                        continue;
                                    }
                                    Token::Ident(name) if nest == 0 && item_start => {
                                        add(name, toks[k].1, &mut out)
                                    }
                                    _ => {}
                                }
                                item_start = false;
                                k += 1;
                            }
                            i = k;
                            continue;
                        }
                        _ => {}
                    }
                }
                i = j.max(i) + 1;
                continue;
            }
            _ => {}
        }
        // `mod name` followed by anything but `{` is a file module, not an inline one.
        pending_mod = None;
        i += 1;
    }
    out
}

/// The strongly connected components of more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        next: usize,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(edges) = s.graph.get(v) {
            for w in edges {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_str()) {
            visit(&mut state, v);
        }
    }
    state.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str, module: &[&str]) -> Vec<String> {
        let module: Vec<String> = module.iter().map(|m| (*m).to_owned()).collect();
        let code = without_tests(&blank_comments_and_literals(code)).0;
        let mut found: Vec<String> = crate_paths(&code, &module)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        found.sort();
        found
    }

    #[test]
    fn crate_paths_reads_uses_groups_and_inline_paths() {
        let text = "use crate::engine::Context;\nuse crate::{finding::Level, policy};\n\
                    let x = crate::span::LineIndex::new(t); // crate::ignored\nfoo_crate::no";
        assert_eq!(names(text, &["a"]), ["engine", "finding", "policy", "span"]);
    }

    #[test]
    fn grouped_imports_over_lines_and_nested_groups_name_their_first_segments() {
        let text =
            "pub use crate::{\n    context::{Context, ReadError},\n    fix::{self, Edit},\n    \
                    text,\n};\npub(crate) use crate::rule::{Meta, Rule};";
        assert_eq!(names(text, &["a"]), ["context", "fix", "rule", "text"]);
    }

    #[test]
    fn super_counts_only_when_it_climbs_to_the_crate_root() {
        // In `engine.rs`, `super::` is the crate root; in `policy/schema.rs` it is `policy`.
        assert_eq!(
            names("use super::finding::Level;", &["engine"]),
            ["finding"]
        );
        assert!(names("use super::Params;", &["policy", "schema"]).is_empty());
        assert_eq!(
            names(
                "use super::super::{registry, rule::Meta};",
                &["policy", "schema"]
            ),
            ["registry", "rule"]
        );
        // Inside an inline module of `engine.rs`, one `super` is `engine` itself.
        assert!(names("mod inner {\n use super::Engine;\n}", &["engine"]).is_empty());
        assert_eq!(
            names(
                "mod inner {\n use super::super::fix;\n}\nuse super::span;",
                &["engine"]
            ),
            ["fix", "span"]
        );
    }

    #[test]
    fn comments_strings_macros_and_test_code_are_not_imports() {
        let text = "/* crate::a */ let s = \"crate::b\"; let r = r#\"crate::c\"#;\n\
                    let c = '{'; macro_rules! m { () => { $crate::d::x() } }\n\
                    #[cfg(test)]\nmod tests {\n    use crate::testing::check;\n    \
                    fn f() { let s = \"{\"; crate::e::f(); }\n}\nuse crate::kept;";
        assert_eq!(names(text, &["a"]), ["kept"]);
    }

    #[test]
    fn a_test_only_module_declaration_is_reported_as_test_code() {
        let (code, children) =
            without_tests("pub mod engine;\n#[cfg(test)]\npub(crate) mod testing;\n");
        assert_eq!(children, ["testing"]);
        assert!(code.contains("pub mod engine;") && !code.contains("testing"));
        assert_eq!(code.lines().count(), 3);
    }

    #[test]
    fn root_reexports_map_names_to_their_module() {
        let map = root_reexports("pub use engine::{Context, Engine};\npub use policy::Params;\n");
        assert_eq!(map.get("Context").map(String::as_str), Some("engine"));
        assert_eq!(map.get("Params").map(String::as_str), Some("policy"));
    }

    #[test]
    fn finds_circles_and_only_circles() {
        let graph: BTreeMap<String, BTreeSet<String>> = [
            ("a", vec!["b"]),
            ("b", vec!["c"]),
            ("c", vec!["a"]),
            ("d", vec!["a"]),
            ("e", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
        let found = cycles(&graph);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].iter().map(String::as_str).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }
}
