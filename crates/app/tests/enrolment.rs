//! Devices added to either partner, through AccessKit: "A new device of Sam's was added …" on
//! every own device and on the partner's window, with unpair at hand; and adding a device of
//! one's own to passphrase-protected data asks for the passphrase first.

use std::path::Path;
use std::time::Duration;

use egui::Role;
use egui_kittest::kittest::Queryable;
use kintsugi_core::DocKind;
use kintsugi_service::{PeerRecord, SecretString, Vault, endpoint_id_of, spawn_with};

mod common;
use common::{click, harness, press, settle, type_into, vault};

/// Records `other` as paired with `v` under `label`; `enrol`: as the inviting device does.
fn pair(v: &mut Vault, other: &Vault, scope: &str, label: &str, enrol: bool) {
    let id = endpoint_id_of(&other.secret_key().unwrap());
    let rec = PeerRecord {
        scope: scope.into(),
        addrs: Vec::new(),
        label: label.into(),
        paired_at: 2,
        last_synced: None,
        synced_heads: Vec::new(),
        addr_seen: Default::default(),
        last_path: None,
    };
    v.put_peer(&id, &rec).unwrap();
    if enrol {
        let member = other.me().clone();
        v.enrol_device(&id, &member, kintsugi_service::now_ms())
            .unwrap();
    } else {
        v.refresh_trust().unwrap();
    }
}

/// What a sync delivers: `kinds` of `from` merged into `into`, both saved.
fn deliver(from: &mut Vault, into: &mut Vault, kinds: &[DocKind]) {
    for kind in kinds {
        let mut theirs = from.model_mut().doc_mut(*kind).fork();
        into.model_mut().doc_mut(*kind).merge(&mut theirs).unwrap();
    }
    into.mark_changed();
    into.save(kintsugi_service::now_ms()).unwrap();
    from.save(kintsugi_service::now_ms()).unwrap();
}

fn shows(h: &egui_kittest::Harness<'_, kintsugi_app::KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn window(dir: &Path) -> egui_kittest::Harness<'static, kintsugi_app::KintsugiApp> {
    let handle = kintsugi_service::spawn(Vault::open(dir).unwrap());
    let mut h = harness(handle, 1000.0);
    h.run();
    h
}

#[test]
fn a_device_sam_adds_is_announced_on_sams_devices_and_on_alexs() {
    let (ds, ds2, da) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    {
        let mut sam = vault(ds.path(), Some(("Sam", "Alex")));
        let mut alex = vault(da.path(), Some(("Alex", "Sam")));
        pair(&mut sam, &alex, "partner", "Alex's device", true);
        pair(&mut alex, &sam, "partner", "Sam's laptop", true);
        deliver(&mut alex, &mut sam, &[DocKind::Couple]);
        // Sam's phone joins as Sam's own device: it takes Sam's identity; the laptop, which
        // invited it, enrols it.
        let mut phone = Vault::open(ds2.path()).unwrap();
        phone.adopt_identity(sam.me().clone()).unwrap();
        pair(&mut sam, &phone, "own_device", "My other device", true);
        pair(&mut phone, &sam, "own_device", "My other device", false);
        deliver(&mut sam, &mut phone, &[DocKind::Couple, DocKind::Private]);
        deliver(&mut sam, &mut alex, &[DocKind::Couple]);
    }
    let notice = "A new device of yours was added";
    for (who, dir) in [("laptop", ds.path()), ("phone", ds2.path())] {
        let mut h = window(dir);
        click(&mut h, "Partner & devices");
        assert!(shows(&h, notice), "{who}");
        assert_eq!(
            h.query_all_by_label_contains("A new device of").count(),
            1,
            "{who}: one device was added; pairing with Alex's is no such news"
        );
        // The laptop paired with the phone itself; the phone with nothing new to it but the
        // laptop, which is not new.
        if who == "laptop" {
            assert!(
                h.query_by_role_and_label(Role::Button, "Not yours? Unpair it…")
                    .is_some()
            );
        }
    }
    let mut h = window(da.path());
    click(&mut h, "Partner & devices");
    assert!(shows(&h, "A new device of Sam's was added"));
    assert!(!shows(&h, notice), "Alex added no device");
    // Alex never paired with the phone: unpairing the laptop that added it is at hand.
    press(&mut h, "Not expected? Unpair Sam's laptop, which added it…");
    settle(&mut h);
    assert!(
        shows(&h, "Unpair Sam's laptop?"),
        "the unpair confirmation opens"
    );
}

#[test]
fn adding_a_device_of_ones_own_asks_for_the_passphrase_first() {
    const PASS: &str = "quiet mornings by the river";
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn_with(
        vault(dir.path(), Some(("Sam", "Alex"))),
        kintsugi_service::NetOptions {
            bind: Some(vec!["127.0.0.1:0".parse().unwrap()]),
            port: None,
            mdns: false,
            start: false,
        },
    );
    handle.set_passphrase(SecretString::from(PASS));
    handle
        .wait_for(Duration::from_secs(30), |s| {
            s.lock.has_passphrase && s.lock.job.as_ref().is_some_and(|j| j.result.is_some())
        })
        .expect("passphrase set");
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    click(&mut h, "Partner & devices");
    click(&mut h, "Add another device of mine");
    let field = "Your passphrase, to add a device of your own";
    assert!(h.query_by_label(field).is_some(), "the passphrase is asked");
    assert!(handle.snapshot().sync.invite.is_none(), "no code yet");
    type_into(&mut h, field, "not it");
    click(&mut h, "Make the code");
    assert!(shows(
        &h,
        "That is not the passphrase of this device's data; no device was added."
    ));
    assert!(handle.snapshot().sync.invite.is_none());
    assert!(!handle.snapshot().sync.online, "no network was started");
    // Cancelling closes the question without asking anything of the worker.
    click(&mut h, "Add another device of mine");
    click(&mut h, "Cancel");
    assert!(h.query_by_label(field).is_none());
    handle.shutdown();
}
