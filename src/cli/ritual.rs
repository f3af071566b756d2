//! `kintsugi ritual`: time together (rituals, date nights, joint projects): plan one, list what is coming and what was done this month, mark a day done.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use kintsugi_core::{
    Command, ItemId, PartnerId, Rhythm, Ritual, RitualDone, RitualKind, Timestamp, View, parse_date,
};
use kintsugi_service::{Vault, today_local};
use serde::Serialize;

use super::{local_time, resolve_id, short_id, warn_errors};

/// How far ahead `ritual list` looks.
const UPCOMING_DAYS: u32 = 14;

#[derive(Subcommand, Debug)]
pub enum RitualCmd {
    /// Plan time together. Prints its id.
    Add {
        #[arg(long, value_enum)]
        kind: Kind,
        /// What it is: "Morning coffee", "Dinner at Luca's", "Paint the hallway".
        #[arg(long)]
        title: String,
        /// The day (YYYY-MM-DD): a date night's or project's day, or a ritual's first day.
        #[arg(long)]
        date: Option<String>,
        /// Rituals only: how often (daily, weekdays, mon,thu, or once:YYYY-MM-DD).
        #[arg(long, value_parser = parse_rhythm)]
        rhythm: Option<Rhythm>,
    },
    /// What is coming in the next two weeks, what is planned with no day yet, and what you did
    /// together this month.
    List {
        /// Print JSON: {today, upcoming: [{date, ritual}], undated: [ritual], done_this_month:
        /// [{on, by, by_name, at, ritual}], rituals: [ritual]}.
        #[arg(long)]
        json: bool,
    },
    /// Mark a day of it done (either of you can), or take the mark back with --undo.
    Done {
        /// The plan's id, or its first digits.
        id: String,
        /// The day (YYYY-MM-DD); default: a one-off's own day, otherwise today.
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        /// Take back the mark for that day.
        #[arg(long)]
        undo: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum Kind {
    /// Something you do regularly: morning coffee, a walk.
    Ritual,
    DateNight,
    /// Something you make or do together over time.
    Project,
}

fn parse_rhythm(s: &str) -> Result<Rhythm, String> {
    Rhythm::parse(s)
}

pub fn run(mut vault: Vault, cmd: RitualCmd, out: &mut dyn Write) -> Result<()> {
    let today = today_local().to_string();
    match cmd {
        RitualCmd::Add {
            kind,
            title,
            date,
            rhythm,
        } => {
            if title.trim().is_empty() {
                bail!("time together needs a title; --title is empty, nothing was saved");
            }
            let kind = match kind {
                Kind::Ritual => RitualKind::Ritual,
                Kind::DateNight => RitualKind::DateNight,
                Kind::Project => RitualKind::Project,
            };
            if rhythm.is_some() && kind != RitualKind::Ritual {
                bail!(
                    "only rituals repeat; a date night or project is planned for one day (--date)"
                );
            }
            let mut date = date.as_deref().map(day).transpose()?;
            // A recurring ritual counts from its first day: today unless given.
            if rhythm.is_some() && date.is_none() {
                date = Some(today.clone());
            }
            let id = ItemId::random();
            super::apply_and_save(
                &mut vault,
                Command::AddRitual {
                    id: id.clone(),
                    kind,
                    title,
                    date,
                    rhythm,
                },
            )?;
            writeln!(out, "{id}")?;
        }
        RitualCmd::List { json } => {
            let view = vault.view();
            if json {
                print_json(out, &view, &today)?;
            } else {
                print_list(out, &view, &today)?;
            }
            warn_errors(&view);
        }
        RitualCmd::Done { id, on, undo } => {
            let view = vault.view();
            let id = resolve_id(view.rituals.iter().map(|r| &r.id), &id, "plan")?;
            let r = view
                .rituals
                .iter()
                .find(|r| r.id == id)
                .expect("resolved among these");
            let on = match on {
                Some(d) => day(&d)?,
                None if r.rhythm.is_none() => r.date.clone().unwrap_or_else(|| today.clone()),
                None => today.clone(),
            };
            if !undo && on > today {
                bail!("{on} has not come yet; mark it done once you have done it");
            }
            if undo && !r.done_on(&on) {
                bail!(
                    "'{}' is not marked done on {on}; nothing was changed",
                    r.title
                );
            }
            super::apply_and_save(
                &mut vault,
                Command::MarkRitualDone {
                    id: r.id.clone(),
                    on: on.clone(),
                    done: !undo,
                },
            )?;
            if undo {
                writeln!(out, "'{}' is no longer marked done on {on}.", r.title)?;
            } else {
                writeln!(out, "'{}' is marked done on {on}.", r.title)?;
            }
        }
    }
    Ok(())
}

/// A date as the documents key it (`2026-11-24`), or a one-line refusal.
fn day(s: &str) -> Result<String> {
    match parse_date(s) {
        Some(d) => Ok(d.to_string()),
        None => bail!("'{s}' is not a date like 2026-11-24"),
    }
}

fn kind_label(k: RitualKind) -> &'static str {
    match k {
        RitualKind::Ritual => "ritual",
        RitualKind::DateNight => "date night",
        RitualKind::Project => "project",
    }
}

/// "Morning coffee (ritual, every day) [1a2b3c4d]".
fn describe(r: &Ritual) -> String {
    let what = match &r.rhythm {
        Some(rh) => format!("{}, {}", kind_label(r.kind), rh.describe()),
        None => kind_label(r.kind).to_owned(),
    };
    format!("{} ({what}) [{}]", r.title, short_id(&r.id))
}

fn print_list(out: &mut dyn Write, view: &View, today: &str) -> Result<()> {
    if view.rituals.is_empty() {
        writeln!(
            out,
            "No time together planned yet. Plan some with `kintsugi ritual add --kind ritual --title T --rhythm daily`."
        )?;
        return Ok(());
    }
    // One line per plan: its next day (a daily ritual would otherwise fill the list).
    let mut seen: Vec<&ItemId> = Vec::new();
    let upcoming: Vec<_> = view
        .time_together_upcoming(today, UPCOMING_DAYS)
        .into_iter()
        .filter(|(_, r)| {
            let new = !seen.contains(&&r.id);
            seen.push(&r.id);
            new
        })
        .collect();
    writeln!(out, "Coming up (next {UPCOMING_DAYS} days):")?;
    if upcoming.is_empty() {
        writeln!(out, "  nothing planned")?;
    }
    for (date, r) in &upcoming {
        let when = if date == today {
            "today"
        } else {
            date.as_str()
        };
        writeln!(out, "  {when:<10}  {}", describe(r))?;
    }
    let undated: Vec<&Ritual> = view
        .rituals
        .iter()
        .filter(|r| r.date.is_none() && r.rhythm.is_none() && !r.is_finished())
        .collect();
    if !undated.is_empty() {
        writeln!(out, "No day set yet:")?;
        for r in undated {
            writeln!(out, "  {}", describe(r))?;
        }
    }
    let done = view.time_together_done_in_month(today);
    writeln!(out, "Done together this month:")?;
    if done.is_empty() {
        writeln!(out, "  nothing marked done yet")?;
    }
    for (on, r, d) in done {
        writeln!(
            out,
            "  {on}  {} (marked by {} on {})",
            describe(r),
            view.name_of(&d.by),
            local_time(d.at)
        )?;
    }
    Ok(())
}

/// A plan in `ritual list --json`.
#[derive(Serialize)]
struct RitualJson<'a> {
    id: &'a ItemId,
    by: &'a PartnerId,
    /// ritual, date_night or project.
    kind: &'static str,
    title: &'a str,
    date: Option<&'a str>,
    /// As `--rhythm` reads it, or null for a one-off.
    rhythm: Option<String>,
    next_on: Option<String>,
    done: &'a [RitualDone],
}

