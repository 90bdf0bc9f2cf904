//! The stylesheet, compiled into the binary: no CDN, nothing inline.

use axum::http::header;
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("../../static/style.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

const CHECKOUT_STYLESHEET: &str = include_str!("../../static/checkout.css");

/// The checkout's additions to `style.css` (steps, choices, summary).
pub async fn checkout_stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CHECKOUT_STYLESHEET,
    )
}
