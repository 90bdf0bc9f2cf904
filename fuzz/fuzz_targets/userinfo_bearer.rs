//! The UserInfo endpoint's credentials (`GET|POST /userinfo`): `Authorization` headers, one
//! per line until an empty line, then a form body, read as the endpoint reads them
//! (`bearer_token`, `body_token` in `src/provider/userinfo.rs`).
//!
//! Properties: nothing panics; a token read from either place is non-empty, trimmed and
//! within the bound the endpoint hashes and looks up; anything else is a typed
//! `BearerError`.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use shared_checkout::provider::userinfo::{BearerError, bearer_token, body_token};

/// `MAX_TOKEN_LEN` of the endpoint.
const MAX_TOKEN_LEN: usize = 512;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &b""[..]),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    for line in head.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(header::AUTHORIZATION, value);
        }
    }
    match bearer_token(&headers) {
        Ok(token) => {
            assert!(!token.is_empty() && token.len() <= MAX_TOKEN_LEN);
            assert_eq!(token, token.trim());
        }
        Err(BearerError::Internal(error)) => panic!("reading a header failed inside: {error}"),
        Err(_) => {}
    }
    match body_token(&headers, body) {
        Ok(Some(token)) => assert!(!token.is_empty() && token.len() <= MAX_TOKEN_LEN),
        Ok(None) => {}
        Err(BearerError::Internal(error)) => panic!("reading a body failed inside: {error}"),
        Err(_) => {}
    }
});
