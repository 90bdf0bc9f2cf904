//! Logout by the standards: ending the store session ends the checkout session over the
//! back channel (OpenID Connect Back-Channel Logout 1.0), and the checkout's "Log out" ends
//! both through the store's end_session_endpoint (RP-Initiated Logout 1.0).

use reqwest::StatusCode;
use shared_checkout::domain::{BasketId, StoreId};
use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, spawn_app};
use crate::common::browser::{Browser, assert_redirect, header, location, query_param};
use crate::common::checkout::{
    basket_of, log_in_through_store, orders_for_basket, page, post_with_token, start_checkout,
};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::oauth::{AuthKind, TestClient, back_channel, random_token};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Alice logs in at the checkout of a fresh site1 basket through the store; returns the
/// checkout URL and the details page she lands on.
async fn alice_at_the_checkout(app: &TestApp, browser: &Browser) -> (String, String) {
    let checkout = start_checkout(app, browser, "site1").await;
    let (_, html) = log_in_through_store(browser, &checkout, ALICE_EMAIL, ALICE_PASSWORD).await;
    assert!(html.contains(ALICE_EMAIL), "logged in at the checkout");
    (checkout, html)
}

/// The checkout sessions of a basket that carry an identity: (issuer, subject, sid).
async fn identities_at_basket(
    app: &TestApp,
    basket: BasketId,
) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "SELECT issuer, subject, sid FROM checkout_sessions
         WHERE basket_id = $1 AND issuer IS NOT NULL",
    )
    .bind(basket.to_string())
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

async fn store_sessions(app: &TestApp) -> i64 {
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM store_sessions")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    row.0
}

async fn the_store_logout_ends_the_checkout_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let (checkout, details) = alice_at_the_checkout(&app, &browser).await;
    let basket = basket_of(&checkout);
    assert_eq!(identities_at_basket(&app, basket).await.len(), 1);
    let token = csrf_token(&details);

    // Alice logs out at the store, in another tab.
    let account = browser.page(&app.store_url("site1", "/account")).await;
    let logout = browser
        .post_form(
            &app.store_url("site1", "/account/logout"),
            &[("authenticity_token", &csrf_token(&account))],
        )
        .await;
    assert_redirect(&logout);

    assert!(
        identities_at_basket(&app, basket).await.is_empty(),
        "the checkout session ended with the store session"
    );
    // The checkout no longer knows this browser as alice: no details of hers, and nothing
    // can be ordered in her name (the basket's checkout starts again from the store).
    let (status, details) = page(&browser, &format!("{checkout}/details")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{details}");
    assert!(
        !details.contains(ALICE_EMAIL) && !details.contains("1 Harbour Road"),
        "the checkout no longer shows her details"
    );
    let placed = post_with_token(
        &browser,
        &format!("{checkout}/place-order"),
        &token,
        &[("expected_total", "1".to_owned())],
    )
    .await;
    assert_eq!(placed.status(), StatusCode::FORBIDDEN);
    assert_eq!(orders_for_basket(&app, basket).await, 0);
}

