//! Runs the real `kintsugi` binary on a data directory, for the command-line tests of every file in `tests/`.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The binary with `--data-dir DIR` (and `--passphrase-file` when given), free of the
/// environment of whoever runs the tests.
pub fn kintsugi_with(dir: &Path, pass: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
    cmd.arg("--data-dir").arg(dir);
    if let Some(file) = pass {
        cmd.arg("--passphrase-file").arg(file);
    }
    cmd.args(args)
        .env_remove("KINTSUGI_DATA_DIR")
        .env_remove("KINTSUGI_PASSPHRASE_FILE")
        .output()
        .expect("the binary runs")
}

pub fn kintsugi(dir: &Path, args: &[&str]) -> Output {
    kintsugi_with(dir, None, args)
}

/// The standard output of a run that must have succeeded (else both outputs, in the panic).
pub fn succeeded(out: Output, args: &[&str]) -> String {
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Succeeds; its standard output.
pub fn ok_with(dir: &Path, pass: Option<&Path>, args: &[&str]) -> String {
    let out = kintsugi_with(dir, pass, args);
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    ok_with(dir, None, args)
}

/// Exit status 1 and one clear line on stderr; that line.
pub fn fails_with(dir: &Path, pass: Option<&Path>, args: &[&str]) -> String {
    let out = kintsugi_with(dir, pass, args);
    assert_eq!(out.status.code(), Some(1), "kintsugi {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
    err
}

/// Fails with any status (clap's usage errors exit with 2) and one clear line on stderr.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = kintsugi(dir, args);
    assert!(!out.status.success(), "kintsugi {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
    err
}
