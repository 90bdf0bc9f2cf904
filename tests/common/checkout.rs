//! The checkout as a shopper and a storefront use it: start a checkout from a full basket,
//! walk its steps, read what the pages show, call its JSON API.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use shared_checkout::db;
use shared_checkout::domain::placeorder::ProcessState;
use shared_checkout::domain::{BasketId, StoreId};

use super::app::{TestApp, ensure_alice};
use super::browser::{Browser, Redirects, absolute, assert_redirect, location};
use super::html::{csrf_token, hidden_input};

/// Puts two of the catalog's first product in this browser's basket at `store` (alice's
/// account made ready too), presses the basket page's Checkout button and follows the
/// handoff; returns the clean checkout URL the browser lands on.
pub async fn start_checkout(app: &TestApp, browser: &Browser, store: &str) -> String {
    ensure_alice(app).await;
    browser.add_first_product(app, store, 2).await;
    browser.open_checkout(app, store).await
}

/// The basket id in a checkout URL.
pub fn basket_of(checkout_url: &str) -> BasketId {
    let last = checkout_url.rsplit('/').next().unwrap_or_default();
    BasketId::parse(last).expect("checkout URL ends in a basket id")
}

/// An empty open basket at `store` in its currency, made directly in the database.
pub async fn empty_basket(app: &TestApp, store: &str) -> BasketId {
    let store = StoreId::parse(store).unwrap();
    let currency = app.state.config.store(&store).unwrap().currency;
    db::baskets::create(&app.state.db, &store, None, currency)
        .await
        .unwrap()
}

