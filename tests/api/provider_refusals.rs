//! Every refusal of the provider: who is refused, whether the refusal is shown or sent
//! back to the client, and that no code or token comes out of it.

use reqwest::StatusCode;

use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, header, location, query_pairs};
use crate::common::database::Backend;
use crate::common::html::hidden_input;
use crate::common::oauth::{
    AuthKind, Authorization, ClientKey, Pkce, TestClient, assert_readable_refusal, back_channel,
    oauth_error,
};

/// Asserts the response is an error page on the store host: no redirect at all.
async fn assert_error_page(response: reqwest::Response, case: &str) {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
    assert!(
        headers.get("location").is_none(),
        "{case}: never redirected"
    );
    assert_readable_refusal(status, &headers, &body, case);
}

async fn an_unknown_client_gets_an_error_page_and_no_redirect(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let site2_only = TestClient::register(&app, "site2", AuthKind::SecretBasic).await;
    let site2_request = site2_only.authorization();
    let cases = [
        (
            "unknown client id",
            client.authorization().set("client_id", "no-such-client"),
        ),
        (
            "a client of site2 at site1",
            Authorization {
                endpoint: client.endpoint("/authorize"),
                ..site2_request
            },
        ),
        ("no client id", client.authorization().remove("client_id")),
    ];
    for (case, request) in cases {
        let response = Browser::new().get(&request.url()).await;
        assert_error_page(response, case).await;
    }
}

async fn an_unregistered_redirect_uri_is_shown_never_redirected(backend: Backend) {
    let app = spawn_app(backend).await;
    let registered = "https://rp.example/callback";
    let client = TestClient::register_with(
        &app,
        "site1",
        AuthKind::SecretBasic,
        SigningAlg::Es256,
        vec![registered.to_owned()],
    )
    .await;
    for (case, uri) in [
        ("another host", "https://attacker.example/callback"),
        ("a longer path", "https://rp.example/callback/more"),
        ("a trailing slash", "https://rp.example/callback/"),
        ("an added query", "https://rp.example/callback?next=x"),
        ("a fragment", "https://rp.example/callback#x"),
        ("http instead of https", "http://rp.example/callback"),
        ("a different case", "https://RP.example/callback"),
        ("a port", "https://rp.example:8443/callback"),
        ("a subdomain", "https://evil.rp.example/callback"),
        ("a relative URI", "/callback"),
    ] {
        let request = client.authorization().set("redirect_uri", uri);
        let response = Browser::new().get(&request.url()).await;
        assert_error_page(response, case).await;
    }
}

async fn an_authorization_without_s256_pkce_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let base = client.authorization();
    let cases = [
        (
            "no challenge",
            base.clone()
                .remove("code_challenge")
                .remove("code_challenge_method"),
        ),
        (
            "plain",
            base.clone()
                .set("code_challenge", &base.pkce.verifier)
                .set("code_challenge_method", "plain"),
        ),
        (
            "no method (means plain)",
            base.clone().remove("code_challenge_method"),
        ),
        (
            "an unknown method",
            base.clone().set("code_challenge_method", "S512"),
        ),
        (
            "a short challenge",
            base.clone().set("code_challenge", "abc"),
        ),
    ];
    for (case, request) in cases {
        let response = client.authorize(&Browser::new(), &request).await;
        let callback = client.callback(&response);
        assert_eq!(
            callback.error.as_deref(),
            Some("invalid_request"),
            "{case}: {callback:?}"
        );
        assert_eq!(callback.code, None, "{case}");
        assert_eq!(
            callback.state.as_deref(),
            Some(request.state.as_str()),
            "{case}: state"
        );
    }
    // The same refusal for a shopper already logged in: nothing skips the checks.
    let browser = Browser::new();
    client.alice_code(&browser).await;
    let request = base
        .remove("code_challenge")
        .remove("code_challenge_method");
    let callback = client.callback(&client.authorize(&browser, &request).await);
    assert_eq!(callback.error.as_deref(), Some("invalid_request"));
    assert_eq!(callback.code, None);
}

