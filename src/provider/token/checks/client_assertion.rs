// private_key_jwt (RFC 7523 §3, OIDC Core §9): a JWT signed with a key from the client's
// registered JWKS, `iss` = `sub` = client_id, `aud` the token endpoint, the pushed
// authorization request endpoint (which authenticates clients with these same checks) or
// the issuer, `exp` present and at most five minutes ahead, `jti` never seen before.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::client_authenticated::registered;
use crate::db;
use crate::provider::clients::{AuthMethod, Client};
use crate::provider::error::OAuthError;
use crate::provider::token::TokenContext;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Asymmetric algorithms only: an HMAC "signature" keyed with a public key proves nothing.
pub const ASSERTION_ALGS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::PS256];
/// Assertions are one-shot; a longer-lived one would make the `jti` table a liability.
const MAX_LIFETIME_SECS: i64 = 300;
const LEEWAY_SECS: u64 = 30;

#[derive(Deserialize)]
struct AssertionClaims {
    exp: i64,
    jti: Option<String>,
}

#[derive(Deserialize)]
struct UnverifiedIssuer {
    iss: Option<String>,
}

pub async fn private_key_jwt_valid(
    cx: &TokenContext<'_>,
    assertion_type: Option<&str>,
    assertion: Option<&str>,
    body_client_id: Option<&str>,
) -> Result<Client, OAuthError> {
    if assertion_type != Some(ASSERTION_TYPE) {
        return Err(OAuthError::InvalidClient(
            "unsupported client_assertion_type",
        ));
    }
    let assertion = assertion.ok_or(OAuthError::InvalidClient("client_assertion is required"))?;
    let (client_id, header) = claimed_client(assertion, body_client_id)?;
    let client = registered(cx, &client_id, AuthMethod::PrivateKeyJwt).await?;
    let claims = verified_claims(cx, &client, assertion, &header).await?;
    let now = db::now();
    if claims.exp > now + MAX_LIFETIME_SECS {
        return Err(OAuthError::InvalidClient(
            "client assertion expires too far ahead",
        ));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(OAuthError::InvalidClient("client assertion needs a jti"))?;
    // RFC 7523 §3 item 7: the same assertion must not be accepted twice.
    let first_use = db::tokens::record_assertion_id(
        &cx.state.db,
        &cx.store.id,
        &client_id,
        &jti,
        claims.exp + LEEWAY_SECS as i64,
    )
    .await?;
    if !first_use {
        return Err(OAuthError::InvalidClient(
            "client assertion was already used",
        ));
    }
    Ok(client)
}

/// The client the assertion claims to be (its `iss`, which must agree with a `client_id`
/// in the body) and its header. Read unverified only to learn which client to verify
/// against; nothing else from this decode is trusted.
pub fn claimed_client(
    assertion: &str,
    body_client_id: Option<&str>,
) -> Result<(String, jsonwebtoken::Header), OAuthError> {
    let unverified = jsonwebtoken::dangerous::insecure_decode::<UnverifiedIssuer>(assertion)
        .map_err(|_| OAuthError::InvalidClient("malformed client assertion"))?;
    match (unverified.claims.iss, body_client_id) {
        (Some(iss), Some(id)) if iss != id => Err(OAuthError::InvalidClient(
            "client_id does not match the assertion",
        )),
        (Some(iss), _) => Ok((iss, unverified.header)),
        (None, _) => Err(OAuthError::InvalidClient("client assertion has no iss")),
    }
}

/// The assertion's claims, verified with a key from the client's JWKS: signature, `iss` =
/// `sub` = client id, `aud` our token or pushed authorization request endpoint or issuer,
/// `exp`.
async fn verified_claims(
    cx: &TokenContext<'_>,
    client: &Client,
    assertion: &str,
    header: &jsonwebtoken::Header,
) -> Result<AssertionClaims, OAuthError> {
    let jwks_uri = client
        .jwks_uri
        .as_deref()
        .ok_or(OAuthError::InvalidClient("the client has no jwks_uri"))?;
    // NB: the header's `alg` only selects among algorithms we allow for this key type.
    let alg = header.alg;
    if !ASSERTION_ALGS.contains(&alg) {
        return Err(OAuthError::InvalidClient(
            "unsupported client assertion algorithm",
        ));
    }
    let keys = cx
        .jwks
        .keys_for(&cx.state.http, jwks_uri, header.kid.as_deref(), alg)
        .await
        .map_err(|e| {
            tracing::warn!(error = ?e, client = %client.client_id, "client JWKS unavailable");
            OAuthError::InvalidClient("the client's keys could not be fetched")
        })?;
    let mut validation = Validation::new(alg);
    validation.set_audience(&[
        cx.store.url("/token"),
        cx.store.url("/par"),
        cx.store.issuer(),
    ]);
    validation.set_issuer(&[&client.client_id]);
    validation.sub = Some(client.client_id.clone());
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.leeway = LEEWAY_SECS;
    keys.iter()
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .find_map(|key| jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation).ok())
        .map(|data| data.claims)
        .ok_or(OAuthError::InvalidClient("client assertion is not valid"))
}
