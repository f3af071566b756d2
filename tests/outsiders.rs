//! What the command line leaves to other users of the machine and does with a mistyped code: what it writes is its owner's alone, a passphrase file others can read is refused, and a code is read before any network is opened.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

mod binary;

/// The binary under umask 022 (most shells' setting), free of the test runner's environment.
fn run(dir: &Path, pass: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(dir);
    if let Some(p) = pass {
        cmd.arg("--passphrase-file").arg(p);
    }
    cmd.args(args)
        .env_remove("KINTSUGI_DATA_DIR")
        .env_remove("KINTSUGI_PASSPHRASE_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn ok(dir: &Path, pass: Option<&Path>, args: &[&str]) -> String {
    binary::succeeded(run(dir, pass, args, &[]), args)
}

/// Exit status 1 and one line on stderr; that line.
fn fails(dir: &Path, pass: Option<&Path>, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run(dir, pass, args, env);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "kintsugi {args:?} should fail: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
    err
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn set_up(dir: &Path) {
    ok(dir, None, &["init", "--name", "Sam", "--partner", "Alex"]);
    ok(dir, None, &["journal", "add", "--text", "PRIVATE-JOURNAL"]);
}

#[test]
fn files_and_folders_the_cli_writes_are_readable_by_their_owner_only() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    set_up(d);
    let out = tempfile::tempdir().unwrap();
    let o = |name: &str| out.path().join(name);
    // A file that already exists with the usual 0644 is replaced by a private one.
    std::fs::write(o("old.md"), "old").unwrap();
    set_mode(&o("old.md"), 0o644);
    let runs: [(&str, Vec<&str>); 5] = [
        (
            "mine.md",
            vec!["export", "--format", "markdown", "--include-private"],
        ),
        (
            "mine.json",
            vec!["export", "--format", "json", "--include-private"],
        ),
        (
            "mine.html",
            vec!["export", "--format", "html", "--include-private"],
        ),
        (
            "old.md",
            vec!["export", "--format", "markdown", "--include-private"],
        ),
        ("private.automerge", vec!["doc", "save", "private"]),
    ];
    for (name, mut args) in runs {
        let path = o(name);
        args.extend(["-o", path.to_str().unwrap()]);
        ok(d, None, &args);
        assert_eq!(mode(&path), 0o600, "{name} after kintsugi {args:?}");
    }
    let all = o("copy/of/everything");
    ok(d, None, &["export", "--all", "-o", all.to_str().unwrap()]);
    for dir in [o("copy"), o("copy/of"), all.clone()] {
        assert_eq!(mode(&dir), 0o700, "folder {}", dir.display());
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&all).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        files += 1;
    }
    assert!(files >= 3, "export --all wrote {files} files");
}

#[test]
fn a_passphrase_file_other_users_can_read_is_refused_in_one_line() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    set_up(d);
    let keys = tempfile::tempdir().unwrap();
    let open = keys.path().join("open");
    std::fs::write(&open, "correct horse battery\n").unwrap();
    set_mode(&open, 0o644);
    let err = fails(
        d,
        None,
        &[
            "lock",
            "set",
            "--new-passphrase-file",
            open.to_str().unwrap(),
        ],
        &[],
    );
    assert!(
        err.contains("other users") && err.contains("chmod 600"),
        "{err}"
    );
    assert!(ok(d, None, &["lock", "status"]).contains("passphrase: none"));
    // Set it from a private file; then the readable copy is refused for unlocking too, as a
    // flag and as the variable.
    let private = keys.path().join("private");
    std::fs::write(&private, "correct horse battery\n").unwrap();
    set_mode(&private, 0o600);
    ok(
        d,
        None,
        &[
            "lock",
            "set",
            "--new-passphrase-file",
            private.to_str().unwrap(),
        ],
    );
    let err = fails(d, Some(&open), &["journal", "list"], &[]);
    assert!(err.contains("other users"), "{err}");
    let err = fails(
        d,
        None,
        &["journal", "list"],
        &[("KINTSUGI_PASSPHRASE_FILE", open.to_str().unwrap())],
    );
    assert!(err.contains("other users"), "{err}");
    assert!(ok(d, Some(&private), &["journal", "list"]).contains("PRIVATE-JOURNAL"));
}

/// Had the network started first, binding an address no interface has would fail first and
/// its error would be the one shown.
#[test]
fn a_mistyped_code_is_refused_before_any_network_is_opened() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    ok(d, None, &["init", "--name", "Sam", "--partner", "Alex"]);
    let unbindable = [("KINTSUGI_BIND", "192.0.2.1:9"), ("KINTSUGI_MDNS", "0")];
    let err = fails(
        d,
        None,
        &["pair", "join", "kintsugi1-abcdefghijklmnop"],
        &unbindable,
    );
    assert!(err.contains("mistyped"), "{err}");
    let err = fails(d, None, &["pair", "join", "hello there"], &unbindable);
    assert!(err.contains("not a Kintsugi pairing code"), "{err}");
}
