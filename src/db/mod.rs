//! The database: one pool, migrations per backend, one module per table group.
//!
//! Queries use `$N` placeholders and only TEXT/BIGINT columns, so one query text runs on
//! SQLite and PostgreSQL through sqlx's `Any` driver. The one exception is the offline
//! order's writes (`placeorder::complete_at_once`): one exchange with the database, in
//! each backend's own terms, because as seven statements the exchanges cost more than the
//! rows (docs/benchmarks.md). Every function that touches a store-owned row takes the
//! `StoreId` first, so a query without it does not compile.

pub mod api_keys;
pub mod auth_requests;
pub mod baskets;
pub mod checkout_sessions;
pub mod checkout_tickets;
pub mod checkpoint;
pub mod clients;
pub mod codes;
pub mod customers;
pub mod login_transactions;
pub mod logout_tokens;
pub mod orders;
pub mod payments;
pub mod placeorder;
pub mod products;
pub mod pushed_requests;
pub mod retention;
pub mod sessions;
pub mod stores;
pub mod tokens;
pub mod webhooks;

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pool, shared by every handler.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    clients: clients::Cache,
    /// SQLite takes one writer at a time; a long write transaction waits here for the
    /// previous one instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10 ms ….
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

impl Db {
    /// Connects with `pool_size` connections, or the backend's default (see
    /// `Settings::database_pool_size`).
    pub async fn connect(url: &str, pool_size: Option<u32>) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            anyhow::bail!("database URL must start with sqlite: or postgres://");
        };
        let options = AnyPoolOptions::new()
            .max_connections(pool_size.unwrap_or(match backend {
                Backend::Sqlite => 2,
                Backend::Postgres => 16,
            }))
            .acquire_timeout(Duration::from_secs(10))
            // No round trip before every statement: a connection that broke fails its next
            // statement instead, and the pool replaces it.
            .test_before_acquire(false);
        let options = match backend {
            // WAL lets readers run beside the one writer; sqlx already sets a busy timeout.
            // Each connection keeps 8 MiB of pages (SQLite's default is 2 MiB). No memory
            // map: every write grows the file, and each read transaction then maps it again
            // (docs/benchmarks.md).
            Backend::Sqlite => options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA cache_size = -8192").await?;
                    conn.execute(
                        format!("PRAGMA wal_autocheckpoint = {}", checkpoint::BACKSTOP_PAGES)
                            .as_str(),
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => options,
        };
        if backend == Backend::Sqlite {
            create_parent_dir(url)?;
        }
        let pool = options
            .connect(url)
            .await
            .with_context(|| format!("connecting to the {backend:?} database"))?;
        Ok(Self {
            pool,
            backend,
            clients: clients::Cache::default(),
            write_gate: Arc::default(),
        })
    }

    /// Begins a transaction, on a task of its own. A request's future is dropped when the
    /// request is cancelled (the client went away, the timeout struck), and sqlx 0.8 dropped
    /// while PostgreSQL's `BEGIN` is in flight returns the connection to the pool inside a
    /// transaction nothing will end: the next borrower's writes run in it and never commit
    /// (sqlx issue 4393). The task always finishes `begin`, so the transaction it opens is a
    /// `Transaction`, which rolls back when dropped unused.
    pub async fn begin(&self) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Any>> {
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin().await })
            .await
            .context("beginning a transaction")?
            .context("beginning a transaction")
    }

    /// Held through a write transaction of several statements on SQLite; nothing on
    /// PostgreSQL, whose writers lock rows, not the database.
    pub async fn write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        self.migrator()
            .run(&self.pool)
            .await
            .context("running database migrations")
    }

    /// Whether every migration this binary knows has run. A database ahead of the binary
    /// is fine: old nodes keep serving while a new release's migrations are applied.
    pub async fn migrations_current(&self) -> anyhow::Result<bool> {
        let known = self.migrator().iter().map(|m| m.version).max();
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&self.pool)
            .await
            .context("reading the applied migrations")?;
        Ok(applied >= known)
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        }
    }
}

