//! `GET /{store_id}/{basket_id}/success` (Flamingo's success action): the order number and
//! what was ordered, for the browser the basket was handed to that placed it; any other
//! gets a page that shows nothing of the order.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use super::flow::{self, Progress};
use super::page::{self, Chrome, LineView, Step};
use super::session::BoundBasket;
use crate::domain::DeliveryMethod;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "checkout/success.html")]
struct SuccessPage {
    chrome: Chrome,
    order_number: String,
    email: String,
    /// "{store} prepares it. Delivery: {delivery}. Payment: {payment}."
    prepared: String,
    /// The delivery line: its title and price.
    delivery_title: String,
    delivery_price: String,
    lines: Vec<LineView>,
    total: String,
    /// The store's account page, for a shopper who logged in there.
    account_href: Option<String>,
    /// Logged in through a store's external provider: the order is linked to no account
    /// the shopper can see.
    logged_in_elsewhere: bool,
}

pub async fn show(State(state): State<AppState>, bound: BoundBasket) -> Result<Response, WebError> {
    let BoundBasket {
        target, session, ..
    } = &bound;
    match flow::progress(&state, target, &bound.starter(), false).await? {
        Progress::Placed { .. } => {}
        Progress::Elsewhere { storefront } => {
            return Ok(page::started_elsewhere(target, storefront));
        }
        _ => return Ok(Redirect::to(&target.path("/payment")).into_response()),
    }
    let Some(order) = flow::placed_order(&state, target).await? else {
        return Ok(Redirect::to(&target.path("/payment")).into_response());
    };
    let currency = target.store.currency;
    let lang = Lang(target.store.locale);
    let delivery = DeliveryMethod::parse(&order.delivery_method);
    let page = SuccessPage {
        delivery_title: delivery
            .map(|m| lang.delivery_title(m))
            .unwrap_or_else(|| order.delivery_method.clone()),
        delivery_price: delivery
            .map(|m| lang.money(m.price(currency)))
            .unwrap_or_default(),
        chrome: Chrome::new(target, Step::Done).signed_in_as(session.signed_in_as()),
        order_number: order.number,
        email: order.email,
        prepared: lang.t3(
            "success-prepares",
            ("store", &target.store.name),
            (
                "delivery",
                &delivery.map_or(order.delivery_method, |m| lang.delivery_title(m)),
            ),
            ("payment", &order.payment_method),
        ),
        lines: order
            .lines
            .iter()
            .map(|l| {
                let unit = crate::domain::Money::new(l.unit_price_minor, currency);
                LineView {
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: lang.money(unit),
                    total: unit
                        .checked_mul(l.quantity)
                        .map(|t| lang.money(t))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        total: lang.money(order.total),
        account_href: session
            .identity
            .as_ref()
            .and(order.customer_id)
            .map(|_| target.store.url("/account")),
        logged_in_elsewhere: session.identity.is_some() && order.customer_id.is_none(),
    };
    Ok(render(&page))
}
