//! Pairing: inviting, joining with a code, recording the new device, and unpairing.

use kintsugi_core::PartnerId;
use kintsugi_sync::{Paired, PairingCode, PairingKind};

use super::{INVITE_TTL, Request, Worker, lock};
use crate::clock::now_ms;
use crate::peers::{InviteView, NetError, PairingOutcome, PeerRecord};

/// Said when a device of my own is to be added to passphrase-protected data without it.
pub const OWN_DEVICE_NEEDS_PASSPHRASE: &str = "adding a device of your own needs your passphrase: that device will receive your private journal";

impl Worker {
    /// An invitation for a device of mine, once the passphrase (if one is set) is given.
    pub(super) fn invite_own_device(
        &mut self,
        passphrase: Option<secrecy::SecretString>,
    ) -> Result<(), NetError> {
        {
            let v = lock(&self.vault);
            if v.store().is_encrypted() {
                let Some(p) = passphrase else {
                    return Err(NetError::other(OWN_DEVICE_NEEDS_PASSPHRASE));
                };
                v.store().check_passphrase(&p).map_err(|_| {
                    NetError::other(
                        "that is not the passphrase of this device's data; no device was added",
                    )
                })?;
            }
        }
        self.invite_checked(true)
    }

    /// Without a passphrase check: refused for a device of my own while one is set.
    pub(super) fn invite(&mut self, own_device: bool) -> Result<(), NetError> {
        if own_device && lock(&self.vault).store().is_encrypted() {
            return Err(NetError::other(OWN_DEVICE_NEEDS_PASSPHRASE));
        }
        self.invite_checked(own_device)
    }

    fn invite_checked(&mut self, own_device: bool) -> Result<(), NetError> {
        self.go_online();
        let rt = self.net.as_ref().map(|n| n.rt.handle().clone());
        let _guard = rt.as_ref().map(|h| h.enter());
        let net = self.net.as_ref().ok_or_else(|| self.offline_reason())?;
        let (kind, info) = {
            let v = lock(&self.vault);
            let view = v.view();
            if !view.is_set_up() {
                return Err(NetError::other(
                    "set up this device before inviting another one",
                ));
            }
            let info = if own_device {
                serde_json::json!({ "partner_id": v.me().0 })
            } else {
                // `member`: whose device this is, for the enrolment the partner's device signs.
                serde_json::json!({ "name": view.my_name, "member": v.me().0 })
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

    pub(super) fn cancel_invite(&mut self) {
        if let Some(net) = &self.net {
            net.node.close_invite();
        }
        self.invite = None;
    }

    /// Checks the code before any network starts, then joins in the background; the result
    /// arrives as `Request::Joined`.
    pub(super) fn join(&mut self, code: String) -> Result<(), NetError> {
        let parsed = parse_code(&code)?;
        if parsed.kind == PairingKind::OwnDevice && lock(&self.vault).view().is_set_up() {
            return Err(NetError::other(
                "this code adds a device as the inviter's own second device, but this device is already set up for someone; use it on a device that has not been set up yet",
            ));
        }
        self.go_online();
        let net = self.net.as_ref().ok_or_else(|| self.offline_reason())?;
        let info = {
            let v = lock(&self.vault);
            serde_json::json!({ "name": v.view().my_name, "member": v.me().0 })
                .to_string()
                .into_bytes()
        };
        let node = net.node.clone();
        let tx = self.tx.clone();
        self.joining = true;
        self.outcome = None;
        net.rt.spawn(async move {
            let r = node
                .join(&code, info)
                .await
                .map_err(|e| NetError::new(e.failure(), e.to_string()));
            let _ = tx.send(Request::Joined(r));
        });
        Ok(())
    }

    pub(super) fn unpair(&mut self, id: &str) -> Result<(), NetError> {
        let v = lock(&self.vault);
        let peers = v.peers().map_err(|e| NetError::other(e.to_string()))?;
        let matches: Vec<_> = peers
            .iter()
            .filter(|(pid, _)| hex::encode(pid).starts_with(&id.to_lowercase()))
            .collect();
        let (pid, _) = match matches.as_slice() {
            [one] => *one,
            [] => return Err(NetError::other(format!("no paired device has the id {id}"))),
            _ => {
                return Err(NetError::other(format!(
                    "more than one paired device starts with {id}; give more of the id"
                )));
            }
        };
        let pid = *pid;
        let mut v = v;
        v.remove_peer(&pid)
            .map_err(|e| NetError::other(e.to_string()))?;
        drop(v);
        if let Some(net) = &self.net {
            net.node.remove_peer(pid);
        }
        self.connected.remove(&pid);
        Ok(())
    }

    pub(super) fn joined(&mut self, result: Result<Paired, NetError>) {
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
                            .map_err(|e| NetError::other(e.to_string())),
                        None => Err(NetError::other(
                            "the other device did not say whose device it is",
                        )),
                    };
                    if let Err(e) = adopted {
                        if let Some(net) = &self.net {
                            net.node.remove_peer(p.peer);
                        }
                        self.outcome = Some(PairingOutcome::Failed(e));
                        return;
                    }
                }
                self.paired(p, true);
            }
            Err(e) => self.outcome = Some(PairingOutcome::Failed(e)),
        }
    }

    /// `joined`: this device joined with a code (else it invited).
    pub(super) fn paired(&mut self, p: Paired, joined: bool) {
        let own_device = p.kind == PairingKind::OwnDevice;
        let mut v = lock(&self.vault);
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
            addr_seen: Default::default(),
            last_path: None,
        };
        if let Err(e) = v.put_peer(&p.peer, &rec) {
            self.outcome = Some(PairingOutcome::Failed(NetError::other(format!(
                "paired, but this device could not remember it: {e}"
            ))));
            return;
        }
        // Signed into the couple document: my other devices and the partner's learn the new
        // key from it, and every one of them shows that a device was added.
        let member = if own_device {
            v.me().clone()
        } else {
            PartnerId(
                serde_json::from_slice::<serde_json::Value>(&p.info)
                    .ok()
                    .and_then(|j| j.get("member")?.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            )
        };
        // A device joining as my own second device does not enrol the one that invited it:
        // that one is not new, and it enrols the joiner itself.
        if !(own_device && joined)
            && let Err(e) = v.enrol_device(&p.peer, &member, now_ms())
        {
            tracing::warn!("the new device could not be enrolled: {e}");
        }
        drop(v);
        self.save_now();
        self.invite = None;
        self.outcome = Some(PairingOutcome::Paired {
            safety_code: p.safety_code.clone(),
            peer: hex::encode(p.peer),
            own_device,
        });
    }
}

fn parse_code(code: &str) -> Result<PairingCode, NetError> {
    PairingCode::parse(code).map_err(|e| NetError::new(e.failure(), e.to_string()))
}

/// Reads a pairing code without touching the network: a front end calls it before starting
/// any, so a typo is told without a socket being bound.
pub fn check_pairing_code(code: &str) -> Result<(), NetError> {
    parse_code(code).map(|_| ())
}
