//! "I'm triggered" through the window: raised with a note, then my own self-care list; on the partner's window a notice with our plan over whatever screen is open, one desktop notification, and "I'm here"; back on mine, "Alex is here". The plan written in both windows keeps both; Ctrl+Shift+T raises one from any screen.

use std::path::Path;
use std::sync::{Arc, Mutex};

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId, self_care_suggestions};
use kintsugi_service::{Handle, Vault, now_ms, spawn};

mod common;
use common::{click, deliver, settle, type_into, vault};

type Sent = Arc<Mutex<Vec<(String, String)>>>;

/// A window on the vault in `dir`, `width` wide, whose desktop notifications are recorded.
fn window(dir: &Path, width: f32) -> (Handle, Harness<'static, KintsugiApp>, Sent) {
    let handle = spawn(Vault::open(dir).expect("open vault"));
    let sent: Sent = Arc::default();
    let record = sent.clone();
    let app = KintsugiApp::new(handle.clone()).with_notifier(move |title, body| {
        record
            .lock()
            .unwrap()
            .push((title.to_owned(), body.to_owned()));
    });
    let mut h = Harness::builder()
        .with_size([width, 900.0])
        .with_max_steps(12)
        .build_ui_state(|ui, app: &mut KintsugiApp| app.show(ui), app);
    h.run();
    (handle, h, sent)
}

fn view(h: &Harness<'_, KintsugiApp>) -> Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn button(h: &Harness<'_, KintsugiApp>, label: &str) -> bool {
    h.query_by_role_and_label(Role::Button, label).is_some()
}

fn care(h: &Harness<'_, KintsugiApp>) -> Vec<String> {
    view(h).self_care.iter().map(|s| s.text.clone()).collect()
}

const NOTE: &str = "Your phone lit up at dinner and my chest went tight.";
const PLAN: &str = "Tell me you are here and not going anywhere. Sit with me; explain later.";

