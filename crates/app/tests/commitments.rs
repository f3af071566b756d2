//! The commitments screen driven through AccessKit: making a commitment with a rhythm, logging
//! days, the calendar's words, pausing and retiring, and the partner's acknowledgement.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, CommitmentState, ItemId, LogStatus, Rhythm};
use kintsugi_service::{Vault, spawn, today_local};

mod common;
use common::{click, deliver, harness, press, settle, type_into, vault};

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// How the screen writes a day out: "Tue 24 Nov 2026".
fn long(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

/// The words of the calendar column of the week starting on `monday`, if it is shown.
fn week(h: &Harness<'_, KintsugiApp>, monday: NaiveDate) -> Option<String> {
    let head = format!("Week of {}: ", monday.format("%-d %b %Y"));
    let mut found = h.query_all_by_label_contains(&head);
    let node = found.next()?;
    assert!(found.next().is_none(), "one column per week");
    node.value()
}

/// What the column of `day`'s week says about `day`, e.g. "kept".
fn mark_of(h: &Harness<'_, KintsugiApp>, day: NaiveDate) -> Option<String> {
    let text = week(h, monday_of(day))?;
    let (_, days) = text.split_once(": ")?;
    let name = day.format("%a ").to_string();
    days.split(", ")
        .find_map(|d| d.strip_prefix(name.as_str()))
        .map(str::to_owned)
}

fn disabled(h: &Harness<'_, KintsugiApp>, button: &str) -> bool {
    h.get_by_role_and_label(Role::Button, button)
        .accesskit_node()
        .is_disabled()
}

#[test]
fn make_a_commitment_log_days_and_read_the_calendar() {
    let today = today_local();
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    click(&mut h, "Commitments");
    assert!(shows(&h, "Nothing here yet"));
    assert!(shows(&h, "Commitments Alex makes appear here."));

    // Chosen weekdays, said back in words before it is made.
    click(&mut h, "Make a commitment");
    assert!(disabled(&h, "Make this commitment"), "no text yet");
    type_into(&mut h, "What I commit to", "Home by 6 on weekdays");
    click(&mut h, "How often: Chosen days");
    assert!(disabled(&h, "Make this commitment"), "no day chosen yet");
    click(&mut h, "Thursday");
    click(&mut h, "Monday");
    assert!(shows(&h, "Due on Mondays and Thursdays."));
    click(&mut h, "Make this commitment");
    let v = view(&h);
    assert_eq!(v.commitments.len(), 1);
    let c = &v.commitments[0];
    assert_eq!(c.text, "Home by 6 on weekdays");
    assert_eq!(c.rhythm, Rhythm::Days(vec![Weekday::Mon, Weekday::Thu]));
    assert_eq!(c.start, ymd(today));
    assert_eq!(Some(&c.by), v.me.as_ref());
    assert_eq!(c.state, CommitmentState::Active);
    assert!(shows(&h, "On Mondays and Thursdays · Active"));
    assert!(!shows(&h, "Nothing here yet"));

    // Once, on a date.
    click(&mut h, "Make a commitment");
    type_into(&mut h, "What I commit to", "Book the couples retreat");
    click(&mut h, "How often: Once, on a date");
    let when = today + Duration::days(20);
    type_into(&mut h, "On which date (YYYY-MM-DD)", &ymd(when));
    click(&mut h, "Make this commitment");
    let v = view(&h);
    let once = v
        .commitments
        .iter()
        .find(|c| c.text == "Book the couples retreat")
        .expect("made");
    assert_eq!(once.rhythm, Rhythm::Once(when));

    // Every day: log today through the form, then read the calendar.
    click(&mut h, "Make a commitment");
    type_into(&mut h, "What I commit to", "Phone on the table at dinner");
    click(&mut h, "Make this commitment");
    let v = view(&h);
    assert_eq!(v.commitments.len(), 3);
    let daily = v
        .commitments
        .iter()
        .find(|c| c.rhythm == Rhythm::Daily)
        .expect("made every day")
        .id
        .clone();
    click(&mut h, "Open Phone on the table at dinner");
    assert_eq!(mark_of(&h, today).as_deref(), Some("not logged"));
    assert!(disabled(&h, "Save log"), "how it went is not chosen yet");
    click(&mut h, "How it went: Kept");
    type_into(&mut h, "Note (optional)", "Phone stayed in the hall");
    click(&mut h, "Save log");
    let log = |h: &Harness<'_, KintsugiApp>| {
        view(h)
            .commitments
            .iter()
            .find(|c| c.id == daily)
            .map(|c| c.log.clone())
            .unwrap()
    };
    let l = log(&h);
    assert_eq!(l.len(), 1);
    assert_eq!(
        (l[0].date.as_str(), l[0].status, l[0].note.as_str()),
        (
            ymd(today).as_str(),
            LogStatus::Kept,
            "Phone stayed in the hall"
        )
    );
    assert_eq!(mark_of(&h, today).as_deref(), Some("kept"));
    assert!(shows(&h, "Phone stayed in the hall"));
    // Later days of this week have not come yet.
    if let Some(tomorrow) = today.succ_opt()
        && monday_of(tomorrow) == monday_of(today)
    {
        assert_eq!(mark_of(&h, tomorrow).as_deref(), Some("upcoming"));
    }

    // A kept day may be corrected to missed; a missed day stays missed.
    assert!(shows(&h, "Logged as kept already"));
    click(&mut h, "How it went: Missed");
    click(&mut h, "Save log");
    let l = log(&h);
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].status, LogStatus::Missed);
    assert_eq!(mark_of(&h, today).as_deref(), Some("missed"));
    assert!(shows(&h, "A missed day stays as it was logged"));
    assert!(disabled(&h, "How it went: Kept"));
    assert!(disabled(&h, "How it went: Told before being asked"));
    assert_eq!(mark_of(&h, today).as_deref(), Some("missed"));

    // Pause, resume, retire: the state is kept in the document and said on the screen.
    let state = |h: &Harness<'_, KintsugiApp>| {
        view(h)
            .commitments
            .iter()
            .find(|c| c.id == daily)
            .map(|c| c.state)
            .unwrap()
    };
    click(&mut h, "Pause");
    assert_eq!(state(&h), CommitmentState::Paused);
    assert!(shows(&h, "Paused: no days are due"));
    click(&mut h, "Resume");
    assert_eq!(state(&h), CommitmentState::Active);
    click(&mut h, "Retire…");
    assert!(shows(&h, "Retire this commitment?"));
    assert_eq!(state(&h), CommitmentState::Active, "asked first");
    click(&mut h, "Retire it");
    assert_eq!(state(&h), CommitmentState::Retired);
    assert!(shows(&h, "Retired: no longer due."));
    // The logged day is still there.
    assert_eq!(log(&h).len(), 1);
    assert_eq!(mark_of(&h, today).as_deref(), Some("missed"));

    click(&mut h, "Back to all commitments");
    assert!(shows(&h, "Every day · Retired"));
    handle.shutdown();
}

