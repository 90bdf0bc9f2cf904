//! Malformed protocol input (missing or repeated parameters, oversized values, bad
//! encodings, wrong content types and methods) gets a 4xx with an OAuth error body, a
//! readable page, or an error redirect to a verified redirect URI: never a 500, never a
//! code or a token.

use reqwest::Response;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, header, location};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::oauth::{
    AuthKind, Authorization, Pkce, TestClient, assert_readable_refusal, back_channel,
    refusal_problem,
};

/// A refusal of an authorization request: an error redirect to the client (with `iss`),
/// or a readable 4xx.
async fn assert_authorization_refused(client: &TestClient, response: Response, case: &str) {
    let status = response.status();
    if status.is_redirection() {
        let callback = client.callback(&response);
        assert!(callback.error.is_some(), "{case}: {callback:?}");
        assert_eq!(callback.code, None, "{case}");
    } else {
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        assert_readable_refusal(status, &headers, &body, case);
    }
}

/// `a=1&b=2` from pairs, keeping already-encoded values as they are.
fn raw_query(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn encoded(request: &Authorization) -> Vec<(&'static str, String)> {
    let names = [
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    ];
    names
        .into_iter()
        .filter_map(|name| {
            request
                .params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| {
                    (
                        name,
                        url::form_urlencoded::byte_serialize(v.as_bytes()).collect(),
                    )
                })
        })
        .collect()
}

