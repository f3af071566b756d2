//! Keystroke → durable on the installed data: a typing batch applied and saved, p50/p99/max, and the longest stall while typing through a compaction.

use std::time::{Duration, Instant};

use kintsugi_core::{Command, ItemId};
use kintsugi_service::dataset::{self, Dataset};
use kintsugi_service::{Vault, now_ms};
use kintsugi_store::DocKey;

use crate::table::{Measure, ms, pct};

/// Characters typed between two commits: about what a person types before a 250 ms pause.
const BATCH: usize = 12;
/// Batches in the percentile figures.
const BATCHES: usize = 300;
/// Typing goes on past `BATCHES` until a compaction committed (it may run for seconds beside
/// the typing), at most this long.
const MAX_TYPING: Duration = Duration::from_secs(120);

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let dir = tempfile::tempdir().expect("temp dir");
    dataset::install(ds, dir.path()).expect("install");
    let mut vault = Vault::open(dir.path()).expect("open");
    let id = ItemId::from("perf-typing-entry");
    vault
        .apply(
            Command::AddJournalEntry {
                id: id.clone(),
                date: "2026-11-30".into(),
                mood: Some(3),
                tags: vec![],
                text: String::new(),
                prompt: None,
            },
            now_ms(),
        )
        .expect("new entry");
    vault.save(now_ms()).expect("save");
    let chunks =
        |v: &Vault| DocKey::ALL.map(|k| v.store().doc_stats(k).map_or(0, |s| s.chunk_count));
    let mut last = chunks(&vault);
    let mut compactions = 0;
    let mut lat: Vec<Duration> = Vec::new();
    // The save alone (commit + incremental chunk + durable write), apart from the twelve
    // keystrokes' `apply`.
    let mut saves: Vec<Duration> = Vec::new();
    let mut i = 0;
    let started = Instant::now();
    while i < BATCHES || (compactions == 0 && started.elapsed() < MAX_TYPING) {
        let t = Instant::now();
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
                .expect("splice");
        }
        let s = Instant::now();
        vault.save(now_ms()).expect("durable save");
        saves.push(s.elapsed());
        lat.push(t.elapsed());
        // Outside the clock: a chunk count that went down means a compaction committed.
        let now = chunks(&vault);
        compactions += now.iter().zip(&last).filter(|(n, l)| n < l).count();
        last = now;
        i += 1;
    }
    let stall = lat.iter().max().copied().unwrap_or_default().as_secs_f64() * 1e3;
    let mut first = lat[..BATCHES.min(lat.len())].to_vec();
    let (p50, p99, max) = (
        pct(&mut first, 0.5),
        pct(&mut first, 0.99),
        pct(&mut first, 1.0),
    );
    drop(vault);
    vec![
        Measure::new(
            "keystroke → durable, batch apply + save, p50 / p99",
            "≤ 2 ms / ≤ 2 ms",
            format!("{} / {}", ms(p50), ms(p99)),
            Some(p50 <= 2.0 && p99 <= 2.0),
        ),
        Measure::info("keystroke → durable, max of 300 batches", ms(max)),
        {
            let mut first = saves[..BATCHES.min(saves.len())].to_vec();
            let (p50, p99) = (pct(&mut first, 0.5), pct(&mut first, 0.99));
            Measure::info(
                "… of which the batch commit (save: commit + durable write), p50 / p99",
                format!("{} / {}", ms(p50), ms(p99)),
            )
        },
        Measure::new(
            "longest stall typing through a compaction",
            "no stall (≤ 2 ms)",
            if compactions == 0 {
                format!(
                    "no compaction committed in {} batches ({:.0} s); max {}",
                    lat.len(),
                    started.elapsed().as_secs_f64(),
                    ms(stall)
                )
            } else {
                format!(
                    "{} ({compactions} compaction(s), {} batches)",
                    ms(stall),
                    lat.len()
                )
            },
            Some(compactions > 0 && stall <= 2.0),
        ),
    ]
}
