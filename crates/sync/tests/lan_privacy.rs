//! What an outsider on the same network hears of a device's mDNS: captured from the multicast group itself inside `offline-net`, never from the library's own record.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use data_encoding::{BASE32_NOPAD, HEXLOWER};
use kintsugi_sync::pairing::PairingKind;
use kintsugi_sync::session::{DocName, Scope};
use kintsugi_sync::transport::{
    MemoryDocHost, NodeConfig, PairedPeer, SyncNode, endpoint_id_of, generate_secret_key,
    loopback_only_network,
};
use socket2::{Domain, Protocol, Socket, Type};

const WAIT: Duration = Duration::from_secs(20);

/// One test at a time: each reads everything announced while it runs.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Every mDNS packet sent on the loopback network, with when it arrived (ms since the epoch,
/// the clock the announced names rotate by).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Heard>>>);

/// A packet and when it arrived.
type Heard = (u64, Vec<u8>);

impl Capture {
    /// Listens on 224.0.0.251:5353 the way any mDNS responder does, from now on.
    fn start() -> Capture {
        let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).unwrap();
        socket.set_reuse_address(true).unwrap();
        socket.set_reuse_port(true).unwrap();
        socket
            .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, 5353)).into())
            .unwrap();
        socket
            .join_multicast_v4(&Ipv4Addr::new(224, 0, 0, 251), &Ipv4Addr::UNSPECIFIED)
            .unwrap();
        let socket: UdpSocket = socket.into();
        let capture = Capture::default();
        let packets = capture.0.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 9000];
            while let Ok(n) = socket.recv(&mut buf) {
                let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
                packets
                    .lock()
                    .unwrap()
                    .push((at.as_millis() as u64, buf[..n].to_vec()));
            }
        });
        capture
    }

    fn packets(&self) -> Vec<Heard> {
        self.0.lock().unwrap().clone()
    }
}

/// Every way iroh and its mDNS libraries write an endpoint id, and its short forms.
fn encodings(id: &[u8; 32]) -> Vec<Vec<u8>> {
    let key = iroh::PublicKey::from_bytes(id).unwrap();
    let texts = [
        HEXLOWER.encode(id),
        BASE32_NOPAD.encode(id).to_ascii_lowercase(),
        key.to_z32(),
        key.to_string(),
        key.fmt_short().to_string(),
    ];
    let mut out: Vec<Vec<u8>> = texts
        .iter()
        .flat_map(|t| [t.clone(), t[..t.len().min(10)].to_owned()])
        .map(|t| t.to_ascii_lowercase().into_bytes())
        .collect();
    out.push(id.to_vec());
    out.push(id[..8].to_vec());
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A response (QR bit set) with at least one answer record: an announcement.
fn is_announcement(p: &[u8]) -> bool {
    p.len() > 12 && p[2] & 0x80 != 0 && u16::from_be_bytes([p[6], p[7]]) > 0
}

fn text_doc(s: &str) -> AutoCommit {
    let mut d = AutoCommit::new();
    let t = d.put_object(ROOT, "text", ObjType::Text).unwrap();
    d.splice_text(&t, 0, 0, s).unwrap();
    d.commit();
    d
}

fn doc_text(host: &MemoryDocHost, name: DocName) -> Option<String> {
    host.with_doc(name, |d| {
        let (_, t) = d.get(ROOT, "text").ok()??;
        d.text(t).ok()
    })
    .flatten()
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn lan(key: [u8; 32]) -> NodeConfig {
    NodeConfig {
        mdns: true,
        ..NodeConfig::loopback(key)
    }
}

/// Two paired devices that found each other by mDNS alone, and one with an invite open: what
/// they put on the network names neither device nor the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outsider_on_the_network_learns_neither_the_device_nor_the_app() {
    if !loopback_only_network() {
        eprintln!("skipped: run inside offline-net (mDNS must stay on loopback)");
        return;
    }
    let _alone = SERIAL.lock().await;
    let capture = Capture::start();
    let (ka, kb) = (generate_secret_key(), generate_secret_key());
    let (ia, ib) = (endpoint_id_of(&ka), endpoint_id_of(&kb));
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, text_doc("lan"))]));
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    // No addresses: only mDNS can bring them together.
    let peer = |id| PairedPeer {
        id,
        scope: Scope::Partner,
        addrs: vec![],
    };
    let (a, _a_rx) = SyncNode::spawn(lan(ka), a_host, vec![peer(ib)])
        .await
        .unwrap();
    let (b, _b_rx) = SyncNode::spawn(lan(kb), b_host.clone(), vec![peer(ia)])
        .await
        .unwrap();
    a.open_invite(PairingKind::OwnDevice, Duration::from_secs(60), vec![]);
    wait_until("sync via mDNS", || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("lan")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let packets = capture.packets();
    assert!(
        packets.iter().any(|(_, p)| is_announcement(p)),
        "the capture heard no announcement ({} packets)",
        packets.len()
    );
    for (_, p) in &packets {
        let lower = p.to_ascii_lowercase();
        assert!(
            !contains(&lower, b"kintsugi"),
            "the app is named on the network: {}",
            String::from_utf8_lossy(p)
        );
        for (who, id) in [("a", &ia), ("b", &ib)] {
            for enc in encodings(id) {
                assert!(
                    !contains(&lower, &enc) && !contains(p, &enc),
                    "device {who}'s id ({}) is on the network: {}",
                    String::from_utf8_lossy(&enc),
                    String::from_utf8_lossy(p)
                );
            }
        }
    }
    a.shutdown().await;
    b.shutdown().await;
}

