//! Placing an order: a persisted state machine processed under a lease.
//!
//! # API for the checkout pages and the JSON API
//!
//! All four calls take the store and basket from the URL; a basket of another store is
//! `PlaceOrderError::BasketNotFound`, like a basket that does not exist.
//!
//! - [`start`]`(app, &basket, PlaceOrderRequest)` → [`ProcessView`]. Starts the
//!   basket's process and runs it as far as it goes without the shopper (offline payment:
//!   to `success`; a hosted payment page: to `wait_for_customer` with a `FlowAction`).
//!   Repeated starts for the same basket (double clicks, two tabs, the back button, 50 at
//!   once) return the same process, or its order, when they carry the same request from
//!   the same starter (the request's fingerprint); any other request is
//!   `PlaceOrderError::Conflict`, never a silent hand-over of someone else's attempt. After
//!   a `failed` process a start begins a new attempt with a new idempotency key.
//!   `ProcessView::started_by` says who started it; the checkout and the API show a
//!   process only to its starter.
//! - [`status`]`(app, &store, basket)` → `Option<ProcessView>`: reads, never runs.
//! - [`refresh`]`(app, &store, basket)` → `Option<ProcessView>`: runs the process now if
//!   no node holds its lease (call it on the payment step, where the gateway returns the
//!   shopper), then reads it.
//! - [`cancel`]`(app, &store, basket)` → `Option<ProcessView>`: asks the process to stop;
//!   it rolls back (cancels the payment, reopens the basket) unless the payment has already
//!   completed, in which case the order is placed.
//!
//! What the checkout does with a view (Flamingo's payment action):
//! - `state == success`: show `order_number` (success page).
//! - `state == wait_for_customer`: follow `action` (redirect, post redirect, show HTML).
//! - `state == failed`: show `failure.message`; `failure.reason.is_payment_problem()`
//!   means "choose another payment and try again" (back to the form or the review with
//!   `show_review_step_after_payment_error`); `basket_invalid` means back to the basket.
//! - anything else: the process is still running (another node or a retry); show a
//!   "processing" page that reloads, or call `refresh`.
//!
//! # How it holds up
//!
//! One row per (store, basket) (`UNIQUE`); the basket is frozen while a process runs and
//! reopened on failure; the order is unique per basket. A step is run only by the holder
//! of the process's lease (owner, expiry, fencing token); every write checks the token, so
//! a node that lost its lease writes nothing; a node that dies loses its lease when it
//! expires and [`spawn_workers`]' runner resumes the process. The reconciler finishes
//! processes left waiting (closed tab after paying) and voids payments that succeeded for
//! a process that failed. Every step is safe to run twice (see `engine`).

pub mod engine;
pub mod worker;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::domain::ProcessId;
pub use crate::domain::placeorder::{
    CustomerRef, Failure, FailureReason, PaymentSelection, PlaceOrderRequest, ProcessState, Starter,
};
pub use worker::{ReconcileReport, WorkerSettings, reconcile_once, spawn_workers_with};

use crate::db;
use crate::db::placeorder::{NewProcess, Process};
use crate::domain::{Basket, BasketId, DeliveryMethod, OrderId, StoreId};
use crate::payment::{FlowAction, IdempotencyKey, PaymentId};
use crate::state::AppState;

/// The process as the checkout and the JSON API see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView {
    pub process_id: ProcessId,
    pub store_id: StoreId,
    pub basket_id: BasketId,
    pub state: ProcessState,
    pub failure: Option<Failure>,
    pub order_id: Option<OrderId>,
    pub order_number: Option<String>,
    /// What the shopper's browser must do; only in `wait_for_customer`.
    pub action: Option<FlowAction>,
    pub payment_id: Option<PaymentId>,
    /// The key this attempt's payment calls carry; a new attempt has a new one.
    pub idempotency_key: IdempotencyKey,
    /// 1 for the first attempt, +1 for each start after a failure.
    pub attempt: i64,
    /// Who started this attempt; never sent out (it holds a session hash).
    #[serde(skip)]
    pub started_by: Option<Starter>,
}

