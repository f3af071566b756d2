//! Sans-IO sync session with one peer: the handshake, scope checks and automerge sync over `wire` frames.

use std::collections::{BTreeMap, BTreeSet};

use automerge::AutoCommit;
use automerge::sync::{self, Capability, SyncDoc};
use tracing::{debug, warn};

// Re-exported so code written against the session module keeps compiling; they live in `wire`.
pub use crate::wire::{
    DocName, Frame, FrameBuffer, FrameError, Hello, LEN_PREFIX, MAX_DOC_INFLATED, MAX_FRAME_LEN,
    MAX_MESSAGE_LEN, PROTOCOL_VERSION, check_len, length_prefixed,
};

/// What a paired peer may receive and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The other partner's device: only the couple document.
    Partner,
    /// One of my own devices: the couple document and my private journal.
    OwnDevice,
}

impl Scope {
    /// Whether a document may travel to / from a peer with this scope.
    pub fn allows(self, doc: DocName) -> bool {
        match self {
            Scope::Partner => doc == DocName::Couple,
            Scope::OwnDevice => true,
        }
    }

    /// The documents in this scope, in wire order.
    pub fn docs(self) -> Vec<DocName> {
        DocName::ALL
            .into_iter()
            .filter(|d| self.allows(*d))
            .collect()
    }
}

/// Most probes per hash a peer's Bloom filter may ask for; automerge writes 7.
const MAX_BLOOM_PROBES: u64 = 64;

/// Checks a peer's Bloom filter (automerge's encoding: entries, bits per entry and probes as
/// LEB128, then the bits) for what automerge itself does not: at least one bit, a sane number
/// of probes. A filter with no entries is never probed.
fn check_bloom(bytes: &[u8]) -> Result<(), &'static str> {
    fn leb128(r: &mut &[u8]) -> Result<u64, &'static str> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = r.split_first().ok_or("truncated")?;
            *r = rest;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("overlong number")
    }
    if bytes.is_empty() {
        return Ok(());
    }
    let mut r = bytes;
    let entries = leb128(&mut r)?;
    let _bits_per_entry = leb128(&mut r)?;
    let probes = leb128(&mut r)?;
    if entries == 0 {
        return Ok(());
    }
    if r.is_empty() {
        return Err("no bits");
    }
    if !(1..=MAX_BLOOM_PROBES).contains(&probes) {
        return Err("probe count out of range");
    }
    Ok(())
}

/// One encoded sync message for `state`, or `None` when there is nothing to say.
///
/// `whole_docs`: the peer takes whole-document (V2) messages. automerge learns that from the
/// peer's flags; here the wire version decides, so the capability is set on the state before
/// each message and flags are never sent. A whole document whose columns would inflate past
/// what the peer accepts is taken back (the state restored) and sent as changes.
///
/// The Bloom filter of what we have (10 bits per change since the last sync: 75 KiB for a
/// year) is left out when it cannot help: it is large and the peer's heads are all in our
/// document (it has nothing we lack: a first sync from this device), or we do not know the
/// peer's heads yet and never synced with it (a first sync, where the peer is usually the new
/// device; if it does hold changes we lack, the next message carries the filter, one round trip
/// later). A resumed session sends it at once: after time apart both sides usually changed.
fn generate(
    d: &mut AutoCommit,
    state: &mut sync::State,
    whole_docs: bool,
    resumed: bool,
) -> Option<Vec<u8>> {
    let before = whole_docs.then(|| state.clone());
    state.their_capabilities = whole_docs.then(|| vec![Capability::MessageV2]);
    let mut msg = d.sync().generate_sync_message(state)?;
    if let Some(before) = before
        && is_whole_doc(&msg)
        && let Some((changes, after)) = changes_instead(d, &msg, before)
    {
        msg = changes;
        *state = after;
    }
    msg.flags = None;
    let useless_have = match &state.their_heads {
        // A filter is "what we have since the last sync point": it keeps the peer from sending
        // our own changes back. Small ones stay (in steady state it is empty, and keeping it
        // lets the peer push what it writes next at once); a large one goes only while the peer
        // has nothing we lack, with nothing of ours to echo either way (`have` empty: the peer
        // sends only what we ask for).
        Some(heads) => {
            msg.have
                .iter()
                .map(|h| h.bloom.to_bytes().len())
                .sum::<usize>()
                > LARGE_HAVE
                && {
                    let missing = d.get_missing_deps(heads);
                    !heads.iter().any(|h| missing.contains(h))
                }
        }
        None => !resumed,
    };
    if useless_have {
        msg.have.clear();
    }
    Some(msg.encode())
}

/// Bloom filter bytes above which a filter the peer cannot use is left out: about 800 changes.
const LARGE_HAVE: usize = 1024;

/// Whether automerge chose to send the whole document (a V2 message whose one chunk list entry
/// starts with a document chunk).
fn is_whole_doc(msg: &sync::Message) -> bool {
    msg.version == sync::MessageVersion::V2
        && msg
            .changes
            .iter()
            .any(|c| c.get(8) == Some(&crate::chunks::CHUNK_DOCUMENT))
}

/// Fewest bytes one change costs on the wire once deflated: its dependency's 32-byte hash
/// alone does not compress.
const MIN_CHANGE_ON_WIRE: usize = 40;

/// The message as changes, with the state that goes with it, when that is better than the whole
/// document automerge chose (it does so once the peer lacks a third of the changes): always when
/// the peer would refuse the document (columns inflating past [`MAX_DOC_INFLATED`]), and when the
/// changes deflate shorter (a week of typing on a young document). Changes are built only when
/// they might be shorter: at [`MIN_CHANGE_ON_WIRE`] each, the missing ones could undercut it.
fn changes_instead(
    d: &mut AutoCommit,
    whole: &sync::Message,
    before: sync::State,
) -> Option<(sync::Message, sync::State)> {
    let fits = crate::chunks::check(whole.changes.iter(), MAX_DOC_INFLATED as u64).is_ok();
    if fits {
        let doc_len: usize = whole.changes.iter().map(<[u8]>::len).sum();
        let theirs = before.their_heads.clone().unwrap_or_default();
        let unknown = d.get_missing_deps(&theirs);
        let known: Vec<_> = theirs
            .into_iter()
            .filter(|h| !unknown.contains(h))
            .collect();
        let lacking = d.get_changes_meta(&known).len();
        if lacking.saturating_mul(MIN_CHANGE_ON_WIRE) >= doc_len {
            return None;
        }
    } else {
        debug!("whole document too large for one message; sending changes");
    }
    let mut after = before;
    after.their_capabilities = None;
    let changes = d.sync().generate_sync_message(&mut after)?;
    if fits {
        let packed = |m: &sync::Message| crate::wire::deflate(&m.clone().encode()).len();
        if packed(&changes) >= packed(whole) {
            return None;
        }
    }
    Some((changes, after))
}

