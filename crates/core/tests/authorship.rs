//! Authorship no device can forge: Alex's device, modified, writes raw automerge changes into
//! the couple document; none of them may show as Sam's (view, history, export, progress).

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use kintsugi_core::authorship::{forge_claim, forge_enrolment};
use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, Value};
use kintsugi_core::*;
use sha2::{Digest, Sha256};

/// A stand-in for ed25519 (the real one lives in kintsugi-sync, tested there and end to end in
/// the service): only the holder of a secret makes signatures that verify under its key.
fn secrets() -> &'static Mutex<HashMap<DeviceKey, [u8; 32]>> {
    static S: OnceLock<Mutex<HashMap<DeviceKey, [u8; 32]>>> = OnceLock::new();
    S.get_or_init(Mutex::default)
}

fn toy_sign(secret: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    let a = Sha256::new()
        .chain_update(secret)
        .chain_update(msg)
        .finalize();
    let b = Sha256::new()
        .chain_update(msg)
        .chain_update(secret)
        .finalize();
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&a);
    out[32..].copy_from_slice(&b);
    out
}

fn toy_verify(key: &DeviceKey, msg: &[u8], sig: &[u8; 64]) -> bool {
    let secret = secrets().lock().unwrap().get(key).copied();
    secret.is_some_and(|s| toy_sign(&s, msg) == *sig)
}

struct Key {
    secret: [u8; 32],
    public: DeviceKey,
}

impl Key {
    fn new() -> Arc<Key> {
        let secret: [u8; 32] = Sha256::digest(PartnerId::random().0.as_bytes()).into();
        let public: DeviceKey = Sha256::new()
            .chain_update(b"public")
            .chain_update(secret)
            .finalize()
            .into();
        secrets().lock().unwrap().insert(public, secret);
        Arc::new(Key { secret, public })
    }
}

impl Signer for Key {
    fn key(&self) -> DeviceKey {
        self.public
    }
    fn sign(&self, message: &[u8]) -> [u8; 64] {
        toy_sign(&self.secret, message)
    }
}

fn trust(own: &[&Arc<Key>], partner: &[&Arc<Key>]) -> Trust {
    Trust {
        verify: toy_verify,
        own: own.iter().map(|k| k.public).collect(),
        partner: partner.iter().map(|k| k.public).collect::<BTreeSet<_>>(),
    }
}

/// Sam's first device (paired with Alex's), Sam's second device (paired only with Sam's
/// first), Alex's device; all set up and synced.
struct Couple {
    sam: Model,
    sam2: Model,
    alex: Model,
    sam_id: PartnerId,
    alex_id: PartnerId,
    sam_key: Arc<Key>,
    alex_key: Arc<Key>,
}

fn merge(into: &mut Model, from: &mut Model, kind: DocKind) {
    let mut other = from.doc_mut(kind).clone();
    into.doc_mut(kind).merge(&mut other).unwrap();
}

fn sync(a: &mut Model, b: &mut Model) {
    merge(a, b, DocKind::Couple);
    merge(b, a, DocKind::Couple);
    if a.me() == b.me() {
        merge(a, b, DocKind::Private);
        merge(b, a, DocKind::Private);
    }
}

fn couple() -> Couple {
    let (sam_id, alex_id) = (PartnerId::random(), PartnerId::random());
    let (sam_key, sam2_key, alex_key) = (Key::new(), Key::new(), Key::new());
    let mut sam = common::device(&sam_id);
    sam.set_authorship(
        trust(&[&sam_key, &sam2_key], &[&alex_key]),
        sam_key.clone(),
        1,
    )
    .unwrap();
    common::set_up(&mut sam, "Sam", "Alex");
    let mut alex = common::device(&alex_id);
    alex.set_authorship(trust(&[&alex_key], &[&sam_key]), alex_key.clone(), 1)
        .unwrap();
    common::set_up(&mut alex, "Alex", "Sam");
    // Paired: each enrols the other (what the service does on pairing).
    sam.enrol_device(&alex_key.public, &alex_id, 2).unwrap();
    alex.enrol_device(&sam_key.public, &sam_id, 2).unwrap();
    sync(&mut sam, &mut alex);
    // Sam's second device: paired with Sam's first alone, which enrols it.
    let mut sam2 = common::device(&sam_id);
    sam2.set_authorship(trust(&[&sam2_key, &sam_key], &[]), sam2_key.clone(), 3)
        .unwrap();
    sam.enrol_device(&sam2_key.public, &sam_id, 3).unwrap();
    sync(&mut sam, &mut sam2);
    sync(&mut sam, &mut alex);
    Couple {
        sam,
        sam2,
        alex,
        sam_id,
        alex_id,
        sam_key,
        alex_key,
    }
}

