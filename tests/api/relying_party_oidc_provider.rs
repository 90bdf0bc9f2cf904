//! The checkout logs shoppers in through a standard OpenID provider it did not write:
//! panva/oidc-provider (certified), run by `tests/oidc-provider/server.js`, as the provider
//! of a fourth store (site4), with `client_secret_basic`; and logging out there ends the
//! checkout session over the back channel. The provider signs with the one algorithm the
//! store is configured to accept, RS256, PS256 or EdDSA; any other is refused.

use std::process::Stdio;
use std::time::Duration;

use shared_checkout::checkout::session_store as session;
use shared_checkout::domain::{IdTokenAlg, StoreId};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use crate::common::app::{TestApp, free_port, spawn_app_with};
use crate::common::browser::{
    Browser, Redirects, absolute, assert_redirect, location, query_pairs, query_param,
};
use crate::common::checkout::empty_basket;
use crate::common::database::Backend;
use crate::common::html::hidden_input;
use crate::common::oauth::back_channel;
use crate::common::rogue::{
    TEST_CLIENT_SECRET, add_store, assert_refused, press_login, session_jar,
};

pub(crate) const CLIENT_ID: &str = "checkout-at-site4";

/// The running Node.js provider; killed when dropped.
pub(crate) struct OidcProvider {
    pub(crate) issuer: String,
    _child: Child,
}

/// oidc-provider signing ID tokens and logout tokens with `id_token_alg`.
pub(crate) async fn start_oidc_provider(
    app: &TestApp,
    port: u16,
    id_token_alg: IdTokenAlg,
) -> OidcProvider {
    let redirect_uri = app.checkout_url("/callback");
    let backchannel_logout_uri = app.checkout_url("/backchannel-logout");
    let post_logout_redirect_uri = app.checkout_url("/logged-out");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider");
    assert!(
        dir.join("node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run `npm ci` in tests/oidc-provider (see .ci/run)"
    );
    let issuer = format!("http://127.0.0.1:{port}");
    let discovery = format!("{issuer}/.well-known/openid-configuration");
    let probe = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("an HTTP client");
    // Node loads oidc-provider in about a second alone, far slower while the whole suite
    // runs on two cores. About one start in fifty never gets as far as listening (seen
    // with Node 20 outside the tests too: no output, no exit, nothing on the port), so a
    // start that has not answered in 40 s is killed and made again on the same port.
    let mut failures = Vec::new();
    for _ in 0..3 {
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("REDIRECT_URI", &redirect_uri)
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", TEST_CLIENT_SECRET)
            .env("BACKCHANNEL_LOGOUT_URI", &backchannel_logout_uri)
            .env("POST_LOGOUT_REDIRECT_URI", &post_logout_redirect_uri)
            .env("ID_TOKEN_ALG", id_token_alg.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (is Node.js installed?)");
        let mut last_answer = String::from("none");
        for _ in 0..400 {
            match probe.get(&discovery).send().await {
                Ok(response) if response.status().is_success() => {
                    return OidcProvider {
                        issuer,
                        _child: child,
                    };
                }
                Ok(response) => last_answer = response.status().to_string(),
                Err(error) => last_answer = error.to_string(),
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "oidc-provider exited with {status}: {}",
                    output_of(child).await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.start_kill();
        failures.push(format!(
            "no answer in 40 s (last: {last_answer}); {}",
            output_of(child).await
        ));
    }
    panic!("oidc-provider never answered discovery on port {port}: {failures:#?}");
}

/// What the provider printed: stdout (its issuer once it listens), then stderr.
async fn output_of(mut child: Child) -> String {
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut stdout).await;
    }
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr).await;
    }
    format!("stdout: {stdout}\nstderr: {stderr}")
}

async fn a_shopper_logs_in_through_oidc_provider_and_the_identity_is_attached(backend: Backend) {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site4", &issuer, Some(CLIENT_ID))
    })
    .await;
    let provider = start_oidc_provider(&app, port, IdTokenAlg::Rs256).await;

    let browser = Browser::new();
    let basket = empty_basket(&app, "site4").await;
    let callback = log_in_at_oidc_provider(&app, &provider, &browser, basket).await;

    let finished = browser.get(&callback).await;
    assert_redirect(&finished);
    assert_eq!(
        location(&finished),
        app.checkout_url(&format!("/site4/{basket}"))
    );
    let jar = session_jar(&finished).expect("a checkout session cookie");
    let session = session::load(&app.state, &jar, &StoreId::parse("site4").unwrap(), basket)
        .await
        .unwrap()
        .expect("a session");
    let identity = session.identity.expect("an identity is attached");
    assert_eq!(identity.issuer, provider.issuer);
    assert_eq!(identity.subject, "ada-0001");
    assert_eq!(identity.customer_id, None);
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(identity.name.as_deref(), Some("Ada Lovelace"));
    let address = identity.address.expect("the address claim is kept");
    assert_eq!(address.street, "12 St James Square");
    assert_eq!(address.postal_code, "SW1Y 4JH");
    assert_eq!(address.city, "London");
    assert_eq!(address.country, "GB");

    // The code was single use at oidc-provider too: replaying the callback is refused here.
    let replay = browser.get(&callback).await;
    assert_refused(replay, None, "replayed callback").await;
}

