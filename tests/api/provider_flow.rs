//! The authorization code flow with PKCE, end to end: alice at site1 through a client
//! of each authentication method, her profile at userinfo, the login page, and single
//! sign-on for a shopper already logged in at the store.

use reqwest::StatusCode;

use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, absolute, assert_redirect, header, host_of, location};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::oauth::{AuthKind, Pkce, TestClient};

/// Authorize (with a basket) → login page → code → tokens → verified ID token → userinfo.
async fn alice_completes_the_flow(backend: Backend, auth: AuthKind) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", auth).await;
    let browser = Browser::new();
    let basket = browser.fill_basket(&app, "site1").await;
    let request = client.authorization().set("basket_id", &basket);

    let response = browser.follow_on_host(&request.url()).await;
    assert_eq!(response.status(), 200, "{auth:?}: the login page is shown");
    let page_url = response.url().to_string();
    let html = response.text().await.unwrap();
    let response = browser
        .provider_login(&page_url, &html, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let callback = client.callback(&response);
    assert_eq!(callback.error, None, "{auth:?}: {callback:?}");
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    let code = callback.code.expect("a code");
    assert!(code.len() >= 22, "{auth:?}: ≥128 bits of code");

    let response = client.redeem(&code, &request.pkce.verifier).await;
    assert_eq!(response.status(), 200, "{auth:?}");
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store"),
        "{auth:?}: RFC 6749 §5.1"
    );
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert!(
        tokens["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "{auth:?}: {tokens}"
    );
    let expires_in = tokens["expires_in"].as_i64().expect("expires_in");
    assert!(
        (1..=600).contains(&expires_in),
        "{auth:?}: access tokens live ≤10 min"
    );
    assert!(
        tokens.get("refresh_token").is_none(),
        "{auth:?}: no refresh tokens"
    );
    let access_token = tokens["access_token"].as_str().expect("access token");
    let id_token = tokens["id_token"].as_str().expect("ID token");
    let claims = client.verify_id_token(id_token, &request.nonce).await;
    assert_eq!(claims["basket_id"], basket.as_str(), "{auth:?}");

    for method in ["GET", "POST"] {
        let response = match method {
            "GET" => client.userinfo(access_token).await,
            _ => client.userinfo_by_post(access_token).await,
        };
        assert_eq!(response.status(), 200, "{auth:?}: {method} /userinfo");
        let info: serde_json::Value = response.json().await.unwrap();
        assert_eq!(info["sub"], claims["sub"], "{auth:?}: same subject");
        assert_eq!(info["email"], ALICE_EMAIL, "{auth:?}");
        assert!(info["email_verified"].is_boolean(), "{auth:?}: {info}");
        assert_eq!(info["name"], "Alice Example", "{auth:?}");
        assert_eq!(info["phone_number"], "+49 30 1234567", "{auth:?}");
        let address = &info["address"];
        assert_eq!(address["locality"], "Berlin", "{auth:?}: {info}");
        assert_eq!(address["postal_code"], "10115", "{auth:?}");
        assert_eq!(address["country"], "DE", "{auth:?}");
        assert_eq!(address["street_address"], "Invalidenstraße 117", "{auth:?}");
    }
}

async fn alice_completes_the_flow_with_client_secret_basic(backend: Backend) {
    alice_completes_the_flow(backend, AuthKind::SecretBasic).await;
}

async fn alice_completes_the_flow_with_client_secret_post(backend: Backend) {
    alice_completes_the_flow(backend, AuthKind::SecretPost).await;
}

async fn alice_completes_the_flow_with_private_key_jwt(backend: Backend) {
    alice_completes_the_flow(backend, AuthKind::PrivateKeyJwt).await;
}

async fn userinfo_gives_only_what_the_scopes_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization().set("scope", "openid email");
    let code = client
        .code_for(&Browser::new(), &request, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let info: serde_json::Value = client
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], ALICE_EMAIL, "{info}");
    for claim in ["address", "phone_number", "name"] {
        assert!(
            info.get(claim).is_none(),
            "{claim} without its scope: {info}"
        );
    }
}

