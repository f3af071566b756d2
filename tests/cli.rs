//! The CLI end to end: the real binary on temporary data directories.

use std::path::Path;
use std::process::{Command, Output};

mod binary;
use binary::{fails, kintsugi, ok};

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

// ---- Hard moments: triggers, breaks, the plan, questions, self-care, the apology helper ----

/// The partner (Alex) writes on a device of their own; their couple document is then merged
/// into this device's data, as a sync would. Returns what `write` returned.
fn from_partner<T>(dir: &Path, write: impl FnOnce(&mut kintsugi_service::Vault) -> T) -> T {
    use kintsugi_core::{Command as C, DocKind};
    let other = tempfile::tempdir().unwrap();
    let mut alex = kintsugi_service::Vault::open(other.path()).unwrap();
    alex.apply(
        C::SetUp {
            my_name: "Alex".into(),
            partner_name: "Sam".into(),
        },
        kintsugi_service::now_ms(),
    )
    .unwrap();
    let out = write(&mut alex);
    alex.save(kintsugi_service::now_ms()).unwrap();
    let mut sam = kintsugi_service::Vault::open(dir).unwrap();
    // Paired, as sync requires: authors are verified against the paired devices' keys.
    let alex_id = kintsugi_service::endpoint_id_of(&alex.secret_key().unwrap());
    let rec = kintsugi_service::PeerRecord {
        scope: "partner".into(),
        addrs: Vec::new(),
        label: "Alex's device".into(),
        paired_at: 1,
        last_synced: None,
        synced_heads: Vec::new(),
        addr_seen: Default::default(),
        last_path: None,
    };
    sam.put_peer(&alex_id, &rec).unwrap();
    sam.refresh_trust().unwrap();
    let theirs = alex.model_mut().doc_mut(DocKind::Couple);
    sam.model_mut()
        .doc_mut(DocKind::Couple)
        .merge(theirs)
        .unwrap();
    sam.mark_changed();
    sam.save(kintsugi_service::now_ms()).unwrap();
    out
}

fn with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kintsugi"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("KINTSUGI_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn triggers_raise_acknowledge_and_refusals() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["trigger", "list"]).contains("No triggers yet"));
    let mine = ok(d, &["trigger", "raise", "--note", "a song on the radio"]);
    let mine = mine.trim().to_owned();
    assert_eq!(mine.len(), 32, "prints the new id: {mine}");
    let before = ok(d, &["trigger", "list", "--json"]);
    let err = refused(d, &["trigger", "ack", &mine[..8]], 1);
    assert!(err.contains("your own trigger"), "{err}");
    let err = refused(d, &["trigger", "ack", "nosuchid"], 1);
    assert!(err.contains("no trigger"), "{err}");
    refused(d, &["trigger", "ack"], 2);
    refused(d, &["trigger", "raise", "--colour", "red"], 2);
    assert_eq!(ok(d, &["trigger", "list", "--json"]), before);
    let text = ok(d, &["trigger", "list"]);
    assert!(text.contains("a song on the radio"), "{text}");
    assert!(text.contains("not acknowledged by Alex yet"), "{text}");
    assert!(!text.contains("needs you"), "{text}");

    // Alex's trigger arrives with the plan both wrote; Sam says "I'm here".
    ok(
        d,
        &[
            "plan",
            "edit",
            "--insert",
            "0",
            "Sit with me; say you are staying.",
        ],
    );
    let theirs = from_partner(d, |alex| {
        let id = kintsugi_core::ItemId::random();
        alex.apply(
            kintsugi_core::Command::RaiseTrigger {
                id: id.clone(),
                note: "the old street".into(),
            },
            kintsugi_service::now_ms(),
        )
        .unwrap();
        id.0
    });
    let text = ok(d, &["trigger", "list"]);
    assert!(
        text.contains("Alex is triggered and needs you now"),
        "{text}"
    );
    assert!(text.contains("Sit with me; say you are staying."), "{text}");
    assert!(text.contains("waiting for you"), "{text}");
    let list = json(d, &["trigger", "list", "--json"]);
    assert_eq!(
        list["reassurance_plan"],
        "Sit with me; say you are staying."
    );
    let triggers = list["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 2);
    assert_eq!(triggers[0]["id"], theirs.as_str(), "newest first");
    assert_eq!(triggers[0]["by_name"], "Alex");
    assert_eq!(triggers[0]["mine"], false);
    assert_eq!(triggers[0]["acknowledged_at"], serde_json::Value::Null);
    assert_eq!(triggers[1]["note"], "a song on the radio");
    ok(d, &["trigger", "ack", &theirs[..6]]);
    let list = json(d, &["trigger", "list", "--json"]);
    assert!(list["triggers"][0]["acknowledged_at"].is_i64(), "{list}");
    let text = ok(d, &["trigger", "list"]);
    assert!(!text.contains("needs you now"), "{text}");
    assert!(text.contains("Sam said \"I'm here\""), "{text}");
    let before = ok(d, &["trigger", "list", "--json"]);
    let err = refused(d, &["trigger", "ack", &theirs[..6]], 1);
    assert!(err.contains("already"), "{err}");
    assert_eq!(ok(d, &["trigger", "list", "--json"]), before);
}

