//! "Log in with {store}" (handoff step 2): a login transaction bound to this browser,
//! then a 303 to the store's authorization endpoint, with the request pushed first to a
//! provider that takes pushed requests (RFC 9126).

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::cookie::CookieJar;
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{CsrfToken as State_, Nonce, PkceCodeChallenge, Scope};
use serde::Deserialize;

use super::client::{Registration, redirect_uri};
use super::pages::{LoginPage, Refusal};
use super::par;
use crate::checkout::BoundBasket;
use crate::checkout::page::login_form_csp;
use crate::config::StoreConfig;
use crate::db;
use crate::domain::{BasketId, BasketStatus};
use crate::secrets::{OpaqueSecret, SecretHash};
use crate::state::AppState;
use crate::web::{CookieName, WebError, render};

/// The cookie that binds a login transaction to the browser that started it (defeats
/// login CSRF).
pub(crate) fn browser_cookie(state: &AppState) -> CookieName {
    CookieName::new("checkout_login", state.config.secure_cookies())
}

/// The purpose the login binding values are signed for.
const LOGIN_BINDING: &str = "checkout login binding";

/// Long enough to type a password, short enough that a stale tab's login is refused.
const TRANSACTION_LIFETIME_SECS: i64 = 10 * 60;

/// The scopes of handoff step 2 plus `phone`; `openid` is added by the client.
pub(crate) const SCOPES: [&str; 4] = ["email", "profile", "address", "phone"];

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    authenticity_token: String,
}

/// A login is for an open basket only; `Some` is the page to answer instead.
fn not_open(bound: &BoundBasket) -> Option<Response> {
    (bound.target.basket.status != BasketStatus::Open)
        .then(|| WebError::NotFound("basket").into_response())
}

fn login_page(
    state: &AppState,
    store: &StoreConfig,
    basket: BasketId,
    csrf: CsrfToken,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let token = match csrf.authenticity_token() {
        Ok(token) => token,
        Err(e) => return WebError::Internal(anyhow::anyhow!("CSRF token: {e:?}")).into_response(),
    };
    let page = LoginPage {
        store_id: store.id.to_string(),
        store_name: store.name.clone(),
        lang: crate::i18n::Lang(store.locale),
        action: format!("/{}/{basket}/login", store.id),
        authenticity_token: token,
        back_href: format!("/{}/{basket}", store.id),
        notice,
    };
    (
        status,
        csrf,
        [(
            header::CONTENT_SECURITY_POLICY,
            login_form_csp(state, store),
        )],
        render(&page),
    )
        .into_response()
}

/// `GET /{store_id}/{basket_id}/login`: the login button on a page of its own.
pub(crate) async fn show(
    State(state): State<AppState>,
    bound: BoundBasket,
    csrf: CsrfToken,
) -> Response {
    if let Some(refusal) = not_open(&bound) {
        return refusal;
    }
    let (store, basket) = (&bound.target.store, bound.target.basket.id);
    login_page(&state, store, basket, csrf, StatusCode::OK, None)
}

/// `POST /{store_id}/{basket_id}/login`.
#[tracing::instrument(skip_all, fields(store = %bound.target.store.id, basket = %crate::telemetry::ShortIds(&bound.target.basket.id)))]
pub(crate) async fn start(
    State(state): State<AppState>,
    bound: BoundBasket,
    csrf: CsrfToken,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    if let Some(refusal) = not_open(&bound) {
        return refusal;
    }
    let (store, basket) = (&bound.target.store, bound.target.basket.id);
    let token = form.map(|f| f.0.authenticity_token).unwrap_or_default();
    if csrf.verify(&token).is_err() {
        // An expired or missing form token: say so and offer a fresh button, not a dead end.
        let notice = "That page had expired. Press the button again to log in.".to_owned();
        return login_page(
            &state,
            store,
            basket,
            csrf,
            StatusCode::FORBIDDEN,
            Some(notice),
        );
    }
    match begin(&state, store, basket, bound.session_key(), jar).await {
        Ok((jar, location)) => (csrf, jar, Redirect::to(&location)).into_response(),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "could not start a login");
            Refusal::new(
                StatusCode::BAD_GATEWAY,
                "provider_unreachable",
                format!("{} cannot log you in right now", store.name),
                format!(
                    "We could not reach {}'s login service. Try again in a moment, or continue as a guest.",
                    store.name
                ),
            )
            .back_to(store.id.as_str(), &store.name, &basket.to_string())
            .into_response()
        }
    }
}

/// Creates the transaction and returns the cookie jar to send and the authorization URL.
async fn begin(
    state: &AppState,
    store: &StoreConfig,
    basket: BasketId,
    session_key: &SecretHash,
    jar: CookieJar,
) -> anyhow::Result<(CookieJar, String)> {
    let registration = Registration::for_store(&state.config.checkout, store);
    let provider = state.store_providers.discover(&state.http, store).await?;
    let redirect_uri = redirect_uri(state);
    let client = registration.client(&provider, &redirect_uri)?;

    let state_secret = OpaqueSecret::generate();
    let nonce = OpaqueSecret::generate();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let basket_bound = provider.basket_binding();

    // One binding value per browser, reused so that logins in two tabs both complete; but
    // only a value this deployment issued: one planted by someone else is replaced.
    let browser = browser_cookie(state)
        .value(&jar)
        .filter(|v| state.signed.verify(LOGIN_BINDING, &[], v))
        .map(str::to_owned)
        .unwrap_or_else(|| state.signed.issue(LOGIN_BINDING, &[]));

    // The basket's session in this browser hands its draft to the logged-in one.
    let previous_session_hash = Some(session_key.clone());

    let state_value = state_secret.secret().to_owned();
    let nonce_value = nonce.secret().to_owned();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || State_::new(state_value),
            move || Nonce::new(nonce_value),
        )
        // A strict provider refuses a scope it does not support.
        .add_scopes(
            provider
                .supported_scopes(&SCOPES)
                .into_iter()
                .map(|s| Scope::new(s.to_owned())),
        )
        .set_pkce_challenge(challenge);
    if basket_bound {
        // Only a provider that advertises the binding gets (and must honour) the parameter.
        request = request.add_extra_param("basket_id", basket.to_string());
    }
    let (mut url, _, _) = request.url();
    if let Some(endpoint) = provider.pushed_authorization_request_endpoint() {
        url = par::push(state, &registration, &provider, endpoint, &url).await?;
    }

    db::login_transactions::create(
        &state.db,
        &store.id,
        &db::login_transactions::NewLoginTransaction {
            state_hash: state_secret.hash(),
            browser_hash: SecretHash::of(&browser),
            basket,
            nonce_hash: nonce.hash(),
            pkce_verifier: verifier.secret(),
            issuer: provider.issuer(),
            redirect_uri: &redirect_uri,
            basket_bound,
            previous_session_hash,
            lifetime_secs: TRANSACTION_LIFETIME_SECS,
        },
    )
    .await?;

    let cookie = browser_cookie(state).with_value(browser);
    Ok((jar.add(cookie), url.to_string()))
}
