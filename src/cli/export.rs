//! `kintsugi export`: a chosen period as Markdown, printable HTML or JSON, or everything as one folder (`--all`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args as ClapArgs, ValueEnum};
use kintsugi_core::{ExportFormat, ExportScope, export_document, parse_date};
use kintsugi_service::{Vault, export_all};

use super::write_output;

#[derive(ClapArgs, Debug)]
pub struct ExportArgs {
    /// What to write (not with --all).
    #[arg(
        long,
        value_enum,
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    format: Option<Format>,
    /// First day included, YYYY-MM-DD.
    #[arg(long, conflicts_with = "all")]
    from: Option<String>,
    /// Last day included, YYYY-MM-DD.
    #[arg(long, conflicts_with = "all")]
    to: Option<String>,
    /// Include your private journal and self-care list (leave off for a therapist).
    #[arg(long, conflicts_with = "all")]
    include_private: bool,
    /// Everything that is yours or shared with you, as JSON plus the raw documents, into the
    /// new or empty folder given with -o.
    #[arg(long)]
    all: bool,
    /// The file to write (the folder with --all); without it, the export goes to stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Format {
    Json,
    Markdown,
    Html,
}

pub fn run(vault: Vault, a: ExportArgs, out: &mut dyn Write) -> Result<()> {
    if a.all {
        let Some(dir) = a.output else {
            bail!("export --all needs a folder to write into: -o DIR");
        };
        let summary = export_all(&vault, &dir, &mut |_, _, _| {})?;
        for (name, size) in &summary.files {
            writeln!(out, "{name} ({size} bytes)")?;
        }
        writeln!(out, "Saved to {}", summary.dir.display())?;
        return Ok(());
    }
    for d in [&a.from, &a.to].into_iter().flatten() {
        if parse_date(d).is_none() {
            bail!("'{d}' is not a date like 2026-11-24");
        }
    }
    if let (Some(f), Some(t)) = (&a.from, &a.to)
        && f > t
    {
        bail!("--from {f} is after --to {t}");
    }
    let format = match a.format {
        Some(Format::Markdown) => ExportFormat::Markdown,
        Some(Format::Html) => ExportFormat::Html,
        Some(Format::Json) | None => ExportFormat::Json,
    };
    let couple = vault.model().couple_doc();
    let text = export_document(
        &vault.view(),
        Some(&couple),
        &ExportScope {
            from: a.from,
            to: a.to,
            own_private: a.include_private,
        },
        format,
        &mut |_, _, _| {},
    );
    write_output(out, a.output.as_deref(), text.as_bytes())
}
