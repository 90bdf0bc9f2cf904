//! Operations basics every host shares: health, security headers, request ids.

use std::path::Path;

use shared_checkout::db::Db;
use shared_checkout::domain::StoreId;
use shared_checkout::secrets::SecretHash;

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, header};
use crate::common::database::{Backend, fresh_postgres_database};
use crate::common::oauth::{AuthKind, TestClient};

async fn health_check_answers_on_any_host(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    for url in [
        app.store_url("site1", "/healthz"),
        app.checkout_url("/healthz"),
        format!("http://127.0.0.1:{}/healthz", app.port),
    ] {
        let response = browser.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.text().await.unwrap(), "ok", "{url}");
    }
}

/// Ready on any host while the database has every migration of this release; a database
/// missing the latest one (a new node started before its migrations ran) is not ready.
async fn readiness_follows_the_databases_migrations(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let urls = [
        app.store_url("site1", "/readyz"),
        app.checkout_url("/readyz"),
        format!("http://127.0.0.1:{}/readyz", app.port),
    ];
    for url in &urls {
        let response = browser.get(url).await;
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.text().await.unwrap(), "ready", "{url}");
    }
    let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(latest)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    for url in &urls {
        let response = browser.get(url).await;
        assert_eq!(response.status(), 503, "{url}");
        assert_eq!(
            response.text().await.unwrap(),
            "database migrations pending",
            "{url}"
        );
    }
}

async fn every_response_carries_security_headers_and_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    for url in [
        app.store_url("site1", "/"),
        app.store_url("site1", "/no-such-page"),
        app.checkout_url("/"),
        format!("http://unknown.localhost:{}/", app.port),
    ] {
        let response = browser.get(&url).await;
        let headers = response.headers();
        assert_eq!(
            header(headers, "referrer-policy"),
            Some("no-referrer"),
            "{url}"
        );
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"), "{url}");
        assert_eq!(
            header(headers, "x-content-type-options"),
            Some("nosniff"),
            "{url}"
        );
        let csp = header(headers, "content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{url}: {csp}");
        assert!(header(headers, "x-request-id").is_some(), "{url}");
    }
}

async fn an_unknown_host_gets_a_readable_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = Browser::new()
        .get(&format!("http://unknown.localhost:{}/", app.port))
        .await;
    assert_eq!(response.status(), 404);
    let body = response.text().await.unwrap();
    assert!(body.contains("Not found"), "{body}");
}

