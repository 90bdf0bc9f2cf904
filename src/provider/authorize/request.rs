//! A fully validated authorization request: what the code will be bound to.

use serde::{Deserialize, Serialize};

use super::checks::SessionParams;
use crate::domain::BasketId;

/// Everything the checks accepted. Persisted as JSON while the customer logs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    /// Byte-identical to a registered URI; re-matched when the request is resumed.
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub basket_id: Option<BasketId>,
    #[serde(flatten)]
    pub session: SessionParams,
}
