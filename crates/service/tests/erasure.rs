//! Deleting a private item erases its text from every byte of this device's data directory and, once they sync, of the user's other devices.

// Each check searches a whole data directory the way someone holding a copy of it would: every
// file's raw bytes, and every stored document decoded with automerge, history included (change
// columns are compressed, so raw bytes alone could hide the text).

use std::collections::VecDeque;
use std::path::Path;

use kintsugi_core::automerge::{Automerge, ScalarValue};
use kintsugi_core::{Command, DocKind, ItemId};
use kintsugi_service::{Vault, VaultDocs};
use kintsugi_store::{DocKey, Store};
use kintsugi_sync::session::{DocAccess, DocName, Frame, Scope, Session, SessionEvent};

/// Every place in `dir` where `marker` can still be read: file bytes, or a stored document's
/// history. The vault must be closed (the store is opened here).
fn traces(dir: &Path, marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut files = vec![dir.to_path_buf()];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                files.push(e.unwrap().path());
            }
        } else {
            let bytes = std::fs::read(&p).unwrap();
            if bytes.windows(marker.len()).any(|w| w == marker.as_bytes()) {
                found.push(format!("raw bytes of {}", p.display()));
            }
        }
    }
    let store = Store::open(dir).unwrap();
    for key in DocKey::ALL {
        let Some(bytes) = store.load_doc(key).unwrap() else {
            continue;
        };
        let doc = Automerge::load(&bytes).unwrap();
        if history_text(&doc).contains(marker) {
            found.push(format!("history of the {} document", key.name()));
        }
    }
    found
}

/// Every string any change of `doc` ever wrote, in order (a splice's characters in a row).
fn history_text(doc: &Automerge) -> String {
    let mut out = String::new();
    for c in doc.get_changes(&[]) {
        for op in c.decode().operations {
            match op.primitive_value() {
                Some(ScalarValue::Str(s)) => out.push_str(&s),
                _ => out.push('\0'),
            }
        }
        out.push('\0');
    }
    out
}

fn entry(text: &str) -> (ItemId, Command) {
    let id = ItemId::random();
    let cmd = Command::AddJournalEntry {
        id: id.clone(),
        date: "2026-12-01".into(),
        mood: Some(2),
        tags: vec!["hard".into()],
        text: text.into(),
        prompt: None,
    };
    (id, cmd)
}

/// The whole view, field by field, as JSON.
fn private_json(v: &Vault) -> serde_json::Value {
    serde_json::to_value(v.view()).unwrap()
}

#[test]
fn a_deleted_entry_and_self_care_item_leave_no_trace_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = Vault::open(dir.path()).unwrap();
    v.apply(
        Command::SetUp {
            my_name: "Ana".into(),
            partner_name: "Ben".into(),
        },
        1,
    )
    .unwrap();
    let (gone, add) = entry("the night I found the messages ERASEME-JOURNAL-7f3a");
    v.apply(add, 2).unwrap();
    let (kept, add) = entry("walk by the river KEEPME-JOURNAL-19bc");
    v.apply(add, 3).unwrap();
    let care = ItemId::random();
    v.apply(
        Command::AddSelfCare {
            id: care.clone(),
            text: "call my sister ERASEME-CARE-c0de".into(),
        },
        4,
    )
    .unwrap();
    v.save(5).unwrap();
    // Typing after the save, in its own chunks, and a view cache holding the texts.
    v.apply(
        Command::SpliceJournalText {
            id: gone.clone(),
            pos: 0,
            delete: 0,
            insert: "ERASEME-TYPED-44 ".into(),
        },
        6,
    )
    .unwrap();
    v.save(7).unwrap();
    let view = v.refresh_view();
    let heads = v.heads();
    v.write_view_cache(&view, &heads);
    drop(v);
    for m in [
        "ERASEME-JOURNAL-7f3a",
        "ERASEME-CARE-c0de",
        "ERASEME-TYPED-44",
    ] {
        assert!(
            !traces(dir.path(), m).is_empty(),
            "the search must find {m} before deleting"
        );
    }

    let mut v = Vault::open(dir.path()).unwrap();
    v.apply(Command::DeleteJournalEntry { id: gone }, 8)
        .unwrap();
    v.apply(Command::RemoveSelfCare { id: care }, 9).unwrap();
    let before = private_json(&v);
    v.save(10).unwrap();
    assert!(!v.has_unsaved());
    drop(v);

    for m in [
        "ERASEME-JOURNAL-7f3a",
        "ERASEME-CARE-c0de",
        "ERASEME-TYPED-44",
    ] {
        assert_eq!(traces(dir.path(), m), Vec::<String>::new(), "{m} survived");
    }
    // The rest is all there, and reads exactly as before the rebuild.
    assert!(!traces(dir.path(), "KEEPME-JOURNAL-19bc").is_empty());
    let v = Vault::open(dir.path()).unwrap();
    assert_eq!(private_json(&v), before);
    assert!(v.view().journal.iter().any(|e| e.id == kept));
    assert!(v.view().errors.is_empty(), "{:?}", v.view().errors);
}

