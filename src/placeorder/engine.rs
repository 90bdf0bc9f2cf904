//! The state machine: one step at a time, under a lease, every step safe to run twice.
//!
//! A step checks the lease's fencing token, does its side effect (each one idempotent: a
//! conditional basket transition, a payment keyed by the idempotency key, an order unique
//! per basket) and decides the next state. A run writes the process, fenced, when it gives
//! the lease back and after a step slow enough to need the lease extended. A node that
//! dies between writes leaves its steps to be run again by the next lease holder, which
//! finds their side effects already done.

use std::sync::LazyLock;
use std::time::Duration;

use crate::config::StoreConfig;
use crate::db;
use crate::db::orders::{NewOrderLine, PlacedOrder};
use crate::db::payments::NewPayment;
use crate::db::placeorder::{
    self as store_db, BasketSnapshot, Lease, NewProcess, Process, SnapshotLine, now_ms,
};
use crate::domain::{
    Basket, BasketStatus, CustomerId, DeliveryMethod, Money, PaymentId, PhoneNumber,
};
use crate::i18n::Lang;
use crate::payment::{FlowState, FlowStatus, Gateway, PaymentContext};
use crate::state::AppState;

use super::{Failure, FailureReason, ProcessState};

/// Transient errors are retried this often, with growing pauses, before the process fails.
pub const MAX_RETRIES: i64 = 5;
/// How long a shopper may stay on a payment page before the payment is abandoned.
pub const PAYMENT_WAIT_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// Guards against a loop between states; a normal run takes fewer than ten steps.
const MAX_STEPS_PER_RUN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Another node holds the lease now; this one must stop without writing.
    #[error("the lease was lost")]
    LostLease,
    /// A transient failure (database, gateway); the step is retried later.
    #[error(transparent)]
    Step(#[from] anyhow::Error),
}

/// Where a step left the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// More steps to run; the lease is still held.
    Continue,
    /// Waiting for the shopper or in a final state; the lease was released.
    Released,
}

/// This node among the nodes: its pid for operators reading the table, and a random part
/// because two nodes in containers may both be pid 1.
static NODE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "pid{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
});

/// The prefix of every lease owner name this node writes.
pub fn node() -> &'static str {
    &NODE
}

