//! The outbox of events for the stores' webhooks. An event is written inside the
//! transaction that makes it true (the order, the failed process), so it exists exactly
//! when that was committed; the delivery worker (`webhooks`) claims due events, sends them
//! and records each attempt here.

use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::orders::{NewOrder, PlacedOrder};
use super::placeorder::{Process, now_ms};
use super::{Bind, Db, now, placeholders};
use crate::domain::StoreId;
use crate::domain::placeorder::FailureReason;

/// How long a delivered or given-up event is kept for `webhooks list`, before retention
/// deletes it.
pub const KEPT_FOR_SECS: i64 = 7 * 24 * 60 * 60;

/// What happened, as the `type` of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    OrderPlaced,
    OrderPaymentFailed,
    OrderCancelled,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPlaced => "order.placed",
            Self::OrderPaymentFailed => "order.payment_failed",
            Self::OrderCancelled => "order.cancelled",
        }
    }

    /// The event a failed process reports, if any: a store hears about payments that
    /// failed and attempts that were cancelled, not about baskets it refused itself.
    pub fn of_failure(reason: FailureReason) -> Option<Self> {
        if reason == FailureReason::Cancelled {
            Some(Self::OrderCancelled)
        } else if reason.is_payment_problem() {
            Some(Self::OrderPaymentFailed)
        } else {
            None
        }
    }
}

/// An event about to be written, its body fixed now, so every attempt sends (and signs)
/// the same bytes.
pub(super) struct NewEvent {
    store: StoreId,
    event: EventType,
    payload: String,
}

/// The columns of a new event, in the order [`NewEvent::bind`] binds them.
pub(super) const NEW_COLUMNS: &str = "id, store_id, type, payload, created_at, next_attempt_at_ms";

impl NewEvent {
    fn new(store: &StoreId, event: EventType, data: Value) -> anyhow::Result<Self> {
        let timestamp = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .context("formatting an event's timestamp")?;
        let payload = json!({"type": event.as_str(), "timestamp": timestamp, "data": data});
        Ok(Self {
            store: store.clone(),
            event,
            payload: payload.to_string(),
        })
    }

    /// `order.placed`, written with the order it reports.
    pub(super) fn order_placed(
        store: &StoreId,
        order: &NewOrder<'_>,
        placed: &PlacedOrder,
    ) -> anyhow::Result<Self> {
        let data = json!({
            "store_id": store.as_str(),
            "order_id": placed.id.to_string(),
            "order_number": placed.number,
            "basket_id": order.basket_id.to_string(),
            "total_minor": order.total.minor,
            "currency": order.total.currency.as_str(),
            "email": order.email.as_str(),
            "customer_id": order.customer_id.map(|c| c.to_string()),
            "payment_method": order.payment_method,
            "delivery_method": order.delivery_method,
            "lines": order.lines,
        });
        Self::new(store, EventType::OrderPlaced, data)
    }

    /// Binds the event's [`NEW_COLUMNS`], next in the statement's numbering.
    pub(super) fn bind<'q, Q: Bind<'q>>(self, query: Q) -> Q {
        query
            .bind_value(Uuid::new_v4().to_string())
            .bind_value(self.store.as_str().to_owned())
            .bind_value(self.event.as_str())
            .bind_value(self.payload)
            .bind_value(now())
            .bind_value(now_ms())
    }

    /// Writes the event inside the caller's transaction.
    pub(super) async fn insert(self, conn: &mut AnyConnection) -> anyhow::Result<()> {
        static INSERT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO webhook_events ({NEW_COLUMNS}) VALUES ({})",
                placeholders(1, NEW_COLUMNS)
            )
        });
        self.bind(sqlx::query(INSERT.as_str()))
            .execute(conn)
            .await
            .context("writing a webhook event")?;
        Ok(())
    }
}

/// `order.payment_failed` or `order.cancelled`, in the transaction that writes the failed
/// process; nothing for a failure no store event reports.
pub(super) async fn process_failed(
    conn: &mut AnyConnection,
    process: &Process,
) -> anyhow::Result<()> {
    let Some(failure) = &process.failure else {
        return Ok(());
    };
    let Some(event) = EventType::of_failure(failure.reason) else {
        return Ok(());
    };
    let data = json!({
        "store_id": process.store_id.as_str(),
        "process_id": process.id.to_string(),
        "basket_id": process.basket_id.to_string(),
        "attempt": process.attempt,
        "reason": failure.reason.as_str(),
        "message": failure.message,
        "payment_id": process.payment_id.map(|p| p.to_string()),
        "total_minor": process.snapshot.as_ref().map(|s| s.total_minor),
        "currency": process.snapshot.as_ref().map(|s| s.currency.clone()),
        "email": process.request.email.as_str(),
    });
    NewEvent::new(&process.store_id, event, data)?
        .insert(conn)
        .await
}