#[test]
fn a_break_starts_extends_ends_and_refuses() {
    let dir = set_up();
    let d = dir.path();
    assert_eq!(ok(d, &["break", "status"]).trim(), "No break running.");
    let status = json(d, &["break", "status", "--json"]);
    assert_eq!(status["running"], false);
    assert_eq!(status["break"], serde_json::Value::Null);

    // Nothing to extend or end yet; bad lengths are bad arguments.
    let err = refused(d, &["break", "extend", "10"], 1);
    assert!(err.contains("no break is running"), "{err}");
    refused(d, &["break", "end"], 1);
    refused(d, &["break", "start", "0"], 2);
    refused(d, &["break", "start", "2881"], 2);
    refused(d, &["break", "start", "twenty"], 2);
    assert_eq!(
        json(d, &["break", "status", "--json"])["break"],
        serde_json::Value::Null
    );

    let t0 = chrono::Utc::now().timestamp_millis();
    ok(d, &["break", "start", "20", "--note", "in the garden"]);
    let t1 = chrono::Utc::now().timestamp_millis();
    let s = json(d, &["break", "status", "--json"]);
    assert_eq!(s["running"], true, "{s}");
    let b = &s["break"];
    let ends = b["ends_at"].as_i64().unwrap();
    assert!(
        ends >= t0 + 20 * 60_000 && ends <= t1 + 20 * 60_000,
        "an absolute end 20 minutes on: {s}"
    );
    let rfc = chrono::DateTime::parse_from_rfc3339(b["ends_at_rfc3339"].as_str().unwrap()).unwrap();
    assert_eq!(rfc.timestamp_millis(), ends, "the same instant both ways");
    assert_eq!(b["started_by_name"], "Sam");
    assert_eq!(b["note"], "in the garden");
    assert_eq!(b["ended"], serde_json::Value::Null);
    let text = ok(d, &["break", "status"]);
    assert!(text.contains("Started by Sam"), "{text}");
    assert!(
        text.contains(b["ends_at_rfc3339"].as_str().unwrap()),
        "{text}"
    );

    // A second break while one runs is refused; an extension adds to the same end.
    let before = ok(d, &["break", "status", "--json"]);
    let err = refused(d, &["break", "start", "5"], 1);
    assert!(err.contains("already") || err.contains("running"), "{err}");
    refused(d, &["break", "extend", "721"], 2);
    refused(d, &["break", "extend", "0"], 2);
    let strip_now = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["now"] = serde_json::Value::Null;
        v["break"]["remaining_ms"] = serde_json::Value::Null;
        v
    };
    assert_eq!(
        strip_now(&ok(d, &["break", "status", "--json"])),
        strip_now(&before)
    );
    ok(d, &["break", "extend", "15"]);
    let b = json(d, &["break", "status", "--json"])["break"].clone();
    assert_eq!(b["ends_at"].as_i64().unwrap(), ends + 15 * 60_000, "{b}");
    assert_eq!(b["extensions"][0]["minutes"], 15);
    assert_eq!(b["extensions"][0]["by_name"], "Sam");
    assert!(ok(d, &["break", "status"]).contains("extended by 15 min by Sam"));

    // Ended early: no longer running; who ended it shows.
    ok(d, &["break", "end"]);
    let s = json(d, &["break", "status", "--json"]);
    assert_eq!(s["running"], false, "{s}");
    assert_eq!(s["break"]["ended"]["by_name"], "Sam", "{s}");
    assert!(s["break"]["over_at"].as_i64().unwrap() < ends);
    let text = ok(d, &["break", "status"]);
    assert!(text.starts_with("No break running."), "{text}");
    assert!(text.contains("Ended early by Sam"), "{text}");
    refused(d, &["break", "end"], 1);
    refused(d, &["break", "extend", "5"], 1);
    // A new one may start once the last is over.
    ok(d, &["break", "start", "60"]);
    assert_eq!(json(d, &["break", "status", "--json"])["running"], true);
}

#[test]
fn the_reassurance_plan_is_edited_by_splices() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["plan", "show"]).contains("No reassurance plan yet"));
    ok(d, &["plan", "edit", "--insert", "0", "Hold my hand. Stay."]);
    ok(d, &["plan", "edit", "--insert", "14", "Say it out loud. "]);
    ok(d, &["plan", "edit", "--delete", "0", "5"]);
    // Positions count characters, not bytes.
    ok(d, &["plan", "edit", "--insert", "0", "♥ "]);
    ok(d, &["plan", "edit", "--insert", "2", "→"]);
    let plan = json(d, &["plan", "show", "--json"]);
    assert_eq!(plan["plan"], "♥ →my hand. Say it out loud. Stay.");
    assert_eq!(
        ok(d, &["plan", "show"]).trim_end(),
        "♥ →my hand. Say it out loud. Stay."
    );
    // Refused: a position outside the text (exit 1); not a number, or neither edit (exit 2).
    let before = ok(d, &["plan", "show", "--json"]);
    let err = refused(d, &["plan", "edit", "--insert", "99", "x"], 1);
    assert!(err.contains("outside the text"), "{err}");
    refused(d, &["plan", "edit", "--delete", "30", "10"], 1);
    let err = refused(d, &["plan", "edit", "--insert", "first", "x"], 2);
    assert!(err.contains("whole number"), "{err}");
    refused(d, &["plan", "edit", "--delete", "0", "-1"], 2);
    refused(d, &["plan", "edit"], 2);
    refused(d, &["plan", "edit", "--insert", "0"], 2);
    refused(
        d,
        &["plan", "edit", "--insert", "0", "x", "--delete", "0", "1"],
        2,
    );
    assert_eq!(ok(d, &["plan", "show", "--json"]), before);
    assert!(ok(d, &["plan", "edit", "--help"]).contains("characters"));
}

