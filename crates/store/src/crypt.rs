//! Encryption at rest (LAYOUT.md, "Encryption"): every value sealed with XChaCha20-Poly1305 under a
//! random data key; the data key wrapped under a key derived from the passphrase with Argon2id.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload, rand_core::RngCore};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// First byte of every sealed value: the format of what follows (nonce, ciphertext, tag).
pub(crate) const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Length of the random salt fed to Argon2id.
pub(crate) const SALT_LEN: usize = 16;
/// Length of the data key and of the key derived from the passphrase.
pub(crate) const KEY_LEN: usize = 32;
/// Largest Argon2 memory cost accepted from a file (KiB): a tampered `kdf` row must not make the
/// unlock allocate without bound.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 64;
const MAX_P: u32 = 16;

/// A 32-byte key, wiped from memory when dropped.
pub(crate) type Key = Zeroizing<[u8; KEY_LEN]>;

/// Argon2id cost parameters. They are stored with the salt in the `crypt` table, so a later
/// version can choose others: an unlock always uses the ones the file records.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes (computed one after another: the crate is built without threads).
    pub p: u32,
}

impl KdfParams {
    /// What a passphrase is set with: RFC 9106's second recommended option (64 MiB, t = 3,
    /// p = 4), measured in LAYOUT.md to unlock in well under a second on the project's machines.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// Cheap parameters for tests only: they make a passphrase easy to guess.
    #[doc(hidden)]
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    /// The text stored in `crypt["kdf"]`, e.g. `argon2id v=19 m=65536 t=3 p=1`.
    pub(crate) fn encode(self) -> String {
        format!("argon2id v=19 m={} t={} p={}", self.m_kib, self.t, self.p)
    }

    /// Parses `crypt["kdf"]`; None when it is not something this version wrote or would accept.
    pub(crate) fn decode(text: &[u8]) -> Option<KdfParams> {
        let text = std::str::from_utf8(text).ok()?;
        let mut parts = text.split(' ');
        if parts.next()? != "argon2id" || parts.next()? != "v=19" {
            return None;
        }
        let mut num =
            |prefix: &str| -> Option<u32> { parts.next()?.strip_prefix(prefix)?.parse().ok() };
        let params = KdfParams {
            m_kib: num("m=")?,
            t: num("t=")?,
            p: num("p=")?,
        };
        if parts.next().is_some()
            || params.m_kib > MAX_M_KIB
            || params.t > MAX_T
            || params.p > MAX_P
            || params.p == 0
        {
            return None;
        }
        Some(params)
    }
}

/// Derives the key-encryption key from the passphrase. None if argon2 refuses the parameters.
pub(crate) fn derive(passphrase: &SecretString, salt: &[u8], params: KdfParams) -> Option<Key> {
    let params = Params::new(params.m_kib, params.t, params.p, Some(KEY_LEN)).ok()?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(passphrase.expose_secret().as_bytes(), salt, out.as_mut())
        .ok()?;
    Some(out)
}

/// A fresh random data key.
pub(crate) fn random_key() -> Key {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    OsRng.fill_bytes(key.as_mut());
    key
}

/// A fresh random salt.
pub(crate) fn random_salt() -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    OsRng.fill_bytes(&mut salt);
    salt
}

/// Associated data of the wrapped data key: binds it to the parameters and salt it was made with.
fn wrap_aad(kdf: &str, salt: &[u8]) -> Vec<u8> {
    let mut aad = b"kintsugi-store/data_key\0".to_vec();
    aad.extend_from_slice(kdf.as_bytes());
    aad.push(0);
    aad.extend_from_slice(salt);
    aad
}

/// Wraps the data key under the key derived from the passphrase.
pub(crate) fn wrap(kek: &Key, data_key: &Key, kdf: &str, salt: &[u8]) -> Option<Vec<u8>> {
    seal_raw(kek, &wrap_aad(kdf, salt), data_key.as_ref())
}

/// Unwraps the data key; None for a wrong passphrase (or a tampered `crypt` row: the two cannot
/// be told apart, by design of the AEAD).
pub(crate) fn unwrap(kek: &Key, wrapped: &[u8], kdf: &str, salt: &[u8]) -> Option<Key> {
    let plain = Zeroizing::new(open_raw(kek, &wrap_aad(kdf, salt), wrapped)?);
    let key: [u8; KEY_LEN] = plain.as_slice().try_into().ok()?;
    Some(Zeroizing::new(key))
}

/// Associated data of a stored value: its table and its key, so that a value moved to another key
/// or table fails to decrypt.
pub(crate) fn value_aad(table: &str, key: &[u8]) -> Vec<u8> {
    let mut aad = b"kintsugi-store/value\0".to_vec();
    aad.extend_from_slice(table.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key);
    aad
}

