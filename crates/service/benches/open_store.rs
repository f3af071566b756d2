//! Prints open-store → documents loaded → first-frame figures for one year of use by two partners, the same bytes through a bare automerge load, and the latency of a durable keystroke batch, without and with a passphrase (encryption at rest), side by side.
//!
//! `cargo bench -p kintsugi-service --bench open_store` (set KINTSUGI_BENCH_DAYS to change the span).

use std::time::{Duration, Instant};

mod common;

use common::{BATCH, Year};
use kintsugi_core::automerge::{ActorId, Automerge};
use kintsugi_core::{Command, Model, PartnerId};
use kintsugi_service::{Vault, now_ms};
use kintsugi_store::{DocKey, KdfParams, SecretString, Store};

fn main() {
    let Year {
        dir,
        vault,
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

    let plain = measure(vault, dir.path(), None, days);

    // The same data with a passphrase set (the store rewritten sealed), measured the same way.
    let pass = SecretString::from("correct horse battery staple, benchmark");
    let t0 = Instant::now();
    {
        let v = Vault::open(dir.path()).unwrap();
        v.set_passphrase(&pass, &mut |_, _| {}).unwrap();
    }
    let encrypt_all = t0.elapsed();
    let mut unlock = Vec::new();
    for _ in 0..5 {
        let store = Store::open(dir.path()).unwrap();
        let t = Instant::now();
        store.unlock(&pass).unwrap();
        unlock.push(t.elapsed());
    }
    let unlock = med(&mut unlock);
    let vault = Vault::open_with(dir.path(), Some(&pass)).unwrap();
    let sealed = measure(vault, dir.path(), Some(&pass), days);

    println!("\n                          plain    encrypted   ratio");
    let row = |name: &str, a: f64, b: f64| {
        println!("  {name:<22} {a:>8.2} ms {b:>8.2} ms   {:.2}x", b / a)
    };
    row("store open", plain.open, sealed.open);
    row("documents read", plain.load, sealed.load);
    row("first-frame data", plain.first, sealed.first);
    row("commit p50", plain.p50, sealed.p50);
    row("commit p99", plain.p99, sealed.p99);
    row("commit max", plain.max, sealed.max);
    println!(
        "  bare Automerge::load   {:>8.2} ms;  first-frame / bare load: plain {:.2}, encrypted {:.2}",
        plain.bare,
        plain.first / plain.bare,
        sealed.first / plain.bare
    );
    println!(
        "  unlock (Argon2id m={} KiB t={} p={}, once per open, not in the rows above): {unlock:.0} ms",
        KdfParams::DEFAULT.m_kib,
        KdfParams::DEFAULT.t,
        KdfParams::DEFAULT.p
    );
    println!(
        "  setting the passphrase (every value sealed, fresh file): {:.0} ms",
        encrypt_all.as_secs_f64() * 1e3
    );
}

struct Figures {
    open: f64,
    load: f64,
    first: f64,
    bare: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

fn med(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

/// Durable keystroke-batch commits, then cold opens to the first frame's data. With a
/// passphrase, each open unlocks before the clock starts (the KDF is printed on its own).
fn measure(
    mut vault: Vault,
    dir: &std::path::Path,
    pass: Option<&SecretString>,
    days: i64,
) -> Figures {
    let label = if pass.is_some() { "encrypted" } else { "plain" };
    let view = vault.view();
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
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (p50, p99, max) = (ms(pct(0.50)), ms(pct(0.99)), ms(lat[lat.len() - 1]));
    // Only one process (or handle) may hold the store: the cold opens below need it closed.
    drop(vault);

    let runs = 7;
    let (mut open, mut load, mut first, mut bare) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let t0 = Instant::now();
        let store = Store::open(dir).unwrap();
        let t1 = Instant::now();
        if let Some(p) = pass {
            store.unlock(p).unwrap();
        }
        let kdf = t1.elapsed();
        let c = store.load_doc(DocKey::Couple).unwrap().unwrap();
        let p = store.load_doc(DocKey::Private).unwrap().unwrap();
        let t2 = Instant::now();
        let m = Model::open(Some(&c), Some(&p), PartnerId::random(), ActorId::random()).unwrap();
        let v = m.view();
        let t4 = Instant::now();
        assert_eq!(v.journal.len(), days as usize);
        open.push(t1 - t0);
        load.push(t2 - t1 - kdf);
        first.push(t4 - t0 - kdf);
        let b0 = Instant::now();
        let _ = Automerge::load(&c).unwrap();
        let _ = Automerge::load(&p).unwrap();
        bare.push(b0.elapsed());
        drop(store);
    }
    let f = Figures {
        open: med(&mut open),
        load: med(&mut load),
        first: med(&mut first),
        bare: med(&mut bare),
        p50,
        p99,
        max,
    };
    println!(
        "\n{label}: open to first frame (median of {runs} cold opens), durable keystroke batch ({BATCH} chars) x {}:",
        lat.len()
    );
    println!(
        "  store open {:.2} ms, documents read {:.2} ms, first-frame data {:.2} ms, bare load {:.2} ms; commit p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        f.open, f.load, f.first, f.bare, f.p50, f.p99, f.max
    );
    f
}
