//! The stores table mirrors the configuration, so store-owned rows can reference it.

use super::Db;
use crate::config::StoreConfig;

/// Inserts or refreshes every configured store (run at start-up on every node).
pub async fn sync(db: &Db, stores: &[StoreConfig]) -> anyhow::Result<()> {
    for store in stores {
        sqlx::query(
            "INSERT INTO stores (id, name, host) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, host = excluded.host",
        )
        .bind(store.id.as_str())
        .bind(&store.name)
        .bind(&store.host)
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}
