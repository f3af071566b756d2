//! Kill -9 tests: the test binary re-runs itself as a child that writes until it is killed.

use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use kintsugi_store::{DocKey, FILE_NAME, KdfParams, LAYOUT_VERSION, Store, StoreError};
use secrecy::SecretString;

/// The passphrase of the "passphrase" child.
const PASSPHRASE: &str = "crash trial passphrase";
const PASSPHRASE_2: &str = "crash trial passphrase, changed";

/// Directory the child works in; the child does nothing without it.
const DIR_ENV: &str = "KINTSUGI_STORE_CRASH_DIR";
/// What the child does: "append", "compact", "create", "foreign", "future" or "passphrase".
const MODE_ENV: &str = "KINTSUGI_STORE_CRASH_MODE";

/// Record `n`: its number, then a filler whose length varies with `n`.
fn record(n: u64) -> Vec<u8> {
    let mut out = n.to_le_bytes().to_vec();
    out.extend(std::iter::repeat_n(n as u8, (n * 37 % 300) as usize));
    out
}

/// Parses joined records; panics unless they are exactly 1..=m (nothing lost, nothing
/// duplicated), and returns m.
fn parse_records(mut bytes: &[u8]) -> u64 {
    let mut expected = 1;
    while !bytes.is_empty() {
        assert!(bytes.len() >= 8, "truncated record after {}", expected - 1);
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert_eq!(n, expected, "records out of sequence (lost or duplicated)");
        let want = record(n);
        assert_eq!(&bytes[..want.len()], want.as_slice(), "record {n} damaged");
        bytes = &bytes[want.len()..];
        expected += 1;
    }
    expected - 1
}

