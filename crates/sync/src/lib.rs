//! Peer-to-peer sync for Kintsugi: sans-IO sessions and pairing, plus the iroh transport.

mod chunks;
pub mod pairing;
pub mod session;
pub mod signing;
pub mod transport;
pub mod wire;

pub use pairing::{Paired, PairingAddr, PairingCode, PairingFailure, PairingKind, safety_code};
pub use session::{DocAccess, DocName, Frame, Scope, Session, SessionError, SessionEvent};
