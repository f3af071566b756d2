//! Commitments: what one partner undertakes, their own daily log of it, and the other partner's
//! acknowledgement of each logged day.

use automerge::ObjType;
use automerge::transaction::Transactable;
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::export::{ExportCtx, Report, entry};
use crate::features::View;
use crate::ids::parse_date;
use crate::ids::{ItemId, PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect_cached};
use crate::schema::ITEM_VERSION;
use crate::write::{
    WriteDocs, date_text, ensure_map, invalid, long_text, misrouted, new_item, nonempty,
    short_text, top,
};
use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Couple: commitments under random ids, each with a `log` map keyed by date.
const COMMITMENTS: &str = "commitments";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[COMMITMENTS];

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
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
    pub fn label(self) -> &'static str {
        match self {
            LogStatus::Kept => "Kept",
            LogStatus::Missed => "Missed",
            LogStatus::DisclosedBeforeAsked => "Told before being asked",
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

/// How often a commitment falls due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rhythm {
    Daily,
    Weekdays,
    /// Chosen weekdays, Monday first, no repeats.
    Days(Vec<Weekday>),
    Once(NaiveDate),
}

const DAY_KEYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "Mondays"),
    (Weekday::Tue, "tue", "Tuesdays"),
    (Weekday::Wed, "wed", "Wednesdays"),
    (Weekday::Thu, "thu", "Thursdays"),
    (Weekday::Fri, "fri", "Fridays"),
    (Weekday::Sat, "sat", "Saturdays"),
    (Weekday::Sun, "sun", "Sundays"),
];

/// "Monday" … "Sunday", for the window and the command line alike.
pub fn weekday_name(d: Weekday) -> &'static str {
    let plural = day_key(d).2;
    &plural[..plural.len() - 1]
}

impl Rhythm {
    /// Reads `daily`, `weekdays`, `mon,thu` (any of mon…sun) or `once:2026-12-24`.
    pub fn parse(s: &str) -> Result<Rhythm, String> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "daily" | "every day" => return Ok(Rhythm::Daily),
            "weekdays" => return Ok(Rhythm::Weekdays),
            _ => {}
        }
        if let Some(date) = s.strip_prefix("once:") {
            return parse_date(date).map(Rhythm::Once).ok_or_else(|| {
                format!("'{date}' is not a date like 2026-12-24 (the rhythm once:DATE)")
            });
        }
        let mut days = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((day, _, _)) = DAY_KEYS.iter().find(|(_, k, _)| part.starts_with(k)) else {
                return Err(format!(
                    "'{part}' is not a rhythm: use daily, weekdays, days like mon,thu, or once:2026-12-24"
                ));
            };
            if !days.contains(day) {
                days.push(*day);
            }
        }
        if days.is_empty() {
            return Err("a rhythm needs at least one day".into());
        }
        Ok(Rhythm::days(days))
    }

    /// Chosen weekdays in calendar order; all seven are simply every day.
    pub fn days(mut days: Vec<Weekday>) -> Rhythm {
        days.sort_by_key(|d| d.num_days_from_monday());
        days.dedup();
        if days.len() == 7 {
            Rhythm::Daily
        } else {
            Rhythm::Days(days)
        }
    }

    /// The form [`Rhythm::parse`] reads; also how it is stored.
    pub fn as_text(&self) -> String {
        match self {
            Rhythm::Daily => "daily".into(),
            Rhythm::Weekdays => "weekdays".into(),
            Rhythm::Days(days) => days
                .iter()
                .map(|d| day_key(*d).1)
                .collect::<Vec<_>>()
                .join(","),
            Rhythm::Once(date) => format!("once:{}", date.format("%Y-%m-%d")),
        }
    }

    /// In words: "every day", "on Mondays and Thursdays", "once, on 24 December 2026".
    pub fn describe(&self) -> String {
        match self {
            Rhythm::Daily => "every day".into(),
            Rhythm::Weekdays => "on weekdays".into(),
            Rhythm::Days(days) => {
                let names: Vec<&str> = days.iter().map(|d| day_key(*d).2).collect();
                match names.split_last() {
                    Some((last, [])) => format!("on {last}"),
                    Some((last, rest)) => format!("on {} and {last}", rest.join(", ")),
                    None => "never".into(),
                }
            }
            Rhythm::Once(date) => format!("once, on {}", date.format("%-d %B %Y")),
        }
    }

    pub fn falls_on(&self, date: NaiveDate) -> bool {
        match self {
            Rhythm::Daily => true,
            Rhythm::Weekdays => date.weekday().num_days_from_monday() < 5,
            Rhythm::Days(days) => days.contains(&date.weekday()),
            Rhythm::Once(d) => *d == date,
        }
    }
}

