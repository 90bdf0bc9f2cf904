//! The checkout as an OpenID Connect relying party of every store (docs/architecture.md, "The login
//! handoff, step by step", steps 2, 6 to 9).
//!
//! # Routes (checkout host)
//!
//! - `POST /{store_id}/{basket_id}/login` (form field `authenticity_token`): creates a login
//!   transaction and 303s to the store's authorization endpoint; when the provider advertises
//!   a pushed authorization request endpoint, the request is pushed there first (RFC 9126)
//!   and the browser carries only `client_id` and `request_uri`.
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
//! A verified login becomes a new checkout session (`checkout::session_store::start_verified`),
//! so this module sits above the checkout: it uses the checkout's sessions, its
//! `BoundBasket` and its page chrome, and the checkout knows nothing of it but the routes.
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
//!   `client_secret_basic`, else `private_key_jwt` with the checkout's ES256 key. ID and
//!   logout tokens must be signed with `login.id_token_alg` (RS256, ES256, PS256 or EdDSA);
//!   by default ES256 from our own providers, RS256 (the registration default) from others.

// Public for the fuzz target of its parameters (fuzz/).
pub mod callback;
mod client;
mod login;
mod logout;
mod pages;
mod par;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use crate::state::AppState;

pub(crate) use client::Registration;
pub(crate) use login::SCOPES;

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
