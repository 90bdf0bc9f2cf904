//! What every storefront page knows about the visitor: the store (from `Host`), the
//! logged-in customer, the current basket (cookie `basket`) and the CSRF token.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;

use crate::accounts;
use crate::config::StoreConfig;
use crate::db;
use crate::domain::{Basket, BasketId, BasketStatus, Customer, CustomerId, StoreId};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::web::forms::authenticity_token;
use crate::web::{CookieName, StoreTenant, WebError};

/// The store-host cookie holding the current basket's id. Host-only (no `Domain`), so a
/// basket never follows the shopper to another store.
/// The basket cookie as this store's host names it.
fn basket_cookie(state: &AppState, store: &StoreId) -> CookieName {
    let secure = state
        .config
        .store(store)
        .is_some_and(|s| s.secure_cookies());
    CookieName::new("basket", secure)
}
/// A basket outlives the browser session: a shopper who comes back next week finds it.
const BASKET_COOKIE_DAYS: i64 = 30;

/// The request as a storefront page sees it. Handlers return `jar` (it may carry a
/// refreshed or removed basket cookie) and `csrf` (it sets the CSRF cookie) with the page.
pub struct Shop {
    pub store: StoreConfig,
    pub jar: CookieJar,
    pub customer: Option<Customer>,
    pub basket: Option<Basket>,
    pub csrf: CsrfToken,
}

impl FromRequestParts<AppState> for Shop {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let StoreTenant(store) = StoreTenant::from_request_parts(parts, state).await?;
        let Ok(jar) = CookieJar::from_request_parts(parts, state).await;
        let Ok(csrf) = CsrfToken::from_request_parts(parts, state).await else {
            return Err(WebError::Internal(anyhow::anyhow!(
                "CSRF token unavailable"
            )));
        };
        let customer = accounts::current_customer(state, &store.id, &jar)
            .await?
            .map(|(customer, _session)| customer);
        let (basket, jar) = current_basket(state, &store.id, customer.as_ref(), jar).await?;
        Ok(Shop {
            store,
            jar,
            customer,
            basket,
            csrf,
        })
    }
}

impl Shop {
    /// The header, navigation and footer data of a page.
    pub fn chrome(&self, current: Section) -> Result<Chrome, WebError> {
        Ok(Chrome {
            store_name: self.store.name.clone(),
            lang: Lang(self.store.locale),
            basket_count: self.basket.as_ref().map_or(0, Basket::item_count),
            customer_name: self.customer.as_ref().map(|c| c.name.clone()),
            accounts: self.store.has_own_provider(),
            csrf_token: authenticity_token(&self.csrf)?,
            current,
        })
    }
}

/// Which navigation entry the page belongs to (`aria-current="page"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Catalog,
    Basket,
    Account,
}

/// Shared page furniture for `templates/store/base.html`.
pub struct Chrome {
    pub store_name: String,
    /// The store's language: every text, price and date on the page.
    pub lang: Lang,
    pub basket_count: i64,
    pub customer_name: Option<String>,
    /// The store has password accounts here (else the header offers no login).
    pub accounts: bool,
    /// For the header's log-out form.
    pub csrf_token: String,
    pub current: Section,
}

impl Chrome {
    pub fn aria_current(&self, section: Section) -> &'static str {
        if self.current == section {
            "page"
        } else {
            "false"
        }
    }
}

/// How the basket named by the cookie relates to the visitor.
#[derive(Debug, PartialEq, Eq)]
enum CookieBasket {
    /// Theirs (or a guest's, and they are a guest): use it.
    Use,
    /// A guest basket and the visitor is logged in: make it theirs, then use it.
    Claim,
    /// Ordered, or another customer's (say, left behind on a shared computer): ignore it.
    Ignore,
}

fn classify(basket: &Basket, visitor: Option<CustomerId>) -> CookieBasket {
    if basket.status == BasketStatus::Ordered {
        return CookieBasket::Ignore;
    }
    match (basket.customer_id, visitor) {
        (None, None) => CookieBasket::Use,
        (None, Some(_)) if basket.status == BasketStatus::Open => CookieBasket::Claim,
        (None, Some(_)) => CookieBasket::Use,
        (Some(owner), Some(visitor)) if owner == visitor => CookieBasket::Use,
        (Some(_), _) => CookieBasket::Ignore,
    }
}

