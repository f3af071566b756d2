//! Paired devices as this device remembers them, and the status the UI shows for each.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;

use kintsugi_sync::session::Scope;
use kintsugi_sync::transport::PairedPeer;
use kintsugi_sync::{PairingAddr, PairingFailure};
use serde::{Deserialize, Serialize};

/// Stored per paired device (in the store's peers table, as JSON).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PeerRecord {
    /// "partner" or "own_device".
    pub scope: String,
    /// Last known direct addresses (`ip:port`) and relay URLs (`relay:URL`).
    pub addrs: Vec<String>,
    /// What the UI calls this device.
    pub label: String,
    pub paired_at: i64,
    /// When every shared document last matched on both sides.
    pub last_synced: Option<i64>,
    /// Our document heads at that moment: local changes since are "waiting".
    #[serde(default)]
    pub synced_heads: Vec<String>,
    /// When each entry of `addrs` was last announced by the device or seen working (unix ms).
    /// An address missing here counts from `paired_at`.
    #[serde(default)]
    pub addr_seen: BTreeMap<String, i64>,
    /// How the last session with it went: direct or through the relay.
    #[serde(default)]
    pub last_path: Option<ConnectionPath>,
}

/// Addresses a device has not announced nor been reached at for this long are forgotten.
pub const ADDR_MAX_AGE_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// At most this many addresses are remembered per device, the most recently seen first.
pub const MAX_REMEMBERED_ADDRS: usize = 16;

impl PeerRecord {
    pub fn scope(&self) -> Scope {
        if self.scope == "own_device" {
            Scope::OwnDevice
        } else {
            Scope::Partner
        }
    }

    pub fn scope_name(scope: Scope) -> &'static str {
        match scope {
            Scope::OwnDevice => "own_device",
            Scope::Partner => "partner",
        }
    }

    pub fn to_paired_peer(&self, id: [u8; 32]) -> PairedPeer {
        PairedPeer {
            id,
            scope: self.scope(),
            addrs: self
                .addrs
                .iter()
                .filter_map(|a| match a.strip_prefix("relay:") {
                    Some(url) => Some(PairingAddr::Relay(url.to_owned())),
                    None => a.parse().ok().map(PairingAddr::Ip),
                })
                .collect(),
        }
    }

    /// Records `fresh` (what the device announced on connecting, or an address it was just
    /// reached at) as seen `now`, forgets addresses unseen for [`ADDR_MAX_AGE_MS`], and keeps the
    /// [`MAX_REMEMBERED_ADDRS`] seen most recently, newest first. Returns whether anything changed.
    pub fn remember_addrs(&mut self, fresh: &[String], now: i64) -> bool {
        let before = (self.addrs.clone(), self.addr_seen.clone());
        let mut seen = std::mem::take(&mut self.addr_seen);
        let mut addrs = std::mem::take(&mut self.addrs);
        for a in fresh {
            if !addrs.contains(a) {
                addrs.push(a.clone());
            }
            seen.insert(a.clone(), now);
        }
        let at = |a: &String| seen.get(a).copied().unwrap_or(self.paired_at);
        addrs.retain(|a| now.saturating_sub(at(a)) <= ADDR_MAX_AGE_MS);
        // Stable: among equally fresh addresses the announced order (relays first) stays.
        addrs.sort_by_key(|a| Reverse(at(a)));
        addrs.truncate(MAX_REMEMBERED_ADDRS);
        seen.retain(|a, _| addrs.contains(a));
        self.addrs = addrs;
        self.addr_seen = seen;
        (&self.addrs, &self.addr_seen) != (&before.0, &before.1)
    }

    pub fn addrs_of(addrs: &[PairingAddr]) -> Vec<String> {
        addrs
            .iter()
            .map(|a| match a {
                PairingAddr::Ip(s) => s.to_string(),
                PairingAddr::Relay(u) => format!("relay:{u}"),
            })
            .collect()
    }
}

/// One paired device, as the UI shows it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PeerView {
    /// Endpoint id, hex.
    pub id: String,
    /// "partner" or "own_device".
    pub scope: String,
    pub label: String,
    /// A session with it is up right now.
    pub connected: bool,
    pub last_synced: Option<i64>,
    /// Local changes it has not confirmed yet.
    pub pending: bool,
    /// While connected: how its traffic goes now. Otherwise: how the last session went
    /// (None before the first one).
    pub path: Option<ConnectionPath>,
    /// The addresses this device remembers for it, most recently seen first (`relay:URL` for a
    /// relay).
    pub addrs: Vec<String>,
}

/// How a paired device's traffic reaches this one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionPath {
    /// Straight between the two devices.
    Direct,
    /// Through the relay server, end-to-end encrypted.
    Relay,
}

impl ConnectionPath {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionPath::Direct => "direct",
            ConnectionPath::Relay => "relay",
        }
    }
}

/// This device's connection to the relay set in its network settings.
#[derive(Clone, Debug, PartialEq)]
pub struct RelayView {
    pub url: String,
    pub connected: bool,
    /// Why it is not connected, in the network library's words (for "Details" and the CLI).
    pub error: Option<String>,
}

impl PeerView {
    /// The first 8 hex digits, enough to tell devices apart and to type in `unpair`.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(8)]
    }
}

