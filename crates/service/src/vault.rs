//! A data directory opened: the store, this device's identity and the two documents.

use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{
    Command, CoreError, DocKind, Model, PartnerId, Signer, Timestamp, Trust, View,
};
use kintsugi_store::{DocKey, KdfParams, SecretString, Store, StoreError};

const SETTING_PARTNER: &str = "partner_id";
/// Set (durably, with the deletion) while deleted private items still sit in the stored
/// history; cleared once the rebuilt document replaced it. A kill in between redoes the erasure
/// at the next open.
const SETTING_ERASE_DUE: &str = "private_erase_due";

/// This device's key as the model signs with it.
struct DeviceSigner {
    /// Wiped when the model drops it (at lock and close).
    secret: secrecy::SecretBox<[u8; 32]>,
    public: [u8; 32],
}

impl Signer for DeviceSigner {
    fn key(&self) -> [u8; 32] {
        self.public
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        use secrecy::ExposeSecret;
        kintsugi_sync::signing::sign(self.secret.expose_secret(), message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored document that cannot be opened; the file is left exactly as it was.
    #[error("the {doc} document in {path} cannot be opened: {source}. Nothing was changed")]
    Document {
        doc: &'static str,
        path: String,
        source: Box<CoreError>,
    },
    #[error("the device identity in {path} is damaged ({what}). Nothing was changed")]
    Identity { path: String, what: &'static str },
    /// The data has a passphrase and none was given.
    #[error(
        "{path} is locked with a passphrase. Give it with --passphrase-file FILE or \
         KINTSUGI_PASSPHRASE_FILE; nothing was changed"
    )]
    Locked { path: String },
    /// The passphrase given does not unlock the data.
    #[error("that passphrase does not unlock {path}. Nothing was changed")]
    WrongPassphrase { path: String },
}

/// A data directory whose store is open (and unlocked) and whose identity is read, before the
/// documents are loaded: enough to show the cached view while they load.
pub struct OpenedStore {
    store: Arc<Store>,
    partner: PartnerId,
    path: String,
}

impl OpenedStore {
    /// The view cached when this data was last open, if the documents are still exactly as it
    /// was built from (see `view_cache`); None means the view must wait for the documents.
    pub fn cached_view(&self) -> Option<crate::CachedView> {
        match self.store.derived(crate::view_cache::NAME) {
            Ok(Some(bytes)) => crate::view_cache::decode(&bytes),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("the view cache could not be read: {e}");
                None
            }
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

pub struct Vault {
    store: Arc<Store>,
    /// The compaction running beside the worker, if any (`Vault::save`).
    compactor: Option<JoinHandle<()>>,
    model: Model,
    /// Documents whose last write failed and must be saved whole next time.
    unsaved_whole: Vec<DocKind>,
    /// Commands applied since the last successful save.
    dirty: bool,
    /// The stored documents may have changed since the view cache was written.
    cache_stale: bool,
    /// A private item was deleted: the next save erases it from the stored history.
    erase_due: bool,
}

fn key(kind: DocKind) -> DocKey {
    match kind {
        DocKind::Couple => DocKey::Couple,
        DocKind::Private => DocKey::Private,
    }
}

impl Vault {
    /// Opens the data directory, creating the store and this device's identity on first use.
    /// Data with a passphrase is refused as [`VaultError::Locked`]: see [`Vault::open_with`].
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        Vault::open_with(data_dir, None)
    }

    /// Opens the data directory, unlocking it with `passphrase` if it has one (a passphrase
    /// given for data without one is ignored). No passphrase for locked data is
    /// [`VaultError::Locked`]; a wrong one [`VaultError::WrongPassphrase`]; neither changes
    /// anything.
    pub fn open_with(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<Vault, VaultError> {
        Vault::load(Vault::open_store(data_dir, passphrase)?)
    }

    /// The first half of [`Vault::open_with`]: the store opened and unlocked, the identity read
    /// (created on first use), the documents not yet loaded.
    pub fn open_store(
        data_dir: &Path,
        passphrase: Option<&SecretString>,
    ) -> Result<OpenedStore, VaultError> {
        // The passphrase is tried before the file is opened for writing: a wrong one leaves
        // not a byte of it changed.
        let store = Store::open_with(data_dir, passphrase).map_err(|e| match e {
            StoreError::WrongPassphrase { path } => VaultError::WrongPassphrase {
                path: path.display().to_string(),
            },
            other => VaultError::Store(other),
        })?;
        let path = store.path().display().to_string();
        if store.is_locked() {
            return Err(VaultError::Locked { path });
        }
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
        Ok(OpenedStore {
            store: Arc::new(store),
            partner,
            path,
        })
    }

    /// The second half: loads both documents (the slow part: seconds after years of use).
    pub fn load(opened: OpenedStore) -> Result<Vault, VaultError> {
        let OpenedStore {
            store,
            partner,
            path,
        } = opened;
        // A fresh random actor on every open, never a stored one. A sync session may send
        // changes before they are saved (it commits open typing); if the process then dies, the
        // reopened document lacks them, and writing on under the same actor would reuse their
        // sequence numbers: every peer holding the lost changes then refuses all later ones
        // ("duplicate seq"), for good. Under a new actor the sent changes simply come back.
        let actor = ActorId::random();
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
                    source: Box::new(source),
                }
            },
        )?;
        let erase_due = matches!(store.get_setting(SETTING_ERASE_DUE), Ok(Some(_)));
        let mut vault = Vault {
            store,
            compactor: None,
            model,
            unsaved_whole: Vec::new(),
            dirty: erase_due,
            cache_stale: true,
            erase_due,
        };
        vault.start_authorship()?;
        Ok(vault)
    }

