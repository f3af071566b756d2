//! Bare automerge: `Automerge::load` of the very bytes the store holds, and their compacted size: the yardstick the open figures are compared with.

use std::time::{Duration, Instant};

use kintsugi_core::automerge::Automerge;
use kintsugi_service::dataset::Dataset;

use crate::table::{Measure, mib, ms, pct};

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let mut times: Vec<Duration> = Vec::new();
    let mut saved = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let couple = Automerge::load(&ds.couple).expect("couple loads");
        let private = Automerge::load(&ds.private).expect("private loads");
        times.push(t.elapsed());
        saved = couple.save().len() + private.save().len();
    }
    let load = pct(&mut times, 0.5);
    vec![
        Measure::info(
            "bare Automerge::load, couple + private (median of 3)",
            ms(load),
        ),
        Measure::info(
            "compacted automerge save, couple + private",
            format!(
                "{} + {} = {}",
                mib(ds.couple.len() as u64),
                mib(ds.private.len() as u64),
                mib(saved as u64)
            ),
        ),
    ]
}