/// Two partners set up apart; Sam's device already holds their plan, and Alex's has it too.
fn couple(da: &Path, db: &Path) {
    let mut v = vault(da, Some(("Sam", "Alex")));
    v.apply(
        Command::SpliceReassurancePlan {
            pos: 0,
            delete: 0,
            insert: PLAN.into(),
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);
    drop(vault(db, Some(("Alex", "Sam"))));
    deliver(da, db);
}

#[test]
fn a_trigger_reaches_the_partner_with_the_plan_and_the_answer_comes_back() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    couple(da.path(), db.path());

    // Sam says it, with a few words.
    let (ha, mut a, sent_a) = window(da.path(), 1000.0);
    click(&mut a, "I'm triggered");
    assert!(shows(&a, "Ctrl+Shift+T"), "the shortcut is said");
    type_into(&mut a, "A few words (optional)", NOTE);
    click(&mut a, "Let Alex know I'm triggered");
    let v = view(&a);
    assert_eq!(v.triggers.len(), 1);
    assert_eq!(v.triggers[0].note, NOTE);
    assert_eq!(v.triggers[0].by, v.me.clone().unwrap());
    assert!(v.triggers[0].acknowledged_at.is_none());
    assert_eq!(
        a.get_by_label("A few words (optional)").value().as_deref(),
        Some(""),
        "the note box is cleared once sent"
    );
    assert!(shows(&a, "You said you're feeling triggered"));
    assert!(shows(&a, NOTE));
    assert!(shows(
        &a,
        "Alex sees it, with your plan, as soon as your devices connect."
    ));
    assert!(a.query_by_label("Alex is here").is_none());
    assert!(a.query_by_label(PLAN).is_some(), "what we agreed, to read");

    // Right after: my own list, empty, with ideas that one click adds.
    assert!(care(&a).is_empty());
    let idea = self_care_suggestions()[0];
    for s in self_care_suggestions() {
        assert!(button(&a, &format!("Add: {s}")), "{s}");
    }
    click(&mut a, &format!("Add: {idea}"));
    assert_eq!(care(&a), [idea]);
    assert!(a.query_by_label(idea).is_some(), "listed");
    assert!(!button(&a, &format!("Add: {idea}")), "not offered twice");
    type_into(&mut a, "Something else that helps me", "Sit with the dog");
    click(&mut a, "Add to my list");
    assert_eq!(care(&a).len(), 2);
    assert!(care(&a).contains(&"Sit with the dog".to_owned()));
    click(&mut a, &format!("Remove: {idea}"));
    assert_eq!(care(&a), ["Sit with the dog"]);

    // My own trigger is no notice and no notification for me.
    assert!(!button(&a, "I'm here"));
    assert!(sent_a.lock().unwrap().is_empty());
    ha.shutdown();
    drop(a);

    // Alex's window, open on the journal when the trigger arrives.
    deliver(da.path(), db.path());
    let (hb, mut b, sent_b) = window(db.path(), 1000.0);
    assert_eq!(b.state().screen(), "Journal");
    assert!(b.query_by_label("Sam is feeling triggered").is_some());
    assert!(shows(&b, NOTE));
    assert!(b.query_by_label(PLAN).is_some(), "the plan they agreed on");
    assert!(button(&b, "I'm here"));
    assert_eq!(
        sent_b.lock().unwrap().clone(),
        [(
            "Sam is feeling triggered".to_owned(),
            "Open Kintsugi to see the plan you agreed on, and to say you're here.".to_owned()
        )]
    );
    assert!(
        view(&b).self_care.is_empty(),
        "Sam's list stayed on Sam's device"
    );
    assert!(!shows(&b, "Sit with the dog"));

    // Put aside, it waits at the top of every screen.
    click(&mut b, "Hide for now");
    assert!(b.query_by_label(PLAN).is_none());
    assert!(button(&b, "Show the plan"));
    click(&mut b, "Wins & thanks");
    assert!(button(&b, "Show the plan"));
    assert!(b.query_by_label("Sam is feeling triggered").is_some());
    click(&mut b, "Show the plan");
    assert!(b.query_by_label(PLAN).is_some());

    click(&mut b, "I'm here");
    let v = view(&b);
    assert!(v.triggers[0].acknowledged_at.is_some());
    assert!(shows(&b, "You said you're here. Sam sees it"));
    assert!(b.query_by_label(PLAN).is_some(), "the plan stays to read");
    click(&mut b, "Close");
    assert!(b.query_by_label("Sam is feeling triggered").is_none());
    assert!(!button(&b, "Show the plan"));
    for _ in 0..3 {
        b.run();
    }
    assert_eq!(
        sent_b.lock().unwrap().len(),
        1,
        "one notification per trigger"
    );

    // The log: when, and that it was answered; no blame words.
    click(&mut b, "Reassurance plan");
    assert!(shows(&b, "Hard moments over time"));
    assert!(b.query_by_label("This week").is_some());
    assert!(shows(
        &b,
        "1 moment in the last 8 weeks; 1 answered in the app."
    ));
    assert!(shows(&b, "Alex answered within a minute"));
    assert!(!shows(&b, "incident"));
    hb.shutdown();
    drop(b);

    // Sam sees the answer.
    deliver(db.path(), da.path());
    let (ha, mut a, sent_a) = window(da.path(), 1000.0);
    click(&mut a, "I'm triggered");
    assert!(a.query_by_label("Alex is here").is_some());
    assert!(shows(&a, "Alex answered just now."));
    assert!(sent_a.lock().unwrap().is_empty());
    ha.shutdown();
}

