//! Open → first frame: the store opened, the view cache read and shown, the documents loaded behind it; against a bare automerge load of the same bytes.

use std::time::{Duration, Instant};

use kintsugi_core::automerge::Automerge;
use kintsugi_service::dataset::{self, Dataset};
use kintsugi_service::{NetOptions, Vault, spawn_at};

use crate::table::{Measure, ms, pct};

const RUNS: usize = 5;

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let dir = tempfile::tempdir().expect("temp dir");
    dataset::install(ds, dir.path()).expect("install");

    let mut bare = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let couple = Automerge::load(&ds.couple).expect("couple loads");
        let private = Automerge::load(&ds.private).expect("private loads");
        bare.push(t.elapsed());
        drop((couple, private));
    }
    let bare = pct(&mut bare, 0.5);

    // The first open after installing has no cache: the documents load before the first frame.
    let t = Instant::now();
    let handle = spawn_at(dir.path(), NetOptions::default()).expect("opens");
    assert!(handle.snapshot().view.journal.is_empty(), "no cache yet");
    handle
        .wait_for(Duration::from_secs(600), |s| !s.loading)
        .expect("the documents load");
    let uncached = t.elapsed();
    let t = Instant::now();
    handle.shutdown(); // writes the cache
    let cache_write = t.elapsed();

    let (mut store_open, mut cache_read, mut first_frame, mut full) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        // The parts, measured apart…
        let t = Instant::now();
        let opened = Vault::open_store(dir.path(), None).expect("store opens");
        store_open.push(t.elapsed());
        let t = Instant::now();
        let cached = opened
            .cached_view()
            .expect("the cache written at close matches");
        cache_read.push(t.elapsed());
        assert!(!cached.view.journal.is_empty());
        drop((cached, opened));
        // …and whole, as the window does it: spawn_at returns with the cached view in the
        // first snapshot; the documents load on the worker.
        let t = Instant::now();
        let handle = spawn_at(dir.path(), NetOptions::default()).expect("opens");
        let snap = handle.snapshot();
        first_frame.push(t.elapsed());
        assert!(!snap.view.journal.is_empty(), "the first frame has data");
        handle
            .wait_for(Duration::from_secs(600), |s| !s.loading)
            .expect("the documents load");
        full.push(t.elapsed());
        handle.shutdown();
    }
    let first = pct(&mut first_frame, 0.5);
    let ratio = first / bare;
    vec![
        Measure::info(
            "open: store open (median of 5)",
            ms(pct(&mut store_open, 0.5)),
        ),
        Measure::info(
            "open: view cache read + decoded",
            ms(pct(&mut cache_read, 0.5)),
        ),
        Measure::new(
            "open → first frame with data (median of 5)",
            "≤ 100 ms",
            ms(first),
            Some(first <= 100.0),
        ),
        Measure::new(
            "first frame / bare automerge load",
            "< 1",
            format!("{ratio:.3}"),
            Some(ratio < 1.0),
        ),
        Measure::info(
            "open: full documents loaded, behind the first frame",
            ms(pct(&mut full, 0.5)),
        ),
        Measure::info(
            "open without a cache (first run, after a crash)",
            ms(uncached.as_secs_f64() * 1e3),
        ),
        Measure::info(
            "view cache written at close",
            ms(cache_write.as_secs_f64() * 1e3),
        ),
        Measure::info(
            "bare Automerge::load, as measured beside the open",
            ms(bare),
        ),
    ]
}
