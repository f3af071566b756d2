//! Core does no I/O: time is passed in, and files, network, threads and the environment belong
//! to the crates around it. A scan of the source keeps it that way.

use std::path::{Path, PathBuf};

/// Ways into the clock, the file system, the network, threads, processes or the environment.
const FORBIDDEN: &[&str] = &[
    "std::fs",
    "std::net",
    "std::thread",
    "std::process",
    "std::env",
    "std::time::SystemTime",
    "SystemTime",
    "Instant::now",
    "Local::now",
    "Utc::now",
    "chrono::Local",
    "File::",
    "tokio",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn core_source_reads_no_clock_files_network_or_threads() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "found only {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for word in FORBIDDEN {
                if line.contains(word) {
                    found.push(format!("{}:{}: {word}", file.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "core must stay free of I/O (pass time in, do the rest in kintsugi-service):\n{}",
        found.join("\n")
    );
}
