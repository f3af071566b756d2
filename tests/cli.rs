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

/// Runs a command that must be refused as a bad argument (exit 2) or a refused action (exit 1),
/// with one line on stderr.
fn refused(dir: &Path, args: &[&str], status: i32) -> String {
    let out = kintsugi(dir, args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(status), "kintsugi {args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one clear line, got: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing printed on stdout: {args:?}");
    err
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(dir, args)).unwrap()
}

fn today() -> String {
    chrono::Local::now().date_naive().to_string()
}

#[test]
fn commitments_add_log_pause_and_refusals() {
    let dir = set_up();
    let d = dir.path();
    let id = ok(
        d,
        &["commitment", "add", "Home by six", "--rhythm", "weekdays"],
    );
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 32, "prints the new id: {id}");
    let daily = ok(d, &["commitment", "add", "Phone stays on the table"]);
    let daily = daily.trim().to_owned();

    // Refused before anything is written: a bad rhythm, a bad date, unknown ids.
    let before = ok(d, &["commitment", "list", "--json"]);
    let err = refused(
        d,
        &[
            "commitment",
            "add",
            "Call at lunch",
            "--rhythm",
            "fortnightly",
        ],
        2,
    );
    assert!(err.contains("fortnightly"), "{err}");
    refused(
        d,
        &[
            "commitment",
            "add",
            "Call at lunch",
            "--rhythm",
            "mon,funday",
        ],
        2,
    );
    refused(
        d,
        &[
            "commitment",
            "add",
            "Call at lunch",
            "--rhythm",
            "once:someday",
        ],
        2,
    );
    refused(d, &["commitment", "add", "   "], 1);
    let err = refused(d, &["commitment", "log", "nosuchid", "kept"], 1);
    assert!(err.contains("no commitment"), "{err}");
    refused(d, &["commitment", "log", &id, "sometimes"], 2);
    let err = refused(
        d,
        &[
            "commitment",
            "log",
            &daily[..8],
            "kept",
            "--date",
            "yesterday",
        ],
        1,
    );
    assert!(err.contains("not a date"), "{err}");
    let err = refused(
        d,
        &[
            "commitment",
            "log",
            &daily[..8],
            "kept",
            "--date",
            "2999-01-01",
        ],
        1,
    );
    assert!(err.contains("not come yet"), "{err}");
    let err = refused(
        d,
        &[
            "commitment",
            "log",
            &daily[..8],
            "kept",
            "--date",
            "2020-01-01",
        ],
        1,
    );
    assert!(err.contains("counts from"), "{err}");
    let err = refused(d, &["commitment", "pause", "nosuchid"], 1);
    assert!(err.contains("no commitment"), "{err}");
    assert_eq!(ok(d, &["commitment", "list", "--json"]), before);

    let list = json(d, &["commitment", "list", "--json"]);
    let c = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .unwrap();
    assert_eq!(c["text"], "Home by six");
    assert_eq!(c["rhythm"], "weekdays");
    assert_eq!(c["rhythm_words"], "on weekdays");
    assert_eq!(c["state"], "active");
    assert_eq!(c["start"], today().as_str());
    let c = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == daily.as_str())
        .unwrap();
    assert_eq!(c["rhythm"], "daily", "daily is the default");
    assert_eq!(c["due_today"], true);

    // Log today by the first digits of the id. A kept day logged again can become a missed one
    // (told before being asked); a missed day stays as logged, only its note may change.
    ok(
        d,
        &[
            "commitment",
            "log",
            &daily[..6],
            "kept",
            "--note",
            "first try",
        ],
    );
    ok(
        d,
        &[
            "commitment",
            "log",
            &daily[..6],
            "disclosed",
            "--note",
            "told Alex",
            "--date",
            &today(),
        ],
    );
    let before = ok(d, &["commitment", "list", "--json"]);
    let err = refused(d, &["commitment", "log", &daily[..6], "kept"], 1);
    assert!(err.contains("stays as it was logged"), "{err}");
    assert_eq!(ok(d, &["commitment", "list", "--json"]), before);
    ok(
        d,
        &[
            "commitment",
            "log",
            &daily[..6],
            "disclosed",
            "--note",
            "told Alex at dinner",
        ],
    );
    let list = json(d, &["commitment", "list", "--json"]);
    let c = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == daily.as_str())
        .unwrap();
    let log = c["log"].as_array().unwrap();
    assert_eq!(log.len(), 1, "one log per day: {log:?}");
    assert_eq!(log[0]["date"], today().as_str());
    assert_eq!(log[0]["status"], "disclosed_before_asked");
    assert_eq!(log[0]["note"], "told Alex at dinner");
    assert_eq!(log[0]["acknowledged_by"], serde_json::Value::Null);
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("told before being asked"),
        "{c}"
    );
    let text = ok(d, &["commitment", "list"]);
    assert!(text.contains("Phone stays on the table"), "{text}");
    assert!(text.contains("every day"), "the rhythm in words: {text}");
    assert!(text.contains("on weekdays"), "{text}");
    assert!(text.contains("Told before being asked"), "{text}");
    assert!(text.contains("told Alex at dinner"), "{text}");
    assert!(text.contains("not acknowledged yet"), "{text}");
    // Told before being asked shows in the wins timeline.
    let wins = ok(d, &["win", "list"]);
    assert!(
        wins.contains("Phone stays on the table") || wins.contains("told Alex"),
        "{wins}"
    );

    // Acknowledging one's own log is the partner's to do.
    let before = ok(d, &["commitment", "list", "--json"]);
    let err = refused(d, &["commitment", "ack", &daily[..8], &today()], 1);
    assert!(err.contains("your own"), "{err}");
    refused(d, &["commitment", "ack", &daily[..8], "not-a-date"], 1);
    refused(d, &["commitment", "ack", "nosuchid", &today()], 1);
    assert_eq!(ok(d, &["commitment", "list", "--json"]), before);

    // Pause, resume, retire.
    let state = |d: &Path| {
        json(d, &["commitment", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    ok(d, &["commitment", "pause", &id[..8]]);
    assert_eq!(state(d), "paused");
    assert!(ok(d, &["commitment", "list"]).contains("Paused"));
    ok(d, &["commitment", "resume", &id]);
    assert_eq!(state(d), "active");
    ok(d, &["commitment", "retire", &id[..8]]);
    assert_eq!(state(d), "retired");
}

#[test]
fn commitment_once_rhythm_and_help() {
    let dir = set_up();
    let d = dir.path();
    ok(
        d,
        &[
            "commitment",
            "add",
            "Tell Alex about the trip",
            "--rhythm",
            "once:2030-05-01",
        ],
    );
    ok(
        d,
        &["commitment", "add", "Walk together", "--rhythm", "mon,thu"],
    );
    let list = json(d, &["commitment", "list", "--json"]);
    let rhythms: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rhythm"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        rhythms.contains(&"once:2030-05-01".to_owned()),
        "{rhythms:?}"
    );
    assert!(rhythms.contains(&"mon,thu".to_owned()), "{rhythms:?}");
    let help = ok(d, &["commitment", "add", "--help"]);
    assert!(
        help.contains("weekdays") && help.contains("once:"),
        "{help}"
    );
}

#[test]
fn disclosures_add_list_and_refusals() {
    let dir = set_up();
    let d = dir.path();
    let id = ok(
        d,
        &[
            "disclosure",
            "add",
            "--text",
            "I looked at the old messages today.",
            "--before-asked",
        ],
    );
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 32);
    ok(
        d,
        &["disclosure", "add", "--text", "I was late on purpose."],
    );
    let before = ok(d, &["disclosure", "list", "--json"]);
    let err = refused(d, &["disclosure", "add", "--text", "  "], 1);
    assert!(err.contains("needs some text"), "{err}");
    let err = refused(d, &["disclosure", "ack", &id[..8]], 1);
    assert!(err.contains("your own"), "{err}");
    let err = refused(d, &["disclosure", "ack", "nosuchid"], 1);
    assert!(err.contains("no disclosure"), "{err}");
    refused(d, &["disclosure", "add"], 2);
    assert_eq!(ok(d, &["disclosure", "list", "--json"]), before);

    let list = json(d, &["disclosure", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["text"], "I was late on purpose.", "newest first");
    assert_eq!(list[1]["id"], id.as_str());
    assert_eq!(list[1]["before_asked"], true);
    assert_eq!(list[1]["acknowledged_at"], serde_json::Value::Null);
    let text = ok(d, &["disclosure", "list"]);
    assert!(text.contains("told before being asked"), "{text}");
    assert!(text.contains("not acknowledged yet"), "{text}");
    // Told before being asked is a win for both to see; the other one is not.
    let wins = ok(d, &["win", "list"]);
    assert!(
        wins.contains("I looked at the old messages today."),
        "{wins}"
    );
    assert!(!wins.contains("late on purpose"), "{wins}");
}

#[test]
fn wins_timeline() {
    let dir = set_up();
    let d = dir.path();
    let id = ok(
        d,
        &[
            "win",
            "add",
            "--kind",
            "win",
            "--text",
            "Shared my location unasked",
        ],
    );
    assert_eq!(id.trim().len(), 32);
    ok(
        d,
        &[
            "win",
            "add",
            "--kind",
            "honest",
            "--text",
            "Said I was scared",
        ],
    );
    ok(
        d,
        &[
            "win",
            "add",
            "--kind",
            "appreciation",
            "--text",
            "Thank you for the tea",
        ],
    );
    let before = ok(d, &["win", "list", "--json"]);
    refused(d, &["win", "add", "--kind", "great", "--text", "x"], 2);
    let err = refused(d, &["win", "add", "--kind", "win", "--text", ""], 1);
    assert!(err.contains("needs some text"), "{err}");
    assert_eq!(ok(d, &["win", "list", "--json"]), before);

    let list = json(d, &["win", "list", "--json"]);
    let kinds: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.len(), 3);
    for k in ["trust_win", "honest_moment", "appreciation"] {
        assert!(kinds.contains(&k.to_owned()), "{kinds:?}");
    }
    let text = ok(d, &["win", "list"]);
    assert!(
        text.contains("Appreciation: Thank you for the tea"),
        "{text}"
    );
    assert!(text.contains("Sam"), "{text}");
}

