//! The window driven through its accessibility tree, against a real vault in a temp directory.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, DailyAnswers, DocKind, section_templates};
use kintsugi_service::{spawn, today_local};

mod common;
use common::{click, harness, settle, type_into, vault};

fn today() -> String {
    today_local().format("%Y-%m-%d").to_string()
}

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn body(h: &Harness<'_, KintsugiApp>, section: &str) -> String {
    view(h)
        .agreement
        .iter()
        .find(|s| s.id == section)
        .map(|s| s.body.clone())
        .expect("section exists")
}

#[test]
fn setup_flow_reaches_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), None));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    assert!(h.query_by_label_contains("stays on this device").is_some());
    // Begin waits for both names.
    type_into(&mut h, "Your name", "Sam");
    assert!(h.query_by_role_and_label(Role::Button, "Journal").is_none());
    type_into(&mut h, "Your partner's name", "Alex");
    click(&mut h, "Begin");
    let v = view(&h);
    assert_eq!(
        (v.my_name.as_str(), v.partner_name.as_str()),
        ("Sam", "Alex")
    );
    assert!(h.query_by_role_and_label(Role::Button, "Journal").is_some());
    assert!(
        h.query_by_role_and_label(Role::Button, "New entry")
            .is_some()
    );
    assert!(h.query_by_label("Your name").is_none());
    handle.shutdown();
}

#[test]
fn journal_entries_are_listed_and_found_by_search() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    for (text, tag) in [
        ("A long walk by the river helped.", "calm"),
        ("Therapy was hard today.", "Therapy"),
    ] {
        click(&mut h, "New entry");
        click(&mut h, "Mood: okay");
        type_into(&mut h, "Tags (separated by commas)", tag);
        type_into(&mut h, "Your entry", text);
        click(&mut h, "Back to all entries");
    }
    let v = view(&h);
    assert_eq!(v.journal.len(), 2);
    assert!(v.journal.iter().all(|e| e.mood == Some(3) && !e.shared));
    let listed = |h: &Harness<'_, KintsugiApp>, words: &str| {
        h.query_all_by_label_contains(words).next().is_some()
    };
    assert!(listed(&h, "A long walk by the river"));
    assert!(listed(&h, "Therapy was hard"));

    // Case-insensitive, over tags too: "CALM" finds the first entry by its tag only.
    type_into(&mut h, "Search your entries", "CALM");
    assert!(listed(&h, "A long walk by the river"));
    assert!(!listed(&h, "Therapy was hard"));

    // A card opens its entry in the editor.
    h.get_by_label_contains("Open entry of").click();
    settle(&mut h);
    assert_eq!(
        h.get_by_label("Your entry").value().as_deref(),
        Some("A long walk by the river helped.")
    );
    assert_eq!(
        h.get_by_label("Tags (separated by commas)")
            .value()
            .as_deref(),
        Some("calm")
    );
    handle.shutdown();
}

#[test]
fn share_dialog_shows_exactly_what_is_shared() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    click(&mut h, "New entry");
    let text = "I noticed I was calmer after we talked.";
    type_into(&mut h, "Your entry", text);
    assert!(h.query_by_label("Private — only on your devices").is_some());
    assert!(
        h.query_by_label(text).is_none(),
        "the text shows only in the box so far"
    );

    click(&mut h, "Share with Alex…");
    assert!(
        h.query_by_label(text).is_some(),
        "the dialog shows the exact text"
    );
    assert!(h.query_by_label_contains("cannot be recalled").is_some());
    assert!(
        !view(&h).journal[0].shared,
        "nothing is shared before confirming"
    );

    click(&mut h, "Share with Alex");
    let v = view(&h);
    assert!(v.journal[0].shared);
    // No partner device is connected: the copy waits outside the couple document, so
    // stopping now means it never travels.
    assert!(v.shared_entries.is_empty());
    assert!(h.query_by_label("Shared with Alex").is_some());
    assert!(h.query_by_label(text).is_none(), "the dialog closed");

    click(&mut h, "Stop sharing");
    let v = view(&h);
    assert!(!v.journal[0].shared);
    assert!(v.shared_entries.is_empty());
    handle.shutdown();
}

