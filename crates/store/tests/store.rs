//! In-process tests of the store: persistence, compaction, refusals, locking.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kintsugi_store::{DocKey, DocStats, FILE_NAME, LAYOUT_VERSION, Store, StoreError};
use redb::{Database, TableDefinition};

const PEER_A: [u8; 32] = [0xA1; 32];
const PEER_B: [u8; 32] = [0x0B; 32];

fn file_of(dir: &Path) -> std::path::PathBuf {
    dir.join(FILE_NAME)
}

/// Names of the entries of `dir`, sorted: refusals must not leave temporary files behind.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Opens `dir`, expects a refusal, and checks the file and directory were left exactly as found.
fn assert_refused_untouched(dir: &Path) -> StoreError {
    let path = file_of(dir);
    let before = fs::read(&path).unwrap();
    let listing = entries(dir);
    let err = Store::open(dir).expect_err("the file must be refused");
    assert_eq!(
        fs::read(&path).unwrap(),
        before,
        "a refused file was modified"
    );
    assert_eq!(entries(dir), listing, "a refusal left files behind");
    // Every refusal names the file and says it was not changed.
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.to_lowercase().contains("nothing was changed"),
        "{message}"
    );
    err
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.path(), file_of(dir.path()));
        store.append_chunk(DocKey::Couple, b"couple-1").unwrap();
        store.append_chunk(DocKey::Couple, b"couple-2").unwrap();
        store.compact(DocKey::Private, b"private-snapshot").unwrap();
        store.append_chunk(DocKey::Private, b"private-1").unwrap();
        store.put_setting("actor_id", b"\x01\x02").unwrap();
        store.put_setting("relay_url", b"none").unwrap();
        store.put_peer(&PEER_A, b"record a").unwrap();
        store
            .put_sync_state(&PEER_A, DocKey::Couple, b"state")
            .unwrap();
        store.close().unwrap();
    }
    let check = |store: &Store| {
        assert_eq!(
            store.load_doc(DocKey::Couple).unwrap().unwrap(),
            b"couple-1couple-2"
        );
        assert_eq!(
            store.load_doc(DocKey::Private).unwrap().unwrap(),
            b"private-snapshotprivate-1"
        );
        assert_eq!(store.get_setting("actor_id").unwrap().unwrap(), b"\x01\x02");
        assert_eq!(store.get_setting("relay_url").unwrap().unwrap(), b"none");
        assert_eq!(store.peers().unwrap(), vec![(PEER_A, b"record a".to_vec())]);
        assert_eq!(
            store.sync_state(&PEER_A, DocKey::Couple).unwrap().unwrap(),
            b"state"
        );
    };
    let store = Store::open(dir.path()).unwrap();
    check(&store);
    // Dropping instead of close() must keep everything too.
    drop(store);
    check(&Store::open(dir.path()).unwrap());
    assert_eq!(entries(dir.path()), [FILE_NAME]);
}

#[test]
fn temporary_files_left_by_a_killed_open_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap().close().unwrap();
    fs::write(dir.path().join(".kintsugi-new-abc123.redb"), b"half made").unwrap();
    fs::write(dir.path().join(".kintsugi-probe-def456.redb"), b"copy").unwrap();
    // Files of the user's that merely look similar are not ours to remove.
    fs::write(dir.path().join(".kintsugi-new-notes.txt"), b"mine").unwrap();
    fs::write(dir.path().join("backup.redb"), b"mine").unwrap();
    Store::open(dir.path()).unwrap();
    assert_eq!(
        entries(dir.path()),
        [".kintsugi-new-notes.txt", "backup.redb", FILE_NAME]
    );
}

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/data");
    let store = Store::open(&nested).unwrap();
    assert!(store.path().is_file());
    assert_eq!(entries(&nested), [FILE_NAME]);
}

#[cfg(unix)]
#[test]
fn a_created_directory_and_file_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&data).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(store.path()), 0o600);
}

