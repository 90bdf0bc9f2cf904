//! The JSON API for headless storefronts and its OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, absolute, assert_redirect, header, location};
use crate::common::checkout::{
    api_call, api_key, api_url, basket_of, decide_at_test_gateway, empty_basket, guest_body,
    orders_for_basket, page, start_checkout,
};
use crate::common::database::Backend;

async fn post_json(url: &str, key: &str, body: &Value) -> (StatusCode, Value) {
    api_call(Method::POST, url, Some(key), Some(body)).await
}

async fn post_empty(url: &str, key: &str) -> (StatusCode, Value) {
    api_call(Method::POST, url, Some(key), None).await
}

async fn get_json(url: &str, key: &str) -> (StatusCode, Value) {
    api_call(Method::GET, url, Some(key), None).await
}

async fn the_api_places_an_offline_order_once_however_often_it_is_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let url = api_url(&app, "site1", basket, "");
    let key = api_key(&app, "site1").await;
    let body = guest_body("offline", "cash_on_delivery");
    let (status, view) = post_json(&url, &key, &body).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "success", "{view}");
    assert_eq!(view["basket_id"], basket.to_string());
    let number = view["order_number"]
        .as_str()
        .expect("an order number")
        .to_owned();
    let (status, again) = post_json(&url, &key, &body).await;
    assert_eq!(status, 200);
    assert_eq!(again["process_id"], view["process_id"]);
    assert_eq!(again["order_number"], number.as_str());
    // Another payment method is another request, not a retry of this one.
    let (status, other) = post_json(&url, &key, &guest_body("offline", "cash_in_advance")).await;
    assert_eq!(status, 409, "{other}");
    assert_eq!(other["error"], "conflict");
    let (status, current) = get_json(&url, &key).await;
    assert_eq!(status, 200);
    assert_eq!(current["order_number"], number.as_str());
    assert_eq!(orders_for_basket(&app, basket).await, 1);
}

async fn the_api_hands_out_the_hosted_page_and_can_cancel(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&app, &shopper, "site1").await;
    let basket = basket_of(&checkout);
    let url = api_url(&app, "site1", basket, "");
    let key = api_key(&app, "site1").await;
    let (status, view) = post_json(&url, &key, &guest_body("testgateway", "card")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["state"], "wait_for_customer", "{view}");
    assert_eq!(view["action"]["type"], "redirect");
    let hosted = view["action"]["url"].as_str().unwrap().to_owned();
    assert!(
        hosted.starts_with(&format!("{checkout}/testgateway/")),
        "{hosted}"
    );
    let (status, cancelled) = post_empty(&api_url(&app, "site1", basket, "/cancel"), &key).await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["state"], "failed", "{cancelled}");
    assert_eq!(cancelled["failure"]["reason"], "cancelled");
    assert_eq!(orders_for_basket(&app, basket).await, 0);
    // The basket is open again: the store lets the shopper change it.
    let (_, basket_page) = page(&shopper, &app.store_url("site1", "/basket")).await;
    assert!(basket_page.contains("/basket/update"), "{basket_page}");
}

async fn the_api_refresh_places_the_order_after_the_payment_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let checkout = start_checkout(&app, &shopper, "site1").await;
    let basket = basket_of(&checkout);
    let key = api_key(&app, "site1").await;
    let (_, view) = post_json(
        &api_url(&app, "site1", basket, ""),
        &key,
        &guest_body("testgateway", "card"),
    )
    .await;
    let hosted = view["action"]["url"].as_str().unwrap().to_owned();
    let decided = decide_at_test_gateway(&shopper, &hosted, "approve").await;
    assert_redirect(&decided);
    // The shopper lands on the checkout's payment step, without a checkout session: it
    // sends them back to the store, which follows the order through the API.
    let back = absolute(&hosted, &location(&decided));
    let (status, html) = page(&shopper, &back).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Harbour Goods"), "{html}");
    let (status, refreshed) = post_empty(&api_url(&app, "site1", basket, "/refresh"), &key).await;
    assert_eq!(status, 200);
    assert_eq!(refreshed["state"], "success", "{refreshed}");
    assert_eq!(orders_for_basket(&app, basket).await, 1);
    // The checkout's confirmation page is for the browser that ordered, not this one.
    let (status, html) = page(&shopper, &format!("{checkout}/success")).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        !html.contains(refreshed["order_number"].as_str().unwrap()),
        "{html}"
    );
}