#[test]
fn weekly_checkins_and_my_sealed_answers() {
    let dir = set_up();
    let d = dir.path();
    ok(
        d,
        &[
            "checkin",
            "weekly",
            "--week",
            "2026-W49",
            "--how",
            "A calmer week",
            "--agreement",
            "The phone rule held",
            "--commitments",
            "Home by six, four of five",
            "--wins",
            "The walk on Sunday",
            "--therapy",
            "Holidays with family",
        ],
    );
    let before = ok(d, &["checkin", "list", "--weekly", "--json"]);
    let err = refused(
        d,
        &["checkin", "weekly", "--week", "2026-W60", "--how", "x"],
        1,
    );
    assert!(err.contains("not a week"), "{err}");
    refused(d, &["checkin", "weekly", "--week", "soon", "--how", "x"], 1);
    let err = refused(d, &["checkin", "weekly", "--week", "2026-W48"], 1);
    assert!(err.contains("at least one answer"), "{err}");
    assert_eq!(ok(d, &["checkin", "list", "--weekly", "--json"]), before);

    let list = json(d, &["checkin", "list", "--weekly", "--json"]);
    assert_eq!(list[0]["week"], "2026-W49");
    assert_eq!(list[0]["how_it_went"], "A calmer week");
    assert_eq!(list[0]["for_therapy"], "Holidays with family");
    assert_eq!(list[0]["sealed"], true, "Alex has not answered");
    let text = ok(d, &["checkin", "list", "--weekly"]);
    assert!(text.contains("2026-W49"), "{text}");
    assert!(text.contains("The phone rule held"), "{text}");
    assert!(text.contains("sealed until Alex answers"), "{text}");

    // The default week is this ISO week.
    ok(d, &["checkin", "weekly", "--how", "fine"]);
    let week = {
        use chrono::Datelike;
        let w = chrono::Local::now().date_naive().iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    };
    let list = json(d, &["checkin", "list", "--weekly", "--json"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|c| c["week"] == week.as_str()),
        "{list}"
    );

    // Daily: my own answers are marked sealed until Alex answers.
    ok(
        d,
        &[
            "checkin",
            "add",
            "--mood",
            "4",
            "--connection",
            "3",
            "--safety",
            "4",
            "--high",
            "breakfast together",
        ],
    );
    let daily = json(d, &["checkin", "list", "--json"]);
    assert_eq!(daily[0]["high"], "breakfast together");
    assert_eq!(daily[0]["sealed"], true);
    let text = ok(d, &["checkin", "list"]);
    assert!(text.contains("breakfast together"), "{text}");
    assert!(text.contains("[sealed until Alex answers]"), "{text}");
}