#[test]
fn documents_are_absent_until_written_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap(), None);
    assert_eq!(store.load_doc(DocKey::Private).unwrap(), None);
    assert_eq!(
        store.doc_stats(DocKey::Couple).unwrap(),
        DocStats::default()
    );
    store.append_chunk(DocKey::Private, b"secret").unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap(), None);
    assert_eq!(store.load_doc(DocKey::Private).unwrap().unwrap(), b"secret");
    // An empty snapshot still means "written".
    store.compact(DocKey::Couple, b"").unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap(), Some(Vec::new()));
}

#[test]
fn an_empty_chunk_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.append_chunk(DocKey::Couple, b"").unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap(), None);
    assert_eq!(store.doc_stats(DocKey::Couple).unwrap().chunk_count, 0);
}

#[test]
fn chunks_and_compaction_keep_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut expected = Vec::new();
    // Enough chunks that their sequence numbers need more than one byte: order must hold.
    for i in 0..300u32 {
        let chunk: Vec<u8> = (0..(i % 17 + 1)).map(|j| (i + j) as u8).collect();
        store.append_chunk(DocKey::Couple, &chunk).unwrap();
        expected.extend_from_slice(&chunk);
    }
    store.append_chunk(DocKey::Private, b"other doc").unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), expected);
    let stats = store.doc_stats(DocKey::Couple).unwrap();
    assert_eq!(stats.chunk_count, 300);
    assert_eq!(stats.chunk_bytes, expected.len() as u64);
    assert_eq!(stats.snapshot_bytes, 0);

    let snapshot: Vec<u8> = expected.iter().rev().copied().collect();
    store.compact(DocKey::Couple, &snapshot).unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), snapshot);
    assert_eq!(
        store.doc_stats(DocKey::Couple).unwrap(),
        DocStats {
            snapshot_bytes: snapshot.len() as u64,
            chunk_count: 0,
            chunk_bytes: 0
        }
    );
    // Compaction of one document leaves the other alone.
    assert_eq!(
        store.load_doc(DocKey::Private).unwrap().unwrap(),
        b"other doc"
    );

    store.append_chunk(DocKey::Couple, b"after").unwrap();
    let mut after = snapshot.clone();
    after.extend_from_slice(b"after");
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), after);
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), after);
}

#[test]
fn automerge_loads_the_joined_bytes_before_and_after_compaction() {
    use automerge::transaction::Transactable as _;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc as _};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut doc = AutoCommit::new();
    let text = doc.put_object(ROOT, "pact", ObjType::Text).unwrap();
    for word in ["We ", "take ", "a ", "20-minute ", "break."] {
        let len = doc.length(&text);
        doc.splice_text(&text, len, 0, word).unwrap();
        doc.commit();
        store
            .append_chunk(DocKey::Couple, &doc.save_incremental())
            .unwrap();
    }
    let load = |store: &Store| {
        let bytes = store.load_doc(DocKey::Couple).unwrap().unwrap();
        let loaded = AutoCommit::load(&bytes).unwrap();
        let (_, id) = loaded.get(ROOT, "pact").unwrap().unwrap();
        loaded.text(&id).unwrap()
    };
    assert_eq!(load(&store), "We take a 20-minute break.");

    store.compact(DocKey::Couple, &doc.save()).unwrap();
    assert_eq!(load(&store), "We take a 20-minute break.");

    doc.splice_text(&text, 0, 0, "Both: ").unwrap();
    doc.commit();
    store
        .append_chunk(DocKey::Couple, &doc.save_incremental())
        .unwrap();
    assert_eq!(load(&store), "Both: We take a 20-minute break.");
}

