//! A data directory opened: the store, this device's identity and the two documents.

use std::path::Path;

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{Command, CoreError, DocKind, Model, PartnerId, Timestamp, View};
use kintsugi_store::{DocKey, Store, StoreError};

const SETTING_PARTNER: &str = "partner_id";
const SETTING_ACTOR: &str = "actor_id";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document that cannot be opened; the file is left exactly as it was.
    #[error("the {doc} document in {path} cannot be opened: {source}. Nothing was changed")]
    Document {
        doc: &'static str,
        path: String,
        source: CoreError,
    },
    #[error("the device identity in {path} is damaged ({what}). Nothing was changed")]
    Identity { path: String, what: &'static str },
}

/// Milliseconds since the epoch, from the system clock.
pub fn now_ms() -> Timestamp {
    chrono::Utc::now().timestamp_millis()
}

pub struct Vault {
    store: Store,
    model: Model,
    /// Documents whose last write failed and must be saved whole next time.
    unsaved_whole: Vec<DocKind>,
    /// Commands applied since the last successful save.
    dirty: bool,
}

fn key(kind: DocKind) -> DocKey {
    match kind {
        DocKind::Couple => DocKey::Couple,
        DocKind::Private => DocKey::Private,
    }
}

impl Vault {
    /// Opens the data directory, creating the store and this device's identity on first use.
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        let store = Store::open(data_dir)?;
        let path = store.path().display().to_string();
        let partner = match store.get_setting(SETTING_PARTNER)? {
            Some(b) => PartnerId(String::from_utf8(b).map_err(|_| VaultError::Identity {
                path: path.clone(),
                what: "partner id",
            })?),
            None => {
                let p = PartnerId::random();
                store.put_setting(SETTING_PARTNER, p.0.as_bytes())?;
                p
            }
        };
        // A fresh random actor per device: two devices writing under one actor id would produce
        // conflicting changes with the same sequence numbers.
        let actor = match store.get_setting(SETTING_ACTOR)? {
            Some(b) if !b.is_empty() => ActorId::from(b),
            Some(_) => {
                return Err(VaultError::Identity {
                    path,
                    what: "actor id",
                });
            }
            None => {
                let a = ActorId::random();
                store.put_setting(SETTING_ACTOR, a.to_bytes())?;
                a
            }
        };
        let couple = store.load_doc(DocKey::Couple)?;
        let private = store.load_doc(DocKey::Private)?;
        let model = Model::open(couple.as_deref(), private.as_deref(), partner, actor).map_err(
            |source| {
                let doc = match &source {
                    CoreError::WrongKind { expected } => expected,
                    _ => "stored",
                };
                VaultError::Document {
                    doc,
                    path: path.clone(),
                    source,
                }
            },
        )?;
        Ok(Vault {
            store,
            model,
            unsaved_whole: Vec::new(),
            dirty: false,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut Model {
        &mut self.model
    }

    pub fn me(&self) -> &PartnerId {
        self.model.me()
    }

    pub fn view(&self) -> View {
        self.model.view()
    }

    pub fn apply(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        self.model.apply(cmd, now)?;
        self.dirty = true;
        Ok(())
    }

    /// Marks documents changed from outside `apply` (changes received from a paired device).
    pub fn mark_changed(&mut self) {
        self.dirty = true;
    }

    /// Commits open edits and writes every unsaved change durably. When this returns Ok, the
    /// changes survive a crash or power loss. Returns whether anything was written.
    pub fn save(&mut self, now: Timestamp) -> Result<bool, VaultError> {
        self.model.commit(now);
        let mut wrote = false;
        for kind in DocKind::ALL {
            if self.unsaved_whole.contains(&kind) {
                // An earlier write failed after automerge's incremental cursor had moved past
                // those changes: only a whole snapshot is sure to include them.
                let snapshot = self.model.doc_mut(kind).save();
                self.store.compact(key(kind), &snapshot)?;
                self.unsaved_whole.retain(|k| *k != kind);
                wrote = true;
                continue;
            }
            let chunk = self.model.doc_mut(kind).save_incremental();
            if chunk.is_empty() {
                continue;
            }
            if let Err(e) = self.store.append_chunk(key(kind), &chunk) {
                self.unsaved_whole.push(kind);
                return Err(e.into());
            }
            wrote = true;
            if self.store.needs_compaction(key(kind))? {
                let snapshot = self.model.doc_mut(kind).save();
                self.store.compact(key(kind), &snapshot)?;
            }
        }
        self.dirty = false;
        Ok(wrote)
    }

    /// True when edits exist that are not yet durable.
    pub fn has_unsaved(&self) -> bool {
        self.dirty || self.model.has_pending() || !self.unsaved_whole.is_empty()
    }
}
