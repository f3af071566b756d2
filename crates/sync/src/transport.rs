//! iroh transport: endpoint with an allow-list, pairing over `kintsugi/pair/1`, and a sync node.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use automerge::AutoCommit;
use iroh::endpoint::{
    AfterHandshakeOutcome, Connection, EndpointHooks, PortmapperConfig, QuicTransportConfig,
    RecvStream, SendStream, Side, VarInt, presets,
};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, RelayUrl, SecretKey, TransportAddr};
use iroh_mdns_address_lookup::MdnsAddressLookup;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::pairing::{
    CodeError, Invite, Join, PairFrame, Paired, PairingAddr, PairingCode, PairingError, PairingKind,
};
use crate::session::{
    DocAccess, DocName, Frame, FrameError, LEN_PREFIX, MAX_FRAME_LEN, Scope, Session, SessionEvent,
    check_len,
};

/// ALPN of the document sync protocol.
pub const SYNC_ALPN: &[u8] = b"kintsugi/sync/1";
/// ALPN of the pairing exchange; offered only while an invite is open.
pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/1";
/// mDNS service name, so Kintsugi devices only find each other (not every iroh app).
pub const MDNS_SERVICE: &str = "kintsugi";

/// Pairing frames are tiny; anyone holding an open invite's address may send one, so the cap is
/// far below the sync frame limit.
const MAX_PAIR_FRAME: usize = 64 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
const SUPERVISOR_TICK: Duration = Duration::from_millis(200);

const CLOSE_NOT_PAIRED: u32 = 1;
const CLOSE_DUPLICATE: u32 = 2;
const CLOSE_PROTOCOL: u32 = 3;
const CLOSE_DONE: u32 = 4;
const CLOSE_UNPAIRED: u32 = 5;
const CLOSE_SHUTDOWN: u32 = 6;

/// A fresh identity; the caller stores the bytes (encrypted at rest) and passes them back
/// in [`NodeConfig::secret_key`].
pub fn generate_secret_key() -> [u8; 32] {
    SecretKey::generate().to_bytes()
}

/// The endpoint id (public key) for a secret key.
pub fn endpoint_id_of(secret_key: &[u8; 32]) -> [u8; 32] {
    *SecretKey::from_bytes(secret_key).public().as_bytes()
}

/// How the node reaches the network.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// This device's secret key (see [`generate_secret_key`]).
    pub secret_key: [u8; 32],
    /// Sockets to bind; empty means iroh's defaults (all IPv4 and IPv6 interfaces, random port).
    pub bind_addrs: Vec<SocketAddr>,
    /// Optional relay, off unless the user switched it on.
    pub relay_url: Option<String>,
    /// UPnP/PCP/NAT-PMP port mapping; off by default because it talks to the router.
    pub port_mapping: bool,
    /// Find paired devices on the local network via mDNS (service [`MDNS_SERVICE`]).
    pub mdns: bool,
    /// This couple's id, sent in every hello so two unrelated couples never mix.
    pub couple_id: Option<[u8; 16]>,
    /// First reconnect delay after a failed dial.
    pub min_backoff: Duration,
    /// Longest reconnect delay.
    pub max_backoff: Duration,
}

impl NodeConfig {
    /// Product defaults: no relay, no port mapping, mDNS on, all interfaces.
    pub fn new(secret_key: [u8; 32]) -> Self {
        Self {
            secret_key,
            bind_addrs: Vec::new(),
            relay_url: None,
            port_mapping: false,
            mdns: true,
            couple_id: None,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }

    /// Loopback only (127.0.0.1, random port), no mDNS: for tests and local tools.
    pub fn loopback(secret_key: [u8; 32]) -> Self {
        Self {
            bind_addrs: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            mdns: false,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            ..Self::new(secret_key)
        }
    }
}

/// A device this device is paired with. The embedder persists these and passes them to
/// [`SyncNode::spawn`]; new ones arrive via [`StatusEvent::Paired`] / [`SyncNode::join`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairedPeer {
    /// The peer's endpoint id.
    pub id: [u8; 32],
    /// What it may receive and change.
    pub scope: Scope,
    /// Last known direct addresses (mDNS may find newer ones).
    pub addrs: Vec<PairingAddr>,
}

impl PairedPeer {
    /// The peer as recorded from a finished pairing.
    pub fn from_paired(p: &Paired) -> Self {
        Self {
            id: p.peer,
            scope: p.kind.scope(),
            addrs: p.addrs.clone(),
        }
    }
}