/// A lease owner name: the node, then the run.
pub fn owner_name() -> String {
    format!(
        "{}-{}",
        node(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Runs the process with this lease until it waits, ends, loses the lease or hits a
/// transient error (recorded for a later retry). Always gives the lease back.
pub async fn run(app: &AppState, lease: &Lease) -> anyhow::Result<Option<Process>> {
    let process = read(app, lease).await?;
    run_from(app, lease, process).await
}

/// [`run`] from the process as this node last read or wrote it. Returns the process as
/// written when the run gave the lease back (waiting or final); `None` when it stopped
/// early (lost lease, a retry scheduled).
///
/// Progress is written when the lease is given back, and after a step slow enough that
/// the lease needs extending; the steps in between live in memory. Every step is safe to
/// run twice, so a node that dies between writes leaves only steps to repeat, and the
/// final write is fenced, so a node that lost its lease meanwhile writes nothing.
pub async fn run_from(
    app: &AppState,
    lease: &Lease,
    mut process: Process,
) -> anyhow::Result<Option<Process>> {
    for _ in 0..MAX_STEPS_PER_RUN {
        match advance(app, lease, process, Writes::WhenReleasedOrSlow).await {
            Ok(Advanced::Continue(next)) => process = *next,
            Ok(Advanced::Released(done)) => return Ok(Some(*done)),
            Err(EngineError::LostLease) => {
                tracing::warn!(process = %crate::telemetry::ShortIds(&lease.process_id), "place-order lease lost; stopping");
                return Ok(None);
            }
            Err(EngineError::Step(error)) => {
                tracing::warn!(process = %crate::telemetry::ShortIds(&lease.process_id), error = %crate::telemetry::ShortIds(format!("{error:?}")), "place-order step failed");
                if !record_retry(app, lease).await? {
                    return Ok(None);
                }
                process = read(app, lease).await?;
            }
        }
    }
    store_db::release(&app.db, lease).await?;
    Ok(None)
}

/// Runs a new process whose payment settles locally (offline: nothing to collect online)
/// start to finish at once. The steps run as [`advance`] runs them, but in memory, on the
/// basket as the request read it (`basket`); then one commit moves the basket from open
/// straight to ordered, on condition that its version is still the one read (no line or
/// owner changed since), and writes the order, the process as it ends and its payment,
/// each once ([`store_db::complete_at_once`]). A crash or an error before it leaves
/// nothing behind, so there is nothing to resume: the shopper's retry starts afresh.
///
/// `None`, with nothing written, when the process cannot take this path: the gateway
/// involves something outside this database, the basket is no longer open or changed
/// since it was read (a racing start, a line changed meanwhile), it has a process already
/// (a retry after a failure), or a step leads anywhere but to the order (the basket fails
/// its checks, the method is not offered). The caller then runs the process step by step,
/// which records why it failed.
pub async fn place_at_once(
    app: &AppState,
    store: &StoreConfig,
    basket: &Basket,
    new: &NewProcess<'_>,
) -> anyhow::Result<Option<Process>> {
    let gateway = app.payments.enabled(store, &new.request.payment.gateway);
    let Some((gateway, settled)) = gateway.and_then(|g| g.settles_locally().map(|s| (g, s))) else {
        return Ok(None);
    };
    let Some(process) = run_in_memory(app, store, basket, settled, new) else {
        return Ok(None);
    };
    let parts = OrderParts::gather(&app.db.pool, app, store, &process).await?;
    let order = parts.order(&process)?;
    let ctx = context(app, store, &process)?;
    let payment = NewPayment {
        id: ctx.require_payment()?,
        ..ctx.new_payment(gateway.code(), settled)
    };
    let at_once = store_db::AtOnce {
        basket_version: basket.version,
        process: &process,
        order: &order,
        payment: &payment,
        notify: store.webhook.is_some(),
    };
    let Some((placed, written)) = store_db::complete_at_once(&app.db, &at_once).await? else {
        return Ok(None);
    };
    count_placed(&placed, &written);
    Ok(Some(written))
}

/// The steps of [`place_at_once`] up to the order, in memory: the process ready to place
/// its order, or `None` when a step leads elsewhere. `settled` is the status the gateway's
/// payments start in.
fn run_in_memory(
    app: &AppState,
    store: &StoreConfig,
    basket: &Basket,
    settled: FlowStatus,
    new: &NewProcess<'_>,
) -> Option<Process> {
    let mut process = Process::first_attempt(&store.id, new);
    for _ in 0..MAX_STEPS_PER_RUN {
        crash_point(process.state);
        match process.state {
            // Nothing is seen before the commit, so the basket need not pass through
            // `frozen`; the commit orders it only if it is still as read.
            ProcessState::New => process.state = ProcessState::PrepareBasket,
            ProcessState::PrepareBasket => process.state = ProcessState::ValidateBasket,
            ProcessState::ValidateBasket => {
                check_basket(store, &mut process, Some(basket), BasketStatus::Open);
            }
            ProcessState::ValidatePaymentSelection => {
                validate_payment_selection(app, store, &mut process);
            }
            ProcessState::CreatePayment => {
                // Written with the process at the end, which it refers to.
                process.payment_id = Some(PaymentId::new_random());
                apply_flow(&mut process, FlowState::new(settled));
            }
            ProcessState::PlaceOrder => return Some(process),
            // A failure to record or a wait for the shopper: the persisted process's.
            _ => return None,
        }
    }
    None
}

async fn read(app: &AppState, lease: &Lease) -> anyhow::Result<Process> {
    store_db::find(&app.db, &lease.store_id, lease.process_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("place-order process {} vanished", lease.process_id))
}

/// Counts a failed step. Below `MAX_RETRIES` it schedules the retry and releases the lease
/// (false: stop); at the limit the process starts rolling back (true: keep running).
async fn record_retry(app: &AppState, lease: &Lease) -> anyhow::Result<bool> {
    let Some(mut process) = store_db::find(&app.db, &lease.store_id, lease.process_id).await?
    else {
        return Ok(false);
    };
    if process.fencing_token != lease.token {
        return Ok(false);
    }
    process.retries += 1;
    if process.retries >= MAX_RETRIES && process.state != ProcessState::RollingBack {
        let reason = match process.state {
            ProcessState::CreatePayment
            | ProcessState::ValidatePayment
            | ProcessState::WaitForCustomer => FailureReason::PaymentError,
            _ => FailureReason::Internal,
        };
        begin_rollback(
            &mut process,
            reason,
            "We could not complete the order because of a technical problem. Nothing was charged; please try again.",
        );
        process.retries = 0;
        return Ok(store_db::save(&app.db, lease, &process, true)
            .await?
            .is_some());
    }
    let pause = Duration::from_secs(1 << process.retries.clamp(0, 6));
    process.next_run_at_ms = now_ms() + pause.as_millis() as i64;
    store_db::save(&app.db, lease, &process, false).await?;
    Ok(false)
}

/// Which steps are written to the database on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writes {
    EveryStep,
    WhenReleasedOrSlow,
}

/// Where one step left the process.
enum Advanced {
    /// More steps to run, from this process; the lease is still held.
    Continue(Box<Process>),
    /// Waiting for the shopper or in a final state; the lease was released.
    Released(Box<Process>),
}

/// Reads the process, runs its current state once and records where it went.
pub async fn step(app: &AppState, lease: &Lease) -> Result<Rest, EngineError> {
    let process = read(app, lease).await?;
    Ok(
        match advance(app, lease, process, Writes::EveryStep).await? {
            Advanced::Continue(_) => Rest::Continue,
            Advanced::Released(_) => Rest::Released,
        },
    )
}

async fn advance(
    app: &AppState,
    lease: &Lease,
    mut process: Process,
    writes: Writes,
) -> Result<Advanced, EngineError> {
    // Checked before any side effect; the final write checks it again atomically.
    if process.fencing_token != lease.token {
        return Err(EngineError::LostLease);
    }
    if process.state.is_final() {
        store_db::release(&app.db, lease).await?;
        return Ok(Advanced::Released(Box::new(process)));
    }
    let Some(store) = app.config.store(&process.store_id) else {
        // The store left the configuration: nothing can be rolled back through it.
        process.state = ProcessState::Failed;
        process.failure = Some(Failure {
            reason: FailureReason::Internal,
            message: "This store no longer takes orders.".to_owned(),
        });
        return save_released(app, lease, &process).await;
    };
    if process.cancel_requested && process.state.is_cancellable() {
        if cancel_is_too_late(app, store, &process).await? {
            tracing::info!(process = %crate::telemetry::ShortIds(&process.id), "cancel requested after payment succeeded; placing the order");
        } else {
            begin_rollback(
                &mut process,
                FailureReason::Cancelled,
                "The order was cancelled.",
            );
            return save_held(app, lease, &process).await;
        }
    }

    let before = process.state;
    crash_point(before);
    let started = std::time::Instant::now();
    match process.state {
        ProcessState::New => process.state = ProcessState::PrepareBasket,
        ProcessState::PrepareBasket => prepare_basket(app, &mut process).await?,
        ProcessState::ValidateBasket => validate_basket(app, store, &mut process).await?,
        ProcessState::ValidatePaymentSelection => {
            validate_payment_selection(app, store, &mut process)
        }
        ProcessState::CreatePayment => create_payment(app, store, &mut process).await?,
        ProcessState::WaitForCustomer | ProcessState::ValidatePayment => {
            validate_payment(app, store, &mut process).await?;
        }
        ProcessState::PlaceOrder => return place_order(app, store, lease, &process).await,
        ProcessState::RollingBack => {
            roll_back(app, store, &mut process).await?;
            // The failed process and the event reporting it are one write.
            let notify = store.webhook.is_some();
            let failed = store_db::finish_failed(&app.db, lease, &process, notify)
                .await?
                .ok_or(EngineError::LostLease)?;
            count_step(&failed);
            return Ok(Advanced::Released(Box::new(failed)));
        }
        ProcessState::Success | ProcessState::Failed => {}
    }
    if process.state != before {
        process.state_entered_at_ms = now_ms();
    }
    process.retries = 0;
    process.next_run_at_ms = now_ms();
    if process.state == ProcessState::WaitForCustomer || process.state.is_final() {
        save_released(app, lease, &process).await
    } else if writes == Writes::EveryStep || started.elapsed() > lease.duration / 3 {
        save_held(app, lease, &process).await
    } else {
        count_step(&process);
        Ok(Advanced::Continue(Box::new(process)))
    }
}

/// Tests only (feature `failpoints`): `FAILPOINTS=placeorder-step-{state}=return` aborts
/// the node as it starts that state's step.
#[cfg_attr(not(feature = "failpoints"), allow(unused_variables))]
fn crash_point(state: ProcessState) {
    fail::fail_point!(&["placeorder-step-", state.as_str()].concat(), |_| {
        std::process::abort()
    });
}

/// Writes the process, fenced; `hold` keeps the lease for more steps, otherwise the write
/// gives it back.
async fn save(
    app: &AppState,
    lease: &Lease,
    process: &Process,
    hold: bool,
) -> Result<Advanced, EngineError> {
    let saved = store_db::save(&app.db, lease, process, hold)
        .await?
        .ok_or(EngineError::LostLease)?;
    count_step(&saved);
    let saved = Box::new(saved);
    Ok(if hold {
        Advanced::Continue(saved)
    } else {
        Advanced::Released(saved)
    })
}

async fn save_held(
    app: &AppState,
    lease: &Lease,
    process: &Process,
) -> Result<Advanced, EngineError> {
    save(app, lease, process, true).await
}

async fn save_released(
    app: &AppState,
    lease: &Lease,
    process: &Process,
) -> Result<Advanced, EngineError> {
    save(app, lease, process, false).await
}

/// Steps by the state they ended in; a failed process by its reason.
fn count_step(process: &Process) {
    metrics::counter!("place_order_steps_total", "state" => process.state.as_str()).increment(1);
    if process.state == ProcessState::Failed
        && let Some(failure) = &process.failure
    {
        metrics::counter!("place_order_failures_total", "reason" => failure.reason.as_str())
            .increment(1);
    }
}

/// Records a decided failure; the rollback runs as its own persisted state.
fn begin_rollback(process: &mut Process, reason: FailureReason, message: &str) {
    process.state = ProcessState::RollingBack;
    process.state_entered_at_ms = now_ms();
    process.action = None;
    process.failure = Some(Failure {
        reason,
        message: message.to_owned(),
    });
}

/// Freezes the basket (open → frozen), so the storefront cannot change what is being paid
/// for. Already frozen is this process's own earlier run.
async fn prepare_basket(app: &AppState, process: &mut Process) -> anyhow::Result<()> {
    let (store, basket) = (&process.store_id, process.basket_id);
    let frozen_now = db::baskets::transition(
        &app.db.pool,
        store,
        basket,
        BasketStatus::Open,
        BasketStatus::Frozen,
    )
    .await?;
    if frozen_now {
        process.state = ProcessState::ValidateBasket;
        return Ok(());
    }
    match db::baskets::find(&app.db, store, basket)
        .await?
        .map(|b| b.status)
    {
        Some(BasketStatus::Frozen) => process.state = ProcessState::ValidateBasket,
        Some(BasketStatus::Ordered) => begin_rollback(
            process,
            FailureReason::BasketInvalid,
            "This basket has already been ordered.",
        ),
        Some(BasketStatus::Open) => anyhow::bail!("basket {basket} did not freeze"),
        None => begin_rollback(
            process,
            FailureReason::BasketInvalid,
            "This basket no longer exists.",
        ),
    }
    Ok(())
}

async fn validate_basket(
    app: &AppState,
    store: &StoreConfig,
    process: &mut Process,
) -> anyhow::Result<()> {
    let basket = db::baskets::find(&app.db, &process.store_id, process.basket_id).await?;
    check_basket(store, process, basket.as_ref(), BasketStatus::Frozen);
    Ok(())
}

/// Checks the basket and snapshots its lines: the order is made from what was paid. The
/// basket must have been read in `read_in`: frozen, step by step; open, at once, where the
/// update that ordered it proved it unchanged since.
fn check_basket(
    store: &StoreConfig,
    process: &mut Process,
    basket: Option<&Basket>,
    read_in: BasketStatus,
) {
    let Some(basket) = basket else {
        begin_rollback(
            process,
            FailureReason::BasketInvalid,
            "This basket no longer exists.",
        );
        return;
    };
    let invalid = |message: &str| Some(message.to_owned());
    let buyer = process
        .request
        .customer
        .as_ref()
        .and_then(|c| c.customer_id);
    let problem = if basket.status != read_in {
        invalid("The basket changed while the order was being placed.")
    } else if basket.lines.is_empty() {
        invalid("The basket is empty.")
    } else if basket.customer_id.is_some() && buyer.is_some() && basket.customer_id != buyer {
        invalid("This basket belongs to another customer.")
    } else {
        None
    };
    // The order charges what the review showed: the lines plus the delivery price.
    let delivery = DeliveryMethod::parse(&process.request.delivery_method)
        .map(|method| method.price(store.currency));
    let total = basket
        .total()
        .zip(delivery)
        .and_then(|(lines, delivery)| lines.checked_add(delivery))
        .filter(|t| t.currency == store.currency && t.minor >= 0);
    let problem = problem.or_else(|| {
        total
            .is_none()
            .then(|| "The basket's total cannot be charged in this store's currency.".to_owned())
    });
    match (problem, total) {
        (None, Some(total)) => {
            process.snapshot = Some(BasketSnapshot {
                currency: total.currency.as_str().to_owned(),
                total_minor: total.minor,
                lines: basket
                    .lines
                    .iter()
                    .map(|l| SnapshotLine {
                        product_id: l.product_id,
                        name: l.name.clone(),
                        quantity: l.quantity,
                        unit_price_minor: l.unit_price.minor,
                    })
                    .collect(),
            });
            process.state = ProcessState::ValidatePaymentSelection;
        }
        (problem, _) => begin_rollback(
            process,
            FailureReason::BasketInvalid,
            problem
                .as_deref()
                .unwrap_or("The basket cannot be ordered."),
        ),
    }
}

fn validate_payment_selection(app: &AppState, store: &StoreConfig, process: &mut Process) {
    let selection = &process.request.payment;
    let offered = app
        .payments
        .enabled(store, &selection.gateway)
        .is_some_and(|g| g.methods().iter().any(|m| m.code == selection.method));
    if offered {
        process.state = ProcessState::CreatePayment;
    } else {
        begin_rollback(
            process,
            FailureReason::PaymentSelectionInvalid,
            "That payment method is not available in this store.",
        );
    }
}

fn gateway_of(app: &AppState, process: &Process) -> anyhow::Result<std::sync::Arc<dyn Gateway>> {
    app.payments
        .by_code(&process.request.payment.gateway)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "gateway {:?} is not configured",
                process.request.payment.gateway
            )
        })
}

