//! A store's OpenID provider seen from its clients: registered test clients, authorization
//! requests good and bad, the token and userinfo calls, and the keys a private_key_jwt
//! client signs with.

use std::sync::Arc;

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use shared_checkout::domain::StoreId;
use shared_checkout::keys::SigningAlg;
use shared_checkout::provider::clients::{ClientAuth, NewClient};
use shared_checkout::web::LocalhostResolver;
use tokio::sync::oneshot;

use super::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp};
use super::browser::{Browser, Redirects, absolute, header, location, query_param};
use super::html::{csrf_token, hidden_input};

impl TestApp {
    /// The issuer of `store`'s provider.
    pub fn issuer(&self, store: &str) -> String {
        self.store_url(store, "")
    }

    /// How many access tokens the provider holds (each on the row of the code it came
    /// from), usable or not.
    pub async fn stored_access_tokens(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM authorization_codes WHERE access_token_hash IS NOT NULL",
        )
        .fetch_one(&self.state.db.pool)
        .await
        .unwrap()
    }
}

/// How a test client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    SecretBasic,
    SecretPost,
    PrivateKeyJwt,
}

enum Credentials {
    Secret(String),
    Jwt(Arc<ClientKey>),
}

/// A PKCE pair (RFC 7636): a random verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

impl Pkce {
    pub fn new() -> Self {
        Self::from_verifier(random_token())
    }