/// A link between two own devices, driven by hand: frames queue per direction.
struct Link {
    sa: Session,
    sb: Session,
    to_a: VecDeque<Frame>,
    to_b: VecDeque<Frame>,
}

fn id(n: u8) -> [u8; 32] {
    [n; 32]
}

fn kind(d: DocName) -> DocKind {
    match d {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

fn states(v: &Vault, peer: u8) -> Vec<(DocName, Vec<u8>)> {
    v.load_sync_states(&id(peer))
        .into_iter()
        .map(|(k, s)| {
            let d = match k {
                DocKind::Couple => DocName::Couple,
                DocKind::Private => DocName::Private,
            };
            (d, s)
        })
        .collect()
}

/// The docs a device lends a session: the real service's, or a client that ignores lineages
/// (an old or modified Kintsugi that offers its whole private history).
enum Client {
    Real,
    IgnoresLineage,
}

struct Plain<'a>(&'a mut Vault);

impl DocAccess for Plain<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        Some(self.0.model_mut().doc_mut(kind(name)))
    }
}

fn with_docs<T>(v: &mut Vault, client: &Client, f: impl FnOnce(&mut dyn DocAccess) -> T) -> T {
    match client {
        Client::Real => f(&mut VaultDocs(v)),
        Client::IgnoresLineage => f(&mut Plain(v)),
    }
}

/// Connects A (id 1) and B (id 2) as own devices, resuming their stored sync states, and
/// delivers frames until both are quiet; `b_first` starts B's side first. Saves both after.
fn sync(a: &mut Vault, b: &mut Vault, b_first: bool, b_client: Client) {
    let mut l = Link {
        sa: Session::new(id(1), Scope::OwnDevice, states(a, 2)).expect_peer(id(2)),
        sb: Session::new(id(2), Scope::OwnDevice, states(b, 1)).expect_peer(id(1)),
        to_a: VecDeque::new(),
        to_b: VecDeque::new(),
    };
    let start_a = |l: &mut Link, a: &mut Vault| {
        let mut out = l.sa.start();
        out.extend(with_docs(a, &Client::Real, |d| l.sa.poll(d)));
        l.to_b.extend(out);
    };
    let start_b = |l: &mut Link, b: &mut Vault, c: &Client| {
        let mut out = l.sb.start();
        out.extend(with_docs(b, c, |d| l.sb.poll(d)));
        l.to_a.extend(out);
    };
    if b_first {
        start_b(&mut l, b, &b_client);
        start_a(&mut l, a);
    } else {
        start_a(&mut l, a);
        start_b(&mut l, b, &b_client);
    }
    for _ in 0..200 {
        let mut moved = false;
        if let Some(f) = l.to_a.pop_front() {
            moved = true;
            let f = Frame::decode(&f.encode()).unwrap();
            let (events, out) = with_docs(a, &Client::Real, |d| {
                let ev = l.sa.receive(f, d).unwrap();
                (ev, l.sa.poll(d))
            });
            if events
                .iter()
                .any(|e| matches!(e, SessionEvent::DocChanged(_)))
            {
                a.mark_changed();
            }
            l.to_b.extend(out);
        }
        if let Some(f) = l.to_b.pop_front() {
            moved = true;
            let f = Frame::decode(&f.encode()).unwrap();
            let (events, out) = with_docs(b, &b_client, |d| {
                let ev = l.sb.receive(f, d).unwrap();
                (ev, l.sb.poll(d))
            });
            if events
                .iter()
                .any(|e| matches!(e, SessionEvent::DocChanged(_)))
            {
                b.mark_changed();
            }
            l.to_a.extend(out);
        }
        if !moved {
            break;
        }
    }
    for (v, s, peer) in [(&*a, &l.sa, 2u8), (&*b, &l.sb, 1u8)] {
        for (d, bytes) in s.sync_states() {
            v.save_sync_state(&id(peer), kind(d), &bytes);
        }
    }
    a.save(100).unwrap();
    b.save(100).unwrap();
}

