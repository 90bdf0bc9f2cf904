//! Login throttling keys on the client address from the source the deployment trusts.

use axum_client_ip::ClientIpSource;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, spawn_app_with};
use crate::common::browser::{Browser, absolute, assert_redirect, header, location};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::oauth::{AuthKind, TestClient};

/// One wrong-password attempt at site1's storefront login, as `email`, through a proxy
/// that reports the client as `forwarded_for` (no header when `None`).
async fn attempt(
    app: &TestApp,
    browser: &Browser,
    email: &str,
    forwarded_for: Option<&str>,
) -> u16 {
    let url = app.store_url("site1", "/account/login");
    let token = csrf_token(&browser.get(&url).await.text().await.unwrap());
    let mut request = browser.client.post(&url).form(&[
        ("email", email),
        ("password", "not the password"),
        ("authenticity_token", token.as_str()),
    ]);
    if let Some(address) = forwarded_for {
        // A client may write anything on the left; the deployment's proxy appends the
        // address it saw, and only that rightmost entry is trusted.
        request = request.header("x-forwarded-for", format!("203.0.113.99, {address}"));
    }
    request.send().await.unwrap().status().as_u16()
}

async fn behind_a_proxy_the_rightmost_forwarded_address_is_throttled(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.client_ip_source = ClientIpSource::RightmostXForwardedFor
    })
    .await;
    let browser = Browser::new();
    // 30 attempts a minute per address, spread over accounts so the per-account quota
    // (5) is never the one that trips.
    for n in 0..30 {
        let status = attempt(
            &app,
            &browser,
            &format!("guess{}@example.com", n / 4),
            Some("198.51.100.7"),
        )
        .await;
        assert_eq!(
            status, 401,
            "attempt {n} from one address is still answered"
        );
    }
    // The quota refills one attempt every two seconds, so on a slow machine a few more may
    // pass before the address is throttled; what must hold is that it is, and soon.
    let mut throttled = false;
    for n in 0..30 {
        let status = attempt(
            &app,
            &browser,
            &format!("guess-extra{n}@example.com"),
            Some("198.51.100.7"),
        )
        .await;
        if status == 429 {
            throttled = true;
            break;
        }
        assert_eq!(
            status, 401,
            "an attempt past the quota is answered or throttled"
        );
    }
    assert!(
        throttled,
        "attempts past 30 a minute from one address are throttled"
    );
    let status = attempt(
        &app,
        &browser,
        "guess-last@example.com",
        Some("198.51.100.8"),
    )
    .await;
    assert_eq!(status, 401, "another address is not");
    let status = attempt(&app, &browser, "guess-other@example.com", None).await;
    assert_eq!(
        status, 400,
        "a request that bypassed the proxy is refused readably"
    );
}

/// Application settings for the tests below: every request names its client address in
/// the rightmost `X-Forwarded-For`, as the deployment's proxy would.
async fn behind_a_proxy(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| {
        s.client_ip_source = ClientIpSource::RightmostXForwardedFor
    })
    .await
}

