//! The one place where page errors become HTTP responses.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Errors of the HTML pages. What the shopper can fix says so in plain words; everything
/// else is logged in full and shown as a generic apology.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request clashes with the resource's current state (RFC 9110 §15.5.10).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts")]
    TooManyRequests,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A refusal page: what happened, and where to go next.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub message: String,
    pub next_href: String,
    pub next_label: String,
}

impl ErrorPage {
    pub fn new(title: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            message: message.into(),
            next_href: "/".to_owned(),
            next_label: "Go to the home page".to_owned(),
        }
    }

    pub fn next(mut self, href: impl Into<String>, label: impl Into<String>) -> Self {
        self.next_href = href.into();
        self.next_label = label.into();
        self
    }

    pub fn into_response_with(self, status: StatusCode) -> Response {
        (status, super::render(&self)).into_response()
    }

    /// 503 with `Retry-After` (RFC 9110 §10.2.3): the refusal is temporary.
    pub fn into_response_with_retry_after(self) -> Response {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())],
            super::render(&self),
        )
            .into_response()
    }
}

/// Seconds a shopper turned away for a moment (a full hashing queue, the database out of
/// reach) is asked to wait.
const RETRY_AFTER_SECS: u64 = 5;

/// Whether `error` is the database being out of reach rather than a fault of ours: a
/// connection that broke or was closed by the server (PostgreSQL's `57P01` when an
/// administrator terminates it, SQLSTATE classes `08` connection exception and `57P`
/// operator intervention), or no connection to be had from the pool in time. The pool
/// does not test connections before handing them out (`db::Db::connect`), so after a
/// database restart each broken connection fails one statement before it is replaced;
/// such a request works again a moment later, so it is a 503, not a 500.
pub fn database_unavailable(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
        .any(|error| match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(error) => error
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
            _ => false,
        })
}

/// The page for a request that found the database out of reach.
fn unavailable_page() -> ErrorPage {
    ErrorPage::new(
        "We are briefly unavailable",
        format!(
            "Nothing you did caused this: we cannot reach our records right now. Wait \
             {RETRY_AFTER_SECS} seconds, then try again."
        ),
    )
}

/// The page for a sign-in or registration that found every hashing slot taken.
pub fn busy_page() -> ErrorPage {
    ErrorPage::new(
        "We are very busy right now",
        format!(
            "Too many people are signing in at this moment. Nothing was changed; \
             wait {RETRY_AFTER_SECS} seconds, then send the form again."
        ),
    )
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, page) = match &self {
            WebError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                ErrorPage::new(
                    "Not found",
                    format!("We could not find that {what}. The link may be old or mistyped."),
                ),
            ),
            WebError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                ErrorPage::new("Something was wrong with that request", message.clone()),
            ),
            WebError::Forbidden(message) => (
                StatusCode::FORBIDDEN,
                ErrorPage::new("Not allowed", message.clone()),
            ),
            WebError::Conflict(message) => (
                StatusCode::CONFLICT,
                ErrorPage::new("This cannot be done now", message.clone()),
            ),
            WebError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                ErrorPage::new(
                    "Too many attempts",
                    "There were too many attempts in a short time. Wait a minute, then try again.",
                ),
            ),
            WebError::Internal(error) if database_unavailable(error) => {
                tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "request failed: the database is unavailable");
                return unavailable_page().into_response_with_retry_after();
            }
            WebError::Internal(error) => {
                tracing::error!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorPage::new(
                        "Something went wrong on our side",
                        "Nothing you did caused this. Please try again in a moment.",
                    ),
                )
            }
        };
        page.into_response_with(status)
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn a_lost_database_connection_is_a_503_with_retry_after() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let lost = [
            anyhow::Error::from(sqlx::Error::Io(reset)),
            anyhow::Error::from(sqlx::Error::PoolTimedOut),
            Err::<(), _>(sqlx::Error::PoolClosed)
                .context("loading the basket")
                .unwrap_err(),
        ];
        for error in lost {
            assert!(database_unavailable(&error), "{error:?}");
            let response = WebError::Internal(error).into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        }
    }

    #[test]
    fn other_failures_stay_500() {
        for error in [
            anyhow::Error::from(sqlx::Error::RowNotFound),
            anyhow::anyhow!("a bug"),
        ] {
            assert!(!database_unavailable(&error), "{error:?}");
            let response = WebError::Internal(error).into_response();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
    }
}