/// Two own devices of one partner, synced, with an entry that will be deleted on A.
fn two_devices() -> (tempfile::TempDir, tempfile::TempDir, ItemId) {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = Vault::open(da.path()).unwrap();
    let mut b = Vault::open(db.path()).unwrap();
    b.adopt_identity(a.me().clone()).unwrap();
    a.apply(
        Command::SetUp {
            my_name: "Ana".into(),
            partner_name: "Ben".into(),
        },
        1,
    )
    .unwrap();
    let (gone, add) = entry("what I could not say ERASEME-SHARED-5150");
    a.apply(add, 2).unwrap();
    let (_, add) = entry("the first good day KEEP-BOTH-1");
    a.apply(add, 3).unwrap();
    a.save(4).unwrap();
    sync(&mut a, &mut b, false, Client::Real);
    assert!(b.view().journal.iter().any(|e| e.id == gone));
    b.save(5).unwrap();
    (da, db, gone)
}

fn journal_texts(v: &Vault) -> Vec<String> {
    let mut t: Vec<String> = v.view().journal.into_iter().map(|e| e.text).collect();
    t.sort();
    t
}

/// Deleted on A while B is away and writing; then they sync, in either order.
fn erase_on_a_while_b_writes(b_first: bool) {
    let (da, db, gone) = two_devices();
    let mut a = Vault::open(da.path()).unwrap();
    let mut b = Vault::open(db.path()).unwrap();
    a.apply(Command::DeleteJournalEntry { id: gone.clone() }, 10)
        .unwrap();
    a.save(11).unwrap();
    // Apart, B writes a new entry and edits the one A erased (that edit cannot survive).
    let (b_new, add) = entry("written on the laptop B-APART-77");
    b.apply(add, 12).unwrap();
    b.apply(
        Command::SpliceJournalText {
            id: gone.clone(),
            pos: 0,
            delete: 0,
            insert: "B-EDIT-OF-ERASED ".into(),
        },
        13,
    )
    .unwrap();
    b.save(14).unwrap();

    sync(&mut a, &mut b, b_first, Client::Real);
    // Once more, so what B replayed onto the new lineage reaches A.
    sync(&mut a, &mut b, !b_first, Client::Real);

    assert_eq!(journal_texts(&a), journal_texts(&b));
    for v in [&a, &b] {
        let j = v.view().journal;
        assert!(
            j.iter().any(|e| e.id == b_new),
            "B's entry written apart was lost"
        );
        assert!(j.iter().any(|e| e.text.contains("KEEP-BOTH-1")));
        assert!(
            !j.iter().any(|e| e.id == gone),
            "the erased entry came back"
        );
    }
    drop(a);
    drop(b);
    for dir in [da.path(), db.path()] {
        for m in ["ERASEME-SHARED-5150", "B-EDIT-OF-ERASED"] {
            assert_eq!(
                traces(dir, m),
                Vec::<String>::new(),
                "{m} in {}",
                dir.display()
            );
        }
        assert!(!traces(dir, "B-APART-77").is_empty());
    }
}

