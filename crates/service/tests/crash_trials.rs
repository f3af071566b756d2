//! A few SIGKILL crash trials in every test run; the thousand-trial run is the example itself.

use std::path::Path;
use std::process::Command as Process;

#[allow(
    dead_code,
    reason = "the example's entry point and options are not used here"
)]
#[path = "../examples/crash_trials.rs"]
mod trials;

/// Set in the child: this test binary then acts as the writer instead of running tests.
const CHILD_ENV: &str = "KINTSUGI_CRASH_WRITER";

#[test]
fn crash_writer_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split('\n').collect();
    trials::writer(
        Path::new(parts[0]),
        Path::new(parts[1]),
        parts[2].parse().unwrap(),
    );
}

#[test]
fn edits_reported_saved_survive_sigkill() {
    let work = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let spawn = |dir: &Path, peer: &Path, seed: u64| {
        let mut p = Process::new(&me);
        p.args(["--exact", "crash_writer_child", "--nocapture"])
            .env(
                CHILD_ENV,
                format!("{}\n{}\n{seed}", dir.display(), peer.display()),
            );
        p
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let totals = trials::run(
        &trials::Config {
            trials: 6,
            seed,
            kintsugi: trials::find_kintsugi(None),
            work: work.path().to_path_buf(),
        },
        &spawn,
    );
    println!("seed {seed}: {}", totals.line());
    assert!(
        totals.problems.is_empty(),
        "seed {seed}: {:#?}",
        totals.problems
    );
    assert!(
        totals.acked > 0,
        "no write was reported saved: {}",
        totals.line()
    );
}
