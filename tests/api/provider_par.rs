//! Pushed Authorization Requests (RFC 9126) at a store's provider, attack first: a
//! `request_uri` is one-time, the pushing client's own, short-lived and its store's only; the
//! endpoint authenticates clients as /token does and validates as /authorize does; the
//! browser's other parameters cannot change a pushed request; a client registered to push
//! cannot be sent to /authorize without a pushed request.

use reqwest::{Response, StatusCode};
use shared_checkout::keys::SigningAlg;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, header};
use crate::common::database::Backend;
use crate::common::oauth::{
    AuthKind, Authorization, TestClient, assert_readable_refusal, back_channel, oauth_error,
};

const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// POSTs `request`'s parameters to the store's pushed authorization request endpoint with
/// the client's authentication (which brings its own `client_id` where the method sends
/// one in the body).
async fn push(client: &TestClient, request: &Authorization) -> Response {
    let in_body = client.auth != AuthKind::SecretBasic;
    let pairs: Vec<(&str, &str)> = request
        .params
        .iter()
        .filter(|(k, _)| !(in_body && k == "client_id"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.token_request(&client.endpoint("/par"), &pairs).await
}

/// Pushes `request` and returns its `request_uri`, asserting the RFC 9126 §2.2 answer.
async fn pushed(client: &TestClient, request: &Authorization) -> String {
    let response = push(client, request).await;
    let status = response.status();
    assert_eq!(
        header(response.headers(), "cache-control"),
        Some("no-store")
    );
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["expires_in"], 60, "{json}");
    let request_uri = json["request_uri"]
        .as_str()
        .expect("a request_uri")
        .to_owned();
    assert!(request_uri.starts_with(REQUEST_URI_PREFIX), "{request_uri}");
    assert!(
        request_uri.len() >= REQUEST_URI_PREFIX.len() + 43,
        "at least 256 random bits: {request_uri}"
    );
    request_uri
}

/// The front-channel request RFC 9126 §4 describes: `client_id` and `request_uri`.
fn by_reference(client: &TestClient, request_uri: &str) -> Authorization {
    let mut request = client.authorization();
    request.params = vec![
        ("client_id".to_owned(), client.client_id.clone()),
        ("request_uri".to_owned(), request_uri.to_owned()),
    ];
    request
}

/// Asserts `response` is the provider's error page: no redirect, so no code anywhere.
async fn assert_refused_page(response: Response, case: &str) {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {body}");
    assert_readable_refusal(status, &headers, &body, case);
}

async fn par_pushed_requests_log_in_with_every_client_authentication(backend: Backend) {
    let app = spawn_app(backend).await;
    for auth in [
        AuthKind::SecretBasic,
        AuthKind::SecretPost,
        AuthKind::PrivateKeyJwt,
    ] {
        let client = TestClient::register(&app, "site1", auth).await;
        let request = client.authorization();
        let request_uri = pushed(&client, &request).await;
        let browser = Browser::new();
        let front = by_reference(&client, &request_uri);
        let response = browser
            .authorize_and_log_in(&front.url(), ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        let callback = client.callback(&response);
        assert_eq!(callback.error, None, "{auth:?}: {callback:?}");
        assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
        // The pushed nonce and PKCE challenge are the ones the code is bound to.
        let code = callback.code.expect("a code");
        let flow = client.finish_flow(&request, &code).await;
        assert_eq!(
            flow.tokens["scope"], "openid profile email address phone",
            "{auth:?}"
        );
    }
}

async fn par_a_replayed_request_uri_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization();
    let front = by_reference(&client, &pushed(&client, &request).await);
    let browser = Browser::new();
    let code = client
        .code_for(
            &browser,
            &front_as(&request, &front),
            ALICE_EMAIL,
            ALICE_PASSWORD,
        )
        .await;
    client.finish_flow(&request, &code).await;
    // The same reference again, even in the browser that used it, even logged in now.
    assert_refused_page(client.authorize(&browser, &front).await, "replay").await;
    assert_refused_page(
        client.authorize(&Browser::new(), &front).await,
        "replay elsewhere",
    )
    .await;
}

/// `front` (the by-reference request) carrying `request`'s state, for `code_for`'s check.
fn front_as(request: &Authorization, front: &Authorization) -> Authorization {
    Authorization {
        state: request.state.clone(),
        ..front.clone()
    }
}

async fn par_a_request_uri_of_another_client_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let victim = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let attacker = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request_uri = pushed(&victim, &victim.authorization()).await;
    // The attacker's client_id with the victim's reference: the pushed request (and its
    // redirect URI) is not the attacker's to use.
    let stolen = by_reference(&attacker, &request_uri);
    assert_refused_page(
        attacker.authorize(&Browser::new(), &stolen).await,
        "another client's request_uri",
    )
    .await;
    // Presented wrongly, the reference is spent: it cannot be tried again.
    assert_refused_page(
        victim
            .authorize(&Browser::new(), &by_reference(&victim, &request_uri))
            .await,
        "a request_uri after a misuse",
    )
    .await;
}

