//! Reminders through the window: my own times saved in Settings (private), a due reminder as a calm banner that opens the right screen, and one desktop notification per reminder and period.

use std::sync::{Arc, Mutex};

use chrono::{NaiveTime, Weekday};
use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, DocKind, ItemId, ReminderSettings, Rhythm};
use kintsugi_service::{Handle, Vault, now_ms, spawn, today_local};

mod common;
use common::{click, set_text, settle, vault};

type Sent = Arc<Mutex<Vec<(String, String)>>>;

/// A window whose desktop notifications are recorded instead of shown.
fn window(handle: Handle) -> (Harness<'static, KintsugiApp>, Sent) {
    let sent: Sent = Arc::default();
    let record = sent.clone();
    let app = KintsugiApp::new(handle).with_notifier(move |title, body| {
        record
            .lock()
            .unwrap()
            .push((title.to_owned(), body.to_owned()));
    });
    let mut h = Harness::builder()
        .with_size([1000.0, 900.0])
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut KintsugiApp| app.show(ui), app);
    h.run();
    (h, sent)
}

fn view(h: &Harness<'_, KintsugiApp>) -> Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn button(h: &Harness<'_, KintsugiApp>, label: &str) -> bool {
    h.query_by_role_and_label(Role::Button, label).is_some()
}

fn titles(sent: &Sent) -> Vec<String> {
    let mut t: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _)| t.clone())
        .collect();
    t.sort();
    t
}

#[test]
fn reminder_times_are_saved_and_a_due_one_shows_and_opens_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    // A commitment of mine due today, not logged: the evening log reminder has something to say.
    v.apply(
        Command::AddCommitment {
            id: ItemId::random(),
            text: "Home by six".into(),
            rhythm: Rhythm::Daily,
            start: today_local().format("%Y-%m-%d").to_string(),
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    let handle = spawn(v);
    let (mut h, sent) = window(handle.clone());
    // Nothing is set: nothing is due, nothing notified.
    assert!(!button(&h, "Open the daily check-in"));
    assert!(sent.lock().unwrap().is_empty());

    click(&mut h, "Settings");
    assert!(h.query_by_label_contains("never reach Alex").is_some());
    h.get_by_label("Remind me of the daily check-in").click();
    settle(&mut h);
    set_text(&mut h, "Daily check-in time (HH:MM)", "0:00");
    h.get_by_label("Remind me of the weekly check-in").click();
    settle(&mut h);
    click(&mut h, "Weekly check-in day: Monday");
    set_text(&mut h, "Weekly check-in time (HH:MM)", "00:00");
    h.get_by_label("Remind me in the evening to log my commitments")
        .click();
    settle(&mut h);
    // A time that is not a time is said, and nothing is saved.
    set_text(&mut h, "Commitment log time (HH:MM)", "late");
    assert!(
        h.query_by_label_contains("Write the time for the commitment log like 20:30")
            .is_some()
    );
    assert!(
        h.get_by_role_and_label(Role::Button, "Save reminders")
            .accesskit_node()
            .is_disabled()
    );
    set_text(&mut h, "Commitment log time (HH:MM)", "00:01");
    assert!(sent.lock().unwrap().is_empty(), "nothing saved yet");
    click(&mut h, "Save reminders");
    let midnight = NaiveTime::from_hms_opt(0, 0, 0).unwrap();
    assert_eq!(
        view(&h).reminders,
        ReminderSettings {
            daily: Some(midnight),
            weekly: Some((Weekday::Mon, midnight)),
            evening_log: Some(NaiveTime::from_hms_opt(0, 1, 0).unwrap()),
        }
    );
    assert!(h.query_by_label("Reminders saved").is_some());

    // All three are due now (the times have passed): a banner each, one notification each.
    h.run();
    for b in [
        "Open the daily check-in",
        "Open the weekly check-in",
        "Open commitments",
    ] {
        assert!(button(&h, b), "{b}");
    }
    assert!(h.query_by_label("Time for today's check-in.").is_some());
    assert_eq!(
        titles(&sent),
        ["Commitment log", "Daily check-in", "Weekly check-in"]
    );

    // The weekly one opens the weekly check-in.
    click(&mut h, "Open the weekly check-in");
    assert_eq!(h.state().screen(), "Check-in");
    assert!(button(&h, "Save weekly check-in"));
    click(&mut h, "Journal");
    assert!(
        !button(&h, "Open the weekly check-in"),
        "opened: gone for this week"
    );
    // "Not now" puts one away for this period; the others stay.
    click(&mut h, "Not now: Commitment log");
    assert!(!button(&h, "Open commitments"));
    assert!(button(&h, "Open the daily check-in"));

    // The daily one opens the daily check-in; answering it ends the reminder.
    click(&mut h, "Open the daily check-in");
    assert_eq!(h.state().screen(), "Check-in");
    for name in [
        "Mood: 3 of 5, okay",
        "Sense of connection: 3 of 5, somewhat connected",
        "Sense of safety: 3 of 5, somewhat safe",
    ] {
        click(&mut h, name);
    }
    click(&mut h, "Save check-in");
    click(&mut h, "Journal");
    assert!(!button(&h, "Open the daily check-in"));
    assert!(h.query_by_label("Time for today's check-in.").is_none());
    // Many frames later: still one notification per reminder and period.
    for _ in 0..3 {
        h.run();
    }
    assert_eq!(sent.lock().unwrap().len(), 3);
    handle.shutdown();
    drop(h);

    // The settings are mine alone: in my private document, not in the couple document that
    // travels to Alex; and a new window reads them back into Settings.
    let mut v = Vault::open(dir.path()).unwrap();
    let couple = v.model_mut().doc_mut(DocKind::Couple).save_nocompress();
    let private = v.model_mut().doc_mut(DocKind::Private).save_nocompress();
    let has =
        |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has(&private, "mon@00:00"));
    assert!(!has(&couple, "mon@00:00"));
    let handle = spawn(v);
    let (mut h, _) = window(handle.clone());
    click(&mut h, "Settings");
    assert_eq!(
        h.get_by_label("Daily check-in time (HH:MM)")
            .value()
            .as_deref(),
        Some("00:00")
    );
    handle.shutdown();
}
