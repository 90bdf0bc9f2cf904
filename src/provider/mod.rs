//! Each store's OpenID Connect provider: discovery, JWKS, authorization, login, token,
//! userinfo. One issuer per store, resolved from `Host`.

pub mod clients;
pub mod keys;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
