//! Checkout tickets: the store's one-time handoff of a basket to the checkout. Only the
//! hash of a ticket is stored; redeeming deletes the row, so exactly one redemption wins.

use anyhow::Context;

use super::{Db, now};
use crate::domain::{BasketId, StoreId};
use crate::secrets::{OpaqueSecret, SecretHash};

/// Issues a ticket for this basket and returns it (for the checkout URL only).
pub async fn issue(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    lifetime_secs: i64,
) -> anyhow::Result<OpaqueSecret> {
    let ticket = OpaqueSecret::generate();
    let now = now();
    sqlx::query(
        "INSERT INTO checkout_tickets (ticket_hash, store_id, basket_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ticket.hash())
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(now)
    .bind(now + lifetime_secs)
    .execute(&db.pool)
    .await
    .context("issuing a checkout ticket")?;
    Ok(ticket)
}

#[derive(sqlx::FromRow)]
struct Redeemed {
    store_id: String,
    basket_id: String,
    expires_at: i64,
}

/// Consumes the ticket whatever the outcome, and says whether it was a live ticket for
/// this store and basket. One `DELETE … RETURNING`: of concurrent redemptions on any
/// number of nodes, only one gets the row.
pub async fn redeem(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    ticket: &str,
) -> anyhow::Result<bool> {
    let row: Option<Redeemed> = sqlx::query_as(
        "DELETE FROM checkout_tickets WHERE ticket_hash = $1
         RETURNING store_id, basket_id, expires_at",
    )
    .bind(SecretHash::of(ticket))
    .fetch_optional(&db.pool)
    .await
    .context("redeeming a checkout ticket")?;
    Ok(row.is_some_and(|r| {
        r.store_id == store.as_str() && r.basket_id == basket.to_string() && r.expires_at > now()
    }))
}
