//! The sync protocol (`kintsugi/sync/1`): one session per paired peer, kept up by redialling with backoff.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use iroh::endpoint::{Connection, RecvStream, SendStream, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{Endpoint, EndpointId};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::endpoint::to_endpoint_addr;
use super::{
    AbortOnDrop, Active, CLOSE_DUPLICATE, CLOSE_NOT_PAIRED, CLOSE_PROTOCOL, CLOSE_VERSION,
    CONNECT_TIMEOUT, Core, HANDSHAKE_TIMEOUT, PairedPeer, SYNC_ALPN, StatusEvent, TransportError,
    lock, read_body, short,
};
use crate::session::{Session, SessionError, SessionEvent};
use crate::wire::{Frame, FrameError, LEN_PREFIX, MAX_FRAME_LEN, MAX_MESSAGE_LEN};

const SUPERVISOR_TICK: Duration = Duration::from_millis(200);

async fn write_frames(send: &mut SendStream, frames: Vec<Frame>) -> Result<(), TransportError> {
    for f in frames {
        if let Frame::Sync { message, .. } = &f
            && message.len() > MAX_MESSAGE_LEN
        {
            // The peer refuses a message that inflates past the limit, however well it packs.
            return Err(FrameError::TooLarge(message.len()).into());
        }
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

/// Runs one connection's session to its end. Returns whether it ended because the two devices
/// speak different protocol versions (redialling soon cannot help then).
async fn run_connection(
    core: Arc<Core>,
    conn: Connection,
    send: SendStream,
    recv: RecvStream,
    peer: PairedPeer,
    dialer: [u8; 32],
) -> bool {
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
                return false;
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
    let mut incompatible = false;
    match &result {
        Err(TransportError::Session(
            e @ (SessionError::PeerOutdated(theirs) | SessionError::PeerNewer(theirs)),
        )) => {
            incompatible = true;
            // The reason travels in the close frame, so the other side's logs say it too.
            warn!(peer = %short(&peer.id), "{e}");
            let reason: &[u8] = if matches!(e, SessionError::PeerOutdated(_)) {
                b"update Kintsugi: the paired device runs a newer version"
            } else {
                b"the paired device runs an older Kintsugi: update it there"
            };
            conn.close(VarInt::from_u32(CLOSE_VERSION), reason);
            core.emit(StatusEvent::IncompatibleVersion {
                peer: peer.id,
                theirs: *theirs,
                peer_is_newer: matches!(e, SessionError::PeerNewer(_)),
            });
        }
        Err(TransportError::Session(_)) => {
            conn.close(VarInt::from_u32(CLOSE_PROTOCOL), b"protocol");
        }
        _ => {}
    }
    let mut conns = lock(&core.conns);
    if conns.get(&peer.id).is_some_and(|a| a.id == conn_id) {
        conns.remove(&peer.id);
        core.emit(StatusEvent::PeerDisconnected {
            peer: peer.id,
            reason,
        });
    }
    incompatible
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
pub(super) struct SyncProtocol(pub(super) Arc<Core>);

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
        // The dialling side decides when to try again.
        let _ = run_connection(self.0.clone(), conn, send, recv, peer, remote).await;
        Ok(())
    }
}

/// Keeps a session to every paired peer: dials those without one, with exponential backoff.
pub(super) async fn supervise(core: Arc<Core>, endpoint: Endpoint) {
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
            if run_connection(core.clone(), conn, send, recv, peer.clone(), local).await {
                // Only an update helps: try again rarely (the update may come any time).
                let mut dial = lock(&core.dial);
                let st = dial.entry(peer.id).or_default();
                st.backoff = core.config.max_backoff;
                st.next_at = Some(Instant::now() + core.config.max_backoff);
                st.dialing = false;
            } else {
                // Reconnect quickly after a session that was up, then back off if dials fail.
                reset_backoff(&core, &peer.id, true);
            }
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