fn replaced(pairs: &[(&'static str, String)], name: &str, raw: &str) -> String {
    let pairs: Vec<(&str, String)> = pairs
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if *k == name {
                    raw.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    raw_query(&pairs)
}

async fn malformed_authorization_requests_are_refused_readably(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let request = client.authorization();
    let good = encoded(&request);
    let plain = request.query();
    let big = "a".repeat(10 * 1024);
    let many: String = (0..200).map(|i| format!("&x{i}=1")).collect();
    let cases: Vec<(&str, String)> = vec![
        ("no parameters", String::new()),
        (
            "no redirect_uri",
            request.clone().remove("redirect_uri").query(),
        ),
        (
            "client_id twice",
            request.clone().add("client_id", "other").query(),
        ),
        (
            "client_id twice, same value",
            request.clone().add("client_id", &client.client_id).query(),
        ),
        (
            "redirect_uri twice",
            request
                .clone()
                .add("redirect_uri", "https://attacker.example/cb")
                .query(),
        ),
        (
            "state twice",
            request.clone().add("state", "second").query(),
        ),
        (
            "code_challenge twice",
            request
                .clone()
                .add("code_challenge", &Pkce::new().challenge)
                .query(),
        ),
        (
            "scope twice",
            request.clone().add("scope", "openid").query(),
        ),
        (
            "response_type twice",
            request.clone().add("response_type", "code").query(),
        ),
        ("a 10 KB state", request.clone().set("state", &big).query()),
        ("a 10 KB nonce", request.clone().set("nonce", &big).query()),
        (
            "a 10 KB client_id",
            request.clone().set("client_id", &big).query(),
        ),
        (
            "a 10 KB redirect_uri",
            request
                .clone()
                .set("redirect_uri", &format!("{}?{big}", client.redirect_uri()))
                .query(),
        ),
        ("bad UTF-8 in state", replaced(&good, "state", "%FF%FE")),
        (
            "bad UTF-8 in client_id",
            replaced(&good, "client_id", "%C3%28"),
        ),
        (
            "bad UTF-8 in redirect_uri",
            replaced(&good, "redirect_uri", "https%3A%2F%2F%E0%80%AF"),
        ),
        ("a bad escape in state", replaced(&good, "state", "%zz")),
        ("a truncated escape", format!("{plain}&state=%4")),
        ("a bad escape in a name", format!("{plain}&%FF=1")),
        ("200 extra parameters", format!("{plain}{many}")),
    ];
    for (case, query) in cases {
        let url = format!("{}?{query}", client.endpoint("/authorize"));
        let response = Browser::new().get(&url).await;
        assert_authorization_refused(&client, response, case).await;
    }

    // The same through POST, and POSTs that are not forms.
    let http = back_channel();
    let post = |content_type: &'static str, body: Vec<u8>| {
        http.post(client.endpoint("/authorize"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let json = serde_json::to_vec(&serde_json::json!({ "client_id": client.client_id })).unwrap();
    for (case, response) in [
        (
            "POST: a JSON body",
            post("application/json", json).await.unwrap(),
        ),
        (
            "POST: a form sent as text/plain",
            post("text/plain", plain.clone().into_bytes())
                .await
                .unwrap(),
        ),
        (
            "POST: bad UTF-8",
            post(
                "application/x-www-form-urlencoded",
                replaced(&good, "state", "%FF").into_bytes(),
            )
            .await
            .unwrap(),
        ),
        (
            "POST: raw bytes that are not UTF-8",
            post(
                "application/x-www-form-urlencoded",
                [plain.as_bytes(), b"&state=\xff\xfe"].concat(),
            )
            .await
            .unwrap(),
        ),
        (
            "POST: state twice",
            post(
                "application/x-www-form-urlencoded",
                format!("{plain}&state=x").into_bytes(),
            )
            .await
            .unwrap(),
        ),
    ] {
        assert_authorization_refused(&client, response, case).await;
    }

    // Control: the same request well formed, by GET and POST, reaches the login page.
    let response = Browser::new().get(&request.url()).await;
    assert_eq!(response.status(), 303, "GET control");
    assert!(location(&response).starts_with("/login"), "GET control");
    let response = post("application/x-www-form-urlencoded", plain.into_bytes())
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "POST control (OIDC Core §3.1.2.1)");
    assert!(location(&response).starts_with("/login"), "POST control");
}

/// (case, content type, body, acceptable `error` codes)
type TokenCase<'a> = (&'a str, Option<&'a str>, Vec<u8>, &'a [&'a str]);

async fn malformed_token_requests_get_an_oauth_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let endpoint = client.endpoint("/token");
    let grant = |extra: &[(&str, &str)], skip: &[&str]| -> String {
        let mut pairs: Vec<(&str, &str)> = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect_uri()),
            ("code_verifier", request.pkce.verifier.as_str()),
        ]
        .into_iter()
        .filter(|(k, _)| !skip.contains(k))
        .collect();
        pairs.extend_from_slice(extra);
        serde_urlencoded::to_string(&pairs).unwrap()
    };
    let big = "a".repeat(10 * 1024);
    let form = "application/x-www-form-urlencoded";
    let json = serde_json::json!({
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri(),
        "code_verifier": request.pkce.verifier,
    })
    .to_string();
    let cases: Vec<TokenCase> = vec![
        (
            "an empty body",
            Some(form),
            Vec::new(),
            &["invalid_request", "unsupported_grant_type"],
        ),
        (
            "no grant_type",
            Some(form),
            grant(&[], &["grant_type"]).into_bytes(),
            &["invalid_request", "unsupported_grant_type"],
        ),
        (
            "the password grant",
            Some(form),
            grant(&[("grant_type", "password")], &["grant_type"]).into_bytes(),
            &["unsupported_grant_type"],
        ),
        (
            "the refresh grant",
            Some(form),
            grant(&[("grant_type", "refresh_token")], &["grant_type"]).into_bytes(),
            &["unsupported_grant_type"],
        ),
        (
            "client credentials",
            Some(form),
            grant(&[("grant_type", "client_credentials")], &["grant_type"]).into_bytes(),
            &["unsupported_grant_type", "unauthorized_client"],
        ),
        (
            "no code",
            Some(form),
            grant(&[], &["code"]).into_bytes(),
            &["invalid_request", "invalid_grant"],
        ),
        (
            "code twice",
            Some(form),
            grant(&[("code", "other")], &[]).into_bytes(),
            &["invalid_request"],
        ),
        (
            "grant_type twice",
            Some(form),
            grant(&[("grant_type", "authorization_code")], &[]).into_bytes(),
            &["invalid_request"],
        ),
        (
            "code_verifier twice",
            Some(form),
            grant(&[("code_verifier", &Pkce::new().verifier)], &[]).into_bytes(),
            &["invalid_request"],
        ),
        (
            "a 10 KB code",
            Some(form),
            grant(&[("code", &big)], &["code"]).into_bytes(),
            &["invalid_request", "invalid_grant"],
        ),
        (
            "a 10 KB code_verifier",
            Some(form),
            grant(&[("code_verifier", &big)], &["code_verifier"]).into_bytes(),
            &["invalid_request", "invalid_grant"],
        ),
        (
            "bad UTF-8 in code",
            Some(form),
            format!("{}&code=%FF%FE", grant(&[], &["code"])).into_bytes(),
            &["invalid_request"],
        ),
        (
            "raw bytes that are not UTF-8",
            Some(form),
            [grant(&[], &["code"]).as_bytes(), b"&code=\xff"].concat(),
            &["invalid_request"],
        ),
        (
            "a bad escape",
            Some(form),
            format!("{}&code=%zz", grant(&[], &["code"])).into_bytes(),
            &["invalid_request"],
        ),
        (
            "a JSON body",
            Some("application/json"),
            json.clone().into_bytes(),
            &["invalid_request"],
        ),
        (
            "a form labelled JSON",
            Some("application/json"),
            grant(&[], &[]).into_bytes(),
            &["invalid_request"],
        ),
        (
            "no content type",
            None,
            grant(&[], &[]).into_bytes(),
            &["invalid_request"],
        ),
        (
            "text/plain",
            Some("text/plain"),
            grant(&[], &[]).into_bytes(),
            &["invalid_request"],
        ),
    ];
    for (case, content_type, body, expected) in cases {
        let response = client.post_raw(&endpoint, content_type, body).await;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert_readable_refusal(status, &headers, &text, case);
        let error: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{case}: {status}: not an OAuth error body: {text}"));
        let error = error["error"].as_str().unwrap_or_default();
        assert!(
            expected.contains(&error),
            "{case}: {status} {error}, expected one of {expected:?}"
        );
        assert_eq!(
            header(&headers, "cache-control"),
            Some("no-store"),
            "{case}: RFC 6749 §5.1"
        );
    }

    // None of the malformed requests consumed the code.
    let response = client.redeem(&code, &request.pkce.verifier).await;
    assert_eq!(
        response.status(),
        200,
        "a malformed request must not burn the code: {}",
        response.text().await.unwrap()
    );
}

/// Control characters are valid UTF-8 but not storable everywhere (PostgreSQL TEXT refuses
/// NUL): wherever they are refused, it is never with a server error.
async fn control_characters_in_state_and_nonce_never_cause_a_server_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    for (case, value) in [
        ("NUL", "a\0b"),
        ("newline", "a\r\nb"),
        ("escape", "a\u{1b}b"),
    ] {
        let request = client
            .authorization()
            .set("state", value)
            .set("nonce", value);
        let browser = Browser::new();
        let response = browser.follow_on_host(&request.url()).await;
        let status = response.status();
        assert!(status.as_u16() < 500, "{case}: authorize answered {status}");
        if status.is_redirection() {
            // Refused straight back to the client: fine.
            client.callback(&response);
            continue;
        }
        if status.is_client_error() {
            continue;
        }
        let page_url = response.url().to_string();
        let html = response.text().await.unwrap();
        let response = browser
            .provider_login(&page_url, &html, ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        let status = response.status();
        assert!(status.as_u16() < 500, "{case}: login answered {status}");
        let callback = client.callback(&response);
        if let Some(code) = callback.code {
            assert_eq!(
                callback.state.as_deref(),
                Some(value),
                "{case}: state intact"
            );
            let response = client.redeem(&code, &request.pkce.verifier).await;
            assert!(
                response.status().as_u16() < 500,
                "{case}: token answered {}",
                response.status()
            );
        }
    }
}

/// Methods an endpoint does not serve (GET on `/token`, which is POST only per RFC 6749
/// §3.2, and the like on every provider endpoint) get a readable refusal, not a bare 405.
async fn wrong_methods_on_provider_endpoints_are_refused_readably(backend: Backend) {
    use reqwest::Method;
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let query = serde_urlencoded::to_string([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", client.redirect_uri()),
        ("code_verifier", request.pkce.verifier.as_str()),
    ])
    .unwrap();
    let mut problems = Vec::new();
    for (method, path) in [
        (Method::GET, format!("/token?{query}")),
        (Method::PUT, format!("/token?{query}")),
        (Method::DELETE, "/token".to_owned()),
        (Method::PUT, "/authorize".to_owned()),
        (Method::DELETE, "/login".to_owned()),
        (Method::PUT, "/userinfo".to_owned()),
        (Method::POST, "/jwks.json".to_owned()),
        (Method::POST, "/.well-known/openid-configuration".to_owned()),
    ] {
        let case = format!("{method} {}", path.split('?').next().unwrap_or_default());
        let response = back_channel()
            .request(method, client.endpoint(&path))
            .basic_auth(&client.client_id, Some(client.secret()))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        if let Some(problem) = refusal_problem(status, &headers, &text) {
            problems.push(format!("{case}: {problem}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // A GET carrying the code did not consume it.
    client.tokens(&code, &request.pkce.verifier).await;
}

async fn an_oversized_body_is_refused_readably(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let body = format!(
        "grant_type=authorization_code&code={}",
        "a".repeat(100 * 1024)
    );
    let mut problems = Vec::new();
    for path in ["/token", "/authorize", "/login", "/userinfo"] {
        let sent = back_channel()
            .post(client.endpoint(path))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        // The server may answer 413 and close before reading the rest of the body
        // (RFC 9110 §15.5.14); the client then sees the connection end mid-request.
        let response = match sent {
            Ok(response) => response,
            Err(error) if error.is_request() => continue,
            Err(error) => panic!("100 KB to {path}: {error}"),
        };
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        if status != 413 {
            problems.push(format!("100 KB to {path}: status {status}, expected 413"));
        }
        if let Some(problem) = refusal_problem(status, &headers, &text) {
            problems.push(format!("100 KB to {path}: {problem}"));
        }
    }
    // Deterministic: announce the size and send nothing; the answer comes from the
    // Content-Length alone.
    for (path, expected_type) in [("/token", "application/json"), ("/login", "text/html")] {
        let head = announce_oversized_body(app.port, path).await;
        if !head.starts_with("HTTP/1.1 413") {
            problems.push(format!("announced 100 KB to {path}: {head}"));
        }
        if !head
            .to_ascii_lowercase()
            .contains(&format!("content-type: {expected_type}"))
        {
            problems.push(format!(
                "announced 100 KB to {path}: not {expected_type}: {head}"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Sends only the head of a POST announcing a 100 KB body; returns the response head.
async fn announce_oversized_body(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: site1.localhost:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 102400\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write head");
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    while !response.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => response.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&response).into_owned()
}

async fn userinfo_refuses_missing_and_bad_tokens_with_a_bearer_challenge(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let (request, code) = client.alice_code(&Browser::new()).await;
    let tokens = client.tokens(&code, &request.pkce.verifier).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let userinfo = client.endpoint("/userinfo");
    let http = back_channel();
    let long = "a".repeat(10 * 1024);
    let cases = [
        ("no Authorization header", http.get(&userinfo)),
        (
            "an unknown token",
            http.get(&userinfo).bearer_auth("not-a-token"),
        ),
        (
            "an empty bearer",
            http.get(&userinfo).header("authorization", "Bearer "),
        ),
        ("a 10 KB token", http.get(&userinfo).bearer_auth(&long)),
        (
            "Basic instead of Bearer",
            http.get(&userinfo)
                .basic_auth(&client.client_id, Some(&token)),
        ),
        (
            "the ID token as access token",
            http.get(&userinfo)
                .bearer_auth(tokens["id_token"].as_str().unwrap()),
        ),
        (
            "the token in the query (RFC 9700 §2.4)",
            http.get(format!("{userinfo}?access_token={token}")),
        ),
        (
            "two Authorization headers (RFC 9110 §5.3: not a list field)",
            http.get(&userinfo)
                .header("authorization", format!("Bearer {token}"))
                .header("authorization", "Bearer another-token"),
        ),
    ];
    for (case, request) in cases {
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(
            status == 401 || status == 400,
            "{case}: expected 401 (or 400), got {status}"
        );
        let challenge = header(response.headers(), "www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer"),
            "{case}: RFC 6750 §3 challenge, got {challenge:?}"
        );
    }
    assert_eq!(client.userinfo(&token).await.status(), 200, "control");
}

async fn malformed_login_requests_get_a_readable_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let login = app.store_url("site1", "/login");
    // A CSRF cookie and token from a real login page.
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let response = browser.follow_on_host(&client.authorization().url()).await;
    let html = response.text().await.unwrap();
    let token = csrf_token(&html);
    let request = hidden_input(&html, "request").unwrap();
    for (case, url) in [
        ("GET /login without a request", login.clone()),
        (
            "GET /login with an unknown request",
            format!("{login}?request={}", uuid::Uuid::new_v4()),
        ),
        (
            "GET /login with a bad request id",
            format!("{login}?request=%FF"),
        ),
        (
            "GET /login with the request twice",
            format!("{login}?request={request}&request={request}"),
        ),
    ] {
        let response = browser.get(&url).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        assert_readable_refusal(status, &headers, &body, case);
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    for (case, content_type, body) in [
        (
            "POST an unknown request",
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string([
                ("request", unknown.as_str()),
                ("email", ALICE_EMAIL),
                ("password", ALICE_PASSWORD),
                ("authenticity_token", token.as_str()),
            ])
            .unwrap()
            .into_bytes(),
        ),
        (
            "POST without a request",
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string([
                ("email", ALICE_EMAIL),
                ("password", ALICE_PASSWORD),
                ("authenticity_token", token.as_str()),
            ])
            .unwrap()
            .into_bytes(),
        ),
        (
            "POST bad UTF-8",
            "application/x-www-form-urlencoded",
            format!("request={request}&email=%FF&password=x&authenticity_token={token}")
                .into_bytes(),
        ),
        (
            "POST JSON",
            "application/json",
            serde_json::to_vec(&serde_json::json!({
                "request": request, "email": ALICE_EMAIL, "password": ALICE_PASSWORD,
            }))
            .unwrap(),
        ),
    ] {
        let response = browser
            .client
            .post(&login)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        assert_readable_refusal(status, &headers, &body, case);
    }
}

crate::on_both_backends!(
    malformed_authorization_requests_are_refused_readably,
    malformed_token_requests_get_an_oauth_error,
    wrong_methods_on_provider_endpoints_are_refused_readably,
    control_characters_in_state_and_nonce_never_cause_a_server_error,
    an_oversized_body_is_refused_readably,
    userinfo_refuses_missing_and_bad_tokens_with_a_bearer_challenge,
    malformed_login_requests_get_a_readable_page,
);
