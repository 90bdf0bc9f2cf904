//! The whole journey over real HTTP, one cookie jar per browser (cookies kept per host):
//! a basket at site1, the checkout, a login through site1 or none, a payment, the order
//! on the right account and nowhere else.

use reqwest::StatusCode;

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, alice_profile, spawn_app};
use crate::common::browser::{Browser, assert_redirect, location};
use crate::common::checkout::{
    basket_of, confirm_review, decide_at_test_gateway, follow_payment, guest_checkout,
    guest_details, log_in_through_store, order_number, orders_for_basket, page, post_with_token,
    process_json, start_checkout, submit_details, token_from, with,
};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};

async fn alice_logs_in_through_site1_and_her_order_lands_on_her_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let alice = alice_profile(&app).await;

    let (landed, html) =
        log_in_through_store(&browser, &checkout, ALICE_EMAIL, ALICE_PASSWORD).await;
    assert_eq!(
        landed,
        format!("{checkout}/details"),
        "back on the clean checkout URL"
    );
    assert!(!landed.contains("code=") && !landed.contains("state="));
    // The form is filled in from her store profile.
    let address = alice.billing_address.clone().expect("alice has an address");
    assert_eq!(
        hidden_input(&html, "email").as_deref(),
        Some(ALICE_EMAIL),
        "email pre-filled"
    );
    assert_eq!(
        hidden_input(&html, "billing_street"),
        Some(address.street.clone())
    );
    assert_eq!(
        hidden_input(&html, "billing_city"),
        Some(address.city.clone())
    );
    assert_eq!(
        hidden_input(&html, "billing_postal_code"),
        Some(address.postal_code.clone())
    );
    assert!(html.contains("Signed in as"), "{html}");
    // The start page is skipped now that the session has an identity.
    let again = browser.get(&checkout).await;
    assert_redirect(&again);
    assert!(location(&again).ends_with("/details"));

    // Her details as filled in, offline payment.
    let form = vec![
        ("email", ALICE_EMAIL.to_owned()),
        ("billing_name", address.name.clone()),
        ("billing_street", address.street.clone()),
        ("billing_postal_code", address.postal_code.clone()),
        ("billing_city", address.city.clone()),
        ("billing_country", address.country.clone()),
        ("delivery_same", "yes".to_owned()),
        ("delivery_method", "express".to_owned()),
        ("payment", "offline:cash_on_delivery".to_owned()),
        ("privacy_policy", "accepted".to_owned()),
    ];
    let submitted = submit_details(&browser, &checkout, &form).await;
    assert_redirect(&submitted);
    let (status, review) = page(&browser, &format!("{checkout}/review")).await;
    assert_eq!(status, 200);
    assert!(review.contains("Express delivery"), "{review}");
    assert!(review.contains(&address.street), "{review}");
    let placed = confirm_review(&browser, &checkout).await;
    assert_redirect(&placed);
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/success"));
    let (status, success) = page(&browser, &next).await;
    assert_eq!(status, 200);
    let number = order_number(&success);
    assert!(
        success.contains(&app.store_url("site1", "/account")),
        "account link\n{success}"
    );

    // The order is hers at site1...
    let row: (Option<String>,) =
        sqlx::query_as("SELECT customer_id FROM orders WHERE basket_id = $1")
            .bind(basket.to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row.0, Some(alice.id.to_string()));
    let store_browser = Browser::new();
    let account =
        log_in_at_store_and_open_account(&app, &store_browser, "site1", ALICE_EMAIL).await;
    assert!(
        account.contains(&number),
        "order {number} on alice's site1 account\n{account}"
    );
    // ...and nowhere at site2, even for an account with the same email there.
    let site2 = Browser::new();
    site2
        .register(&app, "site2", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let (_, response) = site2.follow(&app.store_url("site2", "/account")).await;
    let account2 = response.text().await.unwrap();
    assert!(
        account2.contains(ALICE_EMAIL),
        "site2 account page\n{account2}"
    );
    assert!(!account2.contains(&number), "site2 shows site1's order");
}

