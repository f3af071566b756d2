//! `kintsugi selfcare`: your own list of what helps (private: it never reaches your partner).

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, ItemId, self_care_suggestions};
use kintsugi_service::Vault;

use super::{resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum SelfCareCmd {
    /// Add something that helps you ("a walk round the block"). Prints its id.
    Add { text: String },
    /// Your self-care list; with a few ideas to start from while it is empty.
    List {
        /// Print JSON: an array of {id, text}.
        #[arg(long)]
        json: bool,
    },
    /// Remove an item from your list.
    Remove {
        /// The item's id, or its first digits.
        id: String,
    },
}

pub fn run(mut vault: Vault, cmd: SelfCareCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        SelfCareCmd::Add { text } => {
            if text.trim().is_empty() {
                bail!("a self-care idea needs some text; nothing was saved");
            }
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddSelfCare {
                    id: id.clone(),
                    text,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        SelfCareCmd::List { json } => {
            let view = vault.view();
            if json {
                serde_json::to_writer_pretty(&mut *out, &view.self_care)?;
                writeln!(out)?;
            } else if view.self_care.is_empty() {
                writeln!(
                    out,
                    "Your self-care list is empty (it stays private). Some ideas to start from:"
                )?;
                for idea in self_care_suggestions() {
                    writeln!(out, "    {idea}")?;
                }
                writeln!(out, "Add one with `kintsugi selfcare add TEXT`.")?;
            } else {
                for s in &view.self_care {
                    writeln!(out, "{}  {}", short_id(&s.id), s.text)?;
                }
            }
            warn_errors(&view);
        }
        SelfCareCmd::Remove { id } => {
            let view = vault.view();
            let id = resolve_id(view.self_care.iter().map(|s| &s.id), &id, "self-care item")?;
            super::apply_and_save(&mut vault, Command::RemoveSelfCare { id })?;
        }
    }
    Ok(())
}
