//! Access tokens and client assertion ids. Tokens are stored only as SHA-256 hashes.

use anyhow::Context;

use super::{Db, inserted};
use crate::domain::{CustomerId, StoreId};
use crate::secrets::SecretHash;

pub struct NewAccessToken<'a> {
    pub token_hash: &'a SecretHash,
    pub client_id: &'a str,
    pub customer_id: CustomerId,
    pub scope: &'a str,
    /// The code it was issued from; revoking that code revokes this token.
    pub code_hash: &'a SecretHash,
    pub expires_at: i64,
}

pub async fn insert_access_token(
    db: &Db,
    store: &StoreId,
    token: &NewAccessToken<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens
            (token_hash, store_id, client_id, customer_id, scope, code_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token.token_hash)
    .bind(store.as_str())
    .bind(token.client_id)
    .bind(token.customer_id.to_string())
    .bind(token.scope)
    .bind(token.code_hash)
    .bind(token.expires_at)
    .execute(&db.pool)
    .await
    .context("storing an access token")?;
    Ok(())
}

/// An unexpired access token whose code has not been revoked.
#[derive(Debug, Clone)]
pub struct ActiveToken {
    pub client_id: String,
    pub customer_id: CustomerId,
    pub scope: String,
}

pub async fn find_active(
    db: &Db,
    store: &StoreId,
    token_hash: &SecretHash,
    now: i64,
) -> anyhow::Result<Option<ActiveToken>> {
    // The join is the revocation: a replayed code sets `revoked_at` on the code row.
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT t.client_id, t.customer_id, t.scope
         FROM access_tokens t
         JOIN authorization_codes c ON c.code_hash = t.code_hash AND c.store_id = t.store_id
         WHERE t.token_hash = $1 AND t.store_id = $2 AND t.expires_at > $3
           AND c.revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(store.as_str())
    .bind(now)
    .fetch_optional(&db.pool)
    .await
    .context("finding an access token")?;
    row.map(|(client_id, customer, scope)| {
        Ok(ActiveToken {
            client_id,
            customer_id: CustomerId::parse(&customer)?,
            scope,
        })
    })
    .transpose()
}

/// Records a client assertion's `jti`; false if this client already used it (RFC 7523
/// §3 item 7). Expired ids are dropped first: their assertions fail `exp` anyway.
pub async fn record_assertion_id(
    db: &Db,
    store: &StoreId,
    client_id: &str,
    jti: &str,
    expires_at: i64,
    now: i64,
) -> anyhow::Result<bool> {
    sqlx::query("DELETE FROM client_assertion_ids WHERE expires_at < $1")
        .bind(now)
        .execute(&db.pool)
        .await
        .context("dropping expired client assertion ids")?;
    let result = sqlx::query(
        "INSERT INTO client_assertion_ids (store_id, client_id, jti, expires_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(store.as_str())
    .bind(client_id)
    .bind(jti)
    .bind(expires_at)
    .execute(&db.pool)
    .await;
    inserted(result).context("recording a client assertion id")
}
