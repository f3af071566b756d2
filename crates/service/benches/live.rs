//! Live sync latency between two engines paired over loopback: how long until a change made on
//! one device shows in the other device's snapshot.
//!
//! Opens real iroh endpoints, so it runs only inside a loopback-only network namespace:
//! `tests/offline-net cargo bench -p kintsugi-service --bench live`

use std::time::{Duration, Instant};

use kintsugi_core::{Command, ItemId, WinKind};
mod loopback;
use loopback::{engine, pair, pct, require_loopback_only};

fn main() {
    require_loopback_only();
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = engine(da.path(), "Sam", "Alex");
    let b = engine(db.path(), "Alex", "Sam");
    let paired_in = pair(&a, &b);
    println!(
        "pairing (invite → both show the safety code): {:.0} ms",
        paired_in.as_secs_f64() * 1e3
    );

    let rounds = 40;
    let mut committed = Vec::new();
    let mut typed = Vec::new();
    for i in 0..rounds {
        // A discrete action is committed and pushed at once.
        let text = format!("appreciation {i}");
        let t = Instant::now();
        a.send(Command::AddWin {
            id: ItemId::random(),
            kind: WinKind::Appreciation,
            text: text.clone(),
        });
        b.wait_for(Duration::from_secs(10), |s| {
            s.view.wins.iter().any(|w| w.text == text)
        })
        .expect("arrived");
        committed.push(t.elapsed());
        // Typing is committed at the first 250 ms pause, then pushed.
        let marker = format!("[{i}]");
        let t = Instant::now();
        b.send(Command::SpliceSection {
            section: "conflict".into(),
            pos: 0,
            delete: 0,
            insert: marker.clone(),
        });
        a.wait_for(Duration::from_secs(10), |s| {
            s.view.agreement.iter().any(|x| x.body.contains(&marker))
        })
        .expect("arrived");
        typed.push(t.elapsed());
    }
    println!("\nchange on one device → visible on the other ({rounds} each, loopback):");
    println!(
        "  discrete action (committed at once):   p50 {:>6.1} ms   p99 {:>6.1} ms",
        pct(&mut committed, 0.5),
        pct(&mut committed, 0.99)
    );
    println!(
        "  typing (committed after a 250 ms pause): p50 {:>6.1} ms   p99 {:>6.1} ms",
        pct(&mut typed, 0.5),
        pct(&mut typed, 0.99)
    );
    a.shutdown();
    b.shutdown();
}
