//! Years of daily use by two partners for the benchmarks: the shared data set generator (`kintsugi_service::dataset`, cached under `target/bench-data/`) installed into a fresh store.

#![allow(dead_code)]

use kintsugi_core::Model;
use kintsugi_core::automerge::ActorId;
use kintsugi_service::Vault;
use kintsugi_service::dataset::{self, Spec};

/// Characters typed between two commits: about what a person types before a 250 ms pause.
pub const BATCH: usize = 12;

/// The generated data: this device's vault (on disk in `dir`) and the partner's device.
pub struct Year {
    pub dir: tempfile::TempDir,
    pub vault: Vault,
    pub partner: Model,
    pub days: i64,
    /// Generation time; zero when the data set came from the cache.
    pub seconds: f64,
}

pub fn days_from_env() -> i64 {
    std::env::var("KINTSUGI_BENCH_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(365)
}

/// `days` of use: one journal entry a day on this device (the benchmarks count on it), the
/// agreement and everything else at the ten-year data set's rates.
pub fn spec(days: i64) -> Spec {
    let days = days.max(1) as u32;
    Spec {
        days,
        journal_entries: days,
        agreement_edits: (days as u64 * Spec::ten_years().agreement_edits as u64 / 3_650) as u32,
        ..Spec::one_year()
    }
}

pub fn generate(days: i64) -> Year {
    let ds = dataset::cached(&spec(days));
    let dir = tempfile::tempdir().expect("temp dir");
    dataset::install(&ds, dir.path()).expect("install the data set");
    let vault = Vault::open(dir.path()).expect("open");
    let partner = Model::open(
        Some(&ds.partner_couple),
        Some(&ds.partner_private),
        ds.partner.clone(),
        ActorId::random(),
    )
    .expect("the partner's documents open");
    Year {
        dir,
        vault,
        partner,
        days,
        seconds: ds.generated_in.as_secs_f64(),
    }
}