#[test]
fn reminders_set_show_and_due_exit_statuses() {
    let dir = set_up();
    let d = dir.path();
    let due = |d: &Path| {
        let out = kintsugi(d, &["reminders", "due"]);
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let shown = json(d, &["reminders", "show", "--json"]);
    assert_eq!(shown["daily"], serde_json::Value::Null, "{shown}");
    assert_eq!(due(d).0, Some(1), "nothing set, nothing due");

    // Refusals change nothing.
    let err = refused(d, &["reminders", "set"], 1);
    assert!(err.contains("--daily"), "{err}");
    refused(d, &["reminders", "set", "--daily", "25:00"], 2);
    refused(d, &["reminders", "set", "--weekly", "funday@10:00"], 2);
    refused(d, &["reminders", "set", "--weekly", "10:00"], 2);
    refused(d, &["reminders", "set", "--evening-log", "soon"], 2);
    assert_eq!(json(d, &["reminders", "show", "--json"]), shown);

    // A time that has passed today (00:00 always has) and no check-in yet: due, exit 0.
    ok(d, &["reminders", "set", "--daily", "00:00"]);
    let (code, out, err) = due(d);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("check-in"), "{out}");
    let list = json(d, &["reminders", "due", "--json"]);
    assert_eq!(list[0]["period"], today().as_str(), "{list}");
    ok(
        d,
        &[
            "checkin",
            "add",
            "--mood",
            "3",
            "--connection",
            "3",
            "--safety",
            "3",
        ],
    );
    let (code, out, _) = due(d);
    assert_eq!(code, Some(1), "done for today: {out}");

    // The weekly check-in, and the evening log of a commitment due today.
    ok(d, &["reminders", "set", "--weekly", "mon@00:00"]);
    assert_eq!(due(d).0, Some(0));
    ok(d, &["checkin", "weekly", "--how", "steady"]);
    assert_eq!(due(d).0, Some(1));
    ok(d, &["reminders", "set", "--evening-log", "00:00"]);
    assert_eq!(due(d).0, Some(1), "no commitment to log");
    let id = ok(d, &["commitment", "add", "Phone on the table"]);
    let (code, out, _) = due(d);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("commitment"), "{out}");
    ok(d, &["commitment", "log", id.trim(), "kept"]);
    assert_eq!(due(d).0, Some(1));

    let text = ok(d, &["reminders", "show"]);
    assert!(text.contains("Daily check-in: 00:00"), "{text}");
    assert!(text.contains("Monday at 00:00"), "{text}");
    let shown = json(d, &["reminders", "show", "--json"]);
    assert_eq!(shown["weekly"], "mon@00:00", "{shown}");
    assert_eq!(shown["evening_log"], "00:00", "{shown}");
    ok(
        d,
        &[
            "reminders",
            "set",
            "--daily",
            "off",
            "--weekly",
            "off",
            "--evening-log",
            "21:30",
        ],
    );
    let shown = json(d, &["reminders", "show", "--json"]);
    assert_eq!(shown["daily"], serde_json::Value::Null, "{shown}");
    assert_eq!(shown["weekly"], serde_json::Value::Null, "{shown}");
    assert_eq!(shown["evening_log"], "21:30", "{shown}");

    // An error is 2, apart from "nothing due".
    let missing = tempfile::tempdir().unwrap();
    let out = kintsugi(&missing.path().join("none"), &["reminders", "due"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr)
            .unwrap()
            .trim_end()
            .lines()
            .count(),
        1
    );
    let help = ok(d, &["reminders", "due", "--help"]);
    assert!(
        help.contains("0 when something is due") && help.contains("1 when nothing is"),
        "{help}"
    );
}

#[test]
fn reminders_are_private() {
    let dir = set_up();
    let d = dir.path();
    ok(
        d,
        &[
            "reminders",
            "set",
            "--daily",
            "07:41",
            "--weekly",
            "sun@19:17",
        ],
    );
    let f = d.join("couple.automerge");
    ok(d, &["doc", "save", "couple", "-o", f.to_str().unwrap()]);
    let mut couple =
        kintsugi_core::automerge::AutoCommit::load(&std::fs::read(&f).unwrap()).unwrap();
    let dump: String = couple
        .get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect();
    assert!(
        !dump.contains("07:41") && !dump.contains("19:17"),
        "never in the couple document"
    );
    let f = d.join("private.automerge");
    ok(d, &["doc", "save", "private", "-o", f.to_str().unwrap()]);
    let mut private =
        kintsugi_core::automerge::AutoCommit::load(&std::fs::read(&f).unwrap()).unwrap();
    let dump: String = private
        .get_changes(&[])
        .iter()
        .map(|c| format!("{:?}", c.decode()))
        .collect();
    assert!(dump.contains("07:41"), "kept in my private document");
}
