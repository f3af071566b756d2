//! Encryption at rest: passphrase set, change, remove; refusals; tampering; the byte search.

use std::fs;
use std::path::{Path, PathBuf};

use kintsugi_store::{DocKey, FILE_NAME, KdfParams, Progress, Store, StoreError};
use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use secrecy::SecretString;

const PEER: [u8; 32] = [0x5A; 32];
const WEAK: KdfParams = KdfParams::INSECURE_FOR_TESTS;

fn pass(text: &str) -> SecretString {
    SecretString::from(text)
}

fn no_progress() -> impl FnMut(Progress) {
    |_| {}
}

/// Writes one value into each table, each carrying `marker`.
fn fill(store: &Store, marker: &str) {
    store
        .compact(
            DocKey::Couple,
            format!("snapshot {marker} couple").as_bytes(),
        )
        .unwrap();
    store
        .append_chunk(DocKey::Couple, format!("chunk {marker} 1").as_bytes())
        .unwrap();
    store
        .compact(
            DocKey::Private,
            format!("journal {marker} private").as_bytes(),
        )
        .unwrap();
    store
        .put_setting("network", format!("settings {marker}").as_bytes())
        .unwrap();
    store
        .put_peer(&PEER, format!("peer {marker}").as_bytes())
        .unwrap();
    store
        .put_sync_state(&PEER, DocKey::Couple, format!("state {marker}").as_bytes())
        .unwrap();
}

fn check(store: &Store, marker: &str) {
    assert_eq!(
        store.load_doc(DocKey::Couple).unwrap().unwrap(),
        format!("snapshot {marker} couplechunk {marker} 1").as_bytes()
    );
    assert_eq!(
        store.load_doc(DocKey::Private).unwrap().unwrap(),
        format!("journal {marker} private").as_bytes()
    );
    assert_eq!(
        store.get_setting("network").unwrap().unwrap(),
        format!("settings {marker}").as_bytes()
    );
    assert_eq!(
        store.peers().unwrap(),
        vec![(PEER, format!("peer {marker}").into_bytes())]
    );
    assert_eq!(
        store.sync_state(&PEER, DocKey::Couple).unwrap().unwrap(),
        format!("state {marker}").as_bytes()
    );
}

/// Every byte of every file under `dir`.
fn all_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.push((path.clone(), fs::read(&path).unwrap()));
        }
    }
    out
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn occurrences(dir: &Path, needle: &[u8]) -> usize {
    all_bytes(dir).iter().map(|(_, b)| count(b, needle)).sum()
}

#[test]
fn set_unlock_change_remove_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, "m1");
    assert!(!store.is_encrypted() && !store.is_locked());
    let mut seen = Vec::new();
    store
        .set_passphrase(&pass("first"), WEAK, &mut |p| seen.push(p))
        .unwrap();
    assert_eq!(seen.first(), Some(&Progress { done: 0, total: 6 }));
    assert_eq!(seen.last(), Some(&Progress { done: 6, total: 6 }));
    assert!(store.is_encrypted() && !store.is_locked());
    check(&store, "m1");
    store.lock();
    assert!(store.is_locked());
    let err = store.load_doc(DocKey::Couple).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let err = store.put_setting("x", b"y").unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    store.unlock(&pass("first")).unwrap();
    check(&store, "m1");
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.is_locked());
    store.unlock(&pass("first")).unwrap();
    check(&store, "m1");
    store
        .change_passphrase(&pass("second"), WEAK, &mut no_progress())
        .unwrap();
    fill(&store, "m2");
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let err = store.unlock(&pass("first")).unwrap_err();
    assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err:?}");
    store.unlock(&pass("second")).unwrap();
    check(&store, "m2");
    store.remove_passphrase(&mut no_progress()).unwrap();
    assert!(!store.is_encrypted());
    check(&store, "m2");
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    assert!(!store.is_encrypted() && !store.is_locked());
    check(&store, "m2");
    // Plain again: the markers are readable in the file, as before any passphrase.
    drop(store);
    assert!(occurrences(dir.path(), b"journal m2 private") > 0);
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, "w");
    store
        .set_passphrase(&pass("right"), WEAK, &mut no_progress())
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    // Read while open: unlocking only reads, so not a byte may change.
    let before = fs::read(dir.path().join(FILE_NAME)).unwrap();
    for wrong in ["", "Right", "right ", "wrong"] {
        let err = store.unlock(&pass(wrong)).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("does not unlock"), "{message}");
        assert!(message.contains("Nothing was changed"), "{message}");
        assert!(store.is_locked());
    }
    assert!(
        fs::read(dir.path().join(FILE_NAME)).unwrap() == before,
        "a refused unlock changed the file"
    );
    drop(store);
    // No lock-out: the right one still works after wrong ones.
    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("right")).unwrap();
    check(&store, "w");
}

