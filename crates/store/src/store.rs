//! The `Store`: opening `kintsugi.redb` safely, and every read and write the app makes.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{PoisonError, RwLock};

use redb::{
    Database, DatabaseError, Durability, ReadTransaction, ReadableDatabase as _,
    ReadableTable as _, ReadableTableMetadata as _, TableError, WriteTransaction,
};
use secrecy::SecretString;

use crate::StoreError;
use crate::crypt::{self, KdfParams, Key};
use crate::layout::{
    self, CHUNKS, CRYPT, CRYPT_DATA_KEY, CRYPT_KDF, CRYPT_SALT, DERIVED, DocKey, ENCRYPTED_LAYOUT,
    META, META_LAYOUT_VERSION, PEERS, PLAIN_LAYOUT, SETTINGS, SNAPSHOTS, SYNC_STATES,
};

/// File name of the database inside the data directory.
pub const FILE_NAME: &str = "kintsugi.redb";

/// Chunks may grow to this many bytes before compaction even when the snapshot is smaller.
const COMPACT_MIN_BYTES: u64 = 64 * 1024;
/// More chunks than this make the joined load slow enough to compact regardless of size.
const COMPACT_MAX_CHUNKS: u64 = 256;

/// A document's joined bytes, and the `seq` of the last chunk among them (None: only a
/// snapshot).
pub type Through = (Vec<u8>, Option<u64>);

/// Sizes of one document's stored parts.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct DocStats {
    /// Length of the snapshot (0 when there is none).
    pub snapshot_bytes: u64,
    /// Number of incremental chunks stored after the snapshot.
    pub chunk_count: u64,
    /// Total length of those chunks.
    pub chunk_bytes: u64,
}

/// Whether values are encrypted, and whether the data key is in memory.
enum KeyState {
    /// No passphrase: values are stored as they are (layout 1).
    Plain,
    /// A passphrase is set and the data key is not in memory: every read and write is refused.
    Locked,
    /// A passphrase is set and the data key is in memory (wiped when dropped).
    Unlocked(Key),
}

/// The open Kintsugi database. Holds redb's exclusive lock on the file until dropped.
///
/// Every method runs in its own transaction; every write commits with `Durability::Immediate`
/// and returns only once the data is on disk. `Store` is `Send + Sync`: share it with an `Arc`.
///
/// After a write fails at the I/O level (disk full, I/O error), redb refuses every further write
/// until the file is reopened. The store reopens it itself at the next call, so the caller just
/// retries once space is free; until that reopen succeeds, calls return its error.
///
/// With a passphrase set (LAYOUT.md, "Encryption") the store opens locked: every read and write
/// returns [`StoreError::Locked`] until [`Store::unlock`].
pub struct Store {
    data_dir: PathBuf,
    path: PathBuf,
    /// None only after a failed write whose reopen has not succeeded yet.
    db: RwLock<Option<Database>>,
    /// Set by an I/O-level failure: the next call reopens the database first.
    reopen: AtomicBool,
    /// The last failure was a full disk (cleared by the next success).
    full: AtomicBool,
    /// Held (read) for the whole of every read and write, so a value is never sealed or opened
    /// under a state that changes meanwhile; taken before `db`.
    key: RwLock<KeyState>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// How the read-only look at an existing file went.
enum Probe {
    /// The file is ours and of our layout.
    Ours(Peek),
    /// The file was not closed cleanly (e.g. the app was killed) and redb must repair it before
    /// anything can be read.
    NeedsRepair,
}

/// What the read-only look found in a file of ours, before anything may write to it.
struct Peek {
    version: u32,
    /// The `crypt` rows, read only in an encrypted layout (None: no `crypt` table).
    crypt: Option<CryptRows>,
}

/// The `crypt` rows as stored; a missing row is None.
#[derive(Clone, PartialEq)]
struct CryptRows {
    kdf: Option<Vec<u8>>,
    salt: Option<Vec<u8>>,
    wrapped: Option<Vec<u8>>,
}

/// Reads the `crypt` table (None when there is none).
fn read_crypt(txn: &ReadTransaction) -> Result<Option<CryptRows>, Fail> {
    let table = match txn.open_table(CRYPT) {
        Ok(table) => table,
        Err(TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let get = |name: &str| -> Result<Option<Vec<u8>>, Fail> {
        Ok(table.get(name)?.map(|v| v.value().to_vec()))
    };
    Ok(Some(CryptRows {
        kdf: get(CRYPT_KDF)?,
        salt: get(CRYPT_SALT)?,
        wrapped: get(CRYPT_DATA_KEY)?,
    }))
}

/// Unwraps the data key in `rows` with `passphrase` (Argon2id with the parameters the rows
/// record). A wrong passphrase is `WrongPassphrase`; rows this version cannot use `Damaged`.
fn unwrap_rows(
    path: &Path,
    rows: Option<&CryptRows>,
    passphrase: &SecretString,
) -> Result<Key, StoreError> {
    let damaged = |key: &str| StoreError::Damaged {
        path: path.to_path_buf(),
        table: "crypt",
        key: key.to_string(),
    };
    let rows = rows.ok_or_else(|| damaged("(the table is missing)"))?;
    let kdf_text = rows.kdf.as_deref().ok_or_else(|| damaged(CRYPT_KDF))?;
    let params = KdfParams::decode(kdf_text).ok_or_else(|| damaged(CRYPT_KDF))?;
    let salt = rows
        .salt
        .as_deref()
        .filter(|s| s.len() == crypt::SALT_LEN)
        .ok_or_else(|| damaged(CRYPT_SALT))?;
    let wrapped = rows
        .wrapped
        .as_deref()
        .ok_or_else(|| damaged(CRYPT_DATA_KEY))?;
    let kek = crypt::derive(passphrase, salt, params).ok_or_else(|| damaged(CRYPT_KDF))?;
    // `decode` accepted the text, so it is UTF-8 and equal to what `encode` made.
    let kdf_text = String::from_utf8_lossy(kdf_text);
    crypt::unwrap(&kek, wrapped, &kdf_text, salt).ok_or_else(|| StoreError::WrongPassphrase {
        path: path.to_path_buf(),
    })
}

/// An error inside a transaction: the engine's, or one of ours (a value that does not decrypt).
enum Fail {
    Redb(redb::Error),
    Store(StoreError),
}

impl From<StoreError> for Fail {
    fn from(err: StoreError) -> Self {
        Fail::Store(err)
    }
}

macro_rules! fail_from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Fail {
            fn from(err: $t) -> Self {
                Fail::Redb(err.into())
            }
        }
    )*};
}
fail_from_redb!(
    redb::Error,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::TransactionError,
    redb::SetDurabilityError,
    redb::DatabaseError
);

