//! The worker: commands become durable, typing is batched, refusals are reported.

use std::time::Duration;

use kintsugi_core::{Command, DocKind, ItemId};
use kintsugi_service::{SaveState, Vault, spawn};

#[test]
fn typing_is_batched_and_saved_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(Vault::open(dir.path()).unwrap());
    handle.send(Command::SetUp {
        my_name: "Sam".into(),
        partner_name: "Alex".into(),
    });
    for (i, c) in "We pause for twenty minutes.".chars().enumerate() {
        handle.send(Command::SpliceSection {
            section: "conflict".into(),
            pos: i,
            delete: 0,
            insert: c.to_string(),
        });
    }
    assert!(handle.wait_saved(Duration::from_secs(10)));
    assert!(matches!(
        handle.snapshot().save,
        SaveState::Saved { at: Some(_) }
    ));
    handle.shutdown();

    let mut vault = Vault::open(dir.path()).unwrap();
    let body = vault
        .view()
        .agreement
        .into_iter()
        .find(|s| s.id == "conflict")
        .unwrap()
        .body;
    assert_eq!(body, "We pause for twenty minutes.");
    // Batched: far fewer changes than keystrokes.
    let changes = vault
        .model_mut()
        .doc_mut(DocKind::Couple)
        .get_changes(&[])
        .len();
    assert!(changes < 10, "{changes} changes for 28 keystrokes");
}

#[test]
fn refused_commands_are_reported_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let handle = spawn(Vault::open(dir.path()).unwrap());
    handle.send(Command::DeleteJournalEntry {
        id: ItemId::random(),
    });
    assert!(handle.wait_saved(Duration::from_secs(10)));
    let (at, refusal) = handle.snapshot().last_error.clone().expect("reported");
    let msg = refusal.to_string();
    assert_eq!(at, 1);
    assert!(msg.contains("no journal entry"), "{msg}");
    handle.shutdown();
}

#[test]
fn a_second_vault_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Vault::open(dir.path()).unwrap();
    let err = Vault::open(dir.path()).err().expect("refused").to_string();
    assert!(err.contains("already open"), "{err}");
}

#[test]
fn the_first_snapshot_already_holds_the_stored_network_settings() {
    // Settings fills its boxes from the first snapshot it sees; defaults there could be
    // applied back over what the person chose.
    let dir = tempfile::tempdir().unwrap();
    let want = kintsugi_service::NetworkSettings {
        relay_url: Some("https://relay.example.org".into()),
        port_mapping: true,
    };
    {
        let v = Vault::open(dir.path()).unwrap();
        v.set_network_settings(&want).unwrap();
    }
    let handle = spawn(Vault::open(dir.path()).unwrap());
    assert_eq!(handle.snapshot().sync.settings, want);
    handle.shutdown();
}
