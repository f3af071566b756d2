//! Every figure of issue 12 in one table, each next to its goal, for one and ten years of data, with the bare automerge figures measured in the same run.
//!
//! `tests/offline-net cargo run --release -p kintsugi-service --example perf` (the live-sync rows
//! open loopback endpoints, so they run only inside that namespace). Options: `--years 1|10|both`
//! (default both), `--only open,disk,…` (those modules only, by their names in `MODULES`),
//! `--only-generate` (build the cached data sets, measure nothing). The table is
//! also written to `target/perf-table.md`. Data sets are cached under `target/bench-data/`.

mod bare;
mod disk;
mod live;
mod memory;
mod open;
mod table;
mod typing;
mod wire;

use std::path::PathBuf;

use anyhow::{Context, bail};
use kintsugi_service::dataset::{self, Dataset, Spec};
use table::Measure;

/// A measuring module: its rows for one data set.
type Module = fn(&Dataset) -> Vec<Measure>;

/// Every measuring module, run in this order for each data set; each returns its rows for one
/// data set. Keep one line per module (the lead and helper W add theirs).
const MODULES: &[(&str, Module)] = &[
    ("open", open::measure),
    ("bare", bare::measure),
    ("memory", memory::measure),
    ("disk", disk::measure),
    ("typing", typing::measure),
    ("wire", wire::measure),
    ("live", live::measure),
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == memory::CHILD_FLAG) {
        let dir = args.get(i + 1).context("a data directory")?;
        return memory::child(&PathBuf::from(dir));
    }
    let mut only_generate = false;
    let mut only: Option<Vec<String>> = None;
    let mut years = vec![1u32, 10];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--only-generate" => only_generate = true,
            "--only" => {
                let list = it
                    .next()
                    .context("--only takes module names, comma separated")?;
                only = Some(list.split(',').map(str::to_owned).collect());
            }
            "--years" => {
                years = match it.next().map(String::as_str) {
                    Some("1") => vec![1],
                    Some("10") => vec![10],
                    Some("both") => vec![1, 10],
                    other => bail!("--years takes 1, 10 or both, not {other:?}"),
                }
            }
            other => bail!(
                "unknown argument {other}; use --years 1|10|both, --only MODULE,…, --only-generate"
            ),
        }
    }
    let mut columns = Vec::new();
    for y in years {
        let spec = if y == 1 {
            Spec::one_year()
        } else {
            Spec::ten_years()
        };
        let ds = dataset::cached(&spec);
        let label = if y == 1 { "1 year" } else { "10 years" };
        eprintln!(
            "{label}: couple {} + private {} ({})",
            table::mib(ds.couple.len() as u64),
            table::mib(ds.private.len() as u64),
            if ds.generated_in.is_zero() {
                "from the cache".to_string()
            } else {
                format!("generated in {:.1} s", ds.generated_in.as_secs_f64())
            }
        );
        if only_generate {
            continue;
        }
        let mut rows = vec![Measure::info(
            "data set (journal entries, agreement keystrokes, days)",
            format!(
                "{}, {}, {}",
                spec.journal_entries, spec.agreement_edits, spec.days
            ),
        )];
        for (name, measure) in MODULES {
            if only.as_ref().is_some_and(|o| !o.iter().any(|m| m == name)) {
                continue;
            }
            eprintln!("{label}: measuring {name}…");
            rows.extend(measure(&ds));
        }
        columns.push((label, rows));
    }
    if columns.is_empty() {
        return Ok(());
    }
    let out = table::render(&columns);
    println!("\n{out}");
    let path = dataset::cache_path(&Spec::one_year())
        .parent()
        .and_then(|p| p.parent())
        .map(|t| t.join("perf-table.md"))
        .context("target directory")?;
    std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("table written to {}", path.display());
    Ok(())
}