#[test]
fn questions_answered_asked_again_and_waiting_first() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["question", "list"]).contains("No questions yet"));
    let first = ok(
        d,
        &["question", "ask", "--text", "Where were you on Friday?"],
    );
    let first = first.trim().to_owned();
    assert_eq!(first.len(), 32);
    let before = ok(d, &["question", "list", "--json"]);
    let err = refused(d, &["question", "ask", "--text", "  "], 1);
    assert!(err.contains("needs some text"), "{err}");
    refused(d, &["question", "answer", &first[..8], "--text", ""], 1);
    refused(d, &["question", "answer", "nosuchid", "--text", "x"], 1);
    refused(d, &["question", "answer", &first[..8]], 2);
    refused(d, &["question", "reask", "nosuchid"], 1);
    assert_eq!(ok(d, &["question", "list", "--json"]), before);

    // Alex asks one and answers Sam's.
    let theirs = from_partner(d, |alex| {
        let now = kintsugi_service::now_ms();
        let id = kintsugi_core::ItemId::random();
        alex.apply(
            kintsugi_core::Command::AskQuestion {
                id: id.clone(),
                text: "Do you still talk to them?".into(),
            },
            now,
        )
        .unwrap();
        id.0
    });
    ok(
        d,
        &[
            "question",
            "answer",
            &theirs[..8],
            "--text",
            "No. Not since June.",
        ],
    );
    // Reasking is for the one who asked.
    let before = ok(d, &["question", "list", "--json"]);
    let err = refused(d, &["question", "reask", &theirs[..8]], 1);
    assert!(err.contains("only Alex"), "{err}");
    assert_eq!(ok(d, &["question", "list", "--json"]), before);

    // Answered questions go after waiting ones; asking again makes it waiting once more and
    // keeps the earlier answer.
    let list = json(d, &["question", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list[0]["id"], first.as_str(), "waiting first: {list:?}");
    assert_eq!(list[0]["waiting"], true);
    assert_eq!(list[1]["id"], theirs.as_str());
    assert_eq!(list[1]["waiting"], false);
    assert_eq!(list[1]["answers"][0]["text"], "No. Not since June.");
    let text = ok(d, &["question", "list"]);
    let first_line = text.lines().next().unwrap();
    assert!(
        first_line.contains("[waiting]") && first_line.contains("Friday"),
        "{text}"
    );
    assert!(text.contains("Sam answered: No. Not since June."), "{text}");
    ok(
        d,
        &[
            "question",
            "answer",
            &first[..8],
            "--text",
            "At work, late.",
        ],
    );
    ok(d, &["question", "reask", &first[..8]]);
    let list = json(d, &["question", "list", "--json"]);
    let q = list
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == first.as_str())
        .unwrap();
    assert_eq!(q["waiting"], true, "{q}");
    assert_eq!(q["asked_again"].as_array().unwrap().len(), 1);
    assert_eq!(q["answers"][0]["text"], "At work, late.", "kept");
    assert!(ok(d, &["question", "list"]).contains("Sam needed to hear this again"));
}

#[test]
fn self_care_is_a_private_list() {
    let dir = set_up();
    let d = dir.path();
    let empty = ok(d, &["selfcare", "list"]);
    assert!(empty.contains("ideas to start from"), "{empty}");
    for idea in kintsugi_core::self_care_suggestions() {
        assert!(empty.contains(idea), "{empty}");
    }
    assert_eq!(
        json(d, &["selfcare", "list", "--json"]),
        serde_json::json!([])
    );
    let id = ok(d, &["selfcare", "add", "Walk to the bridge and back"]);
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 32);
    ok(d, &["selfcare", "add", "Tea on the balcony"]);
    let before = ok(d, &["selfcare", "list", "--json"]);
    refused(d, &["selfcare", "add", " "], 1);
    refused(d, &["selfcare", "add"], 2);
    refused(d, &["selfcare", "remove", "nosuchid"], 1);
    assert_eq!(ok(d, &["selfcare", "list", "--json"]), before);
    let text = ok(d, &["selfcare", "list"]);
    assert!(text.contains("Walk to the bridge and back") && text.contains("Tea on the balcony"));
    ok(d, &["selfcare", "remove", &id[..8]]);
    let list = json(d, &["selfcare", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["text"], "Tea on the balcony");
    // Private: never in the couple document.
    assert!(couple_holds(d, "Sam"), "the check is not blind");
    assert!(!couple_holds(d, "Tea on the balcony"));
}

