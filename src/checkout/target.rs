//! `/{store_id}/{basket_id}`: which store and basket a checkout URL names. A basket is
//! looked up within its store only, so a site1 basket under `/site2/…` is simply unknown.

use crate::config::{CheckoutFlags, StoreConfig};
use crate::db;
use crate::domain::{Basket, BasketId, BasketStatus, Money, StoreId};
use crate::state::AppState;

use crate::domain::DeliveryMethod;

/// A known store and one of its baskets, in any status.
#[derive(Debug, Clone)]
pub struct Target {
    pub store: StoreConfig,
    pub basket: Basket,
}

/// Why a checkout URL names nothing we can check out.
#[derive(Debug)]
pub enum Unresolved {
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

pub async fn resolve(state: &AppState, store: &str, basket: &str) -> Result<Target, Unresolved> {
    let store = StoreId::parse(store)
        .ok()
        .and_then(|id| state.config.store(&id).cloned())
        .ok_or(Unresolved::UnknownStore)?;
    let Ok(basket_id) = BasketId::parse(basket) else {
        return Err(Unresolved::UnknownBasket(Box::new(store)));
    };
    match db::baskets::find(&state.db, &store.id, basket_id).await? {
        Some(basket) => Ok(Target { store, basket }),
        None => Err(Unresolved::UnknownBasket(Box::new(store))),
    }
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
