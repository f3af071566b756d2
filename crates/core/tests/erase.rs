//! Rebuilding the private document without history, and an own device taking the rebuilt one while keeping what it wrote meanwhile.

use kintsugi_core::automerge::{ActorId, AutoCommit, ScalarValue};
use kintsugi_core::*;

fn own_device(me: &PartnerId) -> Model {
    Model::open(None, None, me.clone(), ActorId::random()).unwrap()
}

/// A second own device holding exactly what `a` holds now.
fn copy_of(a: &mut Model) -> Model {
    let couple = a.doc_mut(DocKind::Couple).save();
    let private = a.doc_mut(DocKind::Private).save();
    Model::open(
        Some(&couple),
        Some(&private),
        a.me().clone(),
        ActorId::random(),
    )
    .unwrap()
}

fn add(m: &mut Model, text: &str) -> ItemId {
    let id = ItemId::random();
    m.apply(
        Command::AddJournalEntry {
            id: id.clone(),
            date: "2026-12-02".into(),
            mood: Some(3),
            tags: vec!["t".into()],
            text: text.into(),
            prompt: Some("What helped?".into()),
        },
        10,
    )
    .unwrap();
    m.commit(10);
    id
}

fn splice(m: &mut Model, id: &ItemId, pos: usize, text: &str) {
    m.apply(
        Command::SpliceJournalText {
            id: id.clone(),
            pos,
            delete: 0,
            insert: text.into(),
        },
        20,
    )
    .unwrap();
    m.commit(20);
}

fn text(m: &Model, id: &ItemId) -> Option<String> {
    m.view()
        .journal
        .into_iter()
        .find(|e| &e.id == id)
        .map(|e| e.text)
}

/// Every string the private document's history ever held.
fn history(m: &mut Model) -> String {
    let mut out = String::new();
    for c in m.doc_mut(DocKind::Private).get_changes(&[]) {
        for op in c.decode().operations {
            if let Some(ScalarValue::Str(s)) = op.primitive_value() {
                out.push_str(&s);
            } else {
                out.push('\0');
            }
        }
    }
    out
}

#[test]
fn a_rebuild_reads_the_same_and_holds_no_deleted_text() {
    let me = PartnerId::random();
    let mut a = own_device(&me);
    a.apply(
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
        1,
    )
    .unwrap();
    let kept = add(&mut a, "kept entry");
    splice(&mut a, &kept, 4, " typed later");
    let gone = add(&mut a, "DELETED-MARKER-1");
    a.apply(
        Command::AddSelfCare {
            id: ItemId::random(),
            text: "tea".into(),
        },
        11,
    )
    .unwrap();
    a.apply(Command::DeleteJournalEntry { id: gone }, 12)
        .unwrap();
    a.commit(12);
    assert!(history(&mut a).contains("DELETED-MARKER-1"));
    let before = serde_json::to_value(a.view()).unwrap();
    assert!(a.private_lineage().is_empty());

    a.erase_private_history(13).unwrap();
    assert!(a.private_rewritten());
    assert_eq!(serde_json::to_value(a.view()).unwrap(), before);
    assert!(!history(&mut a).contains("DELETED-MARKER-1"));
    let first = a.private_lineage();
    assert!(!first.is_empty());
    // The rebuilt document opens as a stored one (its genesis is the one every store has).
    let b = copy_of(&mut a);
    assert_eq!(serde_json::to_value(b.view()).unwrap(), before);
    a.erase_private_history(14).unwrap();
    assert!(
        a.private_lineage() > first,
        "each rebuild is a newer lineage"
    );
}

#[test]
fn adopting_a_newer_lineage_keeps_what_was_written_apart_and_drops_the_erased() {
    let me = PartnerId::random();
    let mut a = own_device(&me);
    let shared = add(&mut a, "both edit this");
    let gone = add(&mut a, "ERASED-ON-A");
    let mut b = copy_of(&mut a);
    let agreed = b.doc_mut(DocKind::Private).get_heads();

    // Apart: A deletes one entry (and erases) and edits another; B edits the same entry
    // elsewhere, edits the one A erased, and writes a new one.
    a.apply(Command::DeleteJournalEntry { id: gone.clone() }, 30)
        .unwrap();
    a.erase_private_history(31).unwrap();
    splice(&mut a, &shared, 0, "A: ");
    splice(&mut b, &shared, 14, " (B)");
    splice(&mut b, &gone, 0, "B-EDIT ");
    let b_new = add(&mut b, "written on B");

    let theirs = a.doc_mut(DocKind::Private).save();
    assert!(b.adopt_private(&theirs, &agreed, 40).unwrap());
    assert_eq!(b.private_lineage(), a.private_lineage());
    assert_eq!(text(&b, &shared).unwrap(), "A: both edit this (B)");
    assert_eq!(text(&b, &b_new).unwrap(), "written on B");
    assert_eq!(text(&b, &gone), None);
    let h = history(&mut b);
    assert!(!h.contains("ERASED-ON-A") && !h.contains("B-EDIT"), "{h:?}");
    // The same lineage now: plain merging brings A what B replayed.
    let mut from_b = b.doc_mut(DocKind::Private).fork();
    a.doc_mut(DocKind::Private).merge(&mut from_b).unwrap();
    assert_eq!(text(&a, &b_new).unwrap(), "written on B");
    assert_eq!(text(&a, &shared).unwrap(), "A: both edit this (B)");
    // An older (or the same) lineage is never taken.
    let old = AutoCommit::new().save();
    assert!(
        b.adopt_private(&theirs, &agreed, 41)
            .is_ok_and(|took| !took)
    );
    assert!(b.adopt_private(&old, &agreed, 41).is_err());
}

