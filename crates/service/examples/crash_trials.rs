//! Crash trials: writers killed with SIGKILL at random moments; every edit reported saved must survive.

// `cargo run --release -p kintsugi-service --example crash_trials -- --trials 1000`
//
// Two kinds of trial alternate:
// - *vault*: a child process (this program with `--writer`) opens `Vault` and loops over journal
//   entries, agreement typing (one splice per character, saved as one batch), check-ins and
//   incoming sync from a second vault (merged through real `Session`s), printing `saved <marker>`
//   only after `Vault::save` returned Ok. It is killed after a random delay.
// - *cli*: the real `kintsugi` binary (`--kintsugi PATH`, `KINTSUGI_BIN`, or
//   `target/{release,debug}/kintsugi`) runs one command at a time; a command that exited 0 said
//   it saved; a random one is killed mid-run.
//
// After every kill the store must open again (`Vault::open`) and hold every reported edit.
// Data directories are reused across trials (a crash on top of a crash) and renewed every 25.
// The last line, `CRASH_TRIALS …`, is read by the `figures` example; the exit code is 1 on any
// lost edit or unopenable store.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kintsugi_core::{Command, DailyAnswers, DocKind, ItemId, WinKind};
use kintsugi_service::Vault;
use kintsugi_sync::session::{DocAccess, DocName, Scope, Session, SessionEvent};

/// Trials per data directory before a fresh one (keeps documents and views small).
const TRIALS_PER_DIR: u64 = 25;

/// Small deterministic generator: trials are reproducible from the printed seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Totals of a run.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    pub trials: u64,
    pub vault_trials: u64,
    pub cli_trials: u64,
    /// Distinct edits reported saved.
    pub acked: u64,
    /// Times a reported edit was looked for again after a later kill.
    pub rechecks: u64,
    pub lost: u64,
    pub lost_markers: std::collections::HashSet<String>,
    pub open_failures: u64,
    pub killed_mid_command: u64,
    /// Duration of the last CLI command that completed, to aim the kills.
    pub cli_command_micros: u64,
    pub problems: Vec<String>,
}

impl Totals {
    pub fn line(&self) -> String {
        format!(
            "CRASH_TRIALS trials={} vault_trials={} cli_trials={} acked_edits={} rechecks={} lost_edits={} open_failures={} cli_killed_mid_command={}",
            self.trials,
            self.vault_trials,
            self.cli_trials,
            self.acked,
            self.rechecks,
            self.lost,
            self.open_failures,
            self.killed_mid_command
        )
    }
}

struct Access<'a>(&'a mut Vault);

impl DocAccess for Access<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        Some(self.0.model_mut().doc_mut(match name {
            DocName::Couple => DocKind::Couple,
            DocName::Private => DocKind::Private,
        }))
    }
}

/// A date no other write uses, so no check-in replaces an earlier one: `n` days before 2026,
/// since a check-in is only taken for a day that has come.
fn unique_date(n: u64) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() - chrono::Days::new(n);
    d.format("%Y-%m-%d").to_string()
}

/// Syncs `a` and `b` through a pair of sessions until quiet; returns whether `a` changed.
fn sync_pair(a: &mut Vault, b: &mut Vault) -> bool {
    let (ida, idb) = ([1u8; 32], [2u8; 32]);
    let mut sa = Session::new(ida, Scope::Partner, []);
    let mut sb = Session::new(idb, Scope::Partner, []);
    let mut to_b = sa.start();
    let mut to_a = sb.start();
    let mut a_changed = false;
    for _ in 0..50 {
        if to_a.is_empty() && to_b.is_empty() {
            break;
        }
        for f in std::mem::take(&mut to_b) {
            for ev in sb.receive(f, &mut Access(b)).expect("peer receive") {
                if let SessionEvent::DocChanged(_) = ev {
                    b.mark_changed();
                }
            }
        }
        to_a.extend(sb.poll(&mut Access(b)));
        for f in std::mem::take(&mut to_a) {
            for ev in sa.receive(f, &mut Access(a)).expect("receive") {
                if let SessionEvent::DocChanged(_) = ev {
                    a.mark_changed();
                    a_changed = true;
                }
            }
        }
        to_b.extend(sa.poll(&mut Access(a)));
    }
    a_changed
}

