//! Checkout sessions: one per browser and basket, holding the verified identity (if the
//! shopper logged in through the store) and the checkout form's draft. A row is found by
//! its key (`token_hash`), a hash of the browser's cookie value together with the store
//! and basket (`super::session_store::row_key`), and always within its store and basket.

use anyhow::Context;

use super::{Db, now};
use crate::domain::VerifiedIdentity;
use crate::domain::{BasketId, CustomerId, PostalAddress, StoreId};
use crate::secrets::SecretHash;

/// A session row as stored; the identity columns are all set or all empty.
pub struct StoredSession {
    pub identity: Option<VerifiedIdentity>,
    pub draft: Option<serde_json::Value>,
}

/// Creates the session with this key for this basket; a live session with the key is
/// kept as it is (`ON CONFLICT DO NOTHING`), so a second handoff to the same browser
/// neither fails nor forgets the draft.
pub async fn create(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    key: &SecretHash,
    identity: Option<&VerifiedIdentity>,
    draft: Option<&serde_json::Value>,
    lifetime_secs: i64,
) -> anyhow::Result<()> {
    let now = now();
    let address = identity
        .and_then(|i| i.address.as_ref())
        .map(serde_json::to_string)
        .transpose()?;
    sqlx::query(
        "INSERT INTO checkout_sessions
           (token_hash, store_id, basket_id, issuer, subject, customer_id, email, name, phone,
            address, draft, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(key)
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(identity.map(|i| i.issuer.as_str()))
    .bind(identity.map(|i| i.subject.as_str()))
    .bind(identity.and_then(|i| i.customer_id).map(|c| c.to_string()))
    .bind(identity.and_then(|i| i.email.as_deref()))
    .bind(identity.and_then(|i| i.name.as_deref()))
    .bind(identity.and_then(|i| i.phone.as_deref()))
    .bind(address)
    .bind(draft.map(serde_json::Value::to_string))
    .bind(now)
    .bind(now + lifetime_secs)
    .execute(&db.pool)
    .await
    .context("creating a checkout session")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    issuer: Option<String>,
    subject: Option<String>,
    customer_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    draft: Option<String>,
}

/// The live session with this key, only if it was made for this store and basket.
pub async fn find_by_hash(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    token_hash: &SecretHash,
) -> anyhow::Result<Option<StoredSession>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT issuer, subject, customer_id, email, name, phone, address, draft
         FROM checkout_sessions
         WHERE store_id = $1 AND basket_id = $2 AND token_hash = $3 AND expires_at > $4",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(token_hash)
    .bind(now())
    .fetch_optional(&db.pool)
    .await
    .context("finding a checkout session")?;
    let Some(row) = row else { return Ok(None) };
    let identity = match (row.issuer, row.subject) {
        (Some(issuer), Some(subject)) => Some(VerifiedIdentity {
            issuer,
            subject,
            customer_id: row
                .customer_id
                .as_deref()
                .map(CustomerId::parse)
                .transpose()?,
            email: row.email,
            name: row.name,
            phone: row.phone,
            address: row
                .address
                .as_deref()
                .map(serde_json::from_str::<PostalAddress>)
                .transpose()
                .context("stored address is not valid JSON")?,
        }),
        _ => None,
    };
    let draft = row
        .draft
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("stored draft is not valid JSON")?;
    Ok(Some(StoredSession { identity, draft }))
}

/// Replaces the draft; false when no live session has this key for this basket.
pub async fn save_draft(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    key: &SecretHash,
    draft: &serde_json::Value,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE checkout_sessions SET draft = $4
         WHERE store_id = $1 AND basket_id = $2 AND token_hash = $3 AND expires_at > $5",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(key)
    .bind(draft.to_string())
    .bind(now())
    .execute(&db.pool)
    .await
    .context("saving a checkout draft")?
    .rows_affected();
    Ok(changed == 1)
}

pub async fn delete_by_hash(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    token_hash: &SecretHash,
) -> anyhow::Result<()> {
    sqlx::query(
        "DELETE FROM checkout_sessions WHERE store_id = $1 AND basket_id = $2 AND token_hash = $3",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(token_hash)
    .execute(&db.pool)
    .await
    .context("deleting a checkout session")?;
    Ok(())
}

/// Records the provider's session behind a logged-in checkout session: its `sid` (for
/// back-channel logout) and the ID token (the `id_token_hint` of an RP-initiated logout).
pub async fn attach_provider_session(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    token_hash: &SecretHash,
    sid: Option<&str>,
    id_token: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE checkout_sessions SET sid = $4, id_token = $5
         WHERE store_id = $1 AND basket_id = $2 AND token_hash = $3",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(token_hash)
    .bind(sid)
    .bind(id_token)
    .execute(&db.pool)
    .await
    .context("recording a checkout session's provider session")?;
    Ok(())
}

/// The ID token of this live session, if it is a logged-in one.
pub async fn id_token(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
    token_hash: &SecretHash,
) -> anyhow::Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT id_token FROM checkout_sessions
         WHERE store_id = $1 AND basket_id = $2 AND token_hash = $3 AND expires_at > $4",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .bind(token_hash)
    .bind(now())
    .fetch_optional(&db.pool)
    .await
    .context("finding a checkout session's ID token")?;
    Ok(row.and_then(|(token,)| token))
}

/// Back-Channel Logout §2.7: ends every checkout session of this store logged in through
/// `issuer` in the provider session `sid` (when given, else every session of `subject`).
/// Returns how many ended.
pub async fn delete_for_provider_session(
    db: &Db,
    store: &StoreId,
    issuer: &str,
    sid: Option<&str>,
    subject: Option<&str>,
) -> anyhow::Result<u64> {
    let query = match (sid, subject) {
        (Some(sid), Some(subject)) => sqlx::query(
            "DELETE FROM checkout_sessions
             WHERE store_id = $1 AND issuer = $2 AND sid = $3 AND subject = $4",
        )
        .bind(store.as_str())
        .bind(issuer)
        .bind(sid)
        .bind(subject),
        (Some(sid), None) => sqlx::query(
            "DELETE FROM checkout_sessions WHERE store_id = $1 AND issuer = $2 AND sid = $3",
        )
        .bind(store.as_str())
        .bind(issuer)
        .bind(sid),
        (None, Some(subject)) => sqlx::query(
            "DELETE FROM checkout_sessions WHERE store_id = $1 AND issuer = $2 AND subject = $3",
        )
        .bind(store.as_str())
        .bind(issuer)
        .bind(subject),
        (None, None) => return Ok(0),
    };
    Ok(query
        .execute(&db.pool)
        .await
        .context("ending checkout sessions of a provider session")?
        .rows_affected())
}
