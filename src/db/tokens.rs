//! Access tokens and client assertion ids. Tokens are stored only as SHA-256 hashes.

use anyhow::Context;

use super::customers::CustomerRow;
use super::{Db, inserted};
use crate::domain::{Customer, StoreId};
use crate::secrets::SecretHash;

/// An unexpired access token whose code has not been revoked, and its customer.
#[derive(Debug, Clone)]
pub struct ActiveToken {
    pub client_id: String,
    pub customer: Customer,
    pub scope: String,
}

#[derive(sqlx::FromRow)]
struct ActiveTokenRow {
    client_id: String,
    scope: String,
    #[sqlx(flatten)]
    customer: CustomerRow,
}

/// `/userinfo`'s lookup. The token lives on its code's row (one per code), so a replayed
/// code's `revoked_at` is the token's revocation. Public for `benches/any_driver.rs`.
pub const FIND_ACTIVE: &str = "SELECT a.client_id, a.scope,
            c.id, c.store_id, c.email, c.name, c.phone, c.billing_address
     FROM authorization_codes a
     JOIN customers c ON c.store_id = a.store_id AND c.id = a.customer_id
     WHERE a.access_token_hash = $1 AND a.store_id = $2
       AND a.access_token_expires_at > $3 AND a.revoked_at IS NULL";

pub async fn find_active(
    db: &Db,
    store: &StoreId,
    token_hash: &SecretHash,
    now: i64,
) -> anyhow::Result<Option<ActiveToken>> {
    let row: Option<ActiveTokenRow> = sqlx::query_as(FIND_ACTIVE)
        .bind(token_hash)
        .bind(store.as_str())
        .bind(now)
        .fetch_optional(&db.pool)
        .await
        .context("finding an access token")?;
    row.map(|row| {
        Ok(ActiveToken {
            client_id: row.client_id,
            customer: row.customer.try_into()?,
            scope: row.scope,
        })
    })
    .transpose()
}

/// Records a client assertion's `jti`; false if this client already used it (RFC 7523
/// §3 item 7).
pub async fn record_assertion_id(
    db: &Db,
    store: &StoreId,
    client_id: &str,
    jti: &str,
    expires_at: i64,
) -> anyhow::Result<bool> {
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
