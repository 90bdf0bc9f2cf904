//! Who a shopper proved to be at a store's provider, and the event a provider sends when
//! that session ends: shared by the provider, the relying party and the tables.

use serde::{Deserialize, Serialize};

use super::{CustomerId, PostalAddress};

/// The `events` member of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Who the shopper proved to be, as the store's provider said (ID token + userinfo).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// The provider's issuer identifier, exactly as in its discovery document.
    pub issuer: String,
    /// `sub`: unique only together with `issuer`.
    pub subject: String,
    /// The store's customer, when the issuer is this deployment's provider for the store.
    pub customer_id: Option<CustomerId>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The `address` claim, when street, postal code, city and country are all usable. Whom
    /// it is for is `name`, which a provider may not send.
    pub address: Option<PostalAddress>,
}
