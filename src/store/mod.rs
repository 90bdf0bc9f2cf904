//! The storefront of each store: catalog, basket, and, where this deployment runs the
//! store's provider, accounts and order history. The store is resolved from `Host`; every
//! page shares `templates/store/base.html`.

mod account;
mod basket;
mod catalog;
pub mod shop;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;
use crate::web::WebError;

pub use basket::checkout_url;
// The forms' types and parsers, public for the fuzz targets (fuzz/).
pub use account::{LoginForm, ProfileForm, RegisterForm};
pub use basket::{LineForm, MAX_QUANTITY, parse_quantity};

/// The storefront's routes (URL contract in the brief; tests rely on these paths): catalog
/// and basket, for every store.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(catalog::catalog))
        .route("/theme.css", get(crate::web::theme::theme))
        .route("/basket", get(basket::show))
        .route("/basket/add", post(basket::add))
        .route("/basket/update", post(basket::update))
        .route("/basket/remove", post(basket::remove))
        .route("/basket/checkout", post(basket::checkout))
        // Unknown paths on a store host get the store's readable 404 page. Keep this the
        // only fallback among the routers merged for store hosts (axum refuses two).
        .fallback(not_found)
}

/// The password accounts of a store whose provider this deployment runs
/// (`StoreConfig::has_own_provider`).
pub fn accounts() -> Router<AppState> {
    Router::new()
        .route(
            "/account/register",
            get(account::register_form).post(account::register),
        )
        .route(
            "/account/login",
            get(account::login_form).post(account::login),
        )
        .route("/account/logout", post(account::logout))
        .route("/account", get(account::show))
        .route("/account/profile", post(account::update_profile))
}

async fn not_found() -> WebError {
    WebError::NotFound("page")
}
