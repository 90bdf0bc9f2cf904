//! The store hands a basket to the checkout with a one-time ticket; the checkout URL is an
//! address, not a credential. Each test performs an attack on the handoff.

use reqwest::StatusCode;
use shared_checkout::domain::StoreId;

use crate::common::app::{
    ALICE_EMAIL, ALICE_PASSWORD, TestApp, ensure_alice, spawn_app, spawn_app_with,
};
use crate::common::browser::{Browser, assert_redirect, location, query_param};
use crate::common::checkout::{
    basket_of, empty_basket, guest_checkout, guest_details, order_number, orders_for_basket, page,
    post_with_token, start_checkout, token_from,
};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};

/// The 403 page of a browser the basket was not handed to: readable, with the way back to
/// the store's basket page.
#[track_caller]
fn assert_sent_back_to_the_store(app: &TestApp, status: StatusCode, html: &str, case: &str) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {html}");
    assert!(html.contains("<h1"), "{case}: a page in words");
    assert!(
        html.contains(&format!("href=\"{}\"", app.store_url("site1", "/basket"))),
        "{case}: a link back to the store's basket: {html}"
    );
}

async fn sessions_for_basket(app: &TestApp, basket: &str) -> i64 {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM checkout_sessions WHERE basket_id = $1")
            .bind(basket)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    count
}

async fn a_second_browser_that_knows_the_basket_id_gets_the_403_page_on_every_step(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&app, &shopper, "site1").await;
    let basket = basket_of(&checkout).to_string();
    // The attacker has a checkout of its own, so it holds valid CSRF tokens of the checkout.
    let attacker = Browser::new();
    let own = start_checkout(&app, &attacker, "site1").await;
    let token = token_from(&attacker, &own).await;

    for step in ["", "/details", "/review", "/payment", "/success", "/login"] {
        let (status, html) = page(&attacker, &format!("{checkout}{step}")).await;
        assert_sent_back_to_the_store(&app, status, &html, &format!("GET {step}"));
    }
    for (step, form) in [
        ("/guest", Vec::new()),
        ("/details", guest_details()),
        ("/place-order", vec![("expected_total", "0".to_owned())]),
        ("/review", vec![("expected_total", "0".to_owned())]),
        ("/login", Vec::new()),
    ] {
        let response =
            post_with_token(&attacker, &format!("{checkout}{step}"), &token, &form).await;
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_sent_back_to_the_store(&app, status, &html, &format!("POST {step}"));
    }
    assert_eq!(
        sessions_for_basket(&app, &basket).await,
        1,
        "the shopper's only"
    );
    assert_eq!(orders_for_basket(&app, basket_of(&checkout)).await, 0);

    // The shopper orders; the attacker still sees nothing of it.
    let landed = guest_checkout(&shopper, &checkout, "offline:cash_on_delivery").await;
    assert_eq!(landed, format!("{checkout}/success"));
    let (_, confirmation) = page(&shopper, &landed).await;
    let number = order_number(&confirmation);
    let (status, html) = page(&attacker, &landed).await;
    assert_sent_back_to_the_store(&app, status, &html, "GET /success after the order");
    assert!(!html.contains(&number), "no order number for the attacker");
}

async fn a_ticket_is_single_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    shopper.fill_basket(&app, "site1").await;
    let ticket_url = shopper.checkout_ticket_url(&app, "site1").await.unwrap();
    let first = Browser::new();
    assert_redirect(&first.get(&ticket_url).await);
    // The browser that redeemed it may come back to it (a reload): its session lets it in.
    let again = first.get(&ticket_url).await;
    assert_redirect(&again);
    assert_eq!(
        location(&again),
        ticket_url
            .split('?')
            .next()
            .unwrap()
            .replace(&app.checkout_url(""), "")
    );

    let second = Browser::new();
    let (status, html) = page(&second, &ticket_url).await;
    assert_sent_back_to_the_store(&app, status, &html, "second redemption");
    let clean = ticket_url.split('?').next().unwrap();
    let (status, html) = page(&second, clean).await;
    assert_sent_back_to_the_store(&app, status, &html, "no session from a used ticket");
}

async fn an_expired_ticket_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    shopper.fill_basket(&app, "site1").await;
    let ticket_url = shopper.checkout_ticket_url(&app, "site1").await.unwrap();
    let ticket = query_param(&ticket_url, "ticket").unwrap();
    // Its minute is over.
    sqlx::query("UPDATE checkout_tickets SET expires_at = expires_at - 61 WHERE ticket_hash = $1")
        .bind(shared_checkout::secrets::SecretHash::of(&ticket))
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let late = Browser::new();
    let (status, html) = page(&late, &ticket_url).await;
    assert_sent_back_to_the_store(&app, status, &html, "expired ticket");
    assert_eq!(
        late.cookie(&app.checkout_url("/"), "checkout_session"),
        None
    );
}