/// Creates the folder a SQLite file lives in, and nothing else: the data directory of
/// the defaults is not created when the file is elsewhere.
fn create_parent_dir(url: &str) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::from_str(url).context("reading the SQLite URL")?;
    match options.get_filename().parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// A statement that values can be bound to, in order: lets one function bind a new row's
/// values whether the row is inserted on its own or as a part of a larger statement.
pub(crate) trait Bind<'q>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>;
}

impl<'q> Bind<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.bind(value)
    }
}

impl<'q, O> Bind<'q> for sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        self.bind(value)
    }
}

/// `$first, $first+1, …`, one placeholder per column of `columns` (a comma-separated list).
pub(crate) fn placeholders(first: usize, columns: &str) -> String {
    let count = columns.split(',').count();
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Unix seconds; the unit of every time column.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Maps a unique-constraint violation to `Ok(false)`; SQLite does not report constraint
/// names, so the kind of error is all either backend can be asked for.
pub(crate) fn inserted(
    result: Result<sqlx::any::AnyQueryResult, sqlx::Error>,
) -> anyhow::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The steps of SQLite's plan for `sql` on a fresh, migrated database, each `$N` bound to 0:
/// for tests that a query searches an index rather than scanning a table that grows.
#[cfg(test)]
pub(crate) async fn sqlite_plan(sql: &str) -> Vec<String> {
    let db = Db::connect("sqlite::memory:", Some(1)).await.unwrap();
    db.migrate().await.unwrap();
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    let steps: Vec<(i64, i64, i64, String)> = bind_zeros(sqlx::query_as(&explain), sql)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    steps.into_iter().map(|(.., step)| step).collect()
}

/// PostgreSQL's plan for `sql`, as [`sqlite_plan`], on a fresh database of the server
/// `TEST_POSTGRES_URL` names (default postgres://postgres@127.0.0.1:5432/test), dropped
/// afterwards. Sequential scans are discouraged, so that the plan on empty tables names the
/// index PostgreSQL can use rather than the scan it would pick for no rows.
#[cfg(test)]
pub(crate) async fn postgres_plan(sql: &str) -> Vec<String> {
    let server = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let name = format!("test_plan_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&server, Some(1)).await.unwrap();
    let create = format!("CREATE DATABASE {name}");
    admin.pool.execute(create.as_str()).await.unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let db = Db::connect(&url, Some(1)).await.unwrap();
    db.migrate().await.unwrap();
    db.pool.execute("SET enable_seqscan = off").await.unwrap();
    let explain = format!("EXPLAIN {sql}");
    let lines: Vec<(String,)> = bind_zeros(sqlx::query_as(&explain), sql)
        .fetch_all(&db.pool)
        .await
        .unwrap();
    db.pool.close().await;
    let drop = format!("DROP DATABASE {name}");
    admin.pool.execute(drop.as_str()).await.unwrap();
    lines
        .into_iter()
        .map(|(line,)| line.trim().to_owned())
        .collect()
}

#[cfg(test)]
fn bind_zeros<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    sql: &str,
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
    let parameters = (1..).take_while(|n| sql.contains(&format!("${n}"))).count();
    for _ in 0..parameters {
        query = query.bind(0_i64);
    }
    query
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Each migration's statements, by file name, for one dialect.
    fn migrations(dialect: &str) -> BTreeMap<String, usize> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        std::fs::read_dir(&dir)
            .expect("the migrations folder")
            .map(|entry| {
                let path = entry.expect("a migration").path();
                let sql = std::fs::read_to_string(&path).expect("a readable migration");
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, sql.matches(';').count())
            })
            .collect()
    }

    /// The dialects may word a statement differently, never skip one: every migration
    /// exists for both, with as many statements.
    #[test]
    fn both_dialects_have_the_same_migrations_in_step() {
        assert_eq!(migrations("sqlite"), migrations("postgres"));
    }
}