/// Whether the saved couple document holds `needle` anywhere (decompressed, history included).
fn couple_holds(d: &Path, needle: &str) -> bool {
    let f = d.join("couple.automerge");
    ok(d, &["doc", "save", "couple", "-o", f.to_str().unwrap()]);
    let mut doc = kintsugi_core::automerge::AutoCommit::load(&std::fs::read(&f).unwrap()).unwrap();
    let hay = doc.save_nocompress();
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn an_apology_draft_is_shared_as_a_copy() {
    let dir = set_up();
    let d = dir.path();
    let id = ok(
        d,
        &[
            "apology",
            "draft",
            "--what",
            "I hid the messages from you",
            "--impact",
            "You could not trust what I said",
            "--regret",
            "I regret choosing my comfort over your safety",
            "--differently",
            "I will show you before you ask",
        ],
    );
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 32);
    assert!(!couple_holds(d, "hid the messages"), "a draft is private");
    let list = json(d, &["apology", "list", "--json"]);
    assert_eq!(list["drafts"][0]["id"], id.as_str());
    assert_eq!(list["shared"], serde_json::json!([]));
    refused(d, &["apology", "share", "nosuchid"], 1);
    refused(d, &["apology", "draft", "--what", " "], 1);
    refused(d, &["apology", "share"], 2);
    ok(d, &["apology", "share", &id[..8]]);
    let list = json(d, &["apology", "list", "--json"]);
    assert_eq!(
        list["shared"][0]["what_i_did"],
        "I hid the messages from you"
    );
    assert_eq!(
        list["shared"][0]["will_do_differently"],
        "I will show you before you ask"
    );
    assert!(couple_holds(d, "hid the messages"), "the shared copy");
    let text = ok(d, &["apology", "list"]);
    assert!(
        text.contains("Shared:") && text.contains("I regret choosing"),
        "{text}"
    );
}

/// The excuse check, table-driven through the real binary: text in, marks (phrase as written,
/// character position) out. Marks are suggestions: the exit status is always 0.
#[test]
fn apology_check_marks_excuses_and_nothing_else() {
    let table: &[(&str, &[(&str, usize)])] = &[
        ("I lied to you, but I was tired.", &[("but", 15)]),
        ("But I did it for us.", &[("But", 0)]),
        ("I'm sorry, BUT", &[("BUT", 11)]),
        (
            "It happened. If you hadn't left early, I would not have.",
            &[("If you hadn't", 13)],
        ),
        ("if you hadn\u{2019}t gone", &[("if you hadn\u{2019}t", 0)]),
        (
            "You always do this and you never listen.",
            &[("You always", 0), ("you never", 23)],
        ),
        ("I'm sorry you feel that way.", &[("I'm sorry you feel", 0)]),
        ("I was just trying to help.", &[("I was just", 0)]),
        ("Écoute: I was late, but…", &[("but", 20)]),
        ("Tu étais là. I'm sorry, but", &[("but", 24)]),
        // Never inside another word.
        ("I ate the butter and read the rebuttal.", &[]),
        ("The buttons, a butterfly, a debut, a tributary.", &[]),
        ("You alwaysy and neverland are not words.", &[]),
        // Never inside quoted speech: someone else's words.
        ("She said \"but you promised\" and she was right.", &[]),
        (
            "You told me \u{201C}you always leave\u{201D}, and I heard it.",
            &[],
        ),
        ("He wrote \u{00AB}if you hadn't\u{00BB} in the note.", &[]),
        // Outside the quotes still counts.
        (
            "She said \"but you promised\", but I forgot.",
            &[("but", 29)],
        ),
        // A plain apology: no marks at all.
        ("I lied about where I was. I hurt you, and I am sorry.", &[]),
        ("", &[]),
    ];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("never-created");
    for (text, want) in table {
        let out = with_stdin(&d, &["apology", "check", "--json"], text);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text:?}: exit 0 even with marks"
        );
        let got: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        let got: Vec<(String, usize)> = got
            .iter()
            .map(|f| {
                assert!(!f["why"].as_str().unwrap().is_empty());
                assert!(!f["suggestion"].as_str().unwrap().is_empty());
                (
                    f["found"].as_str().unwrap().to_owned(),
                    f["at"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let want: Vec<(String, usize)> = want.iter().map(|(f, a)| (f.to_string(), *a)).collect();
        assert_eq!(got, want, "marks for {text:?}");
        // The position is in characters: the phrase is found there.
        for (found, at) in &got {
            let there: String = text.chars().skip(*at).take(found.chars().count()).collect();
            assert_eq!(&there, found, "{text:?}");
        }
    }
    // The plain output: each phrase with its position, why and a suggestion; exit 0.
    let out = with_stdin(&d, &["apology", "check"], "I lied, but you never listen.");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("at 8: \"but\""), "{text}");
    assert!(text.contains("at 12: \"you never\""), "{text}");
    assert!(text.contains("why: ") && text.contains("try: "), "{text}");
    let out = with_stdin(&d, &["apology", "check"], "I am sorry I lied.");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("No excuse patterns")
    );
    assert!(!d.exists(), "the check needs no data and writes none");
}

