//! `GET /{store_id}/{basket_id}` (Flamingo's start action): log in through the store or
//! continue as a guest. Skipped once logged in, or when the store sets `skip_start_action`.
//!
//! The same URL with `?ticket=…` is where the store hands a basket over: the one-time
//! ticket is redeemed, this browser gets the basket's checkout session, and a 303 takes the
//! ticket out of the address bar.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::guard;
use super::page::{self, Chrome, Step, Summary};
use super::session::BoundBasket;
use super::target;
use crate::db;
use crate::state::AppState;
use crate::web::forms::{PageForm, authenticity_token};
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/start.html")]
struct StartPage {
    chrome: Chrome,
    summary: Summary,
    login_action: String,
    guest_action: String,
}

#[derive(Deserialize)]
pub struct Handoff {
    ticket: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    Path((store, basket)): Path<(String, String)>,
    handoff: Result<Query<Handoff>, QueryRejection>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    if let Ok(Query(Handoff {
        ticket: Some(ticket),
    })) = handoff
    {
        return redeem(&state, &store, &basket, &ticket, jar).await;
    }
    let bound = match BoundBasket::check(&state, &store, &basket, &jar).await {
        Ok(bound) => bound,
        Err(refusal) => return Ok(refusal),
    };
    let target = &bound.target;
    if let Some(refusal) = guard::not_editable(target) {
        return Ok(refusal);
    }
    if bound.session.identity.is_some() || target.flags().skip_start_action {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    }
    let page = StartPage {
        chrome: Chrome::new(target, Step::Start).csrf(authenticity_token(&csrf)?),
        summary: Summary::new(target, None),
        login_action: target.path("/login"),
        guest_action: target.path("/guest"),
    };
    let mut response = (csrf, render(&page)).into_response();
    // The login form's POST ends in a redirect to the store's authorization endpoint, and
    // CSP `form-action` applies to redirects too.
    let csp = super::page::login_form_csp(&state, &target.store);
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

/// The store's handoff: a ticket that is live and made for this store and basket gives
/// this browser the basket's checkout session. A browser that already has one keeps it
/// (draft and login included), and may come back with a used ticket (a reload, the back
/// button): its session, not the ticket, is what lets it in. The ticket is consumed
/// whatever the outcome.
async fn redeem(
    state: &AppState,
    store: &str,
    basket: &str,
    ticket: &str,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let target = match target::resolve(state, store, basket).await {
        Ok(target) => target,
        Err(e) => return Ok(page::unresolved(e)),
    };
    let (store, basket) = (&target.store.id, target.basket.id);
    if !db::checkout_tickets::redeem(&state.db, store, basket, ticket).await? {
        if super::session_store::load(state, &jar, store, basket)
            .await?
            .is_some()
        {
            return Ok(Redirect::to(&target.path("")).into_response());
        }
        return Ok(page::ticket_refused(&target));
    }
    let jar = super::session_store::begin(state, jar, store, basket).await?;
    Ok((jar, Redirect::to(&target.path(""))).into_response())
}

#[derive(Deserialize)]
pub struct GuestForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /{store_id}/{basket_id}/guest`: on to the form without logging in. The guest's
/// session is the one the handoff made.
pub async fn guest(
    bound: BoundBasket,
    csrf: CsrfToken,
    PageForm(form): PageForm<GuestForm>,
) -> Result<Response, WebError> {
    if let Some(refusal) = guard::csrf_refusal(&csrf, &form.authenticity_token) {
        return Ok(refusal);
    }
    if let Some(refusal) = guard::not_editable(&bound.target) {
        return Ok(refusal);
    }
    Ok(Redirect::to(&bound.target.path("/details")).into_response())
}