/// One storefront login at site1 by `browser` from `address`; returns the status.
async fn login_from(
    app: &TestApp,
    browser: &Browser,
    address: &str,
    email: &str,
    password: &str,
) -> u16 {
    let url = app.store_url("site1", "/account/login");
    let page = browser
        .client
        .get(&url)
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the login page is shown");
    let token = csrf_token(&page.text().await.unwrap());
    browser
        .client
        .post(&url)
        .header("x-forwarded-for", address)
        .form(&[
            ("email", email),
            ("password", password),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Logs the browser out at site1's storefront (the device cookie stays).
async fn log_out(app: &TestApp, browser: &Browser, address: &str) {
    let account = browser
        .client
        .get(app.store_url("site1", "/account"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap();
    let token = csrf_token(&account.text().await.unwrap());
    let response = browser
        .client
        .post(app.store_url("site1", "/account/logout"))
        .header("x-forwarded-for", address)
        .form(&[("authenticity_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_redirect(&response);
}

/// Fifty wrong guesses at alice's password from ten addresses, five each (under the
/// per-address limit), each from a fresh browser.
async fn fifty_guesses_at_alice(app: &TestApp) {
    for n in 0..50 {
        let status = login_from(
            app,
            &Browser::new(),
            &format!("198.51.100.{}", 10 + n / 5),
            ALICE_EMAIL,
            "a wrong guess",
        )
        .await;
        assert!(
            status == 401 || status == 429,
            "guess {n} is refused, got {status}"
        );
    }
}

async fn alice_logs_in_from_her_known_browser_after_fifty_failed_guesses_from_elsewhere(
    backend: Backend,
) {
    let app = behind_a_proxy(backend).await;
    let alice = Browser::new();
    let home = "192.0.2.1";
    assert_eq!(
        login_from(&app, &alice, home, ALICE_EMAIL, ALICE_PASSWORD).await,
        303,
        "alice logs in once from her browser"
    );
    log_out(&app, &alice, home).await;
    fifty_guesses_at_alice(&app).await;
    assert_eq!(
        login_from(&app, &alice, home, ALICE_EMAIL, ALICE_PASSWORD).await,
        303,
        "her browser, known from the earlier login, is not locked out"
    );
}

async fn a_browser_without_the_device_cookie_is_throttled_after_the_failures(backend: Backend) {
    let app = behind_a_proxy(backend).await;
    fifty_guesses_at_alice(&app).await;
    let response_status = login_from(
        &app,
        &Browser::new(),
        "192.0.2.2",
        ALICE_EMAIL,
        ALICE_PASSWORD,
    )
    .await;
    assert_eq!(
        response_status, 429,
        "an unknown browser waits, even with the right password"
    );
}

async fn successful_logins_do_not_consume_the_budget(backend: Backend) {
    let app = behind_a_proxy(backend).await;
    for n in 0..8 {
        let status = login_from(
            &app,
            &Browser::new(),
            "192.0.2.3",
            ALICE_EMAIL,
            ALICE_PASSWORD,
        )
        .await;
        assert_eq!(status, 303, "login {n} from a new browser succeeds");
    }
    for n in 0..4 {
        let status = login_from(&app, &Browser::new(), "192.0.2.3", ALICE_EMAIL, "typo").await;
        assert_eq!(status, 401, "typo {n} is still answered, not throttled");
    }
}

/// One registration at site1 from `address`; returns the status.
async fn register_from(
    app: &TestApp,
    browser: &Browser,
    token: &str,
    address: &str,
    n: usize,
) -> u16 {
    browser
        .client
        .post(app.store_url("site1", "/account/register"))
        .header("x-forwarded-for", address)
        .form(&[
            ("email", format!("shopper{n}@example.com").as_str()),
            ("name", "Shopper"),
            ("password", "a long enough password"),
            ("authenticity_token", token),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn sixty_registrations_from_one_address_are_limited_while_another_address_still_registers(
    backend: Backend,
) {
    let app = behind_a_proxy(backend).await;
    let browser = Browser::new();
    let page = browser
        .client
        .get(app.store_url("site1", "/account/register"))
        .header("x-forwarded-for", "203.0.113.50")
        .send()
        .await
        .unwrap();
    let token = csrf_token(&page.text().await.unwrap());
    let mut statuses = Vec::new();
    for n in 0..60 {
        statuses.push(register_from(&app, &browser, &token, "203.0.113.50", n).await);
    }
    let created = statuses.iter().filter(|s| **s == 303).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        created <= 10,
        "at most ten accounts from one address, got {created}"
    );
    assert_eq!(created + limited, 60, "the rest are refused: {statuses:?}");
    let refused = browser
        .client
        .post(app.store_url("site1", "/account/register"))
        .header("x-forwarded-for", "203.0.113.50")
        .form(&[
            ("email", "one-more@example.com"),
            ("name", "Shopper"),
            ("password", "a long enough password"),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Wait ten minutes") && page.contains(">Log in</a>"),
        "a readable refusal with a next step"
    );
    let other = Browser::new();
    let page = other
        .client
        .get(app.store_url("site1", "/account/register"))
        .header("x-forwarded-for", "203.0.113.51")
        .send()
        .await
        .unwrap();
    let token = csrf_token(&page.text().await.unwrap());
    assert_eq!(
        register_from(&app, &other, &token, "203.0.113.51", 1000).await,
        303,
        "another address still registers"
    );
}

/// More concurrent logins than the hashing queue admits on this machine (cores × 9).
fn more_than_the_hashing_queue() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 9 + 40
}

async fn a_burst_at_the_provider_login_page_gets_a_readable_503_with_retry_after(backend: Backend) {
    let app = behind_a_proxy(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let browser = Browser::new();
    let response = browser
        .client
        .get(client.authorization().url())
        .header("x-forwarded-for", "192.0.2.9")
        .send()
        .await
        .unwrap();
    let response = if response.status().is_redirection() {
        let next = absolute(&client.authorization().url(), &location(&response));
        browser
            .client
            .get(next)
            .header("x-forwarded-for", "192.0.2.9")
            .send()
            .await
            .unwrap()
    } else {
        response
    };
    assert_eq!(response.status(), 200, "the provider's login page");
    let page_url = response.url().to_string();
    let html = response.text().await.unwrap();
    let request = hidden_input(&html, "request").expect("the parked request");
    let token = csrf_token(&html);
    let url = absolute(&page_url, "/login");
    let attempts = (0..more_than_the_hashing_queue()).map(|n| {
        let request = browser
            .client
            .post(&url)
            .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
            .form(&[
                ("request", request.as_str()),
                ("email", format!("nobody{n}@example.com").as_str()),
                ("password", "a wrong guess"),
                ("authenticity_token", token.as_str()),
            ]);
        async move { request.send().await.unwrap() }
    });
    let responses = futures::future::join_all(attempts).await;
    let busy: Vec<_> = responses.iter().filter(|r| r.status() == 503).collect();
    assert!(!busy.is_empty(), "the excess is turned away");
    for response in busy {
        assert!(
            header(response.headers(), "retry-after").is_some(),
            "a 503 says when to retry"
        );
        assert!(
            header(response.headers(), "content-type").is_some_and(|t| t.starts_with("text/html")),
            "as a page"
        );
    }
    assert!(
        responses
            .iter()
            .all(|r| r.status() == 200 || r.status() == 503),
        "the others see the form again"
    );
}

crate::on_both_backends!(
    behind_a_proxy_the_rightmost_forwarded_address_is_throttled,
    alice_logs_in_from_her_known_browser_after_fifty_failed_guesses_from_elsewhere,
    a_browser_without_the_device_cookie_is_throttled_after_the_failures,
    successful_logins_do_not_consume_the_budget,
    sixty_registrations_from_one_address_are_limited_while_another_address_still_registers,
    a_burst_at_the_provider_login_page_gets_a_readable_503_with_retry_after,
);