async fn par_an_expired_request_uri_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request_uri = pushed(&client, &client.authorization()).await;
    // Sixty seconds later, as the database sees it.
    sqlx::query(
        "UPDATE pushed_authorization_requests SET expires_at = expires_at - 61
         WHERE client_id = $1",
    )
    .bind(&client.client_id)
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    assert_refused_page(
        client
            .authorize(&Browser::new(), &by_reference(&client, &request_uri))
            .await,
        "expired request_uri",
    )
    .await;
}

async fn par_a_request_uri_is_refused_at_another_store(backend: Backend) {
    let app = spawn_app(backend).await;
    // The same client id, registered at both stores with the same redirect URI.
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    client.register_at(&app, "site2", SigningAlg::Es256).await;
    let request_uri = pushed(&client, &client.authorization()).await;
    let at_site2 = format!(
        "{}?{}",
        app.store_url("site2", "/authorize"),
        serde_urlencoded::to_string([
            ("client_id", client.client_id.as_str()),
            ("request_uri", request_uri.as_str()),
        ])
        .unwrap()
    );
    assert_refused_page(
        Browser::new().follow_on_host(&at_site2).await,
        "site1's request_uri at site2",
    )
    .await;
    // Site2 does not touch site1's pushed requests: it still works where it was pushed.
    let response = Browser::new()
        .authorize_and_log_in(
            &by_reference(&client, &request_uri).url(),
            ALICE_EMAIL,
            ALICE_PASSWORD,
        )
        .await;
    assert!(client.callback(&response).code.is_some());
}

