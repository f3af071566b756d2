//! Progress: the series the progress screen plots, and one plain sentence per plot, from what both partners may see.
//!
//! Only revealed daily check-ins count (a sealed answer, even my own, waits until both have
//! answered that day), and each partner is only ever compared with their own earlier period:
//! never a score, a ranking or one partner against the other.
//!
//! Days are counted in whole calendar dates. Check-ins and commitment logs carry their date;
//! triggers and disclosures carry a timestamp, read as its UTC date (as the export does), and
//! never later than today.

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;

use crate::features::{LogStatus, View};
use crate::ids::{PartnerId, Timestamp, parse_date, week_of};

/// The period the plots cover, ending today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Range {
    Month,
    #[default]
    ThreeMonths,
    Year,
    /// From the first day anything was recorded.
    All,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Month, Range::ThreeMonths, Range::Year, Range::All];

    /// The selector's words.
    pub fn label(self) -> &'static str {
        match self {
            Range::Month => "Last month",
            Range::ThreeMonths => "Last 3 months",
            Range::Year => "Last year",
            Range::All => "All",
        }
    }

    fn months(self) -> Option<u32> {
        match self {
            Range::Month => Some(1),
            Range::ThreeMonths => Some(3),
            Range::Year => Some(12),
            Range::All => None,
        }
    }

    /// "in the last 3 months" and "in the 3 months before", as the sentences say them.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Range::Month => ("in the last month", "in the month before"),
            Range::ThreeMonths => ("in the last 3 months", "in the 3 months before"),
            Range::Year => ("in the last year", "in the year before"),
            Range::All => ("", ""),
        }
    }
}

/// One value on one day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DayPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Days since 1970-01-01: the plots' x axis.
    pub day: i64,
    pub value: f64,
}

/// One partner's daily answers on one scale, and their 7-day rolling mean.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartnerLine {
    /// Index into [`Progress::partners`].
    pub partner: usize,
    pub points: Vec<DayPoint>,
    /// At each day with an answer: the mean of that partner's answers in the 7 days ending
    /// then (earlier days before the range included, so the line does not start from nothing).
    pub rolling: Vec<DayPoint>,
}

/// Which answer of the daily check-in a line chart shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Measure {
    Mood,
    Connection,
    Safety,
}

impl Measure {
    pub fn title(self) -> &'static str {
        match self {
            Measure::Mood => "Mood",
            Measure::Connection => "Connection",
            Measure::Safety => "Safety",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Measure::Mood => "mood",
            Measure::Connection => "connection",
            Measure::Safety => "sense of safety",
        }
    }

    fn of(self, c: &crate::features::DailyCheckIn) -> u8 {
        match self {
            Measure::Mood => c.mood,
            Measure::Connection => c.connection,
            Measure::Safety => c.safety,
        }
    }
}

/// Mood, connection or safety over time, one line per partner.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LineChart {
    pub measure: Measure,
    pub lines: Vec<PartnerLine>,
    pub summary: String,
}

impl LineChart {
    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|l| l.points.is_empty())
    }
}

/// A count in one ISO week (only days inside the range are counted).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WeekCount {
    /// `2026-W48`.
    pub week: String,
    /// Days since 1970-01-01 of the week's Monday.
    pub monday: i64,
    pub count: u32,
}

/// What a bar series counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Counted {
    GoodDays,
    HardDays,
    Triggers,
    CommitmentsKept,
    ToldBeforeAsked,
}

impl Counted {
    /// The legend's words after the partner's name.
    pub fn label(self) -> &'static str {
        match self {
            Counted::GoodDays => "good days",
            Counted::HardDays => "hard days",
            Counted::Triggers => "triggers",
            Counted::CommitmentsKept => "kept",
            Counted::ToldBeforeAsked => "told before asked",
        }
    }
}

/// One partner's weekly counts of one thing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarSeries {
    /// Index into [`Progress::partners`].
    pub partner: usize,
    pub counted: Counted,
    /// Every week of the range, oldest first, zeros included.
    pub weeks: Vec<WeekCount>,
}

impl BarSeries {
    pub fn total(&self) -> u32 {
        self.weeks.iter().map(|w| w.count).sum()
    }
}

/// Counts per week, one or two series per partner.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarChart {
    pub title: &'static str,
    pub series: Vec<BarSeries>,
    pub summary: String,
}

impl BarChart {
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.total() == 0)
    }
}

