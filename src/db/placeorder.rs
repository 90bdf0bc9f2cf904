//! Place-order processes and their leases.
//!
//! A process is written only by the holder of its lease, and every such write carries the
//! holder's fencing token (`WHERE … AND fencing_token = $n`): the token grows on every
//! acquisition and release, so a node that lost its lease (paused, partitioned, too slow)
//! writes nothing. Lease times are Unix milliseconds.

use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::orders::{NewOrder, PlacedOrder};
use super::payments::NewPayment;
use super::webhooks::NewEvent;
use super::{Backend, Bind, Db, now, placeholders};
use crate::domain::payment::{FlowAction, IdempotencyKey};
use crate::domain::placeorder::{Failure, FailureReason, PlaceOrderRequest, ProcessState};
use crate::domain::{BasketId, Currency, Money, OrderId, PaymentId, ProcessId, ProductId, StoreId};

/// Unix milliseconds, the unit of lease and scheduling columns.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The basket's lines as validated; the order is made from this, not from the live basket
/// (product prices may change between payment and order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketSnapshot {
    pub currency: String,
    pub total_minor: i64,
    pub lines: Vec<SnapshotLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotLine {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

impl BasketSnapshot {
    pub fn total(&self) -> anyhow::Result<Money> {
        Ok(Money::new(
            self.total_minor,
            Currency::parse(&self.currency)?,
        ))
    }
}

/// A process as stored.
#[derive(Debug, Clone)]
pub struct Process {
    pub id: ProcessId,
    pub store_id: StoreId,
    pub basket_id: BasketId,
    pub state: ProcessState,
    pub failure: Option<Failure>,
    pub attempt: i64,
    pub idempotency_key: IdempotencyKey,
    pub request: PlaceOrderRequest,
    /// `PlaceOrderRequest::fingerprint` of this attempt's request.
    pub fingerprint: Option<String>,
    pub snapshot: Option<BasketSnapshot>,
    pub payment_id: Option<PaymentId>,
    pub action: Option<FlowAction>,
    pub order_id: Option<OrderId>,
    pub order_number: Option<String>,
    pub cancel_requested: bool,
    pub retries: i64,
    pub next_run_at_ms: i64,
    pub state_entered_at_ms: i64,
    pub lease_owner: Option<String>,
    pub lease_expires_at_ms: i64,
    pub fencing_token: i64,
    pub created_at: i64,
    pub updated_at_ms: i64,
}

#[derive(sqlx::FromRow)]
struct ProcessRow {
    id: String,
    store_id: String,
    basket_id: String,
    state: String,
    failure_reason: Option<String>,
    failure_message: Option<String>,
    attempt: i64,
    idempotency_key: String,
    request: String,
    request_fingerprint: Option<String>,
    basket_snapshot: Option<String>,
    payment_id: Option<String>,
    action: Option<String>,
    order_id: Option<String>,
    order_number: Option<String>,
    cancel_requested: i64,
    retries: i64,
    next_run_at_ms: i64,
    state_entered_at_ms: i64,
    lease_owner: Option<String>,
    lease_expires_at_ms: i64,
    fencing_token: i64,
    created_at: i64,
    updated_at_ms: i64,
}

const COLUMNS: &str = "id, store_id, basket_id, state, failure_reason, failure_message, attempt, \
     idempotency_key, request, request_fingerprint, basket_snapshot, payment_id, action, order_id, order_number, \
     cancel_requested, retries, next_run_at_ms, state_entered_at_ms, lease_owner, \
     lease_expires_at_ms, fencing_token, created_at, updated_at_ms";

impl TryFrom<ProcessRow> for Process {
    type Error = anyhow::Error;
    fn try_from(row: ProcessRow) -> anyhow::Result<Self> {
        let failure = match row.failure_reason {
            Some(reason) => Some(Failure {
                reason: FailureReason::parse(&reason)
                    .with_context(|| format!("unknown failure reason {reason:?}"))?,
                message: row.failure_message.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(Process {
            id: ProcessId::parse(&row.id)?,
            store_id: StoreId::parse(&row.store_id)?,
            basket_id: BasketId::parse(&row.basket_id)?,
            state: ProcessState::parse(&row.state)
                .with_context(|| format!("unknown process state {:?}", row.state))?,
            failure,
            attempt: row.attempt,
            idempotency_key: IdempotencyKey::parse(&row.idempotency_key)?,
            request: serde_json::from_str(&row.request).context("decoding a process request")?,
            fingerprint: row.request_fingerprint,
            snapshot: row
                .basket_snapshot
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .context("decoding a basket snapshot")?,
            payment_id: row
                .payment_id
                .as_deref()
                .map(PaymentId::parse)
                .transpose()?,
            action: row
                .action
                .map(|json| serde_json::from_str(&json))
                .transpose()
                .context("decoding a flow action")?,
            order_id: row.order_id.as_deref().map(OrderId::parse).transpose()?,
            order_number: row.order_number,
            cancel_requested: row.cancel_requested != 0,
            retries: row.retries,
            next_run_at_ms: row.next_run_at_ms,
            state_entered_at_ms: row.state_entered_at_ms,
            lease_owner: row.lease_owner,
            lease_expires_at_ms: row.lease_expires_at_ms,
            fencing_token: row.fencing_token,
            created_at: row.created_at,
            updated_at_ms: row.updated_at_ms,
        })
    }
}

/// The right to process one process until `duration` after the last write. Dropping it
/// without releasing is what a crashed node does: the lease runs out and another node
/// takes over.
#[derive(Debug, Clone)]
pub struct Lease {
    pub store_id: StoreId,
    pub process_id: ProcessId,
    pub owner: String,
    pub token: i64,
    pub duration: Duration,
}

impl Lease {
    fn expires_at_ms(&self) -> i64 {
        now_ms().saturating_add(self.duration.as_millis() as i64)
    }
}

/// A process about to be created for a basket.
pub struct NewProcess<'a> {
    pub basket: BasketId,
    pub request: &'a PlaceOrderRequest,
    /// Tells a repeated start with the same request from another one.
    pub fingerprint: &'a str,
    pub key: &'a IdempotencyKey,
}

impl Process {
    /// A basket's first attempt as it starts: state `new`, due now, nobody's lease.
    pub fn first_attempt(store: &StoreId, new: &NewProcess<'_>) -> Self {
        let now_ms = now_ms();
        Process {
            id: ProcessId::new_random(),
            store_id: store.clone(),
            basket_id: new.basket,
            state: ProcessState::New,
            failure: None,
            attempt: 1,
            idempotency_key: new.key.clone(),
            request: new.request.clone(),
            fingerprint: Some(new.fingerprint.to_owned()),
            snapshot: None,
            payment_id: None,
            action: None,
            order_id: None,
            order_number: None,
            cancel_requested: false,
            retries: 0,
            next_run_at_ms: now_ms,
            state_entered_at_ms: now_ms,
            lease_owner: None,
            lease_expires_at_ms: 0,
            fencing_token: 0,
            created_at: now(),
            updated_at_ms: now_ms,
        }
    }
}

/// Creates the basket's process unless it has one, with `owner` already holding its
/// lease, so no worker can take it between its creation and its first step. The unique
/// (store_id, basket_id) makes concurrent starts agree on one row; the lease and the new
/// process come back only to the call that created it.
pub async fn create_if_absent<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    store: &StoreId,
    new: &NewProcess<'_>,
    owner: &str,
    duration: Duration,
) -> anyhow::Result<Option<(Lease, Process)>> {
    let started = Process::first_attempt(store, new);
    let lease = Lease {
        store_id: store.clone(),
        process_id: started.id,
        owner: owner.to_owned(),
        token: 1,
        duration,
    };
    let process = Process {
        lease_owner: Some(lease.owner.clone()),
        lease_expires_at_ms: lease.expires_at_ms(),
        fencing_token: lease.token,
        ..started
    };
    Ok(insert_if_absent(conn, &process)
        .await?
        .map(|created| (lease, created)))
}

/// Inserts the process as it is unless its basket has one; `None` when it had.
async fn insert_if_absent<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    process: &Process,
) -> anyhow::Result<Option<Process>> {
    static INSERT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO place_order_processes ({columns}) VALUES ({values})
             ON CONFLICT (store_id, basket_id) DO NOTHING
             RETURNING {COLUMNS}",
            columns = *NEW_COLUMNS,
            values = placeholders(1, &NEW_COLUMNS)
        )
    });
    let inserted: Option<ProcessRow> = bind_new(sqlx::query_as(INSERT.as_str()), process)?
        .fetch_optional(conn)
        .await
        .context("creating a place-order process")?;
    inserted.map(Process::try_from).transpose()
}

