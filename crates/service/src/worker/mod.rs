//! A thread that owns the vault and the sync node; the UI and CLI only send requests and read snapshots.

mod commands;
mod host;
mod lock;
mod net;
mod pairing;

use std::collections::{HashMap, HashSet};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kintsugi_core::{Command, Timestamp, View};
use kintsugi_sync::Paired;
use kintsugi_sync::transport::StatusEvent;

pub use host::VaultDocs;
pub use lock::{AUTO_LOCK_CHOICES, LockView, PassphraseChange, PassphraseJob, UnlockFailure};
pub use net::NetOptions;
pub use pairing::check_pairing_code;

use crate::peers::{
    ConnectionPath, InviteView, NetError, NetworkSettings, PairingOutcome, Refusal, RelayView,
    SyncView,
};
use crate::vault::{Vault, VaultError};
use net::Net;

/// Typing is committed once the keyboard has been quiet this long…
pub const TYPING_PAUSE: Duration = Duration::from_millis(250);
/// …or, during continuous typing, at least this often.
pub const TYPING_MAX_BATCH: Duration = Duration::from_secs(2);
/// The view cache is rewritten once nothing has happened for this long (and at close and lock).
pub const VIEW_CACHE_IDLE: Duration = Duration::from_secs(15);
/// How long a pairing code stays valid.
pub const INVITE_TTL: Duration = Duration::from_secs(10 * 60);

/// Whether what the person sees is on disk.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    /// Everything shown is durable; `at` is when the last write finished.
    Saved { at: Option<Timestamp> },
    /// Edits exist that are not yet written (within a typing pause).
    Pending,
    /// The last write failed; edits are kept in memory and retried.
    Failed(String),
}

/// What the UI reads each frame: an immutable view plus status.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub view: Arc<View>,
    /// Increases with every change to `view`.
    pub revision: u64,
    pub save: SaveState,
    /// The most recent refused request, with the number of requests sent before it answered.
    /// The most recent refusal, numbered by the request it answers. A refused `NetRequest` is
    /// typed, so the window picks its words by matching on `NetError::failure`, not on text.
    pub last_error: Option<(u64, Refusal)>,
    /// How many requests the worker has processed.
    pub processed: u64,
    pub sync: Arc<SyncView>,
    /// The app lock: whether a passphrase is set, whether the data is locked now, and the
    /// progress of setting, changing or removing the passphrase.
    pub lock: LockView,
    /// The documents are still loading: `view` is the cached one from the last time this data
    /// was open. Commands wait (queued, not lost) until the documents are loaded.
    pub loading: bool,
    /// The documents could not be opened after all (the window then shows only this).
    pub open_error: Option<String>,
}

/// Pairing and network requests.
#[derive(Clone, Debug, PartialEq)]
pub enum NetRequest {
    /// Start the network node (it starts by itself when devices are paired).
    GoOnline,
    /// Show a pairing code for the partner's device, or for one of my own.
    Invite {
        own_device: bool,
    },
    CancelInvite,
    /// Join with a code typed or pasted from the other device.
    Join {
        code: String,
    },
    /// Forget a paired device (id or its first hex digits); works offline too.
    Unpair {
        id: String,
    },
    SetSettings(NetworkSettings),
    /// The person has read the pairing result.
    DismissOutcome,
}

enum Request {
    Command(Command),
    /// A read of the documents on the worker's thread, e.g. a copy to compute history on.
    Read(Box<dyn FnOnce(&Vault) + Send>),
    Net(NetRequest),
    Flush,
    Shutdown,
    Event(StatusEvent),
    Joined(Result<Paired, NetError>),
    RemoteChanged,
    /// Save, stop the network, drop the documents and wipe the store's key.
    Lock,
    /// Reopen the locked data with this passphrase.
    Unlock(secrecy::SecretString),
    Passphrase(lock::PassphraseRequest),
    /// Minutes without input before the window locks; None = never.
    SetAutoLock(Option<u32>),
    /// Show a pairing code for a device of my own: with a passphrase set, only with it.
    InviteOwnDevice(Option<secrecy::SecretString>),
}

