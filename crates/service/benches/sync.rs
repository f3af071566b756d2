//! Sync cost, sans-IO: the real sessions exchange encoded frames in memory, so round trips and
//! wire bytes are exact and time is CPU only (loopback adds ~0.05 ms per round trip here).
//!
//! `cargo bench -p kintsugi-service --bench sync` (KINTSUGI_BENCH_DAYS sets the data set's span).

mod common;

use std::time::{Duration, Instant};

use kintsugi_core::automerge::{AutoCommit, ChangeHash};
use kintsugi_core::{Command, DocKind, Model};
use kintsugi_sync::session::{DocAccess, DocName, Frame, Scope, Session};

struct Docs {
    couple: AutoCommit,
    private: AutoCommit,
}

impl DocAccess for Docs {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(match name {
            DocName::Couple => &mut self.couple,
            DocName::Private => &mut self.private,
        })
    }
}

#[derive(Default, Debug)]
struct Exchange {
    flights: usize,
    bytes: usize,
    time: Duration,
}

/// Runs two sessions until neither has anything to send.
fn exchange(a: &mut Session, da: &mut Docs, b: &mut Session, db: &mut Docs) -> Exchange {
    let start = Instant::now();
    let mut x = Exchange::default();
    let mut to_b: Vec<Frame> = a.start();
    to_b.extend(a.poll(da));
    let mut to_a: Vec<Frame> = b.start();
    to_a.extend(b.poll(db));
    // Both hellos travel at once: count that as one flight.
    x.flights = 1;
    x.bytes += to_b
        .iter()
        .chain(&to_a)
        .map(|f| f.encode().len())
        .sum::<usize>();
    for _ in 0..200 {
        let mut next_a = Vec::new();
        for f in to_b.drain(..) {
            let f = Frame::decode(&f.encode()).expect("round trip");
            b.receive(f, db).expect("valid frame");
        }
        next_a.extend(b.poll(db));
        for f in to_a.drain(..) {
            let f = Frame::decode(&f.encode()).expect("round trip");
            a.receive(f, da).expect("valid frame");
        }
        let next_b = a.poll(da);
        if next_a.is_empty() && next_b.is_empty() {
            break;
        }
        x.flights += 1;
        x.bytes += next_a
            .iter()
            .chain(&next_b)
            .map(|f| f.encode().len())
            .sum::<usize>();
        to_a = next_a;
        to_b = next_b;
    }
    x.time = start.elapsed();
    x
}

fn deflated_len(bytes: &[u8]) -> usize {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory").len()
}

fn heads(d: &mut AutoCommit) -> Vec<ChangeHash> {
    d.get_heads()
}

fn main() {
    let year = common::generate(common::days_from_env());
    let mut vault = year.vault;
    let mut partner = year.partner;
    println!(
        "data set: {} days, generated in {:.1} s",
        year.days, year.seconds
    );

    // First full sync of this device's documents to a brand-new own device.
    let mut mine = Docs {
        couple: vault.model_mut().doc_mut(DocKind::Couple).fork(),
        private: vault.model_mut().doc_mut(DocKind::Private).fork(),
    };
    let fresh = Model::open(
        None,
        None,
        vault.me().clone(),
        kintsugi_core::automerge::ActorId::random(),
    )
    .unwrap();
    let mut newdev = Docs {
        couple: fresh.doc(DocKind::Couple).clone(),
        private: fresh.doc(DocKind::Private).clone(),
    };
    let (ida, idb) = ([1u8; 32], [2u8; 32]);
    let mut sa = Session::new(ida, Scope::OwnDevice, []);
    let mut sb = Session::new(idb, Scope::OwnDevice, []);
    let x = exchange(&mut sa, &mut mine, &mut sb, &mut newdev);
    assert_eq!(heads(&mut mine.couple), heads(&mut newdev.couple));
    assert_eq!(heads(&mut mine.private), heads(&mut newdev.private));
    let doc_bytes = mine.couple.save().len() + mine.private.save().len();
    println!("\nfirst full sync of the data set to a new own device:");
    println!(
        "  {} round trips, {:.1} KiB on the wire (documents saved: {:.1} KiB), {:.0} ms",
        x.flights.div_ceil(2),
        x.bytes as f64 / 1024.0,
        doc_bytes as f64 / 1024.0,
        x.time.as_secs_f64() * 1e3
    );

    // Reconnect after N changes on each side, with the sync states both sides kept.
    println!("\nreconnect after N changes on each side (partner devices, persisted sync states):");
    println!(
        "  {:>5}  {:>11}  {:>12}  {:>16}  {:>9}",
        "N", "round trips", "wire bytes", "missing changes", "time"
    );
    let mut da = Docs {
        couple: vault.model_mut().doc_mut(DocKind::Couple).fork(),
        private: AutoCommit::new(),
    };
    let mut db = Docs {
        couple: partner.doc_mut(DocKind::Couple).fork(),
        private: AutoCommit::new(),
    };
    let mut sa = Session::new(ida, Scope::Partner, []);
    let mut sb = Session::new(idb, Scope::Partner, []);
    exchange(&mut sa, &mut da, &mut sb, &mut db);
    let mut states_a = sa.sync_states();
    let mut states_b = sb.sync_states();
    for n in [10usize, 100, 1000] {
        let common_heads = heads(&mut da.couple);
        assert_eq!(common_heads, heads(&mut db.couple));
        // Each side makes N separate changes (N typing pauses) while apart.
        for (docs, model_me, word) in [
            (&mut da, vault.me().clone(), "sam "),
            (&mut db, partner.me().clone(), "alex "),
        ] {
            let mut m = Model::open(
                Some(&docs.couple.save()),
                None,
                model_me,
                kintsugi_core::automerge::ActorId::random(),
            )
            .unwrap();
            for i in 0..n {
                m.apply(
                    Command::SpliceSection {
                        section: "conflict".into(),
                        pos: 0,
                        delete: 0,
                        insert: word.into(),
                    },
                    1_800_000_000_000 + i as i64,
                )
                .unwrap();
                m.commit(1_800_000_000_000 + i as i64);
            }
            let mut theirs = m.doc_mut(DocKind::Couple).fork();
            docs.couple.merge(&mut theirs).unwrap();
        }
        let mut raw = da.couple.save_after(&common_heads);
        raw.extend(db.couple.save_after(&common_heads));
        let missing = deflated_len(&raw);
        let mut sa = Session::new(ida, Scope::Partner, states_a.clone());
        let mut sb = Session::new(idb, Scope::Partner, states_b.clone());
        let x = exchange(&mut sa, &mut da, &mut sb, &mut db);
        assert_eq!(heads(&mut da.couple), heads(&mut db.couple), "converged");
        println!(
            "  {:>5}  {:>11}  {:>10.1} KiB  {:>12.1} KiB  {:>6.1} ms",
            n,
            x.flights.div_ceil(2),
            x.bytes as f64 / 1024.0,
            missing as f64 / 1024.0,
            x.time.as_secs_f64() * 1e3
        );
        states_a = sa.sync_states();
        states_b = sb.sync_states();
    }
    println!(
        "  (missing changes = both sides' new changes as automerge change chunks, deflated: about the least any sync could send)"
    );
}