fn context<'a>(
    app: &'a AppState,
    store: &'a StoreConfig,
    process: &'a Process,
) -> anyhow::Result<PaymentContext<'a>> {
    let amount = match &process.snapshot {
        Some(snapshot) => snapshot.total()?,
        None => Money::new(0, store.currency),
    };
    Ok(PaymentContext {
        db: &app.db,
        checkout_base_url: app.config.checkout.base_url.as_str(),
        store,
        basket_id: process.basket_id,
        process_id: process.id,
        payment_id: process.payment_id,
        method: &process.request.payment.method,
        amount,
        return_url: &process.request.return_url,
        idempotency_key: &process.idempotency_key,
    })
}

/// Starts the payment; a repeated start with the same key returns the same payment.
async fn create_payment(
    app: &AppState,
    store: &StoreConfig,
    process: &mut Process,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        process.snapshot.is_some(),
        "create_payment without a basket snapshot"
    );
    let gateway = gateway_of(app, process)?;
    let result = gateway.start_flow(&context(app, store, process)?).await?;
    process.payment_id = Some(result.payment_id);
    // Completed goes on to the order; approved to validate_payment, which confirms it.
    apply_flow(process, result.state);
    Ok(())
}

/// Asks the gateway where the payment stands; confirms an approved one.
async fn validate_payment(
    app: &AppState,
    store: &StoreConfig,
    process: &mut Process,
) -> anyhow::Result<()> {
    let gateway = gateway_of(app, process)?;
    let mut flow = gateway.flow_status(&context(app, store, process)?).await?;
    if flow.status == FlowStatus::Approved {
        flow = gateway.confirm(&context(app, store, process)?).await?;
        anyhow::ensure!(
            flow.status != FlowStatus::Approved,
            "the gateway has not confirmed the approved payment yet"
        );
    }
    let waited = Duration::from_millis((now_ms() - process.state_entered_at_ms).max(0) as u64);
    if flow.status.is_pending()
        && process.state == ProcessState::WaitForCustomer
        && waited > PAYMENT_WAIT_TIMEOUT
    {
        begin_rollback(
            process,
            FailureReason::PaymentAborted,
            "The payment was not completed in time.",
        );
        return Ok(());
    }
    apply_flow(process, flow);
    Ok(())
}

