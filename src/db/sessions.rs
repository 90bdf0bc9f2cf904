//! Customers' login sessions at a store site. Only the hash of the cookie value is stored.

use anyhow::Context;

use super::customers::CustomerRow;
use super::{Db, now};
use crate::domain::{Customer, CustomerId, StoreId};
use crate::secrets::{OpaqueSecret, SecretHash};

#[derive(Debug, Clone)]
pub struct StoreSession {
    pub customer_id: CustomerId,
    /// When the customer last typed their password (OIDC `auth_time`).
    pub auth_time: i64,
    /// The session id relying parties see (`sid`, Back-Channel Logout §2.1): random and
    /// unrelated to the cookie's token, which must never leave the store.
    pub sid: String,
}

/// A new session: the token for the cookie, and its `sid`.
pub struct NewSession {
    pub token: OpaqueSecret,
    pub sid: String,
    pub auth_time: i64,
}

pub async fn create(
    db: &Db,
    store: &StoreId,
    customer: CustomerId,
    lifetime_secs: i64,
) -> anyhow::Result<NewSession> {
    let token = OpaqueSecret::generate();
    let sid = uuid::Uuid::new_v4().to_string();
    let now = now();
    sqlx::query(
        "INSERT INTO store_sessions (token_hash, store_id, customer_id, auth_time, expires_at, sid)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.hash())
    .bind(store.as_str())
    .bind(customer.to_string())
    .bind(now)
    .bind(now + lifetime_secs)
    .bind(&sid)
    .execute(&db.pool)
    .await
    .context("creating a store session")?;
    Ok(NewSession {
        token,
        sid,
        auth_time: now,
    })
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    customer: CustomerRow,
    auth_time: i64,
    sid: String,
}

/// The unexpired session behind `token` and its customer, in one statement.
pub async fn find(
    db: &Db,
    store: &StoreId,
    token: &str,
) -> anyhow::Result<Option<(Customer, StoreSession)>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT c.id, c.store_id, c.email, c.name, c.phone, c.billing_address,
                s.auth_time, s.sid
         FROM store_sessions s
         JOIN customers c ON c.store_id = s.store_id AND c.id = s.customer_id
         WHERE s.store_id = $1 AND s.token_hash = $2 AND s.expires_at > $3",
    )
    .bind(store.as_str())
    .bind(SecretHash::of(token))
    .bind(now())
    .fetch_optional(&db.pool)
    .await
    .context("finding a store session")?;
    row.map(|row| {
        let customer = Customer::try_from(row.customer)?;
        let session = StoreSession {
            customer_id: customer.id,
            auth_time: row.auth_time,
            sid: row.sid,
        };
        Ok((customer, session))
    })
    .transpose()
}

/// Deletes the session and returns what it was, so its end can be announced to clients.
pub async fn delete(db: &Db, store: &StoreId, token: &str) -> anyhow::Result<Option<StoreSession>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "DELETE FROM store_sessions WHERE store_id = $1 AND token_hash = $2
         RETURNING customer_id, auth_time, sid",
    )
    .bind(store.as_str())
    .bind(SecretHash::of(token))
    .fetch_optional(&db.pool)
    .await
    .context("deleting a store session")?;
    row.map(|(customer, auth_time, sid)| {
        Ok(StoreSession {
            customer_id: CustomerId::parse(&customer)?,
            auth_time,
            sid,
        })
    })
    .transpose()
}