/// Everything the progress screen draws for one range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub range: Range,
    /// First and last day of the range, `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
    /// Each partner's id and name, the local partner first.
    pub partners: Vec<(PartnerId, String)>,
    pub mood: LineChart,
    pub connection: LineChart,
    pub safety: LineChart,
    pub good_hard: BarChart,
    pub triggers: BarChart,
    pub commitments_kept: BarChart,
    pub told_before_asked: BarChart,
}

/// A good day is a revealed check-in with mood at least this.
pub const GOOD_MOOD: u8 = 4;
/// A hard day is a revealed check-in with mood at most this.
pub const HARD_MOOD: u8 = 2;
/// How the good and hard days are counted, said before their summary.
pub const GOOD_HARD_RULE: &str =
    "A good day is a check-in with mood 4 or 5, a hard day one with mood 1 or 2.";

/// Days since 1970-01-01.
pub fn day_number(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days()
}

/// The date of a day number, `YYYY-MM-DD` (for hover texts).
pub fn day_text(day: i64) -> String {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|d| d.checked_add_signed(Duration::days(day)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn utc_date(at: Timestamp) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_millis(at).map(|t| t.date_naive())
}

fn long(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// One thing that happened: whose, when, what.
struct Event {
    by: PartnerId,
    date: NaiveDate,
    counted: Counted,
}

/// The plots and sentences for `range` ending `today` (`YYYY-MM-DD`, the local date).
pub fn progress(v: &View, today: &str, range: Range) -> Progress {
    let today = parse_date(today).unwrap_or(NaiveDate::MIN);
    let checkins: Vec<_> = v
        .daily_checkins
        .iter()
        .filter(|c| !c.sealed)
        .filter_map(|c| Some((parse_date(&c.date)?, c)))
        .filter(|(d, _)| *d <= today)
        .collect();
    let mut events = Vec::new();
    for (date, c) in &checkins {
        if c.mood >= GOOD_MOOD {
            events.push(event(&c.by, *date, Counted::GoodDays));
        }
        if c.mood <= HARD_MOOD {
            events.push(event(&c.by, *date, Counted::HardDays));
        }
    }
    // A timestamp's UTC date can be tomorrow where the person lives west of UTC; nothing
    // recorded lies in the future, so that is today.
    let stamp = |at: Timestamp| utc_date(at).map(|d| d.min(today));
    for t in &v.triggers {
        if let Some(d) = stamp(t.at) {
            events.push(event(&t.by, d, Counted::Triggers));
        }
    }
    for c in &v.commitments {
        for l in &c.log {
            let counted = match l.status {
                LogStatus::Kept => Counted::CommitmentsKept,
                LogStatus::DisclosedBeforeAsked => Counted::ToldBeforeAsked,
                LogStatus::Missed => continue,
            };
            if let Some(d) = parse_date(&l.date) {
                events.push(event(&c.by, d, counted));
            }
        }
    }
    for d in v.disclosures.iter().filter(|d| d.before_asked) {
        if let Some(date) = stamp(d.at) {
            events.push(event(&d.by, date, Counted::ToldBeforeAsked));
        }
    }
    events.retain(|e| e.date <= today);

    let (from, before) = match range.months() {
        Some(n) => {
            let from = start(today, n);
            let prev_to = from.pred_opt().unwrap_or(NaiveDate::MIN);
            (from, Some((start(prev_to, n), prev_to)))
        }
        None => {
            let first = checkins
                .iter()
                .map(|(d, _)| *d)
                .chain(events.iter().map(|e| e.date))
                .min();
            (first.unwrap_or(today).min(today), None)
        }
    };

    let partners = partners(v, &checkins, &events);
    let ctx = Ctx {
        range,
        from,
        to: today,
        before,
        partners: &partners,
    };
    let line = |m: Measure| ctx.line(m, &checkins);
    let bars = |title, counted: &[Counted]| ctx.bars(title, counted, &events);
    Progress {
        range,
        from: from.format("%Y-%m-%d").to_string(),
        to: today.format("%Y-%m-%d").to_string(),
        mood: line(Measure::Mood),
        connection: line(Measure::Connection),
        safety: line(Measure::Safety),
        good_hard: bars(
            "Good days and hard days",
            &[Counted::GoodDays, Counted::HardDays],
        ),
        triggers: bars("Triggers", &[Counted::Triggers]),
        commitments_kept: bars("Commitments kept", &[Counted::CommitmentsKept]),
        told_before_asked: bars("Told before being asked", &[Counted::ToldBeforeAsked]),
        partners,
    }
}

fn event(by: &PartnerId, date: NaiveDate, counted: Counted) -> Event {
    Event {
        by: by.clone(),
        date,
        counted,
    }
}

/// The first day of the `months` months ending with `end`.
fn start(end: NaiveDate, months: u32) -> NaiveDate {
    end.checked_sub_months(Months::new(months))
        .and_then(|d| d.succ_opt())
        .unwrap_or(NaiveDate::MIN)
}

/// Me first, then the partner, then anyone else who wrote something counted.
fn partners(
    v: &View,
    checkins: &[(NaiveDate, &crate::features::DailyCheckIn)],
    events: &[Event],
) -> Vec<(PartnerId, String)> {
    let mut ids: Vec<PartnerId> = v.me.iter().chain(v.partner.iter()).cloned().collect();
    for by in checkins
        .iter()
        .map(|(_, c)| &c.by)
        .chain(events.iter().map(|e| &e.by))
    {
        if !ids.contains(by) {
            ids.push(by.clone());
        }
    }
    ids.into_iter()
        .map(|id| {
            let name = v.name_of(&id);
            (id, name)
        })
        .collect()
}

struct Ctx<'a> {
    range: Range,
    from: NaiveDate,
    to: NaiveDate,
    /// The earlier period of the same length, none for "all".
    before: Option<(NaiveDate, NaiveDate)>,
    partners: &'a [(PartnerId, String)],
}

impl Ctx<'_> {
    fn in_range(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    fn in_before(&self, d: NaiveDate) -> bool {
        self.before.is_some_and(|(a, b)| a <= d && d <= b)
    }

    /// "in the last 3 months", or "since 2 March 2026".
    fn this(&self) -> String {
        match self.range {
            Range::All => format!("since {}", long(self.from)),
            r => r.words().0.to_owned(),
        }
    }

    fn line(
        &self,
        m: Measure,
        checkins: &[(NaiveDate, &crate::features::DailyCheckIn)],
    ) -> LineChart {
        let mut lines = Vec::new();
        let mut sentences = Vec::new();
        for (i, (id, name)) in self.partners.iter().enumerate() {
            let mut all: Vec<(NaiveDate, f64)> = checkins
                .iter()
                .filter(|(_, c)| &c.by == id)
                .map(|(d, c)| (*d, f64::from(m.of(c))))
                .collect();
            all.sort_by_key(|(d, _)| *d);
            let point = |d: NaiveDate, value: f64| DayPoint {
                date: d.format("%Y-%m-%d").to_string(),
                day: day_number(d),
                value,
            };
            let mut points = Vec::new();
            let mut rolling = Vec::new();
            for (d, value) in all.iter().filter(|(d, _)| self.in_range(*d)) {
                points.push(point(*d, *value));
                let week: Vec<f64> = all
                    .iter()
                    .filter(|(e, _)| *e <= *d && *d - *e < Duration::days(7))
                    .map(|(_, x)| *x)
                    .collect();
                rolling.push(point(*d, mean(&week)));
            }
            let now: Vec<f64> = points.iter().map(|p| p.value).collect();
            let then: Vec<f64> = all
                .iter()
                .filter(|(d, _)| self.in_before(*d))
                .map(|(_, x)| *x)
                .collect();
            if let Some(s) = self.line_sentence(name, m, &now, &then) {
                sentences.push(s);
            }
            if !points.is_empty() {
                lines.push(PartnerLine {
                    partner: i,
                    points,
                    rolling,
                });
            }
        }
        LineChart {
            measure: m,
            lines,
            summary: if sentences.is_empty() {
                "No check-ins in this period.".to_owned()
            } else {
                sentences.join(" ")
            },
        }
    }

    fn line_sentence(&self, name: &str, m: Measure, now: &[f64], then: &[f64]) -> Option<String> {
        let this = self.this();
        let before = self.range.words().1;
        let n = now.len();
        let times = if n == 1 {
            "1 check-in".to_owned()
        } else {
            format!("{n} check-ins")
        };
        match (now.is_empty(), then.is_empty()) {
            (true, true) => None,
            (true, false) => Some(format!(
                "No check-ins from {name} {this} ({} averaged {:.1} {before}).",
                m.noun(),
                mean(then)
            )),
            (false, true) if self.before.is_none() => Some(format!(
                "{name}'s {} averaged {:.1} over {times} {this}.",
                m.noun(),
                mean(now)
            )),
            (false, true) => Some(format!(
                "{name}'s {} averaged {:.1} over {times} {this} (no check-ins {before}).",
                m.noun(),
                mean(now)
            )),
            (false, false) => {
                let (a, b) = (one_decimal(mean(now)), one_decimal(mean(then)));
                let change = match a.cmp(&b) {
                    std::cmp::Ordering::Greater => "up from",
                    std::cmp::Ordering::Less => "down from",
                    std::cmp::Ordering::Equal => "the same as",
                };
                Some(format!(
                    "{name}'s {} averaged {:.1} over {times} {this}, {change} {:.1} {before}.",
                    m.noun(),
                    mean(now),
                    mean(then)
                ))
            }
        }
    }

    fn bars(&self, title: &'static str, counted: &[Counted], events: &[Event]) -> BarChart {
        let first_monday = monday_of(self.from);
        let weeks: Vec<NaiveDate> = (0..)
            .map(|i| first_monday + Duration::weeks(i))
            .take_while(|m| *m <= self.to)
            .collect();
        let mut series = Vec::new();
        let mut sentences = Vec::new();
        for (i, (id, name)) in self.partners.iter().enumerate() {
            let mine: Vec<&Event> = events.iter().filter(|e| &e.by == id).collect();
            let count = |c: Counted, inside: &dyn Fn(NaiveDate) -> bool| {
                mine.iter()
                    .filter(|e| e.counted == c && inside(e.date))
                    .count() as u32
            };
            let mut now_then = Vec::new();
            for &c in counted {
                let weeks = weeks
                    .iter()
                    .map(|m| WeekCount {
                        week: week_of(*m),
                        monday: day_number(*m),
                        count: count(c, &|d| {
                            self.in_range(d) && d >= *m && d < *m + Duration::weeks(1)
                        }),
                    })
                    .collect();
                now_then.push((
                    c,
                    count(c, &|d| self.in_range(d)),
                    count(c, &|d| self.in_before(d)),
                ));
                series.push(BarSeries {
                    partner: i,
                    counted: c,
                    weeks,
                });
            }
            if let Some(s) = self.count_sentence(name, &now_then) {
                sentences.push(s);
            }
        }
        let summary = if sentences.is_empty() {
            match counted.first() {
                Some(Counted::GoodDays | Counted::HardDays) => {
                    format!("{GOOD_HARD_RULE} No check-ins in this period.")
                }
                Some(Counted::Triggers) => "No triggers in this period.".to_owned(),
                Some(Counted::CommitmentsKept) => {
                    "No commitment was logged as kept in this period.".to_owned()
                }
                _ => "Nothing was told before being asked in this period.".to_owned(),
            }
        } else if counted.contains(&Counted::GoodDays) {
            format!("{GOOD_HARD_RULE} {}", sentences.join(" "))
        } else {
            sentences.join(" ")
        };
        BarChart {
            title,
            series,
            summary,
        }
    }

    /// One partner's counts now and in the earlier period; `None` when both are all zero.
    fn count_sentence(&self, name: &str, counts: &[(Counted, u32, u32)]) -> Option<String> {
        if counts.iter().all(|(_, now, then)| *now == 0 && *then == 0) {
            return None;
        }
        let this = self.this();
        let before = self.range.words().1;
        if let [
            (Counted::GoodDays, good, good_then),
            (Counted::HardDays, hard, hard_then),
        ] = counts
        {
            let mut s = format!(
                "{name}: {} and {} {this}",
                plural(*good, "good day", "good days"),
                plural(*hard, "hard day", "hard days")
            );
            if self.before.is_some() {
                s.push_str(&format!(
                    " ({good_then} good and {hard_then} hard {before})"
                ));
            }
            s.push('.');
            return Some(s);
        }
        let &[(c, now, then)] = counts else {
            return None;
        };
        let what = match c {
            Counted::Triggers => format!(
                "{name} raised {}",
                plural(now, "trigger", "triggers").replace("0 triggers", "no triggers")
            ),
            Counted::CommitmentsKept => format!(
                "{name} kept a commitment {}",
                match now {
                    0 => "no times".to_owned(),
                    1 => "once".to_owned(),
                    n => format!("{n} times"),
                }
            ),
            _ => format!(
                "{name} told {} before being asked",
                match now {
                    0 => "nothing".to_owned(),
                    n => plural(n, "thing", "things"),
                }
            ),
        };
        Some(match self.before {
            None => format!("{what} {this}."),
            Some(_) => {
                let change = match now.cmp(&then) {
                    std::cmp::Ordering::Greater => "up from",
                    std::cmp::Ordering::Less => "down from",
                    std::cmp::Ordering::Equal => "the same as",
                };
                format!("{what} {this}, {change} {then} {before}.")
            }
        })
    }
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Compared as they are shown, so "up from 3.4" never sits beside 3.4.
fn one_decimal(x: f64) -> i64 {
    (x * 10.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Rhythm;
    use crate::{Command, DailyAnswers, DocKind, ItemId, Model};
    use automerge::ActorId;

    const TODAY: &str = "2026-12-01";

    /// Noon UTC of a date, in ms.
    fn at(date: &str) -> Timestamp {
        parse_date(date)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or_default()
    }

    fn apply(m: &mut Model, cmd: Command, date: &str) {
        m.apply(cmd, at(date)).expect("apply");
        m.commit(at(date));
    }

    fn checkin(m: &mut Model, date: &str, mood: u8) {
        apply(
            m,
            Command::SaveDailyCheckIn {
                date: date.into(),
                answers: DailyAnswers {
                    mood,
                    connection: mood,
                    safety: 3,
                    high: String::new(),
                    low: String::new(),
                    need: String::new(),
                },
            },
            date,
        );
    }

    /// What a sync does: both ways, each side revealing what is due, until both agree.
    fn sync(a: &mut Model, b: &mut Model) {
        for _ in 0..2 {
            let mut theirs = b.doc_mut(DocKind::Couple).fork();
            a.doc_mut(DocKind::Couple)
                .merge(&mut theirs)
                .expect("merge");
            a.reveal_checkins(at(TODAY)).expect("reveal");
            a.commit(at(TODAY));
            let mut ours = a.doc_mut(DocKind::Couple).fork();
            b.doc_mut(DocKind::Couple).merge(&mut ours).expect("merge");
            b.reveal_checkins(at(TODAY)).expect("reveal");
            b.commit(at(TODAY));
        }
    }

    /// Sam (this device) and Alex, set up and synced, with nothing else.
    fn couple() -> (Model, Model) {
        let mut sam =
            Model::open(None, None, PartnerId("sam".into()), ActorId::random()).expect("open");
        apply(
            &mut sam,
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            "2026-09-01",
        );
        let couple = sam.doc_mut(DocKind::Couple).save();
        let mut alex = Model::open(
            Some(&couple),
            None,
            PartnerId("alex".into()),
            ActorId::random(),
        )
        .expect("open");
        apply(
            &mut alex,
            Command::SetUp {
                my_name: "Alex".into(),
                partner_name: "Sam".into(),
            },
            "2026-09-01",
        );
        sync(&mut sam, &mut alex);
        (sam, alex)
    }

    /// Two months of a couple's life: check-ins on both sides (one of Sam's still sealed),
    /// Alex's triggers, Sam's commitment log and a disclosure from each.
    fn filled() -> (Model, Model) {
        let (mut sam, mut alex) = couple();
        for (date, s, a) in [
            ("2026-10-10", 2, 1),
            ("2026-11-01", 3, 2),
            ("2026-11-03", 5, 2),
            ("2026-11-10", 4, 3),
            ("2026-11-12", 3, 3),
        ] {
            checkin(&mut sam, date, s);
            checkin(&mut alex, date, a);
        }
        // Alex has not answered this day: Sam's answer stays sealed and out of the plots.
        checkin(&mut sam, "2026-11-25", 1);
        for date in ["2026-10-20", "2026-11-05", "2026-11-06"] {
            apply(
                &mut alex,
                Command::RaiseTrigger {
                    id: ItemId::random(),
                    note: String::new(),
                },
                date,
            );
        }
        let id = ItemId::random();
        apply(
            &mut sam,
            Command::AddCommitment {
                id: id.clone(),
                text: "Text when I leave work".into(),
                rhythm: Rhythm::Daily,
                start: "2026-10-01".into(),
            },
            "2026-10-01",
        );
        for (date, status) in [
            ("2026-10-15", LogStatus::Kept),
            ("2026-11-04", LogStatus::Kept),
            ("2026-11-05", LogStatus::Kept),
            ("2026-11-06", LogStatus::Missed),
            ("2026-11-07", LogStatus::DisclosedBeforeAsked),
        ] {
            apply(
                &mut sam,
                Command::LogCommitment {
                    id: id.clone(),
                    date: date.into(),
                    status,
                    note: String::new(),
                },
                date,
            );
        }
        for (date, before_asked) in [("2026-11-08", true), ("2026-11-09", false)] {
            apply(
                &mut alex,
                Command::AddDisclosure {
                    id: ItemId::random(),
                    text: "I saw them at the gym".into(),
                    before_asked,
                },
                date,
            );
        }
        sync(&mut sam, &mut alex);
        (sam, alex)
    }

    fn counts(s: &BarSeries) -> Vec<u32> {
        s.weeks.iter().map(|w| w.count).collect()
    }

    #[test]
    fn last_month_against_the_month_before() {
        let (sam, _) = filled();
        let v = sam.view();
        assert!(
            v.daily_checkins
                .iter()
                .any(|c| c.date == "2026-11-25" && c.sealed),
            "the sealed answer is in the view, so leaving it out is tested"
        );
        let p = progress(&v, TODAY, Range::Month);
        assert_eq!((p.from.as_str(), p.to.as_str()), ("2026-11-02", TODAY));
        let names: Vec<&str> = p.partners.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["Sam", "Alex"]);

        assert_eq!(
            p.mood.summary,
            "Sam's mood averaged 4.0 over 3 check-ins in the last month, up from 2.5 in the \
             month before. Alex's mood averaged 2.7 over 3 check-ins in the last month, up from \
             1.5 in the month before."
        );
        let sam_line = &p.mood.lines[0];
        assert_eq!(sam_line.partner, 0);
        let dates: Vec<&str> = sam_line.points.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-03", "2026-11-10", "2026-11-12"]);
        let values = |ps: &[DayPoint]| ps.iter().map(|p| p.value).collect::<Vec<_>>();
        assert_eq!(values(&sam_line.points), [5.0, 4.0, 3.0]);
        // Nov 3 reaches back to Nov 1 (before the range); Nov 12 to Nov 10.
        assert_eq!(values(&sam_line.rolling), [4.0, 4.0, 3.5]);
        assert_eq!(
            sam_line.points[0].day,
            day_number(NaiveDate::from_ymd_opt(2026, 11, 3).unwrap())
        );
        assert_eq!(
            p.safety.summary,
            "Sam's sense of safety averaged 3.0 over 3 check-ins in the last month, the same as \
             3.0 in the month before. Alex's sense of safety averaged 3.0 over 3 check-ins in \
             the last month, the same as 3.0 in the month before."
        );

        assert_eq!(
            p.good_hard.summary,
            "A good day is a check-in with mood 4 or 5, a hard day one with mood 1 or 2. Sam: 2 \
             good days and 0 hard days in the last month (0 good and 1 hard in the month before). \
             Alex: 0 good days and 1 hard day in the last month (0 good and 2 hard in the month \
             before)."
        );
        let weeks: Vec<&str> = p.good_hard.series[0]
            .weeks
            .iter()
            .map(|w| w.week.as_str())
            .collect();
        assert_eq!(
            weeks,
            ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
        );
        assert_eq!(p.good_hard.series[0].counted, Counted::GoodDays);
        assert_eq!(counts(&p.good_hard.series[0]), [1, 1, 0, 0, 0]);
        assert_eq!(
            counts(&p.good_hard.series[1]),
            [0, 0, 0, 0, 0],
            "the sealed 1 is out"
        );
        assert_eq!(counts(&p.good_hard.series[3]), [1, 0, 0, 0, 0]);

        assert_eq!(
            p.triggers.summary,
            "Alex raised 2 triggers in the last month, up from 1 in the month before."
        );
        assert_eq!(counts(&p.triggers.series[1]), [2, 0, 0, 0, 0]);
        assert_eq!(p.triggers.series[0].total(), 0);
        assert_eq!(
            p.commitments_kept.summary,
            "Sam kept a commitment 2 times in the last month, up from 1 in the month before."
        );
        assert_eq!(counts(&p.commitments_kept.series[0]), [2, 0, 0, 0, 0]);
        assert_eq!(
            p.told_before_asked.summary,
            "Sam told 1 thing before being asked in the last month, up from 0 in the month \
             before. Alex told 1 thing before being asked in the last month, up from 0 in the \
             month before."
        );
    }

    #[test]
    fn all_and_year_and_a_month_with_nothing() {
        let (sam, _) = filled();
        let v = sam.view();
        let all = progress(&v, TODAY, Range::All);
        assert_eq!(
            all.from, "2026-10-10",
            "the first day anything was recorded"
        );
        assert_eq!(
            all.mood.summary,
            "Sam's mood averaged 3.4 over 5 check-ins since 10 October 2026. Alex's mood \
             averaged 2.2 over 5 check-ins since 10 October 2026."
        );
        assert_eq!(
            all.triggers.summary,
            "Alex raised 3 triggers since 10 October 2026."
        );
        assert_eq!(
            all.commitments_kept.summary,
            "Sam kept a commitment 3 times since 10 October 2026."
        );
        assert_eq!(all.mood.lines[0].points.len(), 5);

        let year = progress(&v, TODAY, Range::Year);
        assert_eq!(
            year.connection.summary,
            "Sam's connection averaged 3.4 over 5 check-ins in the last year (no check-ins in \
             the year before). Alex's connection averaged 2.2 over 5 check-ins in the last year \
             (no check-ins in the year before)."
        );

        // A month later nothing new was recorded: each partner against their own month before.
        let later = progress(&v, "2027-01-02", Range::Month);
        assert!(later.mood.is_empty() && later.triggers.is_empty());
        assert_eq!(
            later.mood.summary,
            "No check-ins from Sam in the last month (mood averaged 4.0 in the month before). \
             No check-ins from Alex in the last month (mood averaged 2.7 in the month before)."
        );
        assert_eq!(
            later.triggers.summary,
            "Alex raised no triggers in the last month, down from 2 in the month before."
        );
        let quiet = progress(&v, "2027-03-01", Range::Month);
        assert_eq!(quiet.triggers.summary, "No triggers in this period.");
    }

    #[test]
    fn nothing_recorded_says_so_calmly() {
        let (sam, _) = couple();
        let p = progress(&sam.view(), TODAY, Range::ThreeMonths);
        assert_eq!(p.from, "2026-09-02");
        for line in [&p.mood, &p.connection, &p.safety] {
            assert!(line.is_empty());
            assert_eq!(line.summary, "No check-ins in this period.");
        }
        assert_eq!(
            p.good_hard.summary,
            "A good day is a check-in with mood 4 or 5, a hard day one with mood 1 or 2. No \
             check-ins in this period."
        );
        assert_eq!(p.triggers.summary, "No triggers in this period.");
        assert_eq!(
            p.commitments_kept.summary,
            "No commitment was logged as kept in this period."
        );
        assert_eq!(
            p.told_before_asked.summary,
            "Nothing was told before being asked in this period."
        );
        assert!(p.triggers.is_empty() && p.good_hard.is_empty());
    }

    #[test]
    fn a_partners_unrevealed_answers_never_count() {
        let (mut sam, mut alex) = couple();
        // Alex answered; Sam has not: Sam's device holds only Alex's seal.
        checkin(&mut alex, "2026-11-20", 5);
        sync(&mut sam, &mut alex);
        let p = progress(&sam.view(), TODAY, Range::Month);
        assert!(p.mood.is_empty() && p.good_hard.is_empty());
        assert_eq!(p.mood.summary, "No check-ins in this period.");
        // Alex's own device shows Alex's answer as sealed, and leaves it out too.
        let own = progress(&alex.view(), TODAY, Range::Month);
        assert!(own.mood.is_empty());
        // Once Sam answers, both answers count on both devices.
        checkin(&mut sam, "2026-11-20", 2);
        sync(&mut sam, &mut alex);
        let p = progress(&sam.view(), TODAY, Range::Month);
        assert_eq!(
            p.mood.summary,
            "Sam's mood averaged 2.0 over 1 check-in in the last month (no check-ins in the \
             month before). Alex's mood averaged 5.0 over 1 check-in in the last month (no \
             check-ins in the month before)."
        );
        let on_alex = progress(&alex.view(), TODAY, Range::Month);
        assert_eq!(
            on_alex.partners[0].1, "Alex",
            "the local partner comes first"
        );
        assert_eq!(on_alex.mood.lines.len(), 2);
    }
}
