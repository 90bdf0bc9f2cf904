//! `GET /callback` (handoff steps 6 to 9): the shopper comes back from the store with a
//! one-time code. Every check below must pass before an identity is attached; each failure
//! is a readable refusal with the way back to the checkout.

use std::sync::Arc;

use anyhow::Context;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{
    AccessToken, AuthorizationCode, ClaimsVerificationError, ClientId, EmptyAdditionalClaims,
    IdTokenClaims, IdTokenVerifier, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeVerifier,
    SignatureVerificationError, TokenResponse as _, UserInfoClaims,
};
use serde::Deserialize;

use super::client::{BasketClaim, Registration, RpClient, TokenResponse};
use super::login::browser_cookie;
use super::pages::Refusal;
use crate::checkout::session_store::{self, ProviderSession};
use crate::config::StoreConfig;
use crate::db::{self, login_transactions::LoginTransaction};
use crate::domain::{Address, AddressInput, CustomerId, Email, VerifiedIdentity};
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::store_providers::Discovered;
use crate::web::WebError;

/// How far in the future an `iat` may be: clocks of two servers drift a little.
const CLOCK_SKEW_SECS: i64 = 60;

/// The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207).
#[derive(Deserialize, Default)]
pub(crate) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

type IdClaims = IdTokenClaims<BasketClaim, CoreGenderClaim>;

pub(crate) async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    match complete(&state, jar, params).await {
        Ok(response) => response,
        Err(Failure::Refused(refusal)) => refusal.into_response(),
        Err(Failure::Internal(e)) => WebError::Internal(e).into_response(),
    }
}

enum Failure {
    Refused(Box<Refusal>),
    Internal(anyhow::Error),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Failure::Refused(Box::new(refusal))
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Internal(e)
    }
}

fn no_login_in_progress(reason: &'static str) -> Refusal {
    Refusal::new(
        StatusCode::FORBIDDEN,
        reason,
        "This login cannot be completed",
        "We have no login in progress for this browser, or it was already used. \
         Start again from your basket at the store.",
    )
}

#[tracing::instrument(skip_all)]
async fn complete(
    state: &AppState,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Result<Response, Failure> {
    let Ok(Query(params)) = params else {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "malformed_response",
            "This login cannot be completed",
            "The answer from the store's login page was malformed.",
        )
        .into());
    };
    // Login CSRF: the answer counts only in the browser that started the login (step 2).
    let Some(browser) = browser_cookie(state).value(&jar).map(str::to_owned) else {
        return Err(no_login_in_progress("no_transaction_cookie").into());
    };
    let Some(state_param) = params.state.as_deref() else {
        return Err(no_login_in_progress("missing_state").into());
    };
    // Single use: the transaction is deleted before anything else looks at it (step 6).
    let Some(tx) = db::login_transactions::consume(
        &state.db,
        &SecretHash::of(state_param),
        &SecretHash::of(&browser),
    )
    .await?
    else {
        return Err(no_login_in_progress("unknown_transaction").into());
    };
    let Some(store) = state.config.store(&tx.store_id).cloned() else {
        return Err(no_login_in_progress("store_gone").into());
    };
    let refuse = |status, reason, title: String, message: String| {
        Refusal::new(status, reason, title, message).back_to(
            store.id.as_str(),
            &store.name,
            &tx.basket_id.to_string(),
        )
    };

    if tx.is_expired() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "expired_transaction",
            "This login took too long".to_owned(),
            "For your safety a login must be finished within ten minutes. Please log in again."
                .to_owned(),
        )
        .into());
    }
    // RFC 9207 §2.4: `iss` must be exactly the issuer we sent the shopper to, as stored
    // with the transaction; never one taken from this response (mix-up defence).
    let from_expected_issuer = params.iss.as_deref() == Some(tx.issuer.as_str());
    if let Some(error) = params.error.as_deref() {
        // The provider's own words are shown only when the answer is from that provider.
        let detail = params
            .error_description
            .as_deref()
            .filter(|_| from_expected_issuer)
            .map(readable);
        return Err(refuse(
            if error == "access_denied" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            },
            "error_response",
            format!("{} did not log you in", store.name),
            error_message(error),
        )
        .detail(detail)
        .into());
    }
    if !from_expected_issuer {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "issuer_mismatch",
            format!("This answer did not come from {}", store.name),
            format!(
                "The login answer did not name {}'s login service, so we did not use it.",
                store.name
            ),
        )
        .into());
    }
    let Some(code) = params.code else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "missing_code",
            "This login cannot be completed".to_owned(),
            "The answer from the store's login page was incomplete.".to_owned(),
        )
        .into());
    };

    let (identity, provider_session) = match verify(state, &store, &tx, code).await {
        Ok(verified) => verified,
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "login answer failed verification");
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "verification_failed",
                "We could not verify this login".to_owned(),
                format!(
                    "{}'s answer did not pass our security checks, so we did not use it. \
                     Please try again, or continue as a guest.",
                    store.name
                ),
            )
            .into());
        }
    };

    // The basket is not claimed here: our provider hands a guest basket to the customer
    // when it redeems the basket-bound code at /token, before this point.
    let cookie = session_store::start_verified(
        state,
        &store.id,
        tx.basket_id,
        &identity,
        &provider_session,
        tx.previous_session_hash.as_ref(),
    )
    .await?;
    // Step 9: back to the clean checkout URL; no code, token or session id in it.
    let location = format!(
        "{}/{}/{}",
        state
            .config
            .checkout
            .base_url
            .as_str()
            .trim_end_matches('/'),
        store.id,
        tx.basket_id
    );
    Ok((jar.add(cookie), Redirect::to(&location)).into_response())
}

