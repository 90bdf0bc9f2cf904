//! Customer accounts at a store: password hashing, login with throttling, the session
//! cookie. The storefront and the provider's login page share this one path.

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum_extra::extract::CookieJar;

use crate::app::AppState;
use crate::db::{self, sessions::StoreSession};
use crate::domain::{Customer, Email, Password, StoreId};
use crate::web::CookieName;

/// The store session cookie as this store's host names it.
fn session_cookie(state: &AppState, store: &StoreId) -> CookieName {
    let secure = state
        .config
        .store(store)
        .is_some_and(|s| s.secure_cookies());
    CookieName::new("store_session", secure)
}

/// How long a store login lasts.
pub const SESSION_LIFETIME_SECS: i64 = 8 * 3600;

/// OWASP's argon2id setting: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes on the blocking pool: argon2 takes tens of milliseconds by design.
pub async fn hash_password(password: Password) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .context("password hashing task")?
}

async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .context("password verification task")?
}

/// A hash of a random password, verified against when the account does not exist, so
/// that a wrong email takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"no account has this password", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many attempts")]
    Throttled,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Checks an email and password at one store. Throttled per account and per address.
pub async fn authenticate(
    state: &AppState,
    store: &StoreId,
    email: &str,
    password: String,
    client_address: &str,
) -> Result<Customer, LoginError> {
    let account_key = format!("{store}:{}", email.trim().to_lowercase());
    if !state.limits.allow_login(&account_key, client_address) {
        return Err(LoginError::Throttled);
    }
    let found = match Email::parse(email) {
        Ok(email) => db::customers::find_for_login(&state.db, store, &email).await?,
        Err(_) => None,
    };
    match found {
        Some((customer, hash)) => {
            if verify_password(password, hash).await? {
                Ok(customer)
            } else {
                Err(LoginError::BadCredentials)
            }
        }
        None => {
            verify_password(password, DUMMY_HASH.clone()).await?;
            Err(LoginError::BadCredentials)
        }
    }
}

/// Starts a session for the customer and returns the jar with its cookie set, and the
/// session as codes issued in it will name it.
pub async fn start_session(
    state: &AppState,
    store: &StoreId,
    customer: &Customer,
    jar: CookieJar,
) -> anyhow::Result<(CookieJar, StoreSession)> {
    let new = db::sessions::create(&state.db, store, customer.id, SESSION_LIFETIME_SECS).await?;
    let cookie = session_cookie(state, store).with_value(new.token.secret().to_owned());
    let session = StoreSession {
        customer_id: customer.id,
        auth_time: new.auth_time,
        sid: new.sid,
    };
    Ok((jar.add(cookie), session))
}

/// The logged-in customer at this store, if the session cookie is valid here.
pub async fn current_customer(
    state: &AppState,
    store: &StoreId,
    jar: &CookieJar,
) -> anyhow::Result<Option<(Customer, StoreSession)>> {
    let Some(token) = session_cookie(state, store).value(jar) else {
        return Ok(None);
    };
    let Some(session) = db::sessions::find(&state.db, store, token).await? else {
        return Ok(None);
    };
    let customer = db::customers::find(&state.db, store, session.customer_id).await?;
    Ok(customer.map(|c| (c, session)))
}

/// Ends the session server-side, tells the store's clients (OpenID Connect Back-Channel
/// Logout) and clears the cookie.
pub async fn end_session(
    state: &AppState,
    store: &StoreId,
    jar: CookieJar,
) -> anyhow::Result<CookieJar> {
    let cookie = session_cookie(state, store);
    if let Some(token) = cookie.value(&jar)
        && let Some(ended) = db::sessions::delete(&state.db, store, token).await?
    {
        crate::provider::logout::announce(state, store, &ended).await;
    }
    Ok(jar.remove(cookie.removal()))
}
