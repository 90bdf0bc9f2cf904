//! Baskets and their lines. A basket belongs to one store and at most one customer.

use anyhow::Context;
use sqlx::{Any, Executor};

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

/// A basket with one of its lines, or with none (`product_id` NULL) when it has none.
#[derive(sqlx::FromRow)]
struct BasketLineRow {
    id: String,
    store_id: String,
    customer_id: Option<String>,
    status: String,
    version: i64,
    product_id: Option<String>,
    name: Option<String>,
    quantity: Option<i64>,
    price_minor: Option<i64>,
    currency: Option<String>,
    image: Option<String>,
}

/// The basket with its lines, if it exists in this store.
pub async fn find(db: &Db, store: &StoreId, id: BasketId) -> anyhow::Result<Option<Basket>> {
    find_on(&db.pool, store, id).await
}

/// A basket joined to its lines and their products. Two plain LEFT JOINs: SQLite
/// materialises a parenthesised join whole, which read every basket line of every store on
/// each call.
const FIND: &str = "SELECT b.id, b.store_id, b.customer_id, b.status, b.version,
            l.product_id, p.name, l.quantity, p.price_minor, p.currency, p.image
     FROM baskets b
     LEFT JOIN basket_lines l ON l.basket_id = b.id AND l.store_id = b.store_id
     LEFT JOIN products p ON p.id = l.product_id
     WHERE b.store_id = $1 AND b.id = $2
     ORDER BY p.name";

/// [`find`] on any connection: the pool, or a transaction that goes on to change the basket.
/// One statement ([`FIND`]).
pub async fn find_on<'c>(
    conn: impl Executor<'c, Database = Any>,
    store: &StoreId,
    id: BasketId,
) -> anyhow::Result<Option<Basket>> {
    let rows: Vec<BasketLineRow> = sqlx::query_as(FIND)
        .bind(store.as_str())
        .bind(id.to_string())
        .fetch_all(conn)
        .await
        .context("finding a basket")?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let (id, store_id) = (
        BasketId::parse(&first.id)?,
        StoreId::parse(&first.store_id)?,
    );
    let customer_id = first
        .customer_id
        .as_deref()
        .map(CustomerId::parse)
        .transpose()?;
    let status = BasketStatus::parse(&first.status)
        .with_context(|| format!("unknown basket status {:?}", first.status))?;
    let version = first.version;
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        // A basket without lines comes as one row with no line.
        let (Some(product_id), Some(name), Some(quantity), Some(price_minor), Some(currency)) = (
            row.product_id,
            row.name,
            row.quantity,
            row.price_minor,
            row.currency,
        ) else {
            continue;
        };
        lines.push(BasketLine {
            product_id: ProductId::parse(&product_id)?,
            name,
            quantity,
            unit_price: Money::new(price_minor, Currency::parse(&currency)?),
            image: row.image,
        });
    }
    Ok(Some(Basket {
        id,
        store_id,
        customer_id,
        status,
        version,
        lines,
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

/// Opens a change to the basket's lines in `tx`: raises its version and locks its row, so
/// an order of the basket waits for the change or the change for the order. False when the
/// basket is not open in this store.
async fn change_open(
    tx: &mut sqlx::AnyConnection,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE baskets SET updated_at = $3, version = version + 1
         WHERE store_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(now())
    .execute(tx)
    .await
    .context("changing a basket")?
    .rows_affected();
    Ok(changed == 1)
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
    if !change_open(&mut tx, store, basket).await? {
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
    let mut tx = db.begin().await?;
    if !change_open(&mut tx, store, basket).await? {
        return Ok(());
    }
    sqlx::query(
        "DELETE FROM basket_lines WHERE store_id = $1 AND basket_id = $2 AND product_id = $3",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(product.to_string())
    .execute(&mut *tx)
    .await
    .context("removing a basket line")?;
    tx.commit().await?;
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
        "UPDATE baskets SET customer_id = $3, updated_at = $4, version = version + 1
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

/// Moves a basket from one status to another; false if it was not in `from`. On the pool,
/// or in a transaction that goes on to write what the move allows.
pub async fn transition<'c>(
    conn: impl Executor<'c, Database = Any>,
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
    .execute(conn)
    .await
    .context("changing a basket's status")?
    .rows_affected();
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every request that shows or changes a basket reads it: by its keys, never by a scan
    /// of all baskets' lines, which grows with every basket ever filled.
    #[tokio::test]
    async fn a_basket_is_read_through_its_keys_without_scanning_a_table() {
        let steps = crate::db::sqlite_plan(FIND).await;
        assert!(
            steps
                .iter()
                .all(|step| !step.starts_with("SCAN") && !step.starts_with("MATERIALIZE")),
            "{steps:?}"
        );
        assert!(
            steps.iter().any(|step| step.starts_with("SEARCH l ")),
            "{steps:?}"
        );
    }
}
