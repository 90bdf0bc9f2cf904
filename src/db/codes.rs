//! Single-use authorization codes. Only the SHA-256 of a code is stored; the code itself
//! exists only in the redirect to the client.

use anyhow::Context;

use super::Db;
use crate::domain::{BasketId, CustomerId, StoreId};
use crate::secrets::SecretHash;

/// What a code is bound to (handoff step 5); stored under the code's hash.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub customer_id: CustomerId,
    pub basket_id: Option<BasketId>,
    /// S256 `code_challenge` (RFC 7636 §4.2).
    pub code_challenge: String,
    pub nonce: Option<String>,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub auth_time: i64,
    /// The store session the customer authorized in (`sid`, Back-Channel Logout §2.1).
    pub sid: Option<String>,
}

pub async fn insert(
    db: &Db,
    store: &StoreId,
    code_hash: &SecretHash,
    grant: &CodeGrant,
    expires_at: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO authorization_codes
            (code_hash, store_id, client_id, redirect_uri, customer_id, basket_id,
             code_challenge, nonce, scope, auth_time, expires_at, sid)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(code_hash)
    .bind(store.as_str())
    .bind(&grant.client_id)
    .bind(&grant.redirect_uri)
    .bind(grant.customer_id.to_string())
    .bind(grant.basket_id.map(|b| b.to_string()))
    .bind(&grant.code_challenge)
    .bind(&grant.nonce)
    .bind(&grant.scope)
    .bind(grant.auth_time)
    .bind(expires_at)
    .bind(&grant.sid)
    .execute(&db.pool)
    .await
    .context("storing an authorization code")?;
    Ok(())
}

type CodeRow = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    String,
    i64,
    Option<String>,
);

/// The outcome of presenting a code at the token endpoint.
pub enum Redemption<E> {
    /// Unknown, expired, already used, revoked, or another client's.
    NoSuchCode,
    /// The request did not match the code's grant; the code is used up all the same.
    Refused(E),
    /// The bound basket was claimed by another customer or left `open` meanwhile; the code
    /// is used up and no tokens may be issued.
    BasketUnavailable,
    Redeemed(CodeGrant),
}

/// The access token a successful redemption stores; only its hash.
pub struct NewAccessToken<'a> {
    pub token_hash: &'a SecretHash,
    pub expires_at: i64,
}

/// Consumes the code, if it is this client's, unexpired and unused, and stores the access
/// token's hash on it, in one conditional UPDATE with no transaction around it: exactly one
/// of any number of concurrent callers (on any node) has the code (RFC 6749 §4.1.2). Then
/// `checks` run on its grant, and a basket the code is bound to becomes the code's
/// customer's (a conditional UPDATE of its own, so two codes cannot both claim one guest
/// basket). If either refuses, the token is withdrawn and the code stays used up. The
/// token's secret is sent only after both pass, so a node that dies in between leaves a
/// used-up code and a token that nobody holds.
pub async fn redeem<E>(
    db: &Db,
    store: &StoreId,
    client_id: &str,
    code_hash: &SecretHash,
    now: i64,
    token: &NewAccessToken<'_>,
    checks: impl FnOnce(&CodeGrant) -> Result<(), E>,
) -> anyhow::Result<Redemption<E>> {
    let row: Option<CodeRow> = sqlx::query_as(
        "UPDATE authorization_codes
         SET consumed_at = $4, access_token_hash = $5, access_token_expires_at = $6
         WHERE code_hash = $1 AND store_id = $2 AND client_id = $3
           AND consumed_at IS NULL AND revoked_at IS NULL AND expires_at > $4
         RETURNING client_id, redirect_uri, customer_id, basket_id, code_challenge, nonce,
                   scope, auth_time, sid",
    )
    .bind(code_hash)
    .bind(store.as_str())
    .bind(client_id)
    .bind(now)
    .bind(token.token_hash)
    .bind(token.expires_at)
    .fetch_optional(&db.pool)
    .await
    .context("consuming an authorization code")?;
    let Some((
        client_id,
        redirect_uri,
        customer,
        basket,
        code_challenge,
        nonce,
        scope,
        auth_time,
        sid,
    )) = row
    else {
        return Ok(Redemption::NoSuchCode);
    };
    let grant = CodeGrant {
        client_id,
        redirect_uri,
        customer_id: CustomerId::parse(&customer)?,
        basket_id: basket.as_deref().map(BasketId::parse).transpose()?,
        code_challenge,
        nonce,
        scope,
        auth_time,
        sid,
    };
    if let Err(e) = checks(&grant) {
        withdraw_token(db, store, code_hash).await?;
        return Ok(Redemption::Refused(e));
    }
    if let Some(basket) = grant.basket_id
        && !super::baskets::claim(db, store, basket, grant.customer_id).await?
    {
        withdraw_token(db, store, code_hash).await?;
        return Ok(Redemption::BasketUnavailable);
    }
    Ok(Redemption::Redeemed(grant))
}

/// Removes the token a refused redemption stored; the code stays used up.
async fn withdraw_token(db: &Db, store: &StoreId, code_hash: &SecretHash) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE authorization_codes SET access_token_hash = NULL, access_token_expires_at = NULL
         WHERE code_hash = $1 AND store_id = $2",
    )
    .bind(code_hash)
    .bind(store.as_str())
    .execute(&db.pool)
    .await
    .context("withdrawing a refused code's access token")?;
    Ok(())
}

/// Revokes a code this client already consumed: the access token issued from it stops
/// working, since token lookups check the code's `revoked_at` (RFC 6749 §4.1.2, §10.5).
/// Returns true when the code was indeed a replay.
pub async fn revoke_if_consumed(
    db: &Db,
    store: &StoreId,
    client_id: &str,
    code_hash: &SecretHash,
    now: i64,
) -> anyhow::Result<bool> {
    let changed = sqlx::query(
        "UPDATE authorization_codes SET revoked_at = COALESCE(revoked_at, $4)
         WHERE code_hash = $1 AND store_id = $2 AND client_id = $3 AND consumed_at IS NOT NULL",
    )
    .bind(code_hash)
    .bind(store.as_str())
    .bind(client_id)
    .bind(now)
    .execute(&db.pool)
    .await
    .context("revoking a replayed authorization code")?
    .rows_affected();
    Ok(changed > 0)
}
