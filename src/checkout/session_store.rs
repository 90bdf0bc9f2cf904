//! The checkout session: server-side, one per browser and basket, holding the verified
//! identity (if the shopper logged in through the store) and the form's draft. The browser
//! holds one random token in the `checkout_session` cookie (built by `web::CookieName`:
//! `Path=/`, HttpOnly, `SameSite=Lax`, `__Host-` on https, so neither a sibling host nor a
//! plain-http page can plant it); each basket's row is keyed by a hash of that token with
//! the store and basket, so one cookie serves every basket the browser checks out and the
//! database holds nothing usable.
//!
//! A session comes only from a checkout ticket the store handed over ([`begin`]) or from a
//! verified login ([`start_verified`], called by the relying party's callback; always a new
//! token, so a planted guest cookie never becomes a logged-in session). Its identity is
//! keyed by `(issuer, subject)`, never by email; `identity.customer_id` is set only when
//! the issuer is this deployment's own provider for the store (then the basket became that
//! customer's when the provider's token endpoint redeemed the basket-bound code).

use axum_extra::extract::cookie::{Cookie, CookieJar};

use crate::db;
use crate::domain::{BasketId, StoreId, VerifiedIdentity};
use crate::secrets::{OpaqueSecret, SecretHash};
use crate::state::AppState;
use crate::web::CookieName;

/// A shopper's checkout of one basket, in one browser.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub store_id: StoreId,
    pub basket_id: BasketId,
    /// `None` for a guest.
    pub identity: Option<VerifiedIdentity>,
    /// Whatever the checkout pages saved with [`save_draft`].
    pub draft: Option<serde_json::Value>,
}

/// A checkout is a matter of minutes; a session outliving a working day is a risk only.
pub(crate) const LIFETIME_SECS: i64 = 4 * 60 * 60;

/// The length of an `OpaqueSecret` (256 bits, base64url); anything else is not our token.
const TOKEN_LEN: usize = 43;

pub(crate) fn cookie(state: &AppState) -> CookieName {
    CookieName::new("checkout_session", state.config.secure_cookies())
}

/// The key of this token's session for this store and basket.
fn row_key(token: &str, store: &StoreId, basket: BasketId) -> SecretHash {
    SecretHash::of(&format!("{token} {store} {basket}"))
}

fn browser_token<'a>(state: &AppState, jar: &'a CookieJar) -> Option<&'a str> {
    cookie(state).value(jar).filter(|v| v.len() == TOKEN_LEN)
}

/// The key of this browser's session row for this basket, if the browser has a token.
pub(crate) fn key(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> Option<SecretHash> {
    browser_token(state, jar).map(|token| row_key(token, store, basket))
}

/// This browser's live session for this basket.
pub async fn load(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Option<CheckoutSession>> {
    Ok(load_keyed(state, jar, store, basket).await?.map(|(_, s)| s))
}

/// This browser's live session for this basket and the key of its row.
pub async fn load_keyed(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Option<(SecretHash, CheckoutSession)>> {
    let Some(key) = key(state, jar, store, basket) else {
        return Ok(None);
    };
    let stored = db::checkout_sessions::find_by_hash(&state.db, store, basket, &key).await?;
    Ok(stored.map(|s| {
        (
            key,
            CheckoutSession {
                store_id: store.clone(),
                basket_id: basket,
                identity: s.identity,
                draft: s.draft,
            },
        )
    }))
}

/// A guest session for this basket after the store handed it over with a ticket. The
/// browser's token is reused when it has one (its other baskets keep their sessions, and
/// a live session for this basket is kept as it is); otherwise a new token is drawn. The
/// returned jar carries the cookie and must go into the response.
pub async fn begin(
    state: &AppState,
    jar: CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<CookieJar> {
    let token = match browser_token(state, &jar) {
        Some(token) => token.to_owned(),
        None => OpaqueSecret::generate().secret().to_owned(),
    };
    let key = row_key(&token, store, basket);
    db::checkout_sessions::create(&state.db, store, basket, &key, None, None, LIFETIME_SECS)
        .await?;
    Ok(jar.add(cookie(state).with_value(token)))
}

/// Saves the checkout form's draft in the session with this key.
pub async fn save_draft(
    state: &AppState,
    key: &SecretHash,
    store: &StoreId,
    basket: BasketId,
    draft: &serde_json::Value,
) -> anyhow::Result<()> {
    let saved = db::checkout_sessions::save_draft(&state.db, store, basket, key, draft).await?;
    anyhow::ensure!(saved, "no live checkout session for this basket");
    Ok(())
}

/// Forgets this browser's session for this basket (identity and draft). The cookie stays:
/// it may still name the browser's sessions for other baskets.
pub async fn log_out(
    state: &AppState,
    jar: CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<CookieJar> {
    if let Some(key) = key(state, &jar, store, basket) {
        db::checkout_sessions::delete_by_hash(&state.db, store, basket, &key).await?;
    }
    Ok(jar)
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
/// The browser's sessions for other baskets stay with the old token and so end here; the
/// store's basket page hands those baskets over again.
pub(crate) async fn start_verified(
    state: &AppState,
    store: &StoreId,
    basket: BasketId,
    identity: &VerifiedIdentity,
    provider_session: &ProviderSession,
    previous_session_hash: Option<&SecretHash>,
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
    let token = OpaqueSecret::generate();
    let key = row_key(token.secret(), store, basket);
    db::checkout_sessions::create(
        &state.db,
        store,
        basket,
        &key,
        Some(identity),
        draft.as_ref(),
        LIFETIME_SECS,
    )
    .await?;
    db::checkout_sessions::attach_provider_session(
        &state.db,
        store,
        basket,
        &key,
        provider_session.sid.as_deref(),
        &provider_session.id_token,
    )
    .await?;
    Ok(cookie(state).with_value(token.secret().to_owned()))
}