/// Seals and opens values for one call: a borrowed data key, or none for a plain store.
struct Sealer<'a> {
    key: Option<&'a Key>,
    path: &'a Path,
}

impl Sealer<'_> {
    /// The bytes to store for `value` at (`table`, `key`).
    fn seal<'v>(&self, table: &str, key: &[u8], value: &'v [u8]) -> Result<Cow<'v, [u8]>, Fail> {
        match self.key {
            None => Ok(Cow::Borrowed(value)),
            Some(data_key) => crypt::seal_raw(data_key, &crypt::value_aad(table, key), value)
                .map(Cow::Owned)
                .ok_or_else(|| {
                    Fail::Redb(redb::Error::Corrupted(format!(
                        "a value for {table} of {} bytes is too large to encrypt",
                        value.len()
                    )))
                }),
        }
    }

    /// The value stored at (`table`, `key`); a sealed value that does not open is `Damaged`.
    fn open(
        &self,
        table: &'static str,
        key: &[u8],
        describe: impl FnOnce() -> String,
        stored: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        match self.key {
            None => Ok(stored.to_vec()),
            Some(data_key) => crypt::open_raw(data_key, &crypt::value_aad(table, key), stored)
                .ok_or_else(|| StoreError::Damaged {
                    path: self.path.to_path_buf(),
                    table,
                    key: describe(),
                }),
        }
    }
}

/// The bytes a value's AAD binds it to, per table (LAYOUT.md, "Encryption").
fn chunk_key(doc: &str, seq: u64) -> Vec<u8> {
    let mut out = doc.as_bytes().to_vec();
    out.push(0);
    out.extend_from_slice(&seq.to_le_bytes());
    out
}

