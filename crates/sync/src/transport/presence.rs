//! How each connected peer is reached right now: its path (direct or relay), the addresses it announces, and the relay's own state.
//!
//! This runs beside the sync protocol without touching it: a watcher notices every new session
//! connection in `Core::conns` and, on that connection, sends this device's current addresses
//! on a unidirectional stream, reads the peer's, and follows which path iroh selected. A peer
//! of an older version never accepts the stream; it is then just never read, and nothing else
//! changes.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::Connection;
use iroh::{Endpoint, TransportAddr, Watcher};
use tracing::debug;

use super::endpoint::from_endpoint_addr;
use super::{Core, StatusEvent, lock, short};
use crate::pairing::{MAX_CODE_ADDRS, PairingAddr};

/// First line of an address announcement; the digit is its format version.
const ANNOUNCE_HEADER: &str = "kintsugi-addrs/1";
/// An announcement is at most this long: eight addresses and a relay URL fit many times over.
pub(super) const MAX_ANNOUNCE: usize = 4096;
/// How often connections and their paths are looked at.
const TICK: Duration = Duration::from_millis(250);
/// How long to wait for the peer's announcement before giving up on this connection.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a connected peer is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerPath {
    /// Straight between the two devices (UDP, one network or a hole punched through).
    Direct,
    /// Through the relay server, end-to-end encrypted.
    Relay,
}

impl PeerPath {
    /// `"direct"` or `"relay"`: the words the CLI's JSON and the store use.
    pub fn as_str(self) -> &'static str {
        match self {
            PeerPath::Direct => "direct",
            PeerPath::Relay => "relay",
        }
    }
}

/// This device's connection to its configured relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayState {
    /// The relay as configured (normalised by the URL parser).
    pub url: String,
    /// Connected now: peers that cannot reach this device directly can reach it through it.
    pub connected: bool,
    /// The last failure, in iroh's words, for a status line (never matched on).
    pub error: Option<String>,
}

/// Encodes this device's addresses: a header line, then one address per line (`ip:port`, or
/// `relay:URL`), at most [`MAX_CODE_ADDRS`], relays first so a cap never drops them.
pub(super) fn encode_announce(addrs: &[PairingAddr]) -> Vec<u8> {
    let mut sorted: Vec<&PairingAddr> = addrs.iter().collect();
    sorted.sort_by_key(|a| matches!(a, PairingAddr::Ip(_)));
    let mut out = String::from(ANNOUNCE_HEADER);
    let mut n = 0;
    for a in sorted {
        let line = match a {
            PairingAddr::Ip(s) => s.to_string(),
            PairingAddr::Relay(u) if !u.contains('\n') => format!("relay:{u}"),
            PairingAddr::Relay(_) => continue,
        };
        if n == MAX_CODE_ADDRS || out.len() + 1 + line.len() > MAX_ANNOUNCE {
            break;
        }
        out.push('\n');
        out.push_str(&line);
        n += 1;
    }
    out.into_bytes()
}

/// Why an announcement was refused (logged; the connection carries on without it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnnounceError {
    #[error("the address announcement is not UTF-8")]
    NotText,
    #[error("the address announcement has an unknown header")]
    Header,
    #[error("the address announcement lists more than {MAX_CODE_ADDRS} addresses")]
    TooMany,
    #[error("'{0}' in the address announcement is not an address")]
    BadAddr(String),
}

/// Decodes a peer's announcement. Relay URLs must parse as URLs with an http(s) scheme; an
/// address that does not parse refuses the whole announcement, so a half-read one is never
/// remembered.
pub(super) fn decode_announce(bytes: &[u8]) -> Result<Vec<PairingAddr>, AnnounceError> {
    let text = std::str::from_utf8(bytes).map_err(|_| AnnounceError::NotText)?;
    let mut lines = text.lines();
    if lines.next() != Some(ANNOUNCE_HEADER) {
        return Err(AnnounceError::Header);
    }
    let mut out = Vec::new();
    for line in lines {
        if out.len() == MAX_CODE_ADDRS {
            return Err(AnnounceError::TooMany);
        }
        let addr = match line.strip_prefix("relay:") {
            Some(url) => PairingAddr::Relay(
                normalize_relay_url(url).map_err(|_| AnnounceError::BadAddr(line.to_owned()))?,
            ),
            None => PairingAddr::Ip(
                line.parse::<SocketAddr>()
                    .map_err(|_| AnnounceError::BadAddr(line.to_owned()))?,
            ),
        };
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    Ok(out)
}

/// Checks a relay address the way the endpoint will read it, and returns it as iroh writes it
/// (`http://10.0.0.1:3340` becomes `http://10.0.0.1:3340/`). Only `http://` (a relay without
/// TLS, e.g. `iroh-relay --dev` on a home network) and `https://` are relays.
pub fn normalize_relay_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim();
    if !(trimmed.starts_with("https://") || trimmed.starts_with("http://")) {
        return Err(format!(
            "'{trimmed}' is not a relay address: it must start with https:// (or http:// for a relay without TLS), like https://relay.example.org"
        ));
    }
    trimmed
        .parse::<iroh::RelayUrl>()
        .map(|u| u.to_string())
        .map_err(|e| format!("'{trimmed}' is not a relay address: {e}"))
}

