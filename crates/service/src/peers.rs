//! Paired devices as this device remembers them, and the status the UI shows for each.

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
}

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
}