#[test]
fn refusals_of_set_change_and_remove_in_the_wrong_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let err = store
        .change_passphrase(&pass("a"), WEAK, &mut no_progress())
        .unwrap_err();
    assert!(matches!(err, StoreError::NoPassphrase { .. }), "{err:?}");
    let err = store.remove_passphrase(&mut no_progress()).unwrap_err();
    assert!(matches!(err, StoreError::NoPassphrase { .. }), "{err:?}");
    store
        .set_passphrase(&pass("a"), WEAK, &mut no_progress())
        .unwrap();
    let err = store
        .set_passphrase(&pass("b"), WEAK, &mut no_progress())
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PassphraseAlreadySet { .. }),
        "{err:?}"
    );
    store.lock();
    let err = store
        .change_passphrase(&pass("b"), WEAK, &mut no_progress())
        .unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let err = store.remove_passphrase(&mut no_progress()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
}

const SNAPSHOTS: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshots");
const CHUNKS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("chunks");
const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");

/// A store with a passphrase ("p") holding `fill(.., "t")`, closed.
fn encrypted_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, "t");
    store.put_setting("other", b"other value").unwrap();
    store
        .set_passphrase(&pass("p"), WEAK, &mut no_progress())
        .unwrap();
    store.close().unwrap();
    dir
}

/// Rewrites one value through redb itself (so page checksums stay valid).
fn edit_value<K: redb::Key + 'static>(
    dir: &Path,
    table: TableDefinition<K, &[u8]>,
    key: K::SelfType<'_>,
    edit: impl FnOnce(&mut Vec<u8>),
) where
    for<'a> K::SelfType<'a>: Clone,
{
    let db = Database::open(dir.join(FILE_NAME)).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(table).unwrap();
        let mut value = t.get(key.clone()).unwrap().unwrap().value().to_vec();
        edit(&mut value);
        t.insert(key, value.as_slice()).unwrap();
    }
    txn.commit().unwrap();
    db.close().unwrap();
}