async fn only_the_code_flow_with_openid_scope_is_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    for (case, request) in [
        (
            "implicit",
            client.authorization().set("response_type", "token"),
        ),
        (
            "hybrid",
            client.authorization().set("response_type", "code id_token"),
        ),
        (
            "id_token",
            client.authorization().set("response_type", "id_token"),
        ),
        (
            "no response_type",
            client.authorization().remove("response_type"),
        ),
        (
            "no openid scope",
            client.authorization().set("scope", "email"),
        ),
    ] {
        let response = client.authorize(&Browser::new(), &request).await;
        let location = location(&response);
        assert!(!location.contains('#'), "{case}: no fragment response");
        let callback = client.callback(&response);
        assert!(callback.error.is_some(), "{case}: {location}");
        assert_eq!(callback.code, None, "{case}");
    }
}

async fn request_objects_are_refused_with_their_own_error_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    for (parameter, value, expected) in [
        (
            "request",
            "eyJhbGciOiJub25lIn0.e30.",
            "request_not_supported",
        ),
        (
            "request_uri",
            "https://rp.example/request.jwt",
            "request_uri_not_supported",
        ),
    ] {
        let request = client.authorization().add(parameter, value);
        let response = client.authorize(&Browser::new(), &request).await;
        let callback = client.callback(&response);
        assert_eq!(callback.error.as_deref(), Some(expected), "{parameter}");
        assert_eq!(callback.code, None, "{parameter}");
        assert_eq!(callback.iss, Some(app.issuer("site1")), "{parameter}");
    }
}

async fn a_wrong_or_missing_verifier_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    for (case, verifier) in [
        ("another verifier", Some(Pkce::new().verifier)),
        ("the challenge as verifier", None),
        ("no verifier", Some(String::new())),
    ] {
        let (request, code) = client.alice_code(&browser).await;
        let verifier = verifier.unwrap_or_else(|| request.pkce.challenge.clone());
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri()),
        ];
        if !verifier.is_empty() {
            form.push(("code_verifier", verifier.as_str()));
        }
        let response = client
            .token_request(&client.endpoint("/token"), &form)
            .await;
        let (status, error) = oauth_error(response).await;
        assert_eq!(status, 400, "{case}");
        assert!(
            error == "invalid_grant" || (case == "no verifier" && error == "invalid_request"),
            "{case}: {error}"
        );
        let again = client.redeem(&code, &request.pkce.verifier).await;
        assert_eq!(
            oauth_error(again).await.1,
            "invalid_grant",
            "{case}: used up"
        );
    }
    assert_eq!(
        app.stored_access_tokens().await,
        0,
        "no refused code keeps a token"
    );
}

async fn a_reused_code_fails_and_revokes_the_token_issued_from_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(client.userinfo(access_token).await.status(), 200);

    let (status, error) = oauth_error(client.redeem(&code, &request.pkce.verifier).await).await;
    assert_eq!((status.as_u16(), error.as_str()), (400, "invalid_grant"));

    let response = client.userinfo(access_token).await;
    assert_eq!(
        response.status(),
        401,
        "RFC 6749 §4.1.2: the replay revokes the first access token"
    );
    let challenge = header(response.headers(), "www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "RFC 6750 §3 challenge: {challenge:?}"
    );
}

async fn a_code_redeemed_by_another_client_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    for auth in [
        AuthKind::SecretBasic,
        AuthKind::SecretPost,
        AuthKind::PrivateKeyJwt,
    ] {
        let thief = TestClient::register_with(
            &app,
            "site1",
            auth,
            SigningAlg::Es256,
            owner.redirect_uris.clone(),
        )
        .await;
        let (request, code) = owner.alice_code(&browser).await;
        let (status, error) = oauth_error(thief.redeem(&code, &request.pkce.verifier).await).await;
        assert_eq!(
            (status.as_u16(), error.as_str()),
            (400, "invalid_grant"),
            "{auth:?} thief"
        );
    }
}

