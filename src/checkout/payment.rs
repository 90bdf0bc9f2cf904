//! `GET /{store_id}/{basket_id}/payment` (Flamingo's payment action): asks the place-order
//! process where it stands and acts on it: a hosted payment page to visit, a failed
//! payment to retry, a placed order to confirm, or a moment to wait.
//!
//! The waiting page reloads itself without JavaScript (a meta refresh) at growing
//! intervals, carried in the reload URL's `wait` (seconds): 1, 2, 4, 8, then every 15 s,
//! so a slow payment provider costs a few requests, not one a second.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::flow::{self, Awaiting, PaymentAction, Progress};
use super::page::{self, Chrome, NoticePage, Step};
use super::session::BoundBasket;
use super::target::Target;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/payment.html")]
struct PaymentPage {
    chrome: Chrome,
    title: String,
    message: String,
    /// Only while the process runs.
    refresh: Option<Refresh>,
    link: Option<String>,
    post_url: Option<String>,
    post_params: Vec<(String, String)>,
    gateway_html: Option<String>,
}

/// The waiting page's reload: after `secs`, to `href` (this page with the next interval),
/// which is also its "Check again" link.
struct Refresh {
    secs: u64,
    href: String,
}

impl PaymentPage {
    /// The page while the shopper or the process is at work; arms add what is theirs.
    fn waiting(chrome: Chrome, title: String, message: String) -> Self {
        Self {
            chrome,
            title,
            message,
            refresh: None,
            link: None,
            post_url: None,
            post_params: Vec::new(),
            gateway_html: None,
        }
    }
}

/// The waiting page's reload interval, from the `wait` its last reload carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backoff {
    secs: u64,
}

impl Backoff {
    const FIRST_SECS: u64 = 1;
    const LONGEST_SECS: u64 = 15;

