//! `kintsugi break`: "pause for 20 minutes and come back", with one absolute end time that both
//! devices count down to.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Subcommand;
use kintsugi_core::{Break, Command, ItemId, PartnerId, Timestamp, View};
use kintsugi_service::{Vault, now_ms};
use serde::Serialize;

use super::{local_time, warn_errors};

/// The longest break `break start` accepts: two days, as the documents allow.
const MAX_START_MINUTES: i64 = 48 * 60;
/// The longest single extension.
const MAX_EXTEND_MINUTES: i64 = 720;

#[derive(Subcommand, Debug)]
pub enum BreakCmd {
    /// Start a break of MINUTES (1 to 2880), with an optional word. Both devices count down to
    /// the same end time. Refused while a break is running.
    Start {
        #[arg(value_parser = clap::value_parser!(u32).range(1..=MAX_START_MINUTES))]
        minutes: u32,
        /// An optional word for your partner ("I'll be in the garden").
        #[arg(long, default_value = "", hide_default_value = true)]
        note: String,
    },
    /// Make the running break MINUTES longer (1 to 720). Either of you may.
    Extend {
        #[arg(value_parser = clap::value_parser!(u32).range(1..=MAX_EXTEND_MINUTES))]
        minutes: u32,
    },
    /// End the running break now. Either of you may.
    End,
    /// The running break: its end time (RFC 3339, UTC), who started it, extensions; or the
    /// last one, and who ended it.
    Status {
        /// Print JSON (the fields are listed in the README).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(mut vault: Vault, cmd: BreakCmd, out: &mut dyn Write) -> Result<()> {
    let now = now_ms();
    match cmd {
        BreakCmd::Start { minutes, note } => {
            let view = vault.view();
            if let Some(b) = view.current_break(now) {
                bail!(
                    "a break {} started is running until {}; extend it with `kintsugi break extend MINUTES` or end it with `kintsugi break end`",
                    view.name_of(&b.started_by),
                    local_time(b.ends_at)
                );
            }
            let id = ItemId::random();
            let ends_at = now + i64::from(minutes) * 60_000;
            vault.apply(
                Command::StartBreak {
                    id: id.clone(),
                    ends_at,
                    note,
                },
                now,
            )?;
            vault.save(now_ms())?;
            writeln!(
                out,
                "Break until {} ({})",
                local_time(ends_at),
                rfc3339(ends_at)
            )?;
        }
        BreakCmd::Extend { minutes } => {
            let id = running(&vault.view(), now)?;
            vault.apply(
                Command::ExtendBreak {
                    id: id.clone(),
                    minutes,
                },
                now,
            )?;
            vault.save(now_ms())?;
            let view = vault.view();
            if let Some(b) = view.breaks.iter().find(|b| b.id == id) {
                writeln!(
                    out,
                    "Break until {} ({})",
                    local_time(b.ends_at),
                    rfc3339(b.ends_at)
                )?;
            }
        }
        BreakCmd::End => {
            let id = running(&vault.view(), now)?;
            vault.apply(Command::EndBreak { id }, now)?;
            vault.save(now_ms())?;
        }
        BreakCmd::Status { json } => {
            let view = vault.view();
            let current = view.current_break(now);
            let shown = current.or(view.breaks.first());
            if json {
                let s = StatusJson {
                    running: current.is_some(),
                    now,
                    r#break: shown.map(|b| break_json(&view, b, now)),
                };
                serde_json::to_writer_pretty(&mut *out, &s)?;
                writeln!(out)?;
            } else {
                match (current, shown) {
                    (Some(b), _) => print_break(out, &view, b, now)?,
                    (None, Some(b)) => {
                        writeln!(out, "No break running. The last one:")?;
                        print_break(out, &view, b, now)?;
                    }
                    (None, None) => writeln!(out, "No break running.")?,
                }
            }
            warn_errors(&view);
        }
    }
    Ok(())
}

/// The id of the running break, or a refusal that says how to start one.
fn running(view: &View, now: Timestamp) -> Result<ItemId> {
    match view.current_break(now) {
        Some(b) => Ok(b.id.clone()),
        None => bail!(
            "no break is running; start one with `kintsugi break start MINUTES`; nothing was changed"
        ),
    }
}

/// An absolute time as RFC 3339 in UTC, to the millisecond.
fn rfc3339(ms: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn print_break(out: &mut dyn Write, view: &View, b: &Break, now: Timestamp) -> Result<()> {
    let running = b.is_running(now);
    let note = if b.note.is_empty() {
        String::new()
    } else {
        format!(": \"{}\"", b.note)
    };
    writeln!(
        out,
        "Started by {} on {}{}",
        view.name_of(&b.started_by),
        local_time(b.started_at),
        note
    )?;
    if running {
        let left = (b.ends_at - now + 59_999) / 60_000;
        writeln!(
            out,
            "Ends at {} ({}), in {} min",
            local_time(b.ends_at),
            rfc3339(b.ends_at),
            left
        )?;
    } else {
        writeln!(
            out,
            "Was planned to end at {} ({})",
            local_time(b.ends_at),
            rfc3339(b.ends_at)
        )?;
    }
    for e in &b.extensions {
        writeln!(
            out,
            "    extended by {} min by {} on {}",
            e.minutes,
            view.name_of(&e.by),
            local_time(e.at)
        )?;
    }
    match &b.ended {
        Some((by, at)) => writeln!(
            out,
            "Ended early by {} on {} ({})",
            view.name_of(by),
            local_time(*at),
            rfc3339(*at)
        )?,
        None if !running => writeln!(out, "Over since {}", local_time(b.ends_at))?,
        None => {}
    }
    Ok(())
}

/// `break status --json`.
#[derive(Serialize)]
struct StatusJson<'a> {
    running: bool,
    /// This device's clock when it answered (ms since the epoch, UTC).
    now: Timestamp,
    /// The running break, else the last one; null if there never was one.
    r#break: Option<BreakJson<'a>>,
}

#[derive(Serialize)]
struct BreakJson<'a> {
    id: &'a ItemId,
    started_by: &'a PartnerId,
    started_by_name: String,
    started_at: Timestamp,
    note: &'a str,
    running: bool,
    /// The planned end plus every extension: ms since the epoch, UTC.
    ends_at: Timestamp,
    ends_at_rfc3339: String,
    /// When it stopped or will stop: the early end if any, else `ends_at`.
    over_at: Timestamp,
    over_at_rfc3339: String,
    /// Until `over_at`, from `now`; 0 once over.
    remaining_ms: i64,
    extensions: Vec<ExtensionJson<'a>>,
    ended: Option<EndedJson<'a>>,
}

