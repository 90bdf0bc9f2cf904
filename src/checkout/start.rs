//! `GET /{store_id}/{basket_id}` (Flamingo's start action): log in through the store or
//! continue as a guest. Skipped once logged in, or when the store sets `skip_start_action`.
//!
//! The same URL with `?ticket=…` is where the store hands a basket over: the one-time
//! ticket is redeemed, this browser gets the basket's checkout session, and a 303 takes the
//! ticket out of the address bar.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::guard::{CheckoutForm, EditableBasket, EditableForm};
use super::page::{self, Chrome, Step, Summary};
use super::session::BoundBasket;
use super::target::BasketPath;
use crate::db;
use crate::state::AppState;
use crate::web::forms::authenticity_token;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/start.html")]
struct StartPage {
    chrome: Chrome,
    summary: Summary,
    login_action: String,
    guest_action: String,
    /// The store's own provider: a login links the order to the shopper's account there.
    own_provider: bool,
}

#[derive(Deserialize)]
pub struct Handoff {
    ticket: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    path: BasketPath,
    handoff: Result<Query<Handoff>, QueryRejection>,
    jar: CookieJar,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    if let Ok(Query(Handoff {
        ticket: Some(ticket),
    })) = handoff
    {
        return redeem(&state, path, &ticket, jar).await;
    }
    let bound = match BoundBasket::check(&state, path, &jar).await {
        Ok(bound) => bound,
        Err(refusal) => return Ok(refusal),
    };
    match EditableBasket::check(bound) {
        Ok(basket) => start_page(&state, &basket, csrf),
        Err(not_editable) => Ok(not_editable.into_response()),
    }
}

/// Log in or continue as a guest, unless there is nothing to choose.
fn start_page(
    state: &AppState,
    basket: &EditableBasket,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let target = &basket.target;
    if basket.session.identity.is_some() || target.flags().skip_start_action {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    }
    let page = StartPage {
        chrome: Chrome::new(target, Step::Start).csrf(authenticity_token(&csrf)?),
        summary: Summary::new(target, None),
        login_action: target.path("/login"),
        guest_action: target.path("/guest"),
        own_provider: target.store.has_own_provider(),
    };
    let mut response = (csrf, render(&page)).into_response();
    // The login form's POST ends in a redirect to the store's authorization endpoint, and
    // CSP `form-action` applies to redirects too.
    let csp = super::page::login_form_csp(state, &target.store);
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
    path: BasketPath,
    ticket: &str,
    jar: CookieJar,
) -> Result<Response, WebError> {
    let target = match path.resolve(state).await {
        Ok(target) => target,
        Err(e) => return Ok(e.into_response()),
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

impl CheckoutForm for GuestForm {
    fn authenticity_token(&self) -> &str {
        &self.authenticity_token
    }
}

/// `POST /{store_id}/{basket_id}/guest`: on to the form without logging in. The guest's
/// session is the one the handoff made.
pub async fn guest(EditableForm { basket, .. }: EditableForm<GuestForm>) -> Redirect {
    Redirect::to(&basket.target.path("/details"))
}