/// Where the documents live. The embedder implements this over its own store.
///
/// All methods are called from tokio tasks; none is called while another holds the docs.
pub trait DocHost: Send + Sync + 'static {
    /// Runs `f` with the documents (lock them for the call). `f` does no I/O and returns fast.
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess));
    /// Remote changes were merged into `docs`: persist them and refresh views.
    /// Called outside `with_docs`, so it may call `with_docs` itself.
    fn remote_changed(&self, peer: [u8; 32], docs: &[DocName]);
    /// Saved sync states for a peer (see [`DocHost::save_sync_states`]).
    fn load_sync_states(&self, _peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        Vec::new()
    }
    /// Sync states to keep per peer; they make the next reconnect shorter. Optional.
    fn save_sync_states(&self, _peer: [u8; 32], _states: Vec<(DocName, Vec<u8>)>) {}
}

/// (peer id, document) → encoded sync state.
type SyncStateKey = ([u8; 32], DocName);

/// A simple in-memory [`DocHost`]; usable by embedders that persist on `remote_changed`
/// notifications from the status channel, and by tests.
#[derive(Default)]
pub struct MemoryDocHost {
    docs: Mutex<HashMap<DocName, AutoCommit>>,
    states: Mutex<HashMap<SyncStateKey, Vec<u8>>>,
    remote_changes: Mutex<HashMap<DocName, u64>>,
}

impl fmt::Debug for MemoryDocHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print documents: they hold private journal text.
        f.debug_struct("MemoryDocHost").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge sync forever; the data is still consistent per call.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemoryDocHost {
    /// Holds the given documents.
    pub fn new(docs: impl IntoIterator<Item = (DocName, AutoCommit)>) -> Self {
        Self {
            docs: Mutex::new(docs.into_iter().collect()),
            ..Default::default()
        }
    }

    /// Runs `f` on one document.
    pub fn with_doc<R>(&self, name: DocName, f: impl FnOnce(&mut AutoCommit) -> R) -> Option<R> {
        lock(&self.docs).get_mut(&name).map(f)
    }

    /// How many times remote changes were merged into `name`.
    pub fn remote_change_count(&self, name: DocName) -> u64 {
        lock(&self.remote_changes).get(&name).copied().unwrap_or(0)
    }
}

struct MapAccess<'a>(&'a mut HashMap<DocName, AutoCommit>);

impl DocAccess for MapAccess<'_> {
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
        self.0.get_mut(&name)
    }
}

impl DocHost for MemoryDocHost {
    fn with_docs(&self, f: &mut dyn FnMut(&mut dyn DocAccess)) {
        let mut docs = lock(&self.docs);
        f(&mut MapAccess(&mut docs));
    }

    fn remote_changed(&self, _peer: [u8; 32], docs: &[DocName]) {
        let mut c = lock(&self.remote_changes);
        for d in docs {
            *c.entry(*d).or_default() += 1;
        }
    }

    fn load_sync_states(&self, peer: [u8; 32]) -> Vec<(DocName, Vec<u8>)> {
        lock(&self.states)
            .iter()
            .filter(|((p, _), _)| *p == peer)
            .map(|((_, d), s)| (*d, s.clone()))
            .collect()
    }

    fn save_sync_states(&self, peer: [u8; 32], states: Vec<(DocName, Vec<u8>)>) {
        let mut m = lock(&self.states);
        for (d, s) in states {
            m.insert((peer, d), s);
        }
    }
}

/// What the UI needs to show sync status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusEvent {
    /// A session with a paired peer is up.
    PeerConnected {
        /// Peer id.
        peer: [u8; 32],
    },
    /// The session ended; the node keeps redialling with backoff.
    PeerDisconnected {
        /// Peer id.
        peer: [u8; 32],
        /// Why, for logs and a tooltip.
        reason: String,
    },
    /// Every document in scope is identical on both sides.
    InSync {
        /// Peer id.
        peer: [u8; 32],
        /// When: the "last synced" time.
        at: SystemTime,
    },
    /// Local changes were sent and not yet confirmed.
    Pending {
        /// Peer id.
        peer: [u8; 32],
    },
    /// Remote changes were merged (after [`DocHost::remote_changed`] returned).
    RemoteChanged {
        /// Peer id.
        peer: [u8; 32],
        /// Changed documents.
        docs: Vec<DocName>,
    },
    /// A paired peer sent data for a document outside its scope; it was dropped.
    ScopeViolation {
        /// Peer id.
        peer: [u8; 32],
        /// Refused document.
        doc: DocName,
    },
    /// An unpaired endpoint tried to connect and was refused before any data moved.
    Refused {
        /// Its endpoint id.
        peer: [u8; 32],
    },
    /// An invite was used: persist `PairedPeer::from_paired(&paired)`.
    Paired(Paired),
    /// The open invite expired or was used or closed.
    InviteClosed,
}

