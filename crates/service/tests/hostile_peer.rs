//! A paired but hostile (or buggy) device sends malformed couple documents and floods of frames: the receiver stays up, reports, keeps its data.

// The attacker is a real paired partner: its sessions pass the handshake with scope `Partner`,
// and it writes raw automerge ops into its couple document (bypassing `Command` checks, as a
// modified build could). The victim is a real `Vault`; after each attack it must still read,
// accept commands, save, reopen, and hold its private document unchanged.

use kintsugi_core::automerge::transaction::Transactable;
use kintsugi_core::automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use kintsugi_core::{Command, DocKind, ItemId, Model, PartnerId};
use kintsugi_service::Vault;
use kintsugi_sync::session::{
    DocAccess, DocName, Frame, FrameBuffer, FrameError, Hello, LEN_PREFIX, MAX_FRAME_LEN,
    MAX_MESSAGE_LEN, PROTOCOL_VERSION, Scope, Session, SessionError, check_len,
};

/// Counts the bytes each thread holds, so a test can tell what one decode made it allocate
/// (RSS is process-wide and the other tests run alongside).
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Counting;

    thread_local! {
        static LIVE: Cell<usize> = const { Cell::new(0) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    fn grew(n: usize) {
        let _ = LIVE.try_with(|l| {
            let now = l.get() + n;
            l.set(now);
            let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
        });
    }

    fn shrank(n: usize) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
    }

    // SAFETY: every call is forwarded to the system allocator unchanged; only counters move.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: same contract as ours.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                grew(layout.size());
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: same contract as ours.
            unsafe { System.dealloc(ptr, layout) };
            shrank(layout.size());
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: same contract as ours.
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                shrank(layout.size());
                grew(new_size);
            }
            p
        }
    }

    /// Runs `f` and returns its result and the most bytes this thread held at once during it,
    /// beyond what it held before.
    pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
        let before = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(before));
        let r = f();
        (r, PEAK.with(Cell::get) - before)
    }
}

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

struct VaultDocs<'a>(&'a mut Vault);

impl DocAccess for VaultDocs<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(self.0.model_mut().doc_mut(kind(name)))
    }
}

struct ModelDocs<'a>(&'a mut Model);

impl DocAccess for ModelDocs<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        Some(self.0.doc_mut(kind(name)))
    }
}

fn kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

const SECRET: &str = "victim-private-words";

struct Victim {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    vault: Vault,
    private_heads: Vec<kintsugi_core::automerge::ChangeHash>,
}

fn victim() -> Victim {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let mut vault = Vault::open(&path).unwrap();
    for cmd in [
        Command::SetUp {
            my_name: "Sam".into(),
            partner_name: "Alex".into(),
        },
        Command::AddJournalEntry {
            id: ItemId("mine".into()),
            date: "2026-11-24".into(),
            mood: Some(2),
            tags: vec![],
            text: SECRET.into(),
            prompt: None,
        },
        Command::SpliceSection {
            section: "conflict".into(),
            pos: 0,
            delete: 0,
            insert: "We pause for twenty minutes.".into(),
        },
        Command::AddCommitment {
            id: ItemId("c1".into()),
            text: "phone stays open".into(),
            rhythm: kintsugi_core::Rhythm::Daily,
            start: "2026-11-20".into(),
        },
    ] {
        vault.apply(cmd, 10).unwrap();
    }
    vault.save(11).unwrap();
    let private_heads = vault.model_mut().doc_mut(DocKind::Private).get_heads();
    Victim {
        _dir: dir,
        path,
        vault,
        private_heads,
    }
}

fn attacker() -> Model {
    Model::open(
        None,
        None,
        PartnerId("attacker".into()),
        ActorId::from(vec![0xAA; 16]),
    )
    .unwrap()
}

