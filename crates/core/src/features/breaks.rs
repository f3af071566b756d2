//! Breaks: "pause for twenty minutes and come back", one absolute end time both devices count to.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::authorship::Writers;
use crate::command::Command;
use crate::export::{ExportCtx, Report, entry, time_of};
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, ensure_map, invalid, item, long_text, misrouted, new_item, top};

/// Couple: breaks under random ids; `extensions` and `ended` are maps keyed so that concurrent
/// writes from both devices never collide (a random id per extension, a partner id per end).
const BREAKS: &str = "breaks";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[BREAKS];

/// The longest break one can start (two days) and the longest single extension (twelve hours).
const MAX_AHEAD_MS: i64 = 48 * 3_600_000;
const MAX_EXTEND_MINUTES: u32 = 720;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Break {
    pub id: ItemId,
    pub started_by: PartnerId,
    pub started_at: Timestamp,
    pub note: String,
    /// Absolute end (ms since the epoch, UTC): the planned end plus every extension. Absolute,
    /// so two devices whose clocks differ by seconds still agree on the minute.
    pub ends_at: Timestamp,
    /// Oldest first.
    pub extensions: Vec<BreakExtension>,
    /// Who ended it early, and when (the earliest, if both did).
    pub ended: Option<(PartnerId, Timestamp)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BreakExtension {
    pub by: PartnerId,
    pub minutes: u32,
    pub at: Timestamp,
}

impl Break {
    pub fn is_running(&self, now: Timestamp) -> bool {
        self.ended.is_none() && now < self.ends_at
    }

    /// When it stopped or will stop: the early end if any, else `ends_at`.
    pub fn over_at(&self) -> Timestamp {
        self.ended.as_ref().map_or(self.ends_at, |(_, at)| *at)
    }
}

impl View {
    /// The break to show at `now`: the running one; of two started at once, the one ending
    /// last, so both devices pick the same.
    pub fn current_break(&self, now: Timestamp) -> Option<&Break> {
        self.breaks
            .iter()
            .filter(|b| b.is_running(now))
            .max_by(|a, b| (a.ends_at, &a.id).cmp(&(b.ends_at, &b.id)))
    }

    /// The latest break that is over, if it ended within `within_ms` of `now` and none runs.
    pub fn just_ended_break(&self, now: Timestamp, within_ms: i64) -> Option<&Break> {
        if self.current_break(now).is_some() {
            return None;
        }
        self.breaks
            .iter()
            .filter(|b| b.over_at() <= now && now - b.over_at() <= within_ms)
            .max_by(|a, b| (a.over_at(), &a.id).cmp(&(b.over_at(), &b.id)))
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.as_str();
    match cmd {
        Command::StartBreak { id, ends_at, note } => {
            long_text(&note, "The note")?;
            if ends_at <= now {
                return Err(invalid("a break has to end in the future"));
            }
            if ends_at - now > MAX_AHEAD_MS {
                return Err(invalid("a break can last two days at most"));
            }
            if let Some(b) = current(d, now) {
                return Err(invalid(format!(
                    "a break is already running (until {}); extend it or end it instead",
                    clock(b.ends_at)
                )));
            }
            let map = top(d.couple, BREAKS)?;
            let b = new_item(d.couple, &map, &id)?;
            d.couple.put(&b, "by", me)?;
            d.couple.put(&b, "at", now)?;
            d.couple.put(&b, "ends_at", ends_at)?;
            d.couple.put(&b, "note", note.trim())?;
            d.couple.put_object(&b, "extensions", ObjType::Map)?;
            d.couple.put_object(&b, "ended", ObjType::Map)?;
        }
        Command::ExtendBreak { id, minutes } => {
            if !(1..=MAX_EXTEND_MINUTES).contains(&minutes) {
                return Err(invalid("an extension is between 1 minute and 12 hours"));
            }
            let b = running(d, &id, now)?;
            let ext = ensure_map(d.couple, &b, "extensions")?;
            let e = d
                .couple
                .put_object(&ext, ItemId::random().0.as_str(), ObjType::Map)?;
            d.couple.put(&e, "v", ITEM_VERSION)?;
            d.couple.put(&e, "by", me)?;
            d.couple.put(&e, "minutes", minutes as i64)?;
            d.couple.put(&e, "at", now)?;
        }
        Command::EndBreak { id } => {
            let b = running(d, &id, now)?;
            let ended = ensure_map(d.couple, &b, "ended")?;
            d.couple.put(&ended, me, now)?;
        }
        other => return Err(misrouted(&other, "breaks")),
    }
    Ok(())
}

fn current(d: &WriteDocs<'_>, now: Timestamp) -> Option<Break> {
    let mut v = View::default();
    read_into(d.couple, &Writers::unchecked(), &mut v, &mut Vec::new());
    v.current_break(now).cloned()
}

/// The break `id`, which must be running now.
fn running(d: &WriteDocs<'_>, id: &ItemId, now: Timestamp) -> Result<automerge::ObjId, CoreError> {
    let obj = item(d.couple, BREAKS, id, "break")?;
    let mut v = View::default();
    read_into(d.couple, &Writers::unchecked(), &mut v, &mut Vec::new());
    match v.breaks.iter().find(|b| &b.id == id) {
        Some(b) if b.is_running(now) => Ok(obj),
        Some(_) => Err(invalid("that break is already over")),
        None => Err(invalid("that break cannot be read")),
    }
}

/// `HH:MM` UTC, for messages from core (which has no time zone); the window says it locally.
fn clock(ms: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_default()
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    read_into(r.couple, r.writers, v, errors);
}

fn read_into(doc: &automerge::AutoCommit, w: &Writers, v: &mut View, errors: &mut Vec<ItemError>) {
    v.breaks = collect(doc, BREAKS, errors, |id, b| {
        let mut extensions = Vec::new();
        if let Ok(ext) = b.map("extensions") {
            for (_, e) in ext.items() {
                let e = e?;
                let minutes = e.i64("minutes")?;
                if !(1..=MAX_EXTEND_MINUTES as i64).contains(&minutes) {
                    return Err(ItemError::new(e.place(), "has an extension out of range"));
                }
                extensions.push(BreakExtension {
                    by: e.author("by", w)?,
                    minutes: minutes as u32,
                    at: e.i64("at")?,
                });
            }
        }
        extensions.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
        let mut ended = None;
        if let Ok(m) = b.map("ended") {
            for who in m.keys() {
                let at = m.i64(&who)?;
                if ended.as_ref().is_none_or(|(_, t)| at < *t) {
                    ended = Some((m.author_of_field(&who, &who, w)?, at));
                }
            }
        }
        let planned = b.i64("ends_at")?;
        let extra: i64 = extensions.iter().map(|e| e.minutes as i64 * 60_000).sum();
        Ok(Break {
            id: ItemId(id.to_owned()),
            started_by: b.author("by", w)?,
            started_at: b.i64("at")?,
            note: b.str_or_empty("note")?,
            ends_at: planned.saturating_add(extra),
            extensions,
            ended,
        })
    });
    v.breaks
        .sort_by(|a, b| (b.started_at, &b.id).cmp(&(a.started_at, &a.id)));
}

fn in_period<'a>(c: &ExportCtx<'a>) -> Vec<&'a Break> {
    c.scope.within(&c.v.breaks, |b| b.started_at)
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("breaks", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let mut breaks = in_period(c);
    if breaks.is_empty() {
        r.nothing();
        return;
    }
    breaks.sort_by_key(|b| b.started_at);
    r.list(
        breaks
            .into_iter()
            .map(|b| {
                let mut text = format!("planned until {}", time_of(b.ends_at));
                if !b.extensions.is_empty() {
                    let minutes: u32 = b.extensions.iter().map(|e| e.minutes).sum();
                    text.push_str(&format!(
                        ", extended {} times ({minutes} minutes)",
                        b.extensions.len()
                    ));
                }
                if let Some((by, at)) = &b.ended {
                    text.push_str(&format!(", ended by {} at {}", v.name_of(by), time_of(*at)));
                }
                if !b.note.trim().is_empty() {
                    text.push_str(&format!(". {}", b.note.trim()));
                }
                (
                    format!("{}, {}", time_of(b.started_at), v.name_of(&b.started_by)),
                    text,
                )
            })
            .collect(),
    );
}