/// The path iroh currently sends on, if any is selected.
pub(super) fn selected_path(conn: &Connection) -> Option<(PeerPath, Option<SocketAddr>)> {
    let paths = conn.paths();
    let selected = paths.iter().find(|p| p.is_selected())?;
    Some(match selected.remote_addr() {
        TransportAddr::Ip(s) => (PeerPath::Direct, Some(*s)),
        _ => (PeerPath::Relay, None),
    })
}

/// Addresses this node can be reached at: the endpoint's own, plus the configured relay even
/// before the endpoint has connected to it (a code or announcement made in that first second
/// must still name it). Relays first.
pub(super) fn own_addrs(core: &Core, endpoint: &Endpoint) -> Vec<PairingAddr> {
    let mut addrs = from_endpoint_addr(&endpoint.addr());
    if let Some(url) = core.relay_url() {
        let relay = PairingAddr::Relay(url);
        if !addrs.contains(&relay) {
            addrs.push(relay);
        }
    }
    addrs.sort_by_key(|a| matches!(a, PairingAddr::Ip(_)));
    addrs
}

/// Watches `Core::conns` for new session connections and serves each once (announce, read the
/// peer's announcement, follow the path). Ends at shutdown.
pub(super) async fn watch_connections(core: Arc<Core>, endpoint: Endpoint) {
    let mut shutdown = core.shutdown.subscribe();
    let mut seen: HashSet<u64> = HashSet::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return,
        }
        let fresh: Vec<(u64, [u8; 32], Connection)> = lock(&core.conns)
            .iter()
            .filter(|(_, a)| !seen.contains(&a.id))
            .map(|(peer, a)| (a.id, *peer, a.conn.clone()))
            .collect();
        let live: HashSet<u64> = lock(&core.conns).values().map(|a| a.id).collect();
        seen.retain(|id| live.contains(id));
        for (id, peer, conn) in fresh {
            seen.insert(id);
            tokio::spawn(announce(core.clone(), endpoint.clone(), peer, conn.clone()));
            tokio::spawn(read_announcement(core.clone(), peer, conn.clone()));
            tokio::spawn(follow_path(core.clone(), peer, conn));
        }
    }
}

async fn announce(core: Arc<Core>, endpoint: Endpoint, peer: [u8; 32], conn: Connection) {
    let bytes = encode_announce(&own_addrs(&core, &endpoint));
    let sent = async {
        let mut send = conn.open_uni().await.map_err(|e| e.to_string())?;
        send.write_all(&bytes).await.map_err(|e| e.to_string())?;
        send.finish().map_err(|e| e.to_string())
    };
    if let Err(e) = sent.await {
        debug!(peer = %short(&peer), error = %e, "could not announce our addresses");
    }
}

async fn read_announcement(core: Arc<Core>, peer: [u8; 32], conn: Connection) {
    let read = async {
        let mut recv = conn.accept_uni().await.map_err(|e| e.to_string())?;
        let bytes = recv
            .read_to_end(MAX_ANNOUNCE)
            .await
            .map_err(|e| e.to_string())?;
        decode_announce(&bytes).map_err(|e| e.to_string())
    };
    match tokio::time::timeout(ANNOUNCE_TIMEOUT, read).await {
        Ok(Ok(addrs)) => {
            // Later dials in this run use them at once; the embedder stores them.
            let known = core.peer(&peer);
            if let Some(mut p) = known {
                let mut merged = addrs.clone();
                merged.extend(p.addrs.iter().filter(|a| !addrs.contains(a)).cloned());
                merged.truncate(MAX_CODE_ADDRS * 2);
                p.addrs = merged;
                core.add_peer(p);
            }
            core.emit(StatusEvent::PeerAddrs { peer, addrs });
        }
        Ok(Err(e)) => debug!(peer = %short(&peer), error = %e, "no address announcement"),
        Err(_) => debug!(peer = %short(&peer), "the peer announced no addresses (older version?)"),
    }
}

