//! iroh transport: the sync node, which ties the endpoint, the sync protocol and pairing together.

mod endpoint;
mod host;
mod lan;
mod pairing_protocol;
mod presence;
mod sync_protocol;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use iroh::Endpoint;
use iroh::endpoint::{Connection, VarInt};
use iroh::protocol::Router;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::debug;

pub use endpoint::{
    NodeConfig, bind_endpoint, endpoint_id_of, generate_secret_key, loopback_only_network,
};
pub use host::{DocHost, MemoryDocHost};
pub use lan::DEFAULT_MDNS_PERIOD;
pub use presence::{AnnounceError, PeerPath, RelayState, normalize_relay_url};

use crate::pairing::{CodeError, Invite, Paired, PairingAddr, PairingError, PairingFailure};
use crate::session::{DocName, Scope};
use crate::wire::{FrameError, LEN_PREFIX, check_len};
use endpoint::{AllowList, bind_with};
use lan::LanLookup;
use pairing_protocol::PairProtocol;
use sync_protocol::{SyncProtocol, supervise};

/// ALPN of the document sync protocol. It stays `/1` across wire versions: the version is in
/// the hello, whose layout never changes, so an older and a newer device still connect, read
/// each other's version and refuse with "update Kintsugi" instead of failing the handshake.
pub const SYNC_ALPN: &[u8] = b"kintsugi/sync/1";
/// ALPN of the pairing exchange; offered only while an invite is open.
pub const PAIR_ALPN: &[u8] = b"kintsugi/pair/1";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A frame's buffer grows by at most this much (or a quarter of what arrived, if more) before
/// the bytes to fill it have arrived.
const READ_STEP: usize = 64 * 1024;

const CLOSE_NOT_PAIRED: u32 = 1;
const CLOSE_DUPLICATE: u32 = 2;
const CLOSE_PROTOCOL: u32 = 3;
const CLOSE_DONE: u32 = 4;
const CLOSE_UNPAIRED: u32 = 5;
const CLOSE_SHUTDOWN: u32 = 6;
/// The two devices speak different sync protocol versions (see `wire::PROTOCOL_VERSION`).
const CLOSE_VERSION: u32 = 7;

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
    /// A paired device runs a Kintsugi whose sync protocol differs from ours: nothing syncs
    /// until the older one is updated. The session is closed and redialled with backoff.
    IncompatibleVersion {
        /// Peer id.
        peer: [u8; 32],
        /// The protocol version the peer speaks.
        theirs: u16,
        /// Whether the peer is the newer one (then this device needs the update).
        peer_is_newer: bool,
    },
    /// An unpaired endpoint tried to connect and was refused before any data moved.
    Refused {
        /// Its endpoint id.
        peer: [u8; 32],
    },
    /// The path a connected peer's traffic takes changed (also sent once per new connection).
    PathChanged {
        /// Peer id.
        peer: [u8; 32],
        /// Direct, or through the relay.
        path: PeerPath,
    },
    /// Addresses a connected peer is reachable at now: what it announced about itself, or the
    /// remote address of a direct path that works. Persist them, so a device that moved is
    /// found again without pairing again.
    PeerAddrs {
        /// Peer id.
        peer: [u8; 32],
        /// Its addresses, relays first.
        addrs: Vec<PairingAddr>,
    },
    /// This device's connection to its configured relay changed (connected, or failing and why).
    Relay(RelayState),
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
    /// The other device answered but no longer speaks the pairing protocol: its invite was
    /// used, cancelled or has expired, so it narrowed its ALPNs to sync only.
    #[error("could not reach the other device: {0}")]
    PairingNotOffered(String),
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