/// Maps a gateway answer to the next state (Flamingo's payment action handling).
fn apply_flow(process: &mut Process, flow: FlowState) {
    let message = |default: &str| flow.message.clone().unwrap_or_else(|| default.to_owned());
    match flow.status {
        FlowStatus::Completed => {
            process.state = ProcessState::PlaceOrder;
            process.action = None;
        }
        FlowStatus::Approved => {
            process.state = ProcessState::ValidatePayment;
            process.action = None;
        }
        FlowStatus::Unapproved | FlowStatus::WaitingForCustomer => {
            process.state = ProcessState::WaitForCustomer;
            process.action = flow.action;
        }
        FlowStatus::Failed => {
            let text = message("The payment was declined.");
            begin_rollback(process, FailureReason::PaymentDeclined, &text);
        }
        FlowStatus::Aborted => {
            let text = message("The payment was abandoned.");
            begin_rollback(process, FailureReason::PaymentAborted, &text);
        }
        FlowStatus::Cancelled => {
            let text = message("The payment was cancelled.");
            begin_rollback(process, FailureReason::PaymentCancelled, &text);
        }
    }
}

/// Whether a cancel request comes too late: the money is already taken, so the order is
/// placed rather than a paid basket thrown away.
async fn cancel_is_too_late(
    app: &AppState,
    store: &StoreConfig,
    process: &Process,
) -> anyhow::Result<bool> {
    if process.payment_id.is_none() {
        return Ok(false);
    }
    let gateway = gateway_of(app, process)?;
    let flow = gateway.flow_status(&context(app, store, process)?).await?;
    Ok(flow.status == FlowStatus::Completed)
}

