//! Commitments: what one partner undertakes, their own daily log of it, and the other partner's
//! acknowledgement of each logged day.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::command::Command;
use crate::export::ExportScope;
use crate::features::View;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::write::{
    WriteDocs, date_text, ensure_map, long_text, misrouted, new_item, short_text, top,
};

/// Couple: commitments under random ids, each with a `log` map keyed by date.
const COMMITMENTS: &str = "commitments";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[COMMITMENTS];

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogStatus {
    Kept,
    Missed,
    /// Missed, but told before being asked: counted as a trust win.
    DisclosedBeforeAsked,
}

impl LogStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LogStatus::Kept => "kept",
            LogStatus::Missed => "missed",
            LogStatus::DisclosedBeforeAsked => "disclosed_before_asked",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "kept" => Some(LogStatus::Kept),
            "missed" => Some(LogStatus::Missed),
            "disclosed_before_asked" => Some(LogStatus::DisclosedBeforeAsked),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Commitment {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub created_at: Timestamp,
    pub active: bool,
    pub log: Vec<CommitmentLog>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CommitmentLog {
    pub date: String,
    pub status: LogStatus,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_by: Option<PartnerId>,
    pub acknowledged_at: Option<Timestamp>,
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.as_str();
    match cmd {
        Command::AddCommitment { id, text } => {
            let text = short_text(&text, "The commitment")?;
            let map = top(d.couple, COMMITMENTS)?;
            let c = new_item(d.couple, &map, &id)?;
            d.couple.put(&c, "by", me)?;
            d.couple.put(&c, "text", text.as_str())?;
            d.couple.put(&c, "created_at", now)?;
            d.couple.put(&c, "active", true)?;
            d.couple.put_object(&c, "log", ObjType::Map)?;
        }
        Command::SetCommitmentActive { id, active } => {
            let c = d.own_item(COMMITMENTS, &id, "commitment", "by")?;
            d.couple.put(&c, "active", active)?;
        }
        Command::LogCommitment {
            id,
            date,
            status,
            note,
        } => {
            let date = date_text(&date)?;
            long_text(&note, "The note")?;
            let c = d.own_item(COMMITMENTS, &id, "commitment", "by")?;
            let log = ensure_map(d.couple, &c, "log")?;
            let l = d.couple.put_object(&log, date.as_str(), ObjType::Map)?;
            d.couple.put(&l, "v", ITEM_VERSION)?;
            d.couple.put(&l, "status", status.as_str())?;
            d.couple.put(&l, "note", note.trim())?;
            d.couple.put(&l, "at", now)?;
        }
        Command::AcknowledgeCommitmentLog { id, date } => {
            let c = d.partners_item(COMMITMENTS, &id, "commitment", "by")?;
            let log = Rd {
                doc: d.couple,
                obj: c,
                place: format!("{COMMITMENTS}/{id}"),
            }
            .map("log")?
            .map(&date)?
            .obj;
            d.couple.put(&log, "acknowledged_by", me)?;
            d.couple.put(&log, "acknowledged_at", now)?;
        }
        other => return Err(misrouted(&other, "commitments")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.commitments = collect(r.couple, COMMITMENTS, errors, |id, c| {
        let mut log = Vec::new();
        if let Ok(l) = c.map("log") {
            for (date, entry) in l.items() {
                let e = entry?;
                let status = e.str("status")?;
                log.push(CommitmentLog {
                    status: LogStatus::parse(&status).ok_or_else(|| {
                        ItemError::new(e.place(), format!("has an unknown status '{status}'"))
                    })?,
                    date,
                    note: e.str_or_empty("note")?,
                    at: e.i64("at")?,
                    acknowledged_by: e.opt_str("acknowledged_by")?.map(PartnerId),
                    acknowledged_at: e.opt_i64("acknowledged_at")?,
                });
            }
        }
        log.sort_by(|a, b| b.date.cmp(&a.date));
        Ok(Commitment {
            id: ItemId(id.to_owned()),
            by: PartnerId(c.str("by")?),
            text: c.str("text")?,
            created_at: c.i64("created_at")?,
            active: c.bool_or("active", true)?,
            log,
        })
    });
    v.commitments.sort_by_key(|c| c.created_at);
}

pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    _scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    out.serialize_entry("commitments", &v.commitments)
}

pub(crate) fn export_markdown(v: &View, scope: &ExportScope, md: &mut String) {
    if v.commitments.is_empty() {
        return;
    }
    md.push_str("## Commitments\n\n");
    for c in &v.commitments {
        let in_period: Vec<_> = c.log.iter().filter(|l| scope.contains(&l.date)).collect();
        let kept = in_period
            .iter()
            .filter(|l| l.status == LogStatus::Kept)
            .count();
        md.push_str(&format!(
            "- {} ({}): kept {kept} of {} logged days\n",
            c.text,
            v.name_of(&c.by),
            in_period.len()
        ));
    }
    md.push('\n');
}
