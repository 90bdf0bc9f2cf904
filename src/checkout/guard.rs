//! What a checkout step needs before its own work starts, as extractors whose rejection is
//! the page to answer instead: a basket that can still be edited, and a form that came
//! from this checkout. Only an open basket with items can be edited; a frozen one has a
//! place-order process (follow it on the payment step), an ordered one is done (on to its
//! confirmation).

use std::ops::Deref;

use axum::RequestExt;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_csrf::CsrfToken;
use serde::de::DeserializeOwned;

use super::page;
use super::session::BoundBasket;
use super::target::Target;
use crate::domain::BasketStatus;
use crate::state::AppState;
use crate::web::forms::{PageForm, verify_csrf};

/// A [`BoundBasket`] that is open and has items: what start, details and review work on.
pub struct EditableBasket(BoundBasket);

impl EditableBasket {
    pub fn check(bound: BoundBasket) -> Result<Self, NotEditable> {
        let target = &bound.target;
        if target.status() == BasketStatus::Open && !target.is_empty() {
            Ok(Self(bound))
        } else {
            Err(NotEditable(Box::new(bound.target)))
        }
    }
}

impl Deref for EditableBasket {
    type Target = BoundBasket;

    fn deref(&self) -> &BoundBasket {
        &self.0
    }
}

impl FromRequestParts<AppState> for EditableBasket {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let bound = BoundBasket::from_request_parts(parts, state).await?;
        Self::check(bound).map_err(IntoResponse::into_response)
    }
}

/// A basket that cannot be edited. The answer is the empty-basket page, or (the browser
/// has the basket's session) the payment step of a frozen basket and the confirmation of
/// an ordered one.
pub struct NotEditable(Box<Target>);

impl IntoResponse for NotEditable {
    fn into_response(self) -> Response {
        let target = &self.0;
        match target.status() {
            BasketStatus::Open => page::empty_basket(target),
            BasketStatus::Frozen => Redirect::to(&target.path("/payment")).into_response(),
            BasketStatus::Ordered => Redirect::to(&target.path("/success")).into_response(),
        }
    }
}

/// A checkout form: it carries the CSRF token of the page it was sent from.
pub trait CheckoutForm: DeserializeOwned + 'static {
    fn authenticity_token(&self) -> &str;
}

/// A checkout form read as [`PageForm`] reads it (an unreadable one is the 400 page) whose
/// `authenticity_token` matches this browser's CSRF cookie; a form posted from elsewhere,
/// or without a token, is the 403 page.
pub struct CheckedForm<T>(pub T);

impl<T: CheckoutForm> FromRequest<AppState> for CheckedForm<T> {
    type Rejection = Response;

    async fn from_request(mut request: Request, state: &AppState) -> Result<Self, Response> {
        let csrf = request
            .extract_parts_with_state::<CsrfToken, _>(state)
            .await
            .map_err(IntoResponse::into_response)?;
        let PageForm(form) = PageForm::<T>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match verify_csrf(&csrf, form.authenticity_token()) {
            Ok(()) => Ok(Self(form)),
            Err(_) => Err(page::csrf_refused()),
        }
    }
}

/// A form posted to a step that edits the basket: an [`EditableBasket`] and a
/// [`CheckedForm`]. The form is checked before the basket's status, so a form that did not
/// come from this checkout gets the same 403 whatever state the basket is in.
pub struct EditableForm<T> {
    pub basket: EditableBasket,
    pub form: T,
}

impl<T: CheckoutForm> FromRequest<AppState> for EditableForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let bound = BoundBasket::from_request_parts(&mut parts, state).await?;
        let CheckedForm(form) =
            CheckedForm::from_request(Request::from_parts(parts, body), state).await?;
        let basket = EditableBasket::check(bound).map_err(IntoResponse::into_response)?;
        Ok(Self { basket, form })
    }
}
