//! The progress screen through AccessKit: its sentences say what the data holds, change with the period, and leave out a check-in the partner has not revealed.

use chrono::Duration;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, DailyAnswers, ItemId};
use kintsugi_service::{Vault, now_ms, today_local};

mod common;
use common::{click, deliver, open, vault};

/// The date `days` before today, as a check-in is keyed.
fn day(days: i64) -> String {
    (today_local() - Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

fn checkin(v: &mut Vault, days_ago: i64, mood: u8) {
    v.apply(
        Command::SaveDailyCheckIn {
            date: day(days_ago),
            answers: DailyAnswers {
                mood,
                connection: 4,
                safety: 3,
                high: String::new(),
                low: String::new(),
                need: String::new(),
            },
        },
        now_ms(),
    )
    .expect("check-in");
}

fn shows(h: &Harness<'_, KintsugiApp>, text: &str) -> bool {
    h.query_by_label(text).is_some()
}

fn shows_part(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

#[test]
fn sentences_follow_the_data_and_the_period_and_skip_what_is_sealed() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut sam = vault(da.path(), Some(("Sam", "Alex")));
    let mut alex = vault(db.path(), Some(("Alex", "Sam")));
    // Two days each in the last month and two in the month before it.
    for (days_ago, s, a) in [(5, 4, 3), (10, 5, 3), (45, 2, 2), (50, 3, 2)] {
        checkin(&mut sam, days_ago, s);
        checkin(&mut alex, days_ago, a);
    }
    // Alex alone answered three days ago: Sam's device only learns that Alex answered.
    checkin(&mut alex, 3, 1);
    alex.apply(
        Command::RaiseTrigger {
            id: ItemId::random(),
            note: String::new(),
        },
        now_ms(),
    )
    .expect("trigger");
    sam.save(now_ms()).expect("save");
    alex.save(now_ms()).expect("save");
    drop((sam, alex));
    deliver(db.path(), da.path());
    deliver(da.path(), db.path());
    deliver(db.path(), da.path());
    // Sam has answered the trigger, so its notice does not sit over the screen.
    let mut sam = Vault::open(da.path()).expect("open");
    let trigger = sam.view().triggers[0].id.clone();
    sam.apply(Command::AcknowledgeTrigger { id: trigger }, now_ms())
        .expect("acknowledge");
    sam.save(now_ms()).expect("save");
    drop(sam);

    let (_handle, mut h) = open(da.path());
    click(&mut h, "Progress");
    assert_eq!(h.state().screen(), "Progress");

    // The last 3 months at first.
    assert!(shows(
        &h,
        "Sam's mood averaged 3.5 over 4 check-ins in the last 3 months (no check-ins in the 3 \
         months before). Alex's mood averaged 2.5 over 4 check-ins in the last 3 months (no \
         check-ins in the 3 months before)."
    ));
    assert!(shows(
        &h,
        "Alex raised 1 trigger in the last 3 months, up from 0 in the 3 months before."
    ));
    assert!(shows(
        &h,
        "A good day is a check-in with mood 4 or 5, a hard day one with mood 1 or 2. Sam: 2 good \
         days and 1 hard day in the last 3 months (0 good and 0 hard in the 3 months before). \
         Alex: 0 good days and 2 hard days in the last 3 months (0 good and 0 hard in the 3 \
         months before)."
    ));
    assert!(shows(
        &h,
        "No commitment was logged as kept in this period."
    ));

    click(&mut h, "Period: Last month");
    assert!(shows(
        &h,
        "Sam's mood averaged 4.5 over 2 check-ins in the last month, up from 2.5 in the month \
         before. Alex's mood averaged 3.0 over 2 check-ins in the last month, up from 2.0 in the \
         month before."
    ));
    assert!(shows(
        &h,
        "Sam's connection averaged 4.0 over 2 check-ins in the last month, the same as 4.0 in \
         the month before. Alex's connection averaged 4.0 over 2 check-ins in the last month, \
         the same as 4.0 in the month before."
    ));
    // Alex's sealed mood of 1 would have made three check-ins and an average of 2.3.
    assert!(!shows_part(&h, "3 check-ins"));
    assert!(!shows_part(&h, "2.3"));
    assert!(
        !shows_part(&h, "in the last 3 months"),
        "the 3-month sentences are gone"
    );
}

#[test]
fn nothing_yet_is_said_calmly_instead_of_an_empty_plot() {
    let d = tempfile::tempdir().unwrap();
    drop(vault(d.path(), Some(("Sam", "Alex"))));
    let (_handle, mut h) = open(d.path());
    click(&mut h, "Progress");
    assert_eq!(
        h.query_all_by_label("No check-ins in this period.").count(),
        3,
        "mood, connection and safety"
    );
    assert!(shows(&h, "No triggers in this period."));
    assert!(shows(
        &h,
        "Nothing was told before being asked in this period."
    ));
    for period in ["Last month", "Last 3 months", "Last year", "All"] {
        click(&mut h, &format!("Period: {period}"));
        assert!(shows(&h, "No triggers in this period."), "{period}");
    }
}
