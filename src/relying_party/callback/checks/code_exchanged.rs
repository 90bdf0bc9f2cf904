// The back-channel token request (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.5) and client
// authentication (`client_secret_basic` or `private_key_jwt`, OIDC Core §9), at the token
// endpoint of the issuer the shopper was sent to: the store's provider as discovered now
// must still be that issuer.

use std::sync::Arc;

use openidconnect::{AuthorizationCode, PkceCodeVerifier};

use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;
use crate::relying_party::client::{Registration, RpClient, TokenResponse};
use crate::state::AppState;
use crate::store_providers::Discovered;

/// A redeemed code: the provider that redeemed it, and what it answered.
pub struct Exchanged {
    pub provider: Arc<Discovered>,
    pub client: RpClient,
    pub code: AuthorizationCode,
    pub tokens: TokenResponse,
}

pub async fn code_exchanged(
    state: &AppState,
    registration: &Registration,
    login: &Login,
) -> Result<Exchanged, CallbackError> {
    let code = login
        .answer
        .code
        .clone()
        .map(AuthorizationCode::new)
        .ok_or(CallbackError::MissingCode)?;
    redeem(state, registration, login, code)
        .await
        .map_err(CallbackError::VerificationFailed)
}

async fn redeem(
    state: &AppState,
    registration: &Registration,
    login: &Login,
    code: AuthorizationCode,
) -> anyhow::Result<Exchanged> {
    let provider = state
        .store_providers
        .discover(&state.http, &login.store)
        .await?;
    anyhow::ensure!(
        provider.issuer() == login.tx.issuer,
        "the store's issuer changed during the login"
    );
    let client = registration.client(&provider, &login.tx.redirect_uri)?;
    let mut request = client
        .exchange_code(code.clone())
        .set_pkce_verifier(PkceCodeVerifier::new(login.tx.pkce_verifier.clone()));
    for (name, value) in
        registration.assertion_params(&state.checkout_keys, client.token_uri().as_str())?
    {
        request = request.add_extra_param(name, value);
    }
    // The error's Display never includes the response body (which may hold tokens).
    let tokens = request
        .request_async(&state.http)
        .await
        .map_err(|e| anyhow::anyhow!("token request failed: {e}"))?;
    Ok(Exchanged {
        provider,
        client,
        code,
        tokens,
    })
}
