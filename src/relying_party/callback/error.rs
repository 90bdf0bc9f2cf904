//! Every way a callback is refused, and the one place each becomes a page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::Login;
use crate::relying_party::pages::Refusal;
use crate::web::WebError;

/// One variant per refusal; the variant names the `reason` logged with the page.
pub(crate) enum CallbackError {
    /// The query string could not be read.
    MalformedResponse,
    /// This browser holds no login binding cookie (login CSRF).
    NoTransactionCookie,
    MissingState,
    /// No transaction for this `state` and browser: never started, or already used.
    UnknownTransaction,
    /// The transaction's store is no longer configured.
    StoreGone,
    ExpiredTransaction,
    /// The provider answered with an error code (RFC 6749 §4.1.2.1). `description` is its
    /// `error_description`, kept only when the answer names the expected issuer.
    ErrorResponse {
        error: String,
        description: Option<String>,
    },
    /// The answer's `iss` is not the issuer the shopper was sent to (RFC 9207 §2.4).
    IssuerMismatch,
    MissingCode,
    /// Steps 7 and 8: the code exchange, the ID token, userinfo or the basket binding. The
    /// shopper is not told which; the log is.
    VerificationFailed(anyhow::Error),
    Internal(anyhow::Error),
}

impl CallbackError {
    /// The refusal page; `login` is the transaction this callback consumed, if it found
    /// one, and gives the page its way back to that basket's checkout.
    pub fn into_page(self, login: Option<&Login>) -> Response {
        match self.refusal(login) {
            Ok(refusal) => refusal.into_response(),
            Err(internal) => WebError::Internal(internal).into_response(),
        }
    }

    fn refusal(self, login: Option<&Login>) -> Result<Refusal, anyhow::Error> {
        let store = login.map_or("The store", |login| login.store.name.as_str());
        let refusal = match self {
            Self::MalformedResponse => Refusal::new(
                StatusCode::BAD_REQUEST,
                "malformed_response",
                "This login cannot be completed",
                "The answer from the store's login page was malformed.",
            ),
            Self::NoTransactionCookie => no_login_in_progress("no_transaction_cookie"),
            Self::MissingState => no_login_in_progress("missing_state"),
            Self::UnknownTransaction => no_login_in_progress("unknown_transaction"),
            Self::StoreGone => no_login_in_progress("store_gone"),
            Self::ExpiredTransaction => Refusal::new(
                StatusCode::BAD_REQUEST,
                "expired_transaction",
                "This login took too long",
                "For your safety a login must be finished within ten minutes. Please log in again.",
            ),
            Self::ErrorResponse { error, description } => Refusal::new(
                if error == "access_denied" {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::BAD_REQUEST
                },
                "error_response",
                format!("{store} did not log you in"),
                error_message(&error),
            )
            .detail(description.as_deref().map(readable)),
            Self::IssuerMismatch => Refusal::new(
                StatusCode::BAD_REQUEST,
                "issuer_mismatch",
                format!("This answer did not come from {store}"),
                format!(
                    "The login answer did not name {store}'s login service, so we did not use it."
                ),
            ),
            Self::MissingCode => Refusal::new(
                StatusCode::BAD_REQUEST,
                "missing_code",
                "This login cannot be completed",
                "The answer from the store's login page was incomplete.",
            ),
            Self::VerificationFailed(e) => {
                tracing::warn!(error = format!("{e:#}"), "login answer failed verification");
                Refusal::new(
                    StatusCode::BAD_REQUEST,
                    "verification_failed",
                    "We could not verify this login",
                    format!(
                        "{store}'s answer did not pass our security checks, so we did not use \
                         it. Please try again, or continue as a guest."
                    ),
                )
            }
            Self::Internal(e) => return Err(e),
        };
        Ok(match login {
            Some(login) => refusal.back_to(
                login.store.id.as_str(),
                &login.store.name,
                &login.tx.basket_id.to_string(),
            ),
            None => refusal,
        })
    }
}

fn no_login_in_progress(reason: &'static str) -> Refusal {
    Refusal::new(
        StatusCode::FORBIDDEN,
        reason,
        "This login cannot be completed",
        "We have no login in progress for this browser, or it was already used. \
         Start again from your basket at the store.",
    )
}

/// RFC 6749 §4.1.2.1 error codes in plain words.
fn error_message(code: &str) -> String {
    match code {
        "access_denied" => "The login was cancelled or refused.".to_owned(),
        "login_required" | "interaction_required" | "consent_required" => {
            "The store needs you to log in on its own page first.".to_owned()
        }
        "temporarily_unavailable" | "server_error" => {
            "The store's login service has a problem right now. Try again in a moment.".to_owned()
        }
        _ => format!(
            "The store's login service reported a problem ({}).",
            readable(code)
        ),
    }
}

/// Provider text shown on our page: single line, bounded (askama escapes the rest).
fn readable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::CallbackError as E;
    use crate::relying_party::callback::{CallbackParams, test_login};

    #[test]
    fn a_callback_without_a_login_is_refused_with_the_way_to_the_checkout_start() {
        for (error, reason, status) in [
            (E::MalformedResponse, "malformed_response", 400),
            (E::NoTransactionCookie, "no_transaction_cookie", 403),
            (E::MissingState, "missing_state", 403),
            (E::UnknownTransaction, "unknown_transaction", 403),
            (E::StoreGone, "store_gone", 403),
        ] {
            let Ok(refusal) = error.refusal(None) else {
                panic!("{reason} is a refusal");
            };
            assert_eq!(refusal.reason, reason);
            assert_eq!(refusal.status.as_u16(), status, "{reason}");
            assert_eq!(refusal.back_href, "/", "{reason}");
        }
    }

    #[test]
    fn a_refused_login_leads_back_to_its_basket() {
        let login = test_login(CallbackParams::default());
        let back = format!("/site3/{}", login.tx.basket_id);
        let answered = |error: &str| E::ErrorResponse {
            error: error.to_owned(),
            description: Some("line one\nline two".to_owned()),
        };
        for (error, reason, status) in [
            (E::ExpiredTransaction, "expired_transaction", 400),
            (answered("access_denied"), "error_response", 403),
            (answered("server_error"), "error_response", 400),
            (E::IssuerMismatch, "issuer_mismatch", 400),
            (E::MissingCode, "missing_code", 400),
            (
                E::VerificationFailed(anyhow::anyhow!("ID token refused")),
                "verification_failed",
                400,
            ),
        ] {
            let Ok(refusal) = error.refusal(Some(&login)) else {
                panic!("{reason} is a refusal");
            };
            assert_eq!(refusal.reason, reason);
            assert_eq!(refusal.status.as_u16(), status, "{reason}");
            assert_eq!(refusal.back_href, back, "{reason}");
            assert_eq!(refusal.store_name, "Site Three", "{reason}");
            if reason == "error_response" {
                assert_eq!(refusal.detail.as_deref(), Some("line one line two"));
            }
        }
    }

    #[test]
    fn an_internal_error_is_not_a_refusal() {
        assert!(
            E::Internal(anyhow::anyhow!("database down"))
                .refusal(None)
                .is_err()
        );
    }
}
