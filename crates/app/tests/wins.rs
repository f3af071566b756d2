//! The wins screen through AccessKit: a win of each kind, the partner's in the same timeline, and a commitment day told before being asked.

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_core::{Command, ItemId, LogStatus, MomentKind, Rhythm, WinKind};
use kintsugi_service::{now_ms, today_local};

mod common;
use common::{click, deliver, open, type_into, vault};

fn view(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<kintsugi_core::View> {
    h.state().handle().snapshot().view.clone()
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

/// The y position of the label `text` on screen.
fn top_of(h: &Harness<'_, KintsugiApp>, text: &str) -> f64 {
    h.get_by_label(text)
        .accesskit_node()
        .bounding_box()
        .map(|r| r.y0)
        .expect("drawn")
}

#[test]
fn a_win_of_each_kind_by_either_partner_in_one_timeline() {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    drop(vault(da.path(), Some(("Sam", "Alex"))));
    // Alex noted an appreciation earlier, and logged a commitment day told before being asked.
    let mut b = vault(db.path(), Some(("Alex", "Sam")));
    let earlier = now_ms() - 3_600_000;
    b.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::Appreciation,
            text: "Thank you for the flowers on Friday.".into(),
        },
        earlier,
    )
    .unwrap();
    let today = today_local().format("%Y-%m-%d").to_string();
    let c = ItemId::random();
    b.apply(
        Command::AddCommitment {
            id: c.clone(),
            text: "Home by six".into(),
            rhythm: Rhythm::Daily,
            start: today.clone(),
        },
        earlier,
    )
    .unwrap();
    b.apply(
        Command::LogCommitment {
            id: c,
            date: today,
            status: LogStatus::DisclosedBeforeAsked,
            note: "I was late and texted you first".into(),
        },
        earlier + 1000,
    )
    .unwrap();
    b.save(now_ms()).unwrap();
    drop(b);
    deliver(db.path(), da.path());

    let (handle, mut h) = open(da.path());
    click(&mut h, "Wins & thanks");
    assert!(shows(&h, "Thank you for the flowers on Friday."));
    assert!(shows(&h, "Alex ·"), "who noted it");
    assert!(shows(&h, "I was late and texted you first"));
    assert!(
        h.query_by_label(MomentKind::ToldBeforeAsked.label())
            .is_some()
    );
    // The button waits for words.
    assert!(
        h.get_by_role_and_label(Role::Button, "Add to our wins")
            .accesskit_node()
            .is_disabled()
    );

    let notes = [
        ("Kind: Trust win", "You texted when you left work, unasked."),
        ("Kind: Honest moment", "You said you were struggling."),
        ("Kind: Appreciation", "Thank you for listening last night."),
    ];
    for (kind, text) in notes {
        click(&mut h, kind);
        type_into(&mut h, "What you noticed", text);
        click(&mut h, "Add to our wins");
        assert_eq!(
            h.get_by_label("What you noticed").value().as_deref(),
            Some(""),
            "cleared once added"
        );
        assert!(h.query_by_label(text).is_some(), "{text} is listed");
    }
    let v = view(&h);
    let me = v.me.clone();
    let mine: Vec<_> = v
        .wins
        .iter()
        .filter(|w| w.by == me.clone().unwrap())
        .collect();
    assert_eq!(mine.len(), 3);
    for (kind, (_, text)) in [
        WinKind::TrustWin,
        WinKind::HonestMoment,
        WinKind::Appreciation,
    ]
    .into_iter()
    .zip(notes)
    {
        assert!(
            mine.iter().any(|w| w.kind == kind && w.text == text),
            "{kind:?}: {text}"
        );
    }
    assert!(h.query_by_label("Honest moment").is_some());
    assert!(shows(&h, "Sam · just now"));
    // Newest first: Sam's wins of just now above Alex's of an hour ago.
    assert!(
        top_of(&h, "Thank you for listening last night.")
            < top_of(&h, "Thank you for the flowers on Friday.")
    );
    handle.shutdown();
}
