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
    let driver = ChromeDriver { child, port };
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

/// How big the browser is: a desktop's window, or a phone's screen in CSS pixels.
#[derive(Debug, Clone, Copy)]
struct Viewport {
    name: &'static str,
    width: u32,
    height: u32,
    /// Emulates a phone (touch, device pixels), not merely a narrow window.
    phone: bool,
}

const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
    phone: false,
};

const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
    phone: true,
};

/// A Chromium session on its own profile (`profile`), so no cookie carries over from
/// another session.
async fn open_browser(
    driver: &ChromeDriver,
    profile: &std::path::Path,
    viewport: Viewport,
) -> Client {
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
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut options = serde_json::json!({ "binary": chromium, "args": args });
    if viewport.phone {
        options["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": {
                "width": viewport.width,
                "height": viewport.height,
                "pixelRatio": 2,
                "mobile": true,
                "touch": true,
            }
        });
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".to_owned(), options);
    let browser = ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session with Chromium");
    if !viewport.phone {
        browser
            .set_window_size(viewport.width, viewport.height)
            .await
            .expect("a desktop-sized window");
    }
    browser
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
        .set_window_size(DESKTOP.width, DESKTOP.height)
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
    let profile = tempfile::tempdir().expect("a profile directory");
    let browser = open_browser(&driver, profile.path(), DESKTOP).await;
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
        Locator::Css("form[action$='/login'] button[type=submit]"),
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
        Locator::Css("form[action$='/place-order'] button[type=submit]"),
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
    find(browser, Locator::Css("a.button[href$='/account']"))
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

/// axe-core's browser build, from `tests/axe` (`npm ci` there, as `.ci/run` does).
fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/axe/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {path} (run `npm ci` in tests/axe): {e}"))
}

/// Runs axe-core on the page the browser shows and describes every violation of impact
/// "serious" or "critical": rule, impact, what it asks, and each offending node.
async fn axe_violations(browser: &Client, axe: &str) -> Vec<String> {
    // WebDriver scripts are not subject to the pages' CSP, so the library goes in as is.
    browser
        .execute(axe, Vec::new())
        .await
        .expect("inject axe-core");
    let found = browser
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then((results) => done(results.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({
                  id: v.id,
                  impact: v.impact,
                  help: v.help,
                  nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "),
                    summary: n.failureSummary,
                  })),
                }))))
              .catch((e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));"#,
            Vec::new(),
        )
        .await
        .expect("run axe-core");
    let violations = found.as_array().cloned().unwrap_or_default();
    violations
        .iter()
        .map(|v| {
            let text = |key: &str| v[key].as_str().unwrap_or_default().to_owned();
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|n| {
                    format!(
                        "      {}: {}",
                        n["target"].as_str().unwrap_or_default(),
                        n["summary"].as_str().unwrap_or_default().replace('\n', " ")
                    )
                })
                .collect();
            format!(
                "    {} ({}): {}\n{}",
                text("id"),
                text("impact"),
                text("help"),
                nodes.join("\n")
            )
        })
        .collect()
}

/// One walk's accessibility findings, page by page.
struct Audit<'a> {
    browser: &'a Client,
    axe: &'a str,
    store: &'static str,
    viewport: Viewport,
    /// Every page checked, and what was wrong with those that failed.
    checked: Vec<String>,
    failures: Vec<String>,
}

impl Audit<'_> {
    async fn check(&mut self, page: &str) {
        let label = format!("{} {} {page}", self.store, self.viewport.name);
        let url = self.browser.current_url().await.expect("current URL");
        let violations = axe_violations(self.browser, self.axe).await;
        self.checked.push(format!(
            "{label}: {}",
            if violations.is_empty() {
                "ok"
            } else {
                "FAILED"
            }
        ));
        if !violations.is_empty() {
            self.failures
                .push(format!("{label} ({url}):\n{}", violations.join("\n")));
        }
    }

    /// With `DOCS_SCREENSHOTS` set, writes what the page looks like to
    /// `docs/screenshots/{viewport}-{name}.png`, which README.md shows: site1's pages,
    /// and site2's catalog for its other theme.
    async fn screenshot(&self, name: &str) {
        if std::env::var_os("DOCS_SCREENSHOTS").is_none()
            || (self.store != "site1" && name != "catalog")
        {
            return;
        }
        let png = self.browser.screenshot().await.expect("a screenshot");
        let path = format!(
            "{}/docs/screenshots/{}-{}-{name}.png",
            env!("CARGO_MANIFEST_DIR"),
            self.store,
            self.viewport.name
        );
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
}

