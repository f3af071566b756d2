//! Daily and weekly check-ins: one answer sheet per partner and day (or ISO week).

use std::collections::HashSet;

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ScalarValue, Value};
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::authorship::Writers;
use crate::command::Command;
use crate::export::{ExportCtx, ExportScope, Report, dash, entry};
use crate::features::View;
use crate::ids::{PartnerId, Timestamp};
use crate::model::{CoreError, DocKind};
use crate::read::{ItemError, Rd, ReadDocs, collect_cached};
use crate::schema::ITEM_VERSION;
use crate::write::{WriteDocs, date_text, invalid, long_text, misrouted, top};

/// Couple: `<YYYY-MM-DD>/<partner>`, so both partners answering one day never collide.
/// Holds only answers already revealed: both partners had answered that day.
const DAILY: &str = "daily_checkins";
/// Couple: `<YYYY-Www>/<partner>`, revealed likewise.
const WEEKLY: &str = "weekly_checkins";
/// Couple: `daily/<date>/<partner>` or `weekly/<week>/<partner>`: that partner answered, and
/// nothing of what they answered.
const SEALS: &str = "checkin_seals";
/// Private: `daily/<date>` or `weekly/<week>`: my own answers, kept here while sealed and after.
const SEALED: &str = "sealed_checkins";
/// How far back a revealed answer is compared with my latest edit of it after each merge.
const RECHECK_DAYS: i64 = 14;

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[DAILY, WEEKLY, SEALS, SEALED];

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
    /// My own answers that the partner cannot see yet (they have not answered that day).
    pub sealed: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WeeklyCheckIn {
    pub week: String,
    pub by: PartnerId,
    pub how_it_went: String,
    pub agreements: String,
    pub commitments: String,
    pub wins: String,
    pub for_therapy: String,
    pub at: Timestamp,
    pub sealed: bool,
}

/// One partner answered one day's or week's check-in; what they answered stays with them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Seal {
    /// The date (daily) or ISO week (weekly).
    pub period: String,
    pub weekly: bool,
    pub by: PartnerId,
    pub at: Timestamp,
}

impl View {
    /// Both answers of one day: mine and the partner's, the partner's only once revealed.
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

    /// Both answers of one ISO week, like [`View::daily_pair`].
    pub fn weekly_pair(&self, week: &str) -> (Option<&WeeklyCheckIn>, Option<&WeeklyCheckIn>) {
        let mine = self
            .weekly_checkins
            .iter()
            .find(|c| c.week == week && Some(&c.by) == self.me.as_ref());
        let theirs = self
            .weekly_checkins
            .iter()
            .find(|c| c.week == week && Some(&c.by) != self.me.as_ref());
        (mine, theirs)
    }

    /// Whether the partner has answered that day (or week), revealed or still sealed.
    pub fn partner_answered(&self, period: &str, weekly: bool) -> bool {
        let theirs = |by: &PartnerId| Some(by) != self.me.as_ref();
        self.checkin_seals
            .iter()
            .any(|s| s.period == period && s.weekly == weekly && theirs(&s.by))
            || if weekly {
                self.weekly_pair(period).1.is_some()
            } else {
                self.daily_pair(period).1.is_some()
            }
    }
}

/// The two kinds of check-in, as their keys are written.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Daily,
    Weekly,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
        }
    }
    /// The couple map that holds revealed answers.
    fn revealed(self) -> &'static str {
        match self {
            Kind::Daily => DAILY,
            Kind::Weekly => WEEKLY,
        }
    }
}