/// The child: writes forever, printing `saved <marker>` after each durable save.
pub fn writer(dir: &Path, peer_dir: &Path, seed: u64) -> ! {
    let mut rng = Rng::new(seed);
    let mut out = std::io::stdout().lock();
    let mut v = Vault::open(dir).expect("open main store");
    if v.view().my_name.is_empty() {
        v.apply(
            Command::SetUp {
                my_name: "Sam".into(),
                partner_name: "Alex".into(),
            },
            1,
        )
        .unwrap();
        v.save(1).unwrap();
    }
    let mut peer = Vault::open(peer_dir).expect("open peer store");
    let mut now = kintsugi_service::now_ms();
    for i in 0u64.. {
        now += 1;
        let marker = format!("[s{seed}.{i}]");
        let activity = rng.below(5);
        match activity {
            0 => {
                v.apply(
                    Command::AddJournalEntry {
                        id: ItemId::random(),
                        date: "2026-11-24".into(),
                        mood: Some(3),
                        tags: vec![],
                        text: format!("entry {marker}"),
                        prompt: None,
                    },
                    now,
                )
                .unwrap();
            }
            1 | 2 => {
                // Typing: one splice per character, saved as one batch like the worker does.
                let section = ["boundaries", "conflict", "review"][rng.below(3) as usize];
                let len = v
                    .view()
                    .agreement
                    .iter()
                    .find(|s| s.id == section)
                    .map_or(0, |s| s.body.chars().count());
                for (k, c) in marker.chars().enumerate() {
                    v.apply(
                        Command::SpliceSection {
                            section: section.into(),
                            pos: len + k,
                            delete: 0,
                            insert: c.to_string(),
                        },
                        now,
                    )
                    .unwrap();
                }
            }
            3 => {
                v.apply(
                    Command::SaveDailyCheckIn {
                        // A directory holds TRIALS_PER_DIR consecutive trials, whose seeds differ
                        // in seed % 32, so dates never repeat in a directory (and stay past).
                        date: unique_date(seed % 32 * 20_000 + i % 20_000),
                        answers: DailyAnswers {
                            mood: 3,
                            connection: 4,
                            safety: 4,
                            high: marker.clone(),
                            ..DailyAnswers::default()
                        },
                    },
                    now,
                )
                .unwrap();
            }
            _ => {
                // Incoming sync: the partner's device wrote something; merge it and save.
                peer.apply(
                    Command::AddWin {
                        id: ItemId::random(),
                        kind: WinKind::TrustWin,
                        text: format!("win {marker}"),
                    },
                    now,
                )
                .unwrap();
                peer.save(now).expect("peer save");
                assert!(sync_pair(&mut v, &mut peer), "nothing merged");
            }
        }
        v.save(now).expect("save");
        let what = ["journal", "typing", "typing", "check-in", "sync"][activity as usize];
        writeln!(out, "saved {marker} {what}").unwrap();
        out.flush().unwrap();
    }
    unreachable!()
}

/// Everything a person could see, as one string to search.
fn visible_text(v: &Vault) -> String {
    serde_json::to_string(&v.view()).unwrap()
}

fn check_store(dir: &Path, acked: &[String], totals: &mut Totals, what: &str) {
    match Vault::open(dir) {
        Ok(v) => {
            let text = visible_text(&v);
            for m in acked {
                totals.rechecks += 1;
                if !text.contains(m.as_str()) && totals.lost_markers.insert(m.clone()) {
                    totals.lost += 1;
                    totals
                        .problems
                        .push(format!("{what}: {m} was reported saved but is missing"));
                }
            }
        }
        Err(e) => {
            totals.open_failures += 1;
            totals
                .problems
                .push(format!("{what}: store does not open after a kill: {e}"));
        }
    }
}

fn kill(child: &mut std::process::Child) {
    // SIGKILL: no destructor, no flush, no chance to finish a write.
    let _ = child.kill();
    let _ = child.wait();
}

