//! The token endpoint's request (`POST /token`): the `Authorization` header (the first
//! line of the input) and the form body (the rest), through the checks that read only the
//! request, in the endpoint's order (`src/provider/token/checks/`): the form, Basic
//! credentials, the client assertion read unverified up to the lookup of the client's
//! keys, the grant type and the PKCE verifier.
//!
//! Properties: nothing panics; every refusal is a typed OAuth error; accepted credentials
//! are within the bounds the checks promise.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use libfuzzer_sys::fuzz_target;
use shared_checkout::provider::OAuthError;
use shared_checkout::provider::pkce;
use shared_checkout::provider::token::checks::{
    basic_credentials, claimed_client, form_is_well_formed, grant_type_is_authorization_code,
};

fuzz_target!(|data: &[u8]| {
    let (authorization, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if let Ok(value) = HeaderValue::from_bytes(authorization) {
        headers.insert(header::AUTHORIZATION, value);
    }
    if let Err(error) = request(&headers, body) {
        assert!(!error.code().is_empty() && !error.description().is_empty());
    }
});

fn request(headers: &HeaderMap, body: &[u8]) -> Result<(), OAuthError> {
    let params = form_is_well_formed(headers, body)?;
    if let Some((id, secret)) = basic_credentials(headers)? {
        assert!(!id.is_empty() && id.len() <= 256 && secret.len() <= 1024);
    }
    let client_id = params.get("client_id")?;
    if let Some(assertion) = params.get("client_assertion")? {
        let (issuer, _header) = claimed_client(assertion, client_id)?;
        if let Some(id) = client_id {
            assert_eq!(issuer, id, "an assertion is read as another client's");
        }
    }
    grant_type_is_authorization_code(&params)?;
    if let Some(verifier) = params.get("code_verifier")? {
        let challenge = pkce::s256(verifier);
        assert!(pkce::is_valid_s256_challenge(&challenge));
        assert_eq!(
            pkce::verifier_matches(verifier, &challenge),
            pkce::is_valid_verifier(verifier)
        );
    }
    Ok(())
}
