//! Payments as our built-in gateways keep them: one row per (store, gateway, idempotency
//! key), so any node can read the gateway's decision and a repeated start finds the same
//! payment.

use std::sync::LazyLock;

use anyhow::Context;
use sqlx::AnyConnection;

use super::{Bind, Db, now, placeholders};
use crate::domain::payment::{FlowStatus, IdempotencyKey};
use crate::domain::{BasketId, Currency, Money, PaymentId, ProcessId, StoreId};

#[derive(Debug, Clone)]
pub struct Payment {
    pub id: PaymentId,
    pub store_id: StoreId,
    pub basket_id: BasketId,
    pub process_id: ProcessId,
    pub gateway: String,
    pub method: String,
    pub idempotency_key: IdempotencyKey,
    pub amount: Money,
    pub status: FlowStatus,
    pub return_url: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewPayment<'a> {
    /// Chosen before the insert, so a transaction can name the payment before writing it.
    pub id: PaymentId,
    pub basket_id: BasketId,
    pub process_id: ProcessId,
    pub gateway: &'a str,
    pub method: &'a str,
    pub idempotency_key: &'a IdempotencyKey,
    pub amount: Money,
    pub status: FlowStatus,
    pub return_url: &'a str,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: String,
    store_id: String,
    basket_id: String,
    process_id: String,
    gateway: String,
    method: String,
    idempotency_key: String,
    amount_minor: i64,
    currency: String,
    status: String,
    return_url: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = anyhow::Error;
    fn try_from(row: PaymentRow) -> anyhow::Result<Self> {
        Ok(Payment {
            id: PaymentId::parse(&row.id)?,
            store_id: StoreId::parse(&row.store_id)?,
            basket_id: BasketId::parse(&row.basket_id)?,
            process_id: ProcessId::parse(&row.process_id)?,
            gateway: row.gateway,
            method: row.method,
            idempotency_key: IdempotencyKey::parse(&row.idempotency_key)?,
            amount: Money::new(row.amount_minor, Currency::parse(&row.currency)?),
            status: FlowStatus::parse(&row.status)
                .with_context(|| format!("unknown payment status {:?}", row.status))?,
            return_url: row.return_url,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

const COLUMNS: &str = "id, store_id, basket_id, process_id, gateway, method, idempotency_key, \
     amount_minor, currency, status, return_url, created_at, updated_at";

/// The columns of a new payment, in the order [`bind_new`] binds them.
pub(super) const NEW_COLUMNS: &str = COLUMNS;

/// Binds a new payment's [`NEW_COLUMNS`], next in the statement's numbering.
pub(super) fn bind_new<'q, Q: Bind<'q>>(query: Q, store: &StoreId, new: &NewPayment<'_>) -> Q {
    let now = now();
    query
        .bind_value(new.id.to_string())
        .bind_value(store.as_str().to_owned())
        .bind_value(new.basket_id.to_string())
        .bind_value(new.process_id.to_string())
        .bind_value(new.gateway.to_owned())
        .bind_value(new.method.to_owned())
        .bind_value(new.idempotency_key.as_str().to_owned())
        .bind_value(new.amount.minor)
        .bind_value(new.amount.currency.as_str().to_owned())
        .bind_value(new.status.as_str())
        .bind_value(new.return_url.to_owned())
        .bind_value(now)
        .bind_value(now)
}

/// Creates the payment for this idempotency key, or returns the one that already exists:
/// a start repeated after a crash or a lost lease is the same payment. On the pool, or in
/// the transaction that places the order when nothing is collected online.
pub async fn start_once(
    conn: &mut AnyConnection,
    store: &StoreId,
    new: &NewPayment<'_>,
) -> anyhow::Result<Payment> {
    static INSERT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO payments ({NEW_COLUMNS}) VALUES ({})
             ON CONFLICT (store_id, gateway, idempotency_key) DO NOTHING
             RETURNING {COLUMNS}",
            placeholders(1, NEW_COLUMNS)
        )
    });
    let created: Option<PaymentRow> = bind_new(sqlx::query_as(INSERT.as_str()), store, new)
        .fetch_optional(&mut *conn)
        .await
        .context("starting a payment")?;
    if let Some(created) = created {
        return created.try_into();
    }
    sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {COLUMNS} FROM payments
         WHERE store_id = $1 AND gateway = $2 AND idempotency_key = $3"
    ))
    .bind(store.as_str())
    .bind(new.gateway)
    .bind(new.idempotency_key.as_str())
    .fetch_one(&mut *conn)
    .await
    .context("reading a started payment")?
    .try_into()
}

pub async fn find(db: &Db, store: &StoreId, id: PaymentId) -> anyhow::Result<Option<Payment>> {
    sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {COLUMNS} FROM payments WHERE store_id = $1 AND id = $2"
    ))
    .bind(store.as_str())
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a payment")?
    .map(Payment::try_from)
    .transpose()
}

/// Moves a payment to `to` if its status is one of `from`; false otherwise. The condition
/// makes concurrent decisions (two tabs, a cancel racing an approval) have one winner.
pub async fn transition(
    db: &Db,
    store: &StoreId,
    id: PaymentId,
    from: &[FlowStatus],
    to: FlowStatus,
) -> anyhow::Result<bool> {
    if from.is_empty() {
        return Ok(false);
    }
    // Placeholders $5.. for the allowed statuses: bound, never spliced into the text.
    let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
    let sql = format!(
        "UPDATE payments SET status = $3, updated_at = $4
         WHERE store_id = $1 AND id = $2 AND status IN ({})",
        placeholders.join(", "),
    );
    let mut query = sqlx::query(&sql)
        .bind(store.as_str())
        .bind(id.to_string())
        .bind(to.as_str())
        .bind(now());
    for status in from {
        query = query.bind(status.as_str());
    }
    let changed = query
        .execute(&db.pool)
        .await
        .context("changing a payment's status")?
        .rows_affected();
    Ok(changed == 1)
}

/// Payments that succeeded (approved or completed) but never became an order, and whose
/// process no longer needs them (it failed, or a later attempt with another idempotency
/// key replaced them): money taken for nothing, which the reconciler voids. Read across stores: the reconciler is a system
/// task, and every call it makes next is store-scoped again.
pub async fn succeeded_without_order(
    db: &Db,
    updated_before: i64,
    limit: i64,
) -> anyhow::Result<Vec<Payment>> {
    let columns: String = COLUMNS
        .split(", ")
        .map(|c| format!("p.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as::<_, PaymentRow>(&format!(
        "SELECT {columns} FROM payments p
         JOIN place_order_processes pr ON pr.store_id = p.store_id AND pr.id = p.process_id
         WHERE p.status IN ('approved', 'completed') AND p.updated_at <= $1
           AND (pr.state = 'failed' OR pr.idempotency_key <> p.idempotency_key)
           AND NOT EXISTS (SELECT 1 FROM orders o
                           WHERE o.store_id = p.store_id AND o.payment_id = p.id)
         ORDER BY p.updated_at LIMIT $2"
    ))
    .bind(updated_before)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
    .context("finding orphaned payments")?
    .into_iter()
    .map(Payment::try_from)
    .collect()
}