pub(crate) fn apply(d: &mut WriteDocs<'_>, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
    let (kind, period, fields) = match cmd {
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
            let fields = vec![
                ("date", ScalarValue::from(date.as_str())),
                ("mood", (answers.mood as i64).into()),
                ("connection", (answers.connection as i64).into()),
                ("safety", (answers.safety as i64).into()),
                ("high", answers.high.trim().into()),
                ("low", answers.low.trim().into()),
                ("need", answers.need.trim().into()),
            ];
            (Kind::Daily, date, fields)
        }
        Command::SaveWeeklyCheckIn { week, answers } => {
            if week_days(&week).is_none() {
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
            let fields = vec![
                ("week", ScalarValue::from(week.as_str())),
                ("how_it_went", answers.how_it_went.trim().into()),
                ("agreements", answers.agreements.trim().into()),
                ("commitments", answers.commitments.trim().into()),
                ("wins", answers.wins.trim().into()),
                ("for_therapy", answers.for_therapy.trim().into()),
            ];
            (Kind::Weekly, week, fields)
        }
        other => return Err(misrouted(&other, "check-ins")),
    };
    let me = d.me.0.as_str();
    // My answers go to my own document only; the couple document learns that I answered.
    let sealed = top(d.private, SEALED)?;
    let sheet = d
        .private
        .put_object(&sealed, format!("{}/{period}", kind.name()), ObjType::Map)?;
    d.private.put(&sheet, "v", ITEM_VERSION)?;
    d.private.put(&sheet, "by", me)?;
    for (key, value) in fields {
        d.private.put(&sheet, key, value)?;
    }
    d.private.put(&sheet, "at", now)?;
    let seals = top(d.couple, SEALS)?;
    let seal_key = format!("{}/{period}/{me}", kind.name());
    if d.couple.get(&seals, seal_key.as_str())?.is_none() {
        let seal = d.couple.put_object(&seals, seal_key, ObjType::Map)?;
        d.couple.put(&seal, "v", ITEM_VERSION)?;
        d.couple.put(&seal, "kind", kind.name())?;
        d.couple.put(&seal, "period", period.as_str())?;
        d.couple.put(&seal, "by", me)?;
        d.couple.put(&seal, "at", now)?;
    }
    reveal(d, now)?;
    Ok(())
}

/// Copies my answers into the couple document for every day and week both partners have
/// answered, and turns a revealed weekly "for therapy" answer into a therapy topic. Writes only
/// what is missing or out of date, so calling it after every merge costs no change when nothing
/// is due. Returns whether anything was written.
/// Whether changes in `d` can have made a reveal due: only seals, answers and my sealed sheets
/// matter (after years, a reveal pass costs tens of milliseconds; most merges touch none).
pub(crate) fn reveal_may_be_due(d: &crate::refresh::Dirty) -> bool {
    d.touches(DocKind::Couple, &[DAILY, WEEKLY, SEALS]) || d.touches(DocKind::Private, &[SEALED])
}