async fn the_checkout_logout_ends_both_sessions_and_lands_on_the_checkout(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let (checkout, details) = alice_at_the_checkout(&app, &browser).await;
    let basket = basket_of(&checkout);
    let action = format!(
        "{}/logout",
        checkout.trim_start_matches(&app.checkout_url(""))
    );
    assert!(
        details.contains(&format!("action=\"{action}\"")),
        "a Log out form on the page"
    );
    let sessions_before = store_sessions(&app).await;
    // The form's POST ends at the store: CSP form-action must allow it (it covers redirects).
    let shown = browser.get(&format!("{checkout}/details")).await;
    let csp = header(shown.headers(), "content-security-policy").unwrap_or_default();
    assert!(
        csp.contains(&format!("form-action 'self' {}", app.issuer("site1"))),
        "{csp}"
    );

    let pressed = browser
        .post_form(
            &format!("{checkout}/logout"),
            &[("authenticity_token", &csrf_token(&details))],
        )
        .await;
    assert_redirect(&pressed);
    let end_session = location(&pressed);
    assert!(
        end_session.starts_with(&app.store_url("site1", "/end-session?")),
        "{end_session}"
    );
    for name in [
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
        "state",
    ] {
        assert!(
            query_param(&end_session, name).is_some(),
            "{name} in {end_session}"
        );
    }
    let (landed, response) = browser.follow(&end_session).await;
    assert_eq!(response.status(), 200);
    assert!(
        landed.starts_with(&app.checkout_url("/logged-out?")),
        "{landed}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("You are logged out"), "{html}");
    assert!(
        html.contains(&app.store_url("site1", "/basket")),
        "a link back to the store's basket"
    );

    assert!(identities_at_basket(&app, basket).await.is_empty());
    assert_eq!(store_sessions(&app).await, sessions_before - 1);
    let account = browser.get(&app.store_url("site1", "/account")).await;
    assert!(
        account.status().is_redirection(),
        "logged out at the store too: {}",
        account.status()
    );
}

/// A logout token as site1's provider would send it to the checkout, as JSON claims.
fn logout_claims(app: &TestApp, sid: &str, sub: &str) -> serde_json::Value {
    let now = shared_checkout::db::now();
    serde_json::json!({
        "iss": app.issuer("site1"),
        "aud": app.state.config.checkout.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": random_token(),
        "events": { EVENT: {} },
        "sid": sid,
        "sub": sub,
    })
}

async fn post_logout_token(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    let response = back_channel()
        .post(app.checkout_url("/backchannel-logout"))
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    (status, serde_json::from_str(&body).unwrap_or_default())
}

async fn bad_logout_tokens_are_refused_and_end_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let (checkout, _) = alice_at_the_checkout(&app, &browser).await;
    let basket = basket_of(&checkout);
    let sessions = identities_at_basket(&app, basket).await;
    let (_, sub, sid) = sessions.first().cloned().expect("a logged-in session");
    let sid = sid.expect("the session keeps the provider's sid");
    let store_keys = |store: &str| {
        app.state
            .keys
            .for_store(&StoreId::parse(store).unwrap())
            .unwrap()
    };
    let (keys, site2_keys) = (store_keys("site1"), store_keys("site2"));
    let sign =
        |claims: &serde_json::Value| keys.sign(SigningAlg::Es256, "logout+jwt", claims).unwrap();
    let valid = logout_claims(&app, &sid, &sub);
    let with = |name: &str, value: serde_json::Value| {
        let mut claims = valid.clone();
        claims[name] = value;
        claims
    };
    let without = |name: &str| {
        let mut claims = valid.clone();
        claims.as_object_mut().unwrap().remove(name);
        claims
    };
    let tampered = {
        let token = sign(&valid);
        let (head, _) = token.rsplit_once('.').unwrap();
        let forged = sign(&with("sub", "someone-else".into()));
        format!("{head}.{}", forged.rsplit_once('.').unwrap().1)
    };
    let now = shared_checkout::db::now();
    let cases: Vec<(&str, String)> = vec![
        ("bad signature", tampered),
        ("wrong aud", sign(&with("aud", "another-client".into()))),
        ("a nonce", sign(&with("nonce", "n-0S6_WzA2Mj".into()))),
        ("no events", sign(&without("events"))),
        (
            "another event",
            sign(&with("events", serde_json::json!({ "urn:other": {} }))),
        ),
        (
            "neither sid nor sub",
            sign(
                &without("sid")
                    .as_object()
                    .map(|o| {
                        let mut o = o.clone();
                        o.remove("sub");
                        serde_json::Value::Object(o)
                    })
                    .unwrap(),
            ),
        ),
        ("expired", sign(&with("exp", (now - 600).into()))),
        (
            "issued in the future",
            sign(&with("iat", (now + 3600).into())),
        ),
        ("no jti", sign(&without("jti"))),
        (
            "site2's key, published by site2 only",
            site2_keys
                .sign(SigningAlg::Es256, "logout+jwt", &valid)
                .unwrap(),
        ),
        (
            "RS256, not the registered ES256",
            keys.sign(SigningAlg::Rs256, "logout+jwt", &valid).unwrap(),
        ),
        (
            "unknown issuer",
            sign(&with("iss", "https://idp.example".into())),
        ),
        ("not a JWT", "not-a-jwt".to_owned()),
    ];
    for (case, token) in &cases {
        let (status, body) = post_logout_token(&app, token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
        assert_eq!(body["error"], "invalid_request", "{case}: {body}");
        assert!(body["error_description"].is_string(), "{case}: {body}");
        assert_eq!(
            identities_at_basket(&app, basket).await.len(),
            1,
            "{case} ended the session"
        );
    }
    // site2's provider (same deployment, its own keys) cannot end a site1 session.
    let site2 = with("iss", app.issuer("site2").into());
    let site2_token = site2_keys
        .sign(SigningAlg::Es256, "logout+jwt", &site2)
        .unwrap();
    let (status, _) = post_logout_token(&app, &site2_token).await;
    assert_eq!(status, StatusCode::OK, "a valid token for site2's sessions");
    assert_eq!(
        identities_at_basket(&app, basket).await.len(),
        1,
        "site2 ended a site1 session"
    );

    // The control: the same token, valid, ends it; and only once.
    let token = sign(&valid);
    let (status, body) = post_logout_token(&app, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(identities_at_basket(&app, basket).await.is_empty());
    let (status, body) = post_logout_token(&app, &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a replayed token: {body}");
}

async fn an_unregistered_post_logout_redirect_uri_is_shown_not_redirected(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let login = browser
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&login);
    let client_id = app.state.config.checkout.client_id.clone();
    for uri in [
        "https://evil.example/logged-out".to_owned(),
        format!("{}/", app.checkout_url("/logged-out")),
        app.checkout_url("/callback"),
    ] {
        let mut url = url::Url::parse(&app.store_url("site1", "/end-session")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &client_id)
            .append_pair("post_logout_redirect_uri", &uri)
            .append_pair("state", "s");
        let response = browser.get(url.as_str()).await;
        let status = response.status();
        assert!(
            response.headers().get("location").is_none(),
            "{uri}: redirected"
        );
        let html = response.text().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {html}");
        assert!(html.contains("has not registered"), "{uri}: {html}");
    }
    let account = browser.get(&app.store_url("site1", "/account")).await;
    assert_eq!(account.status(), 200, "still logged in at the store");
}

async fn without_a_valid_hint_the_shopper_confirms_the_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let login = browser
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&login);
    let back = app.checkout_url("/logged-out");
    let mut url = url::Url::parse(&app.store_url("site1", "/end-session")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
        .append_pair("client_id", &app.state.config.checkout.client_id)
        .append_pair("post_logout_redirect_uri", &back)
        .append_pair("state", "site1");
    let response = browser.get(url.as_str()).await;
    assert_eq!(response.status(), 200, "a confirmation page");
    let html = response.text().await.unwrap();
    assert!(html.contains("action=\"/end-session/confirm\""), "{html}");
    let account = browser.get(&app.store_url("site1", "/account")).await;
    assert_eq!(account.status(), 200, "a link alone logs nobody out");

    let mut form: Vec<(String, String)> = ["client_id", "post_logout_redirect_uri", "state"]
        .iter()
        .filter_map(|n| hidden_input(&html, n).map(|v| ((*n).to_owned(), v)))
        .collect();
    let forged = browser
        .post_form(
            &app.store_url("site1", "/end-session/confirm"),
            &form
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(
        forged.status(),
        StatusCode::FORBIDDEN,
        "without its CSRF token"
    );
    form.push(("authenticity_token".into(), csrf_token(&html)));
    let confirmed = browser
        .post_form(
            &app.store_url("site1", "/end-session/confirm"),
            &form
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_redirect(&confirmed);
    assert_eq!(location(&confirmed), format!("{back}?state=site1"));
    let account = browser.get(&app.store_url("site1", "/account")).await;
    assert!(
        account.status().is_redirection(),
        "logged out after confirming"
    );
}

async fn a_hint_for_another_customer_logs_nobody_out_unasked(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    // Bob's ID token, as an attacker who is bob would hold it.
    let bob = Browser::new();
    bob.register(&app, "site1", "bob@example.com", "bob's long password")
        .await;
    let request = client.authorization();
    let code = client
        .code_for(&bob, &request, "bob@example.com", "bob's long password")
        .await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let bobs_hint = tokens["id_token"].as_str().unwrap().to_owned();

    // Alice, logged in, follows a link carrying bob's hint.
    let alice = Browser::new();
    let login = alice
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&login);
    let mut url = url::Url::parse(&app.store_url("site1", "/end-session")).unwrap();
    url.query_pairs_mut()
        .append_pair("id_token_hint", &bobs_hint);
    let response = alice.get(url.as_str()).await;
    assert_eq!(response.status(), 200, "asked to confirm");
    let html = response.text().await.unwrap();
    assert!(html.contains("action=\"/end-session/confirm\""), "{html}");
    let account = alice.get(&app.store_url("site1", "/account")).await;
    assert_eq!(account.status(), 200, "alice is still logged in");
}

async fn discovery_advertises_logout(backend: Backend) {
    let app = spawn_app(backend).await;
    let metadata: serde_json::Value = back_channel()
        .get(app.store_url("site1", "/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["backchannel_logout_supported"], true);
    assert_eq!(metadata["backchannel_logout_session_supported"], true);
    assert_eq!(
        metadata["end_session_endpoint"],
        app.store_url("site1", "/end-session")
    );
}

async fn id_tokens_carry_the_store_sessions_sid(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let (request, code) = client.alice_code(&browser).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let claims = client
        .verify_id_token(tokens["id_token"].as_str().unwrap(), &request.nonce)
        .await;
    let sid = claims["sid"].as_str().expect("sid in the ID token");
    let (stored,): (String,) = sqlx::query_as("SELECT sid FROM store_sessions WHERE store_id = $1")
        .bind(StoreId::parse("site1").unwrap().as_str())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(sid, stored, "the sid of the session alice logged in with");
    let cookie = browser
        .cookie(&app.store_url("site1", "/"), "store_session")
        .or_else(|| browser.cookie(&app.store_url("site1", "/"), "__Host-store_session"))
        .expect("a store session cookie");
    assert_ne!(sid, cookie, "the sid is not the session token");
}

crate::on_both_backends!(
    the_store_logout_ends_the_checkout_session,
    the_checkout_logout_ends_both_sessions_and_lands_on_the_checkout,
    bad_logout_tokens_are_refused_and_end_nothing,
    an_unregistered_post_logout_redirect_uri_is_shown_not_redirected,
    without_a_valid_hint_the_shopper_confirms_the_logout,
    a_hint_for_another_customer_logs_nobody_out_unasked,
    discovery_advertises_logout,
    id_tokens_carry_the_store_sessions_sid,
);