async fn click(browser: &Client, css: &str) {
    find(browser, Locator::Css(css))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn type_into(browser: &Client, css: &str, text: &str) {
    find(browser, Locator::Css(css))
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

/// Every page a shopper can meet, in both demo stores' themes, on a desktop and a phone,
/// passes axe-core without a serious or critical violation. Elements are found by CSS
/// only: the pages' words are translated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_a_shopper_meets_passes_axe() {
    let app = spawn_app(Backend::Sqlite).await;
    ensure_alice(&app).await;
    let axe = axe_source();
    let driver = start_chromedriver().await;
    let mut checked = Vec::new();
    let mut failures = Vec::new();
    for store in ["site1", "site2"] {
        for viewport in [DESKTOP, PHONE] {
            let profile = tempfile::tempdir().expect("a profile directory");
            let browser = open_browser(&driver, profile.path(), viewport).await;
            let mut audit = Audit {
                browser: &browser,
                axe: &axe,
                store,
                viewport,
                checked: Vec::new(),
                failures: Vec::new(),
            };
            let outcome = AssertUnwindSafe(walk(&app, &mut audit))
                .catch_unwind()
                .await;
            checked.append(&mut audit.checked);
            failures.append(&mut audit.failures);
            let _ = browser.close().await;
            if let Err(panic) = outcome {
                eprintln!("{}\n\n{}", checked.join("\n"), failures.join("\n\n"));
                std::panic::resume_unwind(panic);
            }
        }
    }
    eprintln!("axe-core checked:\n{}", checked.join("\n"));
    assert!(
        failures.is_empty(),
        "serious or critical accessibility violations:\n\n{}",
        failures.join("\n\n")
    );
}

/// One shopper at one store: its account pages, a purchase through the test payment
/// page, and the error pages; axe-core runs on each.
async fn walk(app: &TestApp, audit: &mut Audit<'_>) {
    let browser = audit.browser;
    let store = audit.store;
    let site1 = store == "site1";

    browser
        .goto(&app.store_url(store, "/account/login"))
        .await
        .expect("open the store's login");
    find(browser, Locator::Css("input[name=password]")).await;
    audit.check("store login").await;
    click(browser, "main form button[type=submit]").await;
    find(browser, Locator::Css(".error-summary")).await;
    audit.check("store login, with errors").await;
    browser
        .goto(&app.store_url(store, "/account/register"))
        .await
        .expect("open the registration");
    find(browser, Locator::Css("input[name=name]")).await;
    audit.check("store registration").await;

    browser
        .goto(&app.store_url(store, "/"))
        .await
        .expect("open the catalog");
    find(browser, Locator::Css("form.product__buy")).await;
    audit.check("catalog").await;
    audit.screenshot("catalog").await;
    click(browser, "form.product__buy button[type=submit]").await;
    wait_for_path(browser, "/basket").await;
    find(browser, Locator::Css("form[action='/basket/checkout']")).await;
    audit.check("basket").await;
    audit.screenshot("basket").await;
    click(
        browser,
        "form[action='/basket/checkout'] button[type=submit]",
    )
    .await;
    let checkout = wait_for_path(browser, "checkout.localhost").await;
    find(browser, Locator::Css("form[action$='/guest']")).await;
    audit.check("checkout start").await;

    browser
        .goto(&format!("{checkout}/login"))
        .await
        .expect("open the checkout's login page");
    find(browser, Locator::Css("form[action$='/login']")).await;
    audit.check("checkout login").await;
    browser.goto(&checkout).await.expect("back to the start");

    if site1 {
        // Log in through the store's OpenID provider: the details come pre-filled.
        click(browser, "form[action$='/login'] button[type=submit]").await;
        wait_for_path(browser, "site1.localhost").await;
        find(browser, Locator::Css("input[name=password]")).await;
        audit
            .check("store login for the checkout (OpenID provider)")
            .await;
        audit.screenshot("store-login").await;
        type_into(browser, "input[name=email]", ALICE_EMAIL).await;
        type_into(browser, "input[name=password]", ALICE_PASSWORD).await;
        click(browser, "main form button[type=submit]").await;
        wait_for_path(browser, "/details").await;
        find(browser, Locator::Css("#billing_city")).await;
        audit.check("checkout details, pre-filled").await;
        audit.screenshot("details").await;
        find(browser, Locator::Css("#billing_city"))
            .await
            .clear()
            .await
            .expect("clear the city");
    } else {
        click(browser, "form[action$='/guest'] button[type=submit]").await;
        wait_for_path(browser, "/details").await;
        find(browser, Locator::Css("#billing_city")).await;
        audit.check("checkout details").await;
    }
    click(browser, "form button[type=submit].button--large").await;
    find(browser, Locator::Css(".error-summary")).await;
    audit.check("checkout details, with errors").await;
    for (field, value) in [
        ("#email", "shopper@example.com"),
        ("#billing_name", "Sam Shopper"),
        ("#billing_street", "2 Meadow Lane"),
        ("#billing_postal_code", "10115"),
        ("#billing_city", "Berlin"),
        ("#billing_country", "DE"),
    ] {
        if value_of(browser, field).await.is_empty() {
            type_into(browser, field, value).await;
        }
    }
    click(browser, "#payment-testgateway-card").await;
    let privacy = find(browser, Locator::Css("#privacy_policy-box")).await;
    if !privacy.is_selected().await.expect("read the checkbox") {
        privacy.click().await.expect("accept the privacy policy");
    }
    click(browser, "form button[type=submit].button--large").await;

    wait_for_path(browser, "/review").await;
    find(browser, Locator::Css("form[action$='/place-order']")).await;
    audit.check("checkout review").await;
    audit.screenshot("review").await;
    reach_test_gateway(audit).await;
    audit.check("test payment gateway").await;
    // Declined first: the shopper is sent back with what went wrong, then pays.
    click(browser, "button[name=decision][value=decline]").await;
    wait_for_path(browser, "/details").await;
    find(browser, Locator::Css("main h1")).await;
    audit
        .check("checkout details, after a declined payment")
        .await;
    click(browser, "form button[type=submit].button--large").await;
    wait_for_path(browser, "/review").await;
    reach_test_gateway(audit).await;
    click(browser, "button[name=decision][value=approve]").await;
    wait_for_path(browser, "/success").await;
    find(browser, Locator::Css(".order-number")).await;
    audit.check("checkout success").await;
    audit.screenshot("success").await;

    if site1 {
        browser
            .goto(&app.store_url(store, "/account"))
            .await
            .expect("open the account");
    } else {
        browser
            .goto(&app.store_url(store, "/account/register"))
            .await
            .expect("open the registration");
        click(browser, "main form button[type=submit]").await;
        find(browser, Locator::Css(".error-summary")).await;
        audit.check("store registration, with errors").await;
        let email = format!("shopper-{}@example.com", audit.viewport.name);
        type_into(browser, "input[name=email]", &email).await;
        type_into(browser, "input[name=name]", "Sam Shopper").await;
        type_into(browser, "input[name=password]", ALICE_PASSWORD).await;
        click(browser, "main form button[type=submit]").await;
    }
    wait_for_path(browser, "/account").await;
    find(browser, Locator::Css("form[action='/account/profile']")).await;
    audit.check("account").await;
    browser
        .goto(&app.store_url(store, "/basket"))
        .await
        .expect("open the emptied basket");
    find(browser, Locator::Css("main h1")).await;
    audit.check("basket, empty").await;

    browser
        .goto(&app.store_url(store, "/end-session"))
        .await
        .expect("open the logout confirmation");
    find(browser, Locator::Css("main h1")).await;
    audit.check("store logout confirmation").await;

    // Error and refusal pages.
    let pages = [
        (app.store_url(store, "/no-such-page"), "store 404"),
        (
            app.checkout_url(&format!("/{store}/{}", uuid::Uuid::new_v4())),
            "checkout of an unknown basket",
        ),
        (app.checkout_url("/no/such/page/here"), "checkout 404"),
        (
            app.checkout_url("/callback?state=forged&code=forged"),
            "login refused by the checkout",
        ),
        (
            app.checkout_url(&format!("/logged-out?state={store}")),
            "checkout logged out",
        ),
    ];
    for (url, page) in pages {
        browser.goto(&url).await.expect("open the page");
        find(browser, Locator::Css("main h1")).await;
        audit.check(page).await;
    }
}

/// Places the order from the review page and follows the payment step to the test
/// gateway's page, checking the payment step if it is shown on the way.
async fn reach_test_gateway(audit: &mut Audit<'_>) {
    let browser = audit.browser;
    click(browser, "form[action$='/place-order'] button[type=submit]").await;

    // The payment step hands over to the test gateway's page, at once or by a link.
    let mut at = String::new();
    for _ in 0..150 {
        at = browser
            .current_url()
            .await
            .expect("current URL")
            .to_string();
        if at.contains("/payment") || at.contains("/testgateway/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !at.contains("/testgateway/") {
        find(browser, Locator::Css("#payment-title")).await;
        audit.check("checkout payment").await;
        click(
            browser,
            "a[href*='/testgateway/'], form[action*='/testgateway/'] button",
        )
        .await;
        at = wait_for_path(browser, "/testgateway/").await;
    }
    assert!(at.contains("/testgateway/"), "{at}");
    find(
        browser,
        Locator::Css("button[name=decision][value=approve]"),
    )
    .await;
}
