//! Behaviour of the two documents: merging, privacy of the journal, hostile content.

use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, ObjType, ROOT, ReadDoc};
use kintsugi_core::*;

mod common;
use common::{device, partner_of, set_up};

/// Noon UTC on 24 November 2026 (ms): check-ins are taken only for days that have come.
const NOV_24: i64 = 1_795_521_600_000;

fn merge_couple(a: &mut Model, b: &mut Model) {
    let mut bc = b.doc_mut(DocKind::Couple).fork();
    a.doc_mut(DocKind::Couple).merge(&mut bc).unwrap();
    let mut ac = a.doc_mut(DocKind::Couple).fork();
    b.doc_mut(DocKind::Couple).merge(&mut ac).unwrap();
}

fn splice(m: &mut Model, section: &str, pos: usize, text: &str) {
    m.apply(
        Command::SpliceSection {
            section: section.into(),
            pos,
            delete: 0,
            insert: text.into(),
        },
        5,
    )
    .unwrap();
}

fn body(m: &Model, section: &str) -> String {
    m.view()
        .agreement
        .into_iter()
        .find(|s| s.id == section)
        .unwrap()
        .body
}

#[test]
fn concurrent_edits_to_one_section_keep_both() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    splice(&mut a, "boundaries", 0, "We tell each other plans.");
    a.commit(2);
    let mut b = partner_of(&mut a, &pb);
    set_up(&mut b, "Alex", "Sam");
    // Apart: A appends, B inserts at the start, both touching the same sentence.
    splice(&mut a, "boundaries", 25, " Always.");
    a.commit(3);
    splice(&mut b, "boundaries", 0, "First: ");
    b.commit(3);
    merge_couple(&mut a, &mut b);
    let (ta, tb) = (body(&a, "boundaries"), body(&b, "boundaries"));
    assert_eq!(ta, tb);
    assert_eq!(ta, "First: We tell each other plans. Always.");
    let v = a.view();
    assert!(v.errors.is_empty(), "{:?}", v.errors);
    assert_eq!(v.members.len(), 2);
    assert_eq!(v.partner, Some(pb));
}

#[test]
fn devices_set_up_apart_share_the_same_sections() {
    // Neither device has seen the other's document: genesis makes their sections the same objects.
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    let mut b = device(&pb);
    set_up(&mut a, "Sam", "Alex");
    set_up(&mut b, "Alex", "Sam");
    splice(&mut a, "conflict", 0, "Twenty minutes.");
    splice(&mut b, "conflict", 0, "We come back.");
    a.commit(2);
    b.commit(2);
    merge_couple(&mut a, &mut b);
    let t = body(&a, "conflict");
    assert_eq!(t, body(&b, "conflict"));
    assert!(
        t.contains("Twenty minutes.") && t.contains("We come back."),
        "{t}"
    );
    assert_eq!(a.view().agreement.len(), 6, "no duplicated sections");
}

#[test]
fn both_partners_check_in_on_the_same_day() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let mut b = partner_of(&mut a, &pb);
    set_up(&mut b, "Alex", "Sam");
    let answers = |mood| DailyAnswers {
        mood,
        connection: 3,
        safety: 4,
        high: "walk".into(),
        low: "".into(),
        need: "patience".into(),
    };
    a.apply(
        Command::SaveDailyCheckIn {
            date: "2026-11-24".into(),
            answers: answers(2),
        },
        NOV_24 + 10,
    )
    .unwrap();
    b.apply(
        Command::SaveDailyCheckIn {
            date: "2026-11-24".into(),
            answers: answers(4),
        },
        NOV_24 + 11,
    )
    .unwrap();
    a.commit(NOV_24 + 12);
    b.commit(NOV_24 + 12);
    merge_couple(&mut a, &mut b);
    // Each answered without the other's seal: both stay sealed until each device reveals.
    assert!(a.view().daily_pair("2026-11-24").1.is_none());
    assert!(a.reveal_checkins(NOV_24 + 13).unwrap() && b.reveal_checkins(NOV_24 + 13).unwrap());
    a.commit(NOV_24 + 13);
    b.commit(NOV_24 + 13);
    merge_couple(&mut a, &mut b);
    let v = a.view();
    let (mine, theirs) = v.daily_pair("2026-11-24");
    assert_eq!(mine.unwrap().mood, 2);
    assert_eq!(theirs.unwrap().mood, 4);
}

