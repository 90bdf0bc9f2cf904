//! `GET /{store_id}/{basket_id}/review` (Flamingo's review action): everything the order
//! will be, and the "Place order" button. Skipped when the store sets `skip_review_action`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;

use super::flow;
use super::form::{self, Details, FormRules};
use super::guard::EditableBasket;
use super::page::{self, Chrome, Step, Summary};
use super::session::{BoundBasket, Session};
use super::target::Target;
use crate::domain::{Address, PhoneNumber};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::authenticity_token;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/review.html")]
pub struct ReviewPage {
    chrome: Chrome,
    summary: Summary,
    payment_problem: Option<String>,
    notice: Option<String>,
    email: String,
    phone: Option<PhoneNumber>,
    billing: Vec<String>,
    delivery: Option<Vec<String>>,
    delivery_method: String,
    payment_method: String,
    details_href: String,
    action: String,
    /// The total the shopper sees, in minor units; placing the order checks it again.
    expected_total: i64,
}

pub async fn show(
    State(state): State<AppState>,
    basket: EditableBasket,
    csrf: CsrfToken,
) -> Result<Response, WebError> {
    let BoundBasket {
        target, session, ..
    } = &*basket;
    if target.flags().skip_review_action {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    }
    let Some(details) = valid_draft(&state, target, session) else {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    };
    let payment_problem = flow::payment_problem(&state, target, &basket.starter()).await?;
    let page = review_page(
        target,
        session,
        &details,
        payment_problem,
        None,
        authenticity_token(&csrf)?,
    );
    let response = (csrf, render(&page)).into_response();
    Ok(page::allowing_logout(&state, &target.store, response))
}

/// The session's draft, when it parses; the details form is where anything else goes.
pub fn valid_draft(state: &AppState, target: &Target, session: &Session) -> Option<Details> {
    let options = flow::payment_options(state, &target.store);
    form::parse(
        session.draft.as_ref()?,
        &FormRules::new(target.flags(), &options),
    )
    .ok()
}

pub fn review_page(
    target: &Target,
    session: &Session,
    details: &Details,
    payment_problem: Option<String>,
    notice: Option<String>,
    csrf_token: String,
) -> ReviewPage {
    let currency = target.store.currency;
    let lang = Lang(target.store.locale);
    ReviewPage {
        chrome: Chrome::new(target, Step::Review)
            .csrf(csrf_token)
            .signed_in_as(session.signed_in_as()),
        summary: Summary::new(target, Some(details.delivery_method)),
        payment_problem,
        notice,
        email: details.email.to_string(),
        phone: details.phone.clone(),
        billing: address_lines(&details.billing),
        delivery: details.delivery.as_ref().map(address_lines),
        delivery_method: format!(
            "{} ({}), {}",
            lang.delivery_title(details.delivery_method),
            lang.delivery_promise(details.delivery_method),
            lang.money(details.delivery_method.price(currency))
        ),
        payment_method: format!(
            "{}: {}",
            details.payment.gateway_title, details.payment.title
        ),
        details_href: target.path("/details"),
        action: target.path("/place-order"),
        expected_total: target
            .total_with(details.delivery_method)
            .map(|m| m.minor)
            .unwrap_or_default(),
    }
}

impl ReviewPage {
    pub fn respond(self, status: StatusCode, csrf: CsrfToken) -> Response {
        (status, csrf, render(&self)).into_response()
    }
}

fn address_lines(address: &Address) -> Vec<String> {
    vec![
        address.name.clone(),
        address.street.clone(),
        format!("{} {}", address.postal_code, address.city),
        address.country.clone(),
    ]
}
