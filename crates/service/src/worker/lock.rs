//! The app lock: locking drops the vault (documents, store and its key) and stops the network;
//! unlocking opens the data again and starts a fresh worker on the same thread and channel, so
//! every `Handle` clone stays valid. Setting, changing and removing the passphrase run here too,
//! because the worker owns the vault.
//!
//! What is wiped and what is not: the store's data key is a `Zeroizing` array (wiped when the
//! store is locked or dropped) and passphrases travel as `SecretString` (wiped when dropped). The
//! decrypted documents (automerge's own buffers) and the `View` built from them are plain heap
//! memory: they are freed, not overwritten, once the last copy is dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

use kintsugi_core::View;
use kintsugi_store::{KdfParams, Progress};
use secrecy::SecretString;

use super::{Handle, NetOptions, Request, SaveState, Shared, Snapshot, Worker, lock};
use crate::peers::{Refusal, SyncView};
use crate::vault::{Vault, VaultError};

/// Where the idle lock time is kept: in the store's settings, which a passphrase encrypts.
const SETTING_AUTO_LOCK: &str = "auto_lock_minutes";
/// The idle times the window offers (minutes).
pub const AUTO_LOCK_CHOICES: [u32; 4] = [1, 5, 15, 60];

/// What the window needs to know about the app lock.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LockView {
    /// A passphrase is set on this device's data.
    pub has_passphrase: bool,
    /// The data is locked: the view is empty, nothing syncs, only unlocking is possible.
    pub locked: bool,
    /// The most recent unlock that failed, numbered by its request.
    pub unlock_failed: Option<(u64, UnlockFailure)>,
    /// The most recent set, change or removal of the passphrase.
    pub job: Option<PassphraseJob>,
    /// Minutes without input before the window locks; None = never. Unknown (None) while locked.
    pub auto_lock_minutes: Option<u32>,
}

