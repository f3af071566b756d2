//! Time together: rituals, date nights and shared projects, planned and marked done.

use automerge::transaction::Transactable;
use serde::Serialize;

use crate::command::Command;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::write::{WriteDocs, date_text, item, misrouted, new_item, put_opt_str, short_text, top};

/// Couple: plans under random ids.
const RITUALS: &str = "rituals";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[RITUALS];

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
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

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Ritual {
    pub id: ItemId,
    pub by: PartnerId,
    pub kind: RitualKind,
    pub title: String,
    pub date: Option<String>,
    pub done_at: Option<Timestamp>,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    match cmd {
        Command::AddRitual {
            id,
            kind,
            title,
            date,
        } => {
            let title = short_text(&title, "The title")?;
            let date = date.as_deref().map(date_text).transpose()?;
            let map = top(d.couple, RITUALS)?;
            let r = new_item(d.couple, &map, &id)?;
            d.couple.put(&r, "by", d.me.0.as_str())?;
            d.couple.put(&r, "kind", kind.as_str())?;
            d.couple.put(&r, "title", title.as_str())?;
            put_opt_str(d.couple, &r, "date", date.as_deref())?;
        }
        Command::SetRitualDone { id, done } => {
            let r = item(d.couple, RITUALS, &id, "plan")?;
            if done {
                d.couple.put(&r, "done_at", now)?;
            } else {
                d.couple.put(&r, "done_at", automerge::ScalarValue::Null)?;
            }
        }
        other => return Err(misrouted(&other, "time together")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.rituals = collect(r.couple, RITUALS, errors, |id, r| {
        let kind = r.str("kind")?;
        Ok(Ritual {
            id: ItemId(id.to_owned()),
            by: PartnerId(r.str("by")?),
            kind: RitualKind::parse(&kind).ok_or_else(|| {
                ItemError::new(r.place(), format!("has an unknown kind '{kind}'"))
            })?,
            title: r.str("title")?,
            date: r.opt_str("date")?,
            done_at: r.opt_i64("done_at")?,
        })
    });
    v.rituals.sort_by(|a, b| a.date.cmp(&b.date));
}