struct Shared {
    snapshot: Mutex<Arc<Snapshot>>,
    changed: Condvar,
    on_update: Mutex<Option<Box<dyn Fn() + Send>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge saving: the data behind the lock is consistent per call.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The UI's end of the worker; cheap to clone.
#[derive(Clone)]
pub struct Handle {
    tx: Sender<Request>,
    shared: Arc<Shared>,
    sent: Arc<Mutex<u64>>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

/// Starts the worker that owns `vault` from now on, with the default network options. The
/// binary passes `NetOptions::from_env()` to `spawn_with` instead, refusing bad values: a
/// silent fallback would turn a mistyped loopback address into every interface.
pub fn spawn(vault: Vault) -> Handle {
    spawn_with(vault, NetOptions::default())
}

pub fn spawn_with(vault: Vault, opts: NetOptions) -> Handle {
    start(Some(vault), None, opts)
}

/// Starts a worker for `data_dir`: open at once when the data has no passphrase, otherwise
/// locked (an empty view, no network) until [`Handle::unlock`]. The window starts this way.
///
/// The documents load on the worker (`Snapshot::loading`); with a view cache that matches
/// them, the first snapshot already shows it.
pub fn spawn_at(data_dir: &std::path::Path, opts: NetOptions) -> Result<Handle, VaultError> {
    let dir = data_dir.to_path_buf();
    match Vault::open_store(data_dir, None) {
        // The documents load on the worker either way: after years of use that takes seconds,
        // which must not keep the window from opening.
        Ok(opened) => {
            let cached = opened.cached_view().map(|c| c.view);
            Ok(start_loading(opened, cached, dir, opts))
        }
        Err(VaultError::Locked { .. }) => Ok(start(None, Some(dir), opts)),
        Err(e) => Err(e),
    }
}

/// A worker whose documents load on its own thread, the cached view (if any; else an empty
/// one, with `loading` set) shown meanwhile.
fn start_loading(
    opened: crate::OpenedStore,
    cached: Option<View>,
    dir: std::path::PathBuf,
    opts: NetOptions,
) -> Handle {
    let shared = Arc::new(Shared {
        snapshot: Mutex::new(Arc::new(lock::loading_snapshot(
            &opened,
            cached.unwrap_or_default(),
            lock::Carry::default(),
        ))),
        changed: Condvar::new(),
        on_update: Mutex::new(None),
    });
    launch(lock::Start::Load(opened), dir, opts, shared)
}

fn start(vault: Option<Vault>, dir: Option<std::path::PathBuf>, opts: NetOptions) -> Handle {
    let Some(mut vault) = vault else {
        let dir = dir.expect("a locked start names its data directory");
        let shared = Arc::new(Shared {
            snapshot: Mutex::new(Arc::new(lock::locked_snapshot(0, 0, None, None))),
            changed: Condvar::new(),
            on_update: Mutex::new(None),
        });
        return launch(lock::Start::Locked, dir, opts, shared);
    };
    let dir = dir.unwrap_or_else(|| lock::data_dir_of(&vault));
    let view = Arc::new(vault.refresh_view());
    // The first snapshot already holds what is stored: a screen that reads it before the
    // worker's first publish (Settings fills its boxes once) must not see defaults it could
    // then save back over the real settings.
    let sync = Arc::new(SyncView {
        peers: vault.peer_views(|_| false),
        settings: vault.network_settings(),
        ..SyncView::default()
    });
    let shared = Arc::new(Shared {
        snapshot: Mutex::new(Arc::new(Snapshot {
            view,
            revision: 0,
            save: SaveState::Saved { at: None },
            last_error: None,
            processed: 0,
            sync,
            lock: lock::unlocked_view(&vault),
            loading: false,
            open_error: None,
        })),
        changed: Condvar::new(),
        on_update: Mutex::new(None),
    });
    launch(lock::Start::Open(Box::new(vault)), dir, opts, shared)
}

fn launch(
    vault: lock::Start,
    dir: std::path::PathBuf,
    opts: NetOptions,
    shared: Arc<Shared>,
) -> Handle {
    let (tx, rx) = channel();
    let s = shared.clone();
    let tx2 = tx.clone();
    let thread = std::thread::Builder::new()
        .name("kintsugi-vault".into())
        .spawn(move || lock::supervise(vault, dir, opts, tx2, s, rx))
        .expect("spawning a thread");
    Handle {
        tx,
        shared,
        sent: Arc::new(Mutex::new(0)),
        thread: Arc::new(Mutex::new(Some(thread))),
    }
}

impl Handle {
    pub fn send(&self, cmd: Command) {
        self.request(Request::Command(cmd));
    }

