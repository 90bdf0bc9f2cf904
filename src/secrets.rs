//! Random secrets (codes, tokens, session ids) and the hashes that are all we store of them;
//! secret material written to disk readable by its owner only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A freshly drawn 256-bit secret, base64url. Hand it out once; store only `hash_secret`.
pub struct OpaqueSecret(String);

impl OpaqueSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The value to send to its owner. **Never log or persist it.**
    pub fn secret(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

/// SHA-256, hex. Secrets are 256-bit random values, so a fast hash suffices: an attacker
/// holding the table still faces a 2^256 search (argon2 is for low-entropy passwords).
pub fn hash_secret(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Writes a file readable by its owner only.
pub fn write_private_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_hashes_stable() {
        let a = OpaqueSecret::generate();
        let b = OpaqueSecret::generate();
        assert_ne!(a.secret(), b.secret());
        assert_eq!(a.secret().len(), 43);
        assert_eq!(a.hash(), hash_secret(a.secret()));
        assert_eq!(a.hash().len(), 64);
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(&a.hash(), &a.hash()));
        assert!(!constant_time_eq(&a.hash(), &b.hash()));
    }
}
