//! The sync wire format: frames, their byte encoding and the limits a peer's bytes are held to.

/// Version of the sync wire protocol carried in every `Hello`.
///
/// 1: plain frames, plain automerge changes only. 2: sync frame bodies may be deflated
/// ([`Frame::encode_body`]) and a message may carry a whole document (automerge's V2 message) for
/// a peer that lacks most of it. The hello layout is the same in both, so each side reads the
/// other's version and refuses with an "update Kintsugi" error instead of misreading frames.
pub const PROTOCOL_VERSION: u16 = 2;

/// Largest frame body accepted or produced, in bytes.
///
/// A first sync sends a whole document in one automerge message; the stack notes measured
/// 696 KiB for 200k one-keystroke changes, so 64 MiB leaves two orders of magnitude of headroom
/// while still bounding what a misbehaving peer can make us allocate.
pub const MAX_FRAME_LEN: usize = 64 * 1024 * 1024;

/// Bytes of the length prefix (u32, big endian) in front of every frame body.
pub const LEN_PREFIX: usize = 4;

/// Most bytes a deflated sync frame may inflate to: no more than a plain frame could carry, so
/// compression never raises what a peer can make us hold.
pub const MAX_MESSAGE_LEN: usize = MAX_FRAME_LEN;

/// Most bytes the compressed columns of the whole documents in one sync message may inflate to
/// (automerge's V2 message sends a whole document to a peer that lacks most of it). The same as a
/// plain frame: a whole document can make us hold no more than a frame of changes could.
pub const MAX_DOC_INFLATED: usize = MAX_FRAME_LEN;

/// Messages shorter than this go out plain: deflate cannot win much on them.
const DEFLATE_FROM: usize = 96;

const TAG_HELLO: u8 = 0x01;
const TAG_SYNC: u8 = 0x02;
/// A sync message deflated (raw DEFLATE, RFC 1951), after a u32 stating its inflated length.
/// Protocol version 2 and later.
const TAG_SYNC_DEFLATE: u8 = 0x03;
/// A document's lineage token (only between one partner's own devices; see `Frame::Lineage`).
const TAG_LINEAGE: u8 = 0x04;
/// A whole document of a newer lineage, for an own device still on an older one.
const TAG_SUPERSEDE: u8 = 0x05;
/// Longest lineage token accepted.
pub const MAX_LINEAGE_LEN: usize = 64;

/// Most document ids a `Hello` may list; keeps decoding bounded.
const MAX_HELLO_DOCS: usize = 32;

/// Pairing frames are tiny; anyone holding an open invite's address may send one, so the cap is
/// far below the sync frame limit.
pub const MAX_PAIR_FRAME: usize = 64 * 1024;

/// The documents a device holds; each is named on the wire by a stable one-byte id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DocName {
    /// Shared by both partners' devices.
    Couple,
    /// One partner's own journal: only ever goes to that partner's own devices.
    Private,
}

impl DocName {
    /// Every document, in wire order.
    pub const ALL: [DocName; 2] = [DocName::Couple, DocName::Private];

    /// Stable one-byte id used on the wire and in persisted sync states.
    pub fn wire_id(self) -> u8 {
        match self {
            DocName::Couple => 1,
            DocName::Private => 2,
        }
    }

    /// Inverse of [`DocName::wire_id`]; `None` for ids this version does not know.
    pub fn from_wire_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(DocName::Couple),
            2 => Some(DocName::Private),
            _ => None,
        }
    }
}

/// First frame in each direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Wire protocol version of the sender.
    pub version: u16,
    /// Sender's device (endpoint) id.
    pub device: [u8; 32],
    /// Documents the sender grants this peer (i.e. in the sender's scope for the receiver).
    pub docs: Vec<DocName>,
    /// The couple the sender belongs to, so two unrelated couples are never mixed.
    pub couple_id: Option<[u8; 16]>,
}