// ---- The agreement's history and restore, review dates, time together, therapy topics ----

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Waits until the clock has moved past `t`, so the next command writes at a later millisecond.
fn after(t: i64) {
    while now_ms() <= t + 5 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn day_from_today(days: i64) -> String {
    (chrono::Local::now().date_naive() + chrono::Duration::days(days)).to_string()
}

fn section_json(d: &Path, id: &str) -> serde_json::Value {
    json(d, &["agreement", "show", "--json"])["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
        .clone()
}

#[test]
fn agreement_history_wording_then_and_restore() {
    let dir = set_up();
    let d = dir.path();
    let empty = now_ms();
    after(empty);
    ok(
        d,
        &[
            "agreement",
            "edit",
            "conflict",
            "--insert",
            "0",
            "Take a break.",
        ],
    );
    let first = now_ms();
    after(first);
    // A section by its title (any case) as well as by its id.
    ok(
        d,
        &[
            "agreement",
            "edit",
            "how we handle conflict",
            "--insert",
            "13",
            " Then talk.",
        ],
    );
    ok(d, &["agreement", "edit", "conflict", "--delete", "0", "5"]);
    // The partner's concurrent edit, merged as a sync would.
    from_partner(d, |alex| {
        alex.apply(
            kintsugi_core::Command::SpliceSection {
                section: "conflict".into(),
                pos: 0,
                delete: 0,
                insert: "Alex: ".into(),
            },
            now_ms(),
        )
        .unwrap();
    });
    let now = section_json(d, "conflict")["body"]
        .as_str()
        .unwrap()
        .to_owned();
    // Concurrent inserts at one place are ordered by their actors (random per device).
    assert!(
        now == "Alex: a break. Then talk." || now == "a break. Then talk.Alex: ",
        "{now}"
    );

    // The sessions: Sam's (typed within minutes: one session) and Alex's, oldest first.
    let text = ok(d, &["agreement", "history", "conflict"]);
    assert!(
        text.starts_with("History of 'How we handle conflict': 2 edit sessions, oldest first."),
        "{text}"
    );
    assert!(text.contains("Sam, 3 changes"), "{text}");
    assert!(
        text.contains("    added 19 characters: \"a break."),
        "{text}"
    );
    assert!(text.contains("Alex, 1 change"), "{text}");
    let hist = json(
        d,
        &["agreement", "history", "How we handle CONFLICT", "--json"],
    );
    assert_eq!(hist["target"], "section");
    assert_eq!(hist["section"], "conflict");
    assert_eq!(hist["title"], "How we handle conflict");
    let sessions = hist["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{hist:#}");
    let sam = &sessions[0];
    assert_eq!(sam["by"]["name"], "Sam");
    assert_eq!(sam["by"]["id"].as_str().unwrap().len(), 32, "{sam}");
    assert_eq!(sam["changes"], 3);
    assert!(sam["from"].as_i64().unwrap() > empty && sam["to"].as_i64().unwrap() <= now_ms());
    let kept: String = sam["inserted"].as_str().unwrap().replace(" … ", "");
    assert_eq!(kept, "a break. Then talk.", "{sam}");
    assert_eq!(sam["inserted_chars"], 19);
    // Sam deleted only what Sam had typed: nothing that stood before the session.
    assert_eq!(sam["removed"], "");
    assert_eq!(sam["removed_chars"], 0);
    assert_eq!(sessions[1]["by"]["name"], "Alex");
    assert_eq!(sessions[1]["inserted"], "Alex: ");

    // The wording then: by ms, by local date and time, by date (the end of that day).
    assert_eq!(
        ok(
            d,
            &["agreement", "at", "conflict", "--time", &first.to_string()]
        )
        .trim_end(),
        "Take a break."
    );
    let today = today();
    assert_eq!(
        ok(d, &["agreement", "at", "conflict", "--time", &today]).trim_end(),
        now.trim_end()
    );
    assert_eq!(
        ok(
            d,
            &["agreement", "at", "conflict", "--time", "2020-01-01 09:30"]
        )
        .trim_end(),
        "'How we handle conflict' had no wording on 2020-01-01 09:30."
    );
    assert_eq!(
        ok(
            d,
            &[
                "agreement",
                "at",
                "conflict",
                "--time",
                "2020-01-01T09:30:15"
            ]
        )
        .trim_end(),
        "'How we handle conflict' had no wording on 2020-01-01 09:30."
    );

    // Restore: a new edit back to the wording then; the history keeps every session.
    let said = ok(
        d,
        &[
            "agreement",
            "restore",
            "conflict",
            "--time",
            &first.to_string(),
        ],
    );
    assert!(
        said.starts_with("Restored the wording of 'How we handle conflict' as it stood on "),
        "{said}"
    );
    // "(−R +A characters)": what the restore's splices took away and added; from 25
    // characters back to 13.
    let counts = said
        .trim_end()
        .rsplit_once('(')
        .and_then(|(_, c)| c.strip_suffix(" characters)."))
        .unwrap_or_else(|| panic!("{said}"));
    let (r, a) = counts.split_once(' ').unwrap();
    let r: i64 = r.strip_prefix('−').unwrap().parse().unwrap();
    let a: i64 = a.strip_prefix('+').unwrap().parse().unwrap();
    assert_eq!(a - r, 13 - 25, "{said}");
    assert!(r >= 12, "{said}");
    assert_eq!(section_json(d, "conflict")["body"], "Take a break.");
    let hist = json(d, &["agreement", "history", "conflict", "--json"]);
    let sessions = hist["sessions"].as_array().unwrap();
    assert!(sessions.len() >= 2, "{hist:#}");
    assert!(
        sessions
            .iter()
            .any(|s| s["by"]["name"] == "Sam" && s["removed"].as_str().unwrap().contains("Alex: ")),
        "the restore took away Alex's words, under Sam's name: {hist:#}"
    );
    let again = ok(
        d,
        &[
            "agreement",
            "restore",
            "conflict",
            "--time",
            &first.to_string(),
        ],
    );
    assert!(again.contains("already is as it stood on"), "{again}");
    assert!(again.contains("nothing was changed"), "{again}");

    // Refused with one line, exit 1, nothing changed.
    let before = ok(d, &["agreement", "show", "--json"]);
    for bad in [
        "yesterday",
        "20261120",
        "2026-13-01",
        "14:05",
        "2026-11-20 9pm",
    ] {
        let err = refused(d, &["agreement", "at", "conflict", "--time", bad], 1);
        assert!(err.contains("is not a time"), "{bad}: {err}");
        let err = refused(d, &["agreement", "restore", "conflict", "--time", bad], 1);
        assert!(err.contains("is not a time"), "{bad}: {err}");
    }
    let err = refused(
        d,
        &["agreement", "restore", "conflict", "--time", "2999-01-01"],
        1,
    );
    assert!(err.contains("has not come yet"), "{err}");
    for args in [
        &["agreement", "history", "phones"][..],
        &["agreement", "at", "phones", "--time", &today],
        &["agreement", "restore", "phones", "--time", &today],
    ] {
        let err = refused(d, args, 1);
        assert!(
            err.contains("there is no agreement section 'phones'"),
            "{err}"
        );
    }
    refused(d, &["agreement", "restore", "conflict"], 2);
    assert_eq!(ok(d, &["agreement", "show", "--json"]), before);
}

#[test]
fn the_plan_has_a_history_and_is_restored_too() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["plan", "history"]).contains("No one has written the reassurance plan yet"));
    ok(d, &["plan", "edit", "--insert", "0", "Hold my hand."]);
    let then = now_ms();
    after(then);
    ok(d, &["plan", "edit", "--delete", "0", "5"]);
    let hist = json(d, &["plan", "history", "--json"]);
    assert_eq!(hist["target"], "plan");
    assert_eq!(hist["section"], serde_json::Value::Null);
    assert_eq!(hist["sessions"][0]["by"]["name"], "Sam", "{hist:#}");
    assert_eq!(hist["sessions"][0]["inserted"], "my hand.");
    assert_eq!(
        ok(d, &["plan", "at", "--time", &then.to_string()]).trim_end(),
        "Hold my hand."
    );
    let said = ok(d, &["plan", "restore", "--time", &then.to_string()]);
    assert!(
        said.contains("the reassurance plan as it stood on") && said.contains("(−0 +5 characters)"),
        "{said}"
    );
    assert_eq!(
        json(d, &["plan", "show", "--json"])["plan"],
        "Hold my hand."
    );
    let err = refused(d, &["plan", "at", "--time", "soon"], 1);
    assert!(err.contains("is not a time"), "{err}");
}