#[test]
fn without_a_common_point_both_sides_insertions_are_kept() {
    let me = PartnerId::random();
    let mut a = own_device(&me);
    let shared = add(&mut a, "middle");
    let mut b = copy_of(&mut a);
    let x = add(&mut a, "x");
    a.apply(Command::DeleteJournalEntry { id: x }, 30).unwrap();
    a.erase_private_history(31).unwrap();
    splice(&mut a, &shared, 0, "start ");
    splice(&mut b, &shared, 6, " end");
    let theirs = a.doc_mut(DocKind::Private).save();
    assert!(b.adopt_private(&theirs, &[], 40).unwrap());
    assert_eq!(text(&b, &shared).unwrap(), "start middle end");
}

#[test]
fn two_devices_erasing_apart_end_with_both_items_erased() {
    let me = PartnerId::random();
    let mut a = own_device(&me);
    let one = add(&mut a, "ERASE-ONE");
    let two = add(&mut a, "ERASE-TWO");
    let keep = add(&mut a, "keep");
    let mut b = copy_of(&mut a);
    let agreed = b.doc_mut(DocKind::Private).get_heads();
    a.apply(Command::DeleteJournalEntry { id: one.clone() }, 30)
        .unwrap();
    a.erase_private_history(31).unwrap();
    b.apply(Command::DeleteJournalEntry { id: two.clone() }, 30)
        .unwrap();
    b.erase_private_history(31).unwrap();
    // Whichever lineage is newer, the other takes it, then the first takes the result.
    let (newer, older) = if a.private_lineage() > b.private_lineage() {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    let doc = newer.doc_mut(DocKind::Private).save();
    assert!(older.adopt_private(&doc, &agreed, 40).unwrap());
    assert!(older.private_lineage() > newer.private_lineage());
    let doc = older.doc_mut(DocKind::Private).save();
    assert!(newer.adopt_private(&doc, &agreed, 41).unwrap());
    for m in [&mut a, &mut b] {
        assert_eq!(text(m, &one), None);
        assert_eq!(text(m, &two), None);
        assert_eq!(text(m, &keep).unwrap(), "keep");
        let h = history(m);
        assert!(
            !h.contains("ERASE-ONE") && !h.contains("ERASE-TWO"),
            "{h:?}"
        );
    }
    assert_eq!(a.private_lineage(), b.private_lineage());
}

/// Plain values inside a private map (the profile's names) changed on the older device while
/// the newer one rebuilt: taking the newer lineage keeps the older device's value instead of
/// failing on it (the convergence test found every later private sync refused).
#[test]
fn a_plain_value_changed_apart_is_kept_when_taking_a_newer_lineage() {
    let me = PartnerId::random();
    let mut a = own_device(&me);
    a.apply(
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
        5,
    )
    .unwrap();
    a.commit(5);
    let gone = add(&mut a, "ERASED-ON-A");
    let mut b = copy_of(&mut a);
    let agreed = b.doc_mut(DocKind::Private).get_heads();
    a.apply(Command::DeleteJournalEntry { id: gone }, 30)
        .unwrap();
    a.erase_private_history(31).unwrap();
    b.apply(
        Command::SetNames {
            my_name: "Samantha".into(),
            partner_name: "Alex".into(),
        },
        32,
    )
    .unwrap();
    b.commit(32);
    let theirs = a.doc_mut(DocKind::Private).save();
    assert!(b.adopt_private(&theirs, &agreed, 40).unwrap());
    assert_eq!(b.view().my_name, "Samantha");
    assert!(!history(&mut b).contains("ERASED-ON-A"));
}
