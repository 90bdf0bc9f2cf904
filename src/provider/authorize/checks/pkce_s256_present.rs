// PKCE is required and only S256 is accepted: a missing challenge, a missing method
// (which means `plain`, RFC 7636 §4.3) and `plain` are all refused (RFC 9700 §2.1.1).

use crate::provider::error::OAuthError;
use crate::provider::params::Params;
use crate::provider::pkce;

/// Returns the code challenge.
pub fn pkce_s256_present(params: &Params) -> Result<String, OAuthError> {
    let challenge = params
        .get("code_challenge")?
        .ok_or(OAuthError::InvalidRequest(
            "code_challenge is required (PKCE)",
        ))?;
    match params.get("code_challenge_method")? {
        Some("S256") => {}
        None | Some("plain") => {
            return Err(OAuthError::InvalidRequest(
                "code_challenge_method must be S256",
            ));
        }
        Some(_) => {
            return Err(OAuthError::InvalidRequest(
                "unsupported code_challenge_method; use S256",
            ));
        }
    }
    if !pkce::is_valid_s256_challenge(challenge) {
        return Err(OAuthError::InvalidRequest(
            "code_challenge is not a base64url SHA-256 digest",
        ));
    }
    Ok(challenge.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn check(raw: &str) -> Result<String, OAuthError> {
        pkce_s256_present(&Params::parse(raw.as_bytes()).unwrap())
    }

    #[test]
    fn only_s256_with_a_well_formed_challenge_passes() {
        let ok = format!("code_challenge={CHALLENGE}&code_challenge_method=S256");
        assert_eq!(check(&ok).unwrap(), CHALLENGE);
        for (bad, why) in [
            (String::new(), "missing challenge"),
            (
                format!("code_challenge={CHALLENGE}"),
                "missing method means plain",
            ),
            (
                format!("code_challenge={CHALLENGE}&code_challenge_method=plain"),
                "plain",
            ),
            (
                format!("code_challenge={CHALLENGE}&code_challenge_method=s256"),
                "method is case-sensitive",
            ),
            (
                "code_challenge=short&code_challenge_method=S256".to_owned(),
                "malformed challenge",
            ),
            (
                "code_challenge_method=S256".to_owned(),
                "method without challenge",
            ),
        ] {
            assert!(
                matches!(check(&bad), Err(OAuthError::InvalidRequest(_))),
                "{why} accepted"
            );
        }
    }
}
