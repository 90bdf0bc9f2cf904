//! Structured logs. Set `RUST_LOG` to filter; JSON when configured for production.

use std::io::IsTerminal;

use axum::http::Request;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Colours only for a terminal: a file, the journal or a container's log gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    // A second init (tests start many apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// One span per request, carrying the request id set by `SetRequestIdLayer`. The query
/// string is left out: it can carry codes and state. Ids in the path (baskets, payments)
/// are shortened: anyone holding a basket id can open its checkout.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let host = request
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        host = %host,
        path = %ShortIds(request.uri().path()),
        request_id = %request_id,
    )
}

/// Shows text with every UUID in it cut to its first 8 hex digits and `…`: enough to tell
/// log lines about one basket, payment or process apart, not enough to open it.
pub struct ShortIds<T>(pub T);

impl<T: std::fmt::Display> std::fmt::Display for ShortIds<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.to_string();
        let bytes = text.as_bytes();
        let mut shown = 0;
        let mut at = 0;
        while at + UUID_LEN <= bytes.len() {
            if is_uuid(&bytes[at..at + UUID_LEN]) {
                f.write_str(&text[shown..at + 8])?;
                f.write_str("…")?;
                at += UUID_LEN;
                shown = at;
            } else {
                at += 1;
            }
        }
        f.write_str(&text[shown..])
    }
}

const UUID_LEN: usize = 36;

/// 8-4-4-4-12 hex digits.
fn is_uuid(candidate: &[u8]) -> bool {
    candidate.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

#[cfg(test)]
mod tests {
    use super::ShortIds;

    #[test]
    fn uuids_are_cut_to_a_prefix_and_the_rest_is_kept() {
        let path = "/site1/0b6f1c2e-8d4a-4f3e-9a1b-2c3d4e5f6a7b/details";
        assert_eq!(ShortIds(path).to_string(), "/site1/0b6f1c2e…/details");
        let two = "a 0B6F1C2E-8D4A-4F3E-9A1B-2C3D4E5F6A7B b 11111111-2222-3333-4444-555555555555";
        assert_eq!(ShortIds(two).to_string(), "a 0B6F1C2E… b 11111111…");
        assert_eq!(ShortIds("/ümlaut/x").to_string(), "/ümlaut/x");
    }
}
