//! Logins in flight at the checkout: one row per "Log in with {store}" click, deleted by the
//! callback that uses it (single use, whatever the outcome).

use anyhow::Context;

use super::{Db, now};
use crate::domain::{BasketId, StoreId};
use crate::secrets::SecretHash;

/// What the checkout must remember between sending the shopper to the store and their return.
pub struct NewLoginTransaction<'a> {
    pub state_hash: SecretHash,
    pub browser_hash: SecretHash,
    pub basket: BasketId,
    pub nonce_hash: SecretHash,
    pub pkce_verifier: &'a str,
    pub issuer: &'a str,
    pub redirect_uri: &'a str,
    pub basket_bound: bool,
    pub previous_session_hash: Option<SecretHash>,
    pub lifetime_secs: i64,
}

/// A consumed transaction. No `Debug`: it holds the PKCE verifier.
pub struct LoginTransaction {
    pub store_id: StoreId,
    pub basket_id: BasketId,
    pub nonce_hash: SecretHash,
    pub pkce_verifier: String,
    pub issuer: String,
    pub redirect_uri: String,
    pub basket_bound: bool,
    pub previous_session_hash: Option<SecretHash>,
    pub expires_at: i64,
}

impl LoginTransaction {
    pub fn is_expired(&self) -> bool {
        self.expires_at <= now()
    }
}

pub async fn create(db: &Db, store: &StoreId, tx: &NewLoginTransaction<'_>) -> anyhow::Result<()> {
    let now = now();
    sqlx::query(
        "INSERT INTO login_transactions
           (state_hash, browser_hash, store_id, basket_id, nonce_hash, pkce_verifier, issuer,
            redirect_uri, basket_bound, previous_session_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&tx.state_hash)
    .bind(&tx.browser_hash)
    .bind(store.as_str())
    .bind(tx.basket.to_string())
    .bind(&tx.nonce_hash)
    .bind(tx.pkce_verifier)
    .bind(tx.issuer)
    .bind(tx.redirect_uri)
    .bind(i64::from(tx.basket_bound))
    .bind(&tx.previous_session_hash)
    .bind(now)
    .bind(now + tx.lifetime_secs)
    .execute(&db.pool)
    .await
    .context("creating a login transaction")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    store_id: String,
    basket_id: String,
    nonce_hash: SecretHash,
    pkce_verifier: String,
    issuer: String,
    redirect_uri: String,
    basket_bound: i64,
    previous_session_hash: Option<SecretHash>,
    expires_at: i64,
}

/// Deletes and returns the transaction with this state that belongs to this browser.
/// One `DELETE … RETURNING`, so of two concurrent callbacks exactly one gets it; an expired
/// row is returned too (and is gone), for the caller to refuse with the right words.
pub async fn consume(
    db: &Db,
    state_hash: &SecretHash,
    browser_hash: &SecretHash,
) -> anyhow::Result<Option<LoginTransaction>> {
    let row: Option<Row> = sqlx::query_as(
        "DELETE FROM login_transactions WHERE state_hash = $1 AND browser_hash = $2
         RETURNING store_id, basket_id, nonce_hash, pkce_verifier, issuer, redirect_uri,
                   basket_bound, previous_session_hash, expires_at",
    )
    .bind(state_hash)
    .bind(browser_hash)
    .fetch_optional(&db.pool)
    .await
    .context("consuming a login transaction")?;
    row.map(|row| {
        Ok(LoginTransaction {
            store_id: StoreId::parse(&row.store_id)?,
            basket_id: BasketId::parse(&row.basket_id)?,
            nonce_hash: row.nonce_hash,
            pkce_verifier: row.pkce_verifier,
            issuer: row.issuer,
            redirect_uri: row.redirect_uri,
            basket_bound: row.basket_bound != 0,
            previous_session_hash: row.previous_session_hash,
            expires_at: row.expires_at,
        })
    })
    .transpose()
}
