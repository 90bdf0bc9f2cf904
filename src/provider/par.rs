//! The pushed authorization request endpoint (RFC 9126): a client authenticates as at the
//! token endpoint, its authorization request is validated as /authorize would, and it is
//! stored for one use within a minute under a random `request_uri`. The browser then carries
//! only `client_id` and that reference, so nothing of the request can be read or changed on
//! the way.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::authorize::{self, Channel};
use super::client_jwks::ClientJwksCache;
use super::error::{AuthorizeError, OAuthError, no_store};
use super::params::{Params, is_form_content_type};
use super::token::{self, TokenContext};
use crate::config::StoreConfig;
use crate::db;
use crate::secrets::{OpaqueSecret, SecretHash};
use crate::state::AppState;
use crate::web::StoreTenant;

/// RFC 9126 §2.2: the `request_uri` is this URN and a random part.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Long enough to send the browser on (RFC 9126 §2.2 suggests 5 to 600 s), short enough
/// that a leaked reference is soon useless.
pub const LIFETIME_SECS: i64 = 60;

/// How the client authenticates here: never part of the stored request.
const CLIENT_AUTHENTICATION: [&str; 4] = [
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

#[derive(Serialize)]
struct Created {
    request_uri: String,
    expires_in: i64,
}

/// `POST /par`
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn push(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    Extension(jwks): Extension<Arc<ClientJwksCache>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, OAuthError> {
    let cx = TokenContext {
        state: &state,
        store: &store,
        jwks: &jwks,
    };
    let result = store_pushed(&cx, &headers, &body).await;
    OAuthError::count(
        "pushed_authorization_requests_total",
        &store.id,
        &result,
        "created",
    );
    result
}

/// Authenticates the client, validates its request and stores it.
async fn store_pushed(
    cx: &TokenContext<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let (state, store) = (cx.state, cx.store);
    if !is_form_content_type(headers) {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body)?;
    let client = token::checks::client_authenticated(cx, headers, &params).await?; // §2
    if params.get("request_uri")?.is_some() {
        return Err(OAuthError::InvalidRequest("request_uri cannot be pushed")); // §2.1
    }
    // The request is the authenticated client's whatever `client_id` the body claimed
    // (client_authenticated refuses one that differs).
    let pushed = params
        .without(&CLIENT_AUTHENTICATION)
        .with("client_id", &client.client_id);
    authorize::validate(state, store, &pushed, Channel::Pushed)
        .await
        .map_err(as_json_error)?; // §2.1
    let reference = OpaqueSecret::generate();
    db::pushed_requests::insert(
        &state.db,
        &store.id,
        &reference.hash(),
        &client.client_id,
        &pushed.encode(),
        LIFETIME_SECS,
    )
    .await?;
    tracing::info!(client = %client.client_id, "authorization request pushed");
    let mut response = (
        StatusCode::CREATED,
        Json(Created {
            request_uri: format!("{REQUEST_URI_PREFIX}{}", reference.secret()),
            expires_in: LIFETIME_SECS,
        }),
    )
        .into_response();
    no_store(&mut response);
    Ok(response)
}

/// /authorize's refusals as this endpoint's JSON errors (RFC 9126 §2.3).
fn as_json_error(error: AuthorizeError) -> OAuthError {
    match error {
        AuthorizeError::Redirect(_, error, _) => error,
        // The client is the authenticated one, so only its redirect URI can be refused.
        AuthorizeError::Render(_) => OAuthError::InvalidRequest(
            "redirect_uri is missing, repeated or not registered for the client",
        ),
        AuthorizeError::Failed(error) => OAuthError::Internal(error),
    }
}

/// Uses the pushed request `reference` (the `request_uri` after its prefix) names, if it
/// is live and `client_id` pushed it. It is spent whatever the outcome.
pub(super) async fn take(
    state: &AppState,
    store: &StoreConfig,
    reference: &str,
    client_id: &str,
) -> Result<Option<Params>, AuthorizeError> {
    let Some(pushed) =
        db::pushed_requests::take(&state.db, &store.id, &SecretHash::of(reference)).await?
    else {
        return Ok(None);
    };
    if pushed.client_id != client_id || pushed.expires_at <= db::now() {
        tracing::info!(client = %client_id, "pushed request refused: another client's or expired");
        return Ok(None);
    }
    Params::parse(pushed.params.as_bytes())
        .map(Some)
        .map_err(|e| AuthorizeError::Failed(anyhow::anyhow!("stored pushed request: {e}")))
}
