//! Follow-through in the data: sealed check-ins, commitments' calendar, wins, reminders.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use kintsugi_core::automerge::{AutoCommit, ScalarValue};
use kintsugi_core::*;

mod common;
use common::{device, partner_of, second_device, set_up};

/// Noon UTC on 1 December 2026, the day the check-ins below are for: a check-in is only taken
/// for a day that has come, so the times are offsets from it.
fn t0() -> i64 {
    NaiveDate::from_ymd_opt(2026, 12, 1)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn merge(kind: DocKind, a: &mut Model, b: &mut Model) {
    a.commit(t0() + 50);
    b.commit(t0() + 50);
    let mut bc = b.doc_mut(kind).fork();
    a.doc_mut(kind).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(kind).fork();
    b.doc_mut(kind).merge(&mut ac).unwrap();
}

/// Every string a document's history ever held, decoded op by op (a byte search would miss
/// text automerge compressed).
fn history(doc: &mut AutoCommit) -> String {
    let mut out = String::new();
    for c in doc.get_changes(&[]) {
        for op in c.decode().operations {
            if let Some(ScalarValue::Str(s)) = op.primitive_value() {
                out.push_str(&s);
            }
            out.push('\0');
        }
    }
    out
}

fn daily(m: &mut Model, date: &str, low: &str, t: i64) {
    m.apply(
        Command::SaveDailyCheckIn {
            date: date.into(),
            answers: DailyAnswers {
                mood: 3,
                connection: 2,
                safety: 4,
                high: "a walk".into(),
                low: low.into(),
                need: "patience".into(),
            },
        },
        t0() + t,
    )
    .unwrap();
    m.commit(t0() + t);
}

fn weekly(m: &mut Model, week: &str, therapy: &str, t: i64) {
    m.apply(
        Command::SaveWeeklyCheckIn {
            week: week.into(),
            answers: WeeklyAnswers {
                how_it_went: "steadier".into(),
                agreements: "kept the phone rule".into(),
                commitments: "two late evenings".into(),
                wins: "the walk on Sunday".into(),
                for_therapy: therapy.into(),
            },
        },
        t0() + t,
    )
    .unwrap();
    m.commit(t0() + t);
}

#[test]
fn a_daily_check_in_stays_out_of_the_couple_document_until_both_answered() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let mut b = partner_of(&mut a, &pb);
    set_up(&mut b, "Alex", "Sam");

    daily(&mut a, "2026-12-01", "SAM-SEALED-LOW", 10);
    // Sam sees their own answers, marked sealed; the couple document holds only the seal.
    let v = a.view();
    let mine = v.daily_pair("2026-12-01").0.expect("my answers show");
    assert!(mine.sealed);
    assert_eq!(mine.low, "SAM-SEALED-LOW");
    assert!(!history(a.doc_mut(DocKind::Couple)).contains("SAM-SEALED-LOW"));

    merge(DocKind::Couple, &mut a, &mut b);
    assert!(
        !b.reveal_checkins(t0() + 20).unwrap(),
        "Alex has nothing to reveal"
    );
    assert!(!history(b.doc_mut(DocKind::Couple)).contains("SAM-SEALED-LOW"));
    let v = b.view();
    assert!(
        v.partner_answered("2026-12-01", false),
        "Alex sees that Sam answered"
    );
    assert!(v.daily_pair("2026-12-01").1.is_none(), "but not what");
    assert!(!v.partner_answered("2026-12-02", false));

    // Alex answers: Sam had answered, so Alex's answers go in at once.
    daily(&mut b, "2026-12-01", "ALEX-LOW", 30);
    assert!(history(b.doc_mut(DocKind::Couple)).contains("ALEX-LOW"));
    assert!(!b.view().daily_pair("2026-12-01").0.unwrap().sealed);
    merge(DocKind::Couple, &mut a, &mut b);
    // Sam's device reveals when Alex's seal arrives, once.
    assert!(a.reveal_checkins(t0() + 40).unwrap());
    a.commit(40);
    assert!(
        !a.reveal_checkins(t0() + 41).unwrap(),
        "nothing left to reveal"
    );
    merge(DocKind::Couple, &mut a, &mut b);
    for m in [&a, &b] {
        let v = m.view();
        let (mine, theirs) = v.daily_pair("2026-12-01");
        let (mine, theirs) = (mine.unwrap(), theirs.unwrap());
        assert!(!mine.sealed && !theirs.sealed);
        let lows = [mine.low.as_str(), theirs.low.as_str()];
        assert!(lows.contains(&"SAM-SEALED-LOW") && lows.contains(&"ALEX-LOW"));
        assert_eq!(
            v.daily_checkins.len(),
            2,
            "no duplicates of the sealed copy"
        );
    }

    // Both answers are shown: they are final. A later thought goes in as a note instead.
    let again = a.apply(
        Command::SaveDailyCheckIn {
            date: "2026-12-01".into(),
            answers: DailyAnswers {
                mood: 5,
                connection: 5,
                safety: 5,
                high: String::new(),
                low: "SAM-EDITED".into(),
                need: String::new(),
            },
        },
        t0() + 60,
    );
    assert!(again.is_err(), "answers both can see are not replaced");
    assert!(!history(a.doc_mut(DocKind::Couple)).contains("SAM-EDITED"));
}

