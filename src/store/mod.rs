//! The storefront of each store: catalog, basket, accounts, order history.

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
