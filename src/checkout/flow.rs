//! Where the checkout pages meet the payment gateways and the place-order process
//! (Flamingo's payment action reads the process; it never runs a payment itself).

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

/// What the shopper's browser must do to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentAction {
    Redirect { url: String },
    PostRedirect { url: String, params: Vec<(String, String)> },
    ShowHtml { html: String },
}

/// Where the basket's place-order process stands, as the pages act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    NotStarted,
    /// A node is working on it (or will retry shortly).
    Running,
    WaitingForCustomer(PaymentAction),
    /// The shopper may choose another payment and try again.
    PaymentFailed(String),
    /// The basket changed or emptied under the process.
    BasketInvalid(String),
    /// Stopped by the shopper; the basket is open again.
    Cancelled,
    /// Our fault; logged by the process.
    Broken(String),
    Placed { order_number: String },
}

/// The process as stored; with `run`, the process is first driven if nobody holds it
/// (the shopper is back from a payment page).
pub async fn progress(state: &AppState, target: &Target, run: bool) -> anyhow::Result<Progress> {
    let _ = (state, target, run);
    Ok(Progress::NotStarted)
}

/// The message of the last attempt's payment failure, while the shopper can try again.
pub async fn payment_problem(state: &AppState, target: &Target) -> anyhow::Result<Option<String>> {
    match progress(state, target, false).await? {
        Progress::PaymentFailed(message) => Ok(Some(message)),
        _ => Ok(None),
    }
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

/// A placed order as the success page shows it.
#[derive(Debug, Clone)]
pub struct PlacedOrder {
    pub number: String,
    pub email: String,
    pub delivery_method: String,
    pub payment_method: String,
    pub lines: Vec<PlacedLine>,
    pub total: crate::domain::Money,
    pub customer_id: Option<crate::domain::CustomerId>,
}

#[derive(Debug, Clone)]
pub struct PlacedLine {
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

/// The basket's order, once placed.
pub async fn placed_order(state: &AppState, target: &Target) -> anyhow::Result<Option<PlacedOrder>> {
    let _ = (state, target);
    Ok(None)
}