#[test]
fn review_dates_due_and_recorded() {
    let dir = set_up();
    let d = dir.path();
    let next_month = day_from_today(30);
    let said = ok(
        d,
        &["agreement", "review-date", "transparency", &next_month],
    );
    assert_eq!(
        said.trim_end(),
        format!("'Transparency' is to be reviewed on {next_month}.")
    );
    assert_eq!(
        section_json(d, "transparency")["review_on"],
        next_month.as_str()
    );
    assert!(
        ok(d, &["agreement", "show"]).contains(&format!("(review on {next_month})")),
        "the date shows on the agreement"
    );
    // A date that has come: review due.
    let yesterday = day_from_today(-1);
    ok(d, &["agreement", "review-date", "Transparency", &yesterday]);
    let show = ok(d, &["agreement", "show"]);
    assert!(
        show.contains(&format!("(review due since {yesterday}")),
        "{show}"
    );
    // Kept as is, with the next review.
    let said = ok(
        d,
        &[
            "agreement",
            "review",
            "transparency",
            "--outcome",
            "kept",
            "--note",
            "it helps",
            "--next",
            &next_month,
        ],
    );
    assert_eq!(
        said.trim_end(),
        format!("Recorded: 'Transparency' kept as is; next review on {next_month}.")
    );
    let s = section_json(d, "transparency");
    assert_eq!(s["review_on"], next_month.as_str(), "{s}");
    let review = &s["reviews"][0];
    assert_eq!(review["outcome"], "kept", "{s}");
    assert_eq!(review["note"], "it helps");
    assert!(review["at"].is_i64() && review["by"].is_string(), "{s}");
    let show = ok(d, &["agreement", "show"]);
    assert!(show.contains("last reviewed by Sam on"), "{show}");
    assert!(show.contains("kept as is (\"it helps\")"), "{show}");

    // Refused, exit 1 (or 2 for what clap checks), nothing changed.
    let before = ok(d, &["agreement", "show", "--json"]);
    let err = refused(
        d,
        &["agreement", "review-date", "transparency", "next week"],
        1,
    );
    assert!(err.contains("is not a date"), "{err}");
    let err = refused(d, &["agreement", "review-date", "nope", &next_month], 1);
    assert!(
        err.contains("there is no agreement section 'nope'"),
        "{err}"
    );
    let err = refused(
        d,
        &[
            "agreement",
            "review",
            "transparency",
            "--outcome",
            "ended",
            "--next",
            &next_month,
        ],
        1,
    );
    assert!(err.contains("no next review"), "{err}");
    let err = refused(
        d,
        &[
            "agreement",
            "review",
            "transparency",
            "--outcome",
            "kept",
            "--next",
            &yesterday,
        ],
        1,
    );
    assert!(err.contains("must be after today"), "{err}");
    refused(d, &["agreement", "review-date", "transparency"], 2);
    refused(
        d,
        &[
            "agreement",
            "review-date",
            "transparency",
            &next_month,
            "--clear",
        ],
        2,
    );
    refused(
        d,
        &["agreement", "review", "transparency", "--outcome", "maybe"],
        2,
    );
    assert_eq!(ok(d, &["agreement", "show", "--json"]), before);

    // Ended: the measure is over, no review date any more.
    ok(
        d,
        &["agreement", "review", "transparency", "--outcome", "ended"],
    );
    let s = section_json(d, "transparency");
    assert!(s["ended_at"].as_i64().unwrap() <= now_ms(), "{s}");
    assert_eq!(s["review_on"], serde_json::Value::Null, "{s}");
    assert_eq!(s["reviews"].as_array().unwrap().len(), 2);
    assert!(ok(d, &["agreement", "show"]).contains(&format!("(ended on {}", today())));
    let err = refused(
        d,
        &["agreement", "review-date", "transparency", &next_month],
        1,
    );
    assert!(err.contains("an ended section has no review"), "{err}");

    // Clearing a date.
    ok(d, &["agreement", "review-date", "boundaries", &next_month]);
    let said = ok(d, &["agreement", "review-date", "boundaries", "--clear"]);
    assert_eq!(said.trim_end(), "'Boundaries' has no review date now.");
    assert_eq!(
        section_json(d, "boundaries")["review_on"],
        serde_json::Value::Null
    );
}

