//! `kintsugi doc`: the raw automerge documents, for inspection and backups.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use kintsugi_core::DocKind;
use kintsugi_service::Vault;

use super::write_output;

#[derive(Subcommand, Debug)]
pub enum DocCmd {
    /// Write a document's full automerge bytes to a file.
    Save {
        #[arg(value_enum)]
        doc: DocName,
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum DocName {
    Couple,
    Private,
}

pub fn run(mut vault: Vault, cmd: DocCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        DocCmd::Save { doc, output } => {
            let kind = match doc {
                DocName::Couple => DocKind::Couple,
                DocName::Private => DocKind::Private,
            };
            let bytes = vault.model_mut().doc_mut(kind).save();
            write_output(out, Some(&output), &bytes)
        }
    }
}