/// Steps 7 and 8: redeem the code, validate the ID token, fetch userinfo.
async fn verify(
    state: &AppState,
    store: &StoreConfig,
    tx: &LoginTransaction,
    code: String,
) -> anyhow::Result<(VerifiedIdentity, ProviderSession)> {
    let registration = Registration::for_store(state, store);
    let mut provider = state.store_providers.discover(&state.http, store).await?;
    // The transaction's issuer is the one the shopper was sent to; the provider we talk
    // to now must still be that one.
    anyhow::ensure!(
        provider.issuer() == tx.issuer,
        "the store's issuer changed during the login"
    );
    let client = registration.client(&provider, &tx.redirect_uri)?;

    let tokens = redeem(state, &registration, &client, tx, code).await?;
    let claims = match check_id_token(&registration, &provider, tx, &tokens) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => {
            // A key we have not seen: the provider may have rotated. Refetch once.
            provider = state
                .store_providers
                .refresh_keys(&state.http, store, &provider)
                .await?;
            check_id_token(&registration, &provider, tx, &tokens)
        }
        other => other,
    }
    .context("ID token refused")?;

    // OIDC Core §5.3.2: the userinfo `sub` must be the ID token's, or it is someone else's.
    let userinfo: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = client
        .user_info(
            AccessToken::new(tokens.access_token().secret().clone()),
            Some(claims.subject().clone()),
        )
        .request_async(&state.http)
        .await
        .context("userinfo refused")?;

    let subject = claims.subject().as_str().to_owned();
    let customer_id = if registration.own_provider {
        Some(CustomerId::parse(&subject).context("our provider's sub is not a customer id")?)
    } else {
        None
    };
    let provider_session = ProviderSession {
        sid: claims.additional_claims().sid.clone(),
        id_token: tokens
            .id_token()
            .context("the token response has no ID token")?
            .to_string(),
    };
    let identity = identity_from(
        provider.issuer().to_owned(),
        subject,
        customer_id,
        &claims,
        &userinfo,
    );
    Ok((identity, provider_session))
}

/// The back-channel token request (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5) and client
/// authentication (`client_secret_basic` or `private_key_jwt`, OIDC Core §9).
async fn redeem(
    state: &AppState,
    registration: &Registration,
    client: &RpClient,
    tx: &LoginTransaction,
    code: String,
) -> anyhow::Result<TokenResponse> {
    let mut request = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(tx.pkce_verifier.clone()));
    if registration.secret.is_none() {
        let assertion = registration.client_assertion(state, client.token_uri().as_str())?;
        request = request
            .add_extra_param(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            )
            .add_extra_param("client_assertion", assertion);
    }
    // The error's Display never includes the response body (which may hold tokens).
    request
        .request_async(&state.http)
        .await
        .map_err(|e| anyhow::anyhow!("token request failed: {e}"))
}