#[test]
fn time_together_planned_listed_and_marked_done() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["ritual", "list"]).contains("No time together planned yet"));
    let coffee = ok(
        d,
        &[
            "ritual",
            "add",
            "--kind",
            "ritual",
            "--title",
            "Morning coffee",
            "--rhythm",
            "daily",
        ],
    )
    .trim()
    .to_owned();
    assert_eq!(coffee.len(), 32);
    let in_three = day_from_today(3);
    let dinner = ok(
        d,
        &[
            "ritual",
            "add",
            "--kind",
            "date-night",
            "--title",
            "Dinner at Luca's",
            "--date",
            &in_three,
        ],
    )
    .trim()
    .to_owned();
    ok(
        d,
        &[
            "ritual",
            "add",
            "--kind",
            "project",
            "--title",
            "Paint the hallway",
        ],
    );
    let list = ok(d, &["ritual", "list"]);
    assert!(
        list.contains(&format!(
            "today       Morning coffee (ritual, every day) [{}]",
            &coffee[..8]
        )),
        "{list}"
    );
    assert!(
        list.contains(&format!(
            "{in_three}  Dinner at Luca's (date night) [{}]",
            &dinner[..8]
        )),
        "{list}"
    );
    assert!(
        list.contains("No day set yet:\n  Paint the hallway (project)"),
        "{list}"
    );
    assert!(list.contains("nothing marked done yet"), "{list}");

    // Either partner marks a day done; a one-off defaults to its own day.
    let said = ok(d, &["ritual", "done", &coffee[..6]]);
    assert_eq!(
        said.trim_end(),
        format!("'Morning coffee' is marked done on {}.", today())
    );
    let list = ok(d, &["ritual", "list"]);
    assert!(
        list.contains(&format!("{}  Morning coffee (ritual, every day)", today()))
            && list.contains("marked by Sam on"),
        "{list}"
    );
    let j = json(d, &["ritual", "list", "--json"]);
    assert_eq!(
        j["done_this_month"][0]["ritual"]["title"], "Morning coffee",
        "{j:#}"
    );
    assert_eq!(j["done_this_month"][0]["by_name"], "Sam");
    assert_eq!(j["done_this_month"][0]["on"], today().as_str());
    assert_eq!(j["undated"][0]["title"], "Paint the hallway");
    let coffee_json = j["rituals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Morning coffee")
        .unwrap();
    assert_eq!(coffee_json["rhythm"], "daily");
    assert_eq!(coffee_json["kind"], "ritual");
    assert_eq!(
        coffee_json["next_on"],
        day_from_today(1).as_str(),
        "done today: next is tomorrow"
    );
    assert!(
        j["upcoming"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["date"] == in_three.as_str() && u["ritual"]["title"] == "Dinner at Luca's"),
        "{j:#}"
    );

    // Refused, one line, nothing changed.
    let before = ok(d, &["ritual", "list", "--json"]);
    let err = refused(d, &["ritual", "done", &dinner[..8]], 1);
    assert!(err.contains("has not come yet"), "{err}");
    let err = refused(
        d,
        &["ritual", "done", &coffee[..8], "--on", &day_from_today(1)],
        1,
    );
    assert!(err.contains("has not come yet"), "{err}");
    let err = refused(d, &["ritual", "done", &coffee[..8], "--on", "monday"], 1);
    assert!(err.contains("is not a date"), "{err}");
    let err = refused(d, &["ritual", "done", "zzzz"], 1);
    assert!(err.contains("there is no plan with the id zzzz"), "{err}");
    let err = refused(
        d,
        &[
            "ritual",
            "add",
            "--kind",
            "date-night",
            "--title",
            "x",
            "--rhythm",
            "daily",
        ],
        1,
    );
    assert!(err.contains("only rituals repeat"), "{err}");
    let err = refused(
        d,
        &[
            "ritual", "add", "--kind", "ritual", "--title", "x", "--date", "soon",
        ],
        1,
    );
    assert!(err.contains("is not a date"), "{err}");
    let err = refused(
        d,
        &["ritual", "add", "--kind", "ritual", "--title", "  "],
        1,
    );
    assert!(err.contains("needs a title"), "{err}");
    refused(
        d,
        &[
            "ritual", "add", "--kind", "ritual", "--title", "x", "--rhythm", "often",
        ],
        2,
    );
    refused(
        d,
        &["ritual", "add", "--kind", "holiday", "--title", "x"],
        2,
    );
    let err = refused(
        d,
        &[
            "ritual",
            "done",
            &coffee[..8],
            "--undo",
            "--on",
            &day_from_today(-2),
        ],
        1,
    );
    assert!(err.contains("is not marked done on"), "{err}");
    assert_eq!(ok(d, &["ritual", "list", "--json"]), before);

    // Undo takes the mark back.
    let said = ok(d, &["ritual", "done", &coffee[..8], "--undo"]);
    assert_eq!(
        said.trim_end(),
        format!("'Morning coffee' is no longer marked done on {}.", today())
    );
    assert!(ok(d, &["ritual", "list"]).contains("nothing marked done yet"));
}