/// One decoded frame of the sync protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Handshake.
    Hello(Hello),
    /// An encoded `automerge::sync::Message` for one document.
    Sync {
        /// Which document the message belongs to.
        doc: DocName,
        /// `automerge::sync::Message::encode()` output; decoded only after the scope check.
        message: Vec<u8>,
    },
    /// Which lineage of a document the sender holds: an opaque token (empty for a document never
    /// rebuilt), compared as bytes, a greater one newer. Sent only to the sender's own devices,
    /// right after its hello and whenever its token changes; until both tokens match, no sync
    /// message for that document is sent or applied.
    Lineage {
        /// The document.
        doc: DocName,
        /// The embedder's token, at most [`MAX_LINEAGE_LEN`] bytes.
        token: Vec<u8>,
    },
    /// The sender's whole document (automerge `save()`), whose lineage is newer than the one the
    /// receiver announced: the receiver takes it in place of its own.
    Supersede {
        /// The document.
        doc: DocName,
        /// The saved document.
        document: Vec<u8>,
    },
}

/// Errors decoding bytes from the wire.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    /// The frame body is empty.
    #[error("empty frame")]
    Empty,
    /// The length prefix announces more than [`MAX_FRAME_LEN`].
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME_LEN} bytes")]
    TooLarge(usize),
    /// The frame ends before its fields do.
    #[error("frame is truncated")]
    Truncated,
    /// Bytes left over after the last field.
    #[error("frame has {0} trailing bytes")]
    Trailing(usize),
    /// Unknown frame tag.
    #[error("unknown frame type {0:#04x}")]
    UnknownTag(u8),
    /// Unknown document id in a sync frame.
    #[error("unknown document id {0}")]
    UnknownDoc(u8),
    /// A field holds a value outside its allowed range.
    #[error("malformed frame: {0}")]
    Malformed(&'static str),
    /// A deflated frame states, or inflates to, more than [`MAX_MESSAGE_LEN`] bytes.
    #[error("compressed frame inflates past the limit of {MAX_MESSAGE_LEN} bytes")]
    InflatesTooLarge,
    /// A deflated frame is not valid DEFLATE, or inflates to another length than it states.
    #[error("compressed frame does not inflate: {0}")]
    Inflate(&'static str),
}

/// Deflates `bytes` (raw DEFLATE, default level).
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// Inflates `data`, which must inflate to exactly `stated` bytes, `stated` at most `max`.
///
/// Memory is bounded by what actually arrives, never by what the peer states: the output grows
/// as the stream inflates (geometrically, capped at `stated`), and inflating stops at the first
/// byte past `stated`. So a small frame stating a few bytes but inflating to gigabytes costs at
/// most `stated` bytes and the time to inflate them.
pub fn inflate_bounded(data: &[u8], stated: usize, max: usize) -> Result<Vec<u8>, FrameError> {
    use std::io::Read;
    if stated > max {
        return Err(FrameError::InflatesTooLarge);
    }
    let mut d = flate2::bufread::DeflateDecoder::new(data);
    let mut out: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = d
            .read(&mut chunk)
            .map_err(|_| FrameError::Inflate("invalid deflate stream"))?;
        if n == 0 {
            break;
        }
        if out.len() + n > stated {
            return Err(if out.len() + n > max {
                FrameError::InflatesTooLarge
            } else {
                FrameError::Inflate("inflates past its stated length")
            });
        }
        if out.len() + n > out.capacity() {
            let want = (out.len() + n).max(out.capacity() * 2).min(stated);
            out.reserve_exact(want - out.len());
        }
        out.extend_from_slice(&chunk[..n]);
    }
    if out.len() != stated {
        return Err(FrameError::Inflate("inflates short of its stated length"));
    }
    if d.total_in() != data.len() as u64 {
        return Err(FrameError::Inflate("bytes after the deflate stream"));
    }
    Ok(out)
}

/// Prefixes `body` with its u32 big-endian length.
///
/// Panics never; a body over [`MAX_FRAME_LEN`] is a programming error caught by
/// [`check_len`] on the receiving side, so callers keep bodies under the limit.
pub fn length_prefixed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(LEN_PREFIX + body.len());
    // Bodies are bounded by MAX_FRAME_LEN (< u32::MAX), so the cast cannot truncate.
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Validates a length prefix read from the wire and returns the body length.
pub fn check_len(prefix: [u8; LEN_PREFIX]) -> Result<usize, FrameError> {
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_FRAME_LEN {
        return Err(FrameError::TooLarge(len));
    }
    Ok(len)
}

