//! Kill -9 while a document is replaced for erasing: the old store or the new one survives, never neither, and no old byte outlives the new one.

use std::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use kintsugi_store::{DocKey, FILE_NAME, Store};

const DIR_ENV: &str = "KINTSUGI_ERASE_CRASH_DIR";

/// The private document of generation `n`: a marker naming `n`, padded so the copy takes a while.
fn generation(n: u64) -> Vec<u8> {
    let mut out = format!("GENERATION-{n:06}-").into_bytes();
    out.extend(std::iter::repeat_n(
        b'.',
        200_000 + (n as usize * 7919) % 50_000,
    ));
    out
}

/// Which generation `bytes` (the private document as loaded) is; generation 0 still has the
/// chunk `fill` appended after it.
fn generation_of(bytes: &[u8]) -> u64 {
    let s = std::str::from_utf8(&bytes[..18]).expect("a generation header");
    let n: u64 = s["GENERATION-".len()..17]
        .parse()
        .expect("a generation number");
    let mut want = generation(n);
    if n == 0 {
        want.extend_from_slice(b"OLD-CHUNK-0");
    }
    assert!(bytes == want.as_slice(), "generation {n} damaged");
    n
}

/// What the parent fills before the child starts: generation 0 with chunks after it, the
/// couple document, a setting and sync states of both documents.
fn fill(dir: &Path) {
    let store = Store::open(dir).unwrap();
    store.compact(DocKey::Private, &generation(0)).unwrap();
    store.append_chunk(DocKey::Private, b"OLD-CHUNK-0").unwrap();
    for n in 0..50u8 {
        store.append_chunk(DocKey::Couple, &[n; 100]).unwrap();
    }
    store.put_setting("kept", b"setting").unwrap();
    store
        .put_sync_state(&[7; 32], DocKey::Couple, b"couple state")
        .unwrap();
    store
        .put_sync_state(&[7; 32], DocKey::Private, b"private state")
        .unwrap();
}

fn check_rest(store: &Store) {
    let couple = store.load_doc(DocKey::Couple).unwrap().unwrap();
    let want: Vec<u8> = (0..50u8).flat_map(|n| [n; 100]).collect();
    assert_eq!(couple, want);
    assert_eq!(store.get_setting("kept").unwrap().unwrap(), b"setting");
    assert_eq!(
        store.sync_state(&[7; 32], DocKey::Couple).unwrap().unwrap(),
        b"couple state"
    );
}

/// Child side: replaces the private document with generation 1, 2, … until killed, reporting
/// each once `replace_document_erasing` returned.
#[test]
#[ignore = "child process of the kill -9 test; does nothing when run on its own"]
fn erase_crash_child() {
    let Some(dir) = env::var_os(DIR_ENV).map(PathBuf::from) else {
        return;
    };
    let store = Store::open(&dir).unwrap();
    let mut out = std::io::stdout().lock();
    for n in 1..=100_000 {
        store
            .replace_document_erasing(DocKey::Private, &generation(n))
            .unwrap();
        writeln!(out, "saved {n}").unwrap();
        out.flush().unwrap();
    }
}

fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("erase crash seed {nanos}");
    nanos | 1
}

#[test]
fn a_kill_while_replacing_a_document_leaves_the_old_or_the_new_store() {
    let mut rng = seed();
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let (mut old, mut new) = (0, 0);
    for trial in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        fill(dir.path());
        let kill_after = next() % 3;
        let delay = Duration::from_micros(next() % 30_000);
        let mut child = Command::new(env::current_exe().unwrap())
            .args(["--exact", "erase_crash_child", "--ignored", "--nocapture"])
            .env(DIR_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut last = 0u64;
        let mut line = String::new();
        while last < kill_after {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("child ended after {last}:\n{err}");
            }
            if let Some(n) = line.trim_end().strip_prefix("saved ") {
                last = n.parse().unwrap();
            }
        }
        std::thread::sleep(delay);
        child.kill().unwrap();
        loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(n) = line
                .strip_suffix('\n')
                .and_then(|l| l.strip_prefix("saved "))
            {
                last = n.parse().unwrap();
            }
        }
        assert!(!child.wait().unwrap().success());

        let store = Store::open(dir.path())
            .unwrap_or_else(|e| panic!("trial {trial} after {last} replacements: {e}"));
        let private = store.load_doc(DocKey::Private).unwrap().unwrap();
        let n = generation_of(&private);
        // The last reported generation, or the one being written when the kill landed.
        assert!(
            n == last || n == last + 1,
            "trial {trial}: generation {n} after {last} reported"
        );
        if n == 0 {
            old += 1;
        } else {
            new += 1;
            // A replaced document keeps nothing of before: no chunk, no sync state.
            assert_eq!(store.sync_state(&[7; 32], DocKey::Private).unwrap(), None);
        }
        check_rest(&store);
        drop(store);
        // The next open removed the temporary file a kill left behind.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE_NAME], "trial {trial}: files left behind");
        let bytes = std::fs::read(dir.path().join(FILE_NAME)).unwrap();
        if n > 0 {
            assert!(
                !bytes.windows(11).any(|w| w == b"OLD-CHUNK-0"),
                "trial {trial}: the replaced document's chunk is still in the file"
            );
            // Freed pages go with the old file: no earlier generation is left anywhere in it.
            for k in (0..=last + 1).filter(|k| *k != n) {
                let header = format!("GENERATION-{k:06}-");
                assert!(
                    !bytes.windows(18).any(|w| w == header.as_bytes()),
                    "trial {trial}: generation {k} still in the file holding {n}"
                );
            }
        }
    }
    eprintln!("after the kills: {old} old stores, {new} replaced ones");
}
