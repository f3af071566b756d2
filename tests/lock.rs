//! The app lock through the real binary: passphrase set, change, remove; refusals; and a byte
//! search of the data directory for what was written while a passphrase was set.

use std::path::{Path, PathBuf};
use std::process::Command;

use kintsugi_service::Vault;

mod binary;
use binary::{fails_with as fails, ok_with as ok};

/// A passphrase file as one should be: its owner's alone (others' are refused).
fn write_pass(dir: &Path, name: &str, text: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn occurrences(dir: &Path, needle: &[u8]) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            n += occurrences(&path, needle);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            n += bytes.windows(needle.len()).filter(|w| *w == needle).count();
        }
    }
    n
}

const MARKERS: [&str; 3] = [
    "JOURNAL-MARKER-5c1e",
    "AGREEMENT-MARKER-9a7b",
    "CHECKIN-MARKER-e204",
];

#[test]
fn with_a_passphrase_nothing_written_is_readable_on_disk() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let keys = tempfile::tempdir().unwrap();
    let pass = write_pass(keys.path(), "pass", "correct horse battery\n");
    ok(d, None, &["init", "--name", "Sam", "--partner", "Alex"]);
    assert!(ok(d, None, &["lock", "status"]).contains("passphrase: none"));
    let set = ok(
        d,
        None,
        &[
            "lock",
            "set",
            "--new-passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
    assert!(set.contains("Passphrase set"), "{set}");
    let p = Some(pass.as_path());
    ok(d, p, &["journal", "add", "--text", MARKERS[0]]);
    ok(
        d,
        p,
        &["agreement", "edit", "conflict", "--insert", "0", MARKERS[1]],
    );
    ok(
        d,
        p,
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--connection",
            "2",
            "--safety",
            "4",
            "--high",
            MARKERS[2],
        ],
    );
    // `status` makes the device's secret key, stored encrypted from the start.
    ok(d, p, &["status"]);
    let listed = ok(d, p, &["journal", "list"]);
    assert!(listed.contains(MARKERS[0]), "{listed}");

    for marker in MARKERS {
        assert_eq!(
            occurrences(d, marker.as_bytes()),
            0,
            "{marker} found on disk"
        );
    }
    let secret = {
        let text = std::fs::read_to_string(&pass).unwrap();
        let pass = secrecy::SecretString::from(text.trim_end().to_string());
        Vault::open_with(d, Some(&pass))
            .unwrap()
            .secret_key()
            .unwrap()
    };
    assert_eq!(
        occurrences(d, &secret),
        0,
        "the device secret key found on disk"
    );

    // Without the passphrase: refused in one line, exit 1.
    let err = fails(d, None, &["journal", "list"]);
    assert!(err.contains("locked with a passphrase"), "{err}");
    let status = ok(d, None, &["lock", "status"]);
    assert!(status.contains("passphrase: set (locked"), "{status}");
    // KINTSUGI_PASSPHRASE_FILE works like the flag.
    let out = Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(d)
        .args(["journal", "list"])
        .env_remove("KINTSUGI_DATA_DIR")
        .env("KINTSUGI_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(MARKERS[0]));
}

#[test]
fn wrong_passphrase_change_and_remove() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let keys = tempfile::tempdir().unwrap();
    let first = write_pass(keys.path(), "first", "first one");
    let second = write_pass(keys.path(), "second", "second one\r\n");
    let wrong = write_pass(keys.path(), "wrong", "First one");
    let empty = write_pass(keys.path(), "empty", "\n");
    ok(d, None, &["init", "--name", "Sam", "--partner", "Alex"]);
    ok(d, None, &["journal", "add", "--text", "kept entry"]);
    ok(
        d,
        None,
        &[
            "lock",
            "set",
            "--new-passphrase-file",
            first.to_str().unwrap(),
        ],
    );

    let err = fails(d, Some(&wrong), &["journal", "list"]);
    assert!(err.contains("does not unlock"), "{err}");
    assert!(err.contains("Nothing was changed"), "{err}");
    let err = fails(d, Some(&empty), &["journal", "list"]);
    assert!(err.contains("is empty"), "{err}");
    let err = fails(d, Some(&keys.path().join("missing")), &["journal", "list"]);
    assert!(err.contains("cannot read the passphrase file"), "{err}");
    // A second set is refused.
    let err = fails(
        d,
        Some(&first),
        &[
            "lock",
            "set",
            "--new-passphrase-file",
            second.to_str().unwrap(),
        ],
    );
    assert!(err.contains("already has a passphrase"), "{err}");
    // The commands that start the engine take the unlocked data too, and refuse without it.
    let err = fails(d, Some(&first), &["sync", "--once", "--timeout", "1"]);
    assert!(err.contains("not paired"), "{err}");
    fails(d, None, &["sync", "--once", "--timeout", "1"]);
    fails(d, None, &["unpair", "abcd"]);
    // Data intact after the refusals.
    assert!(ok(d, Some(&first), &["journal", "list"]).contains("kept entry"));
    // Guessing leaves no trace: the passphrase is tried before the file is opened for writing,
    // so neither a byte nor the modification time changes.
    let file = d.join(kintsugi_service::FILE_NAME);
    let state = || {
        (
            std::fs::metadata(&file).unwrap().modified().unwrap(),
            std::fs::read(&file).unwrap(),
        )
    };
    let before = state();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for args in [
        &["journal", "list"][..],
        &["lock", "remove"],
        &["lock", "status"],
    ] {
        let err = fails(d, Some(&wrong), args);
        assert!(err.contains("does not unlock"), "{err}");
    }
    assert!(
        state() == before,
        "a wrong passphrase changed the data file"
    );

    ok(
        d,
        Some(&first),
        &[
            "lock",
            "change",
            "--new-passphrase-file",
            second.to_str().unwrap(),
        ],
    );
    fails(d, Some(&first), &["journal", "list"]);
    assert!(ok(d, Some(&second), &["journal", "list"]).contains("kept entry"));
    assert!(ok(d, Some(&second), &["lock", "status"]).contains("passphrase: set"));

    let removed = ok(d, Some(&second), &["lock", "remove"]);
    assert!(removed.contains("Passphrase removed"), "{removed}");
    assert!(ok(d, None, &["journal", "list"]).contains("kept entry"));
    assert!(ok(d, None, &["lock", "status"]).contains("passphrase: none"));
    let err = fails(d, None, &["lock", "remove"]);
    assert!(err.contains("has no passphrase"), "{err}");
}
