//! `kintsugi export`: a chosen period as JSON or Markdown, for a therapist or for oneself.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use kintsugi_core::{ExportFormat, ExportScope, export, parse_date};
use kintsugi_service::Vault;

use super::write_output;

#[derive(ClapArgs, Debug)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    format: Format,
    /// First day included, YYYY-MM-DD.
    #[arg(long)]
    from: Option<String>,
    /// Last day included, YYYY-MM-DD.
    #[arg(long)]
    to: Option<String>,
    /// Include your private journal (leave off for a therapist).
    #[arg(long)]
    include_private: bool,
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Json,
    Markdown,
}

pub fn run(vault: Vault, a: ExportArgs, out: &mut dyn Write) -> Result<()> {
    for d in [&a.from, &a.to].into_iter().flatten() {
        if parse_date(d).is_none() {
            bail!("'{d}' is not a date like 2026-11-24");
        }
    }
    let view = vault.view();
    let text = export(
        &view,
        &ExportScope {
            from: a.from,
            to: a.to,
            own_private: a.include_private,
        },
        match a.format {
            Format::Json => ExportFormat::Json,
            Format::Markdown => ExportFormat::Markdown,
        },
    );
    write_output(out, a.output.as_deref(), text.as_bytes())
}
