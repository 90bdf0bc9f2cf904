//! The basket: `GET /basket`, `POST /basket/add|update|remove`. A basket is created on
//! the first add and named by the `basket` cookie (see `shop.rs`).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use url::Url;

use super::shop::{Chrome, Section, Shop, with_basket_cookie};
use crate::db;
use crate::domain::{BasketId, BasketStatus, ProductId, StoreId};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::{PageForm, verify_csrf};
use crate::web::headers;
use crate::web::{ErrorPage, WebError, render};

/// Most of one product a basket line can hold (the `basket_lines` CHECK agrees).
pub const MAX_QUANTITY: i64 = 99;

/// `{checkout_base_url}/{store_id}/{basket_id}`, the checkout's start page for a basket.
pub fn checkout_url(checkout_base: &Url, store: &StoreId, basket: BasketId) -> String {
    format!(
        "{}/{store}/{basket}",
        checkout_base.as_str().trim_end_matches('/')
    )
}

#[derive(Template)]
#[template(path = "store/basket.html")]
struct BasketPage {
    chrome: Chrome,
    lines: Vec<LineView>,
    total: String,
    /// A place-order process holds the basket: shown, not editable.
    frozen: bool,
}

struct LineView {
    product_id: String,
    name: String,
    quantity: i64,
    unit_price: String,
    total: String,
    image: Option<String>,
}