/// Largest frame a victim received so far (all tests of this binary).
static LARGEST: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Syncs attacker → victim over Partner-scoped sessions until quiet. Returns the victim-side
/// session errors (a connection would be closed on each).
fn sync(v: &mut Victim, a: &mut Model) -> Vec<String> {
    let mut sv = Session::new([1; 32], Scope::Partner, []).expect_peer([2; 32]);
    let mut sa = Session::new([2; 32], Scope::Partner, []).expect_peer([1; 32]);
    let mut to_v = sa.start();
    let mut to_a = sv.start();
    let mut errors = Vec::new();
    for _ in 0..20 {
        if to_v.is_empty() && to_a.is_empty() {
            break;
        }
        for f in std::mem::take(&mut to_v) {
            // Through the wire format, as the transport does.
            let bytes = f.encode();
            LARGEST.fetch_max(bytes.len(), std::sync::atomic::Ordering::Relaxed);
            let f = Frame::decode(&bytes).expect("decodes");
            match sv.receive(f, &mut VaultDocs(&mut v.vault)) {
                Ok(_) => v.vault.mark_changed(),
                Err(e) => {
                    errors.push(e.to_string());
                    return errors;
                }
            }
        }
        to_a.extend(sv.poll(&mut VaultDocs(&mut v.vault)));
        for f in std::mem::take(&mut to_a) {
            sa.receive(f, &mut ModelDocs(a)).unwrap();
        }
        to_v.extend(sa.poll(&mut ModelDocs(a)));
    }
    errors
}

/// What must hold after any attack: the victim reads, writes, saves, reopens; its private
/// document is unchanged and its own journal entry is there.
fn assert_survives(v: &mut Victim) -> kintsugi_core::View {
    let view = v.vault.view();
    assert!(view.journal.iter().any(|e| e.text == SECRET));
    assert_eq!(
        v.vault.model_mut().doc_mut(DocKind::Private).get_heads(),
        v.private_heads
    );
    v.vault
        .apply(
            Command::AddJournalEntry {
                id: ItemId::random(),
                date: "2026-11-25".into(),
                mood: None,
                tags: vec![],
                text: "still writing".into(),
                prompt: None,
            },
            20,
        )
        .unwrap();
    v.vault.save(21).expect("save after the attack");
    v.private_heads = v.vault.model_mut().doc_mut(DocKind::Private).get_heads();
    // Reopen from disk with the hostile changes stored.
    let dir = v.path.clone();
    let old = std::mem::replace(&mut v.vault, {
        // Open a placeholder first: the store allows one opener at a time.
        let tmp = tempfile::tempdir().unwrap();
        Vault::open(tmp.path()).unwrap()
    });
    drop(old);
    v.vault = Vault::open(&dir).expect("the store reopens after a hostile sync");
    let reopened = v.vault.view();
    assert!(reopened.journal.iter().any(|e| e.text == "still writing"));
    reopened
}

fn top(doc: &AutoCommit, key: &str) -> kintsugi_core::automerge::ObjId {
    doc.get(ROOT, key).unwrap().unwrap().1
}

#[test]
fn wrong_types_become_item_errors() {
    let mut v = victim();
    let mut a = attacker();
    sync(&mut v, &mut a);
    let c = a.doc_mut(DocKind::Couple);
    let wins = top(c, "wins");
    c.put(&wins, "w1", "a string where a map belongs").unwrap();
    let w2 = c.put_object(&wins, "w2", ObjType::Map).unwrap();
    c.put(&w2, "text", 42).unwrap();
    c.put(&w2, "kind", "trust_win").unwrap();
    c.put(&w2, "by", "attacker").unwrap();
    c.put(&w2, "at", "yesterday").unwrap();
    let questions = top(c, "questions");
    let q = c.put_object(&questions, "q1", ObjType::List).unwrap();
    c.insert(&q, 0, true).unwrap();
    // A commitment's log as text instead of a map.
    let commitments = top(c, "commitments");
    let c1 = c.get(&commitments, "c1").unwrap().unwrap().1;
    c.put_object(&c1, "log", ObjType::Text).unwrap();
    c.commit();
    assert!(sync(&mut v, &mut a).is_empty());
    let view = assert_survives(&mut v);
    let places: Vec<&str> = view.errors.iter().map(|e| e.place.as_str()).collect();
    for p in ["wins/w1", "wins/w2/text", "questions/q1"] {
        assert!(places.contains(&p), "{p} not reported: {:?}", view.errors);
    }
    assert!(
        view.agreement
            .iter()
            .any(|s| s.body == "We pause for twenty minutes.")
    );
}

