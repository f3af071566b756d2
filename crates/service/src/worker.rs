//! A thread that owns the vault and the sync node: the UI and CLI send requests and read
//! snapshots, never touching automerge, redb or the network themselves.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, TryRecvError, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kintsugi_core::{Command, DocKind, PartnerId, Timestamp, View};
use kintsugi_sync::PairingKind;
use kintsugi_sync::session::{DocAccess, DocName, Scope};
use kintsugi_sync::transport::{DocHost, NodeConfig, StatusEvent, SyncNode};
use kintsugi_sync::{Paired, PairingCode};

use crate::peers::{InviteView, NetworkSettings, PairingOutcome, PeerRecord, SyncView};
use crate::vault::{Vault, now_ms};

/// Typing is committed once the keyboard has been quiet this long…
pub const TYPING_PAUSE: Duration = Duration::from_millis(250);
/// …or, during continuous typing, at least this often.
pub const TYPING_MAX_BATCH: Duration = Duration::from_secs(2);
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
    pub last_error: Option<(u64, String)>,
    /// How many requests the worker has processed.
    pub processed: u64,
    pub sync: Arc<SyncView>,
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

/// How the worker reaches the network. Tests bind loopback only.
#[derive(Clone, Debug)]
pub struct NetOptions {
    /// Sockets to bind; None = all interfaces on the port used last time.
    pub bind: Option<Vec<SocketAddr>>,
    /// A fixed port instead of the one used last time.
    pub port: Option<u16>,
    /// Announce and find devices on the local network.
    pub mdns: bool,
    /// Start the node at once, even with no paired device.
    pub start: bool,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            bind: None,
            port: None,
            mdns: true,
            start: false,
        }
    }
}

impl NetOptions {
    /// Reads `KINTSUGI_BIND` (comma-separated socket addresses), `KINTSUGI_PORT` and
    /// `KINTSUGI_MDNS=0`, so the test suite can keep every endpoint on loopback.
    pub fn from_env() -> Result<NetOptions, String> {
        let mut o = NetOptions::default();
        if let Ok(b) = std::env::var("KINTSUGI_BIND") {
            let addrs = b
                .split(',')
                .map(|a| a.trim().parse::<SocketAddr>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    format!("KINTSUGI_BIND '{b}' is not a list of socket addresses: {e}")
                })?;
            o.bind = Some(addrs);
        }
        if let Ok(p) = std::env::var("KINTSUGI_PORT") {
            o.port = Some(
                p.parse()
                    .map_err(|_| format!("KINTSUGI_PORT '{p}' is not a port"))?,
            );
        }
        if std::env::var("KINTSUGI_MDNS").is_ok_and(|v| v == "0") {
            o.mdns = false;
        }
        Ok(o)
    }
}