/// Reports the selected path whenever it changes, and a direct path's remote address as seen
/// from here (an address that demonstrably works).
async fn follow_path(core: Arc<Core>, peer: [u8; 32], conn: Connection) {
    let mut last = None;
    loop {
        if let Some((path, remote)) = selected_path(&conn)
            && last != Some(path)
        {
            last = Some(path);
            core.emit(StatusEvent::PathChanged { peer, path });
            if let Some(addr) = remote {
                core.emit(StatusEvent::PeerAddrs {
                    peer,
                    addrs: vec![PairingAddr::Ip(addr)],
                });
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = conn.closed() => return,
        }
    }
}

/// Reports the relay connection's state whenever it changes. Ends with the endpoint.
pub(super) async fn watch_relay(core: Arc<Core>, endpoint: Endpoint) {
    let Some(configured) = core.relay_url() else {
        return;
    };
    let mut shutdown = core.shutdown.subscribe();
    let mut watcher = endpoint.home_relay_status();
    let mut last: Option<RelayState> = None;
    loop {
        let statuses = watcher.get();
        let state = match statuses.first() {
            Some(s) => RelayState {
                url: s.url().to_string(),
                connected: s.is_connected(),
                error: s.last_error().map(|e| format!("{e:#}")),
            },
            None => RelayState {
                url: configured.clone(),
                connected: false,
                error: None,
            },
        };
        if last.as_ref() != Some(&state) {
            last = Some(state.clone());
            core.emit(StatusEvent::Relay(state));
        }
        tokio::select! {
            r = watcher.updated() => if r.is_err() { return },
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcement_round_trips_relays_first() {
        let addrs = vec![
            PairingAddr::Ip("10.0.0.2:4000".parse().unwrap()),
            PairingAddr::Relay("http://10.0.0.1:3340/".into()),
            PairingAddr::Ip("[fe80::1]:4000".parse().unwrap()),
        ];
        let decoded = decode_announce(&encode_announce(&addrs)).unwrap();
        assert_eq!(decoded[0], addrs[1]);
        assert_eq!(decoded.len(), 3);
        assert!(decoded.contains(&addrs[0]) && decoded.contains(&addrs[2]));
    }

    #[test]
    fn announcement_is_capped_and_bad_ones_refused_whole() {
        let many: Vec<_> = (0..20)
            .map(|i| PairingAddr::Ip(SocketAddr::from(([10, 0, 0, i], 1))))
            .collect();
        assert_eq!(
            decode_announce(&encode_announce(&many)).unwrap().len(),
            MAX_CODE_ADDRS
        );
        let too_many = format!("{ANNOUNCE_HEADER}\n{}", ["10.0.0.1:1"; 9].join("\n"));
        // Duplicates collapse, so nine copies of one address are one address.
        assert_eq!(decode_announce(too_many.as_bytes()).unwrap().len(), 1);
        let nine: Vec<String> = (0..9).map(|i| format!("10.0.0.{i}:1")).collect();
        let nine = format!("{ANNOUNCE_HEADER}\n{}", nine.join("\n"));
        assert_eq!(
            decode_announce(nine.as_bytes()),
            Err(AnnounceError::TooMany)
        );
        let bad = format!("{ANNOUNCE_HEADER}\n10.0.0.1:1\nnot an address");
        assert!(matches!(
            decode_announce(bad.as_bytes()),
            Err(AnnounceError::BadAddr(_))
        ));
        let ftp = format!("{ANNOUNCE_HEADER}\nrelay:ftp://x/");
        assert!(decode_announce(ftp.as_bytes()).is_err());
        assert_eq!(
            decode_announce(b"kintsugi-addrs/9\n10.0.0.1:1"),
            Err(AnnounceError::Header)
        );
        assert_eq!(decode_announce(&[0xff, 0xfe]), Err(AnnounceError::NotText));
    }

    #[test]
    fn relay_urls_are_checked_and_normalised() {
        assert_eq!(
            normalize_relay_url(" http://10.0.0.1:3340 ").unwrap(),
            "http://10.0.0.1:3340/"
        );
        assert!(normalize_relay_url("relay.example.org").is_err());
        assert!(normalize_relay_url("https://").is_err());
        assert!(
            normalize_relay_url("ftp://relay.example.org")
                .unwrap_err()
                .contains("https://")
        );
    }
}
