//! Pairing codes, the spoken safety code, and the sans-IO pairing exchange.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use data_encoding::BASE32_NOPAD;

use crate::wire::{FrameError, Reader, length_prefixed};

/// Prefix of every pairing code; the digit is the code format version.
pub const CODE_PREFIX: &str = "kintsugi1-";

const CODE_VERSION: u8 = 1;
const CHECKSUM_LEN: usize = 4;
/// Most addresses a code carries; keeps the code (and its QR) short and decoding bounded.
pub const MAX_CODE_ADDRS: usize = 8;
const MAX_RELAY_URL: usize = 255;
/// Most bytes of opaque identity info either side may attach to the exchange.
pub const MAX_INFO_LEN: usize = 16 * 1024;

/// What the joining device will be to the inviter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairingKind {
    /// The other partner's device: both sides get scope `Partner`.
    PartnerDevice,
    /// Another device of the inviting partner: both sides get scope `OwnDevice`.
    OwnDevice,
}

impl PairingKind {
    fn wire(self) -> u8 {
        match self {
            PairingKind::PartnerDevice => 1,
            PairingKind::OwnDevice => 2,
        }
    }

    fn from_wire(b: u8) -> Option<Self> {
        match b {
            1 => Some(PairingKind::PartnerDevice),
            2 => Some(PairingKind::OwnDevice),
            _ => None,
        }
    }

    /// The sync scope both sides give each other after pairing with this kind.
    pub fn scope(self) -> crate::session::Scope {
        match self {
            PairingKind::PartnerDevice => crate::session::Scope::Partner,
            PairingKind::OwnDevice => crate::session::Scope::OwnDevice,
        }
    }
}

/// A way to reach the inviter, as carried in a code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PairingAddr {
    /// A direct UDP address.
    Ip(SocketAddr),
    /// A relay URL (only when the user switched a relay on).
    Relay(String),
}

/// Everything a joiner needs: who to dial, how, and the one-time secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingCode {
    /// Inviter's endpoint id.
    pub endpoint_id: [u8; 32],
    /// Where the inviter can be reached.
    pub addrs: Vec<PairingAddr>,
    /// One-time secret the joiner proves knowledge of.
    pub secret: [u8; 16],
    /// Unix seconds after which the invite is refused.
    pub expires_at: u64,
    /// What the joiner becomes.
    pub kind: PairingKind,
}

/// Why a pairing code could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodeError {
    /// Does not start with the expected prefix.
    #[error("this is not a Kintsugi pairing code")]
    NotACode,
    /// A later code format.
    #[error("this pairing code comes from a newer version of Kintsugi")]
    UnsupportedVersion,
    /// Characters outside the alphabet, wrong length or checksum mismatch.
    #[error("this pairing code is mistyped")]
    Mistyped,
}

impl CodeError {
    /// What the person can do about it.
    pub fn failure(&self) -> PairingFailure {
        match self {
            CodeError::NotACode => PairingFailure::NotAPairingCode,
            CodeError::UnsupportedVersion => PairingFailure::IncompatibleVersion,
            CodeError::Mistyped => PairingFailure::MistypedCode,
        }
    }
}

/// Why pairing did not work, in terms the person can act on. Errors carry one so a front end
/// chooses its words by matching on it: their text names protocol details and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairingFailure {
    /// A typing mistake: characters, length or checksum do not fit.
    MistypedCode,
    /// The text is not a pairing code at all.
    NotAPairingCode,
    /// The code's time ran out.
    Expired,
    /// The other device no longer offers pairing: its code was used, cancelled or has expired.
    NoInviteOpen,
    /// The other device could not be reached, or did not answer in time.
    Unreachable,
    /// The two devices run versions of Kintsugi that cannot pair with each other.
    IncompatibleVersion,
    /// Anything else; the error's message says what.
    Other,
}

const TAG_ADDR_V4: u8 = 4;
const TAG_ADDR_V6: u8 = 6;
const TAG_ADDR_RELAY: u8 = b'r';

fn checksum(payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    let h = blake3::hash(payload);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&h.as_bytes()[..CHECKSUM_LEN]);
    out
}

