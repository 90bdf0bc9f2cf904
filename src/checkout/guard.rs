//! Which steps a basket's status allows. Only an open basket with items can be edited;
//! a frozen one has a place-order process (follow it on the payment step), an ordered one
//! is done (its confirmation is for the browser that ordered it).

use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;

use super::page;
use super::target::{self, Target};
use crate::app::AppState;
use crate::domain::BasketStatus;
use crate::store::forms::verify_csrf;

/// The opening of every checkout form POST: the basket resolved within the store of the
/// URL, then the form's CSRF token. `Err` is the page to answer instead.
pub async fn posted_target(
    state: &AppState,
    store: &str,
    basket: &str,
    csrf: &CsrfToken,
    authenticity_token: &str,
) -> Result<Target, Response> {
    let target = target::resolve(state, store, basket)
        .await
        .map_err(page::unresolved)?;
    verify_csrf(csrf, authenticity_token).map_err(|_| page::csrf_refused())?;
    Ok(target)
}

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