#[test]
fn my_second_device_reveals_my_answers_when_it_meets_the_partners_seal() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a1 = device(&pa);
    set_up(&mut a1, "Sam", "Alex");
    let mut a2 = second_device(&mut a1);
    let mut b = partner_of(&mut a1, &pb);
    set_up(&mut b, "Alex", "Sam");
    daily(&mut a1, "2026-12-01", "FROM-A1", 10);
    merge(DocKind::Private, &mut a1, &mut a2);
    merge(DocKind::Couple, &mut a1, &mut a2);
    assert!(a2.view().daily_pair("2026-12-01").0.unwrap().sealed);
    daily(&mut b, "2026-12-01", "FROM-B", 20);
    // Only a2 meets the partner; a1 stays away.
    merge(DocKind::Couple, &mut a2, &mut b);
    assert!(a2.reveal_checkins(t0() + 30).unwrap());
    merge(DocKind::Couple, &mut a2, &mut b);
    let v = b.view();
    assert_eq!(v.daily_pair("2026-12-01").1.unwrap().low, "FROM-A1");
    // a1 revealing the same answer meanwhile converges to one answer.
    merge(DocKind::Couple, &mut a1, &mut b);
    a1.reveal_checkins(t0() + 31).unwrap();
    merge(DocKind::Couple, &mut a1, &mut a2);
    merge(DocKind::Couple, &mut a1, &mut b);
    assert_eq!(b.view().daily_checkins.len(), 2);
}

#[test]
fn a_weekly_check_in_is_sealed_and_brings_one_topic_to_therapy_when_revealed() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a1 = device(&pa);
    set_up(&mut a1, "Sam", "Alex");
    let mut a2 = second_device(&mut a1);
    let mut b = partner_of(&mut a1, &pb);
    set_up(&mut b, "Alex", "Sam");
    weekly(&mut a1, "2026-W49", "SAM-THERAPY-TOPIC", 10);
    assert!(!history(a1.doc_mut(DocKind::Couple)).contains("SAM-THERAPY-TOPIC"));
    assert!(a1.view().therapy_topics.is_empty(), "no topic while sealed");
    merge(DocKind::Private, &mut a1, &mut a2);
    merge(DocKind::Couple, &mut a1, &mut b);
    assert!(b.view().partner_answered("2026-W49", true));
    assert!(b.view().weekly_pair("2026-W49").1.is_none());
    weekly(&mut b, "2026-W49", "", 20);
    // Both of Sam's devices reveal apart; they write the same topic, not two.
    merge(DocKind::Couple, &mut a1, &mut b);
    merge(DocKind::Couple, &mut a2, &mut b);
    assert!(a1.reveal_checkins(t0() + 30).unwrap());
    assert!(a2.reveal_checkins(t0() + 31).unwrap());
    merge(DocKind::Couple, &mut a1, &mut a2);
    merge(DocKind::Couple, &mut a1, &mut b);
    let v = b.view();
    let (_, theirs) = v.weekly_pair("2026-W49");
    assert_eq!(theirs.unwrap().for_therapy, "SAM-THERAPY-TOPIC");
    let topics: Vec<_> = v
        .therapy_topics
        .iter()
        .filter(|t| t.text == "SAM-THERAPY-TOPIC")
        .collect();
    assert_eq!(topics.len(), 1, "{:?}", v.therapy_topics);
}