/// Splits length-prefixed frames out of a byte stream (sans-IO).
#[derive(Debug, Default)]
pub struct FrameBuffer {
    buf: Vec<u8>,
}

impl FrameBuffer {
    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Takes the next complete frame body, if one has fully arrived.
    pub fn next_body(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let Some(prefix) = self.buf.first_chunk::<LEN_PREFIX>() else {
            return Ok(None);
        };
        let len = check_len(*prefix)?;
        if self.buf.len() < LEN_PREFIX + len {
            return Ok(None);
        }
        let body = self.buf[LEN_PREFIX..LEN_PREFIX + len].to_vec();
        self.buf.drain(..LEN_PREFIX + len);
        Ok(Some(body))
    }
}

/// Minimal bounds-checked reader over a frame body.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.rest.len() < n {
            return Err(FrameError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, FrameError> {
        let b = self.array::<2>()?;
        Ok(u16::from_be_bytes(b))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FrameError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, FrameError> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], FrameError> {
        let s = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    /// A u32-length-prefixed byte string of at most `max` bytes.
    pub(crate) fn bytes(&mut self, max: usize) -> Result<&'a [u8], FrameError> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(FrameError::Malformed("byte string too long"));
        }
        self.take(len)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    pub(crate) fn finish(self) -> Result<(), FrameError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(FrameError::Trailing(self.rest.len()))
        }
    }
}

impl Frame {
    /// Encodes the frame body (without length prefix).
    pub fn encode_body(&self) -> Vec<u8> {
        match self {
            Frame::Hello(h) => {
                let mut out = vec![TAG_HELLO];
                out.extend_from_slice(&h.version.to_be_bytes());
                out.extend_from_slice(&h.device);
                // At most a handful of docs exist; the cap keeps the u8 count honest.
                let docs: Vec<u8> = h
                    .docs
                    .iter()
                    .take(MAX_HELLO_DOCS)
                    .map(|d| d.wire_id())
                    .collect();
                out.push(docs.len() as u8);
                out.extend_from_slice(&docs);
                match h.couple_id {
                    Some(id) => {
                        out.push(1);
                        out.extend_from_slice(&id);
                    }
                    None => out.push(0),
                }
                out
            }
            Frame::Sync { doc, message } => {
                // Deflated when that is shorter: a week of keystroke changes shrinks to about a
                // third, while the compressed columns of a whole document barely change.
                if message.len() >= DEFLATE_FROM && message.len() <= MAX_MESSAGE_LEN {
                    let packed = deflate(message);
                    if packed.len() + 4 < message.len() {
                        let mut out = Vec::with_capacity(6 + packed.len());
                        out.push(TAG_SYNC_DEFLATE);
                        out.push(doc.wire_id());
                        // At most MAX_MESSAGE_LEN (< u32::MAX): the cast cannot truncate.
                        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
                        out.extend_from_slice(&packed);
                        return out;
                    }
                }
                let mut out = Vec::with_capacity(2 + message.len());
                out.push(TAG_SYNC);
                out.push(doc.wire_id());
                out.extend_from_slice(message);
                out
            }
            Frame::Lineage { doc, token } => {
                let token = &token[..token.len().min(MAX_LINEAGE_LEN)];
                let mut out = vec![TAG_LINEAGE, doc.wire_id(), token.len() as u8];
                out.extend_from_slice(token);
                out
            }
            Frame::Supersede { doc, document } => {
                let mut out = Vec::with_capacity(2 + document.len());
                out.push(TAG_SUPERSEDE);
                out.push(doc.wire_id());
                out.extend_from_slice(document);
                out
            }
        }
    }

    /// Encodes the frame with its u32 BE length prefix, ready for the wire.
    pub fn encode(&self) -> Vec<u8> {
        length_prefixed(&self.encode_body())
    }

