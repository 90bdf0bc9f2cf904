// OIDC Core §3.1.3.7: the signature (JWKS and `kid`, the registered `alg` only, never
// `none`), `iss`, `aud`, `azp`, `exp`, `iat` and `nonce`. §3.1.3.8 and §3.3.2.11: `at_hash`
// and `c_hash` are optional in the code flow, but one that is present must be of the
// access token and code we hold. The basket claim is checked last (`basket_bound`).

use anyhow::Context;
use openidconnect::core::{CoreGenderClaim, CoreJweContentEncryptionAlgorithm};
use openidconnect::core::{CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessTokenHash, AuthorizationCodeHash, ClaimsVerificationError, ClientId, IdToken,
    IdTokenClaims, IdTokenVerifier, IssuerUrl, Nonce, OAuth2TokenResponse,
    SignatureVerificationError, TokenResponse as _,
};

use super::Exchanged;
use crate::checkout::session_store::ProviderSession;
use crate::db;
use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;
use crate::relying_party::client::{BasketClaim, Registration};
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::store_providers::Discovered;

/// How far in the future an `iat` may be: clocks of two servers drift a little.
const CLOCK_SKEW_SECS: i64 = 60;

pub type IdClaims = IdTokenClaims<BasketClaim, CoreGenderClaim>;

type RpIdToken = IdToken<
    BasketClaim,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// An ID token that passed: its claims, and the token itself for a later `id_token_hint`.
pub struct VerifiedIdToken {
    pub claims: IdClaims,
    raw: String,
}

impl VerifiedIdToken {
    /// What a logout needs: the provider's session (`sid`, Back-Channel Logout §2.1) and the
    /// token as `id_token_hint` (RP-Initiated Logout §2).
    pub fn provider_session(&self) -> ProviderSession {
        ProviderSession {
            sid: self.claims.additional_claims().sid.clone(),
            id_token: self.raw.clone(),
        }
    }
}

pub async fn id_token_valid(
    state: &AppState,
    registration: &Registration,
    login: &Login,
    exchanged: &Exchanged,
) -> Result<VerifiedIdToken, CallbackError> {
    verify(state, registration, login, exchanged)
        .await
        .map_err(CallbackError::VerificationFailed)
}

async fn verify(
    state: &AppState,
    registration: &Registration,
    login: &Login,
    exchanged: &Exchanged,
) -> anyhow::Result<VerifiedIdToken> {
    let id_token = exchanged
        .tokens
        .id_token()
        .context("the token response has no ID token")
        .context("ID token refused")?;
    let provider = &exchanged.provider;
    let claims = match claims(registration, provider, login, exchanged, id_token) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            // A key we have not seen: the provider may have rotated. Refetch once.
            let provider = state
                .store_providers
                .refresh_keys(&state.http, &login.store, provider)
                .await?;
            claims(registration, &provider, login, exchanged, id_token)
        }
        other => other,
    }
    .context("ID token refused")?;
    Ok(VerifiedIdToken {
        claims,
        raw: id_token.to_string(),
    })
}

fn claims(
    registration: &Registration,
    provider: &Discovered,
    login: &Login,
    exchanged: &Exchanged,
    id_token: &RpIdToken,
) -> Result<IdClaims, ClaimsVerificationError> {
    let issuer = IssuerUrl::new(login.tx.issuer.clone()).map_err(|_| other("stored issuer"))?;
    let verifier = IdTokenVerifier::new_public_client(
        ClientId::new(registration.client_id.clone()),
        issuer,
        provider.metadata.jwks().clone(),
    )
    .set_allowed_algs([registration.id_token_alg.jws()])
    .set_issue_time_verifier_fn(|iat| {
        if iat.timestamp() > db::now() + CLOCK_SKEW_SECS {
            Err("the ID token was issued in the future".to_owned())
        } else {
            Ok(())
        }
    });
    let nonce_matches = |nonce: Option<&Nonce>| match nonce {
        Some(nonce) if SecretHash::of(nonce.secret()) == login.tx.nonce_hash => Ok(()),
        _ => Err("nonce does not match the login's".to_owned()),
    };
    let claims = id_token.claims(&verifier, nonce_matches)?.clone();
    authorized_party_is_us(registration, &claims)?;
    let key = id_token
        .signing_key(&verifier)
        .map_err(ClaimsVerificationError::SignatureVerification)?;
    hashes_match(id_token, key, &claims, exchanged)?;
    Ok(claims)
}

/// Steps 4 and 5, which the crate leaves to us: several audiences need an `azp`, and an
/// `azp` must be us.
fn authorized_party_is_us(
    registration: &Registration,
    claims: &IdClaims,
) -> Result<(), ClaimsVerificationError> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != registration.client_id => Err(
            ClaimsVerificationError::InvalidAudience("azp is another client".to_owned()),
        ),
        None if claims.audiences().len() > 1 => Err(ClaimsVerificationError::InvalidAudience(
            "several audiences and no azp".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// Each hash is the left half of the `alg`'s digest of the value, so the verified token's
/// own algorithm and key compute it.
fn hashes_match(
    id_token: &RpIdToken,
    key: &CoreJsonWebKey,
    claims: &IdClaims,
    exchanged: &Exchanged,
) -> Result<(), ClaimsVerificationError> {
    let alg = id_token
        .signing_alg()
        .map_err(ClaimsVerificationError::SignatureVerification)?;
    let unsupported =
        |e: openidconnect::SigningError| ClaimsVerificationError::Unsupported(e.to_string());
    if let Some(at_hash) = claims.access_token_hash() {
        let ours = AccessTokenHash::from_token(exchanged.tokens.access_token(), alg, key)
            .map_err(unsupported)?;
        if &ours != at_hash {
            return Err(other("at_hash does not match the access token"));
        }
    }
    if let Some(c_hash) = claims.code_hash() {
        let ours =
            AuthorizationCodeHash::from_code(&exchanged.code, alg, key).map_err(unsupported)?;
        if &ours != c_hash {
            return Err(other("c_hash does not match the code"));
        }
    }
    Ok(())
}

fn other(message: &str) -> ClaimsVerificationError {
    ClaimsVerificationError::Other(message.to_owned())
}
