//! `kintsugi apology`: the gentle excuse check, private drafts, and sharing one with the partner.

use std::io::{Read, Write};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kintsugi_core::{Apology, ApologyFields, Command, ItemId, View, check_apology};
use kintsugi_service::Vault;

use super::{local_time, resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum ApologyCmd {
    /// Read text on stdin and mark phrases that tend to undo an apology ("but", "if you
    /// hadn't", "you always", "I'm sorry you feel", "I was just" …), each with its position in
    /// characters from 0, why, and a kinder way to say it. Marks are suggestions: exits with 0.
    Check {
        /// Print JSON: an array of {found, at, why, suggestion}.
        #[arg(long)]
        json: bool,
    },
    /// Save a private draft, step by step. Prints its id. Only you see it until you share it.
    Draft {
        /// What I did, specifically.
        #[arg(long = "what")]
        what_i_did: String,
        /// The impact on you.
        #[arg(long, default_value = "", hide_default_value = true)]
        impact: String,
        /// My regret.
        #[arg(long, default_value = "", hide_default_value = true)]
        regret: String,
        /// What I will do differently.
        #[arg(long, default_value = "", hide_default_value = true)]
        differently: String,
    },
    /// Share a draft: your partner can read a copy. Nothing asks for forgiveness.
    Share {
        /// The draft's id, or its first digits.
        id: String,
    },
    /// Your drafts, and the apologies either of you shared.
    List {
        /// Print JSON: {drafts: [..], shared: [..]}.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(mut vault: Vault, cmd: ApologyCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        ApologyCmd::Check { .. } => unreachable!("checked without the data"),
        ApologyCmd::Draft {
            what_i_did,
            impact,
            regret,
            differently,
        } => {
            if what_i_did.trim().is_empty() {
                bail!("a draft starts with what you did; --what is empty, nothing was saved");
            }
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::SaveApologyDraft {
                    id: id.clone(),
                    fields: ApologyFields {
                        what_i_did,
                        impact,
                        regret,
                        will_do_differently: differently,
                    },
                },
            )?;
            writeln!(out, "{id}")?;
        }
        ApologyCmd::Share { id } => {
            let view = vault.view();
            let id = resolve_id(
                view.apology_drafts.iter().map(|a| &a.id),
                &id,
                "apology draft",
            )?;
            super::apply_and_save(&mut vault, Command::ShareApology { id })?;
        }
        ApologyCmd::List { json } => {
            let view = vault.view();
            if json {
                #[derive(serde::Serialize)]
                struct Out<'a> {
                    drafts: &'a [Apology],
                    shared: &'a [Apology],
                }
                serde_json::to_writer_pretty(
                    &mut *out,
                    &Out {
                        drafts: &view.apology_drafts,
                        shared: &view.apologies,
                    },
                )?;
                writeln!(out)?;
            } else {
                print_list(out, &view)?;
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

/// `apology check`: needs no data directory, only stdin.
pub fn check(json: bool, out: &mut dyn Write) -> Result<()> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the text on stdin (it must be UTF-8)")?;
    let flags = check_apology(&text);
    if json {
        serde_json::to_writer_pretty(&mut *out, &flags)?;
        writeln!(out)?;
    } else if flags.is_empty() {
        writeln!(out, "No excuse patterns found.")?;
    } else {
        for f in &flags {
            writeln!(out, "at {}: \"{}\"", f.at, f.found)?;
            writeln!(out, "    why: {}", f.why)?;
            writeln!(out, "    try: {}", f.suggestion)?;
        }
        writeln!(
            out,
            "{} mark{}: suggestions only; your words are yours.",
            flags.len(),
            if flags.len() == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

fn print_list(out: &mut dyn Write, view: &View) -> Result<()> {
    if view.apology_drafts.is_empty() && view.apologies.is_empty() {
        writeln!(
            out,
            "No apologies yet. Start a draft with `kintsugi apology draft --what T`."
        )?;
        return Ok(());
    }
    for (title, list) in [
        ("Your drafts (private)", &view.apology_drafts),
        ("Shared", &view.apologies),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "{title}:")?;
        for a in list.iter() {
            writeln!(
                out,
                "{}  {}  {}",
                short_id(&a.id),
                local_time(a.at),
                view.name_of(&a.by)
            )?;
            for (label, text) in [
                ("What I did", &a.what_i_did),
                ("The impact on you", &a.impact),
                ("My regret", &a.regret),
                ("What I will do differently", &a.will_do_differently),
            ] {
                if !text.trim().is_empty() {
                    writeln!(
                        out,
                        "    {label}: {}",
                        text.lines().collect::<Vec<_>>().join(" / ")
                    )?;
                }
            }
        }
    }
    Ok(())
}
