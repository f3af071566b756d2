//! A full disk: the failed save says so (naming the file), nothing saved before is lost, and the vault saves again once space is back.

// Runs on a 600 KiB tmpfs, which needs root (mount); without it the test prints a notice and
// passes. A store from a future layout is covered in `crates/store/tests/store.rs`
// (`a_future_layout_is_refused_and_left_unchanged`).

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use kintsugi_core::{Command, ItemId};
use kintsugi_service::{StoreError, Vault, VaultError};

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

fn entry(i: usize) -> Command {
    Command::AddJournalEntry {
        id: ItemId(format!("e{i}")),
        date: "2026-11-24".into(),
        mood: Some(3),
        tags: vec![],
        // Random-looking text so the documents do not compress away.
        text: {
            let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            (0..1500)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    char::from(b'a' + (x % 26) as u8)
                })
                .collect()
        },
        prompt: None,
    }
}

fn ids(v: &Vault) -> Vec<String> {
    let mut ids: Vec<String> = v.view().journal.into_iter().map(|e| e.id.0).collect();
    ids.sort();
    ids
}

#[test]
fn a_full_disk_is_reported_and_survived() {
    let Some(fs) = Tmpfs::mount("8m") else {
        println!("NOTICE: skipped: could not mount a tmpfs (needs root)");
        return;
    };
    let data = fs.0.join("data");
    // Ballast, freed in two steps to make room again. Reopening a store whose last write
    // failed checks a copy of it first (see crates/sync/LIMITS.md), which needs free space the
    // size of the store file: the small ballast is not enough for that, the large one is. (The
    // file's length runs ahead of its data; compaction beside typing lengthens it more.)
    let small = fs.0.join("ballast-small");
    let large = fs.0.join("ballast-large");
    std::fs::write(&small, vec![1u8; 300 * 1024]).unwrap();
    std::fs::write(&large, vec![1u8; 6600 * 1024]).unwrap();

    let mut vault = Vault::open(&data).unwrap();
    let mut applied = Vec::new();
    let mut first_failure = None;
    let mut failures = 0;
    for i in 0..5_000 {
        vault.apply(entry(i), i as i64).unwrap();
        applied.push(format!("e{i}"));
        if let Err(e) = vault.save(i as i64) {
            failures += 1;
            first_failure.get_or_insert(e);
        }
        // Keep writing for a while once full, as a person would.
        if failures >= 5 {
            break;
        }
    }
    let err = first_failure.expect("the disk never filled up");
    let message = err.to_string();
    println!(
        "{} entries applied, {failures} saves failed; first: {message}",
        applied.len()
    );
    assert!(
        matches!(err, VaultError::Store(StoreError::DiskFull { .. })),
        "{err:?}"
    );
    assert!(message.contains(&data.display().to_string()), "{message}");
    assert!(message.contains("full"), "{message}");
    assert!(vault.has_unsaved());

    // A little space back: the save may still fail, and then says so the same clear way.
    std::fs::remove_file(&small).unwrap();
    match vault.save(9_000) {
        Ok(_) => println!("saved with the small ballast freed"),
        Err(e) => {
            println!("still full: {e}");
            assert!(
                matches!(e, VaultError::Store(StoreError::DiskFull { .. })),
                "{e:?}"
            );
        }
    }
    // Enough space back: the vault saves everything it was given, without being reopened.
    std::fs::remove_file(&large).unwrap();
    vault
        .save(9_001)
        .expect("the vault saves again once space is back");
    assert!(!vault.has_unsaved());
    drop(vault);

    let vault = Vault::open(&data).expect("the store reopens");
    applied.sort();
    assert_eq!(ids(&vault), applied, "an entry was lost");
}

/// Opening a store on a full disk fails clearly instead of half-creating it.
#[test]
fn creating_a_store_on_a_full_disk_fails_clearly() {
    let Some(fs) = Tmpfs::mount("64k") else {
        println!("NOTICE: skipped: could not mount a tmpfs (needs root)");
        return;
    };
    let filler = fs.0.join("filler");
    // Fill the disk completely.
    let _ = std::fs::write(&filler, vec![0u8; 64 * 1024]);
    let data = fs.0.join("data");
    match Vault::open(&data) {
        Ok(_) => println!("NOTICE: the store fit in what was left"),
        Err(e) => {
            let message = e.to_string();
            assert!(message.contains("full"), "{message}");
            assert!(message.contains(&data.display().to_string()), "{message}");
            // Nothing half-made is left where the store belongs.
            assert!(!Path::new(&data).join(kintsugi_service::FILE_NAME).exists());
        }
    }
}
