//! Security headers on every response; a handler may set a stricter or wider CSP itself.

use std::collections::BTreeSet;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use url::Url;

/// No inline script or style anywhere, so the policy can forbid both.
pub const DEFAULT_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let defaults: [(HeaderName, &str); 6] = [
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// The default CSP with extra origins the page's forms may post (and redirect) to.
pub fn csp_with_form_targets(origins: &[String]) -> String {
    csp_with(origins, &[])
}

/// The default CSP with extra origins the page's images may load from.
pub fn csp_with_image_sources(origins: &[String]) -> String {
    csp_with(&[], origins)
}

/// The default CSP with extra form targets and image origins.
pub fn csp_with(form_targets: &[String], image_sources: &[String]) -> String {
    let forms = source_list(form_targets);
    let images = source_list(image_sources);
    DEFAULT_CSP
        .replace("form-action 'self'", &format!("form-action 'self'{forms}"))
        .replace(
            "img-src 'self' data:",
            &format!("img-src 'self' data:{images}"),
        )
}

/// The origins of the images that are URLs, each once; paths (under /static/) are 'self'.
pub fn image_origins<'a>(images: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let origins: BTreeSet<String> = images
        .into_iter()
        .filter_map(|image| Url::parse(image).ok())
        .map(|url| url.origin().ascii_serialization())
        .collect();
    origins.into_iter().collect()
}

/// Origins as CSP sources, each after a space; one that could end its directive is dropped.
fn source_list(origins: &[String]) -> String {
    origins
        .iter()
        .filter(|o| {
            o.bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        })
        .map(|o| format!(" {o}"))
        .collect()
}