/// Child side. Ignored, so a plain `cargo test` never runs it; the parents start it with
/// `--exact crash_child --ignored`. Every progress line is printed only after the call it reports
/// has returned.
#[test]
#[ignore = "child process of the kill -9 tests; does nothing when run on its own"]
fn crash_child() {
    let Some(dir) = env::var_os(DIR_ENV).map(PathBuf::from) else {
        return;
    };
    let mode = env::var(MODE_ENV).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
    };
    match mode.as_str() {
        "append" => {
            let store = Store::open(&dir).unwrap();
            for n in 1..=100_000 {
                store.append_chunk(DocKey::Couple, &record(n)).unwrap();
                // Every 40 saves, fold the chunks into the snapshot, as the app does.
                if n % 40 == 0 {
                    let joined = store.load_doc(DocKey::Couple).unwrap().unwrap();
                    store.compact(DocKey::Couple, &joined).unwrap();
                }
                say(format!("saved {n}"));
            }
        }
        "compact" => {
            // Mostly compactions of a ~30 KiB snapshot, so most kills land inside one.
            let store = Store::open(&dir).unwrap();
            for n in 1..=200 {
                store.append_chunk(DocKey::Couple, &record(n)).unwrap();
            }
            say("saved 200".into());
            for n in 201..=100_000 {
                let joined = store.load_doc(DocKey::Couple).unwrap().unwrap();
                store.compact(DocKey::Couple, &joined).unwrap();
                store.append_chunk(DocKey::Couple, &record(n)).unwrap();
                say(format!("saved {n}"));
            }
        }
        // The app's background compaction: one thread appends while another folds what it
        // read into the snapshot (`compact_through`), so kills land inside either, or both.
        "compact_beside" => {
            let store = std::sync::Arc::new(Store::open(&dir).unwrap());
            let folder = store.clone();
            std::thread::spawn(move || {
                loop {
                    let (joined, through) =
                        folder.load_doc_through(DocKey::Couple).unwrap().unwrap();
                    folder
                        .compact_through(DocKey::Couple, &joined, through)
                        .unwrap();
                }
            });
            store.append_chunk(DocKey::Couple, &record(1)).unwrap();
            say("saved 1".into());
            for n in 2..=100_000 {
                store.append_chunk(DocKey::Couple, &record(n)).unwrap();
                say(format!("saved {n}"));
            }
        }
        "create" => {
            for n in 1..=100_000 {
                Store::open(&dir.join(n.to_string())).unwrap();
                say(format!("saved {n}"));
            }
        }
        // Files left by a killed writer, which redb must repair before reading them.
        "foreign" => {
            let db = redb::Database::create(dir.join(FILE_NAME)).unwrap();
            let notes: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("notes");
            let txn = db.begin_write().unwrap();
            txn.open_table(notes).unwrap().insert("k", "v").unwrap();
            txn.commit().unwrap();
            say("saved 1".into());
            std::thread::sleep(Duration::from_secs(60));
        }
        "future" => {
            Store::open(&dir).unwrap().close().unwrap();
            let db = redb::Database::open(dir.join(FILE_NAME)).unwrap();
            let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
            let txn = db.begin_write().unwrap();
            let version = (LAYOUT_VERSION + 1).to_le_bytes();
            txn.open_table(meta)
                .unwrap()
                .insert("layout_version", version.as_slice())
                .unwrap();
            txn.commit().unwrap();
            say("saved 1".into());
            std::thread::sleep(Duration::from_secs(60));
        }
        // Turns encryption on, changes the passphrase, and turns it off, in a loop over a store
        // the parent filled.
        "passphrase" => {
            let store = Store::open(&dir).unwrap();
            if store.is_locked() {
                store.unlock(&SecretString::from(PASSPHRASE)).unwrap();
            }
            let mut changed = false;
            for n in 1..=100_000 {
                if store.is_encrypted() && !changed {
                    store
                        .change_passphrase(
                            &SecretString::from(PASSPHRASE_2),
                            KdfParams::INSECURE_FOR_TESTS,
                            &mut |_| {},
                        )
                        .unwrap();
                    changed = true;
                } else if store.is_encrypted() {
                    store.remove_passphrase(&mut |_| {}).unwrap();
                    changed = false;
                } else {
                    store
                        .set_passphrase(
                            &SecretString::from(PASSPHRASE),
                            KdfParams::INSECURE_FOR_TESTS,
                            &mut |_| {},
                        )
                        .unwrap();
                }
                say(format!("saved {n}"));
            }
        }
        // One passphrase step, killed somewhere inside it by the parent.
        "set" | "change" | "remove" => {
            let store = Store::open(&dir).unwrap();
            if store.is_locked() {
                store.unlock(&SecretString::from(PASSPHRASE)).unwrap();
            }
            say("ready".into());
            match mode.as_str() {
                "set" => store.set_passphrase(
                    &SecretString::from(PASSPHRASE),
                    KdfParams::INSECURE_FOR_TESTS,
                    &mut |_| {},
                ),
                "change" => store.change_passphrase(
                    &SecretString::from(PASSPHRASE_2),
                    KdfParams::INSECURE_FOR_TESTS,
                    &mut |_| {},
                ),
                _ => store.remove_passphrase(&mut |_| {}),
            }
            .unwrap();
            say("saved 1".into());
            std::thread::sleep(Duration::from_secs(60));
        }
        other => panic!("unknown child mode {other:?}"),
    }
}

/// A small xorshift generator, seeded from the clock; the seed is printed for reproduction.
struct Rng(u64);