#[test]
fn needs_compaction_follows_the_documented_rule() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let key = DocKey::Couple;
    assert!(!store.needs_compaction(key).unwrap());

    // Without a snapshot the floor is 64 KiB: exactly 64 KiB is fine, one byte more is not.
    store.append_chunk(key, &vec![1; 64 * 1024]).unwrap();
    assert!(!store.needs_compaction(key).unwrap());
    store.append_chunk(key, b"x").unwrap();
    assert!(store.needs_compaction(key).unwrap());

    // A large snapshot raises the byte limit to its own size.
    store.compact(key, &vec![2; 200 * 1024]).unwrap();
    store.append_chunk(key, &vec![3; 200 * 1024]).unwrap();
    assert!(!store.needs_compaction(key).unwrap());
    store.append_chunk(key, b"y").unwrap();
    assert!(store.needs_compaction(key).unwrap());

    // The chunk count limit applies whatever the sizes: 256 is fine, 257 is not.
    store.compact(key, &vec![2; 200 * 1024]).unwrap();
    for _ in 0..256 {
        store.append_chunk(key, b"c").unwrap();
    }
    assert!(!store.needs_compaction(key).unwrap());
    store.append_chunk(key, b"c").unwrap();
    assert!(store.needs_compaction(key).unwrap());
    assert!(!store.needs_compaction(DocKey::Private).unwrap());
}

/// Record `n` as stored by the atomicity test: its number, then a filler of varying length.
fn record(n: u64) -> Vec<u8> {
    let mut out = n.to_le_bytes().to_vec();
    out.extend(std::iter::repeat_n(n as u8, (n % 23) as usize));
    out
}

/// Parses the joined records; panics unless they are exactly 1..=m, and returns m.
fn parse_records(mut bytes: &[u8]) -> u64 {
    let mut expected = 1;
    while !bytes.is_empty() {
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        assert_eq!(n, expected, "records out of sequence (lost or duplicated)");
        let len = 8 + (n % 23) as usize;
        assert_eq!(&bytes[..len], record(n).as_slice());
        bytes = &bytes[len..];
        expected += 1;
    }
    expected - 1
}

#[test]
fn compaction_is_atomic_for_concurrent_readers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            for n in 1..=300 {
                store.append_chunk(DocKey::Couple, &record(n)).unwrap();
                if n % 7 == 0 {
                    // The snapshot is exactly what the chunks held, so a reader must always see
                    // 1..=m: a snapshot with chunks still present would duplicate records, chunks
                    // removed before the snapshot is written would lose them.
                    let joined = store.load_doc(DocKey::Couple).unwrap().unwrap();
                    store.compact(DocKey::Couple, &joined).unwrap();
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut reads = 0u32;
    let mut last = 0;
    while !done.load(Ordering::SeqCst) {
        if let Some(bytes) = store.load_doc(DocKey::Couple).unwrap() {
            let m = parse_records(&bytes);
            assert!(m >= last, "a reader went back in time");
            last = m;
        }
        reads += 1;
    }
    writer.join().unwrap();
    assert_eq!(
        parse_records(&store.load_doc(DocKey::Couple).unwrap().unwrap()),
        300
    );
    assert!(reads > 50, "the reader barely ran ({reads} reads)");
}

#[test]
fn settings_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.get_setting("partner_name").unwrap(), None);
    store
        .put_setting("partner_name", "Aiko".as_bytes())
        .unwrap();
    store
        .put_setting("partner_name", "Aiko M.".as_bytes())
        .unwrap();
    assert_eq!(
        store.get_setting("partner_name").unwrap().unwrap(),
        b"Aiko M."
    );
    store.delete_setting("partner_name").unwrap();
    assert_eq!(store.get_setting("partner_name").unwrap(), None);
    // Deleting what is not there is not an error.
    store.delete_setting("partner_name").unwrap();
}

