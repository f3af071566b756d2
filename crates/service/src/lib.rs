//! The local engine: opens a data directory, applies commands to the documents, saves them
//! durably and keeps them in sync with paired devices; the GUI and the CLI both go through it.

mod clock;
pub mod dataset;
mod export;
#[doc(hidden)]
pub mod fuzzing;
mod peers;
mod vault;
mod view_cache;
mod worker;

pub use clock::{now_ms, today_local};
pub use export::{
    COUPLE_FILE, DATA_FILE, DataCopy, ExportAllSummary, ExportError, PRIVATE_FILE, README_FILE,
    export_all, write_all,
};
pub use kintsugi_store::{DATA_DIR_ENV, FILE_NAME, StoreError, resolve_data_dir};
pub use kintsugi_sync::PairingFailure;
pub use kintsugi_sync::transport::{endpoint_id_of, loopback_only_network};
pub use peers::{
    ADDR_MAX_AGE_MS, ConnectionPath, InviteView, MAX_REMEMBERED_ADDRS, NetError, NetworkSettings,
    PairingOutcome, PeerRecord, PeerView, Refusal, RelayView, SyncView,
};
pub use secrecy::{ExposeSecret, SecretString};
pub use vault::{OpenedStore, Vault, VaultError};
pub use view_cache::CachedView;
pub use worker::{
    AUTO_LOCK_CHOICES, Handle, INVITE_TTL, LockView, NetOptions, NetRequest, PassphraseChange,
    PassphraseJob, SaveState, Snapshot, TYPING_MAX_BATCH, TYPING_PAUSE, UnlockFailure, VaultDocs,
    check_pairing_code, spawn, spawn_at, spawn_with,
};
