//! OAuth clients registered at a store's provider.

use std::time::Duration;

use anyhow::Context;

use super::{Db, now};
use crate::domain::StoreId;
use crate::secrets::SecretHash;

/// A client as stored; secrets only as their SHA-256 hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub client_id: String,
    pub redirect_uris: String,
    pub auth_method: String,
    pub secret_hash: Option<SecretHash>,
    pub jwks_uri: Option<String>,
    pub id_token_alg: String,
    pub backchannel_logout_uri: Option<String>,
    /// JSON array, like `redirect_uris`.
    pub post_logout_redirect_uris: Option<String>,
    /// 1: only pushed authorization requests (RFC 9126 §6).
    pub require_pushed_authorization_requests: i64,
}

/// How long a node answers from a client it read. Every authorization, PAR and token
/// request reads its client, and clients change only when an operator runs `client add`:
/// a change made through this process is seen at once, one made by another node or by the
/// CLI within this time. Unknown clients are not kept, so a new client works at once.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Registrations read, by store and client id; one per `Db`, so never shared between
/// databases.
#[derive(Clone)]
pub struct Cache(moka::sync::Cache<(StoreId, String), ClientRow>);

impl Default for Cache {
    fn default() -> Self {
        Self(
            moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(CACHE_TTL)
                .build(),
        )
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "clients::Cache({} entries)", self.0.entry_count())
    }
}

pub async fn upsert(db: &Db, store: &StoreId, row: &ClientRow) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO oauth_clients
            (store_id, client_id, redirect_uris, auth_method, secret_hash, jwks_uri, id_token_alg,
             created_at, backchannel_logout_uri, post_logout_redirect_uris,
             require_pushed_authorization_requests)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (store_id, client_id) DO UPDATE SET
            redirect_uris = excluded.redirect_uris, auth_method = excluded.auth_method,
            secret_hash = excluded.secret_hash, jwks_uri = excluded.jwks_uri,
            id_token_alg = excluded.id_token_alg,
            backchannel_logout_uri = excluded.backchannel_logout_uri,
            post_logout_redirect_uris = excluded.post_logout_redirect_uris,
            require_pushed_authorization_requests =
                excluded.require_pushed_authorization_requests",
    )
    .bind(store.as_str())
    .bind(&row.client_id)
    .bind(&row.redirect_uris)
    .bind(&row.auth_method)
    .bind(&row.secret_hash)
    .bind(&row.jwks_uri)
    .bind(&row.id_token_alg)
    .bind(now())
    .bind(&row.backchannel_logout_uri)
    .bind(&row.post_logout_redirect_uris)
    .bind(row.require_pushed_authorization_requests)
    .execute(&db.pool)
    .await
    .context("registering a client")?;
    db.clients
        .0
        .invalidate(&(store.clone(), row.client_id.clone()));
    Ok(())
}

pub async fn find(db: &Db, store: &StoreId, client_id: &str) -> anyhow::Result<Option<ClientRow>> {
    let key = (store.clone(), client_id.to_owned());
    if let Some(row) = db.clients.0.get(&key) {
        return Ok(Some(row));
    }
    let found = sqlx::query_as::<_, ClientRow>(
        "SELECT client_id, redirect_uris, auth_method, secret_hash, jwks_uri, id_token_alg,
                backchannel_logout_uri, post_logout_redirect_uris,
                require_pushed_authorization_requests
         FROM oauth_clients WHERE store_id = $1 AND client_id = $2",
    )
    .bind(store.as_str())
    .bind(client_id)
    .fetch_optional(&db.pool)
    .await
    .context("finding a client")?;
    if let Some(row) = &found {
        db.clients.0.insert(key, row.clone());
    }
    Ok(found)
}

/// The store's clients that take logout tokens (Back-Channel Logout §2.2).
pub async fn with_backchannel_logout(db: &Db, store: &StoreId) -> anyhow::Result<Vec<ClientRow>> {
    sqlx::query_as::<_, ClientRow>(
        "SELECT client_id, redirect_uris, auth_method, secret_hash, jwks_uri, id_token_alg,
                backchannel_logout_uri, post_logout_redirect_uris,
                require_pushed_authorization_requests
         FROM oauth_clients WHERE store_id = $1 AND backchannel_logout_uri IS NOT NULL
         ORDER BY client_id",
    )
    .bind(store.as_str())
    .fetch_all(&db.pool)
    .await
    .context("finding clients with a back-channel logout URI")
}
