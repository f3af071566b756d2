//! The agreement's history from automerge's own changes, restores as new edits, review dates, time together and therapy topics.

use kintsugi_core::*;

mod common;
use common::{device, partner_of, set_up};

const MIN: i64 = 60_000;
const T0: i64 = 1_780_000_000_000;

fn merge(a: &mut Model, b: &mut Model, t: i64) {
    a.commit(t);
    b.commit(t);
    let mut bc = b.doc_mut(DocKind::Couple).fork();
    a.doc_mut(DocKind::Couple).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(DocKind::Couple).fork();
    b.doc_mut(DocKind::Couple).merge(&mut ac).unwrap();
}

fn body(m: &Model, section: &str) -> String {
    m.view()
        .agreement
        .iter()
        .find(|s| s.id == section)
        .unwrap()
        .body
        .clone()
}

/// Types `text` at `pos` one keystroke at a time, committing like the worker's typing pause.
fn type_at(m: &mut Model, section: &str, pos: usize, text: &str, t: i64) {
    for (i, c) in text.chars().enumerate() {
        m.apply(
            Command::SpliceSection {
                section: section.into(),
                pos: pos + i,
                delete: 0,
                insert: c.to_string(),
            },
            t,
        )
        .unwrap();
    }
    m.commit(t);
}

fn couple() -> (Model, Model, String) {
    let a_id = PartnerId::random();
    let mut a = device(&a_id);
    set_up(&mut a, "Alex", "Sam");
    let mut b = partner_of(&mut a, &PartnerId::random());
    set_up(&mut b, "Sam", "Alex");
    merge(&mut a, &mut b, 2);
    let section = a.view().agreement[0].id.clone();
    (a, b, section)
}

#[test]
fn sessions_name_both_partners_and_what_they_added_and_removed() {
    let (mut a, mut b, s) = couple();
    type_at(&mut a, &s, 0, "No phones at dinner.", T0);
    type_at(&mut a, &s, 20, " Ever.", T0 + MIN);
    merge(&mut a, &mut b, T0 + MIN);
    // Sam, half an hour later: removes " Ever." and adds a sentence.
    b.apply(
        Command::SpliceSection {
            section: s.clone(),
            pos: 20,
            delete: 6,
            insert: String::new(),
        },
        T0 + 30 * MIN,
    )
    .unwrap();
    type_at(&mut b, &s, 20, " Weekends are open.", T0 + 31 * MIN);
    merge(&mut a, &mut b, T0 + 31 * MIN);
    assert_eq!(body(&a, &s), "No phones at dinner. Weekends are open.");

    let doc = a.couple_doc();
    let h = text_history(&doc, &TextTarget::Section(s.clone())).unwrap();
    assert_eq!(h.sessions.len(), 2, "{:#?}", h.sessions);
    let (first, second) = (&h.sessions[0], &h.sessions[1]);
    assert_eq!(first.by.as_ref(), a.view().me.as_ref());
    assert_eq!(first.inserted, "No phones at dinner. Ever.");
    assert_eq!((first.from, first.to), (T0, T0 + MIN));
    assert_eq!(second.by.as_ref(), b.view().me.as_ref());
    assert_eq!(second.removed, " Ever.");
    assert_eq!(second.inserted, " Weekends are open.");
    assert_eq!((second.inserted_chars, second.removed_chars), (19, 6));

    assert_eq!(
        wording_after(&doc, &h.target, first).unwrap(),
        "No phones at dinner. Ever."
    );
    assert_eq!(
        wording_at(&doc, &h.target, T0 - 1).unwrap(),
        "",
        "before the first keystroke"
    );
}

