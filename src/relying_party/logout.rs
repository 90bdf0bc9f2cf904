//! Logging out of the checkout, by the standards.
//!
//! - `POST /backchannel-logout` (OpenID Connect Back-Channel Logout 1.0 §2.5–2.8): a store's
//!   provider says a session ended; every checkout session logged in through it ends too.
//! - `POST /{store_id}/{basket_id}/logout` (RP-Initiated Logout 1.0 §2): the "Log out"
//!   button. Ends the checkout session, then sends the shopper to the store's
//!   `end_session_endpoint` with `id_token_hint`, `client_id`, `post_logout_redirect_uri`
//!   and `state`, so the store session ends as well.
//! - `GET /logged-out?state={store_id}`: where the store sends the shopper back. `state` only
//!   names the store whose basket to link to; the page changes nothing, so a forged one
//!   shows a different link and no more.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::cookie::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use super::client::Registration;
use crate::checkout::page::{Chrome, NoticePage};
use crate::checkout::session_store;
use crate::checkout::target::{BasketPath, Unresolved};
use crate::config::StoreConfig;
use crate::db;
use crate::domain::{BACKCHANNEL_LOGOUT_EVENT, StoreId};
use crate::state::AppState;
use crate::store_providers::{Discovered, accepted_issuers, configured_issuer};
use crate::web::forms::verify_csrf;
use crate::web::{ErrorPage, WebError, render};

/// Clocks of two servers drift a little.
const CLOCK_SKEW_SECS: u64 = 60;

/// `{checkout}/logged-out`, registered as the post-logout redirect URI at every store.
pub(crate) fn post_logout_redirect_uri(state: &AppState) -> String {
    state.config.checkout.url("/logged-out")
}

// ----- back-channel logout ------------------------------------------------------------

