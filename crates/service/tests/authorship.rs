//! Authorship against the real device keys: Alex's paired device, modified, signs claims with
//! its own ed25519 key (or none); Sam's vault never shows what it wrote as Sam's. And adding a
//! device of one's own to passphrase-protected data asks for the passphrase.
//! The worker test runs inside tests/offline-net (no endpoint is opened: it is refused first).

use std::time::Duration;

use kintsugi_core::authorship::forge_claim;
use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, ObjType, ROOT, ReadDoc, Value};
use kintsugi_core::{Command, DocKind, ItemId, PartnerId, UNVERIFIED, UNVERIFIED_NAME, View};
use kintsugi_service::{
    NetOptions, NetRequest, PeerRecord, Refusal, SecretString, Vault, endpoint_id_of, spawn_at,
};

fn set_up(dir: &std::path::Path, me: &str, partner: &str) -> Vault {
    let mut v = Vault::open(dir).unwrap();
    v.apply(
        Command::SetUp {
            my_name: me.into(),
            partner_name: partner.into(),
        },
        1,
    )
    .unwrap();
    v.save(1).unwrap();
    v
}

/// Records `other` as paired with `v` (what pairing stores) and enrols it.
fn pair(v: &mut Vault, other: &Vault, scope: &str) {
    let id = endpoint_id_of(&other.secret_key().unwrap());
    let rec = PeerRecord {
        scope: scope.into(),
        addrs: Vec::new(),
        label: "paired".into(),
        paired_at: 2,
        last_synced: None,
        synced_heads: Vec::new(),
        addr_seen: Default::default(),
        last_path: None,
    };
    v.put_peer(&id, &rec).unwrap();
    let member = other.me().clone();
    v.enrol_device(&id, &member, 2).unwrap();
}

fn sync(a: &mut Vault, b: &mut Vault) {
    let mut theirs = b.model_mut().doc_mut(DocKind::Couple).clone();
    a.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut theirs)
        .unwrap();
    let mut ours = a.model_mut().doc_mut(DocKind::Couple).clone();
    b.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(&mut ours)
        .unwrap();
    a.mark_changed();
    b.mark_changed();
}

fn by_of(v: &View, text: &str) -> PartnerId {
    v.disclosures
        .iter()
        .find(|d| d.text == text)
        .unwrap_or_else(|| panic!("no {text}"))
        .by
        .clone()
}

#[test]
fn claims_alexs_device_signs_for_sam_are_refused_and_honest_ones_kept_across_reopening() {
    let (sam_dir, alex_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut sam = set_up(sam_dir.path(), "Sam", "Alex");
    let mut alex = set_up(alex_dir.path(), "Alex", "Sam");
    pair(&mut sam, &alex, "partner");
    pair(&mut alex, &sam, "partner");
    sync(&mut sam, &mut alex);
    for (v, text) in [
        (&mut sam, "honest from Sam"),
        (&mut alex, "honest from Alex"),
    ] {
        v.apply(
            Command::AddDisclosure {
                id: ItemId::random(),
                text: text.into(),
                before_asked: false,
            },
            3,
        )
        .unwrap();
        v.save(3).unwrap();
    }
    sync(&mut sam, &mut alex);

    // Alex's modified client: a fresh actor writing a disclosure "by" Sam, then claims for
    // Sam made with Alex's real key: once naming Alex's key, once naming Sam's.
    let alex_secret = alex.secret_key().unwrap();
    let alex_key = endpoint_id_of(&alex_secret);
    let sam_key = endpoint_id_of(&sam.secret_key().unwrap());
    let sam_id = sam.me().clone();
    let doc = alex.model_mut().doc_mut(DocKind::Couple);
    let actor = ActorId::random();
    doc.set_actor(actor.clone());
    let Ok(Some((Value::Object(ObjType::Map), map))) = doc.get(ROOT, "disclosures") else {
        panic!("no disclosures map")
    };
    let x = doc
        .put_object(&map, ItemId::random().0.as_str(), ObjType::Map)
        .unwrap();
    doc.put(&x, "v", 1u64).unwrap();
    doc.put(&x, "by", sam_id.0.as_str()).unwrap();
    doc.put(&x, "text", "forged with a real key").unwrap();
    doc.put(&x, "at", 4i64).unwrap();
    doc.commit();
    let last = doc.get_last_local_change().unwrap();
    for named in [alex_key, sam_key] {
        forge_claim(
            doc,
            &actor,
            &sam_id.0,
            last.seq(),
            last.hash(),
            named,
            |m| kintsugi_sync::signing::sign(&alex_secret, m),
        )
        .unwrap();
    }
    doc.commit();
    sync(&mut sam, &mut alex);

    let check = |v: &View| {
        let forged = by_of(v, "forged with a real key");
        assert_eq!(forged.0, UNVERIFIED);
        assert_eq!(v.name_of(&forged), UNVERIFIED_NAME);
        assert_eq!(v.name_of(&by_of(v, "honest from Sam")), "Sam");
        assert_eq!(v.name_of(&by_of(v, "honest from Alex")), "Alex");
    };
    check(&sam.refresh_view());
    sam.save(5).unwrap();
    drop(sam);
    let sam = Vault::open(sam_dir.path()).unwrap();
    check(&sam.view());
}

#[test]
fn adding_an_own_device_to_passphrase_protected_data_asks_for_the_passphrase() {
    const PASS: &str = "a long walk by the harbour";
    let dir = tempfile::tempdir().unwrap();
    drop(set_up(dir.path(), "Sam", "Alex"));
    let handle = spawn_at(
        dir.path(),
        NetOptions {
            bind: Some(vec!["127.0.0.1:0".parse().unwrap()]),
            port: None,
            mdns: false,
            start: false,
        },
    )
    .unwrap();
    let wait = Duration::from_secs(30);
    handle.wait_for(wait, |s| !s.loading).expect("loaded");
    handle.set_passphrase(SecretString::from(PASS));
    handle
        .wait_for(wait, |s| {
            s.lock.has_passphrase && s.lock.job.as_ref().is_some_and(|j| j.result.is_some())
        })
        .expect("passphrase set");
    let refused = |what: &str| {
        let sent = handle.sent();
        let s = handle
            .wait_for(wait, |s| s.processed >= sent)
            .expect("answered");
        assert!(s.sync.invite.is_none(), "{what}: an invitation was opened");
        match &s.last_error {
            Some((n, Refusal::Net(e))) if *n == sent => e.message.clone(),
            other => panic!("{what}: not refused: {other:?}"),
        }
    };
    handle.invite_own_device(None);
    assert!(refused("no passphrase").contains("passphrase"));
    handle.invite_own_device(Some(SecretString::from("not the passphrase")));
    assert!(refused("a wrong passphrase").contains("passphrase"));
    // The request without one is refused too, so no caller goes around the question.
    handle.net(NetRequest::Invite { own_device: true });
    assert!(refused("the plain request").contains("passphrase"));
}
