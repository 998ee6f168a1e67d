//! `cargo xtask layers`: the import graph between each crate's top-level modules, from the
//! `crate::module` paths its source files name, and the circles in it (strongly connected
//! components of more than one module). A rule author should be able to read the rule interface
//! without the engine; a circle means one cannot be read without the other.

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

/// Prints each crate's import circles; with `--deny`, fails when there is one.
pub fn layers(root: &Path, args: &[String]) -> Result<()> {
    let deny = args.iter().any(|a| a == "--deny");
    let mut circles = 0;
    for (name, dir) in CRATES {
        let graph = module_graph(&root.join(dir))?;
        let found = cycles(&graph);
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

/// Top-level module -> the top-level modules its files name through `crate::`.
fn module_graph(src: &Path) -> Result<BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    collect(src, &mut files)?;
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap_or(&file);
        let module = top_module(rel);
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let edges = graph.entry(module.clone()).or_default();
        for target in crate_paths(&text) {
            if target != module {
                edges.insert(target);
            }
        }
    }
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for edges in graph.values_mut() {
        edges.retain(|t| known.contains(t));
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

/// `rules/files/required.rs` -> `rules`; `engine.rs` -> `engine`; `lib.rs` -> `lib`.
fn top_module(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.strip_suffix(".rs").unwrap_or(&first).to_owned()
}

/// The top-level modules named by `crate::name` in `text`, outside line comments; `use crate::{a,
/// b::c}` names `a` and `b`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let preceded_by_ident = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
            let after = &rest[at + "crate::".len()..];
            rest = after;
            if preceded_by_ident {
                continue;
            }
            if let Some(group) = after.strip_prefix('{') {
                let body = group.split('}').next().unwrap_or("");
                out.extend(
                    body.split(',')
                        .filter_map(|item| ident(item.trim()))
                        .map(str::to_owned),
                );
            } else if let Some(name) = ident(after) {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

fn ident(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
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

    #[test]
    fn crate_paths_reads_uses_groups_and_inline_paths() {
        let text = "use crate::engine::Context;\nuse crate::{finding::Level, policy};\n\
                    let x = crate::span::LineIndex::new(t); // crate::ignored\nfoo_crate::no";
        let found: Vec<String> = crate_paths(text).into_iter().collect();
        assert_eq!(found, ["engine", "finding", "policy", "span"]);
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
