//! `/login`: the store's own login page for a parked authorization request. CSRF-protected,
//! rate-limited (through `accounts::authenticate`), 303 back to the client on success.

mod page;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;

use self::page::LoginPage;
use super::authorize::AuthorizationRequest;
use super::authorize::checks::{VerifiedRedirect, registered_redirect};
use super::clients;
use super::codes;
use super::params::{ParamError, Params, is_form_content_type};
use crate::accounts::{self, LoginError};
use crate::config::StoreConfig;
use crate::db;
use crate::state::AppState;
use crate::web::headers::csp_with_form_targets;
use crate::web::{ClientAddress, ErrorPage, StoreTenant, WebError, busy_page, render};

/// `GET /login?request={id}`
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn show(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    csrf: CsrfToken,
    uri: Uri,
) -> Response {
    let id = match Params::from_query(uri.query())
        .and_then(|p| p.get("request").map(|r| r.map(str::to_owned)))
    {
        Ok(Some(id)) => id,
        Ok(None) | Err(_) => return expired(),
    };
    let pending = match pending(&state, &store, &id).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(e) => return WebError::Internal(e).into_response(),
    };
    let email = pending
        .request
        .session
        .login_hint
        .clone()
        .unwrap_or_default();
    login_page(
        &store,
        &pending,
        &id,
        csrf,
        email,
        None,
        None,
        StatusCode::OK,
    )
}

/// `POST /login` (fields `request`, `email`, `password`, `authenticity_token`).
#[tracing::instrument(skip_all, fields(store = %store.id))]
pub async fn submit(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
    ClientAddress(client): ClientAddress,
    csrf: CsrfToken,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match read_form(&headers, &body, &csrf) {
        Ok(form) => form,
        Err(refusal) => return refusal.into_response(),
    };
    let pending = match pending(&state, &store, &form.request).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return expired(),
        Err(e) => return WebError::Internal(e).into_response(),
    };
    let customer = match accounts::authenticate(
        &state,
        &store.id,
        &form.email,
        form.password,
        &client.to_string(),
        &jar,
    )
    .await
    {
        Ok(customer) => customer,
        Err(error) => return refused(error, &store, &pending, &form.request, form.email, csrf),
    };
    // Single use: of two concurrent submissions only one continues.
    let request =
        match db::auth_requests::take(&state.db, &store.id, &form.request, db::now()).await {
            Ok(Some(_)) => pending.request,
            Ok(None) => return expired(),
            Err(e) => return WebError::Internal(e).into_response(),
        };
    let (jar, session) = match accounts::start_session(&state, &store.id, &customer, jar).await {
        Ok(started) => started,
        Err(e) => return WebError::Internal(e).into_response(),
    };
    let response = codes::authorization_granted(
        &state,
        &store,
        &pending.back,
        &request,
        customer.id,
        &session,
    )
    .await
    .unwrap_or_else(IntoResponse::into_response);
    (jar, response).into_response()
}

/// The form, sent as a form and carrying the token this page issued.
fn read_form(headers: &HeaderMap, body: &[u8], csrf: &CsrfToken) -> Result<LoginForm, FormRefusal> {
    if !is_form_content_type(headers) {
        return Err(FormRefusal::NotAForm);
    }
    let form = LoginForm::parse(body).map_err(FormRefusal::Unreadable)?;
    // Login CSRF: without this an attacker could log a shopper into the attacker's account.
    let token_ok = form
        .authenticity_token
        .as_deref()
        .is_some_and(|t| csrf.verify(t).is_ok());
    if !token_ok {
        return Err(FormRefusal::Expired {
            request: form.request,
        });
    }
    Ok(form)
}

enum FormRefusal {
    NotAForm,
    Unreadable(ParamError),
    /// No token, or not one this page issued.
    Expired {
        request: String,
    },
}

impl IntoResponse for FormRefusal {
    fn into_response(self) -> Response {
        match self {
            Self::NotAForm => WebError::BadRequest("The login form was not sent as a form.".into())
                .into_response(),
            Self::Unreadable(e) => {
                WebError::BadRequest(format!("The login form could not be read: {e}."))
                    .into_response()
            }
            Self::Expired { request } => ErrorPage::new(
                "Your sign-in form expired",
                "For your safety we only accept sign-in forms that this page just showed you. \
                 Open the sign-in page again and retry.",
            )
            .next(back_to_login(&request), "Back to sign in")
            .into_response_with(StatusCode::FORBIDDEN),
        }
    }
}

