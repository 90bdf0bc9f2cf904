//! Responses made below our handlers (a method the route lacks, a body over the limit, a timeout)
//! come out bare; this turns them into a readable page, or an OAuth error body on the
//! protocol endpoints, so every refusal looks like the others.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ErrorPage;

/// Paths answered in JSON, by clients rather than people.
fn is_protocol_path(path: &str) -> bool {
    matches!(
        path,
        "/token"
            | "/userinfo"
            | "/jwks.json"
            | "/.well-known/openid-configuration"
            | "/.well-known/jwks.json"
    ) || path.starts_with("/api/")
}

pub async fn readable_bare_errors(request: Request, next: Next) -> Response {
    let json = is_protocol_path(request.uri().path());
    let response = next.run(request).await;
    let message = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request was larger than this server accepts.",
        StatusCode::REQUEST_TIMEOUT => "The request took too long. Please try again.",
        _ => return response,
    };
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.starts_with("text/plain"));
    if ours {
        return response;
    }
    let status = response.status();
    let mut readable = if json {
        let body = serde_json::json!({ "error": "invalid_request", "error_description": message });
        (status, Json(body)).into_response()
    } else {
        ErrorPage::new("That request cannot be handled", message).into_response_with(status)
    };
    if let Some(allow) = response.headers().get(header::ALLOW) {
        readable.headers_mut().insert(header::ALLOW, allow.clone());
    }
    readable
}