#[test]
fn earlier_days_logged_and_the_calendar_scrolls_back() {
    let today = today_local();
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    // Made 40 weeks ago, with one day logged 30 weeks ago.
    let id = ItemId::random();
    let start = today - Duration::weeks(40);
    let long_ago = today - Duration::weeks(30);
    handle.send(Command::AddCommitment {
        id: id.clone(),
        text: "Walk together after dinner".into(),
        rhythm: Rhythm::Daily,
        start: ymd(start),
    });
    handle.send(Command::LogCommitment {
        id: id.clone(),
        date: ymd(long_ago),
        status: LogStatus::Missed,
        note: String::new(),
    });
    let mut h = harness(handle.clone(), 1000.0);
    settle(&mut h);
    click(&mut h, "Commitments");
    click(&mut h, "Open Walk together after dinner");

    // Yesterday, through the form: a missed day stays visible.
    let yesterday = today.pred_opt().unwrap();
    assert_eq!(mark_of(&h, yesterday).as_deref(), Some("not logged"));
    click(&mut h, "Log for yesterday");
    click(&mut h, "How it went: Missed");
    type_into(&mut h, "Note (optional)", "Rain, and I stayed in");
    click(&mut h, "Save log");
    assert_eq!(mark_of(&h, yesterday).as_deref(), Some("missed"));
    assert!(shows(&h, &long(yesterday)));

    // Another day, typed.
    let day = today - Duration::days(9);
    click(&mut h, "Log for another day");
    type_into(&mut h, "Day (YYYY-MM-DD)", &ymd(day));
    click(&mut h, "How it went: Kept");
    click(&mut h, "Save log");
    assert_eq!(mark_of(&h, day).as_deref(), Some("kept"));
    let v = view(&h);
    let c = v.commitments.iter().find(|c| c.id == id).unwrap();
    assert_eq!(c.log_on(&ymd(day)).map(|l| l.status), Some(LogStatus::Kept));
    assert_eq!(
        c.log_on(&ymd(yesterday)).map(|l| l.note.as_str()),
        Some("Rain, and I stayed in")
    );
    let sentence = c.summary(today);
    assert!(sentence.starts_with("kept 1 of the last"), "{sentence}");
    assert!(
        shows(&h, &format!("K{}.", &sentence[1..])),
        "the sentence under the calendar"
    );

    // 30 weeks back is outside the last 26 weeks until "Earlier".
    assert!(mark_of(&h, long_ago).is_none());
    assert!(disabled(&h, "Later"), "nothing after this week");
    click(&mut h, "Earlier");
    assert_eq!(mark_of(&h, long_ago).as_deref(), Some("missed"));
    assert!(mark_of(&h, today).is_none());
    // The start lies in these 26 weeks: nothing earlier to see.
    assert!(disabled(&h, "Earlier"));
    let before_start = start.pred_opt().unwrap();
    if monday_of(before_start) == monday_of(start) {
        assert_eq!(mark_of(&h, before_start).as_deref(), Some("not due"));
    }
    // A click on a day in the calendar picks it in the log form (the middle of a week
    // column is its Thursday).
    let monday = monday_of(long_ago);
    h.get_by_label_contains(&format!("Week of {}: ", monday.format("%-d %b %Y")))
        .click();
    settle(&mut h);
    assert_eq!(
        h.get_by_label("Day (YYYY-MM-DD)").value(),
        Some(ymd(monday + Duration::days(3)))
    );
    click(&mut h, "Later");
    assert!(mark_of(&h, long_ago).is_none());
    assert_eq!(mark_of(&h, yesterday).as_deref(), Some("missed"));
    handle.shutdown();
}

