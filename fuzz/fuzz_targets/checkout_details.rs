//! The checkout's details form (`POST /{store}/{basket}/details`): the body read as the page
//! reads it (`PageForm<DetailsForm>`, whose fields are a flattened `DetailsInput`), then
//! `checkout::form::parse` under the store's flags. The first byte's low three bits are the
//! flags `use_delivery_forms`, `use_personal_data_form` and `privacy_policy_required`; the
//! rest is the body.
//!
//! Properties: nothing panics; an unreadable body is the 400 page; the draft kept in the
//! checkout session reads back from its JSON unchanged; a refused form names at least one
//! field, and only fields the form has, each with words in every locale; an accepted one
//! follows the flags and the choices offered.
#![no_main]

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, header};
use libfuzzer_sys::fuzz_target;
use shared_checkout::checkout::DetailsForm;
use shared_checkout::checkout::form::{DetailsInput, FormRules, PaymentOption, parse};
use shared_checkout::domain::Locale;
use shared_checkout::i18n::Lang;
use shared_checkout::web::WebError;
use shared_checkout::web::forms::PageForm;

/// Where the form shows an error: its fields, and the privacy policy checkbox.
const FIELDS: &[&str] = &[
    "email",
    "phone",
    "billing_name",
    "billing_street",
    "billing_postal_code",
    "billing_city",
    "billing_country",
    "delivery_same",
    "delivery_name",
    "delivery_street",
    "delivery_postal_code",
    "delivery_city",
    "delivery_country",
    "delivery_method",
    "payment",
    "privacy_policy",
];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri("/site1/basket/details")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("a valid request");
    let input = match shared_checkout_fuzz::runtime()
        .block_on(PageForm::<DetailsForm>::from_request(request, &()))
    {
        Ok(PageForm(form)) => form.input,
        Err(error) => {
            assert!(matches!(error, WebError::BadRequest(_)), "{error:?}");
            return;
        }
    };
    let draft = serde_json::to_string(&input).expect("a draft serializes");
    let back: DetailsInput = serde_json::from_str(&draft).expect("and reads back");
    assert_eq!(back, input);

    let options = [PaymentOption {
        gateway: "offline".into(),
        gateway_title: "Pay offline".into(),
        method: "cash_on_delivery".into(),
        title: "Cash on delivery".into(),
    }];
    let rules = FormRules {
        use_delivery_forms: flags & 1 != 0,
        use_personal_data_form: flags & 2 != 0,
        privacy_policy_required: flags & 4 != 0,
        payment_options: &options,
    };
    match parse(&input, &rules) {
        Ok(details) => {
            assert!(!input.is_oversized(), "oversized input accepted");
            assert_eq!(details.payment.value(), input.payment);
            let same = !rules.use_delivery_forms || input.delivery_same.is_some();
            assert_eq!(details.delivery.is_none(), same);
            assert!(rules.use_personal_data_form || details.phone.is_none());
            assert!(!rules.privacy_policy_required || input.privacy_policy.is_some());
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without a reason");
            for (field, error) in &errors.0 {
                assert!(FIELDS.contains(field), "an error on no field: {field}");
                for locale in Locale::ALL {
                    let words = error.in_words(Lang(locale));
                    assert!(!words.is_empty() && !words.contains("reason-"), "{words}");
                }
            }
        }
    }
});