fn sync_key(peer: &[u8; 32], doc: &str) -> Vec<u8> {
    let mut out = peer.to_vec();
    out.extend_from_slice(doc.as_bytes());
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Progress of turning encryption on or off: values rewritten so far, out of `total`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

impl Store {
    /// Opens (creating if absent) `<data_dir>/kintsugi.redb`. Creates the directory.
    ///
    /// An existing file is first inspected read-only; a file that is not ours (not redb, empty,
    /// no or another format marker) or has a newer layout is refused without a single byte
    /// written to it. Every page's checksum is verified before use. See LAYOUT.md.
    ///
    /// A store with a passphrase opens locked ([`Store::is_locked`]).
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(data_dir, None)
    }

    /// [`Store::open`], unlocked with `passphrase` when the store has one (a passphrase for a
    /// store without one is ignored; None opens it locked). The passphrase is tried on the
    /// `crypt` rows read during the read-only look, BEFORE the file is opened for writing: a
    /// wrong one is [`StoreError::WrongPassphrase`] and not a byte of the file changes, not
    /// even the header redb writes whenever it opens a file for writing.
    pub fn open_with(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<Store, StoreError> {
        let path = data_dir.join(FILE_NAME);
        let mut unwrapped: Option<(Key, Option<CryptRows>)> = None;
        let (db, version) = open_database(data_dir, &path, &mut |peek| {
            if let (Some(p), ENCRYPTED_LAYOUT) = (passphrase, peek.version) {
                let key = unwrap_rows(&path, peek.crypt.as_ref(), p)?;
                unwrapped = Some((key, peek.crypt.clone()));
            }
            Ok(())
        })?;
        let state = if version == ENCRYPTED_LAYOUT {
            KeyState::Locked
        } else {
            KeyState::Plain
        };
        let store = Store {
            data_dir: data_dir.to_path_buf(),
            path,
            db: RwLock::new(Some(db)),
            reopen: AtomicBool::new(false),
            full: AtomicBool::new(false),
            key: RwLock::new(state),
        };
        if let (Some(p), true) = (passphrase, store.is_locked()) {
            let now = store.with_db(|db| read_crypt(&db.begin_read()?))?;
            match unwrapped {
                // The key holds only for the rows it came from: the file could have been
                // swapped between the look and the open.
                Some((key, probed)) if probed == now => {
                    *store.key_state_mut() = KeyState::Unlocked(key);
                }
                _ => store.unlock(p)?,
            }
        }
        Ok(store)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the database, reporting any error that dropping it would ignore.
    pub fn close(self) -> Result<(), StoreError> {
        match self.db.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Some(db) => db.close().map_err(|e| StoreError::redb(&self.path, e)),
            None => Ok(()),
        }
    }

    /// True when a passphrase is set (whether or not the store is unlocked now).
    pub fn is_encrypted(&self) -> bool {
        !matches!(*self.key_state(), KeyState::Plain)
    }

    /// True when a passphrase is set and the store is not unlocked: every read and write is
    /// refused with [`StoreError::Locked`].
    pub fn is_locked(&self) -> bool {
        matches!(*self.key_state(), KeyState::Locked)
    }

    /// Unlocks a store with a passphrase: derives the key (Argon2id with the parameters the file
    /// records; about as long as LAYOUT.md says) and unwraps the data key. A wrong passphrase is
    /// [`StoreError::WrongPassphrase`] and changes nothing; there is no lock-out. Unlocking a
    /// store without a passphrase, or one already unlocked, does nothing.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<(), StoreError> {
        if !self.is_locked() {
            return Ok(());
        }
        let data_key = self.unwrap_data_key(passphrase)?;
        let mut state = self.key_state_mut();
        if matches!(*state, KeyState::Locked) {
            *state = KeyState::Unlocked(data_key);
        }
        Ok(())
    }

    /// Whether `passphrase` is the store's: what changing or removing it asks first, so someone
    /// at an unlocked window cannot take the data from its owner. Changes nothing; a wrong one
    /// is [`StoreError::WrongPassphrase`].
    pub fn check_passphrase(&self, passphrase: &SecretString) -> Result<(), StoreError> {
        self.unwrap_data_key(passphrase).map(|_| ())
    }

    /// Wipes the data key from memory; the store stays open, refusing reads and writes until
    /// [`Store::unlock`]. Does nothing without a passphrase.
    pub fn lock(&self) {
        let mut state = self.key_state_mut();
        if matches!(*state, KeyState::Unlocked(_)) {
            // Dropping the old state zeroizes the key.
            *state = KeyState::Locked;
        }
    }

    /// Sets a passphrase on a store that has none: every value is sealed under a new random
    /// data key, wrapped under `passphrase` in `crypt`, in a fresh file that replaces the old
    /// one ([`Store::rebuild`]): a crash or a full disk leaves the plain store as it was, and the
    /// step can simply be done again. `progress` is called after each value. The store is
    /// unlocked afterwards.
    pub fn set_passphrase(
        &self,
        passphrase: &SecretString,
        params: KdfParams,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), StoreError> {
        let mut state = self.key_state_mut();
        if !matches!(*state, KeyState::Plain) {
            return Err(StoreError::PassphraseAlreadySet {
                path: self.path.clone(),
            });
        }
        let data_key = crypt::random_key();
        let crypt_rows = self.wrap_rows(passphrase, params, &data_key)?;
        self.rebuild(None, Some(&data_key), &crypt_rows, progress)?;
        *state = KeyState::Unlocked(data_key);
        Ok(())
    }

    /// Changes the passphrase of an unlocked store: a NEW data key, wrapped under `passphrase`
    /// (new salt, `params`), and every value opened and sealed again under it, in a fresh file
    /// that replaces the old one ([`Store::rebuild`]). Nothing sealed before, and no earlier
    /// wrapped key, is left in the file, so a copy of the file from before the change and the
    /// old passphrase open nothing written after it. `progress` is called after each value.
    pub fn change_passphrase(
        &self,
        passphrase: &SecretString,
        params: KdfParams,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), StoreError> {
        let mut state = self.key_state_mut();
        let old_key = match &*state {
            KeyState::Unlocked(key) => key,
            KeyState::Locked => return Err(self.locked()),
            KeyState::Plain => {
                return Err(StoreError::NoPassphrase {
                    path: self.path.clone(),
                });
            }
        };
        let data_key = crypt::random_key();
        let crypt_rows = self.wrap_rows(passphrase, params, &data_key)?;
        self.rebuild(Some(old_key), Some(&data_key), &crypt_rows, progress)?;
        // The old key is wiped as the old state drops.
        *state = KeyState::Unlocked(data_key);
        Ok(())
    }

    /// Removes the passphrase of an unlocked store: every value opened and written plain, with
    /// neither `crypt` nor any sealed value, in a fresh file that replaces the old one
    /// ([`Store::rebuild`]). A value that does not decrypt aborts the whole change
    /// ([`StoreError::Damaged`]) and nothing is written.
    pub fn remove_passphrase(&self, progress: &mut dyn FnMut(Progress)) -> Result<(), StoreError> {
        let mut state = self.key_state_mut();
        let old_key = match &*state {
            KeyState::Unlocked(key) => key,
            KeyState::Locked => return Err(self.locked()),
            KeyState::Plain => {
                return Err(StoreError::NoPassphrase {
                    path: self.path.clone(),
                });
            }
        };
        self.rebuild(Some(old_key), None, &[], progress)?;
        *state = KeyState::Plain;
        Ok(())
    }

    /// The one step behind set, change and remove: every value of the five tables opened with
    /// `from` (None: plain) and sealed with `to` into a NEW file built under a temporary name
    /// (one transaction, fsynced), with `crypt_rows` and the matching layout version; derived
    /// data is left out. The old database is never written: only once the new file is complete
    /// is it closed and the new file renamed over `kintsugi.redb` (then the directory is
    /// fsynced). A kill before the rename leaves the old file and a temporary one the next open
    /// removes; after it, the new file; an error before it (a full disk, a value that does not
    /// decrypt) leaves the old file open and unchanged. Pages freed by earlier transactions
    /// never reach the new file, so nothing the step replaced survives in `kintsugi.redb`.
    ///
    /// The caller holds the key state's write lock, so no read or write runs meanwhile.
    fn rebuild(
        &self,
        from: Option<&Key>,
        to: Option<&Key>,
        crypt_rows: &[(&'static str, Vec<u8>)],
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), StoreError> {
        if self.reopen.load(Ordering::Acquire) {
            self.reopen_database()?;
        }
        let mut guard = self.db.write().unwrap_or_else(PoisonError::into_inner);
        let Some(db) = guard.as_ref() else {
            return Err(StoreError::StoppedAfterFailure {
                path: self.path.clone(),
            });
        };
        let temp = self.fresh_temp()?;
        let from = Sealer {
            key: from,
            path: &self.path,
        };
        let to = Sealer {
            key: to,
            path: &self.path,
        };
        let layout = if to.key.is_some() {
            ENCRYPTED_LAYOUT
        } else {
            PLAIN_LAYOUT
        };
        // On error `temp` is deleted as it drops; the old database was only read.
        copy_resealed(db, &temp, &from, &to, crypt_rows, layout, progress).map_err(
            |e| match e {
                Fail::Redb(e) => StoreError::redb(&self.path, e),
                Fail::Store(e) => e,
            },
        )?;
        self.swap_in(&mut guard, temp)
    }

    /// A temporary file beside `kintsugi.redb` for a new store to be built in: named so the
    /// next open removes it if the process dies first, deleted on drop unless it is persisted.
    fn fresh_temp(&self) -> Result<tempfile::TempPath, StoreError> {
        Ok(tempfile::Builder::new()
            .prefix(TEMP_PREFIXES[0])
            .suffix(".redb")
            .tempfile_in(&self.data_dir)
            .map_err(|e| StoreError::io(&self.data_dir, e))?
            .into_temp_path())
    }

    /// Puts a complete new file (built under `temp` while `guard` is held) in place of
    /// `kintsugi.redb`: the old database is closed, the new file renamed over it and the
    /// directory fsynced, then whatever is there now is opened. A kill before the rename leaves
    /// the old file (and a temporary one the next open removes); after it, the new file.
    fn swap_in(
        &self,
        guard: &mut std::sync::RwLockWriteGuard<'_, Option<Database>>,
        temp: tempfile::TempPath,
    ) -> Result<(), StoreError> {
        if let Some(old) = guard.take()
            && let Err(err) = old.close()
        {
            // The old file stays in place, unchanged; the next call reopens it.
            self.reopen.store(true, Ordering::Release);
            return Err(StoreError::redb(&self.path, err));
        }
        let renamed = temp.persist(&self.path).map_err(|e| e.error);
        if renamed.is_ok()
            && let Err(err) = sync_dir(&self.data_dir)
        {
            // The rename is done; only its durability across a power cut is in doubt, and then
            // the old file comes back whole.
            tracing::warn!(error = %err, "could not fsync the data directory after the rewrite");
        }
        // Open what is there now: the new file, or the old one if the rename failed.
        match open_database(&self.data_dir, &self.path, &mut |_| Ok(())) {
            Ok((db, _)) => **guard = Some(db),
            Err(err) => {
                self.reopen.store(true, Ordering::Release);
                if renamed.is_ok() {
                    // The step is done on disk; the next call opens the file again.
                    tracing::warn!(error = %err, "reopening the store after the rewrite failed");
                } else {
                    return Err(err);
                }
            }
        }
        renamed.map_err(|e| StoreError::io(&self.path, e))
    }

    /// Replaces one document whole with `snapshot` and leaves no byte of what it held before
    /// anywhere in the file: every table is copied into a new file built under a temporary name
    /// (one transaction, fsynced), with `snapshot` as the document's only value, none of its
    /// chunks, none of its sync states (they name heads the new document lacks), and no derived
    /// data; the new file is then renamed over `kintsugi.redb`. For erasing deleted text from a
    /// document's history. A kill before the rename leaves the old file (and a temporary one the
    /// next open removes), after it the new one: never neither.
    pub fn replace_document_erasing(&self, key: DocKey, snapshot: &[u8]) -> Result<(), StoreError> {
        let state = self.key_state();
        let sealer = self.sealer(&state)?;
        let mut guard = self.db.write().unwrap_or_else(PoisonError::into_inner);
        let Some(db) = guard.as_ref() else {
            return Err(StoreError::StoppedAfterFailure {
                path: self.path.clone(),
            });
        };
        let temp = self.fresh_temp()?;
        let copy = (|| -> Result<(), Fail> {
            let fresh = Database::builder()
                .create(&temp)
                .map_err(redb::Error::from)?;
            let read = db.begin_read()?;
            let mut write = fresh.begin_write()?;
            write.set_durability(Durability::Immediate)?;
            macro_rules! copy_table {
                ($def:expr, $keep:expr) => {{
                    let mut dst = write.open_table($def)?;
                    match read.open_table($def) {
                        Ok(src) => {
                            for entry in src.iter()? {
                                let (k, v) = entry?;
                                if $keep(&k.value()) {
                                    dst.insert(k.value(), v.value())?;
                                }
                            }
                        }
                        Err(TableError::TableDoesNotExist(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }};
            }
            copy_table!(META, |_: &&str| true);
            copy_table!(CRYPT, |_: &&str| true);
            copy_table!(SNAPSHOTS, |k: &&str| *k != key.name());
            copy_table!(CHUNKS, |k: &(&str, u64)| k.0 != key.name());
            copy_table!(SETTINGS, |_: &&str| true);
            copy_table!(PEERS, |_: &&[u8; 32]| true);
            copy_table!(SYNC_STATES, |k: &(&[u8; 32], &str)| k.1 != key.name());
            let value = sealer.seal("snapshots", key.name().as_bytes(), snapshot)?;
            write
                .open_table(SNAPSHOTS)?
                .insert(key.name(), value.as_ref())?;
            write.commit()?;
            drop(read);
            fresh.close().map_err(redb::Error::from)?;
            Ok(())
        })();
        copy.map_err(|e| match e {
            Fail::Redb(e) => StoreError::redb(&self.path, e),
            Fail::Store(e) => e,
        })?;
        self.swap_in(&mut guard, temp)
    }

    /// Snapshot bytes followed by every change chunk, joined into ONE Vec (so the caller does a
    /// single automerge load; loading chunks one by one is 15x slower). None if the doc was never
    /// written.
    pub fn load_doc(&self, key: DocKey) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.load_doc_through(key)?.map(|(bytes, _)| bytes))
    }

    /// [`Store::load_doc`], plus the sequence number of the last chunk included (None when
    /// there is only a snapshot): what [`Store::compact_through`] may remove once a snapshot
    /// of exactly these bytes is written.
    pub fn load_doc_through(&self, key: DocKey) -> Result<Option<Through>, StoreError> {
        self.read(|txn, sealer| {
            let snapshots = txn.open_table(SNAPSHOTS)?;
            let chunks = txn.open_table(CHUNKS)?;
            let snapshot = snapshots.get(key.name())?;
            let mut found = snapshot.is_some();
            let mut out = match snapshot {
                Some(s) => sealer.open(
                    "snapshots",
                    key.name().as_bytes(),
                    || key.name().to_string(),
                    s.value(),
                )?,
                None => Vec::new(),
            };
            let mut last = None;
            for entry in chunks.range(chunk_range(key))? {
                let (k, chunk) = entry?;
                let seq = k.value().1;
                let value = sealer.open(
                    "chunks",
                    &chunk_key(key.name(), seq),
                    || format!("{} #{seq}", key.name()),
                    chunk.value(),
                )?;
                out.extend_from_slice(&value);
                found = true;
                last = Some(seq);
            }
            Ok(found.then_some((out, last)))
        })
    }

    /// Appends one incremental chunk (output of automerge `save_incremental`) with
    /// `Durability::Immediate`. Returns only after the data is durable: the UI shows "saved" on
    /// that basis, and it must survive kill -9.
    ///
    /// An empty chunk (`save_incremental` with no new changes) holds nothing and is not stored.
    /// Calls for one document must not interleave with [`Store::compact`] for it: see there.
    pub fn append_chunk(&self, key: DocKey, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.write(|txn, sealer| {
            let mut chunks = txn.open_table(CHUNKS)?;
            let next = match chunks.range(chunk_range(key))?.next_back() {
                Some(entry) => {
                    let (last, _) = entry?;
                    last.value().1.checked_add(1).ok_or_else(|| {
                        redb::Error::Corrupted("chunk sequence number exhausted".into())
                    })?
                }
                None => 0,
            };
            let value = sealer.seal("chunks", &chunk_key(key.name(), next), bytes)?;
            chunks.insert((key.name(), next), value.as_ref())?;
            Ok(())
        })
    }

    /// Atomically (one write transaction) replaces the snapshot with `snapshot` and removes all
    /// chunks.
    ///
    /// `snapshot` must contain every change of every chunk stored so far (an automerge `save()`
    /// of the document all those chunks came from), so the caller must not append to this
    /// document between taking the snapshot and this call: the chunks are removed blindly.
    pub fn compact(&self, key: DocKey, snapshot: &[u8]) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let value = sealer.seal("snapshots", key.name().as_bytes(), snapshot)?;
            let mut snapshots = txn.open_table(SNAPSHOTS)?;
            let mut chunks = txn.open_table(CHUNKS)?;
            snapshots.insert(key.name(), value.as_ref())?;
            chunks.retain_in(chunk_range(key), |_, _| false)?;
            Ok(())
        })
    }

    /// Compaction that may run beside appends (on another thread): in one write transaction,
    /// replaces the snapshot with `snapshot` and removes the chunks up to and including
    /// `through`, keeping any appended since. `snapshot` must contain everything
    /// [`Store::load_doc_through`] returned with that `through`; a whole-document
    /// [`Store::compact`] must not run for this document meanwhile (it restarts the sequence).
    pub fn compact_through(
        &self,
        key: DocKey,
        snapshot: &[u8],
        through: Option<u64>,
    ) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let value = sealer.seal("snapshots", key.name().as_bytes(), snapshot)?;
            let mut snapshots = txn.open_table(SNAPSHOTS)?;
            let mut chunks = txn.open_table(CHUNKS)?;
            snapshots.insert(key.name(), value.as_ref())?;
            if let Some(last) = through {
                chunks.retain_in((key.name(), 0)..=(key.name(), last), |_, _| false)?;
            }
            Ok(())
        })
    }

    /// Stores derived data (the view cache) under `name`, bound to the documents as stored now
    /// (a fingerprint of their stored bytes, computed in the same transaction): once either
    /// document changes, [`Store::derived`] no longer returns it. The caller must pass data
    /// derived from exactly what is stored.
    pub fn put_derived(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let mut bytes =
                docs_fingerprint(&txn.open_table(SNAPSHOTS)?, &txn.open_table(CHUNKS)?)?.to_vec();
            bytes.extend_from_slice(value);
            let sealed = sealer.seal("derived", name.as_bytes(), &bytes)?;
            txn.open_table(DERIVED)?.insert(name, sealed.as_ref())?;
            Ok(())
        })
    }

    /// The derived data stored under `name`, if it was built from the documents exactly as
    /// stored now. Missing, stale, or damaged (it does not decrypt, too short) are all None:
    /// the caller rebuilds it from the documents, so nothing is lost.
    pub fn derived(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|txn, sealer| {
            let table = match txn.open_table(DERIVED) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            let Some(stored) = table.get(name)? else {
                return Ok(None);
            };
            let Ok(plain) = sealer.open(
                "derived",
                name.as_bytes(),
                || name.to_string(),
                stored.value(),
            ) else {
                return Ok(None);
            };
            if plain.len() < FINGERPRINT_LEN {
                return Ok(None);
            }
            let now = docs_fingerprint(&txn.open_table(SNAPSHOTS)?, &txn.open_table(CHUNKS)?)?;
            Ok((plain[..FINGERPRINT_LEN] == now).then(|| plain[FINGERPRINT_LEN..].to_vec()))
        })
    }

    /// Gives the file's free space back to the file system (redb's own compaction: it moves
    /// pages down and truncates), when the file is more than twice what the stored values
    /// need. Returns whether it ran. Blocks every other call while it runs (tens of
    /// milliseconds per ten megabytes), so the service calls it beside a document compaction,
    /// which is rare.
    pub fn shrink(&self) -> Result<bool, StoreError> {
        let live: u64 = DocKey::ALL
            .iter()
            .map(|k| self.doc_stats(*k).map(|s| s.snapshot_bytes + s.chunk_bytes))
            .sum::<Result<u64, _>>()?;
        let file = fs::metadata(&self.path)
            .map_err(|e| StoreError::io(&self.path, e))?
            .len();
        if file <= (2 * live).max(4 << 20) {
            return Ok(false);
        }
        let mut guard = self.db.write().unwrap_or_else(PoisonError::into_inner);
        let Some(db) = guard.as_mut() else {
            return Err(StoreError::StoppedAfterFailure {
                path: self.path.clone(),
            });
        };
        db.compact().map_err(|e| StoreError::redb(&self.path, e))
    }

    /// Sizes of the snapshot and chunks of one document (as stored: with a passphrase, each
    /// value is 41 bytes longer than its plaintext).
    pub fn doc_stats(&self, key: DocKey) -> Result<DocStats, StoreError> {
        self.read(|txn, _| {
            let snapshots = txn.open_table(SNAPSHOTS)?;
            let chunks = txn.open_table(CHUNKS)?;
            let mut stats = DocStats {
                snapshot_bytes: snapshots
                    .get(key.name())?
                    .map_or(0, |s| s.value().len() as u64),
                ..DocStats::default()
            };
            for entry in chunks.range(chunk_range(key))? {
                let (_, chunk) = entry?;
                stats.chunk_count += 1;
                stats.chunk_bytes += chunk.value().len() as u64;
            }
            Ok(stats)
        })
    }

    /// True when chunks outgrow the snapshot (chunk_bytes > max(snapshot_bytes, 64 KiB) or
    /// chunk_count > 256) — the caller then compacts.
    pub fn needs_compaction(&self, key: DocKey) -> Result<bool, StoreError> {
        let stats = self.doc_stats(key)?;
        Ok(
            stats.chunk_bytes > stats.snapshot_bytes.max(COMPACT_MIN_BYTES)
                || stats.chunk_count > COMPACT_MAX_CHUNKS,
        )
    }

    /// Small per-device key/value settings (actor id, device secret key, relay url, partner's
    /// display name...).
    pub fn get_setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|txn, sealer| {
            let settings = txn.open_table(SETTINGS)?;
            match settings.get(name)? {
                Some(v) => Ok(Some(sealer.open(
                    "settings",
                    name.as_bytes(),
                    || name.to_string(),
                    v.value(),
                )?)),
                None => Ok(None),
            }
        })
    }

    /// Stores a setting durably, replacing any previous value.
    pub fn put_setting(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let value = sealer.seal("settings", name.as_bytes(), value)?;
            txn.open_table(SETTINGS)?.insert(name, value.as_ref())?;
            Ok(())
        })
    }

    /// Removes a setting; removing an absent one is not an error.
    pub fn delete_setting(&self, name: &str) -> Result<(), StoreError> {
        self.write(|txn, _| {
            txn.open_table(SETTINGS)?.remove(name)?;
            Ok(())
        })
    }

    /// Paired devices (for the sync issue): key = 32-byte endpoint id, value = serialized record
    /// bytes owned by the caller. Replaces any previous record of that peer.
    pub fn put_peer(&self, id: &[u8; 32], record: &[u8]) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let value = sealer.seal("peers", id, record)?;
            txn.open_table(PEERS)?.insert(id, value.as_ref())?;
            Ok(())
        })
    }

    /// Forgets a peer and, in the same transaction, its sync states (they would only make a later
    /// re-pairing skip changes the peer no longer has). Returns whether the peer was known.
    pub fn remove_peer(&self, id: &[u8; 32]) -> Result<bool, StoreError> {
        self.write(|txn, _| {
            let existed = txn.open_table(PEERS)?.remove(id)?.is_some();
            txn.open_table(SYNC_STATES)?
                .retain(|(peer, _doc), _| peer != id)?;
            Ok(existed)
        })
    }

    /// Every paired device, ordered by endpoint id.
    #[expect(
        clippy::type_complexity,
        reason = "the pair is the agreed API; an alias would hide that the id is plain bytes"
    )]
    pub fn peers(&self) -> Result<Vec<([u8; 32], Vec<u8>)>, StoreError> {
        self.read(|txn, sealer| {
            let peers = txn.open_table(PEERS)?;
            let mut out = Vec::new();
            for entry in peers.iter()? {
                let (id, record) = entry?;
                let id = *id.value();
                let record = sealer.open("peers", &id, || hex(&id), record.value())?;
                out.push((id, record));
            }
            Ok(out)
        })
    }

    /// Persisted automerge sync state per (peer, doc), to save round trips on reconnect.
    pub fn put_sync_state(
        &self,
        peer: &[u8; 32],
        key: DocKey,
        state: &[u8],
    ) -> Result<(), StoreError> {
        self.write(|txn, sealer| {
            let value = sealer.seal("sync_states", &sync_key(peer, key.name()), state)?;
            txn.open_table(SYNC_STATES)?
                .insert((peer, key.name()), value.as_ref())?;
            Ok(())
        })
    }

    /// Every sync state stored for `key`, with its peer.
    #[expect(
        clippy::type_complexity,
        reason = "the pair is the agreed API, as for peers"
    )]
    pub fn sync_states_of(&self, key: DocKey) -> Result<Vec<([u8; 32], Vec<u8>)>, StoreError> {
        self.read(|txn, sealer| {
            let states = txn.open_table(SYNC_STATES)?;
            let mut out = Vec::new();
            for entry in states.iter()? {
                let (k, v) = entry?;
                let (peer, doc) = k.value();
                if doc != key.name() {
                    continue;
                }
                let peer = *peer;
                let value = sealer.open(
                    "sync_states",
                    &sync_key(&peer, doc),
                    || format!("{}/{doc}", hex(&peer)),
                    v.value(),
                )?;
                out.push((peer, value));
            }
            Ok(out)
        })
    }

    /// The sync state last stored for (peer, doc), if any.
    pub fn sync_state(&self, peer: &[u8; 32], key: DocKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(|txn, sealer| {
            let states = txn.open_table(SYNC_STATES)?;
            match states.get((peer, key.name()))? {
                Some(v) => Ok(Some(sealer.open(
                    "sync_states",
                    &sync_key(peer, key.name()),
                    || format!("{}/{}", hex(peer), key.name()),
                    v.value(),
                )?)),
                None => Ok(None),
            }
        })
    }

    fn key_state(&self) -> std::sync::RwLockReadGuard<'_, KeyState> {
        self.key.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn key_state_mut(&self) -> std::sync::RwLockWriteGuard<'_, KeyState> {
        self.key.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn locked(&self) -> StoreError {
        StoreError::Locked {
            path: self.path.clone(),
        }
    }

    /// Derives a key from `passphrase` under a new salt and wraps `data_key`: the three `crypt`
    /// rows to write.
    fn wrap_rows(
        &self,
        passphrase: &SecretString,
        params: KdfParams,
        data_key: &Key,
    ) -> Result<[(&'static str, Vec<u8>); 3], StoreError> {
        let kdf = params.encode();
        let salt = crypt::random_salt();
        let bad_params = || StoreError::Damaged {
            path: self.path.clone(),
            table: "crypt",
            key: format!("{CRYPT_KDF} (Argon2 refused the parameters {kdf})"),
        };
        let kek = crypt::derive(passphrase, &salt, params).ok_or_else(bad_params)?;
        let wrapped = crypt::wrap(&kek, data_key, &kdf, &salt).ok_or_else(bad_params)?;
        Ok([
            (CRYPT_KDF, kdf.clone().into_bytes()),
            (CRYPT_SALT, salt.to_vec()),
            (CRYPT_DATA_KEY, wrapped),
        ])
    }

    /// Reads `crypt` and unwraps the data key with `passphrase`. Only reads.
    fn unwrap_data_key(&self, passphrase: &SecretString) -> Result<Key, StoreError> {
        let rows = self.with_db(|db| read_crypt(&db.begin_read()?))?;
        unwrap_rows(&self.path, rows.as_ref(), passphrase)
    }

    /// The sealer for the current state, or `Locked`.
    fn sealer<'a>(&'a self, state: &'a KeyState) -> Result<Sealer<'a>, StoreError> {
        match state {
            KeyState::Plain => Ok(Sealer {
                key: None,
                path: &self.path,
            }),
            KeyState::Locked => Err(self.locked()),
            KeyState::Unlocked(key) => Ok(Sealer {
                key: Some(key),
                path: &self.path,
            }),
        }
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction, &Sealer<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let state = self.key_state();
        let sealer = self.sealer(&state)?;
        self.with_db(|db| {
            let txn = db.begin_read()?;
            f(&txn, &sealer)
        })
    }

    /// Runs `f` in one write transaction committed with `Durability::Immediate`; an error from
    /// `f` drops the transaction, which aborts it, so a failed call changes nothing.
    fn write<T>(
        &self,
        f: impl FnOnce(&WriteTransaction, &Sealer<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let state = self.key_state();
        let sealer = self.sealer(&state)?;
        self.with_db(|db| {
            let mut txn = db.begin_write()?;
            // Immediate is redb's default; set it anyway because "saved" in the UI depends on it.
            txn.set_durability(Durability::Immediate)?;
            let out = f(&txn, &sealer)?;
            txn.commit()?;
            Ok(out)
        })
    }

    /// Runs `f` on the database, reopening it first if an earlier call failed at the I/O level.
    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, Fail>) -> Result<T, StoreError> {
        if self.reopen.load(Ordering::Acquire) {
            self.reopen_database()?;
        }
        // A panic elsewhere while the lock was held leaves the database itself consistent (its
        // own transactions abort), so a poisoned lock is still usable.
        let guard = self.db.read().unwrap_or_else(PoisonError::into_inner);
        let Some(db) = guard.as_ref() else {
            return Err(StoreError::StoppedAfterFailure {
                path: self.path.clone(),
            });
        };
        let result = f(db).map_err(|e| match e {
            Fail::Redb(e) => StoreError::redb(&self.path, e),
            Fail::Store(e) => e,
        });
        if let Err(
            StoreError::DiskFull { .. }
            | StoreError::Io { .. }
            | StoreError::StoppedAfterFailure { .. },
        ) = &result
        {
            // redb now refuses every write with PreviousIo until the file is reopened.
            self.reopen.store(true, Ordering::Release);
        }
        match result {
            Err(StoreError::DiskFull { .. }) => self.full.store(true, Ordering::Release),
            Ok(_) => self.full.store(false, Ordering::Release),
            _ => {}
        }
        match result {
            // The failure that stopped writing was a full disk, maybe met by another thread
            // (the compaction beside typing): say that, which tells the person what to do.
            Err(StoreError::StoppedAfterFailure { .. }) if self.full.load(Ordering::Acquire) => {
                Err(StoreError::io(
                    &self.path,
                    io::Error::from(io::ErrorKind::StorageFull),
                ))
            }
            other => other,
        }
    }

    /// Closes the failed database and opens the file again with the full open procedure; on
    /// failure the store stays closed and the next call tries again.
    fn reopen_database(&self) -> Result<(), StoreError> {
        let mut guard = self.db.write().unwrap_or_else(PoisonError::into_inner);
        if !self.reopen.load(Ordering::Acquire) {
            return Ok(()); // another thread reopened it meanwhile
        }
        if let Some(old) = guard.take() {
            // Its error is the failure that brought us here; the file lock must go either way.
            if let Err(err) = old.close() {
                tracing::debug!(error = %err, "closing the failed database");
            }
        }
        *guard = Some(open_database(&self.data_dir, &self.path, &mut |_| Ok(()))?.0);
        self.reopen.store(false, Ordering::Release);
        tracing::info!(path = %self.path.display(), "reopened the store after a failed write");
        Ok(())
    }
}