#[test]
fn the_partner_acknowledges_a_logged_day_and_the_author_sees_it() {
    let today = today_local();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));

    // Alex makes a commitment and logs today in Alex's window.
    let hb = spawn(vault(db.path(), Some(("Alex", "Sam"))));
    let mut b = harness(hb.clone(), 1000.0);
    b.run();
    click(&mut b, "Commitments");
    click(&mut b, "Make a commitment");
    type_into(&mut b, "What I commit to", "Text when I leave work");
    click(&mut b, "How often: Weekdays");
    click(&mut b, "Make this commitment");
    click(&mut b, "Open Text when I leave work");
    click(&mut b, "How it went: Told before being asked");
    type_into(&mut b, "Note (optional)", "I forgot, and told you at lunch");
    click(&mut b, "Save log");
    assert!(shows(&b, "Not acknowledged yet."));
    hb.shutdown();
    drop(b);

    // Sam's window, once Alex's device has synced: Sam can acknowledge, not log or pause.
    deliver(db.path(), da.path());
    let ha = spawn(Vault::open(da.path()).unwrap());
    let mut a = harness(ha.clone(), 1000.0);
    a.run();
    click(&mut a, "Commitments");
    assert!(shows(&a, "Alex's · On weekdays · Active"));
    assert!(shows(
        &a,
        "You can acknowledge 1 day logged this past week."
    ));
    click(&mut a, "Open Text when I leave work");
    assert!(shows(&a, "I forgot, and told you at lunch"));
    for author_only in ["Save log", "Pause", "Retire…"] {
        assert!(
            a.query_by_role_and_label(Role::Button, author_only)
                .is_none(),
            "{author_only} is the author's"
        );
    }
    press(&mut a, &format!("Acknowledge the log of {}", long(today)));
    settle(&mut a);
    type_into(
        &mut a,
        "A note for Alex (optional)",
        "Thank you for telling me",
    );
    click(&mut a, "Acknowledge");
    let v = view(&a);
    let l = &v.commitments[0].log[0];
    assert_eq!(l.acknowledged_by.as_ref(), v.me.as_ref());
    assert!(l.acknowledged_at.is_some());
    assert_eq!(l.ack_note, "Thank you for telling me");
    assert!(shows(&a, "You acknowledged this"));
    assert!(
        a.query_by_role_and_label(
            Role::Button,
            &format!("Acknowledge the log of {}", long(today))
        )
        .is_none(),
        "acknowledged once"
    );
    ha.shutdown();
    drop(a);

    // Back on Alex's device, after the next sync.
    deliver(da.path(), db.path());
    let hb = spawn(Vault::open(db.path()).unwrap());
    let mut b = harness(hb.clone(), 1000.0);
    b.run();
    click(&mut b, "Commitments");
    click(&mut b, "Open Text when I leave work");
    assert!(shows(&b, "Sam acknowledged this"));
    assert!(shows(&b, "\u{201c}Thank you for telling me\u{201d}"));
    assert!(!shows(&b, "Not acknowledged yet."));
    hb.shutdown();
}

#[test]
fn narrow_window_reaches_commitments() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 360.0);
    h.run();
    click(&mut h, "Commitments");
    click(&mut h, "Make a commitment");
    type_into(&mut h, "What I commit to", "Phone on the table at dinner");
    click(&mut h, "Make this commitment");
    click(&mut h, "Open Phone on the table at dinner");
    click(&mut h, "How it went: Kept");
    click(&mut h, "Save log");
    assert_eq!(mark_of(&h, today_local()).as_deref(), Some("kept"));
    handle.shutdown();
}