/// Gives a session access to the caller's documents.
///
/// The session uses `AutoCommit` because that is what the app edits; automerge's sync runs
/// through `AutoCommit::sync()` (which implements `automerge::sync::SyncDoc`) and commits any
/// pending local transaction first, so uncommitted edits are never silently skipped.
pub trait DocAccess {
    /// The document, or `None` if this device does not hold it (it is then not synced).
    fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit>;
    /// The document's lineage token, for a document that can be rebuilt without its history
    /// (the private journal): own devices then sync it only while both hold the same lineage,
    /// and one on an older lineage takes the newer document whole ([`DocAccess::supersede`]).
    /// `None` (the default): the document has no lineage and always syncs.
    fn lineage(&mut self, _name: DocName) -> Option<Vec<u8>> {
        None
    }
    /// Takes `document`, of a newer lineage, in place of ours, keeping what this device changed
    /// since `agreed` (heads both devices held at their last sync). Called only for a document
    /// with a lineage, from an own device whose token is greater than ours. Error: kept as it was.
    fn supersede(
        &mut self,
        _name: DocName,
        _document: &[u8],
        _agreed: &[automerge::ChangeHash],
    ) -> Result<(), String> {
        Err("this device cannot take another lineage of the document".into())
    }
}

/// Something the caller should know after feeding a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The peer's handshake arrived.
    PeerHello {
        /// Peer's device id.
        device: [u8; 32],
        /// Peer's protocol version.
        version: u16,
        /// Documents both sides agreed to sync (our scope ∩ what the peer granted).
        docs: Vec<DocName>,
    },
    /// A remote change was merged into this document: persist it, refresh views.
    DocChanged(DocName),
    /// The peer sent a message for a document outside its scope; it was dropped unapplied.
    ScopeViolation {
        /// Peer's device id, if the hello arrived.
        device: Option<[u8; 32]>,
        /// The refused document.
        doc: DocName,
    },
    /// Every document in scope has the same heads on both sides.
    InSync,
}

/// Failures that end a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The peer runs an older Kintsugi, whose sync protocol this version no longer speaks.
    #[error(
        "the other device runs an older Kintsugi (sync protocol {0}, this one speaks {PROTOCOL_VERSION}): update Kintsugi on it to sync again"
    )]
    PeerOutdated(u16),
    /// The peer runs a newer Kintsugi, whose sync protocol this version does not know.
    #[error(
        "the other device runs a newer Kintsugi (sync protocol {0}, this one speaks {PROTOCOL_VERSION}): update Kintsugi on this device to sync again"
    )]
    PeerNewer(u16),
    /// The peer belongs to a different couple.
    #[error("peer belongs to a different couple")]
    CoupleMismatch,
    /// The peer's hello names a device other than the authenticated one.
    #[error("peer announced a device id other than the one it authenticated as")]
    DeviceMismatch,
    /// A second hello.
    #[error("peer sent a second hello")]
    DuplicateHello,
    /// A sync message before the hello.
    #[error("peer sent a sync message before its hello")]
    SyncBeforeHello,
    /// The automerge sync message could not be decoded.
    #[error("undecodable sync message for {doc:?}: {reason}")]
    BadSyncMessage {
        /// Document the message was for.
        doc: DocName,
        /// Decoder's message.
        reason: String,
    },
    /// automerge refused to apply the message.
    #[error("could not apply sync message for {doc:?}: {reason}")]
    Apply {
        /// Document the message was for.
        doc: DocName,
        /// automerge's message.
        reason: String,
    },
}

/// Sync session with one peer. Holds one `automerge::sync::State` per document in scope.
#[derive(Debug)]
pub struct Session {
    local_device: [u8; 32],
    scope: Scope,
    couple_id: Option<[u8; 16]>,
    expected_peer: Option<[u8; 32]>,
    states: BTreeMap<DocName, sync::State>,
    peer: Option<Hello>,
    /// Documents both sides agreed on (set once the peer's hello arrives).
    active: BTreeSet<DocName>,
    /// Documents resumed from a saved state: this peer synced them before, so their first
    /// message goes out with our hello instead of waiting a round trip for the peer's.
    resumed: BTreeSet<DocName>,
    /// Per active doc: do both sides have the same heads?
    synced: BTreeMap<DocName, bool>,
    in_sync: bool,
    started: bool,
    /// Per document with a lineage: the token we last announced to the peer.
    announced: BTreeMap<DocName, Vec<u8>>,
    /// Per document: the token the peer last announced.
    peer_lineage: BTreeMap<DocName, Vec<u8>>,
    /// (our token, theirs) we already sent our whole document for.
    superseded: BTreeSet<(DocName, Vec<u8>, Vec<u8>)>,
}

impl Session {
    /// Creates a session towards a peer with `scope`, resuming persisted sync states.
    ///
    /// Saved states for documents outside the scope or that fail to decode are ignored
    /// (a fresh state only costs one more round trip).
    pub fn new(
        local_device: [u8; 32],
        scope: Scope,
        saved_states: impl IntoIterator<Item = (DocName, Vec<u8>)>,
    ) -> Self {
        let mut resumed = BTreeSet::new();
        let mut states: BTreeMap<DocName, sync::State> = scope
            .docs()
            .into_iter()
            .map(|d| (d, sync::State::new()))
            .collect();
        for (doc, bytes) in saved_states {
            if !scope.allows(doc) {
                continue;
            }
            match sync::State::decode(&bytes) {
                Ok(s) => {
                    states.insert(doc, s);
                    resumed.insert(doc);
                }
                Err(e) => debug!(?doc, error = %e, "ignoring undecodable saved sync state"),
            }
        }
        Self {
            local_device,
            scope,
            couple_id: None,
            expected_peer: None,
            states,
            peer: None,
            active: BTreeSet::new(),
            resumed,
            synced: BTreeMap::new(),
            in_sync: false,
            started: false,
            announced: BTreeMap::new(),
            peer_lineage: BTreeMap::new(),
            superseded: BTreeSet::new(),
        }
    }

    /// Sets this device's couple id; a peer announcing another couple is refused.
    pub fn with_couple_id(mut self, couple_id: [u8; 16]) -> Self {
        self.couple_id = Some(couple_id);
        self
    }

    /// Requires the peer's hello to name this device id (the transport passes the id the
    /// peer authenticated as, so a hello cannot claim another identity).
    pub fn expect_peer(mut self, device: [u8; 32]) -> Self {
        self.expected_peer = Some(device);
        self
    }

    /// The scope this session grants the peer.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The peer's hello, once received.
    pub fn peer(&self) -> Option<&Hello> {
        self.peer.as_ref()
    }

    /// Documents both sides agreed to sync (empty before the peer's hello).
    pub fn active_docs(&self) -> Vec<DocName> {
        self.active.iter().copied().collect()
    }

