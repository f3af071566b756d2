//! Prints the "never loses, never leaks" figures: convergence cases, crash trials, fuzzing, hostile inputs.

// `cargo run --release -p kintsugi-service --example figures -- [--cases 1000] [--trials 1000]`
//
// Runs the convergence property (the code of `tests/convergence.rs`) and the crash trials (the
// code of `examples/crash_trials.rs`) itself; fuzzing figures come from
// `target/kintsugi-figures/fuzz-stats.txt`, written by `fuzz/run.sh`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};

#[allow(
    dead_code,
    unused_imports,
    reason = "only the harness is used here, not its tests"
)]
#[path = "../tests/convergence.rs"]
mod convergence;

#[allow(dead_code, reason = "the example's own entry point is not used here")]
#[path = "crash_trials.rs"]
mod crash_trials;

fn flag(args: &[String], name: &str) -> Option<u64> {
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1)?.parse().ok()
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--writer") {
        // Child of the crash trials.
        let peer = &args[args.iter().position(|a| a == "--peer").unwrap() + 1];
        let seed = flag(&args, "--seed").unwrap_or(1);
        crash_trials::writer(Path::new(&args[i + 1]), Path::new(peer), seed);
    }
    let cases = flag(&args, "--cases").unwrap_or(1000);
    let trials = flag(&args, "--trials").unwrap_or(1000);
    let seed = flag(&args, "--seed").unwrap_or(20_261_124);

    // 1. Convergence under hostile delivery.
    let started = Instant::now();
    let mut runner = TestRunner::new(Config::default());
    let strategy = proptest::collection::vec(convergence::op(), 10..140);
    let mut totals = convergence::Outcome::default();
    let mut failing_cases = 0;
    for _ in 0..cases {
        let ops = strategy.new_tree(&mut runner).unwrap().current();
        let o = convergence::run_case(&ops);
        if o.divergences + o.lost_edits + o.resurrected + o.leaks + o.scope_violations > 0 {
            failing_cases += 1;
        }
        totals.divergences += o.divergences;
        totals.lost_edits += o.lost_edits;
        totals.resurrected += o.resurrected;
        totals.leaks += o.leaks;
        totals.acked_edits += o.acked_edits;
        totals.frames += o.frames;
        totals.session_errors += o.session_errors;
        totals.scope_violations += o.scope_violations;
    }
    let conv_secs = started.elapsed().as_secs_f64();

    // 2. Crash trials.
    let started = Instant::now();
    let me = std::env::current_exe().unwrap();
    let spawn =
        |dir: &Path, peer: &Path, seed: u64| crash_trials::writer_process(&me, dir, peer, seed);
    let work = tempfile::tempdir().unwrap();
    let crash = crash_trials::run(
        &crash_trials::Config {
            trials,
            seed,
            kintsugi: crash_trials::find_kintsugi(None),
            work: work.path().to_path_buf(),
        },
        &spawn,
    );
    let crash_secs = started.elapsed().as_secs_f64();
    for p in &crash.problems {
        println!("PROBLEM: {p}");
    }

    // 3. Fuzzing, as recorded by fuzz/run.sh.
    let stats_path = workspace().join("target/kintsugi-figures/fuzz-stats.txt");
    let fuzz = std::fs::read_to_string(&stats_path).unwrap_or_default();
    let mut fuzz_runs = 0u64;
    let mut fuzz_panics = 0u64;
    let mut fuzz_lines = Vec::new();
    for line in fuzz.lines() {
        // "<target> runs=<n> crashes=<n> seconds=<n>"
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k)?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        fuzz_runs += field("runs=");
        fuzz_panics += field("crashes=");
        fuzz_lines.push(line.to_owned());
    }
    let corpus: usize = kintsugi_service::fuzzing::TARGETS
        .iter()
        .map(|t| {
            std::fs::read_dir(workspace().join("fuzz/corpus").join(t)).map_or(0, |d| d.count())
        })
        .sum();
    let hostile_src =
        std::fs::read_to_string(workspace().join("crates/service/tests/hostile_peer.rs"))
            .unwrap_or_default();
    let hostile_scenarios = hostile_src.matches("#[test]").count();

    println!();
    println!("| figure                                   | value |");
    println!("|------------------------------------------|-------|");
    println!("| convergence cases run (3 devices)        | {cases} ({conv_secs:.0} s) |");
    println!(
        "| ... frames delivered                     | {} |",
        totals.frames
    );
    println!(
        "| ... saved edits checked on every device  | {} |",
        totals.acked_edits
    );
    println!(
        "| ... session errors (then reconnected)    | {} |",
        totals.session_errors
    );
    println!(
        "| divergences                              | {} |",
        totals.divergences
    );
    println!(
        "| lost acknowledged edits                  | {} |",
        totals.lost_edits
    );
    println!(
        "| erased text that came back               | {} |",
        totals.resurrected
    );
    println!(
        "| private texts reaching the partner       | {} |",
        totals.leaks
    );
    println!("| failing convergence cases                | {failing_cases} |");
    println!(
        "| crash trials (SIGKILL)                   | {} ({} vault writer, {} CLI; {crash_secs:.0} s) |",
        crash.trials, crash.vault_trials, crash.cli_trials
    );
    println!(
        "| ... edits reported saved                 | {} (re-checked {} times) |",
        crash.acked, crash.rechecks
    );
    println!(
        "| ... CLI commands killed mid-run          | {} |",
        crash.killed_mid_command
    );
    println!(
        "| ... lost saved edits after a kill        | {} |",
        crash.lost
    );
    println!(
        "| ... stores that failed to reopen         | {} |",
        crash.open_failures
    );
    if fuzz_lines.is_empty() {
        println!("| fuzz executions                          | not recorded (run fuzz/run.sh) |");
    } else {
        println!(
            "| fuzz executions ({} targets)              | {fuzz_runs} |",
            fuzz_lines.len()
        );
        println!("| fuzz panics                              | {fuzz_panics} |");
    }
    println!("| fuzz regression corpus (replayed by test) | {corpus} files |");
    println!(
        "| hostile-peer scenarios (tests)           | {hostile_scenarios} (incl. a 50 MB value, 20,000 deep maps, 20,000-frame flood) |"
    );
    for l in &fuzz_lines {
        println!("  fuzz: {l}");
    }
    if failing_cases > 0 || crash.lost > 0 || crash.open_failures > 0 || fuzz_panics > 0 {
        std::process::exit(1);
    }
}