/// An event this node has claimed for one delivery attempt.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub store_id: StoreId,
    pub payload: String,
    pub created_at: i64,
    /// Attempts before this one.
    pub attempts: i64,
    /// The claim's end, also its token: a result is recorded only while it still holds.
    claimed_until_ms: i64,
}

/// Claims up to `limit` due events for `claim`, across stores (the worker serves them all).
/// One statement for both backends: the outer conditions are checked again on the row a
/// competing claim may have just written (PostgreSQL's READ COMMITTED re-reads it; SQLite
/// has one writer), so of two nodes only one claims an event. A node that dies holding a
/// claim leaves the event to be claimed again once `claim` has passed: at least once.
pub async fn claim_due(db: &Db, claim: Duration, limit: i64) -> anyhow::Result<Vec<Claimed>> {
    let now_ms = now_ms();
    let until = now_ms.saturating_add(claim.as_millis() as i64);
    let rows: Vec<(String, String, String, i64, i64)> = sqlx::query_as(
        "UPDATE webhook_events SET locked_until_ms = $1
         WHERE id IN (SELECT id FROM webhook_events
                      WHERE delivered_at IS NULL AND given_up_at IS NULL
                        AND next_attempt_at_ms <= $2 AND locked_until_ms < $2
                      ORDER BY next_attempt_at_ms LIMIT $3)
           AND delivered_at IS NULL AND given_up_at IS NULL AND locked_until_ms < $2
         RETURNING id, store_id, payload, created_at, attempts",
    )
    .bind(until)
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
    .context("claiming due webhook events")?;
    rows.into_iter()
        .map(|(id, store, payload, created_at, attempts)| {
            Ok(Claimed {
                id: Uuid::parse_str(&id).context("a webhook event id")?,
                store_id: StoreId::parse(&store)?,
                payload,
                created_at,
                attempts,
                claimed_until_ms: until,
            })
        })
        .collect()
}

/// Records a delivery the receiver accepted with `status`.
pub async fn record_delivered(db: &Db, event: &Claimed, status: u16) -> anyhow::Result<()> {
    let now = now();
    sqlx::query(
        "UPDATE webhook_events
         SET attempts = attempts + 1, delivered_at = $4, last_status = $5, last_error = NULL,
             locked_until_ms = 0, expires_at = $6
         WHERE store_id = $1 AND id = $2 AND locked_until_ms = $3",
    )
    .bind(event.store_id.as_str())
    .bind(event.id.to_string())
    .bind(event.claimed_until_ms)
    .bind(now)
    .bind(i64::from(status))
    .bind(now + KEPT_FOR_SECS)
    .execute(&db.pool)
    .await
    .context("recording a delivered webhook event")?;
    Ok(())
}

/// What follows a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAtMs(i64),
    GiveUp,
}

/// Records a failed attempt: the receiver's status (none for a network error), the error,
/// and the retry or the end.
pub async fn record_failed(
    db: &Db,
    event: &Claimed,
    status: Option<u16>,
    error: &str,
    next: Next,
) -> anyhow::Result<()> {
    let now = now();
    let (next_attempt_ms, given_up_at, expires_at) = match next {
        Next::RetryAtMs(at) => (at, None, None),
        Next::GiveUp => (now_ms(), Some(now), Some(now + KEPT_FOR_SECS)),
    };
    sqlx::query(
        "UPDATE webhook_events
         SET attempts = attempts + 1, last_status = $4, last_error = $5,
             next_attempt_at_ms = $6, given_up_at = $7, expires_at = $8, locked_until_ms = 0
         WHERE store_id = $1 AND id = $2 AND locked_until_ms = $3",
    )
    .bind(event.store_id.as_str())
    .bind(event.id.to_string())
    .bind(event.claimed_until_ms)
    .bind(status.map(i64::from))
    .bind(error)
    .bind(next_attempt_ms)
    .bind(given_up_at)
    .bind(expires_at)
    .execute(&db.pool)
    .await
    .context("recording a failed webhook delivery")?;
    Ok(())
}

/// An event as `webhooks list` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventSummary {
    pub id: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub delivered_at: Option<i64>,
    pub given_up_at: Option<i64>,
    pub last_error: Option<String>,
}

/// The store's most recent events, newest first.
pub async fn recent(db: &Db, store: &StoreId, limit: i64) -> anyhow::Result<Vec<EventSummary>> {
    sqlx::query_as(
        "SELECT id, type, created_at, attempts, next_attempt_at_ms, delivered_at, given_up_at,
                last_error
         FROM webhook_events WHERE store_id = $1
         ORDER BY created_at DESC, id LIMIT $2",
    )
    .bind(store.as_str())
    .bind(limit)
    .fetch_all(&db.pool)
    .await
    .context("listing a store's webhook events")
}