    /// Hands the model this device's key (it signs the claims of this device's actors) and the
    /// keys it trusts first hand. The first open by this version also records what was written
    /// before and signs this partner's older actors; those changes are saved with the next
    /// save, like any.
    fn start_authorship(&mut self) -> Result<(), VaultError> {
        let secret = self.secret_key()?;
        let trust = self.trust(&secret)?;
        let signer = Arc::new(DeviceSigner {
            public: kintsugi_sync::transport::endpoint_id_of(&secret),
            secret: secrecy::SecretBox::new(Box::new(secret)),
        });
        let path = self.store.path().display().to_string();
        self.model
            .set_authorship(trust, signer, crate::now_ms())
            .map_err(|source| VaultError::Document {
                doc: "couple",
                path,
                source: Box::new(source),
            })
    }

    /// This device's own key and its own devices' keys (they write for me) and the partner's
    /// devices' keys, as paired.
    fn trust(&self, secret: &[u8; 32]) -> Result<Trust, VaultError> {
        let mut own = std::collections::BTreeSet::new();
        let mut partner = std::collections::BTreeSet::new();
        own.insert(kintsugi_sync::transport::endpoint_id_of(secret));
        for (id, rec) in self.peers()? {
            match rec.scope() {
                kintsugi_sync::session::Scope::OwnDevice => own.insert(id),
                kintsugi_sync::session::Scope::Partner => partner.insert(id),
            };
        }
        Ok(Trust {
            verify: kintsugi_sync::signing::verify,
            own,
            partner,
        })
    }

    /// Reads the paired devices again into the keys authorship is verified with.
    pub fn refresh_trust(&mut self) -> Result<(), VaultError> {
        let secret = self.secret_key()?;
        let trust = self.trust(&secret)?;
        self.model.set_trust(trust);
        Ok(())
    }

    /// Signs into the couple document that the device `peer`, just paired, belongs to `member`
    /// (me for an own device), so both partners' devices that never met it trust its claims and
    /// show that it was added. Saved with the next save.
    pub fn enrol_device(
        &mut self,
        peer: &[u8; 32],
        member: &PartnerId,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        self.refresh_trust()?;
        let path = self.store.path().display().to_string();
        self.model
            .enrol_device(peer, member, now)
            .map_err(|source| VaultError::Document {
                doc: "couple",
                path,
                source: Box::new(source),
            })?;
        self.dirty = true;
        Ok(())
    }

    /// Heads of both documents, as hex with the document's name (what the view cache records).
    pub fn heads(&mut self) -> Vec<String> {
        self.heads_for(kintsugi_sync::session::Scope::OwnDevice)
    }

