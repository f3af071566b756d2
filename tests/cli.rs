//! The CLI end to end: the real binary on temporary data directories.

use std::path::Path;
use std::process::{Command, Output};

fn kintsugi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("KINTSUGI_DATA_DIR")
        .output()
        .expect("the binary runs")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = kintsugi(dir, args);
    assert!(
        out.status.success(),
        "kintsugi {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let out = kintsugi(dir, args);
    assert!(!out.status.success(), "kintsugi {args:?} should fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one clear line, got: {err}"
    );
    err
}

fn set_up() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--name", "Sam", "--partner", "Alex"]);
    dir
}

#[test]
fn journal_round_trip_and_search() {
    let dir = set_up();
    let d = dir.path();
    let id = ok(
        d,
        &[
            "journal",
            "add",
            "--text",
            "Walked by the river.\nFelt calmer.",
            "--mood",
            "4",
            "--tag",
            "walk",
            "--date",
            "2026-11-20",
        ],
    );
    assert_eq!(id.trim().len(), 32);
    ok(
        d,
        &["journal", "add", "--text", "Hard evening", "--mood", "2"],
    );
    let list = ok(d, &["journal", "list"]);
    assert!(
        list.contains("Walked by the river.") && list.contains("#walk"),
        "{list}"
    );
    assert!(list.contains("private"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["journal", "list", "--json", "--search", "RIVER"])).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["text"], "Walked by the river.\nFelt calmer.");
    assert_eq!(entries[0]["mood"], 4);
    assert_eq!(entries[0]["date"], "2026-11-20");
    assert_eq!(entries[0]["shared"], false);
}

#[test]
fn agreement_edit_by_splices() {
    let dir = set_up();
    let d = dir.path();
    ok(
        d,
        &[
            "agreement",
            "edit",
            "conflict",
            "--insert",
            "0",
            "Take a 20-minute break.",
        ],
    );
    ok(
        d,
        &["agreement", "edit", "conflict", "--insert", "7", "calm "],
    );
    ok(d, &["agreement", "edit", "conflict", "--delete", "0", "5"]);
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["agreement", "show", "--json"])).unwrap();
    let conflict = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "conflict")
        .unwrap();
    assert_eq!(conflict["body"], "a calm 20-minute break.");
    assert_eq!(conflict["title"], "How we handle conflict");
    let text = ok(d, &["agreement", "show"]);
    assert!(text.contains("last edited by Sam"), "{text}");
    let err = fails(
        d,
        &["agreement", "edit", "conflict", "--insert", "999", "x"],
    );
    assert!(err.contains("outside the text"), "{err}");
    let err = fails(d, &["agreement", "edit", "nosuch", "--insert", "0", "x"]);
    assert!(err.contains("no agreement section"), "{err}");
}

#[test]
fn checkins_and_export() {
    let dir = set_up();
    let d = dir.path();
    ok(
        d,
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
            "tea together",
            "--need",
            "a walk",
            "--date",
            "2026-11-23",
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["checkin", "list", "--json"])).unwrap();
    assert_eq!(json[0]["connection"], 2);
    assert_eq!(json[0]["high"], "tea together");
    ok(
        d,
        &[
            "journal",
            "add",
            "--text",
            "very private words",
            "--date",
            "2026-11-23",
        ],
    );
    let md = ok(d, &["export", "--format", "markdown"]);
    assert!(md.contains("tea together"), "{md}");
    assert!(
        !md.contains("very private words"),
        "private journal only when asked"
    );
    let md = ok(d, &["export", "--format", "markdown", "--include-private"]);
    assert!(md.contains("very private words"));
    let out = d.join("export.json");
    ok(
        d,
        &[
            "export",
            "--format",
            "json",
            "--from",
            "2026-11-24",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        json["daily_checkins"].as_array().unwrap().len(),
        0,
        "outside the period"
    );
}

#[test]
fn doc_save_writes_loadable_automerge() {
    let dir = set_up();
    let d = dir.path();
    ok(d, &["journal", "add", "--text", "saved raw"]);
    let f = d.join("private.automerge");
    ok(d, &["doc", "save", "private", "-o", f.to_str().unwrap()]);
    let bytes = std::fs::read(&f).unwrap();
    assert!(bytes.windows(9).any(|w| w == b"saved raw"));
    let f = d.join("couple.automerge");
    ok(d, &["doc", "save", "couple", "-o", f.to_str().unwrap()]);
    assert!(
        !std::fs::read(&f)
            .unwrap()
            .windows(9)
            .any(|w| w == b"saved raw"),
        "private text never in the couple document"
    );
}

#[test]
fn bad_arguments_give_one_line_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    fails(&d, &["journal", "add", "--text", "x", "--mood", "9"]);
    fails(&d, &["journal", "list"]);
    fails(&d, &["frobnicate"]);
    assert!(
        !d.exists(),
        "nothing written for bad arguments or a missing set-up"
    );
    let dir = set_up();
    let before = ok(dir.path(), &["journal", "list", "--json"]);
    let err = fails(
        dir.path(),
        &["journal", "add", "--text", "x", "--date", "yesterday"],
    );
    assert!(err.contains("not a date"), "{err}");
    fails(
        dir.path(),
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--connection",
            "0",
            "--safety",
            "3",
        ],
    );
    assert_eq!(ok(dir.path(), &["journal", "list", "--json"]), before);
}

#[test]
fn second_process_on_the_same_data_gets_a_clear_message() {
    // Hold the store open with one process (a long journal list is too quick), so use a child
    // that waits: the GUI would, but needs a display. Instead open the store in this process.
    let dir = set_up();
    let _held = kintsugi_service::Vault::open(dir.path()).unwrap();
    let err = fails(dir.path(), &["journal", "list"]);
    assert!(err.contains("already open"), "{err}");
}

#[test]
fn corrupt_store_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kintsugi.redb");
    std::fs::write(&file, b"this is not a database, it is someone's notes").unwrap();
    let before = std::fs::read(&file).unwrap();
    let err = fails(dir.path(), &["journal", "list"]);
    assert!(err.contains("kintsugi.redb"), "names the path: {err}");
    let err = fails(dir.path(), &["init", "--name", "A", "--partner", "B"]);
    assert!(err.contains("kintsugi.redb"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "never overwritten");
}

#[test]
fn a_malformed_network_setting_is_refused_not_widened() {
    let dir = set_up();
    let out = Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["sync", "--once", "--timeout", "1"])
        .env("KINTSUGI_BIND", "127.0.0.1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("KINTSUGI_BIND"), "{err}");
}

#[test]
fn a_journal_entry_with_no_text_is_refused() {
    let dir = set_up();
    let d = dir.path();
    let before = ok(d, &["journal", "list", "--json"]);
    for empty in ["", "   ", "\n\t "] {
        let out = kintsugi(d, &["journal", "add", "--text", empty]);
        assert_eq!(out.status.code(), Some(1), "a refused action exits with 1");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
        assert!(err.contains("needs some text"), "{err}");
        assert!(out.stdout.is_empty(), "no id printed");
    }
    assert_eq!(
        ok(d, &["journal", "list", "--json"]),
        before,
        "nothing written"
    );
}

#[test]
fn without_a_display_the_window_says_so_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(&d)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env_remove("KINTSUGI_DATA_DIR")
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the binary runs");
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
    assert!(err.contains("no display"), "says what is missing: {err}");
    assert!(
        err.contains("command line"),
        "says what works instead: {err}"
    );
    assert!(err.contains("kintsugi --help"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!d.exists(), "nothing created for a window that cannot open");
}
