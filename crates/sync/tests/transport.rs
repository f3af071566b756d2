//! Loopback tests of the iroh transport; run inside `offline-net` (see STACK-NOTES).

use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use iroh::endpoint::EndpointHooks;
use kintsugi_sync::pairing::{PairingFailure, PairingKind};
use kintsugi_sync::session::{DocName, Scope};
use kintsugi_sync::transport::{
    MemoryDocHost, NodeConfig, PAIR_ALPN, SYNC_ALPN, StatusEvent, SyncNode, bind_endpoint,
    generate_secret_key,
};
use tokio::sync::mpsc::UnboundedReceiver;

const MARKER: &str = "PRIVATE-MARKER-c0ffee";
const WAIT: Duration = Duration::from_secs(15);

fn text_doc(s: &str) -> AutoCommit {
    let mut d = AutoCommit::new();
    let t = d.put_object(ROOT, "text", ObjType::Text).unwrap();
    d.splice_text(&t, 0, 0, s).unwrap();
    d.commit();
    d
}

fn text_of(d: &AutoCommit) -> Option<String> {
    let (_, t) = d.get(ROOT, "text").ok()??;
    d.text(t).ok()
}

fn append(d: &mut AutoCommit, s: &str) {
    let (_, t) = d.get(ROOT, "text").unwrap().unwrap();
    let len = d.length(&t);
    d.splice_text(&t, len, 0, s).unwrap();
    d.commit();
}

fn doc_text(host: &MemoryDocHost, name: DocName) -> Option<String> {
    host.with_doc(name, |d| text_of(d)).flatten()
}

async fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_event(
    rx: &mut UnboundedReceiver<StatusEvent>,
    what: &str,
    mut pred: impl FnMut(&StatusEvent) -> bool,
) -> StatusEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return ev,
            Ok(Some(_)) => {}
            Ok(None) => panic!("status channel closed waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

async fn node(host: Arc<MemoryDocHost>) -> (SyncNode, UnboundedReceiver<StatusEvent>) {
    SyncNode::spawn(NodeConfig::loopback(generate_secret_key()), host, vec![])
        .await
        .expect("spawn node")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_with_code_then_sync_couple_both_ways_private_stays_home() {
    let a_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, text_doc("pact: ")),
        (DocName::Private, text_doc(MARKER)),
    ]));
    let b_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, AutoCommit::new()),
        (DocName::Private, text_doc("b-journal")),
    ]));
    let (a, mut a_rx) = node(a_host.clone()).await;
    let (b, mut b_rx) = node(b_host.clone()).await;

    let code = a.open_invite(
        PairingKind::PartnerDevice,
        Duration::from_secs(60),
        b"alex".to_vec(),
    );
    let joined = tokio::time::timeout(WAIT, b.join(&code.to_text(), b"sam".to_vec()))
        .await
        .expect("join in time")
        .expect("join ok");
    assert_eq!(joined.peer, a.endpoint_id());
    assert_eq!(joined.info, b"alex");
    let StatusEvent::Paired(inviter_side) =
        wait_event(&mut a_rx, "paired", |e| matches!(e, StatusEvent::Paired(_))).await
    else {
        unreachable!()
    };
    assert_eq!(inviter_side.peer, b.endpoint_id());
    assert_eq!(inviter_side.info, b"sam");
    assert_eq!(inviter_side.safety_code, joined.safety_code);
    assert_eq!(inviter_side.kind.scope(), Scope::Partner);

    // A's couple doc reaches B.
    wait_until("couple doc at B", WAIT, || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("pact: ")
    })
    .await;
    wait_event(&mut b_rx, "b connected", |e| {
        matches!(e, StatusEvent::PeerConnected { .. })
    })
    .await;

    // B edits; pushed to A within a second of notify.
    b_host.with_doc(DocName::Couple, |d| append(d, "from-b; "));
    b.notify_local_change();
    wait_until("B's edit at A", Duration::from_secs(1), || {
        doc_text(&a_host, DocName::Couple).is_some_and(|t| t.contains("from-b; "))
    })
    .await;

    // A edits; reaches B.
    a_host.with_doc(DocName::Couple, |d| append(d, "from-a."));
    a.notify_local_change();
    wait_until("A's edit at B", Duration::from_secs(1), || {
        doc_text(&b_host, DocName::Couple).is_some_and(|t| t.contains("from-a."))
    })
    .await;
    wait_until("both equal", WAIT, || {
        doc_text(&a_host, DocName::Couple) == doc_text(&b_host, DocName::Couple)
    })
    .await;
    wait_event(&mut a_rx, "in sync", |e| {
        matches!(e, StatusEvent::InSync { .. })
    })
    .await;

    // The partner never got the private journal, and A never got B's.
    assert_eq!(
        doc_text(&b_host, DocName::Private).as_deref(),
        Some("b-journal")
    );
    assert_eq!(doc_text(&a_host, DocName::Private).as_deref(), Some(MARKER));
    assert_eq!(b_host.remote_change_count(DocName::Private), 0);
    assert_eq!(a_host.remote_change_count(DocName::Private), 0);
    // remote_changed runs right after the merge, on the session task: wait, don't race it.
    wait_until("B notified of couple changes", WAIT, || {
        b_host.remote_change_count(DocName::Couple) > 0
    })
    .await;

    // The invite was one-time: a second join with the same code is refused.
    let again = tokio::time::timeout(WAIT, b.join(&code.to_text(), vec![])).await;
    assert!(matches!(again, Ok(Err(_))), "second join must fail");

    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_device_pairing_syncs_private_journal() {
    let a_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, text_doc("pact")),
        (DocName::Private, text_doc(MARKER)),
    ]));
    let phone_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, AutoCommit::new()),
        (DocName::Private, AutoCommit::new()),
    ]));
    let (a, _a_rx) = node(a_host.clone()).await;
    let (phone, _p_rx) = node(phone_host.clone()).await;
    let code = a.open_invite(PairingKind::OwnDevice, Duration::from_secs(60), vec![]);
    let joined = tokio::time::timeout(WAIT, phone.join(&code.to_text(), vec![]))
        .await
        .expect("join in time")
        .expect("join ok");
    assert_eq!(joined.kind.scope(), Scope::OwnDevice);
    wait_until("private at own device", WAIT, || {
        doc_text(&phone_host, DocName::Private).as_deref() == Some(MARKER)
    })
    .await;
    a.shutdown().await;
    phone.shutdown().await;
}