fn rss(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

/// Peak resident memory of this process so far, in MiB (Linux), for the printed figures.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

#[test]
fn an_oversized_value_is_reported_not_loaded() {
    let mut v = victim();
    let mut a = attacker();
    sync(&mut v, &mut a);
    // A 50 MB string where a short text belongs: it fits one frame (under MAX_FRAME_LEN).
    let big = "x".repeat(50 * 1024 * 1024);
    let c = a.doc_mut(DocKind::Couple);
    let topics = top(c, "therapy_topics");
    let t = c.put_object(&topics, "t1", ObjType::Map).unwrap();
    c.put(&t, "text", big.as_str()).unwrap();
    c.put(&t, "by", "attacker").unwrap();
    c.put(&t, "at", 1).unwrap();
    c.commit();
    let errors = sync(&mut v, &mut a);
    assert!(errors.is_empty(), "{errors:?}");
    let view = assert_survives(&mut v);
    let places: Vec<&str> = view.errors.iter().map(|e| e.place.as_str()).collect();
    assert!(places.contains(&"therapy_topics/t1/text"), "{places:?}");
    println!(
        "after a 50 MB value: peak RSS {} MiB; largest frame received {} bytes",
        peak_rss_mib(),
        LARGEST.load(std::sync::atomic::Ordering::Relaxed)
    );
    // Twice that would not fit one frame (MAX_FRAME_LEN = 64 MiB) and is refused by length:
    // see `over_limit_frames_are_refused_before_allocation`.
}

#[test]
fn deep_nesting_is_harmless() {
    let mut v = victim();
    let mut a = attacker();
    sync(&mut v, &mut a);
    let c = a.doc_mut(DocKind::Couple);
    let wins = top(c, "wins");
    let mut obj = c.put_object(&wins, "deep", ObjType::Map).unwrap();
    for _ in 0..20_000 {
        obj = c.put_object(&obj, "text", ObjType::Map).unwrap();
    }
    c.commit();
    assert!(sync(&mut v, &mut a).is_empty());
    let view = assert_survives(&mut v);
    assert!(view.errors.iter().any(|e| e.place.starts_with("wins/deep")));
}

#[test]
fn a_newer_schema_is_shown_as_such() {
    let mut v = victim();
    let mut a = attacker();
    sync(&mut v, &mut a);
    let c = a.doc_mut(DocKind::Couple);
    c.put(ROOT, "schema", 7).unwrap();
    let wins = top(c, "wins");
    let w = c.put_object(&wins, "future", ObjType::Map).unwrap();
    c.put(&w, "v", 7).unwrap();
    c.put(&w, "hologram", "🌈").unwrap();
    c.commit();
    assert!(sync(&mut v, &mut a).is_empty());
    let view = assert_survives(&mut v);
    assert!(
        view.errors
            .iter()
            .any(|e| e.place == "couple" && e.problem.contains("newer"))
    );
    assert!(
        view.errors
            .iter()
            .any(|e| e.place == "wins/future" && e.problem.contains("newer"))
    );
    assert!(view.commitments.iter().any(|c| c.id.0 == "c1"));
}

/// Regression: a peer overwriting the couple document's `kind` made the victim's own store
/// refuse to open ("not a Kintsugi couple document") after the next save.
#[test]
fn a_peer_cannot_make_the_store_unopenable() {
    let mut v = victim();
    let mut a = attacker();
    sync(&mut v, &mut a);
    let c = a.doc_mut(DocKind::Couple);
    c.put(ROOT, "kind", "kintsugi/private").unwrap();
    c.put(ROOT, "members", "gone").unwrap();
    c.commit();
    assert!(sync(&mut v, &mut a).is_empty());
    let view = assert_survives(&mut v);
    assert!(!view.errors.is_empty());
}

#[test]
fn over_limit_frames_are_refused_before_allocation() {
    let too_big = ((MAX_FRAME_LEN + 1) as u32).to_be_bytes();
    assert_eq!(
        check_len(too_big),
        Err(FrameError::TooLarge(MAX_FRAME_LEN + 1))
    );
    let mut buf = FrameBuffer::default();
    buf.push(&u32::MAX.to_be_bytes());
    assert!(matches!(buf.next_body(), Err(FrameError::TooLarge(_))));
    // A body at the limit passes the length check (the transport allocates at most
    // MAX_FRAME_LEN per connection).
    assert_eq!(
        check_len((MAX_FRAME_LEN as u32).to_be_bytes()),
        Ok(MAX_FRAME_LEN)
    );
    let mut whole = vec![0u8; LEN_PREFIX];
    whole[..LEN_PREFIX].copy_from_slice(&too_big);
    assert!(matches!(
        Frame::decode(&whole),
        Err(FrameError::TooLarge(_))
    ));
}

#[test]
fn a_flood_of_frames_leaves_the_receiver_up_and_unchanged() {
    let mut v = victim();
    let couple_before = v.vault.model_mut().doc_mut(DocKind::Couple).get_heads();
    let mut s = Session::new([1; 32], Scope::Partner, []).expect_peer([2; 32]);
    let _ = s.start();
    let hello = Frame::Hello(Hello {
        version: PROTOCOL_VERSION,
        device: [2; 32],
        docs: vec![DocName::Couple, DocName::Private],
        couple_id: None,
    });
    s.receive(hello, &mut VaultDocs(&mut v.vault)).unwrap();
    let started = std::time::Instant::now();
    let mut refused = 0;
    let mut violations = 0;
    let n = 20_000;
    for i in 0..n {
        let frame = match i % 4 {
            // Out of scope: never applied.
            0 => Frame::Sync {
                doc: DocName::Private,
                message: vec![0x42, 0, 0, 0],
            },
            // Valid but empty sync messages, over and over.
            1 => {
                let mut other = AutoCommit::new();
                let msg = kintsugi_core::automerge::sync::SyncDoc::generate_sync_message(
                    &other.sync(),
                    &mut kintsugi_core::automerge::sync::State::new(),
                )
                .unwrap();
                Frame::Sync {
                    doc: DocName::Couple,
                    message: msg.encode(),
                }
            }
            // Garbage in scope.
            _ => Frame::Sync {
                doc: DocName::Couple,
                message: vec![0x42, 0xff, (i % 251) as u8, 0x13],
            },
        };
        match s.receive(frame, &mut VaultDocs(&mut v.vault)) {
            Ok(events) => {
                violations += events
                    .iter()
                    .filter(|e| {
                        matches!(
                            e,
                            kintsugi_sync::session::SessionEvent::ScopeViolation { .. }
                        )
                    })
                    .count()
            }
            Err(SessionError::BadSyncMessage { .. } | SessionError::Apply { .. }) => refused += 1,
            Err(e) => panic!("unexpected: {e}"),
        }
        let _ = s.poll(&mut VaultDocs(&mut v.vault));
    }
    let took = started.elapsed();
    println!("flood: {n} frames in {took:?}; {refused} refused, {violations} out of scope");
    assert_eq!(violations, n / 4);
    assert!(refused >= n / 2);
    assert_eq!(
        v.vault.model_mut().doc_mut(DocKind::Couple).get_heads(),
        couple_before
    );
    assert_survives(&mut v);
}

/// Regression: a sync message may carry a whole compressed document. 300 KiB of it inflated to
/// 600 MiB in the receiver, so the frame limit did not bound memory. Such chunks are refused.
#[test]
fn a_compressed_document_bomb_is_refused() {
    use kintsugi_core::automerge::sync::{ChunkList, Message, MessageVersion};
    let mut v = victim();
    let couple_before = v.vault.model_mut().doc_mut(DocKind::Couple).get_heads();
    let mut a = attacker();
    let c = a.doc_mut(DocKind::Couple);
    let topics = top(c, "therapy_topics");
    let t = c.put_object(&topics, "bomb", ObjType::Map).unwrap();
    c.put(&t, "text", "x".repeat(64 * 1024 * 1024).as_str())
        .unwrap();
    c.commit();
    let message = Message {
        heads: c.get_heads(),
        need: vec![],
        have: vec![],
        changes: ChunkList::from(c.save()),
        flags: None,
        version: MessageVersion::V1,
    }
    .encode();
    drop(a);
    assert!(message.len() < 200 * 1024, "{} bytes", message.len());
    let before = rss("VmRSS:");
    let mut s = Session::new([1; 32], Scope::Partner, []);
    let _ = s.start();
    s.receive(
        Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            device: [2; 32],
            docs: vec![DocName::Couple],
            couple_id: None,
        }),
        &mut VaultDocs(&mut v.vault),
    )
    .unwrap();
    let result = s.receive(
        Frame::Sync {
            doc: DocName::Couple,
            message,
        },
        &mut VaultDocs(&mut v.vault),
    );
    let after = rss("VmRSS:");
    println!("bomb: RSS {before} MiB -> {after} MiB, {result:?}");
    assert!(
        matches!(result, Err(SessionError::BadSyncMessage { .. })),
        "{result:?}"
    );
    // Refused before automerge loads anything (RSS is process-wide and other tests run
    // alongside, so it is printed, not asserted).
    assert_eq!(
        v.vault.model_mut().doc_mut(DocKind::Couple).get_heads(),
        couple_before
    );
    assert_survives(&mut v);
}