#[test]
fn weeks_are_read_as_iso_weeks() {
    let (mon, sun) = week_days("2026-W49").unwrap();
    assert_eq!(mon, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    assert_eq!(sun, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap());
    assert_eq!(week_of(mon), "2026-W49");
    assert!(week_days("2026-W54").is_none());
    assert!(week_days("2026-49").is_none());
}

fn date(s: &str) -> NaiveDate {
    parse_date(s).unwrap()
}

#[test]
fn rhythms_read_what_they_write_and_say_it_in_words() {
    for (text, words) in [
        ("daily", "every day"),
        ("weekdays", "on weekdays"),
        ("mon,thu", "on Mondays and Thursdays"),
        ("tue", "on Tuesdays"),
        ("once:2026-12-24", "once, on 24 December 2026"),
    ] {
        let r = Rhythm::parse(text).unwrap();
        assert_eq!(r.as_text(), text);
        assert_eq!(r.describe(), words);
    }
    assert_eq!(Rhythm::parse("thu, mon").unwrap().as_text(), "mon,thu");
    assert_eq!(
        Rhythm::parse("mon,tue,wed,thu,fri,sat,sun").unwrap(),
        Rhythm::Daily
    );
    for bad in ["", "often", "once:tomorrow", "mon,funday"] {
        assert!(Rhythm::parse(bad).is_err(), "{bad}");
    }
    let w = Rhythm::Weekdays;
    assert!(w.falls_on(date("2026-12-04")) && !w.falls_on(date("2026-12-05")));
}

fn commitment_with_logs() -> (Model, Model, ItemId) {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let b = partner_of(&mut a, &pb);
    let id = ItemId::random();
    a.apply(
        Command::AddCommitment {
            id: id.clone(),
            text: "Home by 6 on weekdays".into(),
            rhythm: Rhythm::Weekdays,
            start: "2026-11-23".into(),
        },
        1,
    )
    .unwrap();
    for (d, status) in [
        ("2026-11-23", LogStatus::Kept),
        ("2026-11-24", LogStatus::Kept),
        ("2026-11-25", LogStatus::Missed),
        ("2026-11-26", LogStatus::DisclosedBeforeAsked),
        // 27th: not logged.
        ("2026-11-30", LogStatus::Kept),
    ] {
        a.apply(
            Command::LogCommitment {
                id: id.clone(),
                date: d.into(),
                status,
                note: String::new(),
            },
            2,
        )
        .unwrap();
    }
    (a, b, id)
}

#[test]
fn a_commitment_calendar_tells_every_day_apart_and_says_it_plainly() {
    let (a, _, id) = commitment_with_logs();
    let v = a.view();
    let c = v.commitments.iter().find(|c| c.id == id).unwrap();
    let today = date("2026-12-01");
    let weeks = c.calendar(today, 26, 0);
    assert_eq!(weeks.len(), 26);
    let last = &weeks[25];
    assert_eq!(last.monday, date("2026-11-30"));
    assert_eq!(last.days[0].1, DayMark::Kept);
    assert_eq!(
        last.days[1].1,
        DayMark::NotLogged,
        "today, due, not logged yet"
    );
    assert_eq!(last.days[2].1, DayMark::Upcoming);
    let prev = &weeks[24];
    let marks: Vec<DayMark> = prev.days.iter().map(|d| d.1).collect();
    use DayMark::*;
    assert_eq!(
        marks,
        [Kept, Kept, Missed, Disclosed, NotLogged, NotDue, NotDue]
    );
    assert_eq!(weeks[0].days[0].1, NotDue, "before the start");
    // Today counts only once logged.
    let r = c.record(today, 26);
    assert_eq!(
        (r.due, r.kept, r.missed, r.disclosed, r.not_logged),
        (6, 3, 1, 1, 1)
    );
    assert_eq!(
        c.summary(today),
        "kept 3 of the last 6 times (1 missed, 1 told before being asked, 1 not logged)"
    );
    assert_eq!(c.record(today, 2).due, 2);
    // Scrolling back a whole page shows earlier weeks.
    assert_eq!(c.calendar(today, 26, 26)[25].monday, date("2026-06-01"));
}

#[test]
fn pausing_stops_counting_from_that_day_and_retiring_is_final() {
    let (mut a, _, id) = commitment_with_logs();
    let set = |a: &mut Model, state, d: &str| {
        a.apply(
            Command::SetCommitmentState {
                id: id.clone(),
                state,
                date: d.into(),
            },
            5,
        )
    };
    set(&mut a, CommitmentState::Paused, "2026-11-27").unwrap();
    let today = date("2026-12-01");
    let c = a.view().commitments[0].clone();
    assert_eq!(c.state, CommitmentState::Paused);
    assert!(!c.active);
    assert_eq!(c.mark_on(date("2026-11-27"), today), DayMark::NotDue);
    assert_eq!(
        c.mark_on(date("2026-11-30"), today),
        DayMark::Kept,
        "a log always shows"
    );
    assert_eq!(c.mark_on(date("2026-11-25"), today), DayMark::Missed);
    set(&mut a, CommitmentState::Active, "2026-12-01").unwrap();
    let c = a.view().commitments[0].clone();
    assert_eq!(c.mark_on(date("2026-12-01"), today), DayMark::NotLogged);
    assert_eq!(c.mark_on(date("2026-11-27"), today), DayMark::NotDue);
    set(&mut a, CommitmentState::Retired, "2026-12-02").unwrap();
    let err = set(&mut a, CommitmentState::Active, "2026-12-03").unwrap_err();
    assert!(err.to_string().contains("retired"), "{err}");
    assert_eq!(a.view().commitments[0].state, CommitmentState::Retired);
}

#[test]
fn the_partner_acknowledges_a_logged_day_with_a_note_and_only_the_partner_can() {
    let (mut a, mut b, id) = commitment_with_logs();
    merge(DocKind::Couple, &mut a, &mut b);
    let ack = |m: &mut Model, d: &str| {
        m.apply(
            Command::AcknowledgeCommitmentLog {
                id: id.clone(),
                date: d.into(),
                note: "Thank you for texting".into(),
            },
            9,
        )
    };
    assert!(ack(&mut a, "2026-11-26").is_err(), "not one's own");
    let err = ack(&mut b, "2026-11-28").unwrap_err();
    assert!(err.to_string().contains("nothing was logged"), "{err}");
    ack(&mut b, "2026-11-26").unwrap();
    // Logging by the partner is refused too: only the author logs.
    assert!(
        b.apply(
            Command::LogCommitment {
                id: id.clone(),
                date: "2026-11-27".into(),
                status: LogStatus::Missed,
                note: String::new(),
            },
            9,
        )
        .is_err()
    );
    merge(DocKind::Couple, &mut a, &mut b);
    let v = a.view();
    let log = v.commitments[0].log_on("2026-11-26").unwrap();
    assert_eq!(log.acknowledged_by.as_ref(), Some(&b.me().clone()));
    assert_eq!(log.ack_note, "Thank you for texting");
    // The day told before being asked is a win for both to see.
    let moments = b.view().moments();
    assert!(
        moments
            .iter()
            .any(|m| m.kind == MomentKind::ToldBeforeAsked && m.by == *a.me())
    );
}

#[test]
fn disclosures_before_being_asked_join_the_wins_timeline() {
    let pa = PartnerId::random();
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    for (text, before_asked, t) in [("asked about it", false, 1), ("told first", true, 2)] {
        a.apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: text.into(),
                before_asked,
            },
            t,
        )
        .unwrap();
    }
    a.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::Appreciation,
            text: "thank you for dinner".into(),
        },
        3,
    )
    .unwrap();
    let m = a.view().moments();
    let kinds: Vec<(MomentKind, &str)> = m.iter().map(|m| (m.kind, m.text.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (
                MomentKind::Win(WinKind::Appreciation),
                "thank you for dinner"
            ),
            (MomentKind::DisclosedBeforeAsked, "told first"),
        ]
    );
}

