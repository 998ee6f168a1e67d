//! Running goldpath in-process from another Rust tool.
//!
//! The example registers a rule of its own beside the built-in ones, then checks two
//! snapshots with one policy: a git repository (its work tree, through `goldpath-git`) and
//! a snapshot built in memory, as a bot or a portal would build one from an API.
//!
//! ```sh
//! cargo run --example embed -- path/to/repo
//! ```

use std::path::Path;

use goldpath::policy::{FsReader, Policy, PolicyError};
use goldpath::{
    Context, Docs, Engine, Level, MemorySnapshot, Meta, Params, Registry, Rule, RuleDef, Scope,
    Tier, Violation,
};

/// A rule of the embedding tool's own: every Markdown file names an owner on a
/// `Owner: @team` line.
struct MarkdownOwner {
    marker: String,
}

static OWNER_META: Meta = Meta {
    id: "acme/markdown-owner",
    summary: "Markdown files name an owner",
    default_level: Level::Warning,
    tier: Tier::Silver,
    scope: Scope::PerFile,
    fixable: false,
    options: &[goldpath::OptionDoc {
        name: "marker",
        kind: "string",
        help: "The line prefix that names the owner (default `Owner:`).",
    }],
    docs: Docs {
        what: "Every `*.md` file has a line starting with the marker.",
        why: "Documents without an owner go stale.",
        example: "`README.md` without `Owner: @team` is reported.",
        fix: "Add `Owner: @your-team` to the file.",
    },
};

fn build_owner_rule(params: &mut Params) -> Result<Box<dyn Rule>, PolicyError> {
    let marker = params
        .take::<String>("marker")?
        .unwrap_or_else(|| "Owner:".to_owned());
    Ok(Box::new(MarkdownOwner { marker }))
}

impl Rule for MarkdownOwner {
    fn wants(&self) -> Vec<String> {
        vec!["**/*.md".to_owned()]
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Violation>) {
        for file in cx.wanted() {
            let Ok(text) = cx.text(file) else { continue };
            if !text.lines().any(|line| line.starts_with(&self.marker)) {
                out.push(Violation::file(
                    &file.path,
                    format!("no `{}` line names an owner", self.marker),
                ));
            }
        }
    }
}

const POLICY: &str = r#"
extends = ["builtin:recommended"]

[rules."acme/markdown-owner"]
marker = "Owner:"
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut registry = Registry::builtin();
    registry.register(RuleDef {
        meta: &OWNER_META,
        build: build_owner_rule,
    })?;
    let policy = Policy::from_text("embedded policy", POLICY, Path::new("."), &FsReader)?;
    let engine = Engine::new(&registry, &policy)?;

    // 1. A git repository's work tree.
    let path = std::env::args().nth(1).unwrap_or_else(|| ".".to_owned());
    let repo = goldpath_git::open(Path::new(&path), goldpath_git::Source::Worktree)?;
    let report = engine.check(&repo);
    println!(
        "repository {}: {} findings, tier {}",
        report.target.root,
        report.findings.len(),
        report
            .summary
            .tier
            .map_or("none".to_owned(), |t| t.to_string())
    );

    // 2. A snapshot built in memory.
    let memory = MemorySnapshot::new()
        .with_file("README.md", "# Service\nOwner: @acme/payments\n")
        .with_file("docs/runbook.md", "# Runbook\n")
        .with_file("LICENSE", "MIT\n");
    let report = engine.check(&memory);
    for finding in &report.findings {
        println!(
            "memory: {} {} {}: {}",
            finding.level,
            finding.rule,
            finding.path.as_deref().unwrap_or("(repository)"),
            finding.message
        );
    }
    Ok(())
}