fn map(doc: &AutoCommit, key: &str) -> kintsugi_core::automerge::ObjId {
    match doc.get(ROOT, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        other => panic!("{key}: {other:?}"),
    }
}

/// The modified client: a raw disclosure naming `by`, written into `doc` as it stands.
fn raw_disclosure(doc: &mut AutoCommit, by: &str, text: &str, at: i64) -> String {
    let disclosures = map(doc, "disclosures");
    let id = ItemId::random().0;
    let x = doc
        .put_object(&disclosures, id.as_str(), ObjType::Map)
        .unwrap();
    doc.put(&x, "v", 1u64).unwrap();
    doc.put(&x, "by", by).unwrap();
    doc.put(&x, "text", text).unwrap();
    doc.put(&x, "before_asked", true).unwrap();
    doc.put(&x, "at", at).unwrap();
    id
}

fn disclosure<'a>(v: &'a View, text: &str) -> &'a Disclosure {
    v.disclosures
        .iter()
        .find(|d| d.text == text)
        .unwrap_or_else(|| panic!("no disclosure {text}: {:?}", v.disclosures))
}

/// The author shown for `text` on every screen, export and chart of `m` is not Sam.
fn not_shown_as_sams(m: &mut Model, text: &str, sam_id: &PartnerId) {
    let v = m.refresh_view();
    let d = disclosure(&v, text);
    assert_ne!(&d.by, sam_id, "{text} shows as Sam's");
    assert_ne!(v.name_of(&d.by), "Sam");
    assert_ne!(
        v.name_of(&d.by),
        "Alex",
        "never as the other partner either"
    );
    assert_eq!(v.name_of(&d.by), UNVERIFIED_NAME);
    // A whole read agrees with the cached one.
    let whole = m.view();
    assert_eq!(&disclosure(&whole, text).by, &d.by);
    // Export: the line of the disclosure names the unverified author, not Sam.
    let md = export(&v, &ExportScope::default(), ExportFormat::Markdown);
    let lines: Vec<&str> = md.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(text))
        .unwrap_or_else(|| panic!("{text} not exported:\n{md}"));
    let around = lines[at.saturating_sub(1)..=at].join("\n");
    assert!(
        !around.contains("Sam") && around.contains(UNVERIFIED_NAME),
        "export names Sam for {text}: {around}"
    );
    // Progress: told-before-asked of the forgery is counted for no partner.
    let p = progress(&v, "2099-01-01", Range::All);
    assert!(
        p.partners
            .iter()
            .any(|(id, name)| id.0 == UNVERIFIED && name == UNVERIFIED_NAME),
        "{:?}",
        p.partners
    );
}

#[test]
fn a_disclosure_alexs_device_writes_as_sams_is_not_sams() {
    let mut c = couple();
    let doc = c.alex.doc_mut(DocKind::Couple);
    raw_disclosure(doc, &c.sam_id.0, "forged one", 5);
    c.alex.commit(5);
    sync(&mut c.sam, &mut c.alex);
    sync(&mut c.sam, &mut c.sam2);
    not_shown_as_sams(&mut c.sam, "forged one", &c.sam_id);
    not_shown_as_sams(&mut c.sam2, "forged one", &c.sam_id);
}

#[test]
fn a_fresh_actor_with_a_claim_for_sam_signed_by_alexs_key_is_not_sams() {
    let mut c = couple();
    let doc = c.alex.doc_mut(DocKind::Couple);
    // A modified client: a new actor, automerge's author set to Sam, and a claim for Sam
    // signed with Alex's own key.
    let actor = ActorId::random();
    doc.set_actor(actor.clone());
    doc.set_author(Some(kintsugi_core::automerge::Author::from(
        c.sam_id.0.as_bytes().to_vec(),
    )));
    raw_disclosure(doc, &c.sam_id.0, "claimed with the wrong key", 6);
    doc.commit();
    let last = doc.get_last_local_change().unwrap();
    let alex = c.alex_key.clone();
    forge_claim(
        doc,
        &actor,
        &c.sam_id.0,
        last.seq(),
        last.hash(),
        alex.public,
        |m| alex.sign(m),
    )
    .unwrap();
    // And one claiming Sam's key, signed with Alex's secret.
    forge_claim(
        doc,
        &actor,
        &c.sam_id.0,
        last.seq(),
        last.hash(),
        c.sam_key.public,
        |m| alex.sign(m),
    )
    .unwrap();
    doc.commit();
    sync(&mut c.sam, &mut c.alex);
    not_shown_as_sams(&mut c.sam, "claimed with the wrong key", &c.sam_id);
}