#[test]
fn private_entry_stays_out_of_the_couple_document_until_shared() {
    let pa = PartnerId::random();
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let id = ItemId::random();
    a.apply(
        Command::AddJournalEntry {
            id: id.clone(),
            date: "2026-11-20".into(),
            mood: Some(2),
            tags: vec!["Fear".into(), "#fear".into()],
            text: "zebra-secret-thought".into(),
            prompt: None,
        },
        20,
    )
    .unwrap();
    a.commit(20);
    let couple_bytes = a.doc_mut(DocKind::Couple).save();
    assert!(!contains(&couple_bytes, "zebra-secret-thought"));
    assert_eq!(a.view().journal[0].tags, ["fear"]);

    // Shared while no partner device is connected: only the intent is recorded.
    a.apply(Command::ShareJournalEntry { id: id.clone() }, 21)
        .unwrap();
    a.commit(21);
    assert!(a.view().journal[0].shared);
    assert!(!contains(
        &a.doc_mut(DocKind::Couple).save(),
        "zebra-secret-thought"
    ));
    // Published when a partner's device is there; later edits follow at the next publish.
    assert!(a.publish_shares(22).unwrap());
    assert!(
        !a.publish_shares(22).unwrap(),
        "nothing to write when copies are current"
    );
    a.apply(
        Command::SpliceJournalText {
            id: id.clone(),
            pos: 0,
            delete: 0,
            insert: "Now: ".into(),
        },
        22,
    )
    .unwrap();
    assert!(a.publish_shares(23).unwrap());
    a.commit(23);
    let v = a.view();
    assert_eq!(v.shared_entries.len(), 1);
    assert_eq!(v.shared_entries[0].text, "Now: zebra-secret-thought");

    a.apply(Command::UnshareJournalEntry { id: id.clone() }, 23)
        .unwrap();
    a.commit(23);
    let v = a.view();
    assert!(v.shared_entries.is_empty());
    assert!(!v.journal[0].shared);
    assert_eq!(
        v.journal[0].text, "Now: zebra-secret-thought",
        "unsharing keeps the original"
    );
}