/// A form as (field, value) pairs.
pub type FormFields = Vec<(&'static str, String)>;

/// The details form as a guest fills it in, ready to post (without the token).
pub fn guest_details() -> FormFields {
    vec![
        ("email", "guest@example.org".into()),
        ("billing_name", "Gus Guest".into()),
        ("billing_street", "5 Meadow Lane".into()),
        ("billing_postal_code", "80331".into()),
        ("billing_city", "Munich".into()),
        ("billing_country", "DE".into()),
        ("delivery_same", "yes".into()),
        ("delivery_method", "standard".into()),
        ("payment", "offline:cash_on_delivery".into()),
        ("privacy_policy", "accepted".into()),
    ]
}

/// A guest's details as the API takes them.
pub fn guest_body(gateway: &str, method: &str) -> Value {
    json!({
        "email": "headless@example.org",
        "billing": {
            "name": "Hedda Less",
            "street": "3 API Avenue",
            "postal_code": "50667",
            "city": "Cologne",
            "country": "DE"
        },
        "delivery_method": "standard",
        "payment": { "gateway": gateway, "method": method },
        "privacy_policy_accepted": true
    })
}

/// Replaces (or adds) one field of a form.
pub fn with(
    mut form: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    form.retain(|(k, _)| *k != name);
    form.push((name, value.to_owned()));
    form
}

pub fn without(
    mut form: Vec<(&'static str, String)>,
    name: &'static str,
) -> Vec<(&'static str, String)> {
    form.retain(|(k, _)| *k != name);
    form
}

/// GET a checkout page and return its status and body.
pub async fn page(browser: &Browser, url: &str) -> (StatusCode, String) {
    let response = browser.get(url).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Posts a form with the page's CSRF token added.
pub async fn post_with_token(
    browser: &Browser,
    url: &str,
    token: &str,
    form: &[(&'static str, String)],
) -> Response {
    let mut fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.push(("authenticity_token", token));
    browser.post_form(url, &fields).await
}

/// The CSRF token of a checkout page of this browser.
pub async fn token_from(browser: &Browser, url: &str) -> String {
    let (status, html) = page(browser, url).await;
    assert!(status.is_success(), "{url}: {status}\n{html}");
    csrf_token(&html)
}

/// Follows the payment step until it leaves for another page (success, details, review
/// or a hosted payment page); the process runs in the background meanwhile.
pub async fn follow_payment(browser: &Browser, checkout: &str) -> String {
    let url = format!("{checkout}/payment");
    for _ in 0..100 {
        let response = browser.get(&url).await;
        if response.status() == StatusCode::SEE_OTHER {
            return absolute(&url, &location(&response));
        }
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "payment step: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the payment step never moved on");
}

/// A basket's place-order process held by a node other than the app's, as one mid-step
/// holds it: the app can only wait for it, so its payment step shows the waiting page.
pub struct HeldProcess {
    lease: db::placeorder::Lease,
    process: db::placeorder::Process,
}

impl HeldProcess {
    /// Takes the process's lease for a minute (it must be free).
    pub async fn take(app: &TestApp, store: &str, basket: BasketId) -> Self {
        let store = StoreId::parse(store).unwrap();
        let process = db::placeorder::find_for_basket(&app.state.db, &store, basket)
            .await
            .unwrap()
            .expect("the basket has a place-order process");
        let lease = db::placeorder::acquire(
            &app.state.db,
            &store,
            process.id,
            "another-node",
            Duration::from_secs(60),
        )
        .await
        .unwrap()
        .expect("the process's lease is free");
        Self { lease, process }
    }

    /// Puts the process in `state`, still holding it.
    pub async fn move_to(&mut self, app: &TestApp, state: ProcessState) {
        let moved = db::placeorder::Process {
            state,
            ..self.process.clone()
        };
        self.process = db::placeorder::save(&app.state.db, &self.lease, &moved, true)
            .await
            .unwrap()
            .expect("saved under the lease");
    }
}

/// Counts the orders of one basket in the database.
pub async fn orders_for_basket(app: &TestApp, basket: BasketId) -> i64 {
    let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE basket_id = $1")
        .bind(basket.to_string())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    row.0
}

/// From the checkout's start page: "Log in with {store}", the store's login form, and back
/// through the callback. Returns the page the shopper lands on (the details form).
pub async fn log_in_through_store(
    browser: &Browser,
    checkout: &str,
    email: &str,
    password: &str,
) -> (String, String) {
    let token = token_from(browser, checkout).await;
    let started = post_with_token(browser, &format!("{checkout}/login"), &token, &[]).await;
    assert_redirect(&started);
    let (login_url, login_page) = browser
        .follow_from(&format!("{checkout}/login"), started, Redirects::Everywhere)
        .await;
    let status = login_page.status();
    let html = login_page.text().await.unwrap();
    assert_eq!(status, 200, "store login page at {login_url}: {html}");
    let request = hidden_input(&html, "request").expect("the login form names its request");
    let store_token = csrf_token(&html);
    let posted = browser
        .post_form(
            &absolute(&login_url, "/login"),
            &[
                ("request", request.as_str()),
                ("email", email),
                ("password", password),
                ("authenticity_token", store_token.as_str()),
            ],
        )
        .await;
    assert!(
        posted.status().is_redirection(),
        "login refused: {}",
        posted.status()
    );
    let (landed, page) = browser
        .follow_from(
            &absolute(&login_url, "/login"),
            posted,
            Redirects::Everywhere,
        )
        .await;
    let status = page.status();
    let html = page.text().await.unwrap();
    assert_eq!(status, 200, "after login at {landed}: {html}");
    (landed, html)
}

/// The details form of this browser's checkout, submitted with `form`; returns the
/// response (a 303 to review or payment when valid).
pub async fn submit_details(
    browser: &Browser,
    checkout: &str,
    form: &[(&'static str, String)],
) -> Response {
    let details = format!("{checkout}/details");
    let token = token_from(browser, &details).await;
    post_with_token(browser, &details, &token, form).await
}

/// Review, then "Place order": returns the place-order response (a 303 to payment).
pub async fn confirm_review(browser: &Browser, checkout: &str) -> Response {
    let review = format!("{checkout}/review");
    let (status, html) = page(browser, &review).await;
    assert_eq!(status, 200, "review page: {html}");
    let token = csrf_token(&html);
    let total = hidden_input(&html, "expected_total").expect("the review names its total");
    post_with_token(
        browser,
        &format!("{checkout}/place-order"),
        &token,
        &[("expected_total", total)],
    )
    .await
}

/// Guest checkout through to the payment step with `payment`; returns where the payment
/// step sends the shopper.
pub async fn guest_checkout(browser: &Browser, checkout: &str, payment: &str) -> String {
    let response = submit_details(
        browser,
        checkout,
        &with(guest_details(), "payment", payment),
    )
    .await;
    assert_redirect(&response);
    assert!(
        location(&response).ends_with("/review"),
        "{}",
        location(&response)
    );
    let placed = confirm_review(browser, checkout).await;
    assert_redirect(&placed);
    assert!(
        location(&placed).ends_with("/payment"),
        "{}",
        location(&placed)
    );
    follow_payment(browser, checkout).await
}

/// The success page's order number.
pub fn order_number(html: &str) -> String {
    let marker = "class=\"order-number\">";
    let at = html.find(marker).expect("an order number") + marker.len();
    let end = at + html[at..].find('<').expect("end of the order number");
    html[at..end].to_owned()
}

/// The process of a basket as the JSON API shows it, read through the library (the API
/// shows a browser's process to no key).
pub async fn process_json(app: &TestApp, basket: BasketId, store: &str) -> serde_json::Value {
    let store = StoreId::parse(store).unwrap();
    let view = shared_checkout::placeorder::status(&app.state, &store, basket)
        .await
        .unwrap()
        .expect("the basket has a place-order process");
    serde_json::to_value(view).unwrap()
}

/// A new API key for `store`, as `api-key create` makes it.
pub async fn api_key(app: &TestApp, store: &str) -> String {
    let store = StoreId::parse(store).unwrap();
    db::api_keys::create(&app.state.db, &store, "test storefront")
        .await
        .unwrap()
        .key
}

/// The API URL of a basket's place-order process, plus `rest` (`/refresh`, `/cancel`).
pub fn api_url(app: &TestApp, store: &str, basket: impl std::fmt::Display, rest: &str) -> String {
    app.checkout_url(&format!("/api/v1/{store}/{basket}/place-order{rest}"))
}

/// Calls the API as a storefront server with `key` (none: no `Authorization` header);
/// `body` `None` sends no body. Returns the status and the JSON answer.
pub async fn api_call(
    method: reqwest::Method,
    url: &str,
    key: Option<&str>,
    body: Option<&serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut request = Browser::new().client.request(method, url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.expect("a JSON body"))
}

/// On the hosted test payment page: press `decision` ("approve", "decline", "abandon").
pub async fn decide_at_test_gateway(browser: &Browser, page_url: &str, decision: &str) -> Response {
    let (status, html) = page(browser, page_url).await;
    assert_eq!(status, 200, "test gateway page: {html}");
    let token = csrf_token(&html);
    browser
        .post_form(
            page_url,
            &[
                ("decision", decision),
                ("authenticity_token", token.as_str()),
            ],
        )
        .await
}
