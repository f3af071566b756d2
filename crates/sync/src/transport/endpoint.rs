//! The iroh endpoint: this device's key, binding, addresses, and the allow-list run after each handshake.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{
    AfterHandshakeOutcome, Connection, EndpointHooks, PortmapperConfig, QuicTransportConfig, Side,
    VarInt, presets,
};
use iroh::{Endpoint, EndpointAddr, EndpointId, RelayMode, RelayUrl, SecretKey, TransportAddr};
use tracing::info;

use super::lan::{DEFAULT_MDNS_PERIOD, LanLookup};
use super::{
    CLOSE_NOT_PAIRED, Core, PAIR_ALPN, SYNC_ALPN, StatusEvent, TransportError, lock, short,
};
use crate::pairing::PairingAddr;

const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh identity; the caller stores the bytes and passes them back in
/// [`NodeConfig::secret_key`]. Kintsugi keeps them in the store's device settings: sealed under
/// the data key when the person has set a passphrase (the app lock), otherwise protected only by
/// the data file's permissions, so whoever can read that file can act as this device towards
/// its paired devices.
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
    /// Find paired devices (and the inviter of a code being joined) on the local network via
    /// mDNS. Every name announced is derived from a secret shared with one paired device (or
    /// the open invite's code) and changes every [`NodeConfig::mdns_period`]; nothing names the
    /// device or the app.
    pub mdns: bool,
    /// How long one set of announced names is used (one hour; tests shorten it).
    pub mdns_period: Duration,
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
            mdns_period: DEFAULT_MDNS_PERIOD,
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

pub(super) fn to_endpoint_addr(id: EndpointId, addrs: &[PairingAddr]) -> EndpointAddr {
    let transport = addrs.iter().filter_map(|a| match a {
        PairingAddr::Ip(s) => Some(TransportAddr::Ip(*s)),
        PairingAddr::Relay(u) => u.parse::<RelayUrl>().ok().map(TransportAddr::Relay),
    });
    EndpointAddr::from_parts(id, transport)
}

pub(super) fn from_endpoint_addr(addr: &EndpointAddr) -> Vec<PairingAddr> {
    let mut out: Vec<PairingAddr> = addr.ip_addrs().map(|s| PairingAddr::Ip(*s)).collect();
    out.extend(addr.relay_urls().map(|u| PairingAddr::Relay(u.to_string())));
    out
}

/// Refuses every connection that is not to/from a paired peer (sync ALPN), or that is not a
/// pairing we started or an invite we opened (pair ALPN). Runs right after the TLS handshake
/// in both directions, before any stream is accepted.
#[derive(Debug)]
pub(super) struct AllowList(pub(super) Arc<Core>);

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

/// Binds an iroh endpoint per `config` with `hooks` installed. Relays are off unless
/// `config.relay_url` is set; port mapping is off unless `config.port_mapping`. A bare endpoint
/// announces nothing on the local network: mDNS belongs to the `SyncNode`, which knows the
/// paired devices the names are derived for.
pub async fn bind_endpoint(
    config: &NodeConfig,
    hooks: impl EndpointHooks + 'static,
) -> Result<Endpoint, TransportError> {
    bind_with(config, hooks, None).await
}

/// [`bind_endpoint`] with the node's local-network discovery, if it runs one.
pub(super) async fn bind_with(
    config: &NodeConfig,
    hooks: impl EndpointHooks + 'static,
    lan: Option<LanLookup>,
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
    if let Some(lan) = lan {
        builder = builder.address_lookup(lan);
    }
    builder
        .bind()
        .await
        .map_err(|e| TransportError::Bind(e.to_string()))
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
