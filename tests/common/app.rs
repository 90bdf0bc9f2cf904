//! The real application on a real port: each test spawns `Application` on 127.0.0.1 with
//! its own database (see `database`), seeded like the demo, and stops it when dropped.

use std::sync::LazyLock;

use shared_checkout::app::Application;
use shared_checkout::config::Settings;
use shared_checkout::db;
use shared_checkout::domain::{Address, Customer, Email, Password, StoreId};
use shared_checkout::state::AppState;
use tokio::sync::oneshot;

use super::database::{Backend, fresh_postgres_database};

/// The demo customer, seeded at site1 only.
pub const ALICE_EMAIL: &str = "alice@example.com";
pub const ALICE_PASSWORD: &str = "correct horse battery staple";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        shared_checkout::telemetry::init(shared_checkout::config::LogFormat::Pretty);
    }
});

pub struct TestApp {
    pub port: u16,
    pub state: AppState,
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

/// Builds, seeds and serves the app `settings` describe, its files in `dir`.
pub async fn spawn_settings(
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
    let app = Application::build(settings)
        .await
        .expect("application builds");
    shared_checkout::demo::seed(&app.state)
        .await
        .expect("demo seed");
    TestApp::serve(app, Some(dir))
}

impl TestApp {
    /// Serves a built `app` until the returned `TestApp` drops; `dir` lives as long.
    pub fn serve(app: Application, dir: Option<tempfile::TempDir>) -> TestApp {
        let port = app.port();
        let state = app.state.clone();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.serve(async {
            let _ = rx.await;
        }));
        TestApp {
            port,
            state,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    pub fn store_url(&self, store: &str, path: &str) -> String {
        format!("http://{store}.localhost:{}{path}", self.port)
    }

    pub fn checkout_url(&self, path: &str) -> String {
        format!("http://checkout.localhost:{}{path}", self.port)
    }
}

/// A port nobody listens on right now, for a server that must be told its port before it
/// starts (a provider named in the app's settings, a WebDriver).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// Makes sure alice has an account at site1 with a billing address and phone, whatever
/// the demo seed already holds.
pub async fn ensure_alice(app: &TestApp) {
    let site1 = StoreId::parse("site1").unwrap();
    let email = Email::parse(ALICE_EMAIL).unwrap();
    let existing = db::customers::find_for_login(&app.state.db, &site1, &email)
        .await
        .expect("look alice up");
    let customer = match existing {
        Some((customer, _)) => customer.id,
        None => {
            let hash = shared_checkout::accounts::hash_password(
                &app.state,
                Password::parse(ALICE_PASSWORD.to_owned()).unwrap(),
            )
            .await
            .unwrap();
            db::customers::create(&app.state.db, &site1, &email, &hash, "Alice Example")
                .await
                .unwrap()
                .expect("alice is new")
        }
    };
    let found = db::customers::find(&app.state.db.pool, &site1, customer)
        .await
        .unwrap()
        .expect("alice exists");
    if found.billing_address.is_none() || found.phone.is_none() {
        let address = Address {
            name: "Alice Example".into(),
            street: "1 Harbour Road".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
        };
        db::customers::update_profile(
            &app.state.db,
            &site1,
            customer,
            &found.name,
            Some("+49 30 1234567"),
            Some(&address),
        )
        .await
        .unwrap();
    }
}

/// Alice's profile as the store keeps it: what the checkout should pre-fill.
pub async fn alice_profile(app: &TestApp) -> Customer {
    let site1 = StoreId::parse("site1").unwrap();
    let email = Email::parse(ALICE_EMAIL).unwrap();
    db::customers::find_for_login(&app.state.db, &site1, &email)
        .await
        .unwrap()
        .expect("alice exists")
        .0
}