impl PairingCode {
    /// Creates a code with a fresh random secret.
    pub fn new(
        endpoint_id: [u8; 32],
        addrs: Vec<PairingAddr>,
        expires_at: u64,
        kind: PairingKind,
    ) -> Self {
        Self {
            endpoint_id,
            addrs,
            secret: rand::random(),
            expires_at,
            kind,
        }
    }

    /// Text form: `kintsugi1-` + lowercase base32 of the fields and a 4-byte checksum.
    pub fn to_text(&self) -> String {
        let mut p = vec![CODE_VERSION, self.kind.wire()];
        p.extend_from_slice(&self.endpoint_id);
        p.extend_from_slice(&self.secret);
        p.extend_from_slice(&self.expires_at.to_be_bytes());
        write_addrs(&mut p, &self.addrs);
        let sum = checksum(&p);
        p.extend_from_slice(&sum);
        format!(
            "{CODE_PREFIX}{}",
            BASE32_NOPAD.encode(&p).to_ascii_lowercase()
        )
    }

    /// Parses the text form; tolerant of case and surrounding/inner whitespace. Never panics.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        let Some(body) = cleaned.strip_prefix(CODE_PREFIX) else {
            if cleaned.starts_with("kintsugi") {
                return Err(CodeError::UnsupportedVersion);
            }
            return Err(CodeError::NotACode);
        };
        let bytes = BASE32_NOPAD
            .decode(body.to_ascii_uppercase().as_bytes())
            .map_err(|_| CodeError::Mistyped)?;
        let Some((payload, sum)) = bytes.split_last_chunk::<CHECKSUM_LEN>() else {
            return Err(CodeError::Mistyped);
        };
        if checksum(payload) != *sum {
            return Err(CodeError::Mistyped);
        }
        Self::decode_payload(payload).map_err(|e| match e {
            CodeError::UnsupportedVersion => CodeError::UnsupportedVersion,
            _ => CodeError::Mistyped,
        })
    }

    fn decode_payload(payload: &[u8]) -> Result<Self, CodeError> {
        let bad = |_: FrameError| CodeError::Mistyped;
        let mut r = Reader::new(payload);
        if r.u8().map_err(bad)? != CODE_VERSION {
            return Err(CodeError::UnsupportedVersion);
        }
        let kind = PairingKind::from_wire(r.u8().map_err(bad)?).ok_or(CodeError::Mistyped)?;
        let endpoint_id = r.array::<32>().map_err(bad)?;
        let secret = r.array::<16>().map_err(bad)?;
        let expires_at = r.u64().map_err(bad)?;
        let addrs = read_addrs(&mut r).map_err(bad)?;
        r.finish().map_err(bad)?;
        Ok(Self {
            endpoint_id,
            addrs,
            secret,
            expires_at,
            kind,
        })
    }

    /// Whether the code has expired at `now_unix` seconds.
    pub fn is_expired(&self, now_unix: u64) -> bool {
        now_unix >= self.expires_at
    }
}

/// Short code both humans compare aloud: 6 digits as "123 456", the same on both devices
/// whatever the order of the ids.
pub fn safety_code(a: &[u8; 32], b: &[u8; 32]) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    let mut h = blake3::Hasher::new_derive_key("kintsugi safety code v1");
    h.update(lo);
    h.update(hi);
    let out = h.finalize();
    let n = u32::from_be_bytes([
        out.as_bytes()[0],
        out.as_bytes()[1],
        out.as_bytes()[2],
        out.as_bytes()[3],
    ]) % 1_000_000;
    format!("{:03} {:03}", n / 1000, n % 1000)
}

/// Proof that the joiner knows the secret, bound to both endpoint ids so a proof seen by one
/// inviter cannot be replayed to another or on behalf of another joiner.
fn proof(secret: &[u8; 16], inviter: &[u8; 32], joiner: &[u8; 32]) -> [u8; 32] {
    let key = blake3::derive_key("kintsugi pairing proof v1", secret);
    let mut h = blake3::Hasher::new_keyed(&key);
    h.update(inviter);
    h.update(joiner);
    *h.finalize().as_bytes()
}

const TAG_JOIN: u8 = 0x10;
const TAG_ACCEPT: u8 = 0x11;
const TAG_REFUSE: u8 = 0x12;

