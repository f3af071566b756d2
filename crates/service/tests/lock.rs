//! The worker's app lock: locking saves, stops the network and empties the snapshot; requests
//! while locked change nothing; a wrong passphrase is said; unlocking resumes with syncing.
//! Run inside tests/offline-net (the node binds loopback only).

use std::time::Duration;

use kintsugi_core::Command;
use kintsugi_service::{
    Handle, NetOptions, SecretString, UnlockFailure, Vault, VaultError, spawn_at,
};

const PASS: &str = "river stones and quiet mornings";
const WAIT: Duration = Duration::from_secs(30);

fn loopback() -> NetOptions {
    NetOptions {
        bind: Some(vec!["127.0.0.1:0".parse().expect("socket address")]),
        port: None,
        mdns: false,
        // Online at once, so the test sees syncing stop and start again.
        start: true,
    }
}

fn processed(handle: &Handle) {
    let sent = handle.sent();
    assert!(
        handle.wait_for(WAIT, |s| s.processed >= sent).is_some(),
        "the worker did not answer"
    );
}

#[test]
fn lock_stops_syncing_and_unlock_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn_at(dir.path(), loopback()).expect("open");
    handle.send(Command::SetUp {
        my_name: "Robin".into(),
        partner_name: "Jordan".into(),
    });
    // Without a passphrase there is nothing to lock with: the request changes nothing.
    handle.lock_now();
    processed(&handle);
    assert!(!handle.snapshot().lock.locked);

    handle.set_passphrase(SecretString::from(PASS));
    let sent = handle.sent();
    let s = handle
        .wait_for(WAIT, |s| {
            s.lock
                .job
                .as_ref()
                .is_some_and(|j| j.request == sent && j.result.is_some())
        })
        .expect("set");
    assert_eq!(s.lock.job.as_ref().unwrap().result, Some(Ok(())));
    assert!(s.lock.has_passphrase && s.sync.online);

    handle.lock_now();
    processed(&handle);
    let s = handle.snapshot();
    assert!(s.lock.locked);
    assert!(!s.sync.online, "the network stops while locked");
    assert!(
        s.view.my_name.is_empty(),
        "nothing of the documents is shown"
    );

    // Requests while locked change nothing and are still answered.
    handle.send(Command::SetNames {
        my_name: "Someone else".into(),
        partner_name: "Jordan".into(),
    });
    handle.unlock(SecretString::from("not it"));
    processed(&handle);
    let s = handle.snapshot();
    assert!(s.lock.locked);
    assert_eq!(
        s.lock.unlock_failed,
        Some((handle.sent(), UnlockFailure::WrongPassphrase))
    );

    handle.unlock(SecretString::from(PASS));
    processed(&handle);
    let s = handle
        .wait_for(WAIT, |s| s.sync.online)
        .expect("syncing resumes");
    assert!(!s.lock.locked);
    assert_eq!(s.view.my_name, "Robin");
    handle.shutdown();

    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::Locked { .. })
    ));
    let v = Vault::open_with(dir.path(), Some(&SecretString::from(PASS))).expect("unlock");
    assert_eq!(v.view().my_name, "Robin");
}

/// Modification time and every byte of the store file.
fn file_state(dir: &std::path::Path) -> (std::time::SystemTime, Vec<u8>) {
    let path = dir.join(kintsugi_service::FILE_NAME);
    (
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        std::fs::read(&path).unwrap(),
    )
}

/// Issue 19, part 5: someone guessing at the passphrase, on the command line or at the lock
/// screen, leaves no trace in the file: no byte and not its modification time changes.
#[test]
fn a_wrong_passphrase_writes_nothing_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut v = Vault::open(dir.path()).unwrap();
        v.apply(
            Command::SetUp {
                my_name: "Robin".into(),
                partner_name: "Jordan".into(),
            },
            1,
        )
        .unwrap();
        v.save(1).unwrap();
        v.set_passphrase(&SecretString::from(PASS), &mut |_, _| {})
            .unwrap();
    }
    let before = file_state(dir.path());
    std::thread::sleep(Duration::from_millis(20));
    for wrong in ["", "not it", "river stones and quiet mornings "] {
        match Vault::open_with(dir.path(), Some(&SecretString::from(wrong))) {
            Err(VaultError::WrongPassphrase { .. }) => {}
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("{wrong:?} opened the data"),
        }
        assert!(
            file_state(dir.path()) == before,
            "opening with a wrong passphrase changed the file"
        );
    }

    // The lock screen: the worker starts locked and tries each passphrase it is given.
    let handle = spawn_at(dir.path(), loopback()).expect("open");
    assert!(handle.snapshot().lock.locked);
    let before = file_state(dir.path());
    std::thread::sleep(Duration::from_millis(20));
    handle.unlock(SecretString::from("not it"));
    processed(&handle);
    assert_eq!(
        handle.snapshot().lock.unlock_failed,
        Some((handle.sent(), UnlockFailure::WrongPassphrase))
    );
    assert!(
        file_state(dir.path()) == before,
        "a wrong passphrase at the lock screen changed the file"
    );
    handle.unlock(SecretString::from(PASS));
    processed(&handle);
    assert_eq!(handle.snapshot().view.my_name, "Robin");
    handle.shutdown();
}
