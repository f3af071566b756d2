//! Fuzz entry points: the bodies of the `fuzz/` targets, shared with the corpus replay test so both run identical code.

// Each function takes arbitrary bytes and must never panic (the functions themselves assert the
// properties a decoder owes: what decodes re-encodes to the same value). Not an API.

use kintsugi_core::automerge::ActorId;
use kintsugi_core::{DocKind, Model, PartnerId};
use kintsugi_sync::pairing::{Invite, Join, PairFrame, PairingCode, PairingKind};
use kintsugi_sync::session::{DocAccess, DocName, Frame, FrameBuffer, Scope, Session};

/// Names of the targets, as directories under `fuzz/corpus/`.
pub const TARGETS: [&str; 6] = [
    "frame_decode",
    "session",
    "pairing_code",
    "pair_frame",
    "document",
    "store_decrypt",
];

/// Runs target `name` on `data`; false for an unknown name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "frame_decode" => frame_decode(data),
        "session" => session(data),
        "pairing_code" => pairing_code(data),
        "pair_frame" => pair_frame(data),
        "document" => document(data),
        "store_decrypt" => store_decrypt(data),
        _ => return false,
    }
    true
}

/// The store's decryption path: `kdf` parsing, opening sealed values and the wrapped data key
/// (`kintsugi_store::fuzz_decrypt`).
pub fn store_decrypt(data: &[u8]) {
    kintsugi_store::fuzz_decrypt(data);
}

/// Sync frame and handshake decoding, whole and as a byte stream.
pub fn frame_decode(data: &[u8]) {
    if let Ok(f) = Frame::decode(data) {
        assert_eq!(Frame::decode(&f.encode()).as_ref(), Ok(&f));
    }
    if let Ok(f) = Frame::decode_body(data) {
        assert_eq!(Frame::decode_body(&f.encode_body()).as_ref(), Ok(&f));
    }
    // Any message survives the deflated encoding (protocol 2) unchanged.
    if !data.is_empty() {
        let f = Frame::Sync {
            doc: DocName::Couple,
            message: data.to_vec(),
        };
        assert_eq!(Frame::decode_body(&f.encode_body()).as_ref(), Ok(&f));
    }
    let mut buf = FrameBuffer::default();
    // Fed in two pieces, like a stream read in two parts.
    let cut = data.first().map_or(0, |b| *b as usize % (data.len() + 1));
    buf.push(&data[..cut]);
    let _ = buf.next_body();
    buf.push(&data[cut..]);
    while let Ok(Some(body)) = buf.next_body() {
        let _ = Frame::decode_body(&body);
    }
}

struct Docs(Model);

impl DocAccess for Docs {
    fn doc(&mut self, name: DocName) -> Option<&mut kintsugi_core::automerge::AutoCommit> {
        Some(self.0.doc_mut(match name {
            DocName::Couple => DocKind::Couple,
            DocName::Private => DocKind::Private,
        }))
    }
}

/// Splits `data` into frame bodies: each is a u16 big-endian length and that many bytes.
pub fn split_frames(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let n = (u16::from_be_bytes(*len) as usize).min(tail.len());
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    out
}

/// Joins frame bodies in the format `split_frames` reads (for building seeds).
pub fn join_frames<'a>(scope_byte: u8, bodies: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![scope_byte];
    for b in bodies {
        let n = b.len().min(u16::MAX as usize);
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(&b[..n]);
    }
    out
}

/// The session state machine fed arbitrary frames from a peer; the device's documents must
/// stay readable and its private document untouched by a partner-scoped peer.
pub fn session(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let scope = if first & 1 == 0 {
        Scope::Partner
    } else {
        Scope::OwnDevice
    };
    let me = PartnerId("fuzz".into());
    let model = Model::open(None, None, me, ActorId::from(vec![7u8; 16])).expect("genesis opens");
    let mut docs = Docs(model);
    let private_before = docs.0.doc_mut(DocKind::Private).get_heads();
    let mut s = Session::new([1; 32], scope, []);
    let _ = s.start();
    for body in split_frames(rest) {
        let Ok(frame) = Frame::decode_body(body) else {
            continue;
        };
        if s.receive(frame, &mut docs).is_err() {
            // The transport closes the connection here.
            break;
        }
        let _ = s.poll(&mut docs);
    }
    let _ = docs.0.view();
    let _ = s.sync_states();
    if scope == Scope::Partner {
        assert_eq!(
            docs.0.doc_mut(DocKind::Private).get_heads(),
            private_before,
            "a partner-scoped peer changed the private document"
        );
    }
}

/// Pairing-code text, as typed or pasted by a person.
pub fn pairing_code(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(code) = PairingCode::parse(&text) {
        assert_eq!(PairingCode::parse(&code.to_text()).as_ref(), Ok(&code));
    }
}

/// Pairing frames, and both sides of the exchange fed them.
pub fn pair_frame(data: &[u8]) {
    let Ok(frame) = PairFrame::decode_body(data) else {
        return;
    };
    let encoded = frame.encode();
    assert_eq!(PairFrame::decode_body(&encoded[4..]).as_ref(), Ok(&frame));
    let mut invite = Invite::open(
        [1; 32],
        vec![],
        PairingKind::PartnerDevice,
        u64::MAX,
        vec![],
    );
    let (_, paired) = invite.handle([2; 32], frame.clone(), 0);
    // A random proof must never pair.
    assert!(paired.is_none(), "an arbitrary join frame paired");
    let code = invite.code().clone();
    if let Ok(join) = Join::new(code, [2; 32], 0) {
        let _ = join.handle(frame);
    }
}

/// Arbitrary bytes as a stored document: opening may fail, reading must not panic.
pub fn document(data: &[u8]) {
    let actor = || ActorId::from(vec![9u8; 16]);
    let me = || PartnerId("fuzz".into());
    if let Ok(m) = Model::open(Some(data), None, me(), actor()) {
        let _ = m.view();
    }
    if let Ok(m) = Model::open(None, Some(data), me(), actor()) {
        let _ = m.view();
    }
}
