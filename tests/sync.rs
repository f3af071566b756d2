//! Two and three real processes of the binary pairing and syncing over loopback.
//!
//! Run inside `tests/offline-net` (the README's test command does): every endpoint binds
//! 127.0.0.1 only, mDNS is off except in the mDNS test, and every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kintsugi_core::automerge::{AutoCommit, ReadDoc};

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
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kintsugi {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
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
