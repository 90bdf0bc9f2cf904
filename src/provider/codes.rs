//! Issuing authorization codes: 256 random bits, only the hash stored, bound to everything
//! the token endpoint will check (handoff step 5).

use axum::response::Response;

use super::authorize::AuthorizationRequest;
use super::authorize::checks::{self, VerifiedRedirect};
use super::error::{AuthorizeError, OAuthError};
use crate::config::StoreConfig;
use crate::db::{self, codes::CodeGrant, sessions::StoreSession};
use crate::domain::CustomerId;
use crate::secrets::OpaqueSecret;
use crate::state::AppState;

/// Completes an authorization for a customer who has just proved who they are: the
/// basket binding is re-checked for them, a code is issued, and the browser goes back.
pub async fn authorization_granted(
    state: &AppState,
    store: &StoreConfig,
    back: &VerifiedRedirect,
    request: &AuthorizationRequest,
    customer: CustomerId,
    session: &StoreSession,
) -> Result<Response, AuthorizeError> {
    let to_client =
        |e: OAuthError| AuthorizeError::Redirect(back.clone(), e, request.state.clone());
    checks::basket_belongs_to_customer(&state.db, &store.id, request.basket_id, customer)
        .await
        .map_err(to_client)?;
    let code = issue(state, store, request, customer, session)
        .await
        .map_err(|e| to_client(OAuthError::Internal(e)))?;
    tracing::info!(client = %request.client_id, "authorization code issued");
    metrics::counter!("authorization_codes_issued_total", "store" => store.id.to_string())
        .increment(1);
    Ok(back.with_code(code.secret(), request.state.as_deref()))
}

async fn issue(
    state: &AppState,
    store: &StoreConfig,
    request: &AuthorizationRequest,
    customer: CustomerId,
    session: &StoreSession,
) -> anyhow::Result<OpaqueSecret> {
    let code = OpaqueSecret::generate();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        customer_id: customer,
        basket_id: request.basket_id,
        code_challenge: request.code_challenge.clone(),
        nonce: request.nonce.clone(),
        scope: request.scope.clone(),
        auth_time: session.auth_time,
        sid: Some(session.sid.clone()),
    };
    let expires_at = db::now() + state.config.code_ttl_secs;
    db::codes::insert(&state.db, &store.id, &code.hash(), &grant, expires_at).await?;
    Ok(code)
}
