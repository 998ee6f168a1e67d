//! `goldpath schema`: the JSON Schema of goldpath.toml, for editor completion.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use goldpath::Registry;

/// Arguments of `goldpath schema`.
#[derive(Args)]
pub struct SchemaArgs {}

/// Prints the JSON Schema (draft 2020-12) of goldpath.toml.
pub fn run(_args: SchemaArgs) -> Result<ExitCode> {
    let schema = goldpath::schema::policy_schema(&Registry::builtin());
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
