//! Prints how long setting, changing and removing the passphrase take for one and for ten years of two partners' use, with the store's size: each rewrites every value into a fresh file.
//!
//! `cargo bench -p kintsugi-service --bench passphrase` (`KINTSUGI_BENCH_YEARS=1` for one year
//! only). The data sets come from `kintsugi_service::dataset`, cached under
//! `target/bench-data/`; generating ten years the first time takes minutes and ~2 GB.

use std::time::{Duration, Instant};

use kintsugi_service::dataset::{self, Spec};
use kintsugi_store::{FILE_NAME, KdfParams, SecretString, Store};

fn main() {
    let spans: Vec<(&str, Spec)> = match std::env::var("KINTSUGI_BENCH_YEARS").as_deref() {
        Ok("1") => vec![("one year", Spec::one_year())],
        Ok("10") => vec![("ten years", Spec::ten_years())],
        _ => vec![
            ("one year", Spec::one_year()),
            ("ten years", Spec::ten_years()),
        ],
    };
    let params = KdfParams::DEFAULT;
    println!(
        "Argon2id m={} KiB t={} p={}; times are medians of 5 (min–max)",
        params.m_kib, params.t, params.p
    );
    for (label, spec) in spans {
        let dir = tempfile::tempdir().expect("temp dir");
        {
            let ds = dataset::cached(&spec);
            dataset::install(&ds, dir.path()).expect("install the data set");
        }
        let size = |dir: &std::path::Path| {
            std::fs::metadata(dir.join(FILE_NAME))
                .map(|m| m.len() as f64 / (1 << 20) as f64)
                .unwrap_or(0.0)
        };
        let plain_size = size(dir.path());
        let pass = [
            SecretString::from("correct horse battery staple, benchmark"),
            SecretString::from("a second passphrase for the benchmark"),
        ];
        let store = Store::open(dir.path()).expect("open");
        let (mut set, mut change, mut remove, mut check) = (vec![], vec![], vec![], vec![]);
        let mut values = 0;
        for round in 0..5 {
            let t = Instant::now();
            store
                .set_passphrase(&pass[0], params, &mut |p| values = p.total)
                .expect("set");
            set.push(t.elapsed());
            // Alternating passphrases; each change makes a new key and reseals every value.
            let t = Instant::now();
            store
                .change_passphrase(&pass[1], params, &mut |_| {})
                .expect("change");
            change.push(t.elapsed());
            // What the window asks before a change: one derivation, nothing written.
            let t = Instant::now();
            store.check_passphrase(&pass[1]).expect("check");
            check.push(t.elapsed());
            let t = Instant::now();
            store
                .change_passphrase(&pass[0], params, &mut |_| {})
                .expect("change back");
            change.push(t.elapsed());
            if round < 4 {
                let t = Instant::now();
                store.remove_passphrase(&mut |_| {}).expect("remove");
                remove.push(t.elapsed());
            }
        }
        let sealed_size = size(dir.path());
        let t = Instant::now();
        store.remove_passphrase(&mut |_| {}).expect("remove");
        remove.push(t.elapsed());
        drop(store);
        println!(
            "\n{label}: {values} stored values, file {plain_size:.1} MiB plain, {sealed_size:.1} MiB encrypted"
        );
        println!("  set passphrase     {}", figures(&mut set));
        println!("  change passphrase  {}", figures(&mut change));
        println!("  remove passphrase  {}", figures(&mut remove));
        println!(
            "  (one Argon2id derivation, part of set and change: {})",
            figures(&mut check)
        );
    }
}

/// "median ms (min–max)" of `times`.
fn figures(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:>7.0} ms ({:.0}–{:.0})",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1])
    )
}