impl Rng {
    fn from_clock() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let seed = nanos | 1;
        eprintln!("crash test seed {seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What a killed child reported.
struct Killed {
    /// Highest N of a complete `saved N` line.
    last_saved: u64,
}

/// Runs the child in `mode` on `dir`, kills it with SIGKILL once it has reported `kill_after`
/// saves (it keeps working until the signal lands), and returns what it reported.
/// `while_running` runs between the last awaited report and the kill.
fn run_and_kill(dir: &Path, mode: &str, kill_after: u64, while_running: impl FnOnce()) -> Killed {
    let mut child = Command::new(env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env(DIR_ENV, dir)
        .env(MODE_ENV, mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut last_saved = 0;
    let mut line = String::new();
    // Only whole lines count: the kill may cut the last one short.
    let mut read_report = |last_saved: &mut u64| -> bool {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            return false;
        }
        if let Some(n) = line
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("saved "))
        {
            *last_saved = n.parse().unwrap();
        }
        true
    };
    while last_saved < kill_after {
        if !read_report(&mut last_saved) {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            panic!("child ({mode}) ended after {last_saved} saves:\n{stderr}");
        }
    }
    while_running();
    child.kill().unwrap();
    // Reports written before the signal are still in the pipe.
    while read_report(&mut last_saved) {}
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child was expected to die from the kill"
    );
    Killed { last_saved }
}

fn assert_only_the_store_is_left(dir: &Path) {
    let names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [FILE_NAME], "temporary files left behind");
}

#[test]
fn every_reported_save_survives_kill_9() {
    let mut rng = Rng::from_clock();
    for trial in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let kill_after = 1 + rng.below(120);
        let delay = Duration::from_micros(rng.below(1_000));
        let killed = run_and_kill(dir.path(), "append", kill_after, || {
            std::thread::sleep(delay);
            if trial == 0 {
                // Another process holds the store: a second open must be refused, not wait.
                let err = Store::open(dir.path()).unwrap_err();
                assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err:?}");
            }
        });
        assert_needs_repair(&dir.path().join(FILE_NAME));
        let store = Store::open(dir.path()).unwrap();
        let bytes = store.load_doc(DocKey::Couple).unwrap().unwrap_or_default();
        let stored = parse_records(&bytes);
        assert!(
            stored >= killed.last_saved,
            "trial {trial}: child reported {} saved, only {stored} survived",
            killed.last_saved
        );
        // The recovered store keeps working and survives a clean reopen.
        store
            .append_chunk(DocKey::Couple, &record(stored + 1))
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let bytes = store.load_doc(DocKey::Couple).unwrap().unwrap();
        assert_eq!(parse_records(&bytes), stored + 1);
        drop(store);
        assert_only_the_store_is_left(dir.path());
    }
}

/// Kills the `mode` child 8 times at a random moment after `kill_after(rng)` reports, and
/// checks every reported record survived, in sequence and each once.
fn kills_during(mode: &str, kill_after: impl Fn(&mut Rng) -> u64) {
    let mut rng = Rng::from_clock();
    for trial in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let after = kill_after(&mut rng);
        // The kill then lands anywhere in the child's loop, not just right after a report.
        let delay = Duration::from_micros(rng.below(3_000));
        let killed = run_and_kill(dir.path(), mode, after, || std::thread::sleep(delay));
        let store = Store::open(dir.path()).unwrap();
        let bytes = store.load_doc(DocKey::Couple).unwrap().unwrap_or_default();
        // A chunk folded into the snapshot and also kept would show up twice.
        let stored = parse_records(&bytes);
        assert!(
            stored >= killed.last_saved,
            "{mode} trial {trial}: child reported {} saved, only {stored} survived",
            killed.last_saved
        );
    }
}

#[test]
fn a_kill_during_compaction_loses_and_duplicates_nothing() {
    kills_during("compact", |rng| 200 + rng.below(30));
}

#[test]
fn a_kill_during_a_compaction_beside_appends_loses_and_duplicates_nothing() {
    kills_during("compact_beside", |rng| 50 + rng.below(200));
}

#[test]
fn a_kill_while_creating_never_leaves_a_half_made_store() {
    let mut rng = Rng::from_clock();
    for trial in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let delay = Duration::from_micros(rng.below(3_000));
        let killed = run_and_kill(dir.path(), "create", 1 + rng.below(5), || {
            std::thread::sleep(delay)
        });
        // Every store the child got to, including the one it was making when killed, must open:
        // a half-initialised file would be refused as NotAStore.
        for n in 1..=killed.last_saved + 1 {
            let sub = dir.path().join(n.to_string());
            Store::open(&sub).unwrap_or_else(|e| panic!("trial {trial}, store {n}: {e}"));
            // The open also cleared what the killed creation left.
            assert_only_the_store_is_left(&sub);
        }
    }
}

