//! Validated authorization requests waiting for the customer to log in (single use).

use anyhow::Context;

use super::Db;
use crate::domain::StoreId;

/// Stores a validated request (as JSON) under a random id that goes into the login URL.
pub async fn insert(
    db: &Db,
    store: &StoreId,
    id: &str,
    request_json: &str,
    expires_at: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO authorization_requests (id, store_id, request, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(store.as_str())
    .bind(request_json)
    .bind(expires_at)
    .execute(&db.pool)
    .await
    .context("storing an authorization request")?;
    Ok(())
}

/// The pending request, if it exists at this store and has not expired.
pub async fn find(db: &Db, store: &StoreId, id: &str, now: i64) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT request FROM authorization_requests
         WHERE id = $1 AND store_id = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(store.as_str())
    .bind(now)
    .fetch_optional(&db.pool)
    .await
    .context("finding an authorization request")?;
    Ok(row.map(|(json,)| json))
}

/// Deletes and returns the pending request: of two concurrent logins, one gets it.
pub async fn take(db: &Db, store: &StoreId, id: &str, now: i64) -> anyhow::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "DELETE FROM authorization_requests
         WHERE id = $1 AND store_id = $2 AND expires_at > $3
         RETURNING request",
    )
    .bind(id)
    .bind(store.as_str())
    .bind(now)
    .fetch_optional(&db.pool)
    .await
    .context("taking an authorization request")?;
    Ok(row.map(|(json,)| json))
}
