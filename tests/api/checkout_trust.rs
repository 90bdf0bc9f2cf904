//! Who may place, see and pay an order: the browser that reviewed it or the storefront key
//! that started it, never whoever knows the basket id. Each test performs the attack.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared_checkout::db;
use shared_checkout::domain::{BasketId, Money, StoreId};
use shared_checkout::payment::{FlowStatus, IdempotencyKey};
use shared_checkout::placeorder::{PaymentSelection, PlaceOrderRequest, Starter};

use crate::common::app::{TestApp, spawn_app};
use crate::common::browser::{Browser, assert_redirect, header, location};
use crate::common::checkout::{
    api_call, api_key, api_url, basket_of, decide_at_test_gateway, follow_payment, guest_body,
    guest_details, order_number, orders_for_basket, page, post_with_token, process_json,
    start_checkout, submit_details, token_from, with,
};
use crate::common::database::Backend;
use crate::common::deployment::spawn_app_like_serve;
use crate::common::html::{csrf_token, hidden_input};

/// A shopper's browser on the review page of a filled site1 basket, paying by `payment`.
struct Reviewed {
    checkout: String,
    basket: BasketId,
    token: String,
    total: String,
}

async fn review(app: &TestApp, shopper: &Browser, payment: &str) -> Reviewed {
    let checkout = start_checkout(app, shopper, "site1").await;
    let submitted = submit_details(
        shopper,
        &checkout,
        &with(guest_details(), "payment", payment),
    )
    .await;
    assert_redirect(&submitted);
    let (status, html) = page(shopper, &format!("{checkout}/review")).await;
    assert_eq!(status, 200, "{html}");
    Reviewed {
        basket: basket_of(&checkout),
        token: csrf_token(&html),
        total: hidden_input(&html, "expected_total").expect("the review names its total"),
        checkout,
    }
}

/// "Place order" on the review page this browser saw.
async fn place(shopper: &Browser, reviewed: &Reviewed) -> reqwest::Response {
    post_with_token(
        shopper,
        &format!("{}/place-order", reviewed.checkout),
        &reviewed.token,
        &[("expected_total", reviewed.total.clone())],
    )
    .await
}

/// The attacker's details: his own email and address, express delivery.
fn attacker_body() -> Value {
    let mut body = guest_body("testgateway", "card");
    body["email"] = json!("mallory@evil.example");
    body["billing"]["name"] = json!("Mallory");
    body["billing"]["street"] = json!("1 Drop Street");
    body["delivery_method"] = json!("express");
    body
}

/// Another browser the store also handed the basket to (a second device of the account,
/// a copied basket cookie) walks the checkout to the review page with other details.
async fn attacker_reviews(app: &TestApp, checkout: &str) -> (Browser, Reviewed) {
    let attacker = Browser::new();
    attacker.hand_over(app, "site1", basket_of(checkout)).await;
    let form = with(
        with(guest_details(), "email", "mallory@evil.example"),
        "delivery_method",
        "express",
    );
    let submitted = submit_details(
        &attacker,
        checkout,
        &with(form, "payment", "testgateway:card"),
    )
    .await;
    assert_redirect(&submitted);
    let (status, html) = page(&attacker, &format!("{checkout}/review")).await;
    assert_eq!(status, 200, "{html}");
    let reviewed = Reviewed {
        basket: basket_of(checkout),
        token: csrf_token(&html),
        total: hidden_input(&html, "expected_total").unwrap(),
        checkout: checkout.to_owned(),
    };
    (attacker, reviewed)
}

async fn an_attackers_earlier_api_start_gets_the_shopper_a_409_page_not_his_order(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let reviewed = review(&app, &shopper, "testgateway:card").await;
    let key = api_key(&app, "site1").await;
    let (status, attack) = api_call(
        Method::POST,
        &api_url(&app, "site1", reviewed.basket, ""),
        Some(&key),
        Some(&attacker_body()),
    )
    .await;
    assert_eq!(status, 200, "{attack}");
    assert_eq!(attack["state"], "wait_for_customer");

    let placed = place(&shopper, &reviewed).await;
    let status = placed.status();
    let html = placed.text().await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(
        html.contains("already being placed with other details"),
        "{html}"
    );
    assert!(html.contains("/basket"), "a next step: {html}");
    // Nor does the payment step hand the shopper the attacker's payment page.
    let (status, html) = page(&shopper, &format!("{}/payment", reviewed.checkout)).await;
    assert!(!status.is_redirection(), "{status}");
    assert!(!html.contains("testgateway/"), "{html}");
    assert!(!html.contains("mallory"), "{html}");
    assert_eq!(orders_for_basket(&app, reviewed.basket).await, 0);
}

