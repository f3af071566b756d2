//! A change on one device visible on the other: two engines with the installed data sets paired over loopback (as `benches/live.rs`, with years of data behind them).

use std::time::{Duration, Instant};

use kintsugi_core::{Command, ItemId, WinKind};
use kintsugi_service::dataset::{self, Dataset};
use kintsugi_service::{
    Handle, NetOptions, NetRequest, PairingOutcome, Snapshot, Vault, spawn_with,
};

use crate::table::{Measure, ms, pct};

const ROUNDS: usize = 30;
const WAIT: Duration = Duration::from_secs(60);

fn engine(dir: &std::path::Path) -> Handle {
    spawn_with(
        Vault::open(dir).expect("open"),
        NetOptions {
            bind: Some(vec!["127.0.0.1:0".parse().expect("addr")]),
            port: None,
            mdns: false,
            start: true,
        },
    )
}

/// Pairs `b` to `a` as partners; false when it did not happen in time.
fn pair(a: &Handle, b: &Handle) -> bool {
    a.net(NetRequest::Invite { own_device: false });
    let Some(code) = a
        .wait_for(WAIT, |s| s.sync.invite.is_some())
        .and_then(|s| s.sync.invite.clone())
    else {
        return false;
    };
    b.net(NetRequest::Join { code: code.code });
    let paired = |s: &Snapshot| matches!(s.sync.outcome, Some(PairingOutcome::Paired { .. }));
    a.wait_for(WAIT, paired).is_some() && b.wait_for(WAIT, paired).is_some()
}

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let what = "change visible on the other device (loopback), discrete, p50 / p99";
    let goal = "≤ 10 ms / ≤ 100 ms";
    let typing = "… typing, from the keystroke (incl. the 250 ms pause), p50 / p99";
    if !kintsugi_service::loopback_only_network() {
        let why = "not measured: run inside tests/offline-net".to_string();
        return vec![
            Measure::new(what, goal, why.clone(), None),
            Measure::info(typing, why),
        ];
    }
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    dataset::install(ds, da.path()).expect("install");
    dataset::install_partner(ds, db.path()).expect("install partner");
    let a = engine(da.path());
    let b = engine(db.path());
    let mut rows = Vec::new();
    if !pair(&a, &b) {
        rows.push(Measure::new(
            what,
            goal,
            "pairing failed".into(),
            Some(false),
        ));
    } else {
        // Right after pairing the devices first exchange what they hold (years of history,
        // with fresh sync states): timed on its own, not as a change's latency.
        let t = Instant::now();
        a.send(Command::AddWin {
            id: ItemId::from("perf-win-first"),
            kind: WinKind::Appreciation,
            text: "perf first".into(),
        });
        let first = b.wait_for(WAIT * 5, |s| {
            s.view.wins.iter().any(|w| w.text == "perf first")
        });
        rows.push(Measure::info(
            "first change after pairing (includes the first sync of the history)",
            match first {
                Some(_) => ms(t.elapsed().as_secs_f64() * 1e3),
                None => format!("not seen in {} s", (WAIT * 5).as_secs()),
            },
        ));
        let (mut committed, mut typed) = (Vec::new(), Vec::new());
        let mut lost = 0;
        for i in 0..ROUNDS {
            let text = format!("perf appreciation {i}");
            let t = Instant::now();
            a.send(Command::AddWin {
                id: ItemId::from(format!("perf-win-{i}").as_str()),
                kind: WinKind::Appreciation,
                text: text.clone(),
            });
            match b.wait_for(WAIT, |s| s.view.wins.iter().any(|w| w.text == text)) {
                Some(_) => committed.push(t.elapsed()),
                None => lost += 1,
            }
            let marker = format!("[perf {i}]");
            let t = Instant::now();
            b.send(Command::SpliceSection {
                section: "conflict".into(),
                pos: 0,
                delete: 0,
                insert: marker.clone(),
            });
            match a.wait_for(WAIT, |s| {
                s.view.agreement.iter().any(|x| x.body.contains(&marker))
            }) {
                Some(_) => typed.push(t.elapsed()),
                None => lost += 1,
            }
        }
        if committed.is_empty() || typed.is_empty() {
            rows.push(Measure::new(
                what,
                goal,
                "nothing arrived".into(),
                Some(false),
            ));
        } else {
            let (p50, p99) = (pct(&mut committed, 0.5), pct(&mut committed, 0.99));
            let lost_note = if lost > 0 {
                format!(", {lost} not seen in {} s", WAIT.as_secs())
            } else {
                String::new()
            };
            rows.push(Measure::new(
                what,
                goal,
                format!("{} / {}{lost_note}", ms(p50), ms(p99)),
                Some(p50 <= 10.0 && p99 <= 100.0 && lost == 0),
            ));
            rows.push(Measure::info(
                typing,
                format!(
                    "{} / {}",
                    ms(pct(&mut typed, 0.5)),
                    ms(pct(&mut typed, 0.99))
                ),
            ));
        }
    }
    a.shutdown();
    b.shutdown();
    rows
}