/// Checks that redb itself cannot read `path` without repairing it first, so that the test really
/// covers the store's handling of crash-left files.
fn assert_needs_repair(path: &Path) {
    match redb::Database::builder().open_read_only(path) {
        Err(redb::DatabaseError::RepairAborted) => {}
        Ok(_) => panic!("expected a file that needs repair; it opened read-only"),
        Err(other) => panic!("expected a file that needs repair, got {other:?}"),
    }
}

/// Opens a file a killed writer left behind, expecting a refusal that leaves it untouched.
fn refused_after_kill(mode: &str) -> StoreError {
    let dir = tempfile::tempdir().unwrap();
    run_and_kill(dir.path(), mode, 1, || {});
    let path = dir.path().join(FILE_NAME);
    assert_needs_repair(&path);
    let before = fs::read(&path).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "a refused file was modified"
    );
    assert_only_the_store_is_left(dir.path());
    err
}

#[test]
fn a_crash_left_foreign_file_is_refused_without_being_repaired() {
    let err = refused_after_kill("foreign");
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_crash_left_future_layout_is_refused_without_being_repaired() {
    let err = refused_after_kill("future");
    assert!(matches!(err, StoreError::FutureLayout { .. }), "{err:?}");
}

/// Fills a store with records in every table; checks them with `check_filled`.
fn fill_for_passphrase(dir: &Path) {
    let store = Store::open(dir).unwrap();
    for n in 1..=150 {
        store.append_chunk(DocKey::Couple, &record(n)).unwrap();
    }
    store
        .compact(DocKey::Private, &record(7).repeat(200))
        .unwrap();
    for n in 0..20u8 {
        store
            .put_setting(&format!("s{n}"), &record(u64::from(n)))
            .unwrap();
        store.put_peer(&[n; 32], &record(u64::from(n) + 1)).unwrap();
        store
            .put_sync_state(&[n; 32], DocKey::Couple, &record(u64::from(n) + 2))
            .unwrap();
    }
    store
        .put_setting("marker", &PLAIN_MARKER.repeat(4))
        .unwrap();
}

/// Plaintext the byte search looks for once a passphrase is set.
const PLAIN_MARKER: &[u8] = b"CRASH-PLAINTEXT-MARKER-5e1d";

/// Every value `fill_for_passphrase` wrote reads back exactly: nothing half-encrypted.
fn check_filled(store: &Store) {
    let couple = store.load_doc(DocKey::Couple).unwrap().unwrap();
    assert_eq!(parse_records(&couple), 150);
    assert_eq!(
        store.load_doc(DocKey::Private).unwrap().unwrap(),
        record(7).repeat(200)
    );
    let peers = store.peers().unwrap();
    assert_eq!(peers.len(), 20);
    for n in 0..20u8 {
        assert_eq!(
            store.get_setting(&format!("s{n}")).unwrap().unwrap(),
            record(u64::from(n))
        );
        assert_eq!(peers[usize::from(n)], ([n; 32], record(u64::from(n) + 1)));
        assert_eq!(
            store.sync_state(&[n; 32], DocKey::Couple).unwrap().unwrap(),
            record(u64::from(n) + 2)
        );
    }
    assert_eq!(
        store.get_setting("marker").unwrap().unwrap(),
        PLAIN_MARKER.repeat(4)
    );
}

#[test]
fn a_kill_while_setting_changing_or_removing_the_passphrase_leaves_the_old_or_the_new_store() {
    let mut rng = Rng::from_clock();
    let (mut plain, mut encrypted, mut changed) = (0, 0, 0);
    for trial in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        fill_for_passphrase(dir.path());
        // Odd trials start encrypted, so the kill lands in a removal as often as in a setting.
        if trial % 2 == 1 {
            let store = Store::open(dir.path()).unwrap();
            store
                .set_passphrase(
                    &SecretString::from(PASSPHRASE),
                    KdfParams::INSECURE_FOR_TESTS,
                    &mut |_| {},
                )
                .unwrap();
        }
        let delay = Duration::from_micros(rng.below(20_000));
        let killed = run_and_kill(dir.path(), "passphrase", rng.below(3), || {
            std::thread::sleep(delay)
        });
        let store = Store::open(dir.path())
            .unwrap_or_else(|e| panic!("trial {trial} after {} changes: {e}", killed.last_saved));
        if store.is_encrypted() {
            assert!(store.is_locked());
            let err = store.load_doc(DocKey::Couple).unwrap_err();
            assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
            // The old or the new passphrase, never neither.
            if store.unlock(&SecretString::from(PASSPHRASE)).is_err() {
                store
                    .unlock(&SecretString::from(PASSPHRASE_2))
                    .unwrap_or_else(|e| panic!("trial {trial}: neither passphrase opens: {e}"));
                changed += 1;
            }
            encrypted += 1;
        } else {
            plain += 1;
        }
        check_filled(&store);
    }
    eprintln!(
        "after the kills: {plain} plain stores, {encrypted} encrypted ones ({changed} under the changed passphrase)"
    );
}