/// A compressed frame bomb: about 64 KiB on the wire that inflates to 80 MiB. Stating a small
/// length, it is refused a few KiB in; stating the limit, at the limit; stating more, before
/// inflating anything. What the receiver allocates is bounded by the stated length (counted on
/// this thread), never by what the stream would inflate to, and nothing reaches the documents.
#[test]
fn a_compressed_frame_bomb_is_refused() {
    use std::io::Write;
    let mut v = victim();
    let couple_before = v.vault.model_mut().doc_mut(DocKind::Couple).get_heads();
    let inflated = 80 * 1024 * 1024;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; inflated]).unwrap();
    let packed = e.finish().unwrap();
    assert!(packed.len() < 128 * 1024, "{} bytes", packed.len());
    let frame = |stated: usize| {
        // Tag 3 (deflated sync message), the couple document, the stated inflated length.
        let mut body = vec![0x03, DocName::Couple.wire_id()];
        body.extend_from_slice(&(stated as u32).to_be_bytes());
        body.extend_from_slice(&packed);
        let mut buf = FrameBuffer::default();
        buf.push(&kintsugi_sync::session::length_prefixed(&body));
        buf.next_body().unwrap().expect("a whole frame")
    };
    let mut s = Session::new([1; 32], Scope::Partner, []).expect_peer([2; 32]);
    let _ = s.start();
    s.receive(
        Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            device: [2; 32],
            docs: vec![DocName::Couple],
            couple_id: None,
        }),
        &mut VaultDocs(&mut v.vault),
    )
    .unwrap();
    for (stated, held_at_most) in [
        (4096, 64 * 1024),
        (MAX_MESSAGE_LEN, MAX_MESSAGE_LEN + 64 * 1024),
        (MAX_MESSAGE_LEN + 1, 64 * 1024),
    ] {
        let body = frame(stated);
        let (decoded, held) = counting::peak_during(|| Frame::decode_body(&body));
        println!("compressed bomb stating {stated} bytes: held {held} bytes, {decoded:?}");
        assert!(
            matches!(
                decoded,
                Err(FrameError::InflatesTooLarge | FrameError::Inflate(_))
            ),
            "{decoded:?}"
        );
        assert!(
            held <= held_at_most,
            "held {held} bytes for {stated} stated"
        );
        // The transport closes the connection here; the session never sees a message.
    }
    let _ = s.poll(&mut VaultDocs(&mut v.vault));
    assert_eq!(
        v.vault.model_mut().doc_mut(DocKind::Couple).get_heads(),
        couple_before
    );
    assert_survives(&mut v);
}