/// Transport failures.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Could not bind the endpoint.
    #[error("could not start networking: {0}")]
    Bind(String),
    /// Bad relay URL in the config.
    #[error("invalid relay URL: {0}")]
    RelayUrl(String),
    /// Could not connect.
    #[error("could not reach the other device: {0}")]
    Connect(String),
    /// Connection or stream failed.
    #[error("connection failed: {0}")]
    Io(String),
    /// The other side took too long.
    #[error("the other device did not answer in time")]
    Timeout,
    /// Bad bytes on the wire.
    #[error("protocol error: {0}")]
    Frame(#[from] FrameError),
    /// The session refused the peer.
    #[error(transparent)]
    Session(#[from] crate::session::SessionError),
    /// The pairing code could not be read.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// Pairing failed.
    #[error(transparent)]
    Pairing(#[from] PairingError),
    /// A key in a code is not a valid endpoint id.
    #[error("this pairing code is mistyped")]
    BadKey,
    /// The node is shut down.
    #[error("sync is stopped")]
    Stopped,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn to_endpoint_addr(id: EndpointId, addrs: &[PairingAddr]) -> EndpointAddr {
    let transport = addrs.iter().filter_map(|a| match a {
        PairingAddr::Ip(s) => Some(TransportAddr::Ip(*s)),
        PairingAddr::Relay(u) => u.parse::<RelayUrl>().ok().map(TransportAddr::Relay),
    });
    EndpointAddr::from_parts(id, transport)
}

fn from_endpoint_addr(addr: &EndpointAddr) -> Vec<PairingAddr> {
    let mut out: Vec<PairingAddr> = addr.ip_addrs().map(|s| PairingAddr::Ip(*s)).collect();
    out.extend(addr.relay_urls().map(|u| PairingAddr::Relay(u.to_string())));
    out
}

struct Active {
    id: u64,
    dialer: [u8; 32],
    conn: Connection,
}

#[derive(Default)]
struct DialState {
    dialing: bool,
    backoff: Duration,
    next_at: Option<Instant>,
}

/// State shared by the hooks, the protocol handlers, the supervisor and the session tasks.
struct Core {
    local_id: [u8; 32],
    config: NodeConfig,
    host: Arc<dyn DocHost>,
    status: mpsc::UnboundedSender<StatusEvent>,
    local_change: watch::Sender<u64>,
    shutdown: watch::Sender<bool>,
    peers: RwLock<HashMap<[u8; 32], PairedPeer>>,
    invite: Mutex<Option<Invite>>,
    joining: Mutex<HashSet<[u8; 32]>>,
    conns: Mutex<HashMap<[u8; 32], Active>>,
    dial: Mutex<HashMap<[u8; 32], DialState>>,
    next_conn_id: AtomicU64,
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("local_id", &short(&self.local_id))
            .finish_non_exhaustive()
    }
}

fn short(id: &[u8; 32]) -> String {
    id[..5].iter().map(|b| format!("{b:02x}")).collect()
}

impl Core {
    fn emit(&self, ev: StatusEvent) {
        // The embedder may have dropped the receiver; status is best-effort.
        let _ = self.status.send(ev);
    }

    fn peer(&self, id: &[u8; 32]) -> Option<PairedPeer> {
        self.peers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    fn peer_list(&self) -> Vec<PairedPeer> {
        self.peers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    fn add_peer(&self, peer: PairedPeer) {
        self.peers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(peer.id, peer);
    }

    fn invite_open(&self) -> bool {
        lock(&self.invite)
            .as_ref()
            .is_some_and(|i| i.is_open(now_unix()))
    }
}

/// Refuses every connection that is not to/from a paired peer (sync ALPN), or that is not a
/// pairing we started or an invite we opened (pair ALPN). Runs right after the TLS handshake
/// in both directions, before any stream is accepted.
#[derive(Debug)]
struct AllowList(Arc<Core>);

impl EndpointHooks for AllowList {
    async fn after_handshake(&self, conn: &Connection) -> AfterHandshakeOutcome {
        let remote = *conn.remote_id().as_bytes();
        let alpn = conn.alpn();
        let allowed = if alpn == SYNC_ALPN {
            self.0.peer(&remote).is_some()
        } else if alpn == PAIR_ALPN {
            match conn.side() {
                Side::Server => self.0.invite_open(),
                Side::Client => lock(&self.0.joining).contains(&remote),
            }
        } else {
            false
        };
        if allowed {
            AfterHandshakeOutcome::Accept
        } else {
            info!(peer = %short(&remote), "refused connection from/to an unpaired endpoint");
            if conn.side() == Side::Server {
                self.0.emit(StatusEvent::Refused { peer: remote });
            }
            AfterHandshakeOutcome::Reject {
                error_code: VarInt::from_u32(CLOSE_NOT_PAIRED),
                reason: b"not paired".to_vec(),
            }
        }
    }
}

async fn read_body(recv: &mut RecvStream, max: usize) -> Result<Option<Vec<u8>>, TransportError> {
    let mut prefix = [0u8; LEN_PREFIX];
    match recv.read_exact(&mut prefix).await {
        Ok(()) => {}
        // A clean finish between frames is the end of the stream, not an error.
        Err(iroh::endpoint::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(e) => return Err(TransportError::Io(e.to_string())),
    }
    let len = check_len(prefix)?;
    if len > max {
        return Err(FrameError::TooLarge(len).into());
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| TransportError::Io(e.to_string()))?;
    Ok(Some(body))
}

async fn write_frames(send: &mut SendStream, frames: Vec<Frame>) -> Result<(), TransportError> {
    for f in frames {
        let bytes = f.encode();
        if bytes.len() > MAX_FRAME_LEN + LEN_PREFIX {
            // The peer would refuse it; better to fail loudly here than loop forever.
            return Err(FrameError::TooLarge(bytes.len()).into());
        }
        send.write_all(&bytes)
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
    }
    Ok(())
}

/// Aborts a spawned task when dropped, so reader tasks never outlive their session.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_connection(
    core: Arc<Core>,
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    peer: PairedPeer,
    dialer: [u8; 32],
) {
    let conn_id = core.next_conn_id.fetch_add(1, Ordering::Relaxed);
    {
        let mut conns = lock(&core.conns);
        let had = conns.get(&peer.id);
        if let Some(existing) = had {
            // Both sides may dial at once; both keep the connection dialled by the lower id so
            // they agree without talking. A redial by the same side replaces a stale one.
            let keep_new = existing.dialer == dialer || dialer < existing.dialer;
            if !keep_new {
                conn.close(VarInt::from_u32(CLOSE_DUPLICATE), b"duplicate");
                return;
            }
            existing
                .conn
                .close(VarInt::from_u32(CLOSE_DUPLICATE), b"replaced");
        }
        let first = had.is_none();
        conns.insert(
            peer.id,
            Active {
                id: conn_id,
                dialer,
                conn: conn.clone(),
            },
        );
        if first {
            core.emit(StatusEvent::PeerConnected { peer: peer.id });
        }
    }
    let result = drive_session(&core, &conn, send, recv, &peer).await;
    let reason = match &result {
        Ok(()) => "closed".to_string(),
        Err(e) => e.to_string(),
    };
    debug!(peer = %short(&peer.id), %reason, "sync session ended");
    if let Err(TransportError::Session(_)) = &result {
        conn.close(VarInt::from_u32(CLOSE_PROTOCOL), b"protocol");
    }
    let mut conns = lock(&core.conns);
    if conns.get(&peer.id).is_some_and(|a| a.id == conn_id) {
        conns.remove(&peer.id);
        core.emit(StatusEvent::PeerDisconnected {
            peer: peer.id,
            reason,
        });
    }
}

async fn drive_session(
    core: &Arc<Core>,
    conn: &Connection,
    mut send: SendStream,
    mut recv: RecvStream,
    peer: &PairedPeer,
) -> Result<(), TransportError> {
    let mut session = Session::new(
        core.local_id,
        peer.scope,
        core.host.load_sync_states(peer.id),
    )
    .expect_peer(peer.id);
    if let Some(c) = core.config.couple_id {
        session = session.with_couple_id(c);
    }
    let mut first = session.start();
    // Resumed documents go out with the hello: one round trip less on reconnect.
    core.host
        .with_docs(&mut |docs| first.extend(session.poll(docs)));
    write_frames(&mut send, first).await?;

    // Reads are not cancel-safe, so a dedicated task owns the receive side.
    let (tx, mut rx) = mpsc::channel::<Result<Frame, TransportError>>(8);
    let reader = AbortOnDrop(tokio::spawn(async move {
        loop {
            let item = match read_body(&mut recv, MAX_FRAME_LEN).await {
                Ok(Some(body)) => Frame::decode_body(&body).map_err(TransportError::from),
                Ok(None) => break,
                Err(e) => Err(e),
            };
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
    }));

    let mut local_rx = core.local_change.subscribe();
    let mut shutdown_rx = core.shutdown.subscribe();
    let result = loop {
        tokio::select! {
            item = rx.recv() => {
                let Some(item) = item else { break Ok(()) };
                let frame = item?;
                let mut frame = Some(frame);
                let mut out = Ok((Vec::new(), Vec::new()));
                core.host.with_docs(&mut |docs| {
                    if let Some(f) = frame.take() {
                        out = session.receive(f, docs).map(|ev| (ev, session.poll(docs)));
                    }
                });
                let (events, frames) = out?;
                // Report merged changes before writing: a failed write must not hide them.
                handle_events(core, &mut session, peer, events);
                let sent = !frames.is_empty();
                write_frames(&mut send, frames).await?;
                if sent && !session.is_in_sync() {
                    core.emit(StatusEvent::Pending { peer: peer.id });
                }
            }
            changed = local_rx.changed() => {
                if changed.is_err() { break Ok(()) }
                let mut frames = Vec::new();
                core.host.with_docs(&mut |docs| frames = session.poll(docs));
                let sent = !frames.is_empty();
                write_frames(&mut send, frames).await?;
                if sent {
                    core.emit(StatusEvent::Pending { peer: peer.id });
                }
            }
            _ = shutdown_rx.changed() => break Ok(()),
            _ = conn.closed() => break Ok(()),
        }
    };
    drop(reader);
    core.host.save_sync_states(peer.id, session.sync_states());
    result
}

fn handle_events(core: &Core, session: &mut Session, peer: &PairedPeer, events: Vec<SessionEvent>) {
    let mut changed = Vec::new();
    for ev in events {
        match ev {
            SessionEvent::DocChanged(d) => {
                if !changed.contains(&d) {
                    changed.push(d);
                }
            }
            SessionEvent::PeerHello { docs, version, .. } => {
                debug!(peer = %short(&peer.id), version, ?docs, "peer hello");
            }
            SessionEvent::ScopeViolation { doc, .. } => {
                warn!(peer = %short(&peer.id), ?doc, "peer sent an out-of-scope document; dropped");
                core.emit(StatusEvent::ScopeViolation { peer: peer.id, doc });
            }
            SessionEvent::InSync => {
                core.host.save_sync_states(peer.id, session.sync_states());
                core.emit(StatusEvent::InSync {
                    peer: peer.id,
                    at: SystemTime::now(),
                });
            }
        }
    }
    if !changed.is_empty() {
        core.host.remote_changed(peer.id, &changed);
        core.emit(StatusEvent::RemoteChanged {
            peer: peer.id,
            docs: changed,
        });
    }
}

#[derive(Debug, Clone)]
struct SyncProtocol(Arc<Core>);

impl ProtocolHandler for SyncProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let remote = *conn.remote_id().as_bytes();
        // Second check after the hook: the peer may have been unpaired in between.
        let Some(peer) = self.0.peer(&remote) else {
            conn.close(VarInt::from_u32(CLOSE_NOT_PAIRED), b"not paired");
            return Ok(());
        };
        let (send, recv) = match tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.accept_bi()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                debug!(error = %e, "peer opened no stream");
                return Ok(());
            }
            Err(_) => {
                conn.close(VarInt::from_u32(CLOSE_PROTOCOL), b"timeout");
                return Ok(());
            }
        };
        run_connection(self.0.clone(), conn, send, recv, peer, remote).await;
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct PairProtocol {
    core: Arc<Core>,
    endpoint: Endpoint,
}

impl PairProtocol {
    async fn exchange(&self, conn: &Connection) -> Result<Option<Paired>, TransportError> {
        let remote = *conn.remote_id().as_bytes();
        let (mut send, mut recv) = tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.accept_bi())
            .await
            .map_err(|_| TransportError::Timeout)?
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let body = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_body(&mut recv, MAX_PAIR_FRAME))
            .await
            .map_err(|_| TransportError::Timeout)??
            .ok_or(FrameError::Truncated)?;
        let frame = PairFrame::decode_body(&body)?;
        let (reply, paired, closed) = {
            let mut guard = lock(&self.core.invite);
            match guard.as_mut() {
                Some(invite) => {
                    let (reply, paired) = invite.handle(remote, frame, now_unix());
                    let closed = !invite.is_open(now_unix());
                    if closed {
                        *guard = None;
                    }
                    (reply, paired, closed)
                }
                None => (
                    PairFrame::Refuse(crate::pairing::RefuseReason::NoInvite),
                    None,
                    false,
                ),
            }
        };
        if closed {
            self.endpoint.set_alpns(vec![SYNC_ALPN.to_vec()]);
            self.core.emit(StatusEvent::InviteClosed);
        }
        if let Some(p) = &paired {
            // Allow-list first, so the joiner's first sync dial is never refused.
            self.core.add_peer(PairedPeer::from_paired(p));
        }
        send.write_all(&reply.encode())
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        send.finish()
            .map_err(|e| TransportError::Io(e.to_string()))?;
        // Wait for the joiner to read the reply and hang up, bounded.
        let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, conn.closed()).await;
        Ok(paired)
    }
}

