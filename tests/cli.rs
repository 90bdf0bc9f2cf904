//! The real binary: `demo` serves, `client add` registers a client in the database the
//! running demo uses, and a standard OpenID Connect client library (`openidconnect`)
//! completes the code flow against site1 and reads alice's profile. SQLite only: the
//! demo command is the zero-set-up path.

mod common {
    pub mod html;
    pub mod metrics;
    pub mod process;
}

use std::process::Stdio;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::common::html::{csrf_token, hidden_input};
use crate::common::process::{Demo, Serve, binary, command, http};

#[tokio::test]
async fn a_client_added_while_the_demo_runs_completes_the_code_flow_with_openidconnect() {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(data.path(), &[]).await;
    let redirect = "http://127.0.0.1:9/callback";
    let secret = "a-long-random-client-secret-for-the-cli-test-0123456789";
    let added = command(data.path())
        .args(["client", "add"])
        .args([
            "--store",
            "site1",
            "--id",
            "cli-client",
            "--redirect-uri",
            redirect,
        ])
        .args(["--secret", secret])
        .args([
            "--backchannel-logout-uri",
            "http://127.0.0.1:9/backchannel-logout",
        ])
        .args(["--post-logout-redirect-uri", "http://127.0.0.1:9/bye"])
        .output()
        .await
        .expect("client add runs");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let http = http();
    let issuer = IssuerUrl::new(demo.url("site1", "")).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("cli-client".into()),
        Some(ClientSecret::new(secret.into())),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("address".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The shopper's side: the store's login page, then back to the client with a code.
    let to_login = http.get(url.as_str()).send().await.unwrap();
    assert_eq!(to_login.status(), 303);
    let login_url = demo.url("site1", to_login.headers()["location"].to_str().unwrap());
    let page = http
        .get(&login_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let logged_in = http
        .post(demo.url("site1", "/login"))
        .form(&[
            (
                "request",
                hidden_input(&page, "request")
                    .expect("the login form names its request")
                    .as_str(),
            ),
            ("authenticity_token", csrf_token(&page).as_str()),
            ("email", "alice@example.com"),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    let mut location = logged_in.headers()["location"].to_str().unwrap().to_owned();
    while !location.starts_with(redirect) {
        let next = http.get(demo.url("site1", &location)).send().await.unwrap();
        location = next.headers()["location"].to_str().unwrap().to_owned();
    }
    let back = url::Url::parse(&location).unwrap();
    let param = |name: &str| {
        back.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some(csrf.secret().as_str()));
    assert_eq!(param("iss"), Some(demo.url("site1", "")));

    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").expect("code")))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("token exchange");
    let claims = tokens
        .id_token()
        .expect("ID token")
        .claims(&client.id_token_verifier(), &nonce)
        .expect("ID token verifies");
    let profile: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(
        profile.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );
    let address = profile.address().expect("address claim");
    assert_eq!(
        address.locality.as_ref().map(|l| l.as_str()),
        Some("Berlin")
    );
    assert_eq!(address.country.as_ref().map(|c| c.as_str()), Some("DE"));

    // RP-initiated logout to the post-logout URI the command registered.
    let id_token = tokens.id_token().expect("ID token").to_string();
    let logged_out = http
        .get(demo.url("site1", "/end-session"))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", "http://127.0.0.1:9/bye"),
            ("state", "bye-state"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(logged_out.status(), 303);
    assert_eq!(
        logged_out.headers()["location"].to_str().unwrap(),
        "http://127.0.0.1:9/bye?state=bye-state"
    );

    demo.stop().await;
}

#[tokio::test]
async fn keys_and_migrate_commands_work_on_a_data_dir() {
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut command = command(data.path());
        command.args(args);
        command
    };
    let migrate = run(&["migrate"]).output().await.unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    // The demo's two stores, each with its own RS256 and ES256 key.
    let generated = run(&["keys", "generate"]).output().await.unwrap();
    let listed = String::from_utf8(generated.stdout).unwrap();
    assert_eq!(listed.matches("signing").count(), 4, "{listed}");
    let rotated = run(&["keys", "rotate"]).output().await.unwrap();
    let listed = String::from_utf8(rotated.stdout).unwrap();
    assert_eq!(listed.matches("signing").count(), 4, "{listed}");
    assert_eq!(listed.matches("published").count(), 4, "{listed}");
    // `--store` rotates one store's keys and leaves the other's signing.
    let signing_kids = |listed: &str, store: &str| -> Vec<String> {
        listed
            .lines()
            .filter_map(
                |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                    [s, kid, _, "signing"] if s == store => Some(kid.to_owned()),
                    _ => None,
                },
            )
            .collect()
    };
    let before = String::from_utf8(run(&["keys", "list"]).output().await.unwrap().stdout).unwrap();
    let rotated = run(&["keys", "rotate", "--store", "site1"])
        .output()
        .await
        .unwrap();
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&rotated.stdout).contains("site2"),
        "only site1's keys are shown"
    );
    let after = String::from_utf8(run(&["keys", "list"]).output().await.unwrap().stdout).unwrap();
    assert_eq!(signing_kids(&before, "site1").len(), 2, "{before}");
    for kid in signing_kids(&before, "site1") {
        assert!(!signing_kids(&after, "site1").contains(&kid), "{after}");
    }
    assert_eq!(
        signing_kids(&before, "site2"),
        signing_kids(&after, "site2"),
        "{after}"
    );
    let unknown = run(&["keys", "list", "--store", "site9"])
        .output()
        .await
        .unwrap();
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("site9"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    let refused = run(&[
        "client",
        "add",
        "--store",
        "site1",
        "--id",
        "x",
        "--redirect-uri",
        "http://evil.example/cb",
        "--secret",
        "s",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        !refused.status.success(),
        "a bad client registration must fail"
    );
}

/// A SQLite database elsewhere than `--data-dir` creates its own folder and leaves the data
/// directory alone.
#[tokio::test]
async fn migrate_creates_the_sqlite_files_folder_and_not_the_data_dir() {
    let root = tempfile::tempdir().unwrap();
    let unused = root.path().join("unused-data-dir");
    let database = root.path().join("elsewhere").join("checkout.db");
    let migrate = command(&unused)
        .args([
            "--database-url",
            &format!("sqlite://{}?mode=rwc", database.display()),
            "migrate",
        ])
        .output()
        .await
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(database.exists(), "the database file is created");
    assert!(!unused.exists(), "the data directory is not created");
}

/// `demo --listen` wins over a `listen` the configuration sets (here by the environment).
#[tokio::test]
async fn demo_listen_flag_wins_over_the_configuration() {
    let data = tempfile::tempdir().unwrap();
    let configured = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let configured_port = configured.local_addr().unwrap().port();
    drop(configured);
    let demo = Demo::start(
        data.path(),
        &[(
            "SHARED_CHECKOUT_LISTEN",
            &format!("127.0.0.1:{configured_port}"),
        )],
    )
    .await;
    let served = demo.url("site1", "/healthz");
    assert!(
        !served.contains(&format!(":{configured_port}/")),
        "the demo took the configured port, not --listen: {served}"
    );
    assert_eq!(http().get(&served).send().await.unwrap().status(), 200);
    demo.stop().await;
}

#[tokio::test]
async fn serve_runs_the_configured_role_with_environment_overrides() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display();
    let config = data.path().join("shared-checkout.toml");
    std::fs::write(
        &config,
        format!(
            "role = \"all\"\nlisten = \"127.0.0.1:0\"\n\
             database_url = \"sqlite://{dir}/db.sqlite?mode=rwc\"\n\
             key_dir = \"{dir}/keys\"\ncookie_secret_file = \"{dir}/cookie-secret\"\n\
             log_format = \"pretty\"\n\
             [checkout]\nhost = \"checkout.localhost\"\nclient_id = \"shared-checkout\"\n\
             [[stores]]\nid = \"shop\"\nname = \"Config Shop\"\nhost = \"shop.localhost\"\n"
        ),
    )
    .unwrap();
    let mut serve = Command::new(binary())
        .args(["--config", config.to_str().unwrap(), "serve"])
        .env_remove("DATABASE_URL")
        // The environment wins over the file: JSON logs and the store role only.
        .env("SHARED_CHECKOUT_LOG_FORMAT", "json")
        .env("SHARED_CHECKOUT_ROLE", "store")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let mut messages = Vec::new();
    let port = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("serve output") {
            let Ok(json) = serde_json::from_str::<serde_json::Value>(&line) else {
                panic!("log line is not JSON: {line}");
            };
            if let Some(port) = json["fields"]["port"].as_u64() {
                return port as u16;
            }
            messages.push(json["fields"]["message"].as_str().unwrap_or("").to_owned());
        }
        panic!("serve ended without logging its port");
    })
    .await
    .expect("serve logs its port within a minute");
    // What the checkout is registered as at the store, for the operator to read.
    let registration = messages
        .iter()
        .find(|m| m.starts_with("the checkout's registration"))
        .expect("serve logs the checkout's registration at every store");
    for expected in [
        "store shop: http://shop.localhost:",
        "registered automatically",
        "client_id                     shared-checkout",
        "/callback",
        "PKCE with S256",
    ] {
        assert!(
            registration.contains(expected),
            "{expected}: {registration}"
        );
    }
    let http = http();
    let shop = http
        .get(format!(
            "http://shop.localhost:{port}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(shop.status(), 200);
    let issuer = shop.json::<serde_json::Value>().await.unwrap()["issuer"].clone();
    assert_eq!(issuer, format!("http://shop.localhost:{port}"));
    let checkout = http
        .get(format!("http://checkout.localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        checkout.status(),
        404,
        "the store role does not serve the checkout"
    );

    // SIGTERM drains and exits cleanly.
    let pid = serve.id().expect("serve is running").to_string();
    let signalled = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(signalled.success());
    let exit = tokio::time::timeout(Duration::from_secs(20), serve.wait())
        .await
        .expect("serve stops within 20 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}

#[tokio::test]
async fn api_key_create_prints_a_key_once_that_only_its_store_accepts_until_revoked() {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(data.path(), &[]).await;
    let run = |args: &[&str]| {
        let mut command = command(data.path());
        command.args(args);
        command
    };
    let created = run(&[
        "api-key", "create", "--store", "site1", "--name", "shop-web",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).unwrap();
    let id = stdout
        .split_whitespace()
        .nth(2)
        .expect("api key <id> created")
        .to_owned();
    let key = stdout
        .lines()
        .nth(1)
        .expect("the key on its own line")
        .trim();
    assert!(key.starts_with("sc_") && key.len() >= 46, "{stdout}");
    let listed = run(&["api-key", "list", "--store", "site1"])
        .output()
        .await
        .unwrap();
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains(&id) && listed.contains("shop-web"),
        "{listed}"
    );
    assert!(!listed.contains(key), "list shows the key: {listed}");
    // The database file and its write-ahead log, where a fresh write may still be.
    let mut database = std::fs::read(data.path().join("shared-checkout.db")).unwrap();
    database.extend(std::fs::read(data.path().join("shared-checkout.db-wal")).unwrap_or_default());
    let stored = |needle: &str| {
        database
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(!stored(key), "the key itself is in the database");
    assert!(stored(&shared_checkout::secrets::sha256_hex(key)));

    let http = http();
    let status_url = |store: &str| {
        demo.url(
            "checkout",
            &format!("/api/v1/{store}/{}/place-order", uuid::Uuid::new_v4()),
        )
    };
    let call = |url: String, key: Option<String>| {
        let mut request = http.get(url);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // Authenticated: the unknown basket is the next thing to be wrong.
    assert_eq!(call(status_url("site1"), Some(key.to_owned())).await, 404);
    assert_eq!(call(status_url("site1"), None).await, 401);
    assert_eq!(call(status_url("site2"), Some(key.to_owned())).await, 401);

    let revoked = run(&["api-key", "revoke", "--store", "site1", "--id", &id])
        .output()
        .await
        .unwrap();
    assert!(revoked.status.success());
    assert_eq!(call(status_url("site1"), Some(key.to_owned())).await, 401);
    demo.stop().await;
}

/// `webhooks list` reads the configuration's webhooks (the secret from its file) and the
/// store's events; a store that is not configured, or a webhook over plain http to another
/// host, is refused by name.
#[tokio::test]
async fn webhooks_list_shows_a_stores_events_and_refuses_what_is_not_configured() {
    let data = tempfile::tempdir().unwrap();
    let secret_file = data.path().join("site1-webhook-secret");
    std::fs::write(&secret_file, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").unwrap();
    let config = data.path().join("shared-checkout.toml");
    let write_config = |url: &str| {
        std::fs::write(
            &config,
            format!(
                "[[stores]]\nid = \"site1\"\nname = \"Harbour Goods\"\nhost = \"site1.localhost\"\n\
                 [stores.webhook]\nurl = \"{url}\"\nsecret_file = {:?}\n",
                secret_file.display()
            ),
        )
        .unwrap()
    };
    let list = |store: &'static str| {
        let mut command = command(data.path());
        command.args(["--config", config.to_str().unwrap()]);
        command.args(["webhooks", "list", "--store", store]);
        async move { command.output().await.unwrap() }
    };
    write_config("https://hooks.example/site1");
    let listed = list("site1").await;
    let stdout = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "a header, no events: {stdout}");
    assert!(stdout.starts_with("id  type  created"), "{stdout}");

    let unknown = list("site9").await;
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("store site9 is not configured"), "{stderr}");

    write_config("http://hooks.example/site1");
    let plain = list("site1").await;
    assert!(!plain.status.success());
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.contains("webhook.url must be https"), "{stderr}");
}

#[tokio::test]
async fn serve_warns_loudly_when_the_configuration_turns_the_test_payment_page_on() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().display();
    for test_gateway in [false, true] {
        let config = data.path().join(format!("payments-{test_gateway}.toml"));
        std::fs::write(
            &config,
            format!(
                "role = \"all\"\nlisten = \"127.0.0.1:0\"\n\
                 database_url = \"sqlite://{dir}/db-{test_gateway}.sqlite?mode=rwc\"\n\
                 key_dir = \"{dir}/keys\"\ncookie_secret_file = \"{dir}/cookie-secret\"\n\
                 log_format = \"json\"\n\
                 [payments]\ntest_gateway = {test_gateway}\n\
                 [checkout]\nhost = \"checkout.localhost\"\nclient_id = \"shared-checkout\"\n\
                 [[stores]]\nid = \"shop\"\nname = \"Config Shop\"\nhost = \"shop.localhost\"\n"
            ),
        )
        .unwrap();
        let mut serve = Command::new(binary())
            .args(["--config", config.to_str().unwrap(), "serve"])
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("serve starts");
        let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
        let warned = tokio::time::timeout(Duration::from_secs(60), async {
            let mut warned = false;
            while let Some(line) = lines.next_line().await.expect("serve output") {
                let json: serde_json::Value = serde_json::from_str(&line).unwrap();
                let message = json["fields"]["message"].as_str().unwrap_or_default();
                warned |= json["level"] == "WARN" && message.contains("test payment gateway");
                if message == "listening" {
                    return warned;
                }
            }
            panic!("serve ended without listening");
        })
        .await
        .expect("serve listens within a minute");
        assert_eq!(warned, test_gateway, "test_gateway = {test_gateway}");
        serve.kill().await.unwrap();
    }
}

/// The demo with metrics on its own listener: `/readyz` is ready, `/metrics` parses as
/// Prometheus text and counts exactly the refused token requests sent, and on SIGTERM the
/// node answers 503 at `/readyz` while draining, then exits cleanly.
#[tokio::test]
async fn readiness_metrics_and_draining_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(
        data.path(),
        &[
            ("SHARED_CHECKOUT_OPERATIONS__METRICS_LISTEN", "127.0.0.1:0"),
            ("SHARED_CHECKOUT_OPERATIONS__DRAIN_SECS", "30"),
        ],
    )
    .await;
    let metrics_port = demo.metrics_port().expect("the demo serves /metrics");
    let http = http();
    let ready = http.get(demo.url("site1", "/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");

    const REFUSED: usize = 3;
    for _ in 0..REFUSED {
        let refused = http
            .post(demo.url("site1", "/token"))
            .form(&[("grant_type", "authorization_code"), ("code", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
    }
    let pushed = http
        .post(demo.url("site1", "/par"))
        .form(&[("response_type", "code"), ("client_id", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 401);
    let text = http
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = common::metrics::Scrape::parse(&text);
    let value = |metric: &str, labels: &[(&str, &str)]| scrape.value(metric, labels);
    let refused = REFUSED as f64;
    assert_eq!(
        value(
            "token_requests_total",
            &[("store", "site1"), ("outcome", "invalid_client")]
        ),
        Some(refused),
        "{text}"
    );
    assert_eq!(
        value(
            "http_requests_total",
            &[("site", "site1"), ("route", "/token"), ("status", "401")]
        ),
        Some(refused),
        "{text}"
    );
    assert_eq!(
        value(
            "pushed_authorization_requests_total",
            &[("store", "site1"), ("outcome", "invalid_client")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value("token_requests_total", &[("outcome", "issued")]),
        None,
        "no token was issued"
    );
    assert!(value("db_pool_max_connections", &[]).is_some_and(|max| max >= 1.0));
    // Not on the public hosts.
    let public = http
        .get(demo.url("site1", "/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404);

    let pid = demo.child.id().expect("the demo runs").to_string();
    let signalled = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(signalled.success());
    let draining = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let response = http.get(demo.url("site1", "/readyz")).send().await.unwrap();
            if response.status() == 503 {
                return response.text().await.unwrap();
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("/readyz answers 503 soon after SIGTERM");
    assert_eq!(draining, "draining");
    // Still serving while draining: the load balancer may not have noticed yet.
    let home = http.get(demo.url("site1", "/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    demo.stop().await;
}

/// A `serve` configuration with one store at site1.localhost; the database, keys and cookie
/// secret are the defaults under the data directory, which `products` uses too.
fn catalog_config(data_dir: &std::path::Path) -> std::path::PathBuf {
    let config = data_dir.join("shared-checkout.toml");
    std::fs::write(
        &config,
        "role = \"all\"\nlog_format = \"json\"\n\
         [checkout]\nhost = \"checkout.localhost\"\nclient_id = \"shared-checkout\"\n\
         [[stores]]\nid = \"site1\"\nname = \"Harbour Goods\"\nhost = \"site1.localhost\"\n",
    )
    .unwrap();
    config
}

/// `shared-checkout --config FILE products ARGS…`: whether it succeeded, stdout, stderr.
async fn products(
    data_dir: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
) -> (bool, String, String) {
    let output = command(data_dir)
        .args(["--config", config.to_str().unwrap(), "products"])
        .args(args)
        .output()
        .await
        .expect("products runs");
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The catalog without the demo: `serve` on an empty one says how to fill it, `products
/// import` fills it from a CSV file, the served store shows it, and importing again changes
/// only what the file changed.
#[tokio::test]
async fn products_imported_from_csv_show_on_a_served_store_and_reimports_report_changes() {
    let data = tempfile::tempdir().unwrap();
    let config = catalog_config(data.path());
    let empty = Serve::start(data.path(), &config, &[], &[]).await;
    assert!(
        empty.startup().contains(
            "the catalog is empty: add products with `shared-checkout products import FILE`"
        ),
        "{}",
        empty.startup()
    );
    empty.stop().await;

    let file = data.path().join("catalog.csv");
    let catalog = |mug_price: &str| {
        format!(
            "sku,name,description,price,currency,image\n\
             MUG-1,Enamel mug,\"Steel, speckled enamel\",{mug_price},EUR,/static/products/mug.jpg\n\
             TOWEL-1,Linen towel,Stonewashed linen,9.5,EUR,https://images.example/towel.jpg\n\
             SOCKS-1,Wool socks,,12,EUR,\n"
        )
    };
    std::fs::write(&file, catalog("14.90")).unwrap();
    let import_args = ["import", file.to_str().unwrap()];
    let import = || products(data.path(), &config, &import_args);
    let (ok, stdout, stderr) = import().await;
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("added  MUG-1  14.90 EUR  Enamel mug"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("3 added, 0 updated, 0 unchanged\n"),
        "{stdout}"
    );

    let serve = Serve::start(data.path(), &config, &[], &[]).await;
    assert!(!serve.startup().contains("catalog is empty"));
    let http = http();
    let page = http.get(serve.url("site1", "/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("img-src 'self' data: https://images.example;"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    for shown in [
        "Enamel mug",
        "Steel, speckled enamel",
        "€14.90",
        "Linen towel",
        "€9.50",
        "Wool socks",
        "€12.00",
        r#"src="/static/products/mug.jpg" alt="Enamel mug""#,
        r#"src="https://images.example/towel.jpg" alt="Linen towel""#,
    ] {
        assert!(html.contains(shown), "{shown} is not on the catalog page");
    }
    // Only products with an image get an <img>.
    assert_eq!(html.matches("<img").count(), 2);

    let (ok, stdout, stderr) = import().await;
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "0 added, 0 updated, 3 unchanged\n");

    std::fs::write(&file, catalog("15.90")).unwrap();
    let (ok, stdout, stderr) = import().await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        "updated  MUG-1  15.90 EUR  Enamel mug\n0 added, 1 updated, 2 unchanged\n"
    );
    let html = http
        .get(serve.url("site1", "/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("€15.90"),
        "the running store shows the new price"
    );

    let (ok, listed, stderr) = products(data.path(), &config, &["list"]).await;
    assert!(ok, "{stderr}");
    assert_eq!(
        listed,
        "MUG-1  15.90 EUR  Enamel mug\n\
         TOWEL-1  9.50 EUR  Linen towel\n\
         SOCKS-1  12.00 EUR  Wool socks\n"
    );
    serve.stop().await;
}

/// One bad entry refuses the whole JSON file: the error names the entry and the field, and
/// not even the file's good entries are written.
#[tokio::test]
async fn a_json_file_with_one_bad_entry_is_refused_whole() {
    let data = tempfile::tempdir().unwrap();
    let config = catalog_config(data.path());
    let good = data.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"sku": "MUG-1", "name": "Enamel mug", "description": "", "price": 14.90, "currency": "EUR"}]"#,
    )
    .unwrap();
    let (ok, _, stderr) = products(data.path(), &config, &["import", good.to_str().unwrap()]).await;
    assert!(ok, "{stderr}");
    let (_, before, _) = products(data.path(), &config, &["list"]).await;
    assert_eq!(before, "MUG-1  14.90 EUR  Enamel mug\n");

    let bad = data.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[
            {"sku": "MUG-1", "name": "Enamel mug", "description": "", "price": "13.90", "currency": "EUR"},
            {"sku": "TEA-1", "name": "Green tea", "description": "", "price": 1.234, "currency": "EUR"},
            {"sku": "SOCKS-1", "name": "Wool socks", "description": "", "price": "12", "currency": "EUR"}
        ]"#,
    )
    .unwrap();
    let (ok, stdout, stderr) =
        products(data.path(), &config, &["import", bad.to_str().unwrap()]).await;
    assert!(!ok, "a file with a bad entry must fail: {stdout}");
    assert!(
        stderr.contains("nothing was imported") && stderr.contains("1 bad row"),
        "{stderr}"
    );
    assert!(
        stderr.contains("entry 2: price: has more decimals than the currency's minor unit"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("entry 1") && !stderr.contains("entry 3"),
        "{stderr}"
    );
    let (_, after, _) = products(data.path(), &config, &["list"]).await;
    assert_eq!(after, before, "the catalog changed");
}

/// `serve` on a fresh database registers the checkout at its own store by itself: `check`
/// (which asks the store's token endpoint to authenticate the checkout) passes with no
/// `client add`, and the summary names what was registered.
#[tokio::test]
async fn serve_on_a_fresh_database_registers_the_checkout_and_check_passes() {
    let data = tempfile::tempdir().unwrap();
    let config = catalog_config(data.path());
    let serve = Serve::start(data.path(), &config, &[], &[]).await;
    let listen = format!("127.0.0.1:{}", serve.port());
    let checked = command(data.path())
        .args(["--config", config.to_str().unwrap(), "check"])
        // The port serve was given, so `check` derives the same public URLs.
        .env("SHARED_CHECKOUT_LISTEN", &listen)
        .output()
        .await
        .expect("check runs");
    let printed = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    for expected in [
        format!(
            "store site1: {} (this deployment's provider",
            serve.url("site1", "")
        ),
        "ok     the token endpoint accepts client shared-checkout".to_owned(),
        "every store's login checks passed".to_owned(),
    ] {
        assert!(
            printed.contains(&expected),
            "{expected:?} missing:\n{printed}"
        );
    }
    serve.stop().await;
}
