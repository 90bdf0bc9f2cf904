//! Shopper actions for the checkout tests: fill a basket at a store over HTTP, walk the
//! checkout's steps, read what the pages show.

use std::time::Duration;

use reqwest::{Response, StatusCode};
use shared_checkout::db;
use shared_checkout::domain::{Address, BasketId, Currency, Email, Money, Password, StoreId};

use crate::helpers::*;

pub const ALICE_EMAIL: &str = "alice@example.com";
pub const ALICE_PASSWORD: &str = "correct horse battery staple";

/// Makes sure the catalog has a product and alice has an account at site1 with a billing
/// address and phone, whatever the demo seed already holds.
pub async fn ensure_catalog_and_alice(app: &TestApp) {
    let eur = Currency::parse("EUR").unwrap();
    db::products::insert_if_absent(
        &app.state.db,
        "test-mug",
        "Enamel mug",
        "A mug for the tests.",
        Money::new(1250, eur),
    )
    .await
    .expect("seed a product");
    let site1 = StoreId::parse("site1").unwrap();
    let email = Email::parse(ALICE_EMAIL).unwrap();
    let existing = db::customers::find_for_login(&app.state.db, &site1, &email)
        .await
        .expect("look alice up");
    let customer = match existing {
        Some((customer, _)) => customer.id,
        None => {
            let hash = shared_checkout::store::accounts::hash_password(
                Password::parse(ALICE_PASSWORD.to_owned()).unwrap(),
            )
            .await
            .unwrap();
            db::customers::create(&app.state.db, &site1, &email, &hash, "Alice Example")
                .await
                .unwrap()
                .expect("alice is new")
        }
    };
    let found = db::customers::find(&app.state.db, &site1, customer)
        .await
        .unwrap()
        .expect("alice exists");
    if found.billing_address.is_none() || found.phone.is_none() {
        let address = Address {
            name: "Alice Example".into(),
            street: "1 Harbour Road".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
        };
        db::customers::update_profile(
            &app.state.db,
            &site1,
            customer,
            &found.name,
            Some("+49 30 1234567"),
            Some(&address),
        )
        .await
        .unwrap();
    }
}

/// Alice's profile as the store keeps it: what the checkout should pre-fill.
pub async fn alice_profile(app: &TestApp) -> shared_checkout::domain::Customer {
    let site1 = StoreId::parse("site1").unwrap();
    let email = Email::parse(ALICE_EMAIL).unwrap();
    db::customers::find_for_login(&app.state.db, &site1, &email)
        .await
        .unwrap()
        .expect("alice exists")
        .0
}

/// Adds the first product of the catalog to this browser's basket at `store` through the
/// storefront, and returns the checkout URL the basket page links to.
pub async fn fill_basket(app: &TestApp, browser: &Browser, store: &str) -> String {
    ensure_catalog_and_alice(app).await;
    let catalog = browser.get(&app.store_url(store, "/")).await;
    assert_eq!(catalog.status(), 200, "catalog of {store}");
    let html = catalog.text().await.unwrap();
    let token = csrf_token(&html);
    let product = hidden_input(&html, "product_id").expect("a product to add");
    let added = browser
        .post_form(
            &app.store_url(store, "/basket/add"),
            &[
                ("product_id", product.as_str()),
                ("quantity", "2"),
                ("authenticity_token", token.as_str()),
            ],
        )
        .await;
    assert_redirect(&added);
    let basket = browser.get(&app.store_url(store, "/basket")).await;
    let html = basket.text().await.unwrap();
    let prefix = app.checkout_url(&format!("/{store}/"));
    let at = html
        .find(&prefix)
        .expect("basket page links to the checkout");
    let end = at + html[at..].find('"').expect("end of the link");
    html[at..end].to_owned()
}

/// The basket id in a checkout URL.
pub fn basket_of(checkout_url: &str) -> BasketId {
    let last = checkout_url.rsplit('/').next().unwrap_or_default();
    BasketId::parse(last).expect("checkout URL ends in a basket id")
}

/// An empty open basket at `store`, made directly in the database.
pub async fn empty_basket(app: &TestApp, store: &str) -> BasketId {
    let store = StoreId::parse(store).unwrap();
    db::baskets::create(&app.state.db, &store, None, Currency::parse("EUR").unwrap())
        .await
        .unwrap()
}

/// The details form as a guest fills it in, ready to post (without the token).
pub fn guest_details() -> Vec<(&'static str, String)> {
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
pub async fn follow_payment(app: &TestApp, browser: &Browser, checkout: &str) -> String {
    let url = format!("{checkout}/payment");
    for _ in 0..100 {
        let response = browser.get(&url).await;
        if response.status() == StatusCode::SEE_OTHER {
            return join_url(&url, &location(&response));
        }
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "payment step: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = app;
    panic!("the payment step never moved on");
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

/// `location` resolved against `base`.
pub fn join_url(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}
