//! The shared checkout on its own host.

use axum::Router;
use axum::routing::get;

use crate::app::AppState;
use crate::web::{ErrorPage, render};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

async fn home() -> axum::response::Response {
    render(&ErrorPage::new(
        "Checkout",
        "Open the checkout from a store's basket page.",
    ))
}