fn day_key(d: Weekday) -> (Weekday, &'static str, &'static str) {
    DAY_KEYS[d.num_days_from_monday() as usize]
}

impl Serialize for Rhythm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_text())
    }
}

impl<'de> Deserialize<'de> for Rhythm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Rhythm::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether a commitment is being kept up now. Paused and retired days are never counted.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentState {
    Active,
    Paused,
    Retired,
}

impl CommitmentState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommitmentState::Active => "active",
            CommitmentState::Paused => "paused",
            CommitmentState::Retired => "retired",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(CommitmentState::Active),
            "paused" => Some(CommitmentState::Paused),
            "retired" => Some(CommitmentState::Retired),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CommitmentState::Active => "Active",
            CommitmentState::Paused => "Paused",
            CommitmentState::Retired => "Retired",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Commitment {
    pub id: ItemId,
    pub by: PartnerId,
    pub text: String,
    pub rhythm: Rhythm,
    /// The first day it counts, `YYYY-MM-DD`.
    pub start: String,
    pub created_at: Timestamp,
    pub state: CommitmentState,
    /// `state == Active`; kept because earlier versions wrote and read only this.
    pub active: bool,
    /// Each change of state and the day it took effect, oldest first.
    pub states: Vec<(String, CommitmentState)>,
    /// Newest date first.
    pub log: Vec<CommitmentLog>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CommitmentLog {
    pub date: String,
    pub status: LogStatus,
    pub note: String,
    pub at: Timestamp,
    pub acknowledged_by: Option<PartnerId>,
    pub acknowledged_at: Option<Timestamp>,
    /// The partner's optional words with the acknowledgement.
    pub ack_note: String,
}

/// One day of a commitment's calendar.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DayMark {
    Kept,
    Missed,
    /// Missed, and told before being asked.
    Disclosed,
    /// Due, and nothing logged.
    NotLogged,
    NotDue,
    /// After today.
    Upcoming,
}

impl DayMark {
    pub fn label(self) -> &'static str {
        match self {
            DayMark::Kept => "kept",
            DayMark::Missed => "missed",
            DayMark::Disclosed => "told before being asked",
            DayMark::NotLogged => "not logged",
            DayMark::NotDue => "not due",
            DayMark::Upcoming => "upcoming",
        }
    }
}

/// One calendar week of a commitment, Monday first.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarWeek {
    pub monday: NaiveDate,
    pub days: [(NaiveDate, DayMark); 7],
}

/// How the last due days went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub due: usize,
    pub kept: usize,
    pub missed: usize,
    pub disclosed: usize,
    pub not_logged: usize,
}

impl Commitment {
    pub fn log_on(&self, date: &str) -> Option<&CommitmentLog> {
        self.log.iter().find(|l| l.date == date)
    }

    fn start_date(&self) -> NaiveDate {
        let start = parse_date(&self.start).unwrap_or(NaiveDate::MIN);
        match self.rhythm {
            // A one-off may be made after its day (to log something already done).
            Rhythm::Once(d) => start.min(d),
            _ => start,
        }
    }

