//! Two devices on separate networks, with no route between them, syncing through a real iroh relay on a third.
//!
//! Each test builds its own network namespaces inside the one `tests/offline-net` runs the suite
//! in (as root in CI, or as the mapped root of `unshare -rn`): a relay namespace with the address
//! 10.77.0.1 and one veth pair per device network (10.77.N.0/24), forwarding off, so a device
//! reaches the relay and nothing else. The relay is the iroh project's own server
//! (`examples/relay_server.rs`, built by `cargo test`); the devices are the real `kintsugi`
//! binary, started in their namespace with `nsenter`. Every wait is bounded, and every process
//! and namespace is killed by a guard, also when an assertion fails.

mod binary;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

#[path = "../crates/service/benches/common/mod.rs"]
mod year;

const RELAY_ADDR: &str = "10.77.0.1:3340";
const RELAY_URL: &str = "http://10.77.0.1:3340/";

/// A network namespace, held open by a `sleep` that lives in it; killed on drop.
struct Netns {
    holder: Child,
}

impl Netns {
    fn new() -> Netns {
        let holder = Command::new("unshare")
            .args(["--net", "--", "sleep", "300"])
            .stdin(Stdio::null())
            .spawn()
            .expect("`unshare` (util-linux) runs");
        let ns = Netns { holder };
        // The holder switches namespace after fork: wait until its namespace is not ours.
        let own = std::fs::read_link("/proc/self/ns/net").unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read_link(ns.path()).ok().as_ref() == Some(&own) {
            assert!(
                Instant::now() < deadline,
                "`unshare --net` made no namespace: run the tests inside tests/offline-net, which gives the rights to"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        ns
    }

    fn pid(&self) -> u32 {
        self.holder.id()
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.pid()))
    }

    /// `program` run inside this namespace.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("nsenter");
        // nsenter execs the program (no fork for a network namespace), so the child's pid and
        // kill() are the program's own.
        c.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program);
        c
    }

    fn ip(&self, args: &str) {
        let out = self
            .command("ip")
            .args(args.split_whitespace())
            .output()
            .expect("`nsenter` and `ip` run");
        assert!(
            out.status.success(),
            "ip {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// The relay's namespace and the device networks attached to it.
struct Lab {
    relay_ns: Netns,
}

impl Lab {
    fn new() -> Lab {
        let relay_ns = Netns::new();
        relay_ns.ip("link set lo up");
        relay_ns.ip("addr add 10.77.0.1/32 dev lo");
        // A fresh namespace forwards nothing; said here so no reader has to know the default.
        let fwd = relay_ns
            .command("cat")
            .arg("/proc/sys/net/ipv4/ip_forward")
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&fwd.stdout).trim(), "0");
        Lab { relay_ns }
    }

    /// A device network 10.77.`n`.0/24: its own namespace, linked to the relay's only. Devices
    /// in it are 10.77.`n`.2 and reach 10.77.0.1 (the relay) through 10.77.`n`.1.
    fn network(&self, n: u8) -> Netns {
        let ns = Netns::new();
        self.relay_ns.ip(&format!(
            "link add kr{n} type veth peer name kd{n} netns {}",
            ns.pid()
        ));
        self.relay_ns
            .ip(&format!("addr add 10.77.{n}.1/24 dev kr{n}"));
        self.relay_ns.ip(&format!("link set kr{n} up"));
        ns.ip("link set lo up");
        ns.ip(&format!("addr add 10.77.{n}.2/24 dev kd{n}"));
        ns.ip(&format!("link set kd{n} up"));
        ns.ip(&format!("route add 10.77.0.0/24 via 10.77.{n}.1"));
        ns
    }

    /// Starts the relay on 10.77.0.1:3340 and waits until it accepts connections.
    fn relay(&self) -> Relay {
        let exe = relay_server_exe();
        let mut child = self
            .relay_ns
            .command(&exe)
            .arg(RELAY_ADDR)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        let relay = Relay { child };
        let first = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the relay started within 20 s");
        assert!(first.starts_with("relay listening"), "relay said {first}");
        relay
    }
}

/// `examples/relay_server`, which `cargo test` builds next to the test binaries.
fn relay_server_exe() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug_dir = exe.parent().and_then(Path::parent).unwrap();
    let path = debug_dir.join("examples").join("relay_server");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it (or `cargo build --example relay_server`)",
        path.display()
    );
    path
}

/// The relay process; SIGKILLed on drop (and by `kill`), like a crash or a power cut.
struct Relay {
    child: Child,
}