/// One vault trial: start a writer, let it run a random while, kill it, check.
fn vault_trial(
    dir: &Path,
    peer: &Path,
    seed: u64,
    rng: &mut Rng,
    spawn: &dyn Fn(&Path, &Path, u64) -> Process,
    acked: &mut Vec<String>,
    totals: &mut Totals,
) {
    let mut child = spawn(dir, peer, seed)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines() {
                let Ok(l) = l else { break };
                if let Some(m) = l.strip_prefix("saved ").and_then(|r| r.split(' ').next()) {
                    lines.lock().unwrap().push(m.to_owned());
                }
            }
        })
    };
    // Sometimes during open or the first writes, mostly somewhere in a run of saves.
    let delay = match rng.below(10) {
        0 => Duration::from_micros(rng.below(20_000)),
        _ => Duration::from_micros(20_000 + rng.below(400_000)),
    };
    std::thread::sleep(delay);
    kill(&mut child);
    reader.join().unwrap();
    let new = std::mem::take(&mut *lines.lock().unwrap());
    totals.acked += new.len() as u64;
    acked.extend(new);
    check_store(dir, acked, totals, &format!("vault trial seed {seed}"));
    if let Err(e) = Vault::open(peer) {
        totals.open_failures += 1;
        totals
            .problems
            .push(format!("peer store of seed {seed} does not open: {e}"));
    }
}

/// One CLI trial: a few commands of the real binary; one of them may be killed mid-run.
fn cli_trial(
    bin: &Path,
    dir: &Path,
    trial: u64,
    rng: &mut Rng,
    acked: &mut Vec<String>,
    totals: &mut Totals,
) {
    let run = |args: &[String]| {
        let mut p = Process::new(bin);
        p.arg("--data-dir")
            .arg(dir)
            .args(args)
            .env("KINTSUGI_MDNS", "0")
            .env("KINTSUGI_BIND", "127.0.0.1:0")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        p
    };
    if !dir.join(kintsugi_service::FILE_NAME).exists() {
        let ok = run(&[
            "init".into(),
            "--name".into(),
            "Sam".into(),
            "--partner".into(),
            "Alex".into(),
        ])
        .status()
        .is_ok_and(|s| s.success());
        assert!(ok, "kintsugi init failed in {}", dir.display());
    }
    let n = 1 + rng.below(4);
    for k in 0..n {
        let marker = format!("[c{trial}.{k}]");
        let args: Vec<String> = match rng.below(3) {
            0 => vec!["journal", "add", "--mood", "3", "--text", &marker]
                .into_iter()
                .map(String::from)
                .collect(),
            1 => vec!["agreement", "edit", "conflict", "--insert", "0", &marker]
                .into_iter()
                .map(String::from)
                .collect(),
            _ => {
                let date = unique_date(40_000 + trial * 8 + k);
                vec![
                    "checkin",
                    "add",
                    "--mood",
                    "3",
                    "--connection",
                    "3",
                    "--safety",
                    "3",
                    "--high",
                    &marker,
                    "--date",
                    &date,
                ]
                .into_iter()
                .map(String::from)
                .collect()
            }
        };
        let started = Instant::now();
        let mut child = run(&args).spawn().expect("spawn kintsugi");
        // The last command of a trial is killed at a random moment of a typical run; it may
        // have finished by then.
        let typical = totals.cli_command_micros.max(1_000);
        let deadline =
            (k + 1 == n).then(|| started + Duration::from_micros(rng.below(typical * 5 / 4)));
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                // It may have exited just now: then its status still counts.
                if let Some(s) = child.try_wait().unwrap() {
                    break Some(s);
                }
                kill(&mut child);
                totals.killed_mid_command += 1;
                break None;
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        match status {
            Some(s) if s.success() => {
                totals.cli_command_micros = started.elapsed().as_micros() as u64;
                totals.acked += 1;
                acked.push(marker)
            }
            Some(s) => totals
                .problems
                .push(format!("cli trial {trial}: {args:?} failed with {s}")),
            None => {}
        }
    }
    check_store(dir, acked, totals, &format!("cli trial {trial}"));
}

pub struct Config {
    pub trials: u64,
    pub seed: u64,
    pub kintsugi: Option<PathBuf>,
    pub work: PathBuf,
}

