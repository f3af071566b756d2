//! Two and three real processes of the binary pairing and syncing over loopback.
//!
//! Run inside `tests/offline-net` (the README's test command does): every endpoint binds
//! 127.0.0.1 only, mDNS is off except in the mDNS test, and every wait is bounded.

mod binary;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use kintsugi_core::automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, legacy::OpType,
};

struct Device {
    dir: tempfile::TempDir,
    port: Option<u16>,
    mdns: bool,
}

impl Device {
    fn new(name: &str, partner: &str) -> Device {
        let d = Device::fresh();
        d.ok(&["init", "--name", name, "--partner", partner]);
        d
    }

    fn fresh() -> Device {
        Device {
            dir: tempfile::tempdir().unwrap(),
            port: None,
            mdns: false,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
        c.arg("--data-dir")
            .arg(self.path())
            .args(args)
            .env("KINTSUGI_BIND", "127.0.0.1:0")
            .env("KINTSUGI_MDNS", if self.mdns { "1" } else { "0" })
            .env_remove("KINTSUGI_DATA_DIR")
            .env_remove("KINTSUGI_PORT");
        if let Some(p) = self.port {
            c.env("KINTSUGI_PORT", p.to_string());
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("the binary runs")
    }

    fn ok(&self, args: &[&str]) -> String {
        binary::succeeded(self.run(args), args)
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn couple_doc(&self) -> AutoCommit {
        let f = self.path().join("couple.bin");
        self.ok(&["doc", "save", "couple", "-o", f.to_str().unwrap()]);
        AutoCommit::load(&std::fs::read(&f).unwrap()).unwrap()
    }

    fn section(&self, id: &str) -> String {
        let json: serde_json::Value =
            serde_json::from_str(&self.ok(&["agreement", "show", "--json"])).unwrap();
        json["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["body"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// One of this device's documents, saved by the CLI into a scratch directory (so the data
    /// directory holds only what the device itself wrote).
    fn saved_doc(&self, kind: &str) -> AutoCommit {
        let scratch = tempfile::tempdir().unwrap();
        let f = scratch.path().join("doc.bin");
        self.ok(&["doc", "save", kind, "-o", f.to_str().unwrap()]);
        AutoCommit::load(&std::fs::read(&f).unwrap()).unwrap()
    }

    fn store_bytes(&self) -> Vec<u8> {
        std::fs::read(self.path().join("kintsugi.redb")).unwrap()
    }
}

/// Spawns `pair invite` and returns the child and the code it printed.
fn invite(inviter: &Device, own_device: bool) -> (Child, String) {
    let mut args = vec!["pair", "invite", "--timeout", "60"];
    if own_device {
        args.push("--own-device");
    }
    let mut child = inviter
        .cmd(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        assert!(Instant::now() < deadline, "no pairing code printed");
        match lines.next() {
            Some(Ok(l)) if l.starts_with("kintsugi1-") => break l,
            Some(Ok(_)) => continue,
            _ => panic!(
                "invite ended without a code: {:?}",
                child.wait_with_output()
            ),
        }
    };
    // Keep reading the rest in the background so the child never blocks on a full pipe.
    let rest =
        std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(rest.join().unwrap());
    });
    INVITE_OUTPUT.with(|o| *o.borrow_mut() = Some(rx));
    (child, code)
}

thread_local! {
    static INVITE_OUTPUT: std::cell::RefCell<Option<std::sync::mpsc::Receiver<String>>> = const { std::cell::RefCell::new(None) };
}

fn safety_code(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("Safety code: "))
        .unwrap_or_else(|| panic!("no safety code in {out}"))
        .to_owned()
}

/// Pairs two devices through the CLI; returns both printed safety codes.
fn pair(inviter: &Device, joiner: &Device, own_device: bool) -> (String, String) {
    let (mut child, code) = invite(inviter, own_device);
    let joined = joiner.ok(&["pair", "join", &code]);
    let status = wait_child(&mut child, Duration::from_secs(30));
    assert!(status.success(), "invite failed");
    let inviter_out = INVITE_OUTPUT.with(|o| {
        o.borrow_mut()
            .take()
            .unwrap()
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
    });
    (safety_code(&inviter_out), safety_code(&joined))
}

fn wait_child(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("child did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `sync --once` on all devices at the same time; all must converge.
fn sync_all(devices: &[&Device]) {
    let children: Vec<_> = devices
        .iter()
        .map(|d| {
            d.cmd(&["sync", "--once", "--timeout", "40"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "sync failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn partners_pair_edit_apart_and_converge() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    let (ca, cb) = pair(&a, &b, false);
    assert_eq!(ca, cb, "both devices show the same safety code");
    assert_eq!(ca.len(), 7, "a short code to read aloud: {ca}");

    // Apart: both edit the same section, and A writes a private entry.
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "Sam wrote this. ",
    ]);
    b.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "Alex wrote that. ",
    ]);
    a.ok(&["journal", "add", "--text", "quokka-private-thought"]);
    a.ok(&[
        "journal",
        "add",
        "--text",
        "platypus-shared-thought",
        "--share",
    ]);
    let status = a.ok(&["status", "--json"]);
    assert!(status.contains("\"pending\": true"), "{status}");

    sync_all(&[&a, &b]);
    let (sa, sb) = (a.section("boundaries"), b.section("boundaries"));
    assert_eq!(sa, sb);
    assert!(
        sa.contains("Sam wrote this. ") && sa.contains("Alex wrote that. "),
        "{sa}"
    );
    let (mut da, mut db) = (a.couple_doc(), b.couple_doc());
    assert_eq!(da.get_heads(), db.get_heads(), "identical couple documents");
    assert_eq!(
        da.length(kintsugi_core::automerge::ROOT),
        db.length(kintsugi_core::automerge::ROOT)
    );

    // The shared entry arrived; the private one never left A: not in B's store at all.
    let shared: serde_json::Value =
        serde_json::from_str(&b.ok(&["export", "--format", "json"])).unwrap();
    assert!(
        shared["shared_entries"]
            .to_string()
            .contains("platypus-shared-thought")
    );
    assert!(!contains(&b.store_bytes(), "quokka-private-thought"));
    assert!(!b.ok(&["journal", "list"]).contains("quokka"));

    let status: serde_json::Value = serde_json::from_str(&a.ok(&["status", "--json"])).unwrap();
    assert_eq!(status["peers"][0]["pending"], false, "{status}");
    assert!(status["peers"][0]["last_synced"].is_i64());

    // Unsharing removes the shared copy from the partner's view at the next sync.
    let list: serde_json::Value =
        serde_json::from_str(&a.ok(&["journal", "list", "--json", "--search", "platypus"]))
            .unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    a.ok(&["journal", "unshare", &id[..10]]);
    sync_all(&[&a, &b]);
    let shared: serde_json::Value =
        serde_json::from_str(&b.ok(&["export", "--format", "json"])).unwrap();
    assert!(
        !shared["shared_entries"].to_string().contains("platypus"),
        "{shared}"
    );
    assert!(
        a.ok(&["journal", "list"])
            .contains("platypus-shared-thought"),
        "the author keeps it"
    );
}

#[test]
fn an_own_second_device_gets_the_private_journal() {
    let a = Device::new("Sam", "Alex");
    a.ok(&["journal", "add", "--text", "wombat-private-thought"]);
    let a2 = Device::fresh();
    let (c1, c2) = pair(&a, &a2, true);
    assert_eq!(c1, c2);
    sync_all(&[&a, &a2]);
    let list = a2.ok(&["journal", "list"]);
    assert!(list.contains("wombat-private-thought"), "{list}");
    // It is the same partner: it writes as Sam.
    a2.ok(&[
        "checkin",
        "add",
        "--mood",
        "3",
        "--connection",
        "3",
        "--safety",
        "3",
        "--date",
        "2026-11-24",
    ]);
    let list = a2.ok(&["checkin", "list"]);
    assert!(list.contains("Sam"), "{list}");
    // A device already set up for someone cannot join as someone's own device.
    let b = Device::new("Alex", "Sam");
    let (mut child, code) = invite(&a, true);
    let out = b.run(&["pair", "join", &code]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already set up"));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn an_unpaired_device_is_refused_before_any_document_byte() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    a.ok(&[
        "agreement",
        "edit",
        "conflict",
        "--insert",
        "0",
        "narwhal-agreement-text",
    ]);
    // B forgets A; A still has B. B's device id is then unknown... the other way round: A
    // unpairs B, B still believes it is paired and tries to sync.
    let peers: serde_json::Value =
        serde_json::from_str(&a.ok(&["peers", "list", "--json"])).unwrap();
    let b_id = peers[0]["id"].as_str().unwrap().to_owned();
    a.ok(&["unpair", &b_id[..8]]);
    assert!(a.ok(&["peers", "list"]).contains("No paired devices"));
    let mut serve = a
        .cmd(&["sync", "--timeout", "15"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = b.run(&["sync", "--once", "--timeout", "6"]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(!out.status.success(), "B must not reach sync");
    assert!(!contains(&b.store_bytes(), "narwhal-agreement-text"));
    assert!(!b.section("conflict").contains("narwhal"));
    // Unpairing kept A's data.
    assert!(a.section("conflict").contains("narwhal-agreement-text"));
}

#[test]
fn a_sync_killed_midway_resumes_and_converges() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    // Enough history that the first sync takes a while: shared entries are couple data.
    for i in 0..60 {
        a.ok(&[
            "journal",
            "add",
            "--text",
            &format!("entry {i} {}", "words ".repeat(200)),
            "--share",
        ]);
    }
    let mut serve = a
        .cmd(&["sync", "--timeout", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut victim = b
        .cmd(&["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    victim.kill().unwrap();
    victim.wait().unwrap();
    // The store opens after the kill, and a second run converges.
    let out = b.run(&["sync", "--once", "--timeout", "40"]);
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: serde_json::Value =
        serde_json::from_str(&b.ok(&["export", "--format", "json"])).unwrap();
    assert_eq!(exported["shared_entries"].as_array().unwrap().len(), 60);
    assert_eq!(a.couple_doc().get_heads(), b.couple_doc().get_heads());
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn mdns_finds_a_device_whose_address_changed() {
    if !kintsugi_service::loopback_only_network() {
        eprintln!("skipped: mDNS runs only inside tests/offline-net (loopback-only namespace)");
        return;
    }
    let mut a = Device::new("Sam", "Alex");
    let mut b = Device::new("Alex", "Sam");
    a.mdns = true;
    b.mdns = true;
    a.port = Some(free_port());
    b.port = Some(free_port());
    pair(&a, &b, false);
    // Both come back on other ports: the addresses each remembers are stale, so only mDNS can
    // bring them together.
    a.port = Some(free_port());
    b.port = Some(free_port());
    a.ok(&[
        "agreement",
        "edit",
        "review",
        "--insert",
        "0",
        "found-by-mdns",
    ]);
    // Control: without mDNS they cannot meet, which shows the next sync is mDNS's doing.
    a.mdns = false;
    b.mdns = false;
    let (ca, cb) = (
        a.cmd(&["sync", "--once", "--timeout", "4"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        b.cmd(&["sync", "--once", "--timeout", "4"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (ra, rb) = (
        ca.wait_with_output().unwrap(),
        cb.wait_with_output().unwrap(),
    );
    assert!(
        !ra.status.success() && !rb.status.success(),
        "stale addresses alone must not connect"
    );
    a.mdns = true;
    b.mdns = true;
    sync_all(&[&a, &b]);
    assert!(b.section("review").contains("found-by-mdns"));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Whether `marker` is anywhere in `doc` or its history: the uncompressed bytes, every change's
/// decoded ops (each string value, and the characters of text splices joined in op order), and
/// every value (text included) of the document as it stood after each change.
fn doc_mentions(doc: &mut AutoCommit, marker: &str) -> bool {
    if contains(&doc.save_nocompress(), marker) {
        return true;
    }
    let changes = doc.get_changes(&[]);
    assert!(!changes.is_empty(), "a document with history");
    for change in &changes {
        let decoded = change.decode();
        if format!("{decoded:?}").contains(marker) {
            return true;
        }
        let joined: String = decoded
            .operations
            .iter()
            .filter_map(|op| match &op.action {
                OpType::Put(ScalarValue::Str(s)) => Some(s.to_string()),
                _ => None,
            })
            .collect();
        if joined.contains(marker) {
            return true;
        }
        if state_mentions(doc, &ROOT, &[change.hash()], marker) {
            return true;
        }
    }
    false
}

/// Whether any key or value under `obj`, as of `heads`, holds `marker`.
fn state_mentions(doc: &AutoCommit, obj: &ObjId, heads: &[ChangeHash], marker: &str) -> bool {
    let value_mentions = |values: Vec<(Value<'_>, ObjId)>| {
        values.into_iter().any(|(v, id)| match v {
            Value::Object(_) => state_mentions(doc, &id, heads, marker),
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(s) => s.contains(marker),
                ScalarValue::Bytes(b) => contains(b, marker),
                _ => false,
            },
        })
    };
    match doc.object_type(obj) {
        Ok(ObjType::Text) => doc.text_at(obj, heads).is_ok_and(|t| t.contains(marker)),
        Ok(ObjType::List) => (0..doc.length_at(obj, heads))
            .any(|i| value_mentions(doc.get_all_at(obj, i, heads).unwrap_or_default())),
        Ok(ObjType::Map | ObjType::Table) => doc.keys_at(obj, heads).any(|key| {
            key.contains(marker)
                || value_mentions(doc.get_all_at(obj, key.as_str(), heads).unwrap_or_default())
        }),
        Err(_) => false,
    }
}

/// `marker` is in no byte of any file in the device's data directory, and in neither of its
/// documents once decoded, history included.
fn assert_nowhere(dev: &Device, marker: &str, why: &str) {
    let files = files_under(dev.path());
    assert!(!files.is_empty());
    for f in &files {
        assert!(
            !contains(&std::fs::read(f).unwrap(), marker),
            "{marker} in the raw bytes of {}: {why}",
            f.display()
        );
    }
    for kind in ["couple", "private"] {
        assert!(
            !doc_mentions(&mut dev.saved_doc(kind), marker),
            "{marker} in the decoded {kind} document or its history: {why}"
        );
    }
}

#[test]
fn a_logged_commitment_is_acknowledged_on_the_partners_device() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    let id = a
        .ok(&["commitment", "add", "Home by six", "--rhythm", "daily"])
        .trim()
        .to_owned();
    a.ok(&[
        "commitment",
        "log",
        &id[..8],
        "kept",
        "--note",
        "home at 5:40",
    ]);
    sync_all(&[&a, &b]);

    let list = b.ok(&["commitment", "list"]);
    assert!(list.contains("Home by six"), "{list}");
    assert!(list.contains("home at 5:40"), "{list}");
    assert!(list.contains("not acknowledged yet"), "{list}");
    let json: serde_json::Value =
        serde_json::from_str(&b.ok(&["commitment", "list", "--json"])).unwrap();
    let date = json[0]["log"][0]["date"].as_str().unwrap().to_owned();
    // Only Sam logs Sam's commitment.
    let out = b.run(&["commitment", "log", &id[..8], "missed"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only Sam"));
    b.ok(&[
        "commitment",
        "ack",
        &id[..8],
        &date,
        "--note",
        "I saw you come in, thank you",
    ]);
    sync_all(&[&a, &b]);

    let json: serde_json::Value =
        serde_json::from_str(&a.ok(&["commitment", "list", "--json"])).unwrap();
    let log = &json[0]["log"][0];
    assert_eq!(log["date"], date.as_str());
    assert_eq!(log["status"], "kept");
    assert_eq!(log["ack_note"], "I saw you come in, thank you", "{json}");
    assert!(log["acknowledged_at"].is_i64(), "{json}");
    assert!(log["acknowledged_by"].is_string(), "{json}");
    assert_ne!(
        log["acknowledged_by"], json[0]["by"],
        "acknowledged by Alex"
    );
    let list = a.ok(&["commitment", "list"]);
    assert!(list.contains("acknowledged by Alex"), "{list}");
    assert!(list.contains("I saw you come in, thank you"), "{list}");
}

#[test]
fn a_checkin_stays_off_the_partners_device_until_the_partner_answers() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    let (day, week) = ("2026-11-24", "2026-W48");
    let (a_daily, a_weekly) = ("kiwi-daily-answer-7f3a", "kiwi-weekly-answer-9c1e");
    let (b_daily, b_weekly) = ("tui-answer-daily-2b8d", "tui-answer-weekly-5e0c");
    let answer_daily = |d: &Device, text: &str| {
        d.ok(&[
            "checkin",
            "add",
            "--mood",
            "3",
            "--connection",
            "4",
            "--safety",
            "4",
            "--high",
            text,
            "--date",
            day,
        ])
    };
    answer_daily(&a, a_daily);
    a.ok(&["checkin", "weekly", "--week", week, "--how", a_weekly]);
    // Not even A's own couple document holds the answers yet: only that Sam answered.
    for marker in [a_daily, a_weekly] {
        assert!(
            !doc_mentions(&mut a.saved_doc("couple"), marker),
            "{marker} in A's couple document before Alex answered"
        );
    }
    assert!(
        a.ok(&["checkin", "list"])
            .contains("[sealed until Alex answers]")
    );

    sync_all(&[&a, &b]);
    let list = b.ok(&["checkin", "list"]);
    assert!(
        list.contains(&format!("{day}  Sam answered (sealed until you answer)")),
        "{list}"
    );
    let weekly = b.ok(&["checkin", "list", "--weekly"]);
    assert!(
        weekly.contains("Sam answered (sealed until you answer)"),
        "{weekly}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&b.ok(&["checkin", "list", "--json"])).unwrap();
    assert_eq!(json[0]["date"], day, "{json}");
    assert_eq!(json[0]["sealed"], true, "{json}");
    assert_eq!(json[0]["mood"], serde_json::Value::Null, "{json}");
    for marker in [a_daily, a_weekly] {
        assert!(!list.contains(marker) && !weekly.contains(marker));
        assert_nowhere(&b, marker, "Alex has not answered yet");
    }

    // Alex answers; after syncing, both devices show both answers.
    answer_daily(&b, b_daily);
    b.ok(&["checkin", "weekly", "--week", week, "--how", b_weekly]);
    let both = |d: &Device| {
        let (daily, weekly) = (
            d.ok(&["checkin", "list"]),
            d.ok(&["checkin", "list", "--weekly"]),
        );
        daily.contains(a_daily)
            && daily.contains(b_daily)
            && weekly.contains(a_weekly)
            && weekly.contains(b_weekly)
            && !daily.contains("[sealed")
            && !weekly.contains("[sealed")
            && !daily.contains("answered (")
            && !weekly.contains("answered (")
    };
    // A copies its answers in when Alex's seal arrives, which takes a second exchange.
    let mut rounds = 0;
    while !(both(&a) && both(&b)) {
        rounds += 1;
        assert!(
            rounds <= 4,
            "not revealed on both devices after 4 syncs:\nA:\n{}{}\nB:\n{}{}",
            a.ok(&["checkin", "list"]),
            a.ok(&["checkin", "list", "--weekly"]),
            b.ok(&["checkin", "list"]),
            b.ok(&["checkin", "list", "--weekly"])
        );
        sync_all(&[&a, &b]);
    }
    // The check above is not blind: the decoded documents now hold A's answers on B.
    for marker in [a_daily, a_weekly] {
        assert!(doc_mentions(&mut b.saved_doc("couple"), marker), "{marker}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&b.ok(&["checkin", "list", "--json"])).unwrap();
    let sam = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["high"] == a_daily)
        .unwrap();
    assert_eq!(sam["sealed"], false);
    assert_eq!(sam["mood"], 3);
}

#[test]
fn a_trigger_shows_on_the_partners_device_with_the_plan_and_is_acknowledged_there() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    // The plan is written by both, apart, then merged.
    a.ok(&["plan", "edit", "--insert", "0", "Sit beside me. "]);
    b.ok(&["plan", "edit", "--insert", "0", "Tell me you are staying. "]);
    let id = a
        .ok(&["trigger", "raise", "--note", "the old street"])
        .trim()
        .to_owned();
    sync_all(&[&a, &b]);

    let plan = a.ok(&["plan", "show"]);
    assert_eq!(plan, b.ok(&["plan", "show"]), "one plan on both devices");
    assert!(
        plan.contains("Sit beside me.") && plan.contains("Tell me you are staying."),
        "{plan}"
    );
    let list = b.ok(&["trigger", "list"]);
    assert!(
        list.contains("Sam is triggered and needs you now"),
        "{list}"
    );
    assert!(list.contains("the old street"), "{list}");
    assert!(
        list.contains("Sit beside me.") && list.contains("Tell me you are staying."),
        "the plan with the trigger: {list}"
    );
    // Only Alex can say "I'm here" to Sam's trigger.
    let out = a.run(&["trigger", "ack", &id[..8]]);
    assert_eq!(out.status.code(), Some(1));
    b.ok(&["trigger", "ack", &id[..8]]);
    sync_all(&[&a, &b]);

    let json: serde_json::Value =
        serde_json::from_str(&a.ok(&["trigger", "list", "--json"])).unwrap();
    let t = &json["triggers"][0];
    assert_eq!(t["id"], id.as_str());
    assert_eq!(t["mine"], true);
    assert!(t["acknowledged_at"].is_i64(), "{json}");
    let list = a.ok(&["trigger", "list"]);
    assert!(list.contains("Alex said \"I'm here\""), "{list}");
    assert!(!b.ok(&["trigger", "list"]).contains("needs you now"));
}

#[test]
fn a_break_has_the_same_end_on_both_devices_and_either_extends_it() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    a.ok(&["break", "start", "20", "--note", "a walk"]);
    sync_all(&[&a, &b]);
    let status = |d: &Device| -> serde_json::Value {
        serde_json::from_str(&d.ok(&["break", "status", "--json"])).unwrap()
    };
    let (sa, sb) = (status(&a), status(&b));
    for s in [&sa, &sb] {
        assert_eq!(s["running"], true, "{s}");
        assert_eq!(s["break"]["started_by_name"], "Sam", "{s}");
        assert_eq!(s["break"]["note"], "a walk", "{s}");
    }
    let ends = sa["break"]["ends_at"].as_i64().unwrap();
    assert_eq!(
        sb["break"]["ends_at"], ends,
        "the same absolute end: {sa} {sb}"
    );
    assert_eq!(
        sa["break"]["ends_at_rfc3339"],
        sb["break"]["ends_at_rfc3339"]
    );
    assert_eq!(sa["break"]["id"], sb["break"]["id"]);
    // A second break is refused on the partner's device too.
    let out = b.run(&["break", "start", "5"]);
    assert_eq!(out.status.code(), Some(1));

    b.ok(&["break", "extend", "10"]);
    sync_all(&[&a, &b]);
    let (sa, sb) = (status(&a), status(&b));
    assert_eq!(sa["break"]["ends_at"], ends + 10 * 60_000, "{sa}");
    assert_eq!(sb["break"]["ends_at"], ends + 10 * 60_000, "{sb}");
    assert_eq!(sa["break"]["extensions"], sb["break"]["extensions"]);
    assert_eq!(sa["break"]["extensions"][0]["by_name"], "Alex", "{sa}");
    assert_eq!(sb["break"]["extensions"][0]["by_name"], "Alex", "{sb}");
    assert!(
        a.ok(&["break", "status"])
            .contains("extended by 10 min by Alex")
    );
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Waits until the clock has moved past `t`, so the next process writes at a later millisecond.
fn after(t: i64) {
    while now_ms() <= t + 5 {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_restore_on_one_device_shows_on_the_other_and_both_converge() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);

    // A writes the wording; both devices have it.
    let agreed = "Phones stay on the table. We tell each other about messages from them.";
    a.ok(&["agreement", "edit", "boundaries", "--insert", "0", agreed]);
    sync_all(&[&a, &b]);
    assert_eq!(b.section("boundaries"), agreed);
    let good = now_ms();
    after(good);

    // Both edit apart: B overwrites the start, A adds a sentence; the merge keeps both.
    b.ok(&["agreement", "edit", "boundaries", "--delete", "0", "25"]);
    b.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "Phones are private.",
    ]);
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "25",
        " Even at night.",
    ]);
    sync_all(&[&a, &b]);
    let merged = a.section("boundaries");
    assert_eq!(merged, b.section("boundaries"));
    assert!(
        merged.contains("Phones are private.") && merged.contains("Even at night."),
        "{merged}"
    );
    assert!(!merged.contains("on the table"), "{merged}");

    // A brings back the wording as it stood before either edit.
    let before_restore = now_ms();
    after(before_restore);
    let said = a.ok(&[
        "agreement",
        "restore",
        "boundaries",
        "--time",
        &good.to_string(),
    ]);
    assert!(said.starts_with("Restored the wording of '"), "{said}");
    assert!(said.contains(" characters)"), "{said}");
    assert_eq!(a.section("boundaries"), agreed);

    sync_all(&[&a, &b]);
    assert_eq!(b.section("boundaries"), agreed, "the restore reached B");
    assert_eq!(
        a.ok(&["agreement", "show"]),
        b.ok(&["agreement", "show"]),
        "both devices show the same agreement"
    );
    assert_eq!(
        b.ok(&["agreement", "at", "boundaries", "--time", &good.to_string()])
            .trim_end(),
        agreed
    );

    // B's history names A for the restore: a session of its own by Sam, after the restore
    // began, that took away what B had typed.
    let hist = b.json(&["agreement", "history", "boundaries", "--json"]);
    let sessions = hist["sessions"].as_array().unwrap();
    assert_eq!(hist["section"], "boundaries");
    let restore = sessions
        .iter()
        .find(|s| {
            s["by"]["name"] == "Sam"
                && s["restore"] == true
                && s["from"].as_i64().unwrap() >= before_restore
                && s["removed"].as_str().unwrap().contains("are private.")
        })
        .unwrap_or_else(|| panic!("no restore session by Sam in {hist:#}"));
    assert!(
        restore["removed_chars"].as_i64().unwrap() >= 12,
        "{restore}"
    );
    assert!(
        sessions.iter().any(|s| s["by"]["name"] == "Alex"
            && s["inserted"]
                .as_str()
                .unwrap()
                .contains("Phones are private.")),
        "B's own edit is listed too: {hist:#}"
    );
    // Both devices list the same sessions.
    assert_eq!(
        a.json(&["agreement", "history", "boundaries", "--json"])["sessions"]
            .as_array()
            .unwrap()
            .len(),
        sessions.len()
    );
}

/// The stock app as a partner who wants to game a check-in: Alex answers with a placeholder,
/// reads Sam's answers once both are shown, and tries to answer again. The binary refuses in
/// one line that points to a note; the note reaches Sam's device marked as added afterwards,
/// beside Alex's first answer.
#[test]
fn a_shown_check_in_answer_is_final_and_a_later_thought_is_a_note() {
    let a = Device::new("Sam", "Alex");
    let b = Device::new("Alex", "Sam");
    pair(&a, &b, false);
    let answer = |d: &Device, mood: &str, low: &str| {
        d.run(&[
            "checkin",
            "add",
            "--mood",
            mood,
            "--connection",
            "3",
            "--safety",
            "3",
            "--low",
            low,
        ])
    };
    assert!(answer(&b, "3", "placeholder").status.success());
    sync_all(&[&a, &b]);
    assert!(answer(&a, "2", "sam-real-low").status.success());
    sync_all(&[&a, &b]);
    sync_all(&[&a, &b]);
    let list = b.ok(&["checkin", "list"]);
    assert!(
        list.contains("sam-real-low"),
        "Alex reads Sam's answers: {list}"
    );

    let again = answer(&b, "5", "the considered answer");
    assert!(
        !again.status.success(),
        "a second answer after both were shown"
    );
    let err = String::from_utf8(again.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one clear line: {err}");
    assert!(
        err.contains("can no longer be changed") && err.contains("kintsugi checkin note"),
        "{err}"
    );
    b.ok(&["checkin", "note", "I want to say more about the low"]);
    sync_all(&[&a, &b]);
    let list = a.ok(&["checkin", "list"]);
    assert!(
        list.contains("Added by Alex after seeing Sam's answers: I want to say more about the low"),
        "{list}"
    );
    assert!(list.contains("placeholder"), "{list}");
    assert!(!list.contains("the considered answer"), "{list}");

    // A day that has not come cannot be answered (or pre-sealed).
    let ahead = b.run(&[
        "checkin",
        "add",
        "--mood",
        "3",
        "--connection",
        "3",
        "--safety",
        "3",
        "--date",
        "2099-01-01",
    ]);
    assert!(!ahead.status.success());
    let err = String::from_utf8(ahead.stderr).unwrap();
    assert!(err.contains("has not come yet"), "{err}");
}
