//! Prints what erasing a deleted private item costs after a year of use: the rebuild of the private document, the store's fresh file, and the other own device taking the rebuilt document.
//!
//! `cargo bench -p kintsugi-service --bench erase` (set KINTSUGI_BENCH_DAYS to change the span).

use std::time::Instant;

mod common;

use common::Year;
use kintsugi_core::automerge::ActorId;
use kintsugi_core::{Command, DocKind, Model};
use kintsugi_service::now_ms;
use kintsugi_store::DocKey;

fn main() {
    let Year {
        dir,
        mut vault,
        days,
        ..
    } = common::generate(common::days_from_env());
    let before = vault.store().doc_stats(DocKey::Private).unwrap();
    let file_before = std::fs::metadata(vault.store().path()).unwrap().len();
    let view = vault.view();
    println!(
        "data set: {days} days, {} journal entries, private document {} B stored",
        view.journal.len(),
        before.snapshot_bytes + before.chunk_bytes
    );
    // The other own device: the same private document, before the deletion.
    let me = vault.me().clone();
    let couple = vault.model_mut().doc_mut(DocKind::Couple).save();
    let old_private = vault.model_mut().doc_mut(DocKind::Private).save();
    let agreed = vault.model_mut().doc_mut(DocKind::Private).get_heads();

    let id = view.journal[view.journal.len() / 2].id.clone();
    vault
        .apply(Command::DeleteJournalEntry { id }, now_ms())
        .unwrap();
    let t = Instant::now();
    vault.save(now_ms()).unwrap();
    let erase = t.elapsed();
    let after = vault.store().doc_stats(DocKey::Private).unwrap();
    let file_after = std::fs::metadata(vault.store().path()).unwrap().len();
    println!(
        "erase on delete (rebuild + fresh file, on the worker): {:.0} ms; private document {} B -> {} B, file {} B -> {} B",
        erase.as_secs_f64() * 1e3,
        before.snapshot_bytes + before.chunk_bytes,
        after.snapshot_bytes + after.chunk_bytes,
        file_before,
        file_after
    );

    let rebuilt = vault.model_mut().doc_mut(DocKind::Private).save();
    let mut other = Model::open(Some(&couple), Some(&old_private), me, ActorId::random()).unwrap();
    let t = Instant::now();
    assert!(other.adopt_private(&rebuilt, &agreed, now_ms()).unwrap());
    let adopt = t.elapsed();
    println!(
        "the other own device taking the rebuilt document (load + replay, before its own fresh file): {:.0} ms",
        adopt.as_secs_f64() * 1e3
    );
    drop(vault);
    drop(dir);
}