/// Why an inviter refused a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefuseReason {
    /// No invite is open (closed, already used, or never opened).
    #[error("no pairing invite is open on the other device")]
    NoInvite,
    /// The invite has expired.
    #[error("the pairing code has expired")]
    Expired,
    /// The proof does not match the secret.
    #[error("the pairing code does not match")]
    WrongSecret,
    /// Protocol version mismatch.
    #[error("the other device runs an incompatible version")]
    Version,
}

impl RefuseReason {
    /// What the person can do about it.
    pub fn failure(self) -> PairingFailure {
        match self {
            RefuseReason::NoInvite => PairingFailure::NoInviteOpen,
            RefuseReason::Expired => PairingFailure::Expired,
            // The code checked out but its secret is not the open invite's: an older code
            // from that device. Nothing more specific helps the person.
            RefuseReason::WrongSecret => PairingFailure::Other,
            RefuseReason::Version => PairingFailure::IncompatibleVersion,
        }
    }

    fn wire(self) -> u8 {
        match self {
            RefuseReason::NoInvite => 1,
            RefuseReason::Expired => 2,
            RefuseReason::WrongSecret => 3,
            RefuseReason::Version => 4,
        }
    }

    fn from_wire(b: u8) -> Option<Self> {
        Some(match b {
            1 => RefuseReason::NoInvite,
            2 => RefuseReason::Expired,
            3 => RefuseReason::WrongSecret,
            4 => RefuseReason::Version,
            _ => return None,
        })
    }
}

/// Frames of the pairing exchange (ALPN `kintsugi/pair/1`), length-prefixed like sync frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairFrame {
    /// Joiner → inviter.
    Join {
        /// Pairing protocol version.
        version: u8,
        /// keyed hash of both ids under the secret.
        proof: [u8; 32],
        /// Joiner's addresses so the inviter can dial back later.
        addrs: Vec<PairingAddr>,
        /// Opaque bytes from the joiner's app (e.g. device name).
        info: Vec<u8>,
    },
    /// Inviter → joiner: paired.
    Accept {
        /// What the joiner now is.
        kind: PairingKind,
        /// Opaque bytes from the inviter's app (for OwnDevice: which partner identity).
        info: Vec<u8>,
    },
    /// Inviter → joiner: refused.
    Refuse(RefuseReason),
}

const PAIR_VERSION: u8 = 1;

fn write_addrs(p: &mut Vec<u8>, addrs: &[PairingAddr]) {
    let addrs: Vec<&PairingAddr> = addrs
        .iter()
        .filter(|a| match a {
            PairingAddr::Relay(u) => u.len() <= MAX_RELAY_URL,
            PairingAddr::Ip(_) => true,
        })
        .take(MAX_CODE_ADDRS)
        .collect();
    // Both caps above keep these casts exact.
    p.push(addrs.len() as u8);
    for a in addrs {
        match a {
            PairingAddr::Ip(SocketAddr::V4(v4)) => {
                p.push(TAG_ADDR_V4);
                p.extend_from_slice(&v4.ip().octets());
                p.extend_from_slice(&v4.port().to_be_bytes());
            }
            PairingAddr::Ip(SocketAddr::V6(v6)) => {
                p.push(TAG_ADDR_V6);
                p.extend_from_slice(&v6.ip().octets());
                p.extend_from_slice(&v6.port().to_be_bytes());
            }
            PairingAddr::Relay(url) => {
                p.push(TAG_ADDR_RELAY);
                p.push(url.len() as u8);
                p.extend_from_slice(url.as_bytes());
            }
        }
    }
}

fn read_addrs(r: &mut Reader<'_>) -> Result<Vec<PairingAddr>, FrameError> {
    let n = r.u8()? as usize;
    if n > MAX_CODE_ADDRS {
        return Err(FrameError::Malformed("too many addresses"));
    }
    let mut addrs = Vec::with_capacity(n);
    for _ in 0..n {
        let addr = match r.u8()? {
            TAG_ADDR_V4 => {
                let ip = Ipv4Addr::from(r.array::<4>()?);
                let port = r.u16()?;
                PairingAddr::Ip(SocketAddr::new(IpAddr::V4(ip), port))
            }
            TAG_ADDR_V6 => {
                let ip = Ipv6Addr::from(r.array::<16>()?);
                let port = r.u16()?;
                PairingAddr::Ip(SocketAddr::new(IpAddr::V6(ip), port))
            }
            TAG_ADDR_RELAY => {
                let len = r.u8()? as usize;
                let url = std::str::from_utf8(r.take(len)?)
                    .map_err(|_| FrameError::Malformed("relay url"))?;
                PairingAddr::Relay(url.to_owned())
            }
            _ => return Err(FrameError::Malformed("address tag")),
        };
        addrs.push(addr);
    }
    Ok(addrs)
}

