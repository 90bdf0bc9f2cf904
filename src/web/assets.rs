//! The stylesheets and the demo products' pictures, compiled into the binary: no CDN,
//! nothing inline.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::WebError;

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

/// The demo products' pictures by file name: small hand-drawn SVGs without scripts or
/// external references.
const PRODUCT_IMAGES: [(&str, &str); 6] = [
    (
        "enamel-mug.svg",
        include_str!("../../static/products/enamel-mug.svg"),
    ),
    (
        "linen-tea-towel.svg",
        include_str!("../../static/products/linen-tea-towel.svg"),
    ),
    (
        "beeswax-candles.svg",
        include_str!("../../static/products/beeswax-candles.svg"),
    ),
    (
        "canvas-tote.svg",
        include_str!("../../static/products/canvas-tote.svg"),
    ),
    (
        "ceramic-plant-pot.svg",
        include_str!("../../static/products/ceramic-plant-pot.svg"),
    ),
    (
        "wool-socks.svg",
        include_str!("../../static/products/wool-socks.svg"),
    ),
];

/// `GET /static/products/{name}`. The URL stays the same when a release changes the
/// picture, so it is cached for an hour like the stylesheets, not for a year, and then
/// revalidated by its ETag (a 304 without the body).
pub async fn product_image(Path(name): Path<String>, request: HeaderMap) -> Response {
    let Some((_, svg)) = PRODUCT_IMAGES.iter().find(|(file, _)| *file == name) else {
        return WebError::NotFound("image").into_response();
    };
    let etag = format!("\"{}\"", &crate::secrets::sha256_hex(svg)[..16]);
    let cached = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| names_etag(tags, &etag));
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
        (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
        (header::ETAG, etag),
    ];
    if cached {
        (StatusCode::NOT_MODIFIED, headers).into_response()
    } else {
        (headers, *svg).into_response()
    }
}

/// Whether an `If-None-Match` list names `etag` (RFC 9110 §13.1.2: weak comparison, `*`
/// matches any).
fn names_etag(tags: &HeaderValue, etag: &str) -> bool {
    tags.to_str().is_ok_and(|tags| {
        tags.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
    })
}
