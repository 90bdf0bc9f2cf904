//! Where the checkout pages meet the payment gateways and the place-order process
//! (Flamingo's payment action reads the process; it never runs a payment itself).

use axum::response::{IntoResponse, Redirect, Response};

use super::form::{Details, PaymentOption};
use super::page;
use super::session::Session;
use super::target::Target;
use crate::config::StoreConfig;
use crate::db;
use crate::domain::VerifiedIdentity;
use crate::i18n::Lang;
use crate::payment::FlowAction;
use crate::placeorder::{
    self, CustomerRef, FailureReason, PaymentSelection, PlaceOrderError, PlaceOrderRequest,
    ProcessState, ProcessView, Starter,
};
use crate::state::AppState;
use crate::web::WebError;

/// The payment methods of every gateway enabled at this store (Flamingo's
/// `enableOfflinePaymentProvider` is applied by `payment::Gateways`).
/// Their names are in the store's language.
pub fn payment_options(state: &AppState, store: &StoreConfig) -> Vec<PaymentOption> {
    let lang = Lang(store.locale);
    state
        .payments
        .methods_for(store)
        .into_iter()
        .flat_map(|gateway| {
            gateway
                .methods
                .into_iter()
                .map(move |method| PaymentOption {
                    gateway: gateway.gateway.to_owned(),
                    gateway_title: lang.gateway_title(gateway.gateway, gateway.title),
                    title: lang.method_title(gateway.gateway, &method.code, &method.title),
                    method: method.code,
                })
        })
        .collect()
}

/// What the shopper's browser must do to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentAction {
    Redirect {
        url: String,
    },
    PostRedirect {
        url: String,
        params: Vec<(String, String)>,
    },
    ShowHtml {
        html: String,
    },
}

/// Where the basket's place-order process stands, as the pages act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    NotStarted,
    /// A node is working on it (or will retry shortly).
    Running(Awaiting),
    WaitingForCustomer(PaymentAction),
    /// The shopper may choose another payment and try again.
    PaymentFailed(String),
    /// The basket changed or emptied under the process.
    BasketInvalid(String),
    /// Stopped by the shopper; the basket is open again.
    Cancelled,
    /// Our fault; logged by the process.
    Broken(String),
    Placed {
        order_number: String,
    },
    /// Someone else started it: another browser, or (`storefront`) a headless storefront
    /// through the JSON API. Nothing of it may be shown here.
    Elsewhere {
        storefront: bool,
    },
}

/// What a running process is busy with, in the terms the shopper waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// Checking the basket and the payment choice, or writing the order.
    Order,
    /// The payment provider is setting the payment up.
    PaymentStart,
    /// The payment provider has yet to confirm the payment.
    PaymentConfirmation,
    /// A failed or cancelled attempt is being undone: its payment cancelled, the basket
    /// reopened.
    Rollback,
}

impl Awaiting {
    fn of(state: ProcessState) -> Self {
        match state {
            ProcessState::CreatePayment => Self::PaymentStart,
            ProcessState::WaitForCustomer | ProcessState::ValidatePayment => {
                Self::PaymentConfirmation
            }
            ProcessState::RollingBack => Self::Rollback,
            ProcessState::New
            | ProcessState::PrepareBasket
            | ProcessState::ValidateBasket
            | ProcessState::ValidatePaymentSelection
            | ProcessState::PlaceOrder
            | ProcessState::Success
            | ProcessState::Failed => Self::Order,
        }
    }
}

/// The process as this browser may see it; with `run`, the process is first driven if
/// nobody holds it (the shopper is back from a payment page). Only the browser that
/// started the process gets more than `Elsewhere`, and only it can drive it from here.
pub async fn progress(
    state: &AppState,
    target: &Target,
    caller: &Starter,
    run: bool,
) -> anyhow::Result<Progress> {
    let (store, basket) = (&target.store.id, target.basket.id);
    let internal = |e: PlaceOrderError| match e {
        PlaceOrderError::Internal(error) => error,
        other => anyhow::anyhow!("reading the place-order process: {other}"),
    };
    let Some(view) = placeorder::status(state, store, basket)
        .await
        .map_err(internal)?
    else {
        return Ok(Progress::NotStarted);
    };
    match &view.started_by {
        Some(starter) if starter.is(Some(caller)) => {}
        other => {
            return Ok(Progress::Elsewhere {
                storefront: matches!(other, Some(Starter::ApiKey { .. })),
            });
        }
    }
    let view = if run {
        placeorder::refresh(state, store, basket)
            .await
            .map_err(internal)?
    } else {
        Some(view)
    };
    Ok(view.map_or(Progress::NotStarted, progress_of))
}