/// `SEALED_V1 || nonce || ciphertext+tag`. None only if the AEAD refuses (inputs over 256 GiB).
pub(crate) fn seal_raw(key: &Key, aad: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher.encrypt(&nonce, Payload { msg: plain, aad }).ok()?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(SEALED_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Some(out)
}

/// Opens what `seal_raw` made; None if anything (format byte, nonce, ciphertext, tag, the AAD)
/// differs. Never panics, whatever the bytes.
pub(crate) fn open_raw(key: &Key, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let (&format, rest) = sealed.split_first()?;
    if format != SEALED_V1 || rest.len() < NONCE_LEN + TAG_LEN {
        return None;
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

/// Fuzz body of the `store_decrypt` target (not an API): arbitrary bytes as a `kdf` text, as a
/// sealed value under a fixed key and as a wrapped data key must never panic, never open, and
/// what this module seals must open again, and stop opening after any one-byte flip.
#[doc(hidden)]
pub fn fuzz_decrypt(data: &[u8]) {
    if let Some(params) = KdfParams::decode(data) {
        assert_eq!(KdfParams::decode(params.encode().as_bytes()), Some(params));
    }
    let key = Zeroizing::new([7u8; KEY_LEN]);
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (store_key, value) = data.split_at(split);
    let aad = value_aad("chunks", store_key);
    // Arbitrary bytes are (with overwhelming probability) not a valid seal under this key.
    assert!(
        open_raw(&key, &aad, value).is_none(),
        "forged a sealed value"
    );
    assert!(unwrap(&key, value, "argon2id v=19 m=64 t=1 p=1", store_key).is_none());
    let sealed = seal_raw(&key, &aad, value).expect("seal");
    assert_eq!(open_raw(&key, &aad, &sealed).as_deref(), Some(value));
    let mut flipped = sealed.clone();
    let at = usize::from(data.last().copied().unwrap_or(0)) % flipped.len();
    flipped[at] ^= 1 << (data.len() % 8);
    assert!(
        open_raw(&key, &aad, &flipped).is_none(),
        "a flipped byte opened"
    );
    let mut other_aad = aad.clone();
    other_aad.push(0);
    assert!(
        open_raw(&key, &other_aad, &sealed).is_none(),
        "a moved value opened"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_text_round_trips_and_refuses_what_it_does_not_know() {
        for p in [KdfParams::DEFAULT, KdfParams::INSECURE_FOR_TESTS] {
            assert_eq!(KdfParams::decode(p.encode().as_bytes()), Some(p));
        }
        for bad in [
            "",
            "argon2i v=19 m=64 t=1 p=1",
            "argon2id v=16 m=64 t=1 p=1",
            "argon2id v=19 m=64 t=1",
            "argon2id v=19 m=64 t=1 p=1 x=2",
            "argon2id v=19 m=99999999 t=1 p=1",
            "argon2id v=19 m=64 t=1 p=0",
        ] {
            assert_eq!(KdfParams::decode(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_aad() {
        let key = random_key();
        let sealed = seal_raw(&key, b"a", b"hello").unwrap();
        assert_eq!(open_raw(&key, b"a", &sealed).unwrap(), b"hello");
        assert_eq!(open_raw(&key, b"b", &sealed), None);
        assert_eq!(open_raw(&random_key(), b"a", &sealed), None);
        for i in 0..sealed.len() {
            let mut flipped = sealed.clone();
            flipped[i] ^= 0x01;
            assert_eq!(open_raw(&key, b"a", &flipped), None, "byte {i}");
        }
        for len in 0..sealed.len() {
            assert_eq!(open_raw(&key, b"a", &sealed[..len]), None);
        }
    }

    #[test]
    fn the_data_key_unwraps_only_with_the_right_passphrase() {
        let salt = random_salt();
        let kdf = KdfParams::INSECURE_FOR_TESTS;
        let kek = derive(&SecretString::from("right"), &salt, kdf).unwrap();
        let data = random_key();
        let wrapped = wrap(&kek, &data, &kdf.encode(), &salt).unwrap();
        let back = unwrap(&kek, &wrapped, &kdf.encode(), &salt).unwrap();
        assert_eq!(*back, *data);
        let wrong = derive(&SecretString::from("wrong"), &salt, kdf).unwrap();
        assert!(unwrap(&wrong, &wrapped, &kdf.encode(), &salt).is_none());
    }

    /// `cargo test -p kintsugi-store --release -- --ignored --nocapture measure_unlock`
    #[test]
    #[ignore = "measurement: prints the unlock time of the default parameters"]
    fn measure_unlock() {
        let salt = random_salt();
        for params in [
            KdfParams::DEFAULT,
            KdfParams {
                m_kib: 256 * 1024,
                t: 3,
                p: 4,
            },
            KdfParams {
                m_kib: 19 * 1024,
                t: 2,
                p: 1,
            },
        ] {
            let mut times = Vec::new();
            for _ in 0..5 {
                let start = std::time::Instant::now();
                derive(&SecretString::from("correct horse"), &salt, params).unwrap();
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{}: min {:.0} ms, median {:.0} ms, max {:.0} ms",
                params.encode(),
                times[0],
                times[2],
                times[4]
            );
        }
    }
}