#[test]
fn peers_and_sync_states() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.peers().unwrap().is_empty());
    store.put_peer(&PEER_A, b"a1").unwrap();
    store.put_peer(&PEER_B, b"b").unwrap();
    store.put_peer(&PEER_A, b"a2").unwrap();
    // Ordered by id: 0x0B.. before 0xA1..
    assert_eq!(
        store.peers().unwrap(),
        vec![(PEER_B, b"b".to_vec()), (PEER_A, b"a2".to_vec())]
    );

    store
        .put_sync_state(&PEER_A, DocKey::Couple, b"ac")
        .unwrap();
    store
        .put_sync_state(&PEER_A, DocKey::Private, b"ap")
        .unwrap();
    store
        .put_sync_state(&PEER_B, DocKey::Couple, b"bc")
        .unwrap();
    assert_eq!(
        store.sync_state(&PEER_A, DocKey::Couple).unwrap().unwrap(),
        b"ac"
    );
    assert_eq!(
        store.sync_state(&PEER_A, DocKey::Private).unwrap().unwrap(),
        b"ap"
    );
    assert_eq!(store.sync_state(&PEER_B, DocKey::Private).unwrap(), None);

    assert!(store.remove_peer(&PEER_A).unwrap());
    assert!(!store.remove_peer(&PEER_A).unwrap());
    assert_eq!(store.peers().unwrap(), vec![(PEER_B, b"b".to_vec())]);
    // A forgotten peer's sync states go with it; the other peer's stay.
    assert_eq!(store.sync_state(&PEER_A, DocKey::Couple).unwrap(), None);
    assert_eq!(store.sync_state(&PEER_A, DocKey::Private).unwrap(), None);
    assert_eq!(
        store.sync_state(&PEER_B, DocKey::Couple).unwrap().unwrap(),
        b"bc"
    );
}

#[test]
fn random_bytes_are_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    // Deterministic "random" bytes (xorshift), 64 KiB.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    fs::write(file_of(dir.path()), &bytes).unwrap();
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_short_text_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(file_of(dir.path()), "my notes\n").unwrap();
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn an_empty_file_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(file_of(dir.path()), b"").unwrap();
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_directory_in_place_of_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(file_of(dir.path())).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_damaged_store_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let marker: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    {
        let store = Store::open(dir.path()).unwrap();
        store.append_chunk(DocKey::Couple, b"before").unwrap();
        store.append_chunk(DocKey::Couple, &marker).unwrap();
        store.put_setting("after", b"x").unwrap();
    }
    // Flip one byte inside every copy of the chunk (older copies may sit in freed pages), as
    // bit rot or a bad sector would: the page checksums no longer match.
    let path = file_of(dir.path());
    let mut bytes = fs::read(&path).unwrap();
    let mut flipped = 0;
    let mut i = 0;
    while i + marker.len() <= bytes.len() {
        if bytes[i..i + marker.len()] == marker[..] {
            bytes[i + 500] ^= 0xFF;
            flipped += 1;
        }
        i += 1;
    }
    assert!(flipped > 0, "chunk not found in the file");
    fs::write(&path, &bytes).unwrap();
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::Corrupted { .. }), "{err:?}");
}

/// Writes a redb file of another application: `table` filled with one row.
fn write_foreign<K: redb::Key + 'static, V: redb::Value + 'static>(
    path: &Path,
    table: TableDefinition<K, V>,
    key: K::SelfType<'_>,
    value: V::SelfType<'_>,
) {
    let db = Database::create(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(table).unwrap().insert(key, value).unwrap();
    txn.commit().unwrap();
    db.close().unwrap();
}

#[test]
fn a_foreign_redb_file_without_meta_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let notes: TableDefinition<&str, &str> = TableDefinition::new("notes");
    write_foreign(&file_of(dir.path()), notes, "k", "v");
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_foreign_meta_table_of_another_type_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let meta: TableDefinition<u64, u64> = TableDefinition::new("meta");
    write_foreign(&file_of(dir.path()), meta, 1, 2);
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

#[test]
fn a_foreign_format_marker_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let meta: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    write_foreign(
        &file_of(dir.path()),
        meta,
        "format",
        b"other-app".as_slice(),
    );
    let err = assert_refused_untouched(dir.path());
    assert!(
        matches!(&err, StoreError::NotAStore { detail, .. } if detail.contains("other-app")),
        "{err:?}"
    );
}

#[test]
fn a_future_layout_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap().close().unwrap();
    set_layout_version(&file_of(dir.path()), LAYOUT_VERSION + 1);
    let err = assert_refused_untouched(dir.path());
    match err {
        StoreError::FutureLayout {
            found, supported, ..
        } => {
            assert_eq!((found, supported), (LAYOUT_VERSION + 1, LAYOUT_VERSION));
        }
        other => panic!("expected FutureLayout, got {other:?}"),
    }
}

