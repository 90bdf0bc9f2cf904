//! Placed orders, as the store's account pages read them.

use anyhow::Context;

use super::Db;
use crate::domain::{Currency, CustomerId, Money, OrderId, StoreId};

#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub id: OrderId,
    pub number: String,
    pub total: Money,
    pub payment_method: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    number: String,
    total_minor: i64,
    currency: String,
    payment_method: String,
    created_at: i64,
}

pub async fn list_for_customer(
    db: &Db,
    store: &StoreId,
    customer: CustomerId,
) -> anyhow::Result<Vec<OrderSummary>> {
    sqlx::query_as::<_, SummaryRow>(
        "SELECT id, number, total_minor, currency, payment_method, created_at FROM orders
         WHERE store_id = $1 AND customer_id = $2 ORDER BY created_at DESC, number DESC",
    )
    .bind(store.as_str())
    .bind(customer.to_string())
    .fetch_all(&db.pool)
    .await
    .context("listing a customer's orders")?
    .into_iter()
    .map(|row| {
        Ok(OrderSummary {
            id: OrderId::parse(&row.id)?,
            number: row.number,
            total: Money::new(row.total_minor, Currency::parse(&row.currency)?),
            payment_method: row.payment_method,
            created_at: row.created_at,
        })
    })
    .collect()
}
