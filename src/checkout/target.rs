//! `/{store_id}/{basket_id}`: which store and basket a checkout URL names. A basket is
//! looked up within its store only, so a site1 basket under `/site2/…` is simply unknown.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;

use crate::config::{CheckoutFlags, StoreConfig};
use crate::db;
use crate::domain::{Basket, BasketId, BasketStatus, DeliveryMethod, Money, StoreId};
use crate::state::AppState;
use crate::web::WebError;

/// A known store and one of its baskets, in any status.
#[derive(Debug, Clone)]
pub struct Target {
    pub store: StoreConfig,
    pub basket: Basket,
}

/// Why a checkout URL names nothing we can check out.
#[derive(Debug)]
pub enum Unresolved {
    /// A path segment that is no text once percent-decoded: it names nothing.
    Undecodable,
    UnknownStore,
    /// Unknown in this store: never existed, or another store's.
    UnknownBasket(Box<StoreConfig>),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Unresolved {
    fn from(error: anyhow::Error) -> Self {
        Self::Internal(error)
    }
}

/// The ids a checkout URL starts with, each parsed once: a store this deployment serves
/// and a well-formed basket id. Whether that store has that basket is [`Self::resolve`]'s
/// question. As an extractor its rejection is the page for a URL that names no basket.
pub struct BasketPath {
    store: StoreConfig,
    basket: BasketId,
}

impl BasketPath {
    /// The ids alone, for a page that acts on them without the basket's row.
    pub fn into_ids(self) -> (StoreConfig, BasketId) {
        (self.store, self.basket)
    }

    pub async fn resolve(self, state: &AppState) -> Result<Target, Unresolved> {
        match db::baskets::find(&state.db, &self.store.id, self.basket).await? {
            Some(basket) => Ok(Target {
                store: self.store,
                basket,
            }),
            None => Err(Unresolved::UnknownBasket(Box::new(self.store))),
        }
    }
}

impl FromRequestParts<AppState> for BasketPath {
    type Rejection = Unresolved;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Unresolved> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Unresolved::Undecodable)?;
        let store = param(&params, "store_id")
            .and_then(|id| known_store(state, id))
            .ok_or(Unresolved::UnknownStore)?;
        match param(&params, "basket_id").map(BasketId::parse) {
            Some(Ok(basket)) => Ok(Self { store, basket }),
            _ => Err(Unresolved::UnknownBasket(Box::new(store))),
        }
    }
}

/// The store a checkout URL's `{store_id}` names, when this deployment serves it; as an
/// extractor its rejection is the 404 page.
pub struct KnownStore(pub StoreConfig);

impl FromRequestParts<AppState> for KnownStore {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| WebError::NotFound("store"))?;
        param(&params, "store_id")
            .and_then(|id| known_store(state, id))
            .map(Self)
            .ok_or(WebError::NotFound("store"))
    }
}

fn param<'a>(params: &'a RawPathParams, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

fn known_store(state: &AppState, id: &str) -> Option<StoreConfig> {
    StoreId::parse(id)
        .ok()
        .and_then(|id| state.config.store(&id).cloned())
}

impl Target {
    pub fn flags(&self) -> &CheckoutFlags {
        &self.store.checkout
    }

    pub fn status(&self) -> BasketStatus {
        self.basket.status
    }

    pub fn is_empty(&self) -> bool {
        self.basket.lines.is_empty()
    }

    /// A path on the checkout host for this basket: `step` is "" or "/details" etc.
    pub fn path(&self, step: &str) -> String {
        format!("/{}/{}{step}", self.store.id, self.basket.id)
    }

    /// The same as an absolute URL (the hosted payment page returns the shopper there).
    pub fn url(&self, state: &AppState, step: &str) -> String {
        format!(
            "{}{}",
            state
                .config
                .checkout
                .base_url
                .as_str()
                .trim_end_matches('/'),
            self.path(step)
        )
    }

    /// The store's basket page, where a shopper goes back to change the basket.
    pub fn store_basket_url(&self) -> String {
        self.store.url("/basket")
    }

    pub fn subtotal(&self) -> Option<Money> {
        self.basket.total()
    }

    /// Basket plus delivery; `None` for an empty basket or an overflow.
    pub fn total_with(&self, delivery: DeliveryMethod) -> Option<Money> {
        self.subtotal()?
            .checked_add(delivery.price(self.store.currency))
    }
}