#[test]
fn a_claim_signed_by_an_unknown_key_or_enrolled_by_alex_as_sams_is_refused() {
    let mut c = couple();
    let stranger = Key::new();
    let doc = c.alex.doc_mut(DocKind::Couple);
    let actor = ActorId::random();
    doc.set_actor(actor.clone());
    raw_disclosure(doc, &c.sam_id.0, "claimed by a stranger", 7);
    doc.commit();
    let last = doc.get_last_local_change().unwrap();
    forge_claim(
        doc,
        &actor,
        &c.sam_id.0,
        last.seq(),
        last.hash(),
        stranger.public,
        |m| stranger.sign(m),
    )
    .unwrap();
    // Alex's device enrols the stranger's key as a device of Sam's; and the stranger enrols
    // itself. Neither may make it Sam's.
    let alex = c.alex_key.clone();
    forge_enrolment(doc, &stranger.public, &c.sam_id.0, 7, alex.public, |m| {
        alex.sign(m)
    })
    .unwrap();
    doc.commit();
    sync(&mut c.sam, &mut c.alex);
    not_shown_as_sams(&mut c.sam, "claimed by a stranger", &c.sam_id);
    let v = c.sam.view();
    assert!(
        !v.authorship
            .enrolments
            .iter()
            .any(|e| e.device == hex(&stranger.public)),
        "{:?}",
        v.authorship.enrolments
    );
}

fn hex(k: &DeviceKey) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_change_under_sams_own_actor_written_by_alexs_device_is_not_sams() {
    let mut c = couple();
    c.sam
        .apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: "Sam's own".into(),
                before_asked: false,
            },
            10,
        )
        .unwrap();
    c.sam.commit(10);
    sync(&mut c.sam, &mut c.alex);
    // Alex's modified client writes under the actor Sam's device wrote with, whose claim
    // Alex's device holds.
    let sams_actor = c.sam.doc(DocKind::Couple).get_actor().clone();
    let doc = c.alex.doc_mut(DocKind::Couple);
    doc.set_actor(sams_actor);
    raw_disclosure(doc, &c.sam_id.0, "under a reused actor", 11);
    doc.commit();
    sync(&mut c.sam2, &mut c.alex);
    not_shown_as_sams(&mut c.sam2, "under a reused actor", &c.sam_id);
    let v = c.sam2.view();
    assert_eq!(&disclosure(&v, "Sam's own").by, &c.sam_id);
}

