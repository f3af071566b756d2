//! Kintsugi's persistence: automerge documents and device settings in one redb file (LAYOUT.md).

mod crypt;
mod dirs;
mod error;
mod layout;
mod store;

pub use crypt::KdfParams;
pub use dirs::{DATA_DIR_ENV, default_data_dir, resolve_data_dir};
pub use error::StoreError;
pub use layout::{DocKey, LAYOUT_VERSION};
pub use store::{DocStats, FILE_NAME, Progress, Store};
