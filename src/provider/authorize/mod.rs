//! The authorization endpoint (OIDC Core §3.1.2): take the parameters from the request or
//! from the pushed request it references (RFC 9126 §4), validate in spec order, then either
//! issue a code to a logged-in customer or park the request and send them to `/login`.

pub mod checks;
mod request;

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

pub use request::AuthorizationRequest;

use self::checks::{Prompt, VerifiedRedirect};
use super::codes;
use super::error::{AuthorizeError, OAuthError};
use super::par;
use super::params::{Params, is_form_content_type};
use crate::accounts;
use crate::config::StoreConfig;
use crate::db;
use crate::state::AppState;
use crate::web::StoreTenant;

/// A parked request lives as long as a customer may reasonably take to log in.
const PENDING_LIFETIME_SECS: i64 = 10 * 60;

/// Where the parameters being validated came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The browser's query or form: anyone may have written them.
    Front,
    /// Pushed by the authenticated client over the back channel (RFC 9126).
    Pushed,
}

/// `GET /authorize` (parameters in the query).
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn get(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    jar: CookieJar,
    uri: Uri,
) -> Response {
    match Params::from_query(uri.query()) {
        Ok(params) => authorize(&state, &store, &jar, &params).await,
        Err(e) => unreadable(e.description()),
    }
}

/// `POST /authorize` (form body; OIDC Core §3.1.2.1 requires both methods).
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn post(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form_content_type(&headers) {
        return unreadable("the request must be a form (application/x-www-form-urlencoded)");
    }
    match Params::parse(&body) {
        Ok(params) => authorize(&state, &store, &jar, &params).await,
        Err(e) => unreadable(e.description()),
    }
}

/// Nothing in an unreadable request can be trusted, least of all its redirect URI.
fn unreadable(why: &str) -> Response {
    AuthorizeError::render(format!("The sign-in request could not be read: {why}.")).into_response()
}

async fn authorize(
    state: &AppState,
    store: &StoreConfig,
    jar: &CookieJar,
    params: &Params,
) -> Response {
    let result = async {
        let (params, channel) = pushed_or_front(state, store, params).await?;
        let (request, back) = validate(state, store, &params, channel).await?;
        decide(state, store, jar, request, back).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// The pushed request a `request_uri` of ours references, used once, and of the browser's
/// parameters only `client_id`, which must be the pusher's (RFC 9126 §4). Any other
/// `request_uri` is left to `no_request_objects`.
async fn pushed_or_front<'a>(
    state: &AppState,
    store: &StoreConfig,
    params: &'a Params,
) -> Result<(Cow<'a, Params>, Channel), AuthorizeError> {
    let reference = params
        .get("request_uri")
        .map_err(|_| AuthorizeError::render("The request gives its request_uri more than once."))?
        .and_then(|uri| uri.strip_prefix(par::REQUEST_URI_PREFIX));
    let Some(reference) = reference else {
        return Ok((Cow::Borrowed(params), Channel::Front));
    };
    let client_id = checks::client_id(params)?;
    match par::take(state, store, reference, client_id).await? {
        Some(pushed) => Ok((Cow::Owned(pushed), Channel::Pushed)),
        // Unknown, used, expired or another client's: nothing says where to redirect.
        None => Err(AuthorizeError::render(
            "This sign-in request has expired or was already used. Go back and try again.",
        )),
    }
}

/// The checks, in order; each is `checks/<name>.rs`. The pushed authorization request
/// endpoint runs them too, before it stores a request (RFC 9126 §2.1).
pub(super) async fn validate(
    state: &AppState,
    store: &StoreConfig,
    params: &Params,
    channel: Channel,
) -> Result<(AuthorizationRequest, VerifiedRedirect), AuthorizeError> {
    let client = checks::client_is_registered(&state.db, &store.id, params).await?; // render (RFC 6749 §4.1.2.1)
    let back = checks::redirect_uri_exact_match(&client, params, store)?; // render (RFC 9700 §2.1)
    // From here on errors go back to the client, with `state` when it is readable.
    let client_state = params
        .get("state")
        .map_err(|e| AuthorizeError::Redirect(back.clone(), e.into(), None))?
        .map(str::to_owned);
    let to_client = |e: OAuthError| AuthorizeError::Redirect(back.clone(), e, client_state.clone());
    checks::pushed_when_required(&client, channel).map_err(to_client)?; // RFC 9126 §6
    checks::parameters_are_single(params).map_err(to_client)?; // RFC 6749 §3.1
    checks::response_type_is_code(params).map_err(to_client)?; // RFC 6749 §4.1.1
    checks::no_request_objects(params).map_err(to_client)?; // OIDC Core §6.1, §6.2
    let scope = checks::openid_scope_present(params).map_err(to_client)?; // OIDC Core §3.1.2.1
    let code_challenge = checks::pkce_s256_present(params).map_err(to_client)?; // RFC 7636 §4.4.1
    let session = checks::prompt_and_max_age(params).map_err(to_client)?; // OIDC Core §3.1.2.1
    let basket_id = checks::basket_open_in_store(&state.db, &store.id, params)
        .await
        .map_err(to_client)?; // handoff step 3
    let nonce = params.get("nonce").map_err(|e| to_client(e.into()))?;
    let request = AuthorizationRequest {
        client_id: client.client_id,
        redirect_uri: back.as_str().to_owned(),
        scope,
        state: client_state,
        nonce: nonce.map(str::to_owned),
        code_challenge,
        basket_id,
        session,
    };
    Ok((request, back))
}

/// A customer logged in recently enough gets a code now; anyone else goes to `/login`,
/// unless `prompt=none` forbids showing a page (OIDC Core §3.1.2.6).
async fn decide(
    state: &AppState,
    store: &StoreConfig,
    jar: &CookieJar,
    request: AuthorizationRequest,
    back: VerifiedRedirect,
) -> Result<Response, AuthorizeError> {
    let now = db::now();
    let redirect_error = |e: anyhow::Error| {
        AuthorizeError::Redirect(back.clone(), OAuthError::Internal(e), request.state.clone())
    };
    let session = accounts::current_customer(state, &store.id, jar)
        .await
        .map_err(redirect_error)?
        .filter(|(_, session)| {
            request
                .session
                .session_is_fresh_enough(session.auth_time, now)
        });
    if let Some((customer, session)) = session {
        return codes::authorization_granted(state, store, &back, &request, customer.id, &session)
            .await;
    }
    if request.session.prompt == Some(Prompt::None) {
        return Err(AuthorizeError::Redirect(
            back,
            OAuthError::LoginRequired,
            request.state,
        ));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let json =
        serde_json::to_string(&request).map_err(|e| redirect_error(anyhow::Error::new(e)))?;
    db::auth_requests::insert(
        &state.db,
        &store.id,
        &id,
        &json,
        now + PENDING_LIFETIME_SECS,
    )
    .await
    .map_err(redirect_error)?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/login?request={id}"))],
    )
        .into_response())
}