const FINGERPRINT_LEN: usize = 32;

/// BLAKE3 over both documents' stored values (snapshot and chunks, with their keys and lengths)
/// as they are on disk: any write to a document changes it. With a passphrase the sealed bytes
/// are hashed (fresh nonces on every write), so nothing needs decrypting to check a cache.
fn docs_fingerprint(
    snapshots: &impl redb::ReadableTable<&'static str, &'static [u8]>,
    chunks: &impl redb::ReadableTable<(&'static str, u64), &'static [u8]>,
) -> Result<[u8; FINGERPRINT_LEN], Fail> {
    let mut h = blake3::Hasher::new();
    for key in DocKey::ALL {
        h.update(key.name().as_bytes());
        match snapshots.get(key.name())? {
            Some(s) => {
                h.update(&(s.value().len() as u64).to_le_bytes());
                h.update(s.value());
            }
            None => {
                h.update(&u64::MAX.to_le_bytes());
            }
        }
        for entry in chunks.range(chunk_range(key))? {
            let (k, v) = entry?;
            h.update(&k.value().1.to_le_bytes());
            h.update(&(v.value().len() as u64).to_le_bytes());
            h.update(v.value());
        }
    }
    Ok(*h.finalize().as_bytes())
}

/// Builds the new file of [`Store::rebuild`] at `temp`: `meta` with `layout`, `crypt_rows`,
/// and every value of the five data tables read from `db`, opened with `from` and sealed with
/// `to`, in one transaction committed durably; then closes it.
fn copy_resealed(
    db: &Database,
    temp: &Path,
    from: &Sealer<'_>,
    to: &Sealer<'_>,
    crypt_rows: &[(&'static str, Vec<u8>)],
    layout: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), Fail> {
    let fresh = Database::builder().create(temp)?;
    let read = db.begin_read()?;
    let mut write = fresh.begin_write()?;
    write.set_durability(Durability::Immediate)?;
    {
        let mut meta = write.open_table(META)?;
        for entry in read.open_table(META)?.iter()? {
            let (k, v) = entry?;
            meta.insert(k.value(), v.value())?;
        }
        meta.insert(META_LAYOUT_VERSION, layout.to_le_bytes().as_slice())?;
    }
    if !crypt_rows.is_empty() {
        let mut crypt_table = write.open_table(CRYPT)?;
        for (name, value) in crypt_rows {
            crypt_table.insert(*name, value.as_slice())?;
        }
    }
    // Every table of the layout exists in the new file, even one an old file lacked.
    macro_rules! source {
        ($def:expr) => {
            match read.open_table($def) {
                Ok(t) => Some(t),
                Err(TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            }
        };
    }
    let tables = (
        source!(SNAPSHOTS),
        source!(CHUNKS),
        source!(SETTINGS),
        source!(PEERS),
        source!(SYNC_STATES),
    );
    macro_rules! len {
        ($t:expr) => {
            match &$t {
                Some(t) => t.len()?,
                None => 0,
            }
        };
    }
    let total = len!(tables.0) + len!(tables.1) + len!(tables.2) + len!(tables.3) + len!(tables.4);
    let mut done = 0;
    progress(Progress { done, total });
    macro_rules! reseal {
        ($src:expr, $def:expr, $table:literal, |$k:ident| $aad:expr, $describe:expr) => {{
            let mut dst = write.open_table($def)?;
            if let Some(src) = $src {
                for entry in src.iter()? {
                    let (key, value) = entry?;
                    let $k = key.value();
                    let aad_key: Vec<u8> = $aad;
                    let plain = from.open($table, &aad_key, || $describe, value.value())?;
                    dst.insert($k, to.seal($table, &aad_key, &plain)?.as_ref())?;
                    done += 1;
                    progress(Progress { done, total });
                }
            }
        }};
    }
    reseal!(
        &tables.0,
        SNAPSHOTS,
        "snapshots",
        |name| name.as_bytes().to_vec(),
        name.to_string()
    );
    reseal!(
        &tables.1,
        CHUNKS,
        "chunks",
        |key| chunk_key(key.0, key.1),
        format!("{} #{}", key.0, key.1)
    );
    reseal!(
        &tables.2,
        SETTINGS,
        "settings",
        |name| name.as_bytes().to_vec(),
        name.to_string()
    );
    reseal!(&tables.3, PEERS, "peers", |id| id.to_vec(), hex(id));
    reseal!(
        &tables.4,
        SYNC_STATES,
        "sync_states",
        |key| sync_key(key.0, key.1),
        format!("{}/{}", hex(key.0), key.1)
    );
    drop(tables);
    write.commit()?;
    drop(read);
    fresh.close()?;
    Ok(())
}

/// The open procedure of LAYOUT.md: create if absent, refuse what is not ours, then recover and
/// verify. `gate` sees what the read-only look found and may still refuse before the file is
/// opened for writing (a wrong passphrase).
fn open_database(
    data_dir: &Path,
    path: &Path,
    gate: &mut dyn FnMut(&Peek) -> Result<(), StoreError>,
) -> Result<(Database, u32), StoreError> {
    create_data_dir(data_dir)?;
    match fs::metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(StoreError::not_a_store(path, "it is not a regular file"));
        }
        // redb would silently initialise an empty file; an empty file we did not create is
        // somebody else's, and ours never is empty (see `create_new`).
        Ok(meta) if meta.len() == 0 => {
            return Err(StoreError::not_a_store(path, "the file is empty"));
        }
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => create_new(data_dir, path)?,
        Err(err) => return Err(StoreError::io(path, err)),
    }

    let peek = match guard_panic(path, || probe_read_only(path))? {
        Probe::Ours(peek) => peek,
        Probe::NeedsRepair => {
            tracing::info!(path = %path.display(), "store was not closed cleanly; checking a copy before recovery");
            guard_panic(path, || probe_copy(data_dir, path))?
        }
    };
    gate(&peek)?;

    // Only now is the file known to be ours, so redb may write to it (including the repair
    // after a crash). The integrity check verifies every page's checksum: without it a
    // damaged file opens and then returns wrong bytes or panics on a later read (measured:
    // half of all single-byte flips went unnoticed), with it the open refuses the file and
    // leaves it unchanged. It costs a read of the whole file, ~30 ms for 16 MiB.
    let db = guard_panic(path, || {
        Database::builder()
            .set_check_integrity_on_open(true)
            .open(path)
            .map_err(|e| open_error(path, e))
    })?;
    // The file could have been swapped between the probe and this open; check again.
    let version = layout::check_db(&db, path)?;
    remove_leftovers(data_dir);
    Ok((db, version))
}

/// Prefixes of the temporary files `create_new` and `probe_copy` make; a kill can leave them.
const TEMP_PREFIXES: [&str; 2] = [".kintsugi-new-", ".kintsugi-probe-"];

/// Removes temporary files a killed Kintsugi left behind. Runs while we hold the store's lock, so
/// no other Kintsugi is probing this store, and none is creating one since it exists. Failures
/// only cost disk space, so they are logged, not returned.
fn remove_leftovers(data_dir: &Path) {
    let Ok(entries) = fs::read_dir(data_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".redb") && TEMP_PREFIXES.iter().any(|p| name.starts_with(p)) {
            match fs::remove_file(entry.path()) {
                Ok(()) => tracing::info!(file = %name, "removed a leftover temporary file"),
                Err(err) => {
                    tracing::warn!(file = %name, error = %err, "could not remove a leftover temporary file")
                }
            }
        }
    }
}

/// Key range holding every chunk of one document.
fn chunk_range(key: DocKey) -> std::ops::RangeInclusive<(&'static str, u64)> {
    (key.name(), 0)..=(key.name(), u64::MAX)
}

/// Creates the data directory; a directory we create is private to the user (0700 on Unix),
/// since it holds a journal. Existing directories keep the permissions the user gave them.
fn create_data_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| StoreError::io(dir, e))?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => Ok(()),
        // Another process created it between the check and here: fine.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(err) => Err(StoreError::io(dir, err)),
    }
}

