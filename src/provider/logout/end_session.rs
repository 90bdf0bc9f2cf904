//! The `end_session_endpoint` (OpenID Connect RP-Initiated Logout 1.0 §2–3), GET and POST.
//!
//! A valid `id_token_hint` for the customer logged in here (or for nobody logged in) ends
//! the store session at once; anything else asks the shopper to confirm on a CSRF-protected
//! page, so a link alone cannot log anyone out of someone else's account. The
//! `post_logout_redirect_uri` must be one the client registered, byte for byte (§3);
//! otherwise the page says so and redirects nowhere. Ending the session announces it to
//! the store's clients (Back-Channel Logout, `backchannel::announce`).

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;

use super::id_token_hint::{self, Hint};
use crate::accounts;
use crate::config::StoreConfig;
use crate::provider::clients;
use crate::provider::params::{Params, is_form_content_type};
use crate::state::AppState;
use crate::web::forms::verify_csrf;
use crate::web::headers::csp_with_form_targets;
use crate::web::{ErrorPage, StoreTenant, WebError, render};

/// `GET /end-session` (parameters in the query).
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn get(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    csrf: CsrfToken,
    jar: CookieJar,
    uri: Uri,
) -> Response {
    match Params::from_query(uri.query()) {
        Ok(params) => end_session(&state, &store, csrf, jar, &params).await,
        Err(e) => unreadable(e.description()),
    }
}

/// `POST /end-session` (form body; §2 allows both methods).
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn post(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    csrf: CsrfToken,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match form_params(&headers, &body) {
        Ok(params) => end_session(&state, &store, csrf, jar, &params).await,
        Err(why) => unreadable(why),
    }
}

/// `POST /end-session/confirm`: the shopper pressed "Log out" on the confirmation page.
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn confirm(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    csrf: CsrfToken,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match form_params(&headers, &body) {
        Ok(params) => params,
        Err(why) => return unreadable(why),
    };
    let token = params
        .get("authenticity_token")
        .ok()
        .flatten()
        .unwrap_or_default();
    if let Err(e) = verify_csrf(&csrf, token) {
        return e.into_response();
    }
    match LogoutRequest::read(&state, &store, &params).await {
        Ok(request) => log_out(&state, &store, jar, &request).await,
        Err(refused) => refused.into_response(),
    }
}

/// Why a logout request is answered with a page instead of a redirect.
enum Refused {
    Page(String),
    Internal(anyhow::Error),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Page(message) => refusal(&message),
            Refused::Internal(e) => WebError::Internal(e).into_response(),
        }
    }
}

/// A logout request whose client and return address have been checked.
struct LogoutRequest {
    hint: Option<Hint>,
    client_id: Option<String>,
    /// Registered by the client, exactly.
    back: Option<String>,
    state: Option<String>,
}

impl LogoutRequest {
    async fn read(state: &AppState, store: &StoreConfig, params: &Params) -> Result<Self, Refused> {
        let field = |name| {
            params.get(name).map(|v| v.map(str::to_owned)).map_err(|e| {
                Refused::Page(format!(
                    "The logout request could not be read: {}.",
                    e.description()
                ))
            })
        };
        let hint =
            field("id_token_hint")?.and_then(|raw| id_token_hint::verify(state, store, &raw));
        let client_id = field("client_id")?;
        let back = field("post_logout_redirect_uri")?;
        let client_state = field("state")?;
        // §2: a client_id must be an audience of the hint; without it the hint names the client.
        let client_id = match (client_id, &hint) {
            (Some(id), Some(hint)) if !hint.audiences.contains(&id) => {
                return Err(Refused::Page(
                    "The logout request names an application its sign-in was not for.".into(),
                ));
            }
            (Some(id), _) => Some(id),
            (None, Some(hint)) if hint.audiences.len() == 1 => Some(hint.audiences[0].clone()),
            (None, _) => None,
        };
        let back = match back {
            None => None,
            Some(uri) => {
                let Some(id) = client_id.as_deref() else {
                    return Err(Refused::Page(
                        "The logout request does not say which application it comes from, \
                         so we cannot send you back to it."
                            .into(),
                    ));
                };
                let client = clients::find(&state.db, &store.id, id)
                    .await
                    .map_err(Refused::Internal)?;
                match client {
                    Some(c) if c.post_logout_redirect_uris.contains(&uri) => Some(uri),
                    _ => {
                        return Err(Refused::Page(format!(
                            "The logout request asks us to send you on to {uri}, which that \
                             application has not registered with {}.",
                            store.name
                        )));
                    }
                }
            }
        };
        Ok(Self {
            hint,
            client_id,
            back,
            state: client_state,
        })
    }
}