    /// The handshake frame(s) to send first. Returns nothing if called twice.
    pub fn start(&mut self) -> Vec<Frame> {
        if self.started {
            return Vec::new();
        }
        self.started = true;
        vec![Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            device: self.local_device,
            docs: self.scope.docs(),
            couple_id: self.couple_id,
        })]
    }

    /// Feeds one incoming frame. Documents are owned by the caller and reached via `docs`.
    ///
    /// A sync message for a document outside the scope is never applied: it yields a
    /// [`SessionEvent::ScopeViolation`] and the session carries on with the other documents.
    pub fn receive(
        &mut self,
        frame: Frame,
        docs: &mut dyn DocAccess,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        match frame {
            Frame::Hello(hello) => self.receive_hello(hello, docs),
            Frame::Sync { doc, message } => self.receive_sync(doc, message, docs),
            Frame::Lineage { doc, token } => self.receive_lineage(doc, token, docs),
            Frame::Supersede { doc, document } => self.receive_supersede(doc, document, docs),
        }
    }

    /// Whether sync messages for `doc` may pass now: a document without a lineage always; one
    /// with a lineage only to an own device, once both sides announced the same token.
    fn lineage_agrees(&mut self, doc: DocName, docs: &mut dyn DocAccess) -> bool {
        let Some(ours) = docs.lineage(doc) else {
            return true;
        };
        self.scope == Scope::OwnDevice
            && self.announced.get(&doc) == Some(&ours)
            && self.peer_lineage.get(&doc) == Some(&ours)
    }

    fn receive_lineage(
        &mut self,
        doc: DocName,
        token: Vec<u8>,
        docs: &mut dyn DocAccess,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let Some(peer) = &self.peer else {
            return Err(SessionError::SyncBeforeHello);
        };
        if !self.active.contains(&doc) || self.scope != Scope::OwnDevice {
            return Ok(vec![SessionEvent::ScopeViolation {
                device: Some(peer.device),
                doc,
            }]);
        }
        if docs.lineage(doc).is_none() {
            debug!(
                ?doc,
                "peer announced a lineage for a document without one; ignored"
            );
            return Ok(Vec::new());
        }
        self.peer_lineage.insert(doc, token);
        self.synced.insert(doc, false);
        self.update_in_sync();
        Ok(Vec::new())
    }

    fn receive_supersede(
        &mut self,
        doc: DocName,
        document: Vec<u8>,
        docs: &mut dyn DocAccess,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let Some(peer) = &self.peer else {
            return Err(SessionError::SyncBeforeHello);
        };
        if !self.active.contains(&doc) || self.scope != Scope::OwnDevice {
            return Ok(vec![SessionEvent::ScopeViolation {
                device: Some(peer.device),
                doc,
            }]);
        }
        // Only a document of the newer lineage the peer announced is taken, never an older one.
        let (Some(ours), Some(theirs)) = (docs.lineage(doc), self.peer_lineage.get(&doc)) else {
            warn!(
                ?doc,
                "refused a whole document without a lineage announced for it"
            );
            return Ok(Vec::new());
        };
        if *theirs <= ours {
            warn!(
                ?doc,
                "refused a whole document of a lineage not newer than ours"
            );
            return Ok(Vec::new());
        }
        crate::chunks::check(
            std::iter::once(document.as_slice()),
            MAX_DOC_INFLATED as u64,
        )
        .map_err(|reason| SessionError::BadSyncMessage { doc, reason })?;
        let agreed = self
            .states
            .get(&doc)
            .map(|s| s.shared_heads.clone())
            .unwrap_or_default();
        docs.supersede(doc, &document, &agreed)
            .map_err(|reason| SessionError::Apply { doc, reason })?;
        // A new lineage: what the old sync state knows names changes the document lacks now.
        self.states.insert(doc, sync::State::new());
        self.synced.insert(doc, false);
        self.update_in_sync();
        Ok(vec![SessionEvent::DocChanged(doc)])
    }

    fn receive_hello(
        &mut self,
        hello: Hello,
        docs: &mut dyn DocAccess,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        if self.peer.is_some() {
            return Err(SessionError::DuplicateHello);
        }
        // One version only: the hello layout never changes, so both sides can always read each
        // other's version and say which one needs updating.
        if hello.version < PROTOCOL_VERSION {
            return Err(SessionError::PeerOutdated(hello.version));
        }
        if hello.version > PROTOCOL_VERSION {
            return Err(SessionError::PeerNewer(hello.version));
        }
        if let Some(expected) = self.expected_peer
            && expected != hello.device
        {
            return Err(SessionError::DeviceMismatch);
        }
        if let (Some(ours), Some(theirs)) = (self.couple_id, hello.couple_id)
            && ours != theirs
        {
            return Err(SessionError::CoupleMismatch);
        }
        // Sync only what we grant AND the peer grants; never widen our own scope.
        self.active = hello
            .docs
            .iter()
            .copied()
            .filter(|d| self.scope.allows(*d))
            .collect();
        for d in &hello.docs {
            if !self.scope.allows(*d) {
                debug!(doc = ?d, "peer grants a document outside our scope for it; ignored");
            }
        }
        for d in self.active.clone() {
            // A document with a lineage is in sync only once both lineages are known to match.
            let heads_equal = docs.lineage(d).is_none() && self.heads_equal(d, docs);
            self.synced.insert(d, heads_equal);
        }
        let event = SessionEvent::PeerHello {
            device: hello.device,
            version: hello.version,
            docs: self.active_docs(),
        };
        self.peer = Some(hello);
        Ok(vec![event])
    }

    fn receive_sync(
        &mut self,
        doc: DocName,
        message: Vec<u8>,
        docs: &mut dyn DocAccess,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let Some(peer) = &self.peer else {
            return Err(SessionError::SyncBeforeHello);
        };
        // Scope is checked before the message is even decoded: out-of-scope bytes are dropped.
        if !self.active.contains(&doc) {
            warn!(
                ?doc,
                "refused sync message for a document outside this peer's scope"
            );
            return Ok(vec![SessionEvent::ScopeViolation {
                device: Some(peer.device),
                doc,
            }]);
        }
        if !self.lineage_agrees(doc, docs) {
            // Changes of another lineage would bring erased history back: dropped unread.
            debug!(
                ?doc,
                "sync message before both sides hold the same lineage; dropped"
            );
            return Ok(Vec::new());
        }
        let mut msg =
            sync::Message::decode(&message).map_err(|e| SessionError::BadSyncMessage {
                doc,
                reason: e.to_string(),
            })?;
        // A whole document or compressed change inflates on load: a frame of a few hundred KiB
        // once made us allocate 600 MiB. Plain changes cost memory in proportion to the frame;
        // documents are accepted while their compressed columns inflate to at most
        // MAX_DOC_INFLATED bytes in all, which `chunks::check` measures before automerge loads.
        crate::chunks::check(msg.changes.iter(), MAX_DOC_INFLATED as u64)
            .map_err(|reason| SessionError::BadSyncMessage { doc, reason })?;
        // automerge trusts the peer's Bloom filter parameters: zero bits panics (remainder by
        // zero) and a huge probe count allocates and loops without bound (found by fuzzing).
        for have in &msg.have {
            check_bloom(&have.bloom.to_bytes()).map_err(|why| SessionError::BadSyncMessage {
                doc,
                reason: format!("bloom filter: {why}"),
            })?;
        }
        // What the peer can take is settled by the wire version (see `poll`), never by its flags.
        msg.flags = None;
        let Some(state) = self.states.get_mut(&doc) else {
            // Unreachable by construction (active ⊆ scope = keys of states); refuse anyway.
            return Ok(Vec::new());
        };
        let Some(d) = docs.doc(doc) else {
            debug!(
                ?doc,
                "sync message for a document this device does not hold"
            );
            return Ok(Vec::new());
        };
        let before = d.get_heads();
        d.sync()
            .receive_sync_message(state, msg)
            .map_err(|e| SessionError::Apply {
                doc,
                reason: e.to_string(),
            })?;
        let after = d.get_heads();
        let mut events = Vec::new();
        if before != after {
            events.push(SessionEvent::DocChanged(doc));
        }
        let equal = self.heads_equal(doc, docs);
        self.synced.insert(doc, equal);
        // Report in-sync when it begins, and again whenever received changes moved our heads
        // while both sides match: the receiving side never leaves "in sync", yet the embedder
        // needs to learn the new common version (or it shows our changes as still waiting).
        let flipped = self.update_in_sync();
        if flipped || (before != after && self.in_sync) {
            events.push(SessionEvent::InSync);
        }
        Ok(events)
    }

    /// Generates outgoing sync messages for every agreed document that has something to send.
    /// Call after `receive` and after local changes.
    ///
    /// Before the peer's hello only resumed documents (saved state given to `new`) are
    /// polled; that saves a round trip on reconnect. Scope is enforced either way.
    ///
    /// After the hello (both sides speak this protocol version), a peer that lacks more than a
    /// third of a document's changes gets the whole compacted document in one message
    /// (automerge's V2 message), unless its compressed columns would inflate past
    /// [`MAX_DOC_INFLATED`]: the peer would refuse it, so the changes go one by one instead.
    pub fn poll(&mut self, docs: &mut dyn DocAccess) -> Vec<Frame> {
        let candidates = if self.peer.is_some() {
            self.active.clone()
        } else if self.started {
            self.resumed.clone()
        } else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for doc in candidates {
            // Defence in depth: active is already a subset of the scope.
            if !self.scope.allows(doc) {
                continue;
            }
            if let Some(ours) = docs.lineage(doc)
                && !self.poll_lineage(doc, ours, docs, &mut out)
            {
                self.synced.insert(doc, false);
                continue;
            }
            let Some(state) = self.states.get_mut(&doc) else {
                continue;
            };
            let Some(d) = docs.doc(doc) else {
                continue;
            };
            let whole_docs = self.peer.is_some();
            let resumed = self.resumed.contains(&doc);
            if let Some(message) = generate(d, state, whole_docs, resumed) {
                out.push(Frame::Sync { doc, message });
            }
            let equal = self.heads_equal(doc, docs);
            self.synced.insert(doc, equal);
        }
        self.update_in_sync();
        out
    }

    /// Announces our lineage of `doc` when it is new or changed, and sends our whole document to
    /// a peer on an older lineage (once per pair of tokens). True when sync messages may go.
    fn poll_lineage(
        &mut self,
        doc: DocName,
        ours: Vec<u8>,
        docs: &mut dyn DocAccess,
        out: &mut Vec<Frame>,
    ) -> bool {
        if self.scope != Scope::OwnDevice {
            return false;
        }
        if self.announced.get(&doc) != Some(&ours) {
            if let (Some(state), Some(d)) = (self.states.get_mut(&doc), docs.doc(doc))
                && state
                    .shared_heads
                    .iter()
                    .any(|h| d.get_change_by_hash(h).is_none())
            {
                // The state names changes of a lineage we no longer hold.
                *state = sync::State::new();
            }
            out.push(Frame::Lineage {
                doc,
                token: ours.clone(),
            });
            self.announced.insert(doc, ours.clone());
        }
        // Nothing goes before the peer's hello told us it is there to hear the lineage.
        let Some(theirs) = self.peer_lineage.get(&doc).cloned() else {
            return false;
        };
        if theirs == ours {
            return true;
        }
        if ours > theirs
            && self.superseded.insert((doc, ours, theirs))
            && let Some(d) = docs.doc(doc)
        {
            out.push(Frame::Supersede {
                doc,
                document: d.save(),
            });
        }
        false
    }

    /// The peer's wire protocol version, once its hello arrived.
    pub fn peer_version(&self) -> Option<u16> {
        self.peer.as_ref().map(|h| h.version)
    }

    fn heads_equal(&mut self, doc: DocName, docs: &mut dyn DocAccess) -> bool {
        let Some(state) = self.states.get(&doc) else {
            return false;
        };
        let Some(d) = docs.doc(doc) else {
            // A doc we do not hold cannot be out of sync from our side.
            return true;
        };
        let mut ours = d.get_heads();
        let Some(theirs) = &state.their_heads else {
            return false;
        };
        let mut theirs = theirs.clone();
        ours.sort();
        theirs.sort();
        ours == theirs
    }

    /// Recomputes the in-sync flag; true when it just flipped to in sync.
    fn update_in_sync(&mut self) -> bool {
        let now = self.peer.is_some()
            && self
                .active
                .iter()
                .all(|d| self.synced.get(d) == Some(&true));
        let flipped = now && !self.in_sync;
        self.in_sync = now;
        flipped
    }

    /// Whether every agreed document has the same heads on both sides (as of the last
    /// `receive`/`poll`).
    pub fn is_in_sync(&self) -> bool {
        self.in_sync
    }

    /// Encoded sync states to persist per peer, to shorten the next reconnect.
    pub fn sync_states(&self) -> Vec<(DocName, Vec<u8>)> {
        self.states.iter().map(|(d, s)| (*d, s.encode())).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, VecDeque};

    use automerge::transaction::Transactable;
    use automerge::{ObjId, ObjType, ROOT, ReadDoc};

    use super::*;

    const MARKER: &str = "PRIVATE-MARKER-7f3a";

    #[derive(Default)]
    struct Docs(HashMap<DocName, AutoCommit>);

    impl DocAccess for Docs {
        fn doc(&mut self, name: DocName) -> Option<&mut AutoCommit> {
            self.0.get_mut(&name)
        }
    }

    fn text_obj(doc: &AutoCommit) -> ObjId {
        doc.get(ROOT, "text").expect("read").expect("text object").1
    }

    fn text(doc: &AutoCommit) -> String {
        doc.text(text_obj(doc)).expect("text")
    }

    fn base_doc(initial: &str) -> AutoCommit {
        let mut d = AutoCommit::new();
        let t = d.put_object(ROOT, "text", ObjType::Text).expect("put");
        d.splice_text(&t, 0, 0, initial).expect("splice");
        d.commit();
        d
    }

    fn splice(doc: &mut AutoCommit, pos: usize, s: &str) {
        let t = text_obj(doc);
        doc.splice_text(&t, pos, 0, s).expect("splice");
        doc.commit();
    }

    /// A device whose couple doc forks `couple` (fresh actor) and whose private doc holds `private`.
    fn device(couple: &mut AutoCommit, private: &str) -> Docs {
        let mut docs = Docs::default();
        docs.0.insert(DocName::Couple, couple.fork());
        docs.0.insert(DocName::Private, base_doc(private));
        docs
    }

    /// A partner-scoped session on device 1 that has taken device 2's hello for the couple
    /// document: the next frame it receives is document data.
    fn partner_session_after_hello(docs: &mut Docs) -> Session {
        let mut s = Session::new(id(1), Scope::Partner, []);
        s.receive(
            Frame::Hello(Hello {
                version: PROTOCOL_VERSION,
                device: id(2),
                docs: vec![DocName::Couple],
                couple_id: None,
            }),
            docs,
        )
        .unwrap();
        s
    }

    fn id(n: u8) -> [u8; 32] {
        [n; 32]
    }

    /// One bidirectional link between devices `a` and `b`, frames travelling as bytes.
    struct Link {
        a: usize,
        b: usize,
        sa: Session,
        sb: Session,
        to_b: VecDeque<Vec<u8>>,
        to_a: VecDeque<Vec<u8>>,
        bytes_to_b: Vec<Vec<u8>>,
        bytes_to_a: Vec<Vec<u8>>,
        events_a: Vec<SessionEvent>,
        events_b: Vec<SessionEvent>,
    }

    impl Link {
        fn new(a: usize, b: usize, mut sa: Session, mut sb: Session) -> Self {
            let to_b = sa.start().iter().map(Frame::encode).collect();
            let to_a = sb.start().iter().map(Frame::encode).collect();
            Self {
                a,
                b,
                sa,
                sb,
                to_b,
                to_a,
                bytes_to_b: Vec::new(),
                bytes_to_a: Vec::new(),
                events_a: Vec::new(),
                events_b: Vec::new(),
            }
        }
    }

    fn two_mut<T>(v: &mut [T], i: usize, j: usize) -> (&mut T, &mut T) {
        assert_ne!(i, j);
        if i < j {
            let (l, r) = v.split_at_mut(j);
            (&mut l[i], &mut r[0])
        } else {
            let (l, r) = v.split_at_mut(i);
            (&mut r[0], &mut l[j])
        }
    }

    /// Delivers frames over every link until all queues are empty. Returns the number of
    /// rounds (one round = each side delivers what is queued and polls once).
    /// Two partner devices whose couple documents hold "x", one link between them, synced.
    fn two_partner_devices_in_sync() -> (Vec<Docs>, Vec<Link>) {
        let mut base = base_doc("x");
        let mut devices = vec![device(&mut base, "p"), device(&mut base, "q")];
        let mut links = vec![Link::new(
            0,
            1,
            Session::new(id(1), Scope::Partner, []),
            Session::new(id(2), Scope::Partner, []),
        )];
        pump(&mut devices, &mut links);
        (devices, links)
    }

    fn pump(devices: &mut [Docs], links: &mut [Link]) -> usize {
        for round in 1..=100 {
            let mut moved = false;
            for l in links.iter_mut() {
                let (da, db) = two_mut(devices, l.a, l.b);
                while let Some(bytes) = l.to_b.pop_front() {
                    moved = true;
                    l.bytes_to_b.push(bytes.clone());
                    let f = Frame::decode(&bytes).expect("decode");
                    l.events_b.extend(l.sb.receive(f, db).expect("receive b"));
                }
                while let Some(bytes) = l.to_a.pop_front() {
                    moved = true;
                    l.bytes_to_a.push(bytes.clone());
                    let f = Frame::decode(&bytes).expect("decode");
                    l.events_a.extend(l.sa.receive(f, da).expect("receive a"));
                }
                l.to_b.extend(l.sa.poll(da).iter().map(Frame::encode));
                l.to_a.extend(l.sb.poll(db).iter().map(Frame::encode));
            }
            if !moved && links.iter().all(|l| l.to_a.is_empty() && l.to_b.is_empty()) {
                return round;
            }
        }
        panic!("sessions did not go quiet in 100 rounds");
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn two_sessions_converge_with_concurrent_splices() {
        let mut base = base_doc("we agree to ");
        let mut devices = vec![
            device(&mut base, "a-private"),
            device(&mut base, "b-private"),
        ];
        // Concurrent edits in the same Text, before any sync.
        splice(
            devices[0].0.get_mut(&DocName::Couple).unwrap(),
            12,
            "talk daily",
        );
        splice(
            devices[1].0.get_mut(&DocName::Couple).unwrap(),
            0,
            "Together ",
        );
        let mut links = vec![Link::new(
            0,
            1,
            Session::new(id(1), Scope::Partner, []).expect_peer(id(2)),
            Session::new(id(2), Scope::Partner, []).expect_peer(id(1)),
        )];
        pump(&mut devices, &mut links);
        let a = text(&devices[0].0[&DocName::Couple]);
        let b = text(&devices[1].0[&DocName::Couple]);
        assert_eq!(a, b);
        assert!(a.contains("talk daily") && a.contains("Together "), "{a}");
        assert!(links[0].sa.is_in_sync() && links[0].sb.is_in_sync());
        assert!(
            links[0]
                .events_a
                .contains(&SessionEvent::DocChanged(DocName::Couple))
        );
        assert!(links[0].events_a.contains(&SessionEvent::InSync));
        // Private docs untouched.
        assert_eq!(text(&devices[0].0[&DocName::Private]), "a-private");
        assert_eq!(text(&devices[1].0[&DocName::Private]), "b-private");
    }

    #[test]
    fn local_change_after_sync_is_pending_then_in_sync_again() {
        let (mut devices, mut links) = two_partner_devices_in_sync();
        assert!(links[0].sa.is_in_sync());
        splice(devices[0].0.get_mut(&DocName::Couple).unwrap(), 1, "y");
        let out = links[0].sa.poll(&mut devices[0]);
        assert_eq!(out.len(), 1);
        assert!(!links[0].sa.is_in_sync());
        links[0].to_b.extend(out.iter().map(Frame::encode));
        pump(&mut devices, &mut links);
        assert!(links[0].sa.is_in_sync() && links[0].sb.is_in_sync());
        assert_eq!(text(&devices[1].0[&DocName::Couple]), "xy");
    }

    #[test]
    fn receiving_changes_while_in_sync_reports_in_sync_again() {
        let (mut devices, mut links) = two_partner_devices_in_sync();
        assert!(links[0].sb.is_in_sync());
        links[0].events_b.clear();
        // A changes; B only receives. B was in sync before and is after, at a new version.
        splice(devices[0].0.get_mut(&DocName::Couple).unwrap(), 1, "y");
        let out = links[0].sa.poll(&mut devices[0]);
        links[0].to_b.extend(out.iter().map(Frame::encode));
        pump(&mut devices, &mut links);
        assert_eq!(text(&devices[1].0[&DocName::Couple]), "xy");
        assert!(
            links[0].events_b.contains(&SessionEvent::InSync),
            "the receiver must learn it is in sync at the new version: {:?}",
            links[0].events_b
        );
    }

    #[test]
    fn three_sessions_converge_and_private_stays_on_own_devices() {
        // Device 0: partner A laptop; 1: partner A phone (own device); 2: partner B.
        let mut base = base_doc("pact: ");
        let mut devices = vec![
            device(&mut base, MARKER),
            device(&mut base, ""),
            device(&mut base, "b-journal"),
        ];
        // The phone starts with a fork of the laptop's private journal (same object).
        let phone_private = devices[0].0.get_mut(&DocName::Private).unwrap().fork();
        devices[1].0.insert(DocName::Private, phone_private);
        splice(devices[0].0.get_mut(&DocName::Couple).unwrap(), 6, "A1 ");
        splice(devices[1].0.get_mut(&DocName::Couple).unwrap(), 6, "A2 ");
        splice(devices[2].0.get_mut(&DocName::Couple).unwrap(), 6, "B ");
        splice(
            devices[1].0.get_mut(&DocName::Private).unwrap(),
            0,
            "phone: ",
        );
        let mut links = vec![
            Link::new(
                0,
                1,
                Session::new(id(1), Scope::OwnDevice, []),
                Session::new(id(2), Scope::OwnDevice, []),
            ),
            Link::new(
                0,
                2,
                Session::new(id(1), Scope::Partner, []),
                Session::new(id(3), Scope::Partner, []),
            ),
            // Partner B also talks to A's phone directly.
            Link::new(
                1,
                2,
                Session::new(id(2), Scope::Partner, []),
                Session::new(id(3), Scope::Partner, []),
            ),
        ];
        pump(&mut devices, &mut links);
        let texts: Vec<String> = devices
            .iter()
            .map(|d| text(&d.0[&DocName::Couple]))
            .collect();
        assert_eq!(texts[0], texts[1]);
        assert_eq!(texts[1], texts[2]);
        for part in ["A1 ", "A2 ", "B "] {
            assert!(texts[0].contains(part), "{}", texts[0]);
        }
        let own = text(&devices[1].0[&DocName::Private]);
        assert_eq!(own, text(&devices[0].0[&DocName::Private]));
        assert!(own.contains(MARKER) && own.contains("phone: "));
        assert_eq!(text(&devices[2].0[&DocName::Private]), "b-journal");
        // Nothing sent towards partner B carries the private journal.
        for l in &links {
            let towards_b: &[Vec<u8>] = if l.b == 2 { &l.bytes_to_b } else { &[] };
            for f in towards_b {
                assert!(!contains(f, MARKER.as_bytes()));
                assert!(!contains(f, b"phone: "));
            }
        }
    }

    #[test]
    fn partner_never_gets_a_frame_with_private_data() {
        let mut base = base_doc("shared");
        let mut devices = vec![device(&mut base, MARKER), device(&mut base, "other")];
        // Even if the partner claims (wrongly) to grant and want the private doc…
        let mut links = vec![Link::new(
            0,
            1,
            Session::new(id(1), Scope::Partner, []),
            Session::new(id(2), Scope::OwnDevice, []),
        )];
        pump(&mut devices, &mut links);
        assert!(!links[0].bytes_to_b.is_empty());
        for bytes in &links[0].bytes_to_b {
            assert!(!contains(bytes, MARKER.as_bytes()));
            match Frame::decode(bytes).unwrap() {
                Frame::Sync { doc, .. } => assert_eq!(doc, DocName::Couple),
                Frame::Hello(h) => assert_eq!(h.docs, vec![DocName::Couple]),
                other => panic!("a partner's device was sent {other:?}"),
            }
        }
        assert_eq!(links[0].sa.active_docs(), vec![DocName::Couple]);
    }

    #[test]
    fn out_of_scope_private_message_is_refused_and_not_applied() {
        let mut docs = Docs::default();
        docs.0.insert(DocName::Couple, base_doc("c"));
        let mut victim_private = base_doc("mine");
        let fork_for_attacker = victim_private.fork();
        docs.0.insert(DocName::Private, victim_private.fork());
        let heads_before = docs.0.get_mut(&DocName::Private).unwrap().get_heads();

        // A valid automerge sync message that would change the private doc.
        let mut attacker = fork_for_attacker;
        splice(&mut attacker, 0, "INJECTED ");
        let msg = attacker
            .sync()
            .generate_sync_message(&mut sync::State::new())
            .unwrap()
            .encode();

        let mut s = Session::new(id(1), Scope::Partner, []);
        s.start();
        s.receive(
            Frame::Hello(Hello {
                version: PROTOCOL_VERSION,
                device: id(9),
                docs: vec![DocName::Couple, DocName::Private],
                couple_id: None,
            }),
            &mut docs,
        )
        .unwrap();
        let events = s
            .receive(
                Frame::Sync {
                    doc: DocName::Private,
                    message: msg,
                },
                &mut docs,
            )
            .unwrap();
        assert_eq!(
            events,
            vec![SessionEvent::ScopeViolation {
                device: Some(id(9)),
                doc: DocName::Private
            }]
        );
        let p = docs.0.get_mut(&DocName::Private).unwrap();
        assert_eq!(p.get_heads(), heads_before);
        assert_eq!(text(p), "mine");
        // And nothing private goes back out.
        assert!(s.poll(&mut docs).iter().all(|f| matches!(
            f,
            Frame::Sync {
                doc: DocName::Couple,
                ..
            }
        )));
    }

    #[test]
    fn handshake_refusals() {
        let mut docs = Docs::default();
        let hello = |v: u16, dev: [u8; 32], couple: Option<[u8; 16]>| {
            Frame::Hello(Hello {
                version: v,
                device: dev,
                docs: vec![DocName::Couple],
                couple_id: couple,
            })
        };
        // Older and newer peers: refused with an error that says which side to update.
        let mut s = Session::new(id(1), Scope::Partner, []);
        let older = s.receive(hello(1, id(2), None), &mut docs).unwrap_err();
        assert!(matches!(older, SessionError::PeerOutdated(1)), "{older}");
        assert!(older.to_string().contains("older Kintsugi"), "{older}");
        assert!(
            older.to_string().contains("update Kintsugi on it"),
            "{older}"
        );
        let mut s = Session::new(id(1), Scope::Partner, []);
        let newer = s.receive(hello(99, id(2), None), &mut docs).unwrap_err();
        assert!(matches!(newer, SessionError::PeerNewer(99)), "{newer}");
        assert!(newer.to_string().contains("update Kintsugi on this device"));
        let mut s = Session::new(id(1), Scope::Partner, []).expect_peer(id(2));
        assert!(matches!(
            s.receive(hello(PROTOCOL_VERSION, id(3), None), &mut docs),
            Err(SessionError::DeviceMismatch)
        ));
        let mut s = Session::new(id(1), Scope::Partner, []).with_couple_id([1; 16]);
        assert!(matches!(
            s.receive(hello(PROTOCOL_VERSION, id(2), Some([2; 16])), &mut docs),
            Err(SessionError::CoupleMismatch)
        ));
        let mut s = Session::new(id(1), Scope::Partner, []);
        assert!(matches!(
            s.receive(
                Frame::Sync {
                    doc: DocName::Couple,
                    message: vec![0x42]
                },
                &mut docs
            ),
            Err(SessionError::SyncBeforeHello)
        ));
        s.receive(hello(PROTOCOL_VERSION, id(2), Some([2; 16])), &mut docs)
            .unwrap();
        assert!(matches!(
            s.receive(hello(PROTOCOL_VERSION, id(2), None), &mut docs),
            Err(SessionError::DuplicateHello)
        ));
        // Garbage automerge payload in scope: an error, not a panic.
        assert!(matches!(
            s.receive(
                Frame::Sync {
                    doc: DocName::Couple,
                    message: vec![0x42, 0xff, 0xff, 0x00, 0x13]
                },
                &mut docs
            ),
            Err(SessionError::BadSyncMessage { .. })
        ));
    }

    /// A device on sync protocol 1 (the release before compressed frames) and this one: each
    /// reads the other's hello, whose layout is unchanged, so each learns the other's version and
    /// refuses with "update Kintsugi" rather than misreading a frame.
    #[test]
    fn an_old_version_peer_and_this_one_each_learn_who_must_update() {
        let mut docs = Docs::default();
        docs.0.insert(DocName::Couple, base_doc("x"));
        let mut s = Session::new(id(1), Scope::Partner, []).expect_peer(id(2));
        let ours = Frame::encode(&s.start()[0]);
        // Read as version 1 read a hello: tag 1, u16 version, 32-byte device, docs, couple id,
        // nothing after. It finds version 2 and refuses with its own version error.
        assert_eq!(&ours[4..7], &[0x01, 0x00, 0x02]);
        assert_eq!(&ours[7..39], &id(1));
        assert_eq!(&ours[39..], &[1, DocName::Couple.wire_id(), 0]);
        // The hello version 1 sends, byte for byte.
        let mut v1 = vec![0x01, 0x00, 0x01];
        v1.extend_from_slice(&id(2));
        v1.extend_from_slice(&[1, DocName::Couple.wire_id(), 0]);
        let err = s
            .receive(Frame::decode_body(&v1).unwrap(), &mut docs)
            .unwrap_err();
        assert!(matches!(err, SessionError::PeerOutdated(1)), "{err}");
        assert!(err.to_string().contains("update Kintsugi"), "{err}");
        // And a newer peer is told apart from an older one.
        let mut s = Session::new(id(1), Scope::Partner, []);
        let mut v3 = v1.clone();
        v3[2] = 3;
        let err = s
            .receive(Frame::decode_body(&v3).unwrap(), &mut docs)
            .unwrap_err();
        assert!(matches!(err, SessionError::PeerNewer(3)), "{err}");
    }

    /// Strict alternation: each turn one side delivers everything it got and answers.
    /// Returns (turns until a side has nothing more to say, bytes sent).
    fn ping_pong(mut sa: Session, da: &mut Docs, mut sb: Session, db: &mut Docs) -> (usize, usize) {
        let mut first = sa.start();
        first.extend(sa.poll(da));
        let mut in_flight: Vec<Vec<u8>> = first.iter().map(Frame::encode).collect();
        let mut bytes: usize = in_flight.iter().map(Vec::len).sum();
        let mut a_turn = false;
        let mut first_b = true;
        for turn in 1..=100 {
            let (s, d) = if a_turn {
                (&mut sa, &mut *da)
            } else {
                (&mut sb, &mut *db)
            };
            let mut out: Vec<Frame> = Vec::new();
            if !a_turn && first_b {
                out.extend(s.start());
                out.extend(s.poll(d));
                first_b = false;
            }
            for b in in_flight.drain(..) {
                s.receive(Frame::decode(&b).expect("decode"), d)
                    .expect("receive");
            }
            out.extend(s.poll(d));
            if out.is_empty() {
                return (turn, bytes);
            }
            in_flight = out.iter().map(Frame::encode).collect();
            bytes += in_flight.iter().map(Vec::len).sum::<usize>();
            a_turn = !a_turn;
        }
        panic!("no quiet after 100 turns");
    }

    fn many_changes(doc: &mut AutoCommit, n: usize, tag: &str) {
        for i in 0..n {
            let t = text_obj(doc);
            let len = doc.length(&t);
            doc.splice_text(&t, len, 0, &format!("{tag}{i} "))
                .expect("splice");
            doc.commit();
        }
    }

    #[test]
    fn reconnect_with_saved_sync_states_is_shorter() {
        let mut base = base_doc("");
        let mut devices = vec![device(&mut base, "p"), device(&mut base, "q")];
        many_changes(devices[0].0.get_mut(&DocName::Couple).unwrap(), 300, "a");
        many_changes(devices[1].0.get_mut(&DocName::Couple).unwrap(), 300, "b");
        let mut links = vec![Link::new(
            0,
            1,
            Session::new(id(1), Scope::OwnDevice, []),
            Session::new(id(2), Scope::OwnDevice, []),
        )];
        pump(&mut devices, &mut links);
        let saved_a = links[0].sa.sync_states();
        let saved_b = links[0].sb.sync_states();
        // Both sides change a little while apart.
        many_changes(devices[0].0.get_mut(&DocName::Couple).unwrap(), 3, "x");
        many_changes(devices[1].0.get_mut(&DocName::Couple).unwrap(), 3, "y");

        let measure = |devices: &mut Vec<Docs>, sa: Session, sb: Session| {
            let mut d = vec![
                Docs(
                    devices[0]
                        .0
                        .iter_mut()
                        .map(|(k, v)| (*k, v.clone()))
                        .collect(),
                ),
                Docs(
                    devices[1]
                        .0
                        .iter_mut()
                        .map(|(k, v)| (*k, v.clone()))
                        .collect(),
                ),
            ];
            let (d0, d1) = two_mut(&mut d, 0, 1);
            let (rounds, bytes) = ping_pong(sa, d0, sb, d1);
            assert_eq!(
                text(&d[0].0[&DocName::Couple]),
                text(&d[1].0[&DocName::Couple])
            );
            (rounds, bytes)
        };
        let (fresh_rounds, fresh_bytes) = measure(
            &mut devices,
            Session::new(id(1), Scope::OwnDevice, []),
            Session::new(id(2), Scope::OwnDevice, []),
        );
        let (saved_rounds, saved_bytes) = measure(
            &mut devices,
            Session::new(id(1), Scope::OwnDevice, saved_a),
            Session::new(id(2), Scope::OwnDevice, saved_b),
        );
        eprintln!(
            "fresh: {fresh_rounds} turns {fresh_bytes} B; saved: {saved_rounds} turns {saved_bytes} B"
        );
        assert!(
            saved_rounds < fresh_rounds,
            "{saved_rounds} vs {fresh_rounds}"
        );
        assert!(saved_bytes < fresh_bytes);
    }

    /// A peer that lacks most of a document gets it whole, as one compacted document in one
    /// message (no flags on the wire: the capability comes from the wire version); a whole
    /// document whose columns inflate past `MAX_DOC_INFLATED` is refused before automerge loads it.
    #[test]
    fn whole_documents_go_to_a_peer_lacking_most_and_bombs_are_refused() {
        let mut base = base_doc("x");
        let mut devices = vec![device(&mut base, "p"), device(&mut base, "q")];
        many_changes(devices[0].0.get_mut(&DocName::Couple).unwrap(), 2000, "a");
        let mut links = vec![Link::new(
            0,
            1,
            Session::new(id(1), Scope::Partner, []),
            Session::new(id(2), Scope::Partner, []),
        )];
        pump(&mut devices, &mut links);
        assert_eq!(
            text(&devices[0].0[&DocName::Couple]),
            text(&devices[1].0[&DocName::Couple])
        );
        let compacted = devices[0].0.get_mut(&DocName::Couple).unwrap().save().len();
        let mut whole = 0;
        for bytes in links[0].bytes_to_b.iter().chain(&links[0].bytes_to_a) {
            if let Frame::Sync { message, .. } = Frame::decode(bytes).unwrap() {
                let m = sync::Message::decode(&message).unwrap();
                assert!(m.flags.is_none());
                whole += m.changes.iter().filter(|c| c[8] == 0).count();
            }
        }
        assert_eq!(whole, 1, "one whole document, not 2000 changes");
        // Hello, heads and the document: no Bloom filter of the 2000 changes the peer lacks.
        let wire: usize = links[0].bytes_to_b.iter().map(Vec::len).sum();
        assert!(
            wire as f64 <= compacted as f64 * 1.1 + 256.0,
            "{wire} bytes for {compacted}"
        );

        // A small document that inflates to more than the limit.
        let mut bomb = AutoCommit::new();
        bomb.put(ROOT, "text", "x".repeat(MAX_DOC_INFLATED + 1).as_str())
            .unwrap();
        bomb.commit();
        let message = sync::Message {
            heads: bomb.get_heads(),
            need: vec![],
            have: vec![],
            changes: sync::ChunkList::from(bomb.save()),
            flags: None,
            version: sync::MessageVersion::V2,
        }
        .encode();
        drop(bomb);
        assert!(message.len() < 256 * 1024, "{}", message.len());
        let mut docs = Docs::default();
        docs.0.insert(DocName::Couple, base_doc("mine"));
        let mut s = partner_session_after_hello(&mut docs);
        let r = s.receive(
            Frame::Sync {
                doc: DocName::Couple,
                message,
            },
            &mut docs,
        );
        assert!(
            matches!(&r, Err(SessionError::BadSyncMessage { reason, .. }) if reason.contains("inflates past")),
            "{r:?}"
        );
        assert_eq!(text(&docs.0[&DocName::Couple]), "mine");
    }

    /// Regression (fuzzing): a peer's Bloom filter with no bits made automerge divide by zero
    /// in our next `poll`; one with 2^32-1 probes allocated and looped without bound.
    #[test]
    fn hostile_bloom_filters_are_refused() {
        let mut victim = base_doc("mine");
        let heads = victim.get_heads();
        let leb = |v: u32| {
            let mut out = Vec::new();
            let mut v = v;
            loop {
                let b = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(b);
                    return out;
                }
                out.push(b | 0x80);
            }
        };
        let filters: [(u32, u32, u32); 2] = [(1, 0, 7), (1, 10, u32::MAX)];
        for (entries, bits, probes) in filters {
            let mut bytes = [leb(entries), leb(bits), leb(probes)].concat();
            bytes.resize(bytes.len() + (entries * bits).div_ceil(8) as usize, 0xff);
            let bloom = sync::BloomFilter::try_from(bytes.as_slice()).unwrap();
            let message = sync::Message {
                heads: heads.clone(),
                need: vec![],
                have: vec![sync::Have {
                    last_sync: vec![],
                    bloom,
                }],
                changes: sync::ChunkList::empty(),
                flags: None,
                version: sync::MessageVersion::V1,
            }
            .encode();
            let mut docs = Docs::default();
            docs.0.insert(DocName::Couple, victim.fork());
            let mut s = partner_session_after_hello(&mut docs);
            let r = s.receive(
                Frame::Sync {
                    doc: DocName::Couple,
                    message,
                },
                &mut docs,
            );
            assert!(
                matches!(r, Err(SessionError::BadSyncMessage { .. })),
                "{entries}/{bits}/{probes}: {r:?}"
            );
            let _ = s.poll(&mut docs);
        }
        assert!(check_bloom(&[]).is_ok());
        assert!(check_bloom(&[0, 10, 7]).is_ok());
        assert!(check_bloom(&[1, 10, 7, 0xff, 0xff]).is_ok());
    }

    #[test]
    fn saved_states_outside_scope_or_garbage_are_ignored() {
        let s = Session::new(
            id(1),
            Scope::Partner,
            [
                (DocName::Private, vec![0x43]),
                (DocName::Couple, vec![0xde, 0xad]),
            ],
        );
        let names: Vec<DocName> = s.sync_states().into_iter().map(|(d, _)| d).collect();
        assert_eq!(names, vec![DocName::Couple]);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_sync_payload_is_an_error_not_a_panic(payload in proptest::collection::vec(proptest::num::u8::ANY, 1..256)) {
            let mut docs = Docs::default();
            docs.0.insert(DocName::Couple, base_doc("c"));
            let mut s = partner_session_after_hello(&mut docs);
            let _ = s.receive(Frame::Sync { doc: DocName::Couple, message: payload }, &mut docs);
        }
    }
}
