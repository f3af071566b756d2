//! `kintsugi journal`: write, list, share and unshare entries of the private journal.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, ItemId, View};
use kintsugi_service::{Vault, now_ms, today_local};

use super::{resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum JournalCmd {
    /// Write a new entry (private unless --share).
    Add {
        #[arg(long)]
        text: String,
        /// 1 (very low) to 5 (very good).
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=5))]
        mood: Option<u8>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Defaults to today.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        prompt: Option<String>,
        /// Share with your partner at once.
        #[arg(long)]
        share: bool,
    },
    /// Share an entry with your partner (its id, or the first digits of it).
    Share { id: String },
    /// Stop sharing an entry: the shared copy is removed from now on.
    Unshare { id: String },
    /// List entries, newest first.
    List {
        #[arg(long)]
        json: bool,
        /// Only entries whose text, tags or prompt contain this (any case).
        #[arg(long)]
        search: Option<String>,
    },
}

pub fn run(mut vault: Vault, cmd: JournalCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        JournalCmd::Add {
            text,
            mood,
            tags,
            date,
            prompt,
            share,
        } => {
            // An entry with no words is almost always a script's empty variable; storing it
            // would leave a blank card in the journal that is easy to miss.
            if text.trim().is_empty() {
                bail!("a journal entry needs some text; --text is empty, nothing was written");
            }
            let id = ItemId::random();
            let date = date.unwrap_or_else(|| today_local().to_string());
            vault.apply(
                Command::AddJournalEntry {
                    id: id.clone(),
                    date,
                    mood,
                    tags,
                    text,
                    prompt,
                },
                now_ms(),
            )?;
            if share {
                vault.apply(Command::ShareJournalEntry { id: id.clone() }, now_ms())?;
            }
            vault.save(now_ms())?;
            writeln!(out, "{id}")?;
        }
        JournalCmd::Share { id } => {
            let id = entry_id(&vault.view(), &id)?;
            super::apply_and_save(&mut vault, Command::ShareJournalEntry { id })?;
        }
        JournalCmd::Unshare { id } => {
            let id = entry_id(&vault.view(), &id)?;
            super::apply_and_save(&mut vault, Command::UnshareJournalEntry { id })?;
        }
        JournalCmd::List { json, search } => {
            let view = vault.view();
            let query = search.unwrap_or_default();
            let entries: Vec<_> = view.journal.iter().filter(|e| e.matches(&query)).collect();
            if json {
                serde_json::to_writer_pretty(&mut *out, &entries)?;
                writeln!(out)?;
            } else {
                for e in entries {
                    let first = e.text.lines().next().unwrap_or("");
                    writeln!(
                        out,
                        "{}  {}  mood {}  {}  {}{}",
                        short_id(&e.id),
                        e.date,
                        e.mood.map_or("-".into(), |m| m.to_string()),
                        if e.shared { "shared " } else { "private" },
                        first,
                        tags_suffix(&e.tags)
                    )?;
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

/// The one journal entry whose id starts with `prefix`.
fn entry_id(view: &View, prefix: &str) -> Result<ItemId> {
    resolve_id(view.journal.iter().map(|e| &e.id), prefix, "journal entry")
}

fn tags_suffix(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!("  #{}", tags.join(" #"))
    }
}