/// Runs the trials; `spawn` builds the writer child process for (dir, peer dir, seed).
/// This executable started again in writer mode: the process the trials kill.
pub fn writer_process(exe: &Path, dir: &Path, peer: &Path, seed: u64) -> Process {
    let mut p = Process::new(exe);
    p.arg("--writer")
        .arg(dir)
        .arg("--peer")
        .arg(peer)
        .arg("--seed")
        .arg(seed.to_string());
    p
}

pub fn run(cfg: &Config, spawn: &dyn Fn(&Path, &Path, u64) -> Process) -> Totals {
    let mut rng = Rng::new(cfg.seed);
    let mut totals = Totals::default();
    let mut vault_acked = Vec::new();
    let mut cli_acked = Vec::new();
    for t in 0..cfg.trials {
        let generation = t / TRIALS_PER_DIR;
        let dir = cfg.work.join(format!("vault-{generation}"));
        let peer = cfg.work.join(format!("peer-{generation}"));
        let cli = cfg.work.join(format!("cli-{generation}"));
        if t % TRIALS_PER_DIR == 0 {
            vault_acked.clear();
            cli_acked.clear();
            if generation > 0 {
                let old = generation - 1;
                for d in ["vault", "peer", "cli"] {
                    let _ = std::fs::remove_dir_all(cfg.work.join(format!("{d}-{old}")));
                }
            }
        }
        let use_cli = cfg.kintsugi.is_some() && t % 2 == 1;
        if use_cli {
            let bin = cfg.kintsugi.as_deref().unwrap();
            cli_trial(bin, &cli, t, &mut rng, &mut cli_acked, &mut totals);
            totals.cli_trials += 1;
        } else {
            let seed = cfg.seed.wrapping_mul(100_003).wrapping_add(t);
            vault_trial(
                &dir,
                &peer,
                seed,
                &mut rng,
                spawn,
                &mut vault_acked,
                &mut totals,
            );
            totals.vault_trials += 1;
        }
        totals.trials += 1;
    }
    totals
}

/// The real binary next to this program's target directory, if built.
pub fn find_kintsugi(explicit: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(p) = explicit.or_else(|| std::env::var_os("KINTSUGI_BIN").map(PathBuf::from)) {
        return Some(p);
    }
    let exe = std::env::current_exe().ok()?;
    // target/<profile>/examples/crash_trials or target/<profile>/deps/<test>
    let target = exe.parent()?.parent()?.parent()?;
    ["debug", "release"]
        .iter()
        .map(|p| target.join(p).join("kintsugi"))
        .find(|p| p.is_file())
}

#[allow(
    dead_code,
    reason = "the test that includes this file has its own main"
)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    if let Some(dir) = flag("--writer") {
        let peer = flag("--peer").expect("--peer");
        let seed = flag("--seed").and_then(|s| s.parse().ok()).unwrap_or(1);
        writer(Path::new(&dir), Path::new(&peer), seed);
    }
    let trials = flag("--trials")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let seed = flag("--seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let kintsugi = if args.iter().any(|a| a == "--no-cli") {
        None
    } else {
        find_kintsugi(flag("--kintsugi").map(PathBuf::from))
    };
    let work = tempfile::tempdir().unwrap();
    println!(
        "crash trials: {trials}, seed {seed}, kintsugi binary: {}",
        kintsugi
            .as_deref()
            .map_or("none (vault trials only)".into(), |p| p
                .display()
                .to_string())
    );
    let me = std::env::current_exe().unwrap();
    let spawn = |dir: &Path, peer: &Path, seed: u64| writer_process(&me, dir, peer, seed);
    let started = Instant::now();
    let totals = run(
        &Config {
            trials,
            seed,
            kintsugi,
            work: work.path().to_path_buf(),
        },
        &spawn,
    );
    for p in &totals.problems {
        println!("PROBLEM: {p}");
    }
    println!("took {:.1} s", started.elapsed().as_secs_f64());
    println!("{}", totals.line());
    if totals.lost > 0 || totals.open_failures > 0 {
        std::process::exit(1);
    }
}
