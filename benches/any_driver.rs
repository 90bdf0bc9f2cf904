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
//! Run: `cargo bench --bench any_driver`.

use std::str::FromStr;

use criterion::{Criterion, criterion_group, criterion_main};
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

/// Times FIND_ACTIVE and WRITE through `pool`, the hashes bound as the hex text they are stored as.
fn statements<DB: Database>(c: &mut Criterion, rt: &Runtime, name: &str, pool: &Pool<DB>)
where
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Row: for<'r> sqlx::FromRow<'r, DB::Row>,
{
    let token = sha256_hex("token");
    let code = sha256_hex("code");
    c.bench_function(&format!("{name}: userinfo read"), |b| {
        b.iter(|| {
            rt.block_on(async {
                let row: Option<Row> = sqlx::query_as(FIND_ACTIVE)
                    .bind(&token)
                    .bind("site1")
                    .bind(1_i64)
                    .fetch_optional(pool)
                    .await
                    .unwrap();
                assert!(row.is_some());
            })
        })
    });
    c.bench_function(&format!("{name}: one-row update"), |b| {
        b.iter(|| {
            rt.block_on(async {
                sqlx::query(WRITE)
                    .bind(&code)
                    .bind(i64::MAX)
                    .execute(pool)
                    .await
                    .unwrap();
            })
        })
    });
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