/// Check-in seals, commitment rhythms and states from a buggy or hostile partner device are
/// item errors; none of them reveals a sealed answer for a day the partner did not answer.
#[test]
fn hostile_seals_and_commitment_fields_reveal_nothing() {
    let mut v = victim();
    v.vault
        .apply(
            Command::SaveDailyCheckIn {
                date: "2026-12-01".into(),
                answers: kintsugi_core::DailyAnswers {
                    mood: 2,
                    connection: 2,
                    safety: 3,
                    high: "victim-sealed-answer".into(),
                    ..Default::default()
                },
            },
            DEC_3,
        )
        .unwrap();
    v.vault.save(DEC_3).unwrap();
    v.private_heads = v.vault.model_mut().doc_mut(DocKind::Private).get_heads();
    let mut a = attacker();
    sync(&mut v, &mut a);
    let me = v.vault.me().0.clone();
    let c = a.doc_mut(DocKind::Couple);
    let seals = top(c, "checkin_seals");
    c.put(&seals, "daily/2026-12-01", "no partner in the key")
        .unwrap();
    // The victim's own id in the key: a seal of theirs, not the partner's.
    let forged = c
        .put_object(&seals, format!("daily/2026-12-01/{me}"), ObjType::Map)
        .unwrap();
    c.put(&forged, "v", 1).unwrap();
    c.put(&forged, "kind", "monthly").unwrap();
    // Another day answered: reveals nothing of 2026-12-01.
    let other = c
        .put_object(&seals, "daily/2026-12-02/attacker", ObjType::Map)
        .unwrap();
    c.put(&other, "kind", 7).unwrap();
    let commitments = top(c, "commitments");
    let c1 = c.get(&commitments, "c1").unwrap().unwrap().1;
    c.put(&c1, "rhythm", "fortnightly on the moon").unwrap();
    c.put(&c1, "state", "exploded").unwrap();
    c.commit();
    assert!(sync(&mut v, &mut a).is_empty());
    assert!(!v.vault.model_mut().reveal_checkins(DEC_3 + 30).unwrap());
    let view = assert_survives(&mut v);
    let places: Vec<&str> = view.errors.iter().map(|e| e.place.as_str()).collect();
    for p in [
        "checkin_seals/daily/2026-12-01",
        "checkin_seals/daily/2026-12-02/attacker/kind",
        "commitments/c1",
    ] {
        assert!(
            places.iter().any(|q| q.starts_with(p)),
            "{p} not reported: {:?}",
            view.errors
        );
    }
    let mut couple = v.vault.model_mut().doc_mut(DocKind::Couple).clone();
    let history = format!(
        "{:?}",
        couple
            .get_changes(&[])
            .iter()
            .map(|c| c.decode())
            .collect::<Vec<_>>()
    );
    assert!(!history.contains("victim-sealed-answer"));
    assert!(view.daily_pair("2026-12-01").0.unwrap().sealed);
}