/// Why an unlock did not happen.
#[derive(Clone, Debug, PartialEq)]
pub enum UnlockFailure {
    /// The passphrase does not unlock this data. Nothing changed; trying again is always allowed.
    WrongPassphrase,
    /// Anything else (the data is open in another Kintsugi, a damaged file…), said as is.
    Other(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassphraseChange {
    Set,
    Change,
    Remove,
}

/// A passphrase change: asked for by request number `request`; `done` of `total` values
/// rewritten so far (setting, changing and removing each rewrite every value).
#[derive(Clone, Debug, PartialEq)]
pub struct PassphraseJob {
    pub request: u64,
    pub kind: PassphraseChange,
    pub done: u64,
    pub total: u64,
    /// None while running; the store's message when it failed (nothing was changed then).
    pub result: Option<Result<(), String>>,
}

pub(super) enum PassphraseRequest {
    Set(SecretString),
    /// The current passphrase, then the new one.
    Change(SecretString, SecretString),
    /// The current passphrase.
    Remove(SecretString),
}

/// What survives from one unlocked period to the next: the counters the window compares.
#[derive(Default)]
pub(super) struct Carry {
    pub processed: u64,
    pub revision: u64,
    pub last_error: Option<(u64, Refusal)>,
}

/// How the worker starts.
pub(super) enum Start {
    /// The documents are loaded.
    Open(Box<Vault>),
    /// The store is open and the cached view shown; the documents load on the worker.
    Load(crate::OpenedStore),
    /// A passphrase is needed first.
    Locked,
}

pub(super) enum Exit {
    Shutdown,
    Lock,
}

/// The data directory a vault was opened from (the parent of the database file).
pub(super) fn data_dir_of(vault: &Vault) -> PathBuf {
    vault
        .store()
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub(super) fn stored_auto_lock(vault: &Vault) -> Option<u32> {
    stored_auto_lock_in(vault.store())
}

fn stored_auto_lock_in(store: &kintsugi_store::Store) -> Option<u32> {
    let bytes = store.get_setting(SETTING_AUTO_LOCK).ok()??;
    let m: u32 = std::str::from_utf8(&bytes).ok()?.parse().ok()?;
    AUTO_LOCK_CHOICES.contains(&m).then_some(m)
}

pub(super) fn unlocked_view(vault: &Vault) -> LockView {
    LockView {
        has_passphrase: vault.store().is_encrypted(),
        auto_lock_minutes: stored_auto_lock(vault),
        ..LockView::default()
    }
}

/// The snapshot while locked: nothing of the documents, no network.
pub(super) fn locked_snapshot(
    processed: u64,
    revision: u64,
    last_error: Option<(u64, Refusal)>,
    unlock_failed: Option<(u64, UnlockFailure)>,
) -> Snapshot {
    Snapshot {
        view: Arc::new(View::default()),
        revision,
        save: SaveState::Saved { at: None },
        last_error,
        processed,
        sync: Arc::new(SyncView::default()),
        lock: LockView {
            has_passphrase: true,
            locked: true,
            unlock_failed,
            ..LockView::default()
        },
        loading: false,
        open_error: None,
    }
}

/// The snapshot while the documents load: the cached view, read-only; settings and paired
/// devices as stored (a screen that fills its boxes from the first snapshot must not see
/// defaults it could save back over the real settings).
pub(super) fn loading_snapshot(opened: &crate::OpenedStore, view: View, carry: Carry) -> Snapshot {
    let store = opened.store();
    let sync = SyncView {
        peers: crate::vault::stored_peer_views(store),
        settings: crate::vault::stored_network_settings(store),
        ..SyncView::default()
    };
    Snapshot {
        view: Arc::new(view),
        revision: carry.revision,
        save: SaveState::Saved { at: None },
        last_error: carry.last_error,
        processed: carry.processed,
        sync: Arc::new(sync),
        lock: LockView {
            has_passphrase: store.is_encrypted(),
            auto_lock_minutes: stored_auto_lock_in(store),
            ..LockView::default()
        },
        loading: true,
        open_error: None,
    }
}

fn set_snapshot(shared: &Shared, snap: Snapshot) {
    *lock(&shared.snapshot) = Arc::new(snap);
    shared.changed.notify_all();
    if let Some(f) = lock(&shared.on_update).as_ref() {
        f();
    }
}

/// The worker thread: serves an open vault until it is locked, then waits for the passphrase.
pub(super) fn supervise(
    start: Start,
    dir: PathBuf,
    opts: NetOptions,
    tx: Sender<Request>,
    shared: Arc<Shared>,
    rx: Receiver<Request>,
) {
    let mut carry = Carry::default();
    let (mut vault, mut loading) = match start {
        Start::Open(v) => (Some(*v), None),
        Start::Load(opened) => (None, Some(opened)),
        Start::Locked => (None, None),
    };
    let mut fresh = true;
    loop {
        if let Some(opened) = loading.take() {
            match Vault::load(opened) {
                Ok(v) => vault = Some(v),
                Err(e) => {
                    // The cache matched the stored bytes, so this is rare (memory, a file
                    // changed underneath); nothing was written. Say so and serve nothing.
                    tracing::error!("the documents could not be opened: {e}");
                    let mut snap = (**lock(&shared.snapshot)).clone();
                    snap.view = Arc::new(View::default());
                    snap.loading = false;
                    snap.open_error = Some(e.to_string());
                    set_snapshot(&shared, snap);
                    while let Ok(req) = rx.recv() {
                        if matches!(req, Request::Shutdown) {
                            return;
                        }
                    }
                    return;
                }
            }
            // The snapshot shows the cached view: replace it with the one read now.
            fresh = false;
        }
        if let Some(v) = vault.take() {
            let mut worker = Worker::new(v, opts.clone(), tx.clone(), shared.clone(), carry);
            if !fresh {
                // The snapshot shows the locked (empty) or cached view: build the real one.
                worker.publish(true);
            }
            let (worker, exit) = worker.run(&rx);
            carry = Carry {
                processed: worker.processed,
                revision: worker.revision + 1,
                last_error: worker.last_error.clone(),
            };
            wipe(worker);
            match exit {
                Exit::Shutdown => return,
                Exit::Lock => {}
            }
        }
        fresh = false;
        // Locked.
        let mut unlock_failed = None;
        set_snapshot(
            &shared,
            locked_snapshot(
                carry.processed,
                carry.revision,
                carry.last_error.clone(),
                None,
            ),
        );
        while vault.is_none() && loading.is_none() {
            let Ok(req) = rx.recv() else { return };
            match req {
                Request::Shutdown => return,
                Request::Unlock(pass) => {
                    carry.processed += 1;
                    match Vault::open_store(&dir, Some(&pass)) {
                        Ok(opened) => match opened.cached_view() {
                            // Unlocked: show the cached view while the documents load.
                            Some(cached) => {
                                let snap = loading_snapshot(
                                    &opened,
                                    cached.view,
                                    Carry {
                                        processed: carry.processed,
                                        revision: carry.revision,
                                        last_error: carry.last_error.clone(),
                                    },
                                );
                                set_snapshot(&shared, snap);
                                loading = Some(opened);
                            }
                            None => match Vault::load(opened) {
                                Ok(v) => vault = Some(v),
                                Err(e) => {
                                    unlock_failed =
                                        Some((carry.processed, UnlockFailure::Other(e.to_string())))
                                }
                            },
                        },
                        Err(e) => {
                            let why = match e {
                                VaultError::WrongPassphrase { .. }
                                | VaultError::Store(
                                    kintsugi_store::StoreError::WrongPassphrase { .. },
                                ) => UnlockFailure::WrongPassphrase,
                                other => UnlockFailure::Other(other.to_string()),
                            };
                            unlock_failed = Some((carry.processed, why));
                        }
                    }
                    drop(pass);
                }
                // Nothing to act on while locked; the window shows only the lock screen.
                Request::Command(_)
                | Request::Net(_)
                | Request::InviteOwnDevice(_)
                | Request::Lock
                | Request::Passphrase(_)
                | Request::SetAutoLock(_) => carry.processed += 1,
                // The receiver gets nothing: there is nothing to read.
                Request::Read(_) => {}
                // Left over from the network that was stopped.
                Request::Flush
                | Request::Event(_)
                | Request::Joined(_)
                | Request::RemoteChanged => {
                    continue;
                }
            }
            if vault.is_none() && loading.is_none() {
                set_snapshot(
                    &shared,
                    locked_snapshot(
                        carry.processed,
                        carry.revision,
                        carry.last_error.clone(),
                        unlock_failed.clone(),
                    ),
                );
            }
        }
    }
}

/// Drops the vault: the store's key is wiped first, then documents and store are freed.
fn wipe(worker: Worker) {
    let Worker { vault, .. } = worker;
    match Arc::try_unwrap(vault) {
        Ok(m) => {
            let v = m.into_inner().unwrap_or_else(|p| p.into_inner());
            v.store().lock();
            drop(v);
        }
        Err(shared) => {
            // Something of the stopped network still holds the vault: the key goes now, the
            // documents when that last copy is dropped.
            tracing::warn!("locking: the documents are still referenced by the stopped network");
            lock(&shared).store().lock();
        }
    }
}

impl Worker {
    pub(super) fn lock_view(&self) -> LockView {
        let v = lock(&self.vault);
        LockView {
            has_passphrase: v.store().is_encrypted(),
            locked: false,
            unlock_failed: None,
            job: self.job.clone(),
            auto_lock_minutes: self.auto_lock,
        }
    }

    pub(super) fn passphrase(&mut self, req: PassphraseRequest) {
        let kind = match req {
            PassphraseRequest::Set(_) => PassphraseChange::Set,
            PassphraseRequest::Change(..) => PassphraseChange::Change,
            PassphraseRequest::Remove(_) => PassphraseChange::Remove,
        };
        let mut job = PassphraseJob {
            request: self.processed,
            kind,
            done: 0,
            total: 0,
            result: None,
        };
        self.job = Some(job.clone());
        // Commands applied just before (the set-up screen's names) show from now on.
        self.publish(true);
        let shared = self.shared.clone();
        let mut last = Instant::now();
        let running = job.clone();
        let mut progress = |p: Progress| {
            if last.elapsed() >= Duration::from_millis(50) || p.done == p.total {
                last = Instant::now();
                let mut snap = (**lock(&shared.snapshot)).clone();
                snap.lock.job = Some(PassphraseJob {
                    done: p.done,
                    total: p.total,
                    ..running.clone()
                });
                set_snapshot(&shared, snap);
            }
        };
        let result = {
            let mut v = lock(&self.vault);
            // Each of them rewrites the whole store: no compaction may be halfway.
            v.settle();
            let store = v.store();
            match &req {
                PassphraseRequest::Set(p) => {
                    store.set_passphrase(p, KdfParams::DEFAULT, &mut progress)
                }
                // The current passphrase first: an unlocked window is not proof of ownership.
                PassphraseRequest::Change(current, p) => store
                    .check_passphrase(current)
                    .and_then(|()| store.change_passphrase(p, KdfParams::DEFAULT, &mut progress)),
                PassphraseRequest::Remove(current) => store
                    .check_passphrase(current)
                    .and_then(|()| store.remove_passphrase(&mut progress)),
            }
        };
        drop(req);
        if let Err(e) = &result {
            tracing::warn!("the passphrase was not changed: {e}");
        }
        job.result = Some(result.map_err(|e| e.to_string()));
        self.job = Some(job);
        self.publish(false);
    }

    pub(super) fn set_auto_lock(&mut self, minutes: Option<u32>) -> Result<(), String> {
        let v = lock(&self.vault);
        let written = match minutes {
            Some(m) if !AUTO_LOCK_CHOICES.contains(&m) => {
                return Err(format!("{m} minutes is not one of the idle times offered"));
            }
            Some(m) => v
                .store()
                .put_setting(SETTING_AUTO_LOCK, m.to_string().as_bytes()),
            None => v.store().delete_setting(SETTING_AUTO_LOCK),
        };
        drop(v);
        written.map_err(|e| e.to_string())?;
        self.auto_lock = minutes;
        Ok(())
    }
}

/// The app lock, from the window.
impl Handle {
    /// Saves, stops syncing and drops the documents and keys; the snapshot then shows
    /// `lock.locked`. Does nothing without a passphrase, and refuses (as `last_error`) when the
    /// latest changes cannot be saved.
    pub fn lock_now(&self) {
        self.request(Request::Lock);
    }

    /// Opens the locked data with `passphrase`; a wrong one shows as `lock.unlock_failed`.
    pub fn unlock(&self, passphrase: SecretString) {
        self.request(Request::Unlock(passphrase));
    }

    /// Encrypts every stored value under `passphrase` (with progress in `lock.job`).
    pub fn set_passphrase(&self, passphrase: SecretString) {
        self.request(Request::Passphrase(PassphraseRequest::Set(passphrase)));
    }

    /// Re-encrypts every stored value under a new data key wrapped by `passphrase` (with
    /// progress in `lock.job`), once `current` is shown to be the store's.
    pub fn change_passphrase(&self, current: SecretString, passphrase: SecretString) {
        self.request(Request::Passphrase(PassphraseRequest::Change(
            current, passphrase,
        )));
    }

    /// Decrypts every stored value and forgets the passphrase (with progress in `lock.job`),
    /// once `current` is shown to be the store's.
    pub fn remove_passphrase(&self, current: SecretString) {
        self.request(Request::Passphrase(PassphraseRequest::Remove(current)));
    }

    /// Minutes without input before the window locks (one of [`AUTO_LOCK_CHOICES`]), or never.
    pub fn set_auto_lock(&self, minutes: Option<u32>) {
        self.request(Request::SetAutoLock(minutes));
    }
}