enum Request {
    Command(Command),
    Net(NetRequest),
    Flush,
    Shutdown,
    Event(StatusEvent),
    Joined(Result<Paired, String>),
    RemoteChanged,
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

pub fn spawn_with(mut vault: Vault, opts: NetOptions) -> Handle {
    let view = Arc::new(vault.view());
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
        })),
        changed: Condvar::new(),
        on_update: Mutex::new(None),
    });
    let (tx, rx) = channel();
    let s = shared.clone();
    let tx2 = tx.clone();
    let thread = std::thread::Builder::new()
        .name("kintsugi-vault".into())
        .spawn(move || Worker::new(vault, opts, tx2, s).run(rx))
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

    fn request(&self, r: Request) {
        *lock(&self.sent) += 1;
        let _ = self.tx.send(r);
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

    /// Blocks until every request sent so far is processed and saved, or the timeout passes.
    pub fn wait_saved(&self, timeout: Duration) -> bool {
        self.flush();
        let sent = self.sent();
        self.wait_for(timeout, |s| {
            s.processed >= sent && matches!(s.save, SaveState::Saved { .. })
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

/// The sync node's view of the documents: the same vault the worker writes, behind a lock.
struct Host {
    vault: Arc<Mutex<Vault>>,
    tx: Mutex<Sender<Request>>,
}

struct Access<'a>(&'a mut Vault);

impl DocAccess for Access<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        // Which documents a peer may see is the session's rule (its scope); this only maps names.
        Some(self.0.model_mut().doc_mut(doc_kind(name)))
    }
}

fn doc_kind(name: DocName) -> DocKind {
    match name {
        DocName::Couple => DocKind::Couple,
        DocName::Private => DocKind::Private,
    }
}

impl DocHost for Host {
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess)) {
        let mut v = lock(&self.vault);
        f(&mut Access(&mut v));
    }

    fn remote_changed(&self, _peer: [u8; 32], _docs: &[DocName]) {
        let _ = lock(&self.tx).send(Request::RemoteChanged);
    }

    fn load_sync_states(&self, peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        lock(&self.vault)
            .load_sync_states(&peer)
            .into_iter()
            .map(|(k, s)| {
                let name = match k {
                    DocKind::Couple => DocName::Couple,
                    DocKind::Private => DocName::Private,
                };
                (name, s)
            })
            .collect()
    }

    fn save_sync_states(&self, peer: [u8; 32], states: Vec<(DocName, Vec<u8>)>) {
        let v = lock(&self.vault);
        for (name, s) in states {
            v.save_sync_state(&peer, doc_kind(name), &s);
        }
    }
}

struct Net {
    rt: tokio::runtime::Runtime,
    node: Arc<SyncNode>,
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
    invite: Option<InviteView>,
    joining: bool,
    outcome: Option<PairingOutcome>,
    warning: Option<String>,
    processed: u64,
    revision: u64,
    last_error: Option<(u64, String)>,
    save: SaveState,
    /// Typing waiting to be committed: (first unsaved keystroke, last keystroke).
    typing: Option<(Instant, Instant)>,
}

impl Worker {
    fn new(vault: Vault, opts: NetOptions, tx: Sender<Request>, shared: Arc<Shared>) -> Self {
        Worker {
            vault: Arc::new(Mutex::new(vault)),
            opts,
            tx,
            shared,
            net: None,
            net_error: None,
            device_id: String::new(),
            connected: HashSet::new(),
            invite: None,
            joining: false,
            outcome: None,
            warning: None,
            processed: 0,
            revision: 0,
            last_error: None,
            save: SaveState::Saved { at: None },
            typing: None,
        }
    }