#[test]
fn an_entry_shared_and_unshared_while_apart_never_reaches_the_couple_document() {
    let mut a = device(&PartnerId::random());
    set_up(&mut a, "Sam", "Alex");
    let id = ItemId::random();
    a.apply(
        Command::AddJournalEntry {
            id: id.clone(),
            date: "2026-11-20".into(),
            mood: None,
            tags: vec![],
            text: "second-thoughts-text".into(),
            prompt: None,
        },
        1,
    )
    .unwrap();
    a.apply(Command::ShareJournalEntry { id: id.clone() }, 2)
        .unwrap();
    a.apply(Command::UnshareJournalEntry { id: id.clone() }, 3)
        .unwrap();
    assert!(!a.publish_shares(4).unwrap());
    a.commit(4);
    // Not in the current state, and not in the history either: nothing to sync.
    assert!(!contains(
        &a.doc_mut(DocKind::Couple).save_nocompress(),
        "second-thoughts-text"
    ));
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn affirmation_goes_out_of_date_when_the_text_changes() {
    let mut a = device(&PartnerId::random());
    set_up(&mut a, "Sam", "Alex");
    splice(&mut a, "therapy", 0, "Thursdays.");
    a.apply(Command::AffirmAgreement, 30).unwrap();
    assert!(a.view().affirmations[0].current);
    splice(&mut a, "therapy", 0, "Still ");
    assert!(!a.view().affirmations[0].current);
}

#[test]
fn bad_commands_are_refused_with_a_reason_and_keep_earlier_typing() {
    let mut a = device(&PartnerId::random());
    set_up(&mut a, "Sam", "Alex");
    splice(&mut a, "review", 0, "typed but not yet committed");
    let err = a
        .apply(
            Command::SaveDailyCheckIn {
                date: "2026-11-24".into(),
                answers: DailyAnswers {
                    mood: 9,
                    connection: 1,
                    safety: 1,
                    ..Default::default()
                },
            },
            40,
        )
        .unwrap_err();
    assert!(err.to_string().contains("Mood"), "{err}");
    let err = a
        .apply(
            Command::SpliceSection {
                section: "review".into(),
                pos: 1000,
                delete: 0,
                insert: "x".into(),
            },
            41,
        )
        .unwrap_err();
    assert!(err.to_string().contains("outside the text"), "{err}");
    assert!(matches!(
        a.apply(Command::DeleteJournalEntry { id: "nope".into() }, 42),
        Err(CoreError::NotFound { .. })
    ));
    assert_eq!(body(&a, "review"), "typed but not yet committed");
}

#[test]
fn hostile_items_read_as_errors_not_panics() {
    let pa = PartnerId::random();
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let doc = a.doc_mut(DocKind::Private);
    let (_, journal) = doc.get(ROOT, "journal").unwrap().unwrap();
    // Wrong types.
    let e = doc.put_object(&journal, "bad-types", ObjType::Map).unwrap();
    doc.put(&e, "date", 42).unwrap();
    doc.put(&e, "text", true).unwrap();
    // Huge string.
    let e = doc.put_object(&journal, "huge", ObjType::Map).unwrap();
    doc.put(&e, "date", "2026-01-01").unwrap();
    doc.put(&e, "created_at", 1).unwrap();
    doc.put(&e, "updated_at", 1).unwrap();
    doc.put(&e, "text", "x".repeat(MAX_TEXT_CHARS + 1).as_str())
        .unwrap();
    // From a newer Kintsugi.
    let e = doc.put_object(&journal, "future", ObjType::Map).unwrap();
    doc.put(&e, "v", 99).unwrap();
    // Not even a map.
    doc.put(&journal, "scalar", "hello").unwrap();
    doc.commit();
    let couple = a.doc_mut(DocKind::Couple);
    couple.put(ROOT, "wins", "not a map").unwrap();
    couple.put(ROOT, "schema", 7).unwrap();
    couple.commit();

    let v = a.view();
    let places: Vec<_> = v.errors.iter().map(|e| e.place.as_str()).collect();
    for p in [
        "journal/bad-types/date",
        "journal/huge/text",
        "journal/future",
        "journal/scalar",
        "wins",
        "couple",
    ] {
        assert!(places.contains(&p), "missing {p} in {places:?}");
    }
    assert!(v.errors.iter().any(|e| e.problem.contains("newer version")));
    // Writing to a broken area is refused, not panicking.
    assert!(
        a.apply(
            Command::AddWin {
                id: ItemId::random(),
                kind: WinKind::TrustWin,
                text: "x".into()
            },
            1
        )
        .is_err()
    );
    // Good data around it still reads.
    assert_eq!(v.agreement.len(), 6);
}

#[test]
fn foreign_and_garbage_documents_are_refused() {
    let me = PartnerId::random();
    let mut a = device(&me);
    let private = a.doc_mut(DocKind::Private).save();
    assert!(matches!(
        Model::open(Some(&private), None, me.clone(), ActorId::random()),
        Err(CoreError::WrongKind { expected: "couple" })
    ));
    assert!(
        Model::open(
            Some(b"\x85\x6f\x4a\x83 not automerge"),
            None,
            me,
            ActorId::random()
        )
        .is_err()
    );
}

#[test]
fn genesis_is_identical_on_every_device() {
    let mut a = device(&PartnerId::random());
    let mut b = device(&PartnerId::random());
    assert_eq!(
        a.doc_mut(DocKind::Couple).get_heads(),
        b.doc_mut(DocKind::Couple).get_heads()
    );
    assert_eq!(
        a.doc_mut(DocKind::Private).get_heads(),
        b.doc_mut(DocKind::Private).get_heads()
    );
}

#[test]
fn every_capability_round_trips_through_the_view() {
    let (pa, pb) = (PartnerId::random(), PartnerId::random());
    let mut a = device(&pa);
    set_up(&mut a, "Sam", "Alex");
    let mut b = partner_of(&mut a, &pb);
    set_up(&mut b, "Alex", "Sam");
    let c = ItemId::random();
    a.apply(
        Command::AddCommitment {
            id: c.clone(),
            text: "Home by 6".into(),
            rhythm: Rhythm::Daily,
            start: "2026-11-20".into(),
        },
        1,
    )
    .unwrap();
    a.apply(
        Command::LogCommitment {
            id: c.clone(),
            date: "2026-11-23".into(),
            status: LogStatus::Kept,
            note: "".into(),
        },
        2,
    )
    .unwrap();
    let d = ItemId::random();
    a.apply(
        Command::AddDisclosure {
            id: d.clone(),
            text: "I answered a message".into(),
            before_asked: true,
        },
        3,
    )
    .unwrap();
    let t = ItemId::random();
    b.apply(
        Command::RaiseTrigger {
            id: t.clone(),
            note: "a song".into(),
        },
        4,
    )
    .unwrap();
    let q = ItemId::random();
    b.apply(
        Command::AskQuestion {
            id: q.clone(),
            text: "Where were you?".into(),
        },
        5,
    )
    .unwrap();
    a.commit(6);
    b.commit(6);
    merge_couple(&mut a, &mut b);
    b.apply(
        Command::AcknowledgeCommitmentLog {
            id: c.clone(),
            date: "2026-11-23".into(),
            note: String::new(),
        },
        7,
    )
    .unwrap();
    b.apply(
        Command::AcknowledgeDisclosure {
            id: d.clone(),
            response: "Thank you for telling me".into(),
        },
        7,
    )
    .unwrap();
    assert!(
        b.apply(
            Command::LogCommitment {
                id: c.clone(),
                date: "2026-11-24".into(),
                status: LogStatus::Missed,
                note: "".into()
            },
            7
        )
        .is_err(),
        "only the author logs"
    );
    a.apply(Command::AcknowledgeTrigger { id: t.clone() }, 8)
        .unwrap();
    a.apply(
        Command::AnswerQuestion {
            question: q.clone(),
            id: ItemId::random(),
            text: "At work, late".into(),
        },
        8,
    )
    .unwrap();
    b.apply(Command::AskAgain { id: q.clone() }, 9).unwrap();
    a.apply(
        Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::Appreciation,
            text: "You made tea".into(),
        },
        9,
    )
    .unwrap();
    a.apply(
        Command::AddRitual {
            id: ItemId::random(),
            kind: RitualKind::DateNight,
            title: "Dinner".into(),
            date: Some("2026-11-28".into()),
            rhythm: None,
        },
        9,
    )
    .unwrap();
    let ap = ItemId::random();
    a.apply(
        Command::SaveApologyDraft {
            id: ap.clone(),
            fields: ApologyFields {
                what_i_did: "I lied about Tuesday".into(),
                ..Default::default()
            },
        },
        9,
    )
    .unwrap();
    a.apply(Command::ShareApology { id: ap.clone() }, 10)
        .unwrap();
    a.apply(
        Command::AddTherapyTopic {
            id: ItemId::random(),
            text: "Phone rules".into(),
            from: None,
        },
        10,
    )
    .unwrap();
    a.apply(
        Command::AddSelfCare {
            id: ItemId::random(),
            text: "Walk round the block".into(),
        },
        10,
    )
    .unwrap();
    a.apply(
        Command::SetReassurancePlan {
            text: "Hold my hand, tell me where you are".into(),
        },
        10,
    )
    .unwrap();
    b.apply(
        Command::SaveWeeklyCheckIn {
            week: "2026-W48".into(),
            answers: WeeklyAnswers {
                how_it_went: "Better".into(),
                ..Default::default()
            },
        },
        NOV_24 + 10,
    )
    .unwrap();
    a.commit(NOV_24 + 11);
    b.commit(NOV_24 + 11);
    merge_couple(&mut a, &mut b);
    let v = a.view();
    assert!(v.errors.is_empty(), "{:?}", v.errors);
    assert_eq!(v.commitments[0].log[0].acknowledged_by, Some(pb.clone()));
    assert_eq!(v.disclosures[0].response, "Thank you for telling me");
    assert!(v.triggers[0].acknowledged_at.is_some());
    assert_eq!(v.questions[0].answers[0].text, "At work, late");
    assert_eq!(v.questions[0].asked_again.len(), 1);
    assert_eq!(v.wins.len(), 1);
    assert_eq!(v.rituals[0].date.as_deref(), Some("2026-11-28"));
    assert_eq!(v.apologies[0].what_i_did, "I lied about Tuesday");
    assert_eq!(v.apology_drafts.len(), 1);
    assert_eq!(v.therapy_topics.len(), 1);
    assert_eq!(v.self_care.len(), 1);
    assert_eq!(v.reassurance_plans[0].by, pa);
    // Sealed: Sam sees that Alex answered the week, not what, until Sam answers too.
    assert!(v.partner_answered("2026-W48", true));
    assert!(v.weekly_checkins.is_empty());
    // The partner's device sees the shared apology but never the private draft or self-care list.
    let vb = b.view();
    assert_eq!(vb.apologies.len(), 1);
    assert!(vb.apology_drafts.is_empty() && vb.self_care.is_empty());

    let md = export(&v, &ExportScope::default(), ExportFormat::Markdown);
    assert!(md.contains("Home by 6") && md.contains("Phone rules"));
    let json: serde_json::Value =
        serde_json::from_str(&export(&v, &ExportScope::default(), ExportFormat::Json)).unwrap();
    assert!(
        json.get("journal").is_none(),
        "private journal only on request"
    );
}

/// Regression: a paired device that overwrote the couple document's `kind` made the other
/// device's store refuse to open. A document is ours when it grew from our genesis change.
#[test]
fn a_document_is_recognised_by_its_genesis_not_its_kind_value() {
    use kintsugi_core::automerge::transaction::Transactable;
    let me = PartnerId::random();
    let mut a = device(&me);
    a.doc_mut(DocKind::Couple)
        .put(kintsugi_core::automerge::ROOT, "kind", "something else")
        .unwrap();
    a.commit(5);
    let couple = a.doc_mut(DocKind::Couple).save();
    let reopened = Model::open(Some(&couple), None, me.clone(), ActorId::random()).unwrap();
    assert_eq!(reopened.view().agreement.len(), 6);
    // A look-alike that did not grow from our genesis is still refused.
    let mut fake = kintsugi_core::automerge::AutoCommit::new();
    fake.put(kintsugi_core::automerge::ROOT, "kind", "kintsugi/couple")
        .unwrap();
    assert!(matches!(
        Model::open(Some(&fake.save()), None, me, ActorId::random()),
        Err(CoreError::WrongKind { expected: "couple" })
    ));
}