#[test]
fn the_notice_fits_a_phone_sized_window_and_answers_the_recent_moments() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    couple(da.path(), db.path());
    let mut v = Vault::open(da.path()).unwrap();
    // Three days ago (the log keeps it; no notice now), an hour ago, and just now.
    for (back, note) in [
        (72 * 3_600_000, "long ago"),
        (3_600_000, "earlier"),
        (0, ""),
    ] {
        v.apply(
            Command::RaiseTrigger {
                id: ItemId::random(),
                note: note.into(),
            },
            now_ms() - back,
        )
        .unwrap();
    }
    v.save(now_ms()).unwrap();
    drop(v);
    deliver(da.path(), db.path());

    let (hb, mut b, sent) = window(db.path(), 380.0);
    assert!(b.query_by_label("Sam is feeling triggered").is_some());
    assert!(shows(&b, "And 1 earlier moment not answered yet."));
    assert_eq!(sent.lock().unwrap().len(), 2, "one for each");
    // Inside the window, not cut off at its edge.
    let notice = b.get_by_role_and_label(Role::Button, "I'm here");
    let r = notice.rect();
    assert!(r.min.x >= 0.0 && r.max.x <= 380.0, "{r:?}");
    click(&mut b, "I'm here");
    let answered: Vec<bool> = view(&b)
        .triggers
        .iter()
        .map(|t| t.acknowledged_at.is_some())
        .collect();
    assert_eq!(answered, [true, true, false], "newest first");
    hb.shutdown();
}

#[test]
fn the_plan_is_written_by_both_at_once_and_keeps_both() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut v = vault(da.path(), Some(("Sam", "Alex")));
    // What Sam wrote before there was one plan for both.
    v.apply(
        Command::SetReassurancePlan {
            text: "Hold my hand.".into(),
        },
        now_ms(),
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);
    drop(vault(db.path(), Some(("Alex", "Sam"))));

    let (ha, mut a, _) = window(da.path(), 1000.0);
    click(&mut a, "Reassurance plan");
    assert!(shows(&a, "Hold my hand."));
    click(&mut a, "Start from what you wrote before");
    assert_eq!(view(&a).reassurance_plan, "What helps Sam:\nHold my hand.");
    assert!(!button(&a, "Start from what you wrote before"), "started");
    type_into(&mut a, "Our plan", " Stay in the room.");
    let mine = view(&a).reassurance_plan.clone();
    assert!(mine.contains("Stay in the room."), "{mine}");
    ha.shutdown();
    drop(a);

    // Alex writes at the same time, before Sam's words arrive.
    let (hb, mut b, _) = window(db.path(), 1000.0);
    click(&mut b, "Reassurance plan");
    assert!(!button(&b, "Start from what you wrote before"));
    type_into(&mut b, "Our plan", "Ask me what I need.");
    assert_eq!(view(&b).reassurance_plan, "Ask me what I need.");
    hb.shutdown();
    drop(b);

    deliver(da.path(), db.path());
    deliver(db.path(), da.path());
    let mut plans = Vec::new();
    for dir in [da.path(), db.path()] {
        let (h, mut w, _) = window(dir, 1000.0);
        click(&mut w, "Reassurance plan");
        let plan = view(&w).reassurance_plan.clone();
        for words in ["Hold my hand.", "Stay in the room.", "Ask me what I need."] {
            assert!(plan.contains(words), "{plan}");
        }
        assert_eq!(
            w.get_by_label("Our plan").value().as_deref(),
            Some(plan.as_str())
        );
        plans.push(plan);
        h.shutdown();
    }
    assert_eq!(plans[0], plans[1], "one plan for both");
}

#[test]
fn ctrl_shift_t_raises_a_trigger_from_any_screen() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h, _) = window(dir.path(), 1000.0);
    click(&mut h, "Wins & thanks");
    assert!(view(&h).triggers.is_empty());
    h.key_press_modifiers(Modifiers::CTRL.plus(Modifiers::SHIFT), Key::T);
    settle(&mut h);
    assert_eq!(h.state().screen(), "I'm triggered");
    let v = view(&h);
    assert_eq!(v.triggers.len(), 1);
    assert_eq!(v.triggers[0].note, "");
    assert!(shows(&h, "You said you're feeling triggered"));
    // A held key repeats: still one.
    h.key_press_modifiers(Modifiers::CTRL.plus(Modifiers::SHIFT), Key::T);
    settle(&mut h);
    assert_eq!(view(&h).triggers.len(), 1);
    // Plain T (typing) raises nothing.
    click(&mut h, "Journal");
    h.key_press(Key::T);
    settle(&mut h);
    assert_eq!(h.state().screen(), "Journal");
    assert_eq!(view(&h).triggers.len(), 1);
    handle.shutdown();
}