    fn run(mut self, rx: Receiver<Request>) {
        let has_peers = lock(&self.vault).peers().is_ok_and(|p| !p.is_empty());
        if self.opts.start || has_peers {
            self.go_online();
        }
        self.publish(false);
        loop {
            let timeout = match self.typing {
                Some((first, last)) => (last + TYPING_PAUSE)
                    .min(first + TYPING_MAX_BATCH)
                    .saturating_duration_since(Instant::now()),
                // A failed save is retried every few seconds.
                None if matches!(self.save, SaveState::Failed(_)) => Duration::from_secs(3),
                None => Duration::from_secs(3600),
            };
            let mut save_now = false;
            let mut stop = false;
            let mut view_changed = false;
            let mut publish_due = false;
            let mut next = rx.recv_timeout(timeout);
            loop {
                match next {
                    Ok(Request::Command(cmd)) => {
                        self.processed += 1;
                        let typing = matches!(
                            cmd,
                            Command::SpliceJournalText { .. } | Command::SpliceSection { .. }
                        );
                        match lock(&self.vault).apply(cmd, now_ms()) {
                            Ok(()) if typing => {
                                let now = Instant::now();
                                self.typing =
                                    Some(self.typing.map_or((now, now), |(f, _)| (f, now)));
                                self.save = SaveState::Pending;
                                view_changed = true;
                            }
                            Ok(()) => {
                                save_now = true;
                                view_changed = true;
                            }
                            Err(e) => {
                                // The message can quote what the person typed: it goes to
                                // the window, never to the log.
                                tracing::info!("a command was refused");
                                self.last_error = Some((self.processed, e.to_string()));
                            }
                        }
                    }
                    Ok(Request::Net(req)) => {
                        self.processed += 1;
                        if let Err(e) = self.net_request(req) {
                            self.last_error = Some((self.processed, e));
                        }
                        view_changed = true;
                    }
                    Ok(Request::Event(ev)) => {
                        publish_due |= matches!(ev, StatusEvent::PeerConnected { .. });
                        view_changed |= self.event(ev);
                    }
                    Ok(Request::Joined(result)) => {
                        self.joined(result);
                        view_changed = true;
                    }
                    Ok(Request::RemoteChanged) => {
                        lock(&self.vault).mark_changed();
                        save_now = true;
                        view_changed = true;
                    }
                    Ok(Request::Flush) | Err(RecvTimeoutError::Timeout) => save_now = true,
                    Ok(Request::Shutdown) | Err(RecvTimeoutError::Disconnected) => {
                        save_now = true;
                        stop = true;
                    }
                }
                if stop {
                    break;
                }
                // Drain what queued up meanwhile: fast typing then costs one view rebuild, not
                // one per keystroke (the view of a year of data takes tens of milliseconds).
                next = match rx.try_recv() {
                    Ok(r) => Ok(r),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                };
            }
            if save_now && self.save_now() {
                publish_due = true;
            }
            if publish_due {
                view_changed |= self.publish_shares();
            }
            if stop {
                self.go_offline();
                self.publish(view_changed);
                return;
            }
            self.publish(view_changed);
        }
    }

    /// Returns whether anything was written.
    fn save_now(&mut self) -> bool {
        let mut vault = lock(&self.vault);
        if vault.has_unsaved() {
            self.typing = None;
            match vault.save(now_ms()) {
                Ok(wrote) => {
                    self.save = SaveState::Saved { at: Some(now_ms()) };
                    drop(vault);
                    // Push on local commit: paired devices online get it within a second.
                    if wrote && let Some(net) = &self.net {
                        net.node.notify_local_change();
                    }
                    return wrote;
                }
                Err(e) => {
                    tracing::error!("saving failed: {e}");
                    self.save = SaveState::Failed(e.to_string());
                }
            }
        } else if self.typing.is_none() && self.save == SaveState::Pending {
            self.save = SaveState::Saved { at: Some(now_ms()) };
        }
        false
    }

    /// Puts shared journal entries into the couple document, but only while a partner's
    /// device is connected: an entry shared and unshared again while apart never travels.
    /// Returns whether the documents changed.
    fn publish_shares(&mut self) -> bool {
        let mut v = lock(&self.vault);
        let partner_online = v.peers().is_ok_and(|peers| {
            peers
                .iter()
                .any(|(id, r)| r.scope() == Scope::Partner && self.connected.contains(id))
        });
        if !partner_online {
            return false;
        }
        match v.model_mut().publish_shares(now_ms()) {
            Ok(true) => {
                v.mark_changed();
                drop(v);
                self.save_now();
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::warn!("shared entries could not be published: {e}");
                false
            }
        }
    }

    fn go_online(&mut self) {
        if self.net.is_some() {
            return;
        }
        match self.start_node() {
            Ok(net) => {
                self.device_id = hex::encode(net.node.endpoint_id());
                self.net = Some(net);
                self.net_error = None;
            }
            Err(e) => {
                tracing::warn!("network could not start: {e}");
                self.net_error = Some(e);
            }
        }
    }

