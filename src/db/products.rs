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
    /// An https URL or a path under /static/.
    pub image: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: String,
    sku: String,
    name: String,
    description: String,
    price_minor: i64,
    currency: String,
    image: Option<String>,
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
            image: row.image,
        })
    }
}

pub async fn list(db: &Db) -> anyhow::Result<Vec<Product>> {
    sqlx::query_as::<_, ProductRow>(
        "SELECT id, sku, name, description, price_minor, currency, image
         FROM products ORDER BY name",
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
        "SELECT id, sku, name, description, price_minor, currency, image
         FROM products WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a product")?
    .map(Product::try_from)
    .transpose()
}

pub async fn is_empty(db: &Db) -> anyhow::Result<bool> {
    let any: Option<String> = sqlx::query_scalar("SELECT id FROM products LIMIT 1")
        .fetch_optional(&db.pool)
        .await
        .context("looking for a product")?;
    Ok(any.is_none())
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

/// Sets the image of the product with this SKU if it has none; returns whether it did.
/// An image it already has (an import's, or an earlier seed's) stays.
pub async fn set_image_if_none(db: &Db, sku: &str, image: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("UPDATE products SET image = $2 WHERE sku = $1 AND image IS NULL")
        .bind(sku)
        .bind(image)
        .execute(&db.pool)
        .await
        .with_context(|| format!("setting the image of product {sku}"))?;
    Ok(result.rows_affected() == 1)
}

/// A product as an import file describes it, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub price: Money,
    pub image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Added,
    Updated,
    Unchanged,
}

/// Adds or updates every product by SKU in one transaction: all of them or none.
pub async fn upsert_all(db: &Db, products: &[NewProduct]) -> anyhow::Result<Vec<Upserted>> {
    let mut tx = db.begin().await.context("beginning the import")?;
    let mut outcomes = Vec::with_capacity(products.len());
    for product in products {
        let new_id = ProductId::new_random().to_string();
        // The update runs only when something differs, and RETURNING yields a row only
        // when the insert or the update ran: the new id means added, another id updated.
        let id: Option<String> = sqlx::query_scalar(
            "INSERT INTO products (id, sku, name, description, price_minor, currency, image)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (sku) DO UPDATE SET
                 name = excluded.name, description = excluded.description,
                 price_minor = excluded.price_minor, currency = excluded.currency,
                 image = excluded.image
             WHERE products.name <> excluded.name
                OR products.description <> excluded.description
                OR products.price_minor <> excluded.price_minor
                OR products.currency <> excluded.currency
                OR products.image IS DISTINCT FROM excluded.image
             RETURNING id",
        )
        .bind(&new_id)
        .bind(&product.sku)
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.price.minor)
        .bind(product.price.currency.as_str())
        .bind(product.image.as_deref())
        .fetch_optional(&mut *tx)
        .await
        .with_context(|| format!("importing product {}", product.sku))?;
        outcomes.push(match id {
            Some(id) if id == new_id => Upserted::Added,
            Some(_) => Upserted::Updated,
            None => Upserted::Unchanged,
        });
    }
    tx.commit().await.context("committing the import")?;
    Ok(outcomes)
}