#[test]
fn agreement_edits_are_splices_and_keep_edits_from_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    click(&mut h, "Our agreement");
    type_into(&mut h, "Boundaries", "We tell each other our plans.");
    assert_eq!(body(&h, "boundaries"), "We tell each other our plans.");
    assert!(h.query_by_label_contains("Last edited by Sam").is_some());

    // Idle frames send nothing and the document stays as typed.
    let sent = handle.sent();
    h.run();
    settle(&mut h);
    assert_eq!(handle.sent(), sent);
    assert_eq!(body(&h, "boundaries"), "We tell each other our plans.");

    // An edit arriving from elsewhere (as the partner's would) lands in the box, and the cursor
    // stays after the same words: typing on appends, and neither edit is lost.
    handle.send(Command::SpliceSection {
        section: "boundaries".into(),
        pos: 0,
        delete: 0,
        insert: "First: ".into(),
    });
    settle(&mut h);
    assert_eq!(
        h.get_by_label("Boundaries").value().as_deref(),
        Some("First: We tell each other our plans.")
    );
    h.get_by_label("Boundaries").type_text(" Always.");
    settle(&mut h);
    assert_eq!(
        body(&h, "boundaries"),
        "First: We tell each other our plans. Always."
    );

    // Affirming binds to this version.
    click(&mut h, "I affirm this version");
    assert!(
        h.query_by_label_contains("Sam affirmed this version")
            .is_some()
    );
    type_into(&mut h, "Boundaries", "!");
    assert!(
        h.query_by_label_contains("Sam affirmed an earlier version")
            .is_some()
    );
    handle.shutdown();
}

#[test]
fn suggested_wording_fills_an_empty_section() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    click(&mut h, "Our agreement");
    click(&mut h, "Start Transparency from the suggested wording");
    let starter = section_templates()
        .iter()
        .find(|t| t.kind == "transparency")
        .map(|t| t.starter)
        .unwrap();
    assert!(!starter.is_empty());
    assert_eq!(body(&h, "transparency"), starter);
    assert_eq!(
        h.get_by_label("Transparency").value().as_deref(),
        Some(starter)
    );
    assert!(
        h.query_by_role_and_label(
            Role::Button,
            "Start Transparency from the suggested wording"
        )
        .is_none()
    );
    // Other empty sections still offer it.
    assert!(
        h.query_by_role_and_label(Role::Button, "Start Boundaries from the suggested wording")
            .is_some()
    );
    handle.shutdown();
}

fn answer_check_in(h: &mut Harness<'_, KintsugiApp>, high: &str) {
    for name in [
        "Mood: 4 of 5, good",
        "Sense of connection: 3 of 5, somewhat connected",
        "Sense of safety: 4 of 5, mostly safe",
    ] {
        click(h, name);
    }
    type_into(h, "One high", high);
    type_into(h, "One low", "A hard moment at dinner");
    type_into(h, "What I need from you today", "A walk together");
    click(h, "Save check-in");
}

#[test]
fn daily_check_in_is_saved_and_listed_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    // An earlier day, answered before.
    handle.send(Command::SaveDailyCheckIn {
        date: "2026-01-05".into(),
        answers: DailyAnswers {
            mood: 2,
            connection: 2,
            safety: 3,
            high: "Coffee on the balcony".into(),
            low: String::new(),
            need: String::new(),
        },
    });
    let mut h = harness(handle.clone(), 1000.0);
    settle(&mut h);
    click(&mut h, "Check-in");
    assert!(
        h.query_by_role_and_label(Role::Button, "Save check-in")
            .is_some()
    );
    answer_check_in(&mut h, "We laughed at breakfast");

    let v = view(&h);
    let (mine, theirs) = v.daily_pair(&today());
    let mine = mine.expect("saved today");
    assert!(theirs.is_none());
    assert_eq!((mine.mood, mine.connection, mine.safety), (4, 3, 4));
    assert_eq!(mine.high, "We laughed at breakfast");
    assert!(h.query_by_label("We laughed at breakfast").is_some());
    assert!(
        h.query_by_label("Alex has not answered yet today")
            .is_some()
    );
    // Today's and the earlier day's: Alex answered neither.
    assert_eq!(
        h.query_all_by_label("Sealed: Alex sees them once they have answered too")
            .count(),
        2
    );
    // History: the earlier day, with its answers.
    assert!(h.query_by_label("Mon 5 Jan 2026").is_some());
    assert!(h.query_by_label("Coffee on the balcony").is_some());

    // Editing today's answers.
    click(&mut h, "Change my answers");
    click(&mut h, "Mood: 5 of 5, very good");
    click(&mut h, "Save check-in");
    assert_eq!(view(&h).daily_pair(&today()).0.map(|c| c.mood), Some(5));
    handle.shutdown();
}

