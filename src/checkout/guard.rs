//! Which steps a basket's status allows. Only an open basket with items can be edited;
//! a frozen one has a place-order process (follow it on the payment step), an ordered one
//! is done (its confirmation is for the browser that ordered it).

use axum::response::{IntoResponse, Redirect, Response};

use super::page;
use super::target::Target;
use crate::domain::BasketStatus;

/// Start, details and review need an open basket with items; otherwise the answer to
/// give instead.
pub fn not_editable(target: &Target, has_session: bool) -> Option<Response> {
    match target.status() {
        BasketStatus::Open if target.is_empty() => Some(page::empty_basket(target)),
        BasketStatus::Open => None,
        BasketStatus::Frozen if has_session => {
            Some(Redirect::to(&target.path("/payment")).into_response())
        }
        BasketStatus::Frozen => Some(page::in_progress_elsewhere(target)),
        BasketStatus::Ordered if has_session => {
            Some(Redirect::to(&target.path("/success")).into_response())
        }
        BasketStatus::Ordered => Some(page::already_ordered(target)),
    }
}