    /// Decodes a frame body (without length prefix). Never panics.
    pub fn decode_body(body: &[u8]) -> Result<Frame, FrameError> {
        if body.len() > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge(body.len()));
        }
        let mut r = Reader::new(body);
        let tag = r.u8().map_err(|_| FrameError::Empty)?;
        match tag {
            TAG_HELLO => {
                let version = r.u16()?;
                let device = r.array::<32>()?;
                let n = r.u8()? as usize;
                if n > MAX_HELLO_DOCS {
                    return Err(FrameError::Malformed("too many documents in hello"));
                }
                let mut docs = Vec::with_capacity(n);
                for &id in r.take(n)? {
                    // Ids from a newer version are skipped, not fatal: they are simply not granted.
                    if let Some(d) = DocName::from_wire_id(id)
                        && !docs.contains(&d)
                    {
                        docs.push(d);
                    }
                }
                let couple_id = match r.u8()? {
                    0 => None,
                    1 => Some(r.array::<16>()?),
                    _ => return Err(FrameError::Malformed("couple id flag")),
                };
                r.finish()?;
                Ok(Frame::Hello(Hello {
                    version,
                    device,
                    docs,
                    couple_id,
                }))
            }
            TAG_SYNC => {
                let id = r.u8()?;
                let doc = DocName::from_wire_id(id).ok_or(FrameError::UnknownDoc(id))?;
                let message = r.rest().to_vec();
                if message.is_empty() {
                    return Err(FrameError::Truncated);
                }
                Ok(Frame::Sync { doc, message })
            }
            TAG_SYNC_DEFLATE => {
                let id = r.u8()?;
                let doc = DocName::from_wire_id(id).ok_or(FrameError::UnknownDoc(id))?;
                let stated = r.u32()? as usize;
                if stated == 0 {
                    return Err(FrameError::Truncated);
                }
                let message = inflate_bounded(r.rest(), stated, MAX_MESSAGE_LEN)?;
                Ok(Frame::Sync { doc, message })
            }
            TAG_LINEAGE => {
                let id = r.u8()?;
                let doc = DocName::from_wire_id(id).ok_or(FrameError::UnknownDoc(id))?;
                let n = r.u8()? as usize;
                if n > MAX_LINEAGE_LEN {
                    return Err(FrameError::Malformed("lineage token too long"));
                }
                let token = r.take(n)?.to_vec();
                r.finish()?;
                Ok(Frame::Lineage { doc, token })
            }
            TAG_SUPERSEDE => {
                let id = r.u8()?;
                let doc = DocName::from_wire_id(id).ok_or(FrameError::UnknownDoc(id))?;
                let document = r.rest().to_vec();
                if document.is_empty() {
                    return Err(FrameError::Truncated);
                }
                Ok(Frame::Supersede { doc, document })
            }
            other => Err(FrameError::UnknownTag(other)),
        }
    }

    /// Decodes a length-prefixed frame that must fill `bytes` exactly. Never panics.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        let Some((prefix, body)) = bytes.split_first_chunk::<LEN_PREFIX>() else {
            return Err(FrameError::Truncated);
        };
        let len = check_len(*prefix)?;
        match body.len().cmp(&len) {
            std::cmp::Ordering::Less => Err(FrameError::Truncated),
            std::cmp::Ordering::Greater => Err(FrameError::Trailing(body.len() - len)),
            std::cmp::Ordering::Equal => Frame::decode_body(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use automerge::sync;

    use super::*;

    fn id(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn frames_round_trip_and_reject_bad_lengths() {
        let frames = [
            Frame::Hello(Hello {
                version: PROTOCOL_VERSION,
                device: id(7),
                docs: vec![DocName::Couple, DocName::Private],
                couple_id: Some([3; 16]),
            }),
            Frame::Sync {
                doc: DocName::Private,
                message: vec![1, 2, 3],
            },
        ];
        let mut buf = FrameBuffer::default();
        for f in &frames {
            assert_eq!(&Frame::decode(&f.encode()).unwrap(), f);
            // Deliver byte by byte to exercise partial reads.
            for b in f.encode() {
                buf.push(&[b]);
            }
        }
        assert_eq!(
            Frame::decode_body(&buf.next_body().unwrap().unwrap()).unwrap(),
            frames[0]
        );
        assert_eq!(
            Frame::decode_body(&buf.next_body().unwrap().unwrap()).unwrap(),
            frames[1]
        );
        assert_eq!(buf.next_body().unwrap(), None);
        let huge = ((MAX_FRAME_LEN + 1) as u32).to_be_bytes();
        assert!(matches!(check_len(huge), Err(FrameError::TooLarge(_))));
        let mut b = FrameBuffer::default();
        b.push(&huge);
        assert!(b.next_body().is_err());
        assert_eq!(Frame::decode(&[]), Err(FrameError::Truncated));
        assert_eq!(Frame::decode_body(&[]), Err(FrameError::Empty));
        assert_eq!(
            Frame::decode_body(&[0x77]),
            Err(FrameError::UnknownTag(0x77))
        );
        assert_eq!(
            Frame::decode_body(&[TAG_SYNC, 9, 1]),
            Err(FrameError::UnknownDoc(9))
        );
    }

    #[test]
    fn sync_frames_are_deflated_when_that_is_shorter() {
        let long = Frame::Sync {
            doc: DocName::Couple,
            message: b"we pause for twenty minutes ".repeat(100),
        };
        let body = long.encode_body();
        assert_eq!(body[0], TAG_SYNC_DEFLATE);
        assert!(body.len() < 200, "{}", body.len());
        assert_eq!(Frame::decode(&long.encode()), Ok(long.clone()));
        // Short or incompressible messages go out plain.
        let short = Frame::Sync {
            doc: DocName::Private,
            message: vec![1, 2, 3],
        };
        assert_eq!(short.encode_body()[0], TAG_SYNC);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                // xorshift: bytes deflate cannot shrink.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let noisy = Frame::Sync {
            doc: DocName::Couple,
            message: noise,
        };
        assert_eq!(noisy.encode_body()[0], TAG_SYNC);
        assert_eq!(Frame::decode(&noisy.encode()), Ok(noisy));
    }

    fn deflated_frame(stated: u32, packed: &[u8]) -> Vec<u8> {
        let mut body = vec![TAG_SYNC_DEFLATE, DocName::Couple.wire_id()];
        body.extend_from_slice(&stated.to_be_bytes());
        body.extend_from_slice(packed);
        body
    }

    /// A compressed bomb: 64 KiB of frame that inflates to 64 MiB. Stating a small length, it is
    /// refused at the first byte past that length (never more held than stated); stating more
    /// than the limit, it is refused before inflating anything.
    #[test]
    fn a_compressed_bomb_is_refused_within_its_stated_length() {
        let packed = deflate(&vec![0u8; 64 * 1024 * 1024]);
        assert!(packed.len() < 80 * 1024, "{}", packed.len());
        let started = std::time::Instant::now();
        assert_eq!(
            Frame::decode_body(&deflated_frame(1000, &packed)),
            Err(FrameError::Inflate("inflates past its stated length"))
        );
        // Stopped after about a kilobyte of output, not after inflating 64 MiB.
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        let over = (MAX_MESSAGE_LEN + 1) as u32;
        assert_eq!(
            Frame::decode_body(&deflated_frame(over, &packed)),
            Err(FrameError::InflatesTooLarge)
        );
        assert_eq!(
            inflate_bounded(&packed, 1 << 20, 2 << 20),
            Err(FrameError::Inflate("inflates past its stated length"))
        );
        // Stating the truth but past a smaller limit: refused as too large.
        assert_eq!(
            inflate_bounded(&packed, 64 * 1024 * 1024, 1 << 20),
            Err(FrameError::InflatesTooLarge)
        );
        // Short, garbage and trailing bytes.
        let small = deflate(b"hello hello hello hello");
        assert!(matches!(
            Frame::decode_body(&deflated_frame(100, &small)),
            Err(FrameError::Inflate(_))
        ));
        assert!(matches!(
            Frame::decode_body(&deflated_frame(10, &[0xff; 16])),
            Err(FrameError::Inflate(_))
        ));
        let mut trailing = small.clone();
        trailing.push(0);
        assert!(matches!(
            Frame::decode_body(&deflated_frame(23, &trailing)),
            Err(FrameError::Inflate(_))
        ));
        assert_eq!(
            Frame::decode_body(&deflated_frame(0, &small)),
            Err(FrameError::Truncated)
        );
        assert!(Frame::decode_body(&deflated_frame(23, &small)).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Frame::decode(&bytes);
            let _ = Frame::decode_body(&bytes);
            let mut b = FrameBuffer::default();
            b.push(&bytes);
            let _ = b.next_body();
            let _ = sync::State::decode(&bytes);
        }
    }
}