/// The columns of a new process, in the order [`bind_new`] binds them.
static NEW_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "id, store_id, basket_id, {PROGRESS}, attempt, idempotency_key, request, \
         request_fingerprint, cancel_requested, lease_owner, lease_expires_at_ms, \
         fencing_token, created_at, updated_at_ms"
    )
});

/// Binds a new process's [`NEW_COLUMNS`], next in the statement's numbering.
fn bind_new<'q, Q: Bind<'q>>(query: Q, process: &Process) -> anyhow::Result<Q> {
    let query = query
        .bind_value(process.id.to_string())
        .bind_value(process.store_id.as_str().to_owned())
        .bind_value(process.basket_id.to_string());
    Ok(bind_progress(query, process)?
        .bind_value(process.attempt)
        .bind_value(process.idempotency_key.as_str().to_owned())
        .bind_value(serde_json::to_string(&process.request)?)
        .bind_value(process.fingerprint.clone())
        .bind_value(i64::from(process.cancel_requested))
        .bind_value(process.lease_owner.clone())
        .bind_value(process.lease_expires_at_ms)
        .bind_value(process.fencing_token)
        .bind_value(process.created_at)
        .bind_value(process.updated_at_ms))
}

/// The columns a process's progress lives in, in the order [`bind_progress`] binds them;
/// the insert and the fenced update both write them.
const PROGRESS: &str = "state, failure_reason, failure_message, basket_snapshot, amount_minor, \
     currency, payment_id, action, order_id, order_number, retries, next_run_at_ms, \
     state_entered_at_ms";

