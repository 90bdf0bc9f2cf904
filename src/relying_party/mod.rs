//! The checkout as an OpenID Connect relying party of every store (docs/architecture.md, "The login
//! handoff, step by step", steps 2, 6 to 9).
//!
//! # Routes (checkout host)
//!
//! - `POST /{store_id}/{basket_id}/login` (form field `authenticity_token`): creates a login
//!   transaction and 303s to the store's authorization endpoint.
//! - `GET /{store_id}/{basket_id}/login`: a small "Log in with {store}" page holding that
//!   form (the fallback when the start page's form expired; the start page is the usual way).
//! - `GET /callback`: the redirect URI registered at every store.
//! - `POST /{store_id}/{basket_id}/logout` (form field `authenticity_token`): ends the
//!   checkout session and 303s to the store's `end_session_endpoint` (RP-Initiated Logout
//!   1.0), which sends the shopper back to `GET /logged-out` (registered at every store).
//! - `POST /backchannel-logout`: logout tokens from the stores' providers (Back-Channel
//!   Logout 1.0); ends every checkout session of the provider session they name.
//! - `GET /.well-known/jwks.json`: the checkout's public keys (`private_key_jwt`).
//!
//! # API for the checkout pages
//!
//! - [`VerifiedIdentity`] and [`CheckoutSession`]: what a shopper's checkout session holds.
//!   A session belongs to one store and one basket; its identity is keyed by
//!   `(issuer, subject)`, never by email. `identity.customer_id` is set only when the
//!   issuer is this deployment's own provider for the store (then the basket became that
//!   customer's when the provider's token endpoint redeemed the basket-bound code).
//! - [`session::load`]`(state, &jar, &store, basket)`: the browser's session for this basket
//!   ([`session::load_keyed`] also returns the key of its row).
//! - [`session::begin`]`(state, jar, &store, basket)`: a guest session after the store's
//!   ticket was redeemed (its cookie is added to the returned jar). The only way a session
//!   starts besides a verified login.
//! - [`session::save_draft`]`(state, &key, &store, basket, &json)`: keeps the form's draft;
//!   a login started from this session carries the draft over to the logged-in session.
//! - [`session::log_out`]`(state, jar, &store, basket)`: forgets the session.
//! - [`login_form_csp`]`(state, &store)`: the `Content-Security-Policy` for any page holding
//!   the "Log in with {store}" form. That form posts to our own `/login`, which redirects to
//!   the store; browsers apply `form-action` to that redirect too, so the page must allow
//!   the store's origin. Set it as the response's `Content-Security-Policy` header.
//!
//! The session cookie (`checkout_session`, `__Host-` on https) is host-only on the checkout
//! host, HttpOnly, `SameSite=Lax`, `Path=/`: one token per browser, and each basket's row
//! is keyed by the hash of that token with the store and basket. A login always starts a
//! new session (new token), so a planted guest cookie never becomes a logged-in session.
//!
//! # Cookies and rows of the handoff
//!
//! - `checkout_login` (Path=/, HttpOnly, Lax): a random per-browser value signed by the
//!   deployment (`web::SignedValues`); each login transaction stores its hash, and the
//!   callback only finds a transaction by `state` *and* this browser (login CSRF). One
//!   value per browser, so two tabs can log in at once; a value the server did not issue
//!   is replaced, never adopted.
//! - `login_transactions`: hashes of `state` and `nonce`, the PKCE verifier, the expected
//!   issuer, the redirect URI, whether the provider binds baskets; 10 minutes; deleted by
//!   the callback with `DELETE … RETURNING` before any check (single use).
//! - Per store: the issuer is `login.issuer` or the store's own; the client id is
//!   `login.client_id` or `checkout.client_id`; `login.client_secret` selects
//!   `client_secret_basic`, else `private_key_jwt` with the checkout's ES256 key. ID tokens
//!   must be ES256 from our own providers, RS256 (the registration default) from others.

mod callback;
mod client;
mod login;
mod logout;
mod pages;
mod registry;
pub mod session;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::config::StoreConfig;
use crate::domain::{Address, BasketId, CustomerId, StoreId};

pub use registry::Registry;

/// Who the shopper proved to be, as the store's provider said (ID token + userinfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// The provider's issuer identifier, exactly as in its discovery document.
    pub issuer: String,
    /// `sub`: unique only together with `issuer`.
    pub subject: String,
    /// The store's customer, when the issuer is this deployment's provider for the store.
    pub customer_id: Option<CustomerId>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The `address` claim, when it is complete enough to be a billing address.
    pub address: Option<Address>,
}

/// A shopper's checkout of one basket, in one browser.
#[derive(Debug, Clone)]
pub struct CheckoutSession {
    pub store_id: StoreId,
    pub basket_id: BasketId,
    /// `None` for a guest.
    pub identity: Option<VerifiedIdentity>,
    /// Whatever the checkout pages saved with [`session::save_draft`].
    pub draft: Option<serde_json::Value>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{store_id}/{basket_id}/login",
            get(login::show).post(login::start),
        )
        .route("/callback", get(callback::callback))
        .route("/{store_id}/{basket_id}/logout", post(logout::start))
        .route("/backchannel-logout", post(logout::backchannel))
        .route("/logged-out", get(logout::logged_out))
        .route("/.well-known/jwks.json", get(jwks))
}

/// The CSP for a page holding the "Log in with {store}" form: the default policy, with the
/// store's login origin added to `form-action` (the form's POST ends in a redirect there).
///
/// The origin is the issuer's, plus the authorization endpoint's when the provider's
/// discovery document is already cached and names another origin.
pub fn login_form_csp(state: &AppState, store: &StoreConfig) -> String {
    let mut origins = vec![
        registry::configured_issuer(store)
            .origin()
            .ascii_serialization(),
    ];
    if let Some(authorize) = state.relying_party.cached_authorization_origin(&store.id)
        && !origins.contains(&authorize)
    {
        origins.push(authorize);
    }
    crate::web::headers::csp_with_form_targets(&origins)
}

/// The checkout's public keys, for stores verifying its `private_key_jwt` assertions.
async fn jwks(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.checkout_keys.jwks()),
    )
        .into_response()
}