#[test]
fn an_agreement_edit_alexs_device_signs_as_sam_shows_as_alexs_or_unverified() {
    let mut c = couple();
    // Sam writes the section first.
    c.sam
        .apply(
            Command::SpliceSection {
                section: "boundaries".into(),
                pos: 0,
                delete: 0,
                insert: "Sam's words. ".into(),
            },
            20,
        )
        .unwrap();
    c.sam.commit(20);
    sync(&mut c.sam, &mut c.alex);
    // Alex's modified client: automerge author Sam, edited_by Sam, under Alex's claimed
    // actor; and once more under a fresh actor with no claim at all.
    for fresh in [false, true] {
        let doc = c.alex.doc_mut(DocKind::Couple);
        if fresh {
            doc.set_actor(ActorId::random());
        }
        doc.set_author(Some(kintsugi_core::automerge::Author::from(
            c.sam_id.0.as_bytes().to_vec(),
        )));
        let agreement = map(doc, "agreement");
        let Some((_, s)) = doc.get(&agreement, "boundaries").unwrap() else {
            panic!("no section")
        };
        let Some((_, body)) = doc.get(&s, "body").unwrap() else {
            panic!("no body")
        };
        doc.splice_text(&body, 0, 0, if fresh { "FRESH " } else { "ALEX " })
            .unwrap();
        doc.put(&s, "edited_by", c.sam_id.0.as_str()).unwrap();
        doc.put(&s, "edited_at", 30i64 + fresh as i64).unwrap();
        if fresh {
            // Committed by the modified client itself: nothing signs this actor.
            doc.commit_with(
                kintsugi_core::automerge::transaction::CommitOptions::default().with_time(700_030),
            );
        } else {
            // Through the model, which signs Alex's own actor as Alex's.
            c.alex.commit(30);
        }
    }
    sync(&mut c.sam, &mut c.alex);
    let v = c.sam.refresh_view();
    let section = v.agreement.iter().find(|s| s.id == "boundaries").unwrap();
    assert!(section.body.starts_with("FRESH ALEX Sam's words."));
    let edited = section.edited_by.clone().unwrap();
    assert_ne!(edited, c.sam_id, "the section shows Sam as its last editor");
    assert_ne!(v.name_of(&edited), "Sam");
    // History: Sam's own session is Sam's; the two forged sessions are Alex's and unverified.
    let doc = c.sam.couple_doc();
    let h = text_history_verified(
        &doc,
        &TextTarget::Section("boundaries".into()),
        &v.authorship,
    )
    .unwrap();
    let by: Vec<(String, String)> = h
        .sessions
        .iter()
        .map(|s| {
            (
                s.inserted.clone(),
                v.name_of(s.by.as_ref().expect("an author")),
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![
            ("Sam's words. ".to_owned(), "Sam".to_owned()),
            ("ALEX ".to_owned(), "Alex".to_owned()),
            ("FRESH ".to_owned(), UNVERIFIED_NAME.to_owned()),
        ],
    );
    // The export's history of the section agrees.
    let md = export_document(
        &v,
        Some(&doc),
        &ExportScope::default(),
        ExportFormat::Markdown,
        &mut |_, _, _| {},
    );
    assert!(md.contains(UNVERIFIED_NAME), "{md}");
}

#[test]
fn a_third_member_is_never_the_partner_nor_shown_as_one() {
    let mut c = couple();
    let third = PartnerId::random();
    let doc = c.alex.doc_mut(DocKind::Couple);
    doc.set_actor(ActorId::random());
    let members = map(doc, "members");
    let m = doc
        .put_object(&members, third.0.as_str(), ObjType::Map)
        .unwrap();
    doc.put(&m, "v", 1u64).unwrap();
    doc.put(&m, "name", "Sam").unwrap();
    raw_disclosure(doc, &third.0, "by a third member", 40);
    doc.commit();
    sync(&mut c.sam, &mut c.alex);
    for m in [&mut c.sam, &mut c.sam2] {
        sync(m, &mut c.alex);
        let v = m.refresh_view();
        assert_eq!(v.partner.as_ref(), Some(&c.alex_id));
        let d = disclosure(&v, "by a third member");
        assert_ne!(v.name_of(&d.by), "Alex");
        assert_ne!(v.name_of(&d.by), "Sam");
        assert_ne!(v.name_of(&third), "Alex");
        assert_ne!(v.name_of(&third), "Sam");
    }
}

#[test]
fn sams_two_devices_and_alex_show_the_right_names() {
    let mut c = couple();
    let add = |m: &mut Model, text: &str, at: i64| {
        m.apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: text.into(),
                before_asked: false,
            },
            at,
        )
        .unwrap();
        m.commit(at);
    };
    add(&mut c.sam, "from Sam's first", 50);
    add(&mut c.sam2, "from Sam's second", 51);
    add(&mut c.alex, "from Alex", 52);
    c.sam2
        .apply(
            Command::SpliceSection {
                section: "transparency".into(),
                pos: 0,
                delete: 0,
                insert: "second device words".into(),
            },
            53,
        )
        .unwrap();
    c.sam2.commit(53);
    // Sam's second device reaches Alex only through Sam's first.
    sync(&mut c.sam, &mut c.sam2);
    sync(&mut c.sam, &mut c.alex);
    sync(&mut c.sam, &mut c.sam2);
    for (who, m) in [
        ("sam", &mut c.sam),
        ("sam2", &mut c.sam2),
        ("alex", &mut c.alex),
    ] {
        let v = m.refresh_view();
        for (text, id) in [
            ("from Sam's first", &c.sam_id),
            ("from Sam's second", &c.sam_id),
            ("from Alex", &c.alex_id),
        ] {
            assert_eq!(&disclosure(&v, text).by, id, "{who}: {text}");
        }
        assert_eq!(
            v.partner.as_ref(),
            Some(if m.me() == &c.alex_id {
                &c.sam_id
            } else {
                &c.alex_id
            }),
            "{who}"
        );
        let doc = m.couple_doc();
        let h = text_history_verified(
            &doc,
            &TextTarget::Section("transparency".into()),
            &v.authorship,
        )
        .unwrap();
        assert_eq!(h.sessions.len(), 1, "{who}");
        assert_eq!(h.sessions[0].by.as_ref(), Some(&c.sam_id), "{who}");
        // Every device tells of the device Sam added; none of the introductions counts.
        let added: Vec<&Enrolment> = v.authorship.enrolments.iter().filter(|e| e.added).collect();
        assert_eq!(added.len(), 1, "{who}: {:?}", v.authorship.enrolments);
        assert_eq!(added[0].member, c.sam_id, "{who}");
    }
}