/// Binds the process's [`PROGRESS`] columns, next in the statement's numbering.
fn bind_progress<'q, Q: Bind<'q>>(query: Q, process: &Process) -> anyhow::Result<Q> {
    Ok(query
        .bind_value(process.state.as_str())
        .bind_value(process.failure.as_ref().map(|f| f.reason.as_str()))
        .bind_value(process.failure.as_ref().map(|f| f.message.clone()))
        .bind_value(
            process
                .snapshot
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        )
        .bind_value(process.snapshot.as_ref().map(|s| s.total_minor))
        .bind_value(process.snapshot.as_ref().map(|s| s.currency.clone()))
        .bind_value(process.payment_id.map(|p| p.to_string()))
        .bind_value(
            process
                .action
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        )
        .bind_value(process.order_id.map(|o| o.to_string()))
        .bind_value(process.order_number.clone())
        .bind_value(process.retries)
        .bind_value(process.next_run_at_ms)
        .bind_value(process.state_entered_at_ms))
}

pub async fn find_for_basket(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Option<Process>> {
    sqlx::query_as::<_, ProcessRow>(&format!(
        "SELECT {COLUMNS} FROM place_order_processes WHERE store_id = $1 AND basket_id = $2"
    ))
    .bind(store.as_str())
    .bind(basket.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a basket's place-order process")?
    .map(Process::try_from)
    .transpose()
}

pub async fn find(db: &Db, store: &StoreId, id: ProcessId) -> anyhow::Result<Option<Process>> {
    sqlx::query_as::<_, ProcessRow>(&format!(
        "SELECT {COLUMNS} FROM place_order_processes WHERE store_id = $1 AND id = $2"
    ))
    .bind(store.as_str())
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a place-order process")?
    .map(Process::try_from)
    .transpose()
}

/// Turns a failed process into the next attempt: state `new`, a new idempotency key, the
/// new request and its fingerprint. Only a failed process with no lease qualifies, so of concurrent restarts
/// exactly one wins. The token grows, so nothing from the old attempt can write.
pub async fn restart_failed(
    db: &Db,
    store: &StoreId,
    id: ProcessId,
    request: &PlaceOrderRequest,
    fingerprint: &str,
    key: &IdempotencyKey,
) -> anyhow::Result<bool> {
    let now_ms = now_ms();
    let changed = sqlx::query(
        "UPDATE place_order_processes
         SET state = 'new', attempt = attempt + 1, idempotency_key = $3, request = $4,
             request_fingerprint = $6,
             failure_reason = NULL, failure_message = NULL, basket_snapshot = NULL,
             amount_minor = NULL, currency = NULL, payment_id = NULL, action = NULL,
             cancel_requested = 0, retries = 0, next_run_at_ms = $5,
             state_entered_at_ms = $5, updated_at_ms = $5, lease_owner = NULL,
             lease_expires_at_ms = 0, fencing_token = fencing_token + 1
         WHERE store_id = $1 AND id = $2 AND state = 'failed' AND lease_expires_at_ms < $5",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .bind(key.as_str())
    .bind(serde_json::to_string(request)?)
    .bind(now_ms)
    .bind(fingerprint)
    .execute(&db.pool)
    .await
    .context("restarting a failed place-order process")?
    .rows_affected();
    Ok(changed == 1)
}

/// Takes the lease if it is free or expired and the process has work left; the new,
/// larger fencing token comes back with it.
pub async fn acquire(
    db: &Db,
    store: &StoreId,
    id: ProcessId,
    owner: &str,
    duration: Duration,
) -> anyhow::Result<Option<Lease>> {
    let now_ms = now_ms();
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE place_order_processes
         SET lease_owner = $3, lease_expires_at_ms = $4, fencing_token = fencing_token + 1
         WHERE store_id = $1 AND id = $2 AND lease_expires_at_ms < $5
           AND state NOT IN ('success', 'failed')
         RETURNING fencing_token",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .bind(owner)
    .bind(now_ms.saturating_add(duration.as_millis() as i64))
    .bind(now_ms)
    .fetch_optional(&db.pool)
    .await
    .context("acquiring a place-order lease")?;
    Ok(row.map(|(token,)| Lease {
        store_id: store.clone(),
        process_id: id,
        owner: owner.to_owned(),
        token,
        duration,
    }))
}

/// Writes the process's progress under the lease and returns the row as it now is (with a
/// cancellation requested meanwhile); `None` when the lease was lost (the token moved on)
/// and nothing was written. `hold` keeps (and extends) the lease; otherwise it is released
/// in the same write.
pub async fn save(
    db: &Db,
    lease: &Lease,
    process: &Process,
    hold: bool,
) -> anyhow::Result<Option<Process>> {
    write(&db.pool, lease, process, hold).await
}

/// [`save`] on any connection: the pool, or a transaction that writes more with it.
async fn write<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    lease: &Lease,
    process: &Process,
    hold: bool,
) -> anyhow::Result<Option<Process>> {
    let now_ms = now_ms();
    let (owner, expires, bump) = if hold {
        (Some(lease.owner.as_str()), lease.expires_at_ms(), 0)
    } else {
        (None, 0, 1)
    };
    let sql = format!(
        "UPDATE place_order_processes
         SET ({PROGRESS}, updated_at_ms, lease_owner, lease_expires_at_ms, fencing_token) =
             ($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
              fencing_token + $20)
         WHERE store_id = $1 AND id = $2 AND fencing_token = $3
         RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql)
        .bind(lease.store_id.as_str())
        .bind(lease.process_id.to_string())
        .bind(lease.token);
    let saved: Option<ProcessRow> = bind_progress(query, process)?
        .bind(now_ms)
        .bind(owner)
        .bind(expires)
        .bind(bump)
        .fetch_optional(conn)
        .await
        .context("saving a place-order process")?;
    saved.map(Process::try_from).transpose()
}

/// Gives the lease up; false when it was already lost.
pub async fn release(db: &Db, lease: &Lease) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE place_order_processes
         SET lease_owner = NULL, lease_expires_at_ms = 0, fencing_token = fencing_token + 1
         WHERE store_id = $1 AND id = $2 AND fencing_token = $3",
    )
    .bind(lease.store_id.as_str())
    .bind(lease.process_id.to_string())
    .bind(lease.token)
    .execute(&db.pool)
    .await
    .context("releasing a place-order lease")?
    .rows_affected();
    Ok(changed == 1)
}

