//! `kintsugi disclosure`: "I need to tell you something", and the partner's acknowledgement.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, Disclosure, ItemId, View};
use kintsugi_service::Vault;

use super::{local_time, partner_name, resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum DisclosureCmd {
    /// Tell your partner something. Prints its id.
    Add {
        #[arg(long)]
        text: String,
        /// You are telling it before being asked (it shows as a win for both of you).
        #[arg(long)]
        before_asked: bool,
    },
    /// Every disclosure of both of you, newest first, with its acknowledgement.
    List {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge your partner's disclosure ("thank you for telling me"), with an optional note.
    Ack {
        /// The disclosure's id, or its first digits.
        id: String,
        /// An optional note.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
    },
}

pub fn run(mut vault: Vault, cmd: DisclosureCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        DisclosureCmd::Add { text, before_asked } => {
            if text.trim().is_empty() {
                bail!("a disclosure needs some text; --text is empty, nothing was saved");
            }
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddDisclosure {
                    id: id.clone(),
                    text,
                    before_asked,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        DisclosureCmd::List { json } => {
            let view = vault.view();
            if json {
                serde_json::to_writer_pretty(&mut *out, &view.disclosures)?;
                writeln!(out)?;
            } else if view.disclosures.is_empty() {
                writeln!(out, "No disclosures yet.")?;
            } else {
                for d in &view.disclosures {
                    print_disclosure(out, &view, d)?;
                }
            }
            warn_errors(&view);
        }
        DisclosureCmd::Ack { id, note } => {
            let view = vault.view();
            let id = resolve_id(view.disclosures.iter().map(|d| &d.id), &id, "disclosure")?;
            let d = view
                .disclosures
                .iter()
                .find(|d| d.id == id)
                .expect("resolved among these");
            if view.me.as_ref() == Some(&d.by) {
                bail!(
                    "this is your own disclosure: only {} can acknowledge it",
                    partner_name(&view)
                );
            }
            super::apply_and_save(
                &mut vault,
                Command::AcknowledgeDisclosure { id, response: note },
            )?;
        }
    }
    Ok(())
}

fn print_disclosure(out: &mut dyn Write, view: &View, d: &Disclosure) -> Result<()> {
    writeln!(
        out,
        "{}  {}  {}{}",
        short_id(&d.id),
        local_time(d.at),
        view.name_of(&d.by),
        if d.before_asked {
            ", told before being asked"
        } else {
            ""
        }
    )?;
    for line in d.text.lines() {
        writeln!(out, "    {line}")?;
    }
    match d.acknowledged_at {
        Some(at) => {
            let who = match &view.me {
                Some(me) if me == &d.by => partner_name(view),
                _ => view.my_name.clone(),
            };
            let note = if d.response.is_empty() {
                String::new()
            } else {
                format!(": \"{}\"", d.response)
            };
            writeln!(out, "    acknowledged by {who} on {}{note}", local_time(at))?;
        }
        None => writeln!(out, "    not acknowledged yet")?,
    }
    Ok(())
}