pub async fn show(State(state): State<AppState>, shop: Shop) -> Result<Response, WebError> {
    let basket = shop.basket.as_ref().filter(|b| !b.lines.is_empty());
    let lang = Lang(shop.store.locale);
    let page = BasketPage {
        chrome: shop.chrome(Section::Basket)?,
        lines: basket
            .map(|b| {
                b.lines
                    .iter()
                    .map(|l| LineView {
                        product_id: l.product_id.to_string(),
                        name: l.name.clone(),
                        quantity: l.quantity,
                        unit_price: lang.money(l.unit_price),
                        total: l.total().map(|t| lang.money(t)).unwrap_or_default(),
                        image: l.image.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        total: basket
            .and_then(|b| b.total())
            .map(|t| lang.money(t))
            .unwrap_or_default(),
        frozen: basket.is_some_and(|b| b.status == BasketStatus::Frozen),
    };
    // The Checkout form posts here and ends in a redirect to the checkout, and browsers
    // check CSP `form-action` against redirects too.
    let checkout_origin = state
        .config
        .checkout
        .base_url
        .origin()
        .ascii_serialization();
    let image_origins =
        headers::image_origins(page.lines.iter().filter_map(|l| l.image.as_deref()));
    let csp = headers::csp_with(&[checkout_origin], &image_origins);
    Ok((
        [(header::CONTENT_SECURITY_POLICY, csp)],
        shop.jar,
        shop.csrf,
        render(&page),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LineForm {
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    authenticity_token: String,
}

/// `quantity` as typed: a whole number within `min..=MAX_QUANTITY`; blank means 1 when
/// adding (the catalog's field starts at 1).
pub fn parse_quantity(raw: &str, min: i64) -> Result<i64, WebError> {
    let raw = raw.trim();
    let quantity = if raw.is_empty() && min == 1 {
        1
    } else {
        raw.parse::<i64>().map_err(|_| bad_quantity(min))?
    };
    if (min..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(bad_quantity(min))
    }
}

fn bad_quantity(min: i64) -> WebError {
    WebError::BadRequest(format!(
        "The quantity must be a whole number from {min} to {MAX_QUANTITY}."
    ))
}

fn parse_product(raw: &str) -> Result<ProductId, WebError> {
    ProductId::parse(raw.trim()).map_err(|_| WebError::NotFound("product"))
}

/// A basket being checked out cannot change until that checkout ends.
fn basket_in_checkout() -> Response {
    ErrorPage::new(
        "Your basket is being checked out",
        "A checkout for this basket is in progress, so it cannot change right now. Finish \
         or cancel the payment first, then come back.",
    )
    .next("/basket", "View your basket")
    .into_response_with(StatusCode::CONFLICT)
}

pub async fn add(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<LineForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let product_id = parse_product(&form.product_id)?;
    let quantity = parse_quantity(&form.quantity, 1)?;
    let product = db::products::find(&state.db, product_id)
        .await?
        .ok_or(WebError::NotFound("product"))?;
    if product.price.currency != shop.store.currency {
        return Err(WebError::BadRequest(
            "This product cannot be sold in this store's currency.".into(),
        ));
    }
    let (basket_id, jar) = match &shop.basket {
        Some(b) if b.status == BasketStatus::Frozen => return Ok(basket_in_checkout()),
        Some(b) => (b.id, shop.jar),
        None => {
            let customer = shop.customer.as_ref().map(|c| c.id);
            let id = db::baskets::create(&state.db, &shop.store.id, customer, shop.store.currency)
                .await?;
            (id, with_basket_cookie(&state, &shop.store.id, shop.jar, id))
        }
    };
    if !db::baskets::set_line(
        &state.db,
        &shop.store.id,
        basket_id,
        product_id,
        quantity,
        true,
    )
    .await?
    {
        return Ok(basket_in_checkout());
    }
    Ok((jar, Redirect::to("/basket")).into_response())
}

/// Sets a line's quantity; 0 removes the line.
pub async fn update(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<LineForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let product_id = parse_product(&form.product_id)?;
    let quantity = parse_quantity(&form.quantity, 0)?;
    if let Some(basket) = &shop.basket {
        if basket.status != BasketStatus::Open {
            return Ok(basket_in_checkout());
        }
        let changed = if quantity == 0 {
            db::baskets::remove_line(&state.db, &shop.store.id, basket.id, product_id).await?;
            true
        } else if basket.lines.iter().any(|l| l.product_id == product_id) {
            db::baskets::set_line(
                &state.db,
                &shop.store.id,
                basket.id,
                product_id,
                quantity,
                false,
            )
            .await?
        } else {
            // Updating a line that is not there (another tab removed it): nothing to do.
            true
        };
        if !changed {
            return Ok(basket_in_checkout());
        }
    }
    Ok((shop.jar, Redirect::to("/basket")).into_response())
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    authenticity_token: String,
}

pub async fn remove(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<RemoveForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let product_id = parse_product(&form.product_id)?;
    if let Some(basket) = &shop.basket {
        if basket.status != BasketStatus::Open {
            return Ok(basket_in_checkout());
        }
        db::baskets::remove_line(&state.db, &shop.store.id, basket.id, product_id).await?;
    }
    Ok((shop.jar, Redirect::to("/basket")).into_response())
}

/// A checkout ticket lives long enough for one redirect, not for a link to be passed on.
const TICKET_LIFETIME_SECS: i64 = 60;

#[derive(Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    authenticity_token: String,
}

/// `POST /basket/checkout`: hands the basket to the checkout with a one-time ticket. The
/// basket is the one this visitor may use (`Shop`): a customer's only from that
/// customer's session, a guest basket only in the browser whose cookie names it.
pub async fn checkout(
    State(state): State<AppState>,
    shop: Shop,
    PageForm(form): PageForm<CheckoutForm>,
) -> Result<Response, WebError> {
    verify_csrf(&shop.csrf, &form.authenticity_token)?;
    let visitor = shop.customer.as_ref().map(|c| c.id);
    let Some(basket) = shop
        .basket
        .as_ref()
        .filter(|b| b.customer_id.is_none_or(|owner| Some(owner) == visitor))
    else {
        return Ok((shop.jar, Redirect::to("/basket")).into_response());
    };
    let ticket =
        db::checkout_tickets::issue(&state.db, &shop.store.id, basket.id, TICKET_LIFETIME_SECS)
            .await?;
    let url = format!(
        "{}?ticket={}",
        checkout_url(&state.config.checkout.base_url, &shop.store.id, basket.id),
        ticket.secret()
    );
    Ok((shop.jar, Redirect::to(&url)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_url_joins_without_doubling_slashes() {
        let store = StoreId::parse("site1").unwrap();
        let basket = BasketId::new_random();
        for base in [
            "http://checkout.localhost:8080",
            "http://checkout.localhost:8080/",
        ] {
            let url = checkout_url(&Url::parse(base).unwrap(), &store, basket);
            assert_eq!(
                url,
                format!("http://checkout.localhost:8080/site1/{basket}")
            );
        }
        let nested = Url::parse("https://shop.example/checkout/").unwrap();
        assert_eq!(
            checkout_url(&nested, &store, basket),
            format!("https://shop.example/checkout/site1/{basket}")
        );
    }

    #[test]
    fn quantities_are_whole_numbers_in_range() {
        assert_eq!(parse_quantity("3", 1).unwrap(), 3);
        assert_eq!(parse_quantity(" 99 ", 1).unwrap(), 99);
        assert_eq!(parse_quantity("", 1).unwrap(), 1);
        assert_eq!(parse_quantity("0", 0).unwrap(), 0);
        for bad in ["0", "100", "-1", "1.5", "abc", "99999999999999999999"] {
            assert!(parse_quantity(bad, 1).is_err(), "{bad:?} accepted for add");
        }
        assert!(parse_quantity("", 0).is_err(), "blank accepted for update");
    }
}