impl ProtocolHandler for PairProtocol {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        if !self.core.invite_open() {
            conn.close(VarInt::from_u32(CLOSE_NOT_PAIRED), b"no invite");
            return Ok(());
        }
        match self.exchange(&conn).await {
            Ok(Some(paired)) => {
                info!(peer = %short(&paired.peer), kind = ?paired.kind, "paired");
                self.core.emit(StatusEvent::Paired(paired));
                self.core.local_change.send_modify(|v| *v += 1);
            }
            Ok(None) => debug!("pairing attempt refused"),
            Err(e) => debug!(error = %e, "pairing attempt failed"),
        }
        Ok(())
    }
}

/// Binds an iroh endpoint per `config` with `hooks` installed. Relays are off unless
/// `config.relay_url` is set; port mapping is off unless `config.port_mapping`.
pub async fn bind_endpoint(
    config: &NodeConfig,
    hooks: impl EndpointHooks + 'static,
) -> Result<Endpoint, TransportError> {
    let relay_mode = match &config.relay_url {
        None => RelayMode::Disabled,
        Some(url) => RelayMode::custom([url
            .parse::<RelayUrl>()
            .map_err(|e| TransportError::RelayUrl(e.to_string()))?]),
    };
    let portmapper = if config.port_mapping {
        PortmapperConfig::default()
    } else {
        PortmapperConfig::Disabled
    };
    // iroh sends keep-alives every 5 s; a 10 s idle timeout (default 30 s) lets the status say
    // "not reachable" soon after the other device goes away instead of after half a minute.
    let idle = IDLE_TIMEOUT
        .try_into()
        .map_err(|_| TransportError::Bind("idle timeout out of range".into()))?;
    let mut builder = Endpoint::builder(presets::Minimal)
        .secret_key(SecretKey::from_bytes(&config.secret_key))
        .relay_mode(relay_mode)
        .portmapper_config(portmapper)
        .transport_config(
            QuicTransportConfig::builder()
                .max_idle_timeout(Some(idle))
                .build(),
        )
        .hooks(hooks);
    if !config.bind_addrs.is_empty() {
        builder = builder.clear_ip_transports();
        for a in &config.bind_addrs {
            builder = builder
                .bind_addr(*a)
                .map_err(|e| TransportError::Bind(e.to_string()))?;
        }
    }
    if config.mdns {
        builder = builder.address_lookup(MdnsAddressLookup::builder().service_name(MDNS_SERVICE));
    }
    builder
        .bind()
        .await
        .map_err(|e| TransportError::Bind(e.to_string()))
}

