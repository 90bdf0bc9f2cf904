//! `GET /callback` (handoff steps 6 to 9): the shopper comes back from the store with a
//! one-time code. Every check in `checks/` must pass, in order, before an identity is
//! attached; each failure is a [`CallbackError`], shown as a readable refusal with the way
//! back to the checkout.

mod checks;
mod error;
mod identity;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use self::checks::VerifiedIdToken;
use self::error::CallbackError;
use super::client::Registration;
use crate::checkout::session_store;
use crate::config::StoreConfig;
use crate::db::login_transactions::LoginTransaction;
use crate::domain::VerifiedIdentity;
use crate::state::AppState;

/// The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207).
#[derive(Deserialize, Default)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The login this callback completes: its transaction (already deleted, so used once), the
/// store it was for, and the provider's answer.
struct Login {
    tx: LoginTransaction,
    store: StoreConfig,
    answer: CallbackParams,
}

#[tracing::instrument(skip_all)]
pub(crate) async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    let login = match checks::transaction_consumed(&state, &jar, params).await {
        Ok(login) => login,
        Err(refused) => return refused.into_page(None),
    };
    match complete(&state, jar, &login).await {
        Ok(signed_in) => signed_in,
        Err(refused) => refused.into_page(Some(&login)),
    }
}

/// The checks in order, each in `checks/<name>.rs`; then the shopper is signed in.
async fn complete(
    state: &AppState,
    jar: CookieJar,
    login: &Login,
) -> Result<Response, CallbackError> {
    checks::transaction_unexpired(login)?; // handoff step 6
    checks::not_an_error_response(login)?; // RFC 6749 §4.1.2.1
    checks::issuer_matches(login)?; // RFC 9207 §2.4
    let registration = Registration::for_store(&state.config.checkout, &login.store);
    let exchanged = checks::code_exchanged(state, &registration, login).await?; // RFC 6749 §4.1.3
    let id_token = checks::id_token_valid(state, &registration, login, &exchanged).await?; // OIDC Core §3.1.3.7
    let userinfo = checks::userinfo_subject_matches(state, &exchanged, &id_token).await?; // OIDC Core §5.3.2
    checks::basket_bound(login, &id_token)?; // handoff step 5
    let identity = identity::verified(&registration, login, &id_token, &userinfo)?;
    sign_in(state, jar, login, &identity, &id_token).await
}

/// Step 9: a new checkout session holds the identity, and the shopper goes back to the
/// clean checkout URL (no code, token or session id in it).
async fn sign_in(
    state: &AppState,
    jar: CookieJar,
    login: &Login,
    identity: &VerifiedIdentity,
    id_token: &VerifiedIdToken,
) -> Result<Response, CallbackError> {
    let (store, basket) = (&login.store.id, login.tx.basket_id);
    // The basket is not claimed here: our provider hands a guest basket to the customer
    // when it redeems the basket-bound code at /token, before this point.
    let cookie = session_store::start_verified(
        state,
        store,
        basket,
        identity,
        &id_token.provider_session(),
        login.tx.previous_session_hash.as_ref(),
    )
    .await
    .map_err(CallbackError::Internal)?;
    let checkout = state
        .config
        .checkout
        .base_url
        .as_str()
        .trim_end_matches('/');
    let location = format!("{checkout}/{store}/{basket}");
    Ok((jar.add(cookie), Redirect::to(&location)).into_response())
}

/// A consumed, unexpired login for the store `site3`, answered with `answer`.
#[cfg(test)]
fn test_login(answer: CallbackParams) -> Login {
    use crate::domain::{BasketId, Currency, StoreId};
    let store = StoreConfig {
        id: StoreId::parse("site3").unwrap(),
        name: "Site Three".to_owned(),
        host: "site3.test".to_owned(),
        base_url: "https://site3.test".parse().unwrap(),
        accent_color: "#123456".to_owned(),
        currency: Currency::parse("EUR").unwrap(),
        locale: Default::default(),
        country: crate::domain::Locale::default().country(),
        login: Default::default(),
        checkout: Default::default(),
        webhook: None,
    };
    let tx = LoginTransaction {
        store_id: store.id.clone(),
        basket_id: BasketId::new_random(),
        nonce_hash: crate::secrets::OpaqueSecret::generate().hash(),
        pkce_verifier: String::new(),
        issuer: "https://site3.test".to_owned(),
        redirect_uri: "https://checkout.test/callback".to_owned(),
        basket_bound: true,
        previous_session_hash: None,
        expires_at: crate::db::now() + 600,
    };
    Login { tx, store, answer }
}
