//! Customer accounts at a store: password hashing, login with throttling, the session
//! and device cookies. The storefront and the provider's login page share this one path.

use axum_extra::extract::CookieJar;

use crate::db::{self, sessions::StoreSession};
use crate::domain::{Customer, Email, Password, StoreId};
use crate::passwords::HashError;
use crate::state::AppState;
use crate::web::{CookieName, LoginSubject};

/// The store session cookie as this store's host names it.
fn session_cookie(state: &AppState, store: &StoreId) -> CookieName {
    CookieName::new("store_session", secure(state, store))
}

/// The device cookie: marks a browser that logged in to an account before, so that its
/// attempts are not counted against the account (see `web::limits`).
fn device_cookie(state: &AppState, store: &StoreId) -> CookieName {
    CookieName::new("device", secure(state, store))
}

fn secure(state: &AppState, store: &StoreId) -> bool {
    state
        .config
        .store(store)
        .is_some_and(|s| s.secure_cookies())
}

/// How long a store login lasts.
pub const SESSION_LIFETIME_SECS: i64 = 8 * 3600;

/// How long a browser stays known to an account without logging in again.
const DEVICE_LIFETIME: time::Duration = time::Duration::days(180);

/// Hashes a new password in the bounded hashing queue.
pub async fn hash_password(state: &AppState, password: Password) -> Result<String, HashError> {
    state.hashing.hash(password).await
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong email or password")]
    BadCredentials,
    #[error("too many attempts")]
    Throttled,
    #[error("every password hashing slot is taken")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<HashError> for LoginError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => Self::Busy,
            HashError::Internal(e) => Self::Internal(e),
        }
    }
}

/// Checks an email and password at one store. Failures are throttled per address and per
/// account, or per device for a browser that logged in to the account before.
pub async fn authenticate(
    state: &AppState,
    store: &StoreId,
    email: &str,
    password: String,
    client_address: &str,
    jar: &CookieJar,
) -> Result<Customer, LoginError> {
    let result = check_credentials(state, store, email, password, client_address, jar).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(LoginError::BadCredentials) => "bad_credentials",
        Err(LoginError::Throttled) => "throttled",
        Err(LoginError::Busy) => "busy",
        Err(LoginError::Internal(_)) => "error",
    };
    metrics::counter!("logins_total", "store" => store.to_string(), "outcome" => outcome)
        .increment(1);
    result
}

async fn check_credentials(
    state: &AppState,
    store: &StoreId,
    email: &str,
    password: String,
    client_address: &str,
    jar: &CookieJar,
) -> Result<Customer, LoginError> {
    // Something that is not an email address cannot be an account: refused without a
    // lookup or a hash, which reveals nothing about which accounts exist.
    let Ok(email) = Email::parse(email) else {
        let counted = state
            .limits
            .begin_login(LoginSubject::account(store, email), client_address)
            .is_some();
        return Err(if counted {
            LoginError::BadCredentials
        } else {
            LoginError::Throttled
        });
    };
    let found = db::customers::find_for_login(&state.db, store, &email).await?;
    let device = found.as_ref().and_then(|(customer, _)| {
        let cookie = device_cookie(state, store).value(jar)?;
        state.limits.known_device(store, customer.id, cookie)
    });
    let subject = device.unwrap_or_else(|| LoginSubject::account(store, email.as_str()));
    let attempt = state
        .limits
        .begin_login(subject, client_address)
        .ok_or(LoginError::Throttled)?;
    let verified = match found {
        Some((customer, hash)) => state
            .hashing
            .verify(password, hash)
            .await
            .map(|ok| ok.then_some(customer)),
        None => state.hashing.verify_nothing(password).await.map(|()| None),
    };
    match verified {
        Ok(Some(customer)) => {
            attempt.give_back();
            Ok(customer)
        }
        Ok(None) => Err(LoginError::BadCredentials),
        // No password was checked: the attempt costs the shopper nothing.
        Err(e) => {
            attempt.give_back();
            Err(e.into())
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
    // A fresh device cookie on every login (OWASP device cookies, "issue new device cookie").
    let mut device =
        device_cookie(state, store).with_value(state.limits.issue_device(store, customer.id));
    device.set_max_age(DEVICE_LIFETIME);
    let session = StoreSession {
        customer_id: customer.id,
        auth_time: new.auth_time,
        sid: new.sid,
    };
    Ok((jar.add(cookie).add(device), session))
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
    db::sessions::find(&state.db, store, token).await
}

/// Ends the session server-side and clears the cookie; returns the ended session so the
/// caller can tell the store's clients (`provider::logout::log_out` does).
pub async fn end_session(
    state: &AppState,
    store: &StoreId,
    jar: CookieJar,
) -> anyhow::Result<(CookieJar, Option<StoreSession>)> {
    let cookie = session_cookie(state, store);
    let ended = match cookie.value(&jar) {
        Some(token) => db::sessions::delete(&state.db, store, token).await?,
        None => None,
    };
    Ok((jar.remove(cookie.removal()), ended))
}