/// The long-lived sync node: one endpoint, sessions to every paired peer, pairing.
///
/// Cheap to clone; all clones drive the same node. Embedding:
/// 1. implement [`DocHost`] over the app's documents (or use [`MemoryDocHost`]);
/// 2. `SyncNode::spawn(NodeConfig::new(stored_key), host, stored_peers)` inside tokio, and
///    drain the returned [`StatusEvent`] receiver into the UI (persist peers on `Paired`);
/// 3. call [`SyncNode::notify_local_change`] after each local commit;
/// 4. pairing: inviter shows `open_invite(..).to_text()`, joiner calls `join(text, info)`;
///    both show `Paired::safety_code`;
/// 5. [`SyncNode::shutdown`] on exit (saves sync states through the host).
#[derive(Debug, Clone)]
pub struct SyncNode {
    core: Arc<Core>,
    endpoint: Endpoint,
    router: Router,
    supervisor: Arc<AbortOnDrop>,
}

impl fmt::Debug for AbortOnDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AbortOnDrop")
    }
}

impl SyncNode {
    /// Starts the node on the current tokio runtime. Returns the node and its status channel.
    pub async fn spawn(
        config: NodeConfig,
        host: Arc<dyn DocHost>,
        peers: Vec<PairedPeer>,
    ) -> Result<(SyncNode, mpsc::UnboundedReceiver<StatusEvent>), TransportError> {
        let (status, status_rx) = mpsc::unbounded_channel();
        let core = Arc::new(Core {
            local_id: endpoint_id_of(&config.secret_key),
            config: config.clone(),
            host,
            status,
            local_change: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            peers: RwLock::new(peers.into_iter().map(|p| (p.id, p)).collect()),
            invite: Mutex::new(None),
            joining: Mutex::new(HashSet::new()),
            conns: Mutex::new(HashMap::new()),
            dial: Mutex::new(HashMap::new()),
            next_conn_id: AtomicU64::new(0),
        });
        let endpoint = bind_endpoint(&config, AllowList(core.clone())).await?;
        let router = Router::builder(endpoint.clone())
            .accept(SYNC_ALPN, SyncProtocol(core.clone()))
            .accept(
                PAIR_ALPN,
                PairProtocol {
                    core: core.clone(),
                    endpoint: endpoint.clone(),
                },
            )
            .spawn();
        // The router offers every registered ALPN; pairing is offered only while an invite
        // is open, so narrow it right away.
        endpoint.set_alpns(vec![SYNC_ALPN.to_vec()]);
        let supervisor = tokio::spawn(supervise(core.clone(), endpoint.clone()));
        Ok((
            SyncNode {
                core,
                endpoint,
                router,
                supervisor: Arc::new(AbortOnDrop(supervisor)),
            },
            status_rx,
        ))
    }

