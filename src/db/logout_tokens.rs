//! `jti`s of logout tokens the checkout acted on (Back-Channel Logout §2.6 step 9: a
//! replayed token is refused), kept until the token expires.

use super::{Db, inserted};

/// Remembers the token's `jti`; false when this issuer's `jti` was seen before.
pub async fn first_use(db: &Db, issuer: &str, jti: &str, expires_at: i64) -> anyhow::Result<bool> {
    inserted(
        sqlx::query("INSERT INTO logout_token_ids (issuer, jti, expires_at) VALUES ($1, $2, $3)")
            .bind(issuer)
            .bind(jti)
            .bind(expires_at)
            .execute(&db.pool)
            .await,
    )
}
