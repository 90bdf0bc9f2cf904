// Each test module uses a different part of the harness.
#![allow(dead_code)]

//! The test harness: every test spawns the real `Application` on a random port with its
//! own database (a temporary SQLite file, or a fresh PostgreSQL database), seeded like the
//! demo, and talks to it over HTTP with one cookie jar per simulated browser.

use std::sync::{Arc, LazyLock};

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use shared_checkout::app::Application;
use shared_checkout::config::Settings;
use shared_checkout::domain::StoreId;
pub use shared_checkout::keys::SigningAlg;
use shared_checkout::provider::clients::{ClientAuth, NewClient};
use shared_checkout::state::AppState;
use shared_checkout::web::LocalhostResolver;
use sqlx::Connection;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` once per backend, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Postgres).await
                }
            )+
        }
    };
}

/// The PostgreSQL server test databases are created on; `TEST_POSTGRES_URL` overrides.
static POSTGRES_ADMIN_URL: LazyLock<String> = LazyLock::new(|| {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
});

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        shared_checkout::telemetry::init(shared_checkout::config::LogFormat::Pretty);
    }
});

pub struct TestApp {
    pub port: u16,
    pub state: AppState,
    pub backend: Backend,
    /// The settings it was built from, for a second node on the same database.
    pub settings: Settings,
    _dir: Option<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The demo configuration on a random port with a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like `spawn_app`, with a chance to change the settings first.
pub async fn spawn_app_with(backend: Backend, customise: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let settings = Settings::demo(dir.path(), "127.0.0.1:0".parse().unwrap());
    spawn_settings(backend, dir, settings, customise).await
}

/// The settings `serve --config shared-checkout.example.toml` runs with (the example file
/// over `serve`'s defaults), with its files in a temporary directory and a random port.
pub async fn spawn_app_like_serve(backend: Backend) -> TestApp {
    let dir = tempfile::tempdir().expect("temporary directory");
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shared-checkout.example.toml");
    let mut settings = Settings::load(
        Settings::serve_defaults(dir.path(), "127.0.0.1:0".parse().unwrap()),
        Some(&example),
    )
    .expect("the example configuration loads");
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("serve.db").display()
    );
    settings.key_dir = dir.path().join("keys");
    settings.cookie_secret_file = dir.path().join("cookie-secret");
    spawn_settings(backend, dir, settings, |_| {}).await
}

async fn spawn_settings(
    backend: Backend,
    dir: tempfile::TempDir,
    mut settings: Settings,
    customise: impl FnOnce(&mut Settings),
) -> TestApp {
    LazyLock::force(&TRACING);
    if backend == Backend::Postgres {
        settings.database_url = fresh_postgres_database().await;
    }
    customise(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let port = app.port();
    let state = app.state.clone();
    shared_checkout::demo::seed(&state)
        .await
        .expect("demo seed");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.serve(async {
        let _ = rx.await;
    }));
    TestApp {
        port,
        state,
        backend,
        settings,
        _dir: Some(dir),
        shutdown: Some(tx),
    }
}

async fn fresh_postgres_database() -> String {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&POSTGRES_ADMIN_URL)
        .await
        .expect("PostgreSQL reachable at TEST_POSTGRES_URL (default 127.0.0.1:5432)");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(&POSTGRES_ADMIN_URL).expect("admin URL");
    url.set_path(&name);
    url.to_string()
}

impl TestApp {
    /// Another node of the same deployment: same database, keys and public URLs (as behind
    /// a load balancer), its own process state and port.
    pub async fn spawn_node(&self) -> TestApp {
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        for store in &mut settings.stores {
            store.base_url = Some(url::Url::parse(&self.issuer(store.id.as_str())).unwrap());
        }
        settings.checkout.base_url = Some(url::Url::parse(&self.checkout_url("")).unwrap());
        let app = Application::build(settings.clone())
            .await
            .expect("second node builds");
        let port = app.port();
        let state = app.state.clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.serve(async {
            let _ = rx.await;
        }));
        TestApp {
            port,
            state,
            backend: self.backend,
            settings,
            _dir: None,
            shutdown: Some(tx),
        }
    }

    pub fn store_url(&self, store: &str, path: &str) -> String {
        format!("http://{store}.localhost:{}{path}", self.port)
    }

    pub fn checkout_url(&self, path: &str) -> String {
        format!("http://checkout.localhost:{}{path}", self.port)
    }

    pub fn issuer(&self, store: &str) -> String {
        self.store_url(store, "")
    }

    /// A new browser: its own cookie jar, no automatic redirects.
    pub fn browser(&self) -> Browser {
        Browser::new()
    }
}

/// A simulated browser (or any HTTP client): cookies kept per host, redirects by hand.
#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    /// The cookies this browser holds, by host.
    pub jar: Arc<reqwest::cookie::Jar>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(LocalhostResolver))
            .build()
            .expect("HTTP client");
        Self { client, jar }
    }

    pub async fn get(&self, url: &str) -> Response {
        self.client.get(url).send().await.expect("GET")
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Response {
        self.client.post(url).form(form).send().await.expect("POST")
    }

    /// GETs `url` and follows redirects while they stay on `url`'s host; returns the
    /// final response (often a redirect to another host).
    pub async fn follow_on_host(&self, url: &str) -> Response {
        let host = host_of(url);
        let mut response = self.get(url).await;
        while response.status().is_redirection() {
            let next = absolute(url, &location(&response));
            if host_of(&next) != host {
                break;
            }
            response = self.get(&next).await;
        }
        response
    }
}

pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

pub fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// The `Location` of a redirect (panics with the status when there is none).
#[track_caller]
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location header on a {} response", response.status()))
        .to_str()
        .expect("ASCII Location")
        .to_owned()
}

#[track_caller]
pub fn assert_redirect(response: &Response) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected 303, got {}",
        response.status()
    );
}

/// The value of the form's hidden CSRF field.
pub fn csrf_token(html: &str) -> String {
    hidden_input(html, "authenticity_token").expect("page has an authenticity_token field")
}

/// The `value` of `<input … name="{name}" … value="…">` in `html`.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let value_at = tag.find("value=\"")? + "value=\"".len();
    let value_end = value_at + tag[value_at..].find('"')?;
    Some(html_unescape(&tag[value_at..value_end]))
}

fn html_unescape(value: &str) -> String {
    value
        .replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#43;", "+")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Query parameters of a URL as pairs.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    query_pairs(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

// ----- storefront actions -----------------------------------------------------------------

/// The demo customer, seeded at site1 only.
pub const ALICE_EMAIL: &str = "alice@example.com";
pub const ALICE_PASSWORD: &str = "correct horse battery staple";

impl Browser {
    /// Follows same-host redirects after `response` (the answer to a request to `url`).
    pub async fn follow_from(&self, url: &str, mut response: Response) -> Response {
        let host = host_of(url);
        let mut base = url.to_owned();
        while response.status().is_redirection() {
            let next = absolute(&base, &location(&response));
            if host_of(&next) != host {
                break;
            }
            response = self.get(&next).await;
            base = next;
        }
        response
    }

    /// The page's HTML, after checking it answered 200.
    pub async fn page(&self, url: &str) -> String {
        let response = self.get(url).await;
        assert_eq!(response.status(), 200, "GET {url}");
        response.text().await.expect("page body")
    }

    /// Registers an account at `store` through its storefront; the browser is then logged in.
    pub async fn register(&self, app: &TestApp, store: &str, email: &str, password: &str) {
        let url = app.store_url(store, "/account/register");
        let token = csrf_token(&self.page(&url).await);
        let response = self
            .post_form(
                &url,
                &[
                    ("email", email),
                    ("name", "Test Shopper"),
                    ("password", password),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        assert_redirect(&response);
        assert_eq!(location(&response), "/account", "registration at {store}");
    }

    /// Logs in through the storefront's own login form; returns the answer to the POST.
    pub async fn storefront_login(
        &self,
        app: &TestApp,
        store: &str,
        email: &str,
        password: &str,
    ) -> Response {
        let url = app.store_url(store, "/account/login");
        let token = csrf_token(&self.page(&url).await);
        self.post_form(
            &url,
            &[
                ("email", email),
                ("password", password),
                ("authenticity_token", &token),
            ],
        )
        .await
    }

    /// Adds the catalog's first product to the basket at `store` and hands the basket to
    /// the checkout in this browser (the store's Checkout button); returns the basket id.
    pub async fn fill_basket(&self, app: &TestApp, store: &str) -> String {
        let catalog = self.page(&app.store_url(store, "/")).await;
        let product = hidden_input(&catalog, "product_id").expect("catalog lists a product");
        let token = csrf_token(&catalog);
        let response = self
            .post_form(
                &app.store_url(store, "/basket/add"),
                &[
                    ("product_id", &product),
                    ("quantity", "1"),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        assert_redirect(&response);
        let checkout = self.open_checkout(app, store).await;
        checkout.rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// Presses the Checkout button of the basket page at `store` and returns where the
    /// store sends the browser (`{checkout}/{store}/{basket}?ticket=…`), without going
    /// there; `None` when the basket page has no Checkout button.
    pub async fn checkout_ticket_url(&self, app: &TestApp, store: &str) -> Option<String> {
        let html = self.page(&app.store_url(store, "/basket")).await;
        if !html.contains("action=\"/basket/checkout\"") {
            return None;
        }
        let response = self
            .post_form(
                &app.store_url(store, "/basket/checkout"),
                &[("authenticity_token", &csrf_token(&html))],
            )
            .await;
        assert_redirect(&response);
        let url = location(&response);
        assert!(
            url.starts_with(&app.checkout_url(&format!("/{store}/"))) && url.contains("?ticket="),
            "{url}"
        );
        Some(url)
    }

    /// Presses the Checkout button at `store` and follows the handoff: the checkout
    /// redeems the ticket and sends the browser to the clean checkout URL, returned here.
    pub async fn open_checkout(&self, app: &TestApp, store: &str) -> String {
        let ticket_url = self
            .checkout_ticket_url(app, store)
            .await
            .expect("the basket page has a Checkout button");
        let response = self.get(&ticket_url).await;
        assert_redirect(&response);
        let clean = absolute(&ticket_url, &location(&response));
        assert_eq!(
            clean,
            ticket_url.split('?').next().unwrap_or_default(),
            "the handoff lands on the clean checkout URL"
        );
        clean
    }

    /// Hands `basket` (made directly in the database) to the checkout in this browser as
    /// the store's Checkout button would: a ticket issued by the store's code, redeemed
    /// over HTTP. Returns the clean checkout URL.
    pub async fn hand_over(
        &self,
        app: &TestApp,
        store: &str,
        basket: shared_checkout::domain::BasketId,
    ) -> String {
        let ticket = shared_checkout::db::checkout_tickets::issue(
            &app.state.db,
            &StoreId::parse(store).unwrap(),
            basket,
            60,
        )
        .await
        .expect("issue a checkout ticket");
        let clean = app.checkout_url(&format!("/{store}/{basket}"));
        let response = self
            .get(&format!("{clean}?ticket={}", ticket.secret()))
            .await;
        assert_redirect(&response);
        assert_eq!(location(&response), format!("/{store}/{basket}"));
        clean
    }

    /// The id of the basket the Checkout button of `store` hands over (the ticket is not
    /// redeemed); `None` when there is no button.
    pub async fn checkout_basket_id(&self, app: &TestApp, store: &str) -> Option<String> {
        let url = self.checkout_ticket_url(app, store).await?;
        let path = url.split('?').next()?;
        Some(path.rsplit('/').next()?.to_owned())
    }
}

/// A cookie's value as `browser` would send it to `url`.
pub fn cookie_value(browser: &Browser, url: &str, name: &str) -> Option<String> {
    use reqwest::cookie::CookieStore;
    let url = url::Url::parse(url).ok()?;
    let header = browser.jar.cookies(&url)?;
    header.to_str().ok()?.split("; ").find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

// ----- OAuth clients of a store's provider ------------------------------------------------

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
    pub store: String,
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
            store: store.to_owned(),
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

    /// Verifies `id_token` with the store's published JWKS, as a relying party must
    /// (OIDC Core §3.1.3.7): signature by `kid`, `iss`, `aud`, `exp`, `nonce`.
    pub async fn verify_id_token(&self, id_token: &str, nonce: &str) -> serde_json::Value {
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
        let claims = jsonwebtoken::decode::<serde_json::Value>(id_token, &key, &validation)
            .expect("ID token verifies against the JWKS")
            .claims;
        assert_eq!(claims["nonce"], nonce, "nonce in {claims}");
        claims
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
        self.follow_from(&url, response).await
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

// ----- a client's own keys for private_key_jwt ----------------------------------------------

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
