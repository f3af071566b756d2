//! Sealed check-ins against a partner who wants to get around the seal: with the stock app, and
//! with a modified client that writes raw automerge changes into the couple document.
//!
//! Each test plays Alex trying to read Sam's answers without honestly answering first (or to
//! change his own after reading Sam's), and checks what Sam's device reveals and shows.

use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use kintsugi_core::*;

#[path = "common/year.rs"]
mod year;
use year::{ap, couple, ms, sync};

const DAY: &str = "2026-12-03";
const SAM_SECRET: &str = "sam-private-low-7731";

fn answers(mood: u8, low: &str) -> DailyAnswers {
    DailyAnswers {
        mood,
        connection: 3,
        safety: 4,
        high: "a walk".into(),
        low: low.into(),
        need: "patience".into(),
    }
}

fn save(m: &mut Model, date: &str, a: DailyAnswers, t: Timestamp) -> Result<(), CoreError> {
    let r = m.apply(
        Command::SaveDailyCheckIn {
            date: date.into(),
            answers: a,
        },
        t,
    );
    m.commit(t);
    r
}

/// Every string the document's history ever held, decoded op by op.
fn history(doc: &mut AutoCommit) -> String {
    let mut out = String::new();
    for c in doc.get_changes(&[]) {
        for op in c.decode().operations {
            if let Some(ScalarValue::Str(s)) = op.primitive_value() {
                out.push_str(&s);
            }
            out.push('\0');
        }
    }
    out
}

/// Sam's answers as Alex's device holds them: in Alex's couple document, history included.
fn alex_has_sams_answer(alex: &mut Model) -> bool {
    history(alex.doc_mut(DocKind::Couple)).contains(SAM_SECRET)
}

/// Merges Alex's couple document into Sam's, lets Sam's device reveal, and sends the result
/// back: one sync as the worker runs it, with Alex's device doing nothing of its own.
fn sam_receives(sam: &mut Model, alex: &mut Model, t: Timestamp) {
    alex.commit(t);
    let mut from_alex = alex.doc_mut(DocKind::Couple).fork();
    sam.doc_mut(DocKind::Couple).merge(&mut from_alex).unwrap();
    sam.reveal_checkins(t).unwrap();
    sam.commit(t);
    let mut from_sam = sam.doc_mut(DocKind::Couple).fork();
    alex.doc_mut(DocKind::Couple).merge(&mut from_sam).unwrap();
}

fn map(doc: &AutoCommit, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => Some(id),
        _ => None,
    }
}