#[test]
fn a_flipped_byte_names_the_table_and_key_and_never_panics() {
    let dir = encrypted_store();
    let len = {
        let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(CHUNKS).unwrap();
        t.get(("couple", 0)).unwrap().unwrap().value().len()
    };
    for i in 0..len {
        let dir = encrypted_store();
        edit_value(dir.path(), CHUNKS, ("couple", 0), |v| v[i] ^= 0x80);
        let store = Store::open(dir.path()).unwrap();
        store.unlock(&pass("p")).unwrap();
        let err = store.load_doc(DocKey::Couple).unwrap_err();
        match &err {
            StoreError::Damaged { table, key, .. } => {
                assert_eq!((*table, key.as_str()), ("chunks", "couple #0"));
            }
            other => panic!("byte {i}: expected Damaged, got {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.contains("`chunks`") && message.contains("couple #0"),
            "{message}"
        );
        // The rest of the store still reads.
        assert!(store.load_doc(DocKey::Private).unwrap().is_some());
        // Turning encryption off refuses as a whole and changes nothing.
        let err = store.remove_passphrase(&mut no_progress()).unwrap_err();
        assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
        assert!(store.is_encrypted());
        if i > 3 {
            break; // format byte, nonce bytes: enough after a few; the tag is below
        }
    }
    // The last byte (inside the tag) and a truncated value.
    for edit in [
        Box::new(|v: &mut Vec<u8>| *v.last_mut().unwrap() ^= 1) as Box<dyn FnOnce(&mut Vec<u8>)>,
        Box::new(|v: &mut Vec<u8>| v.truncate(10)),
        Box::new(|v: &mut Vec<u8>| v.clear()),
    ] {
        let dir = encrypted_store();
        edit_value(dir.path(), SETTINGS, "network", edit);
        let store = Store::open(dir.path()).unwrap();
        store.unlock(&pass("p")).unwrap();
        let err = store.get_setting("network").unwrap_err();
        assert!(
            matches!(&err, StoreError::Damaged { table: "settings", key, .. } if key == "network"),
            "{err:?}"
        );
    }
}

#[test]
fn a_value_moved_to_another_key_does_not_decrypt() {
    let dir = encrypted_store();
    // The setting "other" gets the sealed bytes of "network".
    let network = {
        let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(SETTINGS).unwrap();
        t.get("network").unwrap().unwrap().value().to_vec()
    };
    edit_value(dir.path(), SETTINGS, "other", |v| *v = network.clone());
    // And the couple snapshot gets the private chunk's, across tables.
    let chunk = {
        let db = Database::open(dir.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(CHUNKS).unwrap();
        t.get(("couple", 0)).unwrap().unwrap().value().to_vec()
    };
    edit_value(dir.path(), SNAPSHOTS, "private", |v| *v = chunk.clone());
    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("p")).unwrap();
    let err = store.get_setting("other").unwrap_err();
    assert!(
        matches!(&err, StoreError::Damaged { table: "settings", key, .. } if key == "other"),
        "{err:?}"
    );
    let err = store.load_doc(DocKey::Private).unwrap_err();
    assert!(
        matches!(&err, StoreError::Damaged { table: "snapshots", key, .. } if key == "private"),
        "{err:?}"
    );
    // The values left in place still read.
    assert_eq!(
        store.get_setting("network").unwrap().unwrap(),
        b"settings t"
    );
}

#[test]
fn with_a_passphrase_no_marker_and_no_secret_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let secret: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    let markers = [
        "JOURNAL-MARKER-7f3a",
        "AGREEMENT-MARKER-19c2",
        "CHECKIN-MARKER-a8d1",
        "PEER-MARKER-33e0",
        "SYNCSTATE-MARKER-0b6f",
    ];
    let store = Store::open(dir.path()).unwrap();
    // Written before the passphrase is set (then rewritten by it, and the file rebuilt) ...
    store
        .append_chunk(DocKey::Private, markers[0].as_bytes())
        .unwrap();
    store.put_setting("device_secret_key", &secret).unwrap();
    store
        .set_passphrase(&pass("pw"), WEAK, &mut no_progress())
        .unwrap();
    // ... and after, into every table.
    store
        .compact(DocKey::Couple, markers[1].as_bytes())
        .unwrap();
    store
        .append_chunk(DocKey::Couple, markers[2].as_bytes())
        .unwrap();
    store.put_peer(&PEER, markers[3].as_bytes()).unwrap();
    store
        .put_sync_state(&PEER, DocKey::Couple, markers[4].as_bytes())
        .unwrap();
    store.close().unwrap();
    for marker in markers {
        assert_eq!(occurrences(dir.path(), marker.as_bytes()), 0, "{marker}");
    }
    assert_eq!(occurrences(dir.path(), &secret), 0, "device secret key");
    // A control: the same search finds them in a plain store.
    let plain = tempfile::tempdir().unwrap();
    let store = Store::open(plain.path()).unwrap();
    store.put_setting("device_secret_key", &secret).unwrap();
    store
        .append_chunk(DocKey::Private, markers[0].as_bytes())
        .unwrap();
    store.close().unwrap();
    assert!(occurrences(plain.path(), &secret) > 0);
    assert!(occurrences(plain.path(), markers[0].as_bytes()) > 0);
    // And the encrypted store still has them all.
    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("pw")).unwrap();
    assert_eq!(
        store.get_setting("device_secret_key").unwrap().unwrap(),
        secret
    );
    assert_eq!(
        store.load_doc(DocKey::Couple).unwrap().unwrap(),
        [markers[1], markers[2]].concat().as_bytes()
    );
}

