//! The devices and settings screens driven through AccessKit: without a network, and two windows pairing over loopback.

use std::time::Duration;

use egui::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kintsugi_app::KintsugiApp;
use kintsugi_service::{
    Handle, NetOptions, NetworkSettings, PairingOutcome, Snapshot, Vault, spawn_with,
};

mod common;
use common::{click, harness, press, set_text, settle, vault};

/// Loopback only, no mDNS, and no network until pairing asks for it.
fn loopback() -> NetOptions {
    NetOptions {
        bind: Some(vec!["127.0.0.1:0".parse().expect("socket address")]),
        port: None,
        mdns: false,
        start: false,
    }
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

fn snap(h: &Harness<'_, KintsugiApp>) -> std::sync::Arc<Snapshot> {
    h.state().handle().snapshot()
}

#[test]
fn devices_and_settings_without_a_network() {
    let dir = tempfile::tempdir().expect("temp dir");
    let handle = spawn_with(vault(dir.path(), Some(("Sam", "Alex"))), loopback());
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    // The sidebar says where things stand on every screen.
    assert!(h.query_by_label("Not paired — this device only").is_some());

    click(&mut h, "Partner & devices");
    assert!(shows(
        &h,
        "Not paired — this device only. Everything you write"
    ));
    assert!(shows(&h, "Nothing goes through a server"));
    // What a relay means for privacy, in one sentence, before anyone switches one on.
    assert!(shows(
        &h,
        "A relay forwards your devices' traffic end-to-end encrypted: it sees device ids and IP \
         addresses, never what you write."
    ));
    assert!(
        h.query_by_role_and_label(Role::Button, "Invite my partner's device")
            .is_some()
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Add another device of mine")
            .is_some()
    );

    // Codes are checked before any network starts; errors are said in words, next to the box.
    set_text(&mut h, "Pairing code from the other device", "hello there");
    click(&mut h, "Join");
    assert!(shows(&h, "This is not a Kintsugi pairing code."));
    assert!(
        !shows(&h, "That change was not made"),
        "said once, in place"
    );
    set_text(
        &mut h,
        "Pairing code from the other device",
        "kintsugi1-abcdefghijklmnop",
    );
    assert!(
        !shows(&h, "not a Kintsugi pairing code"),
        "a new code clears the old error"
    );
    click(&mut h, "Join");
    assert!(shows(&h, "This code is mistyped."));
    assert!(shows(&h, "typing mistake"));
    let s = snap(&h);
    assert!(!s.sync.online, "a refused code opens no network");
    assert!(s.sync.outcome.is_none());

    // Settings: a relay switched on needs an address; a bad one is refused and said so;
    // nothing is stored.
    click(&mut h, "Settings");
    assert!(shows(&h, "Data folder: /tmp/kintsugi-test"));
    assert!(shows(&h, "Device id: shown once"));
    h.get_by_label("Use a relay to sync across networks")
        .click();
    settle(&mut h);
    click(&mut h, "Apply");
    assert!(shows(&h, "Enter the relay's address"));
    assert_eq!(snap(&h).sync.settings, NetworkSettings::default());
    set_text(&mut h, "Relay address", "relay.example.org");
    assert!(!shows(&h, "Enter the relay's address"), "typing clears it");
    click(&mut h, "Apply");
    assert!(shows(
        &h,
        "is not a relay address: it must start with https://"
    ));
    assert_eq!(snap(&h).sync.settings, NetworkSettings::default());

    set_text(&mut h, "Relay address", "https://relay.example.org");
    h.get_by_label("Ask the router to open a port (UPnP/NAT-PMP)")
        .click();
    settle(&mut h);
    click(&mut h, "Apply");
    let want = NetworkSettings {
        relay_url: Some("https://relay.example.org".into()),
        port_mapping: true,
    };
    assert_eq!(snap(&h).sync.settings, want);
    assert!(!shows(&h, "is not a relay address"));
    assert!(h.query_by_label("Applied").is_some());

    // Names.
    set_text(&mut h, "Your name", "Samira");
    set_text(&mut h, "Your partner's name", "Alexis");
    click(&mut h, "Save names");
    assert!(h.query_by_label("Names saved").is_some());
    let v = snap(&h).view.clone();
    assert_eq!(
        (v.my_name.as_str(), v.partner_name.as_str()),
        ("Samira", "Alexis")
    );
    handle.shutdown();
    drop(h);

    // A narrow window says the same in its top bar.
    let d2 = tempfile::tempdir().expect("temp dir");
    let narrow = spawn_with(vault(d2.path(), Some(("Sam", "Alex"))), loopback());
    let mut n = harness(narrow.clone(), 360.0);
    n.run();
    assert!(n.query_by_label("Not paired — this device only").is_some());
    click(&mut n, "Partner & devices");
    assert!(shows(&n, "How syncing works"));
    narrow.shutdown();

    // The settings outlive the window: a new one reads them back into the screen.
    let handle = spawn_with(Vault::open(dir.path()).expect("reopen vault"), loopback());
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    assert_eq!(snap(&h).sync.settings, want);
    click(&mut h, "Settings");
    assert_eq!(
        h.get_by_label("Relay address").value().as_deref(),
        Some("https://relay.example.org")
    );
    assert_eq!(
        h.get_by_label("Your partner's name").value().as_deref(),
        Some("Alexis")
    );
    handle.shutdown();
}

fn wait(
    handle: &Handle,
    what: &str,
    done: impl FnMut(&Snapshot) -> bool,
) -> std::sync::Arc<Snapshot> {
    handle
        .wait_for(Duration::from_secs(20), done)
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

fn safety_code(s: &Snapshot) -> Option<String> {
    match &s.sync.outcome {
        Some(PairingOutcome::Paired { safety_code, .. }) => Some(safety_code.clone()),
        _ => None,
    }
}

#[test]
fn two_windows_pair_through_the_ui_and_sync() {
    if !kintsugi_service::loopback_only_network() {
        eprintln!("skipped: opens network endpoints; run inside tests/offline-net (loopback only)");
        return;
    }
    let (da, db) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let ha = spawn_with(vault(da.path(), Some(("Sam", "Alex"))), loopback());
    let hb = spawn_with(vault(db.path(), Some(("Alex", "Sam"))), loopback());
    let mut a = harness(ha.clone(), 1000.0);
    let mut b = harness(hb.clone(), 1000.0);
    a.run();
    b.run();

    click(&mut a, "Partner & devices");
    click(&mut a, "Invite my partner's device");
    let invite = wait(&ha, "the invite", |s| s.sync.invite.is_some());
    a.run();
    // Shown in groups of five; the joining device reads it with or without the spaces.
    let code = a
        .get_by_label("Pairing code")
        .value()
        .expect("the code is shown as text");
    let bare: String = code.split_whitespace().collect();
    assert_ne!(code, bare, "grouped for reading");
    assert_eq!(Some(&bare), invite.sync.invite.as_ref().map(|i| &i.code));
    assert!(a.query_by_label("Pairing code as a QR code").is_some());
    assert!(shows(&a, "more minutes"));
    assert!(
        a.query_by_role_and_label(Role::Button, "Copy code")
            .is_some()
    );

    click(&mut b, "Partner & devices");
    set_text(&mut b, "Pairing code from the other device", &code);
    // Not `click`: while connecting, a spinner keeps the frame busy.
    press(&mut b, "Join");
    b.step();

    let sa = wait(&ha, "A paired", |s| safety_code(s).is_some());
    let sb = wait(&hb, "B paired", |s| safety_code(s).is_some());
    let code_a = safety_code(&sa).expect("paired");
    assert_eq!(Some(code_a.clone()), safety_code(&sb));
    a.run();
    b.run();
    for h in [&a, &b] {
        assert!(h.query_by_label(&code_a).is_some(), "safety code shown");
        assert!(shows(h, "If they differ, unpair at once"));
    }
    assert!(shows(&a, "Paired with Alex's device"));
    assert!(shows(&b, "Paired with Sam's device"));
    click(&mut a, "They match");
    click(&mut b, "They match");
    assert!(snap(&a).sync.outcome.is_none());
    assert!(!shows(&a, "If they differ"));
    assert!(shows(&a, "Alex's device"));

    // B writes in the agreement through its window; it reaches A within seconds.
    click(&mut b, "Our agreement");
    let text = "We tell each other where we are going.";
    set_text(&mut b, "Boundaries", text);
    let arrived = ha.wait_for(Duration::from_secs(15), |s| {
        s.view
            .agreement
            .iter()
            .any(|sec| sec.id == "boundaries" && sec.body == text)
    });
    assert!(arrived.is_some(), "B's edit did not reach A in time");
    wait(&ha, "A to see B reachable and synced", |s| {
        s.sync
            .peers
            .iter()
            .any(|p| p.connected && p.last_synced.is_some())
    });
    // Nothing of A's is waiting: the only change was B's, and B has it.
    assert!(
        ha.wait_for(Duration::from_secs(10), |s| s
            .sync
            .peers
            .iter()
            .all(|p| !p.pending))
            .is_some(),
        "A still shows changes waiting to sync: {:?}",
        snap(&a).sync.peers
    );
    a.run();
    assert!(a.query_by_label("Alex — reachable").is_some());
    // Two windows on one machine reach each other without any relay.
    assert!(shows(&a, "Connected directly, device to device."));
    assert!(!shows(&a, "Connected through your relay"));
    assert!(!shows(&a, "Changes waiting to sync"));
    assert!(shows(&a, "synced just now"));
    click(&mut a, "Our agreement");
    assert_eq!(a.get_by_label("Boundaries").value().as_deref(), Some(text));

    // A code whose invite was cancelled ends in plain words, not in protocol errors.
    click(&mut a, "Partner & devices");
    click(&mut a, "Invite my partner's device");
    let inv = wait(&ha, "a second invite", |s| s.sync.invite.is_some());
    let stale = inv
        .sync
        .invite
        .as_ref()
        .map(|i| i.code.clone())
        .expect("invite");
    click(&mut a, "Cancel");
    wait(&ha, "the invite to close", |s| s.sync.invite.is_none());
    click(&mut b, "Partner & devices");
    set_text(&mut b, "Pairing code from the other device", &stale);
    press(&mut b, "Join");
    b.step();
    wait(&hb, "the join to fail", |s| {
        matches!(s.sync.outcome, Some(PairingOutcome::Failed(_)))
    });
    b.run();
    assert!(shows(&b, "Pairing did not work"));
    assert!(
        shows(&b, "The other device is no longer showing this code.")
            || shows(&b, "The other device could not be reached."),
        "said plainly"
    );
    click(&mut b, "OK");
    assert!(snap(&b).sync.outcome.is_none());
    assert_eq!(snap(&b).sync.peers.len(), 1, "still paired once");
    ha.shutdown();
    hb.shutdown();
}
