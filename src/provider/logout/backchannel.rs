//! OpenID Connect Back-Channel Logout 1.0 §2.4–2.5: when a store session ends, a signed
//! logout token goes to every client of the store registered with a
//! `backchannel_logout_uri`.
//!
//! Every such client, not only those that received an ID token in the session: the codes
//! that would tell us are swept within the hour while a session lasts eight, and a token
//! naming a session a client never saw ends nothing there. Sent concurrently, each with a
//! short timeout; a failure is logged and never keeps the shopper from being logged out.
//! (A durable outbox that retries would survive a client being down; not built yet.)

use std::time::Duration;

use serde::Serialize;

use crate::db::sessions::StoreSession;
use crate::domain::{BACKCHANNEL_LOGOUT_EVENT, StoreId};
use crate::provider::clients::{self, Client};
use crate::secrets::OpaqueSecret;
use crate::state::AppState;

/// Logout tokens are acted on at once; a short life bounds replays.
const LOGOUT_TOKEN_LIFETIME_SECS: i64 = 2 * 60;

/// A client that does not answer within this is given up on (logged).
const SEND_TIMEOUT: Duration = Duration::from_secs(3);

/// §2.4: `iss`, `aud`, `iat`, `exp`, `jti`, `events`, `sid` and `sub`; never a `nonce`.
#[derive(Serialize)]
struct LogoutTokenClaims<'a> {
    iss: String,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
    events: serde_json::Value,
    sid: &'a str,
    sub: String,
}

/// Tells the store's clients that `ended` is over. Never fails: problems are logged.
pub async fn announce(state: &AppState, store: &StoreId, ended: &StoreSession) {
    let clients = match clients::with_backchannel_logout(&state.db, store).await {
        Ok(clients) => clients,
        Err(e) => {
            tracing::warn!(
                error = format!("{e:#}"),
                "back-channel logout: no client list"
            );
            return;
        }
    };
    let mut sends = tokio::task::JoinSet::new();
    for client in clients {
        let (state, store, ended) = (state.clone(), store.clone(), ended.clone());
        sends.spawn(async move { send(&state, &store, &client, &ended).await });
    }
    sends.join_all().await;
}

async fn send(state: &AppState, store: &StoreId, client: &Client, ended: &StoreSession) {
    let Some(uri) = client.backchannel_logout_uri.as_deref() else {
        return;
    };
    let Some(config) = state.config.store(store) else {
        return;
    };
    let now = crate::db::now();
    let claims = LogoutTokenClaims {
        iss: config.issuer(),
        aud: &client.client_id,
        iat: now,
        exp: now + LOGOUT_TOKEN_LIFETIME_SECS,
        jti: OpaqueSecret::generate().secret().to_owned(),
        events: serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
        sid: &ended.sid,
        sub: ended.customer_id.to_string(),
    };
    // §2.4: signed like the client's ID tokens, explicitly typed (RFC 8725 §3.11).
    let signed = state
        .keys
        .for_store(store)
        .and_then(|keys| keys.sign(client.id_token_alg, "logout+jwt", &claims));
    let token = match signed {
        Ok(token) => token,
        Err(e) => {
            tracing::warn!(client = %client.client_id, error = format!("{e:#}"), "back-channel logout: signing failed");
            return;
        }
    };
    let sent = state
        .http
        .post(uri)
        .timeout(SEND_TIMEOUT)
        .form(&[("logout_token", token.as_str())])
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            tracing::info!(client = %client.client_id, "back-channel logout delivered");
        }
        Ok(response) => {
            tracing::warn!(client = %client.client_id, status = %response.status(), "back-channel logout refused");
        }
        Err(e) => {
            tracing::warn!(client = %client.client_id, error = %e, "back-channel logout not delivered");
        }
    }
}
