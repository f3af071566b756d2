//! Who wrote what, decided from signed claims a device cannot make for another member's key.
//!
//! A `by` field is written by whoever writes the item, and automerge's actor ids and authors are
//! plain bytes any device can choose, so neither says who wrote something. What a device cannot
//! fake is a signature of a key it does not hold. Each device therefore signs, after each of its
//! commits, a claim "actor X writes for member M, up to X's change number S, whose hash is H"
//! with its device key (`actor_claims/<X>`). Receivers accept the claim only from a key they
//! trust for M: their own and their own devices' keys for themselves, the partner's devices'
//! keys for anyone but themselves. A device that pairs with another signs an enrolment
//! (`enrolled_devices/<K>`), so each partner's other devices learn the new key through a chain
//! from a key they paired with. The hash H pins X's changes up to S (each change names the
//! previous one, automerge refuses a second change with a used number), so a device reusing X
//! later writes changes no claim covers.
//!
//! An op's writer is then the member of the claim covering its change; a `by` naming anyone
//! else is shown as [`UNVERIFIED`]. Changes a device already held when it first ran this version
//! (its `authorship_from` clock, kept in its private document) keep the author they name:
//! they were "written before verification" and cannot be checked any more.
//!
//! Signing and verifying are ed25519 with the iroh device keys; core does no cryptography of its
//! own and no I/O, so the service hands the key operations in ([`Trust::verify`], [`Signer`]).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use automerge::transaction::Transactable;
use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId as ExId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};
use serde::{Deserialize, Serialize};

use crate::ids::{PartnerId, Timestamp};
use crate::model::CoreError;

/// Couple: one signed claim per automerge actor, keyed by the actor's hex.
pub(crate) const CLAIMS: &str = "actor_claims";
/// Couple: one signed enrolment per device key, keyed by the key's hex.
pub(crate) const ENROLMENTS: &str = "enrolled_devices";
/// Private root scalars `authorship_from/<actor>`, one per device of this partner: the couple
/// document's clock when that device first ran a version that verifies authors (actor hex →
/// highest change number held). One key per device, so two own devices upgraded apart keep
/// both clocks instead of one overwriting the other.
const FROM: &str = "authorship_from/";

#[cfg(test)]
pub(crate) const MAPS: &[&str] = &[CLAIMS, ENROLMENTS];

/// What an author is shown as when its claimed member did not write it.
pub const UNVERIFIED: &str = "?unverified";

/// A device's ed25519 public key (its iroh endpoint id).
pub type DeviceKey = [u8; 32];
/// An ed25519 signature.
pub type Signature = [u8; 64];
/// Checks `signature` over `message` by `key`.
pub type Verify = fn(&DeviceKey, &[u8], &Signature) -> bool;

/// This device's key, lent to core to sign claims and enrolments.
pub trait Signer: Send + Sync {
    fn key(&self) -> DeviceKey;
    fn sign(&self, message: &[u8]) -> Signature;
}

/// The keys this device trusts first hand: its own and those it paired with.
#[derive(Clone)]
pub struct Trust {
    pub verify: Verify,
    /// This device and its own paired devices: they write for me.
    pub own: BTreeSet<DeviceKey>,
    /// The partner's devices paired with this one: they write for the partner, never for me.
    pub partner: BTreeSet<DeviceKey>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("own", &self.own.len())
            .field("partner", &self.partner.len())
            .finish()
    }
}

/// Whose a trusted key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Mine,
    Partners,
}

/// A verified enrolment: a device key added for a member, by a device already trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The new device's key, hex.
    pub device: String,
    pub member: PartnerId,
    /// The key of the device that added it, hex.
    pub by_device: String,
    pub at: Timestamp,
    /// A partner added a device of their own (not one device introducing the other partner's
    /// device it paired with): what both partners are told about.
    pub added: bool,
}

/// Who wrote which actor's changes, as far as this device can verify. Part of the view.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Authorship {
    /// False: nothing is checked (no keys handed in); authors are shown as written.
    pub checked: bool,
    /// Actor hex → (member, highest change number the claim covers).
    actors: BTreeMap<String, (PartnerId, u64)>,
    /// Actor hex → highest change number held before verification began.
    before: BTreeMap<String, u64>,
    /// The partner's member id, as claimed by the partner's trusted keys.
    pub partner: Option<PartnerId>,
    /// Whose view this is.
    me: Option<PartnerId>,
    /// Devices added for either partner, oldest first.
    pub enrolments: Vec<Enrolment>,
}

