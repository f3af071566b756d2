//! On-disk layout of `kintsugi.redb` (documented in LAYOUT.md): tables, marker, layout version.

use std::path::Path;

use redb::{ReadTransaction, TableDefinition, TableError, WriteTransaction};

use crate::StoreError;

/// Highest layout version this build reads. Bump it only with a migration and a LAYOUT.md entry.
pub const LAYOUT_VERSION: u32 = ENCRYPTED_LAYOUT;
/// Layout of a store without a passphrase: plain values, as every earlier version wrote.
pub(crate) const PLAIN_LAYOUT: u32 = 1;
/// Layout of a store with a passphrase: the same tables, every value sealed, plus `crypt`. An older
/// Kintsugi therefore refuses an encrypted store as a future layout instead of misreading it.
pub(crate) const ENCRYPTED_LAYOUT: u32 = 2;

/// Value of `meta["format"]`: tells our file apart from any other application's redb file.
pub(crate) const FORMAT_MARKER: &[u8] = b"kintsugi-store";

// The `meta` table's name, key/value types and the `format` and `layout_version` keys are frozen
// for every future layout: they are how an older Kintsugi recognises a newer file and refuses it
// with FutureLayout instead of mistaking it for a foreign file.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub(crate) const META_FORMAT: &str = "format";
pub(crate) const META_LAYOUT_VERSION: &str = "layout_version";
pub(crate) const META_CREATED_AT: &str = "created_at";

/// DocKey name -> full automerge save().
pub(crate) const SNAPSHOTS: TableDefinition<&str, &[u8]> = TableDefinition::new("snapshots");
/// (DocKey name, seq) -> one automerge save_incremental() chunk; seq orders them.
pub(crate) const CHUNKS: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("chunks");
/// Setting name -> caller-owned bytes.
pub(crate) const SETTINGS: TableDefinition<&str, &[u8]> = TableDefinition::new("settings");
/// Peer endpoint id -> caller-owned record bytes.
pub(crate) const PEERS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("peers");
/// Encryption parameters of layout 2 (plain bytes): `kdf`, `salt`, `data_key`. Absent in layout 1.
pub(crate) const CRYPT: TableDefinition<&str, &[u8]> = TableDefinition::new("crypt");
pub(crate) const CRYPT_KDF: &str = "kdf";
pub(crate) const CRYPT_SALT: &str = "salt";
pub(crate) const CRYPT_DATA_KEY: &str = "data_key";
/// (peer endpoint id, DocKey name) -> encoded automerge sync state.
pub(crate) const SYNC_STATES: TableDefinition<(&[u8; 32], &str), &[u8]> =
    TableDefinition::new("sync_states");

/// Name -> `fingerprint (32 bytes) || caller bytes`: data derived from the documents (the view
/// cache), never authoritative. Valid only while the fingerprint equals that of the stored
/// documents; created on first use, so it is absent in files written before it existed.
pub(crate) const DERIVED: TableDefinition<&str, &[u8]> = TableDefinition::new("derived");

/// Which automerge document. The persisted names are part of the layout: never rename them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DocKey {
    /// The document both partners share and sync.
    Couple,
    /// The document that never leaves this partner's own devices.
    Private,
}

impl DocKey {
    /// Every document, in a stable order.
    pub const ALL: [DocKey; 2] = [DocKey::Couple, DocKey::Private];

    /// The name stored on disk: `"couple"` or `"private"`.
    pub const fn name(self) -> &'static str {
        match self {
            DocKey::Couple => "couple",
            DocKey::Private => "private",
        }
    }
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Writes the meta rows and creates every table, inside the caller's (single) transaction.
pub(crate) fn initialise(txn: &WriteTransaction) -> Result<(), redb::Error> {
    let created_at = chrono::Utc::now().to_rfc3339();
    let mut meta = txn.open_table(META)?;
    meta.insert(META_FORMAT, FORMAT_MARKER)?;
    meta.insert(META_LAYOUT_VERSION, PLAIN_LAYOUT.to_le_bytes().as_slice())?;
    meta.insert(META_CREATED_AT, created_at.as_bytes())?;
    // Created up front so that readers never meet a missing table in a file of this layout.
    txn.open_table(SNAPSHOTS)?;
    txn.open_table(CHUNKS)?;
    txn.open_table(SETTINGS)?;
    txn.open_table(PEERS)?;
    txn.open_table(SYNC_STATES)?;
    Ok(())
}

/// Refuses a file that lacks our marker (NotAStore) or has a newer layout (FutureLayout); returns
/// the file's layout version.
pub(crate) fn check_meta(txn: &ReadTransaction, path: &Path) -> Result<u32, StoreError> {
    let meta = match txn.open_table(META) {
        Ok(table) => table,
        Err(TableError::TableDoesNotExist(_)) => {
            return Err(StoreError::not_a_store(
                path,
                "it is a redb database without a Kintsugi `meta` table",
            ));
        }
        Err(TableError::Storage(err)) => return Err(StoreError::redb(path, err)),
        // Wrong key/value types or a multimap: a table of the same name from another program.
        Err(other) => {
            return Err(StoreError::not_a_store(
                path,
                format!("its `meta` table is not Kintsugi's: {other}"),
            ));
        }
    };
    let read = |key: &str| -> Result<Option<Vec<u8>>, StoreError> {
        let value = meta.get(key).map_err(|e| StoreError::redb(path, e))?;
        Ok(value.map(|guard| guard.value().to_vec()))
    };
    match read(META_FORMAT)? {
        Some(marker) if marker == FORMAT_MARKER => {}
        Some(marker) => {
            return Err(StoreError::not_a_store(
                path,
                format!(
                    "its format marker is {:?}, not \"kintsugi-store\"",
                    String::from_utf8_lossy(&marker)
                ),
            ));
        }
        None => {
            return Err(StoreError::not_a_store(
                path,
                "its `meta` table has no Kintsugi format marker",
            ));
        }
    }
    let version = match read(META_LAYOUT_VERSION)? {
        Some(bytes) => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(le) => u32::from_le_bytes(le),
            Err(_) => {
                return Err(StoreError::not_a_store(
                    path,
                    format!("its layout version is {} bytes long, not 4", bytes.len()),
                ));
            }
        },
        None => {
            return Err(StoreError::not_a_store(
                path,
                "its `meta` table has no layout version",
            ));
        }
    };
    if version > LAYOUT_VERSION {
        return Err(StoreError::FutureLayout {
            path: path.to_path_buf(),
            found: version,
            supported: LAYOUT_VERSION,
        });
    }
    if version < PLAIN_LAYOUT {
        // No Kintsugi ever wrote a layout below 1; there is nothing to migrate from.
        return Err(StoreError::not_a_store(
            path,
            format!("its layout version {version} was never written by Kintsugi"),
        ));
    }
    Ok(version)
}

/// Opens `db` for reading and checks its meta rows.
pub(crate) fn check_db(db: &impl redb::ReadableDatabase, path: &Path) -> Result<u32, StoreError> {
    let txn = db.begin_read().map_err(|e| StoreError::redb(path, e))?;
    check_meta(&txn, path)
}