    /// Stores `view` as the view cache, if it was read from exactly what is stored: nothing
    /// unsaved, and `heads` (the documents' heads when `view` was read) still current. Returns
    /// whether it was written. The cache is never authoritative, so a failure only costs the
    /// next open its head start.
    pub fn write_view_cache(&mut self, view: &View, heads: &[String]) -> bool {
        // A compaction that commits later would make it stale at once: wait for it to end.
        let compacting = self.compactor.as_ref().is_some_and(|t| !t.is_finished());
        if compacting || self.has_unsaved() || self.heads() != heads {
            return false;
        }
        let bytes = crate::view_cache::encode(view, heads);
        match self.store.put_derived(crate::view_cache::NAME, &bytes) {
            Ok(()) => {
                self.cache_stale = false;
                true
            }
            Err(e) => {
                tracing::warn!("the view cache was not written: {e}");
                false
            }
        }
    }

    /// True when the stored documents may have changed since the view cache was written.
    pub fn view_cache_stale(&self) -> bool {
        self.cache_stale
    }

    /// Gives unused space in the file back (`Store::shrink`): at close, since it holds every
    /// other store call while it runs. A failure only leaves the file larger.
    pub fn shrink_file(&mut self) {
        self.settle();
        if let Err(e) = self.store.shrink() {
            tracing::warn!("the data file was not shrunk: {e}");
        }
    }

    /// Waits for a running compaction to finish: before anything that rewrites the whole
    /// store or restarts a document's chunks.
    pub fn settle(&mut self) {
        if let Some(t) = self.compactor.take() {
            let _ = t.join();
        }
    }

    /// Compacts `kind` on a thread of its own from what is stored (not from the open
    /// document), so typing never waits for a whole-document save: after ten years one takes
    /// seconds. Chunks appended meanwhile stay (`Store::compact_through`). One at a time; a
    /// document still due is compacted after the next save.
    fn compact_in_background(&mut self, kind: DocKind) {
        if self.compactor.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        self.settle();
        let store = self.store.clone();
        let spawned = std::thread::Builder::new()
            .name("kintsugi-compact".into())
            .spawn(move || {
                if let Err(e) = compact_stored(&store, key(kind)) {
                    // Nothing is lost: the chunks stay until a later compaction succeeds.
                    tracing::warn!("compacting the {} document failed: {e}", kind.name());
                }
            });
        match spawned {
            Ok(t) => {
                self.compactor = Some(t);
                self.cache_stale = true;
            }
            Err(e) => tracing::warn!("no thread for compaction: {e}"),
        }
    }

    /// True when this device's data has a passphrase (it is unlocked, since the vault is open).
    pub fn has_passphrase(&self) -> bool {
        self.store.is_encrypted()
    }

    /// Sets a passphrase: every stored value is encrypted into a fresh file that replaces the
    /// old one in one step (LAYOUT.md, "Encryption"), with Argon2id's default parameters.
    /// `progress(done, total)` after each value.
    pub fn set_passphrase(
        &self,
        passphrase: &SecretString,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), VaultError> {
        self.store
            .set_passphrase(passphrase, KdfParams::DEFAULT, &mut |p| {
                progress(p.done, p.total)
            })?;
        Ok(())
    }

    /// Changes the passphrase: a new data key, and every stored value re-encrypted under it
    /// into a fresh file that replaces the old one in one step, so the old passphrase opens
    /// nothing written from now on, even with a copy of the file from before.
    /// `progress(done, total)` after each value.
    pub fn change_passphrase(
        &self,
        passphrase: &SecretString,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), VaultError> {
        self.store
            .change_passphrase(passphrase, KdfParams::DEFAULT, &mut |p| {
                progress(p.done, p.total)
            })?;
        Ok(())
    }