fn progress_of(view: ProcessView) -> Progress {
    let running = Progress::Running(Awaiting::of(view.state));
    match view.state {
        ProcessState::Success => match view.order_number {
            Some(order_number) => Progress::Placed { order_number },
            None => running,
        },
        ProcessState::WaitForCustomer => match view.action {
            Some(FlowAction::Redirect { url }) => {
                Progress::WaitingForCustomer(PaymentAction::Redirect { url })
            }
            Some(FlowAction::PostRedirect { url, params }) => {
                Progress::WaitingForCustomer(PaymentAction::PostRedirect { url, params })
            }
            Some(FlowAction::ShowHtml { html }) => {
                Progress::WaitingForCustomer(PaymentAction::ShowHtml { html })
            }
            None => running,
        },
        ProcessState::Failed => {
            let (reason, message) = match view.failure {
                Some(failure) => (failure.reason, failure.message),
                None => (FailureReason::Internal, String::new()),
            };
            match reason {
                r if r.is_payment_problem() => Progress::PaymentFailed(message),
                FailureReason::PaymentSelectionInvalid => Progress::PaymentFailed(message),
                FailureReason::BasketInvalid => Progress::BasketInvalid(message),
                FailureReason::Cancelled => Progress::Cancelled,
                _ => Progress::Broken(message),
            }
        }
        _ => running,
    }
}

/// The message of this browser's last attempt's payment failure, while the shopper can
/// try again.
pub async fn payment_problem(
    state: &AppState,
    target: &Target,
    caller: &Starter,
) -> anyhow::Result<Option<String>> {
    match progress(state, target, caller, false).await? {
        Progress::PaymentFailed(message) => Ok(Some(message)),
        _ => Ok(None),
    }
}

/// What the place-order process needs: who starts it, the details, who orders (a
/// verified identity, or a guest), and where a hosted payment page sends the shopper back.
pub fn request(
    state: &AppState,
    target: &Target,
    starter: Starter,
    identity: Option<&VerifiedIdentity>,
    details: &Details,
) -> PlaceOrderRequest {
    PlaceOrderRequest {
        starter,
        customer: identity.map(|i| CustomerRef {
            issuer: i.issuer.clone(),
            subject: i.subject.clone(),
            customer_id: i.customer_id,
        }),
        email: details.email.clone(),
        billing: details.billing.clone(),
        phone: details.phone.clone(),
        delivery: details.delivery.clone(),
        delivery_method: details.delivery_method.code().to_owned(),
        payment: PaymentSelection {
            gateway: details.payment.gateway.clone(),
            method: details.payment.method.clone(),
        },
        return_url: target.url(state, "/payment"),
    }
}

/// Starts (or finds) the basket's place-order process for this browser and sends the
/// shopper to the payment step, which follows it. The same request from the same browser
/// (a double click) finds the same process; anything else gets the 409 page.
pub async fn place_order(
    state: &AppState,
    target: &Target,
    starter: Starter,
    session: &Session,
    details: &Details,
) -> Result<Response, WebError> {
    let request = request(state, target, starter, session.identity.as_ref(), details);
    match placeorder::start(state, &target.basket, request).await {
        Ok(_) => Ok(Redirect::to(&target.path("/payment")).into_response()),
        Err(PlaceOrderError::Conflict) => Ok(page::placed_with_other_details(target)),
        Err(error) => Err(error.into()),
    }
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
pub async fn placed_order(
    state: &AppState,
    target: &Target,
) -> anyhow::Result<Option<PlacedOrder>> {
    let order = db::orders::find_for_basket(&state.db, &target.store.id, target.basket.id).await?;
    Ok(order.map(|o| PlacedOrder {
        number: o.number,
        email: o.email,
        delivery_method: o.delivery_method,
        payment_method: o.payment_method,
        lines: o
            .lines
            .into_iter()
            .map(|l| PlacedLine {
                name: l.name,
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
            })
            .collect(),
        total: o.total,
        customer_id: o.customer_id,
    }))
}

/// The place-order process knows nothing of HTTP; its refusals become pages here.
impl From<PlaceOrderError> for WebError {
    fn from(error: PlaceOrderError) -> Self {
        match error {
            PlaceOrderError::UnknownStore => WebError::NotFound("store"),
            PlaceOrderError::BasketNotFound => WebError::NotFound("basket"),
            PlaceOrderError::InvalidRequest(message) => WebError::BadRequest(message),
            PlaceOrderError::Conflict => WebError::Conflict(error.to_string()),
            PlaceOrderError::Internal(error) => WebError::Internal(error),
        }
    }
}
