//! Finding paired devices on the local network (mDNS) without naming this device or the app: every name announced is a keyed hash only the one device it is meant for can compute, and it changes every period.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use data_encoding::BASE32_NOPAD;
use iroh::address_lookup::{AddressLookup, EndpointData, EndpointInfo, Error as LookupError, Item};
use iroh::{EndpointId, PublicKey, SecretKey};
use n0_future::boxed::BoxStream;
use swarm_discovery::{Discoverer, DropGuard, IpClass, Peer};
use tokio::sync::{Notify, watch};
use tracing::{debug, warn};

use super::{AbortOnDrop, lock};

/// How long one set of names is announced: an outsider then sees new names it cannot link to
/// the old ones (beyond the address and port, which every packet the device sends shows).
pub const DEFAULT_MDNS_PERIOD: Duration = Duration::from_secs(3600);
/// The neighbouring period's names are used too this close to a boundary, so two devices whose
/// clocks differ by less still meet.
const BOUNDARY_OVERLAP: Duration = Duration::from_secs(120);
/// How long a dial waits for an answer, as iroh's own mDNS lookup.
const LOOKUP_TIME: Duration = Duration::from_secs(10);
/// Where iroh is told the addresses came from.
const PROVENANCE: &str = "mdns";
/// 60 bits: the service only has to keep one couple's queries apart from other traffic.
const SERVICE_CHARS: usize = 12;
/// 130 bits: an instance name is what a device recognises its peer by.
const INSTANCE_CHARS: usize = 26;

/// Which secret a circle is built on; at most one invite and one circle per peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CircleId {
    /// A paired device: the secret comes from both devices' keys.
    Peer([u8; 32]),
    /// Our open invite: the secret is the code's, we announce, the joiner looks.
    Invite,
    /// A code we are joining with: we look for the inviter and announce nothing.
    Join([u8; 32]),
}

/// A secret shared with exactly one other device (or one code's holder).
#[derive(Clone)]
struct Circle {
    secret: [u8; 32],
    announce: bool,
    /// The device looked for in it.
    other: Option<[u8; 32]>,
}

/// A name derived from a circle's secret for one period; `who` is the announcing device.
fn derived_name(secret: &[u8; 32], what: &[u8], who: Option<&[u8; 32]>, epoch: u64) -> String {
    let mut h = blake3::Hasher::new_keyed(secret);
    h.update(what);
    if let Some(id) = who {
        h.update(id);
    }
    h.update(&epoch.to_be_bytes());
    BASE32_NOPAD
        .encode(h.finalize().as_bytes())
        .to_ascii_lowercase()
}

/// The mDNS service a circle uses in `epoch` (announced as `_<name>._udp.local`).
fn service_name(secret: &[u8; 32], epoch: u64) -> String {
    derived_name(secret, b"service", None, epoch)[..SERVICE_CHARS].to_owned()
}

/// The instance name device `who` announces in a circle in `epoch`.
fn instance_name(secret: &[u8; 32], who: &[u8; 32], epoch: u64) -> String {
    derived_name(secret, b"instance", Some(who), epoch)[..INSTANCE_CHARS].to_owned()
}

/// The secret two paired devices share without having stored one: X25519 between their
/// (Ed25519) endpoint keys, so knowing both public ids is not enough to compute it.
fn pair_secret(own_key: &[u8; 32], peer: &[u8; 32]) -> Option<[u8; 32]> {
    let own = SecretKey::from_bytes(own_key);
    let theirs = PublicKey::from_bytes(peer).ok()?;
    let shared = theirs
        .as_verifying_key()
        .to_montgomery()
        .mul_clamped(own.as_signing_key().to_scalar_bytes());
    // A low-order "key" gives a value anyone could compute: no secret, no circle.
    if shared.to_bytes() == [0u8; 32] {
        return None;
    }
    let own_id = *own.public().as_bytes();
    let (lo, hi) = if own_id <= *peer {
        (&own_id, peer)
    } else {
        (peer, &own_id)
    };
    let mut h = blake3::Hasher::new_derive_key("kintsugi lan pair v1");
    h.update(&shared.to_bytes());
    h.update(lo);
    h.update(hi);
    Some(*h.finalize().as_bytes())
}

