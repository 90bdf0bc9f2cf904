//! `GET /{store_id}/{basket_id}/payment` (Flamingo's payment action): asks the place-order
//! process where it stands and acts on it: a hosted payment page to visit, a failed
//! payment to retry, a placed order to confirm, or a moment to wait.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::flow::{self, PaymentAction, Progress};
use super::page::{self, Chrome, NoticePage, Step};
use super::session::BoundBasket;
use super::target::Target;
use crate::state::AppState;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/payment.html")]
struct PaymentPage {
    chrome: Chrome,
    title: &'static str,
    message: &'static str,
    refresh: bool,
    self_href: String,
    link: Option<String>,
    post_url: Option<String>,
    post_params: Vec<(String, String)>,
    gateway_html: Option<String>,
}

impl PaymentPage {
    /// The page while the shopper or the process is at work; arms add what is theirs.
    fn waiting(
        target: &Target,
        chrome: Chrome,
        title: &'static str,
        message: &'static str,
    ) -> Self {
        Self {
            chrome,
            title,
            message,
            refresh: false,
            self_href: target.path("/payment"),
            link: None,
            post_url: None,
            post_params: Vec::new(),
            gateway_html: None,
        }
    }
}

pub async fn show(State(state): State<AppState>, bound: BoundBasket) -> Result<Response, WebError> {
    let target = &bound.target;
    let chrome = Chrome::new(target, Step::Payment).signed_in_as(bound.session.signed_in_as());
    // The shopper may be back from a payment page: let the process look now. Only the
    // browser that started it may; another gets a page that shows nothing of it.
    let progress = flow::progress(&state, target, &bound.starter(), true).await?;
    Ok(respond(&state, target, chrome, progress))
}

fn respond(state: &AppState, target: &Target, chrome: Chrome, progress: Progress) -> Response {
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
        Progress::Running => render(&PaymentPage {
            refresh: true,
            ..PaymentPage::waiting(
                target,
                chrome,
                "We are placing your order",
                "This takes a few seconds. Please do not pay twice.",
            )
        }),
        Progress::WaitingForCustomer(action) => follow(state, target, chrome, action),
        Progress::BasketInvalid(message) => NoticePage {
            chrome,
            title: "Your basket changed".into(),
            message: format!("{message} Nothing was charged."),
            next_href: target.store_basket_url(),
            next_label: format!("Go to your basket at {}", target.store.name),
        }
        .respond(StatusCode::CONFLICT),
        Progress::Broken(message) => NoticePage {
            chrome,
            title: "We could not place your order".into(),
            message: format!("{message} Nothing was charged. Please try again in a moment."),
            next_href: target.path("/details"),
            next_label: "Back to your details".into(),
        }
        .respond(StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// The gateway's action for the shopper: its page, a form to post there, or its HTML.
fn follow(state: &AppState, target: &Target, chrome: Chrome, action: PaymentAction) -> Response {
    const CONFIRM: &str = "Your payment provider asks you to confirm the payment on its page.";
    match action {
        PaymentAction::Redirect { url } => {
            // Same-origin pages (the test gateway) get a 303 straight away; another origin
            // gets a link, because a redirect chain that began with our form POST would be
            // checked against this page's CSP `form-action`.
            if same_origin(state, &url) {
                return Redirect::to(&url).into_response();
            }
            render(&PaymentPage {
                link: Some(url),
                ..PaymentPage::waiting(target, chrome, "Continue to the payment page", CONFIRM)
            })
        }
        PaymentAction::PostRedirect { url, params } => {
            let csp = crate::web::headers::csp_with_form_targets(&[origin_of(&url)]);
            let mut response = render(&PaymentPage {
                post_url: Some(url),
                post_params: params,
                ..PaymentPage::waiting(target, chrome, "Continue to the payment page", CONFIRM)
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
                target,
                chrome,
                "Complete your payment",
                "Follow the instructions of your payment provider.",
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