    /// The first `wait` of the query; absent or not a number is the first interval, a
    /// number is clamped to the range, so no URL gets an error page here.
    fn from_query(query: Option<&str>) -> Self {
        let wait = query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(name, _)| name == "wait")
                .map(|(_, value)| value)
        });
        let secs = match wait {
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                // Only overflow fails here: a huge number means the longest interval.
                digits.parse().unwrap_or(u64::MAX)
            }
            _ => Self::FIRST_SECS,
        };
        Self {
            secs: secs.clamp(Self::FIRST_SECS, Self::LONGEST_SECS),
        }
    }

    fn next(self) -> Self {
        Self {
            secs: (self.secs * 2).min(Self::LONGEST_SECS),
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    bound: BoundBasket,
) -> Result<Response, WebError> {
    let backoff = Backoff::from_query(query.as_deref());
    let target = &bound.target;
    let chrome = Chrome::new(target, Step::Payment).signed_in_as(bound.session.signed_in_as());
    // The shopper may be back from a payment page: let the process look now. Only the
    // browser that started it may; another gets a page that shows nothing of it.
    let progress = flow::progress(&state, target, &bound.starter(), true).await?;
    Ok(respond(&state, target, chrome, progress, backoff))
}

fn respond(
    state: &AppState,
    target: &Target,
    chrome: Chrome,
    progress: Progress,
    backoff: Backoff,
) -> Response {
    let lang = Lang(target.store.locale);
    match progress {
        Progress::NotStarted | Progress::Cancelled => {
            Redirect::to(&target.path("/details")).into_response()
        }
        Progress::Placed { .. } => Redirect::to(&target.path("/success")).into_response(),
        Progress::Elsewhere { storefront } => page::started_elsewhere(target, storefront),
        Progress::PaymentFailed(_) => {
            // Flamingo's `showReviewStepAfterPaymentError`; the page shows the failure.
            let step = if target.flags().show_review_step_after_payment_error
                && !target.flags().skip_review_action
            {
                "/review"
            } else {
                "/details"
            };
            Redirect::to(&target.path(step)).into_response()
        }
        Progress::Running(awaiting) => {
            let (title, message) = waiting_words(lang, awaiting);
            render(&PaymentPage {
                refresh: Some(Refresh {
                    secs: backoff.secs,
                    href: format!("{}?wait={}", target.path("/payment"), backoff.next().secs),
                }),
                ..PaymentPage::waiting(chrome, title, message)
            })
        }
        Progress::WaitingForCustomer(action) => follow(state, chrome, action),
        Progress::BasketInvalid(message) => NoticePage {
            chrome,
            title: lang.t("notice-basket-changed"),
            message: lang.t1("notice-basket-changed-message", "reason", &message),
            next_href: target.store_basket_url(),
            next_label: lang.t1("notice-go-to-basket", "store", &target.store.name),
        }
        .respond(StatusCode::CONFLICT),
        Progress::Broken(message) => NoticePage {
            chrome,
            title: lang.t("notice-not-placed"),
            message: lang.t1("notice-not-placed-message", "reason", &message),
            next_href: target.path("/details"),
            next_label: lang.t("notice-back-to-details"),
        }
        .respond(StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// The waiting page's title and message: what the shopper is waiting for.
fn waiting_words(lang: Lang, awaiting: Awaiting) -> (String, String) {
    let key = match awaiting {
        Awaiting::Order => "waiting-order",
        Awaiting::PaymentStart => "waiting-payment-start",
        Awaiting::PaymentConfirmation => "waiting-payment-confirmation",
        Awaiting::Rollback => "waiting-rollback",
    };
    (lang.t(key), lang.t(&format!("{key}-message")))
}

/// The gateway's action for the shopper: its page, a form to post there, or its HTML.
fn follow(state: &AppState, chrome: Chrome, action: PaymentAction) -> Response {
    let lang = chrome.lang;
    let confirm = || {
        (
            lang.t("payment-continue"),
            lang.t("payment-confirm-at-provider"),
        )
    };
    match action {
        PaymentAction::Redirect { url } => {
            // Same-origin pages (the test gateway) get a 303 straight away; another origin
            // gets a link, because a redirect chain that began with our form POST would be
            // checked against this page's CSP `form-action`.
            if same_origin(state, &url) {
                return Redirect::to(&url).into_response();
            }
            let (title, message) = confirm();
            render(&PaymentPage {
                link: Some(url),
                ..PaymentPage::waiting(chrome, title, message)
            })
        }
        PaymentAction::PostRedirect { url, params } => {
            let csp = crate::web::headers::csp_with_form_targets(&[origin_of(&url)]);
            let (title, message) = confirm();
            let mut response = render(&PaymentPage {
                post_url: Some(url),
                post_params: params,
                ..PaymentPage::waiting(chrome, title, message)
            });
            if let Ok(value) = HeaderValue::from_str(&csp) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, value);
            }
            response
        }
        PaymentAction::ShowHtml { html } => render(&PaymentPage {
            gateway_html: Some(html),
            ..PaymentPage::waiting(
                chrome,
                lang.t("payment-complete"),
                lang.t("payment-follow-provider"),
            )
        }),
    }
}

fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

fn same_origin(state: &AppState, url: &str) -> bool {
    origin_of(url)
        == state
            .config
            .checkout
            .base_url
            .origin()
            .ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::Backoff;

    fn secs(query: Option<&str>) -> u64 {
        Backoff::from_query(query).secs
    }

    #[test]
    fn the_interval_doubles_up_to_fifteen_seconds() {
        let mut backoff = Backoff::from_query(None);
        let mut seen = Vec::new();
        for _ in 0..7 {
            seen.push(backoff.secs);
            backoff = backoff.next();
        }
        assert_eq!(seen, [1, 2, 4, 8, 15, 15, 15]);
    }

    #[test]
    fn a_bad_wait_is_the_first_interval_and_a_big_one_the_longest() {
        for bad in [
            "wait=", "wait=abc", "wait=-4", "wait=+4", "wait=4.5", "wait=%00", "other=8",
        ] {
            assert_eq!(secs(Some(bad)), 1, "{bad}");
        }
        assert_eq!(secs(Some("wait=0")), 1);
        assert_eq!(secs(Some("wait=8&wait=2")), 8, "the first wait counts");
        assert_eq!(secs(Some("wait=16")), 15);
        assert_eq!(secs(Some("wait=99999999999999999999999999")), 15);
    }
}