impl PairFrame {
    /// Encodes with the u32 BE length prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::new();
        match self {
            PairFrame::Join {
                version,
                proof,
                addrs,
                info,
            } => {
                b.push(TAG_JOIN);
                b.push(*version);
                b.extend_from_slice(proof);
                write_addrs(&mut b, addrs);
                let info = &info[..info.len().min(MAX_INFO_LEN)];
                b.extend_from_slice(&(info.len() as u32).to_be_bytes());
                b.extend_from_slice(info);
            }
            PairFrame::Accept { kind, info } => {
                b.push(TAG_ACCEPT);
                b.push(kind.wire());
                let info = &info[..info.len().min(MAX_INFO_LEN)];
                b.extend_from_slice(&(info.len() as u32).to_be_bytes());
                b.extend_from_slice(info);
            }
            PairFrame::Refuse(r) => {
                b.push(TAG_REFUSE);
                b.push(r.wire());
            }
        }
        length_prefixed(&b)
    }

    /// Decodes a frame body (without the length prefix). Never panics.
    pub fn decode_body(body: &[u8]) -> Result<Self, FrameError> {
        let mut r = Reader::new(body);
        let tag = r.u8().map_err(|_| FrameError::Empty)?;
        let f = match tag {
            TAG_JOIN => {
                let version = r.u8()?;
                let proof = r.array::<32>()?;
                let addrs = read_addrs(&mut r)?;
                let info = r.bytes(MAX_INFO_LEN)?.to_vec();
                PairFrame::Join {
                    version,
                    proof,
                    addrs,
                    info,
                }
            }
            TAG_ACCEPT => {
                let kind =
                    PairingKind::from_wire(r.u8()?).ok_or(FrameError::Malformed("pairing kind"))?;
                let info = r.bytes(MAX_INFO_LEN)?.to_vec();
                PairFrame::Accept { kind, info }
            }
            TAG_REFUSE => PairFrame::Refuse(
                RefuseReason::from_wire(r.u8()?).ok_or(FrameError::Malformed("refuse reason"))?,
            ),
            other => return Err(FrameError::UnknownTag(other)),
        };
        r.finish()?;
        Ok(f)
    }
}

/// Errors of the pairing exchange.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PairingError {
    /// The inviter refused.
    #[error("pairing refused: {0}")]
    Refused(RefuseReason),
    /// The code expired before we even tried.
    #[error("the pairing code has expired")]
    Expired,
    /// The other side sent something unexpected.
    #[error("pairing protocol error: {0}")]
    Protocol(String),
    /// The other side accepted with a different kind than the code said.
    #[error("the other device offered a different kind of pairing than the code")]
    KindMismatch,
}

impl PairingError {
    /// What the person can do about it.
    pub fn failure(&self) -> PairingFailure {
        match self {
            PairingError::Refused(r) => r.failure(),
            PairingError::Expired => PairingFailure::Expired,
            PairingError::Protocol(_) | PairingError::KindMismatch => PairingFailure::Other,
        }
    }
}

/// A successful pairing, as either side sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paired {
    /// The other device's endpoint id.
    pub peer: [u8; 32],
    /// What the pairing was for (gives the sync scope).
    pub kind: PairingKind,
    /// The other device's addresses as it reported them.
    pub addrs: Vec<PairingAddr>,
    /// Opaque info the other side attached.
    pub info: Vec<u8>,
    /// Digits for both humans to compare.
    pub safety_code: String,
}

/// Inviter state: one open, one-time invite.
#[derive(Debug, Clone)]
pub struct Invite {
    code: PairingCode,
    info: Vec<u8>,
    used: bool,
}