    /// The state in effect on a day: the latest change on or before it.
    pub fn state_on(&self, date: NaiveDate) -> CommitmentState {
        let day = date.format("%Y-%m-%d").to_string();
        self.states
            .iter()
            .rev()
            .find(|(d, _)| *d <= day)
            .map_or(CommitmentState::Active, |(_, s)| *s)
    }

    /// Due that day: the rhythm falls on it, it is on or after the start, and it was active then.
    pub fn is_due(&self, date: NaiveDate) -> bool {
        self.rhythm.falls_on(date)
            && date >= self.start_date()
            && self.state_on(date) == CommitmentState::Active
    }

    /// A log always shows, due or not: a missed day is never hidden.
    pub fn mark_on(&self, date: NaiveDate, today: NaiveDate) -> DayMark {
        if date > today {
            return DayMark::Upcoming;
        }
        match self.log_on(&date.format("%Y-%m-%d").to_string()) {
            Some(l) => match l.status {
                LogStatus::Kept => DayMark::Kept,
                LogStatus::Missed => DayMark::Missed,
                LogStatus::DisclosedBeforeAsked => DayMark::Disclosed,
            },
            None if self.is_due(date) => DayMark::NotLogged,
            None => DayMark::NotDue,
        }
    }

    /// `weeks` whole weeks, oldest first; the newest is `weeks_back` weeks before today's week.
    pub fn calendar(&self, today: NaiveDate, weeks: usize, weeks_back: usize) -> Vec<CalendarWeek> {
        let this_monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        let newest = this_monday - Duration::weeks(weeks_back as i64);
        (0..weeks)
            .rev()
            .map(|back| {
                let monday = newest - Duration::weeks(back as i64);
                let days = std::array::from_fn(|i| {
                    let date = monday + Duration::days(i as i64);
                    (date, self.mark_on(date, today))
                });
                CalendarWeek { monday, days }
            })
            .collect()
    }

    /// The last `n` due days up to today; today counts only once logged.
    pub fn record(&self, today: NaiveDate, n: usize) -> Record {
        let mut r = Record::default();
        let start = self.start_date();
        let mut date = today;
        while r.due < n && date >= start {
            if self.is_due(date) {
                match self.mark_on(date, today) {
                    DayMark::Kept => r.kept += 1,
                    DayMark::Missed => r.missed += 1,
                    DayMark::Disclosed => r.disclosed += 1,
                    _ if date == today => {
                        date = date.pred_opt().unwrap_or(NaiveDate::MIN);
                        continue;
                    }
                    _ => r.not_logged += 1,
                }
                r.due += 1;
            }
            let Some(prev) = date.pred_opt() else { break };
            date = prev;
        }
        r
    }