/// Who wrote one op or change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Writer {
    /// A claim from a trusted key covers it.
    Member(PartnerId),
    /// Held before this device verified authors: the name it carries cannot be checked.
    Before,
    /// No trusted claim covers it.
    Unknown,
}

impl Authorship {
    /// Who wrote change number `seq` of `actor`.
    pub fn writer_of(&self, actor: &ActorId, seq: u64) -> Writer {
        if !self.checked || crate::schema::is_format_actor(actor) {
            return Writer::Before;
        }
        let hex = actor.to_hex_string();
        if let Some((member, upto)) = self.actors.get(&hex)
            && seq <= *upto
        {
            return Writer::Member(member.clone());
        }
        match self.before.get(&hex) {
            Some(upto) if seq <= *upto => Writer::Before,
            _ => Writer::Unknown,
        }
    }

    fn me_writer(&self) -> Writer {
        match &self.me {
            Some(me) => Writer::Member(me.clone()),
            None => Writer::Unknown,
        }
    }

    /// What fingerprints the verdicts, leaving out how far each actor's claim reaches (own
    /// claims move on with every commit without changing any earlier verdict).
    pub(crate) fn verdicts(&self) -> (BTreeMap<&String, &PartnerId>, &BTreeMap<String, u64>) {
        (
            self.actors.iter().map(|(a, (m, _))| (a, m)).collect(),
            &self.before,
        )
    }

    /// An author named in a change's own record (history): the verified writer of the change
    /// wins over any name it carries; before verification the name stands.
    pub(crate) fn change_author(
        &self,
        actor: &ActorId,
        seq: u64,
        named: Option<String>,
    ) -> Option<String> {
        match self.writer_of(actor, seq) {
            Writer::Member(m) => Some(m.0),
            Writer::Before => named,
            Writer::Unknown => Some(UNVERIFIED.to_owned()),
        }
    }
}

/// [`Authorship`] applied while reading one view: who wrote each op, with the changes already
/// looked up.
pub(crate) struct Writers {
    pub auth: Authorship,
    seen: RefCell<HashMap<ChangeHash, (ActorId, u64)>>,
    /// Set once an author read is shown as unverified: a claim arriving later changes it.
    pub unverified: Cell<bool>,
}

impl Writers {
    /// Authors as written: for reads that decide nothing shown (a command's own checks).
    pub fn unchecked() -> Writers {
        Writers::new(Authorship::default())
    }

    pub fn new(auth: Authorship) -> Writers {
        Writers {
            auth,
            seen: RefCell::default(),
            unverified: Cell::new(false),
        }
    }

    /// Who wrote the op `id` of `doc`.
    pub fn writer_of_op(&self, doc: &AutoCommit, id: &ExId) -> Writer {
        if !self.auth.checked {
            return Writer::Before;
        }
        let ExId::Id(_, actor, _) = id else {
            return Writer::Unknown;
        };
        let Some(hash) = doc.hash_for_opid(id) else {
            // Not yet in a change: this device's own typing, before its commit.
            return if actor == doc.get_actor() {
                self.auth.me_writer()
            } else {
                Writer::Unknown
            };
        };
        let known = self.seen.borrow().get(&hash).cloned();
        let (actor, seq) = match known {
            Some(k) => k,
            None => match doc.get_change_by_hash(&hash) {
                Some(c) => {
                    let k = (c.actor_id().clone(), c.seq());
                    self.seen.borrow_mut().insert(hash, k.clone());
                    k
                }
                None => return Writer::Unknown,
            },
        };
        self.auth.writer_of(&actor, seq)
    }

    /// The author to show for a value naming `claimed`, written by the op `id`: the claimed
    /// member when the op's verified writer is that member (or the op predates verification),
    /// otherwise [`UNVERIFIED`], never the member named.
    pub fn author(&self, doc: &AutoCommit, claimed: &str, id: &ExId) -> PartnerId {
        match self.writer_of_op(doc, id) {
            Writer::Member(m) if m.0 == claimed => PartnerId(claimed.to_owned()),
            Writer::Before => PartnerId(claimed.to_owned()),
            _ => {
                self.unverified.set(true);
                PartnerId(UNVERIFIED.to_owned())
            }
        }
    }
}