/// What the stock app's seal digest is: SHA-256 over the kind, the partner, a salt and the
/// answers in their stored order (the format a modified client can compute for itself).
fn digest(by: &str, salt: &str, date: &str, a: &DailyAnswers) -> String {
    use sha2::{Digest, Sha256};
    let fields = serde_json::json!([
        ["date", date],
        ["mood", a.mood as i64],
        ["connection", a.connection as i64],
        ["safety", a.safety as i64],
        ["high", a.high.trim()],
        ["low", a.low.trim()],
        ["need", a.need.trim()],
    ]);
    let canonical = serde_json::json!(["kintsugi-seal-1", "daily", by, salt, fields]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// A modified client's raw seal: `daily/<date>/<by>` with the stock fields, and `digest` if given.
fn raw_seal(doc: &mut AutoCommit, date: &str, by: &str, digest: Option<&str>, t: Timestamp) {
    let seals = map(doc, &ROOT, "checkin_seals").unwrap();
    let s = doc
        .put_object(&seals, format!("daily/{date}/{by}"), ObjType::Map)
        .unwrap();
    doc.put(&s, "v", 1).unwrap();
    doc.put(&s, "kind", "daily").unwrap();
    doc.put(&s, "period", date).unwrap();
    doc.put(&s, "by", by).unwrap();
    doc.put(&s, "at", t).unwrap();
    if let Some(d) = digest {
        doc.put(&s, "digest", d).unwrap();
    }
    doc.commit();
}

/// A modified client's raw revealed answer under `daily_checkins/<date>/<by>`, with `salt`.
fn raw_copy(doc: &mut AutoCommit, date: &str, by: &str, a: &DailyAnswers, salt: &str, t: i64) {
    let copies = map(doc, &ROOT, "daily_checkins").unwrap();
    let c = doc
        .put_object(&copies, format!("{date}/{by}"), ObjType::Map)
        .unwrap();
    doc.put(&c, "v", 1).unwrap();
    doc.put(&c, "by", by).unwrap();
    doc.put(&c, "date", date).unwrap();
    doc.put(&c, "mood", a.mood as i64).unwrap();
    doc.put(&c, "connection", a.connection as i64).unwrap();
    doc.put(&c, "safety", a.safety as i64).unwrap();
    doc.put(&c, "high", a.high.as_str()).unwrap();
    doc.put(&c, "low", a.low.as_str()).unwrap();
    doc.put(&c, "need", a.need.as_str()).unwrap();
    doc.put(&c, "salt", salt).unwrap();
    doc.put(&c, "at", t).unwrap();
    doc.commit();
}

fn theirs_mood(m: &Model, date: &str) -> Option<u8> {
    m.view().daily_pair(date).1.map(|c| c.mood)
}

fn has_error(m: &Model, place_part: &str, problem_part: &str) -> bool {
    m.view()
        .errors
        .iter()
        .any(|e| e.place.contains(place_part) && e.problem.contains(problem_part))
}

/// The stock app: Alex answers with a placeholder, reads Sam's revealed answers, and answers
/// again. The second answer is refused; a later thought is a note both devices show as added
/// after seeing the other's answers, beside the first answer.
#[test]
fn a_placeholder_answer_cannot_be_replaced_after_both_are_shown() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    save(&mut alex, DAY, answers(3, "placeholder"), t).unwrap();
    save(&mut sam, DAY, answers(2, SAM_SECRET), t).unwrap();
    sync(&mut sam, &mut alex, t + 1);
    assert_eq!(theirs_mood(&alex, DAY), Some(2), "Alex reads Sam's answers");
    assert_eq!(theirs_mood(&sam, DAY), Some(3));

    let again = save(&mut alex, DAY, answers(5, "the considered answer"), t + 2);
    let err = again.expect_err("a second answer after both were shown is refused");
    assert!(
        err.to_string().contains("can no longer be changed"),
        "{err}"
    );
    let early = alex.apply(
        Command::AddCheckInNote {
            id: ItemId::random(),
            weekly: false,
            period: "2026-12-04".into(),
            text: "too early".into(),
        },
        t + 2,
    );
    assert!(early.is_err(), "a note only once both have answered");
    ap(
        &mut alex,
        Command::AddCheckInNote {
            id: ItemId::random(),
            weekly: false,
            period: DAY.into(),
            text: "I want to say more about the low".into(),
        },
        t + 3,
    );
    sync(&mut sam, &mut alex, t + 4);
    for m in [&sam, &alex] {
        let v = m.view();
        let notes: Vec<_> = v.notes_for(DAY, false);
        assert_eq!(notes.len(), 1);
        assert_eq!(
            v.note_caption(notes[0]),
            "Added by Alex after seeing Sam's answers"
        );
        assert_eq!(notes[0].text, "I want to say more about the low");
    }
    assert_eq!(
        theirs_mood(&sam, DAY),
        Some(3),
        "Sam still sees the first answer"
    );
    let v = sam.view();
    assert_eq!(v.daily_pair(DAY).1.unwrap().low, "placeholder");
}

/// A modified client writes a seal under an id that is no member: Sam's device must not reveal.
#[test]
fn a_seal_under_a_non_member_id_reveals_nothing() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    save(&mut sam, DAY, answers(2, SAM_SECRET), t).unwrap();
    sync(&mut sam, &mut alex, t);
    let fake = digest("mallory", "salt", DAY, &answers(1, ""));
    raw_seal(
        alex.doc_mut(DocKind::Couple),
        DAY,
        "mallory",
        Some(&fake),
        t,
    );
    sam_receives(&mut sam, &mut alex, t + 1);
    assert!(
        !alex_has_sams_answer(&mut alex),
        "Sam's answer reached Alex"
    );
    assert!(has_error(&sam, "mallory", "not your partner"));
    assert!(sam.view().checkin_seals.iter().all(|s| s.by.0 != "mallory"));
}