/// Frees the live leases whose owner names start with `node`; how many.
pub async fn release_all_of_node(db: &Db, node: &str) -> anyhow::Result<u64> {
    let released = sqlx::query(
        "UPDATE place_order_processes
         SET lease_owner = NULL, lease_expires_at_ms = 0, fencing_token = fencing_token + 1
         WHERE lease_owner LIKE $1 AND lease_expires_at_ms > $2",
    )
    // Node names are letters, digits and dashes: nothing LIKE would read as a pattern.
    .bind(format!("{node}-%"))
    .bind(now_ms())
    .execute(&db.pool)
    .await
    .context("handing back a node's place-order leases")?
    .rows_affected();
    Ok(released)
}

/// Asks the process to stop; the lease holder acts on it before its next step. A flag,
/// not a state change, so it never fights the holder's fenced writes.
pub async fn request_cancel(db: &Db, store: &StoreId, id: ProcessId) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE place_order_processes SET cancel_requested = 1, next_run_at_ms = $3
         WHERE store_id = $1 AND id = $2 AND state NOT IN ('success', 'failed')",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .bind(now_ms())
    .execute(&db.pool)
    .await
    .context("requesting a place-order cancellation")?
    .rows_affected();
    Ok(changed == 1)
}

/// The place-order step's one transaction: creates the order once per basket, marks the
/// basket ordered, writes `order.placed` to the outbox when the store takes webhooks
/// (`notify`) and writes the process, now `success` with its order, releasing the lease.
/// The fenced write comes last; when the lease was lost it changes nothing and the whole
/// transaction is rolled back, so nothing is written, the event neither (on PostgreSQL a
/// node that took the lease meanwhile waits on the order's unique basket until then).
/// Returns the order and the process as written.
pub async fn complete_with_order(
    db: &Db,
    lease: &Lease,
    process: &Process,
    order: &NewOrder<'_>,
    notify: bool,
) -> anyhow::Result<Option<(PlacedOrder, Process)>> {
    let mut tx = db.begin().await.context("beginning place order")?;
    let Some(written) = complete_with_order_in(&mut tx, lease, process, order, notify).await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    tx.commit().await.context("committing place order")?;
    Ok(Some(written))
}

