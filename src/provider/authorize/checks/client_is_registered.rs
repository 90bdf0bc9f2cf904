// The client must be registered at THIS store; otherwise show an error, never redirect
// (RFC 6749 §4.1.2.1).

use crate::db::Db;
use crate::domain::StoreId;
use crate::provider::clients::{self, Client};
use crate::provider::error::AuthorizeError;
use crate::provider::params::Params;

pub async fn client_is_registered(
    db: &Db,
    store: &StoreId,
    params: &Params,
) -> Result<Client, AuthorizeError> {
    let client_id = client_id(params)?;
    clients::find(db, store, client_id).await?.ok_or_else(|| {
        AuthorizeError::render("The application asking you to sign in is not known to this shop.")
    })
}

/// The one `client_id` the request names.
pub fn client_id(params: &Params) -> Result<&str, AuthorizeError> {
    params
        .get("client_id")
        .map_err(|_| AuthorizeError::render("The request names its application more than once."))?
        .ok_or_else(|| {
            AuthorizeError::render("The request does not say which application is asking.")
        })
}
