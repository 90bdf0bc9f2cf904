//! Operations basics every host shares: health, security headers, request ids.

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, header};
use crate::common::database::Backend;
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
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
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

    // Past the access token's ten minutes, inside the code's replay window.
    let deleted = delete_at(11 * 60).await;
    assert!(deleted.contains(&("access_tokens", 1)), "{deleted:?}");
    assert!(
        !deleted
            .iter()
            .any(|(table, _)| *table == "authorization_codes"),
        "{deleted:?}"
    );
    assert_eq!(count(&app, "authorization_codes").await, 1);
    assert_eq!(client.userinfo(access_token).await.status(), 401);

    // Past the replay window and the store session's lifetime.
    let deleted = delete_at(40 * 24 * 3600).await;
    assert!(deleted.contains(&("authorization_codes", 1)), "{deleted:?}");
    assert!(deleted.contains(&("store_sessions", 1)), "{deleted:?}");
    assert_eq!(count(&app, "authorization_codes").await, 0);
    assert!(delete_at(40 * 24 * 3600).await.is_empty());
}

crate::on_both_backends!(
    retention_deletes_what_expired_and_nothing_else,
    health_check_answers_on_any_host,
    readiness_follows_the_databases_migrations,
    every_response_carries_security_headers_and_a_request_id,
    an_unknown_host_gets_a_readable_404,
);