/// Every released plain store fixture opens as before, without a passphrase, and can take one;
/// an encrypted fixture (its passphrase beside it) opens with that passphrase only.
#[test]
fn released_fixtures_open_unchanged_and_take_a_passphrase() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut seen = 0;
    for entry in fs::read_dir(&fixtures).unwrap() {
        let src = entry.unwrap().path();
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("store-v") {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        fs::copy(src.join(FILE_NAME), dir.path().join(FILE_NAME)).unwrap();
        let store = Store::open(dir.path()).unwrap();
        if let Ok(text) = fs::read_to_string(src.join("passphrase.txt")) {
            assert!(store.is_encrypted() && store.is_locked(), "{name}");
            assert!(store.unlock(&pass("not it")).is_err(), "{name}");
            store.unlock(&pass(text.trim_end_matches('\n'))).unwrap();
            assert!(store.load_doc(DocKey::Couple).unwrap().is_some(), "{name}");
            continue;
        }
        seen += 1;
        assert!(!store.is_encrypted(), "{name}");
        let couple = store.load_doc(DocKey::Couple).unwrap().unwrap();
        let private = store.load_doc(DocKey::Private).unwrap().unwrap();
        let settings = store.get_setting("partner_id").unwrap();
        store
            .set_passphrase(&pass("fixture"), WEAK, &mut no_progress())
            .unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        store.unlock(&pass("fixture")).unwrap();
        assert_eq!(store.load_doc(DocKey::Couple).unwrap().unwrap(), couple);
        assert_eq!(store.load_doc(DocKey::Private).unwrap().unwrap(), private);
        assert_eq!(store.get_setting("partner_id").unwrap(), settings);
    }
    assert!(
        seen >= 3,
        "expected the store-v1..v3 fixtures, found {seen}"
    );
}

/// What was written before the passphrase is set must leave the file too: redb does not wipe
/// freed pages (before the fresh-file rewrite, this found 760 copies of the chunk marker and the
/// secret), so `set_passphrase` moves the sealed store into a fresh file.
#[test]
fn plaintext_from_before_the_passphrase_is_gone_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for n in 0..50 {
        let chunk = format!("PLAINMARK-{n:04}-").repeat(20);
        store
            .append_chunk(DocKey::Private, chunk.as_bytes())
            .unwrap();
    }
    let secret = *b"SECRETMARK-0123456789abcdef01234";
    store.put_setting("device_secret_key", &secret).unwrap();
    // The view cache holds every text in the clear until the passphrase is set.
    store
        .put_derived("view", "CACHEMARK-".repeat(30).as_bytes())
        .unwrap();
    store
        .set_passphrase(&pass("p"), WEAK, &mut no_progress())
        .unwrap();
    store.close().unwrap();
    assert_eq!(occurrences(dir.path(), b"PLAINMARK-"), 0);
    assert_eq!(occurrences(dir.path(), b"CACHEMARK-"), 0);
    assert_eq!(occurrences(dir.path(), &secret), 0);
}

#[test]
fn the_view_cache_is_sealed_like_every_value_and_dropped_by_set_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.append_chunk(DocKey::Couple, b"doc").unwrap();
    store.put_derived("view", b"plain cache").unwrap();
    store
        .set_passphrase(&pass("p"), WEAK, &mut no_progress())
        .unwrap();
    assert_eq!(
        store.derived("view").unwrap(),
        None,
        "dropped when encrypting"
    );
    store.put_derived("view", b"SEALEDCACHE-sealed").unwrap();
    assert_eq!(
        store.derived("view").unwrap().as_deref(),
        Some(b"SEALEDCACHE-sealed".as_slice())
    );
    store.close().unwrap();
    assert_eq!(occurrences(dir.path(), b"SEALEDCACHE-"), 0);
    let store = Store::open(dir.path()).unwrap();
    assert!(matches!(
        store.derived("view"),
        Err(StoreError::Locked { .. })
    ));
    store.unlock(&pass("p")).unwrap();
    assert!(store.derived("view").unwrap().is_some());
    store.remove_passphrase(&mut no_progress()).unwrap();
    assert_eq!(
        store.derived("view").unwrap(),
        None,
        "dropped when decrypting"
    );
}

const PEERS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("peers");
const SYNC_STATES: TableDefinition<(&[u8; 32], &str), &[u8]> = TableDefinition::new("sync_states");
const CRYPT: TableDefinition<&str, &[u8]> = TableDefinition::new("crypt");

