//! The checkout's login callback (`GET /callback`): the provider's answer in the query,
//! read by the same extractor the handler takes (`Query<CallbackParams>`), whose
//! rejection the handler turns into the "malformed answer" page.
//!
//! Properties: nothing panics; an answer that repeats `code`, `state`, `iss`, `error` or
//! `error_description` is refused (which value counts would otherwise be up to the
//! decoder, a mix-up risk); any other answer is read, unknown parameters ignored.
#![no_main]

use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;
use shared_checkout::relying_party::callback::CallbackParams;

const NAMES: [&str; 5] = ["code", "state", "iss", "error", "error_description"];

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/callback?{query}").parse::<Uri>() else {
        return;
    };
    let Some(query) = uri.query() else {
        return;
    };
    let repeated = NAMES.iter().any(|name| {
        url::form_urlencoded::parse(query.as_bytes())
            .filter(|(n, _)| n == name)
            .count()
            > 1
    });
    let read = Query::<CallbackParams>::try_from_uri(&uri);
    assert_eq!(read.is_err(), repeated, "query {query:?}: {:?}", read.err());
});
