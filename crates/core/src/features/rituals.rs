//! Time together: rituals, date nights and shared projects, planned and marked done.

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use chrono::{Datelike, NaiveDate};

use crate::command::Command;
use crate::export::{ExportCtx, Report, date_of, entry};
use crate::features::{Rhythm, View};
use crate::ids::{ItemId, PartnerId, Timestamp, parse_date};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, ReadDocs, collect_cached};
use crate::write::{
    WriteDocs, date_text, invalid, item, misrouted, new_item, put_opt_str, short_text, top,
};

/// Couple: plans under random ids.
const RITUALS: &str = "rituals";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[RITUALS];

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RitualKind {
    Ritual,
    DateNight,
    Project,
}

impl RitualKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RitualKind::Ritual => "ritual",
            RitualKind::DateNight => "date_night",
            RitualKind::Project => "project",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ritual" => Some(RitualKind::Ritual),
            "date_night" => Some(RitualKind::DateNight),
            "project" => Some(RitualKind::Project),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Ritual {
    pub id: ItemId,
    pub by: PartnerId,
    pub kind: RitualKind,
    pub title: String,
    /// A one-off's day, or the first day of a recurring ritual.
    pub date: Option<String>,
    /// None: a one-off.
    pub rhythm: Option<Rhythm>,
    /// When a one-off was marked done (also set by versions before per-day marks).
    pub done_at: Option<Timestamp>,
    /// Oldest first.
    pub done: Vec<RitualDone>,
}

/// One day a plan was done, and who said so.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RitualDone {
    pub on: String,
    pub by: PartnerId,
    pub at: Timestamp,
}

/// Days are keys of the plan itself (`done/<date>`): both partners marking the same day write
/// the same key, and no nested map can be created twice concurrently.
const DONE_PREFIX: &str = "done/";

impl Ritual {
    pub fn done_on(&self, date: &str) -> bool {
        self.done.iter().any(|d| d.on == date)
    }

    /// Whether the plan falls on `date` (a one-off on its date; a ritual on its rhythm, from its
    /// first day).
    pub fn falls_on(&self, date: NaiveDate) -> bool {
        let start = self.date.as_deref().and_then(parse_date);
        match &self.rhythm {
            Some(r) => start.is_none_or(|s| date >= s) && r.falls_on(date),
            None => start == Some(date),
        }
    }

    /// Is a one-off, and it is done.
    pub fn is_finished(&self) -> bool {
        self.rhythm.is_none() && (self.done_at.is_some() || !self.done.is_empty())
    }

    /// The next day (today or later) the plan falls on and is not yet done; None for a finished
    /// or undated one-off, or nothing within a year.
    pub fn next_on(&self, today: &str) -> Option<String> {
        let today = parse_date(today)?;
        if self.is_finished() {
            return None;
        }
        (0..366)
            .filter_map(|i| today.checked_add_days(chrono::Days::new(i)))
            .find(|d| self.falls_on(*d) && !self.done_on(&fmt(*d)))
            .map(fmt)
    }
}

