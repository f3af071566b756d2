//! Compaction beside typing: the vault folds its chunks on a thread of its own while saves go on, and nothing saved is lost or doubled.

use kintsugi_core::{Command, ItemId};
use kintsugi_service::Vault;
use kintsugi_store::DocKey;

fn entry(i: usize) -> Command {
    Command::AddJournalEntry {
        id: ItemId::from(format!("e{i:04}").as_str()),
        date: "2026-12-01".into(),
        mood: None,
        tags: vec![],
        text: format!("entry number {i}"),
        prompt: None,
    }
}

#[test]
fn saves_go_on_while_a_compaction_runs_and_every_entry_survives() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path()).unwrap();
    // Past the 256-chunk threshold several times over, so compactions start while saves go on.
    let n = 900;
    for i in 0..n {
        vault.apply(entry(i), i as i64).unwrap();
        vault.save(i as i64).unwrap();
    }
    // Dropping the vault waits for the compaction it started.
    drop(vault);
    let store_stats = {
        let v = Vault::open(dir.path()).unwrap();
        let s = v.store().doc_stats(DocKey::Private).unwrap();
        let ids: Vec<String> = v.view().journal.into_iter().map(|e| e.id.0).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), n, "an entry was lost");
        assert_eq!(ids.len(), n, "an entry was doubled");
        s
    };
    assert!(store_stats.snapshot_bytes > 0, "compacted at least once");
    assert!(
        store_stats.chunk_count <= 256,
        "{} chunks left uncompacted",
        store_stats.chunk_count
    );
}
