//! Flamingo's checkout flags, per store: each test flips one at site1 and checks what
//! changes (the defaults are covered by the page and journey tests).

use shared_checkout::config::{CheckoutFlags, Settings};

use crate::common::app::{TestApp, spawn_app, spawn_app_with};
use crate::common::browser::{Browser, assert_redirect, location};
use crate::common::checkout::guest_body;
use crate::common::checkout::{
    api_key, basket_of, confirm_review, decide_at_test_gateway, empty_basket, follow_payment,
    guest_checkout, guest_details, orders_for_basket, page, start_checkout, submit_details, with,
    without,
};
use crate::common::database::Backend;

async fn site1_with(backend: Backend, flip: impl FnOnce(&mut CheckoutFlags)) -> TestApp {
    spawn_app_with(backend, |settings: &mut Settings| {
        let site1 = settings
            .stores
            .iter_mut()
            .find(|s| s.id.as_str() == "site1")
            .expect("site1 configured");
        flip(&mut site1.checkout);
    })
    .await
}

async fn skip_start_action_goes_straight_to_the_form(backend: Backend) {
    let app = site1_with(backend, |f| f.skip_start_action = true).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let response = browser.get(&checkout).await;
    assert_redirect(&response);
    assert!(location(&response).ends_with("/details"));
    let (status, html) = page(&browser, &format!("{checkout}/details")).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("Sign in<"),
        "no start step in the steps\n{html}"
    );
    // Without the flag (site2) the start page shows.
    let other = Browser::new();
    let site2 = start_checkout(&app, &other, "site2").await;
    assert_eq!(other.get(&site2).await.status(), 200);
}

async fn skip_review_action_places_the_order_from_the_form(backend: Backend) {
    let app = site1_with(backend, |f| f.skip_review_action = true).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, html) = page(&browser, &format!("{checkout}/details")).await;
    assert!(html.contains(">Place order<"), "{html}");
    assert!(!html.contains("Review<"), "no review step\n{html}");
    let review = browser.get(&format!("{checkout}/review")).await;
    assert_redirect(&review);
    assert!(location(&review).ends_with("/details"));
    let response = submit_details(&browser, &checkout, &guest_details()).await;
    assert_redirect(&response);
    assert!(
        location(&response).ends_with("/payment"),
        "{}",
        location(&response)
    );
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/success"));
    assert_eq!(orders_for_basket(&app, basket_of(&checkout)).await, 1);
}

async fn show_review_step_after_payment_error_returns_to_the_review(backend: Backend) {
    let app = site1_with(backend, |f| f.show_review_step_after_payment_error = true).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let hosted = guest_checkout(&browser, &checkout, "testgateway:card").await;
    assert_redirect(&decide_at_test_gateway(&browser, &hosted, "decline").await);
    let next = follow_payment(&browser, &checkout).await;
    assert_eq!(next, format!("{checkout}/review"));
    let (status, review) = page(&browser, &next).await;
    assert_eq!(status, 200);
    assert!(
        review.contains("Your payment did not go through"),
        "{review}"
    );
    // Placing it again from the review starts a new attempt.
    let placed = confirm_review(&browser, &checkout).await;
    assert_redirect(&placed);
    let hosted_again = follow_payment(&browser, &checkout).await;
    assert!(hosted_again.contains("/testgateway/") && hosted_again != hosted);
}