/// Creates the order in one fenced transaction with the basket and process updates.
async fn place_order(
    app: &AppState,
    store: &StoreConfig,
    lease: &Lease,
    process: &Process,
) -> Result<Advanced, EngineError> {
    let parts = OrderParts::gather(&app.db.pool, app, store, process).await?;
    let order = parts.order(process)?;
    let notify = store.webhook.is_some();
    match store_db::complete_with_order(&app.db, lease, process, &order, notify).await? {
        Some((placed, written)) => {
            count_placed(&placed, &written);
            Ok(Advanced::Released(Box::new(written)))
        }
        None => Err(EngineError::LostLease),
    }
}

/// What an order is made of besides the process's request and snapshot.
struct OrderParts {
    gateway: &'static str,
    /// The payment method as the shopper chose it, in the store's language.
    method_title: String,
    /// Only a customer who exists in this store gets the order on their account.
    customer_id: Option<CustomerId>,
    lines: Vec<NewOrderLine>,
}

impl OrderParts {
    async fn gather<'c>(
        conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
        app: &AppState,
        store: &StoreConfig,
        process: &Process,
    ) -> anyhow::Result<Self> {
        let snapshot = process
            .snapshot
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("place_order without a basket snapshot"))?;
        let request = &process.request;
        let gateway = gateway_of(app, process)?;
        let method_title = gateway
            .methods()
            .into_iter()
            .find(|m| m.code == request.payment.method)
            .map_or_else(
                || request.payment.method.clone(),
                |m| Lang(store.locale).method_title(gateway.code(), &m.code, &m.title),
            );
        let customer_id = match request.customer.as_ref().and_then(|c| c.customer_id) {
            Some(id) => db::customers::find(conn, &store.id, id)
                .await?
                .map(|c| c.id),
            None => None,
        };
        let lines = snapshot
            .lines
            .iter()
            .map(|l| NewOrderLine {
                product_id: l.product_id,
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
            })
            .collect();
        Ok(Self {
            gateway: gateway.code(),
            method_title,
            customer_id,
            lines,
        })
    }

    fn order<'a>(&'a self, process: &'a Process) -> anyhow::Result<db::orders::NewOrder<'a>> {
        let request = &process.request;
        let snapshot = process
            .snapshot
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("place_order without a basket snapshot"))?;
        Ok(db::orders::NewOrder {
            basket_id: process.basket_id,
            customer_id: self.customer_id,
            customer_issuer: request.customer.as_ref().map(|c| c.issuer.as_str()),
            customer_subject: request.customer.as_ref().map(|c| c.subject.as_str()),
            email: &request.email,
            billing: &request.billing,
            phone: request.phone.as_ref().map(PhoneNumber::as_str),
            delivery: request.delivery.as_ref(),
            delivery_method: &request.delivery_method,
            payment_gateway: self.gateway,
            payment_method: &self.method_title,
            payment_id: process.payment_id,
            total: snapshot.total()?,
            lines: &self.lines,
        })
    }
}

