//! The checkout session: server-side, one per browser and basket, found by a cookie on the
//! checkout host whose value is a random token (only its hash is stored).

use anyhow::Context;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{CheckoutSession, VerifiedIdentity};
use crate::app::AppState;
use crate::db;
use crate::domain::{BasketId, StoreId};
use crate::secrets::hash_secret;

pub(crate) const COOKIE: &str = "checkout_session";

/// A checkout is a matter of minutes; a session outliving a working day is a risk only.
pub(crate) const LIFETIME_SECS: i64 = 4 * 60 * 60;

/// The path that scopes a basket's session cookie: the basket's checkout pages.
pub(crate) fn cookie_path(store: &StoreId, basket: BasketId) -> String {
    format!("/{store}/{basket}")
}

pub(crate) fn session_cookie(
    state: &AppState,
    store: &StoreId,
    basket: BasketId,
    value: String,
) -> Cookie<'static> {
    Cookie::build((COOKIE, value))
        .path(cookie_path(store, basket))
        .http_only(true)
        .secure(state.config.secure_cookies())
        .same_site(SameSite::Lax)
        .build()
}

/// The hash of the session token this browser sent, if any.
pub(crate) fn token_hash(jar: &CookieJar) -> Option<String> {
    jar.get(COOKIE)
        .map(|c| c.value())
        .filter(|v| !v.is_empty())
        .map(hash_secret)
}

/// This browser's session for this basket, if it has a live one.
pub async fn load(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Option<CheckoutSession>> {
    let Some(token) = jar.get(COOKIE).map(|c| c.value()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let stored = db::checkout_sessions::find(&state.db, store, basket, token).await?;
    Ok(stored.map(|s| CheckoutSession {
        store_id: store.clone(),
        basket_id: basket,
        identity: s.identity,
        draft: s.draft,
    }))
}

/// This browser's session for this basket, or a new guest session (its cookie is added to
/// the returned jar, which must go into the response). The basket must exist in the store.
pub async fn ensure(
    state: &AppState,
    jar: CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<(CookieJar, CheckoutSession)> {
    if let Some(session) = load(state, &jar, store, basket).await? {
        return Ok((jar, session));
    }
    let token =
        db::checkout_sessions::create(&state.db, store, basket, None, None, LIFETIME_SECS).await?;
    let jar = jar.add(session_cookie(
        state,
        store,
        basket,
        token.secret().to_owned(),
    ));
    Ok((
        jar,
        CheckoutSession {
            store_id: store.clone(),
            basket_id: basket,
            identity: None,
            draft: None,
        },
    ))
}

/// Saves the checkout form's draft in this browser's session for this basket.
/// Fails when there is no live session (call [`ensure`] first).
pub async fn save_draft(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
    draft: &serde_json::Value,
) -> anyhow::Result<()> {
    let token = jar
        .get(COOKIE)
        .map(|c| c.value())
        .filter(|v| !v.is_empty())
        .context("no checkout session cookie")?;
    let saved = db::checkout_sessions::save_draft(&state.db, store, basket, token, draft).await?;
    anyhow::ensure!(saved, "no live checkout session for this basket");
    Ok(())
}

/// Forgets this browser's session for this basket (identity and draft) and its cookie.
pub async fn log_out(
    state: &AppState,
    jar: CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<CookieJar> {
    if let Some(hash) = token_hash(&jar) {
        db::checkout_sessions::delete_by_hash(&state.db, store, basket, &hash).await?;
    }
    Ok(jar.remove(
        Cookie::build(COOKIE)
            .path(cookie_path(store, basket))
            .build(),
    ))
}

/// The provider's session a verified login belongs to: what a logout needs.
pub(crate) struct ProviderSession {
    /// `sid` from the ID token, when the provider sends one (Back-Channel Logout §2.1).
    pub sid: Option<String>,
    /// The raw ID token, sent back as `id_token_hint` (RP-Initiated Logout §2).
    pub id_token: String,
}

/// Starts the logged-in session after a verified login: a new token (never the guest's,
/// so a planted cookie cannot become a logged-in session), inheriting the guest's draft.
pub(crate) async fn start_verified(
    state: &AppState,
    store: &StoreId,
    basket: BasketId,
    identity: &VerifiedIdentity,
    provider_session: &ProviderSession,
    previous_session_hash: Option<&str>,
) -> anyhow::Result<Cookie<'static>> {
    let mut draft = None;
    if let Some(hash) = previous_session_hash {
        if let Some(previous) =
            db::checkout_sessions::find_by_hash(&state.db, store, basket, hash).await?
        {
            draft = previous.draft;
        }
        db::checkout_sessions::delete_by_hash(&state.db, store, basket, hash).await?;
    }
    let token = db::checkout_sessions::create(
        &state.db,
        store,
        basket,
        Some(identity),
        draft.as_ref(),
        LIFETIME_SECS,
    )
    .await?;
    db::checkout_sessions::attach_provider_session(
        &state.db,
        store,
        basket,
        &token.hash(),
        provider_session.sid.as_deref(),
        &provider_session.id_token,
    )
    .await?;
    Ok(session_cookie(
        state,
        store,
        basket,
        token.secret().to_owned(),
    ))
}
