// The code_verifier hashes (S256) to the code's challenge (RFC 7636 §4.6). Every code has a
// challenge, so a missing verifier fails like a wrong one.

use crate::db::codes::CodeGrant;
use crate::provider::error::OAuthError;
use crate::provider::params::Params;
use crate::provider::pkce;

pub fn pkce_verifier_matches(grant: &CodeGrant, params: &Params) -> Result<(), OAuthError> {
    let verifier = params
        .get("code_verifier")?
        .ok_or(OAuthError::InvalidGrant("code_verifier is required"))?;
    if pkce::verifier_matches(verifier, &grant.code_challenge) {
        Ok(())
    } else {
        Err(OAuthError::InvalidGrant(
            "code_verifier does not match the challenge",
        ))
    }
}