#[test]
fn erasing_on_one_own_device_erases_on_the_other_when_a_connects_first() {
    erase_on_a_while_b_writes(false);
}

#[test]
fn erasing_on_one_own_device_erases_on_the_other_when_b_connects_first() {
    erase_on_a_while_b_writes(true);
}

#[test]
fn an_own_device_offering_old_history_cannot_bring_erased_text_back() {
    let (da, db, gone) = two_devices();
    let mut a = Vault::open(da.path()).unwrap();
    let mut b = Vault::open(db.path()).unwrap();
    a.apply(Command::DeleteJournalEntry { id: gone.clone() }, 10)
        .unwrap();
    a.save(11).unwrap();
    // B keeps the old history and a client that offers it whole, in both orders.
    sync(&mut a, &mut b, false, Client::IgnoresLineage);
    sync(&mut a, &mut b, true, Client::IgnoresLineage);
    assert!(!a.view().journal.iter().any(|e| e.id == gone));
    drop(a);
    assert_eq!(
        traces(da.path(), "ERASEME-SHARED-5150"),
        Vec::<String>::new()
    );
}

const CRASH_DIR_ENV: &str = "KINTSUGI_ERASE_VAULT_CRASH_DIR";

/// Child side: writes a kept and a doomed entry, deletes the doomed one, saves (erasing), and
/// reports `saved N`, until killed.
#[test]
#[ignore = "child process of the kill -9 test; does nothing when run on its own"]
fn erase_vault_crash_child() {
    use std::io::Write;
    let Some(dir) = std::env::var_os(CRASH_DIR_ENV) else {
        return;
    };
    let mut v = Vault::open(Path::new(&dir)).unwrap();
    let mut out = std::io::stdout().lock();
    for n in 1..=10_000 {
        let (_, add) = entry(&format!("KEEP-{n:04}-K"));
        v.apply(add, n).unwrap();
        let (gone, add) = entry(&format!("GONE-{n:04}-G"));
        v.apply(add, n).unwrap();
        v.save(n).unwrap();
        v.apply(Command::DeleteJournalEntry { id: gone }, n)
            .unwrap();
        v.save(n).unwrap();
        writeln!(out, "saved {n}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn a_kill_while_erasing_keeps_every_saved_entry_and_erases_at_the_next_open() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Process, Stdio};
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("erase vault crash seed {seed}");
    for trial in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let dir = tempfile::tempdir().unwrap();
        let mut child = Process::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "erase_vault_crash_child",
                "--ignored",
                "--nocapture",
            ])
            .env(CRASH_DIR_ENV, dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wait_for = 1 + seed % 4;
        let mut last = 0u64;
        while last < wait_for {
            let line = lines.next().expect("the child reports").unwrap();
            if let Some(n) = line.strip_prefix("saved ") {
                last = n.parse().unwrap();
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(seed % 40_000));
        child.kill().unwrap();
        for line in lines.map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("saved ") {
                last = n.parse().unwrap();
            }
        }
        child.wait().unwrap();

        // It opens (the old store or the new one), with every reported entry; the open and
        // its first save finish an erasure the kill cut short.
        let mut v = Vault::open(dir.path())
            .unwrap_or_else(|e| panic!("trial {trial} after {last} saves: {e}"));
        let texts = journal_texts(&v);
        for n in 1..=last {
            let kept = format!("KEEP-{n:04}-K");
            assert!(texts.contains(&kept), "trial {trial}: {kept} lost");
        }
        v.save(1).unwrap();
        drop(v);
        for n in 1..=last {
            let gone = format!("GONE-{n:04}-G");
            assert_eq!(
                traces(dir.path(), &gone),
                Vec::<String>::new(),
                "trial {trial}: {gone} after {last} saves"
            );
        }
    }
}
