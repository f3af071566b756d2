//! "I'm triggered" latency between two engines paired over loopback: how long from raising a
//! trigger on one device until the partner's device shows it (in its snapshot, with the
//! reassurance plan), and until the "I'm here" comes back.
//!
//! Opens real iroh endpoints, so it runs only inside a loopback-only network namespace:
//! `tests/offline-net cargo bench --locked --bench trigger`. Rounds: `KINTSUGI_BENCH_ROUNDS`
//! (default 20).

use std::time::{Duration, Instant};

use kintsugi_core::{Command, ItemId};
use kintsugi_service::{Handle, NetOptions, NetRequest, PairingOutcome, Vault, spawn_with};

fn engine(dir: &std::path::Path, name: &str, partner: &str) -> Handle {
    let h = spawn_with(
        Vault::open(dir).expect("open"),
        NetOptions {
            bind: Some(vec!["127.0.0.1:0".parse().expect("addr")]),
            port: None,
            mdns: false,
            start: true,
        },
    );
    h.send(Command::SetUp {
        my_name: name.into(),
        partner_name: partner.into(),
    });
    assert!(h.wait_saved(Duration::from_secs(10)));
    h
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e3
}

fn main() {
    if !kintsugi_service::loopback_only_network() {
        eprintln!("run inside tests/offline-net: this benchmark opens network endpoints");
        std::process::exit(2);
    }
    let rounds: usize = std::env::var("KINTSUGI_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(da.path(), "Sam", "Alex");
    let b = engine(db.path(), "Alex", "Sam");
    a.net(NetRequest::Invite { own_device: false });
    let code = a
        .wait_for(Duration::from_secs(20), |s| s.sync.invite.is_some())
        .and_then(|s| s.sync.invite.clone())
        .expect("invite")
        .code;
    b.net(NetRequest::Join { code });
    let paired = |s: &kintsugi_service::Snapshot| {
        matches!(s.sync.outcome, Some(PairingOutcome::Paired { .. }))
    };
    a.wait_for(Duration::from_secs(20), paired)
        .expect("A paired");
    b.wait_for(Duration::from_secs(20), paired)
        .expect("B paired");

    // The plan both agreed on, present on both before the rounds start.
    let plan = "Sit beside me. Tell me you are staying.";
    b.send(Command::SpliceReassurancePlan {
        pos: 0,
        delete: 0,
        insert: plan.into(),
    });
    a.wait_for(Duration::from_secs(20), |s| s.view.reassurance_plan == plan)
        .expect("the plan arrived");

    let mut shown = Vec::with_capacity(rounds);
    let mut acked = Vec::with_capacity(rounds);
    for i in 0..rounds {
        // Alternate who is triggered: both directions count.
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let id = ItemId::random();
        let t = Instant::now();
        from.send(Command::RaiseTrigger {
            id: id.clone(),
            note: format!("round {i}"),
        });
        to.wait_for(Duration::from_secs(10), |s| {
            s.view.triggers.iter().any(|x| x.id == id) && s.view.reassurance_plan == plan
        })
        .expect("the trigger arrived");
        shown.push(t.elapsed());
        let t = Instant::now();
        to.send(Command::AcknowledgeTrigger { id: id.clone() });
        from.wait_for(Duration::from_secs(10), |s| {
            s.view
                .triggers
                .iter()
                .any(|x| x.id == id && x.acknowledged_at.is_some())
        })
        .expect("the acknowledgement arrived");
        acked.push(t.elapsed());
    }
    println!("\n\"I'm triggered\" over loopback ({rounds} rounds, both directions):");
    println!(
        "  raised on one device → shown on the partner's (with the plan): p50 {:>6.1} ms   p99 {:>6.1} ms",
        pct(&mut shown, 0.5),
        pct(&mut shown, 0.99)
    );
    println!(
        "  \"I'm here\" on the partner's device → shown to the one who raised it: p50 {:>6.1} ms   p99 {:>6.1} ms",
        pct(&mut acked, 0.5),
        pct(&mut acked, 0.99)
    );
    a.shutdown();
    b.shutdown();
}
