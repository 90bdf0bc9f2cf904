//! `GET /`: every product of the shared catalog, each with an "Add to basket" form.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::shop::{Chrome, Section, Shop};
use crate::db;
use crate::state::AppState;
use crate::web::view;
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
    /// The first letter, drawn large on the product tile in place of a photo.
    initial: String,
}

pub async fn catalog(State(state): State<AppState>, shop: Shop) -> Result<Response, WebError> {
    let products = db::products::list(&state.db)
        .await?
        .into_iter()
        .map(|p| ProductView {
            id: p.id.to_string(),
            initial: p.name.chars().next().map(String::from).unwrap_or_default(),
            price: view::price(p.price),
            name: p.name,
            description: p.description,
        })
        .collect();
    let page = CatalogPage {
        chrome: shop.chrome(Section::Catalog)?,
        products,
    };
    Ok((shop.jar, shop.csrf, render(&page)).into_response())
}