/// OIDC Core §3.1.3.7: signature (JWKS, `kid`, the registered `alg` only; never `none`),
/// `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`, and our `basket_id` binding.
fn check_id_token(
    registration: &Registration,
    provider: &Arc<Discovered>,
    tx: &LoginTransaction,
    tokens: &TokenResponse,
) -> Result<IdClaims, ClaimsVerificationError> {
    let other = |message: &str| ClaimsVerificationError::Other(message.to_owned());
    let id_token = tokens
        .id_token()
        .ok_or_else(|| other("the token response has no ID token"))?;
    let issuer = IssuerUrl::new(tx.issuer.clone()).map_err(|_| other("stored issuer"))?;
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
        Some(nonce) if SecretHash::of(nonce.secret()) == tx.nonce_hash => Ok(()),
        _ => Err("nonce does not match the login's".to_owned()),
    };
    let claims = id_token.claims(&verifier, nonce_matches)?.clone();

    // Steps 4-5 (which the crate leaves to us): several audiences need an `azp`, and an
    // `azp` must be us.
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != registration.client_id => {
            return Err(ClaimsVerificationError::InvalidAudience(
                "azp is another client".to_owned(),
            ));
        }
        None if claims.audiences().len() > 1 => {
            return Err(ClaimsVerificationError::InvalidAudience(
                "several audiences and no azp".to_owned(),
            ));
        }
        _ => {}
    }
    // The basket binding: required when the provider advertises it; a claim that is
    // present must match in any case.
    let expected = tx.basket_id.to_string();
    match claims.additional_claims().basket_id.as_deref() {
        Some(bound) if bound == expected => {}
        None if !tx.basket_bound => {}
        _ => return Err(other("basket_id does not match the login's basket")),
    }
    Ok(claims)
}

/// The identity to keep: userinfo first (the profile's home), the ID token as fallback.
/// Values that would not fit our forms are dropped, not trusted.
fn identity_from(
    issuer: String,
    subject: String,
    customer_id: Option<CustomerId>,
    id: &IdClaims,
    userinfo: &UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>,
) -> VerifiedIdentity {
    let email = userinfo
        .email()
        .or(id.email())
        .and_then(|e| Email::parse(e.as_str()).ok())
        .map(|e| e.as_str().to_owned());
    let name = userinfo
        .name()
        .or(id.name())
        .and_then(|n| n.get(None))
        .and_then(|n| short_text(n.as_str()));
    let phone = userinfo
        .phone_number()
        .or(id.phone_number())
        .and_then(|p| short_text(p.as_str()));
    let address = userinfo.address().or(id.address()).and_then(|a| {
        let text = |v: Option<String>| v.unwrap_or_default();
        Address::parse(&AddressInput {
            name: name.clone().unwrap_or_default(),
            street: text(a.street_address.as_ref().map(|s| s.to_string())),
            postal_code: text(a.postal_code.as_ref().map(|s| s.to_string())),
            city: text(a.locality.as_ref().map(|s| s.to_string())),
            country: text(a.country.as_ref().map(|s| s.to_string())),
        })
        .ok()
    });
    VerifiedIdentity {
        issuer,
        subject,
        customer_id,
        email,
        name,
        phone,
        address,
    }
}

fn short_text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && value.chars().count() <= 200 && !value.chars().any(char::is_control))
        .then(|| value.to_owned())
}

/// RFC 6749 §4.1.2.1 error codes in plain words.
fn error_message(code: &str) -> String {
    match code {
        "access_denied" => "The login was cancelled or refused.".to_owned(),
        "login_required" | "interaction_required" | "consent_required" => {
            "The store needs you to log in on its own page first.".to_owned()
        }
        "temporarily_unavailable" | "server_error" => {
            "The store's login service has a problem right now. Try again in a moment.".to_owned()
        }
        _ => format!(
            "The store's login service reported a problem ({}).",
            readable(code)
        ),
    }
}

/// Provider text shown on our page: single line, bounded (askama escapes the rest).
fn readable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}
