// The optional basket binding: the basket exists in THIS store and is open (handoff
// step 3). Whose it is can only be decided once we know who logs in.

use crate::db::{self, Db};
use crate::domain::{BasketId, BasketStatus, StoreId};
use crate::provider::error::OAuthError;
use crate::provider::params::Params;

pub async fn basket_open_in_store(
    db: &Db,
    store: &StoreId,
    params: &Params,
) -> Result<Option<BasketId>, OAuthError> {
    let Some(raw) = params.get("basket_id")? else {
        return Ok(None);
    };
    let id = BasketId::parse(raw)
        .map_err(|_| OAuthError::InvalidRequest("basket_id is not a valid id"))?;
    match db::baskets::find(db, store, id).await? {
        Some(basket) if basket.status == BasketStatus::Open => Ok(Some(id)),
        Some(_) => Err(OAuthError::AccessDenied("the basket is no longer open")),
        None => Err(OAuthError::AccessDenied(
            "the basket does not exist at this store",
        )),
    }
}