    /// This device's endpoint id.
    pub fn endpoint_id(&self) -> [u8; 32] {
        self.core.local_id
    }

    /// Direct addresses this node is reachable at right now.
    pub fn addrs(&self) -> Vec<PairingAddr> {
        from_endpoint_addr(&self.endpoint.addr())
    }

    /// Opens a one-time invite valid for `ttl` and returns its code (render as text or QR).
    /// `info` goes to the joiner on success (for `OwnDevice`: the partner identity it joins).
    /// Replaces any invite already open.
    pub fn open_invite(&self, kind: PairingKind, ttl: Duration, info: Vec<u8>) -> PairingCode {
        let expires_at = now_unix().saturating_add(ttl.as_secs().max(1));
        let invite = Invite::open(self.core.local_id, self.addrs(), kind, expires_at, info);
        let code = invite.code().clone();
        *lock(&self.core.invite) = Some(invite);
        self.endpoint
            .set_alpns(vec![SYNC_ALPN.to_vec(), PAIR_ALPN.to_vec()]);
        // Close the pairing ALPN again when the invite expires unused.
        let core = self.core.clone();
        let endpoint = self.endpoint.clone();
        let secret = code.secret;
        tokio::spawn(async move {
            tokio::time::sleep(ttl + Duration::from_secs(1)).await;
            let mut guard = lock(&core.invite);
            if guard.as_ref().is_some_and(|i| i.code().secret == secret) {
                *guard = None;
                drop(guard);
                endpoint.set_alpns(vec![SYNC_ALPN.to_vec()]);
                core.emit(StatusEvent::InviteClosed);
            }
        });
        code
    }

