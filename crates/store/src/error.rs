//! Errors of the store, each naming the file and saying in plain words what happened.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong in the store.
///
/// The messages are written for the person using Kintsugi: they name the file, say what happened
/// and what was (not) changed. The store never repairs, overwrites or migrates a file it refuses.
#[derive(thiserror::Error, Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Another Kintsugi window or process holds the database.
    #[error(
        "{} is already open in another Kintsugi window or process. Close the other one and try \
         again; nothing was changed.",
        path.display()
    )]
    AlreadyOpen { path: PathBuf },

    /// The file exists but is not a Kintsugi store (not a redb file, empty, or another
    /// application's redb file without our format marker).
    #[error(
        "{} is not a Kintsugi data file ({detail}). Nothing was changed: Kintsugi left the file \
         as it was. Move it away or choose another data directory.",
        path.display()
    )]
    NotAStore { path: PathBuf, detail: String },

    /// The file was written by a newer Kintsugi with a layout this version does not know.
    #[error(
        "{} was written by a newer version of Kintsugi (data layout {found}; this version \
         understands layout {supported} at most). Update Kintsugi to open it; nothing was \
         changed.",
        path.display()
    )]
    FutureLayout {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    /// The file is a Kintsugi store (or a redb file) whose contents fail the engine's checks.
    #[error(
        "{} is damaged and cannot be read safely ({detail}). Nothing was changed: Kintsugi left \
         the file as it was. Keep a copy of it before trying anything else.",
        path.display()
    )]
    Corrupted { path: PathBuf, detail: String },

    /// The disk (or the user's quota) is full.
    #[error(
        "The disk holding {} is full, so Kintsugi could not write to it and this operation did \
         not complete. Everything saved before is intact; free some space and try again.",
        path.display()
    )]
    DiskFull {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The operating system refused a read or write.
    #[error(
        "Could not read or write {}: {source}. This operation did not complete; everything saved \
         before it is intact.",
        path.display()
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// An earlier write failed and the engine refused this one; the next call reopens the file.
    #[error(
        "An earlier write to {} failed, so Kintsugi stopped writing to it to protect it. Try \
         again: Kintsugi reopens the file first. Everything saved before the failure is intact.",
        path.display()
    )]
    StoppedAfterFailure { path: PathBuf },

    /// Any other failure reported by the database engine.
    #[error(
        "The database engine failed on {}: {source}. This operation did not complete; everything \
         saved before it is intact.",
        path.display()
    )]
    Redb {
        path: PathBuf,
        #[source]
        source: Box<redb::Error>,
    },

    /// A passphrase is set and the store is not unlocked.
    #[error(
        "{} is locked with a passphrase. Unlock it first (the CLI reads the passphrase from \
         --passphrase-file or KINTSUGI_PASSPHRASE_FILE); nothing was changed.",
        path.display()
    )]
    Locked { path: PathBuf },

    /// The passphrase given does not unlock the store.
    #[error("That passphrase does not unlock {}. Nothing was changed.", path.display())]
    WrongPassphrase { path: PathBuf },

    /// A stored value does not decrypt: it was altered, moved to another key, or damaged.
    #[error(
        "{} is damaged: the value of `{key}` in the `{table}` table does not decrypt (it was \
         altered or moved outside Kintsugi). Nothing was changed: Kintsugi left the file as it \
         was. Keep a copy of it before trying anything else.",
        path.display()
    )]
    Damaged {
        path: PathBuf,
        table: &'static str,
        key: String,
    },

    /// Setting a passphrase on a store that already has one.
    #[error(
        "{} already has a passphrase; change or remove it instead. Nothing was changed.",
        path.display()
    )]
    PassphraseAlreadySet { path: PathBuf },

    /// Changing or removing the passphrase of a store that has none.
    #[error("{} has no passphrase. Nothing was changed.", path.display())]
    NoPassphrase { path: PathBuf },

    /// Neither `--data-dir`, `KINTSUGI_DATA_DIR` nor the system gives a data directory.
    #[error(
        "No data directory: the system reports no home directory. Pass --data-dir or set \
         KINTSUGI_DATA_DIR; nothing was created."
    )]
    NoDataDir,
}

impl StoreError {
    /// Maps an I/O error, recognising a full disk or quota (ENOSPC, EDQUOT).
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                StoreError::DiskFull { path, source }
            }
            _ => StoreError::Io { path, source },
        }
    }

    /// Maps any redb error (they all convert into `redb::Error`) to the variant the UI can act on.
    pub(crate) fn redb(path: &Path, err: impl Into<redb::Error>) -> Self {
        match err.into() {
            redb::Error::DatabaseAlreadyOpen => StoreError::AlreadyOpen {
                path: path.to_path_buf(),
            },
            redb::Error::Io(source) => Self::io(path, source),
            redb::Error::Corrupted(detail) => StoreError::Corrupted {
                path: path.to_path_buf(),
                detail,
            },
            redb::Error::PreviousIo => StoreError::StoppedAfterFailure {
                path: path.to_path_buf(),
            },
            other => StoreError::Redb {
                path: path.to_path_buf(),
                source: Box::new(other),
            },
        }
    }

    pub(crate) fn not_a_store(path: &Path, detail: impl Into<String>) -> Self {
        StoreError::NotAStore {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_inside_a_redb_error_becomes_disk_full() {
        let path = Path::new("/data/kintsugi.redb");
        for kind in [io::ErrorKind::StorageFull, io::ErrorKind::QuotaExceeded] {
            let inner = redb::StorageError::Io(io::Error::from(kind));
            let err = StoreError::redb(path, redb::CommitError::Storage(inner));
            assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
            let message = err.to_string();
            assert!(message.contains("/data/kintsugi.redb"), "{message}");
            assert!(message.contains("full"), "{message}");
        }
        // The raw errno as the OS reports it maps the same way (ENOSPC is 28 on Linux).
        #[cfg(target_os = "linux")]
        {
            let raw = redb::StorageError::Io(io::Error::from_raw_os_error(28));
            let err = StoreError::redb(path, redb::TransactionError::Storage(raw));
            assert!(matches!(err, StoreError::DiskFull { .. }), "{err:?}");
        }
    }

    #[test]
    fn other_redb_errors_keep_their_meaning() {
        let path = Path::new("/data/kintsugi.redb");
        let err = StoreError::redb(path, redb::DatabaseError::DatabaseAlreadyOpen);
        assert!(matches!(err, StoreError::AlreadyOpen { .. }), "{err:?}");
        let err = StoreError::redb(path, redb::StorageError::PreviousIo);
        assert!(
            matches!(err, StoreError::StoppedAfterFailure { .. }),
            "{err:?}"
        );
        let err = StoreError::redb(path, redb::StorageError::Corrupted("bad page".into()));
        assert!(matches!(err, StoreError::Corrupted { .. }), "{err:?}");
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let err = StoreError::redb(path, redb::StorageError::Io(denied));
        assert!(matches!(err, StoreError::Io { .. }), "{err:?}");
    }
}