/// A claim: `actor` writes for `member`, up to its change `seq` whose hash is `hash`.
struct Claim {
    key: DeviceKey,
    seq: u64,
    hash: [u8; 32],
    signature: Signature,
    member: String,
}

fn claim_message(actor: &[u8], member: &str, seq: u64, hash: &[u8; 32]) -> Vec<u8> {
    let mut m = b"kintsugi/actor-claim/1\0".to_vec();
    m.extend((actor.len() as u32).to_be_bytes());
    m.extend(actor);
    m.extend((member.len() as u32).to_be_bytes());
    m.extend(member.as_bytes());
    m.extend(seq.to_be_bytes());
    m.extend(hash);
    m
}

fn enrol_message(device: &DeviceKey, member: &str, at: Timestamp) -> Vec<u8> {
    let mut m = b"kintsugi/enrolment/1\0".to_vec();
    m.extend(device);
    m.extend((member.len() as u32).to_be_bytes());
    m.extend(member.as_bytes());
    m.extend(at.to_be_bytes());
    m
}

impl Claim {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(136 + self.member.len());
        b.extend(self.key);
        b.extend(self.seq.to_be_bytes());
        b.extend(self.hash);
        b.extend(self.signature);
        b.extend(self.member.as_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Claim> {
        if b.len() < 136 || b.len() > 136 + 200 {
            return None;
        }
        Some(Claim {
            key: b[0..32].try_into().ok()?,
            seq: u64::from_be_bytes(b[32..40].try_into().ok()?),
            hash: b[40..72].try_into().ok()?,
            signature: b[72..136].try_into().ok()?,
            member: String::from_utf8(b[136..].to_vec()).ok()?,
        })
    }
}

struct EnrolRecord {
    signer: DeviceKey,
    at: Timestamp,
    signature: Signature,
    member: String,
}

impl EnrolRecord {
    fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(104 + self.member.len());
        b.extend(self.signer);
        b.extend(self.at.to_be_bytes());
        b.extend(self.signature);
        b.extend(self.member.as_bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<EnrolRecord> {
        if b.len() < 104 || b.len() > 104 + 200 {
            return None;
        }
        Some(EnrolRecord {
            signer: b[0..32].try_into().ok()?,
            at: i64::from_be_bytes(b[32..40].try_into().ok()?),
            signature: b[40..104].try_into().ok()?,
            member: String::from_utf8(b[104..].to_vec()).ok()?,
        })
    }
}

/// Every value at `key` of `map`, concurrent ones included: a forger's concurrent write must
/// not hide an honest one.
fn all_bytes(doc: &AutoCommit, map: &automerge::ObjId, key: &str) -> Vec<Vec<u8>> {
    doc.get_all(map, key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, _)| match v {
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Bytes(b) => Some(b.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn root_map(doc: &AutoCommit, key: &str) -> Option<automerge::ObjId> {
    match doc.get(ROOT, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

fn parse_key(hex_key: &str) -> Option<DeviceKey> {
    hex::decode(hex_key).ok()?.try_into().ok()
}

/// Signature checks already done, by (key, message, signature): the claims of thousands of
/// actors are read again after every change, and each check costs tens of microseconds.
#[derive(Default)]
pub(crate) struct Checked {
    signatures: HashMap<Vec<u8>, bool>,
    /// Claims (actor hex, encoded claim) whose change is held and whose signature is good.
    claims: BTreeSet<(String, Vec<u8>)>,
}

impl Checked {
    fn verify(&mut self, trust: &Trust, key: &DeviceKey, msg: &[u8], sig: &Signature) -> bool {
        let mut id = Vec::with_capacity(96 + msg.len());
        id.extend(key);
        id.extend(sig);
        id.extend(msg);
        if let Some(ok) = self.signatures.get(&id) {
            return *ok;
        }
        let ok = (trust.verify)(key, msg, sig);
        self.signatures.insert(id, ok);
        ok
    }
}

/// Reads the verified authorship of `couple` for `me`, from the keys in `trust`.
pub(crate) fn read(
    couple: &AutoCommit,
    private: &AutoCommit,
    me: &PartnerId,
    trust: &Trust,
    checked: &mut Checked,
) -> Authorship {
    let mut keys: HashMap<DeviceKey, Side> = HashMap::new();
    for k in &trust.own {
        keys.insert(*k, Side::Mine);
    }
    for k in &trust.partner {
        keys.entry(*k).or_insert(Side::Partners);
    }
    // Enrolments extend the trusted keys, a chain from a key paired with: my devices may add
    // devices of either partner (they paired with them), the partner's only the partner's.
    // Never does a partner's key make a key mine.
    let mut enrolments = Vec::new();
    if let Some(map) = root_map(couple, ENROLMENTS) {
        let records: Vec<(DeviceKey, EnrolRecord)> = couple
            .keys(&map)
            .filter_map(|k| parse_key(&k).map(|d| (d, k)))
            .flat_map(|(d, k)| {
                all_bytes(couple, &map, &k)
                    .into_iter()
                    .filter_map(move |b| EnrolRecord::decode(&b).map(|r| (d, r)))
            })
            .collect();
        let mut added = true;
        let mut used = vec![false; records.len()];
        while added {
            added = false;
            for (i, (device, r)) in records.iter().enumerate() {
                if used[i] {
                    continue;
                }
                let Some(&signer) = keys.get(&r.signer) else {
                    continue;
                };
                let side = match (signer, r.member == me.0) {
                    (Side::Mine, true) => Side::Mine,
                    (_, false) => Side::Partners,
                    (Side::Partners, true) => continue,
                };
                if !checked.verify(
                    trust,
                    &r.signer,
                    &enrol_message(device, &r.member, r.at),
                    &r.signature,
                ) {
                    used[i] = true;
                    continue;
                }
                used[i] = true;
                enrolments.push(Enrolment {
                    device: hex::encode(device),
                    member: PartnerId(r.member.clone()),
                    by_device: hex::encode(r.signer),
                    at: r.at,
                    added: signer == side,
                });
                if !keys.contains_key(device) {
                    keys.insert(*device, side);
                    added = true;
                }
            }
        }
    }
    enrolments.sort_by(|a, b| (a.at, &a.device).cmp(&(b.at, &b.device)));
    enrolments.dedup_by(|a, b| a.device == b.device && a.member == b.member);

    let mut actors = BTreeMap::new();
    let mut partners: BTreeSet<PartnerId> = BTreeSet::new();
    if let Some(map) = root_map(couple, CLAIMS) {
        for actor_hex in couple.keys(&map) {
            let Ok(actor) = hex::decode(&actor_hex) else {
                continue;
            };
            let mut best: Option<(PartnerId, u64)> = None;
            for bytes in all_bytes(couple, &map, &actor_hex) {
                let Some(c) = Claim::decode(&bytes) else {
                    continue;
                };
                let ok_side = match keys.get(&c.key) {
                    Some(Side::Mine) => c.member == me.0,
                    Some(Side::Partners) => c.member != me.0,
                    None => false,
                };
                if !ok_side || best.as_ref().is_some_and(|(_, s)| *s >= c.seq) {
                    continue;
                }
                let known = (actor_hex.clone(), bytes.clone());
                if checked.claims.contains(&known) {
                    best = Some((PartnerId(c.member), c.seq));
                    continue;
                }
                // The claimed change must be the actor's own, at the claimed number.
                let held = couple
                    .get_change_by_hash(&ChangeHash(c.hash))
                    .is_some_and(|ch| {
                        ch.actor_id().to_bytes() == actor.as_slice() && ch.seq() == c.seq
                    });
                if !held
                    || !checked.verify(
                        trust,
                        &c.key,
                        &claim_message(&actor, &c.member, c.seq, &c.hash),
                        &c.signature,
                    )
                {
                    continue;
                }
                checked.claims.insert(known);
                best = Some((PartnerId(c.member), c.seq));
            }
            if let Some((member, seq)) = best {
                if member != *me {
                    partners.insert(member.clone());
                }
                actors.insert(actor_hex, (member, seq));
            }
        }
    }
    Authorship {
        checked: true,
        me: Some(me.clone()),
        actors,
        before: read_before(private),
        partner: partners.into_iter().next(),
        enrolments,
    }
}

fn read_before(private: &AutoCommit) -> BTreeMap<String, u64> {
    let mut clock = BTreeMap::new();
    for key in private.keys(ROOT).filter(|k| k.starts_with(FROM)) {
        let Ok(Some((Value::Scalar(s), _))) = private.get(ROOT, key.as_str()) else {
            continue;
        };
        let ScalarValue::Str(text) = s.as_ref() else {
            continue;
        };
        for (a, seq) in text.split(',').filter_map(|p| {
            let (a, s) = p.split_once(':')?;
            Some((a.to_owned(), s.parse::<u64>().ok()?))
        }) {
            let e = clock.entry(a).or_insert(0);
            *e = (*e).max(seq);
        }
    }
    clock
}

/// Whether this partner's private document records where verification began.
pub(crate) fn has_before(private: &AutoCommit) -> bool {
    private.keys(ROOT).any(|k| k.starts_with(FROM))
}

/// Records the couple document's clock as held now (`stored`), or an empty one for a store
/// never saved: the changes written before this device verified authors. Called once.
pub(crate) fn mark_before(
    couple: &mut AutoCommit,
    private: &mut AutoCommit,
    stored: bool,
) -> Result<(), CoreError> {
    let mut clock: BTreeMap<String, u64> = BTreeMap::new();
    if stored {
        for meta in couple.get_changes_meta(&[]) {
            let e = clock.entry(meta.actor.to_hex_string()).or_insert(0);
            *e = (*e).max(meta.seq);
        }
    }
    let text: Vec<String> = clock.iter().map(|(a, s)| format!("{a}:{s}")).collect();
    let key = format!("{FROM}{}", private.get_actor().to_hex_string());
    private.put(ROOT, key, text.join(","))?;
    Ok(())
}

/// Settles who the partner is: the member the partner's trusted keys write for, or, until
/// they have written a claim, a member whose entry was written before verification. A member
/// entry written since by an unverified device (a third member) is never the partner.
pub(crate) fn settle_partner(r: &crate::read::ReadDocs<'_>, v: &mut crate::features::View) {
    let auth = &r.writers.auth;
    if !auth.checked {
        return;
    }
    if let Some(p) = &auth.partner {
        v.partner = Some(p.clone());
        return;
    }
    let Some(members) = root_map(r.couple, "members") else {
        v.partner = None;
        return;
    };
    v.partner = v
        .members
        .iter()
        .filter(|m| &m.id != r.me)
        .find(|m| {
            let entry = r.couple.get(&members, m.id.0.as_str());
            matches!(entry, Ok(Some((_, id))) if r.writers.writer_of_op(r.couple, &id) == Writer::Before)
        })
        .map(|m| m.id.clone());
}

/// Signs a claim for `actor`'s latest change in `couple`, for `me`, unless its claim is
/// current. Returns whether it wrote one (the caller commits).
pub(crate) fn claim(
    couple: &mut AutoCommit,
    actor: &ActorId,
    me: &PartnerId,
    signer: &Arc<dyn Signer>,
) -> Result<bool, CoreError> {
    let Some(map) = root_map(couple, CLAIMS) else {
        return Ok(false);
    };
    let Some((seq, hash)) = latest_of(couple, actor) else {
        return Ok(false);
    };
    let hex_actor = actor.to_hex_string();
    let current = all_bytes(couple, &map, &hex_actor)
        .iter()
        .filter_map(|b| Claim::decode(b))
        .any(|c| c.seq >= seq && c.key == signer.key() && c.member == me.0);
    if current {
        return Ok(false);
    }
    let signature = signer.sign(&claim_message(actor.to_bytes(), &me.0, seq, &hash.0));
    let c = Claim {
        key: signer.key(),
        seq,
        hash: hash.0,
        signature,
        member: me.0.clone(),
    };
    couple.put(&map, hex_actor, ScalarValue::Bytes(c.encode()))?;
    Ok(true)
}

/// The newest change of `actor` in `doc`: its number and hash.
fn latest_of(doc: &mut AutoCommit, actor: &ActorId) -> Option<(u64, ChangeHash)> {
    if doc.get_actor() == actor
        && let Some(c) = doc.get_last_local_change()
    {
        return Some((c.seq(), c.hash()));
    }
    doc.get_changes_meta(&[])
        .into_iter()
        .filter(|m| m.actor.as_ref() == actor)
        .max_by_key(|m| m.seq)
        .map(|m| (m.seq, m.hash))
}

/// Signs the actors that wrote this partner's private document (only this partner's own
/// devices ever do) for their changes in `couple`, so items written before verification
/// began verify as this partner's on every device, old or new.
pub(crate) fn claim_legacy(
    couple: &mut AutoCommit,
    private: &mut AutoCommit,
    me: &PartnerId,
    signer: &Arc<dyn Signer>,
) -> Result<bool, CoreError> {
    let mine: BTreeSet<ActorId> = private
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| m.actor.into_owned())
        .collect();
    let mut latest: BTreeMap<ActorId, (u64, ChangeHash)> = BTreeMap::new();
    for m in couple.get_changes_meta(&[]) {
        if mine.contains(m.actor.as_ref()) {
            let e = latest
                .entry(m.actor.clone().into_owned())
                .or_insert((m.seq, m.hash));
            if m.seq > e.0 {
                *e = (m.seq, m.hash);
            }
        }
    }
    let mut wrote = false;
    for (actor, _) in latest {
        // The genesis and migration actors write identically everywhere: nobody's.
        if crate::schema::is_format_actor(&actor) {
            continue;
        }
        wrote |= claim(couple, &actor, me, signer)?;
    }
    Ok(wrote)
}

/// Signs that `device` belongs to `member` (this device paired with it) into `couple`.
pub(crate) fn enrol(
    couple: &mut AutoCommit,
    device: &DeviceKey,
    member: &PartnerId,
    at: Timestamp,
    signer: &Arc<dyn Signer>,
) -> Result<(), CoreError> {
    let Some(map) = root_map(couple, ENROLMENTS) else {
        return Ok(());
    };
    let r = EnrolRecord {
        signer: signer.key(),
        at,
        signature: signer.sign(&enrol_message(device, &member.0, at)),
        member: member.0.clone(),
    };
    couple.put(&map, hex::encode(device), ScalarValue::Bytes(r.encode()))?;
    Ok(())
}

/// Writes a raw claim: for tests that play a modified client.
#[doc(hidden)]
pub fn forge_claim(
    couple: &mut AutoCommit,
    actor: &ActorId,
    member: &str,
    seq: u64,
    hash: ChangeHash,
    key: DeviceKey,
    sign: impl Fn(&[u8]) -> Signature,
) -> Result<(), AutomergeErrorOr> {
    let map = root_map(couple, CLAIMS).ok_or(AutomergeErrorOr::Missing)?;
    let c = Claim {
        key,
        seq,
        hash: hash.0,
        signature: sign(&claim_message(actor.to_bytes(), member, seq, &hash.0)),
        member: member.to_owned(),
    };
    couple
        .put(&map, actor.to_hex_string(), ScalarValue::Bytes(c.encode()))
        .map_err(AutomergeErrorOr::Automerge)
}

/// Writes a raw enrolment: for tests that play a modified client.
#[doc(hidden)]
pub fn forge_enrolment(
    couple: &mut AutoCommit,
    device: &DeviceKey,
    member: &str,
    at: Timestamp,
    key: DeviceKey,
    sign: impl Fn(&[u8]) -> Signature,
) -> Result<(), AutomergeErrorOr> {
    let map = root_map(couple, ENROLMENTS).ok_or(AutomergeErrorOr::Missing)?;
    let r = EnrolRecord {
        signer: key,
        at,
        signature: sign(&enrol_message(device, member, at)),
        member: member.to_owned(),
    };
    couple
        .put(&map, hex::encode(device), ScalarValue::Bytes(r.encode()))
        .map_err(AutomergeErrorOr::Automerge)
}

/// Why a forged record could not be written.
#[derive(Debug, thiserror::Error)]
pub enum AutomergeErrorOr {
    #[error("the document has no map for it")]
    Missing,
    #[error(transparent)]
    Automerge(automerge::AutomergeError),
}
