//! The ID token's claims (OIDC Core §2, §3.1.3.6), plus our `basket_id` binding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::StoreConfig;
use crate::db::codes::CodeGrant;
use crate::provider::clients::Client;
use crate::secrets::OpaqueSecret;

/// ID tokens are read once, right after the token response.
pub const ID_TOKEN_LIFETIME_SECS: i64 = 5 * 60;

#[derive(Debug, Serialize)]
pub struct IdTokenClaims {
    iss: String,
    /// The customer's id at this store: stable, never reused, never an email.
    sub: String,
    aud: String,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    azp: String,
    at_hash: String,
    /// The basket this login was bound to; the checkout checks it is the one it asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    basket_id: Option<String>,
    /// The store session this login happened in (Back-Channel Logout §2.1), so a logout
    /// token naming it reaches the right client sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

impl IdTokenClaims {
    pub fn new(
        store: &StoreConfig,
        client: &Client,
        grant: &CodeGrant,
        access_token: &OpaqueSecret,
        now: i64,
    ) -> Self {
        Self {
            iss: store.issuer(),
            sub: grant.customer_id.to_string(),
            aud: client.client_id.clone(),
            exp: now + ID_TOKEN_LIFETIME_SECS,
            iat: now,
            auth_time: grant.auth_time,
            nonce: grant.nonce.clone(),
            azp: client.client_id.clone(),
            at_hash: at_hash(access_token.secret()),
            basket_id: grant.basket_id.map(|b| b.to_string()),
            sid: grant.sid.clone(),
        }
    }
}

/// OIDC Core §3.1.3.6: base64url of the left half of the access token's hash; SHA-256
/// for both RS256 and ES256.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_sha256() {
        // Computed independently: sha256("abc") starts ba7816bf8f01cfea414140de5dae2223.
        assert_eq!(at_hash("abc"), "ungWv48Bz-pBQUDeXa4iIw");
    }
}
