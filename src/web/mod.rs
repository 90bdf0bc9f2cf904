//! HTTP glue shared by every role: errors to responses, tenants, headers, CSRF, limits.

pub mod assets;
pub mod bare_errors;
mod client_address;
pub mod cookies;
mod error;
pub mod headers;
mod limits;
mod resolver;
mod tenant;

use std::path::Path;

use anyhow::Context;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};

pub use client_address::ClientAddress;
pub use cookies::CookieName;
pub use error::{ErrorPage, WebError};
pub use limits::RateLimits;
pub use resolver::LocalhostResolver;
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

/// The CSRF cookie is encrypted and its form token keyed with the deployment's cookie
/// secret, so any node can verify a token another node issued.
pub fn csrf_config(secret: &[u8], secure: bool) -> axum_csrf::CsrfConfig {
    let salt = crate::secrets::hash_secret(&String::from_utf8_lossy(&secret[64..]));
    axum_csrf::CsrfConfig::default()
        .with_key(Some(axum_csrf::Key::from(&secret[..64])))
        .with_salt(salt)
        .with_cookie_name("csrf")
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
    write_private_file(path, &secret)
        .with_context(|| format!("writing the cookie secret {}", path.display()))?;
    Ok(secret)
}

/// Writes a file readable by its owner only.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

/// A panic in a handler is a bug: log it, show the generic error page.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    WebError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}