/// A third member written into `members` makes the partner ambiguous: nothing reveals.
#[test]
fn a_forged_third_member_reveals_nothing() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    save(&mut sam, DAY, answers(2, SAM_SECRET), t).unwrap();
    sync(&mut sam, &mut alex, t);
    let doc = alex.doc_mut(DocKind::Couple);
    let members = map(doc, &ROOT, "members").unwrap();
    let m = doc.put_object(&members, "mallory", ObjType::Map).unwrap();
    doc.put(&m, "name", "Sam").unwrap();
    doc.commit();
    raw_seal(
        doc,
        DAY,
        "mallory",
        Some(&digest("mallory", "s", DAY, &answers(1, ""))),
        t,
    );
    sam_receives(&mut sam, &mut alex, t + 1);
    assert!(!alex_has_sams_answer(&mut alex));
}

/// The stock app refuses a day that has not come, and a modified client's seal for one counts
/// for nothing on Sam's device: no reveal, not listed as answered, an item error instead.
#[test]
fn a_future_seal_reveals_nothing() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    let err = save(&mut alex, "2099-01-01", answers(3, "pre-sealed"), t).unwrap_err();
    assert!(err.to_string().contains("has not come yet"), "{err}");
    // A day later than tomorrow, on Sam's clock.
    let ahead = "2026-12-06";
    let secret = DailyAnswers {
        low: SAM_SECRET.into(),
        ..answers(2, "")
    };
    // Sam's own answer for that day from her second device, whose clock is ahead (the only way
    // the stock app holds one); her first device, on the true date, meets Alex's seal.
    let mut sam2 = Model::open(
        Some(&sam.doc_mut(DocKind::Couple).save()),
        Some(&sam.doc_mut(DocKind::Private).save()),
        sam.me().clone(),
        kintsugi_core::automerge::ActorId::random(),
    )
    .unwrap();
    save(&mut sam2, ahead, secret, ms(ahead)).unwrap();
    for kind in DocKind::ALL {
        let mut from2 = sam2.doc_mut(kind).fork();
        sam.doc_mut(kind).merge(&mut from2).unwrap();
    }
    let alex_id = alex.me().0.clone();
    let d = digest(&alex_id, "s", ahead, &answers(3, ""));
    raw_seal(alex.doc_mut(DocKind::Couple), ahead, &alex_id, Some(&d), t);
    sam_receives(&mut sam, &mut alex, t);
    assert!(
        !alex_has_sams_answer(&mut alex),
        "a future seal revealed Sam's answer"
    );
    assert!(has_error(&sam, ahead, "has not come yet"));
    assert!(!sam.view().partner_answered(ahead, false));
}

/// A seal that commits to no answer (no digest) reveals nothing. A seal that commits to
/// answers Alex never gives does reveal Sam's (nothing can tell it apart), but nothing Alex
/// later sends as his answer is shown, since it is not what he sealed.
#[test]
fn a_seal_without_an_answer_reveals_nothing_and_binds_what_follows() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    save(&mut sam, DAY, answers(2, SAM_SECRET), t).unwrap();
    sync(&mut sam, &mut alex, t);
    let alex_id = alex.me().0.clone();
    raw_seal(alex.doc_mut(DocKind::Couple), DAY, &alex_id, None, t);
    sam_receives(&mut sam, &mut alex, t + 1);
    assert!(
        !alex_has_sams_answer(&mut alex),
        "a seal without a digest revealed"
    );

    // Committing to random bytes: Sam's answers go out, Alex's invented answers never show.
    let random = digest(&alex_id, "never-given", DAY, &answers(4, "x"));
    raw_seal(
        alex.doc_mut(DocKind::Couple),
        DAY,
        &alex_id,
        Some(&random),
        t + 2,
    );
    sam_receives(&mut sam, &mut alex, t + 3);
    assert!(alex_has_sams_answer(&mut alex));
    raw_copy(
        alex.doc_mut(DocKind::Couple),
        DAY,
        &alex_id,
        &answers(5, "written after reading Sam's"),
        "salt2",
        t + 4,
    );
    sam_receives(&mut sam, &mut alex, t + 5);
    assert_eq!(
        theirs_mood(&sam, DAY),
        None,
        "an answer that is not the sealed one showed"
    );
    assert!(has_error(&sam, DAY, "does not match"));
}

