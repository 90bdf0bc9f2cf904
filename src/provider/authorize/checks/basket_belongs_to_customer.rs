// After login the bound basket must be a guest basket or this customer's own (handoff
// step 4). Only checked here: a link to /authorize must not hand a basket to whoever is
// logged in. The basket changes owner when the client redeems the code at /token, right
// after the code is consumed and checked (`db::codes::redeem`).

use crate::db::{self, Db};
use crate::domain::{BasketId, BasketStatus, CustomerId, StoreId};
use crate::provider::error::OAuthError;

pub async fn basket_belongs_to_customer(
    db: &Db,
    store: &StoreId,
    basket: Option<BasketId>,
    customer: CustomerId,
) -> Result<(), OAuthError> {
    let Some(basket) = basket else { return Ok(()) };
    match db::baskets::find(db, store, basket).await? {
        Some(b)
            if b.status == BasketStatus::Open
                && b.customer_id.is_none_or(|owner| owner == customer) =>
        {
            Ok(())
        }
        _ => Err(OAuthError::AccessDenied(
            "the basket belongs to another customer or is no longer open",
        )),
    }
}