fn ritual_json<'a>(r: &'a Ritual, today: &str) -> RitualJson<'a> {
    RitualJson {
        id: &r.id,
        by: &r.by,
        kind: r.kind.as_str(),
        title: &r.title,
        date: r.date.as_deref(),
        rhythm: r.rhythm.as_ref().map(Rhythm::as_text),
        next_on: r.next_on(today),
        done: &r.done,
    }
}

#[derive(Serialize)]
struct UpcomingJson<'a> {
    date: String,
    ritual: RitualJson<'a>,
}

#[derive(Serialize)]
struct DoneJson<'a> {
    on: String,
    by: &'a PartnerId,
    by_name: String,
    at: Timestamp,
    ritual: RitualJson<'a>,
}

#[derive(Serialize)]
struct ListJson<'a> {
    today: &'a str,
    upcoming: Vec<UpcomingJson<'a>>,
    undated: Vec<RitualJson<'a>>,
    done_this_month: Vec<DoneJson<'a>>,
    rituals: Vec<RitualJson<'a>>,
}

fn print_json(out: &mut dyn Write, view: &View, today: &str) -> Result<()> {
    let list = ListJson {
        today,
        upcoming: view
            .time_together_upcoming(today, UPCOMING_DAYS)
            .into_iter()
            .map(|(date, r)| UpcomingJson {
                date,
                ritual: ritual_json(r, today),
            })
            .collect(),
        undated: view
            .rituals
            .iter()
            .filter(|r| r.date.is_none() && r.rhythm.is_none() && !r.is_finished())
            .map(|r| ritual_json(r, today))
            .collect(),
        done_this_month: view
            .time_together_done_in_month(today)
            .into_iter()
            .map(|(on, r, d)| DoneJson {
                on,
                by: &d.by,
                by_name: view.name_of(&d.by),
                at: d.at,
                ritual: ritual_json(r, today),
            })
            .collect(),
        rituals: view.rituals.iter().map(|r| ritual_json(r, today)).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &list)?;
    writeln!(out)?;
    Ok(())
}