/// From "Log in with {store}" at the checkout through oidc-provider's login form; returns
/// the callback URL the provider sends the browser to (not yet visited).
async fn log_in_at_oidc_provider(
    app: &TestApp,
    provider: &OidcProvider,
    browser: &Browser,
    basket: shared_checkout::domain::BasketId,
) -> String {
    let started = press_login(app, browser, "site4", basket).await;
    assert_redirect(&started);
    log_in_from(app, provider, browser, &location(&started)).await
}

/// From the checkout's redirect to `authorize` through oidc-provider's login form.
async fn log_in_from(
    app: &TestApp,
    provider: &OidcProvider,
    browser: &Browser,
    authorize: &str,
) -> String {
    let authorize = authorize.to_owned();
    assert!(
        authorize.starts_with(&format!("{}/auth?", provider.issuer)),
        "{authorize}"
    );
    // oidc-provider advertises a pushed authorization request endpoint, so the checkout
    // pushed the request (RFC 9126) with client_secret_basic and the browser carries only
    // the reference; no basket_id went along either way, as the binding is not advertised.
    let names: Vec<String> = query_pairs(&authorize)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names, ["client_id", "request_uri"], "{authorize}");
    assert!(
        query_param(&authorize, "request_uri")
            .is_some_and(|uri| uri.starts_with("urn:ietf:params:oauth:request_uri:")),
        "{authorize}"
    );

    // At the provider: its login form, then (automatic) consent, then back to us.
    let (at, login) = browser
        .follow_from(&authorize, browser.get(&authorize).await, Redirects::OnHost)
        .await;
    assert_eq!(login.status(), 200, "the provider's login form at {at}");
    let html = login.text().await.unwrap();
    let action_at = html.find("action=\"").expect("a login form") + "action=\"".len();
    let submit = absolute(
        &at,
        &html[action_at..action_at + html[action_at..].find('"').unwrap()],
    );
    let posted = browser
        .post_form(
            &submit,
            &[("email", "ada@example.com"), ("password", "correct horse")],
        )
        .await;
    let (last, response) = browser
        .follow_from(&submit, posted, Redirects::OnHost)
        .await;
    let callback = absolute(&last, &location(&response));
    assert!(
        callback.starts_with(&app.checkout_url("/")),
        "after the login form the provider sends the shopper back to the checkout: {callback}"
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(provider.issuer.as_str()),
        "oidc-provider sends iss (RFC 9207)"
    );
    callback
}

async fn a_logout_at_oidc_provider_ends_the_checkout_session(backend: Backend) {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site4", &issuer, Some(CLIENT_ID))
    })
    .await;
    let provider = start_oidc_provider(&app, port, IdTokenAlg::Rs256).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site4").await;
    let callback = log_in_at_oidc_provider(&app, &provider, &browser, basket).await;
    let finished = browser.get(&callback).await;
    assert_redirect(&finished);
    let jar = session_jar(&finished).expect("a checkout session cookie");
    let site4 = StoreId::parse("site4").unwrap();
    let logged_in = session::load(&app.state, &jar, &site4, basket)
        .await
        .unwrap()
        .expect("a session");
    assert!(
        logged_in.identity.is_some(),
        "logged in through oidc-provider"
    );

    log_out_at_oidc_provider(&provider, &browser).await;

    let after = session::load(&app.state, &jar, &site4, basket)
        .await
        .unwrap();
    assert!(
        after.is_none_or(|s| s.identity.is_none()),
        "the checkout session ended over the back channel"
    );
}

