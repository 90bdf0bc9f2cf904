//! Login throttling keys on the client address from the source the deployment trusts.

use axum_client_ip::ClientIpSource;

use crate::helpers::*;

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
    let browser = app.browser();
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
    let status = attempt(
        &app,
        &browser,
        "guess-last@example.com",
        Some("198.51.100.7"),
    )
    .await;
    assert_eq!(
        status, 429,
        "the 31st attempt from one address is throttled"
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

crate::on_both_backends!(behind_a_proxy_the_rightmost_forwarded_address_is_throttled);