async fn complete_with_order_in(
    tx: &mut sqlx::AnyConnection,
    lease: &Lease,
    process: &Process,
    order: &NewOrder<'_>,
    notify: bool,
) -> anyhow::Result<Option<(PlacedOrder, Process)>> {
    let placed = super::orders::create_once(&mut *tx, &lease.store_id, order).await?;
    // An order found rather than created was committed with its event already.
    if notify && placed.created {
        NewEvent::order_placed(&lease.store_id, order, &placed)?
            .insert(tx)
            .await?;
    }
    sqlx::query(
        "UPDATE baskets SET status = 'ordered', updated_at = $3
         WHERE store_id = $1 AND id = $2 AND status = 'frozen'",
    )
    .bind(lease.store_id.as_str())
    .bind(order.basket_id.to_string())
    .bind(now())
    .execute(&mut *tx)
    .await
    .context("marking the basket ordered")?;
    let written = write(&mut *tx, lease, &placed.ended(process), false).await?;
    Ok(written.map(|written| (placed, written)))
}

/// The writes of an order placed from start to finish at once (`engine::place_at_once`),
/// each row written once in its final form: the basket moved from open to ordered, the
/// order and its lines, `order.placed` in the outbox when the store takes webhooks
/// (`notify`), the process as it ends (`success`, with its order) and its payment.
pub struct AtOnce<'a> {
    /// The basket's version as the request read it: a line changed since makes it no
    /// longer the basket the process checked.
    pub basket_version: i64,
    /// The process as it stands before the order: its snapshot taken and its payment named.
    pub process: &'a Process,
    pub order: &'a NewOrder<'a>,
    pub payment: &'a NewPayment<'a>,
    pub notify: bool,
}