/// Both answers shown honestly; then Alex's modified client changes his: the fields in place,
/// the copy and the seal rewritten to match each other, or the seal removed. Sam's device
/// keeps showing none of the changed answers.
#[test]
fn a_replaced_answer_after_reveal_is_not_shown() {
    type Attack = fn(&mut AutoCommit, &str);
    let attacks: [(&str, Attack); 3] = [
        ("fields changed in place", |doc, alex| {
            let copies = map(doc, &ROOT, "daily_checkins").unwrap();
            let copy = map(doc, &copies, &format!("{DAY}/{alex}")).unwrap();
            doc.put(&copy, "mood", 5).unwrap();
            doc.put(&copy, "low", "rewritten").unwrap();
            doc.commit();
        }),
        ("copy and seal rewritten together", |doc, alex| {
            let new = answers(5, "rewritten");
            let d = digest(alex, "salt-new", DAY, &new);
            raw_seal(doc, DAY, alex, Some(&d), ms(DAY) + 9);
            raw_copy(doc, DAY, alex, &new, "salt-new", ms(DAY) + 9);
        }),
        ("seal removed, copy rewritten", |doc, alex| {
            let seals = map(doc, &ROOT, "checkin_seals").unwrap();
            doc.delete(&seals, format!("daily/{DAY}/{alex}")).unwrap();
            doc.commit();
            raw_copy(
                doc,
                DAY,
                alex,
                &answers(5, "rewritten"),
                "salt-new",
                ms(DAY) + 9,
            );
        }),
    ];
    for (what, attack) in attacks {
        let (mut sam, mut alex) = couple("2026-12-01");
        let t = ms(DAY);
        save(&mut alex, DAY, answers(3, "first"), t).unwrap();
        save(&mut sam, DAY, answers(2, SAM_SECRET), t).unwrap();
        sync(&mut sam, &mut alex, t + 1);
        assert_eq!(
            theirs_mood(&sam, DAY),
            Some(3),
            "{what}: honest answer shown"
        );
        let alex_id = alex.me().0.clone();
        attack(alex.doc_mut(DocKind::Couple), &alex_id);
        sam_receives(&mut sam, &mut alex, t + 10);
        let v = sam.view();
        let theirs = v.daily_pair(DAY).1;
        assert!(
            theirs.is_none_or(|c| c.mood == 3 && c.low == "first"),
            "{what}: Sam's device shows the replaced answer {theirs:?}"
        );
        assert!(
            v.errors.iter().any(|e| e.place.contains(DAY)),
            "{what}: no notice of the change: {:?}",
            v.errors
        );
    }
}

/// The honest race the rules must allow: Alex changes his sealed answer on his device while
/// Sam answers on hers, neither having seen the other's. Both answers show as last written.
#[test]
fn an_answer_changed_before_seeing_the_other_still_shows() {
    let (mut sam, mut alex) = couple("2026-12-01");
    let t = ms(DAY);
    save(&mut alex, DAY, answers(3, "first"), t).unwrap();
    sync(&mut sam, &mut alex, t);
    // Apart: Sam answers (and her device reveals against Alex's seal), Alex changes his.
    save(&mut sam, DAY, answers(2, SAM_SECRET), t + 1).unwrap();
    save(&mut alex, DAY, answers(4, "changed before seeing"), t + 1).unwrap();
    sync(&mut sam, &mut alex, t + 2);
    sync(&mut sam, &mut alex, t + 3);
    assert_eq!(theirs_mood(&sam, DAY), Some(4));
    assert_eq!(theirs_mood(&alex, DAY), Some(2));
    assert!(
        !sam.view().errors.iter().any(|e| e.place.contains(DAY)),
        "{:?}",
        sam.view().errors
    );
}
