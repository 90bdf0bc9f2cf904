//! Cookies that bind a form or a login to one host and one browser: a CSRF pair issued at
//! one host is worth nothing at another, and a login-binding value the server never
//! issued is not adopted.

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::common::browser::{Browser, assert_redirect};
use crate::common::database::Backend;
use crate::common::html::csrf_token;
use crate::common::oauth::back_channel;

async fn a_form_token_from_site1_does_not_verify_at_site2_or_at_the_checkout(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let basket = shopper.fill_basket(&app, "site1").await;
    // The attacker's own CSRF pair from site1: the cookie and the form token that go together.
    let attacker = Browser::new();
    let login = app.store_url("site1", "/account/login");
    let token = csrf_token(&attacker.page(&login).await);
    let cookie = attacker
        .cookie(&login, "csrf")
        .expect("a csrf cookie for the login page");
    let replay = |url: String, form: Vec<(&'static str, String)>| {
        let cookie = cookie.clone();
        async move {
            back_channel()
                .post(url)
                .header("cookie", format!("csrf={cookie}"))
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let credentials = |token: &str| {
        vec![
            ("email", "alice@example.com".to_owned()),
            ("password", "a wrong guess".to_owned()),
            ("authenticity_token", token.to_owned()),
        ]
    };
    assert_eq!(
        replay(login.clone(), credentials(&token)).await,
        401,
        "at site1 the pair verifies (and the password is wrong)"
    );
    assert_eq!(
        replay(
            app.store_url("site2", "/account/login"),
            credentials(&token)
        )
        .await,
        403,
        "site2 refuses site1's pair"
    );
    assert_eq!(
        replay(
            app.checkout_url(&format!("/site1/{basket}/login")),
            vec![("authenticity_token", token.clone())],
        )
        .await,
        403,
        "the checkout refuses site1's pair"
    );
}

/// Starts a checkout login for `basket`; returns the value of the `checkout_login` cookie the
/// answer sets.
async fn start_login(app: &TestApp, browser: &Browser, basket: &str) -> String {
    let url = app.checkout_url(&format!("/site1/{basket}/login"));
    let token = csrf_token(&browser.page(&url).await);
    let response = browser
        .post_form(&url, &[("authenticity_token", &token)])
        .await;
    assert_redirect(&response);
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("checkout_login="))
        .and_then(|v| v.split(';').next())
        .expect("the login sets its binding cookie")
        .to_owned()
}

async fn a_login_binding_cookie_the_server_did_not_issue_is_replaced(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let basket = browser.fill_basket(&app, "site1").await;
    let planted = "A".repeat(43);
    browser.jar.add_cookie_str(
        &format!("checkout_login={planted}; Path=/"),
        &url::Url::parse(&app.checkout_url("/")).unwrap(),
    );
    let issued = start_login(&app, &browser, &basket).await;
    assert_ne!(issued, planted, "a planted value is not adopted");
    let again = start_login(&app, &browser, &basket).await;
    assert_eq!(
        again, issued,
        "a value the server issued is kept, so two tabs can both log in"
    );
}

/// The `Set-Cookie` headers of a response.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

fn assert_host_prefixed_and_secure(cookies: &[String], name: &str) {
    let cookie = cookies
        .iter()
        .find(|c| c.starts_with(&format!("__Host-{name}=")))
        .unwrap_or_else(|| panic!("a __Host-{name} cookie among {cookies:?}"));
    assert!(cookie.contains("Secure"), "{cookie} is Secure");
    assert!(cookie.contains("Path=/"), "{cookie} has Path=/");
    assert!(!cookie.contains("Domain"), "{cookie} is host-only");
}

async fn on_an_https_store_the_csrf_and_device_cookies_are_host_prefixed_and_secure(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |s| {
        for store in &mut s.stores {
            store.base_url = Some(url::Url::parse(&format!("https://{}", store.host)).unwrap());
        }
    })
    .await;
    // Plain HTTP to the test server; the cookies follow the configured https origin.
    let client = back_channel();
    let login = app.store_url("site1", "/account/login");
    let page = client.get(&login).send().await.unwrap();
    let cookies = set_cookies(&page);
    assert_host_prefixed_and_secure(&cookies, "csrf");
    let csrf_pair = cookies
        .iter()
        .find(|c| c.starts_with("__Host-csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let token = csrf_token(&page.text().await.unwrap());
    let response = client
        .post(&login)
        .header("cookie", csrf_pair)
        .form(&[
            ("email", ALICE_EMAIL),
            ("password", ALICE_PASSWORD),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect(&response);
    let cookies = set_cookies(&response);
    assert_host_prefixed_and_secure(&cookies, "store_session");
    assert_host_prefixed_and_secure(&cookies, "device");
}

crate::on_both_backends!(
    a_form_token_from_site1_does_not_verify_at_site2_or_at_the_checkout,
    a_login_binding_cookie_the_server_did_not_issue_is_replaced,
    on_an_https_store_the_csrf_and_device_cookies_are_host_prefixed_and_secure,
);