#[test]
fn a_restore_is_a_new_edit_the_partner_merges() {
    let (mut a, mut b, s) = couple();
    type_at(&mut a, &s, 0, "Location on when out late.", T0);
    merge(&mut a, &mut b, T0);
    // A buggy or hostile overwrite: everything replaced.
    b.apply(
        Command::SpliceSection {
            section: s.clone(),
            pos: 0,
            delete: 26,
            insert: "Nothing.".into(),
        },
        T0 + 60 * MIN,
    )
    .unwrap();
    merge(&mut a, &mut b, T0 + 60 * MIN);
    assert_eq!(body(&a, &s), "Nothing.");

    let restore = Command::RestoreText {
        target: TextTarget::Section(s.clone()),
        at: T0 + MIN,
    };
    a.apply(restore.clone(), T0 + 90 * MIN).unwrap();
    a.commit(T0 + 90 * MIN);
    assert_eq!(body(&a, &s), "Location on when out late.");
    // Sam types concurrently with the restore; both survive the merge.
    type_at(&mut b, &s, 8, " really", T0 + 91 * MIN);
    merge(&mut a, &mut b, T0 + 91 * MIN);
    assert_eq!(body(&a, &s), body(&b, &s));
    assert!(body(&a, &s).contains("Location on when out late."));

    // History kept everything: the overwrite and the restore are both sessions.
    let h = text_history(&a.couple_doc(), &TextTarget::Section(s.clone())).unwrap();
    assert!(h.sessions.len() >= 3, "{:#?}", h.sessions);
    let restored = h.sessions.iter().find(|x| x.from == T0 + 90 * MIN).unwrap();
    assert_eq!(restored.by.as_ref(), a.view().me.as_ref());
    assert!(restored.restore, "a restore is named as one: {restored:#?}");
    assert_eq!(restored.changes, 1, "and is a session of its own");
    // The smallest splice: the full stop both wordings share stays.
    assert_eq!(restored.inserted, "Location on when out late");
    assert_eq!(restored.removed, "Nothing");

    // Restoring the wording it already has is refused with a reason, and changes nothing.
    let err = a
        .apply(
            Command::RestoreText {
                target: TextTarget::Section(s.clone()),
                at: T0 + 95 * MIN,
            },
            T0 + 96 * MIN,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("nothing to restore"), "{err}");
}

#[test]
fn the_plan_has_history_and_restore_too() {
    let (mut a, mut b, _) = couple();
    let splice = |m: &mut Model, pos, delete, insert: &str, t| {
        m.apply(
            Command::SpliceReassurancePlan {
                pos,
                delete,
                insert: insert.into(),
            },
            t,
        )
        .unwrap();
        m.commit(t);
    };
    splice(&mut a, 0, 0, "Call me.", T0);
    merge(&mut a, &mut b, T0);
    splice(&mut b, 0, 8, "Text me.", T0 + 20 * MIN);
    merge(&mut a, &mut b, T0 + 20 * MIN);
    let h = text_history(&a.couple_doc(), &TextTarget::Plan).unwrap();
    assert_eq!(h.sessions.len(), 2, "{:#?}", h.sessions);
    // The plan records no author; the device's other writes ("by" of an item) name it.
    assert_eq!(h.sessions[1].by.as_ref(), b.view().me.as_ref());
    b.apply(
        Command::RestoreText {
            target: TextTarget::Plan,
            at: T0 + MIN,
        },
        T0 + 30 * MIN,
    )
    .unwrap();
    merge(&mut a, &mut b, T0 + 30 * MIN);
    assert_eq!(a.view().reassurance_plan, "Call me.");
}

