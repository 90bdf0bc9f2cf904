//! The client's IP address for login throttling, from the source the deployment trusts.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_client_ip::ClientIp;

use super::WebError;

/// The client address per `client_ip_source`: the socket peer by default, or the header
/// the deployment's own proxy sets (e.g. the rightmost `X-Forwarded-For`) behind one.
/// Never the leftmost forwarded address, which any client can write.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        match ClientIp::from_request_parts(parts, state).await {
            Ok(ClientIp(ip)) => Ok(ClientAddress(ip)),
            Err(error) => {
                tracing::warn!(%error, "no client address from the configured source");
                Err(WebError::BadRequest(
                    "This request did not come through the expected route.".to_owned(),
                ))
            }
        }
    }
}