async fn an_attackers_earlier_page_start_gets_the_storefront_a_409(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&app, &shopper, "site1").await;
    let (attacker, attackers) = attacker_reviews(&app, &checkout).await;
    let placed = place(&attacker, &attackers).await;
    assert_redirect(&placed);

    // The shopper's headless storefront places the order it showed: refused.
    let key = api_key(&app, "site1").await;
    let (status, body) = api_call(
        Method::POST,
        &api_url(&app, "site1", attackers.basket, ""),
        Some(&key),
        Some(&guest_body("testgateway", "card")),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "conflict", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(body.get("action").is_none(), "{body}");
}

async fn a_start_with_other_details_after_the_shoppers_is_409_on_the_api_and_the_pages(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let reviewed = review(&app, &shopper, "testgateway:card").await;
    // The attacker's browser reaches review before the shopper places the order.
    let (attacker, attackers) = attacker_reviews(&app, &reviewed.checkout).await;
    let placed = place(&shopper, &reviewed).await;
    assert_redirect(&placed);
    let hosted = follow_payment(&shopper, &reviewed.checkout).await;
    assert!(hosted.contains("/testgateway/"), "{hosted}");

    let key = api_key(&app, "site1").await;
    let (status, body) = api_call(
        Method::POST,
        &api_url(&app, "site1", reviewed.basket, ""),
        Some(&key),
        Some(&attacker_body()),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "conflict");
    let response = place(&attacker, &attackers).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // The shopper's attempt is untouched: same payment page, the shopper's details.
    assert_eq!(follow_payment(&shopper, &reviewed.checkout).await, hosted);
    let process = process_json(&app, reviewed.basket, "site1").await;
    assert_eq!(process["attempt"], 1, "{process}");
    let request: PlaceOrderRequest = sqlx::query_as::<_, (String,)>(
        "SELECT request FROM place_order_processes WHERE basket_id = $1",
    )
    .bind(reviewed.basket.to_string())
    .fetch_one(&app.state.db.pool)
    .await
    .map(|(json,)| serde_json::from_str(&json).unwrap())
    .unwrap();
    assert_eq!(request.email.as_str(), "guest@example.org");
    assert_eq!(request.delivery_method, "standard");
}

