//! API keys of headless storefronts: one store per key, only the key's SHA-256 stored.

use anyhow::Context;
use uuid::Uuid;

use super::{Db, now};
use crate::domain::StoreId;
use crate::secrets::{OpaqueSecret, SecretHash};

/// A readable prefix, so a leaked key is recognisable in logs and secret scanners.
pub const KEY_PREFIX: &str = "sc_";

/// A key as `api-key list` shows it; the key itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub store_id: StoreId,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A new key: its id and the key to hand over once.
pub struct CreatedKey {
    pub id: String,
    pub key: String,
}

/// Creates a key for this store; the returned key is shown once and never again.
pub async fn create(db: &Db, store: &StoreId, name: &str) -> anyhow::Result<CreatedKey> {
    let key = format!("{KEY_PREFIX}{}", OpaqueSecret::generate().secret());
    let id = Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO api_keys (id, store_id, name, key_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(store.as_str())
    .bind(name)
    .bind(SecretHash::of(&key))
    .bind(now())
    .execute(&db.pool)
    .await
    .context("creating an API key")?;
    Ok(CreatedKey { id, key })
}

/// The id of the live key of this store that `presented` is, if any. The lookup is by
/// hash (an index cannot be timed into revealing a 256-bit key's hash); the hashes are
/// then compared in constant time all the same.
pub async fn authenticate(
    db: &Db,
    store: &StoreId,
    presented: &str,
) -> anyhow::Result<Option<String>> {
    let presented_hash = SecretHash::of(presented);
    let row: Option<(String, SecretHash)> = sqlx::query_as(
        "SELECT id, key_hash FROM api_keys
         WHERE store_id = $1 AND key_hash = $2 AND revoked_at IS NULL",
    )
    .bind(store.as_str())
    .bind(&presented_hash)
    .fetch_optional(&db.pool)
    .await
    .context("authenticating an API key")?;
    Ok(row
        .filter(|(_, stored)| *stored == presented_hash)
        .map(|(id, _)| id))
}

pub async fn list(db: &Db, store: &StoreId) -> anyhow::Result<Vec<ApiKey>> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, created_at, revoked_at FROM api_keys
         WHERE store_id = $1 ORDER BY created_at, id",
    )
    .bind(store.as_str())
    .fetch_all(&db.pool)
    .await
    .context("listing API keys")?;
    Ok(rows
        .into_iter()
        .map(|(id, name, created_at, revoked_at)| ApiKey {
            id,
            store_id: store.clone(),
            name,
            created_at,
            revoked_at,
        })
        .collect())
}

/// Revokes the key; false when this store has no live key with that id.
pub async fn revoke(db: &Db, store: &StoreId, id: &str) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3
         WHERE store_id = $1 AND id = $2 AND revoked_at IS NULL",
    )
    .bind(store.as_str())
    .bind(id)
    .bind(now())
    .execute(&db.pool)
    .await
    .context("revoking an API key")?
    .rows_affected();
    Ok(changed == 1)
}
