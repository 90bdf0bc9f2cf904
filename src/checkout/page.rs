//! What every checkout page shows: whose checkout it is (store name, initial, colours via
//! `/{store_id}/theme.css`), the steps ahead, and the refusal pages of the flow.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::target::{Target, Unresolved};
use crate::config::StoreConfig;
use crate::domain::BasketStatus;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::{WebError, render};

/// The steps of the flow after Flamingo's controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Start,
    Details,
    Review,
    Payment,
    Done,
}

impl Step {
    /// Its name in `locales/*/checkout.ftl`.
    fn label_key(self) -> &'static str {
        match self {
            Step::Start => "step-start",
            Step::Details => "step-details",
            Step::Review => "step-review",
            Step::Payment => "step-payment",
            Step::Done => "step-done",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Step::Start => "",
            Step::Details => "/details",
            Step::Review => "/review",
            Step::Payment => "/payment",
            Step::Done => "/success",
        }
    }
}

pub struct StepView {
    step: Step,
    pub label: String,
    /// "done", "current" or "todo" (a CSS modifier).
    pub state: &'static str,
    /// Done steps link back, except once the order is placed.
    pub href: Option<String>,
}

/// Page furniture for `templates/checkout/base.html`.
pub struct Chrome {
    pub store_name: String,
    /// The store's language: every text, price and date on the page.
    pub lang: Lang,
    /// Drawn as the store's logo.
    pub store_initial: String,
    pub store_id: String,
    pub store_home: String,
    pub store_basket: String,
    pub steps: Vec<StepView>,
    pub csrf_token: String,
    /// The shopper's name or email once logged in through the store.
    pub signed_in_as: Option<String>,
    /// Where the "Log out" form posts; empty on pages without a basket.
    pub logout_action: String,
}

impl Chrome {
    pub fn for_store(store: &StoreConfig) -> Self {
        Self {
            store_name: store.name.clone(),
            lang: Lang(store.locale),
            store_initial: store
                .name
                .chars()
                .find(|c| c.is_alphanumeric())
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default(),
            store_id: store.id.to_string(),
            store_home: store.url("/"),
            store_basket: store.url("/basket"),
            steps: Vec::new(),
            csrf_token: String::new(),
            signed_in_as: None,
            logout_action: String::new(),
        }
    }

    pub fn new(target: &Target, current: Step) -> Self {
        let flags = target.flags();
        let visible = [
            Step::Start,
            Step::Details,
            Step::Review,
            Step::Payment,
            Step::Done,
        ]
        .into_iter()
        .filter(|s| *s != Step::Start || !flags.skip_start_action)
        .filter(|s| *s != Step::Review || !flags.skip_review_action);
        let placed = current == Step::Done;
        let steps = visible
            .map(|step| {
                let state = match step.cmp(&current) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                };
                let links_back = state == "done" && !placed && step != Step::Payment;
                StepView {
                    step,
                    label: Lang(target.store.locale).t(step.label_key()),
                    state,
                    href: links_back.then(|| target.path(step.path())),
                }
            })
            .collect();
        Self {
            steps,
            logout_action: target.path("/logout"),
            ..Self::for_store(&target.store)
        }
    }

    pub fn csrf(mut self, token: String) -> Self {
        self.csrf_token = token;
        self
    }

    /// Names the logged-in shopper; the start step (log in or guest) no longer links back.
    pub fn signed_in_as(mut self, who: Option<String>) -> Self {
        if who.is_some()
            && let Some(start) = self.steps.iter_mut().find(|s| s.step == Step::Start)
        {
            start.href = None;
        }
        self.signed_in_as = who;
        self
    }
}

/// One basket line as the summary shows it.
pub struct LineView {
    pub name: String,
    pub quantity: i64,
    pub unit_price: String,
    pub total: String,
}

