//! Baskets and their lines. A basket belongs to one store and at most one customer.

use anyhow::Context;

use super::{Db, now};
use crate::domain::{
    Basket, BasketId, BasketLine, BasketStatus, Currency, CustomerId, Money, ProductId, StoreId,
};

pub async fn create(
    db: &Db,
    store: &StoreId,
    customer: Option<CustomerId>,
    currency: Currency,
) -> anyhow::Result<BasketId> {
    let id = BasketId::new_random();
    let now = now();
    sqlx::query(
        "INSERT INTO baskets (id, store_id, customer_id, status, currency, created_at, updated_at)
         VALUES ($1, $2, $3, 'open', $4, $5, $5)",
    )
    .bind(id.to_string())
    .bind(store.as_str())
    .bind(customer.map(|c| c.to_string()))
    .bind(currency.as_str())
    .bind(now)
    .execute(&db.pool)
    .await
    .context("creating a basket")?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct BasketRow {
    id: String,
    store_id: String,
    customer_id: Option<String>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct LineRow {
    product_id: String,
    name: String,
    quantity: i64,
    price_minor: i64,
    currency: String,
    image: Option<String>,
}

/// The basket with its lines, if it exists in this store.
pub async fn find(db: &Db, store: &StoreId, id: BasketId) -> anyhow::Result<Option<Basket>> {
    let row: Option<BasketRow> = sqlx::query_as(
        "SELECT id, store_id, customer_id, status FROM baskets WHERE store_id = $1 AND id = $2",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a basket")?;
    let Some(row) = row else { return Ok(None) };
    let lines: Vec<LineRow> = sqlx::query_as(
        "SELECT l.product_id, p.name, l.quantity, p.price_minor, p.currency, p.image
         FROM basket_lines l JOIN products p ON p.id = l.product_id
         WHERE l.store_id = $1 AND l.basket_id = $2 ORDER BY p.name",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .fetch_all(&db.pool)
    .await
    .context("loading basket lines")?;
    Ok(Some(Basket {
        id: BasketId::parse(&row.id)?,
        store_id: StoreId::parse(&row.store_id)?,
        customer_id: row
            .customer_id
            .as_deref()
            .map(CustomerId::parse)
            .transpose()?,
        status: BasketStatus::parse(&row.status)
            .with_context(|| format!("unknown basket status {:?}", row.status))?,
        lines: lines
            .into_iter()
            .map(|l| {
                Ok(BasketLine {
                    product_id: ProductId::parse(&l.product_id)?,
                    name: l.name,
                    quantity: l.quantity,
                    unit_price: Money::new(l.price_minor, Currency::parse(&l.currency)?),
                    image: l.image,
                })
            })
            .collect::<anyhow::Result<_>>()?,
    }))
}

/// The customer's most recent open basket at this store.
pub async fn find_open_for_customer(
    db: &Db,
    store: &StoreId,
    customer: CustomerId,
) -> anyhow::Result<Option<BasketId>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM baskets WHERE store_id = $1 AND customer_id = $2 AND status = 'open'
         ORDER BY updated_at DESC LIMIT 1",
    )
    .bind(store.as_str())
    .bind(customer.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a customer's basket")?;
    row.map(|(id,)| Ok(BasketId::parse(&id)?)).transpose()
}

/// Sets a line's quantity (adds to it when `add`); only open baskets change.
/// Returns false when the basket is not open in this store.
pub async fn set_line(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    product: ProductId,
    quantity: i64,
    add: bool,
) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let touched = sqlx::query(
        "UPDATE baskets SET updated_at = $3 WHERE store_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if touched == 0 {
        return Ok(false);
    }
    // A CASE caps the sum in both dialects (SQLite's two-argument MIN is PostgreSQL's LEAST).
    let sql = if add {
        "INSERT INTO basket_lines (basket_id, store_id, product_id, quantity) VALUES ($1, $2, $3, $4)
         ON CONFLICT (basket_id, product_id)
         DO UPDATE SET quantity = CASE WHEN basket_lines.quantity + excluded.quantity > 99
                                       THEN 99 ELSE basket_lines.quantity + excluded.quantity END"
    } else {
        "INSERT INTO basket_lines (basket_id, store_id, product_id, quantity) VALUES ($1, $2, $3, $4)
         ON CONFLICT (basket_id, product_id) DO UPDATE SET quantity = excluded.quantity"
    };
    sqlx::query(sql)
        .bind(basket.to_string())
        .bind(store.as_str())
        .bind(product.to_string())
        .bind(quantity.clamp(1, 99))
        .execute(&mut *tx)
        .await
        .context("setting a basket line")?;
    tx.commit().await?;
    Ok(true)
}

pub async fn remove_line(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    product: ProductId,
) -> anyhow::Result<()> {
    sqlx::query(
        "DELETE FROM basket_lines WHERE store_id = $1 AND basket_id = $2 AND product_id = $3
         AND basket_id IN (SELECT id FROM baskets WHERE store_id = $1 AND status = 'open')",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(product.to_string())
    .execute(&db.pool)
    .await
    .context("removing a basket line")?;
    Ok(())
}

/// Gives an open guest basket to a customer; a basket already theirs is fine too.
/// Returns false when the basket is not open or belongs to someone else.
pub async fn claim(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    customer: CustomerId,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE baskets SET customer_id = $3, updated_at = $4
         WHERE store_id = $1 AND id = $2 AND status = 'open'
           AND (customer_id IS NULL OR customer_id = $3)",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(customer.to_string())
    .bind(now())
    .execute(&db.pool)
    .await
    .context("claiming a basket")?
    .rows_affected();
    Ok(changed == 1)
}

/// Moves a basket from one status to another; false if it was not in `from`.
pub async fn transition(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    from: BasketStatus,
    to: BasketStatus,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE baskets SET status = $4, updated_at = $5
         WHERE store_id = $1 AND id = $2 AND status = $3",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(now())
    .execute(&db.pool)
    .await
    .context("changing a basket's status")?
    .rows_affected();
    Ok(changed == 1)
}
