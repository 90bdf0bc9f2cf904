//! The storefront of each store: catalog, basket, accounts, order history.

pub mod accounts;

use axum::Router;

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
}