/// Starts the `mode` child on `dir`, waits until it is about to begin its passphrase step,
/// lets it run for `delay`, kills it, and returns whether it reported the step done.
fn kill_during_step(dir: &Path, mode: &str, delay: Duration) -> bool {
    let mut child = Command::new(env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--ignored", "--nocapture"])
        .env(DIR_ENV, dir)
        .env(MODE_ENV, mode)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the {mode} child ended before its step"
        );
        if line == "ready\n" {
            break;
        }
    }
    std::thread::sleep(delay);
    child.kill().unwrap();
    let mut done = false;
    loop {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        done |= line == "saved 1\n";
    }
    assert!(
        !child.wait().unwrap().success(),
        "the child outlived the kill"
    );
    done
}

/// Copies of `needle` in every file under `dir`.
fn copies_in(dir: &Path, needle: &[u8]) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| fs::read(e.unwrap().path()).unwrap())
        .map(|bytes| bytes.windows(needle.len()).filter(|w| *w == needle).count())
        .sum()
}

/// What identifies each value sealed in the closed store at `dir`, and its wrapped data key,
/// wherever a copy of it sits: the random nonce and the ciphertext after it.
fn sealed_needles(dir: &Path) -> Vec<Vec<u8>> {
    let db = redb::Database::open(dir.join(FILE_NAME)).unwrap();
    let txn = redb::ReadableDatabase::begin_read(&db).unwrap();
    let mut out = Vec::new();
    macro_rules! all {
        ($k:ty, $name:expr) => {{
            let def: redb::TableDefinition<$k, &[u8]> = redb::TableDefinition::new($name);
            for entry in redb::ReadableTable::iter(&txn.open_table(def).unwrap()).unwrap() {
                out.push(entry.unwrap().1.value()[1..49].to_vec());
            }
        }};
    }
    all!(&str, "snapshots");
    all!((&str, u64), "chunks");
    all!(&str, "settings");
    all!(&[u8; 32], "peers");
    all!((&[u8; 32], &str), "sync_states");
    let crypt: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("crypt");
    let table = txn.open_table(crypt).unwrap();
    out.push(table.get("data_key").unwrap().unwrap().value()[1..49].to_vec());
    out
}

/// Does the passphrase step `mode` on an open store.
fn step(store: &Store, mode: &str) {
    match mode {
        "set" => store.set_passphrase(
            &SecretString::from(PASSPHRASE),
            KdfParams::INSECURE_FOR_TESTS,
            &mut |_| {},
        ),
        "change" => store.change_passphrase(
            &SecretString::from(PASSPHRASE_2),
            KdfParams::INSECURE_FOR_TESTS,
            &mut |_| {},
        ),
        _ => store.remove_passphrase(&mut |_| {}),
    }
    .unwrap_or_else(|e| panic!("retrying {mode} after the kill: {e}"));
}

