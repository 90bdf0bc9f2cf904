// Each test module uses a different part of the harness.
#![allow(dead_code)]

//! The test harness: every test spawns the real `Application` on a random port with its
//! own database (a temporary SQLite file, or a fresh PostgreSQL database), seeded like the
//! demo, and talks to it over HTTP with one cookie jar per simulated browser.

use std::sync::{Arc, LazyLock};

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use shared_checkout::app::{AppState, Application};
use shared_checkout::config::Settings;
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
    _dir: tempfile::TempDir,
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
    LazyLock::force(&TRACING);
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = Settings::demo(dir.path(), "127.0.0.1:0".parse().unwrap());
    if backend == Backend::Postgres {
        settings.database_url = fresh_postgres_database().await;
    }
    customise(&mut settings);
    let app = Application::build(settings)
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
        _dir: dir,
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
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            .cookie_provider(Arc::new(reqwest::cookie::Jar::default()))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(LocalhostResolver))
            .build()
            .expect("HTTP client");
        Self { client }
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

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// The `Location` of a redirect (panics with the status when there is none).
pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location header on a {} response", response.status()))
        .to_str()
        .expect("ASCII Location")
        .to_owned()
}

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