impl TransportError {
    /// What the person can do about a failed join.
    pub fn failure(&self) -> PairingFailure {
        match self {
            TransportError::Code(e) => e.failure(),
            TransportError::Pairing(e) => e.failure(),
            TransportError::BadKey => PairingFailure::MistypedCode,
            TransportError::PairingNotOffered(_) => PairingFailure::NoInviteOpen,
            TransportError::Connect(_) | TransportError::Io(_) | TransportError::Timeout => {
                PairingFailure::Unreachable
            }
            TransportError::Bind(_)
            | TransportError::RelayUrl(_)
            | TransportError::Frame(_)
            | TransportError::Session(_)
            | TransportError::Stopped => PairingFailure::Other,
        }
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not wedge sync forever; the data is still consistent per call.
    m.lock().unwrap_or_else(|p| p.into_inner())
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
    /// Local-network discovery, when `config.mdns`.
    lan: Option<LanLookup>,
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
        let peer = self.with_own_relay(peer);
        if let Some(lan) = &self.lan {
            lan.add_peer(&peer.id);
        }
        self.peers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(peer.id, peer);
    }

    /// The configured relay as iroh writes it, if one is set and valid.
    fn relay_url(&self) -> Option<String> {
        self.config
            .relay_url
            .as_deref()
            .and_then(|u| normalize_relay_url(u).ok())
    }

    /// A peer remembered with no relay is also looked for on ours: a couple sets up one relay
    /// for both, and a peer paired before the relay was switched on named none.
    fn with_own_relay(&self, mut peer: PairedPeer) -> PairedPeer {
        if let Some(url) = self.relay_url()
            && !peer
                .addrs
                .iter()
                .any(|a| matches!(a, PairingAddr::Relay(_)))
        {
            peer.addrs.push(PairingAddr::Relay(url));
        }
        peer
    }

    /// Announces on the local network for the open invite's code (None: the invite closed).
    fn lan_invite(&self, code_secret: Option<&[u8; 16]>) {
        if let Some(lan) = &self.lan {
            lan.set_invite(code_secret);
        }
    }

    fn invite_open(&self) -> bool {
        lock(&self.invite)
            .as_ref()
            .is_some_and(|i| i.is_open(now_unix()))
    }
}

async fn read_body(
    recv: &mut (impl AsyncRead + Unpin),
    max: usize,
) -> Result<Option<Vec<u8>>, TransportError> {
    let mut body = Vec::new();
    Ok(read_body_into(recv, max, &mut body).await?.then_some(body))
}

/// Reads one length-prefixed frame's body into `body`; false at a clean end of the stream
/// (between frames).
async fn read_body_into(
    recv: &mut (impl AsyncRead + Unpin),
    max: usize,
    body: &mut Vec<u8>,
) -> Result<bool, TransportError> {
    let io = |e: std::io::Error| TransportError::Io(e.to_string());
    let mut prefix = [0u8; LEN_PREFIX];
    let mut got = 0;
    while got < LEN_PREFIX {
        match recv.read(&mut prefix[got..]).await.map_err(io)? {
            // A clean finish between frames is the end of the stream, not an error.
            0 if got == 0 => return Ok(false),
            0 => return Err(FrameError::Truncated.into()),
            n => got += n,
        }
    }
    let len = check_len(prefix)?;
    if len > max {
        return Err(FrameError::TooLarge(len).into());
    }
    // The length is the peer's word: grow as its bytes arrive, so a header claiming 64 MiB
    // followed by a stall costs what was sent, not what was claimed. Steps of a quarter of
    // what arrived keep the copying of a real 64 MiB frame to a few times its size.
    body.clear();
    while body.len() < len {
        let at = body.len();
        let step = READ_STEP.max(at / 4).min(len - at);
        body.reserve_exact(step);
        body.resize(at + step, 0);
        let mut filled = at;
        while filled < body.len() {
            match recv.read(&mut body[filled..]).await.map_err(io)? {
                0 => {
                    body.truncate(filled);
                    return Err(FrameError::Truncated.into());
                }
                n => filled += n,
            }
        }
    }
    Ok(true)
}