#[derive(Serialize)]
struct ExtensionJson<'a> {
    by: &'a PartnerId,
    by_name: String,
    minutes: u32,
    at: Timestamp,
}

#[derive(Serialize)]
struct EndedJson<'a> {
    by: &'a PartnerId,
    by_name: String,
    at: Timestamp,
    at_rfc3339: String,
}

fn break_json<'a>(view: &View, b: &'a Break, now: Timestamp) -> BreakJson<'a> {
    BreakJson {
        id: &b.id,
        started_by: &b.started_by,
        started_by_name: view.name_of(&b.started_by),
        started_at: b.started_at,
        note: &b.note,
        running: b.is_running(now),
        ends_at: b.ends_at,
        ends_at_rfc3339: rfc3339(b.ends_at),
        over_at: b.over_at(),
        over_at_rfc3339: rfc3339(b.over_at()),
        remaining_ms: (b.over_at() - now).max(0),
        extensions: b
            .extensions
            .iter()
            .map(|e| ExtensionJson {
                by: &e.by,
                by_name: view.name_of(&e.by),
                minutes: e.minutes,
                at: e.at,
            })
            .collect(),
        ended: b.ended.as_ref().map(|(by, at)| EndedJson {
            by,
            by_name: view.name_of(by),
            at: *at,
            at_rfc3339: rfc3339(*at),
        }),
    }
}
