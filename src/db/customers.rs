//! Customer accounts: one store each; the same email at two stores is two accounts.

use anyhow::Context;
use sqlx::{Any, Executor};

use super::{Db, inserted, now};
use crate::domain::{Address, Customer, CustomerId, Email, StoreId};

#[derive(sqlx::FromRow)]
pub(super) struct CustomerRow {
    id: String,
    store_id: String,
    email: String,
    name: String,
    phone: Option<String>,
    billing_address: Option<String>,
}

impl TryFrom<CustomerRow> for Customer {
    type Error = anyhow::Error;
    fn try_from(row: CustomerRow) -> anyhow::Result<Self> {
        Ok(Customer {
            id: CustomerId::parse(&row.id)?,
            store_id: StoreId::parse(&row.store_id)?,
            email: Email::parse(&row.email)?,
            name: row.name,
            phone: row.phone,
            billing_address: row
                .billing_address
                .map(|json| serde_json::from_str(&json))
                .transpose()?,
        })
    }
}

const COLUMNS: &str = "id, store_id, email, name, phone, billing_address";

/// Creates an account; `None` when the email is already registered at this store.
pub async fn create(
    db: &Db,
    store: &StoreId,
    email: &Email,
    password_hash: &str,
    name: &str,
) -> anyhow::Result<Option<CustomerId>> {
    let id = CustomerId::new_random();
    let result = sqlx::query(
        "INSERT INTO customers (id, store_id, email, password_hash, name, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(store.as_str())
    .bind(email.as_str())
    .bind(password_hash)
    .bind(name)
    .bind(now())
    .execute(&db.pool)
    .await;
    Ok(inserted(result)
        .context("creating a customer")?
        .then_some(id))
}

pub async fn find<'c>(
    conn: impl Executor<'c, Database = Any>,
    store: &StoreId,
    id: CustomerId,
) -> anyhow::Result<Option<Customer>> {
    sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {COLUMNS} FROM customers WHERE store_id = $1 AND id = $2"
    ))
    .bind(store.as_str())
    .bind(id.to_string())
    .fetch_optional(conn)
    .await
    .context("finding a customer")?
    .map(Customer::try_from)
    .transpose()
}

/// The customer and their password hash, for a login attempt at this store.
pub async fn find_for_login(
    db: &Db,
    store: &StoreId,
    email: &Email,
) -> anyhow::Result<Option<(Customer, String)>> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT password_hash FROM customers WHERE store_id = $1 AND email = $2")
            .bind(store.as_str())
            .bind(email.as_str())
            .fetch_optional(&db.pool)
            .await
            .context("finding a customer by email")?;
    let Some((hash,)) = row else { return Ok(None) };
    let customer = sqlx::query_as::<_, CustomerRow>(&format!(
        "SELECT {COLUMNS} FROM customers WHERE store_id = $1 AND email = $2"
    ))
    .bind(store.as_str())
    .bind(email.as_str())
    .fetch_one(&db.pool)
    .await?;
    Ok(Some((customer.try_into()?, hash)))
}

pub async fn update_profile(
    db: &Db,
    store: &StoreId,
    id: CustomerId,
    name: &str,
    phone: Option<&str>,
    billing_address: Option<&Address>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE customers SET name = $3, phone = $4, billing_address = $5
         WHERE store_id = $1 AND id = $2",
    )
    .bind(store.as_str())
    .bind(id.to_string())
    .bind(name)
    .bind(phone)
    .bind(billing_address.map(serde_json::to_string).transpose()?)
    .execute(&db.pool)
    .await
    .context("updating a customer profile")?;
    Ok(())
}