/// The shopper logs out at oidc-provider itself (its end_session_endpoint, confirmed); it
/// then sends the checkout a logout token over the back channel.
async fn log_out_at_oidc_provider(provider: &OidcProvider, browser: &Browser) {
    let metadata: serde_json::Value = back_channel()
        .get(format!(
            "{}/.well-known/openid-configuration",
            provider.issuer
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let end_session = metadata["end_session_endpoint"]
        .as_str()
        .expect("oidc-provider advertises end_session_endpoint");
    let page = browser.get(end_session).await;
    assert_eq!(page.status(), 200, "oidc-provider's logout page");
    let html = page.text().await.unwrap();
    let xsrf = hidden_input(&html, "xsrf").expect("the logout form's xsrf");
    let action_at = html.find("action=\"").expect("a logout form") + "action=\"".len();
    let action = &html[action_at..action_at + html[action_at..].find('"').unwrap()];
    let confirm = url::Url::parse(end_session)
        .unwrap()
        .join(action)
        .unwrap()
        .to_string();
    let confirmed = browser
        .post_form(&confirm, &[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .await;
    assert!(
        confirmed.status().is_redirection(),
        "logout confirmed: {}",
        confirmed.status()
    );
}

/// The checkout with site4 accepting only `accepted` on ID and logout tokens, and
/// oidc-provider as site4's provider signing with `signs`.
async fn spawn_with_oidc_provider(
    backend: Backend,
    signs: IdTokenAlg,
    accepted: IdTokenAlg,
) -> (TestApp, OidcProvider) {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site4", &issuer, Some(CLIENT_ID));
        settings.stores.last_mut().unwrap().login.id_token_alg = Some(accepted);
    })
    .await;
    let provider = start_oidc_provider(&app, port, signs).await;
    (app, provider)
}

/// A store configured for `alg` and a provider signing with it: its ID token logs the
/// shopper in, and its logout token logs them out.
async fn a_provider_signing_with_logs_the_shopper_in_and_out(backend: Backend, alg: IdTokenAlg) {
    let (app, provider) = spawn_with_oidc_provider(backend, alg, alg).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site4").await;
    let callback = log_in_at_oidc_provider(&app, &provider, &browser, basket).await;
    let finished = browser.get(&callback).await;
    assert_redirect(&finished);
    assert_eq!(
        location(&finished),
        app.checkout_url(&format!("/site4/{basket}")),
        "{alg:?}"
    );
    let jar = session_jar(&finished).expect("a checkout session cookie");
    let site4 = StoreId::parse("site4").unwrap();
    let logged_in = session::load(&app.state, &jar, &site4, basket)
        .await
        .unwrap()
        .expect("a session");
    let identity = logged_in.identity.expect("an identity is attached");
    assert_eq!(identity.issuer, provider.issuer);
    assert_eq!(identity.subject, "ada-0001");

    log_out_at_oidc_provider(&provider, &browser).await;
    let after = session::load(&app.state, &jar, &site4, basket)
        .await
        .unwrap();
    assert!(
        after.is_none_or(|s| s.identity.is_none()),
        "{alg:?}: the logout token ended the checkout session"
    );
}

async fn a_ps256_provider_logs_the_shopper_in_and_out(backend: Backend) {
    a_provider_signing_with_logs_the_shopper_in_and_out(backend, IdTokenAlg::Ps256).await;
}

async fn an_eddsa_provider_logs_the_shopper_in_and_out(backend: Backend) {
    a_provider_signing_with_logs_the_shopper_in_and_out(backend, IdTokenAlg::EdDsa).await;
}

async fn an_id_token_signed_with_another_algorithm_than_the_configured_one_is_refused(
    backend: Backend,
) {
    let (app, provider) =
        spawn_with_oidc_provider(backend, IdTokenAlg::EdDsa, IdTokenAlg::Ps256).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site4").await;
    let callback = log_in_at_oidc_provider(&app, &provider, &browser, basket).await;
    assert_refused(
        browser.get(&callback).await,
        Some(&format!("/site4/{basket}")),
        "EdDSA when PS256 is configured",
    )
    .await;
}

/// Interop for RFC 9126: oidc-provider (PAR enabled, not required) takes the checkout's
/// pushed request, authenticated with client_secret_basic, and the login completes from the
/// reference alone (`log_in_at_oidc_provider` asserts the browser saw only `client_id` and
/// `request_uri`); the reference is single use there too.
async fn par_a_login_through_oidc_provider_is_pushed_and_succeeds(backend: Backend) {
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site4", &issuer, Some(CLIENT_ID))
    })
    .await;
    let provider = start_oidc_provider(&app, port, IdTokenAlg::Rs256).await;
    let discovery: serde_json::Value = back_channel()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        format!("{issuer}/request")
    );
    let browser = Browser::new();
    let basket = empty_basket(&app, "site4").await;
    let started = press_login(&app, &browser, "site4", basket).await;
    let authorize = location(&started);
    let callback = log_in_from(&app, &provider, &browser, &authorize).await;
    let finished = browser.get(&callback).await;
    assert_redirect(&finished);
    let jar = session_jar(&finished).expect("a checkout session cookie");
    let identity = session::load(&app.state, &jar, &StoreId::parse("site4").unwrap(), basket)
        .await
        .unwrap()
        .and_then(|s| s.identity)
        .expect("an identity is attached");
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    // The same authorize URL again: oidc-provider refuses a used request_uri.
    let again = Browser::new().follow_on_host(&authorize).await;
    assert!(
        again.status().is_client_error() || query_param(&location(&again), "error").is_some(),
        "a used request_uri is refused: {}",
        again.status()
    );
}

crate::on_both_backends!(
    par_a_login_through_oidc_provider_is_pushed_and_succeeds,
    a_shopper_logs_in_through_oidc_provider_and_the_identity_is_attached,
    a_logout_at_oidc_provider_ends_the_checkout_session,
);

/// The algorithms are the relying party's checks, the same whatever the database; each
/// Node.js provider costs seconds of the suite's two cores, so these run on SQLite only.
mod algorithms {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_ps256_provider_logs_the_shopper_in_and_out() {
        super::a_ps256_provider_logs_the_shopper_in_and_out(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_eddsa_provider_logs_the_shopper_in_and_out() {
        super::an_eddsa_provider_logs_the_shopper_in_and_out(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_id_token_signed_with_another_algorithm_than_the_configured_one_is_refused() {
        super::an_id_token_signed_with_another_algorithm_than_the_configured_one_is_refused(
            Backend::Sqlite,
        )
        .await;
    }
}
