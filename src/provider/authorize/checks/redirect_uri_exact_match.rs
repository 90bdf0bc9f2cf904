// The redirect URI must be one of the client's registered URIs, compared byte for byte
// (RFC 9700 §2.1, §4.1.3; OIDC Core §3.1.2.1 makes it required). Otherwise show an error,
// never redirect (RFC 6749 §4.1.2.1).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::form_urlencoded;

use crate::config::StoreConfig;
use crate::provider::clients::Client;
use crate::provider::error::{AuthorizeError, OAuthError};
use crate::provider::params::Params;

/// A redirect URI that is exactly one the client registered, with the issuer that answers
/// on it. Only this module can build one, so nothing else can be redirected to.
#[derive(Debug, Clone)]
pub struct VerifiedRedirect {
    uri: String,
    issuer: String,
}

pub fn redirect_uri_exact_match(
    client: &Client,
    params: &Params,
    store: &StoreConfig,
) -> Result<VerifiedRedirect, AuthorizeError> {
    let uri = params
        .get("redirect_uri")
        .map_err(|_| {
            AuthorizeError::render("The request gives its return address more than once.")
        })?
        .ok_or_else(|| AuthorizeError::render("The request does not say where to return to."))?;
    registered_redirect(client, uri, store).ok_or_else(|| {
        AuthorizeError::render(
            "The return address in this request is not registered for the application.",
        )
    })
}

/// The same rule for a stored request: the client may have changed its URIs since.
pub fn registered_redirect(
    client: &Client,
    uri: &str,
    store: &StoreConfig,
) -> Option<VerifiedRedirect> {
    client
        .redirect_uris
        .iter()
        .any(|registered| registered == uri)
        .then(|| VerifiedRedirect {
            uri: uri.to_owned(),
            issuer: store.issuer(),
        })
}

impl VerifiedRedirect {
    pub fn as_str(&self) -> &str {
        &self.uri
    }

    /// The URI's origin, for the login page's `form-action` (the POST ends in a redirect
    /// there, and Chrome applies `form-action` to redirects).
    pub fn origin(&self) -> Option<String> {
        url::Url::parse(&self.uri)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    }

    /// The successful authorization response (RFC 6749 §4.1.2, RFC 9207 §2).
    pub fn with_code(&self, code: &str, state: Option<&str>) -> Response {
        self.respond(&[("code", Some(code)), ("state", state)])
    }

    /// The error response (RFC 6749 §4.1.2.1, RFC 9207 §2).
    pub fn with_error(&self, error: &OAuthError, state: Option<&str>) -> Response {
        self.respond(&[
            ("error", Some(error.code())),
            ("error_description", Some(error.description())),
            ("state", state),
        ])
    }

    /// Every authorization response carries `iss`, errors included (RFC 9207 §2).
    fn respond(&self, params: &[(&str, Option<&str>)]) -> Response {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in params {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        query.append_pair("iss", &self.issuer);
        // Registered URIs have no fragment; keep any query they carry (RFC 6749 §3.1.2).
        let separator = if self.uri.contains('?') { '&' } else { '?' };
        let location = format!("{}{separator}{}", self.uri, query.finish());
        match HeaderValue::try_from(location) {
            Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
            Err(_) => AuthorizeError::render("The application's return address is not usable.")
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlg;
    use crate::provider::clients::AuthMethod;

    fn client(uris: &[&str]) -> Client {
        Client {
            client_id: "rp".into(),
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            auth_method: AuthMethod::ClientSecretBasic,
            secret_hash: None,
            jwks_uri: None,
            id_token_alg: SigningAlg::Es256,
            backchannel_logout_uri: None,
            post_logout_redirect_uris: Vec::new(),
            require_pushed_authorization_requests: false,
        }
    }

    fn store() -> StoreConfig {
        let settings = crate::config::Settings::demo(
            std::path::Path::new("/tmp"),
            "127.0.0.1:0".parse().unwrap(),
        );
        crate::config::Config::resolve(&settings, 8080)
            .unwrap()
            .stores
            .remove(0)
    }

    #[test]
    fn only_a_byte_for_byte_match_is_accepted() {
        let c = client(&["https://rp.example/cb", "http://localhost:9/cb?x=1"]);
        let s = store();
        assert!(registered_redirect(&c, "https://rp.example/cb", &s).is_some());
        assert!(registered_redirect(&c, "http://localhost:9/cb?x=1", &s).is_some());
        for near_miss in [
            "https://rp.example/cb/",
            "https://RP.example/cb",
            "https://rp.example/cb?x=1",
            "https://rp.example:443/cb",
            "https://rp.example/cb#f",
            "https://rp.example/CB",
            "https://rp.example/cb/../cb",
            "http://localhost:9/cb",
            "",
        ] {
            assert!(
                registered_redirect(&c, near_miss, &s).is_none(),
                "{near_miss:?} accepted"
            );
        }
    }

    #[test]
    fn responses_carry_code_state_and_iss() {
        let s = store();
        let back = registered_redirect(
            &client(&["http://localhost:9/cb?x=1"]),
            "http://localhost:9/cb?x=1",
            &s,
        )
        .unwrap();
        let response = back.with_code("abc", Some("s t"));
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "http://localhost:9/cb?x=1&code=abc&state=s+t&iss=http%3A%2F%2Fsite1.localhost%3A8080"
        );
        let response = back.with_error(&OAuthError::LoginRequired, None);
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("http://localhost:9/cb?x=1&error=login_required&"));
        assert!(location.ends_with("&iss=http%3A%2F%2Fsite1.localhost%3A8080"));
        assert!(!location.contains("state="));
    }
}
