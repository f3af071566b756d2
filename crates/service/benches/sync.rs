//! Sync cost, sans-IO: the real sessions exchange encoded frames in memory, so round trips and wire bytes are exact and time is CPU only.
//!
//! `cargo bench -p kintsugi-service --bench sync` (KINTSUGI_BENCH_DAYS sets the data set's span).
//! Prints the first full sync to a new device against the compacted documents, and reconnects
//! after N changes on each side against the deflated size of the changes each side lacked.

mod common;

// The perf example's wire module: one definition of how frames, bytes and round trips are
// counted, for this bench and for the perf table.
#[allow(dead_code)]
#[path = "../examples/perf/table.rs"]
mod table;
#[allow(dead_code)]
#[path = "../examples/perf/wire.rs"]
mod wire;

use std::time::Instant;

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{DocKind, Model, PartnerId};

fn open(couple: &[u8], private: &[u8], who: &PartnerId) -> wire::Docs {
    wire::Docs(Model::open(Some(couple), Some(private), who.clone(), ActorId::random()).unwrap())
}

fn main() {
    let year = common::generate(common::days_from_env());
    let mut vault = year.vault;
    let mut partner = year.partner;
    println!(
        "data set: {} days, generated in {:.1} s",
        year.days, year.seconds
    );
    let me = vault.me().clone();
    let couple = vault.model_mut().doc_mut(DocKind::Couple).save();
    let private = vault.model_mut().doc_mut(DocKind::Private).save();
    let theirs = partner.me().clone();
    let partner_couple = partner.doc_mut(DocKind::Couple).save();
    let partner_private = partner.doc_mut(DocKind::Private).save();

    let started = Instant::now();
    let (x, compacted) = wire::first_full_sync(open(&couple, &private, &me), &me);
    println!("\nfirst full sync of the data set to a new own device (goal ≤ 1.1× compacted):");
    println!(
        "  {:.1} KiB on the wire for {:.1} KiB compacted (save()): {:.2}×; {} round trips, {} flights until quiet, {:.0} ms",
        x.bytes as f64 / 1024.0,
        compacted as f64 / 1024.0,
        x.bytes as f64 / compacted as f64,
        x.round_trips(),
        x.flights,
        started.elapsed().as_secs_f64() * 1e3
    );

    println!(
        "\nreconnect after N changes on each side (partner devices, persisted sync states; goal for a week apart, N ≈ {}: ≤ 2 round trips, ≤ 1.2×):",
        wire::WEEK_CHANGES
    );
    println!(
        "  {:>5}  {:>11}  {:>7}  {:>12}  {:>16}  {:>6}  {:>9}",
        "N", "round trips", "flights", "wire bytes", "missing changes", "ratio", "time"
    );
    for n in [10usize, 100, wire::WEEK_CHANGES, 1000] {
        let mut a = open(&couple, &private, &me);
        let mut b = open(&partner_couple, &partner_private, &theirs);
        let started = Instant::now();
        let (x, missing) = wire::reconnect_after(&mut a, &mut b, n);
        println!(
            "  {:>5}  {:>11}  {:>7}  {:>8.1} KiB  {:>12.1} KiB  {:>5.2}×  {:>6.1} ms",
            n,
            x.round_trips(),
            x.flights,
            x.bytes as f64 / 1024.0,
            missing as f64 / 1024.0,
            x.bytes as f64 / missing as f64,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    println!(
        "  (round trips: until both sides hold the same heads, both sending at once; flights: one-way, until quiet;\n   missing changes = both sides' new changes as automerge change chunks, deflated: about the least any sync could send;\n   time includes syncing the two devices first and typing the N changes)"
    );
}