async fn count(app: &crate::common::app::TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

/// Retention deletes what has lapsed and nothing that still works: live sessions, codes
/// and tokens stay; a code outlives its tokens by the replay window; large backlogs go in
/// batches until none is left.
async fn retention_deletes_what_expired_and_nothing_else(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let access_token = &client.alice_access_token().await;
    let backlog = 2 * shared_checkout::db::retention::BATCH + 7;
    for i in 0..backlog {
        sqlx::query(
            "INSERT INTO client_assertion_ids (store_id, client_id, jti, expires_at)
             VALUES ('site1', 'old-client', $1, 1)",
        )
        .bind(format!("jti-{i}"))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
    let delete_at = |seconds_from_now: i64| {
        let db = app.state.db.clone();
        async move {
            let now = shared_checkout::db::now() + seconds_from_now;
            shared_checkout::db::retention::delete_expired(&db, now)
                .await
                .unwrap()
        }
    };

    // The node's own retention task may have taken a batch already; one call must finish.
    let deleted = delete_at(0).await;
    assert!(
        deleted
            .iter()
            .all(|(table, _)| *table == "client_assertion_ids"),
        "{deleted:?}"
    );
    assert_eq!(count(&app, "client_assertion_ids").await, 0);
    assert_eq!(client.userinfo(access_token).await.status(), 200);
    assert_eq!(count(&app, "store_sessions").await, 1);

    // Past the access token's ten minutes, inside the code's replay window: the code's row,
    // which holds the token, stays.
    let deleted = delete_at(11 * 60).await;
    assert!(
        !deleted
            .iter()
            .any(|(table, _)| *table == "authorization_codes"),
        "{deleted:?}"
    );
    assert_eq!(count(&app, "authorization_codes").await, 1);

    // Past the replay window and the store session's lifetime.
    let deleted = delete_at(40 * 24 * 3600).await;
    assert!(deleted.contains(&("authorization_codes", 1)), "{deleted:?}");
    assert!(deleted.contains(&("store_sessions", 1)), "{deleted:?}");
    assert_eq!(count(&app, "authorization_codes").await, 0);
    assert!(delete_at(40 * 24 * 3600).await.is_empty());
}

/// The migration that moved access tokens onto their codes' rows keeps the tokens issued
/// before it: a live one still finds its customer; a revoked or expired one still does not.
/// The old table stays for the previous release's nodes, and retention still empties it.
async fn access_tokens_issued_before_their_migration_survive_it(backend: Backend) {
    const MOVED_IN: &str = "0012";
    let dir = tempfile::tempdir().unwrap();
    let (url, dialect) = match backend {
        Backend::Sqlite => {
            let file = dir.path().join("older.db");
            (format!("sqlite://{}?mode=rwc", file.display()), "sqlite")
        }
        Backend::Postgres => (fresh_postgres_database().await, "postgres"),
    };
    let db = Db::connect(&url, None).await.unwrap();
    let older = dir.path().join("older-migrations");
    std::fs::create_dir(&older).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dialect);
    for entry in std::fs::read_dir(all).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < MOVED_IN {
            std::fs::copy(&path, older.join(name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .unwrap()
        .run(&db.pool)
        .await
        .unwrap();

    let now = shared_checkout::db::now();
    let customer = uuid::Uuid::new_v4().to_string();
    sqlx::query("INSERT INTO stores (id, name, host) VALUES ('site1', 'Site 1', 'site1.example')")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO customers (id, store_id, email, password_hash, name, created_at)
         VALUES ($1, 'site1', 'carol@example.com', 'unused', 'Carol', 0)",
    )
    .bind(&customer)
    .execute(&db.pool)
    .await
    .unwrap();
    for (name, revoked_at, token_expires_at) in [
        ("live", None, now + 600),
        ("revoked", Some(now), now + 600),
        ("expired", None, now - 1),
    ] {
        let code = SecretHash::of(&format!("code-{name}"));
        sqlx::query(
            "INSERT INTO authorization_codes
                (code_hash, store_id, client_id, redirect_uri, customer_id, code_challenge,
                 scope, auth_time, expires_at, consumed_at, revoked_at)
             VALUES ($1, 'site1', 'client', 'https://rp.example/cb', $2, 'challenge',
                     'openid email', $3, $3, $3, $4)",
        )
        .bind(&code)
        .bind(&customer)
        .bind(now)
        .bind(revoked_at)
        .execute(&db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO access_tokens
                (token_hash, store_id, client_id, customer_id, scope, code_hash, expires_at)
             VALUES ($1, 'site1', 'client', $2, 'openid email', $3, $4)",
        )
        .bind(SecretHash::of(&format!("token-{name}")))
        .bind(&customer)
        .bind(&code)
        .bind(token_expires_at)
        .execute(&db.pool)
        .await
        .unwrap();
    }

    db.migrate().await.unwrap();
    let site1 = StoreId::parse("site1").unwrap();
    let find = |name: &str| {
        let token = SecretHash::of(&format!("token-{name}"));
        let db = &db;
        let site1 = &site1;
        async move {
            shared_checkout::db::tokens::find_active(db, site1, &token, now)
                .await
                .unwrap()
        }
    };
    let live = find("live").await.expect("the live token still works");
    assert_eq!(live.customer.id.to_string(), customer);
    assert_eq!(
        (live.client_id.as_str(), live.scope.as_str()),
        ("client", "openid email")
    );
    assert!(
        find("revoked").await.is_none(),
        "a revoked code's token stays revoked"
    );
    assert!(
        find("expired").await.is_none(),
        "an expired token stays expired"
    );

    // Retention empties the kept table before the codes its rows reference.
    let later = now + 2 * shared_checkout::db::retention::CODE_RETENTION_SECS;
    let deleted = shared_checkout::db::retention::delete_expired(&db, later)
        .await
        .unwrap();
    assert!(deleted.contains(&("access_tokens", 3)), "{deleted:?}");
    assert!(deleted.contains(&("authorization_codes", 3)), "{deleted:?}");
}

/// On SQLite the node copies the write-ahead log back itself, so commits checkpoint only
/// past the backstop: every connection carries it, and a checkpoint run once the requests
/// are answered takes the whole log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_checkpoints_away_from_the_requests() {
    use shared_checkout::db::checkpoint;

    let app = spawn_app(Backend::Sqlite).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let access_token = client.alice_access_token().await;
    assert_eq!(client.userinfo(&access_token).await.status(), 200);
    // Both of the pool's connections, held at once so that neither is asked twice.
    let mut connections = Vec::new();
    for _ in 0..2 {
        let mut connection = app.state.db.pool.acquire().await.unwrap();
        let backstop: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *connection)
            .await
            .unwrap();
        assert_eq!(backstop, i64::from(checkpoint::BACKSTOP_PAGES));
        connections.push(connection);
    }
    drop(connections);
    // The node's own checkpoint may hold SQLite's checkpoint lock for a moment: that run
    // reports itself busy and copies nothing.
    let mut done = checkpoint::run(&app.state.db).await.unwrap();
    for _ in 0..100 {
        if done.busy == 0 {
            break;
        }
        done = checkpoint::run(&app.state.db).await.unwrap();
    }
    assert_eq!(done.busy, 0, "{done:?}");
    assert!(done.log > 0, "{done:?}");
    assert_eq!(done.checkpointed, done.log, "{done:?}");
}

crate::on_both_backends!(
    retention_deletes_what_expired_and_nothing_else,
    access_tokens_issued_before_their_migration_survive_it,
    health_check_answers_on_any_host,
    readiness_follows_the_databases_migrations,
    every_response_carries_security_headers_and_a_request_id,
    an_unknown_host_gets_a_readable_404,
);
