//! `POST /{store_id}/{basket_id}/place-order` (and the review form's own POST): starts
//! the basket's place-order process. Double clicks, two tabs and the back button all land
//! on the same process: the process is unique per basket, and this browser's repeated
//! start follows it. A start from another browser (or with other details while the
//! basket is still open) is a 409 page: the order being placed is not this shopper's.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::Deserialize;

use super::flow::{self, Progress};
use super::guard::{CheckedForm, CheckoutForm};
use super::page;
use super::review::{review_page, valid_draft};
use super::session::BoundBasket;
use crate::domain::BasketStatus;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::WebError;
use crate::web::forms::authenticity_token;

#[derive(Deserialize)]
pub struct PlaceOrderForm {
    #[serde(default)]
    authenticity_token: String,
    /// The total shown on the review page, in minor units.
    #[serde(default)]
    expected_total: Option<String>,
}

impl CheckoutForm for PlaceOrderForm {
    fn authenticity_token(&self) -> &str {
        &self.authenticity_token
    }
}

pub async fn submit(
    State(state): State<AppState>,
    bound: BoundBasket,
    csrf: CsrfToken,
    CheckedForm(form): CheckedForm<PlaceOrderForm>,
) -> Result<Response, WebError> {
    let BoundBasket {
        target, session, ..
    } = &bound;
    match target.status() {
        // Another click or tab of this browser got here first: follow its process (its
        // draft cannot change once the basket is frozen). Anyone else's is not handed over.
        status @ (BasketStatus::Frozen | BasketStatus::Ordered) => {
            let next = if status == BasketStatus::Ordered {
                "/success"
            } else {
                "/payment"
            };
            return Ok(
                match flow::progress(&state, target, &bound.starter(), false).await? {
                    Progress::Elsewhere { .. } => page::placed_with_other_details(target),
                    _ => Redirect::to(&target.path(next)).into_response(),
                },
            );
        }
        BasketStatus::Open if target.is_empty() => return Ok(page::empty_basket(target)),
        BasketStatus::Open => {}
    }
    let Some(details) = valid_draft(&state, target, session) else {
        return Ok(Redirect::to(&target.path("/details")).into_response());
    };
    let total = target
        .total_with(details.delivery_method)
        .map(|m| m.minor)
        .unwrap_or_default();
    // The shopper confirmed the total on the review page; if the basket changed since
    // (another tab, the store), they confirm the new one. A forged value is refused the same way.
    let confirmed = match form.expected_total.as_deref().map(str::parse::<i64>) {
        Some(Ok(expected)) => Some(expected == total),
        Some(Err(_)) => None,
        None => (target.flags().skip_review_action).then_some(true),
    };
    if confirmed != Some(true) {
        let lang = Lang(target.store.locale);
        let (status, notice) = match confirmed {
            Some(false) => (
                StatusCode::CONFLICT,
                lang.t1(
                    "notice-total-changed",
                    "total",
                    &target
                        .total_with(details.delivery_method)
                        .map(|t| lang.money(t))
                        .unwrap_or_default(),
                ),
            ),
            _ => (StatusCode::BAD_REQUEST, lang.t("notice-form-incomplete")),
        };
        let page = review_page(
            target,
            session,
            &details,
            None,
            Some(notice),
            authenticity_token(&csrf)?,
        );
        return Ok(page.respond(status, csrf));
    }
    flow::place_order(&state, target, bound.starter(), session, &details).await
}
