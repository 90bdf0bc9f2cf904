//! The shared checkout on its own host, after Flamingo's checkout controller:
//! Start → Details → Review → Payment → Place order → Success, with the store's flags
//! (`config::CheckoutFlags`) switching steps and form parts; and a JSON API mirroring the
//! place-order process for headless storefronts.

mod api;
mod details;
mod flow;
pub mod form;
mod guard;
pub mod page;
mod payment;
mod place_order;
mod review;
mod session;
pub mod session_store;
mod start;
mod success;
pub(crate) mod target;
pub mod testgateway;

// The request types of the checkout form and the JSON API, public for the fuzz targets
// (fuzz/).
pub use api::{ApiError, PlaceOrderBody, invalid_details};
pub use details::DetailsForm;
pub use session::BoundBasket;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};

use crate::config::PaymentSettings;
use crate::state::AppState;
use crate::web::{ErrorPage, WebError, render};
use target::KnownStore;

/// The checkout host's routes; the test payment page only when configured.
pub fn router(payments: &PaymentSettings) -> Router<AppState> {
    let router = Router::new()
        .route("/", get(home))
        .route(
            "/static/checkout.css",
            get(crate::web::assets::checkout_stylesheet),
        )
        .route("/theme.css", get(default_theme))
        .route("/{store_id}/theme.css", get(store_theme))
        .route("/{store_id}/{basket_id}", get(start::show))
        .route(
            "/{store_id}/{basket_id}/guest",
            axum::routing::post(start::guest),
        )
        .route(
            "/{store_id}/{basket_id}/details",
            get(details::show).post(details::submit),
        )
        .route(
            "/{store_id}/{basket_id}/review",
            get(review::show).post(place_order::submit),
        )
        .route("/{store_id}/{basket_id}/payment", get(payment::show))
        .route(
            "/{store_id}/{basket_id}/place-order",
            post(place_order::submit),
        )
        .route("/{store_id}/{basket_id}/success", get(success::show))
        .route("/api/openapi.json", get(api::openapi))
        .route(
            "/api/v1/{store_id}/{basket_id}/place-order",
            get(api::status).post(api::start),
        )
        .route(
            "/api/v1/{store_id}/{basket_id}/place-order/refresh",
            post(api::refresh),
        )
        .route(
            "/api/v1/{store_id}/{basket_id}/place-order/cancel",
            post(api::cancel),
        )
        .route("/api/{*rest}", any(api::not_found))
        // A mistyped checkout address gets a readable page, not an empty 404. Keep this
        // the only fallback among the routers merged for the checkout host (axum refuses
        // two).
        .fallback(not_found);
    if payments.test_gateway {
        router.merge(testgateway::router())
    } else {
        router
    }
}

async fn not_found() -> WebError {
    WebError::NotFound("page")
}

async fn home() -> Response {
    render(&ErrorPage::new(
        "Checkout",
        "Open the checkout from a store's basket page.",
    ))
}

/// The store's colours on the checkout host: a stylesheet from the store's own origin
/// would be cross-origin, and the CSP allows styles from 'self' only.
async fn store_theme(KnownStore(store): KnownStore) -> Response {
    crate::web::theme::stylesheet(&store)
}

/// Pages not tied to a store (the shared error page) keep the stylesheet's own colours.
async fn default_theme() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        ":root {}\n",
    )
        .into_response()
}
