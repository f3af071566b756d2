//! `kintsugi commitment`: make a commitment, log each day it was due, acknowledge the partner's
//! log, pause, resume and retire it.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use kintsugi_core::{
    Command, Commitment, CommitmentLog, CommitmentState, ItemId, LogStatus, PartnerId, Rhythm,
    Timestamp, View, parse_date,
};
use kintsugi_service::{Vault, today_local};
use serde::Serialize;

use super::{local_time, partner_name, resolve_id, short_id, warn_errors};

/// How many of the newest logged days `commitment list` prints per commitment.
const RECENT_LOGS: usize = 7;

#[derive(Subcommand, Debug)]
pub enum CommitmentCmd {
    /// Make a commitment: a concrete promise, e.g. "Home by 6". Prints its id.
    Add {
        /// What you commit to.
        title: String,
        /// When it is due: daily, weekdays, chosen days (mon,thu) or once:YYYY-MM-DD.
        /// It counts from today.
        #[arg(long, default_value = "daily", value_parser = parse_rhythm)]
        rhythm: Rhythm,
    },
    /// Every commitment of both of you: its rhythm, state, record and recent logs.
    List {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
    /// Log one day of your own commitment. A kept day logged again may become missed; a missed
    /// day stays as logged (only its note changes), and no logged day is ever deleted.
    Log {
        /// The commitment's id, or its first digits.
        id: String,
        #[arg(value_enum)]
        status: Status,
        /// The day logged, YYYY-MM-DD (default: today).
        #[arg(long)]
        date: Option<String>,
        /// An optional note.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
    },
    /// Acknowledge your partner's log of one day, with an optional note.
    Ack {
        /// The commitment's id, or its first digits.
        id: String,
        /// The logged day, YYYY-MM-DD.
        date: String,
        /// An optional note.
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
    },
    /// Pause your commitment: days while paused are not due.
    Pause { id: String },
    /// Make your paused commitment active again.
    Resume { id: String },
    /// Retire your commitment: it stays with its log, and is no longer due.
    Retire { id: String },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Status {
    Kept,
    Missed,
    /// Missed, and told before being asked.
    Disclosed,
}

fn parse_rhythm(s: &str) -> Result<Rhythm, String> {
    Rhythm::parse(s)
}

pub fn run(mut vault: Vault, cmd: CommitmentCmd, out: &mut dyn Write) -> Result<()> {
    let today = today_local();
    match cmd {
        CommitmentCmd::Add { title, rhythm } => {
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddCommitment {
                    id: id.clone(),
                    text: title,
                    rhythm,
                    start: today.to_string(),
                },
            )?;
            writeln!(out, "{id}")?;
        }
        CommitmentCmd::List { json } => {
            let view = vault.view();
            if json {
                let list: Vec<_> = view
                    .commitments
                    .iter()
                    .map(|c| commitment_json(c, today))
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &list)?;
                writeln!(out)?;
            } else if view.commitments.is_empty() {
                writeln!(
                    out,
                    "No commitments yet. Make one with `kintsugi commitment add TITLE --rhythm daily`."
                )?;
            } else {
                for c in &view.commitments {
                    print_commitment(out, &view, c, today)?;
                }
            }
            warn_errors(&view);
        }
        CommitmentCmd::Log {
            id,
            status,
            date,
            note,
        } => {
            let view = vault.view();
            let c = find(&view, &id)?;
            if !mine(&view, c) {
                bail!(
                    "only {} logs this commitment; acknowledge a logged day with `kintsugi commitment ack`",
                    view.name_of(&c.by)
                );
            }
            let date = match date {
                Some(d) => day(&d)?,
                None => today.to_string(),
            };
            if parse_date(&date).is_some_and(|d| d > today) {
                bail!("{date} has not come yet; log a day once it has passed");
            }
            if date < c.start {
                bail!(
                    "this commitment counts from {}; {date} is before it",
                    c.start
                );
            }
            let status = match status {
                Status::Kept => LogStatus::Kept,
                Status::Missed => LogStatus::Missed,
                Status::Disclosed => LogStatus::DisclosedBeforeAsked,
            };
            super::apply_and_save(
                &mut vault,
                Command::LogCommitment {
                    id: c.id.clone(),
                    date,
                    status,
                    note,
                },
            )?;
        }
        CommitmentCmd::Ack { id, date, note } => {
            let view = vault.view();
            let c = find(&view, &id)?;
            if mine(&view, c) {
                bail!(
                    "this is your own commitment: only {} can acknowledge its log",
                    partner_name(&view)
                );
            }
            let date = day(&date)?;
            if c.log_on(&date).is_none() {
                bail!(
                    "{} has not logged {date} for this commitment; there is nothing to acknowledge",
                    view.name_of(&c.by)
                );
            }
            super::apply_and_save(
                &mut vault,
                Command::AcknowledgeCommitmentLog {
                    id: c.id.clone(),
                    date,
                    note,
                },
            )?;
        }
        CommitmentCmd::Pause { id } => set_state(vault, &id, CommitmentState::Paused)?,
        CommitmentCmd::Resume { id } => set_state(vault, &id, CommitmentState::Active)?,
        CommitmentCmd::Retire { id } => set_state(vault, &id, CommitmentState::Retired)?,
    }
    Ok(())
}

