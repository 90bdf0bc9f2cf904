// The answer counts only in the browser that started the login (login CSRF, RFC 6749
// §10.12, OIDC Core §3.1.2.1 `state`), and only once: the transaction is found by `state`
// *and* the browser's binding cookie, and deleted before anything else looks at it
// (handoff step 6).

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum_extra::extract::cookie::CookieJar;

use crate::db;
use crate::relying_party::callback::error::CallbackError;
use crate::relying_party::callback::{CallbackParams, Login};
use crate::relying_party::login::browser_cookie;
use crate::secrets::SecretHash;
use crate::state::AppState;

pub async fn transaction_consumed(
    state: &AppState,
    jar: &CookieJar,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Result<Login, CallbackError> {
    let Ok(Query(answer)) = params else {
        return Err(CallbackError::MalformedResponse);
    };
    let browser = browser_cookie(state)
        .value(jar)
        .ok_or(CallbackError::NoTransactionCookie)?;
    let state_param = answer.state.as_deref().ok_or(CallbackError::MissingState)?;
    let tx = db::login_transactions::consume(
        &state.db,
        &SecretHash::of(state_param),
        &SecretHash::of(browser),
    )
    .await
    .map_err(CallbackError::Internal)?
    .ok_or(CallbackError::UnknownTransaction)?;
    let store = state
        .config
        .store(&tx.store_id)
        .cloned()
        .ok_or(CallbackError::StoreGone)?;
    Ok(Login { tx, store, answer })
}
