//! "I'm triggered" latency between two engines paired over loopback: how long from raising a
//! trigger on one device until the partner's device shows it (in its snapshot, with the
//! reassurance plan), and until the "I'm here" comes back.
//!
//! Opens real iroh endpoints, so it runs only inside a loopback-only network namespace:
//! `tests/offline-net cargo bench --locked --bench trigger`. Rounds: `KINTSUGI_BENCH_ROUNDS`
//! (default 20).

use std::time::{Duration, Instant};

use kintsugi_core::{Command, ItemId};
mod loopback;
use loopback::{engine, pair, pct, require_loopback_only};

fn main() {
    require_loopback_only();
    let rounds: usize = std::env::var("KINTSUGI_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20);
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(da.path(), "Sam", "Alex");
    let b = engine(db.path(), "Alex", "Sam");
    pair(&a, &b);

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