    /// Closes the open invite, if any.
    pub fn close_invite(&self) {
        if lock(&self.core.invite).take().is_some() {
            self.endpoint.set_alpns(vec![SYNC_ALPN.to_vec()]);
            self.core.emit(StatusEvent::InviteClosed);
        }
    }

    /// Joins another device with a code typed or scanned by the user. On success the peer is
    /// already allowed and synced; the caller persists `PairedPeer::from_paired(&paired)`
    /// and shows `paired.safety_code`.
    pub async fn join(&self, code: &str, info: Vec<u8>) -> Result<Paired, TransportError> {
        let code = PairingCode::parse(code)?;
        let join = Join::new(code, self.core.local_id, now_unix())?;
        let remote =
            EndpointId::from_bytes(&join.code().endpoint_id).map_err(|_| TransportError::BadKey)?;
        let addr = to_endpoint_addr(remote, &join.code().addrs);
        let remote_bytes = join.code().endpoint_id;
        lock(&self.core.joining).insert(remote_bytes);
        let result = self.join_inner(&join, addr, info).await;
        lock(&self.core.joining).remove(&remote_bytes);
        let paired = result?;
        self.core.add_peer(PairedPeer::from_paired(&paired));
        info!(peer = %short(&paired.peer), kind = ?paired.kind, "paired");
        Ok(paired)
    }