async fn a_guest_buys_with_offline_payment_and_the_order_belongs_to_no_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let token = token_from(&browser, &checkout).await;
    assert_redirect(&post_with_token(&browser, &format!("{checkout}/guest"), &token, &[]).await);
    let next = guest_checkout(&browser, &checkout, "offline:cash_in_advance").await;
    assert_eq!(next, format!("{checkout}/success"));
    let (status, success) = page(&browser, &next).await;
    assert_eq!(status, 200);
    let number = order_number(&success);
    assert!(number.starts_with("SITE1-"), "{number}");
    assert!(success.contains("guest@example.org"), "{success}");
    assert!(success.contains("not linked to an account"), "{success}");
    assert!(
        !success.contains("/account\""),
        "no account link for a guest"
    );

    let row: (Option<String>, String) =
        sqlx::query_as("SELECT customer_id, payment_gateway FROM orders WHERE basket_id = $1")
            .bind(basket.to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row, (None, "offline".to_owned()));
    let account =
        log_in_at_store_and_open_account(&app, &Browser::new(), "site1", ALICE_EMAIL).await;
    assert!(
        !account.contains(&number),
        "a guest order on alice's account"
    );

    // Back button and reloads: the steps before lead to the confirmation, not a new order.
    for step in ["", "/details", "/review", "/payment"] {
        let response = browser.get(&format!("{checkout}{step}")).await;
        assert_redirect(&response);
        assert!(
            location(&response).ends_with("/success"),
            "{step}: {}",
            location(&response)
        );
    }
    let again = confirm_again(&browser, &checkout, &token).await;
    assert!(again.ends_with("/success"), "{again}");
    assert_eq!(orders_for_basket(&app, basket).await, 1);
    // Another browser with the link gets the page that sends it to the store's basket:
    // neither the order number nor the shopper's details.
    let (status, other) = page(&Browser::new(), &format!("{checkout}/success")).await;
    assert_eq!(status, 403);
    assert!(
        !other.contains(&number) && !other.contains("guest@example.org"),
        "{other}"
    );
}

/// A second "Place order" from a stale review page (back button, another tab).
async fn confirm_again(browser: &Browser, checkout: &str, token: &str) -> String {
    let response = post_with_token(
        browser,
        &format!("{checkout}/place-order"),
        token,
        &[("expected_total", "0".to_owned())],
    )
    .await;
    assert_redirect(&response);
    location(&response)
}

async fn the_test_gateway_approves_and_the_order_is_placed(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let hosted = guest_checkout(&browser, &checkout, "testgateway:card").await;
    assert!(
        hosted.starts_with(&format!("{checkout}/testgateway/")),
        "{hosted}"
    );
    let decided = decide_at_test_gateway(&browser, &hosted, "approve").await;
    assert_redirect(&decided);
    assert_eq!(location(&decided), format!("{checkout}/payment"));
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/success"));
    let (_, success) = page(&browser, &next).await;
    let number = order_number(&success);
    let process = process_json(&app, basket, "site1").await;
    assert_eq!(process["state"], "success");
    assert_eq!(process["order_number"], number.as_str());
    assert_eq!(orders_for_basket(&app, basket).await, 1);
}

async fn a_declined_payment_goes_back_to_the_form_and_the_retry_gets_a_new_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let hosted = guest_checkout(&browser, &checkout, "testgateway:card").await;
    let first = process_json(&app, basket, "site1").await;
    let decided = decide_at_test_gateway(&browser, &hosted, "decline").await;
    assert_redirect(&decided);
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(
        next,
        format!("{checkout}/details"),
        "declined: back to the form"
    );
    let (status, details) = page(&browser, &next).await;
    assert_eq!(status, 200);
    assert!(
        details.contains("Your payment did not go through"),
        "{details}"
    );
    assert!(details.contains("declined"), "{details}");
    // What was typed is still there.
    assert!(details.contains("value=\"guest@example.org\""), "{details}");
    let failed = process_json(&app, basket, "site1").await;
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["failure"]["reason"], "payment_declined");
    assert_eq!(orders_for_basket(&app, basket).await, 0);

    // Try again: a new attempt, a new idempotency key, a new hosted page.
    let hosted_again = guest_checkout(&browser, &checkout, "testgateway:card").await;
    assert_ne!(hosted_again, hosted, "a new payment");
    let second = process_json(&app, basket, "site1").await;
    assert_ne!(second["idempotency_key"], first["idempotency_key"]);
    assert_eq!(second["attempt"], 2);
    assert_redirect(&decide_at_test_gateway(&browser, &hosted_again, "approve").await);
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/success"));
    assert_eq!(orders_for_basket(&app, basket).await, 1);
}

