//! Check-ins sealed in the data, through the window: the weekly check-in (with this week's commitment log for review) and the daily one, answered apart in two partners' windows, "answered" until both have, then side by side.

use chrono::Duration;
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, DailyAnswers, ItemId, LogStatus, Rhythm, iso_week};
use kintsugi_service::{now_ms, today_local};

mod common;
use common::{click, deliver, open, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn day(back: i64) -> String {
    (today_local() - Duration::days(back))
        .format("%Y-%m-%d")
        .to_string()
}

const SAM: [(&str, &str); 5] = [
    ("How did the week go?", "Calmer than last week."),
    ("Our agreement, reviewed", "The phone rule held."),
    ("Commitments, reviewed", "I was home on time every day."),
    ("Wins", "The walk on Sunday."),
    ("What to bring to therapy", "How we talk about money."),
];
const ALEX: [(&str, &str); 2] = [
    ("How did the week go?", "Still tense in the evenings."),
    ("What to bring to therapy", "Why I still check your phone."),
];

fn answer_weekly(h: &mut Harness<'_, KintsugiApp>, answers: &[(&str, &str)]) {
    click(h, "Check-in");
    click(h, "Weekly");
    for (field, text) in answers {
        type_into(h, field, text);
    }
    click(h, "Save weekly check-in");
}

#[test]
fn weekly_check_in_is_sealed_until_both_answered_then_side_by_side() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let week = iso_week(today_local());
    // Sam's commitment, logged today (this week) and long ago (not this week).
    let mut a = vault(da.path(), Some(("Sam", "Alex")));
    let c = ItemId::random();
    a.apply(
        Command::AddCommitment {
            id: c.clone(),
            text: "Home by six".into(),
            rhythm: Rhythm::Daily,
            start: day(30),
        },
        now_ms(),
    )
    .unwrap();
    for (date, status, note) in [
        (day(0), LogStatus::Kept, "Home at ten to six"),
        (day(20), LogStatus::Missed, "Stayed late at the office"),
    ] {
        a.apply(
            Command::LogCommitment {
                id: c.clone(),
                date,
                status,
                note: note.into(),
            },
            now_ms(),
        )
        .unwrap();
    }
    a.save(now_ms()).unwrap();
    drop(a);
    drop(vault(db.path(), Some(("Alex", "Sam"))));

    // Sam answers first. The form lists this week's log, and only this week's.
    let (ha, mut a) = open(da.path());
    click(&mut a, "Check-in");
    click(&mut a, "Weekly");
    assert!(a.query_by_label("Weekly check-in").is_some());
    assert!(shows(&a, "Home at ten to six"));
    assert!(shows(&a, "Home by six · Kept"));
    assert!(!shows(&a, "Stayed late at the office"));
    assert!(shows(&a, "becomes a topic for your next therapy session"));
    assert!(
        a.get_by_role_and_label(Role::Button, "Save weekly check-in")
            .accesskit_node()
            .is_disabled(),
        "nothing written yet"
    );
    answer_weekly(&mut a, &SAM);
    let v = view(&a);
    let (mine, theirs) = v.weekly_pair(&week);
    let mine = mine.expect("saved");
    assert!(mine.sealed);
    assert!(theirs.is_none());
    assert_eq!(mine.for_therapy, "How we talk about money.");
    assert!(a.query_by_label("Calmer than last week.").is_some());
    assert!(
        a.query_by_label("Sealed: Alex sees them once they have answered too")
            .is_some()
    );
    assert!(
        a.query_by_label("Alex has not answered yet this week")
            .is_some()
    );
    assert!(v.therapy_topics.is_empty(), "not a topic while sealed");
    ha.shutdown();
    drop(a);

    // Alex sees only that Sam answered, answers, and still sees nothing of Sam's until Sam's
    // device has received Alex's answer.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Check-in");
    click(&mut b, "Weekly");
    assert!(shows(&b, "Sam has answered this week."));
    assert!(!shows(&b, "Calmer than last week."));
    answer_weekly(&mut b, &ALEX);
    let v = view(&b);
    assert!(
        !v.weekly_pair(&week).0.expect("saved").sealed,
        "Sam had answered"
    );
    assert!(b.query_by_label("Sam has answered").is_some());
    assert!(!shows(&b, "Calmer than last week."));
    assert!(!shows(&b, "Sealed:"));
    hb.shutdown();
    drop(b);

    // Sam's device gets Alex's answers, and reveals its own.
    deliver(db.path(), da.path());
    let (ha, mut a) = open(da.path());
    click(&mut a, "Check-in");
    click(&mut a, "Weekly");
    for text in ["Calmer than last week.", "Still tense in the evenings."] {
        assert!(a.query_by_label(text).is_some(), "{text}");
    }
    assert!(!shows(&a, "Sealed:"));
    assert!(!shows(&a, "has not answered"));
    let topics: Vec<String> = view(&a)
        .therapy_topics
        .iter()
        .map(|t| t.text.clone())
        .collect();
    assert!(
        topics
            .iter()
            .any(|t| t.contains("How we talk about money.")),
        "{topics:?}"
    );
    ha.shutdown();
    drop(a);

    // And Alex's device sees both.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Check-in");
    click(&mut b, "Weekly");
    for text in ["Calmer than last week.", "Why I still check your phone."] {
        assert!(b.query_by_label(text).is_some(), "{text}");
    }
    hb.shutdown();
}