#[test]
fn review_dates_come_due_and_reviews_are_recorded() {
    let (mut a, mut b, s) = couple();
    a.apply(
        Command::SetSectionReviewDate {
            section: s.clone(),
            date: Some("2026-12-10".into()),
        },
        T0,
    )
    .unwrap();
    merge(&mut a, &mut b, T0);
    let v = b.view();
    assert!(v.reviews_due("2026-12-09").is_empty());
    assert_eq!(v.reviews_due("2026-12-10").len(), 1);
    b.apply(
        Command::RecordSectionReview {
            id: ItemId::random(),
            section: s.clone(),
            outcome: ReviewOutcome::Kept,
            note: "It helps.".into(),
            next: Some("2027-01-10".into()),
        },
        T0 + MIN,
    )
    .unwrap();
    // Concurrently, Alex records another review: both stay.
    a.apply(
        Command::RecordSectionReview {
            id: ItemId::random(),
            section: s.clone(),
            outcome: ReviewOutcome::Changed,
            note: String::new(),
            next: Some("2027-01-10".into()),
        },
        T0 + 2 * MIN,
    )
    .unwrap();
    merge(&mut a, &mut b, T0 + 2 * MIN);
    let v = a.view();
    let sec = v.agreement.iter().find(|x| x.id == s).unwrap();
    assert_eq!(sec.reviews.len(), 2);
    assert_eq!(sec.reviews[0].outcome, ReviewOutcome::Kept);
    assert_eq!(sec.reviews[0].note, "It helps.");
    assert_eq!(sec.review_on.as_deref(), Some("2027-01-10"));
    assert!(!sec.review_due("2026-12-20"));
    a.apply(
        Command::RecordSectionReview {
            id: ItemId::random(),
            section: s.clone(),
            outcome: ReviewOutcome::Ended,
            note: String::new(),
            next: None,
        },
        T0 + 3 * MIN,
    )
    .unwrap();
    let v = a.view();
    let sec = v.agreement.iter().find(|x| x.id == s).unwrap();
    assert_eq!(sec.ended_at, Some(T0 + 3 * MIN));
    assert!(!sec.review_due("2030-01-01"));
    assert!(
        a.apply(
            Command::SetSectionReviewDate {
                section: s,
                date: Some("12/10".into()),
            },
            T0,
        )
        .is_err()
    );
}

#[test]
fn time_together_upcoming_and_done_this_month() {
    let (mut a, mut b, _) = couple();
    let coffee = ItemId::random();
    a.apply(
        Command::AddRitual {
            id: coffee.clone(),
            kind: RitualKind::Ritual,
            title: "Morning coffee".into(),
            date: Some("2026-12-01".into()),
            rhythm: Some(Rhythm::parse("sat,sun").unwrap()),
        },
        T0,
    )
    .unwrap();
    let dinner = ItemId::random();
    a.apply(
        Command::AddRitual {
            id: dinner.clone(),
            kind: RitualKind::DateNight,
            title: "Dinner at Luca's".into(),
            date: Some("2026-12-04".into()),
            rhythm: None,
        },
        T0,
    )
    .unwrap();
    assert!(
        a.apply(
            Command::AddRitual {
                id: ItemId::random(),
                kind: RitualKind::Project,
                title: "Garden".into(),
                date: None,
                rhythm: Some(Rhythm::Daily),
            },
            T0,
        )
        .is_err(),
        "only rituals repeat"
    );
    merge(&mut a, &mut b, T0);
    // 2026-12-02 is a Wednesday: dinner on Friday the 4th, coffee on 5th and 6th.
    let v = b.view();
    let up: Vec<(String, String)> = v
        .time_together_upcoming("2026-12-02", 5)
        .into_iter()
        .map(|(d, r)| (d, r.title.clone()))
        .collect();
    assert_eq!(
        up,
        [
            ("2026-12-04".into(), "Dinner at Luca's".into()),
            ("2026-12-05".into(), "Morning coffee".into()),
            ("2026-12-06".into(), "Morning coffee".into()),
        ]
    );
    b.apply(
        Command::MarkRitualDone {
            id: coffee.clone(),
            on: "2026-12-05".into(),
            done: true,
        },
        T0 + MIN,
    )
    .unwrap();
    a.apply(
        Command::SetRitualDone {
            id: dinner.clone(),
            done: true,
        },
        T0 + MIN,
    )
    .unwrap();
    merge(&mut a, &mut b, T0 + MIN);
    let v = a.view();
    let done: Vec<(String, String, PartnerId)> = v
        .time_together_done_in_month("2026-12-20")
        .into_iter()
        .map(|(d, r, x)| (d, r.title.clone(), x.by.clone()))
        .collect();
    assert_eq!(
        done,
        [
            (
                "2026-12-04".into(),
                "Dinner at Luca's".into(),
                a.me().clone()
            ),
            ("2026-12-05".into(), "Morning coffee".into(), b.me().clone()),
        ]
    );
    assert!(v.time_together_done_in_month("2027-01-02").is_empty());
    let coffee_now = v.rituals.iter().find(|r| r.id == coffee).unwrap();
    assert_eq!(
        coffee_now.next_on("2026-12-05").as_deref(),
        Some("2026-12-06")
    );
    let dinner_now = v.rituals.iter().find(|r| r.id == dinner).unwrap();
    assert_eq!(
        dinner_now.next_on("2026-12-01"),
        None,
        "done one-offs are finished"
    );
}

