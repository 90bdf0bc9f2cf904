//! `id_token_hint` (RP-Initiated Logout §2): an ID token this store issued, checked by its
//! signature and issuer. Expired hints are fine: a shopper logs out long after logging in.

use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use crate::config::StoreConfig;
use crate::state::AppState;

/// What a valid hint tells: who, for which client.
#[derive(Debug, Clone)]
pub struct Hint {
    pub sub: String,
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    aud: Audience,
}

/// The hint's claims when one of this store's published keys signed it for its issuer.
pub fn verify(state: &AppState, store: &StoreConfig, hint: &str) -> Option<Hint> {
    let header = decode_header(hint).ok()?;
    let kid = header.kid.as_deref()?;
    let keys = state.keys.for_store(&store.id).ok()?;
    let key = keys.all().iter().find(|k| k.kid == kid)?;
    // The key's own algorithm only; never one the token names for itself.
    if key.alg.jwt() != header.alg {
        return None;
    }
    let decoding = DecodingKey::from_jwk(&key.public_jwk()).ok()?;
    let mut validation = Validation::new(key.alg.jwt());
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[store.issuer()]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    let claims = decode::<HintClaims>(hint, &decoding, &validation)
        .ok()?
        .claims;
    Some(Hint {
        sub: claims.sub,
        audiences: match claims.aud {
            Audience::One(aud) => vec![aud],
            Audience::Many(auds) => auds,
        },
    })
}
