// The client authenticates with exactly one method (RFC 6749 §2.3), the one it registered
// (OIDC Core §9): client_secret_basic, client_secret_post or private_key_jwt.

use axum::http::HeaderMap;

use super::{client_assertion, client_secret};
use crate::provider::clients::{self, AuthMethod, Client};
use crate::provider::error::OAuthError;
use crate::provider::params::Params;
use crate::provider::token::TokenContext;

pub async fn client_authenticated(
    cx: &TokenContext<'_>,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Client, OAuthError> {
    let basic = client_secret::basic_credentials(headers)?;
    let post_secret = params.get("client_secret")?;
    let assertion = params.get("client_assertion")?;
    let assertion_type = params.get("client_assertion_type")?;
    let body_client_id = params.get("client_id")?;
    let methods = [
        basic.is_some(),
        post_secret.is_some(),
        assertion.is_some() || assertion_type.is_some(),
    ];
    if methods.iter().filter(|used| **used).count() > 1 {
        return Err(OAuthError::InvalidRequest(
            "use exactly one client authentication method",
        ));
    }
    if let Some((client_id, secret)) = basic {
        if body_client_id.is_some_and(|id| id != client_id) {
            return Err(OAuthError::InvalidClient(
                "client_id does not match the credentials",
            ));
        }
        let client = registered(cx, &client_id, AuthMethod::ClientSecretBasic).await?;
        client_secret::secret_matches(&client, &secret)?;
        Ok(client)
    } else if let Some(secret) = post_secret {
        let client_id = body_client_id.ok_or(OAuthError::InvalidClient("client_id is required"))?;
        let client = registered(cx, client_id, AuthMethod::ClientSecretPost).await?;
        client_secret::secret_matches(&client, secret)?;
        Ok(client)
    } else if assertion.is_some() || assertion_type.is_some() {
        client_assertion::private_key_jwt_valid(cx, assertion_type, assertion, body_client_id).await
    } else {
        Err(OAuthError::InvalidClient(
            "client authentication is required",
        ))
    }
}

/// The client, if registered at this store for exactly this method.
pub(super) async fn registered(
    cx: &TokenContext<'_>,
    client_id: &str,
    method: AuthMethod,
) -> Result<Client, OAuthError> {
    let client = clients::find(&cx.state.db, &cx.store.id, client_id)
        .await?
        .ok_or(OAuthError::InvalidClient("client authentication failed"))?;
    if client.auth_method != method {
        return Err(OAuthError::InvalidClient(
            "the client is registered for another authentication method",
        ));
    }
    Ok(client)
}