/// Noon UTC on 3 December 2026 (ms), the day the check-in attacks are about.
const DEC_3: i64 = 1_796_299_200_000;
const SEALED_LOW: &str = "victim-sealed-low";

/// Every string the document's history ever held, decoded op by op.
fn history(doc: &mut AutoCommit) -> String {
    let mut out = String::new();
    for c in doc.get_changes(&[]) {
        for op in c.decode().operations {
            if let Some(kintsugi_core::automerge::ScalarValue::Str(s)) = op.primitive_value() {
                out.push_str(&s);
            }
            out.push('\0');
        }
    }
    out
}

fn daily(mood: u8, low: &str) -> Command {
    Command::SaveDailyCheckIn {
        date: "2026-12-03".into(),
        answers: kintsugi_core::DailyAnswers {
            mood,
            connection: 3,
            safety: 3,
            high: String::new(),
            low: low.into(),
            need: String::new(),
        },
    }
}

/// A raw seal as a modified client writes it: `daily/2026-12-03/<by>` (or another date).
fn raw_seal(c: &mut AutoCommit, date: &str, by: &str, digest: Option<&str>) {
    let seals = top(c, "checkin_seals");
    let s = c
        .put_object(&seals, format!("daily/{date}/{by}"), ObjType::Map)
        .unwrap();
    for (k, v) in [("kind", "daily"), ("period", date), ("by", by)] {
        c.put(&s, k, v).unwrap();
    }
    c.put(&s, "v", 1).unwrap();
    c.put(&s, "at", DEC_3).unwrap();
    if let Some(d) = digest {
        c.put(&s, "digest", d).unwrap();
    }
    c.commit();
}

