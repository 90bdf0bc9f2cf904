//! Logout at a store's provider: OpenID Connect RP-Initiated Logout 1.0 (the
//! `end_session_endpoint`, where a client sends the shopper to end the store session) and
//! Back-Channel Logout 1.0 (every ended store session is announced to the clients).

mod backchannel;
mod end_session;
mod id_token_hint;

use backchannel::announce;
pub use end_session::{confirm, get, post};

use axum_extra::extract::CookieJar;

use crate::accounts;
use crate::domain::StoreId;
use crate::state::AppState;

/// Ends the shopper's store session, clears its cookie and tells the store's clients
/// (OpenID Connect Back-Channel Logout).
pub async fn log_out(
    state: &AppState,
    store: &StoreId,
    jar: CookieJar,
) -> anyhow::Result<CookieJar> {
    let (jar, ended) = accounts::end_session(state, store, jar).await?;
    if let Some(ended) = ended {
        announce(state, store, &ended).await;
    }
    Ok(jar)
}