/// Builds a new, fully initialised store under a temporary name and links it into place without
/// replacing anything, so `kintsugi.redb` never exists half-initialised: a crash during creation
/// leaves either no file or a complete one, never a redb file without our marker (which the next
/// open would have to refuse).
fn create_new(data_dir: &Path, path: &Path) -> Result<(), StoreError> {
    // tempfile creates it with mode 0600 on Unix; the link keeps those permissions.
    let temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIXES[0])
        .suffix(".redb")
        .tempfile_in(data_dir)
        .map_err(|e| StoreError::io(data_dir, e))?
        .into_temp_path();
    {
        let db = Database::builder()
            .create(&temp)
            .map_err(|e| StoreError::redb(path, e))?;
        let result = (|| {
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            layout::initialise(&txn)?;
            txn.commit()?;
            Ok(())
        })();
        result.map_err(|e: redb::Error| StoreError::redb(path, e))?;
        db.close().map_err(|e| StoreError::redb(path, e))?;
    }
    match temp.persist_noclobber(path) {
        Ok(()) => {}
        // Another process created the store at the same moment; use theirs. `temp` is deleted
        // when the error (which owns it) is dropped.
        Err(err) if err.error.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(err) => return Err(StoreError::io(path, err.error)),
    }
    sync_dir(data_dir).map_err(|e| StoreError::io(data_dir, e))?;
    tracing::info!(path = %path.display(), "created a new store");
    Ok(())
}

