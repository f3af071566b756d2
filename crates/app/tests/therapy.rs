//! Therapy prep through AccessKit: a question brought to therapy shows as a topic with where it came from, and "Discussed" moves it out of the list for the next session.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId};

mod common;
use common::{click, open, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

const ASKED: &str = "Why did you stop telling me when you were running late?";

#[test]
fn a_question_brought_to_therapy_is_a_topic_until_discussed() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = vault(dir.path(), Some(("Sam", "Alex")));
    v.apply(
        Command::AskQuestion {
            id: ItemId::random(),
            text: ASKED.into(),
        },
        2,
    )
    .unwrap();
    v.save(2).unwrap();
    drop(v);
    let (handle, mut h) = open(dir.path());

    click(&mut h, "Questions");
    let bring = format!("Bring to therapy: {ASKED}");
    click(&mut h, &bring);
    let topics = view(&h).therapy_topics.clone();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].text, ASKED);
    assert_eq!(topics[0].from.as_deref(), Some("question"));
    assert!(h.query_by_label("Added to therapy topics").is_some());
    assert!(
        h.query_by_role_and_label(Role::Button, &bring).is_none(),
        "brought once"
    );

    click(&mut h, "Therapy prep");
    assert!(h.query_by_label("For the next session (1)").is_some());
    assert!(h.query_by_label(ASKED).is_some());
    assert!(
        h.query_by_label_contains("From question · Added by Sam")
            .is_some()
    );
    // A topic of one's own, too.
    type_into(
        &mut h,
        "A topic for the next session",
        "Evenings I work late",
    );
    click(&mut h, "Add topic");
    assert!(h.query_by_label("For the next session (2)").is_some());
    assert!(h.query_by_label_contains("2 topics waiting").is_some());

    // A checkbox, not a button: clicked through its own label.
    h.get_by_label(&format!("Discussed: {ASKED}")).click();
    common::settle(&mut h);
    let v = view(&h);
    let t = v.therapy_topics.iter().find(|t| t.text == ASKED).unwrap();
    assert!(t.discussed && t.discussed_at.is_some());
    assert!(h.query_by_label("For the next session (1)").is_some());
    assert!(h.query_by_label("Discussed (1)").is_some());
    assert!(h.query_by_label("just now").is_some());
    // The last session is now the moment it was discussed.
    assert!(
        h.query_by_label_contains("Counted from the last time")
            .is_some()
    );
    assert!(h.query_by_label_contains("1 topic waiting").is_some());
    handle.shutdown();
}

#[test]
fn my_moment_can_be_brought_to_therapy() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Sam", "Alex"))));
    let (handle, mut h) = open(dir.path());
    click(&mut h, "I'm triggered");
    type_into(&mut h, "A few words (optional)", "The phone at dinner");
    click(&mut h, "Let Alex know I'm triggered");
    click(&mut h, "Bring to therapy: this moment");
    let topics = view(&h).therapy_topics.clone();
    assert_eq!(topics.len(), 1);
    assert!(topics[0].text.contains("The phone at dinner"));
    assert!(
        topics[0]
            .from
            .as_deref()
            .is_some_and(|f| f.starts_with("trigger "))
    );
    assert!(h.query_by_label("Added to therapy topics").is_some());
    handle.shutdown();
}
