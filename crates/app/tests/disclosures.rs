//! The disclosures screen through AccessKit: telling something in the composer, the partner's thanks with a note in their own window, and the teller seeing it.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId, MomentKind};
use kintsugi_service::now_ms;

mod common;
use common::{click, deliver, open, settle, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

const TOLD: &str = "I met my ex for coffee on Tuesday and did not tell you.";
const NOTE: &str = "It was hard to hear, and I am glad you told me.";

#[test]
fn a_disclosure_is_told_acknowledged_with_a_note_and_the_teller_sees_it() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    drop(vault(db.path(), Some(("Alex", "Sam"))));

    // Sam tells, before being asked.
    let (ha, mut a) = open(da.path());
    click(&mut a, "Disclosures");
    assert!(shows(&a, "I need to tell you something"));
    // Nothing to tell yet: the button waits for words.
    assert!(
        a.get_by_role_and_label(Role::Button, "Tell Alex…")
            .accesskit_node()
            .is_disabled()
    );
    type_into(&mut a, "What I want to tell you", TOLD);
    a.get_by_label("I'm telling this before being asked")
        .click();
    settle(&mut a);
    click(&mut a, "Tell Alex…");
    // A plain question first; nothing is sent until it is answered.
    assert!(shows(&a, "Tell Alex now?"));
    assert!(view(&a).disclosures.is_empty());
    click(&mut a, "Not yet");
    assert!(view(&a).disclosures.is_empty());
    assert_eq!(
        a.get_by_label("What I want to tell you").value().as_deref(),
        Some(TOLD),
        "the words are kept"
    );
    click(&mut a, "Tell Alex…");
    click(&mut a, "Yes, tell Alex");

    let v = view(&a);
    assert_eq!(v.disclosures.len(), 1);
    let d = &v.disclosures[0];
    assert_eq!(d.text, TOLD);
    assert!(d.before_asked);
    assert!(d.acknowledged_at.is_none());
    assert_eq!(
        a.get_by_label("What I want to tell you").value().as_deref(),
        Some(""),
        "the composer is cleared once told"
    );
    assert!(shows(&a, "Told. Alex sees it"));
    assert!(a.query_by_label(TOLD).is_some(), "listed");
    assert!(shows(&a, "Told before being asked: a win for both of you"));
    assert!(a.query_by_label("Alex has not responded yet.").is_some());
    // Sam cannot answer their own disclosure.
    assert!(
        a.query_by_role_and_label(Role::Button, "Thank you for telling me")
            .is_none()
    );

    // Told before being asked: a win in the timeline.
    click(&mut a, "Wins & thanks");
    assert!(a.query_by_label(TOLD).is_some());
    assert!(
        a.query_by_label(MomentKind::DisclosedBeforeAsked.label())
            .is_some()
    );
    ha.shutdown();
    drop(a);

    // Alex reads it in Alex's window and says thank you, with a note.
    deliver(da.path(), db.path());
    let (hb, mut b) = open(db.path());
    click(&mut b, "Disclosures");
    assert!(b.query_by_label(TOLD).is_some());
    assert!(b.query_by_label("Sam told").is_some());
    type_into(&mut b, "A few words back (optional)", NOTE);
    click(&mut b, "Thank you for telling me");
    let v = view(&b);
    assert!(v.disclosures[0].acknowledged_at.is_some());
    assert_eq!(v.disclosures[0].response, NOTE);
    assert!(
        b.query_by_label("Alex: Thank you for telling me.")
            .is_some()
    );
    assert!(b.query_by_label(NOTE).is_some());
    assert!(
        b.query_by_role_and_label(Role::Button, "Thank you for telling me")
            .is_none(),
        "answered once"
    );
    // The win shows for Alex too.
    click(&mut b, "Wins & thanks");
    assert!(b.query_by_label(TOLD).is_some());
    assert!(shows(&b, "Sam ·"));
    hb.shutdown();
    drop(b);

    // Sam sees the response.
    deliver(db.path(), da.path());
    let (ha, mut a) = open(da.path());
    click(&mut a, "Disclosures");
    assert!(
        a.query_by_label("Alex: Thank you for telling me.")
            .is_some()
    );
    assert!(a.query_by_label(NOTE).is_some());
    assert!(a.query_by_label("Alex has not responded yet.").is_none());
    ha.shutdown();
}

#[test]
fn a_disclosure_after_being_asked_is_kept_but_is_not_a_win() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    // An earlier one, told before being asked, from another of Sam's devices.
    v.apply(
        Command::AddDisclosure {
            id: ItemId::random(),
            text: "I went back on the dating app last month.".into(),
            before_asked: true,
        },
        now_ms() - 60_000,
    )
    .unwrap();
    v.save(now_ms()).unwrap();
    drop(v);

    let (handle, mut h) = open(dir.path());
    click(&mut h, "Disclosures");
    let text = "You asked about the phone bill: I called her twice.";
    type_into(&mut h, "What I want to tell you", text);
    click(&mut h, "Tell Alex…");
    click(&mut h, "Yes, tell Alex");
    let v = view(&h);
    assert_eq!(v.disclosures.len(), 2);
    assert_eq!(v.disclosures[0].text, text, "newest first");
    assert!(!v.disclosures[0].before_asked);
    // Only the one told before being asked is said to be, and only it is a win.
    assert_eq!(
        h.query_all_by_label("Told before being asked: a win for both of you")
            .count(),
        1
    );
    click(&mut h, "Wins & thanks");
    assert!(h.query_by_label(text).is_none());
    assert!(
        h.query_by_label("I went back on the dating app last month.")
            .is_some()
    );
    handle.shutdown();
}