/// Logs and counts an order once its transaction has committed.
fn count_placed(placed: &PlacedOrder, written: &Process) {
    tracing::info!(process = %crate::telemetry::ShortIds(&written.id), order = %crate::telemetry::ShortIds(&placed.id), created = placed.created, "order placed");
    if placed.created {
        metrics::counter!("orders_placed_total", "store" => written.store_id.to_string())
            .increment(1);
    }
    count_step(written);
}

/// Rollbacks in reverse order of the steps: cancel the payment, then reopen the basket.
/// Each is idempotent, so a rollback interrupted by a crash simply runs again.
async fn roll_back(
    app: &AppState,
    store: &StoreConfig,
    process: &mut Process,
) -> anyhow::Result<()> {
    if process.payment_id.is_some() {
        let gateway = gateway_of(app, process)?;
        // A gateway that cannot be reached must not keep the basket frozen: the reconciler
        // voids any payment of a failed process that still shows as successful.
        if let Err(error) = gateway.cancel(&context(app, store, process)?).await {
            tracing::warn!(process = %crate::telemetry::ShortIds(&process.id), error = %crate::telemetry::ShortIds(format!("{error:?}")), "cancelling the payment failed");
        }
    }
    db::baskets::transition(
        &app.db.pool,
        &process.store_id,
        process.basket_id,
        BasketStatus::Frozen,
        BasketStatus::Open,
    )
    .await?;
    process.state = ProcessState::Failed;
    process.state_entered_at_ms = now_ms();
    process.action = None;
    if process.failure.is_none() {
        process.failure = Some(Failure {
            reason: FailureReason::Internal,
            message: "The order could not be placed.".to_owned(),
        });
    }
    Ok(())
}