impl Invite {
    /// Opens an invite for `local_id` reachable at `addrs`, valid until `expires_at` (unix s).
    /// `info` is sent to the joiner on success (for `OwnDevice`: which partner it belongs to).
    pub fn open(
        local_id: [u8; 32],
        addrs: Vec<PairingAddr>,
        kind: PairingKind,
        expires_at: u64,
        info: Vec<u8>,
    ) -> Self {
        Self {
            code: PairingCode::new(local_id, addrs, expires_at, kind),
            info,
            used: false,
        }
    }

    /// The code to show (as text or QR).
    pub fn code(&self) -> &PairingCode {
        &self.code
    }

    /// Whether the invite can still be used at `now_unix`.
    pub fn is_open(&self, now_unix: u64) -> bool {
        !self.used && !self.code.is_expired(now_unix)
    }

    /// Handles a join frame from `joiner` (the id it authenticated as). Returns the reply to
    /// send and, on success, the pairing. The invite is consumed by the first valid join.
    pub fn handle(
        &mut self,
        joiner: [u8; 32],
        frame: PairFrame,
        now_unix: u64,
    ) -> (PairFrame, Option<Paired>) {
        let PairFrame::Join {
            version,
            proof: got,
            addrs,
            info,
        } = frame
        else {
            return (PairFrame::Refuse(RefuseReason::Version), None);
        };
        let refuse = |r| (PairFrame::Refuse(r), None);
        if version != PAIR_VERSION {
            return refuse(RefuseReason::Version);
        }
        if self.used {
            return refuse(RefuseReason::NoInvite);
        }
        if self.code.is_expired(now_unix) {
            return refuse(RefuseReason::Expired);
        }
        let expected = proof(&self.code.secret, &self.code.endpoint_id, &joiner);
        // blake3::Hash equality is constant-time: no timing oracle on the secret.
        if blake3::Hash::from_bytes(expected) != blake3::Hash::from_bytes(got) {
            return refuse(RefuseReason::WrongSecret);
        }
        self.used = true;
        let paired = Paired {
            peer: joiner,
            kind: self.code.kind,
            addrs,
            info,
            safety_code: safety_code(&self.code.endpoint_id, &joiner),
        };
        (
            PairFrame::Accept {
                kind: self.code.kind,
                info: self.info.clone(),
            },
            Some(paired),
        )
    }
}

/// Joiner state for one attempt with a parsed code.
#[derive(Debug, Clone)]
pub struct Join {
    code: PairingCode,
    local_id: [u8; 32],
}

impl Join {
    /// Starts a join as `local_id`; fails early if the code is already expired.
    pub fn new(code: PairingCode, local_id: [u8; 32], now_unix: u64) -> Result<Self, PairingError> {
        if code.is_expired(now_unix) {
            return Err(PairingError::Expired);
        }
        Ok(Self { code, local_id })
    }

    /// The code being used.
    pub fn code(&self) -> &PairingCode {
        &self.code
    }

    /// The first (and only) frame the joiner sends.
    pub fn request(&self, addrs: Vec<PairingAddr>, info: Vec<u8>) -> PairFrame {
        PairFrame::Join {
            version: PAIR_VERSION,
            proof: proof(&self.code.secret, &self.code.endpoint_id, &self.local_id),
            addrs,
            info,
        }
    }