/// Issue 19, part 3: a kill anywhere inside setting, changing or removing the passphrase
/// leaves the store fully as before (then the step can be retried) or fully as after, with
/// every value, and once the step is done the file holds nothing the step replaced: no
/// plaintext after setting, no earlier ciphertext or wrapped key after changing or removing.
#[test]
fn a_kill_inside_each_passphrase_step_leaves_before_or_after_and_a_retry_works() {
    let mut rng = Rng::from_clock();
    let template = tempfile::tempdir().unwrap();
    fill_for_passphrase(template.path());
    for mode in ["set", "change", "remove"] {
        // The store the step starts from; for change and remove, encrypted under PASSPHRASE.
        let start = tempfile::tempdir().unwrap();
        fs::copy(
            template.path().join(FILE_NAME),
            start.path().join(FILE_NAME),
        )
        .unwrap();
        if mode != "set" {
            let store = Store::open(start.path()).unwrap();
            step(&store, "set");
            store.close().unwrap();
        }
        let earlier = if mode == "set" {
            vec![PLAIN_MARKER.to_vec()]
        } else {
            sealed_needles(start.path())
        };
        // How long the step takes here, so the kills spread over the whole of it.
        let timing = tempfile::tempdir().unwrap();
        fs::copy(start.path().join(FILE_NAME), timing.path().join(FILE_NAME)).unwrap();
        let store = Store::open(timing.path()).unwrap();
        if store.is_locked() {
            store.unlock(&SecretString::from(PASSPHRASE)).unwrap();
        }
        let t0 = std::time::Instant::now();
        step(&store, mode);
        let took = t0.elapsed();
        drop(store);

        let (mut before, mut after) = (0, 0);
        for trial in 0..12 {
            let dir = tempfile::tempdir().unwrap();
            fs::copy(start.path().join(FILE_NAME), dir.path().join(FILE_NAME)).unwrap();
            let span = (took.as_micros() as u64 * 3 / 2).max(1);
            let delay = Duration::from_micros(rng.below(span));
            let reported = kill_during_step(dir.path(), mode, delay);
            let store = Store::open(dir.path())
                .unwrap_or_else(|e| panic!("{mode} trial {trial}: the store does not open: {e}"));
            let done = match mode {
                "set" => store.is_encrypted(),
                "change" => store.unlock(&SecretString::from(PASSPHRASE)).is_err(),
                _ => !store.is_encrypted(),
            };
            if store.is_locked() {
                let right = if done && mode == "change" {
                    PASSPHRASE_2
                } else {
                    PASSPHRASE
                };
                store
                    .unlock(&SecretString::from(right))
                    .unwrap_or_else(|e| {
                        panic!("{mode} trial {trial}: neither passphrase opens: {e}")
                    });
            }
            check_filled(&store);
            assert!(
                done || !reported,
                "{mode} trial {trial}: a reported step is undone"
            );
            if done {
                after += 1;
            } else {
                before += 1;
                // Fully as before, so the step can simply be done again.
                step(&store, mode);
                check_filled(&store);
            }
            store.close().unwrap();
            let store = Store::open(dir.path()).unwrap();
            drop(store);
            assert_only_the_store_is_left(dir.path());
            let left: usize = earlier.iter().map(|n| copies_in(dir.path(), n)).sum();
            assert_eq!(
                left,
                0,
                "{mode} trial {trial} ({}): {left} copies of what the step replaced are still in the file",
                if done {
                    "killed after"
                } else {
                    "killed before, then retried"
                }
            );
        }
        eprintln!(
            "{mode}: step takes {took:?}; killed {before} times before it took effect, {after} after"
        );
    }
}
