//! The checkout session as the pages use it: who the shopper is (the identity verified at
//! the store's provider) and the form draft, both server-side (`session_store`),
//! bound to this browser by a cookie on the checkout host and to one store and basket.
//! Every step takes a [`BoundBasket`]: no live session for the basket in this browser, no
//! checkout page.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;

use super::form::DetailsInput;
use super::page;
use super::session_store::CheckoutSession;
use super::target::{BasketPath, Target, Unresolved};
use crate::domain::VerifiedIdentity;
use crate::domain::{BasketId, StoreId};
use crate::placeorder::Starter;
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::web::WebError;

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
            // Either may come without the other; a missing name is then the one field the
            // form asks for.
            fill(&mut input.billing_name, identity.name.as_ref());
            if let Some(address) = &identity.address {
                input.set_billing_postal_address(address);
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

/// A basket of a known store whose checkout was handed to this browser: the store's
/// ticket made a live checkout session for it here (`session_store`). Only
/// [`BoundBasket::check`] makes one, so a handler that takes it cannot forget the check;
/// as an extractor its rejection is the page to answer instead (an unknown basket's page,
/// or the 403 page that sends the shopper back to the store's basket).
pub struct BoundBasket {
    pub target: Target,
    pub session: Session,
    /// The key of the session's row, for saving the draft into that row only.
    key: SecretHash,
}

impl BoundBasket {
    pub async fn check(
        state: &AppState,
        path: BasketPath,
        jar: &CookieJar,
    ) -> Result<Self, Response> {
        let target = path
            .resolve(state)
            .await
            .map_err(Unresolved::into_response)?;
        let loaded =
            super::session_store::load_keyed(state, jar, &target.store.id, target.basket.id)
                .await
                .map_err(|e| WebError::Internal(e).into_response())?;
        match loaded {
            Some((key, session)) => Ok(Self {
                target,
                session: Session::from(session),
                key,
            }),
            None => Err(page::not_handed_off(&target)),
        }
    }

    /// The key of this browser's session row (a login carries the draft over from it).
    pub fn session_key(&self) -> &SecretHash {
        &self.key
    }

    /// This browser as the starter of the basket's place-order attempt.
    pub fn starter(&self) -> Starter {
        Starter::Browser {
            session_hash: self.key.clone(),
        }
    }

    /// Keeps the form as typed in the session, server-side.
    pub async fn save_draft(&self, state: &AppState, draft: &DetailsInput) -> anyhow::Result<()> {
        let json = serde_json::to_value(draft)?;
        super::session_store::save_draft(
            state,
            &self.key,
            &self.target.store.id,
            self.target.basket.id,
            &json,
        )
        .await
    }
}

/// This browser as the starter of a place-order attempt for this basket: the key of its
/// session row (a hash of its session token with the store and basket), the one thing
/// that tells browsers apart. The one place that decides it; [`BoundBasket::starter`] is
/// the same value for a bound basket.
pub fn browser_starter(
    state: &AppState,
    jar: &CookieJar,
    store: &StoreId,
    basket: BasketId,
) -> Option<Starter> {
    super::session_store::key(state, jar, store, basket)
        .map(|session_hash| Starter::Browser { session_hash })
}

impl FromRequestParts<AppState> for BoundBasket {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let path = BasketPath::from_request_parts(parts, state)
            .await
            .map_err(Unresolved::into_response)?;
        let Ok(jar) = CookieJar::from_request_parts(parts, state).await;
        Self::check(state, path, &jar).await
    }
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