/// The visitor's current basket at this store. The cookie wins when it names a basket of
/// this store that the visitor may use (`db::baskets::find` filters by store, so a site2
/// id at site1 finds nothing); a logged-in customer otherwise gets their most recent open
/// basket. A cookie that names nothing usable is removed.
pub async fn current_basket(
    state: &AppState,
    store: &StoreId,
    customer: Option<&Customer>,
    jar: CookieJar,
) -> Result<(Option<Basket>, CookieJar), WebError> {
    let visitor = customer.map(|c| c.id);
    let cookie_id = basket_cookie(state, store)
        .value(&jar)
        .and_then(|v| BasketId::parse(v).ok());
    if let Some(id) = cookie_id
        && let Some(mut basket) = db::baskets::find(&state.db, store, id).await?
    {
        let usable = match (classify(&basket, visitor), visitor) {
            (CookieBasket::Use, _) => true,
            (CookieBasket::Claim, Some(customer)) => {
                let claimed = db::baskets::claim(&state.db, store, id, customer).await?;
                if claimed {
                    basket.customer_id = Some(customer);
                }
                claimed
            }
            _ => false,
        };
        if usable {
            return Ok((Some(basket), jar));
        }
    }
    if let Some(customer) = visitor
        && let Some(id) = db::baskets::find_open_for_customer(&state.db, store, customer).await?
        && let Some(basket) = db::baskets::find(&state.db, store, id).await?
    {
        let jar = with_basket_cookie(state, store, jar, basket.id);
        return Ok((Some(basket), jar));
    }
    let jar = if basket_cookie(state, store).value(&jar).is_some() {
        without_basket_cookie(state, store, jar)
    } else {
        jar
    };
    Ok((None, jar))
}

pub fn with_basket_cookie(
    state: &AppState,
    store: &StoreId,
    jar: CookieJar,
    basket: BasketId,
) -> CookieJar {
    let mut cookie = basket_cookie(state, store).with_value(basket.to_string());
    cookie.set_max_age(time::Duration::days(BASKET_COOKIE_DAYS));
    jar.add(cookie)
}

pub fn without_basket_cookie(state: &AppState, store: &StoreId, jar: CookieJar) -> CookieJar {
    jar.remove(basket_cookie(state, store).removal())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basket(owner: Option<CustomerId>, status: BasketStatus) -> Basket {
        Basket {
            id: BasketId::new_random(),
            store_id: StoreId::parse("site1").unwrap(),
            customer_id: owner,
            status,
            version: 0,
            lines: Vec::new(),
        }
    }

    #[test]
    fn a_guest_uses_a_guest_basket_and_a_customer_claims_it() {
        let alice = CustomerId::new_random();
        let guest = basket(None, BasketStatus::Open);
        assert_eq!(classify(&guest, None), CookieBasket::Use);
        assert_eq!(classify(&guest, Some(alice)), CookieBasket::Claim);
    }

    #[test]
    fn a_customers_basket_is_theirs_alone() {
        let alice = CustomerId::new_random();
        let bob = CustomerId::new_random();
        let hers = basket(Some(alice), BasketStatus::Open);
        assert_eq!(classify(&hers, Some(alice)), CookieBasket::Use);
        assert_eq!(classify(&hers, Some(bob)), CookieBasket::Ignore);
        assert_eq!(classify(&hers, None), CookieBasket::Ignore);
    }

    #[test]
    fn ordered_baskets_are_left_behind_and_frozen_ones_kept_unclaimed() {
        let alice = CustomerId::new_random();
        assert_eq!(
            classify(&basket(None, BasketStatus::Ordered), None),
            CookieBasket::Ignore
        );
        assert_eq!(
            classify(&basket(Some(alice), BasketStatus::Ordered), Some(alice)),
            CookieBasket::Ignore
        );
        // A guest basket in checkout stays the guest's until the checkout finishes.
        assert_eq!(
            classify(&basket(None, BasketStatus::Frozen), Some(alice)),
            CookieBasket::Use
        );
    }
}