/// The partner's device, set up as the partner, syncs with a victim who answered a check-in
/// (sealed), then tries to make the victim's device reveal it without answering: seals under a
/// non-member id, for a later day, and without a digest, each through the real session; then
/// answers honestly and rewrites its answer after reading the victim's. The victim's answer
/// never reaches the attacker's document before it answered, and the rewrite never shows.
#[test]
fn a_partner_device_cannot_unseal_a_check_in_or_replace_its_answer() {
    let mut v = victim();
    v.vault.apply(daily(2, SEALED_LOW), DEC_3).unwrap();
    v.vault.save(DEC_3).unwrap();
    v.private_heads = v.vault.model_mut().doc_mut(DocKind::Private).get_heads();
    // A paired device (its key trusted by the victim) that writes raw changes besides.
    let adir = tempfile::tempdir().unwrap();
    let mut av = Vault::open(adir.path()).unwrap();
    v.vault.pair_with(&av, "Alex's device", DEC_3).unwrap();
    av.pair_with(&v.vault, "Sam's device", DEC_3).unwrap();
    let a = av.model_mut();
    a.apply(
        Command::SetUp {
            my_name: "Alex".into(),
            partner_name: "Sam".into(),
        },
        DEC_3,
    )
    .unwrap();
    a.commit(DEC_3);
    let attacker_id = a.me().0.clone();
    assert!(sync(&mut v, a).is_empty());
    let reveal = |v: &mut Victim, a: &mut Model| {
        v.vault.model_mut().reveal_checkins(DEC_3 + 1).unwrap();
        v.vault.save(DEC_3 + 1).unwrap();
        assert!(sync(v, a).is_empty());
    };
    let digest = "ab".repeat(32);
    for (what, date, by, d) in [
        (
            "a non-member seal",
            "2026-12-03",
            "mallory",
            Some(digest.as_str()),
        ),
        (
            "a future seal",
            "2026-12-09",
            attacker_id.as_str(),
            Some(digest.as_str()),
        ),
        (
            "a seal without an answer",
            "2026-12-03",
            attacker_id.as_str(),
            None,
        ),
    ] {
        raw_seal(a.doc_mut(DocKind::Couple), date, by, d);
        assert!(sync(&mut v, a).is_empty());
        reveal(&mut v, a);
        assert!(
            !history(a.doc_mut(DocKind::Couple)).contains(SEALED_LOW),
            "{what} revealed the victim's answer"
        );
        assert_survives(&mut v);
    }

    // Honest answers both ways, then the attacker rewrites its own after reading the victim's.
    a.apply(daily(4, "attacker-first"), DEC_3 + 2).unwrap();
    a.commit(DEC_3 + 2);
    assert!(sync(&mut v, a).is_empty());
    reveal(&mut v, a);
    assert!(history(a.doc_mut(DocKind::Couple)).contains(SEALED_LOW));
    a.reveal_checkins(DEC_3 + 3).unwrap();
    a.commit(DEC_3 + 3);
    assert!(sync(&mut v, a).is_empty());
    let shown = |v: &Victim| {
        v.vault
            .view()
            .daily_pair("2026-12-03")
            .1
            .map(|c| c.low.clone())
    };
    assert_eq!(shown(&v).as_deref(), Some("attacker-first"));
    let c = a.doc_mut(DocKind::Couple);
    let copies = top(c, "daily_checkins");
    let copy = c
        .get(&copies, format!("2026-12-03/{attacker_id}").as_str())
        .unwrap()
        .unwrap()
        .1;
    c.put(&copy, "low", "attacker-rewritten").unwrap();
    c.commit();
    assert!(sync(&mut v, a).is_empty());
    assert_ne!(shown(&v).as_deref(), Some("attacker-rewritten"));
    assert!(
        v.vault
            .view()
            .errors
            .iter()
            .any(|e| e.place.contains(&format!("2026-12-03/{attacker_id}"))),
        "the rewrite is named"
    );
    assert_survives(&mut v);
}
