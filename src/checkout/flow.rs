//! Where the checkout pages meet the payment gateways and the place-order process.

use axum::response::{IntoResponse, Redirect, Response};

use super::form::{Details, PaymentOption};
use super::session::Session;
use super::target::Target;
use crate::app::AppState;
use crate::config::StoreConfig;

/// The payment methods of every gateway enabled at this store.
pub fn payment_options(state: &AppState, store: &StoreConfig) -> Vec<PaymentOption> {
    let _ = state;
    let mut options = Vec::new();
    if store.checkout.enable_offline_payment {
        for (method, title) in [
            ("cash_on_delivery", "Cash on delivery"),
            ("cash_in_advance", "Cash in advance"),
        ] {
            options.push(PaymentOption {
                gateway: "offline".into(),
                gateway_title: "Pay offline".into(),
                method: method.into(),
                title: title.into(),
            });
        }
    }
    options
}

/// The message of the last attempt's payment failure, while the shopper can try again.
pub async fn payment_problem(state: &AppState, target: &Target) -> anyhow::Result<Option<String>> {
    let _ = (state, target);
    Ok(None)
}

/// Starts (or finds) the basket's place-order process and sends the shopper to the
/// payment step, which follows it.
pub async fn place_order(
    state: &AppState,
    target: &Target,
    session: &Session,
    details: &Details,
) -> anyhow::Result<Response> {
    let _ = (state, session, details);
    Ok(Redirect::to(&target.path("/payment")).into_response())
}
