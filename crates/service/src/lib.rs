//! The local engine: opens a data directory, applies commands to the documents and saves them
//! durably; the GUI and the CLI both go through it.

mod vault;
mod worker;

pub use vault::{Vault, VaultError, now_ms};
pub use kintsugi_store::{DATA_DIR_ENV, FILE_NAME, StoreError, resolve_data_dir};
pub use worker::{Handle, SaveState, Snapshot, TYPING_MAX_BATCH, TYPING_PAUSE, spawn};