pub fn lines(target: &Target) -> Vec<LineView> {
    let lang = Lang(target.store.locale);
    target
        .basket
        .lines
        .iter()
        .map(|l| LineView {
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price: lang.money(l.unit_price),
            total: l.total().map(|t| lang.money(t)).unwrap_or_default(),
        })
        .collect()
}

/// A checkout-branded notice page (empty basket, already ordered, …).
#[derive(Template)]
#[template(path = "checkout/notice.html")]
pub struct NoticePage {
    pub chrome: Chrome,
    pub title: String,
    pub message: String,
    pub next_href: String,
    pub next_label: String,
}

impl NoticePage {
    pub fn respond(self, status: StatusCode) -> Response {
        (status, render(&self)).into_response()
    }
}

/// The answer to a checkout URL that names no basket we know: a 404 page, or the store's
/// basket page when the store asks for it (Flamingo's `redirectToCartOnInvalideCart`).
impl IntoResponse for Unresolved {
    fn into_response(self) -> Response {
        match self {
            Unresolved::Undecodable => WebError::NotFound("basket").into_response(),
            Unresolved::UnknownStore => WebError::NotFound("store").into_response(),
            Unresolved::UnknownBasket(store) => {
                if store.checkout.redirect_to_basket_on_invalid_basket {
                    return Redirect::to(&store.url("/basket")).into_response();
                }
                let lang = Lang(store.locale);
                NoticePage {
                    chrome: Chrome::for_store(&store),
                    title: lang.t("notice-unknown-basket"),
                    message: lang.t1("notice-unknown-basket-message", "store", &store.name),
                    next_href: store.url("/basket"),
                    next_label: lang.t1("notice-go-to-basket", "store", &store.name),
                }
                .respond(StatusCode::NOT_FOUND)
            }
            Unresolved::Internal(error) => WebError::Internal(error).into_response(),
        }
    }
}

/// An empty basket: the empty-basket page (Flamingo's `showEmptyCartPageIfNoItems`), or a
/// refusal that still says what to do.
pub fn empty_basket(target: &Target) -> Response {
    let store = &target.store;
    let lang = Lang(store.locale);
    let (status, title, message) = if target.flags().show_empty_basket_page_if_no_items {
        (
            StatusCode::OK,
            lang.t("basket-empty-title"),
            lang.t1("notice-empty-basket", "store", &store.name),
        )
    } else {
        (
            StatusCode::CONFLICT,
            lang.t("notice-nothing-to-check-out"),
            lang.t("notice-no-items"),
        )
    };
    NoticePage {
        chrome: Chrome::for_store(store),
        title,
        message,
        next_href: store.url("/"),
        next_label: lang.t1("notice-shop-at", "store", &store.name),
    }
    .respond(status)
}

/// A browser without a live checkout session for this basket. The checkout URL names a
/// basket, it does not grant it: the store hands the checkout over with a one-time ticket
/// from its basket page. An ordered basket still follows the store's
/// `redirect_to_basket_on_invalid_basket`.
pub fn not_handed_off(target: &Target) -> Response {
    let store = &target.store;
    if target.status() == BasketStatus::Ordered
        && target.flags().redirect_to_basket_on_invalid_basket
    {
        return Redirect::to(&target.store_basket_url()).into_response();
    }
    let lang = Lang(store.locale);
    back_to_the_store(
        target,
        &lang.t("notice-not-handed-off"),
        lang.t1("notice-not-handed-off-message", "store", &store.name),
    )
}

/// A checkout ticket that is unknown, used, expired, or made for another basket.
pub fn ticket_refused(target: &Target) -> Response {
    let lang = Lang(target.store.locale);
    back_to_the_store(
        target,
        &lang.t("notice-ticket-expired"),
        lang.t1("notice-ticket-expired-message", "store", &target.store.name),
    )
}

fn back_to_the_store(target: &Target, title: &str, message: String) -> Response {
    let store = &target.store;
    NoticePage {
        chrome: Chrome::for_store(store),
        title: title.into(),
        message,
        next_href: target.store_basket_url(),
        next_label: Lang(store.locale).t1("notice-go-to-basket", "store", &store.name),
    }
    .respond(StatusCode::FORBIDDEN)
}