async fn a_code_redeemed_with_another_redirect_uri_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register_with(
        &app,
        "site1",
        AuthKind::SecretBasic,
        SigningAlg::Es256,
        vec![
            "https://rp.example/one".to_owned(),
            "https://rp.example/two".to_owned(),
        ],
    )
    .await;
    let browser = Browser::new();
    for (case, redirect_uri) in [
        ("another registered URI", Some("https://rp.example/two")),
        ("no redirect_uri", None),
    ] {
        let (request, code) = client.alice_code(&browser).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", request.pkce.verifier.as_str()),
        ];
        if let Some(uri) = redirect_uri {
            form.push(("redirect_uri", uri));
        }
        let (status, error) = oauth_error(
            client
                .token_request(&client.endpoint("/token"), &form)
                .await,
        )
        .await;
        assert_eq!(status, 400, "{case}");
        assert!(
            error == "invalid_grant" || (redirect_uri.is_none() && error == "invalid_request"),
            "{case}: {error}"
        );
    }
}

async fn prompt_none_without_a_session_returns_login_required(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization().set("prompt", "none");
    let response = Browser::new().get(&request.url()).await;
    let callback = client.callback(&response);
    assert_eq!(callback.error.as_deref(), Some("login_required"));
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    assert_eq!(callback.code, None);

    // Control: with a session, prompt=none gets a code without a page.
    let browser = Browser::new();
    client.alice_code(&browser).await;
    let response = browser.follow_on_host(&request.url()).await;
    assert!(client.callback(&response).code.is_some());
}

async fn a_basket_of_another_customer_is_access_denied(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let bob = Browser::new();
    bob.register(&app, "site1", "bob@example.com", "bob's long password")
        .await;
    let bobs_basket = bob.fill_basket(&app, "site1").await;

    // Alice logs in on the login page with bob's basket in the request.
    let browser = Browser::new();
    let request = client.authorization().set("basket_id", &bobs_basket);
    let response = browser
        .authorize_and_log_in(&request.url(), ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let callback = client.callback(&response);
    assert_eq!(
        callback.error.as_deref(),
        Some("access_denied"),
        "{callback:?}"
    );
    assert_eq!(callback.code, None);
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));

    // Alice already logged in: refused the same way, without a page.
    let request = client.authorization().set("basket_id", &bobs_basket);
    let response = browser.follow_on_host(&request.url()).await;
    let callback = client.callback(&response);
    assert_eq!(
        callback.error.as_deref(),
        Some("access_denied"),
        "{callback:?}"
    );
    assert_eq!(callback.code, None);

    // Bob himself may bind it.
    let request = client.authorization().set("basket_id", &bobs_basket);
    let response = bob.follow_on_host(&request.url()).await;
    assert!(
        client.callback(&response).code.is_some(),
        "the owner binds his basket"
    );
}

async fn a_basket_that_is_missing_or_not_open_is_refused(backend: Backend) {
    use shared_checkout::domain::{BasketId, BasketStatus, StoreId};
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let site1 = StoreId::parse("site1").unwrap();
    let mut closed = Vec::new();
    for status in [BasketStatus::Frozen, BasketStatus::Ordered] {
        let basket = Browser::new().fill_basket(&app, "site1").await;
        let id = BasketId::parse(&basket).unwrap();
        let moved = shared_checkout::db::baskets::transition(
            &app.state.db.pool,
            &site1,
            id,
            BasketStatus::Open,
            status,
        )
        .await
        .unwrap();
        assert!(moved);
        closed.push((status.as_str(), basket));
    }
    let mut cases = vec![
        ("unknown id", uuid::Uuid::new_v4().to_string()),
        ("not an id", "not-a-basket".to_owned()),
    ];
    cases.extend(closed);
    for (case, basket) in cases {
        let request = client.authorization().set("basket_id", &basket);
        let response = Browser::new()
            .authorize_and_log_in(&request.url(), ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        let callback = client.callback(&response);
        assert!(callback.error.is_some(), "{case}: {callback:?}");
        assert_eq!(callback.code, None, "{case}");
    }
}

async fn the_login_form_without_its_csrf_token_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let response = browser.follow_on_host(&client.authorization().url()).await;
    assert_eq!(response.status(), 200);
    let login_url = app.store_url("site1", "/login");
    let html = response.text().await.unwrap();
    let request_id = hidden_input(&html, "request").expect("request field");
    for (case, token) in [("missing", None), ("wrong", Some("forged-token"))] {
        let mut form = vec![
            ("request", request_id.as_str()),
            ("email", ALICE_EMAIL),
            ("password", ALICE_PASSWORD),
        ];
        if let Some(token) = token {
            form.push(("authenticity_token", token));
        }
        let response = browser.post_form(&login_url, &form).await;
        let status = response.status();
        assert!(
            status == 403 || status == 400,
            "{case} CSRF token: {status}"
        );
        assert!(
            response.headers().get("location").is_none(),
            "{case}: no redirect"
        );
    }
    // Not logged in by the refused posts: a new request still shows the form.
    let response = browser.follow_on_host(&client.authorization().url()).await;
    assert_eq!(response.status(), 200, "still logged out");
}