fn fmt(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl View {
    /// What falls in the next `days` days (from today) and is not done yet, by date.
    pub fn time_together_upcoming(&self, today: &str, days: u32) -> Vec<(String, &Ritual)> {
        let Some(start) = parse_date(today) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in 0..u64::from(days) {
            let Some(day) = start.checked_add_days(chrono::Days::new(i)) else {
                break;
            };
            let key = fmt(day);
            for r in &self.rituals {
                if !r.is_finished() && r.falls_on(day) && !r.done_on(&key) {
                    out.push((key.clone(), r));
                }
            }
        }
        out
    }

    /// Everything marked done in today's calendar month, oldest first.
    pub fn time_together_done_in_month(&self, today: &str) -> Vec<(String, &Ritual, &RitualDone)> {
        let Some(t) = parse_date(today) else {
            return Vec::new();
        };
        let month = format!("{:04}-{:02}", t.year(), t.month());
        let mut out: Vec<_> = self
            .rituals
            .iter()
            .flat_map(|r| r.done.iter().map(move |d| (d.on.clone(), r, d)))
            .filter(|(on, _, _)| on.starts_with(&month))
            .collect();
        out.sort_by(|a, b| (&a.0, a.2.at).cmp(&(&b.0, b.2.at)));
        out
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddRitual {
            id,
            kind,
            title,
            date,
            rhythm,
        } => {
            let title = short_text(&title, "The title")?;
            let date = date.as_deref().map(date_text).transpose()?;
            if rhythm.is_some() && kind != RitualKind::Ritual {
                return Err(invalid(
                    "only rituals repeat; a date night or project is planned for one day",
                ));
            }
            let map = top(d.couple, RITUALS)?;
            let r = new_item(d.couple, &map, &id)?;
            d.couple.put(&r, "by", d.me.0.as_str())?;
            d.couple.put(&r, "kind", kind.as_str())?;
            d.couple.put(&r, "title", title.as_str())?;
            put_opt_str(d.couple, &r, "date", date.as_deref())?;
            if let Some(rhythm) = rhythm {
                d.couple.put(&r, "rhythm", rhythm.as_text())?;
            }
        }
        Command::SetRitualDone { id, done } => {
            let r = item(d.couple, RITUALS, &id, "plan")?;
            if done {
                d.couple.put(&r, "done_at", now)?;
            } else {
                d.couple.put(&r, "done_at", automerge::ScalarValue::Null)?;
            }
            // The one-off's own day carries the per-day mark the window and export read.
            let date = d
                .couple
                .get(&r, "date")?
                .and_then(|(v, _)| v.as_str().map(str::to_owned));
            if let Some(date) = date {
                mark_done(d, &r, &date, done, now)?;
            }
        }
        Command::MarkRitualDone { id, on, done } => {
            let on = date_text(&on)?;
            let r = item(d.couple, RITUALS, &id, "plan")?;
            if done {
                d.couple.put(&r, "done_at", now)?;
            }
            mark_done(d, &r, &on, done, now)?;
        }
        other => return Err(misrouted(&other, "time together")),
    }
    Ok(())
}

fn mark_done(
    d: &mut WriteDocs<'_>,
    r: &automerge::ObjId,
    on: &str,
    done: bool,
    now: Timestamp,
) -> Result<(), CoreError> {
    let key = format!("{DONE_PREFIX}{on}");
    if done {
        let m = d
            .couple
            .put_object(r, key.as_str(), automerge::ObjType::Map)?;
        d.couple.put(&m, "by", d.me.0.as_str())?;
        d.couple.put(&m, "at", now)?;
    } else if d.couple.get(r, key.as_str())?.is_some() {
        d.couple.delete(r, key.as_str())?;
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    // A malformed day mark is reported on its own and does not hide the plan.
    let done_errors = std::cell::RefCell::new(Vec::new());
    let w = r.writers;
    v.rituals = collect_cached(r, DocKind::Couple, RITUALS, errors, |id, r| {
        let kind = r.str("kind")?;
        Ok(Ritual {
            id: ItemId(id.to_owned()),
            by: r.author("by", w)?,
            kind: RitualKind::parse(&kind).ok_or_else(|| {
                ItemError::new(r.place(), format!("has an unknown kind '{kind}'"))
            })?,
            title: r.str("title")?,
            date: r.opt_str("date")?,
            rhythm: match r.opt_str("rhythm")? {
                Some(s) => Some(
                    Rhythm::parse(&s)
                        .map_err(|e| ItemError::new(r.place(), format!("has a bad rhythm: {e}")))?,
                ),
                None => None,
            },
            done_at: r.opt_i64("done_at")?,
            done: read_done(r, w, &mut done_errors.borrow_mut()),
        })
    });
    errors.append(&mut done_errors.borrow_mut());
    v.rituals.sort_by(|a, b| a.date.cmp(&b.date));
}

fn read_done(
    r: &crate::read::Rd<'_>,
    w: &crate::authorship::Writers,
    errors: &mut Vec<ItemError>,
) -> Vec<RitualDone> {
    let mut done = Vec::new();
    for key in r.keys() {
        let Some(on) = key.strip_prefix(DONE_PREFIX) else {
            continue;
        };
        let mark = r.map(&key).and_then(|m| {
            if parse_date(on).is_none() {
                return Err(ItemError::new(m.place(), "is not under a date"));
            }
            Ok(RitualDone {
                on: on.to_owned(),
                by: m.author("by", w)?,
                at: m.i64("at")?,
            })
        });
        match mark {
            Ok(m) => done.push(m),
            Err(e) => errors.push(e),
        }
    }
    done.sort_by(|a, b| a.on.cmp(&b.on));
    done
}

/// Plans that touch the period: done within it, dated within it, or recurring and started by
/// its end; each with only the period's "done" marks.
fn in_period(c: &ExportCtx<'_>) -> Vec<Ritual> {
    let scope = c.scope;
    c.v.rituals
        .iter()
        .filter(|t| {
            let done = t.done.iter().any(|d| scope.contains(&d.on))
                || t.done_at.is_some_and(|at| scope.contains_at(at));
            let dated = t.date.as_deref().is_some_and(|d| scope.contains(d));
            let running = t.rhythm.is_some()
                && t.date
                    .as_deref()
                    .is_none_or(|d| scope.to.as_deref().is_none_or(|to| d <= to));
            done || dated || running
        })
        .map(|t| {
            let mut t = t.clone();
            t.done.retain(|d| scope.contains(&d.on));
            t.done_at = t.done_at.filter(|at| scope.contains_at(*at));
            t
        })
        .collect()
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("rituals", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let rituals = in_period(c);
    if rituals.is_empty() {
        r.nothing();
    }
    r.list(
        rituals
            .iter()
            .map(|t| {
                let kind = match t.kind {
                    RitualKind::Ritual => "ritual",
                    RitualKind::DateNight => "date night",
                    RitualKind::Project => "joint project",
                };
                let mut text = match (&t.rhythm, &t.date) {
                    (Some(rh), Some(d)) => format!("{}, from {d}", rh.describe()),
                    (Some(rh), None) => rh.describe(),
                    (None, Some(d)) => format!("planned for {d}"),
                    (None, None) => "no date".to_owned(),
                };
                text.push_str(&format!(" (planned by {})", v.name_of(&t.by)));
                if let (true, Some(at)) = (t.done.is_empty(), t.done_at) {
                    text.push_str(&format!(". Done {}", date_of(at)));
                } else if t.done.is_empty() {
                    text.push_str(". Not marked done in this period");
                } else {
                    let days: Vec<String> = t
                        .done
                        .iter()
                        .map(|d| format!("{} ({})", d.on, v.name_of(&d.by)))
                        .collect();
                    let times = match t.done.len() {
                        1 => "once".to_owned(),
                        n => format!("{n} times"),
                    };
                    text.push_str(&format!(". Done {times}: {}", days.join(", ")));
                }
                (format!("{} ({kind})", t.title), text)
            })
            .collect(),
    );
}