/// Makes the directory entry of a newly linked file durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Looks at an existing file without writing to it.
fn probe_read_only(path: &Path) -> Result<Probe, StoreError> {
    let db = match Database::builder().open_read_only(path) {
        Ok(db) => db,
        Err(DatabaseError::RepairAborted) => return Ok(Probe::NeedsRepair),
        Err(err) => return Err(open_error(path, err)),
    };
    let peek = peek(&db, path)?;
    db.close().map_err(|e| StoreError::redb(path, e))?;
    Ok(Probe::Ours(peek))
}

/// The layout and, when encrypted, the `crypt` rows of a file being looked at.
fn peek(db: &impl redb::ReadableDatabase, path: &Path) -> Result<Peek, StoreError> {
    let version = layout::check_db(db, path)?;
    let crypt = if version == ENCRYPTED_LAYOUT {
        let rows = db
            .begin_read()
            .map_err(Fail::from)
            .and_then(|txn| read_crypt(&txn));
        rows.map_err(|e| match e {
            Fail::Redb(e) => StoreError::redb(path, e),
            Fail::Store(e) => e,
        })?
    } else {
        None
    };
    Ok(Peek { version, crypt })
}

/// Checks a file that needs crash recovery by recovering a temporary copy of it: recovery writes
/// to the file, and a file that turns out not to be ours must stay untouched.
fn probe_copy(data_dir: &Path, path: &Path) -> Result<Peek, StoreError> {
    // Same directory, so the copy is on the same disk and never in a RAM-backed /tmp.
    let copy = tempfile::Builder::new()
        .prefix(TEMP_PREFIXES[1])
        .suffix(".redb")
        .tempfile_in(data_dir)
        .map_err(|e| StoreError::io(data_dir, e))?
        .into_temp_path();
    fs::copy(path, &copy).map_err(|e| StoreError::io(path, e))?;
    // Errors name the real file: the copy is an implementation detail.
    let db = Database::builder()
        .open(&copy)
        .map_err(|e| open_error(path, e))?;
    let peek = peek(&db, path)?;
    db.close().map_err(|e| StoreError::redb(path, e))?;
    Ok(peek)
}

/// Maps an error of opening an existing file.
fn open_error(path: &Path, err: DatabaseError) -> StoreError {
    match err {
        // redb reports a file without its magic number as an I/O error of kind InvalidData.
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == io::ErrorKind::InvalidData =>
        {
            StoreError::not_a_store(path, format!("it is not a redb database: {io}"))
        }
        DatabaseError::UpgradeRequired(version) => StoreError::not_a_store(
            path,
            format!(
                "it is a redb database in the old file format {version}, which Kintsugi never wrote"
            ),
        ),
        other => StoreError::redb(path, other),
    }
}

/// redb documents that opening a file altered outside redb may panic. Turn such a panic into a
/// refusal so that a damaged file gives the user a message instead of taking the app down.
fn guard_panic<T>(path: &Path, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(StoreError::Corrupted {
            path: path.to_path_buf(),
            detail: "the database engine failed while reading it".into(),
        })
    })
}