#[derive(Debug)]
struct NoHooks;
impl EndpointHooks for NoHooks {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaired_endpoint_is_refused_before_any_frame() {
    let a_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, text_doc("couple-secret")),
        (DocName::Private, text_doc(MARKER)),
    ]));
    let (a, mut a_rx) = node(a_host).await;
    let a_addr = iroh::EndpointAddr::from_parts(
        iroh::EndpointId::from_bytes(&a.endpoint_id()).unwrap(),
        a.addrs().into_iter().filter_map(|x| match x {
            kintsugi_sync::PairingAddr::Ip(s) => Some(iroh::TransportAddr::Ip(s)),
            _ => None,
        }),
    );

    let stranger = bind_endpoint(&NodeConfig::loopback(generate_secret_key()), NoHooks)
        .await
        .expect("bind stranger");
    let attempt = tokio::time::timeout(WAIT, async {
        let conn = stranger.connect(a_addr.clone(), SYNC_ALPN).await.ok()?;
        // Even if the handshake completed, the server refuses: no stream, no bytes.
        let (mut send, mut recv) = conn.open_bi().await.ok()?;
        send.write_all(b"\0\0\0\x01\x01").await.ok()?;
        let mut buf = [0u8; 1];
        recv.read_exact(&mut buf).await.ok()?;
        Some(buf)
    })
    .await
    .expect("attempt ends in time");
    assert_eq!(attempt, None, "an unpaired endpoint received bytes");
    let ev = wait_event(&mut a_rx, "refused", |e| {
        matches!(e, StatusEvent::Refused { .. })
    })
    .await;
    assert_eq!(
        ev,
        StatusEvent::Refused {
            peer: *stranger.id().as_bytes()
        }
    );

    // Without an open invite the pairing ALPN is not even offered.
    let pair = tokio::time::timeout(WAIT, stranger.connect(a_addr.clone(), PAIR_ALPN))
        .await
        .expect("pair attempt ends in time");
    assert!(
        pair.is_err(),
        "pairing ALPN must be closed without an invite"
    );

    // A node with a code for a closed invite is refused too.
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (b, _b_rx) = node(b_host.clone()).await;
    let code = a.open_invite(PairingKind::PartnerDevice, Duration::from_secs(60), vec![]);
    a.close_invite();
    let join = tokio::time::timeout(WAIT, b.join(&code.to_text(), vec![]))
        .await
        .expect("join ends in time");
    assert!(join.is_err());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(doc_text(&b_host, DocName::Couple), None);

    stranger.close().await;
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_peer_restart_and_syncs_offline_edits() {
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, text_doc("v1 "))]));
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (a, mut a_rx) = node(a_host.clone()).await;
    let b_key = generate_secret_key();
    let (b, _b_rx) = SyncNode::spawn(NodeConfig::loopback(b_key), b_host.clone(), vec![])
        .await
        .expect("spawn b");
    let code = a.open_invite(PairingKind::PartnerDevice, Duration::from_secs(60), vec![]);
    let joined = tokio::time::timeout(WAIT, b.join(&code.to_text(), vec![]))
        .await
        .expect("join in time")
        .expect("join ok");
    wait_until("first sync", WAIT, || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("v1 ")
    })
    .await;

    // B goes away; A edits while it is gone.
    b.shutdown().await;
    wait_event(&mut a_rx, "disconnect", |e| {
        matches!(e, StatusEvent::PeerDisconnected { .. })
    })
    .await;
    a_host.with_doc(DocName::Couple, |d| append(d, "offline-edit"));
    a.notify_local_change();

    // B comes back with the same identity on a new port; it dials A from the stored peer.
    let peer = kintsugi_sync::transport::PairedPeer::from_paired(&joined);
    let (b2, _b2_rx) = SyncNode::spawn(NodeConfig::loopback(b_key), b_host.clone(), vec![peer])
        .await
        .expect("respawn b");
    wait_until("offline edit after reconnect", WAIT, || {
        doc_text(&b_host, DocName::Couple).is_some_and(|t| t.contains("offline-edit"))
    })
    .await;
    a.shutdown().await;
    b2.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_data_from_a_peer_with_a_wider_view_of_its_scope_is_refused() {
    // A thinks B is the partner; B (wrongly, or maliciously) thinks A is its own device and
    // even resumes a private sync state, so it pushes its private journal unasked.
    let a_key = generate_secret_key();
    let b_key = generate_secret_key();
    let a_id = kintsugi_sync::transport::endpoint_id_of(&a_key);
    let b_id = kintsugi_sync::transport::endpoint_id_of(&b_key);
    let a_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, text_doc("c")),
        (DocName::Private, text_doc(MARKER)),
    ]));
    let b_private = text_doc("b-secret");
    let b_host = Arc::new(MemoryDocHost::new([
        (DocName::Couple, AutoCommit::new()),
        (DocName::Private, b_private),
    ]));
    use kintsugi_sync::transport::DocHost;
    b_host.save_sync_states(
        a_id,
        vec![(DocName::Private, automerge::sync::State::new().encode())],
    );
    let (a, mut a_rx) = SyncNode::spawn(NodeConfig::loopback(a_key), a_host.clone(), vec![])
        .await
        .unwrap();
    let a_peer_for_b = kintsugi_sync::transport::PairedPeer {
        id: a_id,
        scope: Scope::OwnDevice,
        addrs: a.addrs(),
    };
    let (b, _b_rx) = SyncNode::spawn(
        NodeConfig::loopback(b_key),
        b_host.clone(),
        vec![a_peer_for_b],
    )
    .await
    .unwrap();
    a.add_peer(kintsugi_sync::transport::PairedPeer {
        id: b_id,
        scope: Scope::Partner,
        addrs: b.addrs(),
    });
    let ev = wait_event(&mut a_rx, "scope violation", |e| {
        matches!(e, StatusEvent::ScopeViolation { .. })
    })
    .await;
    assert_eq!(
        ev,
        StatusEvent::ScopeViolation {
            peer: b_id,
            doc: DocName::Private
        }
    );
    wait_until("couple synced", WAIT, || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("c")
    })
    .await;
    assert_eq!(doc_text(&a_host, DocName::Private).as_deref(), Some(MARKER));
    assert_eq!(a_host.remote_change_count(DocName::Private), 0);
    assert_eq!(
        doc_text(&b_host, DocName::Private).as_deref(),
        Some("b-secret")
    );
    assert_eq!(b_host.remote_change_count(DocName::Private), 0);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mdns_finds_the_inviter_when_the_code_has_no_addresses() {
    if !kintsugi_sync::transport::loopback_only_network() {
        eprintln!("skipped: run inside offline-net (mDNS must stay on loopback)");
        return;
    }
    let mdns = |key| NodeConfig {
        mdns: true,
        ..NodeConfig::loopback(key)
    };
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, text_doc("lan"))]));
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (a, _a_rx) = SyncNode::spawn(mdns(generate_secret_key()), a_host, vec![])
        .await
        .unwrap();
    let (b, _b_rx) = SyncNode::spawn(mdns(generate_secret_key()), b_host.clone(), vec![])
        .await
        .unwrap();
    let mut code = a.open_invite(PairingKind::PartnerDevice, Duration::from_secs(60), vec![]);
    code.addrs.clear();
    let joined = tokio::time::timeout(WAIT, b.join(&code.to_text(), vec![]))
        .await
        .expect("join in time")
        .expect("join via mDNS");
    assert_eq!(joined.peer, a.endpoint_id());
    wait_until("sync via mDNS", WAIT, || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("lan")
    })
    .await;
    a.shutdown().await;
    b.shutdown().await;
}