/// The stored (sealed) bytes of every value of the five data tables, read from the closed file.
fn stored_values(dir: &Path) -> Vec<Vec<u8>> {
    let db = Database::open(dir.join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let mut out = Vec::new();
    macro_rules! all {
        ($def:expr) => {
            for entry in txn.open_table($def).unwrap().iter().unwrap() {
                out.push(entry.unwrap().1.value().to_vec());
            }
        };
    }
    all!(SNAPSHOTS);
    all!(CHUNKS);
    all!(SETTINGS);
    all!(PEERS);
    all!(SYNC_STATES);
    out
}

/// The three `crypt` rows of the closed file (kdf, salt, wrapped data key).
fn crypt_rows(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let db = Database::open(dir.join(FILE_NAME)).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(CRYPT).unwrap();
    let rows: Vec<_> = table
        .iter()
        .unwrap()
        .map(|e| {
            let (k, v) = e.unwrap();
            (k.value().to_string(), v.value().to_vec())
        })
        .collect();
    assert_eq!(rows.len(), 3);
    rows
}

/// What identifies a sealed value or a wrapped key wherever a copy of it sits in a file: its
/// 24 random nonce bytes and the ciphertext after them (the format byte is left out).
fn sealed_needle(sealed: &[u8]) -> &[u8] {
    assert!(
        sealed.len() > 41,
        "not a sealed value: {} bytes",
        sealed.len()
    );
    &sealed[1..sealed.len().min(49)]
}

/// Copies of any of `earlier` (sealed values or wrapped keys) anywhere under `dir`.
fn earlier_copies(dir: &Path, earlier: &[Vec<u8>]) -> usize {
    let files = all_bytes(dir);
    earlier
        .iter()
        .map(|v| {
            files
                .iter()
                .map(|(_, b)| count(b, sealed_needle(v)))
                .sum::<usize>()
        })
        .sum()
}

/// The attack of issue 19, part 3: someone kept a copy of the file from before a passphrase
/// change and knows the old passphrase. The old wrapped key (from the copy) and the old
/// passphrase must open nothing written after the change, and the file after the change must
/// hold neither the old wrapped key nor any value sealed before it.
#[test]
fn a_copy_from_before_the_change_and_the_old_passphrase_open_nothing_written_after() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, "before");
    store
        .set_passphrase(&pass("old"), WEAK, &mut no_progress())
        .unwrap();
    store.close().unwrap();
    // The attacker's copy: the crypt rows and every sealed value as they are now.
    let old_crypt = crypt_rows(dir.path());
    let old_values = stored_values(dir.path());

    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("old")).unwrap();
    store
        .change_passphrase(&pass("new"), WEAK, &mut no_progress())
        .unwrap();
    check(&store, "before");
    fill(&store, "after");
    store.close().unwrap();

    // The old wrapped key put back into today's file: the old passphrase unwraps it (it is
    // the old store's key), and that key must open none of today's values.
    let attacked = tempfile::tempdir().unwrap();
    fs::copy(dir.path().join(FILE_NAME), attacked.path().join(FILE_NAME)).unwrap();
    {
        let db = Database::open(attacked.path().join(FILE_NAME)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(CRYPT).unwrap();
            for (k, v) in &old_crypt {
                t.insert(k.as_str(), v.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let store = Store::open(attacked.path()).unwrap();
    store.unlock(&pass("old")).unwrap();
    for (what, result) in [
        ("couple", store.load_doc(DocKey::Couple).map(|_| ())),
        ("private", store.load_doc(DocKey::Private).map(|_| ())),
        ("settings", store.get_setting("network").map(|_| ())),
        ("peers", store.peers().map(|_| ())),
        (
            "sync state",
            store.sync_state(&PEER, DocKey::Couple).map(|_| ()),
        ),
    ] {
        assert!(
            matches!(result, Err(StoreError::Damaged { .. })),
            "the old passphrase opened the {what} written after the change: {result:?}"
        );
    }
    drop(store);

    // Nothing from before the change is left in the file: not the wrapped key, not one value.
    let old_key = old_crypt
        .iter()
        .find(|(k, _)| k == "data_key")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        earlier_copies(dir.path(), std::slice::from_ref(&old_key)),
        0,
        "the old wrapped data key is still in the file"
    );
    assert_eq!(
        earlier_copies(dir.path(), &old_values),
        0,
        "values sealed before the change are still in the file"
    );
    // The new passphrase reads everything.
    let store = Store::open(dir.path()).unwrap();
    assert!(store.unlock(&pass("old")).is_err());
    store.unlock(&pass("new")).unwrap();
    check(&store, "after");
}

/// After each of set, change and remove, the file holds nothing of what the step replaced:
/// no plaintext after set, no earlier ciphertext or wrapped key after change and remove.
#[test]
fn set_change_and_remove_leave_nothing_earlier_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    fill(&store, "PLAINMARK-41");
    for n in 0..40 {
        store
            .append_chunk(
                DocKey::Private,
                format!("PLAINMARK-41 entry {n} ").repeat(8).as_bytes(),
            )
            .unwrap();
    }
    let private = store.load_doc(DocKey::Private).unwrap().unwrap();
    store
        .set_passphrase(&pass("one"), WEAK, &mut no_progress())
        .unwrap();
    store.close().unwrap();
    assert_eq!(
        occurrences(dir.path(), b"PLAINMARK-41"),
        0,
        "plaintext after set"
    );
    let sealed_one = stored_values(dir.path());
    let crypt_one = crypt_rows(dir.path());
    let mut key_one = vec![
        crypt_one
            .iter()
            .find(|(k, _)| k == "data_key")
            .unwrap()
            .1
            .clone(),
    ];

    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("one")).unwrap();
    store
        .change_passphrase(&pass("two"), WEAK, &mut no_progress())
        .unwrap();
    store.close().unwrap();
    assert_eq!(
        occurrences(dir.path(), b"PLAINMARK-41"),
        0,
        "plaintext after change"
    );
    assert_eq!(
        earlier_copies(dir.path(), &key_one),
        0,
        "first wrapped key after change"
    );
    assert_eq!(
        earlier_copies(dir.path(), &sealed_one),
        0,
        "first ciphertexts after change"
    );
    let sealed_two = stored_values(dir.path());
    key_one.push(
        crypt_rows(dir.path())
            .into_iter()
            .find(|(k, _)| k == "data_key")
            .unwrap()
            .1,
    );

    let store = Store::open(dir.path()).unwrap();
    store.unlock(&pass("two")).unwrap();
    store.remove_passphrase(&mut no_progress()).unwrap();
    assert_eq!(store.load_doc(DocKey::Private).unwrap().unwrap(), private);
    store.close().unwrap();
    assert_eq!(
        earlier_copies(dir.path(), &key_one),
        0,
        "wrapped keys after remove"
    );
    assert_eq!(
        earlier_copies(dir.path(), &sealed_one),
        0,
        "first ciphertexts after remove"
    );
    assert_eq!(
        earlier_copies(dir.path(), &sealed_two),
        0,
        "second ciphertexts after remove"
    );
    // Plain again: the search that found nothing above finds the plaintext now.
    assert!(occurrences(dir.path(), b"PLAINMARK-41") > 0);
}

