//! The checkout as an OpenID Connect relying party of every store.

use axum::Router;

use crate::app::AppState;

/// Per-store provider metadata and JWKS, cached (a cache, not state: any node refetches).
#[derive(Default)]
pub struct Registry;

pub fn router() -> Router<AppState> {
    Router::new()
}