/// The window tells "the code is gone" apart from "the device is unreachable" by this kind,
/// never by the error's text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_a_closed_invite_says_the_invite_is_gone() {
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (a, _a_rx) = node(a_host).await;
    let (b, _b_rx) = node(b_host).await;
    let code = a.open_invite(PairingKind::PartnerDevice, Duration::from_secs(60), vec![]);
    a.close_invite();
    let err = tokio::time::timeout(WAIT, b.join(&code.to_text(), vec![]))
        .await
        .expect("join ends in time")
        .expect_err("a closed invite refuses");
    assert_eq!(err.failure(), PairingFailure::NoInviteOpen, "{err}");
    let err = b
        .join("kintsugi1-abcdefghijklmnop", vec![])
        .await
        .unwrap_err();
    assert_eq!(err.failure(), PairingFailure::MistypedCode, "{err}");
    a.shutdown().await;
    b.shutdown().await;
}

/// A paired device still on sync protocol 1 connects: it receives our hello (same layout,
/// version 2, so its own code refuses with a version error, never a misread frame), and we
/// close with code 7 and "update Kintsugi" as the reason, and report which side is older.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_device_on_the_old_protocol_is_told_to_update() {
    let old_key = generate_secret_key();
    let old_id = kintsugi_sync::transport::endpoint_id_of(&old_key);
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, text_doc("ours"))]));
    let (a, mut a_rx) = SyncNode::spawn(
        NodeConfig::loopback(generate_secret_key()),
        a_host.clone(),
        vec![],
    )
    .await
    .unwrap();
    a.add_peer(kintsugi_sync::transport::PairedPeer {
        id: old_id,
        scope: Scope::Partner,
        addrs: vec![],
    });
    let a_addr = iroh::EndpointAddr::from_parts(
        iroh::EndpointId::from_bytes(&a.endpoint_id()).unwrap(),
        a.addrs().into_iter().filter_map(|x| match x {
            kintsugi_sync::PairingAddr::Ip(s) => Some(iroh::TransportAddr::Ip(s)),
            _ => None,
        }),
    );
    let old = bind_endpoint(&NodeConfig::loopback(old_key), NoHooks)
        .await
        .expect("bind the old device");
    let conn = tokio::time::timeout(WAIT, old.connect(a_addr, SYNC_ALPN))
        .await
        .expect("connects in time")
        .expect("a paired device connects");
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    // The hello protocol 1 sends: tag, version 1, device id, one document (couple), no couple id.
    let mut hello = vec![0x01, 0x00, 0x01];
    hello.extend_from_slice(&old_id);
    hello.extend_from_slice(&[1, DocName::Couple.wire_id(), 0]);
    send.write_all(&kintsugi_sync::session::length_prefixed(&hello))
        .await
        .unwrap();
    // Our hello arrives as protocol 1 would read it: tag 1, then version 2.
    let mut head = [0u8; 7];
    recv.read_exact(&mut head).await.unwrap();
    assert_eq!(&head[4..], &[0x01, 0x00, 0x02]);
    let ev = wait_event(&mut a_rx, "incompatible version", |e| {
        matches!(e, StatusEvent::IncompatibleVersion { .. })
    })
    .await;
    assert_eq!(
        ev,
        StatusEvent::IncompatibleVersion {
            peer: old_id,
            theirs: 1,
            peer_is_newer: false
        }
    );
    let closed = tokio::time::timeout(WAIT, conn.closed())
        .await
        .expect("closed in time");
    match closed {
        iroh::endpoint::ConnectionError::ApplicationClosed(c) => {
            assert_eq!(c.error_code, iroh::endpoint::VarInt::from_u32(7));
            let reason = String::from_utf8_lossy(&c.reason).into_owned();
            assert!(reason.contains("update Kintsugi"), "{reason}");
        }
        other => panic!("closed without a reason: {other:?}"),
    }
    assert_eq!(doc_text(&a_host, DocName::Couple).as_deref(), Some("ours"));
    old.close().await;
    a.shutdown().await;
}
