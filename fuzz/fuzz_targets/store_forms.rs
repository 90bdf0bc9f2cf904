//! The storefront's form bodies: `PageForm` (`src/web/forms.rs`), the extractor every store
//! form goes through, driven as axum drives it (`FromRequest` on a built POST request) for
//! the registration, login, profile and basket line forms; and the basket's quantity
//! field. The first byte picks one, the rest is the body or the field.
//!
//! Properties: nothing panics; an unreadable body is the readable 400 page
//! (`WebError::BadRequest`), never a 500; a quantity is accepted only within its bounds.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use shared_checkout::store::{
    LineForm, LoginForm, MAX_QUANTITY, ProfileForm, RegisterForm, parse_quantity,
};
use shared_checkout::web::WebError;
use shared_checkout::web::forms::PageForm;

/// A divisor of 48, so that a seed starting with the ASCII digit `'0' + n` picks case `n`.
const CASES: u8 = 6;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % CASES {
        0 => extract::<RegisterForm>(rest),
        1 => extract::<LoginForm>(rest),
        2 => extract::<ProfileForm>(rest),
        3 => extract::<LineForm>(rest),
        // `/basket/add` takes 1 and up (blank meaning 1), `/basket/update` 0 and up.
        min => {
            let Ok(raw) = std::str::from_utf8(rest) else {
                return;
            };
            let min = i64::from(min == 4);
            match parse_quantity(raw, min) {
                Ok(quantity) => assert!((min..=MAX_QUANTITY).contains(&quantity)),
                Err(error) => assert!(matches!(error, WebError::BadRequest(_)), "{error:?}"),
            }
        }
    }
});

fn extract<T: DeserializeOwned + 'static>(body: &[u8]) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/form")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("a valid request");
    if let Err(error) =
        shared_checkout_fuzz::runtime().block_on(PageForm::<T>::from_request(request, &()))
    {
        assert!(matches!(error, WebError::BadRequest(_)), "{error:?}");
    }
}
