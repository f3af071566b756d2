//! A full disk while setting, changing or removing the passphrase: a clear error, the store
//! fully as before with every value, and the same step works once space is freed.

// Runs on a small tmpfs, which needs root (mount); without it the test prints a notice and
// passes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use kintsugi_store::{DocKey, FILE_NAME, KdfParams, Store, StoreError};
use secrecy::SecretString;

const PASSPHRASE: &str = "disk full passphrase";
const PASSPHRASE_2: &str = "disk full passphrase, changed";

/// A mounted tmpfs, unmounted on drop (before its directory is removed).
struct Tmpfs(
    PathBuf,
    #[allow(dead_code, reason = "kept for its drop")] tempfile::TempDir,
);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(dir.path().to_path_buf(), dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.0).status();
    }
}

/// Bytes that do not compress, different for every `n`.
fn noise(n: u64, len: usize) -> Vec<u8> {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn fill(store: &Store) {
    for n in 0..60 {
        store.append_chunk(DocKey::Couple, &noise(n, 2000)).unwrap();
    }
    store.compact(DocKey::Private, &noise(99, 40_000)).unwrap();
    store
        .put_setting("device_secret_key", &noise(7, 32))
        .unwrap();
    store.put_peer(&[3; 32], &noise(8, 300)).unwrap();
    store
        .put_sync_state(&[3; 32], DocKey::Couple, &noise(9, 500))
        .unwrap();
}

fn check(store: &Store) {
    let couple: Vec<u8> = (0..60).flat_map(|n| noise(n, 2000)).collect();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), couple);
    assert_eq!(
        store.load_doc(DocKey::Private).unwrap().unwrap(),
        noise(99, 40_000)
    );
    assert_eq!(
        store.get_setting("device_secret_key").unwrap().unwrap(),
        noise(7, 32)
    );
    assert_eq!(store.peers().unwrap(), vec![([3; 32], noise(8, 300))]);
    assert_eq!(
        store.sync_state(&[3; 32], DocKey::Couple).unwrap().unwrap(),
        noise(9, 500)
    );
}

fn step(store: &Store, mode: &str) -> Result<(), StoreError> {
    let weak = KdfParams::INSECURE_FOR_TESTS;
    match mode {
        "set" => store.set_passphrase(&SecretString::from(PASSPHRASE), weak, &mut |_| {}),
        "change" => store.change_passphrase(&SecretString::from(PASSPHRASE_2), weak, &mut |_| {}),
        _ => store.remove_passphrase(&mut |_| {}),
    }
}

/// The passphrase that opens the store before (`done` false) or after `mode`; None: plain.
fn passphrase(mode: &str, done: bool) -> Option<&'static str> {
    match (mode, done) {
        ("set", false) | ("remove", true) => None,
        ("change", true) => Some(PASSPHRASE_2),
        _ => Some(PASSPHRASE),
    }
}

/// Fills the disk holding `ballast` completely, then frees `free` bytes of it.
fn leave_free(ballast: &Path, free: u64) {
    let mut f = fs::File::create(ballast).unwrap();
    let block = vec![0xA5u8; 4096];
    let mut written = 0u64;
    while f.write_all(&block).is_ok() {
        written += block.len() as u64;
    }
    // A failed write_all may have written part of a block; the length says what is there.
    let len = f.metadata().unwrap().len().max(written);
    f.set_len(len.saturating_sub(free)).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_full_disk_during_each_passphrase_step_changes_nothing_and_a_retry_works() {
    let Some(fs) = Tmpfs::mount("4m") else {
        println!("NOTICE: skipped: could not mount a tmpfs (needs root)");
        return;
    };
    let data = fs.0.join("data");
    let ballast = fs.0.join("ballast");
    for mode in ["set", "change", "remove"] {
        let (mut failed, mut succeeded) = (0, 0);
        for free_kib in (0..=1200).step_by(40) {
            let _ = fs::remove_dir_all(&data);
            let _ = fs::remove_file(&ballast);
            {
                let store = Store::open(&data).unwrap();
                fill(&store);
                if mode != "set" {
                    step(&store, "set").unwrap();
                }
                store.close().unwrap();
            }
            let store = Store::open(&data).unwrap();
            if let Some(p) = passphrase(mode, false) {
                store.unlock(&SecretString::from(p)).unwrap();
            }
            leave_free(&ballast, free_kib * 1024);
            match step(&store, mode) {
                Ok(()) => {
                    succeeded += 1;
                    check(&store);
                }
                Err(err) => {
                    failed += 1;
                    let message = err.to_string();
                    assert!(
                        matches!(err, StoreError::DiskFull { .. }),
                        "{mode} with {free_kib} KiB free: {err:?}"
                    );
                    assert!(message.contains("full"), "{message}");
                    assert!(
                        message.contains(&data.join(FILE_NAME).display().to_string()),
                        "{message}"
                    );
                    // Fully as before, nothing half-made left beside it.
                    assert_eq!(
                        store.is_encrypted(),
                        passphrase(mode, false).is_some(),
                        "{mode} with {free_kib} KiB free: the failed step changed the store"
                    );
                    check(&store);
                    assert_eq!(names(&data), [FILE_NAME], "{mode} with {free_kib} KiB free");
                    // Space back: the same step works on the same open store.
                    fs::remove_file(&ballast).unwrap();
                    step(&store, mode).unwrap_or_else(|e| {
                        panic!("{mode} with {free_kib} KiB free, retried with space: {e}")
                    });
                    check(&store);
                }
            }
            drop(store);
            let _ = fs::remove_file(&ballast);
            let store = Store::open(&data).unwrap();
            match passphrase(mode, true) {
                Some(p) => store.unlock(&SecretString::from(p)).unwrap(),
                None => assert!(!store.is_encrypted(), "{mode} with {free_kib} KiB free"),
            }
            check(&store);
            drop(store);
            assert_eq!(names(&data), [FILE_NAME]);
        }
        println!("{mode}: {failed} steps met a full disk, {succeeded} had room");
        assert!(failed > 0, "{mode}: the disk never filled up");
        assert!(succeeded > 0, "{mode}: never enough room");
    }
}