    pub fn net(&self, req: NetRequest) {
        self.request(Request::Net(req));
    }

    /// Shows a pairing code for another device of mine. A device of mine receives my private
    /// journal, so with a passphrase set it must be given again (someone at an unlocked
    /// window is not necessarily its owner); a wrong or missing one is refused.
    pub fn invite_own_device(&self, passphrase: Option<secrecy::SecretString>) {
        self.request(Request::InviteOwnDevice(passphrase));
    }

    fn request(&self, r: Request) {
        *lock(&self.sent) += 1;
        let _ = self.tx.send(r);
    }

    /// Runs `f` on the worker's thread with the vault and sends back its result; for the UI to
    /// take a copy of a document (`Model::couple_doc`) and do the slow part on its own thread.
    /// The receiver gets nothing if the worker has stopped.
    pub fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Vault) -> T + Send + 'static,
    ) -> std::sync::mpsc::Receiver<T> {
        let (tx, rx) = channel();
        let _ = self.tx.send(Request::Read(Box::new(move |v: &Vault| {
            let _ = tx.send(f(v));
        })));
        rx
    }

    /// Saves open typing now (the text box lost focus, the window is closing).
    pub fn flush(&self) {
        let _ = self.tx.send(Request::Flush);
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        lock(&self.shared.snapshot).clone()
    }

    /// Called from the worker after every new snapshot, e.g. to wake the egui event loop.
    pub fn on_update(&self, f: impl Fn() + Send + 'static) {
        *lock(&self.shared.on_update) = Some(Box::new(f));
    }

    /// Number of requests sent so far (compare with `Snapshot::processed`).
    pub fn sent(&self) -> u64 {
        *lock(&self.sent)
    }

