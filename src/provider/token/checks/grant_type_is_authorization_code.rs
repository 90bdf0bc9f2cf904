// Only the authorization code grant: no implicit, password or refresh token grants
// (RFC 9700 §2.4; the checkout needs the profile once, at login).

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

pub fn grant_type_is_authorization_code(params: &Params) -> Result<(), OAuthError> {
    match params.get("grant_type")? {
        Some("authorization_code") => Ok(()),
        Some(_) => Err(OAuthError::UnsupportedGrantType),
        None => Err(OAuthError::InvalidRequest("grant_type is required")),
    }
}
