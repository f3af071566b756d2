//! `kintsugi trigger`: "I'm triggered", the partner's "I'm here", and the log of both.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Command, ItemId, PartnerId, Timestamp, Trigger, View};
use kintsugi_service::Vault;
use serde::Serialize;

use super::{local_time, partner_name, resolve_id, short_id, warn_errors};

#[derive(Subcommand, Debug)]
pub enum TriggerCmd {
    /// Say "I'm triggered", with an optional note. Prints its id. Your partner's device shows it
    /// with your reassurance plan as soon as the two devices connect.
    Raise {
        /// An optional note ("a song on the radio").
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
    },
    /// Say "I'm here" to your partner's trigger.
    Ack {
        /// The trigger's id, or its first digits.
        id: String,
    },
    /// Every trigger of both of you, newest first, acknowledged or not; with the reassurance
    /// plan while one of your partner's is waiting for you.
    List {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(mut vault: Vault, cmd: TriggerCmd, out: &mut dyn Write) -> Result<()> {
    match cmd {
        TriggerCmd::Raise { note } => {
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::RaiseTrigger {
                    id: id.clone(),
                    note,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        TriggerCmd::Ack { id } => {
            let view = vault.view();
            let id = resolve_id(view.triggers.iter().map(|t| &t.id), &id, "trigger")?;
            let t = view
                .triggers
                .iter()
                .find(|t| t.id == id)
                .expect("resolved among these");
            if mine(&view, t) {
                bail!(
                    "this is your own trigger: only {} can say \"I'm here\"; nothing was changed",
                    partner_name(&view)
                );
            }
            if let Some(at) = t.acknowledged_at {
                bail!(
                    "you already said \"I'm here\" to this one on {}; nothing was changed",
                    local_time(at)
                );
            }
            super::apply_and_save(&mut vault, Command::AcknowledgeTrigger { id })?;
        }
        TriggerCmd::List { json } => {
            let view = vault.view();
            if json {
                let list = TriggersJson {
                    triggers: view
                        .triggers
                        .iter()
                        .map(|t| trigger_json(&view, t))
                        .collect(),
                    reassurance_plan: &view.reassurance_plan,
                };
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else {
                print_list(out, &view)?;
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

fn mine(view: &View, t: &Trigger) -> bool {
    view.me.as_ref() == Some(&t.by)
}

fn print_list(out: &mut dyn Write, view: &View) -> Result<()> {
    if view.triggers.is_empty() {
        writeln!(
            out,
            "No triggers yet. When you need your partner, `kintsugi trigger raise [--note T]`."
        )?;
        return Ok(());
    }
    let waiting = view
        .triggers
        .iter()
        .any(|t| !mine(view, t) && t.acknowledged_at.is_none());
    if waiting {
        writeln!(
            out,
            "{} is triggered and needs you now. Your reassurance plan:",
            partner_name(view)
        )?;
        let plan = view.reassurance_plan.trim();
        if plan.is_empty() {
            writeln!(
                out,
                "    (no plan written yet; write it together with `kintsugi plan edit`)"
            )?;
        } else {
            for line in plan.lines() {
                writeln!(out, "    {line}")?;
            }
        }
        writeln!(out, "Say \"I'm here\" with `kintsugi trigger ack ID`.\n")?;
    }
    for t in &view.triggers {
        let note = if t.note.is_empty() {
            String::new()
        } else {
            format!(": \"{}\"", t.note)
        };
        let ack = match t.acknowledged_at {
            Some(at) => {
                let who = if mine(view, t) {
                    partner_name(view)
                } else {
                    view.my_name.clone()
                };
                format!("{who} said \"I'm here\" on {}", local_time(at))
            }
            None if mine(view, t) => format!("not acknowledged by {} yet", partner_name(view)),
            None => "waiting for you to say \"I'm here\"".to_owned(),
        };
        writeln!(
            out,
            "{}  {}  {}{}\n    {}",
            short_id(&t.id),
            local_time(t.at),
            view.name_of(&t.by),
            note,
            ack
        )?;
    }
    Ok(())
}

/// `trigger list --json`.
#[derive(Serialize)]
struct TriggersJson<'a> {
    triggers: Vec<TriggerJson<'a>>,
    reassurance_plan: &'a str,
}

#[derive(Serialize)]
struct TriggerJson<'a> {
    id: &'a ItemId,
    by: &'a PartnerId,
    by_name: String,
    mine: bool,
    note: &'a str,
    at: Timestamp,
    acknowledged_at: Option<Timestamp>,
}

fn trigger_json<'a>(view: &View, t: &'a Trigger) -> TriggerJson<'a> {
    TriggerJson {
        id: &t.id,
        by: &t.by,
        by_name: view.name_of(&t.by),
        mine: mine(view, t),
        note: &t.note,
        at: t.at,
        acknowledged_at: t.acknowledged_at,
    }
}
