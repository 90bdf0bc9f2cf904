//! OAuth clients registered at a store's provider.

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
    Ok(())
}

pub async fn find(db: &Db, store: &StoreId, client_id: &str) -> anyhow::Result<Option<ClientRow>> {
    sqlx::query_as::<_, ClientRow>(
        "SELECT client_id, redirect_uris, auth_method, secret_hash, jwks_uri, id_token_alg,
                backchannel_logout_uri, post_logout_redirect_uris,
                require_pushed_authorization_requests
         FROM oauth_clients WHERE store_id = $1 AND client_id = $2",
    )
    .bind(store.as_str())
    .bind(client_id)
    .fetch_optional(&db.pool)
    .await
    .context("finding a client")
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
