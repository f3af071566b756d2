//! Networking: starting and stopping the sync node, its status events, and network requests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kintsugi_sync::transport::{
    DocHost, NodeConfig, PeerPath, StatusEvent, SyncNode, normalize_relay_url,
};

use super::host::Host;
use super::{NetRequest, Request, Worker, lock, short};
use crate::clock::now_ms;
use crate::peers::{ConnectionPath, NetError, PeerRecord, RelayView};

fn connection_path(p: PeerPath) -> ConnectionPath {
    match p {
        PeerPath::Direct => ConnectionPath::Direct,
        PeerPath::Relay => ConnectionPath::Relay,
    }
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

pub(super) struct Net {
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) node: Arc<SyncNode>,
}

impl Worker {
    pub(super) fn go_online(&mut self) {
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

    pub(super) fn start_node(&mut self) -> Result<Net, String> {
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

    pub(super) fn go_offline(&mut self) {
        if let Some(net) = self.net.take() {
            let node = net.node.clone();
            let _ = net.rt.block_on(async move {
                tokio::time::timeout(Duration::from_secs(5), node.shutdown()).await
            });
            net.rt.shutdown_timeout(Duration::from_secs(2));
        }
        self.connected.clear();
        self.paths.clear();
        self.relay = None;
        self.invite = None;
    }

    /// Serves one `NetRequest`; an Err is shown next to the control that sent it.
    pub(super) fn net_request(&mut self, req: NetRequest) -> Result<(), NetError> {
        // Node methods spawn tasks: they need the runtime's context on this plain thread.
        let rt = self.net.as_ref().map(|n| n.rt.handle().clone());
        let _guard = rt.as_ref().map(|h| h.enter());
        match req {
            NetRequest::GoOnline => {
                self.go_online();
                self.net_error
                    .clone()
                    .map_or(Ok(()), |e| Err(NetError::other(e)))
            }
            NetRequest::Invite { own_device } => self.invite(own_device),
            NetRequest::CancelInvite => {
                self.cancel_invite();
                Ok(())
            }
            NetRequest::Join { code } => self.join(code),
            NetRequest::Unpair { id } => self.unpair(&id),
            NetRequest::SetSettings(s) => self.set_settings(s),
            NetRequest::DismissOutcome => {
                self.outcome = None;
                Ok(())
            }
        }
    }

    fn set_settings(&mut self, mut s: crate::peers::NetworkSettings) -> Result<(), NetError> {
        // Checked the way the endpoint will read it, so a stored relay always starts; kept as
        // typed (trimmed), which is what Settings shows again.
        if let Some(url) = &s.relay_url {
            normalize_relay_url(url).map_err(NetError::other)?;
            s.relay_url = Some(url.trim().to_owned());
        }
        lock(&self.vault)
            .set_network_settings(&s)
            .map_err(|e| NetError::other(e.to_string()))?;
        // Restart so the new settings apply; sessions reconnect by themselves.
        if self.net.is_some() {
            self.go_offline();
            self.go_online();
        }
        Ok(())
    }

    pub(super) fn offline_reason(&self) -> NetError {
        NetError::other(
            self.net_error
                .clone()
                .unwrap_or_else(|| "the network could not be started".into()),
        )
    }

    /// Changes a paired device's stored record; `f` says whether it changed anything.
    fn update_peer(&self, peer: &[u8; 32], f: impl FnOnce(&mut PeerRecord) -> bool) {
        let v = lock(&self.vault);
        if let Ok(peers) = v.peers()
            && let Some((_, mut rec)) = peers.into_iter().find(|(id, _)| id == peer)
            && f(&mut rec)
            && let Err(e) = v.put_peer(peer, &rec)
        {
            tracing::warn!("could not remember how to reach a paired device: {e}");
        }
    }

    /// Returns whether the view changed.
    pub(super) fn event(&mut self, ev: StatusEvent) -> bool {
        match ev {
            StatusEvent::PeerConnected { peer } => {
                self.connected.insert(peer);
                // Known at once in most cases; `PathChanged` follows within a moment otherwise.
                if let Some(path) = self.net.as_ref().and_then(|n| n.node.peer_path(&peer)) {
                    self.paths.insert(peer, connection_path(path));
                }
            }
            StatusEvent::PeerDisconnected { peer, reason } => {
                tracing::info!(peer = %short(&peer), "disconnected: {reason}");
                self.connected.remove(&peer);
                self.paths.remove(&peer);
            }
            StatusEvent::PathChanged { peer, path } => {
                let path = connection_path(path);
                tracing::info!(peer = %short(&peer), "connected {}", path.as_str());
                self.paths.insert(peer, path);
                self.update_peer(&peer, |rec| {
                    let changed = rec.last_path != Some(path);
                    rec.last_path = Some(path);
                    changed
                });
            }
            StatusEvent::PeerAddrs { peer, addrs } => {
                let fresh = PeerRecord::addrs_of(&addrs);
                self.update_peer(&peer, |rec| rec.remember_addrs(&fresh, now_ms()));
            }
            StatusEvent::Relay(state) => {
                if let Some(e) = &state.error {
                    tracing::warn!(relay = %state.url, "relay not reachable: {e}");
                }
                self.relay = Some(RelayView {
                    url: state.url,
                    connected: state.connected,
                    error: state.error,
                });
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
            StatusEvent::IncompatibleVersion {
                peer,
                theirs,
                peer_is_newer,
            } => {
                tracing::warn!(peer = %short(&peer), theirs, "incompatible sync protocol");
                self.warning = Some(if peer_is_newer {
                    format!(
                        "A paired device ({}) runs a newer Kintsugi. Update Kintsugi on this device to sync with it again; nothing is lost meanwhile.",
                        short(&peer)
                    )
                } else {
                    format!(
                        "A paired device ({}) runs an older Kintsugi. Update Kintsugi on that device to sync with it again; nothing is lost meanwhile.",
                        short(&peer)
                    )
                });
            }
            StatusEvent::Refused { peer } => {
                tracing::info!(peer = %short(&peer), "refused an unpaired device");
            }
            StatusEvent::Paired(p) => self.paired(p, false),
            StatusEvent::InviteClosed => self.invite = None,
        }
        false
    }
}