    /// A plain sentence over the last 26 due days: "kept 23 of the last 26 times (2 missed…)".
    pub fn summary(&self, today: NaiveDate) -> String {
        let r = self.record(today, 26);
        if r.due == 0 {
            return "nothing was due yet".into();
        }
        let mut s = if r.due == 1 {
            format!("kept {} of 1 time", r.kept)
        } else {
            format!("kept {} of the last {} times", r.kept, r.due)
        };
        let rest: Vec<String> = [
            (r.missed, "missed"),
            (r.disclosed, "told before being asked"),
            (r.not_logged, "not logged"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !rest.is_empty() {
            s.push_str(&format!(" ({})", rest.join(", ")));
        }
        s
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let me = d.me.0.as_str();
    match cmd {
        Command::AddCommitment {
            id,
            text,
            rhythm,
            start,
        } => {
            let text = short_text(&text, "The commitment")?;
            nonempty(&text, "The commitment")?;
            let start = date_text(&start)?;
            let map = top(d.couple, COMMITMENTS)?;
            let c = new_item(d.couple, &map, &id)?;
            d.couple.put(&c, "by", me)?;
            d.couple.put(&c, "text", text.as_str())?;
            d.couple.put(&c, "rhythm", rhythm.as_text())?;
            d.couple.put(&c, "start", start.as_str())?;
            d.couple.put(&c, "created_at", now)?;
            d.couple.put(&c, "active", true)?;
            d.couple
                .put(&c, "state", CommitmentState::Active.as_str())?;
            d.couple.put_object(&c, "states", ObjType::Map)?;
            d.couple.put_object(&c, "log", ObjType::Map)?;
        }
        Command::SetCommitmentState { id, state, date } => {
            let date = date_text(&date)?;
            let c = d.own_item(COMMITMENTS, &id, "commitment", "by")?;
            let current = Rd {
                doc: d.couple,
                obj: c.clone(),
                place: format!("{COMMITMENTS}/{id}"),
            }
            .opt_str("state")?;
            if current.as_deref() == Some(CommitmentState::Retired.as_str())
                && state != CommitmentState::Retired
            {
                return Err(invalid(
                    "a retired commitment stays retired; make a new one to start again",
                ));
            }
            d.couple.put(&c, "state", state.as_str())?;
            d.couple
                .put(&c, "active", state == CommitmentState::Active)?;
            let states = ensure_map(d.couple, &c, "states")?;
            d.couple.put(&states, date.as_str(), state.as_str())?;
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
            let before = Rd {
                doc: d.couple,
                obj: log.clone(),
                place: format!("{COMMITMENTS}/{id}/log"),
            }
            .map(&date)
            .ok()
            .map(|l| (l.obj.clone(), l.opt_str("status").ok().flatten()));
            match before {
                // The same day again with the same status: only the note changes, and the
                // partner's acknowledgement stays.
                Some((l, Some(was))) if was == status.as_str() => {
                    d.couple.put(&l, "note", note.trim())?;
                }
                // A missed day is never turned into something else: honesty is not editable.
                Some((_, Some(was))) if was != LogStatus::Kept.as_str() => {
                    return Err(invalid(format!(
                        "{date} is logged as {}; a missed day stays as it was logged (you can change its note)",
                        LogStatus::parse(&was)
                            .map_or("missed", |s| s.label())
                            .to_lowercase()
                    )));
                }
                _ => {
                    let l = d.couple.put_object(&log, date.as_str(), ObjType::Map)?;
                    d.couple.put(&l, "v", ITEM_VERSION)?;
                    d.couple.put(&l, "status", status.as_str())?;
                    d.couple.put(&l, "note", note.trim())?;
                    d.couple.put(&l, "at", now)?;
                }
            }
        }
        Command::AcknowledgeCommitmentLog { id, date, note } => {
            long_text(&note, "The note")?;
            let c = d.partners_item(COMMITMENTS, &id, "commitment", "by")?;
            let date = date_text(&date)?;
            let log = Rd {
                doc: d.couple,
                obj: c,
                place: format!("{COMMITMENTS}/{id}"),
            }
            .map("log")
            .and_then(|l| l.map(&date))
            .map_err(|_| invalid(format!("nothing was logged on {date} for this commitment")))?
            .obj;
            d.couple.put(&log, "acknowledged_by", me)?;
            d.couple.put(&log, "acknowledged_at", now)?;
            d.couple.put(&log, "ack_note", note.trim())?;
        }
        other => return Err(misrouted(&other, "commitments")),
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.commitments = collect_cached(r, DocKind::Couple, COMMITMENTS, errors, |id, c| {
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
                    acknowledged_by: e.opt_author("acknowledged_by", r.writers)?,
                    acknowledged_at: e.opt_i64("acknowledged_at")?,
                    ack_note: e.str_or_empty("ack_note")?,
                });
            }
        }
        log.sort_by(|a, b| b.date.cmp(&a.date));
        let created_at = c.i64("created_at")?;
        let active = c.bool_or("active", true)?;
        let state = match c.opt_str("state")? {
            Some(s) => CommitmentState::parse(&s)
                .ok_or_else(|| ItemError::new(c.place(), format!("has an unknown state '{s}'")))?,
            None if active => CommitmentState::Active,
            None => CommitmentState::Paused,
        };
        let start = match c.opt_str("start")? {
            Some(s) => s,
            None => chrono::DateTime::from_timestamp_millis(created_at)
                .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        };
        let mut states = Vec::new();
        if let Ok(m) = c.map("states") {
            for key in m.keys() {
                let s = m.str(&key)?;
                let s = CommitmentState::parse(&s).ok_or_else(|| {
                    ItemError::new(m.place(), format!("has an unknown state '{s}'"))
                })?;
                states.push((key, s));
            }
        }
        states.sort();
        if states.is_empty() && state != CommitmentState::Active {
            // Paused by a version that kept no dates: paused from the start, as far as we know.
            states.push((start.clone(), state));
        }
        let rhythm = match c.opt_str("rhythm")? {
            Some(s) => Rhythm::parse(&s)
                .map_err(|e| ItemError::new(c.place(), format!("has a bad rhythm: {e}")))?,
            None => Rhythm::Daily,
        };
        Ok(Commitment {
            id: ItemId(id.to_owned()),
            by: c.author("by", r.writers)?,
            text: c.str("text")?,
            rhythm,
            start,
            created_at,
            active: state == CommitmentState::Active,
            state,
            states,
            log,
        })
    });
    v.commitments.sort_by_key(|c| c.created_at);
}