async fn end_session(
    state: &AppState,
    store: &StoreConfig,
    csrf: CsrfToken,
    jar: CookieJar,
    params: &Params,
) -> Response {
    let request = match LogoutRequest::read(state, store, params).await {
        Ok(request) => request,
        Err(refused) => return refused.into_response(),
    };
    let current = match accounts::current_customer(state, &store.id, &jar).await {
        Ok(current) => current,
        Err(e) => return WebError::Internal(e).into_response(),
    };
    // §2: the hint says whom the client means; only that customer is logged out unasked.
    let hinted = match (&request.hint, &current) {
        (Some(_), None) => true,
        (Some(hint), Some((customer, _))) => hint.sub == customer.id.to_string(),
        (None, _) => false,
    };
    if hinted {
        log_out(state, store, jar, &request).await
    } else {
        confirmation_page(store, csrf, &request)
    }
}

async fn log_out(
    state: &AppState,
    store: &StoreConfig,
    jar: CookieJar,
    request: &LogoutRequest,
) -> Response {
    let jar = match super::log_out(state, &store.id, jar).await {
        Ok(jar) => jar,
        Err(e) => return WebError::Internal(e).into_response(),
    };
    let page = match &request.back {
        Some(back) => {
            let mut url = match url::Url::parse(back) {
                Ok(url) => url,
                Err(_) => return refusal("The registered return address is not a URL."),
            };
            if let Some(client_state) = &request.state {
                url.query_pairs_mut().append_pair("state", client_state);
            }
            (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
        }
        None => render(
            &ErrorPage::new(
                "You are logged out",
                format!("You are no longer logged in at {}.", store.name),
            )
            .next("/", format!("Back to {}", store.name)),
        ),
    };
    (jar, page).into_response()
}

#[derive(Template)]
#[template(path = "provider/logout.html")]
struct ConfirmPage {
    store_name: String,
    lang: crate::i18n::Lang,
    csrf_token: String,
    client_id: String,
    post_logout_redirect_uri: String,
    state: String,
}

fn confirmation_page(store: &StoreConfig, csrf: CsrfToken, request: &LogoutRequest) -> Response {
    let csrf_token = match csrf.authenticity_token() {
        Ok(token) => token,
        Err(e) => return WebError::Internal(anyhow::anyhow!("CSRF token: {e:?}")).into_response(),
    };
    let page = ConfirmPage {
        store_name: store.name.clone(),
        lang: crate::i18n::Lang(store.locale),
        csrf_token,
        client_id: request.client_id.clone().unwrap_or_default(),
        post_logout_redirect_uri: request.back.clone().unwrap_or_default(),
        state: request.state.clone().unwrap_or_default(),
    };
    // The confirmation ends in a redirect to the client; browsers check form-action there.
    let targets: Vec<String> = request
        .back
        .as_deref()
        .and_then(|b| url::Url::parse(b).ok())
        .map(|u| u.origin().ascii_serialization())
        .into_iter()
        .collect();
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            csp_with_form_targets(&targets),
        )],
        csrf,
        render(&page),
    )
        .into_response()
}

/// Shown, never redirected: a bad request's addresses cannot be trusted.
fn refusal(message: &str) -> Response {
    ErrorPage::new("This logout request cannot be completed", message)
        .next("/", "Go to the shop")
        .into_response_with(StatusCode::BAD_REQUEST)
}

/// The parameters of a form POST, or why they cannot be read.
fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, &'static str> {
    if !is_form_content_type(headers) {
        return Err("the request must be a form (application/x-www-form-urlencoded)");
    }
    Params::parse(body).map_err(|e| e.description())
}

fn unreadable(why: &str) -> Response {
    refusal(&format!("The logout request could not be read: {why}."))
}