/// Modification time and every byte of the store file.
fn file_state(dir: &Path) -> (std::time::SystemTime, Vec<u8>) {
    let path = dir.join(FILE_NAME);
    (
        fs::metadata(&path).unwrap().modified().unwrap(),
        fs::read(&path).unwrap(),
    )
}

/// Issue 19, part 5: guessing at a passphrase must leave no trace in the file, neither through
/// `unlock` on a locked store nor through `check_passphrase` on an unlocked one.
#[test]
fn a_wrong_passphrase_writes_nothing_to_the_file() {
    let dir = encrypted_store();
    let store = Store::open(dir.path()).unwrap();
    let before = file_state(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    for wrong in ["", "P", "p ", "wrong"] {
        let err = store.unlock(&pass(wrong)).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err:?}");
        let err = store.check_passphrase(&pass(wrong)).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err:?}");
    }
    assert!(
        file_state(dir.path()) == before,
        "a wrong passphrase changed the file"
    );
    store.unlock(&pass("p")).unwrap();
    let before = file_state(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    for wrong in ["", "P", "wrong"] {
        let err = store.check_passphrase(&pass(wrong)).unwrap_err();
        assert!(matches!(err, StoreError::WrongPassphrase { .. }), "{err:?}");
    }
    assert!(
        file_state(dir.path()) == before,
        "a wrong passphrase changed the file"
    );
}