fn at(d: &str, t: &str) -> NaiveDateTime {
    date(d).and_time(NaiveTime::parse_from_str(t, "%H:%M").unwrap())
}

#[test]
fn reminders_are_private_and_due_only_until_done() {
    let (mut a, _, id) = commitment_with_logs();
    let settings = ReminderSettings {
        daily: Some(NaiveTime::from_hms_opt(20, 0, 0).unwrap()),
        weekly: Some((Weekday::Sun, NaiveTime::from_hms_opt(18, 30, 0).unwrap())),
        evening_log: Some(NaiveTime::from_hms_opt(21, 0, 0).unwrap()),
    };
    a.apply(
        Command::SetReminders {
            settings: settings.clone(),
        },
        3,
    )
    .unwrap();
    a.commit(3);
    assert_eq!(a.view().reminders, settings);
    assert!(!history(a.doc_mut(DocKind::Couple)).contains("18:30"));
    assert!(history(a.doc_mut(DocKind::Private)).contains("sun@18:30"));

    let kinds = |m: &Model, now| {
        due_reminders(&m.view(), now)
            .into_iter()
            .map(|r| r.kind)
            .collect::<Vec<_>>()
    };
    // Tuesday 1 December 2026.
    assert!(kinds(&a, at("2026-12-01", "19:59")).is_empty());
    assert_eq!(
        kinds(&a, at("2026-12-01", "20:00")),
        [ReminderKind::DailyCheckIn]
    );
    assert_eq!(
        kinds(&a, at("2026-12-01", "21:30")),
        [ReminderKind::DailyCheckIn, ReminderKind::CommitmentLog]
    );
    assert_eq!(
        kinds(&a, at("2026-12-06", "18:45")),
        [ReminderKind::WeeklyCheckIn],
        "Sunday: the weekly; a weekend day has no commitment due"
    );
    daily(&mut a, "2026-12-01", "ok", 4);
    a.apply(
        Command::LogCommitment {
            id,
            date: "2026-12-01".into(),
            status: LogStatus::Kept,
            note: String::new(),
        },
        5,
    )
    .unwrap();
    assert!(kinds(&a, at("2026-12-01", "22:00")).is_empty(), "all done");
    weekly(&mut a, "2026-W49", "", 6);
    assert!(kinds(&a, at("2026-12-06", "19:00")).is_empty());

    a.apply(
        Command::SetReminders {
            settings: ReminderSettings::default(),
        },
        7,
    )
    .unwrap();
    assert_eq!(a.view().reminders, ReminderSettings::default());
}