#[test]
fn therapy_topics_collected_discussed_and_refusals() {
    let dir = set_up();
    let d = dir.path();
    assert!(ok(d, &["topic", "list"]).contains("no topics yet"));
    let id = ok(
        d,
        &[
            "topic",
            "add",
            "Trust after travel",
            "--from",
            "weekly check-in",
        ],
    )
    .trim()
    .to_owned();
    assert_eq!(id.len(), 32);
    ok(d, &["topic", "add", "How we share phones"]);
    let list = ok(d, &["topic", "list"]);
    assert!(list.starts_with("For your next session:"), "{list}");
    assert!(
        list.contains(&format!("{}  Trust after travel (Sam, ", &id[..8]))
            && list.contains(", from weekly check-in)"),
        "{list}"
    );
    assert!(list.contains("How we share phones (Sam, "), "{list}");

    let said = ok(d, &["topic", "discussed", &id[..6]]);
    assert_eq!(said.trim_end(), "'Trust after travel' is marked discussed.");
    let list = ok(d, &["topic", "list"]);
    assert!(
        list.starts_with("For your next session (the last one was "),
        "{list}"
    );
    assert!(!list.contains("Trust after travel"), "{list}");
    assert!(list.contains("How we share phones"), "{list}");
    let all = json(d, &["topic", "list", "--all", "--json"]);
    let t = all
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap();
    assert_eq!(t["discussed"], true);
    assert!(t["discussed_at"].is_i64(), "{t}");
    assert_eq!(t["from"], "weekly check-in");
    assert_eq!(t["by_name"], "Sam");
    assert_eq!(
        json(d, &["topic", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(ok(d, &["topic", "list", "--all"]).contains("Trust after travel (Sam, "));

    // Refused, one line, nothing changed.
    let before = ok(d, &["topic", "list", "--all", "--json"]);
    let err = refused(d, &["topic", "discussed", &id[..8]], 1);
    assert!(err.contains("already marked discussed"), "{err}");
    let err = refused(d, &["topic", "discussed", "zzzz"], 1);
    assert!(err.contains("there is no topic with the id zzzz"), "{err}");
    let err = refused(d, &["topic", "add", "  "], 1);
    assert!(err.contains("needs some text"), "{err}");
    refused(d, &["topic", "add"], 2);
    assert_eq!(ok(d, &["topic", "list", "--all", "--json"]), before);

    let said = ok(d, &["topic", "discussed", &id[..8], "--undo"]);
    assert!(said.contains("back on the list"), "{said}");
    let err = refused(d, &["topic", "discussed", &id[..8], "--undo"], 1);
    assert!(err.contains("is not marked discussed"), "{err}");
    assert_eq!(
        json(d, &["topic", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
