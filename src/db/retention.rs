//! Deleting expired rows, a small batch at a time. Nothing here is needed for correctness:
//! every lookup checks expiry itself. It keeps the tables small, away from the requests
//! that create the rows, and never holds a table's write lock for more than one batch.

use std::time::Duration;

use anyhow::Context;

use super::Db;

/// How often each node looks for expired rows; nodes may overlap, the work does not double.
const EVERY: Duration = Duration::from_secs(60);

/// Rows deleted per statement; small enough that a batch never stalls a writer for long.
pub const BATCH: i64 = 500;

/// How long a code row outlives the code: longer than the access token issued from it, which
/// lives on the same row, so a late replay still finds the code and revokes that token
/// (RFC 6749 §4.1.2).
pub const CODE_RETENTION_SECS: i64 = 3600;

/// A table whose rows lapse.
struct Expiring {
    table: &'static str,
    /// The primary key's columns.
    key: &'static str,
    /// How long after `expires_at` a row is kept.
    kept_for: i64,
}

const fn expiring(table: &'static str, key: &'static str) -> Expiring {
    Expiring {
        table,
        key,
        kept_for: 0,
    }
}

const EXPIRING: &[Expiring] = &[
    expiring("store_sessions", "token_hash"),
    expiring("authorization_requests", "id"),
    expiring("pushed_authorization_requests", "request_uri_hash"),
    // The previous release's token table, kept by migration 0012 while old and new nodes
    // serve side by side; its rows reference codes, so they go first.
    expiring("access_tokens", "token_hash"),
    Expiring {
        kept_for: CODE_RETENTION_SECS,
        ..expiring("authorization_codes", "code_hash")
    },
    expiring("client_assertion_ids", "store_id, client_id, jti"),
    expiring("logout_token_ids", "issuer, jti"),
    expiring("login_transactions", "state_hash"),
    expiring("checkout_sessions", "token_hash"),
    expiring("checkout_tickets", "ticket_hash"),
    // Set once delivered or given up (`db::webhooks::KEPT_FOR_SECS` later): never pending.
    expiring("webhook_events", "id"),
];

/// Deletes what has expired by `now` in batches of [`BATCH`], table by table, until
/// nothing is left; returns how many rows went from each table that lost any.
pub async fn delete_expired(db: &Db, now: i64) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let mut deleted = Vec::new();
    for Expiring {
        table,
        key,
        kept_for,
    } in EXPIRING
    {
        let statement = format!(
            "DELETE FROM {table} WHERE ({key}) IN
                (SELECT {key} FROM {table} WHERE expires_at < $1 LIMIT {BATCH})"
        );
        let mut total = 0;
        loop {
            let batch = sqlx::query(&statement)
                .bind(now - kept_for)
                .execute(&db.pool)
                .await
                .with_context(|| format!("deleting expired rows of {table}"))?
                .rows_affected();
            total += batch;
            if batch < BATCH as u64 {
                break;
            }
        }
        if total > 0 {
            deleted.push((*table, total));
        }
    }
    Ok(deleted)
}

/// Runs [`delete_expired`] now and every minute after, for as long as the runtime runs.
pub fn spawn(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match delete_expired(&db, super::now()).await {
                Ok(deleted) => {
                    for (table, rows) in deleted {
                        metrics::counter!("retention_deleted_rows_total", "table" => table)
                            .increment(rows);
                        tracing::debug!(table, rows, "expired rows deleted");
                    }
                }
                Err(error) => tracing::warn!(error = format!("{error:#}"), "retention failed"),
            }
        }
    });
}
