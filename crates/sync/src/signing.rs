//! Signing with a device's iroh key, for claims a device cannot make for another device's key.

use iroh::{PublicKey, SecretKey, Signature};

/// Signs `message` with the device key whose secret is `secret`.
pub fn sign(secret: &[u8; 32], message: &[u8]) -> [u8; 64] {
    SecretKey::from_bytes(secret).sign(message).to_bytes()
}

/// Whether `signature` over `message` was made with the secret of device `key` (strict
/// ed25519: no malleable or small-order forms).
pub fn verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    match PublicKey::from_bytes(key) {
        Ok(k) => k.verify(message, &Signature::from_bytes(signature)).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_key_and_message() {
        let alex = crate::transport::generate_secret_key();
        let sam = crate::transport::generate_secret_key();
        let alex_id = crate::transport::endpoint_id_of(&alex);
        let sam_id = crate::transport::endpoint_id_of(&sam);
        let sig = sign(&alex, b"actor X writes for alex");
        assert!(verify(&alex_id, b"actor X writes for alex", &sig));
        // Alex's signature does not pass as Sam's, nor for another statement.
        assert!(!verify(&sam_id, b"actor X writes for alex", &sig));
        assert!(!verify(&alex_id, b"actor X writes for sam", &sig));
        let mut flipped = sig;
        flipped[10] ^= 1;
        assert!(!verify(&alex_id, b"actor X writes for alex", &flipped));
        assert!(!verify(&[0u8; 32], b"actor X writes for alex", &sig));
    }
}
