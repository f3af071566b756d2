//! The pairing protocol (`kintsugi/pair/1`): the inviter's handler and the joiner's dial, offered only while an invite is open.

use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{
    ConnectError, ConnectingError, Connection, ConnectionError, TransportErrorCode, VarInt,
};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{Endpoint, EndpointAddr, EndpointId};
use tracing::{debug, info};

use super::endpoint::to_endpoint_addr;
use super::{
    CLOSE_DONE, CLOSE_NOT_PAIRED, CONNECT_TIMEOUT, Core, HANDSHAKE_TIMEOUT, PAIR_ALPN, PairedPeer,
    SYNC_ALPN, StatusEvent, SyncNode, TransportError, lock, now_unix, read_body, short,
};
use crate::pairing::{Invite, Join, PairFrame, Paired, PairingCode, PairingKind, RefuseReason};
use crate::wire::{FrameError, MAX_PAIR_FRAME};

#[derive(Debug, Clone)]
pub(super) struct PairProtocol {
    pub(super) core: Arc<Core>,
    pub(super) endpoint: Endpoint,
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
                        self.core.lan_invite(None);
                    }
                    (reply, paired, closed)
                }
                None => (PairFrame::Refuse(RefuseReason::NoInvite), None, false),
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

/// TLS alert `no_application_protocol`: the other side offers none of the ALPNs we asked for.
const TLS_NO_APPLICATION_PROTOCOL: u8 = 120;

/// Whether the inviter refused the pairing ALPN in the handshake: it answers, but its invite is
/// closed. Told apart from an unreachable device because the person's next step differs.
fn pairing_not_offered(e: &ConnectError) -> bool {
    let closed = match e {
        ConnectError::Connection { source, .. }
        | ConnectError::Connecting {
            source: ConnectingError::ConnectionError { source, .. },
            ..
        } => source,
        _ => return false,
    };
    matches!(closed, ConnectionError::ConnectionClosed(c)
        if c.error_code == TransportErrorCode::crypto(TLS_NO_APPLICATION_PROTOCOL))
}

impl SyncNode {
    /// Opens a one-time invite valid for `ttl` and returns its code (render as text or QR).
    /// `info` goes to the joiner on success (for `OwnDevice`: the partner identity it joins).
    /// Replaces any invite already open.
    pub fn open_invite(&self, kind: PairingKind, ttl: Duration, info: Vec<u8>) -> PairingCode {
        let expires_at = now_unix().saturating_add(ttl.as_secs().max(1));
        let invite = Invite::open(self.core.local_id, self.addrs(), kind, expires_at, info);
        let code = invite.code().clone();
        *lock(&self.core.invite) = Some(invite);
        self.core.lan_invite(Some(&code.secret));
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
                core.lan_invite(None);
                endpoint.set_alpns(vec![SYNC_ALPN.to_vec()]);
                core.emit(StatusEvent::InviteClosed);
            }
        });
        code
    }

    /// Closes the open invite, if any.
    pub fn close_invite(&self) {
        if lock(&self.core.invite).take().is_some() {
            self.core.lan_invite(None);
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
        // A code made before the inviter reached its relay names none: try ours (see
        // `Core::with_own_relay`).
        let reachable = self.core.with_own_relay(PairedPeer {
            id: join.code().endpoint_id,
            scope: join.code().kind.scope(),
            addrs: join.code().addrs.clone(),
        });
        let addr = to_endpoint_addr(remote, &reachable.addrs);
        let remote_bytes = join.code().endpoint_id;
        lock(&self.core.joining).insert(remote_bytes);
        if let Some(lan) = &self.core.lan {
            lan.start_join(&remote_bytes, &join.code().secret);
        }
        let result = self.join_inner(&join, addr, info).await;
        if let Some(lan) = &self.core.lan {
            lan.end_join(&remote_bytes);
        }
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
            .map_err(|e| {
                if pairing_not_offered(&e) {
                    TransportError::PairingNotOffered(e.to_string())
                } else {
                    TransportError::Connect(e.to_string())
                }
            })?;
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
}