async fn the_login_page_is_the_stores_own_with_a_csrf_field(backend: Backend) {
    let app = spawn_app(backend).await;
    for (store, name, other) in [
        ("site1", "Harbour Goods", "Meadow Supply"),
        ("site2", "Meadow Supply", "Harbour Goods"),
    ] {
        let client = TestClient::register(&app, store, AuthKind::SecretBasic).await;
        let browser = Browser::new();
        let response = browser.get(&client.authorization().url()).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{store}");
        let login = absolute(&client.endpoint("/authorize"), &location(&response));
        assert_eq!(
            host_of(&login),
            format!("{store}.localhost"),
            "{store}: the login page is on the store's host"
        );
        let response = browser.follow_on_host(&login).await;
        assert_eq!(response.status(), 200, "{store}: login page");
        let csp = header(response.headers(), "content-security-policy")
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.contains("frame-ancestors 'none'"),
            "{store}: no framing of the password page: {csp}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains(name), "{store}: branded {name}");
        assert!(!html.contains(other), "{store}: not branded {other}");
        assert!(
            html.contains("/theme.css"),
            "{store}: the store's colours (theme.css)"
        );
        assert!(!csrf_token(&html).is_empty(), "{store}: CSRF token");
        for field in ["request", "email", "password"] {
            assert!(
                html.contains(&format!("name=\"{field}\"")),
                "{store}: {field} field"
            );
        }
        assert!(html.contains("<label"), "{store}: labelled fields");
        assert!(
            html.contains("method=\"post\"") && html.contains("action=\"/login\""),
            "{store}: posts to /login"
        );
    }
}

async fn a_shopper_logged_in_at_the_store_skips_the_login_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;

    // Logged in by an earlier authorization in this browser.
    let browser = Browser::new();
    let (first, code) = client.alice_code(&browser).await;
    let first_tokens = client.tokens(&code, &first.pkce.verifier).await;
    let request = client.authorization();
    let response = browser.follow_on_host(&request.url()).await;
    let callback = client.callback(&response);
    assert_eq!(callback.error, None, "{callback:?}");
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    let code = callback.code.expect("a code without a login form");
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let first_claims = client
        .verify_id_token(first_tokens["id_token"].as_str().unwrap(), &first.nonce)
        .await;
    let claims = client
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &request.nonce)
        .await;
    assert_eq!(claims["sub"], first_claims["sub"], "the same shopper");
    assert_eq!(
        claims["auth_time"], first_claims["auth_time"],
        "no new authentication happened"
    );

    // Logged in on the storefront itself.
    let shopper = Browser::new();
    let response = shopper
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&response);
    let request = client.authorization();
    let response = shopper.follow_on_host(&request.url()).await;
    let callback = client.callback(&response);
    assert!(
        callback.code.is_some(),
        "storefront session skips the form: {callback:?}"
    );

    // Another browser is a stranger and gets the form.
    let response = Browser::new()
        .follow_on_host(&client.authorization().url())
        .await;
    assert_eq!(response.status(), 200, "a new browser sees the login page");
}

async fn prompt_login_shows_the_form_even_with_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    client.alice_code(&browser).await;
    let request = client.authorization().set("prompt", "login");
    let response = browser.follow_on_host(&request.url()).await;
    assert_eq!(response.status(), 200, "prompt=login asks again");
    let page_url = response.url().to_string();
    let html = response.text().await.unwrap();
    let response = browser
        .provider_login(&page_url, &html, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert!(client.callback(&response).code.is_some());
}

async fn max_age_and_login_hint_are_honoured(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let (first, code) = client.alice_code(&browser).await;
    let first_tokens = client.tokens(&code, &first.pkce.verifier).await;
    let first_claims = client
        .verify_id_token(first_tokens["id_token"].as_str().unwrap(), &first.nonce)
        .await;

    // A generous max_age lets the session through.
    let request = client.authorization().set("max_age", "3600");
    let response = browser.follow_on_host(&request.url()).await;
    assert!(client.callback(&response).code.is_some(), "max_age=3600");

    // max_age=0 (after a second has passed) demands a fresh login (OIDC Core §3.1.2.1).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let request = client
        .authorization()
        .set("max_age", "0")
        .set("login_hint", ALICE_EMAIL);
    let response = browser.follow_on_host(&request.url()).await;
    assert_eq!(response.status(), 200, "max_age=0 shows the login page");
    let page_url = response.url().to_string();
    let html = response.text().await.unwrap();
    assert_eq!(
        hidden_input(&html, "email").as_deref(),
        Some(ALICE_EMAIL),
        "login_hint fills in the email"
    );
    let response = browser
        .provider_login(&page_url, &html, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let code = client.callback(&response).code.expect("a code");
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let claims = client
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &request.nonce)
        .await;
    assert!(
        claims["auth_time"].as_i64() > first_claims["auth_time"].as_i64(),
        "a new authentication: {} then {}",
        first_claims["auth_time"],
        claims["auth_time"]
    );
}

