//! The JSON API's request body (`POST /api/v1/{store}/{basket}/place-order`): read by the
//! extractor the handler takes (`Json<PlaceOrderBody>`), then, as `api::start` does, turned
//! into the checkout form's input and parsed under the default flags and under every flag
//! on; a rejection and a refusal become the API's error responses.
//!
//! Properties: nothing panics; malformed JSON is a 400 `invalid_json`, never a 500;
//! refused details are a 422 whose `fields` are JSON paths of the request body.
#![no_main]

use axum::Json;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use libfuzzer_sys::fuzz_target;
use shared_checkout::checkout::form::{FormRules, PaymentOption, parse};
use shared_checkout::checkout::{ApiError, PlaceOrderBody, invalid_details};
use shared_checkout::config::CheckoutFlags;

/// The body's fields, as `fields` names them.
const PATHS: &[&str] = &[
    "email",
    "phone",
    "billing.name",
    "billing.street",
    "billing.postal_code",
    "billing.city",
    "billing.country",
    "delivery.name",
    "delivery.street",
    "delivery.postal_code",
    "delivery.city",
    "delivery.country",
    "delivery_method",
    "payment",
    "privacy_policy_accepted",
];

fuzz_target!(|data: &[u8]| {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/site1/basket/place-order")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(data.to_vec()))
        .expect("a valid request");
    let runtime = shared_checkout_fuzz::runtime();
    let body = match runtime.block_on(Json::<PlaceOrderBody>::from_request(request, &())) {
        Ok(Json(body)) => body,
        Err(rejection) => {
            let response = ApiError::from(rejection).into_response();
            let (status, json) = runtime.block_on(read(response));
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(json["error"], "invalid_json");
            return;
        }
    };
    let input = body.into_input();
    let options = [PaymentOption {
        gateway: "offline".into(),
        gateway_title: "Pay offline".into(),
        method: "cash_on_delivery".into(),
        title: "Cash on delivery".into(),
    }];
    let every_flag = CheckoutFlags {
        use_delivery_forms: true,
        use_personal_data_form: true,
        privacy_policy_required: true,
        ..CheckoutFlags::default()
    };
    for flags in [CheckoutFlags::default(), every_flag] {
        let Err(errors) = parse(&input, &FormRules::new(&flags, &options)) else {
            continue;
        };
        let (status, json) = runtime.block_on(read(invalid_details(errors).into_response()));
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = json["fields"]
            .as_object()
            .expect("fields name the problems");
        assert!(!fields.is_empty());
        for path in fields.keys() {
            assert!(PATHS.contains(&path.as_str()), "{path} is not in the body");
        }
    }
});

async fn read(response: Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("an in-memory body");
    let json = serde_json::from_slice(&bytes).expect("an error body is JSON");
    (status, json)
}
