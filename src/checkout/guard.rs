//! Which steps a basket's status allows. Only an open basket with items can be edited;
//! a frozen one has a place-order process (follow it on the payment step), an ordered one
//! is done (its confirmation is for the browser that ordered it).

use axum::response::{IntoResponse, Redirect, Response};

use super::page;
use super::target::Target;
use crate::domain::BasketStatus;

/// Start, details and review: the basket must be open and have items.
pub fn editable(target: &Target, has_session: bool) -> Result<(), Response> {
    match target.status() {
        BasketStatus::Open if target.is_empty() => Err(page::empty_basket(target)),
        BasketStatus::Open => Ok(()),
        BasketStatus::Frozen if has_session => {
            Err(Redirect::to(&target.path("/payment")).into_response())
        }
        BasketStatus::Frozen => Err(page::in_progress_elsewhere(target)),
        BasketStatus::Ordered if has_session => {
            Err(Redirect::to(&target.path("/success")).into_response())
        }
        BasketStatus::Ordered => Err(page::already_ordered(target)),
    }
}
