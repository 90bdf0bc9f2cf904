//! Random secrets (codes, tokens, session ids) and the hashes that are all we store of them;
//! secret material written to disk readable by its owner only.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::any::{Any, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};
use subtle::ConstantTimeEq;

/// A freshly drawn 256-bit secret, base64url. Hand it out once; store only its [`hash`].
///
/// [`hash`]: OpaqueSecret::hash
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

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(&self.0)
    }
}

/// The SHA-256 (hex) of an opaque secret: what a table keeps and is searched by instead of
/// the secret. Made only by hashing, so a secret cannot be passed where its hash belongs;
/// compared in constant time; `Debug` shows a prefix only. Secrets are 256-bit random
/// values, so a fast hash suffices: an attacker holding the table still faces a 2^256
/// search (argon2 is for low-entropy passwords).
#[derive(Clone, Eq)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        Self(sha256_hex(secret))
    }

    /// A value read back from where only hashes are written (a column, a stored request).
    fn stored(hex: String) -> Result<Self, &'static str> {
        let valid = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Self(hex))
        } else {
            Err("not a SHA-256 hex digest")
        }
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({}…)", &self.0[..8])
    }
}

impl serde::Serialize for SecretHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for SecretHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::stored(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Type<Any> for SecretHash {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }
}

impl<'q> Encode<'q, Any> for SecretHash {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Any>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Any> for SecretHash {
    fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::stored(<String as Decode<'r, Any>>::decode(value)?)?)
    }
}

/// A client secret: the checkout's at a store's provider (configuration) or a client's at
/// ours (`client add --secret`). `Debug` never shows it, and its memory is wiped on drop.
#[derive(Clone)]
pub struct ClientSecret(SecretString);

impl ClientSecret {
    /// The secret for the token request or for hashing. **Never log or persist it.**
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.expose())
    }
}

impl From<String> for ClientSecret {
    fn from(secret: String) -> Self {
        Self(SecretString::from(secret))
    }
}

impl From<&str> for ClientSecret {
    fn from(secret: &str) -> Self {
        Self(SecretString::from(secret))
    }
}

impl std::str::FromStr for ClientSecret {
    type Err = std::convert::Infallible;
    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        Ok(secret.into())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// Written out in full: the configuration is layered by serializing the defaults, and a
/// redacted default would replace the secret.
impl serde::Serialize for ClientSecret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for ClientSecret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from)
    }
}

/// A store's webhook signing secret in the Standard Webhooks form, `whsec_` and the
/// base64 of 24 to 64 random bytes; checked once when the configuration is read. `Debug`
/// never shows it, and its memory is wiped on drop.
#[derive(Clone)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        const MESSAGE: &str = "a webhook secret is whsec_ followed by the base64 of 24-64 bytes";
        let key = text.strip_prefix("whsec_").ok_or(MESSAGE)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| MESSAGE)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(MESSAGE);
        }
        Ok(Self(SecretString::from(text)))
    }

    /// The `whsec_…` text, for the signer only. **Never log or persist it.**
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// Written out in full, as [`ClientSecret`] is: the configuration is layered by
/// serializing the defaults.
impl serde::Serialize for WebhookSecret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> serde::Deserialize<'de> for WebhookSecret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// SHA-256, hex: the digest of something that is not a secret (a request's fingerprint).
pub fn sha256_hex(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(text.as_bytes());
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
        assert_eq!(a.hash(), SecretHash::of(a.secret()));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
    }

    #[test]
    fn a_client_secret_never_debugs() {
        let secret = ClientSecret::from("s3cret-s3cret-s3cret-s3cret-s3cret");
        let debug = format!("{secret:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert_eq!(secret.hash(), SecretHash::of(secret.expose()));
    }

    #[test]
    fn a_webhook_secret_is_checked_once_and_never_debugs() {
        let text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let secret = WebhookSecret::parse(text).unwrap();
        assert_eq!(secret.expose(), text);
        assert!(!format!("{secret:?}").contains("MfKQ"));
        let too_short = format!("whsec_{}", URL_SAFE_NO_PAD.encode([7u8; 8]));
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            &too_short,
        ] {
            assert!(WebhookSecret::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn a_hash_debugs_as_a_prefix_only() {
        let debug = format!("{:?}", SecretHash::of("abc"));
        assert_eq!(debug, "SecretHash(ba7816bf…)");
    }

    #[test]
    fn a_hash_round_trips_through_json_and_only_a_digest_deserializes() {
        let hash = SecretHash::of("abc");
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(
            json,
            "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""
        );
        assert_eq!(serde_json::from_str::<SecretHash>(&json).unwrap(), hash);
        let upper = json.to_uppercase();
        for bad in [
            "\"abc\"",
            "\"\"",
            upper.as_str(),
            &format!("\"{}\"", "g".repeat(64)),
        ] {
            assert!(
                serde_json::from_str::<SecretHash>(bad).is_err(),
                "{bad} accepted"
            );
        }
    }
}
