//! Pushed authorization requests (RFC 9126): stored by the pushed authorization request
//! endpoint, used once by /authorize. Only the hash of the `request_uri` is stored.

use anyhow::Context;

use super::{Db, now};
use crate::domain::StoreId;
use crate::secrets::SecretHash;

/// Stores a pushed request (its parameters form-encoded) for `lifetime_secs`.
pub async fn insert(
    db: &Db,
    store: &StoreId,
    request_uri_hash: &SecretHash,
    client_id: &str,
    params: &str,
    lifetime_secs: i64,
) -> anyhow::Result<()> {
    let now = now();
    sqlx::query(
        "INSERT INTO pushed_authorization_requests
            (request_uri_hash, store_id, client_id, params, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request_uri_hash)
    .bind(store.as_str())
    .bind(client_id)
    .bind(params)
    .bind(now)
    .bind(now + lifetime_secs)
    .execute(&db.pool)
    .await
    .context("storing a pushed authorization request")?;
    Ok(())
}

/// A pushed request as it was stored; the caller decides whether it may be used.
#[derive(Debug, sqlx::FromRow)]
pub struct Pushed {
    pub client_id: String,
    pub params: String,
    pub expires_at: i64,
}

/// Deletes and returns the store's pushed request, whoever asks and whether or not it
/// has expired: one `DELETE … RETURNING`, so of concurrent uses on any number of nodes
/// only one gets the row, and a reference presented wrongly is spent.
pub async fn take(
    db: &Db,
    store: &StoreId,
    request_uri_hash: &SecretHash,
) -> anyhow::Result<Option<Pushed>> {
    sqlx::query_as(
        "DELETE FROM pushed_authorization_requests
         WHERE request_uri_hash = $1 AND store_id = $2
         RETURNING client_id, params, expires_at",
    )
    .bind(request_uri_hash)
    .bind(store.as_str())
    .fetch_optional(&db.pool)
    .await
    .context("taking a pushed authorization request")
}
