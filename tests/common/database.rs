//! One database per test: a temporary SQLite file, or a fresh PostgreSQL database on the
//! server `TEST_POSTGRES_URL` names (default postgres://postgres@127.0.0.1:5432/test).

use std::sync::LazyLock;

use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` once per backend, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::common::database::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::common::database::Backend::Postgres).await
                }
            )+
        }
    };
}

static POSTGRES_ADMIN_URL: LazyLock<String> = LazyLock::new(|| {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
});

/// The PostgreSQL server test databases are created on.
pub fn postgres_admin_url() -> &'static str {
    &POSTGRES_ADMIN_URL
}

/// Creates a database with a unique name and returns its URL.
pub async fn fresh_postgres_database() -> String {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(postgres_admin_url())
        .await
        .expect("PostgreSQL reachable at TEST_POSTGRES_URL (default 127.0.0.1:5432)");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(postgres_admin_url()).expect("TEST_POSTGRES_URL is a URL");
    url.set_path(&name);
    url.to_string()
}
