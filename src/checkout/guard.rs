//! Which steps a basket's status allows. Only an open basket with items can be edited;
//! a frozen one has a place-order process (follow it on the payment step), an ordered one
//! is done (on to its confirmation).

use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;

use super::page;
use super::target::Target;
use crate::domain::BasketStatus;
use crate::web::forms::verify_csrf;

/// Every checkout form's CSRF token; `Some` is the page to answer instead.
pub fn csrf_refusal(csrf: &CsrfToken, authenticity_token: &str) -> Option<Response> {
    verify_csrf(csrf, authenticity_token)
        .is_err()
        .then(page::csrf_refused)
}

/// Start, details and review need an open basket with items; otherwise the answer to
/// give instead. The browser has the basket's session (a [`super::session::BoundBasket`]),
/// so a frozen basket is followed to its payment step and an ordered one to its
/// confirmation.
pub fn not_editable(target: &Target) -> Option<Response> {
    match target.status() {
        BasketStatus::Open if target.is_empty() => Some(page::empty_basket(target)),
        BasketStatus::Open => None,
        BasketStatus::Frozen => Some(Redirect::to(&target.path("/payment")).into_response()),
        BasketStatus::Ordered => Some(Redirect::to(&target.path("/success")).into_response()),
    }
}
