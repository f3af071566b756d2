//! Daily and weekly check-ins: one answer sheet per partner and day (or ISO week).

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::command::Command;
use crate::export::ExportScope;
use crate::features::View;
use crate::ids::{PartnerId, Timestamp};
use crate::model::CoreError;
use crate::read::{ItemError, ReadDocs, collect};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, date_text, invalid, long_text, misrouted, top};

/// Couple: `<YYYY-MM-DD>/<partner>`, so both partners answering one day never collide.
const DAILY: &str = "daily_checkins";
/// Couple: `<YYYY-Www>/<partner>`.
const WEEKLY: &str = "weekly_checkins";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[DAILY, WEEKLY];

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DailyCheckIn {
    pub date: String,
    pub by: PartnerId,
    pub mood: u8,
    pub connection: u8,
    pub safety: u8,
    pub high: String,
    pub low: String,
    pub need: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WeeklyCheckIn {
    pub week: String,
    pub by: PartnerId,
    pub how_it_went: String,
    pub agreements: String,
    pub commitments: String,
    pub wins: String,
    pub for_therapy: String,
    pub at: Timestamp,
}

impl View {
    /// Both answers of one day: mine and the partner's, each if present.
    pub fn daily_pair(&self, date: &str) -> (Option<&DailyCheckIn>, Option<&DailyCheckIn>) {
        let mine = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) == self.me.as_ref());
        let theirs = self
            .daily_checkins
            .iter()
            .find(|c| c.date == date && Some(&c.by) != self.me.as_ref());
        (mine, theirs)
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.as_str();
    match cmd {
        Command::SaveDailyCheckIn { date, answers } => {
            let date = date_text(&date)?;
            for (v, what) in [
                (answers.mood, "Mood"),
                (answers.connection, "Connection"),
                (answers.safety, "Safety"),
            ] {
                if !(1..=5).contains(&v) {
                    return Err(invalid(format!("{what} must be between 1 and 5")));
                }
            }
            for t in [&answers.high, &answers.low, &answers.need] {
                long_text(t, "An answer")?;
            }
            let map = top(d.couple, DAILY)?;
            let c = d
                .couple
                .put_object(&map, format!("{date}/{me}"), ObjType::Map)?;
            d.couple.put(&c, "v", ITEM_VERSION)?;
            d.couple.put(&c, "date", date.as_str())?;
            d.couple.put(&c, "by", me)?;
            d.couple.put(&c, "mood", answers.mood as i64)?;
            d.couple.put(&c, "connection", answers.connection as i64)?;
            d.couple.put(&c, "safety", answers.safety as i64)?;
            d.couple.put(&c, "high", answers.high.trim())?;
            d.couple.put(&c, "low", answers.low.trim())?;
            d.couple.put(&c, "need", answers.need.trim())?;
            d.couple.put(&c, "at", now)?;
        }
        Command::SaveWeeklyCheckIn { week, answers } => {
            if !is_week(&week) {
                return Err(invalid(format!("'{week}' is not a week like 2026-W48")));
            }
            for t in [
                &answers.how_it_went,
                &answers.agreements,
                &answers.commitments,
                &answers.wins,
                &answers.for_therapy,
            ] {
                long_text(t, "An answer")?;
            }
            let map = top(d.couple, WEEKLY)?;
            let c = d
                .couple
                .put_object(&map, format!("{week}/{me}"), ObjType::Map)?;
            d.couple.put(&c, "v", ITEM_VERSION)?;
            d.couple.put(&c, "week", week.as_str())?;
            d.couple.put(&c, "by", me)?;
            d.couple
                .put(&c, "how_it_went", answers.how_it_went.trim())?;
            d.couple.put(&c, "agreements", answers.agreements.trim())?;
            d.couple
                .put(&c, "commitments", answers.commitments.trim())?;
            d.couple.put(&c, "wins", answers.wins.trim())?;
            d.couple
                .put(&c, "for_therapy", answers.for_therapy.trim())?;
            d.couple.put(&c, "at", now)?;
        }
        other => return Err(misrouted(&other, "check-ins")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.daily_checkins = collect(r.couple, DAILY, errors, |_, c| {
        Ok(DailyCheckIn {
            date: c.str("date")?,
            by: PartnerId(c.str("by")?),
            mood: c.scale("mood", 5)?,
            connection: c.scale("connection", 5)?,
            safety: c.scale("safety", 5)?,
            high: c.str_or_empty("high")?,
            low: c.str_or_empty("low")?,
            need: c.str_or_empty("need")?,
            at: c.i64("at")?,
        })
    });
    v.daily_checkins
        .sort_by(|a, b| (&b.date, b.at).cmp(&(&a.date, a.at)));
    v.weekly_checkins = collect(r.couple, WEEKLY, errors, |_, c| {
        Ok(WeeklyCheckIn {
            week: c.str("week")?,
            by: PartnerId(c.str("by")?),
            how_it_went: c.str_or_empty("how_it_went")?,
            agreements: c.str_or_empty("agreements")?,
            commitments: c.str_or_empty("commitments")?,
            wins: c.str_or_empty("wins")?,
            for_therapy: c.str_or_empty("for_therapy")?,
            at: c.i64("at")?,
        })
    });
    v.weekly_checkins
        .sort_by(|a, b| (&b.week, b.at).cmp(&(&a.week, a.at)));
}

fn is_week(s: &str) -> bool {
    let Some((y, w)) = s.split_once("-W") else {
        return false;
    };
    y.len() == 4
        && y.chars().all(|c| c.is_ascii_digit())
        && w.len() == 2
        && matches!(w.parse::<u8>(), Ok(1..=53))
}

pub(crate) fn export_json<M: SerializeMap>(
    v: &View,
    scope: &ExportScope,
    out: &mut M,
) -> Result<(), M::Error> {
    let daily: Vec<&DailyCheckIn> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .collect();
    out.serialize_entry("daily_checkins", &daily)?;
    out.serialize_entry("weekly_checkins", &v.weekly_checkins)
}

pub(crate) fn export_markdown(v: &View, scope: &ExportScope, md: &mut String) {
    md.push_str("## Daily check-ins\n\n");
    let checkins: Vec<_> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .collect();
    if checkins.is_empty() {
        md.push_str("_none in this period_\n\n");
    }
    for c in checkins {
        md.push_str(&format!(
            "- **{}**, {}: mood {}/5, connection {}/5, safety {}/5. High: {}. Low: {}. Needs: {}.\n",
            c.date,
            v.name_of(&c.by),
            c.mood,
            c.connection,
            c.safety,
            dash(&c.high),
            dash(&c.low),
            dash(&c.need)
        ));
    }
    md.push('\n');
}

fn dash(s: &str) -> &str {
    if s.trim().is_empty() { "—" } else { s }
}