    fn start_node(&mut self) -> Result<Net, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kintsugi-net")
            .enable_all()
            .build()
            .map_err(|e| format!("could not start networking: {e}"))?;
        let (key, settings, peers, stored_port) = {
            let v = lock(&self.vault);
            let key = v.secret_key().map_err(|e| e.to_string())?;
            let peers = v.peers().map_err(|e| e.to_string())?;
            (key, v.network_settings(), peers, v.network_port())
        };
        let peers: Vec<_> = peers.iter().map(|(id, r)| r.to_paired_peer(*id)).collect();
        let host: Arc<dyn DocHost> = Arc::new(Host {
            vault: self.vault.clone(),
            tx: Mutex::new(self.tx.clone()),
        });
        let base = self.opts.bind.clone().unwrap_or_else(|| {
            vec![
                SocketAddr::from(([0, 0, 0, 0], 0)),
                SocketAddr::from(([0u16; 8], 0)),
            ]
        });
        // The port used last time keeps the addresses paired devices remember valid.
        let port = self.opts.port.or(stored_port);
        let with_port = |p: u16| -> Vec<SocketAddr> {
            base.iter()
                .map(|a| {
                    if a.port() == 0 {
                        SocketAddr::new(a.ip(), p)
                    } else {
                        *a
                    }
                })
                .collect()
        };
        let mut attempts = vec![];
        if let Some(p) = port {
            attempts.push(with_port(p));
        }
        if self.opts.port.is_none() {
            attempts.push(base.clone());
        }
        let mut last_err = String::new();
        for bind in attempts {
            let mut cfg = NodeConfig::new(key);
            cfg.bind_addrs = bind;
            cfg.relay_url = settings.relay_url.clone();
            cfg.port_mapping = settings.port_mapping;
            cfg.mdns = self.opts.mdns;
            match rt.block_on(SyncNode::spawn(cfg, host.clone(), peers.clone())) {
                Ok((node, mut events)) => {
                    let tx = self.tx.clone();
                    rt.spawn(async move {
                        while let Some(ev) = events.recv().await {
                            if tx.send(Request::Event(ev)).is_err() {
                                break;
                            }
                        }
                    });
                    let bound = node.addrs().iter().find_map(|a| match a {
                        kintsugi_sync::PairingAddr::Ip(s) => Some(s.port()),
                        _ => None,
                    });
                    if let Some(p) = bound
                        && Some(p) != stored_port
                        && let Err(e) = lock(&self.vault).set_network_port(p)
                    {
                        tracing::warn!("could not remember the network port: {e}");
                    }
                    return Ok(Net {
                        rt,
                        node: Arc::new(node),
                    });
                }
                Err(e) => last_err = e.to_string(),
            }
        }
        Err(last_err)
    }

    fn go_offline(&mut self) {
        if let Some(net) = self.net.take() {
            let node = net.node.clone();
            let _ = net.rt.block_on(async move {
                tokio::time::timeout(Duration::from_secs(5), node.shutdown()).await
            });
            net.rt.shutdown_timeout(Duration::from_secs(2));
        }
        self.connected.clear();
        self.invite = None;
    }

    fn net_request(&mut self, req: NetRequest) -> Result<(), String> {
        // Node methods spawn tasks: they need the runtime's context on this plain thread.
        let rt = self.net.as_ref().map(|n| n.rt.handle().clone());
        let _guard = rt.as_ref().map(|h| h.enter());
        match req {
            NetRequest::GoOnline => {
                self.go_online();
                self.net_error.clone().map_or(Ok(()), Err)
            }
            NetRequest::Invite { own_device } => {
                self.go_online();
                let rt = self.net.as_ref().map(|n| n.rt.handle().clone());
                let _guard = rt.as_ref().map(|h| h.enter());
                let net = self.net.as_ref().ok_or_else(|| self.offline_reason())?;
                let (kind, info) = {
                    let v = lock(&self.vault);
                    let view = v.view();
                    if !view.is_set_up() {
                        return Err("set up this device before inviting another one".into());
                    }
                    let info = if own_device {
                        serde_json::json!({ "partner_id": v.me().0 })
                    } else {
                        serde_json::json!({ "name": view.my_name })
                    };
                    let kind = if own_device {
                        PairingKind::OwnDevice
                    } else {
                        PairingKind::PartnerDevice
                    };
                    (kind, info.to_string().into_bytes())
                };
                let code = net.node.open_invite(kind, INVITE_TTL, info);
                self.outcome = None;
                self.invite = Some(InviteView {
                    code: code.to_text(),
                    own_device,
                    expires_at: code.expires_at as i64 * 1000,
                });
                Ok(())
            }
            NetRequest::CancelInvite => {
                if let Some(net) = &self.net {
                    net.node.close_invite();
                }
                self.invite = None;
                Ok(())
            }
            NetRequest::Join { code } => {
                let parsed = PairingCode::parse(&code).map_err(|e| e.to_string())?;
                if parsed.kind == PairingKind::OwnDevice && lock(&self.vault).view().is_set_up() {
                    return Err("this code adds a device as the inviter's own second device, but this device is already set up for someone; use it on a device that has not been set up yet".into());
                }
                self.go_online();
                let net = self.net.as_ref().ok_or_else(|| self.offline_reason())?;
                let info = serde_json::json!({ "name": lock(&self.vault).view().my_name })
                    .to_string()
                    .into_bytes();
                let node = net.node.clone();
                let tx = self.tx.clone();
                self.joining = true;
                self.outcome = None;
                net.rt.spawn(async move {
                    let r = node.join(&code, info).await.map_err(|e| e.to_string());
                    let _ = tx.send(Request::Joined(r));
                });
                Ok(())
            }
            NetRequest::Unpair { id } => {
                let v = lock(&self.vault);
                let peers = v.peers().map_err(|e| e.to_string())?;
                let matches: Vec<_> = peers
                    .iter()
                    .filter(|(pid, _)| hex::encode(pid).starts_with(&id.to_lowercase()))
                    .collect();
                let (pid, _) = match matches.as_slice() {
                    [one] => *one,
                    [] => return Err(format!("no paired device has the id {id}")),
                    _ => {
                        return Err(format!(
                            "more than one paired device starts with {id}; give more of the id"
                        ));
                    }
                };
                v.remove_peer(pid).map_err(|e| e.to_string())?;
                drop(v);
                if let Some(net) = &self.net {
                    net.node.remove_peer(*pid);
                }
                self.connected.remove(pid);
                Ok(())
            }
            NetRequest::SetSettings(s) => {
                if let Some(url) = &s.relay_url
                    && !(url.starts_with("https://") || url.starts_with("http://"))
                {
                    return Err(format!(
                        "'{url}' is not a relay address like https://relay.example.org"
                    ));
                }
                lock(&self.vault)
                    .set_network_settings(&s)
                    .map_err(|e| e.to_string())?;
                // Restart so the new settings apply; sessions reconnect by themselves.
                if self.net.is_some() {
                    self.go_offline();
                    self.go_online();
                }
                Ok(())
            }
            NetRequest::DismissOutcome => {
                self.outcome = None;
                Ok(())
            }
        }
    }

    fn offline_reason(&self) -> String {
        self.net_error
            .clone()
            .unwrap_or_else(|| "the network could not be started".into())
    }

    /// Returns whether the view changed.
    fn event(&mut self, ev: StatusEvent) -> bool {
        match ev {
            StatusEvent::PeerConnected { peer } => {
                self.connected.insert(peer);
            }
            StatusEvent::PeerDisconnected { peer, reason } => {
                tracing::info!(peer = %short(&peer), "disconnected: {reason}");
                self.connected.remove(&peer);
            }
            StatusEvent::InSync { peer, at } => {
                let at = at
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or_else(|_| now_ms());
                let mut v = lock(&self.vault);
                if let Ok(peers) = v.peers()
                    && let Some((_, mut rec)) = peers.into_iter().find(|(id, _)| *id == peer)
                {
                    let heads = if v.model().has_pending() {
                        Vec::new()
                    } else {
                        v.heads_for(rec.scope())
                    };
                    rec.last_synced = Some(at);
                    rec.synced_heads = heads;
                    if let Err(e) = v.put_peer(&peer, &rec) {
                        tracing::warn!("could not record the sync time: {e}");
                    }
                }
            }
            StatusEvent::Pending { .. } | StatusEvent::RemoteChanged { .. } => {}
            StatusEvent::ScopeViolation { peer, doc } => {
                tracing::warn!(peer = %short(&peer), ?doc, "refused data outside the device's scope");
                self.warning = Some(format!(
                    "A paired device ({}) sent changes to a document it is not allowed to change. They were refused; nothing of yours changed.",
                    short(&peer)
                ));
            }
            StatusEvent::Refused { peer } => {
                tracing::info!(peer = %short(&peer), "refused an unpaired device");
            }
            StatusEvent::Paired(p) => self.paired(p),
            StatusEvent::InviteClosed => self.invite = None,
        }
        false
    }

    fn joined(&mut self, result: Result<Paired, String>) {
        self.joining = false;
        match result {
            Ok(p) => {
                if p.kind == PairingKind::OwnDevice {
                    let id = serde_json::from_slice::<serde_json::Value>(&p.info)
                        .ok()
                        .and_then(|v| v.get("partner_id")?.as_str().map(str::to_owned));
                    let adopted = match id {
                        Some(id) => lock(&self.vault)
                            .adopt_identity(PartnerId(id))
                            .map_err(|e| e.to_string()),
                        None => Err("the other device did not say whose device it is".into()),
                    };
                    if let Err(e) = adopted {
                        if let Some(net) = &self.net {
                            net.node.remove_peer(p.peer);
                        }
                        self.outcome = Some(PairingOutcome::Failed(e));
                        return;
                    }
                }
                self.paired(p);
            }
            Err(e) => self.outcome = Some(PairingOutcome::Failed(e)),
        }
    }

    fn paired(&mut self, p: Paired) {
        let own_device = p.kind == PairingKind::OwnDevice;
        let v = lock(&self.vault);
        let view = v.view();
        let label = if own_device {
            "My other device".to_owned()
        } else {
            let theirs = serde_json::from_slice::<serde_json::Value>(&p.info)
                .ok()
                .and_then(|j| j.get("name")?.as_str().map(str::to_owned))
                .filter(|n| !n.trim().is_empty());
            let name = if view.partner_name.is_empty() {
                theirs.unwrap_or_else(|| "Partner".into())
            } else {
                view.partner_name.clone()
            };
            format!("{name}'s device")
        };
        let rec = PeerRecord {
            scope: PeerRecord::scope_name(p.kind.scope()).to_owned(),
            addrs: PeerRecord::addrs_of(&p.addrs),
            label,
            paired_at: now_ms(),
            last_synced: None,
            synced_heads: Vec::new(),
        };
        if let Err(e) = v.put_peer(&p.peer, &rec) {
            self.outcome = Some(PairingOutcome::Failed(format!(
                "paired, but this device could not remember it: {e}"
            )));
            return;
        }
        drop(v);
        self.invite = None;
        self.outcome = Some(PairingOutcome::Paired {
            safety_code: p.safety_code.clone(),
            peer: hex::encode(p.peer),
            own_device,
        });
    }

    fn sync_view(&self) -> SyncView {
        let mut v = lock(&self.vault);
        let peers = v.peer_views(|id| self.connected.contains(id));
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
        }
    }

    fn publish(&mut self, view_changed: bool) {
        let sync = Arc::new(self.sync_view());
        let view = if view_changed {
            self.revision += 1;
            Some(Arc::new(lock(&self.vault).view()))
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
                processed: self.processed,
                sync,
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
