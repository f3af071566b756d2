//! Reminders: one partner's own times for the check-ins and the evening commitment log.

use automerge::transaction::Transactable;
use chrono::{Datelike, Duration, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::command::Command;
use crate::features::View;
use crate::ids::{Timestamp, week_of};
use crate::model::CoreError;
use crate::read::{ItemError, Rd, ReadDocs};
use crate::write::{WriteDocs, misrouted, top};

/// Private: `daily` = "HH:MM", `weekly` = "mon@HH:MM", `evening_log` = "HH:MM"; absent = off.
/// In the private document so my own devices share them and the partner's never see them.
const REMINDERS: &str = "reminders";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[REMINDERS];

/// When to remind me; `None` is off. Serialized in the stored forms ("19:30", "sun@18:00").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReminderSettings {
    pub daily: Option<NaiveTime>,
    pub weekly: Option<(Weekday, NaiveTime)>,
    pub evening_log: Option<NaiveTime>,
}

impl Serialize for ReminderSettings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReminderSettings", 3)?;
        st.serialize_field("daily", &self.daily.map(time_text))?;
        st.serialize_field("weekly", &self.weekly.map(weekly_text))?;
        st.serialize_field("evening_log", &self.evening_log.map(time_text))?;
        st.end()
    }
}

/// The cached view stores reminders in the same text forms; one that does not parse is off.
impl<'de> Deserialize<'de> for ReminderSettings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Stored {
            daily: Option<String>,
            weekly: Option<String>,
            evening_log: Option<String>,
        }
        let s = Stored::deserialize(d)?;
        Ok(ReminderSettings {
            daily: s.daily.as_deref().and_then(parse_time),
            weekly: s.weekly.as_deref().and_then(parse_weekly),
            evening_log: s.evening_log.as_deref().and_then(parse_time),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    DailyCheckIn,
    WeeklyCheckIn,
    CommitmentLog,
}

impl ReminderKind {
    pub fn label(self) -> &'static str {
        match self {
            ReminderKind::DailyCheckIn => "Daily check-in",
            ReminderKind::WeeklyCheckIn => "Weekly check-in",
            ReminderKind::CommitmentLog => "Commitment log",
        }
    }
}

/// Something due now, for one day (daily, log) or one ISO week (weekly).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    pub kind: ReminderKind,
    pub period: String,
    pub text: String,
}

fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Reads "19:30".
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

/// Reads `mon@19:30`, the form weekly reminders are stored in.
pub fn parse_weekly(s: &str) -> Option<(Weekday, NaiveTime)> {
    let (day, time) = s.split_once('@')?;
    Some((day.trim().parse().ok()?, parse_time(time)?))
}

fn weekly_text((day, time): (Weekday, NaiveTime)) -> String {
    format!("{}@{}", day.to_string().to_lowercase(), time_text(time))
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, _now: Timestamp) -> Result<(), CoreError> {
    let Command::SetReminders { settings } = cmd else {
        return Err(misrouted(&cmd, "reminders"));
    };
    let map = top(d.private, REMINDERS)?;
    let values = [
        ("daily", settings.daily.map(time_text)),
        ("weekly", settings.weekly.map(weekly_text)),
        ("evening_log", settings.evening_log.map(time_text)),
    ];
    for (key, value) in values {
        match value {
            Some(v) => d.private.put(&map, key, v)?,
            None => d.private.delete(&map, key)?,
        }
    }
    Ok(())
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    let map = match Rd::root_map(r.private, REMINDERS) {
        Ok(m) => m,
        Err(e) => return errors.push(e),
    };
    // A value this version cannot read is off, and said so: never a reminder at a wrong time.
    fn setting<T>(
        map: &Rd<'_>,
        key: &str,
        parse: impl Fn(&str) -> Option<T>,
        errors: &mut Vec<ItemError>,
    ) -> Option<T> {
        let text = map.opt_str(key).map_err(|e| errors.push(e)).ok()??;
        let value = parse(&text);
        if value.is_none() {
            errors.push(ItemError::new(
                format!("{REMINDERS}/{key}"),
                "is not a time this version reads; that reminder is off",
            ));
        }
        value
    }
    v.reminders = ReminderSettings {
        daily: setting(&map, "daily", parse_time, errors),
        weekly: setting(&map, "weekly", parse_weekly, errors),
        evening_log: setting(&map, "evening_log", parse_time, errors),
    };
}

/// What is due at `now` (local time): its time has passed today (this week, for the weekly
/// check-in) and it is not done yet.
pub fn due_reminders(v: &View, now: NaiveDateTime) -> Vec<Reminder> {
    let today = now.date();
    let date = today.format("%Y-%m-%d").to_string();
    let mut due = Vec::new();
    let s = &v.reminders;
    if let Some(t) = s.daily
        && now.time() >= t
        && v.daily_pair(&date).0.is_none()
    {
        due.push(Reminder {
            kind: ReminderKind::DailyCheckIn,
            period: date.clone(),
            text: "Time for today's check-in.".into(),
        });
    }
    if let Some((day, t)) = s.weekly {
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        let at = (monday + Duration::days(day.num_days_from_monday() as i64)).and_time(t);
        let week = week_of(today);
        if now >= at && v.weekly_pair(&week).0.is_none() {
            due.push(Reminder {
                kind: ReminderKind::WeeklyCheckIn,
                period: week,
                text: "Time for this week's check-in.".into(),
            });
        }
    }
    if let Some(t) = s.evening_log
        && now.time() >= t
    {
        let open = v
            .commitments
            .iter()
            .filter(|c| Some(&c.by) == v.me.as_ref() && c.is_due(today))
            .filter(|c| c.log_on(&date).is_none())
            .count();
        if open > 0 {
            due.push(Reminder {
                kind: ReminderKind::CommitmentLog,
                period: date,
                text: if open == 1 {
                    "One commitment to log for today.".into()
                } else {
                    format!("{open} commitments to log for today.")
                },
            });
        }
    }
    due
}