#[test]
fn the_export_holds_my_sealed_answers_marked_and_never_the_partners() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let mut b = partner_of(&mut a, &pb);
    daily(&mut a, "2026-12-01", "SAM-EXPORT-LOW", 10);
    weekly(&mut a, "2026-W49", "SAM-EXPORT-THERAPY", 11);
    merge(DocKind::Couple, &mut a, &mut b);
    let scope = ExportScope::default();
    let mine = export(&a.view(), &scope, ExportFormat::Markdown);
    assert!(mine.contains("SAM-EXPORT-LOW") && mine.contains("sealed: not shared yet"));
    assert!(mine.contains("SAM-EXPORT-THERAPY"));
    for format in [ExportFormat::Markdown, ExportFormat::Json] {
        let theirs = export(&b.view(), &scope, format);
        assert!(!theirs.contains("SAM-EXPORT"), "{theirs}");
    }
    let december = ExportScope {
        from: Some("2026-12-01".into()),
        to: Some("2026-12-31".into()),
        own_private: false,
    };
    let november = ExportScope {
        from: Some("2026-11-01".into()),
        to: Some("2026-11-29".into()),
        own_private: false,
    };
    // Week 49 runs from 30 November to 6 December.
    assert!(export(&a.view(), &december, ExportFormat::Markdown).contains("SAM-EXPORT-THERAPY"));
    assert!(!export(&a.view(), &november, ExportFormat::Json).contains("SAM-EXPORT-THERAPY"));
}

#[test]
fn a_missed_day_is_never_turned_into_a_kept_one() {
    let (mut a, mut b, id) = commitment_with_logs();
    merge(DocKind::Couple, &mut a, &mut b);
    b.apply(
        Command::AcknowledgeCommitmentLog {
            id: id.clone(),
            date: "2026-11-25".into(),
            note: "ok".into(),
        },
        6,
    )
    .unwrap();
    merge(DocKind::Couple, &mut a, &mut b);
    let log = |a: &mut Model, status, note: &str| {
        a.apply(
            Command::LogCommitment {
                id: id.clone(),
                date: "2026-11-25".into(),
                status,
                note: note.into(),
            },
            7,
        )
    };
    for status in [LogStatus::Kept, LogStatus::DisclosedBeforeAsked] {
        let err = log(&mut a, status, "").unwrap_err();
        assert!(err.to_string().contains("stays as it was logged"), "{err}");
    }
    // Its note can grow, and the acknowledgement stays.
    log(&mut a, LogStatus::Missed, "the train, and I did not call").unwrap();
    let v = a.view();
    let l = v.commitments[0].log_on("2026-11-25").unwrap();
    assert_eq!(l.status, LogStatus::Missed);
    assert_eq!(l.note, "the train, and I did not call");
    assert_eq!(l.ack_note, "ok");
    // A kept day may be corrected to missed.
    a.apply(
        Command::LogCommitment {
            id: id.clone(),
            date: "2026-11-24".into(),
            status: LogStatus::Missed,
            note: "I was late after all".into(),
        },
        8,
    )
    .unwrap();
    let v = a.view();
    assert_eq!(
        v.commitments[0].log_on("2026-11-24").unwrap().status,
        LogStatus::Missed
    );
}
