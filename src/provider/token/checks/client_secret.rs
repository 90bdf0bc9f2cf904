// client_secret_basic and client_secret_post (RFC 6749 §2.3.1): the secret's SHA-256
// matches the stored hash, compared in constant time.
//
// Client secrets are ≥128-bit random strings, so SHA-256 plus a constant-time compare is
// enough; argon2 here would cap the token endpoint at a few dozen requests/s.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::provider::clients::Client;
use crate::provider::error::OAuthError;
use crate::provider::params::form_decode;
use crate::secrets::SecretHash;

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`, if that scheme is
/// used; other schemes are not client authentication and are ignored.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return Err(malformed());
    };
    // RFC 6749 §2.3.1: both parts are form-urlencoded before joining.
    let id = form_decode(&decoded[..colon]).map_err(|_| malformed())?;
    let secret = form_decode(&decoded[colon + 1..]).map_err(|_| malformed())?;
    if id.is_empty() || secret.len() > 1024 || id.len() > 256 {
        return Err(malformed());
    }
    Ok(Some((id, secret)))
}

fn malformed() -> OAuthError {
    OAuthError::InvalidClient("malformed Basic credentials")
}

pub fn secret_matches(client: &Client, secret: &str) -> Result<(), OAuthError> {
    let expected = client
        .secret_hash
        .as_ref()
        .ok_or(OAuthError::InvalidClient("client authentication failed"))?;
    if SecretHash::of(secret) == *expected {
        Ok(())
    } else {
        Err(OAuthError::InvalidClient("client authentication failed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let encoded = STANDARD.encode("my%20client:s%3Acret+x");
        assert_eq!(
            basic_credentials(&with_auth(&format!("Basic {encoded}"))).unwrap(),
            Some(("my client".to_owned(), "s:cret x".to_owned()))
        );
        assert_eq!(basic_credentials(&HeaderMap::new()).unwrap(), None);
        assert_eq!(basic_credentials(&with_auth("Bearer abc")).unwrap(), None);
    }

    #[test]
    fn malformed_basic_credentials_are_invalid_client() {
        for bad in [
            "Basic !!!",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert!(
                matches!(
                    basic_credentials(&with_auth(bad)),
                    Err(OAuthError::InvalidClient(_))
                ),
                "{bad} accepted"
            );
        }
    }
}