async fn a_wrong_password_shows_an_error_and_no_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    for (case, email, password) in [
        ("wrong password", ALICE_EMAIL, "not her password"),
        ("unknown email", "nobody@example.com", ALICE_PASSWORD),
        ("empty password", ALICE_EMAIL, ""),
    ] {
        let response = browser
            .authorize_and_log_in(&client.authorization().url(), email, password)
            .await;
        let status = response.status();
        assert!(
            !status.is_redirection(),
            "{case}: no redirect, got {status} to {:?}",
            response.headers().get("location")
        );
        assert!(
            status == 200 || status.is_client_error(),
            "{case}: {status}"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("aria-invalid=\"true\""),
            "{case}: the error is shown at the field"
        );
        assert!(
            html.contains("name=\"password\"") && html.contains("name=\"request\""),
            "{case}: the form again"
        );
    }
}

async fn too_many_wrong_passwords_are_throttled(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let response = browser
            .authorize_and_log_in(&client.authorization().url(), ALICE_EMAIL, "wrong guess")
            .await;
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.contains(&429),
        "per-account rate limit: {statuses:?}"
    );
    // Even the right password is refused while throttled.
    let response = browser
        .authorize_and_log_in(&client.authorization().url(), ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert!(!response.status().is_redirection(), "{}", response.status());
}

async fn authorization_responses_carry_their_stores_issuer(backend: Backend) {
    let app = spawn_app(backend).await;
    let at_site1 = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let at_site2 = TestClient::register(&app, "site2", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    // Success at site1 (`callback` asserts iss).
    let (_, code) = at_site1.alice_code(&browser).await;
    assert!(!code.is_empty());
    // Errors at both stores.
    for client in [&at_site1, &at_site2] {
        for (case, request) in [
            ("prompt=none", client.authorization().set("prompt", "none")),
            ("no PKCE", client.authorization().remove("code_challenge")),
        ] {
            let response = Browser::new().get(&request.url()).await;
            let target = location(&response);
            let callback = client.callback(&response);
            assert!(callback.error.is_some(), "{case}: {target}");
            assert_eq!(
                query_pairs(&target)
                    .iter()
                    .filter(|(k, _)| k == "iss")
                    .count(),
                1,
                "{case}: one iss in {target}"
            );
        }
    }
    assert_ne!(at_site1.issuer, at_site2.issuer);
}

async fn bad_client_credentials_are_invalid_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let basic = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let post = TestClient::register(&app, "site1", AuthKind::SecretPost).await;
    let browser = Browser::new();
    let endpoint = basic.endpoint("/token");
    let (request, code) = basic.alice_code(&browser).await;
    let grant = |code: &str, verifier: &str, uri: &str| {
        vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.to_owned()),
            ("redirect_uri".to_owned(), uri.to_owned()),
            ("code_verifier".to_owned(), verifier.to_owned()),
        ]
    };
    let form = grant(&code, &request.pkce.verifier, basic.redirect_uri());
    let http = back_channel();
    let cases = [
        (
            "wrong basic secret",
            http.post(&endpoint)
                .basic_auth(&basic.client_id, Some("x".repeat(43)))
                .form(&form),
        ),
        ("no credentials", http.post(&endpoint).form(&form)),
        (
            "wrong post secret",
            http.post(&endpoint).form(
                &[
                    form.clone(),
                    vec![
                        ("client_id".to_owned(), post.client_id.clone()),
                        ("client_secret".to_owned(), "y".repeat(43)),
                    ],
                ]
                .concat(),
            ),
        ),
        (
            "basic client's secret sent in the body",
            http.post(&endpoint).form(
                &[
                    form.clone(),
                    vec![
                        ("client_id".to_owned(), basic.client_id.clone()),
                        ("client_secret".to_owned(), basic.secret().to_owned()),
                    ],
                ]
                .concat(),
            ),
        ),
    ];
    for (case, request) in cases {
        let response = request.send().await.unwrap();
        let status = response.status();
        let (_, error) = oauth_error(response).await;
        assert!(
            error == "invalid_client" && (status == 401 || status == 400),
            "{case}: {status} {error}"
        );
    }
    // The code was not burnt by the failed attempts of a client that never authenticated.
    basic.tokens(&code, &request.pkce.verifier).await;
}

