//! Each store's OpenID Connect provider. One issuer per store (`{store base_url}`), the
//! tenant resolved from `Host`; every row read or written is filtered by that store. A
//! store whose login is an external provider (`login.issuer`) has none (`app::router`).
//!
//! Endpoints, and the order in which each runs its checks (one file per check):
//!
//! - `GET /.well-known/openid-configuration`: metadata, with `basket_binding_supported`.
//! - `GET /jwks.json`: every published signing key (RS256 and ES256, rotation included).
//! - `GET|POST /authorize` (`authorize/checks/`): parameters readable (UTF-8, bounded) →
//!   with a `request_uri` of ours, the pushed request it names instead (taken once: this
//!   store's, `client_id`'s, unexpired; else an error page), of the browser's parameters
//!   only `client_id` → `client_is_registered` → `redirect_uri_exact_match` (these render
//!   an error page and never redirect) → `pushed_when_required` (a client registered with
//!   `require_pushed_authorization_requests` only through a pushed request) →
//!   `parameters_are_single` → `response_type_is_code` →
//!   `no_request_objects` → `openid_scope_present` → `pkce_s256_present` →
//!   `prompt_and_max_age` → `basket_open_in_store`; then a fresh store session gets a code at once
//!   (`basket_belongs_to_customer`, which only checks: the basket changes owner at `/token`;
//!   then 303 to `redirect_uri?code&state&iss`),
//!   `prompt=none` without one gets `login_required`, anyone else 303 `/login?request={id}`.
//!   Every authorization response, errors included, carries `iss` (RFC 9207).
//! - `GET /login?request={id}`, `POST /login` (`request`, `email`, `password`,
//!   `authenticity_token`): CSRF → pending request → password (rate-limited) → request
//!   taken (single use) → store session → `basket_belongs_to_customer` → code → 303.
//! - `POST /token` (`token/checks/`): `form_is_well_formed` → `client_authenticated`
//!   (basic, post or private_key_jwt, as registered) → `grant_type_is_authorization_code`
//!   → `code_consumed_once` (a replay revokes the code's token; the consuming UPDATE stores
//!   the new token's hash, then `redirect_uri_identical` → `pkce_verifier_matches` → a
//!   basket-bound code's guest basket becomes the customer's, or the token is withdrawn) →
//!   access token + ID token (with the store session's `sid`).
//! - `POST /par` (RFC 9126, `par.rs`): a form → `client_authenticated` exactly as at
//!   `/token` → no `request_uri` inside → the `/authorize` checks up to `basket_open_in_store`
//!   on the pushed parameters (the client's credentials removed, `client_id` the
//!   authenticated one) → stored for one use within 60 s, only the reference's hash kept →
//!   201 `{request_uri, expires_in}`, `no-store`. Refusals are RFC 6749 §5.2 JSON.
//! - `GET|POST /userinfo`: bearer token in the header, or on POST in a form body (RFC 6750
//!   §2.2, never both; unexpired, its code not revoked) → claims by scope.
//! - `GET|POST /end-session` (RP-Initiated Logout 1.0): `id_token_hint` (our signature, this
//!   issuer, expiry ignored) → `client_id` an audience of it → `post_logout_redirect_uri`
//!   registered exactly (else a page, no redirect) → the hinted customer's session ends at
//!   once, anyone else confirms on a CSRF-protected page (`POST /end-session/confirm`) →
//!   303 to the URI with `state`.
//! - Every ended store session (store logout, end-session) sends a logout token to each
//!   client with a `backchannel_logout_uri` (Back-Channel Logout 1.0, `logout/`).
//!
//! Built on `openidconnect` types and `jsonwebtoken`, not oxide-auth (no OpenID Connect,
//! no revocation on code replay; see docs/architecture.md).

pub mod authorize;
pub mod client_jwks;
pub mod clients;
pub mod codes;
pub mod discovery;
pub mod error;
pub mod login;
pub mod logout;
pub mod par;
pub mod params;
pub mod pkce;
pub mod token;
pub mod userinfo;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::state::AppState;

pub use error::{AuthorizeError, OAuthError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/jwks.json", get(discovery::jwks))
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route("/login", get(login::show).post(login::submit))
        .route("/token", post(token::token))
        .route("/par", post(par::push))
        .route("/userinfo", get(userinfo::get).post(userinfo::post))
        .route("/end-session", get(logout::get).post(logout::post))
        .route("/end-session/confirm", post(logout::confirm))
        // One cache per application instance (not per process), so tests stay isolated.
        .layer(Extension(Arc::new(client_jwks::ClientJwksCache::default())))
}