/// "Place order" for a basket whose order another browser, tab or storefront is already
/// placing with other details: refused, never a silent hand-over of their attempt.
pub fn placed_with_other_details(target: &Target) -> Response {
    let store = &target.store;
    let lang = Lang(store.locale);
    NoticePage {
        chrome: Chrome::for_store(store),
        title: lang.t("notice-being-ordered"),
        message: lang.t("notice-being-ordered-message"),
        next_href: store.url("/basket"),
        next_label: lang.t1("notice-go-to-basket", "store", &store.name),
    }
    .respond(StatusCode::CONFLICT)
}

/// The payment step or confirmation of an order this browser did not start: nothing of
/// it is shown. A headless storefront's shopper lands here after paying: the store
/// shows the order.
pub fn started_elsewhere(target: &Target, storefront: bool) -> Response {
    let store = &target.store;
    let lang = Lang(store.locale);
    let (status, message) = if storefront {
        (
            StatusCode::OK,
            lang.t1("notice-placed-by-storefront", "store", &store.name),
        )
    } else {
        (StatusCode::FORBIDDEN, lang.t("notice-started-elsewhere"))
    };
    NoticePage {
        chrome: Chrome::for_store(store),
        title: lang.t("notice-not-shown"),
        message,
        next_href: store.url("/"),
        next_label: lang.t1("notice-go-to-store", "store", &store.name),
    }
    .respond(status)
}

pub fn csrf_refused() -> Response {
    WebError::Forbidden(
        "This form has expired or did not come from this checkout. Go back, reload the page \
         and send it again."
            .into(),
    )
    .into_response()
}

/// The order summary beside each step (`templates/checkout/summary.html`).
pub struct Summary {
    pub lines: Vec<LineView>,
    pub subtotal: String,
    /// The delivery method's name and price, once chosen.
    pub delivery: Option<(String, String)>,
    pub total: String,
}

impl Summary {
    pub fn new(target: &Target, delivery: Option<crate::domain::DeliveryMethod>) -> Self {
        let lang = Lang(target.store.locale);
        let subtotal = target.subtotal();
        let total = match delivery {
            Some(method) => target.total_with(method),
            None => subtotal,
        };
        Self {
            lines: lines(target),
            subtotal: subtotal.map(|t| lang.money(t)).unwrap_or_default(),
            delivery: delivery.map(|m| {
                (
                    lang.delivery_title(m),
                    lang.money(m.price(target.store.currency)),
                )
            }),
            total: total.map(|t| lang.money(t)).unwrap_or_default(),
        }
    }
}

/// For pages with the "Log out" form: its POST ends in a redirect to the store's
/// end_session_endpoint, and CSP `form-action` applies to redirects too, so the store's
/// login origin is allowed (the same policy as the "Log in with {store}" form's).
pub fn allowing_logout(state: &AppState, store: &StoreConfig, mut response: Response) -> Response {
    let csp = login_form_csp(state, store);
    if let Ok(value) = axum::http::HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The CSP for a page holding the "Log in with {store}" form: the default policy, with the
/// store's login origin added to `form-action`. The form posts to our own `/login`, which
/// redirects to the store, and browsers apply `form-action` to that redirect too.
///
/// The origin is the issuer's, plus the authorization endpoint's when the provider's
/// discovery document is already cached and names another origin.
pub fn login_form_csp(state: &AppState, store: &StoreConfig) -> String {
    let mut origins = vec![
        crate::store_providers::configured_issuer(store)
            .origin()
            .ascii_serialization(),
    ];
    if let Some(authorize) = state.store_providers.cached_authorization_origin(&store.id)
        && !origins.contains(&authorize)
    {
        origins.push(authorize);
    }
    crate::web::headers::csp_with_form_targets(&origins)
}