#[test]
fn topics_carry_their_source_and_the_last_session_divides_time() {
    let (mut a, mut b, _) = couple();
    let t1 = ItemId::random();
    a.apply(
        Command::AddTherapyTopic {
            id: t1.clone(),
            text: "How we talk about money".into(),
            from: Some("question".into()),
        },
        T0,
    )
    .unwrap();
    a.apply(
        Command::RaiseTrigger {
            id: ItemId::random(),
            note: "the old café".into(),
        },
        T0 + MIN,
    )
    .ok();
    merge(&mut a, &mut b, T0 + MIN);
    let before = b.view().since_last_session();
    assert_eq!(before.since, None);
    assert_eq!(before.open_topics.len(), 1);
    assert_eq!(
        before.open_topics[0].from.as_deref(),
        Some("question"),
        "the source travels with the topic"
    );
    b.apply(
        Command::SetTherapyTopicDiscussed {
            id: t1,
            discussed: true,
        },
        T0 + 10 * MIN,
    )
    .unwrap();
    merge(&mut a, &mut b, T0 + 10 * MIN);
    let after = a.view().since_last_session();
    assert_eq!(after.since, Some(T0 + 10 * MIN));
    assert!(after.open_topics.is_empty());
    assert_eq!(after.triggers, 0, "the trigger came before the session");
}

#[test]
fn a_malformed_review_or_day_mark_from_a_peer_hides_nothing_else() {
    use kintsugi_core::automerge::transaction::Transactable;
    use kintsugi_core::automerge::{ObjType, ROOT, ReadDoc};
    let (mut a, _b, s) = couple();
    let plan = ItemId::random();
    a.apply(
        Command::AddRitual {
            id: plan.clone(),
            kind: RitualKind::Ritual,
            title: "Walk".into(),
            date: None,
            rhythm: Some(Rhythm::Daily),
        },
        T0,
    )
    .unwrap();
    a.commit(T0);
    let doc = a.doc_mut(DocKind::Couple);
    let agreement = doc.get(ROOT, "agreement").unwrap().unwrap().1;
    let section = doc.get(&agreement, s.as_str()).unwrap().unwrap().1;
    let bad = doc.put_object(&section, "review/x", ObjType::Map).unwrap();
    doc.put(&bad, "outcome", "shrugged").unwrap();
    let rituals = doc.get(ROOT, "rituals").unwrap().unwrap().1;
    let r = doc.get(&rituals, plan.0.as_str()).unwrap().unwrap().1;
    doc.put(&r, "done/not-a-date", 7).unwrap();
    doc.put(&r, "done/2026-12-01", "yes").unwrap();
    a.commit(T0 + 1);
    let v = a.view();
    assert!(v.agreement.iter().any(|x| x.id == s), "the section stays");
    let walk = v.rituals.iter().find(|x| x.id == plan).unwrap();
    assert!(walk.done.is_empty());
    let places: Vec<&str> = v.errors.iter().map(|e| e.place.as_str()).collect();
    assert!(places.iter().any(|p| p.contains("review/x")), "{places:?}");
    assert!(places.iter().any(|p| p.contains("done/")), "{places:?}");
}
