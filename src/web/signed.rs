//! Values the server hands to browsers and must later recognise as its own: a random nonce
//! and an HMAC-SHA256 over a purpose, some context and the nonce, keyed with the
//! deployment's cookie secret so that every node recognises every other node's values.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::secrets::OpaqueSecret;

pub struct SignedValues(hmac::Key);

impl SignedValues {
    pub fn new(cookie_secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, cookie_secret))
    }

    /// A fresh `nonce.mac` for `purpose` within `context`.
    pub fn issue(&self, purpose: &str, context: &[&str]) -> String {
        let nonce = OpaqueSecret::generate();
        let tag = hmac::sign(&self.0, &message(purpose, context, nonce.secret()));
        format!(
            "{}.{}",
            nonce.secret(),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// Whether `value` came from `issue` with the same purpose and context; the MAC is
    /// compared in constant time.
    pub fn verify(&self, purpose: &str, context: &[&str], value: &str) -> bool {
        let Some((nonce, tag)) = value.split_once('.') else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        hmac::verify(&self.0, &message(purpose, context, nonce), &tag).is_ok()
    }
}

/// Length-prefixed parts, so no two different inputs give the same message.
fn message(purpose: &str, context: &[&str], nonce: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in std::iter::once(purpose)
        .chain(context.iter().copied())
        .chain(std::iter::once(nonce))
    {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_verifies_only_for_its_purpose_context_and_key() {
        let values = SignedValues::new(&[1u8; 96]);
        let value = values.issue("device", &["site1", "alice"]);
        assert!(values.verify("device", &["site1", "alice"], &value));
        assert!(!values.verify("device", &["site2", "alice"], &value));
        assert!(!values.verify("login", &["site1", "alice"], &value));
        assert!(!values.verify("device", &["site1", "alice"], &format!("{value}A")));
        assert!(!values.verify("device", &["site1", "alice"], &"A".repeat(43)));
        assert!(!SignedValues::new(&[2u8; 96]).verify("device", &["site1", "alice"], &value));
    }
}