#[test]
fn a_layout_version_zero_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    Store::open(dir.path()).unwrap().close().unwrap();
    set_layout_version(&file_of(dir.path()), 0);
    let err = assert_refused_untouched(dir.path());
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
}

fn set_layout_version(path: &Path, version: u32) {
    let meta: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    txn.open_table(meta)
        .unwrap()
        .insert("layout_version", version.to_le_bytes().as_slice())
        .unwrap();
    txn.commit().unwrap();
    db.close().unwrap();
}

#[test]
fn a_second_open_is_refused_while_the_first_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let first = Store::open(dir.path()).unwrap();
    first.append_chunk(DocKey::Couple, b"kept").unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&file_of(dir.path()).display().to_string()));
    assert!(message.contains("already open in another Kintsugi window or process"));
    // The refused open did not disturb the first handle.
    first.append_chunk(DocKey::Couple, b"+more").unwrap();
    drop(first);
    let again = Store::open(dir.path()).unwrap();
    assert_eq!(
        again.load_doc(DocKey::Couple).unwrap().unwrap(),
        b"kept+more"
    );
}

#[test]
fn store_and_error_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
    assert_send_sync::<StoreError>();
}

#[test]
fn derived_data_is_returned_only_while_the_documents_are_as_stored_then() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.derived("view").unwrap(), None, "never written");
    store.append_chunk(DocKey::Couple, b"one").unwrap();
    store.put_derived("view", b"built from one").unwrap();
    assert_eq!(
        store.derived("view").unwrap().as_deref(),
        Some(b"built from one".as_slice())
    );
    // Reopening changes nothing stored: still valid.
    store.close().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(store.derived("view").unwrap().is_some());
    // Any write to either document makes it stale.
    store.append_chunk(DocKey::Private, b"two").unwrap();
    assert_eq!(store.derived("view").unwrap(), None);
    store.put_derived("view", b"built from two").unwrap();
    let joined = store.load_doc(DocKey::Couple).unwrap().unwrap();
    store.compact(DocKey::Couple, &joined).unwrap();
    assert_eq!(
        store.derived("view").unwrap(),
        None,
        "stale after compaction"
    );
    // Damaged (shorter than its fingerprint): missing, not an error.
    store.close().unwrap();
    let db = Database::open(file_of(dir.path())).unwrap();
    let derived: TableDefinition<&str, &[u8]> = TableDefinition::new("derived");
    let txn = db.begin_write().unwrap();
    txn.open_table(derived)
        .unwrap()
        .insert("view", b"short".as_slice())
        .unwrap();
    txn.commit().unwrap();
    drop(db);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.derived("view").unwrap(), None);
}

#[test]
fn compaction_through_a_chunk_keeps_the_chunks_appended_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.append_chunk(DocKey::Couple, b"a").unwrap();
    store.append_chunk(DocKey::Couple, b"b").unwrap();
    let (joined, through) = store.load_doc_through(DocKey::Couple).unwrap().unwrap();
    assert_eq!((joined.as_slice(), through), (b"ab".as_slice(), Some(1)));
    // Appended while the snapshot was being made.
    store.append_chunk(DocKey::Couple, b"c").unwrap();
    store
        .compact_through(DocKey::Couple, &joined, through)
        .unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), b"abc");
    let stats = store.doc_stats(DocKey::Couple).unwrap();
    assert_eq!((stats.snapshot_bytes, stats.chunk_count), (2, 1));
    // Numbering goes on after the kept chunk.
    store.append_chunk(DocKey::Couple, b"d").unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), b"abcd");
    // A snapshot-only document: nothing to remove.
    let (joined, through) = store.load_doc_through(DocKey::Couple).unwrap().unwrap();
    store
        .compact_through(DocKey::Couple, &joined, through)
        .unwrap();
    let (joined, through) = store.load_doc_through(DocKey::Couple).unwrap().unwrap();
    assert_eq!((joined.as_slice(), through), (b"abcd".as_slice(), None));
    store
        .compact_through(DocKey::Couple, &joined, through)
        .unwrap();
    assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), b"abcd");
}
