// The token request repeats the authorization request's redirect_uri exactly (RFC 6749
// §4.1.3; OIDC always sends it, so it is always required here).

use crate::db::codes::CodeGrant;
use crate::provider::error::OAuthError;
use crate::provider::params::Params;

pub fn redirect_uri_identical(grant: &CodeGrant, params: &Params) -> Result<(), OAuthError> {
    match params.get("redirect_uri")? {
        Some(uri) if uri == grant.redirect_uri => Ok(()),
        Some(_) => Err(OAuthError::InvalidGrant(
            "redirect_uri differs from the authorization request",
        )),
        None => Err(OAuthError::InvalidGrant("redirect_uri is required")),
    }
}