async fn api_errors_are_json_with_a_code_a_message_and_a_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let empty = empty_basket(&app, "site1").await;
    let random = uuid::Uuid::new_v4();
    let good = guest_body("offline", "cash_on_delivery");
    let mut missing_email = good.clone();
    missing_email["email"] = json!("");
    let mut unknown_field = good.clone();
    unknown_field["total_minor"] = json!(1);
    let mut oversized = good.clone();
    oversized["billing"]["city"] = json!("x".repeat(5000));
    let mut bad_delivery = good.clone();
    bad_delivery["delivery_method"] = json!("drone");
    let key = api_key(&app, "site1").await;
    let site2_key = api_key(&app, "site2").await;
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        (
            // A key belongs to one store: elsewhere it is no key at all.
            "unknown store",
            api_url(&app, "nosuch", basket, ""),
            Some(good.clone()),
            401,
            "unauthorized",
        ),
        (
            "unknown basket",
            api_url(&app, "site1", random, ""),
            Some(good.clone()),
            404,
            "not_found",
        ),
        (
            "malformed basket",
            api_url(&app, "site1", "nope", ""),
            Some(good.clone()),
            404,
            "not_found",
        ),
        (
            "cross-store basket",
            api_url(&app, "site2", basket, ""),
            Some(good.clone()),
            404,
            "not_found",
        ),
        (
            "empty basket",
            api_url(&app, "site1", empty, ""),
            Some(good.clone()),
            409,
            "basket_empty",
        ),
        (
            "missing email",
            api_url(&app, "site1", basket, ""),
            Some(missing_email),
            422,
            "invalid_details",
        ),
        (
            "oversized city",
            api_url(&app, "site1", basket, ""),
            Some(oversized),
            422,
            "invalid_details",
        ),
        (
            "unknown delivery",
            api_url(&app, "site1", basket, ""),
            Some(bad_delivery),
            422,
            "invalid_details",
        ),
        (
            "unknown field",
            api_url(&app, "site1", basket, ""),
            Some(unknown_field),
            400,
            "invalid_json",
        ),
        (
            "not JSON",
            api_url(&app, "site1", basket, ""),
            None,
            400,
            "invalid_json",
        ),
        (
            "status without process",
            api_url(&app, "site1", basket, ""),
            Some(Value::Null),
            404,
            "not_found",
        ),
        (
            "refresh without process",
            api_url(&app, "site1", basket, "/refresh"),
            Some(Value::Null),
            404,
            "not_found",
        ),
        (
            "cancel without process",
            api_url(&app, "site1", basket, "/cancel"),
            Some(Value::Null),
            404,
            "not_found",
        ),
        (
            "unknown endpoint",
            app.checkout_url("/api/v2/whatever"),
            Some(Value::Null),
            404,
            "not_found",
        ),
    ];
    let client = Browser::new().client;
    for (case, url, body, status, code) in cases {
        let key = if case == "cross-store basket" {
            &site2_key
        } else {
            &key
        };
        let request = match body {
            Some(Value::Null)
                if case.starts_with("status") || case.starts_with("unknown endpoint") =>
            {
                client.get(&url)
            }
            Some(Value::Null) => client.post(&url),
            Some(body) => client.post(&url).json(&body),
            None => client
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"email\":"),
        };
        let response = request.bearer_auth(key).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{case}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(body["error"], code, "{case}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{case}: {body}"
        );
        if code == "invalid_details" {
            assert!(body["fields"].is_object(), "{case}: {body}");
        }
    }
    // Field names follow the JSON shape.
    let mut bad_city = good.clone();
    bad_city["billing"]["city"] = json!("");
    let (_, body) = post_json(&api_url(&app, "site1", basket, ""), &key, &bad_city).await;
    assert!(body["fields"]["billing.city"].is_string(), "{body}");
    // A form post is not JSON.
    let response = client
        .post(api_url(&app, "site1", basket, ""))
        .bearer_auth(&key)
        .form(&[("email", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(orders_for_basket(&app, basket).await, 0);
}

async fn every_path_in_the_openapi_document_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = Browser::new()
        .get(&app.checkout_url("/api/openapi.json"))
        .await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let key = api_key(&app, "site1").await;
    let checkout = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&checkout);
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 4, "{paths:?}");
    let client = Browser::new().client;
    // Start first, so every other operation has a process to talk about.
    let mut operations: Vec<(String, String)> = Vec::new();
    for (path, item) in paths {
        for method in ["post", "get"] {
            if item.get(method).is_some() {
                operations.push((method.to_owned(), path.clone()));
            }
        }
    }
    operations.sort_by_key(|(method, path)| {
        (
            !path.ends_with("/place-order") || method != "post",
            path.clone(),
        )
    });
    for (method, path) in operations {
        let url = app.checkout_url(
            &path
                .replace("{store_id}", "site1")
                .replace("{basket_id}", &basket.to_string()),
        );
        let request = match method.as_str() {
            "post" if path.ends_with("/place-order") => client
                .post(&url)
                .json(&guest_body("offline", "cash_on_delivery")),
            "post" => client.post(&url),
            _ => client.get(&url),
        };
        let documented = &doc["paths"][&path][&method]["responses"];
        if path.starts_with("/api/v1/") {
            // Without the key first: the 401 every API operation documents.
            let refused = request.try_clone().unwrap().send().await.unwrap().status();
            assert_eq!(refused, 401, "{method} {path} without a key");
            assert!(
                documented.get("401").is_some(),
                "{method} {path}: 401 undocumented"
            );
            let secured = doc["paths"][&path][&method]["security"]
                .as_array()
                .or_else(|| doc["security"].as_array());
            assert!(
                secured.is_some_and(|s| s.iter().any(|r| r.get("apiKey").is_some())),
                "{method} {path}: no bearer security requirement"
            );
            assert_eq!(
                doc["components"]["securitySchemes"]["apiKey"]["scheme"],
                "bearer"
            );
        }
        let response = request.bearer_auth(&key).send().await.unwrap();
        let status = response.status();
        assert_eq!(status, 200, "{method} {path}");
        assert!(
            documented.get("200").is_some(),
            "{method} {path}: 200 undocumented"
        );
        let content_type = header(response.headers(), "content-type")
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{method} {path}: {content_type}"
        );
        let body: Value = response.json().await.unwrap();
        if path.contains("place-order") {
            let schema = &doc["components"]["schemas"]["ProcessView"];
            for field in schema["required"].as_array().unwrap() {
                let field = field.as_str().unwrap();
                assert!(
                    body.get(field).is_some(),
                    "{method} {path}: {field} missing in {body}"
                );
            }
            for field in body.as_object().unwrap().keys() {
                assert!(
                    schema["properties"].get(field).is_some(),
                    "{method} {path}: {field} undocumented"
                );
            }
            let state = body["state"].as_str().unwrap();
            assert!(
                schema["properties"]["state"]["enum"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == state),
                "{state} undocumented"
            );
        }
    }
}

crate::on_both_backends!(
    the_api_places_an_offline_order_once_however_often_it_is_asked,
    the_api_hands_out_the_hosted_page_and_can_cancel,
    the_api_refresh_places_the_order_after_the_payment_page,
    api_errors_are_json_with_a_code_a_message_and_a_4xx,
    every_path_in_the_openapi_document_answers,
);