/// The answer to a login `accounts::authenticate` refused: the form again with the reason
/// for wrong credentials, a page to wait on for throttling or a full hashing queue.
fn refused(
    error: LoginError,
    store: &StoreConfig,
    pending: &Pending,
    request_id: &str,
    email: String,
    csrf: CsrfToken,
) -> Response {
    match error {
        LoginError::BadCredentials => {
            let (email_error, password_error) = if email.trim().is_empty() {
                (Some("Enter your email address."), None)
            } else {
                let message = format!(
                    "That email and password do not match an account at {}.",
                    store.name
                );
                (None, Some(message))
            };
            login_page(
                store,
                pending,
                request_id,
                csrf,
                email,
                email_error,
                password_error,
                StatusCode::OK,
            )
        }
        LoginError::Throttled => ErrorPage::new(
            "Too many sign-in attempts",
            "There were too many attempts in a short time. Wait a minute, then try again.",
        )
        .next(back_to_login(request_id), "Back to sign in")
        .into_response_with(StatusCode::TOO_MANY_REQUESTS),
        LoginError::Busy => busy_page()
            .next(back_to_login(request_id), "Back to sign in")
            .into_response_with_retry_after(),
        LoginError::Internal(e) => WebError::Internal(e).into_response(),
    }
}

struct LoginForm {
    request: String,
    email: String,
    /// Never logged; handed straight to `authenticate`.
    password: String,
    authenticity_token: Option<String>,
}

impl LoginForm {
    fn parse(body: &[u8]) -> Result<Self, ParamError> {
        let params = Params::parse(body)?;
        let field = |name| params.get(name).map(|v| v.unwrap_or_default().to_owned());
        Ok(Self {
            request: field("request")?,
            email: field("email")?,
            password: field("password")?,
            authenticity_token: params.get("authenticity_token")?.map(str::to_owned),
        })
    }
}

/// A parked request, with its redirect URI matched again against the client as it is now.
struct Pending {
    request: AuthorizationRequest,
    back: VerifiedRedirect,
}

async fn pending(
    state: &AppState,
    store: &StoreConfig,
    id: &str,
) -> anyhow::Result<Option<Pending>> {
    if uuid::Uuid::try_parse(id).is_err() {
        return Ok(None);
    }
    let Some(json) = db::auth_requests::find(&state.db, &store.id, id, db::now()).await? else {
        return Ok(None);
    };
    let request: AuthorizationRequest = serde_json::from_str(&json)?;
    let Some(client) = clients::find(&state.db, &store.id, &request.client_id).await? else {
        return Ok(None);
    };
    Ok(registered_redirect(&client, &request.redirect_uri, store)
        .map(|back| Pending { request, back }))
}

/// The login page for a request id from a form; anything that is not an id goes home.
fn back_to_login(request_id: &str) -> String {
    match uuid::Uuid::try_parse(request_id) {
        Ok(id) => format!("/login?request={id}"),
        Err(_) => "/".to_owned(),
    }
}

fn expired() -> Response {
    ErrorPage::new(
        "This sign-in link has expired",
        "Sign-in links work once and only for ten minutes. Go back to where you started \
         (for example the checkout) and choose to sign in again.",
    )
    .next("/", "Go to the shop")
    .into_response_with(StatusCode::BAD_REQUEST)
}

#[allow(clippy::too_many_arguments)]
fn login_page(
    store: &StoreConfig,
    pending: &Pending,
    request_id: &str,
    csrf: CsrfToken,
    email: String,
    email_error: Option<&'static str>,
    password_error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf_token = match csrf.authenticity_token() {
        Ok(token) => token,
        Err(e) => {
            return WebError::Internal(anyhow::anyhow!("CSRF token: {e:?}")).into_response();
        }
    };
    let client_host = url::Url::parse(pending.back.as_str())
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_default();
    let page = LoginPage {
        store_name: store.name.clone(),
        lang: crate::i18n::Lang(store.locale),
        client_name: pending.request.client_id.clone(),
        client_host,
        request_id: request_id.to_owned(),
        csrf_token,
        email,
        email_error,
        password_error,
    };
    // The form's POST ends in a redirect to the client; Chrome checks form-action there too.
    let csp = csp_with_form_targets(&pending.back.origin().into_iter().collect::<Vec<_>>());
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, csp)],
        csrf,
        render(&page),
    )
        .into_response()
}
