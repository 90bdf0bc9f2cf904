// The code is consumed exactly once, by the client it was issued to, before it expires
// (RFC 6749 §4.1.2, §10.5). One conditional UPDATE decides, so one of any number of
// concurrent redemptions wins, on any node. A second use revokes what the first produced.

use crate::db::{self, codes::CodeGrant};
use crate::provider::clients::Client;
use crate::provider::error::OAuthError;
use crate::provider::params::Params;
use crate::provider::token::TokenContext;
use crate::secrets::hash_secret;

pub struct ConsumedCode {
    /// Links the access token to the code, so revoking the code revokes the token.
    pub code_hash: String,
    pub grant: CodeGrant,
}

pub async fn code_consumed_once(
    cx: &TokenContext<'_>,
    client: &Client,
    params: &Params,
) -> Result<ConsumedCode, OAuthError> {
    let code = params
        .get("code")?
        .ok_or(OAuthError::InvalidRequest("code is required"))?;
    let code_hash = hash_secret(code);
    let now = db::now();
    let (db, store) = (&cx.state.db, &cx.store.id);
    if let Some(grant) = db::codes::consume(db, store, &client.client_id, &code_hash, now).await? {
        return Ok(ConsumedCode { code_hash, grant });
    }
    if db::codes::revoke_if_consumed(db, store, &client.client_id, &code_hash, now).await? {
        tracing::warn!(client = %client.client_id, "authorization code replayed; its tokens are revoked");
    }
    Err(OAuthError::InvalidGrant(
        "the code is invalid, expired, already used or issued to another client",
    ))
}