/// A DNS name at `at` (following compression pointers) and where the record goes on.
fn read_name(p: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut labels = Vec::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *p.get(at)? as usize;
        if len == 0 {
            return Some((labels.join("."), end.unwrap_or(at + 1)));
        }
        if len & 0xc0 == 0xc0 {
            end.get_or_insert(at + 2);
            at = ((len & 0x3f) << 8) | *p.get(at + 1)? as usize;
            continue;
        }
        labels.push(String::from_utf8_lossy(p.get(at + 1..at + 1 + len)?).to_lowercase());
        at += 1 + len;
    }
    None
}

/// The names a packet's answer records are announced under.
fn answer_names(p: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if p.len() < 12 {
        return out;
    }
    let (qd, an) = (
        u16::from_be_bytes([p[4], p[5]]),
        u16::from_be_bytes([p[6], p[7]]),
    );
    let mut at = 12;
    for _ in 0..qd {
        let Some((_, next)) = read_name(p, at) else {
            return out;
        };
        at = next + 4;
    }
    for _ in 0..an {
        let Some((name, next)) = read_name(p, at) else {
            return out;
        };
        let Some(rdlen) = p.get(next + 8..next + 10) else {
            return out;
        };
        at = next + 10 + u16::from_be_bytes([rdlen[0], rdlen[1]]) as usize;
        out.push(name);
    }
    out
}

/// Paired devices find each other again in a later period (one came back on another port), and
/// what was announced in one period shares no name with what was announced in another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announced_names_change_every_period_and_paired_devices_still_meet() {
    if !loopback_only_network() {
        eprintln!("skipped: run inside offline-net (mDNS must stay on loopback)");
        return;
    }
    let _alone = SERIAL.lock().await;
    let capture = Capture::start();
    let period = Duration::from_secs(2);
    let cfg = |key| NodeConfig {
        mdns_period: period,
        ..lan(key)
    };
    let (ka, kb) = (generate_secret_key(), generate_secret_key());
    let (ia, ib) = (endpoint_id_of(&ka), endpoint_id_of(&kb));
    let peer = |id| PairedPeer {
        id,
        scope: Scope::Partner,
        addrs: vec![],
    };
    let a_host = Arc::new(MemoryDocHost::new([(DocName::Couple, text_doc("lan"))]));
    let b_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (a, _a_rx) = SyncNode::spawn(cfg(ka), a_host, vec![peer(ib)])
        .await
        .unwrap();
    let (b, _b_rx) = SyncNode::spawn(cfg(kb), b_host.clone(), vec![peer(ia)])
        .await
        .unwrap();
    wait_until("sync via mDNS", || {
        doc_text(&b_host, DocName::Couple).as_deref() == Some("lan")
    })
    .await;
    b.shutdown().await;
    drop(b);
    tokio::time::sleep(period * 2).await;
    let b2_host = Arc::new(MemoryDocHost::new([(DocName::Couple, AutoCommit::new())]));
    let (b2, _b2_rx) = SyncNode::spawn(cfg(kb), b2_host.clone(), vec![peer(ia)])
        .await
        .unwrap();
    wait_until("sync via mDNS in a later period", || {
        doc_text(&b2_host, DocName::Couple).as_deref() == Some("lan")
    })
    .await;
    tokio::time::sleep(period * 2).await;
    a.shutdown().await;
    b2.shutdown().await;

    // Away from the boundaries, where both periods' names are in use on purpose.
    let p = period.as_millis() as u64;
    let mut by_period: std::collections::BTreeMap<u64, std::collections::BTreeSet<String>> =
        Default::default();
    for (at, packet) in capture.packets() {
        let (epoch, into) = (at / p, at % p);
        if into < p * 3 / 10 || into > p * 7 / 10 || !is_announcement(&packet) {
            continue;
        }
        by_period
            .entry(epoch)
            .or_default()
            .extend(answer_names(&packet));
    }
    assert!(
        by_period.len() >= 3,
        "announcements heard in {} periods only",
        by_period.len()
    );
    let periods: Vec<_> = by_period.iter().collect();
    for (i, (e1, n1)) in periods.iter().enumerate() {
        for (e2, n2) in &periods[i + 1..] {
            let shared: Vec<_> = n1
                .intersection(n2)
                .filter(|n| *n != "local" && *n != "_udp.local")
                .collect();
            assert!(
                shared.is_empty(),
                "periods {e1} and {e2} announced the same names: {shared:?}"
            );
        }
    }
}
