//! The view cache: a window opens on the last view at once, loads the documents behind it, and never trusts a cache that does not match what is stored.

use std::time::Duration;

use kintsugi_core::{Command, ItemId};
use kintsugi_service::{NetOptions, Vault, spawn_at};

fn set_up_with_an_entry(dir: &std::path::Path, text: &str) {
    let handle = spawn_at(dir, NetOptions::default()).unwrap();
    handle.send(Command::SetUp {
        my_name: "Sam".into(),
        partner_name: "Alex".into(),
    });
    handle.send(Command::AddJournalEntry {
        id: ItemId::random(),
        date: "2026-12-01".into(),
        mood: Some(3),
        tags: vec![],
        text: text.into(),
        prompt: None,
    });
    assert!(handle.wait_saved(Duration::from_secs(10)));
    // Closing writes the cache.
    handle.shutdown();
}

fn journal_texts(view: &kintsugi_core::View) -> Vec<String> {
    view.journal.iter().map(|e| e.text.clone()).collect()
}

#[test]
fn a_closed_window_reopens_on_its_cached_view_then_the_loaded_one() {
    let dir = tempfile::tempdir().unwrap();
    set_up_with_an_entry(dir.path(), "the walk helped");

    let opened = Vault::open_store(dir.path(), None).unwrap();
    let cached = opened.cached_view().expect("written at close");
    assert_eq!(journal_texts(&cached.view), ["the walk helped"]);
    assert_eq!(cached.view.my_name, "Sam");
    drop(opened);

    let handle = spawn_at(dir.path(), NetOptions::default()).unwrap();
    let first = handle.snapshot();
    assert_eq!(journal_texts(&first.view), ["the walk helped"]);
    // Loaded behind it: the same data, now from the documents, and commands work.
    let loaded = handle
        .wait_for(Duration::from_secs(10), |s| !s.loading)
        .expect("the documents load");
    assert!(loaded.open_error.is_none());
    assert_eq!(journal_texts(&loaded.view), ["the walk helped"]);
    assert!(loaded.revision > first.revision || !first.loading);
    handle.send(Command::SaveDailyCheckIn {
        date: "2026-12-02".into(),
        answers: kintsugi_core::DailyAnswers {
            mood: 4,
            connection: 4,
            safety: 4,
            high: String::new(),
            low: String::new(),
            need: String::new(),
        },
    });
    assert!(handle.wait_saved(Duration::from_secs(10)));
    assert_eq!(handle.snapshot().view.daily_checkins.len(), 1);
    handle.shutdown();
}

#[test]
fn a_cache_that_no_longer_matches_the_documents_is_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    set_up_with_an_entry(dir.path(), "first words");
    // Another program (an older Kintsugi, the command line) writes without updating the cache.
    {
        let mut vault = Vault::open(dir.path()).unwrap();
        let id = vault.view().journal[0].id.clone();
        vault
            .apply(
                Command::SpliceJournalText {
                    id,
                    pos: 0,
                    delete: 5,
                    insert: "other".into(),
                },
                1_700_000_000_000,
            )
            .unwrap();
        vault.save(1_700_000_000_000).unwrap();
    }
    let opened = Vault::open_store(dir.path(), None).unwrap();
    assert!(opened.cached_view().is_none(), "stale caches are not read");
    drop(opened);
    let handle = spawn_at(dir.path(), NetOptions::default()).unwrap();
    let first = handle.snapshot();
    // Without a cache nothing stale is shown: an empty view until the documents are loaded.
    if first.loading {
        assert!(first.view.journal.is_empty(), "a stale cache was shown");
    }
    let loaded = handle
        .wait_for(Duration::from_secs(10), |s| !s.loading)
        .expect("the documents load");
    assert_eq!(journal_texts(&loaded.view), ["other words"]);
    handle.shutdown();
}

#[test]
fn a_cache_written_while_idle_matches_and_typing_after_it_makes_it_stale() {
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::open(dir.path()).unwrap();
    vault
        .apply(
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            1,
        )
        .unwrap();
    let view = vault.view();
    let heads = vault.heads();
    assert!(
        !vault.write_view_cache(&view, &heads),
        "unsaved: not written"
    );
    vault.save(2).unwrap();
    let heads = vault.heads();
    assert!(vault.write_view_cache(&view, &heads));
    assert!(!vault.view_cache_stale());
    drop(vault);
    let opened = Vault::open_store(dir.path(), None).unwrap();
    let cached = opened.cached_view().expect("matches");
    assert_eq!(cached.heads, heads);
}
