//! The token endpoint (RFC 6749 §4.1.3, OIDC Core §3.1.3): authenticate the client,
//! consume the code once, check it against the request, then issue the tokens.

pub mod checks;
mod id_token;

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::client_jwks::ClientJwksCache;
use super::error::{OAuthError, no_store};
use crate::config::StoreConfig;
use crate::db::{
    self,
    codes::{CodeGrant, NewAccessToken},
};
use crate::provider::clients::Client;
use crate::secrets::OpaqueSecret;
use crate::state::AppState;
use crate::web::StoreTenant;

/// Long enough to call userinfo once; there are no refresh tokens.
pub const ACCESS_TOKEN_LIFETIME_SECS: i64 = 10 * 60;

// The token lives on its code's row, which retention must keep for as long.
const _: () = assert!(ACCESS_TOKEN_LIFETIME_SECS < db::retention::CODE_RETENTION_SECS);

/// What the checks need from the request's surroundings.
pub struct TokenContext<'a> {
    pub state: &'a AppState,
    pub store: &'a StoreConfig,
    pub jwks: &'a ClientJwksCache,
}

/// `POST /token`
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn token(
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
    let result = exchange(&cx, &headers, &body).await;
    OAuthError::count("token_requests_total", &store.id, &result, "issued");
    result
}

/// The ordered checks of a token request, then the tokens.
async fn exchange(
    cx: &TokenContext<'_>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = checks::form_is_well_formed(headers, body)?; // RFC 6749 §3.2, §4.1.3
    let client = checks::client_authenticated(cx, headers, &params).await?; // §2.3, RFC 7523
    checks::grant_type_is_authorization_code(&params)?; // §4.1.3
    let now = db::now();
    let access_token = OpaqueSecret::generate();
    let stored = NewAccessToken {
        token_hash: &access_token.hash(),
        expires_at: now + ACCESS_TOKEN_LIFETIME_SECS,
    };
    // §4.1.2, §10.5; the grant's checks run while the code is being consumed, and the
    // access token is stored only if they pass.
    let grant = checks::code_consumed_once(cx, &client, &params, &stored, |grant| {
        checks::redirect_uri_identical(grant, &params)?; // §4.1.3
        checks::pkce_verifier_matches(grant, &params) // RFC 7636 §4.6
    })
    .await?;
    issue_tokens(cx, &client, &grant, access_token, now)
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    id_token: String,
    scope: String,
}

/// The access token (already stored, as a hash tied to the code) and a signed ID token
/// (OIDC Core §3.1.3.3), never cached (RFC 6749 §5.1).
fn issue_tokens(
    cx: &TokenContext<'_>,
    client: &Client,
    grant: &CodeGrant,
    access_token: OpaqueSecret,
    now: i64,
) -> Result<Response, OAuthError> {
    let claims = id_token::IdTokenClaims::new(cx.store, client, grant, &access_token, now);
    let keys = cx.state.keys.for_store(&cx.store.id)?;
    let id_token = keys.sign(client.id_token_alg, "JWT", &claims)?;
    tracing::info!(client = %client.client_id, "tokens issued");
    let mut response = Json(TokenResponse {
        access_token: access_token.secret().to_owned(),
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_LIFETIME_SECS,
        id_token,
        scope: grant.scope.clone(),
    })
    .into_response();
    no_store(&mut response);
    Ok(response)
}