async fn a_client_assertion_is_single_use_and_may_name_the_issuer(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::PrivateKeyJwt).await;
    let browser = Browser::new();
    let endpoint = client.endpoint("/token");
    let send = |code: String, verifier: String, assertion: String| {
        let client = &client;
        let endpoint = endpoint.clone();
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", client.redirect_uri()),
                ("code_verifier", verifier.as_str()),
                ("client_id", client.client_id.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ];
            client
                .post_raw(
                    &endpoint,
                    Some("application/x-www-form-urlencoded"),
                    serde_urlencoded::to_string(form).unwrap().into_bytes(),
                )
                .await
        }
    };
    // The issuer as audience is accepted (OIDC Core §9 allows it; RFC 7523 prefers the endpoint).
    let (request, code) = client.alice_code(&browser).await;
    let assertion = client.assertion(&client.issuer);
    let response = send(code, request.pkce.verifier.clone(), assertion.clone()).await;
    assert_eq!(response.status(), 200, "issuer as aud");

    // The same assertion again (same jti) is refused.
    let (request, code) = client.alice_code(&browser).await;
    let response = send(code.clone(), request.pkce.verifier.clone(), assertion).await;
    let (status, error) = oauth_error(response).await;
    assert_eq!((status.as_u16(), error.as_str()), (401, "invalid_client"));

    // An assertion for another audience is refused.
    let wrong = client.assertion(&app.store_url("site2", "/token"));
    let response = send(code.clone(), request.pkce.verifier.clone(), wrong).await;
    let (_, error) = oauth_error(response).await;
    assert_eq!(error, "invalid_client", "site2's endpoint as aud");

    // An assertion signed by another key is refused.
    let stranger = ClientKey::generate().await;
    let forged = stranger.assertion(&client.client_id, &endpoint);
    let response = send(code.clone(), request.pkce.verifier.clone(), forged).await;
    let (_, error) = oauth_error(response).await;
    assert_eq!(error, "invalid_client", "a key not in the client's JWKS");

    // A fresh, good assertion still redeems the code.
    let response = send(
        code,
        request.pkce.verifier.clone(),
        client.assertion(&endpoint),
    )
    .await;
    assert_eq!(response.status(), 200, "a fresh assertion");
}

crate::on_both_backends!(
    an_unknown_client_gets_an_error_page_and_no_redirect,
    an_unregistered_redirect_uri_is_shown_never_redirected,
    an_authorization_without_s256_pkce_is_refused,
    only_the_code_flow_with_openid_scope_is_served,
    request_objects_are_refused_with_their_own_error_codes,
    a_wrong_or_missing_verifier_is_invalid_grant,
    a_reused_code_fails_and_revokes_the_token_issued_from_it,
    a_code_redeemed_by_another_client_is_invalid_grant,
    a_code_redeemed_with_another_redirect_uri_is_refused,
    prompt_none_without_a_session_returns_login_required,
    a_basket_of_another_customer_is_access_denied,
    a_basket_that_is_missing_or_not_open_is_refused,
    the_login_form_without_its_csrf_token_is_refused,
    a_wrong_password_shows_an_error_and_no_code,
    too_many_wrong_passwords_are_throttled,
    authorization_responses_carry_their_stores_issuer,
    bad_client_credentials_are_invalid_client,
    a_client_assertion_is_single_use_and_may_name_the_issuer,
);
