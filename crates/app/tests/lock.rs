//! The app lock through AccessKit: setting a passphrase in Settings, locking (button and
//! Ctrl+L), a wrong passphrase, unlocking, changing and removing it, and the optional step on
//! the set-up screen.

use std::path::Path;
use std::time::Duration;

use egui::{Key, Modifiers, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use kintsugi_app::KintsugiApp;
use kintsugi_service::{Handle, NetOptions, Vault, VaultError, spawn_at};

mod common;
use common::{click, harness, press, settle, type_into, vault};

const FIRST: &str = "river stones and quiet mornings";
const SECOND: &str = "a kettle singing in the small kitchen";

/// Loopback only, no mDNS: nothing leaves the machine.
fn loopback() -> NetOptions {
    NetOptions {
        bind: Some(vec!["127.0.0.1:0".parse().expect("socket address")]),
        port: None,
        mdns: false,
        start: false,
    }
}

/// The window as the binary starts it: locked when the data has a passphrase.
fn window(dir: &Path) -> (Handle, Harness<'static, KintsugiApp>) {
    let handle = spawn_at(dir, loopback()).expect("open");
    // The documents load on the worker (a spinner meanwhile); draw once they have.
    handle
        .wait_for(std::time::Duration::from_secs(10), |s| !s.loading)
        .expect("the documents load");
    let mut h = harness(handle.clone(), 1000.0);
    h.run();
    (handle, h)
}

fn shows(h: &Harness<'_, KintsugiApp>, words: &str) -> bool {
    h.query_all_by_label_contains(words).next().is_some()
}

/// Waits until the passphrase change the worker is running has finished, then draws.
fn job_done(h: &mut Harness<'_, KintsugiApp>, handle: &Handle) {
    h.step();
    let sent = handle.sent();
    let done = handle.wait_for(Duration::from_secs(30), |s| {
        s.lock
            .job
            .as_ref()
            .is_some_and(|j| j.request == sent && j.result.is_some())
    });
    assert!(done.is_some(), "the passphrase change did not finish");
    settle(h);
}

fn unlock_with(h: &mut Harness<'_, KintsugiApp>, passphrase: &str) {
    type_into(h, "Passphrase", passphrase);
    click(h, "Unlock");
}

fn set_new(h: &mut Harness<'_, KintsugiApp>, passphrase: &str, button: &str) {
    type_into(h, "New passphrase", passphrase);
    type_into(h, "Repeat the new passphrase", passphrase);
    press(h, button);
}

#[test]
fn set_lock_wrong_unlock_and_change_in_the_window() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Robin", "Jordan"))));
    let (handle, mut h) = window(dir.path());
    assert!(!h.state().is_locked());
    // Off until set: no lock button anywhere.
    assert!(
        h.query_by_role_and_label(Role::Button, "Lock now")
            .is_none()
    );

    click(&mut h, "Settings");
    assert!(shows(&h, "App lock"));
    type_into(&mut h, "New passphrase", FIRST);
    // The honest hint, counted from what is typed.
    assert!(shows(&h, "Long phrases of ordinary words are strong"));
    type_into(&mut h, "Repeat the new passphrase", "river stones");
    assert!(shows(&h, "The two passphrases are not the same."));
    assert!(
        h.get_by_role_and_label(Role::Button, "Set passphrase")
            .accesskit_node()
            .is_disabled()
    );
    h.get_by_label("Repeat the new passphrase").focus();
    h.run();
    h.get_by_label("Repeat the new passphrase")
        .type_text(&FIRST["river stones".len()..]);
    settle(&mut h);
    press(&mut h, "Set passphrase");
    job_done(&mut h, &handle);
    assert!(shows(&h, "Passphrase set."));
    assert!(handle.snapshot().lock.has_passphrase);

    // Lock from the sidebar, on another screen.
    click(&mut h, "Journal");
    click(&mut h, "Lock now");
    assert!(h.state().is_locked());
    assert!(shows(&h, "Kintsugi is locked"));
    assert!(shows(&h, "Locked: not syncing"));
    // Nothing of the documents is left in the snapshot or on screen.
    assert!(handle.snapshot().view.my_name.is_empty());
    assert!(!shows(&h, "Robin"));
    assert!(h.query_by_role_and_label(Role::Button, "Journal").is_none());

    // A wrong passphrase: a clear line, still locked, and trying again is allowed.
    unlock_with(&mut h, "river stones and loud mornings");
    assert!(shows(
        &h,
        "That passphrase does not unlock this device's data"
    ));
    assert!(h.state().is_locked());
    // The honest answer about a forgotten passphrase.
    h.get_by_label("Forgot your passphrase?").click();
    h.run();
    assert!(shows(&h, "There is no back door"));
    assert!(shows(&h, "still on your partner's device"));

    unlock_with(&mut h, FIRST);
    assert!(!h.state().is_locked());
    assert_eq!(handle.snapshot().view.my_name, "Robin");
    assert!(h.query_by_role_and_label(Role::Button, "Journal").is_some());

    // Change it: not without the current one (someone at an unlocked window is not the owner),
    // then with it; lock with Ctrl+L: only the new one opens.
    click(&mut h, "Settings");
    click(&mut h, "Change passphrase");
    type_into(&mut h, "Current passphrase", "a guess");
    set_new(&mut h, SECOND, "Save the new passphrase");
    job_done(&mut h, &handle);
    assert!(!shows(&h, "Passphrase changed."));
    assert!(shows(&h, "Not changed: That passphrase does not unlock"));
    assert!(handle.snapshot().lock.has_passphrase);
    click(&mut h, "Change passphrase");
    type_into(&mut h, "Current passphrase", FIRST);
    set_new(&mut h, SECOND, "Save the new passphrase");
    job_done(&mut h, &handle);
    assert!(shows(&h, "Passphrase changed."));
    h.key_press_modifiers(Modifiers::COMMAND, Key::L);
    settle(&mut h);
    assert!(h.state().is_locked());
    unlock_with(&mut h, FIRST);
    assert!(shows(
        &h,
        "That passphrase does not unlock this device's data"
    ));
    unlock_with(&mut h, SECOND);
    assert!(!h.state().is_locked());
    assert_eq!(handle.snapshot().view.my_name, "Robin");
    handle.shutdown();
    drop(h);

    // The data on disk is locked for anyone without it.
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::Locked { .. })
    ));
}

