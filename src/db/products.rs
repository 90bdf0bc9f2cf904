//! The shared catalog: the one table that is not owned by a store.

use anyhow::Context;

use super::Db;
use crate::domain::{Currency, Money, ProductId};

#[derive(Debug, Clone)]
pub struct Product {
    pub id: ProductId,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Money,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: String,
    sku: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: String,
}

impl TryFrom<ProductRow> for Product {
    type Error = anyhow::Error;
    fn try_from(row: ProductRow) -> anyhow::Result<Self> {
        Ok(Product {
            id: ProductId::parse(&row.id)?,
            sku: row.sku,
            name: row.name,
            description: row.description,
            price: Money::new(row.price_minor, Currency::parse(&row.currency)?),
        })
    }
}

pub async fn list(db: &Db) -> anyhow::Result<Vec<Product>> {
    sqlx::query_as::<_, ProductRow>(
        "SELECT id, sku, name, description, price_minor, currency FROM products ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await
    .context("listing products")?
    .into_iter()
    .map(Product::try_from)
    .collect()
}

pub async fn find(db: &Db, id: ProductId) -> anyhow::Result<Option<Product>> {
    sqlx::query_as::<_, ProductRow>(
        "SELECT id, sku, name, description, price_minor, currency FROM products WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a product")?
    .map(Product::try_from)
    .transpose()
}

/// Adds a product unless its SKU exists; returns whether it was added.
pub async fn insert_if_absent(
    db: &Db,
    sku: &str,
    name: &str,
    description: &str,
    price: Money,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO products (id, sku, name, description, price_minor, currency)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sku) DO NOTHING",
    )
    .bind(ProductId::new_random().to_string())
    .bind(sku)
    .bind(name)
    .bind(description)
    .bind(price.minor)
    .bind(price.currency.as_str())
    .execute(&db.pool)
    .await?;
    Ok(result.rows_affected() == 1)
}
