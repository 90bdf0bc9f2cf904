//! sqlx's `Any` driver against the typed pool it wraps, side by side: the same statement
//! texts on the same database, through the `AnyPool` the server uses (`db::Db`) and through
//! a `SqlitePool` or `PgPool` with the same settings. The server keeps one query text for
//! both backends through `Any`; this shows what that costs per statement.
//!
//! Two statements from the handoff: `/userinfo`'s read (an access token joined to its
//! customer, one row decoded) and a one-row UPDATE by primary key. PostgreSQL rows run when
//! `TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test) answers, on a
//! fresh database dropped at the end.
//!
//! The `cpu` rows time SQLite's two statements in the process's CPU time (every thread),
//! not the caller's wait, four ways: through the server's pool, through a typed pool, on
//! one connection held out of the pool (no ping on release), and on the calling thread
//! through rusqlite (no worker thread). The gaps between them are what sqlx's pool and its
//! worker thread cost per statement (docs/benchmarks.md, "What bounds each figure now").
//!
//! Run: `cargo bench --bench any_driver`.

use std::str::FromStr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rusqlite::OptionalExtension;
use shared_checkout::db::Db;
use shared_checkout::db::tokens::FIND_ACTIVE;
use shared_checkout::secrets::{SecretHash, sha256_hex};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Any, Database, Executor, Pool, Postgres, Sqlite};
use tokio::runtime::Runtime;

const WRITE: &str = "UPDATE authorization_codes SET access_token_expires_at = $2
     WHERE code_hash = $1";

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// One customer with one live access token, written through the server's own pool.
async fn seed(db: &Db) {
    db.migrate().await.unwrap();
    let statements = [
        "INSERT INTO stores (id, name, host) VALUES ('site1', 'Site 1', 'site1.example')",
        "INSERT INTO customers (id, store_id, email, password_hash, name, created_at)
         VALUES ('c1', 'site1', 'alice@example.com', 'unused', 'Alice', 0)",
    ];
    for statement in statements {
        db.pool.execute(statement).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO authorization_codes
            (code_hash, store_id, client_id, redirect_uri, customer_id, code_challenge, scope,
             auth_time, expires_at, consumed_at, access_token_hash, access_token_expires_at)
         VALUES ($1, 'site1', 'client', 'https://rp.example/cb', 'c1', 'challenge',
                 'openid email', 0, 0, 0, $2, $3)",
    )
    .bind(SecretHash::of("code"))
    .bind(SecretHash::of("token"))
    .bind(i64::MAX)
    .execute(&db.pool)
    .await
    .unwrap();
}

/// Times each statement through `pool`, in the caller's wait.
fn statements<DB: Database>(c: &mut Criterion, rt: &Runtime, name: &str, pool: &Pool<DB>)
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Row: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    for (statement, label) in Statement::ALL {
        c.bench_function(&format!("{name}: {label}"), |b| {
            b.iter(|| rt.block_on(statement.run(pool)))
        });
    }
}

fn sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let db = rt.block_on(async {
        let db = Db::connect(&url, None).await.unwrap();
        seed(&db).await;
        db
    });
    // As `Db::connect` sets the SQLite pool up: two connections, WAL, 8 MiB of pages.
    let typed: Pool<Sqlite> = rt.block_on(async {
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", "-8192");
        SqlitePoolOptions::new()
            .max_connections(2)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .unwrap()
    });
    statements::<Any>(c, &rt, "SQLite through Any", &db.pool);
    statements::<Sqlite>(c, &rt, "SQLite typed", &typed);

    cpu(c, "SQLite through Any", |statement| {
        rt.block_on(statement.run(&db.pool))
    });
    cpu(c, "SQLite typed", |statement| {
        rt.block_on(statement.run(&typed))
    });
    let mut held = rt.block_on(typed.acquire()).unwrap();
    cpu(c, "SQLite typed, one held connection", |statement| {
        rt.block_on(statement.run(&mut *held))
    });
    // Back to the pool on the runtime, which its release is spawned on.
    rt.block_on(async move { drop(held) });
    let inline = in_thread(&url);
    cpu(c, "SQLite on the calling thread (rusqlite)", |statement| {
        statement.run_in_thread(&inline)
    });
}

