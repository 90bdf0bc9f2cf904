//! What an operator sets up without the demo: a fresh deployment registers the checkout
//! at its own stores by itself; and `shared-checkout check`, the real binary, against a
//! running deployment (two own stores and the checkout) and a third store at a provider we
//! did not write (oidc-provider, or the rogue provider for what oidc-provider will not do
//! wrong) passes on a good setup and names each fault an operator makes, exiting non-zero.

use shared_checkout::app::Application;
use shared_checkout::config::Settings;
use shared_checkout::db;
use shared_checkout::domain::{Currency, IdTokenAlg, Money};

use crate::common::app::{TestApp, free_port, spawn_app_with};
use crate::common::browser::Browser;
use crate::common::checkout::{basket_of, log_in_through_store};
use crate::common::database::{Backend, fresh_postgres_database};
use crate::common::rogue::{
    Misbehaviour, Rogue, TEST_CLIENT_SECRET, add_store, identified_sessions,
};
use crate::relying_party_oidc_provider::{CLIENT_ID, OidcProvider, start_oidc_provider};

/// `serve` builds the application this way: a fresh database, no demo seed, no `client add`.
/// A customer who registers at a store can log in through the checkout at once.
async fn a_fresh_deployment_registers_the_checkout_at_its_stores(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::serve_defaults(dir.path(), "127.0.0.1:0".parse().unwrap());
    if backend == Backend::Postgres {
        settings.database_url = fresh_postgres_database().await;
    }
    let app = TestApp::serve(Application::build(settings).await.unwrap(), Some(dir));
    let (email, password) = ("new.customer@example.org", "a new customer's passphrase");
    Browser::new()
        .register(&app, "site2", email, password)
        .await;

    let eur = Currency::parse("EUR").unwrap();
    let mug = Money::new(1490, eur);
    db::products::insert_if_absent(&app.state.db, "MUG", "Mug", "A mug.", mug)
        .await
        .unwrap();

    let shopper = Browser::new();
    shopper.add_first_product(&app, "site2", 1).await;
    let checkout = shopper.open_checkout(&app, "site2").await;
    let (landed, _) = log_in_through_store(&shopper, &checkout, email, password).await;
    assert_eq!(
        landed,
        format!("{checkout}/details"),
        "back at the checkout, logged in"
    );
    let identified = identified_sessions(&app).await;
    assert_eq!(identified.len(), 1, "{identified:?}");
    assert_eq!(identified[0].0, basket_of(&checkout).to_string());
}

crate::on_both_backends!(a_fresh_deployment_registers_the_checkout_at_its_stores);

/// The environment key of the third store's client secret (stores are counted from 0).
const SITE4_SECRET: &str = "SHARED_CHECKOUT_STORES__2__LOGIN__CLIENT_SECRET";

/// The demo's own stores served in-process, and the settings they were built from with
/// the port they got, as an operator's configuration file would hold them.
async fn deployment() -> (TestApp, Settings) {
    let mut captured = None;
    let app = spawn_app_with(Backend::Sqlite, |settings| {
        captured = Some(settings.clone());
    })
    .await;
    let mut settings = captured.expect("the settings were customised");
    settings.listen = format!("127.0.0.1:{}", app.port).parse().unwrap();
    (app, settings)
}

/// `settings` with site4 at `issuer`, its secret left to the environment.
fn with_site4(
    settings: &Settings,
    issuer: &str,
    customise: impl FnOnce(&mut Settings),
) -> Settings {
    let mut settings = settings.clone();
    add_store(&mut settings, "site4", issuer, Some(CLIENT_ID));
    settings.stores[2].login.client_secret = None;
    customise(&mut settings);
    settings
}