fn set_state(mut vault: Vault, id: &str, state: CommitmentState) -> Result<()> {
    let view = vault.view();
    let c = find(&view, id)?;
    if !mine(&view, c) {
        bail!(
            "only {} can pause, resume or retire this commitment",
            view.name_of(&c.by)
        );
    }
    super::apply_and_save(
        &mut vault,
        Command::SetCommitmentState {
            id: c.id.clone(),
            state,
            date: today_local().to_string(),
        },
    )?;
    Ok(())
}

fn find<'a>(view: &'a View, prefix: &str) -> Result<&'a Commitment> {
    let id = resolve_id(view.commitments.iter().map(|c| &c.id), prefix, "commitment")?;
    Ok(view
        .commitments
        .iter()
        .find(|c| c.id == id)
        .expect("resolved among these"))
}

fn mine(view: &View, c: &Commitment) -> bool {
    view.me.as_ref() == Some(&c.by)
}

/// A date as the documents key it (`2026-11-04`), or a one-line refusal.
fn day(s: &str) -> Result<String> {
    match parse_date(s) {
        Some(d) => Ok(d.to_string()),
        None => bail!("'{s}' is not a date like 2026-11-24"),
    }
}

fn print_commitment(
    out: &mut dyn Write,
    view: &View,
    c: &Commitment,
    today: chrono::NaiveDate,
) -> Result<()> {
    writeln!(
        out,
        "{}  {}  ({}, {}, since {}, {})",
        short_id(&c.id),
        c.text,
        view.name_of(&c.by),
        c.rhythm.describe(),
        c.start,
        c.state.label()
    )?;
    writeln!(out, "    {}", c.summary(today))?;
    for l in c.log.iter().take(RECENT_LOGS) {
        writeln!(out, "    {}", log_line(view, l))?;
    }
    if c.log.len() > RECENT_LOGS {
        writeln!(
            out,
            "    … {} earlier logged days (see --json)",
            c.log.len() - RECENT_LOGS
        )?;
    }
    Ok(())
}

fn log_line(view: &View, l: &CommitmentLog) -> String {
    let mut line = format!("{}  {}", l.date, l.status.label());
    if !l.note.is_empty() {
        line.push_str(&format!(": \"{}\"", l.note));
    }
    match (&l.acknowledged_by, l.acknowledged_at) {
        (Some(by), at) => {
            line.push_str(&format!("; acknowledged by {}", view.name_of(by)));
            if let Some(at) = at {
                line.push_str(&format!(" on {}", local_time(at)));
            }
            if !l.ack_note.is_empty() {
                line.push_str(&format!(": \"{}\"", l.ack_note));
            }
        }
        (None, _) => line.push_str("; not acknowledged yet"),
    }
    line
}

/// One commitment in `commitment list --json`: the stored fields, and what the list says of them.
#[derive(Serialize)]
struct CommitmentJson<'a> {
    id: &'a ItemId,
    by: &'a PartnerId,
    text: &'a str,
    /// As `--rhythm` reads it: "daily", "weekdays", "mon,thu", "once:2026-12-24".
    rhythm: String,
    rhythm_words: String,
    start: &'a str,
    state: &'static str,
    active: bool,
    created_at: Timestamp,
    due_today: bool,
    summary: String,
    log: Vec<LogJson<'a>>,
}

#[derive(Serialize)]
struct LogJson<'a> {
    date: &'a str,
    status: &'static str,
    note: &'a str,
    at: Timestamp,
    acknowledged_by: Option<&'a PartnerId>,
    acknowledged_at: Option<Timestamp>,
    ack_note: &'a str,
}

fn commitment_json(c: &Commitment, today: chrono::NaiveDate) -> CommitmentJson<'_> {
    CommitmentJson {
        id: &c.id,
        by: &c.by,
        text: &c.text,
        rhythm: c.rhythm.as_text(),
        rhythm_words: c.rhythm.describe(),
        start: &c.start,
        state: c.state.as_str(),
        active: c.active,
        created_at: c.created_at,
        due_today: c.is_due(today),
        summary: c.summary(today),
        log: c
            .log
            .iter()
            .map(|l| LogJson {
                date: &l.date,
                status: l.status.as_str(),
                note: &l.note,
                at: l.at,
                acknowledged_by: l.acknowledged_by.as_ref(),
                acknowledged_at: l.acknowledged_at,
                ack_note: &l.ack_note,
            })
            .collect(),
    }
}
