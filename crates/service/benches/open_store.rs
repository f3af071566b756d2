//! Prints open-store → documents loaded → first-frame figures for one year of use by two partners,
//! the same bytes through a bare automerge load, and the latency of a durable keystroke batch.
//!
//! `cargo bench -p kintsugi-service --bench open_store` (set KINTSUGI_BENCH_DAYS to change the span).

use std::time::{Duration, Instant};

mod common;

use common::{BATCH, Year};
use kintsugi_core::automerge::{ActorId, Automerge};
use kintsugi_core::{Command, Model, PartnerId};
use kintsugi_service::now_ms;
use kintsugi_store::{DocKey, Store};

fn main() {
    let Year {
        dir,
        mut vault,
        days,
        seconds,
        ..
    } = common::generate(common::days_from_env());
    let view = vault.view();
    println!(
        "data set: {days} days, {} journal entries, {} check-ins, {} agreement sections, generated in {:.1} s",
        view.journal.len(),
        view.daily_checkins.len(),
        view.agreement.len(),
        seconds
    );
    for key in DocKey::ALL {
        let s = vault.store().doc_stats(key).unwrap();
        println!(
            "  {:<8} snapshot {:>8} B, {:>4} chunks {:>8} B",
            key.name(),
            s.snapshot_bytes,
            s.chunk_count,
            s.chunk_bytes
        );
    }

    // Keystroke batch commit latency: one batch of typing applied, then the durable save.
    let id = view.journal[0].id.clone();
    let mut lat = Vec::new();
    for i in 0..400 {
        for j in 0..BATCH {
            vault
                .apply(
                    Command::SpliceJournalText {
                        id: id.clone(),
                        pos: i * BATCH + j,
                        delete: 0,
                        insert: "x".into(),
                    },
                    now_ms(),
                )
                .unwrap();
        }
        let s = Instant::now();
        vault.save(now_ms()).unwrap();
        lat.push(s.elapsed());
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    drop(vault);

    // Cold open, repeated: store open → documents loaded (automerge) → first frame's view.
    let runs = 7;
    let (mut open, mut load, mut model, mut first, mut bare) =
        (vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t0 = Instant::now();
        let store = Store::open(dir.path()).unwrap();
        let t1 = Instant::now();
        let c = store.load_doc(DocKey::Couple).unwrap().unwrap();
        let p = store.load_doc(DocKey::Private).unwrap().unwrap();
        let t2 = Instant::now();
        let m = Model::open(Some(&c), Some(&p), PartnerId::random(), ActorId::random()).unwrap();
        let t3 = Instant::now();
        let v = m.view();
        let t4 = Instant::now();
        assert_eq!(v.journal.len(), days as usize);
        open.push(t1 - t0);
        load.push(t2 - t1);
        model.push(t3 - t2);
        first.push(t4 - t0);
        let b0 = Instant::now();
        let _ = Automerge::load(&c).unwrap();
        let _ = Automerge::load(&p).unwrap();
        bare.push(b0.elapsed());
        drop(store);
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    let (open, load, model, first, bare) = (
        med(&mut open),
        med(&mut load),
        med(&mut model),
        med(&mut first),
        med(&mut bare),
    );
    println!("\nopen to first frame (median of {runs} cold opens):");
    println!("  store open            {open:>8.2} ms");
    println!("  documents read (redb) {load:>8.2} ms");
    println!("  automerge load        {model:>8.2} ms");
    println!("  first-frame data      {first:>8.2} ms  (open + read + load + view)");
    println!("  bare Automerge::load  {bare:>8.2} ms  (same bytes)");
    println!("  ratio first-frame / bare load: {:.2}", first / bare);
    println!(
        "\nkeystroke batch ({BATCH} chars) durable commit, {} batches:",
        lat.len()
    );
    println!(
        "  p50 {:.3} ms   p99 {:.3} ms   max {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3
    );
}