    /// Handles the inviter's reply.
    pub fn handle(&self, reply: PairFrame) -> Result<Paired, PairingError> {
        match reply {
            PairFrame::Accept { kind, info } => {
                if kind != self.code.kind {
                    return Err(PairingError::KindMismatch);
                }
                Ok(Paired {
                    peer: self.code.endpoint_id,
                    kind,
                    addrs: self.code.addrs.clone(),
                    info,
                    safety_code: safety_code(&self.code.endpoint_id, &self.local_id),
                })
            }
            PairFrame::Refuse(r) => Err(PairingError::Refused(r)),
            PairFrame::Join { .. } => Err(PairingError::Protocol("unexpected join frame".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITER: [u8; 32] = [1; 32];
    const JOINER: [u8; 32] = [2; 32];
    const NOW: u64 = 1_800_000_000;

    fn sample_code() -> PairingCode {
        PairingCode {
            endpoint_id: INVITER,
            addrs: vec![
                PairingAddr::Ip("127.0.0.1:4433".parse().unwrap()),
                PairingAddr::Ip("[fe80::1]:9".parse().unwrap()),
                PairingAddr::Relay("https://relay.example/".into()),
            ],
            secret: [7; 16],
            expires_at: NOW + 600,
            kind: PairingKind::OwnDevice,
        }
    }

    #[test]
    fn code_round_trips_and_tolerates_case_and_spaces() {
        let code = sample_code();
        let text = code.to_text();
        assert!(text.starts_with(CODE_PREFIX));
        assert_eq!(PairingCode::parse(&text).unwrap(), code);
        let shouty = format!("  {} \n", text.to_uppercase());
        assert_eq!(PairingCode::parse(&shouty).unwrap(), code);
        let spaced: String = text
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                if i > 10 && i % 5 == 0 {
                    vec![' ', c]
                } else {
                    vec![c]
                }
            })
            .collect();
        assert_eq!(PairingCode::parse(&spaced).unwrap(), code);
    }

    #[test]
    fn mistyped_codes_are_reported_as_such() {
        let text = sample_code().to_text();
        let prefix_len = CODE_PREFIX.len();
        // Change every single character of the body in turn: always "mistyped", never Ok.
        for i in prefix_len..text.len() {
            let mut chars: Vec<char> = text.chars().collect();
            chars[i] = if chars[i] == 'a' { 'b' } else { 'a' };
            let typo: String = chars.into_iter().collect();
            assert_eq!(
                PairingCode::parse(&typo),
                Err(CodeError::Mistyped),
                "at {i}"
            );
        }
        assert_eq!(
            PairingCode::parse(&text[..text.len() - 3]),
            Err(CodeError::Mistyped)
        );
        assert_eq!(
            PairingCode::parse(&format!("{text}a")),
            Err(CodeError::Mistyped)
        );
        assert_eq!(PairingCode::parse("hello world"), Err(CodeError::NotACode));
        assert_eq!(
            PairingCode::parse("kintsugi9-abc"),
            Err(CodeError::UnsupportedVersion)
        );
        assert_eq!(
            PairingCode::parse("kintsugi1-0189!"),
            Err(CodeError::Mistyped)
        );
        assert_eq!(
            CodeError::Mistyped.to_string(),
            "this pairing code is mistyped"
        );
    }

    #[test]
    fn failures_name_what_the_person_can_do() {
        assert_eq!(CodeError::Mistyped.failure(), PairingFailure::MistypedCode);
        assert_eq!(
            CodeError::NotACode.failure(),
            PairingFailure::NotAPairingCode
        );
        assert_eq!(
            CodeError::UnsupportedVersion.failure(),
            PairingFailure::IncompatibleVersion
        );
        assert_eq!(PairingError::Expired.failure(), PairingFailure::Expired);
        assert_eq!(
            PairingError::Refused(RefuseReason::NoInvite).failure(),
            PairingFailure::NoInviteOpen
        );
        assert_eq!(
            PairingError::Refused(RefuseReason::Version).failure(),
            PairingFailure::IncompatibleVersion
        );
        assert_eq!(PairingError::KindMismatch.failure(), PairingFailure::Other);
    }

    #[test]
    fn safety_code_is_order_independent_and_short() {
        let a = safety_code(&INVITER, &JOINER);
        assert_eq!(a, safety_code(&JOINER, &INVITER));
        assert_eq!(a.len(), 7);
        assert!(a.chars().all(|c| c.is_ascii_digit() || c == ' '));
        assert_ne!(a, safety_code(&INVITER, &[3; 32]));
    }

    fn exchange(
        invite: &mut Invite,
        join: &Join,
        joiner: [u8; 32],
        now: u64,
    ) -> (Option<Paired>, Result<Paired, PairingError>) {
        let req = join.request(
            vec![PairingAddr::Ip("127.0.0.1:5000".parse().unwrap())],
            b"joiner laptop".to_vec(),
        );
        // Through the wire encoding, as over QUIC.
        let req = PairFrame::decode_body(&req.encode()[4..]).unwrap();
        let (reply, inviter_side) = invite.handle(joiner, req, now);
        let reply = PairFrame::decode_body(&reply.encode()[4..]).unwrap();
        (inviter_side, join.handle(reply))
    }

    #[test]
    fn pairing_exchange_succeeds_once_and_both_sides_agree() {
        let mut invite = Invite::open(
            INVITER,
            vec![],
            PairingKind::OwnDevice,
            NOW + 600,
            b"partner=alex".to_vec(),
        );
        let code = PairingCode::parse(&invite.code().to_text()).unwrap();
        let join = Join::new(code.clone(), JOINER, NOW).unwrap();
        let (inviter_side, joiner_side) = exchange(&mut invite, &join, JOINER, NOW);
        let inviter_side = inviter_side.expect("inviter paired");
        let joiner_side = joiner_side.expect("joiner paired");
        assert_eq!(inviter_side.peer, JOINER);
        assert_eq!(joiner_side.peer, INVITER);
        assert_eq!(inviter_side.kind, PairingKind::OwnDevice);
        assert_eq!(joiner_side.info, b"partner=alex");
        assert_eq!(inviter_side.info, b"joiner laptop");
        assert_eq!(inviter_side.safety_code, joiner_side.safety_code);
        assert_eq!(joiner_side.kind.scope(), crate::session::Scope::OwnDevice);
        // One-time: a second join (even a correct one) is refused.
        assert!(!invite.is_open(NOW));
        let (p, r) = exchange(&mut invite, &join, JOINER, NOW);
        assert!(p.is_none());
        assert_eq!(r, Err(PairingError::Refused(RefuseReason::NoInvite)));
    }

    #[test]
    fn wrong_secret_expired_and_replayed_proofs_are_refused() {
        let mut invite = Invite::open(
            INVITER,
            vec![],
            PairingKind::PartnerDevice,
            NOW + 60,
            vec![],
        );
        let mut wrong = invite.code().clone();
        wrong.secret[0] ^= 1;
        let join = Join::new(wrong, JOINER, NOW).unwrap();
        let (p, r) = exchange(&mut invite, &join, JOINER, NOW);
        assert!(p.is_none());
        assert_eq!(r, Err(PairingError::Refused(RefuseReason::WrongSecret)));

        // A proof made by one joiner does not work for another endpoint.
        let good = Join::new(invite.code().clone(), JOINER, NOW).unwrap();
        let (p, r) = exchange(&mut invite, &good, [9; 32], NOW);
        assert!(p.is_none());
        assert_eq!(r, Err(PairingError::Refused(RefuseReason::WrongSecret)));

        // Expired: refused by the inviter, and the joiner refuses to try.
        let (p, r) = exchange(&mut invite, &good, JOINER, NOW + 61);
        assert!(p.is_none());
        assert_eq!(r, Err(PairingError::Refused(RefuseReason::Expired)));
        assert_eq!(
            Join::new(invite.code().clone(), JOINER, NOW + 61).unwrap_err(),
            PairingError::Expired
        );
        // Failed attempts do not burn the invite.
        assert!(invite.is_open(NOW));
        let (p, r) = exchange(&mut invite, &good, JOINER, NOW);
        assert!(p.is_some() && r.is_ok());
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = PairingCode::parse(&s);
            let _ = PairingCode::parse(&format!("{CODE_PREFIX}{s}"));
        }

        #[test]
        fn decoding_arbitrary_pair_frames_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = PairFrame::decode_body(&bytes);
            let _ = PairingCode::decode_payload(&bytes);
        }

        #[test]
        fn any_valid_payload_with_good_checksum_round_trips(
            id in proptest::array::uniform32(proptest::num::u8::ANY),
            secret in proptest::array::uniform16(proptest::num::u8::ANY),
            exp in proptest::num::u64::ANY,
            port in proptest::num::u16::ANY,
        ) {
            let code = PairingCode {
                endpoint_id: id,
                addrs: vec![PairingAddr::Ip(SocketAddr::from(([10, 0, 0, 1], port)))],
                secret,
                expires_at: exp,
                kind: PairingKind::PartnerDevice,
            };
            proptest::prop_assert_eq!(PairingCode::parse(&code.to_text()).unwrap(), code);
        }
    }
}
