// After login the bound basket must be a guest basket or this customer's own (DESIGN.md
// step 4). Claiming it in one conditional UPDATE makes the check and the hand-over atomic:
// two customers racing for one guest basket cannot both pass.

use crate::db::{self, Db};
use crate::domain::{BasketId, CustomerId, StoreId};
use crate::provider::error::OAuthError;

pub async fn basket_belongs_to_customer(
    db: &Db,
    store: &StoreId,
    basket: Option<BasketId>,
    customer: CustomerId,
) -> Result<(), OAuthError> {
    let Some(basket) = basket else { return Ok(()) };
    if db::baskets::claim(db, store, basket, customer).await? {
        Ok(())
    } else {
        Err(OAuthError::AccessDenied(
            "the basket belongs to another customer or is no longer open",
        ))
    }
}
