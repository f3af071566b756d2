//! Kintsugi's persistence: automerge documents and device settings in one redb file (LAYOUT.md).

mod crypt;
mod dirs;
mod error;
mod layout;
mod store;

pub use crypt::KdfParams;
#[doc(hidden)]
pub use crypt::fuzz_decrypt;
pub use dirs::{DATA_DIR_ENV, default_data_dir, resolve_data_dir};
pub use error::StoreError;
pub use layout::{DocKey, LAYOUT_VERSION};
/// The passphrase type of [`Store::unlock`] and friends, re-exported so callers need no `secrecy`.
pub use secrecy::{ExposeSecret, SecretString};
pub use store::{DocStats, FILE_NAME, Progress, Store};
