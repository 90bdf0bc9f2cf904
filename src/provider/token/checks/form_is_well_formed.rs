// The request is a form POST (RFC 6749 §4.1.3, Appendix B) whose parameters are UTF-8,
// bounded and each sent at most once (§3.2).

use axum::http::HeaderMap;

use crate::provider::error::OAuthError;
use crate::provider::params::{Params, is_form_content_type};

const READ: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

pub fn form_is_well_formed(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    if !is_form_content_type(headers) {
        return Err(OAuthError::InvalidRequest(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body)?;
    params.check_single(READ)?;
    Ok(params)
}