    /// Removes the passphrase: every stored value is decrypted into a fresh file that replaces
    /// the old one in one step.
    pub fn remove_passphrase(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<(), VaultError> {
        self.store
            .remove_passphrase(&mut |p| progress(p.done, p.total))?;
        Ok(())
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

    /// The view, reading again only what changed since the previous call (`Model::refresh_view`).
    pub fn refresh_view(&mut self) -> View {
        self.model.tell_time(crate::clock::now_ms());
        self.model.refresh_view()
    }

    pub fn apply(&mut self, cmd: Command, now: Timestamp) -> Result<(), CoreError> {
        let erases = matches!(
            cmd,
            Command::DeleteJournalEntry { .. }
                | Command::RemoveSelfCare { .. }
                | Command::DeleteApologyDraft { .. }
        );
        self.model.apply(cmd, now)?;
        self.dirty = true;
        self.erase_due |= erases;
        Ok(())
    }

    /// True while a deleted private item's text may still be in the stored history (until the
    /// next save has erased it).
    pub fn erase_pending(&self) -> bool {
        self.erase_due
    }

    /// Takes an own device's newer private lineage (`Model::adopt_private`) and stores it the
    /// way an erasure does: the old document leaves the file. Returns whether it was newer.
    pub fn adopt_private(
        &mut self,
        theirs: &[u8],
        agreed: &[kintsugi_core::automerge::ChangeHash],
        now: Timestamp,
    ) -> Result<bool, VaultError> {
        let adopted = self
            .model
            .adopt_private(theirs, agreed, now)
            .map_err(|source| VaultError::Document {
                doc: "private",
                path: self.store.path().display().to_string(),
                source: Box::new(source),
            })?;
        if adopted {
            self.dirty = true;
            self.save(now)?;
        }
        Ok(adopted)
    }

    /// Rebuilds the private document without history and replaces it in a fresh file.
    fn erase_now(&mut self, now: Timestamp) -> Result<(), VaultError> {
        if self.erase_due {
            self.model
                .erase_private_history(now)
                .map_err(|source| VaultError::Document {
                    doc: "private",
                    path: self.store.path().display().to_string(),
                    source: Box::new(source),
                })?;
            self.erase_due = false;
        }
        if self.model.private_rewritten() {
            // The fresh file is built from the store as it is: no compaction may be halfway.
            self.settle();
            let doc = self.model.doc_mut(DocKind::Private);
            let heads = doc.get_heads();
            let snapshot = doc.save();
            self.store
                .replace_document_erasing(key(DocKind::Private), &snapshot)?;
            self.model.mark_private_replaced(heads);
            self.unsaved_whole.retain(|k| *k != DocKind::Private);
            self.cache_stale = true;
        }
        if let Err(e) = self.store.delete_setting(SETTING_ERASE_DUE) {
            // The next open erases again: more work, nothing lost.
            tracing::warn!("could not clear the erase mark: {e}");
        }
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
        let erasing = self.erase_due || self.model.private_rewritten();
        if self.erase_due {
            // The deletion is stored first, with the mark that its erasure is still due.
            self.store.put_setting(SETTING_ERASE_DUE, &[1])?;
        }
        for kind in DocKind::ALL {
            if kind == DocKind::Private && self.model.private_rewritten() {
                continue;
            }
            if self.unsaved_whole.contains(&kind) {
                // An earlier write failed after automerge's incremental cursor had moved past
                // those changes: only a whole snapshot is sure to include them. It replaces
                // every chunk, so a background compaction must not be halfway.
                self.settle();
                let heads = self.model.doc_mut(kind).get_heads();
                let snapshot = self.model.doc_mut(kind).save();
                self.store.compact(key(kind), &snapshot)?;
                self.model.mark_saved(kind, heads);
                self.unsaved_whole.retain(|k| *k != kind);
                wrote = true;
                continue;
            }
            let (chunk, heads) = self.model.unsaved_changes(kind);
            if chunk.is_empty() {
                continue;
            }
            if let Err(e) = self.store.append_chunk(key(kind), &chunk) {
                self.unsaved_whole.push(kind);
                return Err(e.into());
            }
            self.model.mark_saved(kind, heads);
            wrote = true;
        }
        if erasing {
            self.erase_now(now)?;
            wrote = true;
        }
        if wrote {
            // Either document may be due, also one passed over while the other compacted.
            for kind in DocKind::ALL {
                if self.store.needs_compaction(key(kind))? {
                    self.compact_in_background(kind);
                    break;
                }
            }
        }
        self.dirty = false;
        self.cache_stale |= wrote;
        Ok(wrote)
    }

    /// True when edits exist that are not yet durable.
    pub fn has_unsaved(&self) -> bool {
        self.dirty
            || self.model.has_pending()
            || !self.unsaved_whole.is_empty()
            || self.erase_due
            || self.model.private_rewritten()
    }
}

impl Drop for Vault {
    fn drop(&mut self) {
        // The compaction holds the store (and redb's lock on the file) until it ends.
        self.settle();
    }
}

fn stored_peers(store: &Store) -> Result<Vec<([u8; 32], crate::PeerRecord)>, VaultError> {
    let mut out = Vec::new();
    for (id, bytes) in store.peers()? {
        match serde_json::from_slice(&bytes) {
            Ok(rec) => out.push((id, rec)),
            // A damaged record must not hide the others; the peer shows up as unpaired.
            Err(e) => tracing::warn!("skipping an unreadable paired-device record: {e}"),
        }
    }
    out.sort_by_key(|(_, r): &([u8; 32], crate::PeerRecord)| r.paired_at);
    Ok(out)
}

pub(crate) fn stored_network_settings(store: &Store) -> crate::NetworkSettings {
    store
        .get_setting(SETTING_NETWORK)
        .ok()
        .flatten()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Paired devices as stored, before the documents are loaded: none connected, none known to
/// be waiting (that needs the documents' heads).
pub(crate) fn stored_peer_views(store: &Store) -> Vec<crate::PeerView> {
    stored_peers(store)
        .unwrap_or_default()
        .into_iter()
        .map(|(id, rec)| crate::PeerView {
            id: hex::encode(id),
            scope: rec.scope.clone(),
            label: rec.label.clone(),
            connected: false,
            last_synced: rec.last_synced,
            pending: false,
            path: rec.last_path,
            addrs: rec.addrs.clone(),
        })
        .collect()
}

/// Loads a document as stored, saves it whole and replaces what it was loaded from.
fn compact_stored(store: &Store, key: DocKey) -> Result<(), String> {
    let Some((bytes, through)) = store.load_doc_through(key).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let doc = kintsugi_core::automerge::Automerge::load(&bytes).map_err(|e| e.to_string())?;
    let snapshot = doc.save();
    drop(doc);
    store
        .compact_through(key, &snapshot, through)
        .map_err(|e| e.to_string())
}

const SETTING_SECRET_KEY: &str = "device_secret_key";
const SETTING_NETWORK: &str = "network";
const SETTING_PORT: &str = "network_port";

/// Pairing and sync bookkeeping kept in the store.
impl Vault {
    /// This device's iroh secret key, created on first use.
    pub fn secret_key(&self) -> Result<[u8; 32], VaultError> {
        match self.store.get_setting(SETTING_SECRET_KEY)? {
            Some(b) => b.try_into().map_err(|_| VaultError::Identity {
                path: self.store.path().display().to_string(),
                what: "device key",
            }),
            None => {
                let key = kintsugi_sync::transport::generate_secret_key();
                self.store.put_setting(SETTING_SECRET_KEY, &key)?;
                Ok(key)
            }
        }
    }

    pub fn peers(&self) -> Result<Vec<([u8; 32], crate::PeerRecord)>, VaultError> {
        stored_peers(&self.store)
    }

    pub fn put_peer(&self, id: &[u8; 32], rec: &crate::PeerRecord) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec(rec).expect("plain data serialises");
        Ok(self.store.put_peer(id, &bytes)?)
    }

    /// Records `other` as a device paired with this one, as pairing stores it (its own device
    /// when both are the same partner's, else the partner's), and trusts its key for authors.
    /// For tools and tests that put two devices' documents together without a network; the
    /// window and the CLI pair through the pairing protocol.
    pub fn pair_with(
        &mut self,
        other: &Vault,
        label: &str,
        at: Timestamp,
    ) -> Result<(), VaultError> {
        let id = kintsugi_sync::transport::endpoint_id_of(&other.secret_key()?);
        let own = self.me() == other.me();
        let rec = crate::PeerRecord {
            scope: if own { "own_device" } else { "partner" }.into(),
            addrs: Vec::new(),
            label: label.into(),
            paired_at: at,
            last_synced: None,
            synced_heads: Vec::new(),
            addr_seen: Default::default(),
            last_path: None,
        };
        self.put_peer(&id, &rec)?;
        self.refresh_trust()
    }

    pub fn remove_peer(&mut self, id: &[u8; 32]) -> Result<bool, VaultError> {
        let removed = self.store.remove_peer(id)?;
        self.refresh_trust()?;
        Ok(removed)
    }

    pub fn network_settings(&self) -> crate::NetworkSettings {
        stored_network_settings(&self.store)
    }

    pub fn set_network_settings(&self, s: &crate::NetworkSettings) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec(s).expect("plain data serialises");
        Ok(self.store.put_setting(SETTING_NETWORK, &bytes)?)
    }

    /// The UDP port used last time, so paired devices' remembered addresses stay valid.
    pub fn network_port(&self) -> Option<u16> {
        let b = self.store.get_setting(SETTING_PORT).ok()??;
        Some(u16::from_be_bytes(b.try_into().ok()?))
    }

    pub fn set_network_port(&self, port: u16) -> Result<(), VaultError> {
        Ok(self.store.put_setting(SETTING_PORT, &port.to_be_bytes())?)
    }

    /// Every paired device with its sync status. "Waiting" is derived: our heads differ from
    /// those recorded when that device was last in sync (or typing is not yet committed).
    pub fn peer_views(&mut self, connected: impl Fn(&[u8; 32]) -> bool) -> Vec<crate::PeerView> {
        let typing = self.model.has_pending();
        self.peers()
            .unwrap_or_default()
            .into_iter()
            .map(|(id, rec)| crate::PeerView {
                id: hex::encode(id),
                scope: rec.scope.clone(),
                label: rec.label.clone(),
                connected: connected(&id),
                last_synced: rec.last_synced,
                // Short-circuits: reading heads would close the open typing transaction.
                pending: typing || self.heads_for(rec.scope()) != rec.synced_heads,
                path: rec.last_path,
                addrs: rec.addrs.clone(),
            })
            .collect()
    }

    /// Heads of the documents a peer of `scope` shares with us, as hex.
    pub fn heads_for(&mut self, scope: kintsugi_sync::session::Scope) -> Vec<String> {
        let mut kinds = vec![DocKind::Couple];
        if scope == kintsugi_sync::session::Scope::OwnDevice {
            kinds.push(DocKind::Private);
        }
        let mut heads = Vec::new();
        for k in kinds {
            for h in self.model.doc_mut(k).get_heads() {
                heads.push(format!("{}:{h}", k.name()));
            }
        }
        heads
    }

    /// Becomes the partner identity of the device that invited this one as an own device.
    pub fn adopt_identity(&mut self, me: PartnerId) -> Result<(), VaultError> {
        let path = self.store.path().display().to_string();
        self.model
            .adopt_identity(me.clone())
            .map_err(|source| VaultError::Document {
                doc: "private",
                path,
                source: Box::new(source),
            })?;
        self.store.put_setting(SETTING_PARTNER, me.0.as_bytes())?;
        Ok(())
    }

    pub fn load_sync_states(&self, peer: &[u8; 32]) -> Vec<(DocKind, Vec<u8>)> {
        DocKind::ALL
            .into_iter()
            .filter_map(|k| Some((k, self.store.sync_state(peer, key(k)).ok()??)))
            .collect()
    }

    /// Heads of the private document this device knows it shared with an own device: the
    /// common points of every stored private sync state.
    pub fn private_agreed_heads(&self) -> Vec<kintsugi_core::automerge::ChangeHash> {
        let mut heads = Vec::new();
        for (_, bytes) in self
            .store
            .sync_states_of(key(DocKind::Private))
            .unwrap_or_default()
        {
            if let Ok(state) = kintsugi_core::automerge::sync::State::decode(&bytes) {
                heads.extend(state.shared_heads);
            }
        }
        heads.sort();
        heads.dedup();
        heads
    }

    pub fn save_sync_state(&self, peer: &[u8; 32], kind: DocKind, state: &[u8]) {
        if let Err(e) = self.store.put_sync_state(peer, key(kind), state) {
            // Only costs a longer reconnect next time.
            tracing::warn!("could not keep the sync state: {e}");
        }
    }
}
