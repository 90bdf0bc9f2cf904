//! `GET /{store_id}/{basket_id}` (Flamingo's start action): log in through the store or
//! continue as a guest. Skipped once logged in, or when the store sets `skip_start_action`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::guard;
use super::page::{self, Chrome, Step, Summary};
use super::session;
use super::target;
use crate::app::AppState;
use crate::store::forms::{PageForm, authenticity_token};
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/start.html")]
struct StartPage {
    chrome: Chrome,
    summary: Summary,
    login_action: String,
    guest_action: String,
}

pub async fn show(
    State(state): State<AppState>,
    Path((store, basket)): Path<(String, String)>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let target = match target::resolve(&state, &store, &basket).await {
        Ok(target) => target,
        Err(e) => return Ok(page::unresolved(e)),
    };
    let session = session::load(&state, &jar, &target).await?;
    if let Some(refusal) = guard::not_editable(&target, session.is_some()) {
        return Ok(refusal);
    }
    let logged_in = session.as_ref().is_some_and(|s| s.identity.is_some());
    if logged_in || target.flags().skip_start_action {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    }
    let page = StartPage {
        chrome: Chrome::new(&target, Step::Start).csrf(authenticity_token(&csrf)?),
        summary: Summary::new(&target, None),
        login_action: target.path("/login"),
        guest_action: target.path("/guest"),
    };
    let mut response = (csrf, render(&page)).into_response();
    // The login form's POST ends in a redirect to the store's authorization endpoint, and
    // CSP `form-action` applies to redirects too.
    let csp = crate::relying_party::login_form_csp(&state, &target.store);
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct GuestForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /{store_id}/{basket_id}/guest`: a checkout session without an identity.
pub async fn guest(
    State(state): State<AppState>,
    Path((store, basket)): Path<(String, String)>,
    jar: CookieJar,
    csrf: CsrfToken,
    PageForm(form): PageForm<GuestForm>,
) -> Result<Response, WebError> {
    let target = match guard::posted_target(
        &state,
        &store,
        &basket,
        &csrf,
        &form.authenticity_token,
    )
    .await
    {
        Ok(target) => target,
        Err(refusal) => return Ok(refusal),
    };
    let existing = session::load(&state, &jar, &target).await?;
    if let Some(refusal) = guard::not_editable(&target, existing.is_some()) {
        return Ok(refusal);
    }
    let (jar, _session) = session::ensure(&state, jar, &target).await?;
    Ok((jar, Redirect::to(&target.path("/details"))).into_response())
}