    async fn join_inner(
        &self,
        join: &Join,
        addr: EndpointAddr,
        info: Vec<u8>,
    ) -> Result<Paired, TransportError> {
        let conn = tokio::time::timeout(CONNECT_TIMEOUT, self.endpoint.connect(addr, PAIR_ALPN))
            .await
            .map_err(|_| TransportError::Timeout)?
            .map_err(|e| TransportError::Connect(e.to_string()))?;
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let req = join.request(self.addrs(), info);
        send.write_all(&req.encode())
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        send.finish()
            .map_err(|e| TransportError::Io(e.to_string()))?;
        let body = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_body(&mut recv, MAX_PAIR_FRAME))
            .await
            .map_err(|_| TransportError::Timeout)??
            .ok_or(FrameError::Truncated)?;
        conn.close(VarInt::from_u32(CLOSE_DONE), b"done");
        Ok(join.handle(PairFrame::decode_body(&body)?)?)
    }

    /// Adds or updates a paired peer (e.g. loaded from storage after start).
    pub fn add_peer(&self, peer: PairedPeer) {
        self.core.add_peer(peer);
    }

    /// Unpairs: the peer is refused from now on and any session with it is closed.
    pub fn remove_peer(&self, id: [u8; 32]) {
        self.core
            .peers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        if let Some(active) = lock(&self.core.conns).get(&id) {
            active
                .conn
                .close(VarInt::from_u32(CLOSE_UNPAIRED), b"unpaired");
        }
    }

    /// Call after every local commit: sessions push the change right away.
    pub fn notify_local_change(&self) {
        self.core
            .local_change
            .send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Peers with a live session right now.
    pub fn connected_peers(&self) -> Vec<[u8; 32]> {
        lock(&self.core.conns).keys().copied().collect()
    }

    /// Stops sessions (saving their sync states), the supervisor and the endpoint.
    pub async fn shutdown(&self) {
        self.core.shutdown.send_replace(true);
        self.supervisor.0.abort();
        // Let sessions save their sync states before the router cancels them (bounded).
        let deadline = Instant::now() + Duration::from_secs(2);
        while !lock(&self.core.conns).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for a in lock(&self.core.conns).values() {
            a.conn.close(VarInt::from_u32(CLOSE_SHUTDOWN), b"shutdown");
        }
        if let Err(e) = self.router.shutdown().await {
            debug!(error = %e, "router shutdown");
        }
    }
}

/// Keeps a session to every paired peer: dials those without one, with exponential backoff.
async fn supervise(core: Arc<Core>, endpoint: Endpoint) {
    let mut shutdown = core.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SUPERVISOR_TICK) => {}
            _ = shutdown.changed() => return,
        }
        let now = Instant::now();
        for peer in core.peer_list() {
            if lock(&core.conns).contains_key(&peer.id) {
                continue;
            }
            {
                let mut dial = lock(&core.dial);
                let st = dial.entry(peer.id).or_default();
                if st.dialing || st.next_at.is_some_and(|t| t > now) {
                    continue;
                }
                st.dialing = true;
            }
            tokio::spawn(dial_peer(core.clone(), endpoint.clone(), peer));
        }
    }
}

async fn dial_peer(core: Arc<Core>, endpoint: Endpoint, peer: PairedPeer) {
    let result = async {
        let id = EndpointId::from_bytes(&peer.id).map_err(|_| TransportError::BadKey)?;
        let conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            endpoint.connect(to_endpoint_addr(id, &peer.addrs), SYNC_ALPN),
        )
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(|e| TransportError::Connect(e.to_string()))?;
        let (send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Ok::<_, TransportError>((conn, send, recv))
    }
    .await;
    match result {
        Ok((conn, send, recv)) => {
            reset_backoff(&core, &peer.id, false);
            let local = core.local_id;
            run_connection(core.clone(), conn, send, recv, peer.clone(), local).await;
            // Reconnect quickly after a session that was up, then back off if dials fail.
            reset_backoff(&core, &peer.id, true);
        }
        Err(e) => {
            debug!(peer = %short(&peer.id), error = %e, "dial failed");
            let mut dial = lock(&core.dial);
            let st = dial.entry(peer.id).or_default();
            st.backoff = if st.backoff.is_zero() {
                core.config.min_backoff
            } else {
                (st.backoff * 2).min(core.config.max_backoff)
            };
            // Jitter so two devices that lost each other do not redial in lockstep.
            let jitter = st.backoff.mul_f64(rand::random::<f64>() * 0.2);
            st.next_at = Some(Instant::now() + st.backoff + jitter);
            st.dialing = false;
        }
    }
}

fn reset_backoff(core: &Core, id: &[u8; 32], done: bool) {
    let mut dial = lock(&core.dial);
    let st = dial.entry(*id).or_default();
    st.backoff = Duration::ZERO;
    st.next_at = Some(Instant::now() + core.config.min_backoff);
    if done {
        st.dialing = false;
    }
}

/// True inside a network namespace that has only loopback (as `tests/offline-net` makes), where
/// nothing sent, mDNS multicast included, can leave the machine. Reads /proc/self/net/dev, which
/// belongs to this process's namespace (/sys/class/net shows the one /sys was mounted in).
pub fn loopback_only_network() -> bool {
    std::fs::read_to_string("/proc/self/net/dev")
        .map(|t| {
            t.lines()
                .skip(2)
                .filter_map(|l| l.split(':').next())
                .all(|n| n.trim() == "lo")
        })
        .unwrap_or(false)
}