/// An open invitation to pair.
#[derive(Clone, Debug, PartialEq)]
pub struct InviteView {
    pub code: String,
    pub own_device: bool,
    /// Unix milliseconds.
    pub expires_at: i64,
}

/// How the last pairing attempt ended.
#[derive(Clone, Debug, PartialEq)]
pub enum PairingOutcome {
    /// Both devices show this code; the people compare it aloud.
    Paired {
        safety_code: String,
        peer: String,
        own_device: bool,
    },
    Failed(NetError),
}

/// A refused network request or a failed pairing. The window chooses its words from `failure`;
/// `message` is the engine's own account, for "Details", the CLI and bug reports.
#[derive(Clone, Debug, PartialEq)]
pub struct NetError {
    pub failure: PairingFailure,
    pub message: String,
}

impl NetError {
    pub fn new(failure: PairingFailure, message: impl Into<String>) -> Self {
        NetError {
            failure,
            message: message.into(),
        }
    }

    /// A failure with no advice of its own: the message is all the person gets.
    pub fn other(message: impl Into<String>) -> Self {
        Self::new(PairingFailure::Other, message)
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why the worker did not do something it was sent, as the window and the CLI receive it.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// A command the documents refused (empty text, an unknown id…): its message is said as is.
    Command(String),
    /// A network request (pairing, settings), typed so the window can say what to do next.
    Net(NetError),
}

impl Refusal {
    pub fn net(&self) -> Option<&NetError> {
        match self {
            Refusal::Net(e) => Some(e),
            Refusal::Command(_) => None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Command(msg) => f.write_str(msg),
            Refusal::Net(e) => e.fmt(f),
        }
    }
}

/// Network settings a person can change; all off by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkSettings {
    /// A relay for syncing across networks (self-hosted iroh-relay, or a public one).
    pub relay_url: Option<String>,
    /// Ask the router to forward a port (UPnP/PCP/NAT-PMP).
    pub port_mapping: bool,
}

/// Everything about pairing and sync the UI needs.
#[derive(Clone, Debug, Default)]
pub struct SyncView {
    /// The network node is running.
    pub online: bool,
    /// Why it is not, if it failed to start.
    pub error: Option<String>,
    /// This device's endpoint id, hex (empty before the node first started).
    pub device_id: String,
    pub peers: Vec<PeerView>,
    pub invite: Option<InviteView>,
    pub joining: bool,
    pub outcome: Option<PairingOutcome>,
    pub settings: NetworkSettings,
    /// A paired device sent data outside what it may change; shown once, then kept in the log.
    pub warning: Option<String>,
    /// The relay's state while one is set and the network is on.
    pub relay: Option<RelayView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 60 * 60 * 1000;

    fn record(addrs: &[&str], paired_at: i64) -> PeerRecord {
        PeerRecord {
            scope: "partner".into(),
            addrs: addrs.iter().map(|a| a.to_string()).collect(),
            label: "Alex's device".into(),
            paired_at,
            last_synced: None,
            synced_heads: Vec::new(),
            addr_seen: BTreeMap::new(),
            last_path: None,
        }
    }

    #[test]
    fn a_moved_device_is_remembered_where_it_is_now_and_old_addresses_age_out() {
        let mut r = record(&["10.0.1.2:4000", "relay:http://10.0.0.1:3340/"], 0);
        // Ten days later it announces a new address and the same relay.
        let fresh = [
            "relay:http://10.0.0.1:3340/".to_string(),
            "10.0.3.2:5000".into(),
        ];
        assert!(r.remember_addrs(&fresh, 10 * DAY));
        assert_eq!(r.addrs[..2], fresh);
        assert!(r.addrs.contains(&"10.0.1.2:4000".to_string()));
        // Announcing the same again at the same moment changes nothing.
        assert!(!r.remember_addrs(&fresh, 10 * DAY));
        // Past thirty days from pairing the old one is gone; the announced ones stay.
        assert!(r.remember_addrs(&fresh[..1], 31 * DAY));
        assert_eq!(r.addrs, fresh.to_vec());
        assert!(!r.addr_seen.contains_key("10.0.1.2:4000"));
        // Unseen for thirty days after its last announcement, the direct one goes too.
        r.remember_addrs(&fresh[..1], 41 * DAY);
        assert_eq!(r.addrs, vec![fresh[0].clone()]);
    }

    #[test]
    fn at_most_sixteen_addresses_are_kept_newest_first() {
        let mut r = record(&[], 0);
        for i in 0..40 {
            r.remember_addrs(&[format!("10.0.0.{i}:1")], i64::from(i) * 1000);
        }
        assert_eq!(r.addrs.len(), MAX_REMEMBERED_ADDRS);
        assert_eq!(r.addrs[0], "10.0.0.39:1");
        assert_eq!(r.addr_seen.len(), MAX_REMEMBERED_ADDRS);
    }

    #[test]
    fn a_record_written_before_addresses_had_times_still_reads() {
        let old = r#"{"scope":"partner","addrs":["10.0.0.1:1"],"label":"x","paired_at":5,"last_synced":null}"#;
        let r: PeerRecord = serde_json::from_str(old).unwrap();
        assert!(r.addr_seen.is_empty());
        assert_eq!(r.last_path, None);
    }
}