/// The secret of an invite: the code's one-time secret, known to the inviter and to whoever
/// holds the code.
fn invite_secret(code_secret: &[u8; 16], inviter: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("kintsugi lan invite v1");
    h.update(code_secret);
    h.update(inviter);
    *h.finalize().as_bytes()
}

/// The periods whose names are in use at `now_ms`, and how long until that set changes.
fn epochs_at(now_ms: u64, period: Duration) -> (Vec<u64>, Duration) {
    let p = (period.as_millis() as u64).max(1);
    let overlap = (BOUNDARY_OVERLAP.as_millis() as u64).min(p / 4);
    let epoch = now_ms / p;
    let into = now_ms % p;
    let mut epochs = vec![epoch];
    if into < overlap && epoch > 0 {
        epochs.push(epoch - 1);
    }
    if p - into <= overlap {
        epochs.push(epoch + 1);
    }
    let next = [overlap, p - overlap, p]
        .into_iter()
        .filter(|&t| t > into)
        .min()
        .unwrap_or(p)
        - into;
    (epochs, Duration::from_millis(next.max(1)))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[derive(Default)]
struct State {
    circles: HashMap<CircleId, Circle>,
    /// Our addresses as iroh last published them.
    addrs: Vec<SocketAddr>,
    running: HashMap<(CircleId, u64), DropGuard>,
    stopped: bool,
}

struct Shared {
    own_id: [u8; 32],
    own_key: [u8; 32],
    period: Duration,
    rt: tokio::runtime::Handle,
    state: Mutex<State>,
    /// Apart from `state`: discovery callbacks write here while `state` may be held.
    found: Mutex<HashMap<[u8; 32], Vec<SocketAddr>>>,
    found_changed: watch::Sender<u64>,
    wake: Notify,
}

impl Shared {
    /// Starts the discoverers the circles need now and stops the others; returns how long
    /// until the periods in use change.
    fn reconcile(self: &Arc<Self>) -> Duration {
        let (epochs, next) = epochs_at(now_ms(), self.period);
        let mut st = lock(&self.state);
        if st.stopped {
            st.running.clear();
            return next;
        }
        let wanted: HashSet<(CircleId, u64)> = st
            .circles
            .keys()
            .flat_map(|c| epochs.iter().map(move |e| (*c, *e)))
            .collect();
        st.running.retain(|k, _| wanted.contains(k));
        for (cid, epoch) in wanted {
            if st.running.contains_key(&(cid, epoch)) {
                continue;
            }
            let circle = st.circles[&cid].clone();
            if let Some(guard) = self.start(&circle, epoch, &st.addrs) {
                st.running.insert((cid, epoch), guard);
            }
        }
        next
    }

    fn start(self: &Arc<Self>, c: &Circle, epoch: u64, addrs: &[SocketAddr]) -> Option<DropGuard> {
        let service = service_name(&c.secret, epoch);
        let me = instance_name(&c.secret, &self.own_id, epoch);
        let expect = c.other.map(|o| (o, instance_name(&c.secret, &o, epoch)));
        let weak: Weak<Shared> = Arc::downgrade(self);
        let mut d = Discoverer::new_interactive(service, me)
            .with_ip_class(IpClass::Auto)
            .with_callback(move |instance, peer| {
                if let Some((other, want)) = &expect
                    && instance == want
                    && let Some(shared) = weak.upgrade()
                {
                    shared.seen(*other, peer);
                }
            });
        if c.announce {
            let mut by_port: BTreeMap<u16, Vec<IpAddr>> = BTreeMap::new();
            for a in addrs {
                by_port.entry(a.port()).or_default().push(a.ip());
            }
            for (port, ips) in by_port {
                d = d.with_addrs(port, ips);
            }
        }
        match d.spawn(&self.rt) {
            Ok(g) => Some(g),
            Err(e) => {
                warn!(error = %e, "local network discovery could not start");
                None
            }
        }
    }

    fn seen(&self, other: [u8; 32], peer: &Peer) {
        let addrs: Vec<SocketAddr> = peer
            .addrs()
            .iter()
            .map(|(ip, port)| SocketAddr::new(*ip, *port))
            .collect();
        let mut found = lock(&self.found);
        if peer.is_expiry() || addrs.is_empty() {
            if found.remove(&other).is_none() {
                return;
            }
        } else if found.get(&other) == Some(&addrs) {
            return;
        } else {
            debug!(addrs = ?addrs, "found a paired device on the local network");
            found.insert(other, addrs);
        }
        drop(found);
        self.found_changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn set_circle(&self, id: CircleId, circle: Option<Circle>) {
        let mut st = lock(&self.state);
        let gone = match circle {
            Some(c) => st.circles.insert(id, c).and_then(|old| old.other),
            None => st.circles.remove(&id).and_then(|old| old.other),
        };
        // A new secret means new names: stop the old ones' discoverers.
        st.running.retain(|(c, _), _| *c != id);
        drop(st);
        if let Some(o) = gone {
            lock(&self.found).remove(&o);
        }
        self.wake.notify_one();
    }
}

/// The local-network discovery one node runs; iroh asks it for paired devices' addresses.
#[derive(Clone)]
pub(super) struct LanLookup {
    shared: Arc<Shared>,
    keeper: Arc<AbortOnDrop>,
}

impl fmt::Debug for LanLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LanLookup").finish_non_exhaustive()
    }
}