impl From<Process> for ProcessView {
    fn from(p: Process) -> Self {
        Self {
            process_id: p.id,
            store_id: p.store_id,
            basket_id: p.basket_id,
            state: p.state,
            failure: p.failure,
            order_id: p.order_id,
            order_number: p.order_number,
            action: if p.state == ProcessState::WaitForCustomer {
                p.action
            } else {
                None
            },
            payment_id: p.payment_id,
            idempotency_key: p.idempotency_key,
            attempt: p.attempt,
            started_by: Some(p.request.starter),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlaceOrderError {
    #[error("unknown store")]
    UnknownStore,
    #[error("basket not found")]
    BasketNotFound,
    /// A request the checkout should not have sent (e.g. a return URL off the checkout).
    #[error("invalid place-order request: {0}")]
    InvalidRequest(String),
    /// The basket's order is already being placed with another request or by someone else.
    #[error("an order for this basket is already being placed with other details")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Starts (or finds) the basket's place-order process and runs it as far as it goes.
/// `found` is the basket as the caller read it from the store in its URL; the request's
/// fingerprint includes the total it comes to.
#[tracing::instrument(skip_all, fields(store = %found.store_id, basket = %crate::telemetry::ShortIds(&found.id)))]
pub async fn start(
    app: &AppState,
    found: &Basket,
    request: PlaceOrderRequest,
) -> Result<ProcessView, PlaceOrderError> {
    let (store, basket) = (&found.store_id, found.id);
    let Some(config) = app.config.store(store) else {
        return Err(PlaceOrderError::UnknownStore);
    };
    check_request(app, &request)?;
    let fingerprint = fingerprint(found, &request);
    let key = IdempotencyKey::generate();
    let new = NewProcess {
        basket,
        request: &request,
        fingerprint: &fingerprint,
        key: &key,
    };
    if let Some(placed) = engine::place_at_once(app, config, found, &new).await? {
        return Ok(placed.into());
    }
    let (owner, lease) = (engine::owner_name(), app.config.place_order.lease());
    let created =
        db::placeorder::create_if_absent(&app.db.pool, store, &new, &owner, lease).await?;
    if let Some((lease, process)) = created {
        if let Some(done) = engine::run_from(app, &lease, process).await? {
            return Ok(done.into());
        }
        return Ok(find_existing(app, store, basket).await?.into());
    }
    let mut process = find_existing(app, store, basket).await?;
    if process.state == ProcessState::Failed {
        // A new attempt: a new idempotency key, so the gateway sees a new payment.
        let key = IdempotencyKey::generate();
        db::placeorder::restart_failed(&app.db, store, process.id, &request, &fingerprint, &key)
            .await?;
        process = find_existing(app, store, basket).await?;
    }
    if process.fingerprint.as_deref() != Some(fingerprint.as_str()) {
        return Err(PlaceOrderError::Conflict);
    }
    drive(app, store, process.id, app.config.place_order.lease()).await?;
    Ok(find_existing(app, store, basket).await?.into())
}

pub async fn status(
    app: &AppState,
    store: &StoreId,
    basket: BasketId,
) -> Result<Option<ProcessView>, PlaceOrderError> {
    check_store_and_basket(app, store, basket).await?;
    Ok(db::placeorder::find_for_basket(&app.db, store, basket)
        .await?
        .map(ProcessView::from))
}

/// Runs the process now if its lease is free (the shopper is back from the gateway),
/// then returns it.
#[tracing::instrument(skip_all, fields(store = %store, basket = %crate::telemetry::ShortIds(&basket)))]
pub async fn refresh(
    app: &AppState,
    store: &StoreId,
    basket: BasketId,
) -> Result<Option<ProcessView>, PlaceOrderError> {
    check_store_and_basket(app, store, basket).await?;
    let Some(process) = db::placeorder::find_for_basket(&app.db, store, basket).await? else {
        return Ok(None);
    };
    drive(app, store, process.id, app.config.place_order.lease()).await?;
    status(app, store, basket).await
}

/// Asks the process to stop and runs it if its lease is free, then returns it.
#[tracing::instrument(skip_all, fields(store = %store, basket = %crate::telemetry::ShortIds(&basket)))]
pub async fn cancel(
    app: &AppState,
    store: &StoreId,
    basket: BasketId,
) -> Result<Option<ProcessView>, PlaceOrderError> {
    check_store_and_basket(app, store, basket).await?;
    let Some(process) = db::placeorder::find_for_basket(&app.db, store, basket).await? else {
        return Ok(None);
    };
    if db::placeorder::request_cancel(&app.db, store, process.id).await? {
        drive(app, store, process.id, app.config.place_order.lease()).await?;
    }
    status(app, store, basket).await
}

/// Starts the background workers (process runner, reconciler) for this node.
pub fn spawn_workers(state: AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let settings = WorkerSettings::configured(&state.config.place_order);
    spawn_workers_with(state, settings)
}

/// Frees every lease this node still holds, for a node that is stopping: another node
/// resumes those processes now instead of when the leases expire. Only once this node's
/// runs have stopped; a run still going would lose its lease at its next fenced write.
pub async fn hand_back_leases(app: &AppState) -> anyhow::Result<u64> {
    db::placeorder::release_all_of_node(&app.db, engine::node()).await
}

/// Takes the lease if it is free and runs the process; false if another node holds it.
pub async fn drive(
    app: &AppState,
    store: &StoreId,
    id: ProcessId,
    lease: Duration,
) -> anyhow::Result<bool> {
    let owner = engine::owner_name();
    match db::placeorder::acquire(&app.db, store, id, &owner, lease).await? {
        Some(lease) => {
            engine::run(app, &lease).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

async fn find_existing(
    app: &AppState,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Process> {
    db::placeorder::find_for_basket(&app.db, store, basket)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the basket's place-order process is missing"))
}

async fn check_store_and_basket(
    app: &AppState,
    store: &StoreId,
    basket: BasketId,
) -> Result<Basket, PlaceOrderError> {
    if app.config.store(store).is_none() {
        return Err(PlaceOrderError::UnknownStore);
    }
    db::baskets::find(&app.db, store, basket)
        .await?
        .ok_or(PlaceOrderError::BasketNotFound)
}

/// The request's fingerprint with the total it comes to now: the basket's lines (frozen
/// while an attempt runs) plus the chosen delivery.
fn fingerprint(basket: &Basket, request: &PlaceOrderRequest) -> String {
    let delivery = DeliveryMethod::parse(&request.delivery_method);
    let total = basket
        .total()
        .zip(delivery)
        .and_then(|(lines, delivery)| lines.checked_add(delivery.price(lines.currency)));
    request.fingerprint(total)
}

/// Refuses what only a faulty or forged caller sends; the shopper's own choices (payment
/// method, basket contents) are checked by the process and end in a typed failure.
fn check_request(app: &AppState, request: &PlaceOrderRequest) -> Result<(), PlaceOrderError> {
    let invalid = |m: &str| Err(PlaceOrderError::InvalidRequest(m.to_owned()));
    // The hosted payment page redirects here: only the checkout's own origin, or the
    // gateway becomes an open redirect.
    let checkout = app.config.checkout.base_url.as_str().trim_end_matches('/');
    let return_ok = request.return_url.len() <= 2048
        && request
            .return_url
            .strip_prefix(checkout)
            .is_some_and(|rest| rest.starts_with('/'));
    if !return_ok {
        return invalid("return_url must be a page of the checkout");
    }
    if DeliveryMethod::parse(&request.delivery_method).is_none() {
        return invalid("delivery_method must be one of the offered methods");
    }
    if !bounded(&request.payment.gateway, 64) || !bounded(&request.payment.method, 64) {
        return invalid("payment gateway and method must be 1-64 characters");
    }
    if let Some(customer) = &request.customer
        && (!bounded(&customer.issuer, 2048) || !bounded(&customer.subject, 255))
    {
        return invalid("customer issuer and subject must be present and bounded");
    }
    Ok(())
}

fn bounded(value: &str, max_chars: usize) -> bool {
    !value.trim().is_empty()
        && value.chars().count() <= max_chars
        && !value.chars().any(char::is_control)
}
