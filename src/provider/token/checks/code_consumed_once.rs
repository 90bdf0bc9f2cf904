// The code is consumed exactly once, by the client it was issued to, before it expires
// (RFC 6749 §4.1.2, §10.5). One conditional UPDATE decides, so one of any number of
// concurrent redemptions wins, on any node. A second use revokes what the first produced.
// The same UPDATE stores the access token's hash on the code. The checks against the grant
// run next, then a basket-bound code hands its guest basket to the customer by a conditional
// UPDATE: ownership changes here and nowhere else. If either refuses, the token is withdrawn
// before its secret is ever sent.

use crate::db::{
    self,
    codes::{CodeGrant, NewAccessToken, Redemption},
};
use crate::provider::clients::Client;
use crate::provider::error::OAuthError;
use crate::provider::params::Params;
use crate::provider::token::TokenContext;
use crate::secrets::SecretHash;

pub async fn code_consumed_once(
    cx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
    token: &NewAccessToken<'_>,
    checks: impl FnOnce(&CodeGrant) -> Result<(), OAuthError>,
) -> Result<CodeGrant, OAuthError> {
    let code = params
        .get("code")?
        .ok_or(OAuthError::InvalidRequest("code is required"))?;
    let code_hash = SecretHash::of(code);
    let now = db::now();
    let (db, store) = (&cx.state.db, &cx.store.id);
    let redemption =
        db::codes::redeem(db, store, &client.client_id, &code_hash, now, token, checks).await?;
    match redemption {
        Redemption::Redeemed(grant) => Ok(grant),
        Redemption::Refused(e) => Err(e),
        Redemption::BasketUnavailable => Err(OAuthError::InvalidGrant(
            "the basket bound to the code belongs to another customer or is no longer open",
        )),
        Redemption::NoSuchCode => {
            if db::codes::revoke_if_consumed(db, store, &client.client_id, &code_hash, now).await? {
                tracing::warn!(client = %client.client_id, "authorization code replayed; its tokens are revoked");
            }
            Err(OAuthError::InvalidGrant(
                "the code is invalid, expired, already used or issued to another client",
            ))
        }
    }
}