/// Why a logout token ends nothing.
#[derive(Debug)]
enum NoLogout {
    /// Refused: answered 400 `invalid_request` with this description (§2.8).
    Invalid(&'static str),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for NoLogout {
    fn from(e: anyhow::Error) -> Self {
        NoLogout::Internal(e)
    }
}

/// `POST /backchannel-logout` with the form field `logout_token`.
#[tracing::instrument(skip_all)]
pub(crate) async fn backchannel(State(state): State<AppState>, body: Bytes) -> Response {
    let token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned());
    let Some(token) = token else {
        return invalid_request("logout_token is required");
    };
    match end_sessions(&state, &token).await {
        Ok(ended) => {
            tracing::info!(ended, "back-channel logout");
            ([(header::CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()
        }
        Err(NoLogout::Invalid(why)) => {
            tracing::warn!(why, "logout token refused");
            invalid_request(why)
        }
        Err(NoLogout::Internal(e)) => WebError::Internal(e).into_response(),
    }
}

fn invalid_request(description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({
            "error": "invalid_request",
            "error_description": description,
        })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Unverified {
    iss: Option<String>,
}

#[derive(Deserialize)]
struct LogoutClaims {
    iss: String,
    iat: u64,
    jti: String,
    exp: i64,
    #[serde(default)]
    events: Option<serde_json::Map<String, serde_json::Value>>,
    sid: Option<String>,
    sub: Option<String>,
    #[serde(default)]
    nonce: Option<serde_json::Value>,
}

fn invalid<T>(why: &'static str) -> Result<T, NoLogout> {
    Err(NoLogout::Invalid(why))
}

/// §2.6, in order: the issuer is one of our stores' providers, the signature is its key's
/// (the registered algorithm only), `iss`, `aud` (our client id there), `iat`, `exp`,
/// `events`, `sid` or `sub`, no `nonce`, and `jti` not seen before.
async fn end_sessions(state: &AppState, token: &str) -> Result<u64, NoLogout> {
    let Some(issuer) = unverified_issuer(token) else {
        return invalid("the logout token is not a JWT with an issuer");
    };
    let Some(store) = state
        .config
        .stores
        .iter()
        .find(|s| accepted_issuers(&configured_issuer(s)).contains(&issuer))
    else {
        return invalid("the logout token's issuer is none of our stores' providers");
    };
    let provider = state.store_providers.discover(&state.http, store).await?;
    if provider.issuer() != issuer {
        return invalid("the logout token's issuer is not the provider's");
    }
    let registration = Registration::for_store(&state.config.checkout, store);
    let claims = match verify(&registration, &provider, token) {
        Err(NoLogout::Invalid(UNKNOWN_KEY)) => {
            // The provider may have rotated its keys: refetch once.
            let fresh = state
                .store_providers
                .refresh_keys(&state.http, store, &provider)
                .await?;
            verify(&registration, &fresh, token)?
        }
        other => other?,
    };
    match claims
        .events
        .as_ref()
        .map(|e| e.get(BACKCHANNEL_LOGOUT_EVENT))
    {
        Some(Some(serde_json::Value::Object(_))) => {}
        _ => return invalid("the logout token has no back-channel logout event"),
    }
    if claims.nonce.is_some() {
        return invalid("a logout token must not carry a nonce");
    }
    if claims.sid.is_none() && claims.sub.is_none() {
        return invalid("the logout token names neither a session nor a subject");
    }
    if claims.iat > jsonwebtoken::get_current_timestamp() + CLOCK_SKEW_SECS {
        return invalid("the logout token was issued in the future");
    }
    if !db::logout_tokens::first_use(&state.db, &claims.iss, &claims.jti, claims.exp).await? {
        return invalid("the logout token was already used");
    }
    Ok(db::checkout_sessions::delete_for_provider_session(
        &state.db,
        &store.id,
        &claims.iss,
        claims.sid.as_deref(),
        claims.sub.as_deref(),
    )
    .await?)
}

/// The `iss` of a token before its signature is checked: only to choose whose keys check it.
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<Unverified>(&bytes).ok()?.iss
}

const UNKNOWN_KEY: &str = "the logout token is signed with a key the provider does not publish";

fn verify(
    registration: &Registration,
    provider: &Discovered,
    token: &str,
) -> Result<LogoutClaims, NoLogout> {
    let Ok(header) = decode_header(token) else {
        return invalid("the logout token's header is unreadable");
    };
    let alg = registration.id_token_alg.jwt();
    if header.alg != alg {
        return invalid("the logout token is not signed with the registered algorithm");
    }
    let keys = serde_json::to_value(provider.metadata.jwks())
        .ok()
        .and_then(|v| serde_json::from_value::<jsonwebtoken::jwk::JwkSet>(v).ok());
    let Some(keys) = keys else {
        return invalid(UNKNOWN_KEY);
    };
    let key = match header.kid.as_deref() {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    };
    let Some(key) = key.and_then(|k| DecodingKey::from_jwk(k).ok()) else {
        return invalid(UNKNOWN_KEY);
    };
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[provider.issuer()]);
    validation.set_audience(&[registration.client_id.as_str()]);
    validation.set_required_spec_claims(&["iss", "aud", "exp"]);
    validation.leeway = CLOCK_SKEW_SECS;
    match decode::<LogoutClaims>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(e) => {
            use jsonwebtoken::errors::ErrorKind;
            tracing::debug!(error = %e, "logout token");
            invalid(match e.kind() {
                ErrorKind::InvalidSignature => "the logout token's signature is invalid",
                ErrorKind::InvalidAudience => "the logout token is not for us",
                ErrorKind::InvalidIssuer => "the logout token's issuer does not match",
                ErrorKind::ExpiredSignature => "the logout token has expired",
                _ => "the logout token's claims are malformed or incomplete",
            })
        }
    }
}

// ----- RP-initiated logout ------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /{store_id}/{basket_id}/logout`
#[tracing::instrument(skip_all)]
pub(crate) async fn start(
    State(state): State<AppState>,
    path: Result<BasketPath, Unresolved>,
    csrf: CsrfToken,
    jar: CookieJar,
    axum::Form(form): axum::Form<LogoutForm>,
) -> Result<Response, WebError> {
    let (store, basket) = match path {
        Ok(path) => path.into_ids(),
        Err(Unresolved::UnknownStore) => return Err(WebError::NotFound("store")),
        Err(Unresolved::Internal(e)) => return Err(WebError::Internal(e)),
        Err(Unresolved::Undecodable | Unresolved::UnknownBasket(_)) => {
            return Err(WebError::NotFound("basket"));
        }
    };
    verify_csrf(&csrf, &form.authenticity_token)?;
    let id_token = match session_store::key(&state, &jar, &store.id, basket) {
        Some(key) => db::checkout_sessions::id_token(&state.db, &store.id, basket, &key).await?,
        None => None,
    };
    let jar = session_store::log_out(&state, jar, &store.id, basket).await?;
    let landing = post_logout_redirect_uri(&state);
    let mut next = url::Url::parse(&landing).map_err(anyhow::Error::from)?;
    if let Some(id_token) = id_token
        && let Some(end_session) = end_session_endpoint(&state, &store).await
    {
        // The store session ends too (RP-Initiated Logout §2), and the store tells every
        // client, us included, over the back channel.
        next = end_session;
        next.query_pairs_mut()
            .append_pair("id_token_hint", &id_token)
            .append_pair(
                "client_id",
                &Registration::for_store(&state.config.checkout, &store).client_id,
            )
            .append_pair("post_logout_redirect_uri", &landing)
            .append_pair("state", store.id.as_str());
    } else {
        next.query_pairs_mut()
            .append_pair("state", store.id.as_str());
    }
    Ok((jar, Redirect::to(next.as_str())).into_response())
}

async fn end_session_endpoint(state: &AppState, store: &StoreConfig) -> Option<url::Url> {
    match state.store_providers.discover(&state.http, store).await {
        Ok(provider) => provider.end_session_endpoint().cloned(),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "no provider metadata for logout");
            None
        }
    }
}

/// `GET /logged-out?state={store_id}`
pub(crate) async fn logged_out(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let store = params
        .get("state")
        .and_then(|s| StoreId::parse(s).ok())
        .and_then(|id| state.config.store(&id).cloned());
    match store {
        Some(store) => NoticePage {
            chrome: Chrome::for_store(&store),
            title: "You are logged out".into(),
            message: format!(
                "You are no longer logged in at the checkout or at {}. Your basket is kept \
                 at the store.",
                store.name
            ),
            next_href: store.url("/basket"),
            next_label: format!("Back to your basket at {}", store.name),
        }
        .respond(StatusCode::OK),
        None => render(&ErrorPage::new(
            "You are logged out",
            "You are no longer logged in at the checkout.",
        )),
    }
}