#[test]
fn daily_check_in_shows_only_answered_until_revealed() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    // Alex answered today, on Alex's device: only the seal travels.
    let mut b = vault(db.path(), Some(("Alex", "Sam")));
    b.apply(
        Command::SaveDailyCheckIn {
            date: day(0),
            answers: DailyAnswers {
                mood: 2,
                connection: 4,
                safety: 3,
                high: "Your note this morning".into(),
                low: "Felt tired".into(),
                need: "Patience tonight".into(),
            },
        },
        now_ms(),
    )
    .unwrap();
    b.save(now_ms()).unwrap();
    drop(b);
    deliver(db.path(), da.path());

    let (ha, mut a) = open(da.path());
    assert!(view(&a).partner_answered(&day(0), false));
    click(&mut a, "Check-in");
    assert!(shows(&a, "Alex has answered today."));
    assert!(!shows(&a, "Your note this morning"));
    for name in [
        "Mood: 4 of 5, good",
        "Sense of connection: 3 of 5, somewhat connected",
        "Sense of safety: 4 of 5, mostly safe",
    ] {
        click(&mut a, name);
    }
    type_into(&mut a, "One high", "A quiet evening");
    click(&mut a, "Save check-in");
    // Mine is shared at once (Alex had answered); Alex's arrives when Alex's device has mine.
    assert!(!view(&a).daily_pair(&day(0)).0.expect("saved").sealed);
    assert!(a.query_by_label("A quiet evening").is_some());
    assert!(a.query_by_label("Alex has answered").is_some());
    assert!(!shows(&a, "Your note this morning"));
    ha.shutdown();
    drop(a);

    deliver(da.path(), db.path());
    deliver(db.path(), da.path());
    let (ha, mut a) = open(da.path());
    click(&mut a, "Check-in");
    for text in [
        "A quiet evening",
        "Your note this morning",
        "Patience tonight",
    ] {
        assert!(a.query_by_label(text).is_some(), "{text}");
    }
    assert!(a.query_by_label("Alex has answered").is_none());
    ha.shutdown();
}

fn answer_daily(dir: &std::path::Path, high: &str) {
    let mut v = kintsugi_service::Vault::open(dir).expect("open vault");
    v.apply(
        Command::SaveDailyCheckIn {
            date: day(0),
            answers: DailyAnswers {
                mood: 3,
                connection: 3,
                safety: 4,
                high: high.into(),
                low: String::new(),
                need: String::new(),
            },
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
}

/// Once both answers are shown they are final in the window too: no "Change my answers",
/// and a later thought is a note both windows show as added after seeing the other's answers.
#[test]
fn answers_both_can_see_are_final_and_a_later_thought_is_a_note() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    drop(vault(db.path(), Some(("Alex", "Sam"))));
    answer_daily(db.path(), "Alex's answer, sealed first");
    deliver(db.path(), da.path());
    answer_daily(da.path(), "Sam's answer");
    deliver(da.path(), db.path());
    deliver(db.path(), da.path());

    let (ha, mut a) = open(da.path());
    click(&mut a, "Check-in");
    for text in ["Sam's answer", "Alex's answer, sealed first"] {
        assert!(a.query_by_label(text).is_some(), "{text}");
    }
    assert!(
        a.query_by_role_and_label(Role::Button, "Change my answers")
            .is_none(),
        "answers both can see cannot be changed"
    );
    assert!(
        a.get_by_role_and_label(Role::Button, "Add note")
            .accesskit_node()
            .is_disabled(),
        "nothing written yet"
    );
    type_into(&mut a, "A later thought", "I was more tired than I said.");
    click(&mut a, "Add note");
    let v = view(&a);
    let notes: Vec<_> = v.notes_for(&day(0), false);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].text, "I was more tired than I said.");
    let caption = "Added by Sam after seeing Alex's answers";
    assert!(shows(&a, caption), "the note is shown as added afterwards");
    assert!(a.query_by_label("I was more tired than I said.").is_some());
    ha.shutdown();
    drop(a);

    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Check-in");
    assert!(shows(&b, caption), "Alex's window says the same");
    assert!(b.query_by_label("I was more tired than I said.").is_some());
    hb.shutdown();
}