async fn par_bad_client_credentials_are_invalid_client(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization();
    let form = serde_urlencoded::to_string(&request.params).unwrap();
    let http = back_channel();
    for (case, credentials) in [
        (
            "wrong secret",
            Some((client.client_id.as_str(), "x".repeat(43))),
        ),
        (
            "unknown client",
            Some(("nobody", client.secret().to_owned())),
        ),
        ("no authentication", None),
    ] {
        let mut post = http
            .post(client.endpoint("/par"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.clone());
        if let Some((id, secret)) = credentials {
            post = post.basic_auth(id, Some(secret));
        }
        let response = post.send().await.unwrap();
        assert!(
            header(response.headers(), "www-authenticate").is_some_and(|v| v.starts_with("Basic")),
            "{case}: RFC 6749 §5.2 challenge"
        );
        let (status, error) = oauth_error(response).await;
        assert_eq!(
            (status.as_u16(), error.as_str()),
            (401, "invalid_client"),
            "{case}"
        );
    }
    // A wrong secret in the body (client_secret_post) is refused too.
    let post_client = TestClient::register(&app, "site1", AuthKind::SecretPost).await;
    let mut form = request.params.clone();
    form.retain(|(k, _)| k != "client_id");
    form.push(("client_id".to_owned(), post_client.client_id.clone()));
    form.push(("client_secret".to_owned(), "y".repeat(43)));
    let response = http
        .post(post_client.endpoint("/par"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let (status, error) = oauth_error(response).await;
    assert_eq!((status.as_u16(), error.as_str()), (401, "invalid_client"));
    let count: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pushed_authorization_requests")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        count.0, 0,
        "nothing was stored for an unauthenticated client"
    );
}

async fn par_requests_are_validated_as_at_authorize(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    for (case, request, expected) in [
        (
            "no PKCE",
            client
                .authorization()
                .remove("code_challenge")
                .remove("code_challenge_method"),
            "invalid_request",
        ),
        (
            "PKCE plain",
            client.authorization().set("code_challenge_method", "plain"),
            "invalid_request",
        ),
        (
            "unregistered redirect_uri",
            client
                .authorization()
                .set("redirect_uri", "https://attacker.example/cb"),
            "invalid_request",
        ),
        (
            "no openid scope",
            client.authorization().set("scope", "email"),
            "invalid_scope",
        ),
        (
            "implicit flow",
            client.authorization().set("response_type", "token"),
            "unsupported_response_type",
        ),
        (
            "a request_uri inside the pushed request",
            client
                .authorization()
                .set("request_uri", "urn:ietf:params:oauth:request_uri:abc"),
            "invalid_request",
        ),
        (
            "a request object",
            client
                .authorization()
                .set("request", "eyJhbGciOiJub25lIn0.e30."),
            "request_not_supported",
        ),
        (
            "another client's id in the body",
            client.authorization().set("client_id", "someone-else"),
            "invalid_client",
        ),
    ] {
        let response = push(&client, &request).await;
        assert_eq!(
            header(response.headers(), "cache-control"),
            Some("no-store"),
            "{case}"
        );
        let (status, error) = oauth_error(response).await;
        assert_eq!(error, expected, "{case}");
        let want = if expected == "invalid_client" {
            401
        } else {
            400
        };
        assert_eq!(status.as_u16(), want, "{case}");
    }
    let response = client
        .post_raw(
            &client.endpoint("/par"),
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    let (status, error) = oauth_error(response).await;
    assert_eq!((status.as_u16(), error.as_str()), (400, "invalid_request"));
}

async fn par_front_channel_parameters_beside_the_request_uri_are_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register_with(
        &app,
        "site1",
        AuthKind::SecretBasic,
        SigningAlg::Es256,
        vec![
            "https://rp-pushed.example/callback".to_owned(),
            "https://rp-other.example/callback".to_owned(),
        ],
    )
    .await;
    let request = client.authorization().set("scope", "openid email");
    let request_uri = pushed(&client, &request).await;
    let mut front = by_reference(&client, &request_uri);
    for (name, value) in [
        ("redirect_uri", "https://rp-other.example/callback"),
        ("scope", "openid email profile address phone"),
        ("state", "front-channel-state"),
        ("nonce", "front-channel-nonce"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("prompt", "none"),
        ("response_type", "token"),
    ] {
        front = front.set(name, value);
    }
    let response = Browser::new()
        .authorize_and_log_in(&front.url(), ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let location = crate::common::browser::location(&response);
    assert!(
        location.starts_with("https://rp-pushed.example/callback?"),
        "the pushed redirect_uri: {location}"
    );
    let callback = client.callback(&response);
    assert_eq!(
        callback.error, None,
        "prompt=none was not pushed: {callback:?}"
    );
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    // The pushed verifier and nonce fit; the scope is the pushed one.
    let flow = client
        .finish_flow(&request, &callback.code.expect("a code"))
        .await;
    assert_eq!(flow.tokens["scope"], "openid email");
    assert!(flow.claims.get("address").is_none(), "{}", flow.claims);
}

async fn par_a_client_that_must_push_is_refused_at_authorize_without_request_uri(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    client.require_pushed_requests(&app, "site1").await;
    let request = client.authorization();
    let callback = client.callback(&client.authorize(&Browser::new(), &request).await);
    assert_eq!(callback.error.as_deref(), Some("invalid_request"));
    assert_eq!(callback.code, None);
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    // By POST too.
    let response = Browser::new()
        .authorize_by_post_and_log_in(&request, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_eq!(
        client.callback(&response).error.as_deref(),
        Some("invalid_request")
    );
    // The same request, pushed, is served.
    let front = by_reference(&client, &pushed(&client, &request).await);
    let code = client
        .code_for(
            &Browser::new(),
            &front_as(&request, &front),
            ALICE_EMAIL,
            ALICE_PASSWORD,
        )
        .await;
    client.finish_flow(&request, &code).await;
}

/// Nodes keep the clients they read for a few seconds (`db::clients::CACHE_TTL`); a client
/// changed through this node is enforced from its next request, even one already served.
async fn par_a_client_required_to_push_after_a_flow_is_refused_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization();
    let code = client
        .code_for(&Browser::new(), &request, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    client.finish_flow(&request, &code).await;
    client.require_pushed_requests(&app, "site1").await;
    let request = client.authorization();
    let callback = client.callback(&client.authorize(&Browser::new(), &request).await);
    assert_eq!(callback.error.as_deref(), Some("invalid_request"));
    assert_eq!(callback.code, None);
}

async fn par_discovery_advertises_the_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let http = back_channel();
    let meta: serde_json::Value = http
        .get(app.store_url("site2", "/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        app.store_url("site2", "/par")
    );
    assert_eq!(meta["require_pushed_authorization_requests"], false);
}

crate::on_both_backends!(
    par_pushed_requests_log_in_with_every_client_authentication,
    par_a_replayed_request_uri_is_refused,
    par_a_request_uri_of_another_client_is_refused,
    par_an_expired_request_uri_is_refused,
    par_a_request_uri_is_refused_at_another_store,
    par_bad_client_credentials_are_invalid_client,
    par_requests_are_validated_as_at_authorize,
    par_front_channel_parameters_beside_the_request_uri_are_ignored,
    par_a_client_that_must_push_is_refused_at_authorize_without_request_uri,
    par_a_client_required_to_push_after_a_flow_is_refused_at_once,
    par_discovery_advertises_the_endpoint,
);