async fn show_empty_basket_page_if_no_items_shows_a_friendly_page(backend: Backend) {
    let app = site1_with(backend, |f| f.show_empty_basket_page_if_no_items = true).await;
    let browser = Browser::new();
    let site1 = empty_basket(&app, "site1").await;
    browser.hand_over(&app, "site1", site1).await;
    let (status, html) = page(&browser, &app.checkout_url(&format!("/site1/{site1}"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your basket is empty"), "{html}");
    assert!(html.contains(&app.store_url("site1", "/")), "{html}");
    // site2 keeps the default: a refusal page.
    let site2 = empty_basket(&app, "site2").await;
    browser.hand_over(&app, "site2", site2).await;
    let (status, _) = page(&browser, &app.checkout_url(&format!("/site2/{site2}"))).await;
    assert_eq!(status, 409);
}

async fn redirect_to_basket_on_invalid_basket_sends_the_shopper_to_the_store(backend: Backend) {
    let app = site1_with(backend, |f| f.redirect_to_basket_on_invalid_basket = true).await;
    let browser = Browser::new();
    let site2_shopper = Browser::new();
    let site2_checkout = start_checkout(&app, &site2_shopper, "site2").await;
    let site2_basket = basket_of(&site2_checkout);
    let random = uuid::Uuid::new_v4();
    for path in [
        format!("/site1/{random}"),
        "/site1/not-a-uuid".to_owned(),
        format!("/site1/{site2_basket}"),
        format!("/site1/{random}/details"),
    ] {
        let response = browser.get(&app.checkout_url(&path)).await;
        assert_redirect(&response);
        assert_eq!(
            location(&response),
            app.store_url("site1", "/basket"),
            "{path}"
        );
    }
    // An unknown store has no basket page to go to.
    let response = browser
        .get(&app.checkout_url(&format!("/nosuch/{random}")))
        .await;
    assert_eq!(response.status(), 404);
    // A basket already ordered, opened in another browser, goes to the basket page too.
    let buyer = Browser::new();
    let checkout = start_checkout(&app, &buyer, "site1").await;
    assert_eq!(
        guest_checkout(&buyer, &checkout, "offline:cash_on_delivery").await,
        format!("{checkout}/success")
    );
    let response = browser.get(&checkout).await;
    assert_redirect(&response);
    assert_eq!(location(&response), app.store_url("site1", "/basket"));
    // site2 keeps the default 404.
    let response = browser
        .get(&app.checkout_url(&format!("/site2/{random}")))
        .await;
    assert_eq!(response.status(), 404);
}

async fn without_delivery_forms_the_order_goes_to_the_billing_address(backend: Backend) {
    let app = site1_with(backend, |f| f.use_delivery_forms = false).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, html) = page(&browser, &format!("{checkout}/details")).await;
    assert!(!html.contains("name=\"delivery_street\""), "{html}");
    assert!(!html.contains("name=\"delivery_same\""), "{html}");
    // Delivery fields sent anyway (a stale or forged form) are ignored.
    let form = without(guest_details(), "delivery_same");
    let form = with(form, "delivery_street", "Elsewhere 1");
    let response = submit_details(&browser, &checkout, &form).await;
    assert_redirect(&response);
    let placed = confirm_review(&browser, &checkout).await;
    assert_redirect(&placed);
    follow_payment(&browser, &checkout).await;
    let row: (Option<String>,) =
        sqlx::query_as("SELECT delivery_address FROM orders WHERE basket_id = $1")
            .bind(basket_of(&checkout).to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(row.0, None, "delivered to the billing address");
}

async fn with_delivery_forms_a_separate_address_is_asked_and_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let form = without(guest_details(), "delivery_same");
    let response = submit_details(&browser, &checkout, &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"delivery_street-error\""), "{html}");
    let form = with(form, "delivery_name", "Dora Delivery");
    let form = with(form, "delivery_street", "9 Dock Street");
    let form = with(form, "delivery_postal_code", "20457");
    let form = with(form, "delivery_city", "Hamburg");
    let form = with(form, "delivery_country", "DE");
    assert_redirect(&submit_details(&browser, &checkout, &form).await);
    let (_, review) = page(&browser, &format!("{checkout}/review")).await;
    assert!(review.contains("9 Dock Street"), "{review}");
    assert_redirect(&confirm_review(&browser, &checkout).await);
    follow_payment(&browser, &checkout).await;
    let row: (Option<String>,) =
        sqlx::query_as("SELECT delivery_address FROM orders WHERE basket_id = $1")
            .bind(basket_of(&checkout).to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(row.0.unwrap_or_default().contains("Dock Street"));
}

async fn the_personal_data_form_asks_for_a_phone_number(backend: Backend) {
    let app = site1_with(backend, |f| f.use_personal_data_form = true).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, html) = page(&browser, &format!("{checkout}/details")).await;
    assert!(html.contains("name=\"phone\""), "{html}");
    let response = submit_details(
        &browser,
        &checkout,
        &with(guest_details(), "phone", "call me maybe"),
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"phone-error\"")
    );
    let response = submit_details(
        &browser,
        &checkout,
        &with(guest_details(), "phone", "+49 89 765432"),
    )
    .await;
    assert_redirect(&response);
    let (_, review) = page(&browser, &format!("{checkout}/review")).await;
    assert!(review.contains("+49 89 765432"), "{review}");
    assert_redirect(&confirm_review(&browser, &checkout).await);
    follow_payment(&browser, &checkout).await;
    let (phone,): (Option<String>,) =
        sqlx::query_as("SELECT phone FROM orders WHERE basket_id = $1")
            .bind(basket_of(&checkout).to_string())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        phone.as_deref(),
        Some("+49 89 765432"),
        "the order keeps the phone"
    );
}

async fn the_privacy_policy_can_be_optional(backend: Backend) {
    let app = site1_with(backend, |f| f.privacy_policy_required = false).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, html) = page(&browser, &format!("{checkout}/details")).await;
    assert!(!html.contains("name=\"privacy_policy\""), "{html}");
    let response = submit_details(
        &browser,
        &checkout,
        &without(guest_details(), "privacy_policy"),
    )
    .await;
    assert_redirect(&response);
    // Required by default (site2).
    let other = Browser::new();
    let site2 = start_checkout(&app, &other, "site2").await;
    let response =
        submit_details(&other, &site2, &without(guest_details(), "privacy_policy")).await;
    assert_eq!(response.status(), 422);
}

async fn offline_payment_can_be_switched_off(backend: Backend) {
    let app = site1_with(backend, |f| f.enable_offline_payment = false).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, html) = page(&browser, &format!("{checkout}/details")).await;
    assert!(!html.contains("value=\"offline:"), "{html}");
    assert!(html.contains("value=\"testgateway:card\""), "{html}");
    let response = submit_details(&browser, &checkout, &guest_details()).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"payment-error\"")
    );
    // The JSON API refuses it the same way.
    let api = app.checkout_url(&format!(
        "/api/v1/site1/{}/place-order",
        basket_of(&checkout)
    ));
    let key = api_key(&app, "site1").await;
    let response = Browser::new()
        .client
        .post(&api)
        .bearer_auth(&key)
        .json(&guest_body("offline", "cash_on_delivery"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["fields"]["payment"].is_string(), "{body}");
}

crate::on_both_backends!(
    skip_start_action_goes_straight_to_the_form,
    skip_review_action_places_the_order_from_the_form,
    show_review_step_after_payment_error_returns_to_the_review,
    show_empty_basket_page_if_no_items_shows_a_friendly_page,
    redirect_to_basket_on_invalid_basket_sends_the_shopper_to_the_store,
    without_delivery_forms_the_order_goes_to_the_billing_address,
    with_delivery_forms_a_separate_address_is_asked_and_kept,
    the_personal_data_form_asks_for_a_phone_number,
    the_privacy_policy_can_be_optional,
    offline_payment_can_be_switched_off,
);