impl LanLookup {
    /// Starts with no circles; call inside the tokio runtime the endpoint runs on.
    pub(super) fn new(secret_key: &[u8; 32], period: Duration) -> Self {
        let shared = Arc::new(Shared {
            own_id: *SecretKey::from_bytes(secret_key).public().as_bytes(),
            own_key: *secret_key,
            period,
            rt: tokio::runtime::Handle::current(),
            state: Mutex::new(State::default()),
            found: Mutex::new(HashMap::new()),
            found_changed: watch::channel(0).0,
            wake: Notify::new(),
        });
        let keeper = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let next = keeper.reconcile();
                tokio::select! {
                    _ = keeper.wake.notified() => {}
                    _ = tokio::time::sleep(next) => {}
                }
            }
        });
        LanLookup {
            shared,
            keeper: Arc::new(AbortOnDrop(task)),
        }
    }

    /// Announces to, and looks for, a paired device.
    pub(super) fn add_peer(&self, peer: &[u8; 32]) {
        let Some(secret) = pair_secret(&self.shared.own_key, peer) else {
            warn!(
                "a paired device's id is not a usable key; it is not looked for on the local network"
            );
            return;
        };
        if lock(&self.shared.state)
            .circles
            .get(&CircleId::Peer(*peer))
            .is_some_and(|c| c.secret == secret)
        {
            return;
        }
        self.shared.set_circle(
            CircleId::Peer(*peer),
            Some(Circle {
                secret,
                announce: true,
                other: Some(*peer),
            }),
        );
    }

    pub(super) fn remove_peer(&self, peer: &[u8; 32]) {
        self.shared.set_circle(CircleId::Peer(*peer), None);
    }

    /// Announces this device under names only the holder of the code can compute, while the
    /// invite is open (None closes it).
    pub(super) fn set_invite(&self, code_secret: Option<&[u8; 16]>) {
        let circle = code_secret.map(|s| Circle {
            secret: invite_secret(s, &self.shared.own_id),
            announce: true,
            other: None,
        });
        self.shared.set_circle(CircleId::Invite, circle);
    }

    /// Looks for the inviter of a code (announcing nothing) until [`Self::end_join`].
    pub(super) fn start_join(&self, inviter: &[u8; 32], code_secret: &[u8; 16]) {
        self.shared.set_circle(
            CircleId::Join(*inviter),
            Some(Circle {
                secret: invite_secret(code_secret, inviter),
                announce: false,
                other: Some(*inviter),
            }),
        );
    }

    pub(super) fn end_join(&self, inviter: &[u8; 32]) {
        self.shared.set_circle(CircleId::Join(*inviter), None);
    }

    /// Stops announcing and looking for good.
    pub(super) fn stop(&self) {
        let mut st = lock(&self.shared.state);
        st.stopped = true;
        st.circles.clear();
        st.running.clear();
        drop(st);
        self.keeper.0.abort();
    }

    fn looks_for(&self, id: &[u8; 32]) -> bool {
        lock(&self.shared.state)
            .circles
            .values()
            .any(|c| c.other.as_ref() == Some(id))
    }
}

