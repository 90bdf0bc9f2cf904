//! The shopper's journey in a real browser: Chromium (headless) driven over WebDriver by
//! `fantoccini`, against the real application on SQLite. Needs `chromium` and
//! `chromedriver` (Debian packages `chromium` and `chromium-driver`); `CHROMEDRIVER` and
//! `CHROMIUM` override their paths.

mod common {
    pub mod app;
    pub mod database;
}

use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;

use crate::common::app::{
    ALICE_EMAIL, ALICE_PASSWORD, TestApp, alice_profile, ensure_alice, free_port, spawn_app,
};
use crate::common::database::Backend;

/// A chromedriver child process, killed when dropped (also when the test panics).
struct ChromeDriver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_chromedriver() -> ChromeDriver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {binary} (install Debian's chromium-driver): {e}"));
    let driver = ChromeDriver {
        child,
        port,
        _profile: tempfile::tempdir().expect("a profile directory"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port}");
}

async fn open_browser(driver: &ChromeDriver) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--host-resolver-rules=MAP *.localhost 127.0.0.1".to_owned(),
        format!("--user-data-dir={}", driver._profile.path().display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with Chromium")
}

/// Waits for an element, as pages load after a click.
async fn find(browser: &Client, locator: Locator<'_>) -> Element {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(locator)
        .await
        .unwrap_or_else(|e| panic!("no element {locator:?}: {e}"))
}

async fn wait_for_path(browser: &Client, host_and_path_part: &str) -> String {
    for _ in 0..150 {
        let url = browser
            .current_url()
            .await
            .expect("current URL")
            .to_string();
        if url.contains(host_and_path_part) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = browser.current_url().await.expect("current URL");
    let source = browser.source().await.unwrap_or_default();
    panic!("never reached {host_and_path_part}; at {url}\n{source}");
}

/// With `SCREENSHOT_DIR` set, saves what the shopper sees at each step (for reviewing the
/// pages by eye, or a CI artifact).
async fn snap(browser: &Client, name: &str) {
    let Some(dir) = std::env::var_os("SCREENSHOT_DIR") else {
        return;
    };
    let png = browser.screenshot().await.expect("a screenshot");
    let path = std::path::Path::new(&dir).join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Like `snap`, for one element in full (a long form, say).
async fn snap_element(browser: &Client, css: &str, name: &str) {
    let Some(dir) = std::env::var_os("SCREENSHOT_DIR") else {
        return;
    };
    // Chromium clips element shots to the viewport: make it tall for the shot.
    browser
        .set_window_size(1280, 3200)
        .await
        .expect("a tall window");
    let png = find(browser, Locator::Css(css))
        .await
        .screenshot()
        .await
        .expect("an element screenshot");
    browser
        .set_window_size(1280, 1000)
        .await
        .expect("the usual window");
    let path = std::path::Path::new(&dir).join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

async fn value_of(browser: &Client, css: &str) -> String {
    find(browser, Locator::Css(css))
        .await
        .prop("value")
        .await
        .expect("read a property")
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_buys_as_alice_in_a_real_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    ensure_alice(&app).await;
    let alice = alice_profile(&app).await;
    let driver = start_chromedriver().await;
    let browser = open_browser(&driver).await;
    // Close the browser session even when the journey fails, so no Chromium outlives
    // the test; chromedriver itself is killed when `driver` drops.
    let outcome = AssertUnwindSafe(journey(&app, &browser, &alice))
        .catch_unwind()
        .await;
    let _ = browser.close().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn journey(app: &TestApp, browser: &Client, alice: &shared_checkout::domain::Customer) {
    browser
        .set_window_size(1280, 1000)
        .await
        .expect("a desktop-sized window");
    // The store: add the first product, then press the basket's "Checkout" button, which
    // hands the basket to the checkout with a one-time ticket.
    browser
        .goto(&app.store_url("site1", "/"))
        .await
        .expect("open the catalog");
    find(
        browser,
        Locator::Css("form.product__buy button[type=submit]"),
    )
    .await
    .click()
    .await
    .expect("add to basket");
    wait_for_path(browser, "/basket").await;
    find(
        browser,
        Locator::Css("form[action='/basket/checkout'] button[type=submit]"),
    )
    .await
    .click()
    .await
    .expect("go to the checkout");
    wait_for_path(browser, "checkout.localhost").await;

    // The checkout's start page: log in with the store.
    snap(browser, "01-start").await;
    let login = find(
        browser,
        Locator::XPath("//button[contains(., 'Log in with Harbour Goods')]"),
    )
    .await;
    let landed = browser.current_url().await.expect("the checkout's URL");
    assert_eq!(
        landed.query(),
        None,
        "the ticket is gone from the address bar"
    );
    login.click().await.expect("log in with the store");

    // The store's own login page.
    wait_for_path(browser, "site1.localhost").await;
    find(browser, Locator::Css("input[name=email]"))
        .await
        .send_keys(ALICE_EMAIL)
        .await
        .expect("type the email");
    find(browser, Locator::Css("input[name=password]"))
        .await
        .send_keys(ALICE_PASSWORD)
        .await
        .expect("type the password");
    find(browser, Locator::Css("form button[type=submit]"))
        .await
        .click()
        .await
        .expect("submit the login form");

    // Back at the checkout, the form is filled in from the store profile.
    let details_url = wait_for_path(browser, "/details").await;
    assert!(
        details_url.starts_with(&app.checkout_url("/site1/")),
        "{details_url}"
    );
    assert!(
        !details_url.contains("code="),
        "no code left in {details_url}"
    );
    assert_eq!(value_of(browser, "#email").await, ALICE_EMAIL);
    let billing = alice.billing_address.clone().expect("alice has an address");
    assert_eq!(value_of(browser, "#billing_city").await, billing.city);
    assert_eq!(value_of(browser, "#billing_street").await, billing.street);

    snap(browser, "02-details-prefilled").await;

    // A mistake: the city emptied, nothing ticked. The form comes back with the messages
    // next to their fields and everything else as typed.
    find(browser, Locator::Css("#billing_city"))
        .await
        .clear()
        .await
        .expect("clear the city");
    find(
        browser,
        Locator::Css("form button[type=submit].button--large"),
    )
    .await
    .click()
    .await
    .expect("submit the incomplete form");
    find(browser, Locator::Css("#billing_city-error")).await;
    find(browser, Locator::Css("#payment-error")).await;
    find(browser, Locator::Css(".error-summary")).await;
    assert_eq!(value_of(browser, "#email").await, ALICE_EMAIL);
    snap(browser, "02b-details-errors").await;
    snap_element(browser, ".checkout__main", "02c-details-form").await;
    find(browser, Locator::Css("#billing_city"))
        .await
        .send_keys(&billing.city)
        .await
        .expect("type the city again");

    // Offline payment, privacy policy, continue.
    find(browser, Locator::Css("#payment-offline-cash_on_delivery"))
        .await
        .click()
        .await
        .expect("choose cash on delivery");
    find(browser, Locator::Css("#privacy_policy-box"))
        .await
        .click()
        .await
        .expect("accept the privacy policy");
    find(
        browser,
        Locator::Css("form button[type=submit].button--large"),
    )
    .await
    .click()
    .await
    .expect("continue to review");

    // Review, then place the order.
    wait_for_path(browser, "/review").await;
    snap(browser, "03-review").await;
    find(
        browser,
        Locator::XPath("//button[contains(., 'Place order')]"),
    )
    .await
    .click()
    .await
    .expect("place the order");

    // The success page names the order.
    wait_for_path(browser, "/success").await;
    snap(browser, "04-success").await;
    let number = find(browser, Locator::Css(".order-number"))
        .await
        .text()
        .await
        .expect("the order number");
    assert!(number.starts_with("SITE1-"), "{number}");
    find(
        browser,
        Locator::XPath("//a[contains(., 'See the order in your Harbour Goods account')]"),
    )
    .await
    .click()
    .await
    .expect("go to the account page");

    // The order is on alice's account page at site1.
    wait_for_path(browser, "site1.localhost").await;
    snap(browser, "05-account").await;
    let page = browser.source().await.expect("account page source");
    if !page.contains(&number) {
        // Not logged in at the store in this browser: log in there, then look again.
        browser
            .goto(&app.store_url("site1", "/account/login"))
            .await
            .expect("open the store login");
        find(browser, Locator::Css("input[name=email]"))
            .await
            .send_keys(ALICE_EMAIL)
            .await
            .unwrap();
        find(browser, Locator::Css("input[name=password]"))
            .await
            .send_keys(ALICE_PASSWORD)
            .await
            .unwrap();
        find(browser, Locator::Css("form button[type=submit]"))
            .await
            .click()
            .await
            .unwrap();
        browser
            .goto(&app.store_url("site1", "/account"))
            .await
            .unwrap();
        let page = browser.source().await.expect("account page source");
        assert!(
            page.contains(&number),
            "order {number} on alice's account\n{page}"
        );
    }
}