/// Makes the writes of [`AtOnce`] and returns the order and the process as it ended; or
/// writes nothing and returns `None` when the basket is no longer open at the version read,
/// or has a process or an order already (an earlier attempt's), so that the caller runs
/// the process step by step. One commit makes them all visible together.
///
/// Each backend takes the writes as one exchange ([`ORDER_AT_ONCE`]): seven round trips
/// fewer than a statement per table (docs/benchmarks.md). On SQLite they are several
/// statements in one call, in a transaction, behind the write gate ([`Db::write_gate`]).
pub async fn complete_at_once(
    db: &Db,
    at_once: &AtOnce<'_>,
) -> anyhow::Result<Option<(PlacedOrder, Process)>> {
    let AtOnce {
        basket_version,
        process,
        order,
        payment,
        notify,
    } = at_once;
    anyhow::ensure!(
        process.payment_id == Some(payment.id),
        "the payment is not the one the process names"
    );
    let store = &process.store_id;
    let placed = PlacedOrder {
        id: OrderId::new_random(),
        number: super::orders::order_number(store),
        created: true,
    };
    let ended = Process {
        updated_at_ms: now_ms(),
        ..placed.ended(process)
    };
    let event = notify
        .then(|| NewEvent::order_placed(store, order, &placed))
        .transpose()?;
    let statement =
        &ORDER_AT_ONCE[usize::from(db.backend == Backend::Postgres)][usize::from(event.is_some())];
    let query = sqlx::query_as(statement)
        .bind(now())
        .bind(store.as_str())
        .bind(process.basket_id.to_string())
        .bind(*basket_version);
    let query = super::orders::bind_new(query, placed.id, placed.number.clone(), store, order)?
        .bind(serde_json::to_string(order.lines)?);
    let query = super::payments::bind_new(bind_new(query, &ended)?, store, payment);
    let query = match event {
        Some(event) => event.bind(query),
        None => query,
    };
    // All rows, not one: asked for one, sqlx's SQLite driver stops after the first
    // statement's result.
    let written: Result<Vec<(i64,)>, sqlx::Error> = match db.backend {
        Backend::Postgres => query.fetch_all(&db.pool).await,
        Backend::Sqlite => {
            let _gate = db.write_gate().await;
            let mut tx = db.begin().await?;
            let written = query.fetch_all(&mut *tx).await;
            match written {
                Ok(_) => tx.commit().await.context("committing place order")?,
                Err(_) => tx.rollback().await.context("rolling back place order")?,
            }
            written
        }
    };
    match written {
        Ok(rows) if rows == [(1,)] => Ok(Some((placed, ended))),
        Ok(_) => Ok(None),
        // The basket's order or process exists, or the order number was taken: nothing
        // was written.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e).context("placing an order at once"),
    }
}

/// [`complete_at_once`]'s writes as one exchange, by backend (SQLite, PostgreSQL), each
/// without and with the `order.placed` event. The basket's update comes first, and each
/// insert writes only if the order was inserted, which it is only if the basket was
/// ordered at the version read. Every backend binds the same values in the same order:
/// the update's, the order's, its lines as a JSON array, the process's, the payment's and
/// the event's.
static ORDER_AT_ONCE: LazyLock<[[String; 2]; 2]> = LazyLock::new(|| {
    [
        [sqlite_order(false), sqlite_order(true)],
        [postgres_order(false), postgres_order(true)],
    ]
});

/// Where each row's values start in [`ORDER_AT_ONCE`]'s numbering.
struct Numbering {
    order: usize,
    lines: usize,
    process: usize,
    payment: usize,
    event: usize,
}

impl Numbering {
    fn new() -> Self {
        use super::{orders, payments};
        let order = 5;
        let lines = order + orders::NEW_COLUMNS.split(',').count();
        let process = lines + 1;
        let payment = process + NEW_COLUMNS.split(',').count();
        let event = payment + payments::NEW_COLUMNS.split(',').count();
        Self {
            order,
            lines,
            process,
            payment,
            event,
        }
    }
}