#[test]
fn partners_answers_stay_hidden_until_i_answer() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = vault(da.path(), Some(("Sam", "Alex")));
    let mut b = vault(db.path(), Some(("Alex", "Sam")));
    b.apply(
        Command::SaveDailyCheckIn {
            date: today(),
            answers: DailyAnswers {
                mood: 2,
                connection: 4,
                safety: 3,
                high: "Your note this morning".into(),
                low: "Felt tired".into(),
                need: "Patience tonight".into(),
            },
        },
        kintsugi_service::now_ms(),
    )
    .unwrap();
    b.save(kintsugi_service::now_ms()).unwrap();
    // The partner's couple document reaches this device (as sync would deliver it).
    common::pair_vaults(&mut a, &b);
    let mut theirs = b.model_mut().doc_mut(DocKind::Couple).fork();
    a.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)
        .unwrap();
    a.mark_changed();
    let handle = spawn(a);
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    // Sealed in the data: only that Alex answered arrives, none of the answers.
    assert!(
        view(&h).partner_answered(&today(), false),
        "merged: {:?}",
        view(&h).errors
    );
    assert!(view(&h).daily_pair(&today()).1.is_none());

    click(&mut h, "Check-in");
    assert!(
        h.query_by_label_contains(
            "Alex has answered today. Their answers appear once you've answered too."
        )
        .is_some()
    );
    assert!(h.query_by_label("Your note this morning").is_none());
    assert!(h.query_by_label("Patience tonight").is_none());

    // Mine are shared at once; Alex's arrive once Alex's device has mine (tests/weekly.rs
    // follows both devices to the end).
    answer_check_in(&mut h, "A quiet evening");
    assert!(h.query_by_label("A quiet evening").is_some());
    assert!(h.query_by_label("Alex has answered").is_some());
    assert!(h.query_by_label("Your note this morning").is_none());
    assert!(h.query_by_label_contains("has answered today").is_none());
    handle.shutdown();
}

#[test]
fn narrow_window_has_a_top_bar_and_works() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(vault(dir.path(), Some(("Sam", "Alex"))));
    let mut h = harness(handle.clone(), 360.0);
    h.run();
    assert!(h.query_by_label("Saved").is_some());
    click(&mut h, "Our agreement");
    type_into(&mut h, "Therapy plan", "Thursdays at six.");
    assert_eq!(body(&h, "therapy"), "Thursdays at six.");
    click(&mut h, "Check-in");
    assert!(
        h.query_by_role_and_label(Role::Button, "Save check-in")
            .is_some()
    );
    handle.shutdown();
}

/// Something a newer Kintsugi wrote is kept and explained, apart from items that are damaged.
#[test]
fn items_from_a_newer_version_are_explained_not_called_damaged() {
    use kintsugi_core::automerge::transaction::Transactable;
    use kintsugi_core::automerge::{ObjType, ROOT, ReadDoc};

    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    let doc = v.model_mut().doc_mut(DocKind::Couple);
    let (_, wins) = doc.get(ROOT, "wins").unwrap().unwrap();
    let future = doc.put_object(&wins, "w-future", ObjType::Map).unwrap();
    doc.put(&future, "v", 99).unwrap();
    doc.put(&wins, "w-broken", "not a map").unwrap();
    doc.commit();
    v.mark_changed();
    v.save(2).unwrap();

    let handle = spawn(v);
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    assert!(
        h.query_by_label_contains("1 item(s) were updated on your partner's device")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("Update Kintsugi to see this")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("1 item(s) could not be read")
            .is_some()
    );
    handle.shutdown();
}