/// Runs `shared-checkout --config FILE check` on `settings` written as TOML, with `env`;
/// whether it succeeded, and what it printed.
async fn check(settings: &Settings, env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared-checkout.toml");
    std::fs::write(&file, toml::to_string(settings).unwrap()).unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_shared-checkout"))
        .arg("--config")
        .arg(&file)
        .arg("check")
        .current_dir(dir.path())
        .envs(env.iter().copied())
        .output()
        .await
        .expect("check runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), printed)
}

async fn oidc_provider(app: &TestApp) -> OidcProvider {
    start_oidc_provider(app, free_port(), IdTokenAlg::Rs256).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_on_own_stores_and_oidc_provider_with_the_secret_from_the_environment() {
    let (app, settings) = deployment().await;
    let provider = oidc_provider(&app).await;
    let settings = with_site4(&settings, &provider.issuer, |_| {});

    let (passed, printed) = check(&settings, &[(SITE4_SECRET, TEST_CLIENT_SECRET)]).await;
    assert!(passed, "{printed}");
    assert!(
        printed.contains("every store's login checks passed"),
        "{printed}"
    );
    assert!(!printed.contains("FAULT"), "{printed}");
    // What to register at the external provider, and that our own stores were tried too.
    let callback = app.checkout_url("/callback");
    for expected in [
        format!("store site4: {} (external provider", provider.issuer),
        format!("redirect_uri                  {callback}"),
        "id_token_signed_response_alg  RS256".to_owned(),
        "scope                         openid email profile address phone".to_owned(),
        format!("the token endpoint accepts client {CLIENT_ID}"),
        format!(
            "jwks_uri                      {}",
            app.checkout_url("/.well-known/jwks.json")
        ),
        "the token endpoint accepts client shared-checkout".to_owned(),
    ] {
        assert!(
            printed.contains(&expected),
            "{expected:?} missing:\n{printed}"
        );
    }
    assert_eq!(
        printed
            .matches("  ok     the token endpoint accepts")
            .count(),
        3
    );

    // Without the environment key the checkout would sign a client assertion, which
    // oidc-provider does not take from a client registered with a secret.
    let (passed, printed) = check(&settings, &[]).await;
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("FAULT  client authentication:") && printed.contains("invalid_client"),
        "{printed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_fault_and_exits_non_zero() {
    let (app, settings) = deployment().await;
    let provider = oidc_provider(&app).await;
    let secret = [(SITE4_SECRET, TEST_CLIENT_SECRET)];
    let wrong_secret = [(SITE4_SECRET, "another-client-secret-0123456789abcdef")];
    let wrong_issuer = provider.issuer.replace("127.0.0.1", "localhost");
    let cases = [
        (
            "wrong client secret",
            with_site4(&settings, &provider.issuer, |_| {}),
            &wrong_secret,
            "FAULT  client authentication:",
        ),
        (
            "wrong issuer",
            with_site4(&settings, &wrong_issuer, |_| {}),
            &secret,
            "FAULT  discovery:",
        ),
        (
            "algorithm mismatch",
            with_site4(&settings, &provider.issuer, |s| {
                s.stores[2].login.id_token_alg = Some(IdTokenAlg::Es256);
            }),
            &secret,
            "FAULT  algorithm: login.id_token_alg is ES256 but the provider signs ID tokens \
             with RS256",
        ),
    ];
    for (case, settings, env, fault) in cases {
        let (passed, printed) = check(&settings, env).await;
        assert!(!passed, "{case}: check passed:\n{printed}");
        assert!(
            printed.contains(fault),
            "{case}: {fault:?} missing:\n{printed}"
        );
        assert_eq!(printed.matches("FAULT").count(), 1, "{case}:\n{printed}");
        assert!(printed.contains("1 fault(s) found"), "{case}:\n{printed}");
    }

    let rogue = Rogue::start().await;
    rogue.misbehave(Misbehaviour::NoIssParam);
    let settings = with_site4(&settings, &rogue.issuer, |_| {});
    let (passed, printed) = check(&settings, &secret).await;
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("FAULT  iss: authorization_response_iss_parameter_supported"),
        "{printed}"
    );
}
