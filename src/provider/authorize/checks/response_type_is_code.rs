// Only the authorization code flow with query responses (RFC 6749 §4.1.1, RFC 9700 §2.1.2:
// no implicit flow; OIDC Core §3.1.2.1).

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

pub fn response_type_is_code(params: &Params) -> Result<(), OAuthError> {
    match params.get("response_type")? {
        None => return Err(OAuthError::InvalidRequest("response_type is required")),
        Some("code") => {}
        Some(_) => return Err(OAuthError::UnsupportedResponseType),
    }
    match params.get("response_mode")? {
        None | Some("query") => Ok(()),
        Some(_) => Err(OAuthError::InvalidRequest(
            "only response_mode=query is supported",
        )),
    }
}