    pub fn from_verifier(verifier: String) -> Self {
        use base64::Engine;
        use sha2::Digest;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// 256 random bits, base64url: fit for secrets, verifiers, state and nonce.
pub fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An OAuth client registered at one store, as a relying party would be.
pub struct TestClient {
    pub issuer: String,
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    pub auth: AuthKind,
    credentials: Credentials,
    http: reqwest::Client,
}

impl TestClient {
    /// A client with one redirect URI whose ID tokens are ES256.
    pub async fn register(app: &TestApp, store: &str, auth: AuthKind) -> Self {
        let host = &uuid::Uuid::new_v4().simple().to_string()[..12];
        let redirect = format!("https://rp-{host}.example/callback");
        Self::register_with(app, store, auth, SigningAlg::Es256, vec![redirect]).await
    }

    pub async fn register_with(
        app: &TestApp,
        store: &str,
        auth: AuthKind,
        id_token_alg: SigningAlg,
        redirect_uris: Vec<String>,
    ) -> Self {
        let id = format!(
            "client-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let credentials = match auth {
            AuthKind::SecretBasic | AuthKind::SecretPost => Credentials::Secret(random_token()),
            AuthKind::PrivateKeyJwt => Credentials::Jwt(Arc::new(ClientKey::generate().await)),
        };
        let client = Self {
            issuer: app.issuer(store),
            client_id: id,
            redirect_uris,
            auth,
            credentials,
            http: back_channel(),
        };
        client.register_at(app, store, id_token_alg).await;
        client
    }

    /// Registers this same client (id, redirect URIs, credentials) at another store too.
    pub async fn register_at(&self, app: &TestApp, store: &str, id_token_alg: SigningAlg) {
        self.register_as(app, store, id_token_alg, false).await;
    }

    /// Registers this client again at `store`, now allowed to use only pushed
    /// authorization requests (RFC 9126 §6).
    pub async fn require_pushed_requests(&self, app: &TestApp, store: &str) {
        self.register_as(app, store, SigningAlg::Es256, true).await;
    }

    async fn register_as(
        &self,
        app: &TestApp,
        store: &str,
        id_token_alg: SigningAlg,
        require_pushed_authorization_requests: bool,
    ) {
        let auth = match (&self.credentials, self.auth) {
            (Credentials::Secret(s), AuthKind::SecretPost) => {
                ClientAuth::SecretPost(s.as_str().into())
            }
            (Credentials::Secret(s), _) => ClientAuth::SecretBasic(s.as_str().into()),
            (Credentials::Jwt(key), _) => ClientAuth::PrivateKeyJwt {
                jwks_uri: key.server.url.clone(),
            },
        };
        let new = NewClient {
            client_id: self.client_id.clone(),
            redirect_uris: self.redirect_uris.clone(),
            auth,
            id_token_alg,
            backchannel_logout_uri: None,
            post_logout_redirect_uris: Vec::new(),
            require_pushed_authorization_requests,
        };
        let store_id = StoreId::parse(store).expect("store id");
        shared_checkout::provider::clients::register(&app.state.db, &store_id, &new)
            .await
            .expect("client registration");
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uris[0]
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A complete, valid authorization request for `openid email profile address`.
    pub fn authorization(&self) -> Authorization {
        let pkce = Pkce::new();
        let state = random_token();
        let nonce = random_token();
        let params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("redirect_uri", self.redirect_uri().to_owned()),
            ("scope", "openid email profile address phone".to_owned()),
            ("state", state.clone()),
            ("nonce", nonce.clone()),
            ("code_challenge", pkce.challenge.clone()),
            ("code_challenge_method", "S256".to_owned()),
        ];
        Authorization {
            endpoint: self.endpoint("/authorize"),
            params: params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            state,
            nonce,
            pkce,
        }
    }

    /// The authorization response `response` carries back to this client. Asserts it is a
    /// redirect to one of the client's redirect URIs that names the store's issuer (RFC 9207).
    #[track_caller]
    pub fn callback(&self, response: &Response) -> Callback {
        let status = response.status();
        assert!(
            status == StatusCode::SEE_OTHER || status == StatusCode::FOUND,
            "expected a redirect to the client, got {status}"
        );
        let target = location(response);
        let url = url::Url::parse(&target).expect("absolute redirect to the client");
        let base = format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.path()
        );
        assert!(
            self.redirect_uris.contains(&base),
            "redirect to {target} is not to a registered redirect URI"
        );
        let callback = Callback::parse(&target);
        assert_eq!(
            callback.iss.as_deref(),
            Some(self.issuer.as_str()),
            "RFC 9207 iss in {target}"
        );
        callback
    }

    /// Authorize → log in with `email`/`password` → the code (asserting success and state).
    pub async fn code_for(
        &self,
        browser: &Browser,
        request: &Authorization,
        email: &str,
        password: &str,
    ) -> String {
        let response = browser
            .authorize_and_log_in(&request.url(), email, password)
            .await;
        let callback = self.callback(&response);
        assert_eq!(callback.error, None, "authorization refused: {callback:?}");
        assert_eq!(
            callback.state.as_deref(),
            Some(request.state.as_str()),
            "state passed through"
        );
        callback.code.expect("code in the authorization response")
    }

    /// The token request for `code` as the spec wants it, sent to this client's store.
    pub async fn redeem(&self, code: &str, verifier: &str) -> Response {
        let endpoint = self.endpoint("/token");
        self.token_request(
            &endpoint,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri()),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// Redeems `code` and returns the token response, asserting it succeeded.
    pub async fn tokens(&self, code: &str, verifier: &str) -> serde_json::Value {
        let response = self.redeem(code, verifier).await;
        let status = response.status();
        let body = response.text().await.expect("token response body");
        assert_eq!(status, 200, "token response: {body}");
        serde_json::from_str(&body).expect("token response is JSON")
    }

    /// POSTs `form` to `endpoint` with this client's authentication added.
    pub async fn token_request(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let mut pairs: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        pairs.extend(self.auth_params(endpoint));
        let body = serde_urlencoded::to_string(&pairs).expect("form encoding");
        self.post_raw(
            endpoint,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    /// POSTs `body` as given, with this client's Basic header when it uses one (the
    /// other methods put their credentials in the body, so add `auth_params` yourself).
    pub async fn post_raw(
        &self,
        endpoint: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self.http.post(endpoint).body(body);
        if let Some(content_type) = content_type {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        if let (AuthKind::SecretBasic, Credentials::Secret(secret)) = (self.auth, &self.credentials)
        {
            request = request.basic_auth(&self.client_id, Some(secret));
        }
        request.send().await.expect("POST to the token endpoint")
    }

    /// The body parameters that authenticate this client (none for client_secret_basic).
    pub fn auth_params(&self, endpoint: &str) -> Vec<(String, String)> {
        match (&self.credentials, self.auth) {
            (Credentials::Secret(secret), AuthKind::SecretPost) => vec![
                ("client_id".to_owned(), self.client_id.clone()),
                ("client_secret".to_owned(), secret.clone()),
            ],
            (Credentials::Secret(_), _) => Vec::new(),
            (Credentials::Jwt(key), _) => vec![
                ("client_id".to_owned(), self.client_id.clone()),
                (
                    "client_assertion_type".to_owned(),
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ),
                (
                    "client_assertion".to_owned(),
                    key.assertion(&self.client_id, endpoint),
                ),
            ],
        }
    }

    /// A fresh client assertion for `audience` (private_key_jwt clients only).
    pub fn assertion(&self, audience: &str) -> String {
        match &self.credentials {
            Credentials::Jwt(key) => key.assertion(&self.client_id, audience),
            Credentials::Secret(_) => panic!("not a private_key_jwt client"),
        }
    }

    pub fn secret(&self) -> &str {
        match &self.credentials {
            Credentials::Secret(secret) => secret,
            Credentials::Jwt(_) => panic!("not a client_secret client"),
        }
    }

    /// GET `/userinfo` at this client's store with a bearer token.
    pub async fn userinfo(&self, access_token: &str) -> Response {
        self.http
            .get(self.endpoint("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("GET /userinfo")
    }

    /// POST `/userinfo` with the bearer token in the `Authorization` header (RFC 6750 §2.1).
    pub async fn userinfo_by_post(&self, access_token: &str) -> Response {
        self.http
            .post(self.endpoint("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("POST /userinfo")
    }

    /// POST `/userinfo` with the token as `access_token` in a form body (RFC 6750 §2.2).
    pub async fn userinfo_by_form(&self, access_token: &str) -> Response {
        self.http
            .post(self.endpoint("/userinfo"))
            .form(&[("access_token", access_token)])
            .send()
            .await
            .expect("POST /userinfo")
    }

    /// Alice's whole code flow for `request` in `browser` (logging her in if the store
    /// asks): the code, the tokens and the ID token's verified claims.
    pub async fn alice_flow(&self, browser: &Browser, request: &Authorization) -> Flow {
        let code = self
            .code_for(browser, request, ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        self.finish_flow(request, &code).await
    }

    /// Redeems `code` (issued for `request`) and verifies the ID token, with the request's
    /// nonce when it sent one and without one otherwise.
    pub async fn finish_flow(&self, request: &Authorization, code: &str) -> Flow {
        let tokens = self.tokens(code, &request.pkce.verifier).await;
        let id_token = tokens["id_token"].as_str().expect("an ID token");
        let claims = if request.params.iter().any(|(name, _)| name == "nonce") {
            self.verify_id_token(id_token, &request.nonce).await
        } else {
            let claims = self.verified_id_token_claims(id_token).await;
            assert!(claims.get("nonce").is_none(), "no nonce was sent: {claims}");
            claims
        };
        Flow { tokens, claims }
    }

    /// Verifies `id_token` with the store's published JWKS, as a relying party must
    /// (OIDC Core §3.1.3.7): signature by `kid`, `iss`, `aud`, `exp`, `nonce`.
    pub async fn verify_id_token(&self, id_token: &str, nonce: &str) -> serde_json::Value {
        let claims = self.verified_id_token_claims(id_token).await;
        assert_eq!(claims["nonce"], nonce, "nonce in {claims}");
        claims
    }

    /// The claims of `id_token` once its signature (by `kid`, from the published JWKS),
    /// `iss`, `aud` and `exp` verify.
    pub async fn verified_id_token_claims(&self, id_token: &str) -> serde_json::Value {
        let header = jsonwebtoken::decode_header(id_token).expect("ID token header");
        let kid = header.kid.expect("ID token names its kid");
        let jwks: jsonwebtoken::jwk::JwkSet = self
            .http
            .get(self.endpoint("/jwks.json"))
            .send()
            .await
            .expect("GET /jwks.json")
            .json()
            .await
            .expect("JWKS is a JWK set");
        let jwk = jwks.find(&kid).expect("ID token kid is published");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("usable JWK");
        let mut validation = jsonwebtoken::Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation)
            .expect("ID token verifies against the JWKS")
            .claims
    }
}

/// What a completed authorization code flow gave the client.
pub struct Flow {
    /// The token response.
    pub tokens: serde_json::Value,
    /// The ID token's claims, verified.
    pub claims: serde_json::Value,
}

impl Flow {
    pub fn access_token(&self) -> &str {
        self.tokens["access_token"]
            .as_str()
            .expect("an access token")
    }

    pub fn id_token(&self) -> &str {
        self.tokens["id_token"].as_str().expect("an ID token")
    }
}

/// A plain HTTP client, as a relying party's back channel.
pub fn back_channel() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(LocalhostResolver))
        .build()
        .expect("HTTP client")
}

/// An authorization request under construction; `set`, `remove` and `add` make bad ones.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub endpoint: String,
    pub params: Vec<(String, String)>,
    pub state: String,
    pub nonce: String,
    pub pkce: Pkce,
}

impl Authorization {
    /// Replaces (or adds) a parameter.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn remove(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    /// Adds a parameter even if it is there already (a duplicate).
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn query(&self) -> String {
        serde_urlencoded::to_string(&self.params).expect("query encoding")
    }

    pub fn url(&self) -> String {
        format!("{}?{}", self.endpoint, self.query())
    }
}

/// The parameters of an authorization response.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

impl Callback {
    pub fn parse(url: &str) -> Self {
        Self {
            code: query_param(url, "code"),
            state: query_param(url, "state"),
            iss: query_param(url, "iss"),
            error: query_param(url, "error"),
        }
    }
}

impl Browser {
    /// Sends the browser to `url` (an authorization request), logs in on the store's
    /// login page if it shows one, and returns the response that leaves the store host.
    pub async fn authorize_and_log_in(&self, url: &str, email: &str, password: &str) -> Response {
        let response = self.follow_on_host(url).await;
        if response.status().is_redirection() {
            return response;
        }
        assert_eq!(response.status(), 200, "expected the store's login page");
        let page_url = response.url().to_string();
        let html = response.text().await.expect("login page");
        self.provider_login(&page_url, &html, email, password).await
    }

    /// POSTs the authorization request as a form (OIDC Core §3.1.2.1), logs in on the
    /// store's login page if it shows one, and returns the response that leaves the store.
    pub async fn authorize_by_post_and_log_in(
        &self,
        request: &Authorization,
        email: &str,
        password: &str,
    ) -> Response {
        let response = self
            .client
            .post(&request.endpoint)
            .form(&request.params)
            .send()
            .await
            .expect("POST /authorize");
        let (url, response) = self
            .follow_from(&request.endpoint, response, Redirects::OnHost)
            .await;
        if response.status().is_redirection() {
            return response;
        }
        assert_eq!(response.status(), 200, "expected the store's login page");
        let html = response.text().await.expect("login page");
        self.provider_login(&url, &html, email, password).await
    }

    /// Submits the provider's login form found in `html` (served at `page_url`).
    pub async fn provider_login(
        &self,
        page_url: &str,
        html: &str,
        email: &str,
        password: &str,
    ) -> Response {
        let request = hidden_input(html, "request").expect("login form names its request");
        let token = csrf_token(html);
        let url = absolute(page_url, "/login");
        let response = self
            .post_form(
                &url,
                &[
                    ("request", &request),
                    ("email", email),
                    ("password", password),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        self.follow_from(&url, response, Redirects::OnHost).await.1
    }
}

/// The `error` of an OAuth JSON error response (RFC 6749 §5.2), with its status.
pub async fn oauth_error(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body = response.text().await.expect("error body");
    let json: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|_| panic!("{status}: not an OAuth JSON error body: {body}"));
    let error = json["error"]
        .as_str()
        .unwrap_or_else(|| panic!("{status}: no error field in {body}"))
        .to_owned();
    (status, error)
}

/// An ES256 key of a test client, and the little server that publishes its JWKS.
pub struct ClientKey {
    kid: String,
    encoding: jsonwebtoken::EncodingKey,
    pub server: JwksServer,
}

impl ClientKey {
    pub async fn generate() -> Self {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        use base64::Engine;
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("EC key");
        let pkcs8 = pair.to_pkcs8v1().expect("PKCS#8");
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at(32);
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let kid = format!("test-{}", uuid::Uuid::new_v4().simple());
        let jwks = serde_json::json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y),
            "kid": kid, "use": "sig", "alg": "ES256",
        }]});
        Self {
            kid,
            encoding: jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
            server: JwksServer::start(jwks).await,
        }
    }

    /// A client assertion (RFC 7523 §3) with a fresh `jti`.
    pub fn assertion(&self, client_id: &str, audience: &str) -> String {
        let now = shared_checkout::db::now();
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + 60,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding).expect("signing an assertion")
    }
}

/// Serves `/jwks.json` on 127.0.0.1 until dropped.
pub struct JwksServer {
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
}

impl JwksServer {
    pub async fn start(jwks: serde_json::Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the JWKS server");
        let port = listener.local_addr().expect("JWKS server address").port();
        let router = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let jwks = jwks.clone();
                async move { axum::Json(jwks) }
            }),
        );
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            url: format!("http://127.0.0.1:{port}/jwks.json"),
            shutdown: Some(tx),
        }
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl TestClient {
    /// A code for alice at this client's store, logging her in on `browser` if needed.
    pub async fn alice_code(&self, browser: &Browser) -> (Authorization, String) {
        let request = self.authorization();
        let code = self
            .code_for(browser, &request, ALICE_EMAIL, ALICE_PASSWORD)
            .await;
        (request, code)
    }

    /// An access token of alice's, from a login in a fresh browser and its code redeemed.
    pub async fn alice_access_token(&self) -> String {
        let (request, code) = self.alice_code(&Browser::new()).await;
        let tokens = self.tokens(&code, &request.pkce.verifier).await;
        tokens["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// The response to the authorization request in `browser`, after same-host hops;
    /// for requests refused before any login page.
    pub async fn authorize(&self, browser: &Browser, request: &Authorization) -> Response {
        browser.follow_on_host(&request.url()).await
    }
}

/// Asserts `response` is a readable refusal: a 4xx whose body is an OAuth JSON error or an
/// HTML page, and not a redirect.
#[track_caller]
pub fn assert_readable_refusal(status: StatusCode, headers: &HeaderMap, body: &str, case: &str) {
    if let Some(problem) = refusal_problem(status, headers, body) {
        panic!("{case}: {problem}");
    }
}

/// What keeps a response from being a readable refusal, if anything.
pub fn refusal_problem(status: StatusCode, headers: &HeaderMap, body: &str) -> Option<String> {
    if !status.is_client_error() {
        return Some(format!("expected a 4xx, got {status}: {body}"));
    }
    if headers.get(LOCATION).is_some() {
        return Some(format!("{status}: a refusal must not redirect"));
    }
    let content_type = header(headers, "content-type").unwrap_or_default();
    if content_type.starts_with("application/json") {
        let json: serde_json::Value = match serde_json::from_str(body) {
            Ok(json) => json,
            Err(_) => return Some(format!("{status}: bad JSON {body}")),
        };
        if !json["error"].is_string() {
            return Some(format!(
                "{status}: OAuth error body without `error`: {body}"
            ));
        }
    } else if !(content_type.starts_with("text/html") && body.contains("<h1")) {
        return Some(format!(
            "{status}: neither an OAuth error nor a readable page ({content_type:?}): {body:?}"
        ));
    }
    None
}
