//! Peak resident memory with the data open, measured in a child process of its own so each data set's figure stands alone.

use std::path::Path;
use std::process::Command;

use kintsugi_service::Vault;
use kintsugi_service::dataset::{self, Dataset};

use crate::table::Measure;

/// The hidden subcommand the child runs: `perf --rss-child <data dir>`.
pub const CHILD_FLAG: &str = "--rss-child";

const GOAL_MB: f64 = 150.0;

/// Kilobytes after `field:` in /proc/self/status.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// In the child: opens the data the way the window does (store, documents, view) and prints
/// the peak resident set size.
pub fn child(dir: &Path) -> anyhow::Result<()> {
    let base = status_kb("VmRSS").unwrap_or(0);
    let vault = Vault::open(dir)?;
    let loaded = status_kb("VmRSS").unwrap_or(0);
    let view = vault.view();
    anyhow::ensure!(!view.journal.is_empty(), "the data set is empty");
    println!("VmHWM {}", status_kb("VmHWM").unwrap_or(0));
    println!("stages {base} {loaded} {}", status_kb("VmRSS").unwrap_or(0));
    drop(view);
    drop(vault);
    Ok(())
}

pub fn measure(ds: &Dataset) -> Vec<Measure> {
    let what = "peak RSS, data open (Vault::open + view, own process)";
    let goal = "≤ 150 MB (10 y)";
    let dir = tempfile::tempdir().expect("temp dir");
    dataset::install(ds, dir.path()).expect("install");
    let out = std::env::current_exe()
        .and_then(|exe| Command::new(exe).arg(CHILD_FLAG).arg(dir.path()).output());
    let stdout = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let kb = stdout
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM ")?.trim().parse::<u64>().ok());
    // Resident set at start, with the documents loaded, and with the view built.
    let stages: Vec<f64> = stdout
        .lines()
        .find_map(|l| l.strip_prefix("stages "))
        .map(|s| {
            s.split_whitespace()
                .filter_map(|n| n.parse::<u64>().ok())
                .map(|kb| kb as f64 * 1024.0 / 1e6)
                .collect()
        })
        .unwrap_or_default();
    match kb {
        Some(kb) if kb > 0 => {
            let mb = kb as f64 * 1024.0 / 1e6;
            let mut rows = vec![Measure::new(
                what,
                goal,
                format!("{mb:.0} MB"),
                Some(mb <= GOAL_MB),
            )];
            if let [base, loaded, viewed] = stages[..] {
                rows.push(Measure::info(
                    "RSS at start / documents loaded / view built",
                    format!("{base:.0} / {loaded:.0} / {viewed:.0} MB"),
                ));
            }
            rows
        }
        _ => vec![Measure::new(
            what,
            goal,
            "not measured (child failed)".into(),
            None,
        )],
    }
}
