//! Pushed Authorization Requests (RFC 9126) from the checkout: when a store's provider
//! advertises `pushed_authorization_request_endpoint`, the whole authorization request
//! (state, nonce, PKCE challenge, redirect URI, scope, basket binding) goes there over the
//! back channel with the checkout's client authentication, and the browser carries only
//! `client_id` and the `request_uri` the provider answers with (§4), so nothing of the
//! request can be read or changed on the way.

use anyhow::Context;
use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;
use url::form_urlencoded::byte_serialize;

use super::client::Registration;
use crate::state::AppState;
use crate::store_providers::Discovered;

/// A `request_uri` longer than this is no reference a provider means to be put in a URL.
const MAX_REQUEST_URI_LEN: usize = 1024;

#[derive(Deserialize)]
struct Created {
    request_uri: String,
}

#[derive(Deserialize)]
struct Refused {
    error: String,
    error_description: Option<String>,
}

/// Pushes the parameters of `authorization` (the front-channel request `openidconnect`
/// built) to `endpoint`; returns the authorization URL that carries only the reference.
pub(crate) async fn push(
    state: &AppState,
    registration: &Registration,
    provider: &Discovered,
    endpoint: &Url,
    authorization: &Url,
) -> anyhow::Result<Url> {
    let mut form: Vec<(String, String)> = authorization.query_pairs().into_owned().collect();
    // RFC 9126 §2: the issuer is an audience every pushed authorization request endpoint
    // must accept.
    for (name, value) in registration.assertion_params(&state.checkout_keys, provider.issuer())? {
        form.push((name.to_owned(), value));
    }
    let mut request = state.http.post(endpoint.clone()).form(&form);
    if let Some(secret) = &registration.secret {
        // RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
        let encode = |text: &str| byte_serialize(text.as_bytes()).collect::<String>();
        request = request.basic_auth(
            encode(&registration.client_id),
            Some(encode(secret.expose())),
        );
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("pushing the authorization request to {endpoint}"))?;
    let status = response.status();
    if status != StatusCode::CREATED {
        let why = match response.json::<Refused>().await {
            Ok(refused) => format!(
                "{} {}",
                refused.error,
                refused.error_description.unwrap_or_default()
            ),
            Err(_) => "no OAuth error".to_owned(),
        };
        anyhow::bail!("{endpoint} refused the pushed authorization request: {status}: {why}");
    }
    let created: Created = response
        .json()
        .await
        .with_context(|| format!("reading the answer of {endpoint}"))?;
    anyhow::ensure!(
        !created.request_uri.is_empty() && created.request_uri.len() <= MAX_REQUEST_URI_LEN,
        "{endpoint} answered an unusable request_uri"
    );
    let mut url = provider.metadata.authorization_endpoint().url().clone();
    url.query_pairs_mut()
        .append_pair("client_id", &registration.client_id)
        .append_pair("request_uri", &created.request_uri);
    Ok(url)
}