async fn a_ticket_is_refused_for_another_basket_or_at_another_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    shopper.fill_basket(&app, "site1").await;
    let other_basket = empty_basket(&app, "site1").await;
    let site2_basket = empty_basket(&app, "site2").await;

    let ticket_url = shopper.checkout_ticket_url(&app, "site1").await.unwrap();
    let ticket = query_param(&ticket_url, "ticket").unwrap();
    let elsewhere = Browser::new();
    let (status, html) = page(
        &elsewhere,
        &app.checkout_url(&format!("/site1/{other_basket}?ticket={ticket}")),
    )
    .await;
    assert_sent_back_to_the_store(&app, status, &html, "another basket");
    // That attempt used the ticket up: the right basket refuses it too.
    let (status, _) = page(&elsewhere, &ticket_url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let ticket_url = shopper.checkout_ticket_url(&app, "site1").await.unwrap();
    let ticket = query_param(&ticket_url, "ticket").unwrap();
    let response = elsewhere
        .get(&app.checkout_url(&format!("/site2/{site2_basket}?ticket={ticket}")))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "another store");
    let (status, _) = page(
        &elsewhere,
        &app.checkout_url(&format!("/site2/{site2_basket}")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no session at site2 either");
}

async fn a_customers_basket_is_handed_off_only_from_that_customers_session(backend: Backend) {
    let app = spawn_app(backend).await;
    ensure_alice(&app).await;
    let alice = Browser::new();
    assert_redirect(
        &alice
            .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
            .await,
    );
    let basket = alice.fill_basket(&app, "site1").await;
    let owner = shared_checkout::db::baskets::find(
        &app.state.db,
        &StoreId::parse("site1").unwrap(),
        shared_checkout::domain::BasketId::parse(&basket).unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .customer_id;
    assert!(owner.is_some(), "alice's basket is hers");

    // Bob, logged in, and a guest both plant alice's basket cookie and press Checkout.
    let bob = Browser::new();
    bob.register(&app, "site1", "bob@example.org", "another long password")
        .await;
    let guest = Browser::new();
    let site1 = url::Url::parse(&app.store_url("site1", "/")).unwrap();
    for (who, browser) in [("bob", &bob), ("a guest", &guest)] {
        browser
            .jar
            .add_cookie_str(&format!("basket={basket}; Path=/"), &site1);
        let handed = browser.checkout_basket_id(&app, "site1").await;
        assert_ne!(handed.as_deref(), Some(basket.as_str()), "{who}");
        // Forging the POST without the button changes nothing either.
        let html = browser.page(&app.store_url("site1", "/")).await;
        let response = browser
            .post_form(
                &app.store_url("site1", "/basket/checkout"),
                &[("authenticity_token", &csrf_token(&html))],
            )
            .await;
        assert!(
            !location(&response).contains(&basket),
            "{who}: {}",
            location(&response)
        );
    }
    assert_eq!(sessions_for_basket(&app, &basket).await, 1, "alice's only");
}

async fn twenty_concurrent_redemptions_of_one_ticket_make_exactly_one_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let catalog = shopper.page(&app.store_url("site1", "/")).await;
    let product = hidden_input(&catalog, "product_id").unwrap();
    assert_redirect(
        &shopper
            .post_form(
                &app.store_url("site1", "/basket/add"),
                &[
                    ("product_id", &product),
                    ("quantity", "1"),
                    ("authenticity_token", &csrf_token(&catalog)),
                ],
            )
            .await,
    );
    let ticket_url = shopper.checkout_ticket_url(&app, "site1").await.unwrap();
    let basket = ticket_url
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let attempts = (0..20).map(|_| {
        let browser = Browser::new();
        let url = ticket_url.clone();
        tokio::spawn(async move { browser.get(&url).await.status() })
    });
    let statuses = futures::future::join_all(attempts).await;
    let won = statuses
        .iter()
        .filter(|s| *s.as_ref().unwrap() == StatusCode::SEE_OTHER)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| *s.as_ref().unwrap() == StatusCode::FORBIDDEN)
        .count();
    assert_eq!((won, refused), (1, 19), "{statuses:?}");
    assert_eq!(sessions_for_basket(&app, &basket).await, 1);
}

async fn on_https_the_session_cookie_is_host_prefixed_secure_and_for_the_whole_host(
    backend: Backend,
) {
    let app = spawn_app_with(backend, |s| {
        s.checkout.base_url = Some(url::Url::parse("https://checkout.localhost").unwrap());
    })
    .await;
    // The store's forms need the (now Secure) CSRF cookie back, which this plain-http test
    // client cannot send; the ticket is issued by the store's code directly instead.
    let basket = empty_basket(&app, "site1").await;
    let ticket = shared_checkout::db::checkout_tickets::issue(
        &app.state.db,
        &StoreId::parse("site1").unwrap(),
        basket,
        60,
    )
    .await
    .unwrap();
    let redeemed = Browser::new()
        .get(&app.checkout_url(&format!("/site1/{basket}?ticket={}", ticket.secret())))
        .await;
    assert_redirect(&redeemed);
    let set_cookie = redeemed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("checkout_session="))
        .expect("the handoff sets the session cookie")
        .to_owned();
    assert!(
        set_cookie.starts_with("__Host-checkout_session="),
        "{set_cookie}"
    );
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{attribute}: {set_cookie}");
    }
    assert!(!set_cookie.contains("Domain"), "{set_cookie}");
}

crate::on_both_backends!(
    on_https_the_session_cookie_is_host_prefixed_secure_and_for_the_whole_host,
    a_second_browser_that_knows_the_basket_id_gets_the_403_page_on_every_step,
    a_ticket_is_single_use,
    an_expired_ticket_is_refused,
    a_ticket_is_refused_for_another_basket_or_at_another_store,
    a_customers_basket_is_handed_off_only_from_that_customers_session,
    twenty_concurrent_redemptions_of_one_ticket_make_exactly_one_session,
);
