//! Codes live at most 60 s (DESIGN.md step 5); the lifetime is a setting, lowered here so
//! the test need not wait a minute.

use std::time::Duration;

use crate::common::app::spawn_app_with;
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

crate::on_both_backends!(an_expired_code_is_invalid_grant);
