//! Deployments other than the single demo node: several nodes on one database, and the
//! settings `serve` runs with.

use shared_checkout::app::Application;
use shared_checkout::config::Settings;

use super::app::{TestApp, spawn_app_with, spawn_settings};
use super::database::Backend;

/// One deployment behind a load balancer: every node shares the database, the keys and
/// the public URLs of the first.
pub struct Deployment {
    /// What every node is built from (the first node's database, files and URLs).
    pub settings: Settings,
}

impl Deployment {
    /// The demo deployment with its first node running.
    pub async fn start(backend: Backend) -> (Self, TestApp) {
        let mut kept = None;
        let first = spawn_app_with(backend, |settings| kept = Some(settings.clone())).await;
        let mut settings = kept.expect("the settings the first node was built from");
        for store in &mut settings.stores {
            store.base_url =
                Some(url::Url::parse(&first.store_url(store.id.as_str(), "")).unwrap());
        }
        settings.checkout.base_url = Some(url::Url::parse(&first.checkout_url("")).unwrap());
        (Self { settings }, first)
    }

    /// Another node: its own process state and port.
    pub async fn spawn_node(&self) -> TestApp {
        let mut settings = self.settings.clone();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        let app = Application::build(settings)
            .await
            .expect("another node builds");
        TestApp::serve(app, None)
    }
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