pub(crate) fn reveal(d: &mut WriteDocs<'_>, now: Timestamp) -> Result<bool, CoreError> {
    let before = d.couple.pending_ops();
    let me = d.me.0.clone();
    let sealed = Rd::root_map(d.private, SEALED)?;
    let mut due = Vec::new();
    // This runs after every merge and must stay cheap over years of daily check-ins: one
    // pass over the keys, then per-item reads only where something may be due. A period whose
    // copy exists is re-checked for a later edit only when recent (edits are to recent days;
    // an edit made when both had answered is revealed by the saving command itself).
    let recent = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| {
            (t.date_naive() - chrono::Duration::days(RECHECK_DAYS))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    let mut copied = std::collections::BTreeSet::new();
    for kind in [Kind::Daily, Kind::Weekly] {
        for key in Rd::root_map(d.couple, kind.revealed())?.keys() {
            if let Some((period, by)) = key.split_once('/')
                && by == me
            {
                copied.insert((kind, period.to_owned()));
            }
        }
    }
    for (kind, period) in partner_periods(d.couple, &me)? {
        let is_recent = match kind {
            Kind::Daily => period.as_str() >= recent.as_str(),
            Kind::Weekly => week_days(&period)
                .is_some_and(|(_, sunday)| sunday.format("%Y-%m-%d").to_string() >= recent),
        };
        if copied.contains(&(kind, period.clone())) && !is_recent {
            continue;
        }
        let Ok(sheet) = sealed.map(&format!("{}/{period}", kind.name())) else {
            continue;
        };
        // An unreadable sheet (listed in the view's errors) is skipped, never half copied.
        if sheet.check_version().is_err() {
            continue;
        }
        let Ok(at) = sheet.i64("at") else { continue };
        let revealed = Rd::root_map(d.couple, kind.revealed())?;
        let current = revealed
            .map(&format!("{period}/{me}"))
            .ok()
            .and_then(|c| c.opt_i64("at").ok().flatten());
        if current != Some(at) {
            due.push((kind, period, sheet.obj.clone()));
        }
    }
    for (kind, period, sheet) in due {
        let map = top(d.couple, kind.revealed())?;
        let copy = d
            .couple
            .put_object(&map, format!("{period}/{me}"), ObjType::Map)?;
        let mut for_therapy = None;
        for key in d.private.keys(&sheet).collect::<Vec<_>>() {
            if let Some((Value::Scalar(v), _)) = d.private.get(&sheet, key.as_str())? {
                if key == "for_therapy" {
                    for_therapy = v.as_str().map(str::to_owned);
                }
                d.couple.put(&copy, key.as_str(), v.into_owned())?;
            }
        }
        if kind == Kind::Weekly
            && let Some(text) = for_therapy.filter(|t| !t.trim().is_empty())
        {
            crate::features::therapy::put_weekly_topic(d, &period, &text, now)?;
        }
    }
    Ok(d.couple.pending_ops() != before)
}

fn kind_named(name: &str) -> Option<Kind> {
    match name {
        "daily" => Some(Kind::Daily),
        "weekly" => Some(Kind::Weekly),
        _ => None,
    }
}

/// Every day and week the partner answered: their seals, and answers the partner's older
/// version wrote straight into the couple document.
fn partner_periods(
    couple: &automerge::AutoCommit,
    me: &str,
) -> Result<std::collections::BTreeSet<(Kind, String)>, CoreError> {
    let mut out = std::collections::BTreeSet::new();
    for key in Rd::root_map(couple, SEALS)?.keys() {
        // `daily/<period>/<partner>`; a period never contains '/'.
        let mut parts = key.splitn(3, '/');
        if let (Some(kind), Some(period), Some(by)) = (parts.next(), parts.next(), parts.next())
            && let Some(kind) = kind_named(kind)
            && by != me
        {
            out.insert((kind, period.to_owned()));
        }
    }
    for kind in [Kind::Daily, Kind::Weekly] {
        for key in Rd::root_map(couple, kind.revealed())?.keys() {
            if let Some((period, by)) = key.split_once('/')
                && by != me
            {
                out.insert((kind, period.to_owned()));
            }
        }
    }
    Ok(out)
}

fn author(c: &Rd<'_>, w: Option<&Writers>) -> Result<PartnerId, ItemError> {
    match w {
        Some(w) => c.author("by", w),
        None => Ok(PartnerId(c.str("by")?)),
    }
}

/// One of my own answers waiting in the private document.
#[derive(Clone)]
enum Sealed {
    Daily(DailyCheckIn),
    Weekly(WeeklyCheckIn),
}

/// `w` verifies the author in the couple document; my own sealed answers (private
/// document, which only my devices write) need none.
fn read_daily(c: &Rd<'_>, sealed: bool, w: Option<&Writers>) -> Result<DailyCheckIn, ItemError> {
    Ok(DailyCheckIn {
        date: c.str("date")?,
        by: author(c, w)?,
        mood: c.scale("mood", 5)?,
        connection: c.scale("connection", 5)?,
        safety: c.scale("safety", 5)?,
        high: c.str_or_empty("high")?,
        low: c.str_or_empty("low")?,
        need: c.str_or_empty("need")?,
        at: c.i64("at")?,
        sealed,
    })
}

fn read_weekly(c: &Rd<'_>, sealed: bool, w: Option<&Writers>) -> Result<WeeklyCheckIn, ItemError> {
    Ok(WeeklyCheckIn {
        week: c.str("week")?,
        by: author(c, w)?,
        how_it_went: c.str_or_empty("how_it_went")?,
        agreements: c.str_or_empty("agreements")?,
        commitments: c.str_or_empty("commitments")?,
        wins: c.str_or_empty("wins")?,
        for_therapy: c.str_or_empty("for_therapy")?,
        at: c.i64("at")?,
        sealed,
    })
}

pub(crate) fn read(r: &ReadDocs<'_>, v: &mut View, errors: &mut Vec<ItemError>) {
    v.daily_checkins = collect_cached(r, DocKind::Couple, DAILY, errors, |_, c| {
        read_daily(c, false, Some(r.writers))
    });
    v.weekly_checkins = collect_cached(r, DocKind::Couple, WEEKLY, errors, |_, c| {
        read_weekly(c, false, Some(r.writers))
    });
    // My own answers still sealed: shown to me, marked so, unless the revealed copy is there.
    let mine = collect_cached(r, DocKind::Private, SEALED, errors, |key, c| {
        match key.split_once('/').map(|(k, _)| kind_named(k)) {
            Some(Some(Kind::Daily)) => read_daily(c, true, None).map(Sealed::Daily),
            Some(Some(Kind::Weekly)) => read_weekly(c, true, None).map(Sealed::Weekly),
            _ => Err(ItemError::new(
                c.place(),
                "is not a check-in this version knows",
            )),
        }
    });
    let mut shown: HashSet<(String, PartnerId)> = v
        .daily_checkins
        .iter()
        .map(|y| (y.date.clone(), y.by.clone()))
        .collect();
    let mut shown_weeks: HashSet<(String, PartnerId)> = v
        .weekly_checkins
        .iter()
        .map(|y| (y.week.clone(), y.by.clone()))
        .collect();
    for sealed in mine {
        match sealed {
            Sealed::Daily(x) => {
                if shown.insert((x.date.clone(), x.by.clone())) {
                    v.daily_checkins.push(x);
                }
            }
            Sealed::Weekly(x) => {
                if shown_weeks.insert((x.week.clone(), x.by.clone())) {
                    v.weekly_checkins.push(x);
                }
            }
        }
    }
    v.daily_checkins
        .sort_by(|a, b| (&b.date, b.at).cmp(&(&a.date, a.at)));
    v.weekly_checkins
        .sort_by(|a, b| (&b.week, b.at).cmp(&(&a.week, a.at)));
    v.checkin_seals = collect_cached(r, DocKind::Couple, SEALS, errors, |_, s| {
        let kind = s.str("kind")?;
        Ok(Seal {
            period: s.str("period")?,
            weekly: match kind_named(&kind) {
                Some(k) => k == Kind::Weekly,
                None => {
                    return Err(ItemError::new(
                        s.place(),
                        format!("has an unknown kind '{kind}'"),
                    ));
                }
            },
            by: s.author("by", r.writers)?,
            at: s.i64("at")?,
        })
    });
}

/// The Monday and Sunday of an ISO week written `2026-W48`; `None` if it is not one.
pub fn week_days(week: &str) -> Option<(NaiveDate, NaiveDate)> {
    if !is_week(week) {
        return None;
    }
    let (y, w) = week.split_once("-W")?;
    let monday = NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, Weekday::Mon)?;
    Some((monday, monday + chrono::Duration::days(6)))
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

pub(crate) fn export_json(c: &ExportCtx<'_>) -> Vec<(&'static str, serde_json::Value)> {
    let (v, scope) = (c.v, c.scope);
    let daily: Vec<&DailyCheckIn> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .collect();
    let weekly: Vec<&WeeklyCheckIn> = v
        .weekly_checkins
        .iter()
        .filter(|c| week_in(scope, &c.week))
        .collect();
    // Who answered which day or week (without the answers), so sealed days show as answered.
    let seals: Vec<&Seal> = v
        .checkin_seals
        .iter()
        .filter(|s| {
            if s.weekly {
                week_in(scope, &s.period)
            } else {
                scope.contains(&s.period)
            }
        })
        .collect();
    vec![
        entry("daily_checkins", &daily),
        entry("weekly_checkins", &weekly),
        entry("checkin_seals", &seals),
    ]
}

/// Only what the view holds: my own answers still sealed are mine to export (marked); the
/// partner's sealed answers are not on this device, so they show as "answered" only.
pub(crate) fn export_report(c: &ExportCtx<'_>, r: &mut Report) {
    let (v, scope) = (c.v, c.scope);
    let sealed = |s: bool| if s { " (sealed: not shared yet)" } else { "" };
    r.heading("Daily");
    let mut daily: Vec<(String, String)> = v
        .daily_checkins
        .iter()
        .filter(|c| scope.contains(&c.date))
        .map(|c| {
            (
                format!("{}, {}", c.date, v.name_of(&c.by)),
                format!(
                    "mood {}/5, connection {}/5, safety {}/5. High: {}. Low: {}. Needs: {}.{}",
                    c.mood,
                    c.connection,
                    c.safety,
                    dash(&c.high),
                    dash(&c.low),
                    dash(&c.need),
                    sealed(c.sealed),
                ),
            )
        })
        .collect();
    daily.extend(answered_only(v, scope, false));
    daily.sort();
    if daily.is_empty() {
        r.nothing();
    }
    r.list(daily);
    r.heading("Weekly");
    let mut weekly: Vec<(String, String)> = v
        .weekly_checkins
        .iter()
        .filter(|c| week_in(scope, &c.week))
        .map(|c| {
            (
                format!("{}, {}", c.week, v.name_of(&c.by)),
                format!(
                    "How it went: {}. Agreement: {}. Commitments: {}. Wins: {}. For therapy: {}.{}",
                    dash(&c.how_it_went),
                    dash(&c.agreements),
                    dash(&c.commitments),
                    dash(&c.wins),
                    dash(&c.for_therapy),
                    sealed(c.sealed),
                ),
            )
        })
        .collect();
    weekly.extend(answered_only(v, scope, true));
    weekly.sort();
    if weekly.is_empty() {
        r.nothing();
    }
    r.list(weekly);
}

/// Days or weeks someone answered whose answers this device does not hold (still sealed).
fn answered_only(v: &View, scope: &ExportScope, weekly: bool) -> Vec<(String, String)> {
    v.checkin_seals
        .iter()
        .filter(|s| s.weekly == weekly)
        .filter(|s| {
            if weekly {
                week_in(scope, &s.period)
            } else {
                scope.contains(&s.period)
            }
        })
        .filter(|s| {
            if weekly {
                !v.weekly_checkins
                    .iter()
                    .any(|c| c.week == s.period && c.by == s.by)
            } else {
                !v.daily_checkins
                    .iter()
                    .any(|c| c.date == s.period && c.by == s.by)
            }
        })
        .map(|s| {
            (
                format!("{}, {}", s.period, v.name_of(&s.by)),
                "answered (the answers stay sealed until both have answered)".to_owned(),
            )
        })
        .collect()
}

/// A week belongs to the period when any of its days does.
fn week_in(scope: &ExportScope, week: &str) -> bool {
    week_days(week).is_some_and(|(monday, _)| {
        (0..7).any(|i| {
            let day = monday + chrono::Duration::days(i);
            scope.contains(&day.format("%Y-%m-%d").to_string())
        })
    })
}