async fn an_abandoned_payment_reopens_the_basket_without_an_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let hosted = guest_checkout(&browser, &checkout, "testgateway:card").await;
    let abandoned = decide_at_test_gateway(&browser, &hosted, "abandon").await;
    assert_redirect(&abandoned);
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/details"));
    let (_, details) = page(&browser, &next).await;
    assert!(
        details.contains("Your payment did not go through"),
        "{details}"
    );
    let process = process_json(&app, basket, "site1").await;
    assert_eq!(process["failure"]["reason"], "payment_aborted");
    assert_eq!(orders_for_basket(&app, basket).await, 0);
    // The basket is open again at the store: it can be changed.
    let (_, basket_page) = page(&browser, &app.store_url("site1", "/basket")).await;
    assert!(!basket_page.contains("in progress"), "{basket_page}");
}

async fn fifty_concurrent_place_order_posts_make_exactly_one_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let submitted = submit_details(&browser, &checkout, &guest_details()).await;
    assert_redirect(&submitted);
    let (_, review) = page(&browser, &format!("{checkout}/review")).await;
    let token = csrf_token(&review);
    let total = hidden_input(&review, "expected_total").unwrap();
    let url = format!("{checkout}/place-order");
    let posts = (0..50).map(|_| {
        let browser = browser.clone();
        let (url, token, total) = (url.clone(), token.clone(), total.clone());
        async move {
            post_with_token(&browser, &url, &token, &[("expected_total", total)])
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(posts).await;
    for status in &statuses {
        assert_eq!(*status, StatusCode::SEE_OTHER, "{statuses:?}");
    }
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/success"));
    assert_eq!(orders_for_basket(&app, basket).await, 1);
    let processes: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM place_order_processes WHERE basket_id = $1")
            .bind(basket.to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(processes.0, 1);
}

async fn the_order_charges_the_total_the_review_showed_with_delivery(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let form = with(guest_details(), "delivery_method", "express");
    assert_redirect(&submit_details(&browser, &checkout, &form).await);
    let (_, review) = page(&browser, &format!("{checkout}/review")).await;
    let promised: i64 = hidden_input(&review, "expected_total")
        .and_then(|t| t.parse().ok())
        .expect("the review names its total");
    assert_redirect(&confirm_review(&browser, &checkout).await);
    assert_eq!(
        follow_payment(&browser, &checkout).await,
        format!("{checkout}/success")
    );
    let row: (i64, String) =
        sqlx::query_as("SELECT total_minor, delivery_method FROM orders WHERE basket_id = $1")
            .bind(basket.to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row.1, "express");
    assert_eq!(
        row.0, promised,
        "the order must charge the basket plus express delivery, as the review showed"
    );
}

/// Logs in at the store's own login page and returns the account page.
async fn log_in_at_store_and_open_account(
    app: &TestApp,
    browser: &Browser,
    store: &str,
    email: &str,
) -> String {
    let response = browser
        .storefront_login(app, store, email, ALICE_PASSWORD)
        .await;
    assert_redirect(&response);
    let (_, account) = browser.follow(&app.store_url(store, "/account")).await;
    assert_eq!(account.status(), 200);
    account.text().await.unwrap()
}

crate::on_both_backends!(
    alice_logs_in_through_site1_and_her_order_lands_on_her_account,
    a_guest_buys_with_offline_payment_and_the_order_belongs_to_no_account,
    the_test_gateway_approves_and_the_order_is_placed,
    a_declined_payment_goes_back_to_the_form_and_the_retry_gets_a_new_key,
    an_abandoned_payment_reopens_the_basket_without_an_order,
    fifty_concurrent_place_order_posts_make_exactly_one_order,
    the_order_charges_the_total_the_review_showed_with_delivery,
);
