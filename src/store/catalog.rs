//! `GET /`: every product of the shared catalog, each with an "Add to basket" form.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::shop::{Chrome, Section, Shop};
use crate::db;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::headers;
use crate::web::{WebError, render};

#[derive(Template)]
#[template(path = "store/catalog.html")]
struct CatalogPage {
    chrome: Chrome,
    products: Vec<ProductView>,
}

struct ProductView {
    id: String,
    name: String,
    description: String,
    price: String,
    /// The first letter, drawn large on the product tile when it has no image.
    initial: String,
    /// An https URL or a path under /static/.
    image: Option<String>,
}

pub async fn catalog(State(state): State<AppState>, shop: Shop) -> Result<Response, WebError> {
    let lang = Lang(shop.store.locale);
    let products: Vec<ProductView> = db::products::list(&state.db)
        .await?
        .into_iter()
        // The basket refuses a product in another currency, so it is not offered.
        .filter(|p| p.price.currency == shop.store.currency)
        .map(|p| ProductView {
            id: p.id.to_string(),
            initial: p.name.chars().next().map(String::from).unwrap_or_default(),
            price: lang.money(p.price),
            name: p.name,
            description: p.description,
            image: p.image,
        })
        .collect();
    // Images on other hosts load only if the CSP names them.
    let image_origins = headers::image_origins(products.iter().filter_map(|p| p.image.as_deref()));
    let csp = headers::csp_with_image_sources(&image_origins);
    let page = CatalogPage {
        chrome: shop.chrome(Section::Catalog)?,
        products,
    };
    Ok((
        [(header::CONTENT_SECURITY_POLICY, csp)],
        shop.jar,
        shop.csrf,
        render(&page),
    )
        .into_response())
}
