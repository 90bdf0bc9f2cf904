//! The provider's protocol errors: one JSON shape for the token endpoint (RFC 6749 §5.2),
//! and the authorization endpoint's only decision point between showing an error page and
//! redirecting the error to the client (RFC 6749 §4.1.2.1).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::authorize::checks::VerifiedRedirect;
use super::params::ParamError;
use crate::domain::StoreId;
use crate::web::{ErrorPage, WebError};

/// An OAuth 2.0 / OpenID Connect error code with a fixed, safe description.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    /// 401 with `WWW-Authenticate` (RFC 6749 §5.2).
    #[error("invalid_client: {0}")]
    InvalidClient(&'static str),
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error("unsupported_response_type")]
    UnsupportedResponseType,
    #[error("invalid_scope: {0}")]
    InvalidScope(&'static str),
    #[error("access_denied: {0}")]
    AccessDenied(&'static str),
    /// OIDC Core §3.1.2.6: `prompt=none` and nobody is logged in.
    #[error("login_required")]
    LoginRequired,
    /// OIDC Core §6.1: request objects are not supported.
    #[error("request_not_supported")]
    RequestNotSupported,
    /// OIDC Core §6.2: request objects by reference are not supported.
    #[error("request_uri_not_supported")]
    RequestUriNotSupported,
    /// Logged in full, shown as `server_error` with no detail.
    #[error("server_error")]
    Internal(#[from] anyhow::Error),
}

impl OAuthError {
    /// Counts an endpoint's answer in `metric`, by store and outcome: `success` or the code.
    pub fn count<T>(
        metric: &'static str,
        store: &StoreId,
        result: &Result<T, OAuthError>,
        success: &'static str,
    ) {
        let outcome = result.as_ref().map_or_else(OAuthError::code, |_| success);
        metrics::counter!(metric, "store" => store.to_string(), "outcome" => outcome).increment(1);
    }

    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::AccessDenied(_) => "access_denied",
            OAuthError::LoginRequired => "login_required",
            OAuthError::RequestNotSupported => "request_not_supported",
            OAuthError::RequestUriNotSupported => "request_uri_not_supported",
            OAuthError::Internal(_) => "server_error",
        }
    }

    pub fn description(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidClient(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::AccessDenied(d) => d,
            OAuthError::UnsupportedGrantType => "only authorization_code is supported",
            OAuthError::UnsupportedResponseType => "only response_type=code is supported",
            OAuthError::LoginRequired => "the user is not logged in",
            OAuthError::RequestNotSupported => "request objects are not supported",
            OAuthError::RequestUriNotSupported => "request_uri is not supported",
            OAuthError::Internal(_) => "the server could not complete the request",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
            OAuthError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Server errors are logged here, once, wherever they end up being sent.
    pub(crate) fn log(&self) {
        match self {
            OAuthError::Internal(error) => {
                tracing::error!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "provider request failed")
            }
            other => tracing::info!(
                error = other.code(),
                reason = other.description(),
                "refused"
            ),
        }
    }
}

impl From<ParamError> for OAuthError {
    fn from(error: ParamError) -> Self {
        OAuthError::InvalidRequest(error.description())
    }
}

/// Adds the headers every token-endpoint-style JSON response carries (RFC 6749 §5.1).
pub fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        self.log();
        let body = serde_json::json!({
            "error": self.code(),
            "error_description": self.description(),
        });
        let mut response = (self.status(), Json(body)).into_response();
        no_store(&mut response);
        if let OAuthError::InvalidClient(_) = self {
            // RFC 6749 §5.2: 401 names the scheme the client may use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"token\""),
            );
        }
        response
    }
}

/// How the authorization endpoint refuses a request. Only a `VerifiedRedirect` (built by
/// the exact redirect URI match) can carry an error back to the client; before that, the
/// error is shown to the user (RFC 6749 §4.1.2.1, RFC 9700 §4.11).
#[derive(Debug)]
pub enum AuthorizeError {
    /// Unknown client, bad redirect URI or unreadable request: a page, never a redirect.
    Render(String),
    /// Sent to the client's redirect URI with `state` and `iss` (RFC 9207).
    Redirect(VerifiedRedirect, OAuthError, Option<String>),
    /// A failure of ours before the redirect URI was verified: the generic error page.
    Failed(anyhow::Error),
}

impl AuthorizeError {
    pub fn render(message: impl Into<String>) -> Self {
        AuthorizeError::Render(message.into())
    }
}

impl From<anyhow::Error> for AuthorizeError {
    fn from(error: anyhow::Error) -> Self {
        AuthorizeError::Failed(error)
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::Render(message) => {
                tracing::info!(reason = %message, "authorization request shown as an error page");
                ErrorPage::new("This sign-in request cannot be completed", message)
                    .next("/", "Go to the shop")
                    .into_response_with(StatusCode::BAD_REQUEST)
            }
            AuthorizeError::Redirect(back, error, state) => {
                error.log();
                back.with_error(&error, state.as_deref())
            }
            AuthorizeError::Failed(error) => WebError::Internal(error).into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_client_is_a_401_with_a_challenge_and_no_store() {
        let response = OAuthError::InvalidClient("unknown client").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::PRAGMA], "no-cache");
    }

    #[tokio::test]
    async fn server_errors_hide_their_detail() {
        let response =
            OAuthError::Internal(anyhow::anyhow!("database password is hunter2")).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "server_error");
        assert!(!body.to_string().contains("hunter2"));
    }
}