impl Relay {
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child's output, line by line, read on a thread so the child never blocks on a full pipe.
fn lines_of(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A data directory used by the real binary, in whichever network namespace it is now.
struct Device<'a> {
    dir: tempfile::TempDir,
    ns: &'a Netns,
    port: u16,
}

impl<'a> Device<'a> {
    fn new(ns: &'a Netns, port: u16, name: &str, partner: &str) -> Device<'a> {
        let d = Device {
            dir: tempfile::tempdir().unwrap(),
            ns,
            port,
        };
        d.ok(&["init", "--name", name, "--partner", partner]);
        d
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.ns.command(env!("CARGO_BIN_EXE_kintsugi"));
        c.arg("--data-dir")
            .arg(self.dir.path())
            .args(args)
            // IPv4 only keeps the remembered addresses to the ones this test sets up.
            .env("KINTSUGI_BIND", "0.0.0.0:0")
            .env("KINTSUGI_PORT", self.port.to_string())
            .env("KINTSUGI_MDNS", "0")
            .env_remove("KINTSUGI_DATA_DIR")
            .env_remove("KINTSUGI_PASSPHRASE_FILE")
            .stdin(Stdio::null());
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

    fn section(&self, id: &str) -> String {
        let json = self.json(&["agreement", "show", "--json"]);
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

    /// The one paired device as `status --json` shows it.
    fn peer(&self) -> serde_json::Value {
        let status = self.json(&["status", "--json"]);
        let peers = status["peers"].as_array().unwrap();
        assert_eq!(peers.len(), 1, "{status}");
        peers[0].clone()
    }

    /// A running `kintsugi` and its stdout lines; killed on drop.
    fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = lines_of(child.stdout.take().unwrap());
        let err = lines_of(child.stderr.take().unwrap());
        Running {
            child,
            out,
            err,
            seen: Vec::new(),
        }
    }
}

struct Running {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// Waits for a stdout line that satisfies `want`, for at most `limit`.
    fn line(&mut self, limit: Duration, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(l) if want(&l) => return l,
                Ok(l) => self.seen.push(l),
                Err(_) => panic!(
                    "no such line within {limit:?}; saw {:#?}, stderr {:?}",
                    self.seen,
                    self.err.try_iter().collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits for the exit (bounded) and returns success, stdout and stderr.
    fn finish(mut self, limit: Duration) -> (bool, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "kintsugi did not end in {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader threads end with the pipes; give them a moment to hand over the rest.
        let collect = |rx: &Receiver<String>| {
            let mut v = Vec::new();
            while let Ok(l) = rx.recv_timeout(Duration::from_secs(2)) {
                v.push(l);
            }
            v.join("\n")
        };
        (status.success(), collect(&self.out), collect(&self.err))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sync --once` on both devices at the same time; returns each one's result.
fn sync_both(a: &Device, b: &Device, secs: u64) -> [(bool, String, String); 2] {
    let t = secs.to_string();
    let ra = a.spawn(&["sync", "--once", "--timeout", &t]);
    let rb = b.spawn(&["sync", "--once", "--timeout", &t]);
    let limit = Duration::from_secs(secs + 20);
    [ra.finish(limit), rb.finish(limit)]
}

fn assert_synced(results: &[(bool, String, String); 2]) {
    for (ok, out, err) in results {
        assert!(ok, "sync failed: {out}\n{err}");
        assert!(out.contains("In sync with 1 device(s)"), "{out}");
    }
}

/// Sets the relay on both, pairs them through it (a code passed from one to the other) and
/// checks both show the same safety code.
fn pair_through_relay(a: &Device, b: &Device) {
    for d in [a, b] {
        let said = d.ok(&["network", "relay", "http://10.77.0.1:3340"]);
        assert!(said.contains("Relay set: http://10.77.0.1:3340."), "{said}");
    }
    let mut invite = a.spawn(&["pair", "invite", "--timeout", "60"]);
    let code = invite.line(Duration::from_secs(30), |l| l.starts_with("kintsugi1-"));
    let joined = b.ok(&["pair", "join", &code, "--timeout", "30"]);
    let (ok, invited, err) = invite.finish(Duration::from_secs(30));
    assert!(ok, "invite failed: {invited}\n{err}");
    let safety = |s: &str| {
        s.lines()
            .find_map(|l| l.strip_prefix("Safety code: "))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no safety code in {s}"))
    };
    assert_eq!(safety(&invited), safety(&joined));
}

#[test]
fn devices_on_separate_networks_pair_and_sync_through_the_relay_and_not_without_it() {
    let lab = Lab::new();
    let net_a = lab.network(1);
    let net_b = lab.network(2);
    let relay = lab.relay();
    let a = Device::new(&net_a, 41001, "Sam", "Alex");
    let b = Device::new(&net_b, 42001, "Alex", "Sam");

    // Wrong relay addresses are refused with a reason, and change nothing.
    let bad = a.run(&["network", "relay", "relay.example.org"]);
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("is not a relay address"), "{said}");
    assert!(said.contains("unchanged"), "{said}");
    assert_eq!(
        a.json(&["network", "show", "--json"])["relay_url"],
        serde_json::Value::Null
    );

    pair_through_relay(&a, &b);
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "We ask first. ",
    ]);
    b.ok(&[
        "agreement",
        "edit",
        "conflict",
        "--insert",
        "0",
        "We pause, then talk. ",
    ]);
    let results = sync_both(&a, &b, 30);
    assert_synced(&results);
    assert!(
        results[0].1.contains("through the relay"),
        "{}",
        results[0].1
    );
    for d in [&a, &b] {
        assert!(d.section("boundaries").starts_with("We ask first. "));
        assert!(d.section("conflict").starts_with("We pause, then talk. "));
        assert_eq!(d.peer()["path"], "relay");
    }

    // The control: the same two devices with the relay off cannot reach each other.
    for d in [&a, &b] {
        assert!(d.ok(&["network", "relay", "--off"]).contains("Relay off"));
    }
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "Kept while apart. ",
    ]);
    for (ok, out, err) in sync_both(&a, &b, 4) {
        assert!(!ok, "synced without a relay: {out}");
        assert!(err.contains("is not reachable"), "{err}");
        assert!(err.contains("no relay is set"), "{err}");
    }
    assert!(a.section("boundaries").starts_with("Kept while apart. "));
    assert!(!b.section("boundaries").contains("Kept while apart."));

    // An https:// address for a relay that speaks plain HTTP: the status line says so. (A
    // peer whose remembered relay still works would be reached through that one.)
    a.ok(&["network", "relay", "https://10.77.0.1:3340"]);
    let mut run = a.spawn(&["sync", "--timeout", "20"]);
    let line = run.line(Duration::from_secs(20), |l| {
        l.contains("relay https://10.77.0.1:3340/: not reachable (")
    });
    assert!(line.contains("https:// (TLS) or http://"), "{line}");
    // Shown with --nocapture: what a person sees for this mistake.
    println!("{line}");
    drop(run);
    assert!(a.section("boundaries").starts_with("Kept while apart. "));

    // Back on the right address, the edit made apart arrives.
    for d in [&a, &b] {
        d.ok(&["network", "relay", RELAY_URL]);
    }
    assert_synced(&sync_both(&a, &b, 30));
    assert!(
        b.section("boundaries")
            .starts_with("Kept while apart. We ask first. ")
    );
    drop(relay);
}

#[test]
fn a_device_that_moved_is_found_through_the_relay_and_its_new_address_remembered() {
    let lab = Lab::new();
    let net_a = lab.network(1);
    let net_b = lab.network(2);
    let net_b_moved = lab.network(3);
    let _relay = lab.relay();
    let a = Device::new(&net_a, 41002, "Sam", "Alex");
    let mut b = Device::new(&net_b, 42002, "Alex", "Sam");
    pair_through_relay(&a, &b);
    assert_synced(&sync_both(&a, &b, 30));
    let addrs = |d: &Device| -> Vec<String> {
        d.peer()["addrs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let before = addrs(&a);
    assert!(before.contains(&"10.77.2.2:42002".to_owned()), "{before:?}");
    assert!(before.contains(&format!("relay:{RELAY_URL}")), "{before:?}");

    // B moves to another network and another port, and writes something there.
    b.ns = &net_b_moved;
    b.port = 43002;
    b.ok(&[
        "agreement",
        "edit",
        "conflict",
        "--insert",
        "0",
        "Written after moving. ",
    ]);
    assert_synced(&sync_both(&a, &b, 30));
    assert!(a.section("conflict").starts_with("Written after moving. "));
    let after = addrs(&a);
    assert!(
        after.contains(&"10.77.3.2:43002".to_owned()),
        "A did not learn B's new address: {after:?}"
    );
    // Newest first: the new direct address comes before the one B left.
    let new = after.iter().position(|x| x == "10.77.3.2:43002").unwrap();
    let old = after.iter().position(|x| x == "10.77.2.2:42002");
    assert!(old.is_none_or(|old| new < old), "{after:?}");
    assert_eq!(a.peer()["path"], "relay");
}

#[test]
fn a_relay_killed_while_syncing_loses_nothing_and_sync_resumes_when_it_is_back() {
    let lab = Lab::new();
    let net_a = lab.network(1);
    let net_b = lab.network(2);
    let relay = lab.relay();
    let a = Device::new(&net_a, 41003, "Sam", "Alex");
    let b = Device::new(&net_b, 42003, "Alex", "Sam");
    pair_through_relay(&a, &b);
    assert_synced(&sync_both(&a, &b, 30));

    // Both keep syncing; the relay dies while they are connected through it.
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "Sent as the relay died. ",
    ]);
    let mut run_a = a.spawn(&["sync", "--timeout", "60"]);
    let mut run_b = b.spawn(&["sync", "--timeout", "60"]);
    let up = |l: &str| l.contains("connected through the relay");
    run_a.line(Duration::from_secs(20), up);
    relay.kill();
    run_a.line(Duration::from_secs(20), |l| {
        l.contains(&format!("relay {RELAY_URL}: not reachable"))
    });
    let relay = lab.relay();
    run_a.line(Duration::from_secs(30), |l| {
        l.contains(&format!("relay {RELAY_URL}: connected"))
            && up(l)
            && l.contains("nothing waiting")
    });
    run_b.line(Duration::from_secs(30), |l| {
        up(l) && l.contains(&format!("relay {RELAY_URL}: connected"))
    });
    drop(run_a);
    drop(run_b);
    assert!(
        b.section("boundaries")
            .starts_with("Sent as the relay died. ")
    );

    // Written while the relay is down: the sync says why it cannot, keeps the edit, and
    // delivers it once the relay is back.
    relay.kill();
    a.ok(&[
        "agreement",
        "edit",
        "conflict",
        "--insert",
        "0",
        "Written with no relay. ",
    ]);
    for (ok, out, err) in sync_both(&a, &b, 4) {
        assert!(!ok, "synced with the relay down: {out}");
        assert!(err.contains("is not reachable"), "{err}");
        assert!(
            err.contains(&format!("relay {RELAY_URL}: not reachable")),
            "{err}"
        );
    }
    assert!(a.section("conflict").starts_with("Written with no relay. "));
    let _relay = lab.relay();
    assert_synced(&sync_both(&a, &b, 30));
    assert!(b.section("conflict").starts_with("Written with no relay. "));
}

/// Not part of the suite: prints how long syncing through the relay takes, for the README.
/// `tests/offline-net cargo test --locked --test relay -- --ignored --nocapture`
/// (`KINTSUGI_BENCH_DAYS` sets the span, a year by default).
#[test]
#[ignore = "a measurement; run on demand (see its comment)"]
fn measure_sync_through_the_relay() {
    let lab = Lab::new();
    let net_a = lab.network(1);
    let net_b = lab.network(2);
    let _relay = lab.relay();
    let days = year::days_from_env();
    let generated = year::generate(days);
    println!(
        "generated {days} days of daily use in {:.1} s",
        generated.seconds
    );
    let year::Year { dir, vault, .. } = generated;
    drop(vault);
    let a = Device {
        dir,
        ns: &net_a,
        port: 41009,
    };
    let b = Device::new(&net_b, 42009, "Alex", "Sam");
    pair_through_relay(&a, &b);
    // Until both print "In sync" (which `sync --once` does 0.3 s after converging, so the
    // last acknowledgement gets out), and until both have exited.
    let timed = |what: &str| {
        let t = Instant::now();
        let mut runs = [&a, &b].map(|d| d.spawn(&["sync", "--once", "--timeout", "600"]));
        let in_sync = runs
            .iter_mut()
            .map(|r| {
                let line = r.line(Duration::from_secs(600), |l| l.starts_with("In sync"));
                assert!(line.contains("through the relay"), "{line}");
                t.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max);
        for r in runs {
            assert!(r.finish(Duration::from_secs(60)).0);
        }
        println!(
            "{what}: both in sync after {in_sync:.2} s, both exited after {:.2} s (two `sync --once` started together)",
            t.elapsed().as_secs_f64()
        );
    };
    timed("first sync of the year through the relay");
    let a_sections = a.json(&["agreement", "show", "--json"]);
    assert_eq!(a_sections, b.json(&["agreement", "show", "--json"]));
    a.ok(&[
        "agreement",
        "edit",
        "boundaries",
        "--insert",
        "0",
        "One more line. ",
    ]);
    timed("one edit through the relay");
    assert!(b.section("boundaries").starts_with("One more line. "));
    // What a `sync --once` costs with nothing to do but start, open the store and stop.
    let t = Instant::now();
    a.ok(&["status"]);
    println!(
        "for scale: `status` on the year (start, open, exit): {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
