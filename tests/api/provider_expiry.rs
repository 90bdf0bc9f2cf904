//! Codes live at most 60 s (DESIGN.md step 5); the lifetime is a setting, lowered here so
//! the test need not wait a minute. Access tokens live ten minutes; their expiry is moved
//! into the past in the database rather than waited for.

use std::time::Duration;

use crate::common::app::{spawn_app, spawn_app_with};
use crate::common::browser::Browser;
use crate::common::database::Backend;
use crate::common::oauth::{AuthKind, TestClient, oauth_error};

async fn an_expired_code_is_invalid_grant(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.code_ttl_secs = 1).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    // One-second lifetime on a clock of whole seconds: three seconds is surely past it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, error) = oauth_error(client.redeem(&code, &request.pkce.verifier).await).await;
    assert_eq!((status.as_u16(), error.as_str()), (400, "invalid_grant"));

    // Control: a fresh code with the same settings works.
    let (request, code) = client.alice_code(&Browser::new()).await;
    client.tokens(&code, &request.pkce.verifier).await;
}

async fn an_expired_access_token_is_invalid_token_at_userinfo(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let access_token = &client.alice_access_token().await;
    assert_eq!(client.userinfo(access_token).await.status(), 200);

    let expired = sqlx::query(
        "UPDATE authorization_codes SET access_token_expires_at = $1
         WHERE access_token_hash IS NOT NULL",
    )
    .bind(shared_checkout::db::now())
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(expired.rows_affected(), 1);
    let response = client.userinfo(access_token).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

crate::on_both_backends!(
    an_expired_code_is_invalid_grant,
    an_expired_access_token_is_invalid_token_at_userinfo,
);