#[test]
fn remove_the_passphrase_and_the_idle_choice() {
    let dir = tempfile::tempdir().unwrap();
    drop(vault(dir.path(), Some(("Robin", "Jordan"))));
    let (handle, mut h) = window(dir.path());
    click(&mut h, "Settings");
    set_new(&mut h, FIRST, "Set passphrase");
    job_done(&mut h, &handle);
    // The idle time is kept in the (encrypted) settings.
    handle.set_auto_lock(Some(5));
    settle(&mut h);
    assert_eq!(handle.snapshot().lock.auto_lock_minutes, Some(5));
    // Four minutes away: still open. Past five: locked, and it opens again with the passphrase.
    h.state_mut().pretend_idle(Duration::from_secs(4 * 60));
    settle(&mut h);
    assert!(!h.state().is_locked());
    h.state_mut().pretend_idle(Duration::from_secs(61));
    h.step();
    settle(&mut h);
    assert!(h.state().is_locked());
    unlock_with(&mut h, FIRST);
    assert!(!h.state().is_locked());
    // The choice is kept in the (encrypted) settings across the lock.
    assert_eq!(handle.snapshot().lock.auto_lock_minutes, Some(5));
    click(&mut h, "Settings");

    click(&mut h, "Remove passphrase…");
    assert!(shows(&h, "stored unencrypted again"));
    type_into(&mut h, "Current passphrase", FIRST);
    press(&mut h, "Remove passphrase");
    job_done(&mut h, &handle);
    assert!(shows(&h, "Passphrase removed."));
    assert!(!handle.snapshot().lock.has_passphrase);
    assert!(
        h.query_by_role_and_label(Role::Button, "Lock now")
            .is_none()
    );
    handle.shutdown();
    drop(h);
    assert!(Vault::open(dir.path()).is_ok());
}

#[test]
fn the_set_up_screen_offers_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, mut h) = window(dir.path());
    type_into(&mut h, "Your name", "Robin");
    type_into(&mut h, "Your partner's name", "Jordan");
    h.get_by_label("Protect this device with a passphrase (optional)")
        .click();
    h.run();
    set_new_fields(&mut h, FIRST);
    click(&mut h, "Begin");
    let done = handle.wait_for(Duration::from_secs(30), |s| {
        s.lock
            .job
            .as_ref()
            .is_some_and(|j| j.result == Some(Ok(())))
    });
    assert!(done.is_some(), "the passphrase was not set");
    settle(&mut h);
    assert_eq!(handle.snapshot().view.my_name, "Robin");
    handle.shutdown();
    drop(h);
    // The next window opens on the lock screen.
    let (handle, mut h) = window(dir.path());
    assert!(h.state().is_locked());
    unlock_with(&mut h, FIRST);
    assert_eq!(handle.snapshot().view.my_name, "Robin");
    handle.shutdown();
}

fn set_new_fields(h: &mut Harness<'_, KintsugiApp>, passphrase: &str) {
    type_into(h, "New passphrase", passphrase);
    type_into(h, "Repeat the new passphrase", passphrase);
}