async fn the_demo_registers_the_checkout_at_every_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let callback = app.checkout_url("/callback");
    for store in ["site1", "site2"] {
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", "shared-checkout"),
            ("redirect_uri", callback.as_str()),
            ("scope", "openid email profile address"),
            ("state", "s"),
            ("nonce", "n"),
            ("code_challenge", Pkce::new().challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .unwrap();
        let response = Browser::new()
            .get(&app.store_url(store, &format!("/authorize?{query}")))
            .await;
        assert_eq!(response.status(), 303, "{store}");
        let refused = location(&response);
        assert!(
            refused.starts_with(&format!("{callback}?error=invalid_request&")),
            "{store}: the checkout is a known client with that redirect URI, which must push \
             its requests (RFC 9126 §6), so a front-channel request goes back refused: {refused}"
        );
        let client = shared_checkout::provider::clients::find(
            &app.state.db,
            &shared_checkout::domain::StoreId::parse(store).unwrap(),
            "shared-checkout",
        )
        .await
        .unwrap()
        .expect("registered");
        assert_eq!(
            client.auth_method,
            shared_checkout::provider::clients::AuthMethod::PrivateKeyJwt,
            "{store}"
        );
        assert_eq!(
            client.jwks_uri.as_deref(),
            Some(app.checkout_url("/.well-known/jwks.json").as_str()),
            "{store}"
        );
        assert_eq!(client.id_token_alg, SigningAlg::Es256, "{store}");
        assert!(client.require_pushed_authorization_requests, "{store}");
    }
}

async fn codes_and_access_tokens_are_stored_only_as_hashes(backend: Backend) {
    use sha2::Digest;
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let sha256 = |value: &str| {
        sha2::Sha256::digest(value.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let pool = &app.state.db.pool;
    let codes: Vec<(String,)> = sqlx::query_as("SELECT code_hash FROM authorization_codes")
        .fetch_all(pool)
        .await
        .unwrap();
    let tokens: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT access_token_hash FROM authorization_codes")
            .fetch_all(pool)
            .await
            .unwrap();
    assert!(
        codes.iter().all(|(h,)| h != &code),
        "the code itself is not stored"
    );
    assert!(
        codes.iter().any(|(h,)| h == &sha256(&code)),
        "its SHA-256 is"
    );
    assert!(
        tokens.iter().all(|(h,)| h.as_deref() != Some(access_token)),
        "the token itself is not stored"
    );
    assert!(
        tokens
            .iter()
            .any(|(h,)| h.as_deref() == Some(&sha256(access_token)))
    );
    let secrets: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT secret_hash FROM oauth_clients WHERE client_id = $1")
            .bind(&client.client_id)
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(secrets.len(), 1);
    assert_ne!(
        secrets[0].0.as_deref(),
        Some(client.secret()),
        "client secret hashed"
    );
}

crate::on_both_backends!(
    alice_completes_the_flow_with_client_secret_basic,
    alice_completes_the_flow_with_client_secret_post,
    alice_completes_the_flow_with_private_key_jwt,
    userinfo_gives_only_what_the_scopes_allow,
    the_login_page_is_the_stores_own_with_a_csrf_field,
    a_shopper_logged_in_at_the_store_skips_the_login_form,
    prompt_login_shows_the_form_even_with_a_session,
    max_age_and_login_hint_are_honoured,
    the_demo_registers_the_checkout_at_every_store,
    codes_and_access_tokens_are_stored_only_as_hashes,
);
