//! Two engines paired over loopback, for the latency benchmarks (`live`, `trigger`).

use std::time::{Duration, Instant};

use kintsugi_core::Command;
use kintsugi_service::{Handle, NetOptions, NetRequest, PairingOutcome, Vault, spawn_with};

/// Refuses to run outside a loopback-only namespace: these benchmarks open real endpoints.
pub fn require_loopback_only() {
    if !kintsugi_service::loopback_only_network() {
        eprintln!("run inside tests/offline-net: this benchmark opens network endpoints");
        std::process::exit(2);
    }
}

/// An engine on 127.0.0.1, set up as `name` with partner `partner`.
pub fn engine(dir: &std::path::Path, name: &str, partner: &str) -> Handle {
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

/// Pairs `b` to `a` as partners; returns how long it took (invite → both paired).
pub fn pair(a: &Handle, b: &Handle) -> Duration {
    let t = Instant::now();
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
    t.elapsed()
}

/// The `p` quantile (0..1) in milliseconds.
pub fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e3
}