#[test]
fn items_written_before_verification_keep_their_author_and_later_unclaimed_ones_do_not() {
    // Two devices of the version before: nothing signed.
    let (sam_id, alex_id) = (PartnerId::random(), PartnerId::random());
    let mut sam = common::device(&sam_id);
    common::set_up(&mut sam, "Sam", "Alex");
    let mut alex = common::device(&alex_id);
    common::set_up(&mut alex, "Alex", "Sam");
    for (m, text) in [(&mut sam, "old by Sam"), (&mut alex, "old by Alex")] {
        m.apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: text.into(),
                before_asked: false,
            },
            60,
        )
        .unwrap();
        m.commit(60);
    }
    sync(&mut sam, &mut alex);
    // Sam's device updates (reopened from its stored bytes); Alex's does not yet.
    let couple = sam.doc_mut(DocKind::Couple).save();
    let private = sam.doc_mut(DocKind::Private).save();
    let mut sam = Model::open(
        Some(&couple),
        Some(&private),
        sam_id.clone(),
        ActorId::random(),
    )
    .unwrap();
    let (sam_key, alex_key) = (Key::new(), Key::new());
    sam.set_authorship(trust(&[&sam_key], &[&alex_key]), sam_key.clone(), 61)
        .unwrap();
    let v = sam.refresh_view();
    assert_eq!(&disclosure(&v, "old by Sam").by, &sam_id);
    assert_eq!(&disclosure(&v, "old by Alex").by, &alex_id);
    assert_eq!(v.partner.as_ref(), Some(&alex_id));
    assert_eq!(v.name_of(&alex_id), "Alex");
    // Alex's old version writes on, unsigned: that is no longer taken on its word.
    raw_disclosure(
        alex.doc_mut(DocKind::Couple),
        &sam_id.0,
        "new and unsigned",
        62,
    );
    alex.commit(62);
    sync(&mut sam, &mut alex);
    not_shown_as_sams(&mut sam, "new and unsigned", &sam_id);
    // Sam's old items verify on a new device of Alex's, which never held them unsigned.
    let mut alex_new = common::device(&alex_id);
    alex_new
        .set_authorship(trust(&[&alex_key], &[&sam_key]), alex_key.clone(), 63)
        .unwrap();
    sync(&mut alex_new, &mut sam);
    let v = alex_new.refresh_view();
    assert_eq!(&disclosure(&v, "old by Sam").by, &sam_id);
}

#[test]
fn a_claim_arriving_after_the_change_it_covers_makes_it_verified() {
    let mut c = couple();
    c.alex
        .apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: "claim comes later".into(),
                before_asked: false,
            },
            70,
        )
        .unwrap();
    // The content change alone reaches Sam first (the claim is the change after it).
    c.alex.commit(70);
    let doc = c.alex.doc_mut(DocKind::Couple);
    let claim = doc.get_last_local_change().unwrap();
    let content_hash = claim.deps()[0];
    let content = doc.get_change_by_hash(&content_hash).unwrap();
    c.sam.refresh_view();
    c.sam
        .doc_mut(DocKind::Couple)
        .apply_changes([content])
        .unwrap();
    let v = c.sam.refresh_view();
    assert_eq!(disclosure(&v, "claim comes later").by.0, UNVERIFIED);
    c.sam
        .doc_mut(DocKind::Couple)
        .apply_changes([claim])
        .unwrap();
    let v = c.sam.refresh_view();
    assert_eq!(&disclosure(&v, "claim comes later").by, &c.alex_id);
}
