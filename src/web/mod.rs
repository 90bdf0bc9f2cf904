//! HTTP glue shared by every role: errors to responses, tenants, headers, CSRF, limits.

pub mod assets;
pub mod bare_errors;
mod client_address;
pub mod cookies;
mod error;
pub mod forms;
pub mod headers;
mod limits;
mod resolver;
mod signed;
mod tenant;
pub mod theme;
pub mod view;

use std::path::Path;

use anyhow::Context;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};

pub use client_address::ClientAddress;
pub use cookies::CookieName;
pub use error::{ErrorPage, WebError, busy_page, database_unavailable};
pub use limits::{LoginSubject, RateLimits};
pub use resolver::LocalhostResolver;
pub use signed::SignedValues;
pub use tenant::StoreTenant;

/// The request's host, lowercased, without port: from `Host`, or the URI for HTTP/2.
pub fn host_of(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let raw = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))?;
    let host = match raw.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => raw,
    };
    Some(host.to_ascii_lowercase())
}

/// Renders an askama template into an HTML response; a template bug becomes a logged 500.
pub fn render<T: askama::Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => WebError::Internal(anyhow::Error::new(e).context("rendering a template"))
            .into_response(),
    }
}

/// The CSRF cookie of one host. Its encryption key and the key of its form tokens are
/// derived from the deployment's cookie secret and the host name (HMAC-SHA256), so any
/// node verifies a token another node issued for the same host, while a cookie and token
/// pair from one store verifies neither at another store nor at the checkout.
pub fn csrf_config(secret: &[u8], host: &str, secure: bool) -> axum_csrf::CsrfConfig {
    use aws_lc_rs::hmac;
    let master = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let derive = |purpose: &str| hmac::sign(&master, format!("{purpose}\0{host}").as_bytes());
    let mut cookie_key = derive("csrf cookie key 1").as_ref().to_vec();
    cookie_key.extend_from_slice(derive("csrf cookie key 2").as_ref());
    let token_key = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        derive("csrf form token key"),
    );
    axum_csrf::CsrfConfig::default()
        .with_key(Some(axum_csrf::Key::from(&cookie_key)))
        .with_salt(token_key)
        .with_cookie_name(&CookieName::new("csrf", secure).as_str())
        .with_cookie_path("/")
        .with_cookie_same_site(axum_csrf::SameSite::Lax)
        .with_http_only(true)
        .with_secure(secure)
}

/// 96 random bytes shared by every node of a deployment; generated on first run.
pub fn load_or_create_cookie_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read(path) {
        anyhow::ensure!(
            existing.len() >= 96,
            "cookie secret {} must hold at least 96 bytes",
            path.display()
        );
        return Ok(existing);
    }
    let mut secret = vec![0u8; 96];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::secrets::write_private_file(path, &secret)
        .with_context(|| format!("writing the cookie secret {}", path.display()))?;
    Ok(secret)
}

/// A panic in a handler is a bug: log it, show the generic error page.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    WebError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}
