//! The checkout session as the pages use it: who the shopper is (the identity verified at
//! the store's provider) and the form draft, both server-side (`relying_party::session`),
//! bound to this browser by a cookie on the checkout host and to one store and basket.

use axum_extra::extract::CookieJar;

use super::form::DetailsInput;
use super::target::Target;
use crate::app::AppState;
use crate::placeorder::Starter;
use crate::relying_party::{self, CheckoutSession, VerifiedIdentity};

#[derive(Debug, Clone, Default)]
pub struct Session {
    pub identity: Option<VerifiedIdentity>,
    pub draft: Option<DetailsInput>,
}

impl Session {
    /// The form as the shopper last left it, with what the store knows about a logged-in
    /// shopper filled into the fields still empty (what was typed always wins).
    pub fn form(&self) -> DetailsInput {
        let mut input = self.draft.clone().unwrap_or_else(DetailsInput::fresh);
        let Some(identity) = &self.identity else {
            return input;
        };
        let fill = |field: &mut String, value: Option<&String>| {
            if field.trim().is_empty()
                && let Some(value) = value
            {
                field.clone_from(value);
            }
        };
        fill(&mut input.email, identity.email.as_ref());
        fill(&mut input.phone, identity.phone.as_ref());
        let billing_empty = [
            &input.billing_name,
            &input.billing_street,
            &input.billing_postal_code,
            &input.billing_city,
            &input.billing_country,
        ]
        .iter()
        .all(|f| f.trim().is_empty());
        if billing_empty {
            match &identity.address {
                Some(address) => input.set_billing(address),
                None => fill(&mut input.billing_name, identity.name.as_ref()),
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

/// This browser as the starter of a place-order attempt: the hash of its checkout session
/// token, the one thing that tells browsers apart. The one place that decides it.
pub fn browser_starter(jar: &CookieJar) -> Option<Starter> {
    relying_party::session::token_hash(jar).map(|session_hash| Starter::Browser { session_hash })
}

/// This browser's session for this basket, if it has one.
pub async fn load(
    state: &AppState,
    jar: &CookieJar,
    target: &Target,
) -> anyhow::Result<Option<Session>> {
    let session =
        relying_party::session::load(state, jar, &target.store.id, target.basket.id).await?;
    Ok(session.map(Session::from))
}

/// This browser's session for this basket, created (with its cookie) when missing.
pub async fn ensure(
    state: &AppState,
    jar: CookieJar,
    target: &Target,
) -> anyhow::Result<(CookieJar, Session)> {
    let (jar, session) =
        relying_party::session::ensure(state, jar, &target.store.id, target.basket.id).await?;
    Ok((jar, Session::from(session)))
}

/// Keeps the form as typed in the session, server-side.
pub async fn save_draft(
    state: &AppState,
    jar: &CookieJar,
    target: &Target,
    draft: &DetailsInput,
) -> anyhow::Result<()> {
    let json = serde_json::to_value(draft)?;
    relying_party::session::save_draft(state, jar, &target.store.id, target.basket.id, &json).await
}

impl From<CheckoutSession> for Session {
    fn from(session: CheckoutSession) -> Self {
        Self {
            identity: session.identity,
            // A draft this version cannot read is dropped, never an error page.
            draft: session
                .draft
                .and_then(|json| serde_json::from_value(json).ok()),
        }
    }
}