    /// Blocks until `done` holds for a snapshot, or the timeout passes. Never on a frame.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&Snapshot) -> bool,
    ) -> Option<Arc<Snapshot>> {
        let deadline = Instant::now() + timeout;
        let mut snap = lock(&self.shared.snapshot);
        loop {
            if done(&snap) {
                return Some(snap.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            snap = self
                .shared
                .changed
                .wait_timeout(snap, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Blocks until every request sent so far is processed and saved (and the documents are
    /// loaded), or the timeout passes.
    pub fn wait_saved(&self, timeout: Duration) -> bool {
        self.flush();
        let sent = self.sent();
        // While the documents load, the cached view is shown and nothing can be saved yet.
        self.wait_for(timeout, |s| {
            s.processed >= sent && matches!(s.save, SaveState::Saved { .. }) && !s.loading
        })
        .is_some()
    }

    /// Saves everything, stops the network and the worker.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Request::Shutdown);
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

struct Worker {
    vault: Arc<Mutex<Vault>>,
    opts: NetOptions,
    tx: Sender<Request>,
    shared: Arc<Shared>,
    net: Option<Net>,
    net_error: Option<String>,
    device_id: String,
    connected: HashSet<[u8; 32]>,
    /// How each connected peer is reached now.
    paths: HashMap<[u8; 32], ConnectionPath>,
    /// The relay's state, while one is set and the node runs.
    relay: Option<RelayView>,
    invite: Option<InviteView>,
    joining: bool,
    outcome: Option<PairingOutcome>,
    warning: Option<String>,
    processed: u64,
    revision: u64,
    last_error: Option<(u64, Refusal)>,
    save: SaveState,
    /// Typing waiting to be committed: (first unsaved keystroke, last keystroke).
    typing: Option<(Instant, Instant)>,
    /// The last passphrase change asked for, with its progress and result.
    job: Option<PassphraseJob>,
    /// Minutes without input before the window locks (stored in the encrypted settings).
    auto_lock: Option<u32>,
    /// The documents' heads when the published view was read (None if typing was open then).
    view_heads: Option<Vec<String>>,
    /// When the last request arrived: the view cache is written once it has been quiet.
    last_activity: Instant,
    /// Typing is applied at once but read into the view only when it is committed (at the
    /// typing pause): a view read with typing open cannot reuse the previous read's items.
    /// Until then the snapshot counts requests up to the one before that typing, so a text
    /// box does not take the view (without its own typing) for someone else's edit.
    typing_unviewed: Option<u64>,
}

impl Worker {
    fn new(
        vault: Vault,
        opts: NetOptions,
        tx: Sender<Request>,
        shared: Arc<Shared>,
        carry: lock::Carry,
    ) -> Self {
        let auto_lock = lock::stored_auto_lock(&vault);
        Worker {
            vault: Arc::new(Mutex::new(vault)),
            opts,
            tx,
            shared,
            net: None,
            net_error: None,
            device_id: String::new(),
            connected: HashSet::new(),
            paths: HashMap::new(),
            relay: None,
            invite: None,
            joining: false,
            outcome: None,
            warning: None,
            processed: carry.processed,
            revision: carry.revision,
            last_error: carry.last_error,
            save: SaveState::Saved { at: None },
            typing: None,
            job: None,
            auto_lock,
            view_heads: None,
            last_activity: Instant::now(),
            typing_unviewed: None,
        }
    }

    /// Writes the view cache if it is out of date and everything is saved; a running
    /// compaction is awaited first when `settle` (closing, locking), else the cache waits.
    pub(super) fn write_view_cache(&mut self, settle: bool) {
        let mut v = lock(&self.vault);
        if settle {
            v.settle();
        }
        if !v.view_cache_stale() || v.has_unsaved() {
            return;
        }
        let heads = v.heads();
        let view = if self.view_heads.as_ref() == Some(&heads) {
            lock(&self.shared.snapshot).view.clone()
        } else {
            Arc::new(v.refresh_view())
        };
        v.write_view_cache(&view, &heads);
    }

    fn sync_view(&self) -> SyncView {
        let mut v = lock(&self.vault);
        let mut peers = v.peer_views(|id| self.connected.contains(id));
        for p in &mut peers {
            if p.connected
                && let Some(path) = hex::decode(&p.id)
                    .ok()
                    .and_then(|id| <[u8; 32]>::try_from(id).ok())
                    .and_then(|id| self.paths.get(&id))
            {
                p.path = Some(*path);
            }
        }
        SyncView {
            online: self.net.is_some(),
            error: self.net_error.clone(),
            device_id: self.device_id.clone(),
            peers,
            invite: self.invite.clone(),
            joining: self.joining,
            outcome: self.outcome.clone(),
            settings: v.network_settings(),
            warning: self.warning.clone(),
            relay: self.relay.clone(),
        }
    }

    fn publish(&mut self, view_changed: bool) {
        let sync = Arc::new(self.sync_view());
        let view = if view_changed {
            self.revision += 1;
            let mut v = lock(&self.vault);
            let view = Arc::new(v.refresh_view());
            self.typing_unviewed = None;
            // Known only with nothing pending: reading heads would commit open typing.
            self.view_heads = (!v.model().has_pending()).then(|| v.heads());
            Some(view)
        } else {
            None
        };
        {
            let mut snap = lock(&self.shared.snapshot);
            let view = view.unwrap_or_else(|| snap.view.clone());
            *snap = Arc::new(Snapshot {
                view,
                revision: self.revision,
                save: self.save.clone(),
                last_error: self.last_error.clone(),
                processed: self.typing_unviewed.unwrap_or(self.processed),
                sync,
                lock: self.lock_view(),
                loading: false,
                open_error: None,
            });
        }
        self.shared.changed.notify_all();
        if let Some(f) = lock(&self.shared.on_update).as_ref() {
            f();
        }
    }
}

fn short(id: &[u8; 32]) -> String {
    hex::encode(&id[..4])
}
