//! One provider per store: customers, baskets, sessions and codes of one store are
//! worthless at another.

use std::collections::HashSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::common::browser::Browser;
use crate::common::database::Backend;
use crate::common::oauth::{
    AuthKind, TestClient, assert_readable_refusal, back_channel, oauth_error,
};
use crate::common::rogue::add_store;

async fn alice_cannot_sign_in_at_site2(backend: Backend) {
    let app = spawn_app(backend).await;
    let at_site2 = TestClient::register(&app, "site2", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let response = browser
        .authorize_and_log_in(&at_site2.authorization().url(), ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let status = response.status();
    assert!(
        !status.is_redirection(),
        "no code for alice at site2: {status} {:?}",
        response.headers().get("location")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\""), "an error is shown");

    // Logged in at site1, she is still a stranger at site2.
    let at_site1 = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    at_site1.alice_code(&browser).await;
    let response = browser
        .follow_on_host(&at_site2.authorization().url())
        .await;
    assert_eq!(
        response.status(),
        200,
        "site2 asks for a login: site1's session does not count"
    );
    let response = browser
        .follow_on_host(&at_site2.authorization().set("prompt", "none").url())
        .await;
    assert_eq!(
        at_site2.callback(&response).error.as_deref(),
        Some("login_required")
    );
}

async fn a_site2_basket_cannot_be_bound_at_site1(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    // A site2 customer's basket, and a guest basket at site2.
    let erin = Browser::new();
    erin.register(&app, "site2", "erin@example.com", "erin's long password")
        .await;
    let customers_basket = erin.fill_basket(&app, "site2").await;
    let guests_basket = Browser::new().fill_basket(&app, "site2").await;
    for (case, basket) in [
        ("a site2 customer's basket", customers_basket),
        ("a site2 guest basket", guests_basket),
    ] {
        let request = client.authorization().set("basket_id", &basket);
        let response = Browser::new()
            .authorize_and_log_in(&request.url(), ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        if response.status().is_redirection() {
            let callback = client.callback(&response);
            assert!(callback.error.is_some(), "{case}: {callback:?}");
            assert_eq!(callback.code, None, "{case}");
        } else {
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.text().await.unwrap();
            assert_readable_refusal(status, &headers, &body, case);
        }
    }
}

async fn a_code_of_site1_is_refused_at_site2s_token_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    for auth in [AuthKind::SecretBasic, AuthKind::PrivateKeyJwt] {
        // The same client, credentials and redirect URI at both stores: only the code's
        // store differs.
        let client = TestClient::register(&app, "site1", auth).await;
        client.register_at(&app, "site2", SigningAlg::Es256).await;
        let (request, code) = client.alice_code(&Browser::new()).await;
        let site2_token = app.store_url("site2", "/token");
        let response = client
            .token_request(
                &site2_token,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", client.redirect_uri()),
                    ("code_verifier", &request.pkce.verifier),
                ],
            )
            .await;
        let (status, error) = oauth_error(response).await;
        assert_eq!(
            (status.as_u16(), error.as_str()),
            (400, "invalid_grant"),
            "{auth:?}"
        );
    }
}

async fn an_access_token_of_site1_is_refused_at_site2s_userinfo(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let access_token = &client.alice_access_token().await;
    let response = back_channel()
        .get(app.store_url("site2", "/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(client.userinfo(access_token).await.status(), 200);
}

async fn jwks_of(app: &TestApp, store: &str) -> JwkSet {
    back_channel()
        .get(app.store_url(store, "/jwks.json"))
        .send()
        .await
        .expect("GET /jwks.json")
        .json()
        .await
        .expect("a JWK set")
}

fn kids(jwks: &JwkSet) -> HashSet<String> {
    jwks.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

/// One store's key never vouches for another: site1's ID tokens name a key site2 does not
/// publish, and none of site2's keys verifies them, not even for a relying party that
/// ignores the `kid` and tries every key.
async fn an_id_token_of_site1_does_not_verify_with_site2s_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let site1 = jwks_of(&app, "site1").await;
    let site2 = jwks_of(&app, "site2").await;
    assert!(
        kids(&site1).is_disjoint(&kids(&site2)),
        "site1 {:?} and site2 {:?} publish a key in common",
        kids(&site1),
        kids(&site2)
    );
    for alg in SigningAlg::ALL {
        let redirect = format!(
            "https://rp-{}.example/callback",
            uuid::Uuid::new_v4().simple()
        );
        let client =
            TestClient::register_with(&app, "site1", AuthKind::SecretBasic, alg, vec![redirect])
                .await;
        let (request, code) = client.alice_code(&Browser::new()).await;
        let tokens = client.tokens(&code, &request.pkce.verifier).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        client.verify_id_token(id_token, &request.nonce).await;

        let kid = decode_header(id_token).unwrap().kid.expect("a kid");
        assert!(site1.find(&kid).is_some(), "{alg:?}: site1 publishes {kid}");
        assert!(site2.find(&kid).is_none(), "{alg:?}: site2 publishes {kid}");
        let mut validation = Validation::new(alg.jwt());
        validation.validate_aud = false;
        validation.validate_exp = false;
        for jwk in &site2.keys {
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            assert!(
                decode::<serde_json::Value>(id_token, &key, &validation).is_err(),
                "{alg:?}: site2's key {:?} verifies site1's ID token",
                jwk.common.key_id
            );
        }
    }
}

async fn a_store_that_logs_in_elsewhere_has_no_provider_and_no_accounts(backend: Backend) {
    // site3's shoppers log in at another provider (never contacted here).
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site3", "https://login.site3.example", None)
    })
    .await;
    let browser = Browser::new();
    for path in [
        "/.well-known/openid-configuration",
        "/jwks.json",
        "/authorize",
        "/login",
        "/userinfo",
        "/end-session",
        "/account",
        "/account/login",
        "/account/register",
    ] {
        let status = browser.get(&app.store_url("site3", path)).await.status();
        assert_eq!(status, 404, "GET {path} at site3");
        let status = browser.get(&app.store_url("site1", path)).await.status();
        assert_ne!(status, 404, "GET {path} at site1, our own provider's store");
    }
    for path in [
        "/.well-known/openid-configuration",
        "/account/login",
        "/account/register",
    ] {
        let status = browser.get(&app.store_url("site1", path)).await.status();
        assert_eq!(status, 200, "GET {path} at site1");
    }
    for path in ["/token", "/account/login", "/account/register"] {
        let status = back_channel()
            .post(app.store_url("site3", path))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "POST {path} at site3");
    }
    // The shop itself works, and offers no login that would lead nowhere.
    let catalog = browser.page(&app.store_url("site3", "/")).await;
    assert!(!catalog.contains("/account"), "{catalog}");
    browser.fill_basket(&app, "site3").await;
}

crate::on_both_backends!(
    alice_cannot_sign_in_at_site2,
    an_id_token_of_site1_does_not_verify_with_site2s_keys,
    a_store_that_logs_in_elsewhere_has_no_provider_and_no_accounts,
    a_site2_basket_cannot_be_bound_at_site1,
    a_code_of_site1_is_refused_at_site2s_token_endpoint,
    an_access_token_of_site1_is_refused_at_site2s_userinfo,
);
