//! Operations basics every host shares: health, security headers, request ids.

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, header};
use crate::common::database::Backend;

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

crate::on_both_backends!(
    health_check_answers_on_any_host,
    readiness_follows_the_databases_migrations,
    every_response_carries_security_headers_and_a_request_id,
    an_unknown_host_gets_a_readable_404,
);
