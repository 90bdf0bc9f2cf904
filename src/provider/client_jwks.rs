//! Clients' public keys for `private_key_jwt`, fetched from their registered `jwks_uri`.
//!
//! Kept in memory per URL as a cache only: a node without it fetches again, so no other
//! node ever needs this state. An unknown `kid` triggers a refetch (the client rotated),
//! at most once per `REFETCH_AFTER` so forged `kid`s cannot turn us into a flood.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};

/// How long a fetched set is trusted before it is fetched again regardless.
const MAX_AGE: Duration = Duration::from_secs(300);
/// The shortest gap between two fetches of one URL prompted by an unknown key.
const REFETCH_AFTER: Duration = Duration::from_secs(5);
/// A JWKS is a few kilobytes; anything far larger is not one.
const MAX_BYTES: usize = 256 * 1024;

#[derive(Default)]
pub struct ClientJwksCache {
    sets: Mutex<HashMap<String, (Arc<JwkSet>, Instant)>>,
}

impl ClientJwksCache {
    /// The client's keys that could have made a signature with `alg` (and `kid`, if given).
    pub async fn keys_for(
        &self,
        http: &reqwest::Client,
        url: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> anyhow::Result<Vec<Jwk>> {
        if let Some((set, fetched)) = self.cached(url) {
            let keys = matching(&set, kid, alg);
            let stale = fetched.elapsed() > MAX_AGE;
            if !stale && (!keys.is_empty() || fetched.elapsed() < REFETCH_AFTER) {
                return Ok(keys);
            }
        }
        let set = fetch(http, url).await?;
        let keys = matching(&set, kid, alg);
        self.lock()
            .insert(url.to_owned(), (Arc::new(set), Instant::now()));
        Ok(keys)
    }

    fn cached(&self, url: &str) -> Option<(Arc<JwkSet>, Instant)> {
        self.lock().get(url).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<JwkSet>, Instant)>> {
        // A poisoned lock only means another request panicked mid-insert; the map is fine.
        self.sets.lock().unwrap_or_else(|e| e.into_inner())
    }
}

async fn fetch(http: &reqwest::Client, url: &str) -> anyhow::Result<JwkSet> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .with_context(|| format!("fetching client JWKS {url}"))?
        .error_for_status()
        .with_context(|| format!("client JWKS {url}"))?;
    let body = response.bytes().await.context("reading client JWKS")?;
    anyhow::ensure!(body.len() <= MAX_BYTES, "client JWKS {url} is too large");
    serde_json::from_slice(&body).with_context(|| format!("client JWKS {url} is not a JWK set"))
}

/// Keys usable for `alg`: right type and curve, `use` absent or `sig`, `alg` absent or
/// equal (RFC 7517 §4.2, §4.4). We never trust a key type the header names on its own.
fn matching(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Vec<Jwk> {
    set.keys
        .iter()
        .filter(|k| kid.is_none_or(|kid| k.common.key_id.as_deref() == Some(kid)))
        .filter(|k| {
            matches!(
                k.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter(|k| {
            k.common
                .key_algorithm
                .is_none_or(|a| Some(a) == key_algorithm(alg))
        })
        .filter(|k| match (&k.algorithm, alg) {
            (AlgorithmParameters::RSA(_), Algorithm::RS256 | Algorithm::PS256) => true,
            (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => {
                p.curve == EllipticCurve::P256
            }
            _ => false,
        })
        .cloned()
        .collect()
}

fn key_algorithm(alg: Algorithm) -> Option<KeyAlgorithm> {
    match alg {
        Algorithm::RS256 => Some(KeyAlgorithm::RS256),
        Algorithm::PS256 => Some(KeyAlgorithm::PS256),
        Algorithm::ES256 => Some(KeyAlgorithm::ES256),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_chosen_by_kid_type_and_alg() {
        let dir = std::env::temp_dir().join(format!("jwks-{}", uuid::Uuid::new_v4()));
        let keys = crate::keys::SigningKeys::load_or_generate(&dir).unwrap();
        let set = keys.jwks();
        let ec_kid = keys
            .active(crate::keys::SigningAlg::Es256)
            .unwrap()
            .kid
            .clone();
        assert_eq!(matching(&set, None, Algorithm::ES256).len(), 1);
        assert_eq!(matching(&set, Some(&ec_kid), Algorithm::ES256).len(), 1);
        assert!(matching(&set, Some(&ec_kid), Algorithm::RS256).is_empty());
        assert!(matching(&set, Some("unknown"), Algorithm::ES256).is_empty());
        // An RS256-labelled key is not offered for PS256.
        assert!(matching(&set, None, Algorithm::PS256).is_empty());
        assert!(matching(&set, None, Algorithm::HS256).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