/// PostgreSQL: one statement of data-modifying `WITH` clauses, each insert selecting from
/// the one before it; a unique violation in any of them undoes them all.
fn postgres_order(with_event: bool) -> String {
    use super::{orders, payments, webhooks};
    let n = Numbering::new();
    let event = if with_event {
        format!(
            ", event AS (
                 INSERT INTO webhook_events ({}) SELECT {} FROM placed
             )",
            webhooks::NEW_COLUMNS,
            placeholders(n.event, webhooks::NEW_COLUMNS)
        )
    } else {
        String::new()
    };
    format!(
        "WITH ordered AS (
             UPDATE baskets SET status = 'ordered', updated_at = $1
             WHERE store_id = $2 AND id = $3 AND status = 'open' AND version = $4
             RETURNING id
         ), placed AS (
             INSERT INTO orders ({order_columns}) SELECT {order_values} FROM ordered
             RETURNING id
         ), lines AS (
             INSERT INTO order_lines (order_id, product_id, name, quantity, unit_price_minor)
             SELECT placed.id, line.product_id, line.name, line.quantity, line.unit_price_minor
             FROM placed, json_to_recordset(${lines}::json) AS line (product_id TEXT,
                 name TEXT, quantity BIGINT, unit_price_minor BIGINT)
         ), process AS (
             INSERT INTO place_order_processes ({process_columns}) SELECT {process_values}
             FROM placed
             RETURNING id
         ), payment AS (
             INSERT INTO payments ({payment_columns}) SELECT {payment_values} FROM process
         ){event}
         SELECT COUNT(*) FROM placed",
        order_columns = orders::NEW_COLUMNS,
        order_values = placeholders(n.order, orders::NEW_COLUMNS),
        lines = n.lines,
        process_columns = *NEW_COLUMNS,
        process_values = placeholders(n.process, &NEW_COLUMNS),
        payment_columns = payments::NEW_COLUMNS,
        payment_values = placeholders(n.payment, payments::NEW_COLUMNS),
    )
}

/// SQLite, which cannot modify data in `WITH`: one statement per table, sent together
/// and run in one call. The order is inserted only if the basket's update changed its row
/// (`changes()`), and every later insert only if the order, by its new id, exists.
fn sqlite_order(with_event: bool) -> String {
    use super::{orders, payments, webhooks};
    let n = Numbering::new();
    let order = n.order;
    let placed = format!("EXISTS (SELECT 1 FROM orders WHERE id = ${order})");
    let event = if with_event {
        format!(
            "INSERT INTO webhook_events ({}) SELECT {} WHERE {placed};",
            webhooks::NEW_COLUMNS,
            placeholders(n.event, webhooks::NEW_COLUMNS)
        )
    } else {
        String::new()
    };
    format!(
        "UPDATE baskets SET status = 'ordered', updated_at = $1
         WHERE store_id = $2 AND id = $3 AND status = 'open' AND version = $4;
         INSERT INTO orders ({order_columns}) SELECT {order_values} WHERE changes() = 1;
         INSERT INTO order_lines (order_id, product_id, name, quantity, unit_price_minor)
         SELECT ${order}, line.value ->> 'product_id', line.value ->> 'name',
             line.value ->> 'quantity', line.value ->> 'unit_price_minor'
         FROM json_each(${lines}) AS line WHERE {placed};
         INSERT INTO place_order_processes ({process_columns}) SELECT {process_values}
         WHERE {placed};
         INSERT INTO payments ({payment_columns}) SELECT {payment_values} WHERE {placed};
         {event}
         SELECT COUNT(*) FROM orders WHERE id = ${order}",
        order_columns = orders::NEW_COLUMNS,
        order_values = placeholders(order, orders::NEW_COLUMNS),
        lines = n.lines,
        process_columns = *NEW_COLUMNS,
        process_values = placeholders(n.process, &NEW_COLUMNS),
        payment_columns = payments::NEW_COLUMNS,
        payment_values = placeholders(n.payment, payments::NEW_COLUMNS),
    )
}

impl PlacedOrder {
    /// The process as it ends with this order.
    fn ended(&self, process: &Process) -> Process {
        Process {
            state: ProcessState::Success,
            order_id: Some(self.id),
            order_number: Some(self.number.clone()),
            action: None,
            failure: None,
            state_entered_at_ms: now_ms(),
            ..process.clone()
        }
    }
}