/// The commitments that ran during the period, each with only the period's log.
fn in_period(c: &ExportCtx<'_>) -> Vec<Commitment> {
    let scope = c.scope;
    c.v.commitments
        .iter()
        .filter(|k| {
            let logged = k.log.iter().any(|l| scope.contains(&l.date));
            let started = scope.to.as_deref().is_none_or(|to| k.start.as_str() <= to);
            let retired_before = k.state == CommitmentState::Retired
                && k.states
                    .iter()
                    .rev()
                    .find(|(_, s)| *s == CommitmentState::Retired)
                    .is_some_and(|(d, _)| scope.from.as_deref().is_some_and(|f| d.as_str() < f));
            logged || (started && !retired_before)
        })
        .map(|k| {
            let mut k = k.clone();
            k.log.retain(|l| scope.contains(&l.date));
            k
        })
        .collect()
}

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    vec![entry("commitments", &in_period(c))]
}

pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let v = c.v;
    let commitments = in_period(c);
    if commitments.is_empty() {
        r.nothing();
    }
    for k in &commitments {
        r.heading(&k.text);
        let count = |s: LogStatus| k.log.iter().filter(|l| l.status == s).count();
        r.table(vec![
            ("Whose".to_owned(), v.name_of(&k.by)),
            (
                "When".to_owned(),
                format!("{}, from {}", k.rhythm.describe(), k.start),
            ),
            ("Now".to_owned(), k.state.label().to_owned()),
            (
                "In this period".to_owned(),
                format!(
                    "{} logged: {} kept, {} missed, {} told before being asked",
                    k.log.len(),
                    count(LogStatus::Kept),
                    count(LogStatus::Missed),
                    count(LogStatus::DisclosedBeforeAsked)
                ),
            ),
        ]);
        let mut log: Vec<&CommitmentLog> = k.log.iter().collect();
        log.sort_by(|a, b| a.date.cmp(&b.date));
        r.list(
            log.into_iter()
                .map(|l| {
                    let mut text = l.status.label().to_owned();
                    if !l.note.trim().is_empty() {
                        text.push_str(&format!(": {}", l.note.trim()));
                    }
                    if let Some(by) = &l.acknowledged_by {
                        text.push_str(&format!(". Acknowledged by {}", v.name_of(by)));
                        if !l.ack_note.trim().is_empty() {
                            text.push_str(&format!(": {}", l.ack_note.trim()));
                        }
                    }
                    (l.date.clone(), text)
                })
                .collect(),
        );
    }
}