/// One of the two statements, bound as the server binds them (FIND_ACTIVE and WRITE, the
/// hashes as the hex text they are stored as).
#[derive(Clone, Copy)]
enum Statement {
    UserinfoRead,
    OneRowUpdate,
}

impl Statement {
    const ALL: [(Self, &'static str); 2] = [
        (Self::UserinfoRead, "userinfo read"),
        (Self::OneRowUpdate, "one-row update"),
    ];

    async fn run<'e, DB, E>(self, executor: E)
    where
        DB: Database,
        E: Executor<'e, Database = DB>,
        for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
        for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        Row: for<'r> sqlx::FromRow<'r, DB::Row>,
    {
        match self {
            Self::UserinfoRead => {
                let row: Option<Row> = sqlx::query_as(FIND_ACTIVE)
                    .bind(sha256_hex("token"))
                    .bind("site1")
                    .bind(1_i64)
                    .fetch_optional(executor)
                    .await
                    .unwrap();
                assert!(row.is_some());
            }
            Self::OneRowUpdate => {
                sqlx::query(WRITE)
                    .bind(sha256_hex("code"))
                    .bind(i64::MAX)
                    .execute(executor)
                    .await
                    .unwrap();
            }
        }
    }

    /// The same statement through rusqlite, with the parameters bound by their `$N` names
    /// as sqlx binds them, and the row decoded into the same tuple.
    fn run_in_thread(self, connection: &rusqlite::Connection) {
        match self {
            Self::UserinfoRead => {
                let mut statement = connection.prepare_cached(FIND_ACTIVE).unwrap();
                let row: Option<Row> = statement
                    .query_row(
                        rusqlite::named_params! { "$1": sha256_hex("token"), "$2": "site1", "$3": 1_i64 },
                        |row| {
                            Ok((
                                row.get(0)?,
                                row.get(1)?,
                                row.get(2)?,
                                row.get(3)?,
                                row.get(4)?,
                                row.get(5)?,
                                row.get(6)?,
                                row.get(7)?,
                            ))
                        },
                    )
                    .optional()
                    .unwrap();
                assert!(row.is_some());
            }
            Self::OneRowUpdate => {
                connection
                    .prepare_cached(WRITE)
                    .unwrap()
                    .execute(rusqlite::named_params! { "$1": sha256_hex("code"), "$2": i64::MAX })
                    .unwrap();
            }
        }
    }
}

/// Times each statement in the process's CPU time per run, every thread counted.
fn cpu(c: &mut Criterion, name: &str, mut run: impl FnMut(Statement)) {
    for (statement, label) in Statement::ALL {
        c.bench_function(&format!("cpu: {name}: {label}"), |b| {
            b.iter_custom(|iterations| {
                let start = process_cpu();
                for _ in 0..iterations {
                    run(statement);
                }
                process_cpu() - start
            })
        });
    }
}

fn process_cpu() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

/// A connection on the bench database, set up as `Db::connect` sets up the server's.
fn in_thread(url: &str) -> rusqlite::Connection {
    let path = url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap();
    let connection = rusqlite::Connection::open(path).unwrap();
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192;",
        )
        .unwrap();
    connection
}

fn postgres(c: &mut Criterion) {
    let rt = runtime();
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let name = format!("bench_any_{}", uuid::Uuid::new_v4().simple());
    let created = rt.block_on(async {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin)
            .await
            .ok()?;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .ok()?;
        Some(admin)
    });
    let Some(admin_pool) = created else {
        eprintln!("PostgreSQL rows skipped: {admin} does not answer");
        return;
    };
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let db = rt.block_on(async {
        let db = Db::connect(&url, None).await.unwrap();
        seed(&db).await;
        db
    });
    // As `Db::connect` sets the PostgreSQL pool up: 16 connections, no ping before use.
    let typed: Pool<Postgres> = rt.block_on(async {
        PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .connect(&url)
            .await
            .unwrap()
    });
    statements::<Any>(c, &rt, "PostgreSQL through Any", &db.pool);
    statements::<Postgres>(c, &rt, "PostgreSQL typed", &typed);
    rt.block_on(async {
        typed.close().await;
        db.pool.close().await;
        admin_pool
            .execute(format!("DROP DATABASE {name}").as_str())
            .await
            .unwrap();
    });
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
