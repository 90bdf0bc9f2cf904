//! Copying SQLite's write-ahead log back into the database file, away from the requests.
//!
//! Left to itself SQLite checkpoints inside the commit that takes the log past 1,000 pages,
//! so every few hundred handoffs one request copies the pages and syncs the file. Here a
//! task checkpoints once a second instead: a page written many times in that second is
//! copied once, and no request waits for the sync. The commit-time checkpoint stays as a
//! backstop at [`BACKSTOP_PAGES`], for a second that writes more or a task that falls behind.

use std::time::Duration;

use anyhow::Context;

use super::{Backend, Db};

/// How often the log is copied back.
const EVERY: Duration = Duration::from_secs(1);

/// The log size, in pages, at which a commit checkpoints anyway (SQLite's default: 1,000).
pub const BACKSTOP_PAGES: u32 = 10_000;

/// What one checkpoint did, as `PRAGMA wal_checkpoint` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Checkpoint {
    /// 1 when another connection was checkpointing; then the other two are -1.
    pub busy: i64,
    /// Pages in the log.
    pub log: i64,
    /// Pages of the log now in the database file; fewer than `log` while a reader still
    /// needs the older pages.
    pub checkpointed: i64,
}

/// Copies what it can of the log without waiting for readers or the writer (`PASSIVE`).
pub async fn run(db: &Db) -> anyhow::Result<Checkpoint> {
    sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&db.pool)
        .await
        .context("checkpointing the write-ahead log")
}

/// Runs [`run`] every second for as long as the runtime runs; nothing on PostgreSQL.
pub fn spawn(db: Db) {
    if db.backend != Backend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = run(&db).await {
                tracing::warn!(error = format!("{error:#}"), "checkpoint failed");
            }
        }
    });
}