/// Aborts a spawned task when dropped, so reader tasks never outlive their session.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
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
    /// The connection and relay watchers of `presence`.
    watchers: Arc<[AbortOnDrop; 2]>,
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
            peers: RwLock::new(HashMap::new()),
            invite: Mutex::new(None),
            joining: Mutex::new(HashSet::new()),
            conns: Mutex::new(HashMap::new()),
            dial: Mutex::new(HashMap::new()),
            next_conn_id: AtomicU64::new(0),
            lan: config
                .mdns
                .then(|| LanLookup::new(&config.secret_key, config.mdns_period)),
        });
        for p in peers {
            core.add_peer(p);
        }
        let endpoint = bind_with(&config, AllowList(core.clone()), core.lan.clone()).await?;
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
        let watchers = [
            AbortOnDrop(tokio::spawn(presence::watch_connections(
                core.clone(),
                endpoint.clone(),
            ))),
            AbortOnDrop(tokio::spawn(presence::watch_relay(
                core.clone(),
                endpoint.clone(),
            ))),
        ];
        Ok((
            SyncNode {
                core,
                endpoint,
                router,
                supervisor: Arc::new(AbortOnDrop(supervisor)),
                watchers: Arc::new(watchers),
            },
            status_rx,
        ))
    }

    /// This device's endpoint id.
    pub fn endpoint_id(&self) -> [u8; 32] {
        self.core.local_id
    }

    /// Addresses this node is reachable at right now: the configured relay first, then the
    /// direct ones.
    pub fn addrs(&self) -> Vec<PairingAddr> {
        presence::own_addrs(&self.core, &self.endpoint)
    }

    /// How a connected peer is reached right now; None when no session is up.
    pub fn peer_path(&self, id: &[u8; 32]) -> Option<PeerPath> {
        let conn = lock(&self.core.conns).get(id)?.conn.clone();
        presence::selected_path(&conn).map(|(p, _)| p)
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
        if let Some(lan) = &self.core.lan {
            lan.remove_peer(&id);
        }
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
        if let Some(lan) = &self.core.lan {
            lan.stop();
        }
        self.supervisor.0.abort();
        for w in self.watchers.iter() {
            w.0.abort();
        }
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

#[cfg(test)]
mod tests {
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;
    use crate::wire::MAX_FRAME_LEN;

    /// A hostile peer's stream: a header claiming `claimed` bytes, then `sent` bytes at most
    /// `per_read` at a time, then the end.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        per_read: usize,
    }

    impl Trickle {
        fn new(claimed: u32, sent: usize, per_read: usize) -> Self {
            let mut data = claimed.to_be_bytes().to_vec();
            data.extend(std::iter::repeat_n(7u8, sent));
            Trickle {
                data,
                at: 0,
                per_read,
            }
        }
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let n = (self.data.len() - self.at)
                .min(buf.remaining())
                .min(self.per_read);
            let at = self.at;
            buf.put_slice(&self.data[at..at + n]);
            self.at += n;
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_frame_claiming_60_mib_and_sending_little_allocates_little() {
        for (sent, per_read) in [(1000, 3), (3 * 1024 * 1024, 4096)] {
            let mut body = Vec::new();
            let mut peer = Trickle::new(60 * 1024 * 1024, sent, per_read);
            let r = read_body_into(&mut peer, MAX_FRAME_LEN, &mut body).await;
            assert!(r.is_err(), "a frame cut short is an error: {r:?}");
            assert!(
                body.capacity() <= sent + sent / 4 + READ_STEP,
                "{} bytes reserved for {sent} received",
                body.capacity()
            );
        }
    }

    #[tokio::test]
    async fn frames_of_every_size_read_whole() {
        for len in [0usize, 1, 3, READ_STEP - 1, READ_STEP, 3 * READ_STEP + 5] {
            let mut wire = (len as u32).to_be_bytes().to_vec();
            wire.extend((0..len).map(|i| i as u8));
            wire.extend(2u32.to_be_bytes());
            wire.extend([1, 2]);
            let mut r = &wire[..];
            let body = read_body(&mut r, MAX_FRAME_LEN).await.unwrap().unwrap();
            assert_eq!(body, (0..len).map(|i| i as u8).collect::<Vec<_>>());
            assert_eq!(
                read_body(&mut r, MAX_FRAME_LEN).await.unwrap(),
                Some(vec![1, 2])
            );
            assert_eq!(read_body(&mut r, MAX_FRAME_LEN).await.unwrap(), None);
        }
        // A header cut short is an error, not the end of the stream.
        let mut r = &[0u8, 0][..];
        assert!(read_body(&mut r, MAX_FRAME_LEN).await.is_err());
    }
}