/// Writes the process as it ends `failed`, releasing the lease, and in the same transaction
/// the event its failure reports (`order.payment_failed`, `order.cancelled`) when the store
/// takes webhooks (`notify`). `None` when the lease was lost: nothing is written, and the
/// next holder runs the rollback again and writes both.
pub async fn finish_failed(
    db: &Db,
    lease: &Lease,
    process: &Process,
    notify: bool,
) -> anyhow::Result<Option<Process>> {
    let mut tx = db
        .begin()
        .await
        .context("beginning a failed process's write")?;
    let Some(written) = write(&mut *tx, lease, process, false).await? else {
        tx.rollback().await?;
        return Ok(None);
    };
    if notify {
        super::webhooks::process_failed(&mut tx, &written).await?;
    }
    tx.commit().await.context("committing a failed process")?;
    Ok(Some(written))
}

/// Every node's runner polls this, so it must not read finished processes, nearly all rows
/// after a while: the partial index `place_order_processes_runnable` holds the others, and
/// the `state` term here must stay word for word the index's for the planner to use it.
const DUE: &str = "SELECT store_id, id FROM place_order_processes
     WHERE state NOT IN ('wait_for_customer', 'success', 'failed')
       AND next_run_at_ms <= $1 AND lease_expires_at_ms < $1
     ORDER BY next_run_at_ms LIMIT $2";

/// Polled by every node's reconciler; `place_order_processes_unfinished`, as for [`DUE`].
const STALE: &str = "SELECT store_id, id FROM place_order_processes
     WHERE state NOT IN ('success', 'failed')
       AND updated_at_ms <= $1 AND lease_expires_at_ms < $2
     ORDER BY updated_at_ms LIMIT $3";

/// Processes a worker should run now: in an active state, due, and with no live lease.
/// Read across stores, because the worker serves them all; each id comes back with its
/// store and every following call is store-scoped.
pub async fn due(db: &Db, limit: i64) -> anyhow::Result<Vec<(StoreId, ProcessId)>> {
    let now_ms = now_ms();
    let rows: Vec<(String, String)> = sqlx::query_as(DUE)
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&db.pool)
        .await
        .context("finding due place-order processes")?;
    ids(rows)
}

/// Unfinished processes nobody has touched since `updated_before_ms` and nobody holds:
/// shoppers who closed the tab on the payment page, and anything else left behind.
/// Read across stores, like `due`.
pub async fn stale(
    db: &Db,
    updated_before_ms: i64,
    limit: i64,
) -> anyhow::Result<Vec<(StoreId, ProcessId)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(STALE)
        .bind(updated_before_ms)
        .bind(now_ms())
        .bind(limit)
        .fetch_all(&db.pool)
        .await
        .context("finding stale place-order processes")?;
    ids(rows)
}

fn ids(rows: Vec<(String, String)>) -> anyhow::Result<Vec<(StoreId, ProcessId)>> {
    rows.into_iter()
        .map(|(store, id)| Ok((StoreId::parse(&store)?, ProcessId::parse(&id)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLLS: [(&str, &str, &str); 2] = [
        ("due", DUE, "place_order_processes_runnable"),
        ("stale", STALE, "place_order_processes_unfinished"),
    ];

    /// The runner and the reconciler poll on every node; finished processes, which pile up
    /// with every order, must not be read.
    #[tokio::test]
    async fn the_pollers_search_unfinished_processes_without_scanning_the_history() {
        for (name, query, index) in POLLS {
            let steps = crate::db::sqlite_plan(query).await;
            assert!(
                steps.iter().all(|step| !step.starts_with("SCAN")),
                "{name}: {steps:?}"
            );
            assert!(
                steps.iter().any(|step| step.contains(index)),
                "{name}: {steps:?}"
            );
        }
    }

    /// The same on PostgreSQL: each poll's condition lets it use its partial index.
    #[tokio::test]
    async fn on_postgresql_the_pollers_can_use_their_partial_indexes() {
        for (name, query, index) in POLLS {
            let plan = crate::db::postgres_plan(query).await;
            assert!(
                plan.iter()
                    .any(|line| line.contains(&format!("Index Scan on {index}"))
                        || line.contains(&format!("Index Scan using {index}"))),
                "{name}: {plan:?}"
            );
            assert!(
                plan.iter().all(|line| !line.contains("Seq Scan")),
                "{name}: {plan:?}"
            );
        }
    }
}
