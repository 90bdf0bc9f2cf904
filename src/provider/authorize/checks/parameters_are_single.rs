// Every parameter the endpoint reads appears at most once and within bounds (RFC 6749
// §3.1: "Request and response parameters MUST NOT be included more than once").

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

const READ: &[&str] = &[
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "basket_id",
];

pub fn parameters_are_single(params: &Params) -> Result<(), OAuthError> {
    params.check_single(READ).map_err(OAuthError::from)
}