async fn the_same_request_twice_follows_one_process(backend: Backend) {
    let app = spawn_app(backend).await;
    // A double click on "Place order".
    let shopper = Browser::new();
    let reviewed = review(&app, &shopper, "testgateway:card").await;
    let first = place(&shopper, &reviewed).await;
    let second = place(&shopper, &reviewed).await;
    assert_redirect(&first);
    assert_redirect(&second);
    assert_eq!(location(&first), location(&second));
    let process = process_json(&app, reviewed.basket, "site1").await;
    assert_eq!(process["attempt"], 1);

    // The same body twice with the same key.
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let key = api_key(&app, "site1").await;
    let url = api_url(&app, "site1", basket, "");
    let body = guest_body("testgateway", "card");
    let (status, one) = api_call(Method::POST, &url, Some(&key), Some(&body)).await;
    assert_eq!(status, 200, "{one}");
    let (status, two) = api_call(Method::POST, &url, Some(&key), Some(&body)).await;
    assert_eq!(status, 200, "{two}");
    assert_eq!(one["process_id"], two["process_id"]);
    assert_eq!(one["payment_id"], two["payment_id"]);
    // The same key with other details is another request: refused, like a reused
    // idempotency key.
    let mut other = body.clone();
    other["delivery_method"] = json!("express");
    let (status, three) = api_call(Method::POST, &url, Some(&key), Some(&other)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{three}");
}

async fn another_browser_cannot_see_the_order_or_decide_its_payment(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let reviewed = review(&app, &shopper, "testgateway:card").await;
    // A second browser the basket was handed to as well (the account's other device, a
    // copied basket cookie): it has a checkout session of its own for the basket.
    let other = Browser::new();
    other.hand_over(&app, "site1", reviewed.basket).await;
    let token = token_from(&other, &format!("{}/details", reviewed.checkout)).await;
    assert_redirect(&place(&shopper, &reviewed).await);
    let hosted = follow_payment(&shopper, &reviewed.checkout).await;
    let process = process_json(&app, reviewed.basket, "site1").await;
    let payment = process["payment_id"].as_str().unwrap().to_owned();

    let (status, html) = page(&other, &hosted).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let total: i64 = reviewed.total.parse().unwrap();
    let amount = format!("{}.{:02}", total / 100, total % 100);
    assert!(!html.contains(&amount), "{html}");
    let approved = other
        .post_form(
            &hosted,
            &[
                ("decision", "approve"),
                ("authenticity_token", token.as_str()),
            ],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::FORBIDDEN);
    let store = StoreId::parse("site1").unwrap();
    let stored = db::payments::find(
        &app.state.db,
        &store,
        shared_checkout::payment::PaymentId::parse(&payment).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(stored.status, FlowStatus::Unapproved);
    let (status, html) = page(&other, &format!("{}/payment", reviewed.checkout)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(!html.contains(&payment), "{html}");

    // The shopper pays; the confirmation is the shopper's alone.
    assert_redirect(&decide_at_test_gateway(&shopper, &hosted, "approve").await);
    let next = follow_payment(&shopper, &reviewed.checkout).await;
    let (status, mine) = page(&shopper, &next).await;
    assert_eq!(status, 200);
    let number = order_number(&mine);
    let (status, html) = page(&other, &format!("{}/success", reviewed.checkout)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    for secret in [
        number.as_str(),
        "guest@example.org",
        "Meadow Lane",
        "Gus Guest",
    ] {
        assert!(!html.contains(secret), "{secret} shown: {html}");
    }
}

async fn another_api_key_cannot_read_run_or_cancel_the_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let owner = api_key(&app, "site1").await;
    let stranger = api_key(&app, "site1").await;
    let (status, view) = api_call(
        Method::POST,
        &api_url(&app, "site1", basket, ""),
        Some(&owner),
        Some(&guest_body("testgateway", "card")),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    for (method, rest) in [
        (Method::GET, ""),
        (Method::POST, "/refresh"),
        (Method::POST, "/cancel"),
    ] {
        let (status, body) = api_call(
            method.clone(),
            &api_url(&app, "site1", basket, rest),
            Some(&stranger),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {rest}: {body}");
        assert_eq!(body["error"], "forbidden");
        assert!(body.get("payment_id").is_none() && body.get("action").is_none());
    }
    let (status, mine) = api_call(
        Method::GET,
        &api_url(&app, "site1", basket, ""),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(mine["state"], "wait_for_customer", "not cancelled: {mine}");
}

async fn api_calls_without_a_key_or_with_another_stores_key_are_401(backend: Backend) {
    let app = spawn_app(backend).await;
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let site2_key = api_key(&app, "site2").await;
    let revoked = db::api_keys::create(
        &app.state.db,
        &StoreId::parse("site1").unwrap(),
        "old storefront",
    )
    .await
    .unwrap();
    assert!(
        db::api_keys::revoke(
            &app.state.db,
            &StoreId::parse("site1").unwrap(),
            &revoked.id
        )
        .await
        .unwrap()
    );
    let body = guest_body("offline", "cash_on_delivery");
    let client = Browser::new().client;
    for (method, rest) in [
        (Method::POST, ""),
        (Method::GET, ""),
        (Method::POST, "/refresh"),
        (Method::POST, "/cancel"),
    ] {
        let url = api_url(&app, "site1", basket, rest);
        for (case, authorization) in [
            ("no key", None),
            ("site2's key", Some(format!("Bearer {site2_key}"))),
            ("a revoked key", Some(format!("Bearer {}", revoked.key))),
            ("a made-up key", Some("Bearer sc_not-a-key".to_owned())),
            ("basic auth", Some("Basic dXNlcjpwYXNz".to_owned())),
        ] {
            let mut request = client.request(method.clone(), &url).json(&body);
            if let Some(authorization) = &authorization {
                request = request.header("authorization", authorization);
            }
            let response = request.send().await.unwrap();
            let case = format!("{method} {rest} with {case}");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
            let challenge = header(response.headers(), "www-authenticate")
                .unwrap_or_default()
                .to_owned();
            assert!(challenge.starts_with("Bearer"), "{case}: {challenge}");
            let json: Value = response.json().await.unwrap();
            assert_eq!(json["error"], "unauthorized", "{case}: {json}");
            assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    assert_eq!(orders_for_basket(&app, basket).await, 0);
}

/// A payment of the test gateway stored for `basket`, as if an attempt had started it.
async fn stored_test_payment(app: &TestApp, basket: BasketId) -> String {
    let store = StoreId::parse("site1").unwrap();
    let request = PlaceOrderRequest {
        starter: Starter::ApiKey {
            key_id: "storefront".into(),
        },
        customer: None,
        email: shared_checkout::domain::Email::parse("shopper@example.org").unwrap(),
        billing: shared_checkout::domain::Address {
            name: "Shopper".into(),
            street: "1 Road".into(),
            postal_code: "10115".into(),
            city: "Berlin".into(),
            country: "DE".into(),
        },
        phone: None,
        delivery: None,
        delivery_method: "standard".into(),
        payment: PaymentSelection {
            gateway: "testgateway".into(),
            method: "card".into(),
        },
        return_url: app.checkout_url(&format!("/site1/{basket}/payment")),
    };
    let key = IdempotencyKey::generate();
    let new = db::placeorder::NewProcess {
        basket,
        request: &request,
        fingerprint: "fp",
        key: &key,
    };
    let (_, process) = db::placeorder::create_if_absent(
        &app.state.db.pool,
        &store,
        &new,
        "test",
        std::time::Duration::from_secs(30),
    )
    .await
    .unwrap()
    .expect("the basket has no process yet");
    let payment = db::payments::start_once(
        &mut app.state.db.pool.acquire().await.unwrap(),
        &store,
        &db::payments::NewPayment {
            id: shared_checkout::domain::PaymentId::new_random(),
            basket_id: basket,
            process_id: process.id,
            gateway: "testgateway",
            method: "card",
            idempotency_key: &key,
            amount: Money::new(
                2990,
                shared_checkout::domain::Currency::parse("EUR").unwrap(),
            ),
            status: FlowStatus::Unapproved,
            return_url: &request.return_url,
        },
    )
    .await
    .unwrap();
    app.checkout_url(&format!("/site1/{basket}/testgateway/{}", payment.id))
}

async fn the_test_payment_page_exists_only_where_configured(backend: Backend) {
    // What `serve --config shared-checkout.example.toml` runs.
    let app = spawn_app_like_serve(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&app, &shopper, "site1").await;
    let basket = basket_of(&checkout);
    let token = token_from(&shopper, &checkout).await;
    assert_redirect(&post_with_token(&shopper, &format!("{checkout}/guest"), &token, &[]).await);
    let (status, form) = page(&shopper, &format!("{checkout}/details")).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("cash_on_delivery"), "{form}");
    assert!(!form.contains("testgateway"), "{form}");
    assert!(!form.contains("test payment page"), "{form}");
    let key = api_key(&app, "site1").await;
    let (status, body) = api_call(
        Method::POST,
        &api_url(&app, "site1", basket, ""),
        Some(&key),
        Some(&guest_body("testgateway", "card")),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["payment"].is_string(), "{body}");
    // Even a stored test payment has no page to approve it on.
    let hosted = stored_test_payment(&app, basket).await;
    let (status, _) = page(&shopper, &hosted).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The demo offers it, and the same stored payment has its page there.
    let demo = spawn_app(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&demo, &shopper, "site1").await;
    let token = token_from(&shopper, &checkout).await;
    assert_redirect(&post_with_token(&shopper, &format!("{checkout}/guest"), &token, &[]).await);
    let (_, form) = page(&shopper, &format!("{checkout}/details")).await;
    assert!(form.contains("Card (test payment page)"), "{form}");
    let hosted = stored_test_payment(&demo, basket_of(&checkout)).await;
    let (status, html) = page(&shopper, &hosted).await;
    assert_eq!(status, 200, "{html}");
}

crate::on_both_backends!(
    an_attackers_earlier_api_start_gets_the_shopper_a_409_page_not_his_order,
    an_attackers_earlier_page_start_gets_the_storefront_a_409,
    a_start_with_other_details_after_the_shoppers_is_409_on_the_api_and_the_pages,
    the_same_request_twice_follows_one_process,
    another_browser_cannot_see_the_order_or_decide_its_payment,
    another_api_key_cannot_read_run_or_cancel_the_order,
    api_calls_without_a_key_or_with_another_stores_key_are_401,
    the_test_payment_page_exists_only_where_configured,
);