fn item(id: EndpointId, addrs: &[SocketAddr]) -> Item {
    let data = EndpointData::from_iter(addrs.iter().map(|a| iroh::TransportAddr::Ip(*a)));
    Item::new(EndpointInfo::from_parts(id, data), PROVENANCE, None)
}

impl AddressLookup for LanLookup {
    fn publish(&self, data: &EndpointData) {
        let mut addrs: Vec<SocketAddr> = data.ip_addrs().copied().collect();
        addrs.sort_unstable();
        addrs.dedup();
        let mut st = lock(&self.shared.state);
        if st.addrs != addrs {
            st.addrs = addrs;
            // Announcements carry the addresses: restart them with the new ones.
            st.running.clear();
            drop(st);
            self.shared.wake.notify_one();
        }
    }

    fn resolve(&self, endpoint_id: EndpointId) -> Option<BoxStream<Result<Item, LookupError>>> {
        let key = *endpoint_id.as_bytes();
        if !self.looks_for(&key) {
            return None;
        }
        let shared = self.shared.clone();
        let rx = shared.found_changed.subscribe();
        let deadline = tokio::time::Instant::now() + LOOKUP_TIME;
        let stream = n0_future::stream::unfold(
            (shared, rx, None::<Vec<SocketAddr>>),
            move |(shared, mut rx, last)| async move {
                loop {
                    let now = lock(&shared.found).get(&key).cloned();
                    if let Some(addrs) = now.filter(|a| Some(a) != last.as_ref()) {
                        return Some((Ok(item(endpoint_id, &addrs)), (shared, rx, Some(addrs))));
                    }
                    match tokio::time::timeout_at(deadline, rx.changed()).await {
                        Ok(Ok(())) => {}
                        _ => return None,
                    }
                }
            },
        );
        Some(Box::pin(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_devices_of_a_pair_derive_the_same_secret_and_nobody_else_does() {
        let a = crate::transport::generate_secret_key();
        let b = crate::transport::generate_secret_key();
        let c = crate::transport::generate_secret_key();
        let (ia, ib) = (
            crate::transport::endpoint_id_of(&a),
            crate::transport::endpoint_id_of(&b),
        );
        let ab = pair_secret(&a, &ib).unwrap();
        assert_eq!(Some(ab), pair_secret(&b, &ia));
        assert_ne!(Some(ab), pair_secret(&c, &ia));
        assert_ne!(Some(ab), pair_secret(&c, &ib));
    }

    #[test]
    fn names_change_every_period_and_per_device() {
        let s = [9u8; 32];
        assert_ne!(service_name(&s, 1), service_name(&s, 2));
        assert_ne!(
            instance_name(&s, &[1; 32], 1),
            instance_name(&s, &[1; 32], 2)
        );
        assert_ne!(
            instance_name(&s, &[1; 32], 1),
            instance_name(&s, &[2; 32], 1)
        );
        assert_ne!(service_name(&s, 1), service_name(&[8; 32], 1));
    }

    #[test]
    fn the_neighbouring_period_is_used_only_near_a_boundary() {
        let hour = Duration::from_secs(3600);
        let h = 3_600_000u64;
        assert_eq!(epochs_at(10 * h + h / 2, hour).0, vec![10]);
        assert_eq!(epochs_at(10 * h + 1_000, hour).0, vec![10, 9]);
        assert_eq!(epochs_at(11 * h - 1_000, hour).0, vec![10, 11]);
        // The keeper wakes when the set changes: at the end of the overlap, and before the next.
        assert_eq!(
            epochs_at(10 * h + 1_000, hour).1,
            Duration::from_millis(119_000)
        );
        assert_eq!(
            epochs_at(10 * h + h / 2, hour).1,
            Duration::from_millis(h / 2 - 120_000)
        );
    }
}
